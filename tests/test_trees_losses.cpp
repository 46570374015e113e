// Trees: the boosting regressor's huber, quantile and poisson losses: gradients, hessians, row
// losses and base scores on hand-checked values; fits that recover a known quantile and a known
// poisson mean; robustness to outliers; errors.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

struct Stats {
  std::vector<float> g, h;
  double loss;
};

// Gradients and hessians of `loss` at margins m for targets y.
Stats stats_of(Loss loss, const std::vector<double>& m, const std::vector<float>& y, LossShape shape) {
  std::vector<std::vector<float>> st(1, std::vector<float>(2 * y.size()));
  const double mean = detail::gradients(loss, 1, m.data(), y.data(), y.size(), st, true, 1.0, nullptr, shape);
  Stats s{{}, {}, mean};
  for (std::size_t i = 0; i < y.size(); ++i) {
    s.g.push_back(st[0][2 * i]);
    s.h.push_back(st[0][2 * i + 1]);
  }
  return s;
}

// Two groups by the sign of x0 (x1 is noise): `draw(group)` gives a target.
template <class Draw>
std::pair<Tensor<float>, Tensor<float>> two_groups(std::size_t n, Rng& rng, Draw draw) {
  std::vector<float> x(n * 2), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i * 2] = static_cast<float>(rng.normal());
    x[i * 2 + 1] = static_cast<float>(rng.normal());
    y[i] = static_cast<float>(draw(x[i * 2] > 0.0f ? 1 : 0));
  }
  return {Tensor<float>::from_vector(x, Shape{n, 2}), Tensor<float>::from_vector(y, Shape{n})};
}

// A poisson draw with mean lambda (Knuth: count uniforms until their product drops below e^-lambda).
int poisson(Rng& rng, double lambda) {
  const double limit = std::exp(-lambda);
  double p = 1.0;
  int k = -1;
  do {
    ++k;
    p *= rng.uniform();
  } while (p > limit);
  return k;
}

const Tensor<float> kProbe = Tensor<float>::from_vector({-1, 0, 1, 0}, Shape{2, 2});  // group 0, group 1

}  // namespace

TEST_CASE("losses: huber gradients are the residual clipped at huber_delta, hessians 1") {
  // residuals m - y: -3, -0.5, 0, 2 with delta 1.5.
  const Stats s = stats_of(Loss::Huber, {0, 0, 1, 4}, {3, 0.5f, 1, 2}, {.huber_delta = 1.5});
  CHECK(s.g == std::vector<float>{-1.5f, -0.5f, 0.0f, 1.5f});
  CHECK(s.h == std::vector<float>{1, 1, 1, 1});
  // Row losses: 1.5 (3 - 0.75) = 3.375, 0.125, 0, 1.5 (2 - 0.75) = 1.875; mean 5.375 / 4.
  CHECK(s.loss == doctest::Approx(5.375 / 4.0));
}

TEST_CASE("losses: quantile gradients are 1 - q above the target and -q below; pinball loss") {
  const Stats s = stats_of(Loss::Quantile, {0, 2, 1}, {1, 1, 1}, {.quantile = 0.8});
  CHECK(s.g[0] == doctest::Approx(-0.8));
  CHECK(s.g[1] == doctest::Approx(0.2));
  CHECK(s.g[2] == 0.0f);
  CHECK(s.h == std::vector<float>{1, 1, 1});
  // Under by 1: 0.8; over by 1: 0.2; exact: 0.
  CHECK(s.loss == doctest::Approx(1.0 / 3.0));
  // The base score is the targets' quantile (element floor(q n) in order).
  const std::vector<float> y = {5, 1, 4, 2, 3};
  CHECK(detail::base_scores(Loss::Quantile, 1, y.data(), 5, nullptr, {.quantile = 0.8})[0] == 5.0);
  CHECK(detail::base_scores(Loss::Quantile, 1, y.data(), 5, nullptr, {.quantile = 0.2})[0] == 2.0);
  // Weighted: 5 weighs 6 of 10, so it is the quantile at 0.5 (cumulative 4 of 10 before it).
  const std::vector<double> w = {6, 1, 1, 1, 1};
  CHECK(detail::base_scores(Loss::Quantile, 1, y.data(), 5, w.data(), {.quantile = 0.5})[0] == 5.0);
  CHECK(detail::base_scores(Loss::Quantile, 1, y.data(), 5, w.data(), {.quantile = 0.35})[0] == 4.0);
  CHECK(detail::base_scores(Loss::AbsoluteError, 1, y.data(), 5)[0] == 3.0);
}

TEST_CASE("losses: poisson gradient exp(m) - y, hessian exp(m + 0.7), half deviance, log-mean base") {
  const Stats s = stats_of(Loss::Poisson, {0, std::log(2.0), 1}, {1, 0, 3}, {});
  CHECK(s.g[0] == doctest::Approx(0.0));
  CHECK(s.g[1] == doctest::Approx(2.0));
  CHECK(s.g[2] == doctest::Approx(std::exp(1.0) - 3.0));
  CHECK(s.h[0] == doctest::Approx(std::exp(0.7)));
  CHECK(s.h[1] == doctest::Approx(2.0 * std::exp(0.7)));
  // Half deviance y log(y / mu) - y + mu: 0; 2; 3 log(3 / e) - 3 + e.
  CHECK(s.loss == doctest::Approx((0.0 + 2.0 + (3.0 * std::log(3.0 / std::exp(1.0)) - 3.0 + std::exp(1.0))) / 3.0));
  const std::vector<float> y = {0, 1, 2, 5};
  CHECK(detail::base_scores(Loss::Poisson, 1, y.data(), 4)[0] == doctest::Approx(std::log(2.0)));
}

// Mean prediction over each group's training rows (group 1: x0 > 0).
std::pair<double, double> group_means(const std::vector<float>& p, const Tensor<float>& X) {
  double s[2] = {0, 0}, c[2] = {0, 0};
  for (std::size_t i = 0; i < p.size(); ++i) {
    const int g = X.data()[i * 2] > 0.0f ? 1 : 0;
    s[g] += p[i];
    c[g] += 1;
  }
  return {s[0] / c[0], s[1] / c[1]};
}

TEST_CASE("quantile regression recovers the 0.9 quantile of each group") {
  // Group 0: N(0, 1); group 1: 10 + N(0, 2). 0.9 quantiles: 1.2816 and 12.563.
  Rng rng(7);
  const auto [X, y] = two_groups(6000, rng, [&](int g) { return g ? 10.0 + 2.0 * rng.normal() : rng.normal(); });
  GradientBoostingRegressor m({.n_estimators = 100, .learning_rate = 0.1, .max_depth = 2, .loss = Loss::Quantile,
                               .quantile = 0.9});
  m.fit(X, y);
  const auto fit = m.predict(X).to_vector();
  const auto [q0, q1] = group_means(fit, X);
  CHECK(std::abs(q0 - 1.2816) < 0.06);
  CHECK(std::abs(q1 - 12.563) < 0.1);
  // About 90% of each group's training targets lie at or below their prediction.
  double below[2] = {0, 0}, count[2] = {0, 0};
  for (std::size_t i = 0; i < fit.size(); ++i) {
    const int g = X.data()[i * 2] > 0.0f ? 1 : 0;
    below[g] += y.data()[i] <= fit[i] ? 1 : 0;
    count[g] += 1;
  }
  CHECK(std::abs(below[0] / count[0] - 0.9) < 0.02);
  CHECK(std::abs(below[1] / count[1] - 0.9) < 0.02);
  // Quantile 0.5 gives the medians (0 and 10).
  GradientBoostingRegressor med({.n_estimators = 100, .max_depth = 2, .loss = Loss::Quantile});
  med.fit(X, y);
  const auto [m0, m1] = group_means(med.predict(X).to_vector(), X);
  CHECK(std::abs(m0) < 0.08);
  CHECK(std::abs(m1 - 10.0) < 0.12);
}

TEST_CASE("poisson regression recovers each group's mean; predictions are exp of the margins") {
  // Means 1.5 and 4.
  Rng rng(11);
  const auto [X, y] = two_groups(6000, rng, [&](int g) { return poisson(rng, g ? 4.0 : 1.5); });
  GradientBoostingRegressor m({.n_estimators = 100, .max_depth = 2, .loss = Loss::Poisson});
  m.fit(X, y);
  const auto p = m.predict(kProbe).to_vector();
  CHECK(std::abs(p[0] - 1.5) < 0.08);
  CHECK(std::abs(p[1] - 4.0) < 0.12);
  CHECK(m.base_score() == doctest::Approx(std::log(2.75)).epsilon(0.03));
  // Contributions explain the log of the prediction.
  const Tensor<double> c = m.predict_contributions(kProbe);
  for (std::size_t i = 0; i < 2; ++i)
    CHECK(c.data()[i * 3] + c.data()[i * 3 + 1] + c.data()[i * 3 + 2] == doctest::Approx(std::log(p[i])).epsilon(1e-5));
  // Saved and loaded with the loss: predictions still exp(margin).
  const std::string path = std::string(GROVE_TEST_TMP_DIR) + "/poisson_gbr.bin";
  m.save(path);
  const auto loaded = GradientBoostingRegressor::load(path);
  CHECK(loaded.params().loss == Loss::Poisson);
  CHECK(loaded.predict(kProbe).to_vector() == p);
  // With validation data, the history records the half poisson deviance, which falls.
  GradientBoostingRegressor v({.n_estimators = 30, .max_depth = 2, .loss = Loss::Poisson});
  v.fit(X, y, ValidationSet<float, float>{X, y});
  const auto losses = v.history().series("val_loss");
  REQUIRE(losses.size() == 30);
  CHECK(losses.back() < losses.front());
}

TEST_CASE("huber regression ignores outliers that pull squared error away") {
  // y = 3 x0 (+ small noise); 5% of rows get +60.
  Rng rng(5);
  const std::size_t n = 4000;
  std::vector<float> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(rng.uniform());
    y[i] = static_cast<float>(3.0 * x[i] + 0.1 * rng.normal() + (rng.uniform() < 0.05 ? 60.0 : 0.0));
  }
  const auto X = Tensor<float>::from_vector(x, Shape{n, 1}), Y = Tensor<float>::from_vector(y, Shape{n});
  GradientBoostingRegressor huber({.n_estimators = 100, .max_depth = 1, .loss = Loss::Huber, .huber_delta = 1.0});
  GradientBoostingRegressor squared({.n_estimators = 100, .max_depth = 1});
  huber.fit(X, Y);
  squared.fit(X, Y);
  const auto probe = Tensor<float>::from_vector({0.25f, 0.5f, 0.75f}, Shape{3, 1});
  const auto ph = huber.predict(probe).to_vector(), ps = squared.predict(probe).to_vector();
  for (std::size_t i = 0; i < 3; ++i) {
    const double truth = 3.0 * probe.data()[i];
    CHECK(std::abs(ph[i] - truth) < 0.2);  // the clipped outliers pull little
    CHECK(ps[i] - truth > 2.5);            // squared error moves by about 5% of 60
  }
}

TEST_CASE("losses: errors name the loss, target and row") {
  const auto X = Tensor<float>::from_vector({1, 2, 3}, Shape{3, 1});
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.loss = Loss::Poisson}).fit(X, Tensor<float>::from_vector({1, -2, 3})),
                       "GradientBoostingRegressor.fit: loss poisson needs targets >= 0, got -2 at row 1", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.loss = Loss::Poisson}).fit(X, Tensor<float>::from_vector({0, 0, 0})),
                       "GradientBoostingRegressor.fit: loss poisson needs a target above 0; every target is 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.loss = Loss::Quantile, .quantile = 1.0}),
                       "GradientBoostingRegressor: quantile must be in (0, 1), got 1", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.loss = Loss::Huber, .huber_delta = 0.0}),
                       "GradientBoostingRegressor: huber_delta must be in (0, inf), got 0", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.loss = Loss::Logistic}),
                       "GradientBoostingRegressor: loss must be one of squared_error, absolute_error, huber, quantile, "
                       "poisson, got logistic",
                       ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.loss = static_cast<Loss>(9)}),
                       "GradientBoostingRegressor: loss must be one of squared_error, absolute_error, huber, quantile, "
                       "poisson, got 9",
                       ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingClassifier({.loss = Loss::Huber}),
                       "GradientBoostingClassifier: loss must be one of log_loss, got huber", ValueError);
  GradientBoostingRegressorParams p;
  set_param(p, "loss", "quantile");
  set_param(p, "quantile", "0.25");
  CHECK(p.loss == Loss::Quantile);
  CHECK(p.quantile == 0.25);
}

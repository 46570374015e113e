// Tests for learning_curve with real (test-defined) estimators, and diagnose() on real curves.
#include <doctest/doctest.h>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "grove/core/rng.hpp"
#include "grove/data/kfold.hpp"
#include "grove/diagnostics/diagnose.hpp"
#include "grove/diagnostics/learning_curve.hpp"
#include "grove/metrics.hpp"
#include "grove/tensor/tensor.hpp"

using namespace grove;
using namespace grove::diag;

namespace {

// Indices of the k nearest training rows (squared Euclidean; ties broken by index).
std::vector<std::size_t> nearest(const std::vector<double>& train, std::size_t d, const double* q, std::size_t k) {
  const std::size_t n = train.size() / d;
  std::vector<std::pair<double, std::size_t>> dist(n);
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += (train[i * d + j] - q[j]) * (train[i * d + j] - q[j]);
    dist[i] = {s, i};
  }
  k = std::min(k, n);
  std::partial_sort(dist.begin(), dist.begin() + static_cast<std::ptrdiff_t>(k), dist.end());
  std::vector<std::size_t> out(k);
  for (std::size_t i = 0; i < k; ++i) out[i] = dist[i].second;
  return out;
}

struct KnnRegressor {
  explicit KnnRegressor(std::size_t k_ = 5) : k(k_) {}
  std::size_t k;
  std::vector<double> X, y;
  std::size_t d = 0;
  void fit(const Tensor<double>& Xt, const Tensor<double>& yt) {
    X = Xt.to_vector(), y = yt.to_vector(), d = Xt.shape()[1];
  }
  Tensor<double> predict(const Tensor<double>& Xq) const {
    const auto q = Xq.to_vector();
    const std::size_t n = Xq.shape()[0];
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto nb = nearest(X, d, q.data() + i * d, k);
      double s = 0;
      for (auto j : nb) s += y[j];
      out[i] = s / static_cast<double>(nb.size());
    }
    return Tensor<double>::from_vector(out);
  }
};

struct KnnClassifier {
  KnnClassifier(std::size_t k_, std::size_t classes) : k(k_), n_classes(classes) {}
  std::size_t k;
  std::size_t n_classes;
  std::vector<double> X, y;
  std::size_t d = 0;
  void fit(const Tensor<double>& Xt, const Tensor<double>& yt) {
    X = Xt.to_vector(), y = yt.to_vector(), d = Xt.shape()[1];
  }
  Tensor<double> predict_proba(const Tensor<double>& Xq) const {
    const auto q = Xq.to_vector();
    const std::size_t n = Xq.shape()[0];
    std::vector<double> out(n * n_classes, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto nb = nearest(X, d, q.data() + i * d, k);
      for (auto j : nb) out[i * n_classes + static_cast<std::size_t>(y[j])] += 1.0 / static_cast<double>(nb.size());
    }
    return Tensor<double>::from_vector(out, Shape{n, n_classes});
  }
  Tensor<double> predict(const Tensor<double>& Xq) const {
    const auto p = predict_proba(Xq).to_vector();
    const std::size_t n = Xq.shape()[0];
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<double>(std::max_element(p.begin() + static_cast<std::ptrdiff_t>(i * n_classes),
                                                    p.begin() + static_cast<std::ptrdiff_t>((i + 1) * n_classes)) -
                                   (p.begin() + static_cast<std::ptrdiff_t>(i * n_classes)));
    return Tensor<double>::from_vector(out);
  }
};

// Least squares with an intercept and a tiny ridge, on float features (checks TX = float works).
struct LinearRegression {
  Eigen::VectorXd w;
  static Eigen::MatrixXd design(const Tensor<float>& X) {
    const std::size_t n = X.shape()[0], d = X.shape()[1];
    Eigen::MatrixXd A(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d + 1));
    for (std::size_t i = 0; i < n; ++i) {
      A(static_cast<Eigen::Index>(i), 0) = 1.0;
      for (std::size_t j = 0; j < d; ++j)
        A(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j + 1)) = X.data()[i * d + j];
    }
    return A;
  }
  void fit(const Tensor<float>& X, const Tensor<float>& y) {
    const Eigen::MatrixXd A = design(X);
    Eigen::VectorXd b(static_cast<Eigen::Index>(y.size()));
    for (std::size_t i = 0; i < y.size(); ++i) b[static_cast<Eigen::Index>(i)] = y.data()[i];
    Eigen::MatrixXd G = A.transpose() * A;
    G.diagonal().array() += 1e-8;
    w = G.ldlt().solve(A.transpose() * b);
  }
  Tensor<float> predict(const Tensor<float>& X) const {
    const Eigen::VectorXd p = design(X) * w;
    std::vector<float> out(static_cast<std::size_t>(p.size()));
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(p[static_cast<Eigen::Index>(i)]);
    return Tensor<float>::from_vector(out);
  }
};

// y = sin(3 f x0) + cos(2 f x1) + noise, x uniform in [-1, 1]^2 (f: frequency multiplier).
void smooth_regression(std::size_t n, double noise, std::uint64_t seed, Tensor<double>& X, Tensor<double>& y,
                       double f = 1.0) {
  Rng rng(seed);
  std::vector<double> xv(n * 2), yv(n);
  for (std::size_t i = 0; i < n; ++i) {
    xv[2 * i] = rng.uniform(-1, 1), xv[2 * i + 1] = rng.uniform(-1, 1);
    yv[i] = std::sin(3 * f * xv[2 * i]) + std::cos(2 * f * xv[2 * i + 1]) + noise * rng.normal();
  }
  X = Tensor<double>::from_vector(xv, Shape{n, 2});
  y = Tensor<double>::from_vector(yv);
}

}  // namespace

TEST_CASE("learning_curve equals a direct hand-run of the same folds") {
  Tensor<double> X, y;
  smooth_regression(90, 0.3, 7, X, y);
  const LearningCurveOptions opt{.train_sizes = {0.25, 0.5, 1.0}, .folds = 3, .scoring = "neg_mae", .seed = 42};
  const LearningCurve lc = learning_curve([] { return KnnRegressor{3}; }, X, y, opt);
  REQUIRE(lc.train_sizes == std::vector<std::size_t>{15, 30, 60});  // floor(f · 60)
  CHECK(lc.scoring == "neg_mae");
  CHECK(lc.greater_is_better);
  CHECK(lc.optimum == 0.0);
  CHECK(lc.folds == 3);
  CHECK(lc.n_samples == 90);

  const auto splits = learning_curve_splits(y, opt);
  REQUIRE(splits.size() == 3);
  // The folds are data::KFold's (shuffled with the seed); only the training order differs.
  const auto ref = data::KFold(3, {.shuffle = true, .seed = 42}).split(90);
  std::set<std::size_t> all_val;
  for (std::size_t f = 0; f < 3; ++f) {
    CHECK(splits[f].validation == ref[f].validation);
    auto sorted = splits[f].train;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == ref[f].train);
    CHECK(sorted != splits[f].train);  // the training part is shuffled before taking prefixes
    all_val.insert(splits[f].validation.begin(), splits[f].validation.end());
  }
  CHECK(all_val.size() == 90);

  const auto xv = X.to_vector(), yv = y.to_vector();
  auto rows = [&](const std::vector<std::size_t>& idx, std::size_t count, Tensor<double>& Xs, Tensor<double>& ys) {
    std::vector<double> a, b;
    for (std::size_t r = 0; r < count; ++r) {
      a.push_back(xv[idx[r] * 2]), a.push_back(xv[idx[r] * 2 + 1]);
      b.push_back(yv[idx[r]]);
    }
    Xs = Tensor<double>::from_vector(a, Shape{count, 2});
    ys = Tensor<double>::from_vector(b);
  };
  for (std::size_t s = 0; s < 3; ++s) {
    std::vector<double> tr, va;
    for (std::size_t f = 0; f < 3; ++f) {
      Tensor<double> Xt, yt, Xv, yvv;
      rows(splits[f].train, lc.train_sizes[s], Xt, yt);
      rows(splits[f].validation, splits[f].validation.size(), Xv, yvv);
      KnnRegressor m{3};
      m.fit(Xt, yt);
      tr.push_back(-metrics::mae(yt, m.predict(Xt)));
      va.push_back(-metrics::mae(yvv, m.predict(Xv)));
      CHECK(lc.train_scores[s][f] == tr.back());
      CHECK(lc.val_scores[s][f] == va.back());
      CHECK(lc.fit_times[s][f] >= 0);
    }
    const double tm = (tr[0] + tr[1] + tr[2]) / 3, vm = (va[0] + va[1] + va[2]) / 3;
    CHECK(lc.train_mean[s] == doctest::Approx(tm).epsilon(1e-14));
    CHECK(lc.val_mean[s] == doctest::Approx(vm).epsilon(1e-14));
    double ss = 0;
    for (double v : va) ss += (v - vm) * (v - vm);
    CHECK(lc.val_std[s] == doctest::Approx(std::sqrt(ss / 3)).epsilon(1e-12));  // population std, as np.std
  }
  // The trivial baseline predicts the training mean: an r2-free negative MAE well below the model's.
  CHECK(lc.baseline_score < lc.val_mean.back());

  // Same seed, same numbers; another seed, other folds.
  const LearningCurve again = learning_curve([] { return KnnRegressor{3}; }, X, y, opt);
  CHECK(again.val_scores == lc.val_scores);
  CHECK(again.train_scores == lc.train_scores);
  LearningCurveOptions other = opt;
  other.seed = 43;
  CHECK(learning_curve([] { return KnnRegressor{3}; }, X, y, other).val_scores != lc.val_scores);
}

TEST_CASE("learning_curve: absolute sizes, smart pointers, default and custom scorings, float data") {
  Tensor<double> X, y;
  smooth_regression(60, 0.2, 3, X, y);
  // Absolute counts, given unsorted and with a duplicate.
  const auto lc = learning_curve([] { return std::make_unique<KnnRegressor>(KnnRegressor{2}); }, X, y,
                                 {.train_sizes = {40, 10, 20, 20}, .folds = 4});
  CHECK(lc.train_sizes == std::vector<std::size_t>{10, 20, 40});
  CHECK(lc.scoring == "r2");  // no predict_proba: a regressor
  CHECK(lc.val_scores.size() == 3);
  CHECK(lc.val_scores[0].size() == 4);
  CHECK(lc.baseline_score < 0.05);  // the training mean has r2 about 0 on held-out data

  // A custom callable: higher is better, optimum 1 unless wrapped in a Scorer.
  const auto custom = learning_curve([] { return KnnRegressor{2}; }, X, y,
                                     {.train_sizes = {0.5, 1.0},
                                      .folds = 3,
                                      .scoring = [](const Tensor<double>& t, const Tensor<double>& p) {
                                        return -metrics::rmse(t, p);
                                      }});
  CHECK(custom.scoring == "custom");
  CHECK(std::isnan(custom.baseline_score));
  const Scorer max_err{.name = "max_error",
                       .fn =
                           [](const Tensor<double>& t, const Tensor<double>& p) {
                             double m = 0;
                             for (std::size_t i = 0; i < t.size(); ++i)
                               m = std::max(m, std::fabs(t.data()[i] - p.data()[i]));
                             return m;
                           },
                       .greater_is_better = false,
                       .optimum = 0.0};
  const auto worst = learning_curve([] { return KnnRegressor{2}; }, X, y, {.folds = 3, .scoring = max_err});
  CHECK(worst.scoring == "max_error");
  CHECK_FALSE(worst.greater_is_better);
  CHECK(worst.val_mean.back() > 0);

  // float features and targets.
  const auto Xf = X.to<float>();
  const auto yf = y.to<float>();
  const auto lf = learning_curve([] { return LinearRegression{}; }, Xf, yf, {.folds = 3, .scoring = "neg_rmse"});
  CHECK(lf.val_mean.back() < 0);
  CHECK(lf.scoring == "neg_rmse");
}

TEST_CASE("learning_curve with a classifier: accuracy by default, probabilistic scores, stratified folds") {
  Rng rng(9);
  const std::size_t n = 100;
  std::vector<double> xv(n * 2), yv(n);
  for (std::size_t i = 0; i < n; ++i) {
    xv[2 * i] = rng.uniform(-1, 1), xv[2 * i + 1] = rng.uniform(-1, 1);
    yv[i] = i < 70 ? 0 : 1;  // 70/30 classes, unrelated to the order of x
    xv[2 * i] += yv[i] * 0.8;
  }
  const auto X = Tensor<double>::from_vector(xv, Shape{n, 2});
  const auto y = Tensor<double>::from_vector(yv);
  const auto lc = learning_curve([] { return KnnClassifier{5, 2}; }, X, y, {.folds = 5, .stratify = true});
  CHECK(lc.scoring == "accuracy");
  CHECK(lc.baseline_score == doctest::Approx(0.7));  // the majority class of each training part
  CHECK(lc.val_mean.back() > 0.75);

  const auto splits = learning_curve_splits(y, {.folds = 5, .stratify = true});
  for (const auto& s : splits) {
    std::size_t ones = 0;
    for (auto i : s.validation) ones += yv[i] == 1;
    CHECK(s.validation.size() == 20);
    CHECK(ones == 6);  // 30 / 5
  }
  const auto ll = learning_curve([] { return KnnClassifier{7, 2}; }, X, y, {.folds = 5, .scoring = "neg_log_loss"});
  CHECK(ll.scoring == "neg_log_loss");
  CHECK(ll.val_mean.back() < 0);
  CHECK(ll.optimum == 0.0);
  const auto auc = learning_curve([] { return KnnClassifier{7, 2}; }, X, y, {.folds = 5, .scoring = "roc_auc"});
  CHECK(auc.val_mean.back() > 0.65);
  CHECK(auc.baseline_score == doctest::Approx(0.5));  // constant scores rank nothing
}

TEST_CASE("learning_curve's default sizes are LCDB's geometric anchors from max(16, n/32) to n") {
  CHECK(grove::detail::absolute_sizes({}, 1000) ==
        std::vector<std::size_t>{32, 46, 64, 91, 128, 182, 256, 363, 512, 725, 1000});
  CHECK(grove::detail::absolute_sizes({}, 100) == std::vector<std::size_t>{16, 23, 32, 46, 64, 91, 100});
  CHECK(grove::detail::absolute_sizes({}, 10) == std::vector<std::size_t>{10});
  Tensor<double> X, y;
  smooth_regression(120, 0.1, 1, X, y);
  const LearningCurve lc = learning_curve([] { return KnnRegressor{3}; }, X, y, {.folds = 4});
  CHECK(lc.train_sizes == std::vector<std::size_t>{16, 23, 32, 46, 64, 90});  // training parts of 90 rows
}

TEST_CASE("learning_curve validates its input") {
  Tensor<double> X, y;
  smooth_regression(10, 0.1, 1, X, y);
  auto make = [] { return KnnRegressor{1}; };
  CHECK_THROWS_WITH_AS(learning_curve(make, y, y), "learning_curve: X must be 2-D [n, d], got shape [10]", ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, Tensor<double>::zeros(Shape{9})),
                       "learning_curve: X has 10 rows but y has shape [9]", ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, y, {.folds = 1}),
                       "learning_curve: folds must be in [2, 10] (the number of samples), got 1", ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, y, {.folds = 11}),
                       "learning_curve: folds must be in [2, 10] (the number of samples), got 11", ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, y, {.train_sizes = {-0.1, 0.5}}),
                       "learning_curve: train_sizes must be > 0 and finite, got -0.1", ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, y, {.train_sizes = {0.5, 4}}),
                       "learning_curve: train_sizes mixes fractions and counts: 0.5 is neither (all values in (0, 1] "
                       "are fractions; otherwise each must be a whole count >= 1)",
                       ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, y, {.train_sizes = {2, 9}}),
                       "learning_curve: train size 9 exceeds the largest training part (8 samples)", ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, y, {.scoring = "acc"}),
                       "scoring: unknown name 'acc' (known: accuracy, precision, recall, f1, roc_auc, neg_log_loss, "
                       "log_loss, r2, neg_rmse, rmse, neg_mae, mae, neg_mse, mse)",
                       ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, y, {.scoring = "neg_log_loss"}),
                       "learning_curve: scoring 'neg_log_loss' needs predict_proba, which the estimator does not have",
                       ValueError);
  CHECK_THROWS_WITH_AS(learning_curve(make, X, Tensor<double>::zeros(Shape{10, 2}), {.folds = 2, .stratify = true}),
                       "learning_curve: stratify needs y of shape [n] or [n,1], got [10,2]", ValueError);
  CHECK_THROWS_WITH_AS(Scoring(Scorer{.name = "empty", .fn = nullptr}), "scoring: Scorer 'empty' has no function", ValueError);
}

TEST_CASE("a high-capacity model on a small noisy sample overfits, and more data helps") {
  // 1-NN on 150 noisy samples of a wiggly surface: it memorizes (train r2 = 1) and its
  // validation error is still falling steeply.
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    Tensor<double> X, y;
    smooth_regression(150, 0.3, seed, X, y, 3.0);
    const auto lc = learning_curve([] { return KnnRegressor{1}; }, X, y, {.folds = 5, .scoring = "r2", .seed = seed});
    CHECK(lc.train_mean.back() == doctest::Approx(1.0));  // 1-NN reproduces its training data
    const Diagnosis d = diagnose(lc);
    CHECK(d.verdict == Verdict::Overfitting);
    CHECK(d.more_data_helps);
    CHECK(d.projected_val_score_2x > lc.val_mean.back());
  }
}

TEST_CASE("a linear model on a strongly nonlinear target underfits, and more data does not help") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    Rng rng(seed);
    const std::size_t n = 400;
    std::vector<float> xv(n), yv(n);
    for (std::size_t i = 0; i < n; ++i) {
      xv[i] = static_cast<float>(rng.uniform(-2, 2));
      yv[i] = static_cast<float>(xv[i] * xv[i] + 0.1 * rng.normal());
    }
    const auto X = Tensor<float>::from_vector(xv, Shape{n, 1});
    const auto y = Tensor<float>::from_vector(yv);
    const auto lc = learning_curve([] { return LinearRegression{}; }, X, y, {.folds = 5, .scoring = "r2", .seed = seed});
    const Diagnosis d = diagnose(lc);
    CHECK(d.verdict == Verdict::Underfitting);
    CHECK_FALSE(d.more_data_helps);
    CHECK(d.train_score < 0.2);
  }
}

TEST_CASE("a well-specified model on an already flat curve fits well, and more data does not help") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    Rng rng(seed);
    const std::size_t n = 400;
    std::vector<float> xv(n * 2), yv(n);
    for (std::size_t i = 0; i < n; ++i) {
      xv[2 * i] = static_cast<float>(rng.uniform(-1, 1)), xv[2 * i + 1] = static_cast<float>(rng.uniform(-1, 1));
      yv[i] = static_cast<float>(2 * xv[2 * i] - xv[2 * i + 1] + 0.5 + 0.3 * rng.normal());
    }
    const auto X = Tensor<float>::from_vector(xv, Shape{n, 2});
    const auto y = Tensor<float>::from_vector(yv);
    const auto lc = learning_curve([] { return LinearRegression{}; }, X, y,
                                   {.train_sizes = {0.25, 0.4, 0.55, 0.7, 0.85, 1.0}, .folds = 5, .scoring = "r2", .seed = seed});
    const Diagnosis d = diagnose(lc);
    CHECK(d.verdict == Verdict::GoodFit);
    CHECK_FALSE(d.more_data_helps);
    CHECK(d.val_score > 0.9);
  }
}

TEST_CASE("a fit on sizes up to n/2 projects the validation score at n") {
  // 5-NN regression: the validation error falls like a power law toward the noise floor.
  // Stated tolerance: the projected r2 at the full size is within 0.015 of the measured one
  // (over seeds 1..12 the largest miss was 0.0082; the last measured point, at n/2, is 0.01 off).
  for (std::uint64_t seed : {1u, 2u}) {
    CAPTURE(seed);
    Tensor<double> X, y;
    smooth_regression(1000, 0.3, seed, X, y);
    const LearningCurve full = learning_curve(
        [] { return KnnRegressor{5}; }, X, y,
        {.train_sizes = {25, 35, 50, 70, 100, 140, 200, 280, 400, 800}, .folds = 5, .scoring = "r2", .seed = seed});
    REQUIRE(full.train_sizes.back() == 800);
    LearningCurve half = full;  // keep the sizes up to 400 = n/2
    const std::size_t keep = 9;
    half.train_sizes.resize(keep);
    half.train_mean.resize(keep), half.train_std.resize(keep), half.val_mean.resize(keep), half.val_std.resize(keep);
    half.train_scores.resize(keep), half.val_scores.resize(keep), half.fit_times.resize(keep);
    const Diagnosis d = diagnose(half);
    REQUIRE(d.fit.ok);
    const double projected = full.score(d.projection.error_at(800));
    CAPTURE(projected);
    CAPTURE(full.val_mean.back());
    CHECK(std::fabs(projected - full.val_mean.back()) < 0.015);
    CHECK(d.projected_val_score_2x == doctest::Approx(projected));
    CHECK(d.projected_val_score_2x_lo <= full.val_mean.back() + 0.015);
  }
}

TEST_CASE("make_estimator adapts a training loop (closures sharing a model) for learning_curve") {
  // Logistic regression trained by full-batch gradient descent inside the fit callable.
  Rng rng(21);
  const std::size_t n = 120;
  std::vector<double> xv(n * 2), yv(n);
  for (std::size_t i = 0; i < n; ++i) {
    xv[2 * i] = rng.normal(), xv[2 * i + 1] = rng.normal();
    yv[i] = xv[2 * i] + 0.5 * xv[2 * i + 1] + 0.3 * rng.normal() > 0 ? 1 : 0;
  }
  const auto X = Tensor<double>::from_vector(xv, Shape{n, 2});
  const auto y = Tensor<double>::from_vector(yv);
  auto make = [] {
    auto w = std::make_shared<std::vector<double>>(3, 0.0);
    auto proba = [w](const Tensor<double>& Xq) {
      std::vector<double> p(Xq.shape()[0] * 2);
      for (std::size_t i = 0; i < Xq.shape()[0]; ++i) {
        const double z = (*w)[0] + (*w)[1] * Xq.data()[2 * i] + (*w)[2] * Xq.data()[2 * i + 1];
        p[2 * i + 1] = 1 / (1 + std::exp(-z));
        p[2 * i] = 1 - p[2 * i + 1];
      }
      return Tensor<double>::from_vector(p, Shape{Xq.shape()[0], 2});
    };
    auto fit = [w, proba](const Tensor<double>& Xt, const Tensor<double>& yt) {
      for (int epoch = 0; epoch < 200; ++epoch) {
        const auto p = proba(Xt).to_vector();
        double g[3] = {0, 0, 0};
        for (std::size_t i = 0; i < yt.size(); ++i) {
          const double r = p[2 * i + 1] - yt.data()[i];
          g[0] += r, g[1] += r * Xt.data()[2 * i], g[2] += r * Xt.data()[2 * i + 1];
        }
        for (int j = 0; j < 3; ++j) (*w)[static_cast<std::size_t>(j)] -= 0.5 * g[j] / static_cast<double>(yt.size());
      }
    };
    auto predict = [proba](const Tensor<double>& Xq) {
      const auto p = proba(Xq).to_vector();
      std::vector<double> out(Xq.shape()[0]);
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = p[2 * i + 1] > 0.5 ? 1 : 0;
      return Tensor<double>::from_vector(out);
    };
    return make_estimator(fit, predict, proba);
  };
  const auto lc = learning_curve(make, X, y, {.folds = 4, .scoring = "neg_log_loss", .stratify = true});
  CHECK(lc.scoring == "neg_log_loss");
  CHECK(lc.val_mean.back() > -0.45);
  CHECK(lc.val_mean.back() > lc.baseline_score);  // beats the class priors
  const auto acc = learning_curve(make, X, y, {.folds = 4});
  CHECK(acc.scoring == "accuracy");  // the adapter has predict_proba: a classifier
  CHECK(acc.val_mean.back() > 0.85);

  // Two callables: no predict_proba, so the default scoring is r2 and probabilistic ones are refused.
  auto make2 = [] {
    auto mean = std::make_shared<double>(0.0);
    return make_estimator(
        [mean](const Tensor<double>&, const Tensor<double>& yt) {
          *mean = 0;
          for (std::size_t i = 0; i < yt.size(); ++i) *mean += yt.data()[i] / static_cast<double>(yt.size());
        },
        [mean](const Tensor<double>& Xq) { return Tensor<double>::full(Shape{Xq.shape()[0]}, *mean); });
  };
  const auto r2 = learning_curve(make2, X, y, {.folds = 4});
  CHECK(r2.scoring == "r2");
  CHECK(r2.val_mean.back() < 0.01);
  CHECK_THROWS_WITH_AS(learning_curve(make2, X, y, {.folds = 4, .scoring = "roc_auc"}),
                       "learning_curve: scoring 'roc_auc' needs predict_proba, which the estimator does not have",
                       ValueError);
}

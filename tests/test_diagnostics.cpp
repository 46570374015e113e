// Tests for EarlyStopping, the power-law fit and diagnose() on synthetic curves and histories.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "grove/core/rng.hpp"
#include "grove/diagnostics/diagnose.hpp"
#include "grove/diagnostics/early_stopping.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/diagnostics/power_law.hpp"
#include "grove/tensor/tensor.hpp"

using namespace grove;
using namespace grove::diag;

namespace {

// A model whose parameters() hands out Tensor handles sharing its storage (like nn modules).
struct HandleModel {
  Tensor<float> w = Tensor<float>::from_vector({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  std::vector<Tensor<float>> parameters() const { return {w}; }
};

struct PointerModel {
  Tensor<double> a = Tensor<double>::from_vector({1, 2, 3});
  Tensor<double> b = Tensor<double>::from_vector({4});
  std::vector<Tensor<double>*> parameters() { return {&a, &b}; }
};

LearningCurve make_curve(const std::vector<std::size_t>& sizes, const std::vector<double>& train,
                         const std::vector<double>& val, double sd, std::size_t folds = 5) {
  LearningCurve c;
  c.train_sizes = sizes;
  c.train_mean = train;
  c.val_mean = val;
  c.train_std.assign(sizes.size(), sd);
  c.val_std.assign(sizes.size(), sd);
  c.folds = folds;
  c.scoring = "accuracy";
  return c;
}

}  // namespace

TEST_CASE("EarlyStopping tracks the best step and stops after patience") {
  EarlyStopping es({.monitor = "val_loss", .patience = 3, .min_delta = 0.0, .mode = Mode::Min});
  const std::vector<double> v = {1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.96, 0.5};
  std::vector<bool> improved;
  for (std::size_t i = 0; i < 7; ++i) {
    improved.push_back(es.update(i, v[i]));
    CHECK(es.should_stop() == (i >= 6));
  }
  CHECK(improved == std::vector<bool>{true, true, false, true, false, false, false});
  CHECK(es.best_step() == 3);
  CHECK(es.best_value() == 0.79);
  CHECK(es.stopped_step() == 6);
  CHECK(es.wait() == 3);
  CHECK_FALSE(es.maximize());
}

TEST_CASE("EarlyStopping: min_delta, max mode, Auto by name, NaN") {
  EarlyStopping es({.monitor = "val_loss", .patience = 2, .min_delta = 0.01});
  es.update(0, 0.8);
  CHECK_FALSE(es.update(1, 0.795));  // better by less than min_delta
  CHECK(es.update(2, 0.78));
  CHECK_FALSE(es.update(3, std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(es.update(4, 0.9));
  CHECK(es.should_stop());
  CHECK(es.best_step() == 2);

  EarlyStopping acc({.monitor = "val_accuracy", .patience = 1});
  CHECK(acc.maximize());
  acc.update(0, 0.7);
  CHECK(acc.update(1, 0.8));
  CHECK_FALSE(acc.update(2, 0.75));
  CHECK(acc.should_stop());
  EarlyStopping forced({.monitor = "val_accuracy", .mode = Mode::Min});
  CHECK_FALSE(forced.maximize());
  CHECK(std::isnan(EarlyStopping().best_value()));

  CHECK_THROWS_WITH_AS(EarlyStopping({.monitor = "val_loss", .patience = 1, .min_delta = -1}),
                       "EarlyStopping: min_delta must be finite and >= 0, got -1.000000", ValueError);
  CHECK_THROWS_WITH_AS(EarlyStopping({.monitor = ""}), "EarlyStopping: monitor must name a series", ValueError);
}

TEST_CASE("EarlyStopping reads the monitored series from a History") {
  History h;
  EarlyStopping es({.monitor = "val_loss", .patience = 1});
  h.log(1, "train_loss", 1.0);
  h.log(1, "val_loss", 0.9);
  CHECK(es.update(h));
  h.log(2, "val_loss", 0.95);
  CHECK_FALSE(es.update(h));
  CHECK(es.should_stop());
  CHECK(es.best_step() == 1);
  EarlyStopping other({.monitor = "val_auc"});
  CHECK_THROWS_WITH_AS(other.update(h), "History: no series 'val_auc' (known: train_loss, val_loss)", ValueError);
}

TEST_CASE("EarlyStopping snapshots and restores parameters in place") {
  HandleModel m;
  EarlyStopping es({.monitor = "val_loss", .patience = 5});
  CHECK_THROWS_WITH_AS(es.restore_best(m), "EarlyStopping::restore_best: no snapshot taken", ValueError);
  CHECK(es.update(0, 1.0, m));
  CHECK(es.has_snapshot());
  Tensor<float> handle = m.w;  // an optimizer would hold this handle
  m.w.data()[0] = 100.0f;
  CHECK_FALSE(es.update(1, 2.0, m));  // no improvement: the snapshot keeps the old weights
  es.restore_best(m);
  CHECK(handle.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(handle.is_same(m.w));

  PointerModel p;
  EarlyStopping es2;
  es2.snapshot(p);
  p.a.data()[2] = -7;
  p.b.data()[0] = 9;
  es2.restore_best(p);
  CHECK(p.a.to_vector() == std::vector<double>{1, 2, 3});
  CHECK(p.b.to_vector() == std::vector<double>{4});

  // A model whose parameters changed shape cannot take the snapshot.
  p.b = Tensor<double>::from_vector({1, 2});
  CHECK_THROWS_WITH_AS(es2.restore_best(p),
                       "EarlyStopping::restore_best: parameter 1 has 2 elements, snapshot has 1", ShapeError);
  CHECK_THROWS_WITH_AS(es.restore_best(p), "EarlyStopping::restore_best: model has 2 parameters, snapshot has 1",
                       ShapeError);
}

TEST_CASE("EarlyStopping restores into a strided (transposed) parameter view") {
  struct ViewModel {
    Tensor<double> base = Tensor<double>::from_vector({1, 2, 3, 4, 5, 6}, Shape{2, 3});
    Tensor<double> view = base.view_as(Shape{3, 2}, Shape{1, 3}, 0);  // transpose
    std::vector<Tensor<double>> parameters() { return {view}; }
  } m;
  EarlyStopping es;
  es.snapshot(m);  // row-major order of the view: 1 4 2 5 3 6
  std::fill(m.base.data(), m.base.data() + 6, 0.0);
  es.restore_best(m);
  CHECK(m.base.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("fit_power_law recovers a, b, c from exact points") {
  const std::vector<double> n = {50, 100, 200, 400, 800, 1600};
  struct Case {
    double a, b, c;
  };
  for (const Case k : {Case{2.0, 0.5, 0.05}, Case{30.0, 1.3, 0.0}, Case{0.8, 0.25, 0.1}, Case{5.0, 2.0, 0.02}}) {
    CAPTURE(k.a);
    std::vector<double> e;
    for (double x : n) e.push_back(k.a * std::pow(x, -k.b) + k.c);
    const PowerLawFit f = fit_power_law(n, e);
    REQUIRE(f.ok);
    CHECK(f.method == "levenberg-marquardt");
    CHECK(f.a == doctest::Approx(k.a).epsilon(1e-4));
    CHECK(f.b == doctest::Approx(k.b).epsilon(1e-4));
    CHECK(f.c == doctest::Approx(k.c).epsilon(1e-4).scale(1e-6));
    CHECK(f.predict(3200) == doctest::Approx(k.a * std::pow(3200.0, -k.b) + k.c).epsilon(1e-4));
    CHECK(f.local_slope(1600) ==
          doctest::Approx(-k.b * k.a * std::pow(1600.0, -k.b) / (k.a * std::pow(1600.0, -k.b) + k.c)).epsilon(1e-3));
  }
}

TEST_CASE("fit_power_law: n* for a target error, floor, intervals") {
  const std::vector<double> n = {50, 100, 200, 400, 800};
  std::vector<double> e;
  for (double x : n) e.push_back(2.0 * std::pow(x, -0.5) + 0.05);
  const PowerLawFit f = fit_power_law(n, e);
  REQUIRE(f.ok);
  CHECK(f.samples_for(0.1) == doctest::Approx(1600).epsilon(1e-3));  // (2 / 0.05)^2
  CHECK(std::isinf(f.samples_for(0.04)));                            // below the floor c = 0.05
  CHECK(std::isinf(f.samples_for(0.05)));

  // Noisy points: the 95% interval brackets the prediction, and widens away from the data.
  Rng rng(3);
  std::vector<double> en;
  for (double x : n) en.push_back((2.0 * std::pow(x, -0.5) + 0.05) * (1 + 0.03 * rng.normal()));
  const PowerLawFit g = fit_power_law(n, en);
  REQUIRE(g.ok);
  const auto [lo, hi] = g.interval(1600);
  CHECK(lo < g.predict(1600));
  CHECK(hi > g.predict(1600));
  const auto [lo2, hi2] = g.interval(16000);
  CHECK(hi2 - lo2 > 0);
  CHECK(g.c >= 0);
  CHECK(g.c <= *std::min_element(en.begin(), en.end()) + 1e-12);
  CHECK(g.b > 0);
  CHECK(g.b <= 2);
  CHECK(g.dof >= 1);
}

TEST_CASE("fit_power_law falls back to a log-log line with fewer than 4 points") {
  const std::vector<double> n = {100, 400, 1600};
  const std::vector<double> e = {3.0 * std::pow(100.0, -0.7), 3.0 * std::pow(400.0, -0.7), 3.0 * std::pow(1600.0, -0.7)};
  const PowerLawFit f = fit_power_law(n, e);
  REQUIRE(f.ok);
  CHECK(f.method == "log-log line (c = 0)");
  CHECK(f.a == doctest::Approx(3.0).epsilon(1e-9));
  CHECK(f.b == doctest::Approx(0.7).epsilon(1e-9));
  CHECK(f.c == 0);
  // An error that grows with n is clamped to the flattest allowed curve.
  const PowerLawFit up = fit_power_law({100, 200}, {0.1, 0.2});
  REQUIRE(up.ok);
  CHECK(up.b == doctest::Approx(1e-4));
  CHECK_FALSE(fit_power_law({100}, {0.1}).ok);
  CHECK_FALSE(fit_power_law({100, 200}, {0.0, 0.0}).ok);  // no positive error to take a log of
}

TEST_CASE("fit_power_law validates its input") {
  CHECK_THROWS_WITH_AS(fit_power_law({1, 2}, {1}), "fit_power_law: 2 sizes but 1 errors", ValueError);
  CHECK_THROWS_WITH_AS(fit_power_law({1, 2}, {1, 2}, {1}), "fit_power_law: 2 sizes but 1 weights", ValueError);
  CHECK_THROWS_WITH_AS(fit_power_law({0, 2}, {1, 2}), "fit_power_law: size 0 is 0.000000, must be > 0", ValueError);
  CHECK_THROWS_WITH_AS(fit_power_law({1, 2}, {1, 2}, {1, -1}), "fit_power_law: weight 1 is -1.000000, must be >= 0",
                       ValueError);
}

TEST_CASE("diagnose(curve): overfitting with a still-falling validation error") {
  std::vector<std::size_t> sizes = {50, 100, 200, 400, 800};
  std::vector<double> train(5, 1.0), val;
  for (auto s : sizes) val.push_back(1.0 - (1.5 * std::pow(static_cast<double>(s), -0.4) + 0.02));
  // Fold noise 1e-5: the exact family's holdout error is far below the noise, so it takes
  // (nearly) all the weight and the projection reproduces the law.
  LearningCurve c = make_curve(sizes, train, val, 1e-5);
  c.baseline_score = 0.5;
  const Diagnosis d = diagnose(c, {.target_score = 0.9});
  CHECK(d.verdict == Verdict::Overfitting);
  CHECK(d.more_data_helps);
  CHECK(d.gap == doctest::Approx(1.0 - val.back()));
  CHECK(d.projected_val_score_2x == doctest::Approx(1.0 - (1.5 * std::pow(1600.0, -0.4) + 0.02)).epsilon(1e-3));
  CHECK(d.projected_val_score_2x_lo <= d.projected_val_score_2x);
  CHECK(d.projected_val_score_2x_hi >= d.projected_val_score_2x);
  CHECK(d.projected_val_score_10x > d.projected_val_score_2x);
  // n* = (a / (err* - c))^(1/b) with err* = 0.1.
  CHECK(d.samples_for_target == doctest::Approx(std::pow(1.5 / 0.08, 1 / 0.4)).epsilon(2e-3));
  CHECK(d.target_reachable);
  CHECK(d.summary.find("overfits") != std::string::npos);
  CHECK(d.summary.find("More data should help") != std::string::npos);

  const Diagnosis unreachable = diagnose(c, {.target_score = 0.99});
  CHECK_FALSE(unreachable.target_reachable);
  CHECK(std::isinf(unreachable.samples_for_target));
  CHECK(unreachable.summary.find("not reachable") != std::string::npos);
}

TEST_CASE("diagnose(curve): flat curves read as underfitting or good fit, with no help from data") {
  const std::vector<std::size_t> sizes = {50, 100, 200, 400, 800};
  LearningCurve under = make_curve(sizes, {0.58, 0.57, 0.56, 0.56, 0.56}, {0.53, 0.545, 0.55, 0.553, 0.554}, 0.01);
  under.baseline_score = 0.5;  // barely better than guessing the majority class
  const Diagnosis du = diagnose(under);
  CHECK(du.verdict == Verdict::Underfitting);
  CHECK_FALSE(du.more_data_helps);
  CHECK(du.summary.find("underfits") != std::string::npos);

  LearningCurve good = make_curve(sizes, {0.955, 0.952, 0.951, 0.95, 0.95}, {0.935, 0.942, 0.945, 0.946, 0.946}, 0.004);
  good.baseline_score = 0.5;
  const Diagnosis dg = diagnose(good);
  CHECK(dg.verdict == Verdict::GoodFit);
  CHECK_FALSE(dg.more_data_helps);
  CHECK(dg.projected_gain_2x < dg.noise);
  CHECK(dg.summary.find("Training and validation agree") != std::string::npos);
  CHECK(dg.summary.find("More data of the same kind will help little") != std::string::npos);
}

TEST_CASE("diagnose(curve): a large gap inside the fold noise is inconclusive") {
  const std::vector<std::size_t> sizes = {50, 100, 200, 400};
  LearningCurve c = make_curve(sizes, {0.9, 0.9, 0.9, 0.9}, {0.7, 0.72, 0.74, 0.75}, 0.4, 3);
  const Diagnosis d = diagnose(c);
  CHECK(d.verdict == Verdict::Inconclusive);
  CHECK(d.gap_se == doctest::Approx(std::sqrt(0.32) / std::sqrt(3.0)));
}

TEST_CASE("diagnose(curve) converts loss-like scorings (lower is better)") {
  const std::vector<std::size_t> sizes = {40, 80, 160, 320, 640};
  std::vector<double> val, train;
  for (auto s : sizes) {
    val.push_back(4.0 * std::pow(static_cast<double>(s), -0.5) + 0.3);
    train.push_back(0.25);
  }
  LearningCurve c = make_curve(sizes, train, val, 0.005);
  c.scoring = "rmse";
  c.greater_is_better = false;
  c.optimum = 0.0;
  const Diagnosis d = diagnose(c, {.target_score = 0.4});
  CHECK(d.projected_val_score_2x < val.back());  // a loss falls with more data
  CHECK(d.projected_val_score_2x == doctest::Approx(4.0 * std::pow(1280.0, -0.5) + 0.3).epsilon(1e-3));
  CHECK(d.gap == doctest::Approx(val.back() - 0.25));
  CHECK(d.samples_for_target == doctest::Approx(1600).epsilon(2e-3));  // (4 / 0.1)^2
  CHECK(d.more_data_helps);
  CHECK(d.fit.c == doctest::Approx(0.3).epsilon(1e-3));
}

TEST_CASE("diagnose(curve) falls back to a log-log line with 3 sizes and validates the curve") {
  LearningCurve c = make_curve({100, 200, 400}, {1, 1, 1}, {0.8, 0.85, 0.8875}, 0.01);
  const Diagnosis d = diagnose(c);
  CHECK(d.fit.method == "log-log line (c = 0)");
  CHECK(d.fit.c == 0);

  LearningCurve bad = c;
  bad.val_std.pop_back();
  CHECK_THROWS_WITH_AS(diagnose(bad), "diagnose: val_std has 2 values for 3 train sizes", ValueError);
  bad = c;
  bad.train_sizes = {100, 100, 400};
  CHECK_THROWS_WITH_AS(diagnose(bad), "diagnose: train_sizes must be positive and increasing, got 100 at position 1",
                       ValueError);
  CHECK_THROWS_WITH_AS(diagnose(LearningCurve{}), "diagnose: learning curve has no sizes", ValueError);
  CHECK_THROWS_WITH_AS(diagnose(c, {.high_error = 0}), "diagnose: high_error and gap_ratio must be > 0, got 0 and 0.25",
                       ValueError);
  CHECK_THROWS_WITH_AS(diagnose(c, {.min_relative_gain = -1}),
                       "diagnose: min_relative_gain and min_baseline_gain must be >= 0, got -1 and 0.02", ValueError);
}

TEST_CASE("diagnose(history) finds a known turning point") {
  History h;
  Rng rng(11);
  for (std::size_t t = 0; t <= 80; ++t) {
    const double td = static_cast<double>(t);
    h.log(t, "train_loss", 1.0 / (1.0 + 0.1 * td));
    h.log(t, "val_loss", 0.4 + 0.0004 * (td - 30) * (td - 30) + 0.001 * (rng.uniform() - 0.5));
  }
  const Diagnosis d = diagnose(h, "train_loss", "val_loss");
  CHECK(d.verdict == Verdict::Overfitting);
  REQUIRE(d.best_step.has_value());
  CHECK(*d.best_step >= 28);
  CHECK(*d.best_step <= 32);
  REQUIRE(d.overfit_step.has_value());
  CHECK(*d.overfit_step > *d.best_step);
  // GL crosses 5% where 0.0004·(t−30)² > 0.02, i.e. t ≈ 37.
  CHECK(*d.overfit_step >= 35);
  CHECK(*d.overfit_step <= 39);
  CHECK(d.max_generalization_loss == doctest::Approx(250).epsilon(0.02));
  CHECK(d.generalization_loss.size() == 81);
  CHECK(d.summary.find("after step " + std::to_string(*d.best_step)) != std::string::npos);
  CHECK(d.more_data_helps);
  CHECK(d.training_progress > 0);
}

TEST_CASE("diagnose(history): converged, still improving, noisy plateau, accuracy series") {
  History conv;
  for (std::size_t t = 0; t < 80; ++t) {
    const double td = static_cast<double>(t);
    conv.log(t, "train_loss", 0.28 + 0.7 * std::exp(-td / 5));
    conv.log(t, "val_loss", 0.3 + 0.7 * std::exp(-td / 5));
  }
  const Diagnosis dc = diagnose(conv);
  CHECK(dc.verdict == Verdict::GoodFit);
  CHECK_FALSE(dc.overfit_step.has_value());

  History still;
  for (std::size_t t = 0; t < 40; ++t) {
    still.log(t, "train_loss", 1.0 / (1.0 + 0.06 * static_cast<double>(t)));
    still.log(t, "val_loss", 1.0 / (1.0 + 0.05 * static_cast<double>(t)));
  }
  const Diagnosis ds = diagnose(still);
  CHECK(ds.verdict == Verdict::Underfitting);
  CHECK(*ds.best_step == 39);
  CHECK(ds.summary.find("not finished learning") != std::string::npos);

  // Pure noise around a plateau: spikes above 5% GL but within the step-to-step noise.
  History noisy;
  Rng rng(5);
  for (std::size_t t = 0; t < 100; ++t) {
    noisy.log(t, "train_loss", 0.45);
    noisy.log(t, "val_loss", 0.5 + 0.04 * (rng.uniform() - 0.5));
  }
  const Diagnosis dn = diagnose(noisy);
  CHECK(dn.max_generalization_loss > 5);
  CHECK(dn.verdict != Verdict::Overfitting);

  // A score series (higher is better) that peaks at step 20.
  History acc;
  for (std::size_t t = 0; t <= 60; ++t) {
    const double td = static_cast<double>(t);
    acc.log(t, "train_accuracy", std::min(1.0, 0.6 + 0.01 * td));
    acc.log(t, "val_accuracy", 0.9 - 0.0005 * (td - 20) * (td - 20));
  }
  const Diagnosis da = diagnose(acc, "train_accuracy", "val_accuracy");
  CHECK(da.greater_is_better);
  CHECK(*da.best_step == 20);
  CHECK(da.best_value == doctest::Approx(0.9));
  CHECK(da.verdict == Verdict::Overfitting);
}

TEST_CASE("diagnose(history) validates its input") {
  History h;
  h.log(0, "loss", 1.0);
  CHECK_THROWS_WITH_AS(diagnose(h, "loss", "val_loss"), "History: no series 'val_loss' (known: loss)", ValueError);
  CHECK_THROWS_WITH_AS(diagnose(h, "train_loss", "loss"), "History: no series 'train_loss' (known: loss)", ValueError);
  h.log(0, "val", 1.0);
  h.log(1, "val", 1.1);
  const Diagnosis d = diagnose(h, "loss", "val");
  CHECK(d.verdict == Verdict::Inconclusive);
  CHECK(d.summary.find("Only 2 validation points") != std::string::npos);
  CHECK_THROWS_WITH_AS(diagnose(h, "loss", "val", {.gl_threshold = 0}), "diagnose: gl_threshold must be > 0 (percent), got 0",
                       ValueError);
}

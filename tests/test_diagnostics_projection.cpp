// Curve families, project_curve and the projection part of diagnose(curve): known answers
// (exact laws, saturated curves, random labels, ill-behaved curves), intervals, samples for a
// target, fit-time extrapolation and the words of the verdict.
#include <doctest/doctest.h>

#include <grove/diagnostics.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::diag;

namespace {

/// A curve with per-fold scores: fold f's validation score is mean + offset[f] (offsets sum to
/// zero, so the means are exact), training scores 1, fit time 1e-3·n seconds.
LearningCurve curve_from(const std::vector<std::size_t>& sizes, const std::vector<double>& val, double spread,
                         std::size_t folds = 5) {
  LearningCurve c;
  c.train_sizes = sizes;
  c.folds = folds;
  c.scoring = "accuracy";
  c.baseline_score = 0.1;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    std::vector<double> vf, tf, ft;
    for (std::size_t f = 0; f < folds; ++f) {
      const double off = spread * (static_cast<double>(f) - 0.5 * static_cast<double>(folds - 1));
      // alternate the offsets' sign by size so folds are not perfectly ordered
      vf.push_back(val[i] + ((i + f) % 2 ? off : -off));
      tf.push_back(1.0);
      ft.push_back(1e-3 * static_cast<double>(sizes[i]));
    }
    double m = 0, s = 0;
    for (double v : vf) m += v / static_cast<double>(folds);
    for (double v : vf) s += (v - m) * (v - m) / static_cast<double>(folds);
    c.val_mean.push_back(m), c.val_std.push_back(std::sqrt(s));
    c.train_mean.push_back(1.0), c.train_std.push_back(0.0);
    c.val_scores.push_back(vf), c.train_scores.push_back(tf), c.fit_times.push_back(ft);
  }
  return c;
}

const std::vector<std::size_t> kSizes = {64, 91, 128, 182, 256, 363, 512, 725, 1024};

}  // namespace

TEST_CASE("fit_curve recovers each family from its own exact curve") {
  std::vector<double> n;
  for (auto s : kSizes) n.push_back(static_cast<double>(s));
  struct Known {
    CurveFamily family;
    double c, A, t0, t1;
  };
  const Known cases[] = {{CurveFamily::Pow2, 0.0, 0.3, 0.5, 0},   {CurveFamily::Pow3, 0.05, 0.3, 0.7, 0},
                         {CurveFamily::Pow4, 0.05, 0.3, 0.8, 0.2}, {CurveFamily::Mmf4, 0.05, 0.6, 0.5, 1.2},
                         {CurveFamily::Wbl4, 0.05, 0.6, 3.0, 0.7}, {CurveFamily::Exp3, 0.05, 0.6, 2.0, 0},
                         {CurveFamily::Ilog2, 0.05, 1.0, 0, 0}};
  for (const auto& k : cases) {
    CAPTURE(to_string(k.family));
    CurveFit truth;
    truth.family = k.family, truth.ok = true, truth.c = k.c, truth.A = k.A, truth.theta = {k.t0, k.t1};
    truth.n_ref = 1024;
    std::vector<double> e;
    for (double x : n) e.push_back(truth.predict(x));
    const CurveFit f = fit_curve(k.family, n, e);
    REQUIRE(f.ok);
    for (double x : {1024.0, 2048.0, 10240.0}) CHECK(f.predict(x) == doctest::Approx(truth.predict(x)).epsilon(2e-3));
    CHECK(f.rss < 1e-9);
  }
  // Bounds: the asymptote stays within [floor_lo, smallest error].
  std::vector<double> e;
  for (double x : n) e.push_back(0.3 * std::pow(x / 1024, -0.5));
  const CurveFit raised = fit_curve(CurveFamily::Pow3, n, e, {}, {.floor_lo = 0.1});
  CHECK(raised.c >= 0.1 - 1e-12);
  CHECK(raised.c <= e.back() + 1e-12);
  CHECK(std::string(to_string(CurveFamily::Mmf4)) == "mmf4");
}

TEST_CASE("fit_curve validates its input and skips unusable points") {
  CHECK_THROWS_WITH_AS(fit_curve(CurveFamily::Pow3, {1, 2}, {1}), "fit_curve: 2 sizes but 1 errors", ValueError);
  CHECK_THROWS_WITH_AS(fit_curve(CurveFamily::Pow3, {1, 2}, {1, 2}, {1}), "fit_curve: 2 sizes but 1 weights",
                       ValueError);
  CHECK_THROWS_WITH_AS(fit_curve(CurveFamily::Pow3, {0, 2}, {1, 2}), "fit_curve: size 0 is 0, must be > 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(fit_curve(CurveFamily::Pow3, {1, 2}, {1, 2}, {1, -1}), "fit_curve: weight 1 is -1, must be >= 0",
                       ValueError);
  CHECK_FALSE(fit_curve(CurveFamily::Pow3, {1, 2}, {0.5, NAN}).ok);
  CHECK_FALSE(fit_curve(CurveFamily::Pow3, {1, 2}, {0.5, 0.4}, {1, 0}).ok);
}

TEST_CASE("project_curve: an exact power law is projected exactly, inside a tight interval") {
  // err = 0.8·(n/64)^(-0.4): a pure power law (no floor), fold noise 1e-4.
  std::vector<double> val;
  for (auto s : kSizes) val.push_back(1.0 - 0.8 * std::pow(static_cast<double>(s) / 64, -0.4));
  const LearningCurve c = curve_from(kSizes, val, 1e-4);
  const Projection p = project_curve(c);
  REQUIRE(p.ok);
  CHECK(p.reliable);
  CHECK(p.reason.empty());
  CHECK(p.reliable_at(10240));  // a straight line in log-log space does not steepen
  CHECK(p.reason_at(10240).empty());
  for (double k : {2.0, 4.0, 10.0}) {
    const double n = k * 1024, want = 1.0 - 0.8 * std::pow(n / 64, -0.4);
    const ProjectedScore ps = p.at(n);
    CHECK(ps.score == doctest::Approx(want).epsilon(1e-3));
    CHECK(ps.lo <= ps.score);
    CHECK(ps.hi >= ps.score);
    CHECK(ps.hi <= 1.0);  // clipped to the score's range
  }
  // Samples for 0.9: (0.8 / 0.1)^(1/0.4)·64.
  const SamplesNeeded sn = p.samples_for(0.9);
  CHECK(sn.n == doctest::Approx(64 * std::pow(8.0, 2.5)).epsilon(2e-3));
  CHECK(sn.lo <= sn.n);
  CHECK(sn.hi >= sn.n);
  CHECK(p.samples_for(val.back() - 0.01).n == doctest::Approx(1024.0));  // already met: no more data needed
  // Fit time 1e-3·n: exponent 1, 10x costs 10x.
  CHECK(p.time_exponent == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(p.fit_seconds(10240) == doctest::Approx(10.24).epsilon(1e-6));
}

TEST_CASE("diagnose: a still-improving exact curve says more data helps, with consistent numbers") {
  std::vector<double> val;
  for (auto s : kSizes) val.push_back(1.0 - 0.8 * std::pow(static_cast<double>(s) / 64, -0.4));
  const LearningCurve c = curve_from(kSizes, val, 1e-3);
  const Diagnosis d = diagnose(c, {.target_score = 0.9, .model = ModelKind::Trees});
  CHECK(d.projection_reliable);
  CHECK(d.projection_reliable_10x);
  CHECK(d.projection_note_10x.empty());
  CHECK(d.more_data_helps);
  CHECK(d.projected_val_score_2x == doctest::Approx(1.0 - 0.8 * std::pow(2048.0 / 64, -0.4)).epsilon(2e-3));
  CHECK(d.projected_gain_2x == doctest::Approx(d.projected_val_score_2x - d.val_score));
  CHECK(d.projected_gain_2x > d.noise);
  CHECK(d.projected_val_score_2x_lo <= d.projected_val_score_2x);
  CHECK(d.projected_val_score_10x_hi <= 1.0);
  CHECK(d.target_reachable);
  CHECK(d.samples_for_target_lo <= d.samples_for_target);
  CHECK(d.fit_seconds == doctest::Approx(1.024));
  CHECK(d.fit_seconds_10x == doctest::Approx(10.24).epsilon(1e-6));
  CHECK(d.summary.find("More data should help: doubling the training set to 2048 samples is projected to move the "
                       "validation accuracy from " + grove::detail::fmt(d.val_score) + " to " +
                       grove::detail::fmt(d.projected_val_score_2x)) != std::string::npos);
  CHECK(d.summary.find("One fit takes 1.02 s on 1024 samples; about 2.05 s on 2048 and 10.2 s on 10x.") !=
        std::string::npos);
  CHECK(d.summary.find("dropout") == std::string::npos);  // trees have no dropout
  CHECK(d.summary.find("shallower trees") != std::string::npos);
  const std::string j = to_json(d);
  CHECK(j.find("\"projection_reliable\":true") != std::string::npos);
  CHECK(j.find("\"model\":\"trees\"") != std::string::npos);
  CHECK(j.find("\"family\":\"pow2\"") != std::string::npos);
}

TEST_CASE("diagnose: advice names the levers of the model kind (a forest has no rounds or learning rate)") {
  // Training accuracy 1, validation about 0.8 and still rising: overfitting.
  std::vector<double> val;
  for (auto s : kSizes) val.push_back(1.0 - 0.6 * std::pow(static_cast<double>(s) / 64, -0.4));
  const LearningCurve c = curve_from(kSizes, val, 1e-3);
  const Diagnosis forest = diagnose(c, {.model = ModelKind::Forest});
  REQUIRE(forest.verdict == Verdict::Overfitting);
  CHECK(forest.summary.find("To narrow the gap try shallower trees or larger leaves (max_depth, min_samples_leaf), "
                            "fewer features per split (max_features).") != std::string::npos);
  CHECK(forest.summary.find("rounds") == std::string::npos);
  CHECK(forest.summary.find("learning rate") == std::string::npos);
  CHECK(to_json(forest).find("\"model\":\"forest\"") != std::string::npos);
  const Diagnosis boosting = diagnose(c, {.model = ModelKind::Boosting});
  CHECK(boosting.summary.find("fewer rounds or a lower learning rate") != std::string::npos);
  CHECK(boosting.summary.find("dropout") == std::string::npos);
  CHECK(to_json(boosting).find("\"model\":\"boosting\"") != std::string::npos);
}

TEST_CASE("diagnose: a saturated curve gets no help from data and a projection near its last score") {
  std::vector<double> val;
  for (std::size_t i = 0; i < kSizes.size(); ++i) val.push_back(0.95 - 0.01 * std::exp(-static_cast<double>(i)));
  const LearningCurve c = curve_from(kSizes, val, 4e-3);
  const Diagnosis d = diagnose(c);
  CHECK(d.projection_reliable);
  CHECK_FALSE(d.more_data_helps);
  CHECK(std::fabs(d.projected_val_score_2x - 0.95) < 2e-3);
  CHECK(std::fabs(d.projected_val_score_10x - 0.95) < 4e-3);
  CHECK(d.summary.find("More data of the same kind will help little") != std::string::npos);
}

TEST_CASE("diagnose: random labels (a curve at chance) are called unreliable, never a help from data") {
  // Ten balanced classes, labels unrelated to the features: accuracy wanders around 0.1 while a
  // trivial model also scores 0.1.
  const std::vector<double> val = {0.102, 0.097, 0.101, 0.099, 0.1, 0.098, 0.101, 0.097, 0.096};
  LearningCurve c = curve_from(kSizes, val, 0.01);
  c.baseline_score = 0.1;
  const Diagnosis d = diagnose(c);
  CHECK_FALSE(d.more_data_helps);
  CHECK(std::fabs(d.projected_val_score_10x - 0.1) < 0.01);
  CHECK(d.summary.find("More data should help") == std::string::npos);
}

TEST_CASE("project_curve: ill-behaved curves are unreliable and say why") {
  // The validation error rises with more data beyond the fold noise.
  std::vector<double> val = {0.60, 0.65, 0.70, 0.74, 0.78, 0.80, 0.79, 0.76, 0.72};
  const Projection rising = project_curve(curve_from(kSizes, val, 1e-3));
  CHECK_FALSE(rising.reliable);
  CHECK(rising.reason == "the validation error rises with more data (from 0.21 at n = 512 to 0.28 at n = 1024)");
  const Diagnosis d = diagnose(curve_from(kSizes, val, 1e-3));
  CHECK_FALSE(d.more_data_helps);
  CHECK(d.summary.find("Whether more data helps cannot be told from this curve: the validation error rises") !=
        std::string::npos);

  // Too few points.
  const Projection few = project_curve(curve_from({100, 200, 400}, {0.7, 0.75, 0.8}, 1e-3));
  CHECK_FALSE(few.reliable);
  CHECK(few.reason == "too few points on the curve (3; need 4)");


  // A zig-zag far beyond its fold noise.
  const Projection zig = project_curve(curve_from(kSizes, {0.5, 0.7, 0.55, 0.75, 0.6, 0.8, 0.65, 0.85, 0.86}, 1e-4));
  CHECK_FALSE(zig.reliable);
  CHECK(zig.reason.rfind("the curve is too irregular for its fold noise", 0) == 0);
}

TEST_CASE("project_curve: a still-steepening curve keeps its 10x value with a caveat, or flags it on request") {
  // Error 0.9 / (1 + (n/500)^1.2): a curve leaving its chance plateau (ten classes), whose
  // log-log slope grows from about −0.05 to −0.37 over the anchors. Every family flattens from
  // the last point on, so the far values are the least certain.
  const std::vector<std::size_t> sizes = {16, 23, 32, 46, 64, 91, 128, 182, 256};
  std::vector<double> val;
  for (auto s : sizes) val.push_back(1.0 - 0.9 / (1.0 + std::pow(static_cast<double>(s) / 500, 1.2)));
  const LearningCurve c = curve_from(sizes, val, 0.01);
  const Projection p = project_curve(c);
  REQUIRE(p.ok);
  CHECK(p.reliable);
  CHECK(std::isinf(p.trusted_size));
  CHECK(p.reliable_at(2560));
  CHECK(p.reason_at(2560).empty());
  CHECK(p.far_reason.empty());
  CHECK(p.far_note.rfind("the curve is still steepening (its log-log slope went from -0.", 0) == 0);
  CHECK(p.far_note.find("between n = 32 and 256) while every curve family flattens from here, so the far values are "
                        "the least certain") != std::string::npos);
  // The 10x value and its interval are given, with the caveat beside them.
  const Diagnosis d = diagnose(c);
  CHECK(d.projection_reliable);
  CHECK(d.projection_reliable_10x);
  CHECK(d.projection_note_10x == p.far_note);
  CHECK(d.more_data_helps);
  CHECK(d.projected_val_score_10x > d.projected_val_score_2x);
  CHECK(d.projected_val_score_10x_lo < d.projected_val_score_10x);
  CHECK(d.projected_val_score_10x_hi > d.projected_val_score_10x);
  CHECK(d.summary.find(", and 10x the data to ") != std::string::npos);
  CHECK(d.summary.find("(the curve is still steepening") != std::string::npos);
  CHECK(to_json(d).find("\"projection_reliable_10x\":true") != std::string::npos);
  // trusted_size_steep = 4 withholds the 10x value, keeps 2x and 4x, and says why.
  const Projection q = project_curve(c, {.trusted_size_steep = 4});
  CHECK(q.reliable);
  CHECK(q.trusted_size == doctest::Approx(1024));
  CHECK(q.reliable_at(512));
  CHECK(q.reliable_at(1024));
  CHECK_FALSE(q.reliable_at(2560));
  CHECK(q.reason_at(512).empty());
  CHECK(q.reason_at(2560).rfind("the curve is still steepening (its log-log slope went from -0.", 0) == 0);
  CHECK(q.reason_at(2560).find("so the value beyond 1024 samples cannot be told from these points") != std::string::npos);
  const Diagnosis dq = diagnose(c, {.projection = {.trusted_size_steep = 4}});
  CHECK(dq.projection_reliable);
  CHECK_FALSE(dq.projection_reliable_10x);
  CHECK(dq.projection_note_10x == q.far_reason);
  CHECK(dq.summary.find("What 10x the data gives cannot be told: the curve is still steepening") != std::string::npos);
  CHECK(to_json(dq).find("\"projection_reliable_10x\":false") != std::string::npos);
  // With five times the fold noise the bend is within the noise: no caveat.
  const LearningCurve noisy = curve_from(sizes, val, 0.05);
  CHECK(project_curve(noisy).far_note.empty());
  CHECK(project_curve(noisy, {.trusted_size_steep = 4}).reliable_at(2560));
  // A threshold beyond any t-statistic never notes or flags.
  CHECK(project_curve(c, {.steepening_t = 1e9, .trusted_size_steep = 4}).reliable_at(2560));
  CHECK(project_curve(c, {.steepening_t = 1e9}).far_note.empty());
}

TEST_CASE("diagnose: below a trivial model for good is projected, and more data is called no help") {
  // Accuracy creeping from 0.20 to 0.28 against a trivial 0.5: projected, but still below 0.5 at 10x.
  LearningCurve below = curve_from(kSizes, {0.2, 0.21, 0.22, 0.23, 0.24, 0.25, 0.26, 0.27, 0.28}, 1e-3);
  below.baseline_score = 0.5;
  const Projection pb = project_curve(below);
  CHECK(pb.reliable);
  CHECK(pb.reason.empty());
  const Diagnosis d = diagnose(below);
  CHECK(d.projection_reliable);
  CHECK(d.stays_below_trivial);
  CHECK_FALSE(d.more_data_helps);
  CHECK(d.projected_val_score_2x > 0.28);  // the projection itself still rises
  CHECK(d.projected_val_score_10x < 0.5);
  CHECK(d.summary.find("More data of the same kind will not make this model useful: it scores below a trivial model "
                       "(0.28 vs 0.5) and is projected to stay below it with 10x the data (") != std::string::npos);
  CHECK(d.summary.find("the features or the model have to change first.") != std::string::npos);
  CHECK(to_json(d).find("\"stays_below_trivial\":true") != std::string::npos);
  // Without a known baseline nothing is below it.
  below.baseline_score = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(diagnose(below).stays_below_trivial);
}

TEST_CASE("project_curve: below the trivial model but projected to pass it is projected like any other curve") {
  // Accuracy 1 − 0.9·(n/64)^(−0.15): 0.41 at 1024 against a trivial 0.5, projected to 0.58 at 10x.
  std::vector<double> val;
  for (auto s : kSizes) val.push_back(1.0 - 0.9 * std::pow(static_cast<double>(s) / 64, -0.15));
  LearningCurve c = curve_from(kSizes, val, 1e-3);
  c.baseline_score = 0.5;
  const Projection p = project_curve(c);
  CHECK(p.reliable);
  CHECK(p.reason.empty());
  CHECK(p.at(10240).score == doctest::Approx(1.0 - 0.9 * std::pow(160.0, -0.15)).epsilon(5e-3));
  const Diagnosis d = diagnose(c);
  CHECK_FALSE(d.stays_below_trivial);  // projected to pass the trivial model
  CHECK(d.more_data_helps);
}

TEST_CASE("project_curve validates its options") {
  const LearningCurve c = curve_from(kSizes, std::vector<double>(kSizes.size(), 0.9), 1e-3);
  CHECK_THROWS_WITH_AS(project_curve(c, {.families = {}}), "project_curve: options.families is empty", ValueError);
  CHECK_THROWS_WITH_AS(project_curve(c, {.interval_z = 0}), "project_curve: interval_z must be > 0, got 0", ValueError);
  CHECK_THROWS_WITH_AS(project_curve(c, {.steepening_t = -1}), "project_curve: steepening_t must be >= 0, got -1",
                       ValueError);
  CHECK_THROWS_WITH_AS(project_curve(c, {.trusted_size_steep = 0.5}),
                       "project_curve: trusted_size_steep must be >= 1, got 0.5", ValueError);
  LearningCurve bad = c;
  bad.val_std.pop_back();
  CHECK_THROWS_WITH_AS(project_curve(bad), "project_curve: val_mean/val_std have 9/8 values for 9 train sizes",
                       ValueError);
}

TEST_CASE("diagnose words: a loss is called a loss, and the history advice fits the model") {
  std::vector<double> val;
  for (auto s : kSizes) val.push_back(-(0.3 + 0.5 * std::pow(static_cast<double>(s) / 64, -0.5)));
  LearningCurve c = curve_from(kSizes, val, 1e-3);
  c.scoring = "neg_log_loss";
  c.optimum = 0.0;
  c.baseline_score = -2.3;
  const Diagnosis d = diagnose(c);
  CHECK(d.summary.find("log-loss (a loss: lower is better)") != std::string::npos);
  CHECK(d.summary.find("against " + grove::detail::fmt(-d.val_score) + " now") != std::string::npos);  // the loss itself
  CHECK(d.summary.find("below what counts as material here") != std::string::npos);

  History h;
  for (std::size_t t = 1; t <= 40; ++t) {
    h.log(t, "train_loss", 0.8 + std::exp(-static_cast<double>(t) / 2));
    h.log(t, "val_loss", 0.82 + std::exp(-static_cast<double>(t) / 2) + (t % 2 ? 1e-3 : -1e-3));
  }
  const Diagnosis hd = diagnose(h, "train_loss", "val_loss", {.model = ModelKind::Trees});
  CHECK(hd.verdict == Verdict::GoodFit);
  CHECK(hd.summary.find("Whether 0.819 is good depends on the task: compare it with a trivial model's loss") !=
        std::string::npos);
}

TEST_CASE("seconds_words: three significant digits in the unit that fits") {
  using grove::detail::seconds_words;
  CHECK(seconds_words(0.36) == "360 ms");  // not 3.6e+02 ms
  CHECK(seconds_words(0.0354) == "35.4 ms");
  CHECK(seconds_words(2.048) == "2.05 s");
  CHECK(seconds_words(119) == "119 s");
  CHECK(seconds_words(210) == "3.5 min");
  CHECK(seconds_words(3 * 3600) == "3 h");
  CHECK(seconds_words(std::numeric_limits<double>::infinity()) == "n/a");
}

TEST_CASE("diagnose: a target whose upper interval edge is never reached says so in words") {
  // Error 0.05 + 0.5·(n/64)^(−0.5) with fold noise 0.01: the target 0.935 (error 0.065) is reached
  // by the central projection, but the pessimistic edge of the interval never gets there.
  std::vector<double> val;
  for (auto s : kSizes) val.push_back(0.95 - 0.5 * std::pow(static_cast<double>(s) / 64, -0.5));
  const Diagnosis d = diagnose(curve_from(kSizes, val, 0.01), {.target_score = 0.935});
  REQUIRE(d.target_reachable);
  REQUIRE(std::isinf(d.samples_for_target_hi));
  CHECK(d.summary.find(" to more than the curve can tell; now 1024)") != std::string::npos);
  CHECK(d.summary.find("to inf") == std::string::npos);
}

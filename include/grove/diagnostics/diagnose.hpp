#pragma once
/// \file diagnose: reads a learning curve or a training history and says whether the model
/// overfits, underfits or fits well, whether more data would help and by how much, in numbers
/// and in a paragraph a non-expert can act on.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/diagnostics/early_stopping.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/diagnostics/learning_curve.hpp"
#include "grove/diagnostics/power_law.hpp"
#include "grove/diagnostics/projection.hpp"
#include "grove/core/format.hpp"

namespace grove::diag {

/// The overall reading of the curves.
enum class Verdict { Underfitting, Overfitting, GoodFit, Inconclusive };

/// "underfitting", "overfitting", "good fit" or "inconclusive".
inline const char* to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::Underfitting: return "underfitting";
    case Verdict::Overfitting: return "overfitting";
    case Verdict::GoodFit: return "good fit";
    case Verdict::Inconclusive: return "inconclusive";
  }
  return "inconclusive";
}

/// The kind of model behind a curve, so the advice names levers it has (no dropout for trees).
enum class ModelKind {
  Any,        ///< unknown: advice names the levers of every kind
  Trees,      ///< decision trees, random forests, gradient boosting
  NeuralNet,  ///< networks trained by gradient descent
  Linear,     ///< linear and generalized linear models
  Neighbors,  ///< k-nearest neighbours and other instance-based models
  Forest,     ///< random forests and single decision trees (no rounds, no learning rate)
  Boosting,   ///< gradient-boosted trees
};

/// "any", "trees", "neural net", "linear", "neighbors", "forest" or "boosting".
inline const char* to_string(ModelKind k) noexcept {
  switch (k) {
    case ModelKind::Any: return "any";
    case ModelKind::Trees: return "trees";
    case ModelKind::NeuralNet: return "neural net";
    case ModelKind::Linear: return "linear";
    case ModelKind::Neighbors: return "neighbors";
    case ModelKind::Forest: return "forest";
    case ModelKind::Boosting: return "boosting";
  }
  return "any";
}

/// Thresholds and the user's goal.
struct DiagnoseOptions {
  /// A score you want to reach (in the curve's scoring units); samples_for_target then says
  /// how many training samples the fitted curve needs for it. NaN: none.
  double target_score = std::numeric_limits<double>::quiet_NaN();
  /// Training error at or above this fraction of the trivial baseline's error counts as high
  /// (underfitting). Without a baseline the worst validation error on the curve stands in.
  double high_error = 0.5;
  /// A gap above this fraction of the validation error (and above 2 standard errors) is large.
  double gap_ratio = 0.25;
  /// Smallest projected gain at 2× worth calling help, as a fraction of the current validation
  /// error (a deterministic model has no fold noise, and a 0.1% gain is no gain).
  double min_relative_gain = 0.01;
  /// ... and as a fraction of the trivial model's error (else the worst validation error): a
  /// gain that small is immaterial whatever the noise.
  double min_baseline_gain = 0.02;
  /// Prechelt's GL threshold in percent: validation loss this far above its minimum so far
  /// signals overfitting in a history.
  double gl_threshold = 5.0;
  /// Prechelt's training strip length k for the training-progress measure P_k.
  std::size_t strip = 5;
  /// History series direction: Min for losses, Max for scores (then error = 1 − value); Auto
  /// decides from the validation series name.
  Mode mode = Mode::Auto;
  /// The model family, for the advice in the summary.
  ModelKind model = ModelKind::Any;
  /// How learning curves are projected (families, combination, interval calibration).
  ProjectionOptions projection = {};
};

/// What diagnose() found. Scores are in the scoring's units; "error" means distance from the
/// perfect score (see Scorer::optimum). NaN marks what could not be computed.
struct Diagnosis {
  Verdict verdict = Verdict::Inconclusive;
  bool more_data_helps = false;
  double projected_val_score_2x = std::numeric_limits<double>::quiet_NaN();  ///< at 2× the largest size
  double projected_val_score_2x_lo = std::numeric_limits<double>::quiet_NaN();  ///< 95% interval
  double projected_val_score_2x_hi = std::numeric_limits<double>::quiet_NaN();
  double projected_val_score_10x = std::numeric_limits<double>::quiet_NaN();
  double projected_val_score_10x_lo = std::numeric_limits<double>::quiet_NaN();
  double projected_val_score_10x_hi = std::numeric_limits<double>::quiet_NaN();
  /// False when the projection should not be trusted; projection_note says why (too few
  /// points, an error that rises with more data, a model below the trivial one, a curve too
  /// irregular for its noise). The projected numbers are still filled in, for plots.
  bool projection_reliable = false;
  std::string projection_note;
  /// Whether the 10x value can be trusted too: false when the projection is unreliable or beyond
  /// its trusted size (ProjectionOptions::trusted_size_steep); projection_note_10x says why, or,
  /// when it is trusted, gives a caveat on it (a curve still steepening: the 10x value is the
  /// least certain; Projection::far_note).
  bool projection_reliable_10x = false;
  std::string projection_note_10x;
  /// The model scores below the trivial one at the largest size (beyond 2 standard errors) and
  /// the projection keeps it below at 10x: the learner is not learning this task, so more data
  /// of this kind will not make it useful (more_data_helps is false; the summary says why).
  bool stays_below_trivial = false;
  /// How much better the model does on its training data than on validation (validation error
  /// − training error) at the largest size / final step; > 0 means it does better on training.
  double gap = std::numeric_limits<double>::quiet_NaN();
  double gap_se = std::numeric_limits<double>::quiet_NaN();  ///< fold standard error of the gap
  double train_score = std::numeric_limits<double>::quiet_NaN();  ///< at the largest size / final step
  double val_score = std::numeric_limits<double>::quiet_NaN();
  double val_score_se = std::numeric_limits<double>::quiet_NaN();  ///< fold standard error
  double baseline_score = std::numeric_limits<double>::quiet_NaN();  ///< trivial model, if known
  double projected_gain_2x = std::numeric_limits<double>::quiet_NaN();  ///< error drop at 2× (fit)
  double noise = std::numeric_limits<double>::quiet_NaN();  ///< fold noise the gain is compared with
  double local_slope = std::numeric_limits<double>::quiet_NaN();  ///< d log err / d log n at the largest n (fit)
  double observed_slope = std::numeric_limits<double>::quiet_NaN();  ///< same, from the last two points
  double target_score = std::numeric_limits<double>::quiet_NaN();
  /// Samples needed for target_score by the projection, with a 95% interval; +inf when the
  /// projection levels off before the target.
  double samples_for_target = std::numeric_limits<double>::quiet_NaN();
  double samples_for_target_lo = std::numeric_limits<double>::quiet_NaN();
  double samples_for_target_hi = std::numeric_limits<double>::quiet_NaN();
  bool target_reachable = false;
  std::size_t largest_size = 0;
  /// Mean fit time (seconds) at the largest size and extrapolated (t ∝ n^p from the curve's fit
  /// times) to 2×, 10× and the target's sample count; NaN without fit times.
  double fit_seconds = std::numeric_limits<double>::quiet_NaN();
  double fit_seconds_2x = std::numeric_limits<double>::quiet_NaN();
  double fit_seconds_10x = std::numeric_limits<double>::quiet_NaN();
  double fit_seconds_for_target = std::numeric_limits<double>::quiet_NaN();
  ModelKind model = ModelKind::Any;
  PowerLawFit fit;        ///< single power law err = a·n^(−b) + c of the validation error (reference)
  Projection projection;  ///< the projection behind projected_* (learning curves only)

  std::string source = "learning curve";  ///< "learning curve" or "history"
  std::string scoring;
  bool greater_is_better = true;
  double optimum = 1.0;

  // History diagnosis (Prechelt 1998, "Early stopping — but when?").
  std::optional<std::size_t> best_step;     ///< step of the best validation value: the early-stopping point
  double best_value = std::numeric_limits<double>::quiet_NaN();
  std::optional<std::size_t> overfit_step;  ///< first step after best_step where GL exceeded the threshold
  double max_generalization_loss = std::numeric_limits<double>::quiet_NaN();  ///< max GL in percent
  std::vector<std::size_t> steps;           ///< steps of generalization_loss
  std::vector<double> generalization_loss;  ///< GL(t) = 100·(E_val(t)/min E_val − 1)
  double training_progress = std::numeric_limits<double>::quiet_NaN();  ///< P_k at overfit_step (per mille)

  std::string summary;  ///< one paragraph in plain words
};

}  // namespace grove::diag

namespace grove::detail {

/// A number for a sentence: 3 significant digits, "n/a" for NaN.
inline std::string fmt(double v, int digits = 3) { return std::isnan(v) ? "n/a" : format_number(v, digits); }

/// A sample count: whole numbers up to 10 million, then 2 significant digits.
inline std::string fmt_count(double v) {
  if (!std::isfinite(v)) return fmt(v);
  return v >= 1e7 ? format_number(v, 2) : format_fixed(std::ceil(v), 0);
}

[[noreturn, gnu::cold]] inline void throw_diag_error(const std::string& msg) {
  grove::detail::throw_value_error("diagnose: " + msg);
}

inline double sample_sd(const std::vector<double>& v) {
  if (v.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  double m = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

inline double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

/// The metric's display name and whether it is a loss: "neg_log_loss" -> "log-loss" (a loss).
inline std::string metric_words(const std::string& scoring, bool greater_is_better, bool& is_loss, bool& negated) {
  negated = scoring.rfind("neg_", 0) == 0;
  is_loss = negated || !greater_is_better;
  std::string name = negated ? scoring.substr(4) : scoring;
  for (char& ch : name)
    if (ch == '_') ch = '-';
  return name;
}

/// Levers that make a model of this kind simpler or better regularized.
inline const char* regularize_advice(diag::ModelKind k) {
  switch (k) {
    case diag::ModelKind::Trees:
      return "shallower trees, larger leaves (min_child_weight / min_samples_leaf), fewer boosting rounds or a lower "
             "learning rate, row and column subsampling";
    case diag::ModelKind::Forest:
      return "shallower trees or larger leaves (max_depth, min_samples_leaf), fewer features per split "
             "(max_features)";
    case diag::ModelKind::Boosting:
      return "shallower trees, larger leaves (min_child_weight / min_samples_leaf), fewer rounds or a lower learning "
             "rate, row and column subsampling";
    case diag::ModelKind::NeuralNet: return "weight decay, dropout, early stopping or a smaller network";
    case diag::ModelKind::Linear: return "a stronger L2 or L1 penalty, or fewer features";
    case diag::ModelKind::Neighbors: return "more neighbours (a larger k)";
    case diag::ModelKind::Any: break;
  }
  return "stronger regularization or a simpler model";
}

/// Levers that make a model of this kind more flexible.
inline const char* flexibility_advice(diag::ModelKind k) {
  switch (k) {
    case diag::ModelKind::Trees: return "deeper trees, more boosting rounds, or better features";
    case diag::ModelKind::Forest: return "deeper trees, smaller leaves, more features per split, or better features";
    case diag::ModelKind::Boosting: return "deeper trees, more rounds or a higher learning rate, or better features";
    case diag::ModelKind::NeuralNet: return "a larger network, longer training or a higher learning rate, or better features";
    case diag::ModelKind::Linear: return "nonlinear features (interactions, splines) or a nonlinear model";
    case diag::ModelKind::Neighbors: return "fewer neighbours, scaled or better features";
    case diag::ModelKind::Any: break;
  }
  return "a more flexible model or better features";
}

/// A duration in words, 3 significant digits: "360 ms", "2.05 s", "3.5 min", "12 h".
inline std::string seconds_words(double s) {
  if (!std::isfinite(s)) return "n/a";
  if (s < 1) return format_number(s * 1000, 3) + " ms";
  if (s < 120) return format_number(s, 3) + " s";
  if (s < 7200) return format_number(s / 60, 3) + " min";
  return format_number(s / 3600, 3) + " h";
}

inline void learning_curve_summary(diag::Diagnosis& d, const diag::LearningCurve& c) {
  bool is_loss = false, negated = false;
  const std::string metric = metric_words(c.scoring, c.greater_is_better, is_loss, negated);
  // Displayed values: a negated loss is shown as the loss itself ("log-loss 0.82").
  auto v = [&](double x) { return fmt(negated ? -x : x); };
  auto range = [&](double lo, double hi) {
    return negated ? "[" + fmt(-hi) + ", " + fmt(-lo) + "]" : "[" + fmt(lo) + ", " + fmt(hi) + "]";
  };
  const std::string kind = is_loss ? " (a loss: lower is better)" : "";
  const std::string nmax = std::to_string(d.largest_size), n2 = std::to_string(2 * d.largest_size);
  std::string s;
  switch (d.verdict) {
    case diag::Verdict::Overfitting:
      s = "The model overfits: with " + nmax + " training samples its " + metric + kind + " is " + v(d.train_score) +
          " on the data it was trained on but " + v(d.val_score) + " on held-out data (gap " + fmt(d.gap) + " ± " +
          fmt(d.gap_se, 2) + "). To narrow the gap try " + regularize_advice(d.model) + ". ";
      break;
    case diag::Verdict::Underfitting:
      s = "The model underfits: its training and validation " + metric + kind + " are both poor (" + v(d.train_score) +
          " and " + v(d.val_score) +
          (std::isnan(d.baseline_score) ? std::string() : "; a trivial model reaches " + v(d.baseline_score)) +
          ") and close together. Try " + flexibility_advice(d.model) + ". ";
      break;
    case diag::Verdict::GoodFit:
      s = "Training and validation agree: the validation " + metric + kind + " " + v(d.val_score) +
          " is close to the training value " + v(d.train_score) + " (gap " + fmt(d.gap) + " ± " + fmt(d.gap_se, 2) +
          "), and the training " + metric + " is well " + (is_loss ? "below" : "above") + " a trivial model's. ";
      break;
    case diag::Verdict::Inconclusive:
      s = "The evidence is inconclusive: the training and validation " + metric + " (" + v(d.train_score) + " vs " +
          v(d.val_score) + ") differ by less than the fold-to-fold noise (± " + fmt(d.gap_se, 2) +
          "). Use more folds or more points on the curve before deciding. ";
      break;
  }
  if (!d.projection.ok || !d.projection_reliable) {
    s += "Whether more data helps cannot be told from this curve: " +
         (d.projection_note.empty() ? std::string("no projection could be fitted") : d.projection_note) + ".";
  } else if (d.stays_below_trivial) {
    s += "More data of the same kind will not make this model useful: it scores below a trivial model (" +
         v(d.val_score) + " vs " + v(d.baseline_score) + ") and is projected to stay below it with 10x the data (" +
         v(d.projected_val_score_10x) + " " + range(d.projected_val_score_10x_lo, d.projected_val_score_10x_hi) +
         "): the features or the model have to change first.";
  } else if (d.more_data_helps) {
    s += "More data should help: doubling the training set to " + n2 + " samples is projected to move the validation " +
         metric + " from " + v(d.val_score) + " to " + v(d.projected_val_score_2x) + " (95% interval " +
         range(d.projected_val_score_2x_lo, d.projected_val_score_2x_hi) + ")" +
         (d.projection_reliable_10x
              ? ", and 10x the data to " + v(d.projected_val_score_10x) + " " +
                    range(d.projected_val_score_10x_lo, d.projected_val_score_10x_hi) +
                    (d.projection_note_10x.empty() ? "." : " (" + d.projection_note_10x + ").")
              : ". What 10x the data gives cannot be told: " + d.projection_note_10x + ".");
  } else {
    s += "More data of the same kind will help little: twice the data is projected to give " +
         v(d.projected_val_score_2x) + " " + range(d.projected_val_score_2x_lo, d.projected_val_score_2x_hi) +
         " against " + v(d.val_score) + " now, a gain of " + fmt(d.projected_gain_2x, 2) +
         " below what counts as material here (" + fmt(d.noise, 2) +
         ": the larger of the fold noise, 1% of the current error and 2% of a trivial model's error).";
  }
  if (std::isfinite(d.fit_seconds_2x) && std::isfinite(d.fit_seconds))
    s += " One fit takes " + seconds_words(d.fit_seconds) + " on " + nmax + " samples; about " +
         seconds_words(d.fit_seconds_2x) + " on " + n2 + " and " + seconds_words(d.fit_seconds_10x) + " on 10x.";
  if (!std::isnan(d.target_score)) {
    if (!d.projection.ok)
      s += " Too few points to project the target " + v(d.target_score) + ".";
    else if (d.target_reachable)
      s += " To reach " + v(d.target_score) + ", the projection needs about " + fmt_count(d.samples_for_target) +
           " training samples (95% interval " + fmt_count(d.samples_for_target_lo) +
           (std::isfinite(d.samples_for_target_hi) ? " to " + fmt_count(d.samples_for_target_hi)
                                                   : " to more than the curve can tell") +
           "; now " + nmax + ")" +
           (std::isfinite(d.fit_seconds_for_target) ? ", about " + seconds_words(d.fit_seconds_for_target) + " per fit"
                                                    : std::string()) +
           (d.projection.reliable_at(d.samples_for_target) ? "." : ", but the projection is unreliable that far.");
    else
      s += " The target " + v(d.target_score) + " is not reachable by adding data as far as the curve tells: the "
           "projection levels off at " + v(d.projected_val_score_10x) + " by 10x the data.";
  }
  d.summary = s;
}

}  // namespace grove::detail

namespace grove::diag {

/// Diagnoses a learning curve: the verdict, the train/validation gap with its fold standard
/// error, a power-law fit err(n) = a·n^(−b) + c of the validation error (weights ∝ n / fold
/// variance), projections at 2× and 10× the largest size with 95% intervals, the local log-log
/// slope, whether more data helps (projected gain at 2× beyond the fold noise) and the samples
/// needed for options.target_score. ValueError when the curve's vectors disagree in length.
inline Diagnosis diagnose(const LearningCurve& curve, const DiagnoseOptions& options = {}) {
  const std::size_t m = curve.train_sizes.size();
  if (m == 0) detail::throw_diag_error("learning curve has no sizes");
  const auto check = [&](const std::vector<double>& v, const char* name) {
    if (v.size() != m)
      detail::throw_diag_error(std::string(name) + " has " + std::to_string(v.size()) + " values for " +
                               std::to_string(m) + " train sizes");
  };
  check(curve.train_mean, "train_mean");
  check(curve.train_std, "train_std");
  check(curve.val_mean, "val_mean");
  check(curve.val_std, "val_std");
  for (std::size_t i = 0; i < m; ++i)
    if (curve.train_sizes[i] == 0 || (i && curve.train_sizes[i] <= curve.train_sizes[i - 1]))
      detail::throw_diag_error("train_sizes must be positive and increasing, got " +
                               std::to_string(curve.train_sizes[i]) + " at position " + std::to_string(i));
  if (!(options.high_error > 0) || !(options.gap_ratio > 0))
    detail::throw_diag_error("high_error and gap_ratio must be > 0, got " + detail::fmt(options.high_error) + " and " +
                             detail::fmt(options.gap_ratio));
  if (!(options.min_relative_gain >= 0) || !(options.min_baseline_gain >= 0))
    detail::throw_diag_error("min_relative_gain and min_baseline_gain must be >= 0, got " +
                             detail::fmt(options.min_relative_gain) + " and " + detail::fmt(options.min_baseline_gain));

  Diagnosis d;
  d.source = "learning curve";
  d.scoring = curve.scoring;
  d.greater_is_better = curve.greater_is_better;
  d.optimum = curve.optimum;
  d.baseline_score = curve.baseline_score;
  d.target_score = options.target_score;
  const std::size_t L = m - 1;
  const double k = static_cast<double>(std::max<std::size_t>(curve.folds, 1));
  const double sqrt_k = std::sqrt(k);
  d.largest_size = curve.train_sizes[L];
  const double n_max = static_cast<double>(d.largest_size);

  std::vector<double> n(m), tr_e(m), va_e(m), se(m);
  for (std::size_t i = 0; i < m; ++i) {
    n[i] = static_cast<double>(curve.train_sizes[i]);
    tr_e[i] = curve.error(curve.train_mean[i]);
    va_e[i] = curve.error(curve.val_mean[i]);
    se[i] = curve.val_std[i] / sqrt_k;
  }
  d.train_score = curve.train_mean[L];
  d.val_score = curve.val_mean[L];
  d.val_score_se = se[L];
  d.gap = va_e[L] - tr_e[L];
  // Gap standard error from per-fold differences when present (paired: folds share a split).
  if (curve.train_scores.size() == m && curve.val_scores.size() == m && curve.train_scores[L].size() >= 2 &&
      curve.val_scores[L].size() == curve.train_scores[L].size()) {
    std::vector<double> diff;
    for (std::size_t f = 0; f < curve.val_scores[L].size(); ++f)
      diff.push_back(curve.error(curve.val_scores[L][f]) - curve.error(curve.train_scores[L][f]));
    d.gap_se = detail::sample_sd(diff) / std::sqrt(static_cast<double>(diff.size()));
  } else {
    d.gap_se = std::sqrt(curve.train_std[L] * curve.train_std[L] + curve.val_std[L] * curve.val_std[L]) / sqrt_k;
  }
  if (m >= 2 && va_e[L] > 0 && va_e[L - 1] > 0)
    d.observed_slope = std::log(va_e[L] / va_e[L - 1]) / std::log(n[L] / n[L - 1]);

  // Weighted power-law fit of the validation error: larger n and smaller fold spread weigh more.
  double mean_se = 0, mean_err = 0;
  for (std::size_t i = 0; i < m; ++i) mean_se += se[i] / static_cast<double>(m), mean_err += std::fabs(va_e[i]) / static_cast<double>(m);
  const double floor_se = std::max({0.25 * mean_se, 1e-3 * mean_err, 1e-12});
  std::vector<double> w(m);
  for (std::size_t i = 0; i < m; ++i) {
    const double s = std::isfinite(se[i]) ? se[i] : 0.0;
    w[i] = (n[i] / n_max) / (s * s + floor_se * floor_se);
  }
  // The asymptote of the validation error cannot lie below the training error at the largest
  // size (training error rises toward it as n grows), so the floor c starts there: a model whose
  // two curves already touch gains at most the gap from more data.
  d.fit = fit_power_law(n, va_e, w, std::isfinite(tr_e[L]) ? tr_e[L] : 0.0);

  // Fold noise: folds keep their validation part across sizes, so each fold's curve is offset
  // by a fold effect (an easy or hard validation part) that cancels in any change along the
  // curve. Per-fold errors are split as err(f, s) = mu(s) + phi(f) + eps over the sizes in the
  // upper half (n ≥ n_max/2, at least the last two: tiny training sets are far noisier and say
  // nothing about the noise at the end of the curve); the noise of a mean change is the
  // residual sd of eps ((k−1)(m'−1) degrees of freedom) over √k. Without per-fold scores: the
  // standard error of the last validation mean. Floors: min_relative_gain of the current error
  // and min_baseline_gain of the reference error e_ref (the trivial model's error, else the
  // worst validation error).
  double e_ref = std::isfinite(curve.baseline_score) ? curve.error(curve.baseline_score) : 0.0;
  if (!(e_ref > 0)) e_ref = *std::max_element(va_e.begin(), va_e.end());
  if (!(e_ref > 0)) e_ref = 1.0;
  double fold_noise = std::isfinite(se[L]) ? se[L] : 0.0;
  bool per_fold = m >= 2 && curve.val_scores.size() == m && curve.val_scores[0].size() >= 2;
  for (std::size_t i = 0; per_fold && i < m; ++i) per_fold = curve.val_scores[i].size() == curve.val_scores[0].size();
  if (per_fold) {
    std::size_t first = L - 1;
    while (first > 0 && 2 * curve.train_sizes[first - 1] >= curve.train_sizes[L]) --first;
    const std::size_t ms = m - first;
    const std::size_t kf = curve.val_scores[0].size();
    std::vector<double> size_mean(ms, 0.0), fold_mean(kf, 0.0);
    double grand = 0;
    for (std::size_t i = 0; i < ms; ++i)
      for (std::size_t f = 0; f < kf; ++f) {
        const double e = curve.error(curve.val_scores[first + i][f]);
        size_mean[i] += e / static_cast<double>(kf);
        fold_mean[f] += e / static_cast<double>(ms);
        grand += e / static_cast<double>(ms * kf);
      }
    double ss = 0;
    for (std::size_t i = 0; i < ms; ++i)
      for (std::size_t f = 0; f < kf; ++f) {
        const double r = curve.error(curve.val_scores[first + i][f]) - size_mean[i] - fold_mean[f] + grand;
        ss += r * r;
      }
    fold_noise = std::sqrt(ss / static_cast<double>((kf - 1) * (ms - 1))) / std::sqrt(static_cast<double>(kf));
  }
  d.noise = std::max({fold_noise, options.min_relative_gain * std::fabs(va_e[L]), options.min_baseline_gain * e_ref, 1e-12});
  d.local_slope = d.fit.local_slope(n_max);
  d.model = options.model;

  // The projection (several families, holdout-weighted; see projection.hpp). The gain compares
  // the measured score at the largest size with the projection at 2x: the two numbers printed
  // side by side, so the verdict and the numbers never disagree.
  d.projection = project_curve(curve, options.projection);
  d.projection_reliable = d.projection.reliable;
  d.projection_note = d.projection.reason;
  d.projection_reliable_10x = d.projection.reliable_at(10 * n_max);
  d.projection_note_10x = d.projection_reliable_10x ? d.projection.far_note : d.projection.reason_at(10 * n_max);
  if (d.projection.ok) {
    auto project = [&](double nn, double& score, double& lo, double& hi) {
      const ProjectedScore ps = d.projection.at(nn);
      score = ps.score, lo = ps.lo, hi = ps.hi;
    };
    project(2 * n_max, d.projected_val_score_2x, d.projected_val_score_2x_lo, d.projected_val_score_2x_hi);
    project(10 * n_max, d.projected_val_score_10x, d.projected_val_score_10x_lo, d.projected_val_score_10x_hi);
    d.projected_gain_2x = va_e[L] - curve.error(d.projected_val_score_2x);
    d.stays_below_trivial = std::isfinite(curve.baseline_score) &&
                            va_e[L] > curve.error(curve.baseline_score) + 2 * (std::isfinite(se[L]) ? se[L] : 0.0) &&
                            curve.error(d.projected_val_score_10x) > curve.error(curve.baseline_score);
    d.more_data_helps = d.projection_reliable && d.projected_gain_2x > d.noise && !d.stays_below_trivial;
    if (!std::isnan(options.target_score)) {
      const SamplesNeeded sn = d.projection.samples_for(options.target_score);
      d.samples_for_target = sn.n, d.samples_for_target_lo = sn.lo, d.samples_for_target_hi = sn.hi;
      d.target_reachable = std::isfinite(d.samples_for_target);
      d.fit_seconds_for_target = d.projection.fit_seconds(d.samples_for_target);
    }
    d.fit_seconds_2x = d.projection.fit_seconds(2 * n_max);
    d.fit_seconds_10x = d.projection.fit_seconds(10 * n_max);
  }
  if (curve.fit_times.size() == m && !curve.fit_times[L].empty()) {
    d.fit_seconds = 0;
    for (double t : curve.fit_times[L]) d.fit_seconds += t / static_cast<double>(curve.fit_times[L].size());
  }

  // Verdict. The reference error e_ref scales "high" and "large": the trivial model's error
  // when known, otherwise the worst validation error on the curve.
  const bool finite = std::isfinite(d.gap) && std::isfinite(tr_e[L]) && std::isfinite(va_e[L]);
  const bool gap_large = d.gap > options.gap_ratio * std::max(va_e[L], 1e-12) && d.gap > 0.05 * e_ref;
  const bool gap_significant = !(d.gap_se > 0) || d.gap > 2 * d.gap_se;
  const bool train_high = tr_e[L] >= options.high_error * e_ref ||
                          (!std::isnan(options.target_score) && tr_e[L] > curve.error(options.target_score) &&
                           !gap_large);
  if (!finite)
    d.verdict = Verdict::Inconclusive;
  else if (gap_large)
    d.verdict = gap_significant ? Verdict::Overfitting : Verdict::Inconclusive;
  else if (train_high)
    d.verdict = Verdict::Underfitting;
  else
    d.verdict = Verdict::GoodFit;
  detail::learning_curve_summary(d, curve);
  return d;
}

/// Diagnoses a training history from its training and validation series (e.g. "train_loss",
/// "val_loss"): Prechelt's generalization loss GL(t) = 100·(E_val(t) / min_{t'≤t} E_val − 1)
/// flags overfitting when, after the best validation step, GL exceeds options.gl_threshold by
/// more than the step-to-step noise while the training loss keeps falling; best_step is the
/// early-stopping point. A validation loss still falling at the end reads as Underfitting
/// (train longer or use a bigger model). ValueError when a series is missing.
inline Diagnosis diagnose(const History& history, const std::string& train_series = "train_loss",
                          const std::string& val_series = "val_loss", const DiagnoseOptions& options = {}) {
  const auto& vs = history.series(val_series);
  const auto& vsteps = history.steps(val_series);
  const bool has_train = history.has(train_series);
  if (!has_train) (void)history.series(train_series);  // throws the History error naming known series
  if (!(options.gl_threshold > 0))
    detail::throw_diag_error("gl_threshold must be > 0 (percent), got " + detail::fmt(options.gl_threshold));
  if (options.strip == 0) detail::throw_diag_error("strip must be >= 1, got 0");
  const bool maximize = options.mode == Mode::Max || (options.mode == Mode::Auto && detail::looks_like_score(val_series));

  Diagnosis d;
  d.source = "history";
  d.scoring = val_series;
  d.greater_is_better = maximize;
  d.optimum = maximize ? 1.0 : 0.0;
  auto err = [&](double v) { return maximize ? 1.0 - v : v; };

  // Pair each validation point with the training value logged at the same step (or the latest before it).
  std::map<std::size_t, double> train_at;
  {
    const auto& ts = history.series(train_series);
    const auto& tsteps = history.steps(train_series);
    for (std::size_t i = 0; i < ts.size(); ++i) train_at[tsteps[i]] = ts[i];
  }
  std::vector<std::size_t> steps;
  std::vector<double> ev, et;
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (!std::isfinite(vs[i])) continue;
    steps.push_back(vsteps[i]);
    ev.push_back(err(vs[i]));
    auto it = train_at.upper_bound(vsteps[i]);
    et.push_back(it == train_at.begin() ? std::numeric_limits<double>::quiet_NaN() : err(std::prev(it)->second));
  }
  const std::size_t m = ev.size();
  d.steps = steps;
  if (m == 0) {
    d.summary = "The history has no finite values of '" + val_series + "': nothing to diagnose.";
    return d;
  }

  // GL(t) against the running minimum.
  d.generalization_loss.resize(m);
  double run_min = ev[0];
  std::size_t ib = 0;
  for (std::size_t t = 0; t < m; ++t) {
    if (ev[t] < run_min) run_min = ev[t];
    if (ev[t] < ev[ib]) ib = t;
    d.generalization_loss[t] = 100.0 * (ev[t] - run_min) / std::max(std::fabs(run_min), 1e-12);
  }
  d.max_generalization_loss = *std::max_element(d.generalization_loss.begin(), d.generalization_loss.end());
  d.best_step = steps[ib];
  d.best_value = maximize ? 1.0 - ev[ib] : ev[ib];
  d.train_score = maximize ? 1.0 - et[m - 1] : et[m - 1];
  d.val_score = maximize ? 1.0 - ev[m - 1] : ev[m - 1];
  d.gap = ev[m - 1] - et[m - 1];

  // Step-to-step noise of the validation error: robust scale (MAD·1.4826) of second differences,
  // which cancel a locally linear trend; white noise of sd σ gives them sd σ·√6.
  std::vector<double> diffs;
  for (std::size_t t = 2; t < m; ++t) diffs.push_back(ev[t] - 2 * ev[t - 1] + ev[t - 2]);
  const double med = detail::median(diffs);
  std::vector<double> dev;
  for (double x : diffs) dev.push_back(std::fabs(x - med));
  const double sigma = m >= 4 ? 1.4826 * detail::median(dev) / std::sqrt(6.0) : 0.0;
  d.noise = sigma;

  if (m < 4) {
    d.verdict = Verdict::Inconclusive;
    d.summary = "Only " + std::to_string(m) + " validation points were logged; log at least 4 (better: every epoch) "
                "to diagnose the training run.";
    return d;
  }

  // Overfitting: after the best step, GL crosses the threshold by more than the noise.
  for (std::size_t t = ib + 1; t < m; ++t)
    if (d.generalization_loss[t] > options.gl_threshold && ev[t] - ev[ib] > 3 * sigma) {
      d.overfit_step = steps[t];
      // Prechelt's training progress P_k(t) = 1000·(mean of the strip / min of the strip − 1).
      const std::size_t k = std::min(options.strip, t + 1);
      double sum = 0, mn = std::numeric_limits<double>::infinity();
      bool ok = true;
      for (std::size_t j = t + 1 - k; j <= t; ++j) {
        if (!std::isfinite(et[j])) ok = false;
        sum += et[j], mn = std::min(mn, et[j]);
      }
      if (ok && mn > 0) d.training_progress = 1000.0 * (sum / (static_cast<double>(k) * mn) - 1.0);
      break;
    }
  // Training still falling over the same stretch (the other half of the overfitting signature).
  const bool train_falls = std::isfinite(et[ib]) && std::isfinite(et[m - 1]) && et[m - 1] < et[ib];
  // ... and the validation loss has not come back down by the end (a transient spike is no trend).
  const bool val_rising_now = ev[m - 1] - ev[ib] > 1.5 * sigma &&
                              100.0 * (ev[m - 1] - ev[ib]) / std::max(std::fabs(ev[ib]), 1e-12) > 0.5 * options.gl_threshold;

  // Still improving: the best point is in the last tenth and the last third fell beyond noise.
  const std::size_t third = std::max<std::size_t>(m / 3, 1);
  const bool still_improving = ib + std::max<std::size_t>(m / 10, 1) >= m - 1 && ev[m - 1 - third] - ev[m - 1] > 3 * sigma &&
                               ev[m - 1 - third] > ev[m - 1] * (1 + 0.005);
  const bool big_gap = std::isfinite(d.gap) && d.gap > 0.5 * std::max(ev[m - 1], 1e-12);

  std::string s;
  const std::string stop = std::to_string(*d.best_step);
  d.model = options.model;
  const std::string what = maximize ? "score" : "loss";
  if (d.overfit_step && (train_falls || !std::isfinite(et[m - 1])) && val_rising_now) {
    d.verdict = Verdict::Overfitting;
    d.more_data_helps = true;
    s = "The model starts to overfit after step " + stop + ": there '" + val_series + "' was best (" +
        detail::fmt(d.best_value) + "); from then on the training loss kept falling while the validation loss rose (up to " +
        detail::fmt(d.max_generalization_loss) + "% above its best, crossing " +
        detail::fmt(options.gl_threshold) + "% at step " + std::to_string(*d.overfit_step) +
        "). Stop training at step " + stop + " (early stopping with restored best weights does this), or try " +
        detail::regularize_advice(options.model) + ", or more training data.";
  } else if (still_improving) {
    d.verdict = Verdict::Underfitting;
    s = "The validation " + what + " is still " + (maximize ? "rising" : "falling") + " at the last step (" +
        detail::fmt(d.val_score) + "): the model has not finished learning. Train for more steps" +
        (options.model == ModelKind::Trees || options.model == ModelKind::Boosting ? " (more boosting rounds)"
                                                                                     : " (or with a larger learning rate)") +
        "; if it levels off at a poor value, try " + detail::flexibility_advice(options.model) + ".";
  } else if (big_gap) {
    d.verdict = Verdict::Overfitting;
    d.more_data_helps = true;
    s = "The validation " + what + " has flattened at " + detail::fmt(d.val_score) + ", far " +
        (maximize ? "below" : "above") + " the training value (" + detail::fmt(d.train_score) +
        "): the model memorizes its training data. Try " + detail::regularize_advice(options.model) +
        ", or collect more training data. The best validation value was at step " + stop + ".";
  } else {
    d.verdict = Verdict::GoodFit;
    s = "Training converged without overfitting: the validation " + what + " levelled off at " +
        detail::fmt(d.val_score) + ", close to the training value (" + detail::fmt(d.train_score) + "), best at step " +
        stop + ". Further training is unlikely to help. Whether " + detail::fmt(d.val_score) +
        " is good depends on the task: compare it with a trivial model's " + what +
        " (a learning curve reports one) to see whether the model or the data limits it.";
  }
  d.summary = s;
  return d;
}

}  // namespace grove::diag

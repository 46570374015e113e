#pragma once
// The one place grove-pipeline turns its measurements into words: how the model fits, the one
// thing to change first (the "lever"), whether more data helps, and READY / NOT READY. Every
// line of the summary comes from decide(), so the lines cannot contradict each other (the old
// summary could say "overfitting" and "raise --rounds" side by side); tests/test_pipeline.cpp
// checks the combinations.

#include "candidates.hpp"
#include "report.hpp"

#include <grove/diagnostics/diagnose.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace pipeline {

/// What the pipeline measured, as decide() needs it.
struct Evidence {
  bool classification = true;
  std::string metric;  ///< "accuracy" or "R2"
  double test_score = std::numeric_limits<double>::quiet_NaN();      ///< the chosen model on the test rows
  double baseline_score = std::numeric_limits<double>::quiet_NaN();  ///< the trivial model on the test rows
  StopInfo stop;                     ///< how the final fit ended
  bool val_loss_still_falling = false;  ///< the final fit's best validation step was one of its last
  grove::diag::ModelKind kind = grove::diag::ModelKind::Trees;
  grove::diag::Verdict verdict = grove::diag::Verdict::Inconclusive;  ///< from the learning curve
  double train_score = std::numeric_limits<double>::quiet_NaN();      ///< learning curve, largest size
  double val_score = std::numeric_limits<double>::quiet_NaN();
  bool more_data_helps = false;
  bool projection_reliable = false;
  std::string projection_note;
  bool stays_below_trivial = false;  ///< the curve is below a trivial model and projected to stay below at 10x
  double projected_2x = std::numeric_limits<double>::quiet_NaN();  ///< score at 2x the curve's largest size
  std::size_t curve_rows = 0;                                     ///< the curve's largest training size
  bool reproduced = true;          ///< reloaded model predicts the same
  double latency_p99_us = 0, latency_budget_us = 1000;
};

/// The first thing to change, if anything.
enum class Lever {
  None,         ///< nothing stands out
  CheckData,    ///< the model does not beat the trivial baseline
  MoreSteps,    ///< training ran into its round / epoch cap while still improving
  MoreData,     ///< the learning curve projects a real gain from more rows
  Regularize,   ///< high variance and more data would not fix it
  BiggerModel,  ///< it does not fit its own training rows
};

/// What decide() concluded, line by line for the summary.
struct Decision {
  bool ready = false;
  std::vector<std::string> reasons;  ///< why NOT READY (empty when READY)
  Lever lever = Lever::None;
  std::string fit;        ///< how the model fits
  std::string next_step;  ///< the lever in words
  std::string more_data;  ///< "yes: ..." / "little: ..." / "no: ..." / "unknown: ..."
};

inline std::string pct_or_value(bool classification, double v) {
  return classification ? fmt("%.1f%%", 100 * v) : fmt("%.3f", v);
}

/// Levers of the model kind, in words (trees never hear about dropout).
inline std::string regularize_words(grove::diag::ModelKind kind) {
  if (kind == grove::diag::ModelKind::NeuralNet) return "regularize: weight decay, a smaller network or fewer epochs";
  if (kind == grove::diag::ModelKind::Forest) return "regularize: shallower trees, larger min_samples_leaf, fewer features per split";
  return "regularize: shallower trees, larger min_child_weight, subsampling";
}
inline std::string bigger_model_words(grove::diag::ModelKind kind) {
  return kind == grove::diag::ModelKind::NeuralNet ? "a bigger model: wider or more hidden layers (--hidden)"
                                                   : "a bigger model: deeper trees or more leaves";
}

inline Decision decide(const Evidence& e) {
  using grove::diag::Verdict;
  Decision d;
  const bool beats = e.test_score > e.baseline_score;
  // How it fits, and the lever: one branch decides both.
  const std::string scores = fmt(" (%s on its training rows vs %s on held-out rows)",
                                 pct_or_value(e.classification, e.train_score).c_str(),
                                 pct_or_value(e.classification, e.val_score).c_str());
  if (!beats) {
    d.lever = Lever::CheckData;
    d.fit = "no better than the trivial baseline on the test rows";
    d.next_step = "check the target and the features: nothing here predicts " +
                  std::string(e.classification ? "the class" : "the value") + " better than a constant";
  } else if (e.stop.hit_cap() && e.val_loss_still_falling) {
    d.lever = Lever::MoreSteps;
    d.fit = fmt("training ran into its cap of %zu %s while the validation loss was still falling", e.stop.cap,
                e.stop.unit.c_str());
    d.next_step = e.stop.unit == "epochs" ? "train longer: raise --epochs" : "train longer: raise --rounds";
  } else if (e.verdict == Verdict::Overfitting) {
    d.fit = "high variance" + scores;
    d.lever = e.more_data_helps ? Lever::MoreData : Lever::Regularize;
    d.next_step = e.more_data_helps ? "collect more rows (see More data)" : regularize_words(e.kind);
  } else if (e.verdict == Verdict::Underfitting) {
    d.fit = "high bias: it does not fit its own training rows well" + scores;
    d.lever = Lever::BiggerModel;
    d.next_step = bigger_model_words(e.kind);
  } else {
    d.fit = (e.verdict == Verdict::GoodFit ? "a good fit" : "no clear bias or variance problem") + scores;
    d.lever = e.more_data_helps ? Lever::MoreData : Lever::None;
    d.next_step = e.more_data_helps ? "collect more rows (see More data)" : "none needed";
  }
  // More data: the projection's own verdict, with its numbers.
  const std::string gain =
      std::isfinite(e.projected_2x)
          ? fmt("%zu -> %zu rows moves the %s from %s to %s", e.curve_rows, 2 * e.curve_rows, e.metric.c_str(),
                pct_or_value(e.classification, e.val_score).c_str(), pct_or_value(e.classification, e.projected_2x).c_str())
          : std::string("no projection");
  if (!e.projection_reliable)
    d.more_data = "unknown: the learning curve cannot be extrapolated reliably (" + e.projection_note + ")";
  else if (e.stays_below_trivial)
    d.more_data = "no: on the learning curve the model stays below the trivial baseline even with 10x the rows "
                  "(" + gain + ")";
  else if (e.more_data_helps)
    d.more_data = "yes: on the learning curve, " + gain;
  else
    d.more_data = "little: on the learning curve, " + gain + ", within the noise";
  // READY / NOT READY.
  if (!e.reproduced) d.reasons.push_back("the reloaded model does not reproduce the predictions");
  if (!(e.latency_p99_us <= e.latency_budget_us))
    d.reasons.push_back(fmt("single-row p99 latency %.1f us exceeds the %.0f us budget", e.latency_p99_us,
                            e.latency_budget_us));
  if (!beats)
    d.reasons.push_back("test " + e.metric + " " + pct_or_value(e.classification, e.test_score) +
                        " does not beat the trivial baseline's " + pct_or_value(e.classification, e.baseline_score));
  d.ready = d.reasons.empty();
  return d;
}

/// The reason line printed next to READY / NOT READY.
inline std::string decision_reason(const Decision& d, const Evidence& e) {
  if (!d.ready) {
    std::string s;
    for (const std::string& r : d.reasons) s += (s.empty() ? "" : "; ") + r;
    return s;
  }
  return fmt("predictions reproduced after reload, p99 %.1f us within the %.0f us budget, beats the trivial baseline",
             e.latency_p99_us, e.latency_budget_us);
}

}  // namespace pipeline

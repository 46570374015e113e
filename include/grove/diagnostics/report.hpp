#pragma once
/// \file Machine-readable reports: to_json (learning curve, diagnosis, history) and write_csv.
/// JSON is strict: strings escaped, NaN and infinities written as null.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/diagnostics/diagnose.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/diagnostics/learning_curve.hpp"
#include "grove/io/file.hpp"

namespace grove::diag {

}  // namespace grove::diag

namespace grove::detail {

/// `s` as a JSON string literal.
inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

/// A JSON number that round-trips, or null for NaN/inf (JSON has neither).
inline std::string json_number(double v) {
  return std::isfinite(v) ? format_number(v) : "null";  // shortest text that reads back exactly
}

inline std::string json_array(const std::vector<double>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += json_number(v[i]);
  }
  return s + "]";
}

inline std::string json_array(const std::vector<std::size_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

inline std::string json_matrix(const std::vector<std::vector<double>>& m) {
  std::string s = "[";
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (i) s += ',';
    s += json_array(m[i]);
  }
  return s + "]";
}

/// A CSV cell: numbers with 17 significant digits, NaN as an empty cell (read back as NaN).
inline std::string csv_number(double v) {
  return std::isnan(v) ? "" : format_number(v);
}

/// A CSV text cell, quoted when it holds a comma, quote or line break.
inline std::string csv_text(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

}  // namespace grove::detail

namespace grove::diag {

/// The learning curve as a JSON object (sizes, means, stds, per-fold scores and fit times).
inline std::string to_json(const LearningCurve& c) {
  using namespace detail;
  std::string s = "{";
  s += "\"scoring\":" + json_string(c.scoring);
  s += ",\"greater_is_better\":" + std::string(c.greater_is_better ? "true" : "false");
  s += ",\"optimum\":" + json_number(c.optimum);
  s += ",\"baseline_score\":" + json_number(c.baseline_score);
  s += ",\"n_samples\":" + std::to_string(c.n_samples);
  s += ",\"folds\":" + std::to_string(c.folds);
  s += ",\"train_sizes\":" + json_array(c.train_sizes);
  s += ",\"train_mean\":" + json_array(c.train_mean);
  s += ",\"train_std\":" + json_array(c.train_std);
  s += ",\"val_mean\":" + json_array(c.val_mean);
  s += ",\"val_std\":" + json_array(c.val_std);
  s += ",\"train_scores\":" + json_matrix(c.train_scores);
  s += ",\"val_scores\":" + json_matrix(c.val_scores);
  s += ",\"fit_times\":" + json_matrix(c.fit_times);
  return s + "}";
}

/// The diagnosis as a JSON object (verdict as a string, the power-law fit nested, absent
/// history steps as null).
inline std::string to_json(const Diagnosis& d) {
  using namespace detail;
  auto opt_step = [](const std::optional<std::size_t>& v) { return v ? std::to_string(*v) : std::string("null"); };
  std::string s = "{";
  s += "\"verdict\":" + json_string(to_string(d.verdict));
  s += ",\"more_data_helps\":" + std::string(d.more_data_helps ? "true" : "false");
  s += ",\"source\":" + json_string(d.source);
  s += ",\"scoring\":" + json_string(d.scoring);
  s += ",\"greater_is_better\":" + std::string(d.greater_is_better ? "true" : "false");
  s += ",\"train_score\":" + json_number(d.train_score);
  s += ",\"val_score\":" + json_number(d.val_score);
  s += ",\"val_score_se\":" + json_number(d.val_score_se);
  s += ",\"baseline_score\":" + json_number(d.baseline_score);
  s += ",\"gap\":" + json_number(d.gap);
  s += ",\"gap_se\":" + json_number(d.gap_se);
  s += ",\"largest_size\":" + std::to_string(d.largest_size);
  s += ",\"projected_val_score_2x\":" + json_number(d.projected_val_score_2x);
  s += ",\"projected_val_score_2x_ci\":[" + json_number(d.projected_val_score_2x_lo) + "," +
       json_number(d.projected_val_score_2x_hi) + "]";
  s += ",\"projected_val_score_10x\":" + json_number(d.projected_val_score_10x);
  s += ",\"projected_val_score_10x_ci\":[" + json_number(d.projected_val_score_10x_lo) + "," +
       json_number(d.projected_val_score_10x_hi) + "]";
  s += ",\"projected_gain_2x\":" + json_number(d.projected_gain_2x);
  s += ",\"noise\":" + json_number(d.noise);
  s += ",\"local_slope\":" + json_number(d.local_slope);
  s += ",\"observed_slope\":" + json_number(d.observed_slope);
  s += ",\"target_score\":" + json_number(d.target_score);
  s += ",\"samples_for_target\":" + json_number(d.samples_for_target);
  s += ",\"samples_for_target_ci\":[" + json_number(d.samples_for_target_lo) + "," + json_number(d.samples_for_target_hi) + "]";
  s += ",\"target_reachable\":" + std::string(d.target_reachable ? "true" : "false");
  s += ",\"projection_reliable\":" + std::string(d.projection_reliable ? "true" : "false");
  s += ",\"projection_note\":" + json_string(d.projection_note);
  s += ",\"projection_reliable_10x\":" + std::string(d.projection_reliable_10x ? "true" : "false");
  s += ",\"projection_note_10x\":" + json_string(d.projection_note_10x);
  s += ",\"stays_below_trivial\":" + std::string(d.stays_below_trivial ? "true" : "false");
  s += ",\"model\":" + json_string(to_string(d.model));
  s += ",\"fit_seconds\":" + json_number(d.fit_seconds) + ",\"fit_seconds_2x\":" + json_number(d.fit_seconds_2x) +
       ",\"fit_seconds_10x\":" + json_number(d.fit_seconds_10x) +
       ",\"fit_seconds_for_target\":" + json_number(d.fit_seconds_for_target);
  s += ",\"projection\":{\"rule\":" + json_string(to_string(d.projection.rule)) + ",\"families\":[";
  for (std::size_t i = 0; i < d.projection.fits.size(); ++i) {
    const auto& f = d.projection.fits[i];
    s += std::string(i ? "," : "") + "{\"family\":" + json_string(to_string(f.family)) + ",\"ok\":" +
         (f.ok ? "true" : "false") + ",\"weight\":" + json_number(d.projection.family_weights[i]) +
         ",\"c\":" + json_number(f.c) + ",\"A\":" + json_number(f.A) + ",\"theta\":[" + json_number(f.theta[0]) +
         "," + json_number(f.theta[1]) + "],\"n_ref\":" + json_number(f.n_ref) + "}";
  }
  s += "]}";
  s += ",\"fit\":{\"ok\":" + std::string(d.fit.ok ? "true" : "false") + ",\"method\":" + json_string(d.fit.method) +
       ",\"a\":" + json_number(d.fit.a) + ",\"b\":" + json_number(d.fit.b) + ",\"c\":" + json_number(d.fit.c) +
       ",\"se_a\":" + json_number(d.fit.se_a) + ",\"se_b\":" + json_number(d.fit.se_b) +
       ",\"se_c\":" + json_number(d.fit.se_c) + ",\"points\":" + std::to_string(d.fit.points) +
       ",\"dof\":" + std::to_string(d.fit.dof) + "}";
  s += ",\"best_step\":" + opt_step(d.best_step);
  s += ",\"best_value\":" + json_number(d.best_value);
  s += ",\"overfit_step\":" + opt_step(d.overfit_step);
  s += ",\"max_generalization_loss\":" + json_number(d.max_generalization_loss);
  s += ",\"training_progress\":" + json_number(d.training_progress);
  s += ",\"steps\":" + json_array(d.steps);
  s += ",\"generalization_loss\":" + json_array(d.generalization_loss);
  s += ",\"summary\":" + json_string(d.summary);
  return s + "}";
}

/// The history as {"series": [{"name", "steps", "values"}, ...]}.
inline std::string to_json(const History& h) {
  using namespace detail;
  std::string s = "{\"series\":[";
  bool first = true;
  for (const auto& ser : h.all()) {
    s += std::string(first ? "" : ",") + "{\"name\":" + json_string(ser.name) + ",\"steps\":" + json_array(ser.steps) +
         ",\"values\":" + json_array(ser.values) + "}";
    first = false;
  }
  return s + "]}";
}

/// The learning curve as CSV: one row per size with means, stds, mean fit time and per-fold
/// scores (columns train_fold0.., val_fold0..).
inline std::string to_csv(const LearningCurve& c) {
  using namespace detail;
  std::size_t k = 0;
  for (const auto& r : c.val_scores) k = std::max(k, r.size());
  std::string s = "train_size,train_mean,train_std,val_mean,val_std,fit_time_mean";
  for (std::size_t f = 0; f < k; ++f) (s += ",train_fold") += std::to_string(f);
  for (std::size_t f = 0; f < k; ++f) (s += ",val_fold") += std::to_string(f);
  s += "\n";
  auto at = [](const std::vector<double>& v, std::size_t i) { return i < v.size() ? v[i] : std::nan(""); };
  for (std::size_t i = 0; i < c.train_sizes.size(); ++i) {
    double ft = std::nan("");
    if (i < c.fit_times.size() && !c.fit_times[i].empty()) {
      ft = 0;
      for (double t : c.fit_times[i]) ft += t / static_cast<double>(c.fit_times[i].size());
    }
    // Cells appended one by one ("," + string trips GCC 12's -Wrestrict false positive).
    s += std::to_string(c.train_sizes[i]);
    for (double v : {at(c.train_mean, i), at(c.train_std, i), at(c.val_mean, i), at(c.val_std, i), ft}) {
      s += ',';
      s += csv_number(v);
    }
    for (std::size_t f = 0; f < k; ++f) {
      s += ',';
      s += csv_number(i < c.train_scores.size() ? at(c.train_scores[i], f) : std::nan(""));
    }
    for (std::size_t f = 0; f < k; ++f) {
      s += ',';
      s += csv_number(i < c.val_scores.size() ? at(c.val_scores[i], f) : std::nan(""));
    }
    s += "\n";
  }
  return s;
}

/// The history as CSV: a step column and one column per series (empty where not logged).
inline std::string to_csv(const History& h) {
  using namespace detail;
  const auto steps = h.steps();
  std::string s = "step";
  for (const auto& ser : h.all()) {
    s += ',';
    s += csv_text(ser.name);
  }
  s += "\n";
  // Per series, step -> value (the last value logged at a step wins).
  std::vector<std::map<std::size_t, double>> by_step;
  for (const auto& ser : h.all()) {
    auto& mp = by_step.emplace_back();
    for (std::size_t i = 0; i < ser.steps.size(); ++i) mp[ser.steps[i]] = ser.values[i];
  }
  for (std::size_t st : steps) {
    s += std::to_string(st);
    for (const auto& mp : by_step) {
      const auto it = mp.find(st);
      s += ',';
      if (it != mp.end()) s += csv_number(it->second);
    }
    s += "\n";
  }
  return s;
}

/// Writes to_csv(curve) to `path` (IoError naming the path and the reason on failure).
inline void write_csv(const LearningCurve& c, const std::string& path) {
  io::write_file(path, to_csv(c), "write_csv");
}
/// Writes to_csv(history) to `path`.
inline void write_csv(const History& h, const std::string& path) {
  io::write_file(path, to_csv(h), "write_csv");
}
/// Writes to_json(diagnosis) to `path`.
inline void write_json(const Diagnosis& d, const std::string& path) {
  io::write_file(path, to_json(d) + "\n", "write_json");
}

}  // namespace grove::diag

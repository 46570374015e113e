#pragma once
/// \file print: learning curves, diagnoses and histories as aligned text tables on a stream.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "grove/core/format.hpp"
#include "grove/diagnostics/diagnose.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/diagnostics/learning_curve.hpp"

namespace grove::diag {

}  // namespace grove::diag

namespace grove::detail {

/// Rows of cells printed with each column padded to its widest cell; column 0 left-aligned,
/// the others right-aligned (numbers line up on their last digit).
inline void print_table(std::ostream& os, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t j = 0; j < r.size(); ++j) {
      if (width.size() <= j) width.push_back(0);
      width[j] = std::max(width[j], r[j].size());
    }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string line;
    for (std::size_t j = 0; j < rows[i].size(); ++j) {
      const std::string& c = rows[i][j];
      const std::string pad(width[j] - c.size(), ' ');
      line += j == 0 ? c + pad : "  " + pad + c;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << '\n';
    if (i == 0) {
      std::size_t total = 0;
      for (std::size_t j = 0; j < width.size(); ++j) total += width[j] + (j ? 2 : 0);
      os << std::string(total, '-') << '\n';
    }
  }
}

/// A table cell with `decimals` decimals, "n/a" for NaN.
inline std::string fixed(double v, int decimals = 4) { return std::isnan(v) ? "n/a" : format_fixed(v, decimals); }

/// Words wrapped at `width` columns.
inline std::string wrap(const std::string& text, std::size_t width = 88) {
  std::string out, line, word;
  auto flush_word = [&] {
    if (word.empty()) return;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    word.clear();
  };
  for (char ch : text) {
    if (ch == ' ' || ch == '\n') flush_word();
    else word += ch;
  }
  flush_word();
  if (!line.empty()) out += line + "\n";
  return out;
}

}  // namespace grove::detail

namespace grove::diag {

/// The curve as a table: size, train mean ± std, validation mean ± std, gap, mean fit time.
inline void print(std::ostream& os, const LearningCurve& c) {
  using detail::fixed;
  os << "learning curve (" << c.scoring << ", " << c.folds << "-fold, " << c.n_samples << " samples)\n";
  std::vector<std::vector<std::string>> rows{{"train size", "train", "train std", "validation", "val std", "gap", "fit s"}};
  for (std::size_t i = 0; i < c.train_sizes.size(); ++i) {
    const double tm = i < c.train_mean.size() ? c.train_mean[i] : std::nan("");
    const double vm = i < c.val_mean.size() ? c.val_mean[i] : std::nan("");
    double ft = std::nan("");
    if (i < c.fit_times.size() && !c.fit_times[i].empty()) {
      ft = 0;
      for (double t : c.fit_times[i]) ft += t / static_cast<double>(c.fit_times[i].size());
    }
    rows.push_back({std::to_string(c.train_sizes[i]), fixed(tm), i < c.train_std.size() ? fixed(c.train_std[i]) : "n/a",
                    fixed(vm), i < c.val_std.size() ? fixed(c.val_std[i]) : "n/a", fixed(c.error(vm) - c.error(tm)),
                    fixed(ft, 3)});
  }
  detail::print_table(os, rows);
  if (std::isfinite(c.baseline_score)) os << "trivial baseline (validation): " << fixed(c.baseline_score) << '\n';
}

/// The diagnosis: verdict, key numbers as a two-column table, then the summary paragraph.
inline void print(std::ostream& os, const Diagnosis& d) {
  using detail::fixed;
  using detail::fmt;
  os << "diagnosis (" << d.source << ", " << d.scoring << "): " << to_string(d.verdict) << '\n';
  std::vector<std::vector<std::string>> rows{{"quantity", "value"}};
  auto add = [&](const std::string& k, const std::string& v) { rows.push_back({k, v}); };
  add("train score", fixed(d.train_score));
  add("validation score", fixed(d.val_score) + (std::isnan(d.val_score_se) ? "" : " +/- " + fixed(d.val_score_se)));
  add("gap (val err - train err)", fixed(d.gap) + (std::isnan(d.gap_se) ? "" : " +/- " + fixed(d.gap_se)));
  if (!std::isnan(d.baseline_score)) add("trivial baseline", fixed(d.baseline_score));
  add("more data helps", std::string(d.more_data_helps ? "yes" : "no") +
                             (d.stays_below_trivial ? " (below a trivial model, also at 10x)" : ""));
  if (d.source == "learning curve") {
    add("largest train size", std::to_string(d.largest_size));
    add("projection", d.projection_reliable ? std::string("reliable") : "unreliable: " + d.projection_note);
    add("projected score at 2x", fixed(d.projected_val_score_2x) + "  [" + fixed(d.projected_val_score_2x_lo) + ", " +
                                     fixed(d.projected_val_score_2x_hi) + "]");
    add("projected score at 10x", fixed(d.projected_val_score_10x) + "  [" + fixed(d.projected_val_score_10x_lo) +
                                      ", " + fixed(d.projected_val_score_10x_hi) + "]" +
                                      (!d.projection_reliable || d.projection_note_10x.empty() ? std::string()
                                       : d.projection_reliable_10x ? "  note: " + d.projection_note_10x
                                                                   : "  unreliable: " + d.projection_note_10x));
    add("projected gain at 2x (error)", fixed(d.projected_gain_2x) + " vs noise " + fixed(d.noise));
    if (std::isfinite(d.fit_seconds))
      add("fit time now / 2x / 10x", detail::seconds_words(d.fit_seconds) + " / " + detail::seconds_words(d.fit_seconds_2x) +
                                         " / " + detail::seconds_words(d.fit_seconds_10x));
    if (d.projection.ok) {
      std::string fams;
      for (std::size_t i = 0; i < d.projection.fits.size(); ++i)
        if (d.projection.family_weights[i] > 0)
          fams += std::string(fams.empty() ? "" : ", ") + to_string(d.projection.fits[i].family) + " " +
                  fixed(d.projection.family_weights[i], 2);
      add("curve families (weight)", fams + " (" + to_string(d.projection.rule) + ")");
    }
    if (!std::isnan(d.target_score))
      add("samples for " + fmt(d.target_score, 4),
          d.target_reachable ? detail::fmt_count(d.samples_for_target) + "  [" + detail::fmt_count(d.samples_for_target_lo) +
                                   ", " + detail::fmt_count(d.samples_for_target_hi) + "]"
                             : "not reachable");
  } else {
    if (d.best_step) add("best step (early stop)", std::to_string(*d.best_step) + " (" + fmt(d.best_value, 4) + ")");
    add("overfitting flagged at", d.overfit_step ? std::to_string(*d.overfit_step) : "-");
    add("max generalization loss %", fixed(d.max_generalization_loss, 2));
  }
  detail::print_table(os, rows);
  os << detail::wrap(d.summary);
}

/// The history as a table: one row per step, one column per series (blank where not logged).
inline void print(std::ostream& os, const History& h) {
  std::vector<std::vector<std::string>> rows{{"step"}};
  for (const auto& s : h.all()) rows[0].push_back(s.name);
  std::vector<std::map<std::size_t, double>> by_step;
  for (const auto& s : h.all()) {
    auto& mp = by_step.emplace_back();
    for (std::size_t i = 0; i < s.steps.size(); ++i) mp[s.steps[i]] = s.values[i];
  }
  for (std::size_t st : h.steps()) {
    std::vector<std::string> r{std::to_string(st)};
    for (const auto& mp : by_step) {
      const auto it = mp.find(st);
      r.push_back(it == mp.end() ? "" : detail::fmt(it->second, 6));
    }
    rows.push_back(std::move(r));
  }
  detail::print_table(os, rows);
}

}  // namespace grove::diag

#pragma once
/// \file write_svg / to_svg: a learning curve (train and validation means with ±1 std bands, the
/// fitted power law projected to 2× the data) or a training history (one line per series, the
/// early-stopping point marked) as a standalone SVG chart.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "grove/diagnostics/diagnose.hpp"
#include "grove/diagnostics/early_stopping.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/diagnostics/learning_curve.hpp"
#include "grove/io/file.hpp"
#include "grove/io/svg.hpp"

namespace grove::diag {

/// Look of a learning-curve chart.
struct CurvePlotOptions {
  std::string title = "Learning curve";
  double width = 760;
  double height = 480;
  /// Log-scaled training-size axis; unset: log when the drawn sizes span more than a decade
  /// (with the projection shown they reach 10× the largest measured size).
  std::optional<bool> log_x = {};
  bool show_fit = true;   ///< the projection (dashed) with its 95% band, out to 10× the largest size
  /// Diagnosis whose fit to draw; when null and show_fit is set, diagnose(curve) is run.
  const Diagnosis* diagnosis = nullptr;
};

/// Look of a history chart.
struct HistoryPlotOptions {
  std::string title = "Training history";
  double width = 760;
  double height = 480;
  std::vector<std::string> series = {};  ///< series to draw (empty: all)
  std::string monitor = "val_loss";      ///< its best step is marked as the early-stopping point
  std::optional<std::size_t> stop_step = {};  ///< explicit early-stopping step (overrides monitor)
  Mode mode = Mode::Auto;                ///< direction of `monitor` (Auto: by name)
  bool log_y = false;
  std::string x_label = "step";
  std::string y_label = "value";
};

}  // namespace grove::diag

namespace grove::detail {

/// A colour per series name, stable across charts: training series blue, validation orange,
/// others from a hash of the name (so "lr" has one colour in every chart).
inline const char* series_color(const std::string& name) {
  static constexpr const char* colors[] = {"#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"};
  if (name.rfind("train", 0) == 0) return "#1f77b4";
  if (name.rfind("val", 0) == 0 || name.rfind("valid", 0) == 0 || name.rfind("test", 0) == 0) return "#ff7f0e";
  std::size_t h = 1469598103934665603ULL;  // FNV-1a: the same name gives the same colour everywhere
  for (char ch : name) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  return colors[h % 6];
}

}  // namespace grove::detail

namespace grove::diag {

/// The learning-curve chart as SVG text: training and validation means with ±1 std bands, the
/// projection (dashed, under the data) with its 95% band out to 10× the largest size and the
/// 2× / 10× points labelled; the trivial baseline as a line, or marked at the edge when it lies
/// far below the data (the y axis is fitted to the curve, not to the baseline).
inline std::string to_svg(const LearningCurve& c, const CurvePlotOptions& options = {}) {
  std::vector<double> x(c.train_sizes.begin(), c.train_sizes.end());
  const std::size_t m = x.size();
  Diagnosis own;
  const Diagnosis* d = options.diagnosis;
  if (options.show_fit && m > 0 && !d) {
    own = diagnose(c);
    d = &own;
  }
  const bool fit = options.show_fit && m > 0 && d && d->projection.ok;
  const bool log_x = options.log_x.value_or(m >= 1 && (fit ? 10 : 1) * x.back() > 10 * x.front());
  bool is_loss = false, negated = false;
  const std::string metric = detail::metric_words(c.scoring, c.greater_is_better, is_loss, negated);
  io::SvgPlot plot({.width = options.width, .height = options.height, .title = options.title,
                    .x_label = "training samples",
                    .y_label = c.scoring + (c.greater_is_better ? " (higher is better)" : " (lower is better)"),
                    .log_x = log_x});
  auto band = [&](const std::vector<double>& mean, const std::vector<double>& sd, std::vector<double>& lo,
                  std::vector<double>& hi) {
    lo.resize(m), hi.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
      const double s = i < sd.size() && std::isfinite(sd[i]) ? sd[i] : 0.0;
      const double v = i < mean.size() ? mean[i] : std::nan("");
      lo[i] = v - s, hi[i] = v + s;
    }
  };
  std::vector<double> tlo, thi, vlo, vhi;
  band(c.train_mean, c.train_std, tlo, thi);
  band(c.val_mean, c.val_std, vlo, vhi);
  // The y range covers the data (means ± std) and the projected points, not the baseline.
  double y0 = std::numeric_limits<double>::infinity(), y1 = -y0;
  auto take = [&](double v) {
    if (std::isfinite(v)) y0 = std::min(y0, v), y1 = std::max(y1, v);
  };
  for (std::size_t i = 0; i < m; ++i) take(tlo[i]), take(thi[i]), take(vlo[i]), take(vhi[i]);

  if (fit) {
    const Projection& p = d->projection;
    // Drawn over the sizes it was fitted on (the smallest ones are left out of the fit) and on.
    const double n0 = p.first_size > 0 ? p.first_size : x.front(), n1 = 10 * x.back();
    std::vector<double> fx, fy, flo, fhi;
    for (int i = 0; i <= 64; ++i) {
      const double nx = std::exp(std::log(n0) + i / 64.0 * (std::log(n1) - std::log(n0)));
      const ProjectedScore ps = p.at(nx);
      fx.push_back(nx), fy.push_back(ps.score);
      // The band starts at the largest measured size: inside the curve the data speak.
      flo.push_back(nx >= x.back() * (1 - 1e-9) ? ps.lo : std::nan(""));
      fhi.push_back(nx >= x.back() * (1 - 1e-9) ? ps.hi : std::nan(""));
    }
    const char* color = d->projection_reliable ? "#d62728" : "#9a9a9a";
    plot.band(d->projection_reliable ? "projection 95% interval" : "", fx, flo, fhi, color, 0.12);
    plot.line(d->projection_reliable ? "projection (validation)" : "projection (unreliable)", fx, fy,
              {.color = color, .width = 1.6, .dash = "7 4", .markers = false});
    for (double k : {2.0, 10.0}) {
      const ProjectedScore ps = p.at(k * x.back());
      take(ps.score);
      plot.marker(k * x.back(), ps.score,
                  (k == 2.0 ? "2x: " : "10x: ") + detail::fmt(negated ? -ps.score : ps.score, 3) + " [" +
                      detail::fmt(negated ? -ps.hi : ps.lo, 3) + ", " + detail::fmt(negated ? -ps.lo : ps.hi, 3) + "]",
                  color);
    }
  }
  plot.band("train ± 1 std", x, tlo, thi, "#1f77b4");
  plot.band("validation ± 1 std", x, vlo, vhi, "#ff7f0e");
  plot.line("train", x, c.train_mean, {.color = "#1f77b4"});
  plot.line("validation", x, c.val_mean, {.color = "#ff7f0e"});
  if (std::isfinite(y0) && y1 >= y0) {
    double lo = y0, hi = y1;
    const double span = std::max(hi - lo, 1e-3 * std::max(1.0, std::fabs(hi)));
    lo -= 0.08 * span, hi += 0.08 * span;
    // A score axis never needs to pass the optimum by more than the padding.
    if (c.greater_is_better && y1 <= c.optimum) hi = std::min(hi, c.optimum + 0.02 * span);
    if (!c.greater_is_better && y0 >= c.optimum) lo = std::max(lo, c.optimum - 0.02 * span);
    plot.set_y_range(lo, hi);
  }
  if (std::isfinite(c.baseline_score) && m > 0)
    plot.edge_note(c.baseline_score, "trivial baseline " + detail::fmt(negated ? -c.baseline_score : c.baseline_score, 3));
  return plot.to_string();
}

/// Writes the learning-curve chart to `path` (IoError naming the path and the reason on failure).
inline void write_svg(const LearningCurve& c, const std::string& path, const CurvePlotOptions& options = {}) {
  io::write_file(path, to_svg(c, options), "write_svg");
}

/// The history chart as SVG text: one line per series, the early-stopping point marked.
inline std::string to_svg(const History& h, const HistoryPlotOptions& options = {}) {
  io::SvgPlot plot({.width = options.width, .height = options.height, .title = options.title,
                    .x_label = options.x_label, .y_label = options.y_label, .log_y = options.log_y});
  std::vector<std::string> names = options.series.empty() ? h.names() : options.series;
  std::vector<std::string> used;  // a colour already drawn (val_loss and val_accuracy): dash the next
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& v = h.series(names[i]);  // ValueError naming the known series when absent
    const auto& s = h.steps(names[i]);
    std::vector<double> x(s.begin(), s.end());
    const std::string color = detail::series_color(names[i]);
    const bool repeat = std::find(used.begin(), used.end(), color) != used.end();
    used.push_back(color);
    plot.line(names[i], x, v, {.color = color, .dash = repeat ? "6 3" : "", .markers = v.size() <= 60});
  }
  std::optional<std::size_t> stop = options.stop_step;
  double stop_value = std::nan("");
  if (h.has(options.monitor)) {
    const auto& v = h.series(options.monitor);
    const auto& s = h.steps(options.monitor);
    const bool maximize =
        options.mode == Mode::Max || (options.mode == Mode::Auto && detail::looks_like_score(options.monitor));
    std::size_t best = v.size();
    for (std::size_t i = 0; i < v.size(); ++i)
      if (std::isfinite(v[i]) && (best == v.size() || (maximize ? v[i] > v[best] : v[i] < v[best]))) best = i;
    if (!stop && best < v.size()) stop = s[best];
    if (stop)
      for (std::size_t i = 0; i < v.size(); ++i)
        if (s[i] == *stop) stop_value = v[i];
  }
  if (stop) {
    // Only an explicit stop_step is an early stop; otherwise the line marks the best step.
    plot.vline(static_cast<double>(*stop), (options.stop_step ? "early stop: step " : "best: step ") + std::to_string(*stop));
    if (std::isfinite(stop_value))
      plot.marker(static_cast<double>(*stop), stop_value, "best " + options.monitor + " " + detail::fmt(stop_value, 4));
  }
  return plot.to_string();
}

/// Writes the history chart to `path`.
inline void write_svg(const History& h, const std::string& path, const HistoryPlotOptions& options = {}) {
  io::write_file(path, to_svg(h, options), "write_svg");
}

}  // namespace grove::diag

#pragma once
/// \file write_svg / to_svg: a learning curve (train and validation means with ±1 std bands, the
/// fitted power law projected to 2× the data) or a training history (one line per series, the
/// early-stopping point marked) as a standalone SVG chart.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "grove/diagnostics/detail/write_file.hpp"
#include "grove/diagnostics/diagnose.hpp"
#include "grove/diagnostics/early_stopping.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/diagnostics/learning_curve.hpp"
#include "grove/io/svg.hpp"

namespace grove::diag {

/// Look of a learning-curve chart.
struct CurvePlotOptions {
  std::string title = "Learning curve";
  double width = 760;
  double height = 480;
  bool log_x = false;     ///< log-scaled training-size axis
  bool show_fit = true;   ///< dashed fitted validation curve extended to 2× the largest size
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

inline const char* palette(std::size_t i) {
  static constexpr const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                           "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  return colors[i % 8];
}

}  // namespace grove::detail

namespace grove::diag {

/// The learning-curve chart as SVG text.
inline std::string to_svg(const LearningCurve& c, const CurvePlotOptions& options = {}) {
  io::SvgPlot plot({.width = options.width, .height = options.height, .title = options.title,
                    .x_label = "training samples",
                    .y_label = c.scoring + (c.greater_is_better ? " (higher is better)" : " (lower is better)"),
                    .log_x = options.log_x});
  std::vector<double> x(c.train_sizes.begin(), c.train_sizes.end());
  const std::size_t m = x.size();
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
  plot.band("train ± 1 std", x, tlo, thi, "#1f77b4");
  plot.band("validation ± 1 std", x, vlo, vhi, "#ff7f0e");
  plot.line("train", x, c.train_mean, {.color = "#1f77b4"});
  plot.line("validation", x, c.val_mean, {.color = "#ff7f0e"});
  if (std::isfinite(c.baseline_score) && m > 0)
    plot.line("trivial baseline", {x.front(), x.back()}, {c.baseline_score, c.baseline_score},
              {.color = "#7f7f7f", .width = 1.2, .dash = "3 3", .markers = false});

  if (options.show_fit && m > 0) {
    Diagnosis own;
    const Diagnosis* d = options.diagnosis;
    if (!d) {
      own = diagnose(c);
      d = &own;
    }
    if (d->fit.ok) {
      const double n0 = x.front(), n1 = 2 * x.back();
      std::vector<double> fx, fy;
      for (int i = 0; i <= 48; ++i) {
        const double t = i / 48.0;
        const double nx = std::exp(std::log(n0) + t * (std::log(n1) - std::log(n0)));
        fx.push_back(nx);
        fy.push_back(c.score(d->fit.predict(nx)));
      }
      plot.line("power-law fit (validation)", fx, fy, {.color = "#d62728", .width = 1.5, .dash = "7 4", .markers = false});
      plot.marker(n1, c.score(d->fit.predict(n1)),
                  "projected at 2x: " + detail::fmt(c.score(d->fit.predict(n1)), 3));
    }
  }
  return plot.to_string();
}

/// Writes the learning-curve chart to `path` (ValueError naming the path on failure).
inline void write_svg(const LearningCurve& c, const std::string& path, const CurvePlotOptions& options = {}) {
  detail::write_text_file(path, to_svg(c, options), "write_svg");
}

/// The history chart as SVG text: one line per series, the early-stopping point marked.
inline std::string to_svg(const History& h, const HistoryPlotOptions& options = {}) {
  io::SvgPlot plot({.width = options.width, .height = options.height, .title = options.title,
                    .x_label = options.x_label, .y_label = options.y_label, .log_y = options.log_y});
  std::vector<std::string> names = options.series.empty() ? h.names() : options.series;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& v = h.series(names[i]);  // ValueError naming the known series when absent
    const auto& s = h.steps(names[i]);
    std::vector<double> x(s.begin(), s.end());
    plot.line(names[i], x, v, {.color = detail::palette(i), .markers = v.size() <= 60});
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
    plot.vline(static_cast<double>(*stop), "early stop: step " + std::to_string(*stop));
    if (std::isfinite(stop_value))
      plot.marker(static_cast<double>(*stop), stop_value, "best " + options.monitor + " " + detail::fmt(stop_value, 4));
  }
  return plot.to_string();
}

/// Writes the history chart to `path`.
inline void write_svg(const History& h, const std::string& path, const HistoryPlotOptions& options = {}) {
  detail::write_text_file(path, to_svg(h, options), "write_svg");
}

}  // namespace grove::diag

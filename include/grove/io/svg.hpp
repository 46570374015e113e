#pragma once
/// \file A small SVG writer: a document of shapes and text (XML-escaped), and SvgPlot, a 2-D line
/// chart with bands, axes with "nice" ticks (linear or log), grid, markers and a legend.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/io/file.hpp"

// Helpers live in grove::detail (not grove::io::detail, which would hide grove::detail from
// io code that writes detail::throw_error).
namespace grove::detail {

/// Shortest round-trippable-enough decimal for coordinates (SVG needs no more than 0.01 px).
inline std::string svg_num(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s(buf);
  // Trim trailing zeros: "12.50" -> "12.5", "3.00" -> "3".
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

/// A tick label: compact, no trailing zeros, scientific only for very large/small magnitudes.
inline std::string svg_tick_label(double v) {
  if (v == 0.0) return "0";
  const double a = std::fabs(v);
  char buf[32];
  if (a >= 1e6 || a < 1e-4)
    std::snprintf(buf, sizeof buf, "%.3g", v);
  else
    std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

[[noreturn, gnu::cold]] inline void throw_svg_error(const std::string& msg) {
  throw_value_error(msg);
}

}  // namespace grove::detail

namespace grove::io {

/// `s` with &, <, >, " and ' replaced by XML entities; control characters XML 1.0 forbids are
/// dropped so the output always parses.
inline std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (u < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;
        out += ch;
    }
  }
  return out;
}


/// Stroke and fill of a shape. Empty strings omit the attribute.
struct SvgStyle {
  std::string stroke = "none";
  std::string fill = "none";
  double stroke_width = 1.0;
  double opacity = 1.0;       ///< applies to the whole shape
  std::string dash = {};      ///< stroke-dasharray, e.g. "6 4"
};

/// Font and placement of a text run.
struct SvgTextStyle {
  double size = 12.0;
  std::string anchor = "start";  ///< start, middle or end
  std::string fill = "#222";
  std::string weight = "normal";
  double rotate = 0.0;           ///< degrees, about the anchor point
  bool halo = false;             ///< a white outline under the glyphs, legible over lines
};

/// An SVG document built from primitives; every string is XML-escaped on the way in.
class SvgDocument {
public:
  /// A document of the given size in px (both must be positive and finite).
  SvgDocument(double width, double height) : width_(width), height_(height) {
    if (!(width > 0) || !(height > 0) || !std::isfinite(width) || !std::isfinite(height))
      detail::throw_svg_error("SvgDocument: size must be positive and finite, got " +
                              detail::svg_tick_label(width) + " x " + detail::svg_tick_label(height));
  }

  double width() const noexcept { return width_; }
  double height() const noexcept { return height_; }

  /// A straight segment.
  void line(double x1, double y1, double x2, double y2, const SvgStyle& style) {
    body_ += "<line x1=\"" + detail::svg_num(x1) + "\" y1=\"" + detail::svg_num(y1) + "\" x2=\"" +
             detail::svg_num(x2) + "\" y2=\"" + detail::svg_num(y2) + "\"" + attrs(style) + "/>\n";
  }

  /// Connected segments through the points (nothing for fewer than 2 points).
  void polyline(const std::vector<std::pair<double, double>>& pts, const SvgStyle& style) {
    if (pts.size() < 2) return;
    body_ += "<polyline points=\"" + points(pts) + "\"" + attrs(style) + "/>\n";
  }

  /// A closed polygon (e.g. a confidence band: upper edge left to right, lower edge back).
  void polygon(const std::vector<std::pair<double, double>>& pts, const SvgStyle& style) {
    if (pts.size() < 3) return;
    body_ += "<polygon points=\"" + points(pts) + "\"" + attrs(style) + "/>\n";
  }

  /// A path from raw path data (`d` is escaped, so any string is safe).
  void path(std::string_view d, const SvgStyle& style) {
    body_ += "<path d=\"" + xml_escape(d) + "\"" + attrs(style) + "/>\n";
  }

  /// An axis-aligned rectangle.
  void rect(double x, double y, double w, double h, const SvgStyle& style) {
    body_ += "<rect x=\"" + detail::svg_num(x) + "\" y=\"" + detail::svg_num(y) + "\" width=\"" +
             detail::svg_num(std::max(0.0, w)) + "\" height=\"" + detail::svg_num(std::max(0.0, h)) +
             "\"" + attrs(style) + "/>\n";
  }

  /// A circle.
  void circle(double cx, double cy, double r, const SvgStyle& style) {
    body_ += "<circle cx=\"" + detail::svg_num(cx) + "\" cy=\"" + detail::svg_num(cy) + "\" r=\"" +
             detail::svg_num(std::max(0.0, r)) + "\"" + attrs(style) + "/>\n";
  }

  /// A text run anchored at (x, y) (baseline).
  void text(double x, double y, std::string_view s, const SvgTextStyle& style = {}) {
    body_ += "<text x=\"" + detail::svg_num(x) + "\" y=\"" + detail::svg_num(y) + "\" font-size=\"" +
             detail::svg_num(style.size) + "\" text-anchor=\"" + xml_escape(style.anchor) + "\" fill=\"" +
             xml_escape(style.fill) + "\"";
    if (style.weight != "normal") body_ += " font-weight=\"" + xml_escape(style.weight) + "\"";
    if (style.halo) body_ += " stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"";
    if (style.rotate != 0.0)
      body_ += " transform=\"rotate(" + detail::svg_num(style.rotate) + " " + detail::svg_num(x) + " " +
               detail::svg_num(y) + ")\"";
    body_ += ">" + xml_escape(s) + "</text>\n";
  }

  /// Opens a group; `cls` and `label` become class and data-label attributes (for styling and
  /// for tools that look for a series). Close it with end_group().
  void begin_group(std::string_view cls, std::string_view label = {}) {
    body_ += "<g class=\"" + xml_escape(cls) + "\"";
    if (!label.empty()) body_ += " data-label=\"" + xml_escape(label) + "\"";
    body_ += ">\n";
    ++open_groups_;
  }
  /// Closes the innermost open group.
  void end_group() {
    if (open_groups_ == 0) detail::throw_svg_error("SvgDocument::end_group: no open group");
    body_ += "</g>\n";
    --open_groups_;
  }

  /// A <title> element (shown as a tooltip / accessible name).
  void title(std::string_view s) { body_ += "<title>" + xml_escape(s) + "</title>\n"; }

  /// The complete document (any groups left open are closed).
  std::string str() const {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                      "width=\"" + detail::svg_num(width_) + "\" height=\"" + detail::svg_num(height_) +
                      "\" viewBox=\"0 0 " + detail::svg_num(width_) + " " + detail::svg_num(height_) +
                      "\" font-family=\"Helvetica, Arial, sans-serif\">\n";
    out += body_;
    for (int i = 0; i < open_groups_; ++i) out += "</g>\n";
    out += "</svg>\n";
    return out;
  }

  /// Writes str() to `path` atomically (io::write_file; IoError naming the path and the reason).
  void save(const std::string& path) const { io::write_file(path, str(), "SvgDocument::save"); }

private:
  static std::string points(const std::vector<std::pair<double, double>>& pts) {
    std::string s;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (i) s += ' ';
      s += detail::svg_num(pts[i].first) + "," + detail::svg_num(pts[i].second);
    }
    return s;
  }
  static std::string attrs(const SvgStyle& st) {
    std::string s = " stroke=\"" + xml_escape(st.stroke.empty() ? "none" : st.stroke) + "\" fill=\"" +
                    xml_escape(st.fill.empty() ? "none" : st.fill) + "\"";
    if (st.stroke != "none" && !st.stroke.empty())
      s += " stroke-width=\"" + detail::svg_num(st.stroke_width) + "\" stroke-linejoin=\"round\"";
    if (st.opacity < 1.0) s += " opacity=\"" + detail::svg_num(std::max(0.0, st.opacity)) + "\"";
    if (!st.dash.empty()) s += " stroke-dasharray=\"" + xml_escape(st.dash) + "\"";
    return s;
  }

  double width_, height_;
  std::string body_;
  int open_groups_ = 0;
};

/// Ticks for an axis range: 1-2-5 steps on a linear axis, decades (with 2 and 5 when few
/// decades are shown) on a log axis. Returns values inside [lo, hi].
inline std::vector<double> nice_ticks(double lo, double hi, bool log_scale, std::size_t target = 6) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  if (log_scale) {
    if (!(lo > 0)) return ticks;
    const int d0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    const int d1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    const int decades = d1 - d0;
    const int t = static_cast<int>(std::max<std::size_t>(target, 1));
    const int step = std::max(1, (decades + t - 1) / t);
    static constexpr double sub[] = {1.0, 2.0, 5.0};
    for (int d = d0; d <= d1; d += step)
      for (double m : sub) {
        if (m != 1.0 && decades > 2) continue;  // only decades when the range spans many
        const double v = m * std::pow(10.0, d);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
      }
    if (ticks.size() < 2) {  // a narrow range inside one decade: fall back to linear ticks
      return nice_ticks(lo, hi, false, target);
    }
    return ticks;
  }
  const double raw = (hi - lo) / static_cast<double>(std::max<std::size_t>(target, 2));
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  const double step = (r < 1.5 ? 1.0 : r < 3.0 ? 2.0 : r < 7.0 ? 5.0 : 10.0) * mag;
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (int i = 0; i < 1000; ++i) {  // multiples of step (no accumulated rounding), at most a few dozen
    const double v = first + i * step;
    if (v > hi + step * 1e-9) break;
    ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

/// Look of one SvgPlot line (with optional point markers).
struct SvgLineStyle {
  std::string color = "#1f77b4";
  double width = 2.0;
  std::string dash = {};
  bool markers = true;
};

/// Axes, titles and scale of an SvgPlot.
struct SvgPlotOptions {
  double width = 760;
  double height = 480;
  std::string title = {};
  std::string x_label = {};
  std::string y_label = {};
  bool log_x = false;  ///< log10 x axis (non-positive x values are skipped)
  bool log_y = false;  ///< log10 y axis (non-positive y values are skipped)
};

/// A line chart: series are collected first, then to_string()/save() computes the ranges and
/// draws bands, then lines, then markers, with axes, grid and a legend. NaN breaks a line.
class SvgPlot {
public:
  using LineStyle = SvgLineStyle;

  explicit SvgPlot(SvgPlotOptions options = {}) : opt_(std::move(options)) {
    if (!(opt_.width >= 200) || !(opt_.height >= 150) || !std::isfinite(opt_.width) || !std::isfinite(opt_.height))
      detail::throw_svg_error("SvgPlot: size must be at least 200 x 150, got " + detail::svg_tick_label(opt_.width) +
                              " x " + detail::svg_tick_label(opt_.height));
  }

  /// Adds a line; `label` names it in the legend and in the SVG (data-label). xs and ys must agree.
  void line(std::string label, std::vector<double> xs, std::vector<double> ys, LineStyle style = {}) {
    check_sizes("SvgPlot::line", label, xs.size(), ys.size());
    lines_.push_back({std::move(label), std::move(xs), std::move(ys), std::move(style)});
  }

  /// Adds a shaded band between lo(x) and hi(x) (e.g. mean ± 1 std); an empty label keeps it out
  /// of the legend.
  void band(std::string label, std::vector<double> xs, std::vector<double> lo, std::vector<double> hi,
            std::string color, double opacity = 0.18) {
    check_sizes("SvgPlot::band", label, xs.size(), lo.size());
    check_sizes("SvgPlot::band", label, xs.size(), hi.size());
    bands_.push_back({std::move(label), std::move(xs), std::move(lo), std::move(hi), std::move(color), opacity});
  }

  /// A vertical dashed line at x with a label written next to it (e.g. the early-stopping step).
  void vline(double x, std::string label, std::string color = "#d62728") {
    vlines_.push_back({x, std::move(label), std::move(color)});
  }

  /// A highlighted point with a short label.
  void marker(double x, double y, std::string label, std::string color = "#d62728") {
    markers_.push_back({x, y, std::move(label), std::move(color)});
  }

  /// A value outside the y range marked at the plot's edge (a small triangle pointing out of the
  /// plot and a label), so a far-away reference such as a trivial baseline does not stretch the
  /// axis. Drawn on the line instead when `y` turns out to lie inside the range.
  void edge_note(double y, std::string label, std::string color = "#7f7f7f") {
    edge_notes_.push_back({y, std::move(label), std::move(color)});
  }

  /// Forces the y range (otherwise it covers every finite value, padded by 5%).
  void set_y_range(double lo, double hi) {
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi))
      detail::throw_svg_error("SvgPlot::set_y_range: need finite lo < hi, got [" + detail::svg_tick_label(lo) + ", " +
                              detail::svg_tick_label(hi) + "]");
    y_fixed_ = {lo, hi};
    has_y_fixed_ = true;
  }

  /// The rendered document.
  SvgDocument render() const;
  /// The rendered SVG text.
  std::string to_string() const { return render().str(); }
  /// Renders to `path`.
  void save(const std::string& path) const { render().save(path); }

private:
  struct Line {
    std::string label;
    std::vector<double> xs, ys;
    LineStyle style;
  };
  struct Band {
    std::string label;
    std::vector<double> xs, lo, hi;
    std::string color;
    double opacity;
  };
  struct VLine {
    double x;
    std::string label, color;
  };
  struct Marker {
    double x, y;
    std::string label, color;
  };
  struct EdgeNote {
    double y;
    std::string label, color;
  };

  static void check_sizes(const char* op, const std::string& label, std::size_t a, std::size_t b) {
    if (a != b)
      detail::throw_svg_error(std::string(op) + ": series '" + label + "' has " + std::to_string(a) +
                              " x values but " + std::to_string(b) + " y values");
  }

  SvgPlotOptions opt_;
  std::vector<Line> lines_;
  std::vector<Band> bands_;
  std::vector<VLine> vlines_;
  std::vector<Marker> markers_;
  std::vector<EdgeNote> edge_notes_;
  std::pair<double, double> y_fixed_{0, 1};
  bool has_y_fixed_ = false;
};

inline SvgDocument SvgPlot::render() const {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const bool lx = opt_.log_x, ly = opt_.log_y;
  auto ok_x = [&](double x) { return std::isfinite(x) && (!lx || x > 0); };
  auto ok_y = [&](double y) { return std::isfinite(y) && (!ly || y > 0); };

  // Data ranges over every drawable value.
  double x0 = inf, x1 = -inf, y0 = inf, y1 = -inf;
  auto take = [&](double x, double y) {
    if (!ok_x(x)) return;
    x0 = std::min(x0, x);
    x1 = std::max(x1, x);
    if (ok_y(y)) {
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  };
  for (const auto& l : lines_)
    for (std::size_t i = 0; i < l.xs.size(); ++i) take(l.xs[i], l.ys[i]);
  for (const auto& b : bands_)
    for (std::size_t i = 0; i < b.xs.size(); ++i) {
      take(b.xs[i], b.lo[i]);
      take(b.xs[i], b.hi[i]);
    }
  for (const auto& m : markers_) take(m.x, m.y);
  for (const auto& v : vlines_)
    if (ok_x(v.x)) {
      x0 = std::min(x0, v.x);
      x1 = std::max(x1, v.x);
    }
  if (!(x1 >= x0)) x0 = lx ? 1 : 0, x1 = lx ? 10 : 1;
  if (!(y1 >= y0)) y0 = ly ? 1 : 0, y1 = ly ? 10 : 1;
  if (has_y_fixed_) y0 = y_fixed_.first, y1 = y_fixed_.second;

  // Pad: log axes pad multiplicatively, linear ones by 5% (a degenerate range gets a unit span).
  auto pad = [](double& lo, double& hi, bool log_scale) {
    if (log_scale) {
      if (hi <= lo) lo /= 2, hi *= 2;
      const double f = std::pow(hi / lo, 0.04);
      lo /= f, hi *= f;
    } else {
      if (hi <= lo) {
        const double d = std::max(std::fabs(lo) * 0.1, 0.5);
        lo -= d, hi += d;
      }
      const double d = (hi - lo) * 0.05;
      lo -= d, hi += d;
    }
  };
  pad(x0, x1, lx);
  if (!has_y_fixed_) pad(y0, y1, ly);

  // Legend entries, laid out in rows under the x-axis label: outside the plot, so no label,
  // marker or line can ever hide behind it.
  std::vector<std::pair<const Line*, const Band*>> entries;
  for (const auto& l : lines_)
    if (!l.label.empty()) entries.emplace_back(&l, nullptr);
  for (const auto& b : bands_)
    if (!b.label.empty()) entries.emplace_back(nullptr, &b);
  const double W = opt_.width, H = opt_.height;
  std::vector<std::pair<double, int>> entry_pos;  // x offset and row of each entry
  int legend_rows = 0;
  {
    double x = 0;
    const double avail = W - 72 - 24;
    for (const auto& e : entries) {
      const double w = 40 + 6.4 * static_cast<double>((e.first ? e.first->label : e.second->label).size()) + 14;
      if (x > 0 && x + w > avail) x = 0, ++legend_rows;
      entry_pos.emplace_back(x, legend_rows);
      x += w;
    }
    if (!entries.empty()) ++legend_rows;
  }
  const double left = 72, right = 24, top = opt_.title.empty() ? 24 : 44, bottom = 58 + 20.0 * legend_rows;
  const double pw = W - left - right, ph = H - top - bottom;
  auto tx = [&](double x) {
    const double t = lx ? (std::log10(x) - std::log10(x0)) / (std::log10(x1) - std::log10(x0)) : (x - x0) / (x1 - x0);
    return left + t * pw;
  };
  auto ty = [&](double y) {
    const double t = ly ? (std::log10(y) - std::log10(y0)) / (std::log10(y1) - std::log10(y0)) : (y - y0) / (y1 - y0);
    return top + (1 - t) * ph;
  };
  auto clamp_y = [&](double py) { return std::clamp(py, top - 2, top + ph + 2); };

  SvgDocument doc(W, H);
  if (!opt_.title.empty()) doc.title(opt_.title);
  doc.rect(0, 0, W, H, {.stroke = "none", .fill = "#ffffff"});
  if (!opt_.title.empty())
    doc.text(W / 2, 26, opt_.title, {.size = 16, .anchor = "middle", .fill = "#111", .weight = "bold"});

  // Grid and ticks.
  doc.begin_group("axes");
  const auto xt = nice_ticks(x0, x1, lx, 7), yt = nice_ticks(y0, y1, ly, 6);
  for (double v : xt) {
    const double px = tx(v);
    doc.line(px, top, px, top + ph, {.stroke = "#e5e5e5", .stroke_width = 1});
    doc.line(px, top + ph, px, top + ph + 5, {.stroke = "#444", .stroke_width = 1});
    doc.text(px, top + ph + 19, detail::svg_tick_label(v), {.size = 11, .anchor = "middle", .fill = "#333"});
  }
  for (double v : yt) {
    const double py = ty(v);
    doc.line(left, py, left + pw, py, {.stroke = "#e5e5e5", .stroke_width = 1});
    doc.line(left - 5, py, left, py, {.stroke = "#444", .stroke_width = 1});
    doc.text(left - 8, py + 4, detail::svg_tick_label(v), {.size = 11, .anchor = "end", .fill = "#333"});
  }
  doc.rect(left, top, pw, ph, {.stroke = "#444", .fill = "none", .stroke_width = 1});
  if (!opt_.x_label.empty())
    doc.text(left + pw / 2, top + ph + 40, opt_.x_label + (lx ? " (log scale)" : ""), {.size = 13, .anchor = "middle"});
  if (!opt_.y_label.empty())
    doc.text(18, top + ph / 2, opt_.y_label + (ly ? " (log scale)" : ""), {.size = 13, .anchor = "middle", .rotate = -90});
  doc.end_group();

  // Pixels covered by data, to place the legend where it hides the least.
  std::vector<std::pair<double, double>> occupied;
  auto occupy_segment = [&](double xa, double ya, double xb, double yb) {
    for (int j = 0; j <= 8; ++j) {
      const double t = j / 8.0;
      occupied.emplace_back(xa + t * (xb - xa), ya + t * (yb - ya));
    }
  };

  // Bands: upper edge left to right, lower edge back; a NaN splits the band into pieces.
  for (const auto& b : bands_) {
    doc.begin_group("band", b.label);
    std::vector<std::pair<double, double>> up, dn;
    auto flush = [&] {
      if (up.size() >= 2) {
        std::vector<std::pair<double, double>> poly = up;
        poly.insert(poly.end(), dn.rbegin(), dn.rend());
        doc.polygon(poly, {.stroke = "none", .fill = b.color, .opacity = b.opacity});
      }
      up.clear();
      dn.clear();
    };
    for (std::size_t i = 0; i < b.xs.size(); ++i) {
      if (!ok_x(b.xs[i]) || !ok_y(b.lo[i]) || !ok_y(b.hi[i])) {
        flush();
        continue;
      }
      up.emplace_back(tx(b.xs[i]), clamp_y(ty(b.hi[i])));
      dn.emplace_back(tx(b.xs[i]), clamp_y(ty(b.lo[i])));
      occupy_segment(up.back().first, up.back().second, dn.back().first, dn.back().second);
      if (up.size() >= 2) {  // the edges too, so labels avoid the whole band
        occupy_segment(up[up.size() - 2].first, up[up.size() - 2].second, up.back().first, up.back().second);
        occupy_segment(dn[dn.size() - 2].first, dn[dn.size() - 2].second, dn.back().first, dn.back().second);
      }
    }
    flush();
    doc.end_group();
  }

  for (const auto& v : vlines_) {
    if (!ok_x(v.x)) continue;
    doc.begin_group("vline", v.label);
    const double px = tx(v.x);
    doc.line(px, top, px, top + ph, {.stroke = v.color, .stroke_width = 1.5, .dash = "6 4"});
    occupy_segment(px, top, px, top + ph);
    const bool right_side = px < left + pw * 0.7;
    doc.text(right_side ? px + 5 : px - 5, top + 14, v.label,
             {.size = 11, .anchor = right_side ? "start" : "end", .fill = v.color, .halo = true});
    doc.end_group();
  }

  for (const auto& l : lines_) {
    doc.begin_group("series", l.label);
    std::vector<std::pair<double, double>> seg;
    const SvgStyle st{.stroke = l.style.color, .fill = "none", .stroke_width = l.style.width, .dash = l.style.dash};
    for (std::size_t i = 0; i < l.xs.size(); ++i) {
      if (!ok_x(l.xs[i]) || !ok_y(l.ys[i])) {
        doc.polyline(seg, st);
        seg.clear();
        continue;
      }
      seg.emplace_back(tx(l.xs[i]), clamp_y(ty(l.ys[i])));
      if (seg.size() >= 2)
        occupy_segment(seg[seg.size() - 2].first, seg[seg.size() - 2].second, seg.back().first, seg.back().second);
      else
        occupied.push_back(seg.back());
    }
    doc.polyline(seg, st);
    if (l.style.markers)
      for (std::size_t i = 0; i < l.xs.size(); ++i)
        if (ok_x(l.xs[i]) && ok_y(l.ys[i]))
          doc.circle(tx(l.xs[i]), clamp_y(ty(l.ys[i])), 3.2, {.stroke = "#fff", .fill = l.style.color, .stroke_width = 1});
    doc.end_group();
  }

  for (const auto& m : markers_) {
    if (!ok_x(m.x) || !ok_y(m.y)) continue;
    doc.begin_group("marker", m.label);
    const double px = tx(m.x), py = clamp_y(ty(m.y));
    doc.circle(px, py, 6, {.stroke = m.color, .fill = "none", .stroke_width = 2});
    // The label goes to the side and height (above or below the point) that covers the fewest
    // drawn data pixels and stays inside the plot.
    const double label_w = 6.2 * static_cast<double>(m.label.size());
    double best_x = px + 9, best_y = py - 8;
    bool best_right = true;
    std::size_t fewest = std::numeric_limits<std::size_t>::max();
    for (int side = 0; side < 2; ++side)
      for (double dy : {-8.0, 18.0, -24.0, 34.0}) {
        const bool right_side = side == 0;
        const double x0b = right_side ? px + 9 : px - 9 - label_w, x1b = x0b + label_w;
        const double yb = py + dy, y0b = yb - 11, y1b = yb + 2;
        if (x0b < left || x1b > left + pw || y0b < top || y1b > top + ph) continue;
        std::size_t hits = 0;
        for (const auto& [ox, oy] : occupied) hits += ox >= x0b && ox <= x1b && oy >= y0b && oy <= y1b;
        if (hits < fewest) fewest = hits, best_x = right_side ? px + 9 : px - 9, best_y = yb, best_right = right_side;
      }
    occupy_segment(best_right ? best_x : best_x - label_w, best_y - 6, best_right ? best_x + label_w : best_x, best_y - 6);
    doc.text(best_x, best_y, m.label, {.size = 11, .anchor = best_right ? "start" : "end", .fill = m.color, .halo = true});
    doc.end_group();
  }

  // Values beyond the y range, marked at the edge they lie past.
  for (const auto& e : edge_notes_) {
    if (!std::isfinite(e.y)) continue;
    doc.begin_group("edge-note", e.label);
    const double py = ty(e.y);
    if (py >= top && py <= top + ph) {
      doc.line(left, py, left + pw, py, {.stroke = e.color, .stroke_width = 1.2, .dash = "3 3"});
      doc.text(left + 6, py - 4, e.label, {.size = 11, .fill = e.color, .halo = true});
    } else {
      const bool below = py > top + ph;
      const double ey = below ? top + ph - 4 : top + 4, dir = below ? 1 : -1;
      doc.polygon({{left + 8, ey}, {left + 16, ey}, {left + 12, ey + 6 * dir}}, {.stroke = "none", .fill = e.color});
      doc.text(left + 20, below ? ey : ey + 9, e.label + (below ? " (below)" : " (above)"),
               {.size = 11, .fill = e.color, .halo = true});
    }
    doc.end_group();
  }

  if (!entries.empty()) {
    doc.begin_group("legend");
    const double y0 = top + ph + 58;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      const double bx = left + entry_pos[i].first, yy = y0 + 20.0 * entry_pos[i].second;
      if (e.first) {
        doc.line(bx, yy - 4, bx + 26, yy - 4,
                 {.stroke = e.first->style.color, .stroke_width = e.first->style.width, .dash = e.first->style.dash});
        if (e.first->style.markers)
          doc.circle(bx + 13, yy - 4, 3.2, {.stroke = "#fff", .fill = e.first->style.color, .stroke_width = 1});
      } else {
        doc.rect(bx, yy - 10, 26, 11, {.stroke = "none", .fill = e.second->color, .opacity = std::max(e.second->opacity, 0.3)});
      }
      doc.text(bx + 32, yy, e.first ? e.first->label : e.second->label, {.size = 12});
    }
    doc.end_group();
  }
  return doc;
}

}  // namespace grove::io

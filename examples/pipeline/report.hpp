#pragma once
// Small output helpers of grove-pipeline: printf-style formatting, aligned tables (with headers
// wrapped, never cut), a JSON writer, quantiles, and the predicted-vs-actual chart.

#include <grove/core/format.hpp>
#include <grove/io/svg.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

namespace pipeline {

/// printf-style formatting into a std::string.
template <class... A>
std::string fmt(const char* f, A... a) {
  const int n = std::snprintf(nullptr, 0, f, a...);
  std::string s(static_cast<std::size_t>(std::max(n, 0)) + 1, '\0');
  std::snprintf(s.data(), s.size(), f, a...);
  s.pop_back();
  return s;
}

/// Mean and population standard deviation.
inline void mean_std(const std::vector<double>& v, double& mean, double& sd) {
  mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(std::max<std::size_t>(1, v.size()));
  sd = 0;
  for (double x : v) sd += (x - mean) * (x - mean);
  sd = std::sqrt(sd / static_cast<double>(std::max<std::size_t>(1, v.size())));
}

/// Quantile q in [0, 1] of v (nearest rank on the sorted values).
inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

/// `text` broken into lines of at most `width` characters at spaces, '/' and '-' (kept at the
/// end of a line); a word longer than `width` stays whole on its own line: names are never cut.
inline std::vector<std::string> wrap_words(const std::string& text, std::size_t width) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if (c == ' ') {
      if (!w.empty()) words.push_back(w), w.clear();
    } else {
      w += c;
      if (c == '/' || c == '-') words.push_back(w), w.clear();
    }
  }
  if (!words.empty() || !w.empty()) words.push_back(w);
  std::vector<std::string> lines;
  std::string line;
  for (const std::string& word : words) {
    if (word.empty()) continue;
    const bool glue = !line.empty() && (line.back() == '/' || line.back() == '-');
    const std::string joined = line.empty() ? word : line + (glue ? "" : " ") + word;
    if (line.empty() || joined.size() <= width) line = joined;
    else lines.push_back(line), line = word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

/// The longest word of `text` (as wrap_words splits it).
inline std::size_t longest_word(const std::string& text) {
  std::size_t best = 0;
  for (const std::string& w : wrap_words(text, 1)) best = std::max(best, w.size());
  return best;
}

/// Rows of cells, column 0 left-aligned, the others right-aligned. With `header_lines` > 0 the
/// first row is a header whose cells are wrapped to the column width over several lines.
inline void print_table(std::ostream& os, const std::vector<std::vector<std::string>>& rows,
                        const std::string& indent = "  ", bool wrap_header = false) {
  if (rows.empty()) return;
  std::vector<std::size_t> w;
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      if (w.size() <= c) w.push_back(0);
      const std::size_t len = r == 0 && wrap_header ? longest_word(rows[r][c]) : rows[r][c].size();
      w[c] = std::max(w[c], len);
    }
  auto emit = [&](const std::vector<std::string>& r) {
    std::string line = indent;
    for (std::size_t c = 0; c < r.size(); ++c) {
      const std::string pad(w[c] - std::min(w[c], r[c].size()), ' ');
      if (c) line += "  ";
      line += c ? pad + r[c] : r[c] + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    os << line << '\n';
  };
  std::size_t first = 0;
  if (wrap_header) {
    std::vector<std::vector<std::string>> cells(rows[0].size());
    std::size_t height = 1;
    for (std::size_t c = 0; c < rows[0].size(); ++c) {
      cells[c] = wrap_words(rows[0][c], w[c]);
      height = std::max(height, cells[c].size());
    }
    for (std::size_t l = 0; l < height; ++l) {  // bottom-aligned, as spreadsheet headers
      std::vector<std::string> r(cells.size());
      for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::size_t skip = height - cells[c].size();
        r[c] = l >= skip ? cells[c][l - skip] : "";
      }
      emit(r);
    }
    first = 1;
  }
  for (std::size_t r = first; r < rows.size(); ++r) emit(rows[r]);
}

/// A JSON string literal.
inline std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') out += '\\', out += ch;
    else if (ch == '\n') out += "\\n";
    else if (u < 0x20) out += fmt("\\u%04x", u);
    else out += ch;
  }
  return out + "\"";
}

/// A JSON object built field by field (NaN and infinities are written as null).
class JsonObject {
public:
  JsonObject& add(const std::string& key, const std::string& v) { return raw(key, json_quote(v)); }
  JsonObject& add(const std::string& key, const char* v) { return add(key, std::string(v)); }
  JsonObject& add(const std::string& key, double v) { return raw(key, std::isfinite(v) ? fmt("%.17g", v) : "null"); }
  JsonObject& add(const std::string& key, std::size_t v) { return raw(key, std::to_string(v)); }
  JsonObject& add(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
  /// A pre-formatted JSON value (object, array).
  JsonObject& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "" : ",\n") + std::string("  ") + json_quote(key) + ": " + json;
    return *this;
  }
  std::string str() const { return "{\n" + body_ + "\n}\n"; }

private:
  std::string body_;
};

/// A JSON array of pre-formatted values.
inline std::string json_array(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) s += ',';
    s += items[i];
  }
  return s + "]";
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
inline std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// Predicted against actual values as an SVG scatter, with the diagonal (a perfect model) and
/// the baseline (the training mean) as lines.
inline void write_predicted_vs_actual(const std::string& path, const std::string& title, const std::vector<double>& actual,
                                      const std::vector<double>& predicted, double baseline) {
  double lo = baseline, hi = baseline;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    lo = std::min({lo, actual[i], predicted[i]});
    hi = std::max({hi, actual[i], predicted[i]});
  }
  if (!(hi > lo)) hi = lo + 1;
  const std::vector<double> ticks = grove::io::nice_ticks(lo, hi, false);
  lo = std::min(lo, ticks.front()), hi = std::max(hi, ticks.back());
  const double W = 560, H = 560, left = 80, right = 24, top = 48, bottom = 64;
  const double pw = W - left - right, ph = H - top - bottom;
  auto X = [&](double v) { return left + (v - lo) / (hi - lo) * pw; };
  auto Y = [&](double v) { return top + ph - (v - lo) / (hi - lo) * ph; };
  grove::io::SvgDocument doc(W, H);
  doc.rect(0, 0, W, H, {.fill = "#ffffff"});
  doc.text(W / 2, 26, title, {.size = 15, .anchor = "middle", .weight = "bold"});
  for (double t : ticks) {
    if (t < lo || t > hi) continue;
    doc.line(X(t), top, X(t), top + ph, {.stroke = "#e5e5e5"});
    doc.line(left, Y(t), left + pw, Y(t), {.stroke = "#e5e5e5"});
    doc.text(X(t), top + ph + 18, grove::format_number(t), {.size = 11, .anchor = "middle"});
    doc.text(left - 8, Y(t) + 4, grove::format_number(t), {.size = 11, .anchor = "end"});
  }
  doc.rect(left, top, pw, ph, {.stroke = "#444444"});
  doc.text(left + pw / 2, H - 18, "actual value (test rows)", {.size = 13, .anchor = "middle"});
  doc.text(22, top + ph / 2, "predicted value", {.size = 13, .anchor = "middle", .rotate = -90});
  doc.line(X(lo), Y(baseline), X(hi), Y(baseline), {.stroke = "#7f7f7f", .stroke_width = 1.5, .dash = "6 4"});
  doc.text(left + 6, Y(baseline) - 6, "baseline: the training mean", {.size = 11, .fill = "#555555", .halo = true});
  doc.begin_group("points", "test rows");
  for (std::size_t i = 0; i < actual.size(); ++i)
    doc.circle(X(actual[i]), Y(predicted[i]), 2.5, {.stroke = "none", .fill = "#1f77b4", .opacity = 0.55});
  doc.end_group();
  doc.line(X(lo), Y(lo), X(hi), Y(hi), {.stroke = "#d62728", .stroke_width = 1.5});
  doc.text(X(hi) - 6, Y(hi) + 16, "predicted = actual", {.size = 11, .anchor = "end", .fill = "#d62728", .halo = true});
  doc.save(path);
}

}  // namespace pipeline

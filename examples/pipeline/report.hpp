#pragma once
// Small output helpers of grove-pipeline: number formatting, aligned tables, a JSON writer.

#include <grove/diagnostics/report.hpp>

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
  char buf[512];
  std::snprintf(buf, sizeof buf, f, a...);
  return buf;
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
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) ;
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

/// Rows of cells, column 0 left-aligned, the others right-aligned.
inline void print_table(std::ostream& os, const std::vector<std::vector<std::string>>& rows, const std::string& indent = "  ") {
  std::vector<std::size_t> w;
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) {
      if (w.size() <= c) w.push_back(0);
      w[c] = std::max(w[c], r[c].size());
    }
  for (const auto& r : rows) {
    std::string line = indent;
    for (std::size_t c = 0; c < r.size(); ++c) {
      const std::string pad(w[c] - r[c].size(), ' ');
      line += (c ? "  " : "") + (c ? pad + r[c] : r[c] + pad);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    os << line << '\n';
  }
}

/// A JSON object built field by field (strings escaped, NaN/inf written as null).
class JsonObject {
public:
  JsonObject& add(const std::string& key, const std::string& v) { return raw(key, grove::detail::json_string(v)); }
  JsonObject& add(const std::string& key, const char* v) { return add(key, std::string(v)); }
  JsonObject& add(const std::string& key, double v) { return raw(key, grove::detail::json_number(v)); }
  JsonObject& add(const std::string& key, std::size_t v) { return raw(key, std::to_string(v)); }
  JsonObject& add(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
  /// A pre-formatted JSON value (object, array).
  JsonObject& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "" : ",\n") + std::string("  ") + grove::detail::json_string(key) + ": " + json;
    return *this;
  }
  std::string str() const { return "{\n" + body_ + "\n}\n"; }

private:
  std::string body_;
};

}  // namespace pipeline

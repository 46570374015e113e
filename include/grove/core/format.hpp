#pragma once
/// \file The one number formatter behind grove's messages, reports and files: shortest
/// round-trip text by default, a fixed number of significant digits or decimals on request.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace grove {

/// Shortest text that reads back as exactly `v`: "0.1", "1e-08", "-3", "nan", "inf", "-inf";
/// whole numbers below 2^53 keep every digit ("2000000", not "2e+06": counts and sizes read plainly).
inline std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  const bool whole = std::fabs(v) < 0x1p53 && std::floor(v) == v;
  const auto res = whole ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

/// `v` rounded to `significant` significant digits, printf "%g" style: format_number(0.123456, 3) == "0.123".
inline std::string format_number(double v, int significant) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", significant < 1 ? 1 : (significant > 17 ? 17 : significant), v);
  return buf;
}

/// `v` with exactly `decimals` digits after the point, for aligned tables: format_fixed(0.5, 3) == "0.500".
inline std::string format_fixed(double v, int decimals) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[352];  // DBL_MAX printed in full with 17 decimals fits
  std::snprintf(buf, sizeof buf, "%.*f", decimals < 0 ? 0 : (decimals > 17 ? 17 : decimals), v);
  return buf;
}

}  // namespace grove

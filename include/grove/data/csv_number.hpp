#pragma once
/// \file Number cells of a CSV: trimming, parsing that never reads past the cell, the
/// overflow/underflow rule, the shortest text of a number, and the category order.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace grove::detail {

inline bool csv_is_space(char c, char delim) noexcept { return (c == ' ' || c == '\t') && c != delim; }

/// Drops spaces and tabs (unless tab is the delimiter) around [b, e).
inline void csv_trim(const char*& b, const char*& e, char delim) noexcept {
  while (b < e && csv_is_space(*b, delim)) ++b;
  while (e > b && csv_is_space(e[-1], delim)) --e;
}

/// True when a character may occur inside text std::from_chars accepts ("1e-5", "inf",
/// "nan(abc_1)"): with such a delimiter the fused scan-and-parse path could read past a field.
inline bool csv_char_in_number(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' ||
         c == '-' || c == '_' || c == '(' || c == ')';
}

enum class CsvNumber : std::uint8_t { Ok, Text, OutOfRange };

/// True when the decimal text [b, e) (a number whose magnitude is out of range) is too large
/// rather than too small: its first significant digit sits at or left of the units place.
inline bool csv_overflows(const char* b, const char* e) noexcept {
  const char* p = b;
  if (p < e && (*p == '+' || *p == '-')) ++p;
  long long lead = 0;  // decimal exponent of the first non-zero digit, before the 'e' part
  bool seen_point = false, seen_digit = false;
  long long digits_before_point = 0, zeros_after_point = 0;
  for (; p < e && ((*p >= '0' && *p <= '9') || *p == '.'); ++p) {
    if (*p == '.') {
      seen_point = true;
    } else if (!seen_digit) {
      if (*p != '0') {
        seen_digit = true;
        if (!seen_point) ++digits_before_point;
      } else if (seen_point) {
        ++zeros_after_point;
      }
    } else if (!seen_point) {
      ++digits_before_point;
    }
  }
  lead = digits_before_point > 0 ? digits_before_point - 1 : -(zeros_after_point + 1);
  long long exponent = 0;
  if (p < e && (*p == 'e' || *p == 'E')) {
    ++p;
    bool negative = false;
    if (p < e && (*p == '+' || *p == '-')) negative = *p++ == '-';
    for (; p < e && *p >= '0' && *p <= '9'; ++p)
      exponent = std::min<long long>(exponent * 10 + (*p - '0'), 1000000000LL);  // saturates
    if (negative) exponent = -exponent;
  }
  return lead + exponent >= 0;
}

/// Parses the whole (trimmed) text [b, e) as a T. A number too small for T rounds to zero like
/// any other rounding; one too large for T is OutOfRange (never silently infinity).
template <class T>
CsvNumber csv_parse_number(const char* b, const char* e, T& out) noexcept {
  if (b < e && *b == '+' && e - b > 1 && b[1] != '-' && b[1] != '+') ++b;  // from_chars rejects a leading '+'
  const auto res = std::from_chars(b, e, out);
  if (res.ptr != e || b == e) return CsvNumber::Text;
  if (res.ec == std::errc{}) return CsvNumber::Ok;
  if (res.ec != std::errc::result_out_of_range) return CsvNumber::Text;
  if (csv_overflows(b, e)) return CsvNumber::OutOfRange;
  out = (*b == '-') ? -T(0) : T(0);
  return CsvNumber::Ok;
}

/// The shortest text that reads back as v in T: how a number is named when it becomes a category.
template <class T>
std::string csv_number_text(T v) {
  if (v == T(0)) v = T(0);  // -0 and 0 are one category
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

/// The order categories get their codes in: by value when every name is a number (ties by
/// text, so "01" and "1" keep a fixed order), otherwise by text (bytewise). Independent of the
/// order rows come in. Returns the indices of `names` in sorted order.
inline std::vector<std::uint32_t> csv_category_order(const std::vector<std::string>& names) {
  std::vector<std::uint32_t> order(names.size());
  std::iota(order.begin(), order.end(), std::uint32_t{0});
  std::vector<double> value(names.size());
  bool numeric = !names.empty();
  for (std::size_t i = 0; i < names.size() && numeric; ++i) {
    const char* b = names[i].data();
    const char* e = b + names[i].size();
    csv_trim(b, e, ',');
    numeric = csv_parse_number(b, e, value[i]) == CsvNumber::Ok && value[i] == value[i];
  }
  if (numeric)
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return value[a] != value[b] ? value[a] < value[b] : names[a] < names[b];
    });
  else
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return names[a] < names[b]; });
  return order;
}

}  // namespace grove::detail

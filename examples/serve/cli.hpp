#pragma once
// Flag values shared by grove-serve and grove-predict: counts and seconds checked against their
// range, and the error a bad command line throws (exit code 2).

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace serve {

/// Thrown for a bad command line (exit code 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// An integer flag value in [lo, hi].
inline std::size_t parse_count(const std::string& flag, const std::string& v, std::size_t lo, std::size_t hi) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || *end != '\0' || errno == ERANGE || n < lo || n > hi)
    throw UsageError(flag + " expects an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" +
                     v + "'");
  return static_cast<std::size_t>(n);
}

/// A duration flag value in seconds, [0, 86400].
inline double parse_seconds(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double s = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(s >= 0) || s > 86400)
    throw UsageError(flag + " expects seconds in [0, 86400], got '" + v + "'");
  return s;
}

}  // namespace serve

#pragma once
/// \file The one place for input checks: parameter ranges, finite values, size arithmetic that
/// cannot overflow, an allocation budget for sizes read from files or labels, and class labels.
/// Every check throws from a cold helper with one message style:
///   "<op>: <name> must be in [lo, hi], got <value>".

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#if defined(__unix__)
#include <unistd.h>
#endif

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"

namespace grove {

/// An allowed range of a parameter: [lo, hi] by default, either end open on request;
/// hi = infinity reads "[1, inf)". NaN is never inside.
struct Interval {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  /// True when v lies inside (false for NaN).
  bool contains(double v) const noexcept {
    const bool above = lo_open ? v > lo : v >= lo;
    const bool below = hi_open ? v < hi : v <= hi;
    return above && below;
  }
  /// "[0, 1)", "(0, inf)": the form every range message uses.
  std::string text() const {
    const bool lo_inf = std::isinf(lo), hi_inf = std::isinf(hi);
    return std::string(lo_open || lo_inf ? "(" : "[") + format_number(lo) + ", " + format_number(hi) +
           (hi_open || hi_inf ? ")" : "]");
  }
};

/// Largest number of classes a classifier, metric or split accepts (one limit for all of grove).
inline constexpr std::size_t kMaxClasses = 65536;

namespace detail {

/// Process-wide cap on one allocation whose size comes from input contents (a file header, a label).
inline std::atomic<std::size_t>& allocation_limit_ref() noexcept {
  static std::atomic<std::size_t> limit{[] {
    std::size_t bytes = std::size_t{64} << 30;
#if defined(__unix__) && defined(_SC_PHYS_PAGES)
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) bytes = static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
#endif
    return bytes;
  }()};
  return limit;
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_out_of_range(std::string_view op, std::string_view name,
                                                                       double value, const Interval& allowed) {
  throw_value_error(std::string(op) + ": " + std::string(name) + " must be in " + allowed.text() + ", got " +
                    format_number(value));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_finite(std::string_view op, std::string_view name,
                                                                     double value) {
  throw_value_error(std::string(op) + ": " + std::string(name) + " must be finite, got " + format_number(value));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_size_overflow(std::string_view op, std::size_t a,
                                                                        char sign, std::size_t b) {
  throw_value_error(std::string(op) + ": size " + std::to_string(a) + " " + sign + " " + std::to_string(b) +
                    " overflows");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_over_budget(std::string_view op, std::string_view what,
                                                                      std::size_t count, std::size_t element_bytes) {
  throw_value_error(std::string(op) + ": " + std::string(what) + " needs " + std::to_string(count) + " x " +
                    std::to_string(element_bytes) + " bytes, more than the allocation limit of " +
                    std::to_string(allocation_limit_ref().load()) + " bytes");
}

/// Throws a ValueError unless v is inside `allowed`: "<op>: <name> must be in <allowed>, got <v>".
inline void check_range(std::string_view op, std::string_view name, double v, const Interval& allowed) {
  if (!allowed.contains(v)) throw_out_of_range(op, name, v, allowed);
}

/// Throws a ValueError unless v is finite: "<op>: <name> must be finite, got nan".
inline void check_finite(std::string_view op, std::string_view name, double v) {
  if (!std::isfinite(v)) throw_not_finite(op, name, v);
}

/// a * b, or a ValueError naming `op` when the product does not fit in size_t.
inline std::size_t checked_mul(std::size_t a, std::size_t b, std::string_view op) {
  std::size_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) throw_size_overflow(op, a, 'x', b);
  return out;
}

/// a + b, or a ValueError naming `op` when the sum does not fit in size_t.
inline std::size_t checked_add(std::size_t a, std::size_t b, std::string_view op) {
  std::size_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) throw_size_overflow(op, a, '+', b);
  return out;
}

/// True when `count` elements of `element_bytes` fit the allocation limit (no overflow either).
inline bool fits_allocation(std::size_t count, std::size_t element_bytes) noexcept {
  std::size_t bytes = 0;
  return !__builtin_mul_overflow(count, element_bytes, &bytes) && bytes <= allocation_limit_ref().load();
}

/// Throws a ValueError before an allocation of `count` x `element_bytes` that input contents ask
/// for (a file header, the largest label) when it exceeds the allocation limit.
inline void check_allocation(std::string_view op, std::string_view what, std::size_t count,
                             std::size_t element_bytes) {
  if (!fits_allocation(count, element_bytes)) throw_over_budget(op, what, count, element_bytes);
}

/// Class labels as indices 0..n_classes-1.
struct ClassLabels {
  std::vector<std::int32_t> index;
  std::size_t n_classes = 0;
};

/// How class_labels reads labels.
struct LabelOptions {
  std::size_t n_classes = 0;         ///< known class count (from a schema or a fitted model); 0: infer max + 1
  bool require_all_present = false;  ///< with an inferred count, every class 0..k-1 must occur
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_label(std::string_view op, std::string_view arg,
                                                                    std::size_t i, double value,
                                                                    std::size_t n_classes) {
  throw_value_error(std::string(op) + ": " + std::string(arg) + "[" + std::to_string(i) + "] = " +
                    format_number(value) + " is not a class label (expected an integer in 0.." +
                    std::to_string((n_classes ? n_classes : kMaxClasses) - 1) + ")");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_empty_class(std::string_view op, std::string_view arg,
                                                                      std::size_t missing, std::size_t n_classes) {
  throw_value_error(std::string(op) + ": class " + std::to_string(missing) + " has no rows in " + std::string(arg) +
                    " (labels must be 0.." + std::to_string(n_classes - 1) +
                    " with every class present; re-encode the labels or pass the class count)");
}

/// Checks labels p[0..n) and returns them as class indices. Labels must be integers in
/// [0, n_classes) (or [0, kMaxClasses) when the count is inferred as largest + 1).
template <class L>
ClassLabels class_labels(const L* p, std::size_t n, std::string_view op, std::string_view arg,
                         const LabelOptions& options = {}) {
  const std::size_t limit = options.n_classes ? options.n_classes : kMaxClasses;
  ClassLabels out;
  out.index.resize(n);
  std::size_t largest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(p[i]);
    if (!(v >= 0.0 && v < static_cast<double>(limit) && std::floor(v) == v))
      throw_bad_label(op, arg, i, v, options.n_classes);
    out.index[i] = static_cast<std::int32_t>(v);
    if (static_cast<std::size_t>(v) > largest) largest = static_cast<std::size_t>(v);
  }
  out.n_classes = options.n_classes ? options.n_classes : (n ? largest + 1 : 0);
  if (!options.n_classes && options.require_all_present && n) {
    std::vector<unsigned char> seen(out.n_classes, 0);
    for (const std::int32_t c : out.index) seen[static_cast<std::size_t>(c)] = 1;
    for (std::size_t c = 0; c < out.n_classes; ++c)
      if (!seen[c]) throw_empty_class(op, arg, c, out.n_classes);
  }
  return out;
}

}  // namespace detail

/// Caps any single allocation whose size is read from input contents (file headers, labels);
/// default: the machine's physical memory. Returns the previous limit.
inline std::size_t set_allocation_limit(std::size_t bytes) noexcept {
  return detail::allocation_limit_ref().exchange(bytes);
}

/// The current allocation limit in bytes (see set_allocation_limit).
inline std::size_t allocation_limit() noexcept { return detail::allocation_limit_ref().load(); }

}  // namespace grove

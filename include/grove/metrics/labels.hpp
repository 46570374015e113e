#pragma once
/// \file Input checks shared by the metrics: vector shapes, equal lengths, class labels 0..k-1.

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/shape.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::metrics::detail {

/// Labels above this are refused when the class count is inferred, so a stray huge value
/// cannot make confusion_matrix allocate k*k cells.
inline constexpr std::size_t kMaxInferredClasses = std::size_t{1} << 20;

/// Shortest round-trip text of a value ("2.5", "-1", "nan") for error messages.
template <class T>
std::string format_value(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) return "nan";
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<double>(v));
    return std::string(buf, res.ptr);
  } else {
    return std::to_string(v);
  }
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_vector(const char* op, const char* arg,
                                                                     const Shape& shape) {
  grove::detail::throw_value_error(std::string(op) + ": " + arg + " must be a vector ([n] or [n,1]), got shape " +
                                   to_string(shape));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_length_mismatch(const char* op, const char* a,
                                                                          std::size_t na, const char* b,
                                                                          std::size_t nb) {
  grove::detail::throw_value_error(std::string(op) + ": " + a + " has " + std::to_string(na) + " elements, " + b +
                                   " has " + std::to_string(nb));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_empty(const char* op, const char* arg) {
  grove::detail::throw_value_error(std::string(op) + ": " + arg + " is empty");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_label(const char* op, const char* arg, std::size_t i,
                                                                    const std::string& value,
                                                                    std::size_t n_classes) {
  std::string msg = std::string(op) + ": " + arg + "[" + std::to_string(i) + "] = " + value +
                    " is not a class label (expected an integer in ";
  msg += "0..";
  msg += std::to_string((n_classes ? n_classes : kMaxInferredClasses) - 1);
  msg += ')';
  grove::detail::throw_value_error(msg);
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_finite(const char* op, const char* arg, std::size_t i,
                                                                     const std::string& value) {
  grove::detail::throw_value_error(std::string(op) + ": " + arg + "[" + std::to_string(i) + "] = " + value +
                                   " is not finite");
}

/// Length of a tensor used as a vector: shape [n] or [n,1]; anything else is a ValueError.
template <class T>
std::size_t vector_length(const Tensor<T>& t, const char* op, const char* arg) {
  if (t.dim() == 1) return t.shape()[0];
  if (t.dim() == 2 && t.shape()[1] == 1) return t.shape()[0];
  throw_not_vector(op, arg, t.shape());
}

/// Checks that two vectors have the same, non-zero length and returns it.
template <class A, class B>
std::size_t common_length(const Tensor<A>& a, const char* name_a, const Tensor<B>& b, const char* name_b,
                          const char* op) {
  const std::size_t na = vector_length(a, op, name_a);
  const std::size_t nb = vector_length(b, op, name_b);
  if (na != nb) throw_length_mismatch(op, name_a, na, name_b, nb);
  if (na == 0) throw_empty(op, name_a);
  return na;
}

/// Class indices of a label vector. Each value must be an integer >= 0 and, when n_classes > 0,
/// below n_classes (otherwise below kMaxInferredClasses). `max_label` is raised to the largest seen.
template <class L>
std::vector<std::uint32_t> class_indices(const Tensor<L>& y, const char* op, const char* arg,
                                         std::size_t n_classes, std::size_t& max_label) {
  const Tensor<L> c = y.contiguous();
  const L* p = c.data();
  const std::size_t n = c.size();
  const std::size_t limit = n_classes ? n_classes : kMaxInferredClasses;
  std::vector<std::uint32_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const L v = p[i];
    bool ok;
    if constexpr (std::is_floating_point_v<L>) {
      ok = v >= L(0) && static_cast<double>(v) < static_cast<double>(limit) && std::floor(v) == v;
    } else if constexpr (std::is_signed_v<L>) {
      ok = v >= 0 && static_cast<std::uint64_t>(v) < limit;
    } else {
      ok = static_cast<std::uint64_t>(v) < limit;
    }
    if (!ok) throw_bad_label(op, arg, i, format_value(v), n_classes);
    out[i] = static_cast<std::uint32_t>(v);
    if (out[i] > max_label) max_label = out[i];
  }
  return out;
}

/// Values of a numeric vector as doubles; NaN and infinities are a ValueError.
template <class T>
std::vector<double> finite_values(const Tensor<T>& y, const char* op, const char* arg) {
  const Tensor<T> c = y.contiguous();
  const T* p = c.data();
  const std::size_t n = c.size();
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(p[i]);
    if (!std::isfinite(v)) throw_not_finite(op, arg, i, format_value(p[i]));
    out[i] = v;
  }
  return out;
}

/// Validated labels of a (y_true, y_pred) pair with the class count they imply.
struct LabelPair {
  std::vector<std::uint32_t> y_true, y_pred;
  std::size_t n_classes = 0;
};

template <class A, class B>
LabelPair label_pair(const Tensor<A>& y_true, const Tensor<B>& y_pred, std::size_t n_classes, const char* op) {
  common_length(y_true, "y_true", y_pred, "y_pred", op);
  LabelPair out;
  std::size_t max_label = 0;
  out.y_true = class_indices(y_true, op, "y_true", n_classes, max_label);
  out.y_pred = class_indices(y_pred, op, "y_pred", n_classes, max_label);
  out.n_classes = n_classes ? n_classes : max_label + 1;
  return out;
}

}  // namespace grove::metrics::detail

#pragma once
/// \file Input checks shared by the metrics: vector shapes, equal lengths, class labels 0..k-1
/// (through core's one label reader, detail::class_labels, with its one limit kMaxClasses).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/shape.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_vector(const char* op, const char* arg,
                                                                     const Shape& shape) {
  throw_value_error(std::string(op) + ": " + arg + " must be a vector ([n] or [n,1]), got shape " + to_string(shape));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_length_mismatch(const char* op, const char* a,
                                                                          std::size_t na, const char* b,
                                                                          std::size_t nb) {
  throw_value_error(std::string(op) + ": " + a + " has " + std::to_string(na) + " elements, " + b + " has " +
                    std::to_string(nb));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_empty_input(const char* op, const char* arg) {
  throw_value_error(std::string(op) + ": " + arg + " is empty");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_nonfinite_element(const char* op, const char* arg,
                                                                            std::size_t i, double value) {
  throw_value_error(std::string(op) + ": " + arg + "[" + std::to_string(i) + "] = " + format_number(value) +
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
  if (na == 0) throw_empty_input(op, name_a);
  return na;
}

/// Class labels of a label vector: integers in [0, n_classes), or in [0, kMaxClasses) with the
/// count inferred (largest + 1) when n_classes is 0.
template <class L>
ClassLabels metric_labels(const Tensor<L>& y, const char* op, const char* arg, std::size_t n_classes) {
  const Tensor<L> c = y.contiguous();
  return class_labels(c.data(), c.size(), op, arg, {.n_classes = n_classes});
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
    if (!std::isfinite(v)) throw_nonfinite_element(op, arg, i, v);
    out[i] = v;
  }
  return out;
}

/// Validated labels of a (y_true, y_pred) pair with the class count they imply.
struct LabelPair {
  std::vector<std::int32_t> y_true, y_pred;
  std::size_t n_classes = 0;
};

template <class A, class B>
LabelPair label_pair(const Tensor<A>& y_true, const Tensor<B>& y_pred, std::size_t n_classes, const char* op) {
  common_length(y_true, "y_true", y_pred, "y_pred", op);
  ClassLabels t = metric_labels(y_true, op, "y_true", n_classes);
  ClassLabels p = metric_labels(y_pred, op, "y_pred", n_classes);
  return {std::move(t.index), std::move(p.index), std::max(t.n_classes, p.n_classes)};
}

}  // namespace grove::detail

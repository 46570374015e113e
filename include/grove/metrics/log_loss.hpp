#pragma once
/// \file log_loss: mean negative log-likelihood of the true labels under predicted probabilities.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "grove/core/check.hpp"
#include "grove/core/format.hpp"
#include "grove/metrics/labels.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_probability(const char* op, std::size_t i,
                                                                          std::size_t k, double value) {
  std::string where = "[";
  if (k == 1) {
    where += std::to_string(i);
  } else {
    where += std::to_string(i / k);
    where += ',';
    where += std::to_string(i % k);
  }
  where += ']';
  throw_value_error(std::string(op) + ": probability " + format_number(value) + " at " + where +
                    " is outside [0, 1]");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_probs_shape(const char* op, const Shape& shape) {
  throw_value_error(std::string(op) + ": probabilities must be [n] (binary), [n,1] (binary) or "
                    "[n,k] with k >= 2, got shape " + to_string(shape));
}

/// Number of probability columns: 1 for a binary vector ([n] or [n,1]), k >= 2 for [n,k]
/// ([n,0] has no column to read a label's probability from).
template <class P>
std::size_t probability_columns(const Tensor<P>& probs, const char* op) {
  if (probs.dim() == 1) return 1;
  if (probs.dim() == 2 && probs.shape()[1] > 0) return probs.shape()[1];
  throw_bad_probs_shape(op, probs.shape());
}

}  // namespace grove::detail

namespace grove::metrics {

/// Mean of -log p(true class). `probs` is [n] or [n,1] (probability of class 1; labels 0/1) or
/// [n,k] (row i holds class probabilities; labels 0..k-1). Probabilities are clipped to
/// [eps, 1 - eps] so a confident miss costs -log(eps) instead of infinity; rows are not
/// renormalised. A probability outside [0,1] or NaN, a bad label, or mismatched lengths is a
/// ValueError; eps must be in (0, 0.5).
template <class L, class P>
double log_loss(const Tensor<L>& y_true, const Tensor<P>& probs, double eps = 1e-15) {
  constexpr const char* op = "log_loss";
  detail::check_range(op, "eps", eps, {.lo = 0, .hi = 0.5, .lo_open = true, .hi_open = true});
  const std::size_t n = detail::vector_length(y_true, op, "y_true");
  const std::size_t k = detail::probability_columns(probs, op);
  if (probs.shape()[0] != n) detail::throw_length_mismatch(op, "y_true", n, "probs rows", probs.shape()[0]);
  if (n == 0) detail::throw_empty_input(op, "y_true");
  const auto labels = detail::metric_labels(y_true, op, "y_true", k == 1 ? 2 : k).index;
  const Tensor<P> pc = probs.contiguous();
  const P* p = pc.data();
  for (std::size_t i = 0; i < n * k; ++i) {
    const double v = static_cast<double>(p[i]);
    if (!(v >= 0.0 && v <= 1.0)) detail::throw_bad_probability(op, i, k, v);
  }
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    double q;
    if (k == 1) q = labels[i] == 1 ? static_cast<double>(p[i]) : 1.0 - static_cast<double>(p[i]);
    else q = static_cast<double>(p[i * k + static_cast<std::size_t>(labels[i])]);
    sum -= std::log(std::clamp(q, eps, 1.0 - eps));
  }
  return sum / static_cast<double>(n);
}

}  // namespace grove::metrics

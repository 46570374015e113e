#pragma once
/// \file Regression scores: mse, rmse, mae, r2.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "grove/metrics/labels.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

struct ValuePair {
  std::vector<double> y_true, y_pred;
};

template <class A, class B>
ValuePair value_pair(const Tensor<A>& y_true, const Tensor<B>& y_pred, const char* op) {
  common_length(y_true, "y_true", y_pred, "y_pred", op);
  return {finite_values(y_true, op, "y_true"), finite_values(y_pred, op, "y_pred")};
}

}  // namespace grove::detail

namespace grove::metrics {

/// Mean squared error. Vectors ([n] or [n,1]) of equal, non-zero length; NaN/inf is a ValueError.
template <class A, class B>
double mse(const Tensor<A>& y_true, const Tensor<B>& y_pred) {
  const auto v = detail::value_pair(y_true, y_pred, "mse");
  double sum = 0.0;
  for (std::size_t i = 0; i < v.y_true.size(); ++i) {
    const double d = v.y_true[i] - v.y_pred[i];
    sum += d * d;
  }
  return sum / static_cast<double>(v.y_true.size());
}

/// Root mean squared error.
template <class A, class B>
double rmse(const Tensor<A>& y_true, const Tensor<B>& y_pred) {
  const auto v = detail::value_pair(y_true, y_pred, "rmse");
  double sum = 0.0;
  for (std::size_t i = 0; i < v.y_true.size(); ++i) {
    const double d = v.y_true[i] - v.y_pred[i];
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(v.y_true.size()));
}

/// Mean absolute error.
template <class A, class B>
double mae(const Tensor<A>& y_true, const Tensor<B>& y_pred) {
  const auto v = detail::value_pair(y_true, y_pred, "mae");
  double sum = 0.0;
  for (std::size_t i = 0; i < v.y_true.size(); ++i) sum += std::abs(v.y_true[i] - v.y_pred[i]);
  return sum / static_cast<double>(v.y_true.size());
}

/// Coefficient of determination 1 - SS_res / SS_tot. For a constant y_true (SS_tot = 0) it is
/// 1.0 when the predictions are exact and 0.0 otherwise, as in scikit-learn.
template <class A, class B>
double r2(const Tensor<A>& y_true, const Tensor<B>& y_pred) {
  auto v = detail::value_pair(y_true, y_pred, "r2");
  const std::size_t n = v.y_true.size();
  // r2 is scale-free: scaling by a power of two (exact) keeps squares of values near DBL_MAX finite.
  double largest = 0.0;
  for (std::size_t i = 0; i < n; ++i) largest = std::max({largest, std::abs(v.y_true[i]), std::abs(v.y_pred[i])});
  if (largest > 1.0) {
    int exponent = 0;
    std::frexp(largest, &exponent);
    for (std::size_t i = 0; i < n; ++i) {
      v.y_true[i] = std::ldexp(v.y_true[i], -exponent);
      v.y_pred[i] = std::ldexp(v.y_pred[i], -exponent);
    }
  }
  // Constancy is tested exactly: a computed mean of equal values can differ from them by rounding.
  bool constant = true;
  for (double y : v.y_true) constant = constant && y == v.y_true[0];
  double mean = 0.0;
  for (double y : v.y_true) mean += y;
  mean /= static_cast<double>(n);
  double ss_res = 0.0, ss_tot = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = v.y_true[i] - v.y_pred[i], t = v.y_true[i] - mean;
    ss_res += r * r;
    ss_tot += t * t;
  }
  if (constant) return ss_res == 0.0 ? 1.0 : 0.0;
  return 1.0 - ss_res / ss_tot;
}

}  // namespace grove::metrics

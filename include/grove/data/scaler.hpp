#pragma once
/// \file StandardScaler: per-column standardisation (x - mean) / std that ignores NaNs.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/shape.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::data {

/// Standardises each column of an n x d matrix to mean 0 and (population) standard deviation 1.
/// NaNs are left out of the statistics and stay NaN; a constant column is only centred (its scale
/// is 1), never divided by zero. Statistics are accumulated in double.
template <class T = float>
class StandardScaler {
  static_assert(std::is_floating_point_v<T>, "StandardScaler<T>: T must be float or double");

public:
  /// Learns per-column mean and scale from X (n x d, n >= 1).
  StandardScaler& fit(const Tensor<T>& X) {
    check_matrix(X, "StandardScaler::fit");
    const std::size_t n = X.shape()[0], d = X.shape()[1];
    if (n == 0) detail::throw_value_error("StandardScaler::fit: X has 0 rows");
    const Tensor<T> c = X.contiguous();
    const T* x = c.data();
    std::vector<double> sum(d, 0.0), count(d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        const double v = static_cast<double>(x[i * d + j]);
        if (v == v) {
          sum[j] += v;
          count[j] += 1.0;
        }
      }
    mean_.assign(d, 0.0);
    for (std::size_t j = 0; j < d; ++j) mean_[j] = count[j] > 0 ? sum[j] / count[j] : 0.0;
    // Second pass on deviations: exact for constant columns, unlike E[x^2] - E[x]^2.
    std::vector<double> ss(d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        const double v = static_cast<double>(x[i * d + j]);
        if (v == v) ss[j] += (v - mean_[j]) * (v - mean_[j]);
      }
    scale_.assign(d, 1.0);
    for (std::size_t j = 0; j < d; ++j) {
      if (count[j] == 0) continue;  // all missing: output stays NaN
      const double sd = std::sqrt(ss[j] / count[j]);
      // Rounding noise around a constant column is not a spread worth dividing by.
      const double tiny = 10.0 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(mean_[j]));
      scale_[j] = sd > tiny ? sd : 1.0;
    }
    fitted_ = true;
    return *this;
  }

  /// (X - mean) / scale with the fitted statistics; X must have the fitted number of columns.
  Tensor<T> transform(const Tensor<T>& X) const {
    check_fitted_columns(X, "StandardScaler::transform");
    const std::size_t n = X.shape()[0], d = X.shape()[1];
    const Tensor<T> c = X.contiguous();
    Tensor<T> out(X.shape());
    const T* x = c.data();
    T* o = out.data();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j)
        o[i * d + j] = static_cast<T>((static_cast<double>(x[i * d + j]) - mean_[j]) / scale_[j]);
    return out;
  }

  /// fit(X) then transform(X).
  Tensor<T> fit_transform(const Tensor<T>& X) { return fit(X).transform(X); }

  /// X * scale + mean: undoes transform.
  Tensor<T> inverse_transform(const Tensor<T>& X) const {
    check_fitted_columns(X, "StandardScaler::inverse_transform");
    const std::size_t n = X.shape()[0], d = X.shape()[1];
    const Tensor<T> c = X.contiguous();
    Tensor<T> out(X.shape());
    const T* x = c.data();
    T* o = out.data();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j)
        o[i * d + j] = static_cast<T>(static_cast<double>(x[i * d + j]) * scale_[j] + mean_[j]);
    return out;
  }

  /// True after fit.
  bool fitted() const noexcept { return fitted_; }
  /// Per-column means of the non-missing values.
  const std::vector<double>& mean() const noexcept { return mean_; }
  /// Per-column divisors: the standard deviation, or 1 for a constant or all-missing column.
  const std::vector<double>& scale() const noexcept { return scale_; }
  /// Number of columns seen by fit.
  std::size_t n_features() const noexcept { return mean_.size(); }

private:
  static void check_matrix(const Tensor<T>& X, const char* op) {
    if (X.dim() != 2)
      detail::throw_shape_error(std::string(op) + ": X must be 2-D (n x d), got shape " + to_string(X.shape()));
  }
  void check_fitted_columns(const Tensor<T>& X, const char* op) const {
    if (!fitted()) detail::throw_value_error(std::string(op) + ": the scaler is not fitted; call fit first");
    check_matrix(X, op);
    if (X.shape()[1] != mean_.size())
      detail::throw_shape_error(std::string(op) + ": X has " + std::to_string(X.shape()[1]) +
                                       " columns, the scaler was fitted on " + std::to_string(mean_.size()));
  }

  std::vector<double> mean_, scale_;
  bool fitted_ = false;
};

}  // namespace grove::data

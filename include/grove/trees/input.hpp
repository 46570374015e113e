#pragma once
/// \file Input checks shared by the tree models: feature matrices, labels, targets, params.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::trees {

/// Validation data for fit(X, y, {X_val, y_val}).
template <class TX, class TY>
struct ValidationSet {
  Tensor<TX> X;
  Tensor<TY> y;
};

namespace detail {

using grove::detail::throw_error;
using grove::detail::throw_value_error;

inline std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_range(const std::string& op, const char* name, double value,
                                                              const char* range) {
  throw_value_error(op + ": " + name + " must be in " + range + ", got " + format_number(value));
}

/// Throws unless lo <= v <= hi (the message shows `range`, e.g. "[2, 255]").
inline void check_range(const std::string& op, const char* name, double v, double lo, double hi, const char* range) {
  if (!(v >= lo && v <= hi)) throw_range(op, name, v, range);
}
/// Throws unless lo < v <= hi.
inline void check_range_open_low(const std::string& op, const char* name, double v, double lo, double hi,
                                 const char* range) {
  if (!(v > lo && v <= hi)) throw_range(op, name, v, range);
}

/// X as a contiguous float n x d tensor, checked to be 2-D and non-empty.
template <class TX>
Tensor<float> feature_matrix(const Tensor<TX>& X, const std::string& op) {
  static_assert(std::is_floating_point_v<TX>, "tree models take float or double features");
  if (X.dim() != 2) throw_value_error(op + ": X must be 2-D (rows x features), got shape " + to_string(X.shape()));
  if (X.shape(0) == 0 || X.shape(1) == 0) throw_value_error(op + ": X is empty (shape " + to_string(X.shape()) + ")");
  if constexpr (std::is_same_v<TX, float>) {
    return X.is_contiguous() ? X : X.contiguous();
  } else {
    return X.template to<float>();
  }
}

template <class TY>
std::vector<double> target_values(const Tensor<TY>& y, std::size_t n_rows, const std::string& op) {
  const bool column = y.dim() == 2 && y.shape(1) == 1;
  if (y.dim() != 1 && !column) throw_value_error(op + ": y must be 1-D, got shape " + to_string(y.shape()));
  if (y.size() != n_rows)
    throw_value_error(op + ": X has " + std::to_string(n_rows) + " rows but y has " + std::to_string(y.size()));
  const std::vector<TY> v = y.to_vector();
  return std::vector<double>(v.begin(), v.end());
}

/// Class labels 0..k-1 from any arithmetic tensor; returns them and sets n_classes = max + 1 (at least 2).
template <class TY>
std::vector<std::int32_t> class_labels(const Tensor<TY>& y, std::size_t n_rows, const std::string& op,
                                       std::size_t& n_classes) {
  constexpr double kMaxClasses = 65536;
  const std::vector<double> v = target_values(y, n_rows, op);
  std::vector<std::int32_t> out(v.size());
  std::int32_t max_label = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    if (!(x >= 0.0 && x < kMaxClasses) || x != std::floor(x))
      throw_value_error(op + ": label " + format_number(x) + " at row " + std::to_string(i) +
                        " is not a class index (labels must be integers 0..k-1, k <= 65536)");
    out[i] = static_cast<std::int32_t>(x);
    max_label = std::max(max_label, out[i]);
  }
  n_classes = std::max<std::size_t>(2, static_cast<std::size_t>(max_label) + 1);
  return out;
}

/// Regression targets: finite values.
template <class TY>
std::vector<float> regression_targets(const Tensor<TY>& y, std::size_t n_rows, const std::string& op) {
  const std::vector<double> v = target_values(y, n_rows, op);
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]))
      throw_value_error(op + ": target " + format_number(v[i]) + " at row " + std::to_string(i) + " is not finite");
    out[i] = static_cast<float>(v[i]);
  }
  return out;
}

/// Checks a prediction input against the fitted feature count.
template <class TX>
Tensor<float> predict_matrix(const Tensor<TX>& X, std::size_t n_features, bool fitted, const std::string& op) {
  if (!fitted) throw_error(op + ": the model is not fitted; call fit first");
  if (X.dim() != 2) throw_value_error(op + ": X must be 2-D (rows x features), got shape " + to_string(X.shape()));
  if (X.shape(1) != n_features)
    throw_value_error(op + ": X has " + std::to_string(X.shape(1)) + " features but the model was fit with " +
                      std::to_string(n_features));
  if constexpr (std::is_same_v<TX, float>) {
    return X.is_contiguous() ? X : X.contiguous();
  } else {
    return X.template to<float>();
  }
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_row_size(const std::string& op, std::size_t got,
                                                                 std::size_t want) {
  throw_value_error(op + ": row has " + std::to_string(got) + " features but the model was fit with " +
                    std::to_string(want));
}
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_fitted(const std::string& op) {
  throw_error(op + ": the model is not fitted; call fit first");
}

/// Normalized copy of per-feature gains (all zeros stay zeros).
inline std::vector<double> normalized(const std::vector<double>& gain) {
  double total = 0.0;
  for (double g : gain) total += g;
  std::vector<double> out(gain.size(), 0.0);
  if (total > 0.0)
    for (std::size_t i = 0; i < gain.size(); ++i) out[i] = gain[i] / total;
  return out;
}

}  // namespace detail
}  // namespace grove::trees

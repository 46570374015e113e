#pragma once
/// \file Input checks shared by the tree models: feature matrices, class labels and regression
/// targets (through core/check.hpp), and the data the engines train on.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::trees {

/// Validation data for fit(X, y, {X_val, y_val}) or fit(X, y, {X_val, y_val, w_val}).
template <class TX, class TY>
struct ValidationSet {
  Tensor<TX> X;
  Tensor<TY> y;
  /// One weight per validation row, checked as FitOptions::sample_weight (empty: 1);
  /// classifiers multiply it by the training rows' class weights. val_loss is the weighted mean.
  std::vector<double> weight = {};
};

/// What fit takes besides the data: fit(X, y, {.sample_weight = w, .n_classes = 4}).
struct FitOptions {
  /// One weight per row (finite, >= 0, not all zero); empty: every row weighs 1. A weight of 2
  /// counts a row twice; classifiers multiply it by their class_weight.
  std::vector<double> sample_weight = {};
  /// Classifiers: the class count, for data in which not every class occurs (a fold of a larger
  /// data set). 0 infers it as the largest label + 1, and then every class must occur.
  std::size_t n_classes = 0;
};

}  // namespace grove::trees

namespace grove::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_fitted(std::string_view op) {
  throw_error(std::string(op) + ": the model is not fitted; call fit first");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_row_size(std::string_view op, std::size_t got,
                                                                 std::size_t want) {
  throw_value_error(std::string(op) + ": row has " + std::to_string(got) + " features but the model was fit with " +
                    std::to_string(want));
}

/// X as a contiguous float tensor, checked to be 2-D.
template <class TX>
Tensor<float> float_matrix(const Tensor<TX>& X, std::string_view op) {
  static_assert(std::is_floating_point_v<TX>, "tree models take float or double features");
  if (X.dim() != 2)
    throw_value_error(std::string(op) + ": X must be 2-D (rows x features), got shape " + to_string(X.shape()));
  if constexpr (std::is_same_v<TX, float>) {
    return X.is_contiguous() ? X : X.contiguous();
  } else {
    return X.template to<float>();
  }
}

/// Training features: 2-D and non-empty.
template <class TX>
Tensor<float> feature_matrix(const Tensor<TX>& X, std::string_view op) {
  Tensor<float> out = float_matrix(X, op);
  if (out.shape(0) == 0 || out.shape(1) == 0)
    throw_value_error(std::string(op) + ": X is empty (shape " + to_string(X.shape()) + ")");
  return out;
}

/// Features to predict: the model is fitted and X has its feature count.
template <class TX>
Tensor<float> predict_matrix(const Tensor<TX>& X, std::size_t n_features, bool fitted, std::string_view op) {
  if (!fitted) throw_not_fitted(op);
  Tensor<float> out = float_matrix(X, op);
  if (out.shape(1) != n_features)
    throw_value_error(std::string(op) + ": X has " + std::to_string(out.shape(1)) +
                      " features but the model was fit with " + std::to_string(n_features));
  return out;
}

/// y's values as doubles: a vector (or one column) with one value per row of X.
template <class TY>
std::vector<double> target_values(const Tensor<TY>& y, std::size_t n_rows, std::string_view op) {
  const bool column = y.dim() == 2 && y.shape(1) == 1;
  if (y.dim() != 1 && !column)
    throw_value_error(std::string(op) + ": y must be 1-D, got shape " + to_string(y.shape()));
  if (y.size() != n_rows)
    throw_value_error(std::string(op) + ": X has " + std::to_string(n_rows) + " rows but y has " +
                      std::to_string(y.size()));
  const std::vector<TY> v = y.to_vector();
  return std::vector<double>(v.begin(), v.end());
}

/// Class labels of y as floats (exact: at most kMaxClasses), with the class count.
struct LabelSet {
  std::vector<float> y;
  std::size_t n_classes = 0;
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_one_class(std::string_view op) {
  throw_value_error(std::string(op) +
                    ": y holds a single class (0); a classifier needs at least two (pass n_classes to fit data "
                    "that lacks some classes)");
}

/// Labels 0..k-1 in any arithmetic tensor, through core's class_labels (one limit,
/// kMaxClasses). n_classes > 0 fixes k (a class may then be absent); 0 infers k as the largest
/// label + 1 with every class present and at least two classes.
template <class TY>
LabelSet tree_labels(const Tensor<TY>& y, std::size_t n_rows, std::string_view op, std::size_t n_classes) {
  if (n_classes > 0) check_range(op, "n_classes", static_cast<double>(n_classes), Interval{2, double(kMaxClasses)});
  const std::vector<double> v = target_values(y, n_rows, op);
  const LabelOptions options{.n_classes = n_classes, .require_all_present = true};
  const ClassLabels labels = class_labels(v.data(), v.size(), op, "y", options);
  if (labels.n_classes < 2) throw_one_class(op);
  return {std::vector<float>(labels.index.begin(), labels.index.end()), labels.n_classes};
}

/// Regression targets: finite and within float range (leaf values are floats; a target beyond
/// it would turn into inf).
template <class TY>
std::vector<float> regression_targets(const Tensor<TY>& y, std::size_t n_rows, std::string_view op) {
  const std::vector<double> v = target_values(y, n_rows, op);
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]))
      throw_value_error(std::string(op) + ": target " + format_number(v[i]) + " at row " + std::to_string(i) +
                        " is not finite");
    if (std::fabs(v[i]) > static_cast<double>(std::numeric_limits<float>::max()))
      throw_value_error(std::string(op) + ": target " + format_number(v[i]) + " at row " + std::to_string(i) +
                        " is beyond float range (about 3.4e38); rescale the target");
    out[i] = static_cast<float>(v[i]);
  }
  return out;
}

/// The largest |value| of a vector (0 when empty).
inline double max_magnitude(const std::vector<float>& v) noexcept {
  double m = 0.0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

/// The category count of each feature of X (n x d) listed in `categorical` (0 for the others):
/// the largest code + 1. Codes must be integers in [0, max_bins) (NaN: missing); anything else
/// is a ValueError naming the feature, the row and the value.
inline std::vector<std::uint16_t> category_counts(const float* X, std::size_t n, std::size_t d,
                                                  const std::vector<std::size_t>& categorical, std::size_t max_bins,
                                                  std::string_view op) {
  std::vector<std::uint16_t> counts(d, 0);
  for (std::size_t j = 0; j < categorical.size(); ++j) {
    const std::size_t f = categorical[j];
    if (f >= d)
      throw_value_error(std::string(op) + ": categorical_features[" + std::to_string(j) + "] = " + std::to_string(f) +
                        " but X has " + std::to_string(d) + " features");
    std::size_t largest = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const float v = X[i * d + f];
      if (std::isnan(v)) continue;
      if (!(v >= 0.0f && v < static_cast<float>(max_bins)) || v != std::floor(v))
        throw_value_error(std::string(op) + ": categorical feature " + std::to_string(f) + " has value " +
                          format_number(v) + " at row " + std::to_string(i) + "; categories are codes 0.." +
                          std::to_string(max_bins - 1) + " (max_bins = " + std::to_string(max_bins) +
                          "; NaN for missing)");
      largest = std::max(largest, static_cast<std::size_t>(v));
    }
    counts[f] = static_cast<std::uint16_t>(largest + 1);
  }
  return counts;
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

}  // namespace grove::detail

#pragma once
/// \file TrainingSet: checked training or validation data as the tree engines take it, and
/// training_data(), which checks what fit was given into them.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/input.hpp"

namespace grove::detail {

/// Rows X (n x d, contiguous float) with their targets: class indices (as floats, exact below
/// 2^24) or regression values, and their weights (empty: every row weighs 1).
struct TrainingSet {
  Tensor<float> X;
  std::vector<float> y;
  std::vector<double> weight;

  std::size_t rows() const noexcept { return X.shape(0); }
  std::size_t features() const noexcept { return X.shape(1); }
  /// The weights, or null when every row weighs 1.
  const double* weights() const noexcept { return weight.empty() ? nullptr : weight.data(); }
};

/// What fit hands an engine: training rows, validation rows (when given) and the class count
/// (0 for regression).
struct TrainingData {
  TrainingSet train;
  TrainingSet val;
  bool has_val = false;
  std::size_t n_classes = 0;

  const TrainingSet* validation() const noexcept { return has_val ? &val : nullptr; }
};

// Labels 0..k-1 (k fixed when n_classes > 0, else inferred with every class present) or finite
// targets into out; returns k (0 for regression).
template <bool Classifier, class TY>
std::size_t checked_targets(const Tensor<TY>& y, std::size_t rows, std::string_view op, std::size_t n_classes,
                            std::vector<float>& out) {
  if constexpr (Classifier) {
    LabelSet labels = tree_labels(y, rows, op, n_classes);
    out = std::move(labels.y);
    return labels.n_classes;
  } else {
    out = regression_targets(y, rows, op);
    return 0;
  }
}

/// Checks X, y and the validation data (labels against the training classes) for a classifier
/// or regressor; `op` names the call in messages ("GradientBoostingClassifier.fit").
template <bool Classifier, class TX, class TY>
TrainingData training_data(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>* val,
                           const trees::FitOptions& options, const std::string& op) {
  if (!Classifier && options.n_classes != 0)
    throw_value_error(op + ": n_classes = " + std::to_string(options.n_classes) + " is for classifiers");
  TrainingData d;
  d.train.X = feature_matrix(X, op);
  d.n_classes = checked_targets<Classifier>(y, d.train.rows(), op, options.n_classes, d.train.y);
  if (val) {
    d.has_val = true;
    d.val.X = predict_matrix(val->X, d.train.features(), true, op + " (validation)");
    checked_targets<Classifier>(val->y, d.val.rows(), op + " (validation)", d.n_classes, d.val.y);
  }
  return d;
}

}  // namespace grove::detail

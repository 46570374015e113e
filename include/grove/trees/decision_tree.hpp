#pragma once
/// \file DecisionTreeClassifier and DecisionTreeRegressor: single CART trees on binned features.

#include <cstddef>
#include <cstdint>

#include "grove/trees/forest_core.hpp"
#include "grove/trees/forest_model.hpp"

namespace grove::trees {

/// Parameters of DecisionTreeClassifier.
struct DecisionTreeClassifierParams {
  int max_depth = 0;                  ///< [0, 1000]; 0 = unlimited
  std::size_t max_bins = 255;         ///< value bins per feature, [2, 255]
  std::uint64_t seed = 0;             ///< for max_features sampling
  std::size_t max_leaves = 0;         ///< 0: depth-wise; else best-first up to this many leaves
  double min_split_gain = 0.0;        ///< least weighted impurity decrease to split
  std::size_t min_samples_leaf = 1;   ///< least rows per leaf
  MaxFeatures max_features = MaxFeatures::all();
  Criterion criterion = Criterion::Gini;
};

/// Parameters of DecisionTreeRegressor (squared error).
struct DecisionTreeRegressorParams {
  int max_depth = 0;
  std::size_t max_bins = 255;
  std::uint64_t seed = 0;
  std::size_t max_leaves = 0;
  double min_split_gain = 0.0;
  std::size_t min_samples_leaf = 1;
  MaxFeatures max_features = MaxFeatures::all();
};

/// A classification tree (Gini or entropy).
class DecisionTreeClassifier
    : public detail::ForestClassifierModel<DecisionTreeClassifier, DecisionTreeClassifierParams> {
public:
  static constexpr const char* kName = "DecisionTreeClassifier";
  static constexpr const char* kKind = "grove.trees.DecisionTreeClassifier";
  static constexpr bool kHasEstimators = false;

  explicit DecisionTreeClassifier(Params params = {}) : ForestClassifierModel(params) {}


  /// The tree.
  const Tree& tree() const { return f_.trees.at(0); }
};

/// A regression tree (squared error; leaves hold means).
class DecisionTreeRegressor
    : public detail::ForestRegressorModel<DecisionTreeRegressor, DecisionTreeRegressorParams> {
public:
  static constexpr const char* kName = "DecisionTreeRegressor";
  static constexpr const char* kKind = "grove.trees.DecisionTreeRegressor";
  static constexpr bool kHasEstimators = false;

  explicit DecisionTreeRegressor(Params params = {}) : ForestRegressorModel(params) {}


  const Tree& tree() const { return f_.trees.at(0); }
};

}  // namespace grove::trees

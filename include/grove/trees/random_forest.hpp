#pragma once
/// \file RandomForestClassifier and RandomForestRegressor: bagged CART trees with per-split
/// feature sampling, built in parallel (one random stream per tree), with out-of-bag scores.

#include <cstddef>
#include <cstdint>

#include "grove/trees/forest_core.hpp"
#include "grove/trees/forest_model.hpp"

namespace grove::trees {

/// Parameters of RandomForestClassifier.
struct RandomForestClassifierParams {
  std::size_t n_estimators = 100;     ///< trees, [1, 100000]
  int max_depth = 0;                  ///< [0, 1000]; 0 = unlimited
  std::size_t max_bins = 255;         ///< value bins per feature, [2, 255]
  std::uint64_t seed = 0;
  std::size_t max_leaves = 0;         ///< 0: depth-wise; else best-first up to this many leaves
  double min_split_gain = 0.0;        ///< least weighted impurity decrease to split
  std::size_t min_samples_leaf = 1;   ///< least (bootstrap-weighted) rows per leaf
  MaxFeatures max_features = MaxFeatures::sqrt();
  Criterion criterion = Criterion::Gini;
  bool bootstrap = true;
  bool oob_score = false;             ///< compute oob_score() (accuracy) after fit
};

/// Parameters of RandomForestRegressor.
struct RandomForestRegressorParams {
  std::size_t n_estimators = 100;
  int max_depth = 0;
  std::size_t max_bins = 255;
  std::uint64_t seed = 0;
  std::size_t max_leaves = 0;
  double min_split_gain = 0.0;
  std::size_t min_samples_leaf = 1;
  MaxFeatures max_features = MaxFeatures::all();
  bool bootstrap = true;
  bool oob_score = false;             ///< compute oob_score() (R^2) after fit
};

/// A random forest for classification.
class RandomForestClassifier
    : public detail::ForestClassifierModel<RandomForestClassifier, RandomForestClassifierParams> {
public:
  static constexpr const char* kName = "RandomForestClassifier";
  static constexpr const char* kKind = "grove.trees.RandomForestClassifier";
  static constexpr bool kHasEstimators = true;

  explicit RandomForestClassifier(Params params = {}) : ForestClassifierModel(params) {}

  /// Out-of-bag accuracy (needs oob_score = true at fit; Error otherwise).
  double oob_score() const {
    if (!f_.fitted) detail::throw_not_fitted("RandomForestClassifier.oob_score");
    if (!params_.oob_score) grove::detail::throw_error("RandomForestClassifier.oob_score: fit with oob_score = true");
    return f_.oob;
  }

};

/// A random forest for regression.
class RandomForestRegressor
    : public detail::ForestRegressorModel<RandomForestRegressor, RandomForestRegressorParams> {
public:
  static constexpr const char* kName = "RandomForestRegressor";
  static constexpr const char* kKind = "grove.trees.RandomForestRegressor";
  static constexpr bool kHasEstimators = true;

  explicit RandomForestRegressor(Params params = {}) : ForestRegressorModel(params) {}

  /// Out-of-bag R^2 (needs oob_score = true at fit; Error otherwise).
  double oob_score() const {
    if (!f_.fitted) detail::throw_not_fitted("RandomForestRegressor.oob_score");
    if (!params_.oob_score) grove::detail::throw_error("RandomForestRegressor.oob_score: fit with oob_score = true");
    return f_.oob;
  }

};

}  // namespace grove::trees

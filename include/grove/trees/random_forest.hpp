#pragma once
/// \file Random forests: bagged CART trees with per-split feature sampling, built in parallel
/// (one random stream per tree), with out-of-bag scores.

#include "grove/trees/forest_engine.hpp"
#include "grove/trees/forest_params.hpp"
#include "grove/trees/model.hpp"

namespace grove::trees {

/// A random forest for classification (averaged class proportions).
using RandomForestClassifier = detail::TreeModel<"RandomForestClassifier", RandomForestClassifierParams, detail::Forest>;

/// A random forest for regression (averaged means).
using RandomForestRegressor = detail::TreeModel<"RandomForestRegressor", RandomForestRegressorParams, detail::Forest>;

}  // namespace grove::trees

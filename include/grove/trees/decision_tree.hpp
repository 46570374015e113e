#pragma once
/// \file Single CART trees on binned features: the tree model surface over the Forest engine
/// with one tree and no bootstrap.

#include "grove/trees/forest_engine.hpp"
#include "grove/trees/forest_params.hpp"
#include "grove/trees/model.hpp"

namespace grove::trees {

/// A classification tree (Gini or entropy; leaves hold class proportions).
using DecisionTreeClassifier = detail::TreeModel<"DecisionTreeClassifier", DecisionTreeClassifierParams, detail::Forest>;

/// A regression tree (squared error; leaves hold means).
using DecisionTreeRegressor = detail::TreeModel<"DecisionTreeRegressor", DecisionTreeRegressorParams, detail::Forest>;

}  // namespace grove::trees

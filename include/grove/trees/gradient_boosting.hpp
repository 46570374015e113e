#pragma once
/// \file Histogram gradient boosting: the tree model surface over the Booster engine.

#include "grove/trees/booster.hpp"
#include "grove/trees/boosting_run.hpp"
#include "grove/trees/boosting_params.hpp"
#include "grove/trees/model.hpp"

namespace grove::trees {

/// Histogram gradient-boosted trees for classification (labels 0..k-1): logistic loss for two
/// classes, softmax (one tree per class and round) above.
using GradientBoostingClassifier =
    detail::TreeModel<"GradientBoostingClassifier", GradientBoostingClassifierParams, detail::Booster>;

/// Histogram gradient-boosted trees for regression (squared or absolute error).
using GradientBoostingRegressor =
    detail::TreeModel<"GradientBoostingRegressor", GradientBoostingRegressorParams, detail::Booster>;

}  // namespace grove::trees

#pragma once
/// \file grove model selection: cross_validate, grid_search / random_search (with successive
/// halving), parameter grids and distributions, scorings, clone / get_params / score for any
/// estimator, AnyEstimator, MLP estimators, and reports (text tables, CSV, JSON).

#include "grove/model_selection/any_estimator.hpp"
#include "grove/model_selection/cross_validate.hpp"
#include "grove/model_selection/estimator.hpp"
#include "grove/model_selection/mlp.hpp"
#include "grove/model_selection/param_grid.hpp"
#include "grove/model_selection/params.hpp"
#include "grove/model_selection/report.hpp"
#include "grove/model_selection/scoring.hpp"
#include "grove/model_selection/search.hpp"

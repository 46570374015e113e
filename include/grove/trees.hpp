#pragma once
/// \file Tree models: decision trees, random forests and histogram gradient boosting.

#include "grove/trees/binning.hpp"
#include "grove/trees/decision_tree.hpp"
#include "grove/trees/forest_core.hpp"
#include "grove/trees/forest_model.hpp"
#include "grove/trees/gradient_boosting.hpp"
#include "grove/trees/grower.hpp"
#include "grove/trees/histogram.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/losses.hpp"
#include "grove/trees/packed_trees.hpp"
#include "grove/trees/random_forest.hpp"
#include "grove/trees/serialization.hpp"
#include "grove/trees/tree.hpp"

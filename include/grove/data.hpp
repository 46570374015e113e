#pragma once
/// \file data module: CSV loading, Dataset, splits, cross-validation folds and scaling (grove::data).

#include "grove/data/csv.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/kfold.hpp"
#include "grove/data/scaler.hpp"
#include "grove/data/split.hpp"

#pragma once
/// \file data module: CSV loading, Dataset, splits, cross-validation folds and scaling (grove::data), MNIST-format IDX files and the DataLoader.

#include "grove/data/csv.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/idx.hpp"
#include "grove/data/kfold.hpp"
#include "grove/data/loader.hpp"
#include "grove/data/scaler.hpp"
#include "grove/data/schema.hpp"
#include "grove/data/split.hpp"

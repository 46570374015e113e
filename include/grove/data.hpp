#pragma once
/// \file data module (grove::data): CSV loading (whole files, or batches with CsvReader), Dataset and
/// its Schema, splits, cross-validation folds, scaling, MNIST-format IDX files and the DataLoader.

#include "grove/data/csv.hpp"
#include "grove/data/csv_reader.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/idx.hpp"
#include "grove/data/kfold.hpp"
#include "grove/data/loader.hpp"
#include "grove/data/scaler.hpp"
#include "grove/data/schema.hpp"
#include "grove/data/split.hpp"

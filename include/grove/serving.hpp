#pragma once
/// \file grove serving: any saved model behind one interface (serving::Model, load_model), rows
/// of named values encoded through a model's schema (RowEncoder), and networks saved with their
/// architecture (NetworkSpec, save_network). grove-serve and grove-predict are built on it.

#include "grove/serving/load_model.hpp"
#include "grove/serving/model.hpp"
#include "grove/serving/network.hpp"
#include "grove/serving/row_encoder.hpp"
#include "grove/serving/tree_model.hpp"

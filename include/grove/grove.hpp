#pragma once
/// \file The umbrella header: every grove module. Include a module header instead
/// (e.g. <grove/trees.hpp>) to pay only for what you use.

#include "grove/autograd.hpp"
#include "grove/core.hpp"
#include "grove/data.hpp"
#include "grove/diagnostics.hpp"
#include "grove/io.hpp"
#include "grove/metrics.hpp"
#include "grove/model_selection.hpp"
#include "grove/nn.hpp"
#include "grove/optim.hpp"
#include "grove/serving.hpp"
#include "grove/tensor.hpp"
#include "grove/trees.hpp"

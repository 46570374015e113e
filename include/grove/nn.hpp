#pragma once
/// \file grove::nn: Module, layers (Linear, activations, Dropout, LayerNorm, Embedding,
/// Sequential), losses, initializers, save/load.

#include "grove/nn/activation.hpp"
#include "grove/nn/dropout.hpp"
#include "grove/nn/embedding.hpp"
#include "grove/nn/init.hpp"
#include "grove/nn/layer_norm.hpp"
#include "grove/nn/linear.hpp"
#include "grove/nn/loss.hpp"
#include "grove/nn/module.hpp"
#include "grove/nn/sequential.hpp"
#include "grove/nn/serialize.hpp"

#pragma once
/// \file grove::nn: Module, layers (Linear, Conv2d, MaxPool2d, AvgPool2d, BatchNorm1d/2d,
/// Flatten, activations, Dropout, LayerNorm, Embedding, MultiheadAttention,
/// TransformerEncoderLayer, Sequential), losses, initializers, save/load.

#include "grove/nn/activation.hpp"
#include "grove/nn/attention.hpp"
#include "grove/nn/batch_norm.hpp"
#include "grove/nn/conv.hpp"
#include "grove/nn/dropout.hpp"
#include "grove/nn/embedding.hpp"
#include "grove/nn/flatten.hpp"
#include "grove/nn/init.hpp"
#include "grove/nn/layer_norm.hpp"
#include "grove/nn/linear.hpp"
#include "grove/nn/loss.hpp"
#include "grove/nn/module.hpp"
#include "grove/nn/pool.hpp"
#include "grove/nn/sequential.hpp"
#include "grove/nn/serialize.hpp"
#include "grove/nn/transformer.hpp"

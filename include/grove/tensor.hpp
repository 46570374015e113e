#pragma once
/// \file grove tensor module: Tensor<T>, its ops (each recording its autograd node), the
/// backward engine that Tensor::backward() needs, and Eigen/xtensor interop.
/// Member forms of ops (t.sum(), t.transpose(), ...) are defined in the op headers: include
/// this module header (or the op header) before using them.

#include "grove/tensor/tensor.hpp"
#include "grove/tensor/kernel_util.hpp"
#include "grove/tensor/elementwise.hpp"
#include "grove/tensor/reduce.hpp"
#include "grove/tensor/activation.hpp"
#include "grove/tensor/shape_ops.hpp"
#include "grove/tensor/matmul.hpp"
#include "grove/tensor/index.hpp"
#include "grove/tensor/eigen.hpp"
#include "grove/tensor/xtensor.hpp"
#include "grove/autograd/engine.hpp"

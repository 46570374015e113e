#pragma once
/// \file grove tensor module: Tensor<T>, ops, interop.

#include "grove/tensor/tensor.hpp"

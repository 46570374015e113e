#pragma once
/// \file TrainingSet: checked training or validation data as the tree engines take it.

#include <cstddef>
#include <vector>

#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// Rows X (n x d, contiguous float) with their targets: class indices (as floats, exact below
/// 2^24) or regression values.
struct TrainingSet {
  Tensor<float> X;
  std::vector<float> y;

  std::size_t rows() const noexcept { return X.shape(0); }
  std::size_t features() const noexcept { return X.shape(1); }
};

}  // namespace grove::detail

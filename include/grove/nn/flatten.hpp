#pragma once
/// \file Flatten: [N, d1, d2, ...] -> [N, d1 * d2 * ...] (PyTorch's nn.Flatten with its default
/// start_dim = 1), the step between convolutional and linear layers. A reshape, so gradients
/// flow through unchanged.

#include <cstddef>
#include <string>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/shape_ops.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

/// Keeps the first axis and merges all others.
template <class T = float>
class Flatten : public Module<T> {
public:
  template <class U>
  using rebind = Flatten<U>;
  Flatten() = default;
  /// The same layer for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit Flatten(const Flatten<U>&) {}

  Tensor<T> forward(const Tensor<T>& x) override {
    if (x.dim() == 0) detail::throw_shape_error("Flatten: input " + to_string(x.shape()) + " has no first axis to keep");
    std::size_t rest = 1;
    for (std::size_t d = 1; d < x.dim(); ++d) rest = detail::checked_mul(rest, x.shape()[d], "Flatten");
    return grove::reshape(x, Shape{x.shape()[0], rest});
  }
  std::string describe() const override { return "Flatten"; }
};

}  // namespace grove::nn

#pragma once
/// \file Parameter initializers with PyTorch's formulas (gain, fan-in bounds).

#include <cmath>
#include <cstddef>
#include <string>

#include "grove/core/error.hpp"
#include "grove/core/rng.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn::init {

/// Kaiming-uniform for a leaky-ReLU slope `a`: U(-b, b) with b = gain * sqrt(3 / fan_in) and
/// gain = sqrt(2 / (1 + a^2)). PyTorch's Linear uses a = sqrt(5), i.e. b = 1 / sqrt(fan_in).
template <class T>
Tensor<T> kaiming_uniform(const Shape& shape, std::size_t fan_in, double a, Rng& rng) {
  if (fan_in == 0) detail::throw_value_error("kaiming_uniform: fan_in must be >= 1, got 0");
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fan_in));
  return Tensor<T>::uniform(shape, -bound, bound, rng);
}

/// Xavier (Glorot) uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
template <class T>
Tensor<T> xavier_uniform(const Shape& shape, std::size_t fan_in, std::size_t fan_out, Rng& rng, double gain = 1.0) {
  if (fan_in + fan_out == 0) detail::throw_value_error("xavier_uniform: fan_in + fan_out must be >= 1");
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return Tensor<T>::uniform(shape, -bound, bound, rng);
}

/// N(mean, std^2) draws.
template <class T>
Tensor<T> normal(const Shape& shape, double mean, double std, Rng& rng) {
  Tensor<T> t(shape);
  T* p = t.data();
  for (std::size_t i = 0; i < t.size(); ++i) p[i] = static_cast<T>(rng.normal(mean, std));
  return t;
}

}  // namespace grove::nn::init

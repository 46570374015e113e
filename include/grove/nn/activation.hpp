#pragma once
/// \file Activation modules: ReLU, GELU (exact erf form, PyTorch's default), Tanh, Sigmoid.
/// They hold no parameters; `nn::ReLU()` is ReLU<float>, and Sequential<double> rebinds a
/// stateless activation to its own scalar type, so `Sequential<double>{..., nn::ReLU(), ...}` works.

#include <string>

#include "grove/nn/module.hpp"
#include "grove/tensor/activation.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

/// max(x, 0) elementwise.
template <class T = float>
class ReLU : public Module<T> {
public:
  template <class U>
  using rebind = ReLU<U>;
  ReLU() = default;
  /// The same activation for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit ReLU(const ReLU<U>&) {}
  Tensor<T> forward(const Tensor<T>& x) override { return grove::relu(x); }
  std::string describe() const override { return "ReLU"; }
};

/// x * Phi(x) elementwise (Phi: standard normal CDF).
template <class T = float>
class GELU : public Module<T> {
public:
  template <class U>
  using rebind = GELU<U>;
  GELU() = default;
  /// The same activation for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit GELU(const GELU<U>&) {}
  Tensor<T> forward(const Tensor<T>& x) override { return grove::gelu(x); }
  std::string describe() const override { return "GELU"; }
};

/// tanh(x) elementwise.
template <class T = float>
class Tanh : public Module<T> {
public:
  template <class U>
  using rebind = Tanh<U>;
  Tanh() = default;
  /// The same activation for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit Tanh(const Tanh<U>&) {}
  Tensor<T> forward(const Tensor<T>& x) override { return grove::tanh(x); }
  std::string describe() const override { return "Tanh"; }
};

/// 1 / (1 + exp(-x)) elementwise.
template <class T = float>
class Sigmoid : public Module<T> {
public:
  template <class U>
  using rebind = Sigmoid<U>;
  Sigmoid() = default;
  /// The same activation for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit Sigmoid(const Sigmoid<U>&) {}
  Tensor<T> forward(const Tensor<T>& x) override { return grove::sigmoid(x); }
  std::string describe() const override { return "Sigmoid"; }
};

}  // namespace grove::nn

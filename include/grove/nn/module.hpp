#pragma once
/// \file Module<T>: the base of every layer and model: forward(), named parameters (dotted names
/// for nested modules, as PyTorch spells them), train()/eval() mode.

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

/// A differentiable function with learnable parameters. Modules are held polymorphically
/// (Sequential stores std::shared_ptr<Module<T>>); copying a module copies tensor handles, so
/// the copy shares its parameters with the original (as tensors share storage).
template <class T>
class Module {
  static_assert(std::is_floating_point_v<T>, "nn::Module<T>: T must be float or double");

public:
  using value_type = T;

  Module() = default;
  Module(const Module&) = default;
  Module(Module&&) noexcept = default;
  Module& operator=(const Module&) = default;
  Module& operator=(Module&&) noexcept = default;
  virtual ~Module() = default;

  /// The module's function of its input.
  virtual Tensor<T> forward(const Tensor<T>& x) = 0;
  /// Same as forward(x).
  Tensor<T> operator()(const Tensor<T>& x) { return forward(x); }

  /// A short description, e.g. "Linear(in=784, out=256)".
  virtual std::string describe() const = 0;

  /// Every learnable tensor: this module's own in registration order, then each child's.
  std::vector<Tensor<T>> parameters() const {
    std::vector<Tensor<T>> out;
    for (auto& [name, p] : named_parameters()) out.push_back(p);
    return out;
  }

  /// parameters() with names: "weight", "0.weight", "encoder.1.bias", ...
  std::vector<std::pair<std::string, Tensor<T>>> named_parameters() const {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    collect("", out);
    return out;
  }

  /// Total number of learnable scalars.
  std::size_t n_parameters() const {
    std::size_t n = 0;
    for (const auto& p : parameters()) n += p.size();
    return n;
  }

  /// Direct children with their names.
  const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& children() const noexcept {
    return children_;
  }

  /// Training mode (Dropout active) for this module and its children.
  void train(bool on = true) {
    training_ = on;
    for (auto& [name, c] : children_) c->train(on);
  }
  /// Evaluation mode: train(false).
  void eval() { train(false); }
  /// True in training mode (the default).
  bool is_training() const noexcept { return training_; }

  /// Sets every parameter's gradient to zero.
  void zero_grad() {
    for (auto& p : parameters()) p.zero_grad();
  }

protected:
  /// Makes `value` a learnable parameter called `name` (requires_grad is switched on).
  Tensor<T> register_parameter(std::string name, Tensor<T> value) {
    value.requires_grad(true);
    params_.emplace_back(std::move(name), value);
    return value;
  }

  /// Makes `child` a sub-module called `name` (its parameters are named "<name>.<param>").
  void register_module(std::string name, std::shared_ptr<Module<T>> child) {
    if (!child) grove::detail::throw_value_error("Module::register_module: '" + name + "' is null");
    child->train(training_);
    children_.emplace_back(std::move(name), std::move(child));
  }

private:
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor<T>>>& out) const {
    for (const auto& [name, p] : params_) out.emplace_back(prefix + name, p);
    for (const auto& [name, c] : children_) c->collect(prefix + name + ".", out);
  }

  std::vector<std::pair<std::string, Tensor<T>>> params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> children_;
  bool training_ = true;
};

}  // namespace grove::nn

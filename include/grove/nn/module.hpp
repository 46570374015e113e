#pragma once
/// \file Module<T>: the base of every layer and model: forward(), named parameters and buffers
/// (dotted names for nested modules, as PyTorch spells them), train()/eval() mode, and the
/// in-memory state_dict() / load_state_dict().

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

/// Named tensors in a fixed order: a module's parameters followed by its buffers.
template <class T>
using StateDict = std::vector<std::pair<std::string, Tensor<T>>>;

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

  /// A short description, e.g. "Linear(in=784, out=256)". The default names the module's own
  /// parameters and buffers with their shapes and lists its children, so a custom module need
  /// not override it.
  virtual std::string describe() const {
    std::string s = "Module(";
    bool first = true;
    auto item = [&](const std::string& name, const Tensor<T>& t) {
      s += (first ? "" : ", ") + name + "=" + to_string(t.shape());
      first = false;
    };
    for (const auto& [name, p] : params_) item(name, p);
    for (const auto& [name, b] : buffers_) item(name, b);
    for (const auto& [name, c] : children_) s += "\n  (" + name + "): " + indent(c->describe());
    return s + (children_.empty() ? ")" : "\n)");
  }

  /// Every learnable tensor: this module's own in registration order, then each child's.
  std::vector<Tensor<T>> parameters() const {
    std::vector<Tensor<T>> out;
    for (auto& [name, p] : named_parameters()) out.push_back(p);
    return out;
  }

  /// parameters() with names: "weight", "0.weight", "encoder.1.bias", ...
  std::vector<std::pair<std::string, Tensor<T>>> named_parameters() const {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    collect("", &Module::params_, out);
    return out;
  }

  /// Buffers with names: state that is saved and loaded with the parameters but not trained
  /// (e.g. BatchNorm's "running_mean"), in the same order as named_parameters().
  std::vector<std::pair<std::string, Tensor<T>>> named_buffers() const {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    collect("", &Module::buffers_, out);
    return out;
  }

  /// Total number of learnable scalars.
  std::size_t n_parameters() const {
    std::size_t n = 0;
    for (const auto& p : parameters()) n += p.size();
    return n;
  }

  /// Copies of every parameter and buffer, named (parameters first, then buffers). The copies
  /// do not share storage with the module: training on afterwards leaves them as they were.
  StateDict<T> state_dict() const {
    StateDict<T> out = named_parameters();
    for (auto& nb : named_buffers()) out.push_back(std::move(nb));
    for (auto& [name, t] : out) t = copy_of(t);
    return out;
  }

  /// Copies values into the parameters and buffers of the same names. `state` must hold exactly
  /// this module's names with the same shapes: a missing or unexpected name is a ValueError, a
  /// shape difference a ShapeError naming both shapes; nothing changes when it throws.
  void load_state_dict(const StateDict<T>& state) {
    auto own = named_parameters();
    for (auto& nb : named_buffers()) own.push_back(std::move(nb));
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < own.size(); ++i) index.emplace(own[i].first, i);
    std::vector<const Tensor<T>*> src(own.size(), nullptr);
    for (const auto& [name, t] : state) {
      const auto it = index.find(name);
      if (it == index.end())
        detail::throw_value_error("load_state_dict: the state has '" + name + "', which the module does not have");
      if (src[it->second]) detail::throw_value_error("load_state_dict: '" + name + "' appears twice in the state");
      if (!(t.shape() == own[it->second].second.shape()))
        detail::throw_shape_error("load_state_dict: '" + name + "' is " + to_string(t.shape()) + " in the state but " +
                                  to_string(own[it->second].second.shape()) + " in the module");
      src[it->second] = &t;
    }
    for (std::size_t i = 0; i < own.size(); ++i)
      if (!src[i]) detail::throw_value_error("load_state_dict: the module's '" + own[i].first + "' is missing from the state");
    for (std::size_t i = 0; i < own.size(); ++i) src[i]->copy_to(own[i].second.data());
  }

  /// Direct children with their names.
  const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& children() const noexcept {
    return children_;
  }

  /// Training mode (Dropout active, BatchNorm on batch statistics) for this module and its children.
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
  /// Makes `value` a learnable parameter called `name` (requires_grad is switched on; a
  /// non-contiguous view is copied first, since optimizers update parameters as flat arrays).
  Tensor<T> register_parameter(std::string name, Tensor<T> value) {
    check_new_name(name);
    if (!value.is_contiguous() || !value.is_leaf()) value = copy_of(value);
    value.requires_grad(true);
    params_.emplace_back(std::move(name), value);
    return value;
  }

  /// Makes `value` a buffer called `name`: saved and loaded with the parameters, never trained.
  /// Keep the returned handle and update it in place (the module saves what it points at).
  Tensor<T> register_buffer(std::string name, Tensor<T> value) {
    check_new_name(name);
    if (!value.is_contiguous()) value = copy_of(value);
    buffers_.emplace_back(std::move(name), value);
    return value;
  }

  /// Makes `child` a sub-module called `name` (its parameters are named "<name>.<param>").
  void register_module(std::string name, std::shared_ptr<Module<T>> child) {
    if (!child) detail::throw_value_error("Module::register_module: '" + name + "' is null");
    check_new_name(name);
    child->train(training_);
    children_.emplace_back(std::move(name), std::move(child));
  }

private:
  using Named = std::vector<std::pair<std::string, Tensor<T>>>;

  static Tensor<T> copy_of(const Tensor<T>& t) {
    Tensor<T> c(t.shape());
    t.copy_to(c.data());
    return c;
  }
  static std::string indent(const std::string& s) {
    std::string out;
    for (char ch : s) out += ch == '\n' ? std::string("\n  ") : std::string(1, ch);
    return out;
  }
  void check_new_name(const std::string& name) const {
    bool taken = name.empty() || name.find('.') != std::string::npos;
    for (const auto& [n, p] : params_) taken = taken || n == name;
    for (const auto& [n, b] : buffers_) taken = taken || n == name;
    for (const auto& [n, c] : children_) taken = taken || n == name;
    if (taken)
      detail::throw_value_error("Module: name '" + name + "' is empty, contains '.', or is already registered");
  }
  void collect(const std::string& prefix, Named Module::*which, Named& out) const {
    for (const auto& [name, t] : this->*which) out.emplace_back(prefix + name, t);
    for (const auto& [name, c] : children_) c->collect(prefix + name + ".", which, out);
  }

  Named params_;
  Named buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> children_;
  bool training_ = true;
};

}  // namespace grove::nn

#pragma once
/// \file Sequential: modules applied in order; children are named "0", "1", ... (so parameters
/// are "0.weight", "2.bias", as in PyTorch).

#include <concepts>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "grove/core/error.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {
/// A module of another scalar type that can be rebuilt for T (stateless activations, Dropout,
/// LayerNorm: nn::ReLU() is ReLU<float>, and Sequential<double> accepts it).
template <class M, class T>
concept RebindableTo = requires { typename M::template rebind<T>; } &&
                       std::derived_from<typename M::template rebind<T>, nn::Module<T>> &&
                       std::constructible_from<typename M::template rebind<T>, const M&>;

template <class M, class T>
concept ModuleArg = std::derived_from<std::remove_cvref_t<M>, nn::Module<T>> ||
                    RebindableTo<std::remove_cvref_t<M>, T> ||
                    std::convertible_to<M, std::shared_ptr<nn::Module<T>>>;
}  // namespace grove::detail

namespace grove::nn {

/// Applies its modules in order. Holds them polymorphically (std::shared_ptr<nn::Module<T>>).
template <class T = float>
class Sequential : public Module<T> {
public:
  Sequential() = default;
  Sequential(const Sequential&) = default;
  Sequential(Sequential&&) noexcept = default;
  Sequential& operator=(const Sequential&) = default;
  Sequential& operator=(Sequential&&) noexcept = default;

  /// Sequential<float>{Linear<float>(4, 8, rng), ReLU(), Linear<float>(8, 2, rng)}.
  template <class... M>
    requires(sizeof...(M) > 0 && (detail::ModuleArg<M, T> && ...) &&
             !(sizeof...(M) == 1 && (std::is_same_v<std::remove_cvref_t<M>, Sequential> && ...)))
  Sequential(M&&... modules) {  // NOLINT: implicit so brace lists read naturally
    (add(std::forward<M>(modules)), ...);
  }

  /// Appends a module: a value (moved or copied into a shared_ptr; copies share parameters), a
  /// shared_ptr to one, or a stateless module of another scalar type (rebuilt for T).
  template <class M>
    requires detail::ModuleArg<M, T>
  Sequential& add(M&& module) {
    using D = std::remove_cvref_t<M>;
    if constexpr (std::derived_from<D, nn::Module<T>>) {
      this->register_module(std::to_string(size_), std::make_shared<D>(std::forward<M>(module)));
    } else if constexpr (detail::RebindableTo<D, T>) {
      using R = typename D::template rebind<T>;
      this->register_module(std::to_string(size_), std::make_shared<R>(module));
    } else {
      std::shared_ptr<nn::Module<T>> p = std::forward<M>(module);
      this->register_module(std::to_string(size_), std::move(p));
    }
    ++size_;
    return *this;
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    Tensor<T> h = x;
    for (const auto& [name, m] : this->children()) h = m->forward(h);
    return h;
  }

  std::string describe() const override {
    std::string s = "Sequential(";
    for (const auto& [name, m] : this->children()) {
      std::string d = m->describe();  // nested modules are indented one more level
      for (std::size_t at = d.find('\n'); at != std::string::npos; at = d.find('\n', at + 3)) d.replace(at, 1, "\n  ");
      s += "\n  (" + name + "): " + d;
    }
    return s + (size_ ? "\n)" : ")");
  }

  /// Number of modules.
  std::size_t size() const noexcept { return size_; }
  /// Module i (ValueError when out of range).
  Module<T>& operator[](std::size_t i) const {
    if (i >= size_)
      detail::throw_value_error("Sequential: index " + std::to_string(i) + " out of range for " +
                                       std::to_string(size_) + " modules");
    return *this->children()[i].second;
  }

private:
  std::size_t size_ = 0;
};

}  // namespace grove::nn

#pragma once
/// \file Dropout: in training, zeroes each element with probability p and scales the rest by
/// 1/(1-p) (inverted dropout, as PyTorch); identity in eval mode.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/rng.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

namespace detail {

/// y = x * mask, mask in {0, 1/(1-p)}: dy/dx = mask.
template <class T>
struct DropoutNode final : Node<T> {
  std::vector<T> mask;
  const char* name() const noexcept override { return "dropout"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> g = grad_out.contiguous();
    Tensor<T> dx = empty<T>(g.shape());
    const T* gp = g.data();
    T* d = dx.data();
    for (std::size_t i = 0; i < mask.size(); ++i) d[i] = gp[i] * mask[i];
    sink.add(0, dx);
  }
  void release() noexcept override { mask = {}; }
};

}  // namespace detail

/// Inverted dropout as a function: in training, each element is zeroed with probability p (masks
/// drawn from `rng`) and the rest scaled by 1/(1-p); returns x itself when !training or p == 0.
template <class T>
Tensor<T> dropout(const Tensor<T>& x, double p, Rng& rng, bool training = true) {
  if (!(p >= 0.0 && p <= 1.0)) grove::detail::throw_value_error("dropout: p must be in [0, 1], got " + std::to_string(p));
  if (!training || p == 0.0) return x;
  const Tensor<T> xc = x.contiguous();
  const std::size_t n = xc.size();
  std::vector<T> mask(n);
  const T keep = p >= 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  for (std::size_t i = 0; i < n; ++i) mask[i] = rng.uniform() < p ? T(0) : keep;
  Tensor<T> y = detail::empty<T>(xc.shape());
  const T* xp = xc.data();
  T* yp = y.data();
  for (std::size_t i = 0; i < n; ++i) yp[i] = xp[i] * mask[i];
  if (detail::needs_graph<T>({&xc})) {
    auto node = std::make_shared<detail::DropoutNode<T>>();
    node->mask = std::move(mask);
    detail::attach<T>(y, std::move(node), {&xc});
  }
  return y;
}

/// Inverted dropout with drop probability p in [0, 1]. Masks come from the layer's own Rng, so
/// a fixed seed gives the same masks on every run.
template <class T = float>
class Dropout : public Module<T> {
public:
  template <class U>
  using rebind = Dropout<U>;

  /// Drop probability p; masks drawn from Rng(seed).
  explicit Dropout(double p, std::uint64_t seed = 0) : p_(p), rng_(seed) { check(p); }
  /// Drop probability p; the layer's generator is seeded from `rng` (one draw).
  Dropout(double p, Rng& rng) : p_(p), rng_(rng.next_u64()) { check(p); }
  /// The same layer for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit Dropout(const Dropout<U>& other) : p_(other.p()), rng_(other.rng()) {}

  Tensor<T> forward(const Tensor<T>& x) override { return dropout(x, p_, rng_, this->is_training()); }

  std::string describe() const override { return "Dropout(p=" + std::to_string(p_) + ")"; }
  double p() const noexcept { return p_; }
  const Rng& rng() const noexcept { return rng_; }

private:
  static void check(double p) {
    if (!(p >= 0.0 && p <= 1.0))
      grove::detail::throw_value_error("Dropout: p must be in [0, 1], got " + std::to_string(p));
  }
  double p_;
  Rng rng_;
};

}  // namespace grove::nn

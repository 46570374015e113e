#pragma once
/// \file Dropout: in training, zeroes each element with probability p and scales the rest by
/// 1/(1-p) (inverted dropout, as PyTorch); identity in eval mode.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/detail/intervals.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// y = x * mask, mask in {0, 1/(1-p)}: dy/dx = mask.
template <class T>
struct DropoutNode final : Node<T> {
  std::vector<T> mask;
  const char* name() const noexcept override { return "dropout"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> g = grad_out.contiguous();
    Tensor<T> dx = uninitialized<T>(g.shape());
    const T* gp = g.data();
    T* d = dx.data();
    for (std::size_t i = 0; i < mask.size(); ++i) d[i] = gp[i] * mask[i];
    sink.add(0, dx);
  }
  void release() noexcept override { mask = {}; }
};

/// A 64-bit value as four 16-bit words stored in T (exact in float and double), so integer
/// state can live in a module buffer and be saved with the parameters.
template <class T>
void put_u64(T* words, std::uint64_t v) noexcept {
  for (int k = 0; k < 4; ++k) words[k] = static_cast<T>((v >> (16 * k)) & 0xFFFFu);
}
template <class T>
std::uint64_t get_u64(const T* words) noexcept {
  std::uint64_t v = 0;
  for (int k = 0; k < 4; ++k) v |= static_cast<std::uint64_t>(words[k]) << (16 * k);
  return v;
}

}  // namespace grove::detail

namespace grove::nn {

/// Inverted dropout as a function: in training, each element is zeroed with probability p (masks
/// drawn from `rng`) and the rest scaled by 1/(1-p); returns x itself when !training or p == 0.
template <class T>
Tensor<T> dropout(const Tensor<T>& x, double p, Rng& rng, bool training = true) {
  detail::check_range("dropout", "p", p, detail::kUnit);
  if (!training || p == 0.0) return x;
  const Tensor<T> xc = x.contiguous();
  const std::size_t n = xc.size();
  std::vector<T> mask(n);
  const T keep = p >= 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  // Each 64-bit draw decides two elements: element i is dropped when its 32-bit half is below
  // p * 2^32 (p is resolved to 2^-32, far below any visible difference).
  const auto threshold = static_cast<std::uint64_t>(std::ldexp(p, 32));
  for (std::size_t i = 0; i < n; i += 2) {
    const std::uint64_t r = rng.next_u64();
    mask[i] = (r & 0xFFFFFFFFu) < threshold ? T(0) : keep;
    if (i + 1 < n) mask[i + 1] = (r >> 32) < threshold ? T(0) : keep;
  }
  Tensor<T> y = detail::uninitialized<T>(xc.shape());
  const T* xp = xc.data();
  T* yp = y.data();
  for (std::size_t i = 0; i < n; ++i) yp[i] = xp[i] * mask[i];
  if (detail::any_needs_graph<T>({&xc})) {
    auto node = std::make_shared<detail::DropoutNode<T>>();
    node->mask = std::move(mask);
    detail::attach_inputs<T>(y, std::move(node), {&xc});
  }
  return y;
}

/// Inverted dropout with drop probability p in [0, 1]. The k-th training forward draws its mask
/// from Rng(seed).stream(k); seed and k live in the buffer "generator" (saved with the model),
/// so a fixed seed gives the same masks on every run and training resumed from a checkpoint
/// draws exactly the masks uninterrupted training would have.
template <class T = float>
class Dropout : public Module<T> {
public:
  template <class U>
  using rebind = Dropout<U>;

  /// Drop probability p; masks drawn from streams of Rng(seed).
  explicit Dropout(double p, std::uint64_t seed = 0) : p_(p) { init(seed, 0); }
  /// Drop probability p; the layer's seed is one draw from `rng`.
  Dropout(double p, Rng& rng) : p_(p) { init(rng.next_u64(), 0); }
  /// The same layer for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit Dropout(const Dropout<U>& other) : p_(other.p()) {
    init(other.seed(), other.masks_drawn());
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    if (!this->is_training() || p_ == 0.0) return x;
    const std::uint64_t k = masks_drawn();
    Rng rng = Rng(seed()).stream(k);
    detail::put_u64(state_.data() + 4, k + 1);
    return dropout(x, p_, rng, true);
  }

  std::string describe() const override { return "Dropout(p=" + format_number(p_) + ")"; }
  double p() const noexcept { return p_; }
  /// The seed the masks are drawn from.
  std::uint64_t seed() const noexcept { return detail::get_u64(state_.data()); }
  /// Number of training forwards so far (the stream index of the next mask).
  std::uint64_t masks_drawn() const noexcept { return detail::get_u64(state_.data() + 4); }

private:
  void init(std::uint64_t seed, std::uint64_t drawn) {
    detail::check_range("Dropout", "p", p_, detail::kUnit);
    Tensor<T> s(Shape{8});
    detail::put_u64(s.data(), seed);
    detail::put_u64(s.data() + 4, drawn);
    state_ = this->register_buffer("generator", s);
  }
  double p_;
  Tensor<T> state_;
};

}  // namespace grove::nn

#pragma once
/// \file MultiheadAttention (self-attention, PyTorch's parameter layout and batch_first=True),
/// with an optional causal mask and key padding mask. Built from grove's primitives (linear,
/// reshape, transpose, batched matmul) plus one fused op of its own, attention_softmax: a
/// softmax over the keys a query may see, where masked keys get exactly 0 and a query that may
/// see no key at all gets all zeros (PyTorch gives NaN there, which then spreads through the
/// residual stream into the loss).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/detail/intervals.hpp"
#include "grove/nn/dropout.hpp"
#include "grove/nn/init.hpp"
#include "grove/nn/linear.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/elementwise.hpp"
#include "grove/tensor/matmul.hpp"
#include "grove/tensor/shape_ops.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// y = masked softmax of scores [B*H, Lq, Lk] along the last axis; allowed [B, Lq, Lk] (1 =
/// the query may see the key; empty = all allowed) is shared by the H heads of a batch entry.
/// Backward: dx = y * (g - sum(g * y)), which is 0 wherever y is (masked keys, empty rows).
template <class T>
struct AttentionSoftmaxNode final : Node<T> {
  const char* name() const noexcept override { return "attention_softmax"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> g = grad_out.contiguous();
    const Tensor<T> y = node_output(*this);
    const std::size_t n = y.shape()[y.dim() - 1], rows = y.size() / n;
    Tensor<T> dx = uninitialized<T>(y.shape());
    for (std::size_t r = 0; r < rows; ++r) {
      const T* gr = g.data() + r * n;
      const T* yr = y.data() + r * n;
      T dot = T(0);
      for (std::size_t j = 0; j < n; ++j) dot += gr[j] * yr[j];
      T* d = dx.data() + r * n;
      for (std::size_t j = 0; j < n; ++j) d[j] = yr[j] * (gr[j] - dot);
    }
    sink.add(0, dx);
  }
};

template <class T>
Tensor<T> attention_softmax(const Tensor<T>& scores, const std::vector<std::uint8_t>& allowed, std::size_t heads) {
  const Tensor<T> s = scores.contiguous();
  const std::size_t lq = s.shape()[1], lk = s.shape()[2], rows = s.shape()[0] * lq;
  Tensor<T> y = uninitialized<T>(s.shape());
  for (std::size_t r = 0; r < rows; ++r) {
    const T* x = s.data() + r * lk;
    T* out = y.data() + r * lk;
    // Row r is query r % lq of head-batch r / lq, whose batch entry is (r / lq) / heads.
    const std::uint8_t* ok = allowed.empty() ? nullptr : allowed.data() + ((r / lq) / heads * lq + r % lq) * lk;
    T m = -std::numeric_limits<T>::infinity();
    for (std::size_t j = 0; j < lk; ++j)
      if (!ok || ok[j]) m = std::max(m, x[j]);
    if (m == -std::numeric_limits<T>::infinity() && ok) {  // no visible key
      std::fill(out, out + lk, T(0));
      continue;
    }
    T total = T(0);
    for (std::size_t j = 0; j < lk; ++j) {
      out[j] = (!ok || ok[j]) ? std::exp(x[j] - m) : T(0);
      total += out[j];
    }
    const T inv = T(1) / total;
    for (std::size_t j = 0; j < lk; ++j) out[j] *= inv;
  }
  if (needs_graph(s)) attach_node(y, std::make_shared<AttentionSoftmaxNode<T>>(), s);
  return y;
}

/// The head layout change of attention as one copy each way. split: qkv [B, L, 3E] ->
/// [3, B*H, L, D] (part p, batch b, head h, position i at ((p*B + b)*H + h)*L + i); merge:
/// [B*H, L, D] -> [B, L, E]. Each is a permutation, so its backward is the inverse permutation.
struct HeadLayout {
  std::size_t B = 0, L = 0, H = 0, D = 0, parts = 0;  // parts: 3 for split, 1 for merge
  /// Offset in [B, L, parts*H*D] of element (p, b, h, i, d) of the head layout.
  std::size_t packed(std::size_t p, std::size_t b, std::size_t h, std::size_t i) const noexcept {
    return ((b * L + i) * parts + p) * H * D + h * D;
  }
  std::size_t heads(std::size_t p, std::size_t b, std::size_t h, std::size_t i) const noexcept {
    return (((p * B + b) * H + h) * L + i) * D;
  }
  /// to_heads: packed -> heads layout; otherwise heads -> packed.
  template <class T>
  void copy(const T* src, T* dst, bool to_heads) const {
    for (std::size_t p = 0; p < parts; ++p)
      for (std::size_t b = 0; b < B; ++b)
        for (std::size_t h = 0; h < H; ++h)
          for (std::size_t i = 0; i < L; ++i) {
            const T* from = src + (to_heads ? packed(p, b, h, i) : heads(p, b, h, i));
            T* to = dst + (to_heads ? heads(p, b, h, i) : packed(p, b, h, i));
            std::copy(from, from + D, to);
          }
  }
};

template <class T>
struct HeadLayoutNode final : Node<T> {
  HeadLayout layout;
  bool to_heads = true;
  const char* name() const noexcept override { return to_heads ? "split_heads" : "merge_heads"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> g = grad_out.contiguous();
    Tensor<T> dx = uninitialized<T>(this->input(0)->shape);
    layout.copy(g.data(), dx.data(), !to_heads);
    sink.add(0, dx);
  }
};

/// qkv [B, L, 3E] -> [3, B*H, L, D] (to_heads) or o [B*H, L, D] -> [B, L, E]: differentiable.
template <class T>
Tensor<T> change_head_layout(const Tensor<T>& x, const HeadLayout& layout, bool to_heads) {
  const Tensor<T> xc = x.contiguous();
  const Shape out_shape = to_heads ? Shape{layout.parts, layout.B * layout.H, layout.L, layout.D}
                                   : Shape{layout.B, layout.L, layout.H * layout.D};
  Tensor<T> y = uninitialized<T>(out_shape);
  layout.copy(xc.data(), y.data(), to_heads);
  if (needs_graph(xc)) {
    auto node = std::make_shared<HeadLayoutNode<T>>();
    node->layout = layout;
    node->to_heads = to_heads;
    attach_node(y, std::move(node), xc);
  }
  return y;
}

}  // namespace grove::detail

namespace grove::nn {

/// Options of MultiheadAttention.
struct MultiheadAttentionOptions {
  bool causal = false;  ///< position i attends to positions <= i only
  bool bias = true;     ///< in_proj_bias and out_proj.bias
  double dropout = 0.0; ///< dropout on the attention weights (training only)
};

/// Multi-head self-attention over x [B, L, E] (or [L, E]): with q, k, v = x W_in^T + b_in split
/// into H heads of size D = E / H, head h computes softmax(q_h k_h^T / sqrt(D) + mask) v_h;
/// the heads are concatenated and projected by out_proj. Parameters as PyTorch names them:
/// in_proj_weight [3E, E] (Xavier uniform), in_proj_bias [3E] (zeros), out_proj.weight [E, E]
/// (Linear's init), out_proj.bias [E] (zeros).
template <class T = float>
class MultiheadAttention : public Module<T> {
public:
  MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, Rng& rng, MultiheadAttentionOptions options = {})
      : e_(embed_dim), h_(num_heads), o_(options) {
    if (embed_dim == 0 || num_heads == 0 || embed_dim % num_heads != 0)
      detail::throw_value_error("MultiheadAttention: embed_dim must be a positive multiple of num_heads, got " +
                                std::to_string(embed_dim) + " and " + std::to_string(num_heads));
    detail::check_range("MultiheadAttention", "dropout", options.dropout, detail::kUnitOpen);
    in_w_ = this->register_parameter("in_proj_weight",
                                     init::xavier_uniform<T>(Shape{3 * e_, e_}, e_, 3 * e_, rng));
    if (options.bias) in_b_ = this->register_parameter("in_proj_bias", Tensor<T>::zeros(Shape{3 * e_}));
    out_proj_ = std::make_shared<Linear<T>>(e_, e_, rng, LinearOptions{.bias = options.bias});
    if (options.bias) std::fill(out_proj_->bias().data(), out_proj_->bias().data() + e_, T(0));
    this->register_module("out_proj", out_proj_);
    dropout_ = std::make_shared<Dropout<T>>(options.dropout, rng);
    this->register_module("dropout", dropout_);
  }

  /// Self-attention without a padding mask (the causal mask applies if set in the options).
  Tensor<T> forward(const Tensor<T>& x) override { return attend(x, {}); }

  /// Self-attention where key_padding_mask [B, L] (any arithmetic type; [L] for a 2-D input)
  /// marks padding positions with a nonzero value: no query attends to them (PyTorch's
  /// key_padding_mask convention).
  template <class M>
  Tensor<T> forward(const Tensor<T>& x, const Tensor<M>& key_padding_mask) {
    static_assert(std::is_arithmetic_v<M>, "MultiheadAttention: key_padding_mask must hold an arithmetic type");
    const Shape want = x.dim() == 2 ? Shape{x.shape()[0]} : Shape{x.dim() == 3 ? x.shape()[0] : 0, x.dim() == 3 ? x.shape()[1] : 0};
    if (!(key_padding_mask.shape() == want))
      detail::throw_shape_error("MultiheadAttention: key_padding_mask " + to_string(key_padding_mask.shape()) +
                                " does not match input " + to_string(x.shape()) + " (expected " + to_string(want) + ")");
    const Tensor<M> m = key_padding_mask.contiguous();
    std::vector<std::uint8_t> pad(m.size());
    for (std::size_t i = 0; i < m.size(); ++i) pad[i] = m.data()[i] != M(0);
    return attend(x, pad);
  }

  std::string describe() const override {
    return "MultiheadAttention(embed_dim=" + std::to_string(e_) + ", num_heads=" + std::to_string(h_) +
           (o_.causal ? ", causal" : "") + (o_.dropout > 0 ? ", dropout=" + format_number(o_.dropout) : "") +
           (o_.bias ? "" : ", bias=false") + ")";
  }

  std::size_t embed_dim() const noexcept { return e_; }
  std::size_t num_heads() const noexcept { return h_; }
  Tensor<T>& in_proj_weight() noexcept { return in_w_; }
  Tensor<T>& in_proj_bias() noexcept { return in_b_; }
  Linear<T>& out_proj() noexcept { return *out_proj_; }

private:
  Tensor<T> attend(const Tensor<T>& x_in, const std::vector<std::uint8_t>& pad) {
    if ((x_in.dim() != 2 && x_in.dim() != 3) || x_in.shape()[x_in.dim() - 1] != e_)
      detail::throw_shape_error("MultiheadAttention: input " + to_string(x_in.shape()) + " is not [B, L, " +
                                std::to_string(e_) + "] or [L, " + std::to_string(e_) + "] (in_proj_weight " +
                                to_string(in_w_.shape()) + ")");
    const bool batched = x_in.dim() == 3;
    const std::size_t B = batched ? x_in.shape()[0] : 1, L = x_in.shape()[batched ? 1 : 0], H = h_, D = e_ / h_;
    const Tensor<T> x = batched ? x_in : reshape(x_in, Shape{1, L, e_});
    const Tensor<T> qkv = linear(x, in_w_, o_.bias ? &in_b_ : nullptr);  // [B, L, 3E]
    const Tensor<T> heads = detail::change_head_layout(qkv, detail::HeadLayout{B, L, H, D, 3}, true);
    auto part = [&](std::size_t p) {  // a contiguous [B*H, L, D] view of q, k or v
      return reshape(slice(heads, 0, p, p + 1), Shape{B * H, L, D});
    };
    const Tensor<T> q = part(0) * static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
    const Tensor<T> k = part(1), v = part(2);
    std::vector<std::uint8_t> allowed;
    if (o_.causal || !pad.empty()) {
      allowed.assign(B * L * L, 1);
      for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < L; ++i)
          for (std::size_t j = 0; j < L; ++j)
            allowed[(b * L + i) * L + j] = !(o_.causal && j > i) && (pad.empty() || !pad[b * L + j]);
    }
    Tensor<T> attn = detail::attention_softmax(matmul(q, transpose(k, 1, 2)), allowed, H);  // [B*H, L, L]
    attn = (*dropout_)(attn);
    const Tensor<T> o = detail::change_head_layout(matmul(attn, v), detail::HeadLayout{B, L, H, D, 1}, false);
    const Tensor<T> y = (*out_proj_)(o);
    return batched ? y : reshape(y, Shape{L, e_});
  }

  std::size_t e_, h_;
  MultiheadAttentionOptions o_;
  Tensor<T> in_w_, in_b_;
  std::shared_ptr<Linear<T>> out_proj_;
  std::shared_ptr<Dropout<T>> dropout_;
};

}  // namespace grove::nn

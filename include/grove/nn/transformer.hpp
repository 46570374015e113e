#pragma once
/// \file TransformerEncoderLayer, pre-LayerNorm with GELU (PyTorch's TransformerEncoderLayer with
/// norm_first=True, activation="gelu", batch_first=True, and the same parameter names):
///   x = x + dropout1(self_attn(norm1(x)))
///   x = x + dropout2(linear2(dropout(gelu(linear1(norm2(x))))))
/// Pre-LN keeps the residual stream unnormalized, so a stack of these trains without warmup
/// tricks; put a final LayerNorm after the last layer.

#include <cstddef>
#include <memory>
#include <string>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/nn/attention.hpp"
#include "grove/nn/detail/intervals.hpp"
#include "grove/nn/dropout.hpp"
#include "grove/nn/layer_norm.hpp"
#include "grove/nn/linear.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/activation.hpp"
#include "grove/tensor/elementwise.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

/// Options of TransformerEncoderLayer (PyTorch's defaults).
struct TransformerEncoderLayerOptions {
  std::size_t dim_feedforward = 2048;
  double dropout = 0.1;
  bool causal = false;          ///< causal self-attention (a decoder-only language model)
  double layer_norm_eps = 1e-5;
};

/// One pre-LN transformer encoder block over x [B, L, d_model] (or [L, d_model]).
template <class T = float>
class TransformerEncoderLayer : public Module<T> {
public:
  TransformerEncoderLayer(std::size_t d_model, std::size_t nhead, Rng& rng, TransformerEncoderLayerOptions options = {})
      : d_(d_model), o_(options) {
    if (options.dim_feedforward == 0)
      detail::throw_value_error("TransformerEncoderLayer: dim_feedforward must be >= 1, got 0");
    detail::check_range("TransformerEncoderLayer", "dropout", options.dropout, detail::kUnitOpen);
    self_attn_ = add("self_attn", std::make_shared<MultiheadAttention<T>>(
                                      d_model, nhead, rng,
                                      MultiheadAttentionOptions{.causal = options.causal, .dropout = options.dropout}));
    linear1_ = add("linear1", std::make_shared<Linear<T>>(d_model, options.dim_feedforward, rng));
    dropout_ = add("dropout", std::make_shared<Dropout<T>>(options.dropout, rng));
    linear2_ = add("linear2", std::make_shared<Linear<T>>(options.dim_feedforward, d_model, rng));
    norm1_ = add("norm1", std::make_shared<LayerNorm<T>>(d_model, options.layer_norm_eps));
    norm2_ = add("norm2", std::make_shared<LayerNorm<T>>(d_model, options.layer_norm_eps));
    dropout1_ = add("dropout1", std::make_shared<Dropout<T>>(options.dropout, rng));
    dropout2_ = add("dropout2", std::make_shared<Dropout<T>>(options.dropout, rng));
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    check(x);
    return feed_forward(x + (*dropout1_)(self_attn_->forward((*norm1_)(x))));
  }

  /// With a key padding mask [B, L] (nonzero = padding), as MultiheadAttention takes it.
  template <class M>
  Tensor<T> forward(const Tensor<T>& x, const Tensor<M>& key_padding_mask) {
    check(x);
    return feed_forward(x + (*dropout1_)(self_attn_->forward((*norm1_)(x), key_padding_mask)));
  }

  std::string describe() const override {
    return "TransformerEncoderLayer(d_model=" + std::to_string(d_) + ", nhead=" + std::to_string(self_attn_->num_heads()) +
           ", dim_feedforward=" + std::to_string(o_.dim_feedforward) + ", dropout=" + format_number(o_.dropout) +
           (o_.causal ? ", causal" : "") + ", pre-LN, GELU)";
  }

  MultiheadAttention<T>& self_attn() noexcept { return *self_attn_; }

private:
  template <class M>
  std::shared_ptr<M> add(const char* name, std::shared_ptr<M> m) {
    this->register_module(name, m);
    return m;
  }
  void check(const Tensor<T>& x) const {
    if ((x.dim() != 2 && x.dim() != 3) || x.shape()[x.dim() - 1] != d_)
      detail::throw_shape_error("TransformerEncoderLayer: input " + to_string(x.shape()) + " is not [B, L, " +
                                std::to_string(d_) + "] or [L, " + std::to_string(d_) + "]");
  }
  Tensor<T> feed_forward(const Tensor<T>& h) {
    return h + (*dropout2_)((*linear2_)((*dropout_)(gelu((*linear1_)((*norm2_)(h))))));
  }

  std::size_t d_;
  TransformerEncoderLayerOptions o_;
  std::shared_ptr<MultiheadAttention<T>> self_attn_;
  std::shared_ptr<Linear<T>> linear1_, linear2_;
  std::shared_ptr<Dropout<T>> dropout_, dropout1_, dropout2_;
  std::shared_ptr<LayerNorm<T>> norm1_, norm2_;
};

}  // namespace grove::nn

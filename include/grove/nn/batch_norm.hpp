#pragma once
/// \file BatchNorm1d ([N, C] or [N, C, L]) and BatchNorm2d ([N, C, H, W]): per-channel
/// normalization with learnable weight and bias, as PyTorch. In training the batch statistics
/// are used (biased variance) and the running statistics (buffers running_mean, running_var)
/// move by `momentum` toward them (running_var toward the unbiased variance); in eval the
/// running statistics are used. One fused op; with M values per channel and
/// xhat = (x - mean) * rstd, the backward rule in training is
///   dx = weight * rstd / M * (M dy - sum(dy) - xhat sum(dy xhat)),
///   dweight = sum(dy xhat),  dbias = sum(dy)      (sums over the channel),
/// and in eval dx = dy * weight * rstd (the statistics are constants).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/parallel.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/detail/intervals.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

/// Options of batch_norm, BatchNorm1d and BatchNorm2d (PyTorch's defaults).
struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;  ///< running = (1 - momentum) * running + momentum * batch statistic
  bool affine = true;     ///< learn weight (ones) and bias (zeros)
};

}  // namespace grove::nn

namespace grove::detail {

/// Layout of a batch-norm input: `outer` samples, `channels`, `inner` values per (sample, channel).
struct BnLayout {
  std::size_t outer = 0, channels = 0, inner = 0;
  std::size_t per_channel() const noexcept { return outer * inner; }
};

/// Runs body(c0, c1) over channel ranges; channels are independent, so any split is exact.
template <class F>
void for_channels(const BnLayout& l, F&& body) {
  const std::size_t work = l.outer * l.channels * l.inner;
  if (work < (std::size_t{1} << 18) || l.channels < 2) {
    body(std::size_t{0}, l.channels);
    return;
  }
  parallel_for(0, l.channels, 1, [&](std::size_t lo, std::size_t hi) { body(lo, hi); });
}

template <class T>
struct BatchNormNode final : Node<T> {
  BnLayout l;
  bool training = true, affine = true;
  std::vector<T> xhat;  // normalized input, same layout as x
  std::vector<T> rstd;  // per channel
  const char* name() const noexcept override { return "batch_norm"; }
  bool needs(GradSink<T>& sink, std::size_t i) const { return affine ? needs_more(*this, i) : sink.needs(i); }

  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    const Tensor<T> g = grad_out.contiguous();
    const bool need_x = needs(sink, 0), need_w = affine && needs(sink, 1), need_b = affine && needs(sink, 2);
    const Tensor<T> w = affine ? input_tensor(*this, 1) : Tensor<T>();
    Tensor<T> dx = need_x ? uninitialized<T>(g.shape()) : Tensor<T>();
    Tensor<T> dw = need_w ? uninitialized<T>(Shape{l.channels}) : Tensor<T>();
    Tensor<T> db = need_b ? uninitialized<T>(Shape{l.channels}) : Tensor<T>();
    const double m = static_cast<double>(l.per_channel());
    for_channels(l, [&](std::size_t c0, std::size_t c1) {
      for (std::size_t c = c0; c < c1; ++c) {
        double s_dy = 0, s_dyx = 0;
        for (std::size_t n = 0; n < l.outer; ++n) {
          const std::size_t base = (n * l.channels + c) * l.inner;
          for (std::size_t i = 0; i < l.inner; ++i) {
            s_dy += g.data()[base + i];
            s_dyx += static_cast<double>(g.data()[base + i]) * xhat[base + i];
          }
        }
        if (need_w) dw.data()[c] = static_cast<T>(s_dyx);
        if (need_b) db.data()[c] = static_cast<T>(s_dy);
        if (!need_x) continue;
        const double scale = (affine ? static_cast<double>(w.data()[c]) : 1.0) * rstd[c];
        const double mean_dy = s_dy / m, mean_dyx = s_dyx / m;
        for (std::size_t n = 0; n < l.outer; ++n) {
          const std::size_t base = (n * l.channels + c) * l.inner;
          for (std::size_t i = 0; i < l.inner; ++i) {
            const double gi = g.data()[base + i];
            dx.data()[base + i] = static_cast<T>(
                training ? scale * (gi - mean_dy - xhat[base + i] * mean_dyx) : scale * gi);
          }
        }
      }
    });
    if (need_x) sink.add(0, dx);
    if (need_w) sink.add(1, dw);
    if (need_b) sink.add(2, db);
  }
  void release() noexcept override {
    xhat = {};
    rstd = {};
  }
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bn_shape(const char* op, const Shape& x, std::size_t c,
                                                                  const char* expected) {
  throw_shape_error(std::string(op) + ": input " + to_string(x) + " is not " + expected + " with C = " +
                    std::to_string(c));
}

}  // namespace grove::detail

namespace grove::nn {

/// Batch normalization of x [N, C, ...] over every axis but 1 (PyTorch's F.batch_norm).
/// running_mean and running_var [C] are read in eval and updated in place in training (either
/// may be an empty tensor to use batch statistics always); weight and bias [C] may be null.
/// Differentiable in x, weight and bias.
template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, Tensor<T>& running_mean, Tensor<T>& running_var,
                     const std::type_identity_t<Tensor<T>>* weight, const std::type_identity_t<Tensor<T>>* bias,
                     bool training, BatchNormOptions options = {}) {
  detail::check_range("batch_norm", "eps", options.eps, detail::kPositive);
  detail::check_range("batch_norm", "momentum", options.momentum, detail::kUnit);
  if (x.dim() < 2) detail::throw_shape_error("batch_norm: input " + to_string(x.shape()) + " is not [N, C, ...]");
  detail::BnLayout l;
  l.outer = x.shape()[0];
  l.channels = x.shape()[1];
  l.inner = 1;
  for (std::size_t d = 2; d < x.dim(); ++d) l.inner *= x.shape()[d];
  const Shape cs{l.channels};
  const bool have_running = running_mean.size() > 0 || running_var.size() > 0;
  for (const Tensor<T>* t : std::initializer_list<const Tensor<T>*>{weight, bias, have_running ? &running_mean : nullptr,
                                                                    have_running ? &running_var : nullptr})
    if (t && !(t->shape() == cs))
      detail::throw_shape_error("batch_norm: input " + to_string(x.shape()) + " has " + std::to_string(l.channels) +
                                " channels but a statistic or parameter has shape " + to_string(t->shape()));
  if ((weight == nullptr) != (bias == nullptr))
    detail::throw_value_error("batch_norm: give both weight and bias or neither");
  const bool use_batch = training || !have_running;
  if (use_batch && l.per_channel() < 2)
    detail::throw_value_error("batch_norm: expected more than 1 value per channel when training, got input " +
                              to_string(x.shape()));
  const Tensor<T> xc = x.contiguous();
  const Tensor<T> wc = weight ? weight->contiguous() : Tensor<T>();
  const Tensor<T> bc = bias ? bias->contiguous() : Tensor<T>();
  const bool affine = weight != nullptr;
  Tensor<T> y = detail::uninitialized<T>(xc.shape());
  const bool record = detail::any_needs_graph<T>({&xc, affine ? &wc : nullptr, affine ? &bc : nullptr});
  std::vector<T> xhat(record ? xc.size() : 0), rstd(l.channels);
  const double m = static_cast<double>(l.per_channel());
  const double mom = options.momentum;
  detail::for_channels(l, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c) {
      double mean, var;
      if (use_batch) {
        double s = 0;
        for (std::size_t n = 0; n < l.outer; ++n) {
          const T* p = xc.data() + (n * l.channels + c) * l.inner;
          for (std::size_t i = 0; i < l.inner; ++i) s += p[i];
        }
        mean = s / m;
        double ss = 0;
        for (std::size_t n = 0; n < l.outer; ++n) {
          const T* p = xc.data() + (n * l.channels + c) * l.inner;
          for (std::size_t i = 0; i < l.inner; ++i) ss += (p[i] - mean) * (p[i] - mean);
        }
        var = ss / m;
        if (training && have_running) {
          T& rm = running_mean.data()[c];
          T& rv = running_var.data()[c];
          rm = static_cast<T>((1 - mom) * static_cast<double>(rm) + mom * mean);
          rv = static_cast<T>((1 - mom) * static_cast<double>(rv) + mom * ss / (m - 1));
        }
      } else {
        mean = static_cast<double>(running_mean.data()[c]);
        var = static_cast<double>(running_var.data()[c]);
      }
      const double r = 1.0 / std::sqrt(var + options.eps);
      rstd[c] = static_cast<T>(r);
      const double w = affine ? static_cast<double>(wc.data()[c]) : 1.0, b = affine ? static_cast<double>(bc.data()[c]) : 0.0;
      for (std::size_t n = 0; n < l.outer; ++n) {
        const std::size_t base = (n * l.channels + c) * l.inner;
        for (std::size_t i = 0; i < l.inner; ++i) {
          const double h = (xc.data()[base + i] - mean) * r;
          y.data()[base + i] = static_cast<T>(h * w + b);
          if (record) xhat[base + i] = static_cast<T>(h);
        }
      }
    }
  });
  if (record) {
    auto node = std::make_shared<detail::BatchNormNode<T>>();
    node->l = l;
    node->training = use_batch;
    node->affine = affine;
    node->xhat = std::move(xhat);
    node->rstd = std::move(rstd);
    detail::attach_inputs<T>(y, std::move(node), {&xc, affine ? &wc : nullptr, affine ? &bc : nullptr});
  }
  return y;
}

}  // namespace grove::nn

namespace grove::detail {

/// The shared body of BatchNorm1d and BatchNorm2d (they differ in the input ranks they accept).
template <class T>
class BatchNormBase : public nn::Module<T> {
public:
  Tensor<T> forward(const Tensor<T>& x) override {
    check_input(x);
    return nn::batch_norm(x, running_mean_, running_var_, o_.affine ? &weight_ : nullptr,
                          o_.affine ? &bias_ : nullptr, this->is_training(), o_);
  }
  /// Weight [C] (ones at start); empty without affine.
  Tensor<T>& weight() noexcept { return weight_; }
  /// Bias [C] (zeros at start); empty without affine.
  Tensor<T>& bias() noexcept { return bias_; }
  /// Running mean [C] (a buffer; zeros at start).
  Tensor<T>& running_mean() noexcept { return running_mean_; }
  /// Running variance [C] (a buffer; ones at start).
  Tensor<T>& running_var() noexcept { return running_var_; }

protected:
  BatchNormBase(const char* op, std::size_t channels, nn::BatchNormOptions o) : op_(op), c_(channels), o_(o) {
    if (channels == 0) throw_value_error(std::string(op) + ": num_features must be >= 1, got 0");
    check_range(op, "eps", o.eps, kPositive);
    check_range(op, "momentum", o.momentum, kUnit);
    if (o.affine) {
      weight_ = this->register_parameter("weight", Tensor<T>::ones(Shape{channels}));
      bias_ = this->register_parameter("bias", Tensor<T>::zeros(Shape{channels}));
    }
    running_mean_ = this->register_buffer("running_mean", Tensor<T>::zeros(Shape{channels}));
    running_var_ = this->register_buffer("running_var", Tensor<T>::ones(Shape{channels}));
  }
  std::string describe_as(const char* name) const {
    return std::string(name) + "(" + std::to_string(c_) + (o_.eps != 1e-5 ? ", eps=" + format_number(o_.eps) : "") +
           (o_.momentum != 0.1 ? ", momentum=" + format_number(o_.momentum) : "") +
           (o_.affine ? "" : ", affine=false") + ")";
  }
  virtual void check_input(const Tensor<T>& x) const = 0;

  const char* op_;
  std::size_t c_;
  nn::BatchNormOptions o_;
  Tensor<T> weight_, bias_, running_mean_, running_var_;
};

}  // namespace grove::detail

namespace grove::nn {

/// Batch normalization over [N, C] or [N, C, L] inputs (statistics per feature C).
template <class T = float>
class BatchNorm1d : public detail::BatchNormBase<T> {
public:
  explicit BatchNorm1d(std::size_t num_features, BatchNormOptions options = {})
      : detail::BatchNormBase<T>("BatchNorm1d", num_features, options) {}
  std::string describe() const override { return this->describe_as("BatchNorm1d"); }

protected:
  void check_input(const Tensor<T>& x) const override {
    if ((x.dim() != 2 && x.dim() != 3) || x.shape()[1] != this->c_)
      detail::throw_bn_shape("BatchNorm1d", x.shape(), this->c_, "[N, C] or [N, C, L]");
  }
};

/// Batch normalization over [N, C, H, W] inputs (statistics per channel C).
template <class T = float>
class BatchNorm2d : public detail::BatchNormBase<T> {
public:
  explicit BatchNorm2d(std::size_t num_features, BatchNormOptions options = {})
      : detail::BatchNormBase<T>("BatchNorm2d", num_features, options) {}
  std::string describe() const override { return this->describe_as("BatchNorm2d"); }

protected:
  void check_input(const Tensor<T>& x) const override {
    if (x.dim() != 4 || x.shape()[1] != this->c_)
      detail::throw_bn_shape("BatchNorm2d", x.shape(), this->c_, "[N, C, H, W]");
  }
};

}  // namespace grove::nn

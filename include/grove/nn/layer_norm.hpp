#pragma once
/// \file LayerNorm over the last axis: y = (x - mean) / sqrt(var + eps) * weight + bias, with the
/// biased variance (as PyTorch). One fused op; the backward rule is the closed form
///   dx = rstd * (dxh - mean(dxh) - xh * mean(dxh * xh)),  dxh = dy * weight,
///   dweight = sum over rows of dy * xh,  dbias = sum over rows of dy.

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/check.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/detail/intervals.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

template <class T>
struct LayerNormNode final : Node<T> {
  std::size_t rows = 0, dim = 0;
  std::vector<T> xhat;  // normalized input, rows x dim
  std::vector<T> rstd;  // 1 / sqrt(var + eps) per row
  const char* name() const noexcept override { return "layer_norm"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    const Tensor<T> g = grad_out.contiguous();
    const Tensor<T> w = input_tensor(*this, 1);
    const T* gp = g.data();
    const T* wp = w.data();
    if (needs_more(*this, 0)) {
      Tensor<T> dx = uninitialized<T>(g.shape());
      T* d = dx.data();
      std::vector<T> dxh(dim);
      for (std::size_t r = 0; r < rows; ++r) {
        const T* gr = gp + r * dim;
        const T* xr = xhat.data() + r * dim;
        double s1 = 0, s2 = 0;
        for (std::size_t j = 0; j < dim; ++j) {
          dxh[j] = gr[j] * wp[j];
          s1 += dxh[j];
          s2 += static_cast<double>(dxh[j]) * xr[j];
        }
        const T m1 = static_cast<T>(s1 / static_cast<double>(dim)), m2 = static_cast<T>(s2 / static_cast<double>(dim));
        for (std::size_t j = 0; j < dim; ++j) d[r * dim + j] = rstd[r] * (dxh[j] - m1 - xr[j] * m2);
      }
      sink.add(0, dx);
    }
    if (needs_more(*this, 1) || needs_more(*this, 2)) {
      std::vector<double> dw(dim, 0.0), db(dim, 0.0);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < dim; ++j) {
          dw[j] += static_cast<double>(gp[r * dim + j]) * xhat[r * dim + j];
          db[j] += gp[r * dim + j];
        }
      for (std::size_t k = 1; k <= 2; ++k) {
        if (!needs_more(*this, k)) continue;
        Tensor<T> t = uninitialized<T>(Shape{dim});
        const std::vector<double>& src = k == 1 ? dw : db;
        for (std::size_t j = 0; j < dim; ++j) t.data()[j] = static_cast<T>(src[j]);
        sink.add(k, t);
      }
    }
  }
  void release() noexcept override {
    xhat = {};
    rstd = {};
  }
};

}  // namespace grove::detail

namespace grove::nn {

/// LayerNorm as a function: normalizes the last axis of x ([..., d]) and applies weight [d] and
/// bias [d]; differentiable in all three.
template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias, double eps = 1e-5) {
  const std::size_t dim = weight.dim() == 1 ? weight.shape()[0] : 0;
  if (dim == 0 || !(bias.shape() == weight.shape()) || x.dim() == 0 || x.shape()[x.dim() - 1] != dim)
    detail::throw_shape_error("layer_norm: input " + to_string(x.shape()) + ", weight " +
                                     to_string(weight.shape()) + ", bias " + to_string(bias.shape()) +
                                     " (expected input [..., d], weight [d], bias [d])");
  detail::check_range("layer_norm", "eps", eps, detail::kPositive);
  const Tensor<T> xc = x.contiguous(), wc = weight.contiguous(), bc = bias.contiguous();
  const std::size_t rows = xc.size() / dim;
  Tensor<T> y = detail::uninitialized<T>(xc.shape());
  const T* xp = xc.data();
  const T* wp = wc.data();
  const T* bp = bc.data();
  T* yp = y.data();
  const bool record = detail::any_needs_graph<T>({&xc, &wc, &bc});
  std::vector<T> xhat(record ? xc.size() : 0), rstd(record ? rows : 0);
  for (std::size_t r = 0; r < rows; ++r) {
    const T* xr = xp + r * dim;
    double mean = 0;
    for (std::size_t j = 0; j < dim; ++j) mean += xr[j];
    mean /= static_cast<double>(dim);
    double var = 0;
    for (std::size_t j = 0; j < dim; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var /= static_cast<double>(dim);
    const double rs = 1.0 / std::sqrt(var + eps);
    for (std::size_t j = 0; j < dim; ++j) {
      const T h = static_cast<T>((xr[j] - mean) * rs);
      yp[r * dim + j] = h * wp[j] + bp[j];
      if (record) xhat[r * dim + j] = h;
    }
    if (record) rstd[r] = static_cast<T>(rs);
  }
  if (record) {
    auto node = std::make_shared<detail::LayerNormNode<T>>();
    node->rows = rows;
    node->dim = dim;
    node->xhat = std::move(xhat);
    node->rstd = std::move(rstd);
    detail::attach_inputs<T>(y, std::move(node), {&xc, &wc, &bc});
  }
  return y;
}

/// Normalizes the last axis of size `dim`, then scales by `weight` (ones) and shifts by `bias`
/// (zeros), both learnable.
template <class T = float>
class LayerNorm : public Module<T> {
public:
  explicit LayerNorm(std::size_t dim, double eps = 1e-5) : dim_(dim), eps_(eps) {
    if (dim == 0) detail::throw_value_error("LayerNorm: dim must be >= 1, got 0");
    detail::check_range("LayerNorm", "eps", eps, detail::kPositive);
    weight_ = this->register_parameter("weight", Tensor<T>::ones(Shape{dim}));
    bias_ = this->register_parameter("bias", Tensor<T>::zeros(Shape{dim}));
  }

  Tensor<T> forward(const Tensor<T>& x) override { return layer_norm(x, weight_, bias_, eps_); }

  std::string describe() const override { return "LayerNorm(" + std::to_string(dim_) + ")"; }
  Tensor<T>& weight() noexcept { return weight_; }
  Tensor<T>& bias() noexcept { return bias_; }

private:
  std::size_t dim_;
  double eps_;
  Tensor<T> weight_;
  Tensor<T> bias_;
};

}  // namespace grove::nn

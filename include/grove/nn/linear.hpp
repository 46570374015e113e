#pragma once
/// \file Linear layer y = x W^T + b, as one fused op on Eigen's GEMM (forward and backward
/// write straight into their outputs; no transposed copies, no separate bias pass).

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>

#include <Eigen/Core>

#include "grove/core/error.hpp"
#include "grove/core/rng.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/init.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using RowVec = Eigen::Matrix<T, 1, Eigen::Dynamic>;

/// Output columns per parallel chunk of the GEMMs (fixed for determinism).
inline constexpr std::size_t kLinearColGrain = 64;

/// Backward of y = x W^T + b with x viewed as [m, in]:
///   dx = dy W,   dW = dy^T x,   db = column sums of dy.
template <class T>
struct LinearNode final : Node<T> {
  std::size_t m = 0, n_in = 0, n_out = 0;  // (Node::out is the output tensor)
  bool has_bias = false;
  const char* name() const noexcept override { return "linear"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    const Tensor<T> g = grad_out.contiguous();
    const Tensor<T> x = input_tensor(*this, 0);
    const Tensor<T> w = input_tensor(*this, 1);
    const auto mi = static_cast<Eigen::Index>(m), ii = static_cast<Eigen::Index>(n_in),
               oi = static_cast<Eigen::Index>(n_out);
    Eigen::Map<const RowMat<T>> G(g.data(), mi, oi);
    if (sink.needs(0)) {
      Tensor<T> dx = uninitialized<T>(x.shape());
      Eigen::Map<const RowMat<T>> W(w.data(), oi, ii);
      Eigen::Map<RowMat<T>> DX(dx.data(), mi, ii);
      chunked(n_in, kLinearColGrain, m * n_in * n_out, [&](std::size_t c0, std::size_t nc) {
        const auto c = static_cast<Eigen::Index>(c0), n = static_cast<Eigen::Index>(nc);
        DX.middleCols(c, n).noalias() = G * W.middleCols(c, n);
      });
      sink.add(0, dx);
    }
    if (sink.needs(1)) {
      Tensor<T> dw = uninitialized<T>(w.shape());
      Eigen::Map<const RowMat<T>> X(x.data(), mi, ii);
      Eigen::Map<RowMat<T>> DW(dw.data(), oi, ii);
      chunked(n_in, kLinearColGrain, m * n_in * n_out, [&](std::size_t c0, std::size_t nc) {
        const auto c = static_cast<Eigen::Index>(c0), n = static_cast<Eigen::Index>(nc);
        DW.middleCols(c, n).noalias() = G.transpose() * X.middleCols(c, n);
      });
      sink.add(1, dw);
    }
    if (has_bias && needs_more(*this, 2)) {
      Tensor<T> db = uninitialized<T>(Shape{n_out});
      Eigen::Map<RowVec<T>> DB(db.data(), oi);
      DB = G.colwise().sum();
      sink.add(2, db);
    }
  }
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_linear_shape(const Shape& x, const Shape& w,
                                                                      const Shape* b) {
  detail::throw_shape_error("linear: input " + to_string(x) + " x weight " + to_string(w) +
                                   (b ? " + bias " + to_string(*b) : std::string()) +
                                   " (expected input [..., in], weight [out, in], bias [out])");
}

}  // namespace grove::detail

namespace grove::nn {

/// y = x W^T + b for x of shape [..., in], W [out, in], b [out] (b may be null): the fused op
/// behind Linear, differentiable in x, W and b.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const std::type_identity_t<Tensor<T>>* bias = nullptr) {
  if (weight.dim() != 2 || x.dim() == 0 || x.shape()[x.dim() - 1] != weight.shape()[1] ||
      (bias && (bias->dim() != 1 || bias->shape()[0] != weight.shape()[0])))
    detail::throw_linear_shape(x.shape(), weight.shape(), bias ? &bias->shape() : nullptr);
  const Tensor<T> xc = x.contiguous();
  const Tensor<T> wc = weight.contiguous();
  const Tensor<T> bc = bias ? bias->contiguous() : Tensor<T>();
  const std::size_t in = weight.shape()[1], out = weight.shape()[0];
  const std::size_t m = in ? xc.size() / in : 0;
  Shape ys = x.shape();
  ys[ys.size() - 1] = out;
  Tensor<T> y = detail::uninitialized<T>(ys);
  const auto mi = static_cast<Eigen::Index>(m), ii = static_cast<Eigen::Index>(in),
             oi = static_cast<Eigen::Index>(out);
  Eigen::Map<const detail::RowMat<T>> X(xc.data(), mi, ii);
  Eigen::Map<const detail::RowMat<T>> W(wc.data(), oi, ii);
  Eigen::Map<detail::RowMat<T>> Y(y.data(), mi, oi);
  const T* bp = bias ? bc.data() : nullptr;
  detail::chunked(out, detail::kLinearColGrain, m * in * out, [&](std::size_t c0, std::size_t nc) {
    const auto c = static_cast<Eigen::Index>(c0), n = static_cast<Eigen::Index>(nc);
    if (m == 1) {
      // One row: a matrix-vector product, cheaper through Eigen's GEMV than a 1-row GEMM.
      Y.row(0).segment(c, n).noalias() = (W.middleRows(c, n) * X.row(0).transpose()).transpose();
    } else {
      Y.middleCols(c, n).noalias() = X * W.middleRows(c, n).transpose();
    }
    if (bp) Y.middleCols(c, n).rowwise() += Eigen::Map<const detail::RowVec<T>>(bp + c0, n);
  });
  if (detail::any_needs_graph<T>({&xc, &wc, bias ? &bc : nullptr})) {
    auto node = std::make_shared<detail::LinearNode<T>>();
    node->m = m;
    node->n_in = in;
    node->n_out = out;
    node->has_bias = bias != nullptr;
    detail::attach_inputs<T>(y, std::move(node), {&xc, &wc, bias ? &bc : nullptr});
  }
  return y;
}

/// Options of Linear.
struct LinearOptions {
  bool bias = true;  ///< learn an additive bias
};

/// Fully connected layer: y = x W^T + b with W [out, in], b [out]. Initialized as PyTorch does
/// (kaiming_uniform with a = sqrt(5)): W and b ~ U(-1/sqrt(in), 1/sqrt(in)), W drawn first.
template <class T = float>
class Linear : public Module<T> {
public:
  Linear(std::size_t in_features, std::size_t out_features, Rng& rng, LinearOptions options = {})
      : in_(in_features), out_(out_features) {
    if (in_features == 0 || out_features == 0)
      detail::throw_value_error("Linear: in_features and out_features must be >= 1, got " +
                                       std::to_string(in_features) + " and " + std::to_string(out_features));
    weight_ = this->register_parameter("weight", init::kaiming_uniform<T>(Shape{out_, in_}, in_, std::sqrt(5.0), rng));
    if (options.bias) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
      bias_ = this->register_parameter("bias", Tensor<T>::uniform(Shape{out_}, -bound, bound, rng));
      has_bias_ = true;
    }
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    if (x.dim() == 0 || x.shape()[x.dim() - 1] != in_)
      detail::throw_shape_error("Linear: input " + to_string(x.shape()) + " does not end in in_features " +
                                       std::to_string(in_));
    return linear(x, weight_, has_bias_ ? &bias_ : nullptr);
  }

  std::string describe() const override {
    return "Linear(in=" + std::to_string(in_) + ", out=" + std::to_string(out_) + (has_bias_ ? "" : ", bias=false") +
           ")";
  }

  /// Weight [out, in] (a handle: writing through it changes the layer).
  Tensor<T>& weight() noexcept { return weight_; }
  /// Bias [out]; an empty tensor when built with bias = false.
  Tensor<T>& bias() noexcept { return bias_; }
  std::size_t in_features() const noexcept { return in_; }
  std::size_t out_features() const noexcept { return out_; }

private:
  std::size_t in_, out_;
  Tensor<T> weight_;
  Tensor<T> bias_;
  bool has_bias_ = false;
};

}  // namespace grove::nn

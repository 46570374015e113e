#pragma once
/// \file Activations: relu, sigmoid, tanh, gelu (elementwise) and the numerically stable
/// softmax / log_softmax along an axis (fused primitives with their own backward rules).

#include <cmath>
#include <cstddef>
#include <memory>

#include "grove/tensor/elementwise.hpp"
#include "grove/tensor/kernel_util.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

struct ReluOp {
  static constexpr const char* name = "relu";
  static constexpr bool exact = true;
  double p = 0;
  template <class X> auto f(const X& x) const { return x.max(typename X::Scalar(0)); }
  template <class G, class X, class Y> auto df(const G& g, const X& x, const Y&) const {
    return (x > typename X::Scalar(0)).select(g, typename G::Scalar(0));
  }
};
struct SigmoidOp {
  static constexpr const char* name = "sigmoid";
  static constexpr bool exact = false;
  double p = 0;
  template <class X> auto f(const X& x) const { return x.logistic(); }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y& y) const {
    return g * y * (typename Y::Scalar(1) - y);
  }
};
struct TanhOp {
  static constexpr const char* name = "tanh";
  static constexpr bool exact = false;
  double p = 0;
  template <class X> auto f(const X& x) const { return x.tanh(); }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y& y) const {
    return g * (typename Y::Scalar(1) - y * y);
  }
};
/// Exact GELU: x * Phi(x), Phi the standard normal CDF (PyTorch's default form). Its functors
/// are scalar (std::erf has no SIMD form), so every element takes the same path: `exact`.
struct GeluOp {
  static constexpr const char* name = "gelu";
  static constexpr bool exact = true;
  double p = 0;
  template <class S>
  static S cdf(S v) { return S(0.5) * (S(1) + std::erf(v * S(0.70710678118654752440))); }
  template <class X> auto f(const X& x) const {
    using S = typename X::Scalar;
    return x.unaryExpr([](S v) { return v * cdf(v); });
  }
  template <class G, class X, class Y> auto df(const G& g, const X& x, const Y&) const {
    using S = typename X::Scalar;
    // d/dx x*Phi(x) = Phi(x) + x*phi(x)
    return g * x.unaryExpr([](S v) { return cdf(v) + v * S(0.39894228040143267794) * std::exp(S(-0.5) * v * v); });
  }
};

/// Softmax or log-softmax along `axis` of a contiguous input (no graph). Subtracting the
/// row max first keeps exp() from overflowing for large inputs.
template <class T>
Tensor<T> softmax_kernel(const Tensor<T>& x, std::size_t axis, bool log_form) {
  const Tensor<T> xd = dense(x);
  const AxisSplit s = split_axis(xd.shape(), axis);
  Tensor<T> out = TensorAccess::uninitialized<T>(xd.shape());
  if (s.n == 0) return out;
  const T* p = xd.data();
  T* o = out.data();
  for (std::size_t r = 0; r < s.outer; ++r) {
    for (std::size_t j = 0; j < s.inner; ++j) {
      const T* src = p + r * s.n * s.inner + j;
      T* dst = o + r * s.n * s.inner + j;
      const std::size_t st = s.inner;
      T m = src[0];
      for (std::size_t k = 1; k < s.n; ++k) m = std::max(m, src[k * st]);
      T total = T(0);
      for (std::size_t k = 0; k < s.n; ++k) {
        const T e = std::exp(src[k * st] - m);
        dst[k * st] = e;
        total += e;
      }
      if (log_form) {
        const T lse = m + std::log(total);
        for (std::size_t k = 0; k < s.n; ++k) dst[k * st] = src[k * st] - lse;
      } else {
        const T inv = T(1) / total;
        for (std::size_t k = 0; k < s.n; ++k) dst[k * st] *= inv;
      }
    }
  }
  return out;
}

/// softmax: dx = y * (g - sum(g * y)); log_softmax: dx = g - exp(y) * sum(g), sums along axis.
template <class T>
struct SoftmaxNode final : Node<T> {
  SoftmaxNode(std::size_t a, bool lf) : axis(a), log_form(lf) {}
  const char* name() const noexcept override { return log_form ? "log_softmax" : "softmax"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> gd = dense(g);
    const Tensor<T> y = dense(node_output(*this));
    const AxisSplit s = split_axis(y.shape(), axis);
    Tensor<T> gx = TensorAccess::uninitialized<T>(y.shape());
    const T *pg = gd.data(), *py = y.data();
    T* o = gx.data();
    for (std::size_t r = 0; r < s.outer; ++r) {
      for (std::size_t j = 0; j < s.inner; ++j) {
        const std::size_t base = r * s.n * s.inner + j, st = s.inner;
        T dot = T(0);
        if (log_form) {
          for (std::size_t k = 0; k < s.n; ++k) dot += pg[base + k * st];
          for (std::size_t k = 0; k < s.n; ++k)
            o[base + k * st] = pg[base + k * st] - std::exp(py[base + k * st]) * dot;
        } else {
          for (std::size_t k = 0; k < s.n; ++k) dot += pg[base + k * st] * py[base + k * st];
          for (std::size_t k = 0; k < s.n; ++k) o[base + k * st] = py[base + k * st] * (pg[base + k * st] - dot);
        }
      }
    }
    sink.add(0, gx);
  }
  std::size_t axis;
  bool log_form;
};

template <class T>
Tensor<T> softmax_op(const Tensor<T>& x, long axis, bool log_form) {
  const std::size_t a = normalize_axis(axis, x.dim(), log_form ? "log_softmax" : "softmax");
  Tensor<T> out = softmax_kernel(x, a, log_form);
  if (needs_graph(x)) attach_node(out, std::make_shared<SoftmaxNode<T>>(a, log_form), x);
  return out;
}

}  // namespace detail

/// max(x, 0) elementwise (gradient 0 at 0).
template <class T>
Tensor<T> relu(const Tensor<T>& x) { return detail::unary_op(x, detail::ReluOp{}); }
/// 1 / (1 + e^-x) elementwise.
template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) { return detail::unary_op(x, detail::SigmoidOp{}); }
/// Hyperbolic tangent elementwise.
template <class T>
Tensor<T> tanh(const Tensor<T>& x) { return detail::unary_op(x, detail::TanhOp{}); }
/// GELU (exact, erf form) elementwise.
template <class T>
Tensor<T> gelu(const Tensor<T>& x) { return detail::unary_op(x, detail::GeluOp{}); }
/// exp(x) / sum(exp(x)) along `axis`, computed stably.
template <class T>
Tensor<T> softmax(const Tensor<T>& x, long axis = -1) { return detail::softmax_op(x, axis, false); }
/// log(softmax(x)) along `axis`, computed stably as x - max - log(sum(exp(x - max))).
template <class T>
Tensor<T> log_softmax(const Tensor<T>& x, long axis = -1) { return detail::softmax_op(x, axis, true); }

template <class T>
Tensor<T> Tensor<T>::relu() const { return grove::relu(*this); }
template <class T>
Tensor<T> Tensor<T>::sigmoid() const { return grove::sigmoid(*this); }
template <class T>
Tensor<T> Tensor<T>::tanh() const { return grove::tanh(*this); }
template <class T>
Tensor<T> Tensor<T>::gelu() const { return grove::gelu(*this); }
template <class T>
Tensor<T> Tensor<T>::softmax(long axis) const { return grove::softmax(*this, axis); }
template <class T>
Tensor<T> Tensor<T>::log_softmax(long axis) const { return grove::log_softmax(*this, axis); }

}  // namespace grove

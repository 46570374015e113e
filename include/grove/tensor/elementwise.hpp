#pragma once
/// \file Elementwise ops with NumPy broadcasting: + - * / (tensor or scalar), unary -, exp,
/// log, sqrt, abs, pow. Each primitive has its forward kernel and its one backward rule here.

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>

#include "grove/tensor/kernel_util.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

// ---- binary ops: functors usable on scalars and on Eigen array expressions ----
struct AddOp {
  static constexpr const char* name = "add";
  template <class X, class Y>
  static auto apply(const X& x, const Y& y) { return x + y; }
};
struct SubOp {
  static constexpr const char* name = "sub";
  template <class X, class Y>
  static auto apply(const X& x, const Y& y) { return x - y; }
};
struct MulOp {
  static constexpr const char* name = "mul";
  template <class X, class Y>
  static auto apply(const X& x, const Y& y) { return x * y; }
};
struct DivOp {
  static constexpr const char* name = "div";
  template <class X, class Y>
  static auto apply(const X& x, const Y& y) { return x / y; }
};

/// out = Op(a, b) with broadcasting (no graph). Fast paths: same-shape contiguous operands and
/// a one-element operand go through Eigen arrays; everything else walks rows.
template <class Op, class T>
Tensor<T> binary_kernel(const Tensor<T>& a, const Tensor<T>& b) {
  const Shape shape = a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), Op::name);
  Tensor<T> out = TensorAccess::uninitialized<T>(shape, Op::name);
  const std::size_t n = out.size();
  T* o = out.data();
  const T* pa = a.data();
  const T* pb = b.data();
  const bool ca = a.is_contiguous(), cb = b.is_contiguous();
  if (ca && cb && a.size() == n && b.size() == n) {
    elementwise_chunks(n, [&](std::size_t lo, std::size_t hi) {
      const auto len = static_cast<Eigen::Index>(hi - lo);
      ArrayMap<T>(o + lo, len) = Op::apply(ConstArrayMap<T>(pa + lo, len), ConstArrayMap<T>(pb + lo, len));
    });
    return out;
  }
  if (ca && a.size() == n && b.size() == 1) {
    const T s = *pb;
    elementwise_chunks(n, [&](std::size_t lo, std::size_t hi) {
      const auto len = static_cast<Eigen::Index>(hi - lo);
      ArrayMap<T>(o + lo, len) = Op::apply(ConstArrayMap<T>(pa + lo, len), s);
    });
    return out;
  }
  if (cb && b.size() == n && a.size() == 1) {
    const T s = *pa;
    elementwise_chunks(n, [&](std::size_t lo, std::size_t hi) {
      const auto len = static_cast<Eigen::Index>(hi - lo);
      ArrayMap<T>(o + lo, len) = Op::apply(s, ConstArrayMap<T>(pb + lo, len));
    });
    return out;
  }
  const Shape so = out.strides();
  const Shape sa = broadcast_strides(a.shape(), a.strides(), shape);
  const Shape sb = broadcast_strides(b.shape(), b.strides(), shape);
  auto rows = [&](std::size_t r0, std::size_t r1) {
    for_each_row<3>(shape, {&so, &sa, &sb}, r0, r1, [&](const auto& off, std::size_t len, const auto& in) {
      T* po = o + off[0];
      const T* xa = pa + off[1];
      const T* xb = pb + off[2];
      if (in[1] == 1 && in[2] == 1) {
        for (std::size_t j = 0; j < len; ++j) po[j] = Op::apply(xa[j], xb[j]);
      } else if (in[1] == 1 && in[2] == 0) {
        const T vb = *xb;
        for (std::size_t j = 0; j < len; ++j) po[j] = Op::apply(xa[j], vb);
      } else if (in[1] == 0 && in[2] == 1) {
        const T va = *xa;
        for (std::size_t j = 0; j < len; ++j) po[j] = Op::apply(va, xb[j]);
      } else {
        for (std::size_t j = 0; j < len; ++j) po[j] = Op::apply(xa[j * in[1]], xb[j * in[2]]);
      }
    });
  };
  const std::size_t n_rows = row_count(shape);
  if (n < kParallelMinElements || n_rows < 2 || in_parallel_region()) {
    rows(0, n_rows);
  } else {
    const std::size_t grain = std::max<std::size_t>(1, kParallelGrain / std::max<std::size_t>(1, shape.back()));
    parallel_for(0, n_rows, grain, rows);
  }
  return out;
}

template <class T>
struct AddNode final : Node<T> {
  const char* name() const noexcept override { return "add"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (sink.needs(0)) sink.add(0, sum_to(g, this->input(0)->shape));
    if (sink.needs(1)) sink.add(1, sum_to(g, this->input(1)->shape));
  }
};
template <class T>
struct SubNode final : Node<T> {
  const char* name() const noexcept override { return "sub"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override;
};
template <class T>
struct MulNode final : Node<T> {
  const char* name() const noexcept override { return "mul"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    const Tensor<T> a = TensorAccess::wrap(this->input_ptr(0));
    const Tensor<T> b = TensorAccess::wrap(this->input_ptr(1));
    if (sink.needs(0)) sink.add(0, sum_to(binary_kernel<MulOp>(g, b), a.shape()));
    if (sink.needs(1)) sink.add(1, sum_to(binary_kernel<MulOp>(g, a), b.shape()));
  }
};
template <class T>
struct DivNode final : Node<T> {
  const char* name() const noexcept override { return "div"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    const Tensor<T> a = TensorAccess::wrap(this->input_ptr(0));
    const Tensor<T> b = TensorAccess::wrap(this->input_ptr(1));
    const Tensor<T> g_over_b = binary_kernel<DivOp>(g, b);
    if (sink.needs(0)) sink.add(0, sum_to(g_over_b, a.shape()));
    if (sink.needs(1)) {
      // d(a/b)/db = -a/b^2 = -(a/b)/b, and a/b is the saved output.
      const Tensor<T> y = TensorAccess::wrap(std::shared_ptr<TensorImpl<T>>(std::shared_ptr<void>(), this->out));
      Tensor<T> gb = binary_kernel<MulOp>(g_over_b, y);
      T* p = gb.data();
      for (std::size_t i = 0, n = gb.size(); i < n; ++i) p[i] = -p[i];
      sink.add(1, sum_to(gb, b.shape()));
    }
  }
};

template <class Op, template <class> class NodeT, class T>
Tensor<T> binary_op(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out = binary_kernel<Op>(a, b);
  if (needs_graph(a, b)) attach_node(out, std::make_shared<NodeT<T>>(), a, b);
  return out;
}

/// A non-owning Tensor handle to a node's output (valid while the node lives: it never
/// outlives its output).
template <class T>
Tensor<T> node_output(const Node<T>& node) {
  return TensorAccess::wrap(std::shared_ptr<TensorImpl<T>>(std::shared_ptr<void>(), node.out));
}

// ---- unary ops: forward f(x) and backward df(g, x, y) as Eigen array expressions ----
// Each op struct holds its parameter (if any); `p` is a double so one struct serves float and double.
// `exact`: f and df are single IEEE operations (+ - * / sqrt, compare, select) that give the same
// bits in a SIMD lane and in scalar code; the others (exp, log, pow, tanh, logistic) run through
// lane_exact so an element's result never depends on its position.

struct NegOp {
  static constexpr const char* name = "neg";
  static constexpr bool exact = true;
  double p = 0;
  template <class X> auto f(const X& x) const { return -x; }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y&) const { return -g; }
};
struct ExpOp {
  static constexpr const char* name = "exp";
  static constexpr bool exact = false;
  double p = 0;
  template <class X> auto f(const X& x) const { return x.exp(); }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y& y) const { return g * y; }
};
struct LogOp {
  static constexpr const char* name = "log";
  static constexpr bool exact = false;
  double p = 0;
  template <class X> auto f(const X& x) const { return x.log(); }
  template <class G, class X, class Y> auto df(const G& g, const X& x, const Y&) const { return g / x; }
};
struct SqrtOp {
  static constexpr const char* name = "sqrt";
  static constexpr bool exact = true;
  double p = 0;
  template <class X> auto f(const X& x) const { return x.sqrt(); }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y& y) const {
    using S = typename G::Scalar;
    return g * S(0.5) / y;
  }
};
struct AbsOp {
  static constexpr const char* name = "abs";
  static constexpr bool exact = true;
  double p = 0;
  template <class X> auto f(const X& x) const { return x.abs(); }
  template <class G, class X, class Y> auto df(const G& g, const X& x, const Y&) const { return g * x.sign(); }
};
struct PowOp {
  static constexpr const char* name = "pow";
  static constexpr bool exact = false;
  double p = 1;
  template <class X> auto f(const X& x) const {
    using S = typename X::Scalar;
    return x.pow(S(p));
  }
  template <class G, class X, class Y> auto df(const G& g, const X& x, const Y&) const {
    using S = typename G::Scalar;
    return g * S(p) * x.pow(S(p - 1));
  }
};
struct AddScalarOp {
  static constexpr const char* name = "add";
  static constexpr bool exact = true;
  double p = 0;
  template <class X> auto f(const X& x) const { return x + typename X::Scalar(p); }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y&) const { return g; }
};
struct MulScalarOp {
  static constexpr const char* name = "mul";
  static constexpr bool exact = true;
  double p = 1;
  template <class X> auto f(const X& x) const { return x * typename X::Scalar(p); }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y&) const { return g * typename G::Scalar(p); }
};
struct DivScalarOp {  // x / s (kept separate from x * (1/s) so results match plain division)
  static constexpr const char* name = "div";
  static constexpr bool exact = true;
  double p = 1;
  template <class X> auto f(const X& x) const { return x / typename X::Scalar(p); }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y&) const { return g / typename G::Scalar(p); }
};
struct RSubScalarOp {  // s - x
  static constexpr const char* name = "sub";
  static constexpr bool exact = true;
  double p = 0;
  template <class X> auto f(const X& x) const { return typename X::Scalar(p) - x; }
  template <class G, class X, class Y> auto df(const G& g, const X&, const Y&) const { return -g; }
};
struct RDivScalarOp {  // s / x
  static constexpr const char* name = "div";
  static constexpr bool exact = true;
  double p = 1;
  template <class X> auto f(const X& x) const { return typename X::Scalar(p) / x; }
  template <class G, class X, class Y> auto df(const G& g, const X& x, const Y& y) const { return -g * y / x; }
};

/// Applies op.f to x elementwise (no graph).
template <class T, class Op>
Tensor<T> unary_kernel(const Tensor<T>& x, const Op& op) {
  const Tensor<T> xd = dense(x);
  Tensor<T> out = TensorAccess::uninitialized<T>(x.shape());
  const T* px = xd.data();
  T* po = out.data();
  elementwise_chunks(out.size(), [&](std::size_t lo, std::size_t hi) {
    if constexpr (Op::exact) {
      const auto len = static_cast<Eigen::Index>(hi - lo);
      ArrayMap<T>(po + lo, len) = op.f(ConstArrayMap<T>(px + lo, len));
    } else {
      lane_exact<T, 1>(po + lo, {px + lo}, hi - lo, [&](const auto& x) { return op.f(x); });
    }
  });
  return out;
}

/// The one node type of every unary primitive: its backward rule is Op::df.
template <class T, class Op>
struct UnaryNode final : Node<T> {
  explicit UnaryNode(const Op& o) : op(o) {}
  const char* name() const noexcept override { return Op::name; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> x = dense(TensorAccess::wrap(this->input_ptr(0)));
    const Tensor<T> y = dense(node_output(*this));
    const Tensor<T> gd = dense(g);
    Tensor<T> gx = TensorAccess::uninitialized<T>(x.shape());
    const T *px = x.data(), *py = y.data(), *pg = gd.data();
    T* po = gx.data();
    elementwise_chunks(gx.size(), [&](std::size_t lo, std::size_t hi) {
      if constexpr (Op::exact) {
        const auto len = static_cast<Eigen::Index>(hi - lo);
        ArrayMap<T>(po + lo, len) = op.df(ConstArrayMap<T>(pg + lo, len), ConstArrayMap<T>(px + lo, len),
                                          ConstArrayMap<T>(py + lo, len));
      } else {
        lane_exact<T, 3>(po + lo, {pg + lo, px + lo, py + lo}, hi - lo,
                         [&](const auto& g, const auto& x, const auto& y) { return op.df(g, x, y); });
      }
    });
    sink.add(0, gx);
  }
  Op op;
};

template <class T, class Op>
Tensor<T> unary_op(const Tensor<T>& x, const Op& op) {
  Tensor<T> out = unary_kernel(x, op);
  if (needs_graph(x)) attach_node(out, std::make_shared<UnaryNode<T, Op>>(op), x);
  return out;
}

template <class T>
void SubNode<T>::backward(const Tensor<T>& g, GradSink<T>& sink) {
  if (sink.needs(0)) sink.add(0, sum_to(g, this->input(0)->shape));
  if (sink.needs(1)) sink.add(1, sum_to(unary_kernel(g, NegOp{}), this->input(1)->shape));
}

}  // namespace detail

/// a + b with broadcasting.
template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) {
  return detail::binary_op<detail::AddOp, detail::AddNode>(a, b);
}
/// a - b with broadcasting.
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) {
  return detail::binary_op<detail::SubOp, detail::SubNode>(a, b);
}
/// a * b (elementwise) with broadcasting.
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) {
  return detail::binary_op<detail::MulOp, detail::MulNode>(a, b);
}
/// a / b (elementwise) with broadcasting.
template <class T>
Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) {
  return detail::binary_op<detail::DivOp, detail::DivNode>(a, b);
}
/// Named forms of the operators.
template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) { return a + b; }
template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) { return a - b; }
template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) { return a * b; }
template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) { return a / b; }

/// Tensor-scalar arithmetic.
template <class T>
Tensor<T> operator+(const Tensor<T>& a, std::type_identity_t<T> s) {
  return detail::unary_op(a, detail::AddScalarOp{static_cast<double>(s)});
}
template <class T>
Tensor<T> operator+(std::type_identity_t<T> s, const Tensor<T>& a) { return a + s; }
template <class T>
Tensor<T> operator-(const Tensor<T>& a, std::type_identity_t<T> s) {
  return detail::unary_op(a, detail::AddScalarOp{-static_cast<double>(s)});
}
template <class T>
Tensor<T> operator-(std::type_identity_t<T> s, const Tensor<T>& a) {
  return detail::unary_op(a, detail::RSubScalarOp{static_cast<double>(s)});
}
template <class T>
Tensor<T> operator*(const Tensor<T>& a, std::type_identity_t<T> s) {
  return detail::unary_op(a, detail::MulScalarOp{static_cast<double>(s)});
}
template <class T>
Tensor<T> operator*(std::type_identity_t<T> s, const Tensor<T>& a) { return a * s; }
template <class T>
Tensor<T> operator/(const Tensor<T>& a, std::type_identity_t<T> s) {
  return detail::unary_op(a, detail::DivScalarOp{static_cast<double>(s)});
}
template <class T>
Tensor<T> operator/(std::type_identity_t<T> s, const Tensor<T>& a) {
  return detail::unary_op(a, detail::RDivScalarOp{static_cast<double>(s)});
}
/// -a.
template <class T>
Tensor<T> operator-(const Tensor<T>& a) { return detail::unary_op(a, detail::NegOp{}); }

/// Elementwise e^x.
template <class T>
Tensor<T> exp(const Tensor<T>& x) { return detail::unary_op(x, detail::ExpOp{}); }
/// Elementwise natural log.
template <class T>
Tensor<T> log(const Tensor<T>& x) { return detail::unary_op(x, detail::LogOp{}); }
/// Elementwise square root.
template <class T>
Tensor<T> sqrt(const Tensor<T>& x) { return detail::unary_op(x, detail::SqrtOp{}); }
/// Elementwise |x| (gradient 0 at 0).
template <class T>
Tensor<T> abs(const Tensor<T>& x) { return detail::unary_op(x, detail::AbsOp{}); }
/// Elementwise x^p.
template <class T>
Tensor<T> pow(const Tensor<T>& x, double p) { return detail::unary_op(x, detail::PowOp{p}); }

template <class T>
Tensor<T> Tensor<T>::exp() const { return grove::exp(*this); }
template <class T>
Tensor<T> Tensor<T>::log() const { return grove::log(*this); }
template <class T>
Tensor<T> Tensor<T>::sqrt() const { return grove::sqrt(*this); }
template <class T>
Tensor<T> Tensor<T>::abs() const { return grove::abs(*this); }
template <class T>
Tensor<T> Tensor<T>::pow(double p) const { return grove::pow(*this, p); }

}  // namespace grove

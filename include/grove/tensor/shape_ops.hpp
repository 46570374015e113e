#pragma once
/// \file Shape ops: transpose and slice (views), reshape (a view when contiguous), concat.

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "grove/tensor/kernel_util.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

/// x with axes a and b swapped (a view; no graph).
template <class T>
Tensor<T> transpose_view(const Tensor<T>& x, std::size_t a, std::size_t b) {
  Shape shape = x.shape(), strides = x.strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  return x.view_as(shape, strides, x.offset());
}

template <class T>
struct TransposeNode final : Node<T> {
  TransposeNode(std::size_t a_, std::size_t b_) : a(a_), b(b_) {}
  const char* name() const noexcept override { return "transpose"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (sink.needs(0)) sink.add(0, transpose_view(g, a, b));
  }
  std::size_t a, b;
};

/// x's elements in `shape` (a view when contiguous; no graph). Sizes are checked by the caller.
template <class T>
Tensor<T> reshape_kernel(const Tensor<T>& x, const Shape& shape) {
  const Tensor<T> xd = dense(x);
  return xd.view_as(shape, contiguous_strides(shape), xd.offset());
}

template <class T>
struct ReshapeNode final : Node<T> {
  const char* name() const noexcept override { return "reshape"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (sink.needs(0)) sink.add(0, reshape_kernel(g, this->input(0)->shape));
  }
};

template <class T>
Tensor<T> slice_view(const Tensor<T>& x, std::size_t axis, std::size_t begin, std::size_t end) {
  Shape shape = x.shape();
  shape[axis] = end - begin;
  return x.view_as(shape, x.strides(), x.offset() + begin * x.strides()[axis]);
}

/// Copies src into dst elementwise (same shapes, any strides).
template <class T>
void copy_into(Tensor<T>& dst, const Tensor<T>& src) {
  const Shape& shape = src.shape();
  const Shape ds = dst.strides(), ss = src.strides();
  T* pd = dst.data();
  const T* ps = src.data();
  for_each_row<2>(shape, {&ds, &ss}, 0, row_count(shape), [&](const auto& off, std::size_t n, const auto& in) {
    for (std::size_t j = 0; j < n; ++j) pd[off[0] + j * in[0]] = ps[off[1] + j * in[1]];
  });
}

template <class T>
struct SliceNode final : Node<T> {
  SliceNode(std::size_t a, std::size_t b) : axis(a), begin(b) {}
  const char* name() const noexcept override { return "slice"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    Tensor<T> gx(this->input(0)->shape);
    Tensor<T> region = slice_view(gx, axis, begin, begin + g.shape()[axis]);
    copy_into(region, g);
    sink.add(0, gx);
  }
  std::size_t axis, begin;
};

template <class T>
struct ConcatNode final : Node<T> {
  explicit ConcatNode(std::size_t a) : axis(a) {}
  const char* name() const noexcept override { return "concat"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    std::size_t at = 0;
    for (std::size_t i = 0; i < this->n_inputs(); ++i) {
      const std::size_t len = this->input(i)->shape[axis];
      if (sink.needs(i)) sink.add(i, slice_view(g, axis, at, at + len));
      at += len;
    }
  }
  std::size_t axis;
};

[[noreturn, gnu::cold]] inline void throw_reshape(const Shape& from, const Shape& to) {
  throw_shape_error("reshape: cannot reshape " + to_string(from) + " (" + std::to_string(from.numel()) +
                    " elements) into " + to_string(to) + " (" + std::to_string(to.numel()) + " elements)");
}

}  // namespace detail

/// Swaps axes a and b (a view sharing storage).
template <class T>
Tensor<T> transpose(const Tensor<T>& x, long a, long b) {
  const std::size_t aa = normalize_axis(a, x.dim(), "transpose");
  const std::size_t bb = normalize_axis(b, x.dim(), "transpose");
  Tensor<T> out = detail::transpose_view(x, aa, bb);
  if (detail::needs_graph(x)) detail::attach_node(out, std::make_shared<detail::TransposeNode<T>>(aa, bb), x);
  return out;
}

/// Swaps the last two axes (matrix transpose; batched for 3-D). Needs at least 2 dimensions.
template <class T>
Tensor<T> transpose(const Tensor<T>& x) {
  if (x.dim() < 2)
    detail::throw_value_error("transpose: needs at least 2 dimensions, got shape " + to_string(x.shape()));
  return transpose(x, -2, -1);
}

/// The same elements (row-major order) in `shape`; a view when x is contiguous, else a copy.
template <class T>
Tensor<T> reshape(const Tensor<T>& x, const Shape& shape) {
  if (shape.checked_numel("reshape") != x.size()) detail::throw_reshape(x.shape(), shape);
  Tensor<T> out = detail::reshape_kernel(x, shape);
  if (detail::needs_graph(x)) detail::attach_node(out, std::make_shared<detail::ReshapeNode<T>>(), x);
  return out;
}

/// Elements [begin, end) along `axis` (a view sharing storage).
template <class T>
Tensor<T> slice(const Tensor<T>& x, long axis, std::size_t begin, std::size_t end) {
  const std::size_t a = normalize_axis(axis, x.dim(), "slice");
  if (begin > end || end > x.shape()[a])
    detail::throw_value_error("slice: range [" + std::to_string(begin) + ", " + std::to_string(end) +
                              ") out of bounds for axis " + std::to_string(a) + " of extent " +
                              std::to_string(x.shape()[a]) + " (shape " + to_string(x.shape()) + ")");
  Tensor<T> out = detail::slice_view(x, a, begin, end);
  if (detail::needs_graph(x)) detail::attach_node(out, std::make_shared<detail::SliceNode<T>>(a, begin), x);
  return out;
}

/// Joins tensors along `axis`; all other extents must agree.
template <class T>
Tensor<T> concat(const std::vector<Tensor<T>>& parts, long axis) {
  if (parts.empty()) detail::throw_value_error("concat: needs at least one tensor, got none");
  const Tensor<T>& first = parts.front();
  const std::size_t a = normalize_axis(axis, first.dim(), "concat");
  Shape shape = first.shape();
  shape[a] = 0;
  for (const Tensor<T>& p : parts) {
    bool ok = p.dim() == first.dim();
    for (std::size_t d = 0; ok && d < p.dim(); ++d) ok = d == a || p.shape()[d] == first.shape()[d];
    if (!ok)
      detail::throw_shape_error("concat: " + to_string(first.shape()) + " and " + to_string(p.shape()) +
                                " differ outside axis " + std::to_string(a));
    if (__builtin_add_overflow(shape[a], p.shape()[a], &shape[a]))
      detail::throw_shape_error("concat: the extents along axis " + std::to_string(a) + " (" +
                                to_string(first.shape()) + ", " + to_string(p.shape()) + ", ...) overflow size_t");
  }
  Tensor<T> out = detail::TensorAccess::uninitialized<T>(shape, "concat");
  std::size_t at = 0;
  bool graph = false;
  for (const Tensor<T>& p : parts) {
    Tensor<T> region = detail::slice_view(out, a, at, at + p.shape()[a]);
    detail::copy_into(region, p);
    at += p.shape()[a];
    graph = graph || detail::needs_graph(p);
  }
  if (graph) {
    auto node = std::make_shared<detail::ConcatNode<T>>(a);
    for (const Tensor<T>& p : parts) node->more.push_back(detail::TensorAccess::impl(p));
    const auto& out_impl = detail::TensorAccess::impl(out);
    node->out = out_impl.get();
    out_impl->grad_fn = std::move(node);
  }
  return out;
}
/// concat({a, b, ...}, axis).
template <class T>
Tensor<T> concat(std::initializer_list<Tensor<T>> parts, long axis) {
  return concat(std::vector<Tensor<T>>(parts), axis);
}

template <class T>
Tensor<T> Tensor<T>::transpose() const { return grove::transpose(*this); }
template <class T>
Tensor<T> Tensor<T>::transpose(long a, long b) const { return grove::transpose(*this, a, b); }
template <class T>
Tensor<T> Tensor<T>::reshape(const Shape& new_shape) const { return grove::reshape(*this, new_shape); }
template <class T>
Tensor<T> Tensor<T>::slice(long axis, std::size_t begin, std::size_t end) const {
  return grove::slice(*this, axis, begin, end);
}

}  // namespace grove

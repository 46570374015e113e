#pragma once
/// \file Differentiable indexing: index_select (rows of an embedding table) and gather (pick
/// one entry per row, e.g. the target log-probability in cross_entropy).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/format.hpp"
#include "grove/tensor/kernel_util.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

/// Indices as size_t, each checked to be an integer in [0, extent).
template <class I>
std::vector<std::size_t> checked_indices(const Tensor<I>& index, std::size_t extent, std::size_t axis,
                                         const char* op) {
  static_assert(std::is_arithmetic_v<I>, "index tensors hold arithmetic values");
  const std::vector<I> v = index.to_vector();
  std::vector<std::size_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const I x = v[i];
    bool ok = true;
    if constexpr (std::is_floating_point_v<I>) ok = std::isfinite(x) && std::floor(x) == x;
    if (!ok || x < I(0) || static_cast<double>(x) >= static_cast<double>(extent)) {
      std::string shown;
      if constexpr (std::is_floating_point_v<I>)
        shown = format_number(static_cast<double>(x));
      else
        shown = std::to_string(x);
      throw_value_error(std::string(op) + ": index " + shown + " out of range for axis " + std::to_string(axis) +
                        " of extent " + std::to_string(extent));
    }
    out[i] = static_cast<std::size_t>(x);
  }
  return out;
}

template <class T>
struct IndexSelectNode final : Node<T> {
  IndexSelectNode(std::size_t a, std::vector<std::size_t> i) : axis(a), idx(std::move(i)) {}
  const char* name() const noexcept override { return "index_select"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Shape& in_shape = this->input(0)->shape;
    const AxisSplit s = split_axis(in_shape, axis);
    Tensor<T> gx(in_shape);
    const Tensor<T> gd = dense(g);
    const T* pg = gd.data();
    T* o = gx.data();
    const std::size_t m = idx.size();
    for (std::size_t r = 0; r < s.outer; ++r)
      for (std::size_t j = 0; j < m; ++j) {
        T* dst = o + (r * s.n + idx[j]) * s.inner;
        const T* src = pg + (r * m + j) * s.inner;
        for (std::size_t q = 0; q < s.inner; ++q) dst[q] += src[q];  // repeated indices add up
      }
    sink.add(0, gx);
  }
  void release() noexcept override { idx = {}; }
  std::size_t axis;
  std::vector<std::size_t> idx;
};

template <class T>
struct GatherNode final : Node<T> {
  GatherNode(std::size_t a, std::vector<std::size_t> i) : axis(a), idx(std::move(i)) {}
  const char* name() const noexcept override { return "gather"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Shape& in_shape = this->input(0)->shape;
    const AxisSplit s = split_axis(in_shape, axis);
    const std::size_t m = g.shape()[axis];
    Tensor<T> gx(in_shape);
    const Tensor<T> gd = dense(g);
    const T* pg = gd.data();
    T* o = gx.data();
    for (std::size_t r = 0; r < s.outer; ++r)
      for (std::size_t j = 0; j < m; ++j)
        for (std::size_t q = 0; q < s.inner; ++q) {
          const std::size_t k = (r * m + j) * s.inner + q;
          o[(r * s.n + idx[k]) * s.inner + q] += pg[k];
        }
    sink.add(0, gx);
  }
  void release() noexcept override { idx = {}; }
  std::size_t axis;
  std::vector<std::size_t> idx;
};

}  // namespace detail

/// Entries of x at positions `indices` (1-D, any arithmetic type holding integers) along
/// `axis`: index_select(table, 0, ids) picks embedding rows. Repeated indices are allowed.
template <class T, class I>
Tensor<T> index_select(const Tensor<T>& x, long axis, const Tensor<I>& indices) {
  const std::size_t a = normalize_axis(axis, x.dim(), "index_select");
  if (indices.dim() != 1)
    detail::throw_shape_error("index_select: indices must be 1-D, got shape " + to_string(indices.shape()));
  std::vector<std::size_t> idx = detail::checked_indices(indices, x.shape()[a], a, "index_select");
  const Tensor<T> xd = detail::dense(x);
  const detail::AxisSplit s = detail::split_axis(xd.shape(), a);
  Shape shape = xd.shape();
  shape[a] = idx.size();
  Tensor<T> out = detail::TensorAccess::uninitialized<T>(shape, "index_select");
  const T* p = xd.data();
  T* o = out.data();
  const std::size_t m = idx.size();
  for (std::size_t r = 0; r < s.outer; ++r)
    for (std::size_t j = 0; j < m; ++j) {
      const T* src = p + (r * s.n + idx[j]) * s.inner;
      std::copy(src, src + s.inner, o + (r * m + j) * s.inner);
    }
  if (detail::needs_graph(x))
    detail::attach_node(out, std::make_shared<detail::IndexSelectNode<T>>(a, std::move(idx)), x);
  return out;
}

/// out[..., j, ...] = x[..., index[..., j, ...], ...] along `axis` (NumPy take_along_axis):
/// `index` has x's number of dimensions and x's extents on every other axis.
/// gather(log_probs [N,C], 1, targets as [N,1]) picks each row's target entry.
template <class T, class I>
Tensor<T> gather(const Tensor<T>& x, long axis, const Tensor<I>& index) {
  const std::size_t a = normalize_axis(axis, x.dim(), "gather");
  bool ok = index.dim() == x.dim();
  for (std::size_t d = 0; ok && d < x.dim(); ++d) ok = d == a || index.shape()[d] == x.shape()[d];
  if (!ok)
    detail::throw_shape_error("gather: index of shape " + to_string(index.shape()) + " does not match " +
                              to_string(x.shape()) + " outside axis " + std::to_string(a));
  std::vector<std::size_t> idx = detail::checked_indices(index, x.shape()[a], a, "gather");
  const Tensor<T> xd = detail::dense(x);
  const detail::AxisSplit s = detail::split_axis(xd.shape(), a);
  const std::size_t m = index.shape()[a];
  Tensor<T> out = detail::TensorAccess::uninitialized<T>(index.shape(), "gather");
  const T* p = xd.data();
  T* o = out.data();
  for (std::size_t r = 0; r < s.outer; ++r)
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t q = 0; q < s.inner; ++q) {
        const std::size_t k = (r * m + j) * s.inner + q;
        o[k] = p[(r * s.n + idx[k]) * s.inner + q];
      }
  if (detail::needs_graph(x)) detail::attach_node(out, std::make_shared<detail::GatherNode<T>>(a, std::move(idx)), x);
  return out;
}

}  // namespace grove

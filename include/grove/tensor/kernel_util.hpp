#pragma once
/// \file Internal building blocks of the tensor kernels: broadcast stride mapping, row-wise
/// strided iteration, parallel chunking of large elementwise work, and the two broadcast
/// kernels autograd needs everywhere (expand_to and sum_to). Not public API.

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

#include <Eigen/Core>

#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/shape.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// Elementwise work below this many elements runs on the calling thread.
inline constexpr std::size_t kParallelMinElements = std::size_t{1} << 18;
/// Chunk size of parallel elementwise work (fixed, so results never depend on threads).
inline constexpr std::size_t kParallelGrain = std::size_t{1} << 16;

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

/// Runs body(lo, hi) over [0, n), split into fixed-size chunks on the pool when n is large.
template <class F>
inline void elementwise_chunks(std::size_t n, F&& body) {
  if (n < kParallelMinElements || in_parallel_region()) {
    body(std::size_t{0}, n);
    return;
  }
  parallel_for(0, n, kParallelGrain, [&](std::size_t lo, std::size_t hi) { body(lo, hi); });
}

/// Strides of `x` (shape/strides) seen through broadcasting to `out` (right-aligned, 0 on
/// broadcast axes).
inline Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& out) {
  Shape s;
  const std::size_t lead = out.size() - shape.size();
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i < lead) {
      s.push_back(0);
    } else {
      const std::size_t d = shape[i - lead];
      s.push_back(d == 1 && out[i] != 1 ? 0 : strides[i - lead]);
    }
  }
  return s;
}

/// Calls row(offsets, n, inner_strides) for innermost rows [row_begin, row_end) of `shape`
/// (row-major), where offsets[k] is operand k's element offset for the row's first element
/// and inner_strides[k] its stride along the last axis. A 0-d shape is one row of length 1.
template <std::size_t K, class F>
inline void for_each_row(const Shape& shape, const std::array<const Shape*, K>& strides, std::size_t row_begin,
                         std::size_t row_end, F&& row) {
  const std::size_t nd = shape.size();
  std::array<std::size_t, K> inner{};
  std::array<std::size_t, K> off{};
  if (nd == 0) {
    if (row_begin < row_end) row(off, std::size_t{1}, inner);
    return;
  }
  const std::size_t n = shape[nd - 1];
  for (std::size_t k = 0; k < K; ++k) inner[k] = (*strides[k])[nd - 1];
  // Multi-index of the first row over the outer axes.
  Shape idx;
  for (std::size_t d = 0; d + 1 < nd; ++d) idx.push_back(0);
  std::size_t r = row_begin;
  for (std::size_t d = nd - 1; d-- > 0;) {
    idx[d] = r % shape[d];
    r /= shape[d];
  }
  for (std::size_t k = 0; k < K; ++k) {
    std::size_t o = 0;
    for (std::size_t d = 0; d + 1 < nd; ++d) o += idx[d] * (*strides[k])[d];
    off[k] = o;
  }
  for (std::size_t rr = row_begin; rr < row_end; ++rr) {
    row(off, n, inner);
    // Advance the outer multi-index by one, updating offsets incrementally.
    for (std::size_t d = nd - 1; d-- > 0;) {
      if (++idx[d] < shape[d]) {
        for (std::size_t k = 0; k < K; ++k) off[k] += (*strides[k])[d];
        break;
      }
      for (std::size_t k = 0; k < K; ++k) off[k] -= (shape[d] - 1) * (*strides[k])[d];
      idx[d] = 0;
    }
  }
}

/// Number of innermost rows of a shape.
inline std::size_t row_count(const Shape& shape) {
  if (shape.empty()) return 1;
  return shape.back() == 0 ? 0 : shape.numel() / shape.back();
}

/// A contiguous copy of x broadcast to `shape` (no graph).
template <class T>
Tensor<T> expand_to(const Tensor<T>& x, const Shape& shape) {
  if (x.shape() == shape && x.is_contiguous()) return x;
  Tensor<T> out = TensorAccess::uninitialized<T>(shape);
  const Shape xs = broadcast_strides(x.shape(), x.strides(), shape);
  const Shape os = out.strides();
  const T* src = x.data();
  T* dst = out.data();
  for_each_row<2>(shape, {&os, &xs}, 0, row_count(shape), [&](const auto& off, std::size_t n, const auto& in) {
    T* o = dst + off[0];
    const T* s = src + off[1];
    if (in[1] == 0) {
      const T v = *s;
      for (std::size_t j = 0; j < n; ++j) o[j] = v;
    } else {
      for (std::size_t j = 0; j < n; ++j) o[j] = s[j * in[1]];
    }
  });
  return out;
}

/// Sums g (shaped like a broadcast result) down to `target`, which broadcasts to g's shape:
/// the gradient of a broadcast input (no graph).
template <class T>
Tensor<T> sum_to(const Tensor<T>& g, const Shape& target) {
  if (g.shape() == target) return g;
  Tensor<T> out(target);  // zero-filled accumulator
  const Shape os = broadcast_strides(target, out.strides(), g.shape());
  const Shape gs = g.strides();
  const T* src = g.data();
  T* dst = out.data();
  for_each_row<2>(g.shape(), {&gs, &os}, 0, row_count(g.shape()), [&](const auto& off, std::size_t n, const auto& in) {
    const T* s = src + off[0];
    T* o = dst + off[1];
    if (in[1] == 0) {
      T acc = T(0);
      for (std::size_t j = 0; j < n; ++j) acc += s[j * in[0]];
      *o += acc;
    } else {
      for (std::size_t j = 0; j < n; ++j) o[j] += s[j * in[0]];
    }
  });
  return out;
}

/// A contiguous handle to x's elements (x itself when already contiguous; no graph).
template <class T>
Tensor<T> dense(const Tensor<T>& x) {
  if (x.is_contiguous()) return x;
  Tensor<T> out = TensorAccess::uninitialized<T>(x.shape());
  x.copy_to(out.data());
  return out;
}

/// Splits a contiguous shape around `axis` into (outer, n, inner) extents.
struct AxisSplit {
  std::size_t outer = 1, n = 1, inner = 1;
};
inline AxisSplit split_axis(const Shape& shape, std::size_t axis) {
  AxisSplit s;
  for (std::size_t d = 0; d < axis; ++d) s.outer *= shape[d];
  s.n = shape[axis];
  for (std::size_t d = axis + 1; d < shape.size(); ++d) s.inner *= shape[d];
  return s;
}

}  // namespace grove::detail

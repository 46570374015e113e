#pragma once
/// \file Internal building blocks of the tensor kernels: broadcast stride mapping, row-wise
/// strided iteration, parallel chunking of large elementwise work, and the two broadcast
/// kernels autograd needs everywhere (expand_to and sum_to). Not public API.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
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

template <class T>
using AlignedArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;
template <class T>
using AlignedConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;

/// Elements per block of lane_exact: a multiple of every SIMD width (64 bytes of float or double).
inline constexpr std::size_t kLaneBlock = 256;

/// out[i] = f(in_0, ..., in_{K-1})[i] for i in [0, n), where f maps Eigen arrays to an Eigen
/// expression. Eigen computes a vector function (exp, tanh, logistic, pow) differently in its
/// SIMD body and its scalar head and tail, so an element's bits would depend on where it sits
/// (its index, the buffer's address, the batch size). Here every element goes through the SIMD
/// body: when `out` is 64-byte aligned (every tensor buffer is), the whole registers are
/// evaluated in place (an aligned destination of whole registers has no head or tail); the rest
/// is copied into aligned buffers padded to whole registers (padding holds 1, a value every such
/// function takes without special cases), and only the valid results are copied out.
template <class T, std::size_t K, class F>
void lane_exact(T* out, const std::array<const T*, K>& in, std::size_t n, F&& f) {
  constexpr std::size_t kRegister = 64 / sizeof(T);
  std::size_t start = 0;
  if (reinterpret_cast<std::uintptr_t>(out) % 64 == 0 && n >= kRegister) {
    start = n / kRegister * kRegister;
    const auto m = static_cast<Eigen::Index>(start);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      AlignedArrayMap<T>(out, m) = f(ConstArrayMap<T>(in[I], m)...);
    }(std::make_index_sequence<K>{});
  }
  alignas(64) T src[K][kLaneBlock];
  alignas(64) T dst[kLaneBlock];
  for (std::size_t b = start; b < n; b += kLaneBlock) {
    const std::size_t len = std::min(kLaneBlock, n - b);
    const std::size_t padded = (len + kRegister - 1) / kRegister * kRegister;
    for (std::size_t k = 0; k < K; ++k) {
      std::copy(in[k] + b, in[k] + b + len, src[k]);
      std::fill(src[k] + len, src[k] + padded, T(1));
    }
    const auto m = static_cast<Eigen::Index>(padded);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      AlignedArrayMap<T>(dst, m) = f(AlignedConstArrayMap<T>(src[I], m)...);
    }(std::make_index_sequence<K>{});
    std::copy(dst, dst + len, out + b);
  }
}

/// Sum of p[0, n) with the same bits wherever p sits: 16 lane accumulators (element i feeds lane
/// i % 16, in index order), combined pairwise. Eigen's sum() instead starts its SIMD lanes at the
/// first aligned address, so its association (and result) moves with the buffer's address.
template <class T>
T lane_sum(const T* p, std::size_t n) {
  constexpr std::size_t kLanes = 16;
  T acc[kLanes] = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (std::size_t j = 0; j < kLanes; ++j) acc[j] += p[i + j];
  for (std::size_t j = 0; i + j < n; ++j) acc[j] += p[i + j];
  for (std::size_t width = kLanes / 2; width > 0; width /= 2)
    for (std::size_t j = 0; j < width; ++j) acc[j] += acc[j + width];
  return acc[0];
}

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
  // No rows (a 0 extent somewhere): the index arithmetic below would divide by that 0.
  if (row_begin >= row_end) return;
  if (nd == 0) {
    row(off, std::size_t{1}, inner);
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

#pragma once
/// \file MaxPool2d and AvgPool2d over NCHW inputs: square windows, stride = kernel size unless
/// given, optional zero padding (max pooling ignores padding; average pooling counts it, as
/// PyTorch's default count_include_pad). Each is one fused op: max pooling records the argmax
/// of every window (the first maximum on ties) and routes the gradient there; average pooling
/// spreads it evenly. Planes (n, c) are independent and processed in fixed chunks.

#include <cmath>
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/elementwise.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

/// Window geometry of a pooling layer: kernel size, stride (0: the kernel size), padding.
struct Pool2dOptions {
  std::size_t stride = 0;   ///< 0 means stride = kernel_size
  std::size_t padding = 0;  ///< at most kernel_size / 2, as PyTorch requires
};

}  // namespace grove::nn

namespace grove::detail {

struct PoolGeometry {
  std::size_t planes = 0, h = 0, w = 0, k = 0, stride = 0, pad = 0, oh = 0, ow = 0;
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_pool_shape(const char* op, const Shape& x,
                                                                    const std::string& why) {
  throw_shape_error(std::string(op) + ": input " + to_string(x) + " " + why);
}

inline PoolGeometry pool_geometry(const char* op, const Shape& x, std::size_t k, const nn::Pool2dOptions& o) {
  if (k == 0) throw_value_error(std::string(op) + ": kernel_size must be >= 1, got 0");
  if (o.padding > k / 2)
    throw_value_error(std::string(op) + ": padding must be at most kernel_size / 2 = " + std::to_string(k / 2) +
                      ", got " + std::to_string(o.padding));
  if (x.size() != 4) throw_pool_shape(op, x, "is not [N, C, H, W]");
  PoolGeometry g;
  g.planes = x[0] * x[1];
  g.h = x[2];
  g.w = x[3];
  g.k = k;
  g.stride = o.stride ? o.stride : k;
  g.pad = o.padding;
  if (g.h + 2 * g.pad < k || g.w + 2 * g.pad < k)
    throw_pool_shape(op, x, "is smaller than the " + std::to_string(k) + "x" + std::to_string(k) + " window");
  g.oh = (g.h + 2 * g.pad - k) / g.stride + 1;
  g.ow = (g.w + 2 * g.pad - k) / g.stride + 1;
  if (g.h * g.w > std::size_t{0xFFFFFFFF})  // argmax indices are 32-bit
    throw_pool_shape(op, x, "has planes of more than 2^32 elements");
  return g;
}

/// Runs body(first plane, end plane) in fixed chunks of planes (parallel for large inputs).
template <class F>
void for_planes(const PoolGeometry& g, F&& body) {
  const std::size_t per_plane = std::max<std::size_t>(1, g.oh * g.ow * g.k * g.k);
  const std::size_t grain = std::max<std::size_t>(1, (std::size_t{1} << 16) / per_plane);
  if (g.planes * per_plane < (std::size_t{1} << 18) || g.planes <= grain) {
    body(std::size_t{0}, g.planes);
    return;
  }
  parallel_for(0, g.planes, grain, [&](std::size_t lo, std::size_t hi) { body(lo, hi); });
}

/// Clipped window rows/columns [lo, hi) of output index o along an axis of extent n.
inline void window(std::size_t o, const PoolGeometry& g, std::size_t n, std::size_t& lo, std::size_t& hi) {
  const std::size_t start = o * g.stride;  // in padded coordinates
  lo = start > g.pad ? start - g.pad : 0;
  hi = std::min(n, start + g.k > g.pad ? start + g.k - g.pad : 0);
}

/// True when the plane holds a NaN (a branch-free scan the compiler vectorizes).
template <class T>
bool plane_has_nan(const T* p, std::size_t n) {
  int nan = 0;
  for (std::size_t i = 0; i < n; ++i) nan |= p[i] != p[i];
  return nan != 0;
}

/// 2x2 windows with stride 2 and no padding (the usual CNN pooling), NaN-free plane: written
/// without data-dependent branches (the comparisons are random, and mispredicted branches cost
/// more than the arithmetic). `a < b ? b : a` keeps the first of equal values, so the result is
/// the first maximum in row-major order, as PyTorch's.
template <class T>
void max_pool_2x2(const T* src, const PoolGeometry& g, T* dst) {
  for (std::size_t oy = 0; oy < g.oh; ++oy) {
    const T* r0 = src + 2 * oy * g.w;
    const T* r1 = r0 + g.w;
    T* out = dst + oy * g.ow;
    for (std::size_t ox = 0; ox < g.ow; ++ox) {
      const T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
      const T m0 = a < b ? b : a, m1 = c < d ? d : c;
      out[ox] = m0 < m1 ? m1 : m0;
    }
  }
}

/// v when keep is 1, +0 when it is 0, by masking the bits: GCC turns a ternary here into a
/// branch, and these conditions are random.
template <class T>
T keep_if(unsigned keep, T v) noexcept {
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  Bits b;
  std::memcpy(&b, &v, sizeof b);
  b &= Bits(0) - static_cast<Bits>(keep);
  std::memcpy(&v, &b, sizeof b);
  return v;
}

/// Backward of max_pool_2x2: each window's gradient goes to its first element equal to the
/// window's maximum, recomputed from x and y (storing winners in the forward pass measured
/// slower: it costs the forward its branch-free form). Writes every element of dx that a
/// window covers; the caller zeroes the rest.
template <class T>
void max_pool_2x2_backward(const T* x, const T* y, const T* gy, const PoolGeometry& g, T* dx) {
  for (std::size_t oy = 0; oy < g.oh; ++oy) {
    const T* r0 = x + 2 * oy * g.w;
    const T* r1 = r0 + g.w;
    T* d0 = dx + 2 * oy * g.w;
    T* d1 = d0 + g.w;
    const T* m = y + oy * g.ow;
    const T* gr = gy + oy * g.ow;
    for (std::size_t ox = 0; ox < g.ow; ++ox) {
      const unsigned ea = r0[2 * ox] == m[ox];
      const unsigned eb = (r0[2 * ox + 1] == m[ox]) & (ea ^ 1u);
      const unsigned ec = (r1[2 * ox] == m[ox]) & ((ea | eb) ^ 1u);
      const unsigned ed = (ea | eb | ec) ^ 1u;
      d0[2 * ox] = keep_if(ea, gr[ox]);
      d0[2 * ox + 1] = keep_if(eb, gr[ox]);
      d1[2 * ox] = keep_if(ec, gr[ox]);
      d1[2 * ox + 1] = keep_if(ed, gr[ox]);
    }
  }
}

/// Any window geometry: the max of each window and the flat index of its first maximum, NaN
/// winning over any number (PyTorch's rule).
template <class T>
void max_pool_plane(const T* src, const PoolGeometry& g, T* dst, std::uint32_t* arg) {
  for (std::size_t oy = 0; oy < g.oh; ++oy) {
    std::size_t y0, y1;
    window(oy, g, g.h, y0, y1);
    for (std::size_t ox = 0; ox < g.ow; ++ox) {
      std::size_t x0, x1;
      window(ox, g, g.w, x0, x1);
      std::size_t best_at = y0 * g.w + x0;
      T best = src[best_at];
      for (std::size_t yy = y0; yy < y1; ++yy)
        for (std::size_t xx = x0; xx < x1; ++xx) {
          const T v = src[yy * g.w + xx];
          if (v > best || (v != v && best == best)) {
            best = v;
            best_at = yy * g.w + xx;
          }
        }
      dst[oy * g.ow + ox] = best;
      if (arg) arg[oy * g.ow + ox] = static_cast<std::uint32_t>(best_at);
    }
  }
}

/// Planes pooled by the 2x2 fast path keep nothing (fast[p] = 1): backward recomputes each
/// window's winner. The others store the flat index of each output's source element.
template <class T>
struct MaxPoolNode final : Node<T> {
  PoolGeometry g;
  std::vector<std::uint8_t> fast;   // per plane
  std::vector<std::uint32_t> arg;   // per output of the other planes (empty when all are fast)
  const char* name() const noexcept override { return "max_pool2d"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> gy = grad_out.contiguous();
    const Tensor<T> x = input_tensor(*this, 0);
    const Tensor<T> y = node_output(*this);
    Tensor<T> dx = uninitialized<T>(x.shape());
    const std::size_t in_plane = g.h * g.w, out_plane = g.oh * g.ow;
    for_planes(g, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t p = lo; p < hi; ++p) {
        T* d = dx.data() + p * in_plane;
        const T* src = gy.data() + p * out_plane;
        if (fast[p]) {
          max_pool_2x2_backward(x.data() + p * in_plane, y.data() + p * out_plane, src, g, d);
          // Odd heights or widths leave a last row or column no window covers.
          for (std::size_t r = 0; r < g.h; ++r)
            for (std::size_t c = (r < 2 * g.oh ? 2 * g.ow : 0); c < g.w; ++c) d[r * g.w + c] = T(0);
        } else {
          std::fill(d, d + in_plane, T(0));
          const std::uint32_t* a = arg.data() + p * out_plane;
          for (std::size_t i = 0; i < out_plane; ++i) d[a[i]] += src[i];
        }
      }
    });
    sink.add(0, dx);
  }
  void release() noexcept override {
    fast = {};
    arg = {};
  }
};

template <class T>
struct AvgPoolNode final : Node<T> {
  PoolGeometry g;
  const char* name() const noexcept override { return "avg_pool2d"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> gy = grad_out.contiguous();
    Tensor<T> dx(this->input(0)->shape);
    const T inv = T(1) / static_cast<T>(g.k * g.k);
    for_planes(g, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t p = lo; p < hi; ++p) {
        T* d = dx.data() + p * g.h * g.w;
        const T* src = gy.data() + p * g.oh * g.ow;
        for (std::size_t oy = 0; oy < g.oh; ++oy) {
          std::size_t y0, y1;
          window(oy, g, g.h, y0, y1);
          for (std::size_t ox = 0; ox < g.ow; ++ox) {
            std::size_t x0, x1;
            window(ox, g, g.w, x0, x1);
            const T v = src[oy * g.ow + ox] * inv;
            for (std::size_t yy = y0; yy < y1; ++yy)
              for (std::size_t xx = x0; xx < x1; ++xx) d[yy * g.w + xx] += v;
          }
        }
      }
    });
    sink.add(0, dx);
  }
};

}  // namespace grove::detail

namespace grove::nn {

/// Max over k x k windows of x [N, C, H, W] (stride = k unless options.stride): the gradient
/// goes to the first maximal element of each window. NaN propagates as PyTorch does.
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& x, std::size_t kernel_size, Pool2dOptions options = {}) {
  const detail::PoolGeometry g = detail::pool_geometry("max_pool2d", x.shape(), kernel_size, options);
  const Tensor<T> xc = x.contiguous();
  Tensor<T> y = detail::uninitialized<T>(Shape{x.shape()[0], x.shape()[1], g.oh, g.ow});
  const bool record = detail::any_needs_graph<T>({&xc});
  const bool two = g.k == 2 && g.stride == 2 && g.pad == 0;
  std::vector<std::uint8_t> fast(g.planes, 0);
  std::vector<std::uint32_t> arg;
  const std::size_t in_plane = g.h * g.w, out_plane = g.oh * g.ow;
  auto general = [&](std::size_t p) {
    detail::max_pool_plane(xc.data() + p * in_plane, g, y.data() + p * out_plane,
                           arg.empty() ? nullptr : arg.data() + p * out_plane);
  };
  detail::for_planes(g, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t p = lo; p < hi; ++p) {
      if (two && !detail::plane_has_nan(xc.data() + p * in_plane, in_plane)) {
        detail::max_pool_2x2(xc.data() + p * in_plane, g, y.data() + p * out_plane);
        fast[p] = 1;
      } else if (!record) {
        general(p);
      }
    }
  });
  // Planes off the fast path need stored indices for backward (NaN, or another geometry).
  if (record && std::find(fast.begin(), fast.end(), 0) != fast.end()) {
    arg.assign(y.size(), 0);
    detail::for_planes(g, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t p = lo; p < hi; ++p)
        if (!fast[p]) general(p);
    });
  }
  if (record) {
    auto node = std::make_shared<detail::MaxPoolNode<T>>();
    node->g = g;
    node->fast = std::move(fast);
    node->arg = std::move(arg);
    detail::attach_inputs<T>(y, std::move(node), {&xc});
  }
  return y;
}

/// Mean over k x k windows of x [N, C, H, W] (stride = k unless options.stride); padded zeros
/// count in the mean (PyTorch's count_include_pad = true).
template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& x, std::size_t kernel_size, Pool2dOptions options = {}) {
  const detail::PoolGeometry g = detail::pool_geometry("avg_pool2d", x.shape(), kernel_size, options);
  const Tensor<T> xc = x.contiguous();
  Tensor<T> y = detail::uninitialized<T>(Shape{x.shape()[0], x.shape()[1], g.oh, g.ow});
  const T inv = T(1) / static_cast<T>(g.k * g.k);
  detail::for_planes(g, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t p = lo; p < hi; ++p) {
      const T* src = xc.data() + p * g.h * g.w;
      T* dst = y.data() + p * g.oh * g.ow;
      for (std::size_t oy = 0; oy < g.oh; ++oy) {
        std::size_t y0, y1;
        detail::window(oy, g, g.h, y0, y1);
        for (std::size_t ox = 0; ox < g.ow; ++ox) {
          std::size_t x0, x1;
          detail::window(ox, g, g.w, x0, x1);
          T acc = T(0);
          for (std::size_t yy = y0; yy < y1; ++yy)
            for (std::size_t xx = x0; xx < x1; ++xx) acc += src[yy * g.w + xx];
          dst[oy * g.ow + ox] = acc * inv;
        }
      }
    }
  });
  if (detail::any_needs_graph<T>({&xc})) {
    auto node = std::make_shared<detail::AvgPoolNode<T>>();
    node->g = g;
    detail::attach_inputs<T>(y, std::move(node), {&xc});
  }
  return y;
}

/// Max pooling layer: MaxPool2d<T>(kernel_size, {.stride, .padding}).
template <class T = float>
class MaxPool2d : public Module<T> {
public:
  template <class U>
  using rebind = MaxPool2d<U>;
  explicit MaxPool2d(std::size_t kernel_size, Pool2dOptions options = {}) : k_(kernel_size), o_(options) {
    detail::pool_geometry("MaxPool2d", Shape{1, 1, kernel_size, kernel_size}, kernel_size, options);
  }
  /// The same layer for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit MaxPool2d(const MaxPool2d<U>& other) : k_(other.kernel_size()), o_(other.options()) {}
  Tensor<T> forward(const Tensor<T>& x) override { return max_pool2d(x, k_, o_); }
  std::string describe() const override { return "MaxPool2d(" + describe_window(k_, o_) + ")"; }
  std::size_t kernel_size() const noexcept { return k_; }
  const Pool2dOptions& options() const noexcept { return o_; }

  static std::string describe_window(std::size_t k, const Pool2dOptions& o) {
    return "kernel_size=" + std::to_string(k) + ", stride=" + std::to_string(o.stride ? o.stride : k) +
           (o.padding ? ", padding=" + std::to_string(o.padding) : std::string());
  }

private:
  std::size_t k_;
  Pool2dOptions o_;
};

/// Average pooling layer: AvgPool2d<T>(kernel_size, {.stride, .padding}).
template <class T = float>
class AvgPool2d : public Module<T> {
public:
  template <class U>
  using rebind = AvgPool2d<U>;
  explicit AvgPool2d(std::size_t kernel_size, Pool2dOptions options = {}) : k_(kernel_size), o_(options) {
    detail::pool_geometry("AvgPool2d", Shape{1, 1, kernel_size, kernel_size}, kernel_size, options);
  }
  /// The same layer for another scalar type (used by Sequential's rebinding).
  template <class U>
  explicit AvgPool2d(const AvgPool2d<U>& other) : k_(other.kernel_size()), o_(other.options()) {}
  Tensor<T> forward(const Tensor<T>& x) override { return avg_pool2d(x, k_, o_); }
  std::string describe() const override { return "AvgPool2d(" + MaxPool2d<T>::describe_window(k_, o_) + ")"; }
  std::size_t kernel_size() const noexcept { return k_; }
  const Pool2dOptions& options() const noexcept { return o_; }

private:
  std::size_t k_;
  Pool2dOptions o_;
};

}  // namespace grove::nn

#pragma once
/// \file Conv2d: 2-D convolution (cross-correlation, as PyTorch) of NCHW inputs, one fused op on
/// Eigen's GEMM through im2col. Per sample n, with col_n the [C*kh*kw, OH*OW] matrix of input
/// patches (zeros where a patch reaches into the padding):
///   Y_n = W col_n + b            (W viewed as [O, C*kh*kw])
///   dW  = sum_n dY_n col_n^T,    db = sum_n rows of dY_n,
///   dX_n = col2im(W^T dY_n)      (each patch element's gradient added back where it came from).
/// Samples are processed in fixed chunks on the pool; dW and db are summed per chunk and the
/// chunk sums added in chunk order, so results are bitwise the same for any thread count.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/rng.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/detail/workspace.hpp"
#include "grove/nn/init.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// Geometry of one conv2d call.
struct ConvGeometry {
  std::size_t n = 0, c = 0, h = 0, w = 0;  // input [n, c, h, w]
  std::size_t o = 0, kh = 0, kw = 0;       // weight [o, c, kh, kw]
  std::size_t stride = 1, pad = 0;
  std::size_t oh = 0, ow = 0;              // output [n, o, oh, ow]
  std::size_t rows() const noexcept { return c * kh * kw; }  // rows of col (patch length)
  std::size_t cols() const noexcept { return oh * ow; }      // columns of col (output pixels)
};

template <class T>
using ConvMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// col [rows, cols] of one sample x [c, h, w] (im2col), any stride. Rows run over (channel, ki,
/// kj), columns over output pixels; padding reads as zero.
template <class T>
void im2col_strided(const T* x, const ConvGeometry& g, T* col) {
  const std::size_t s = g.stride, P = g.cols();
  for (std::size_t ch = 0; ch < g.c; ++ch)
    for (std::size_t ki = 0; ki < g.kh; ++ki)
      for (std::size_t kj = 0; kj < g.kw; ++kj) {
        T* dst = col + ((ch * g.kh + ki) * g.kw + kj) * P;
        const T* plane = x + ch * g.h * g.w;
        // Output columns ow whose input column ow*s + kj - pad lies inside [0, w).
        const std::size_t lo = kj >= g.pad ? 0 : (g.pad - kj + s - 1) / s;
        const std::size_t hi_raw = g.w + g.pad > kj ? (g.w + g.pad - kj + s - 1) / s : 0;
        const std::size_t hi = std::min(g.ow, hi_raw);
        for (std::size_t oh = 0; oh < g.oh; ++oh, dst += g.ow) {
          const std::size_t ih_raw = oh * s + ki;
          if (ih_raw < g.pad || ih_raw - g.pad >= g.h || lo >= hi) {
            for (std::size_t ow = 0; ow < g.ow; ++ow) dst[ow] = T(0);
            continue;
          }
          const T* src = plane + (ih_raw - g.pad) * g.w;
          for (std::size_t ow = 0; ow < lo; ++ow) dst[ow] = T(0);
          for (std::size_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * s + kj - g.pad];
          for (std::size_t ow = hi; ow < g.ow; ++ow) dst[ow] = T(0);
        }
      }
}

/// dx [c, h, w] += col2im(dcol), any stride: the transpose of im2col (padding entries are dropped).
template <class T>
void col2im_add_strided(const T* dcol, const ConvGeometry& g, T* dx) {
  const std::size_t s = g.stride, P = g.cols();
  for (std::size_t ch = 0; ch < g.c; ++ch)
    for (std::size_t ki = 0; ki < g.kh; ++ki)
      for (std::size_t kj = 0; kj < g.kw; ++kj) {
        const T* src = dcol + ((ch * g.kh + ki) * g.kw + kj) * P;
        T* plane = dx + ch * g.h * g.w;
        const std::size_t lo = kj >= g.pad ? 0 : (g.pad - kj + s - 1) / s;
        const std::size_t hi_raw = g.w + g.pad > kj ? (g.w + g.pad - kj + s - 1) / s : 0;
        const std::size_t hi = std::min(g.ow, hi_raw);
        for (std::size_t oh = 0; oh < g.oh; ++oh, src += g.ow) {
          const std::size_t ih_raw = oh * s + ki;
          if (ih_raw < g.pad || ih_raw - g.pad >= g.h) continue;
          T* dst = plane + (ih_raw - g.pad) * g.w;
          for (std::size_t ow = lo; ow < hi; ++ow) dst[ow * s + kj - g.pad] += src[ow];
        }
      }
}

/// Elements copied per fixed-size block in the stride-1 im2col (64 bytes: one AVX-512 register).
template <class T>
inline constexpr std::size_t kCopyBlock = 64 / sizeof(T);

/// Stride-1 im2col through a zero-padded copy of the sample (workspace slot 3): every column
/// row is then a run of output rows, each a contiguous read of the padded plane, copied in
/// fixed 64-byte blocks (one vector load and store each). A block may run past the end of an
/// output row; the next row's copy overwrites the excess, and `col` has kCopyBlock slack at
/// its end (the caller allocates rows * cols + kCopyBlock).
template <class T>
void im2col_s1(const T* x, const ConvGeometry& g, T* col) {
  constexpr std::size_t B = kCopyBlock<T>;
  const std::size_t hp = g.h + 2 * g.pad, wp = g.w + 2 * g.pad, plane = hp * wp, P = g.cols();
  const std::size_t blocks = (g.ow + B - 1) / B;
  T* pad = workspace<T>(3, g.c * plane + blocks * B + wp);
  std::fill(pad, pad + g.c * plane + blocks * B + wp, T(0));
  for (std::size_t ch = 0; ch < g.c; ++ch)
    for (std::size_t r = 0; r < g.h; ++r)
      std::copy(x + (ch * g.h + r) * g.w, x + (ch * g.h + r + 1) * g.w, pad + ch * plane + (r + g.pad) * wp + g.pad);
  for (std::size_t ch = 0; ch < g.c; ++ch)
    for (std::size_t ki = 0; ki < g.kh; ++ki)
      for (std::size_t kj = 0; kj < g.kw; ++kj) {
        T* dst = col + ((ch * g.kh + ki) * g.kw + kj) * P;
        const T* src = pad + ch * plane + ki * wp + kj;
        for (std::size_t oh = 0; oh < g.oh; ++oh, dst += g.ow, src += wp)
          for (std::size_t b = 0; b < blocks; ++b) std::memcpy(dst + b * B, src + b * B, B * sizeof(T));
      }
}

/// Stride-1 col2im: accumulates into a zero-padded plane (workspace slot 3) without bounds
/// checks, then writes its interior to dx (which need not be initialized). The additions into
/// each element happen in the same order as in col2im_add_strided.
template <class T>
void col2im_s1(const T* dcol, const ConvGeometry& g, T* dx) {
  const std::size_t hp = g.h + 2 * g.pad, wp = g.w + 2 * g.pad, plane = hp * wp, P = g.cols();
  T* pad = workspace<T>(3, g.c * plane);
  std::fill(pad, pad + g.c * plane, T(0));
  for (std::size_t ch = 0; ch < g.c; ++ch)
    for (std::size_t ki = 0; ki < g.kh; ++ki)
      for (std::size_t kj = 0; kj < g.kw; ++kj) {
        const T* src = dcol + ((ch * g.kh + ki) * g.kw + kj) * P;
        T* dst = pad + ch * plane + ki * wp + kj;
        for (std::size_t oh = 0; oh < g.oh; ++oh, src += g.ow, dst += wp)
          for (std::size_t ow = 0; ow < g.ow; ++ow) dst[ow] += src[ow];
      }
  for (std::size_t ch = 0; ch < g.c; ++ch)
    for (std::size_t r = 0; r < g.h; ++r) {
      const T* from = pad + ch * plane + (r + g.pad) * wp + g.pad;
      std::copy(from, from + g.w, dx + (ch * g.h + r) * g.w);
    }
}

/// Extra elements the column workspace needs past rows * cols (im2col_s1's block overrun).
template <class T>
inline constexpr std::size_t kColSlack = kCopyBlock<T>;

template <class T>
void im2col(const T* x, const ConvGeometry& g, T* col) {
  if (g.stride == 1) im2col_s1(x, g, col);
  else im2col_strided(x, g, col);
}

/// dx = col2im(dcol); dx need not be initialized.
template <class T>
void col2im(const T* dcol, const ConvGeometry& g, T* dx) {
  if (g.stride == 1) {
    col2im_s1(dcol, g, dx);
  } else {
    std::fill(dx, dx + g.c * g.h * g.w, T(0));
    col2im_add_strided(dcol, g, dx);
  }
}

/// Samples per parallel chunk: the batch in at most 16 chunks (enough to balance a few threads;
/// every chunk sums its own dW, so fewer chunks mean less to add up), and at least ~2 million
/// multiply-adds of forward work per chunk. Depends only on the geometry, so the chunking (and
/// dW's summation order) never depends on the thread count.
inline std::size_t conv_chunk(const ConvGeometry& g) {
  const std::size_t per_sample = std::max<std::size_t>(1, g.o * g.rows() * g.cols());
  const std::size_t by_work = std::max<std::size_t>(1, (std::size_t{1} << 21) / per_sample);
  const std::size_t by_count = (g.n + 15) / 16;
  return std::max<std::size_t>(1, std::max(by_work, by_count));
}

/// Runs body(chunk, first sample, sample count) over all samples in conv_chunk() pieces.
template <class F>
void for_sample_chunks(const ConvGeometry& g, F&& body) {
  const std::size_t grain = conv_chunk(g);
  const std::size_t chunks = (g.n + grain - 1) / grain;
  auto run = [&](std::size_t k) { body(k, k * grain, std::min(grain, g.n - k * grain)); };
  if (chunks <= 1 || g.n * g.o * g.rows() * g.cols() < kParallelMacs) {
    for (std::size_t k = 0; k < chunks; ++k) run(k);
  } else {
    parallel_for_chunks(chunks, run);
  }
}

template <class T>
struct Conv2dNode final : Node<T> {
  ConvGeometry g;
  bool has_bias = false;
  const char* name() const noexcept override { return "conv2d"; }

  bool needs(GradSink<T>& sink, std::size_t i) const {
    return has_bias ? needs_more(*this, i) : sink.needs(i);
  }

  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    const Tensor<T> gy = grad_out.contiguous();
    const Tensor<T> x = input_tensor(*this, 0);
    const Tensor<T> w = input_tensor(*this, 1);
    const bool need_x = needs(sink, 0), need_w = needs(sink, 1), need_b = has_bias && needs(sink, 2);
    const std::size_t R = g.rows(), P = g.cols(), O = g.o;
    const auto Ri = static_cast<Eigen::Index>(R), Pi = static_cast<Eigen::Index>(P), Oi = static_cast<Eigen::Index>(O);
    Tensor<T> dx = need_x ? uninitialized<T>(x.shape()) : Tensor<T>();
    const std::size_t chunks = (g.n + conv_chunk(g) - 1) / conv_chunk(g);
    const std::size_t per_chunk = O * R + O;  // dW then db
    T* partial = (need_w || need_b) ? workspace<T>(2, chunks * per_chunk) : nullptr;
    Eigen::Map<const ConvMat<T>> W(w.data(), Oi, Ri);
    for_sample_chunks(g, [&](std::size_t k, std::size_t first, std::size_t count) {
      T* col = workspace<T>(0, R * P + kColSlack<T>);
      T* dcol = need_x ? workspace<T>(1, R * P) : nullptr;
      Eigen::Map<ConvMat<T>> DW(partial ? partial + k * per_chunk : nullptr, Oi, Ri);
      Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> DB(partial ? partial + k * per_chunk + O * R : nullptr, Oi);
      if (partial) {
        DW.setZero();
        DB.setZero();
      }
      Eigen::Map<ConvMat<T>> COL(col, Ri, Pi);
      for (std::size_t s = first; s < first + count; ++s) {
        Eigen::Map<const ConvMat<T>> DY(gy.data() + s * O * P, Oi, Pi);
        if (need_w) {
          im2col(x.data() + s * g.c * g.h * g.w, g, col);
          DW.noalias() += DY * COL.transpose();
        }
        if (need_b) DB += DY.rowwise().sum();
        if (need_x) {
          Eigen::Map<ConvMat<T>> DCOL(dcol, Ri, Pi);
          DCOL.noalias() = W.transpose() * DY;
          col2im(dcol, g, dx.data() + s * g.c * g.h * g.w);
        }
      }
    });
    if (need_x) sink.add(0, dx);
    if (need_w || need_b) {
      Tensor<T> dw = need_w ? Tensor<T>(w.shape()) : Tensor<T>();
      Tensor<T> db = need_b ? Tensor<T>(Shape{O}) : Tensor<T>();
      for (std::size_t k = 0; k < chunks; ++k) {  // chunk order: the same sums for any thread count
        const T* p = partial + k * per_chunk;
        if (need_w)
          for (std::size_t i = 0; i < O * R; ++i) dw.data()[i] += p[i];
        if (need_b)
          for (std::size_t i = 0; i < O; ++i) db.data()[i] += p[O * R + i];
      }
      if (need_w) sink.add(1, dw);
      if (need_b) sink.add(2, db);
    }
  }
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_conv_shapes(const Shape& x, const Shape& w, const Shape* b,
                                                                     const std::string& why) {
  throw_shape_error("conv2d: input " + to_string(x) + " and weight " + to_string(w) +
                    (b ? " and bias " + to_string(*b) : std::string()) + ": " + why);
}

}  // namespace grove::detail

namespace grove::nn {

/// Stride and zero padding of a 2-D convolution or pooling window.
struct Conv2dParams {
  std::size_t stride = 1;
  std::size_t padding = 0;
};

/// 2-D convolution of x [N, C, H, W] with weight [O, C, kh, kw] and optional bias [O]:
/// y [N, O, OH, OW], OH = (H + 2 padding - kh) / stride + 1 (likewise OW). Differentiable in x,
/// weight and bias. Mismatched shapes are a ShapeError naming them.
template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& weight, const std::type_identity_t<Tensor<T>>* bias = nullptr,
                 Conv2dParams params = {}) {
  const Shape* bs = bias ? &bias->shape() : nullptr;
  if (x.dim() != 4 || weight.dim() != 4)
    detail::throw_conv_shapes(x.shape(), weight.shape(), bs, "expected input [N, C, H, W] and weight [O, C, kh, kw]");
  if (x.shape()[1] != weight.shape()[1])
    detail::throw_conv_shapes(x.shape(), weight.shape(), bs,
                              "input has " + std::to_string(x.shape()[1]) + " channels, weight expects " +
                                  std::to_string(weight.shape()[1]));
  if (bias && (bias->dim() != 1 || bias->shape()[0] != weight.shape()[0]))
    detail::throw_conv_shapes(x.shape(), weight.shape(), bs, "bias must be [" + std::to_string(weight.shape()[0]) + "]");
  if (params.stride == 0) detail::throw_value_error("conv2d: stride must be >= 1, got 0");
  detail::ConvGeometry g;
  g.n = x.shape()[0];
  g.c = x.shape()[1];
  g.h = x.shape()[2];
  g.w = x.shape()[3];
  g.o = weight.shape()[0];
  g.kh = weight.shape()[2];
  g.kw = weight.shape()[3];
  g.stride = params.stride;
  g.pad = params.padding;
  const std::size_t hp = g.h + 2 * g.pad, wp = g.w + 2 * g.pad;
  if (g.kh == 0 || g.kw == 0 || g.kh > hp || g.kw > wp)
    detail::throw_conv_shapes(x.shape(), weight.shape(), bs,
                              "kernel " + std::to_string(g.kh) + "x" + std::to_string(g.kw) +
                                  " does not fit the padded input " + std::to_string(hp) + "x" + std::to_string(wp));
  g.oh = (hp - g.kh) / g.stride + 1;
  g.ow = (wp - g.kw) / g.stride + 1;

  const Tensor<T> xc = x.contiguous(), wc = weight.contiguous();
  const Tensor<T> bc = bias ? bias->contiguous() : Tensor<T>();
  Tensor<T> y = detail::uninitialized<T>(Shape{g.n, g.o, g.oh, g.ow});
  const std::size_t R = g.rows(), P = g.cols(), O = g.o;
  const auto Ri = static_cast<Eigen::Index>(R), Pi = static_cast<Eigen::Index>(P), Oi = static_cast<Eigen::Index>(O);
  Eigen::Map<const detail::ConvMat<T>> W(wc.data(), Oi, Ri);
  const T* bp = bias ? bc.data() : nullptr;
  detail::for_sample_chunks(g, [&](std::size_t, std::size_t first, std::size_t count) {
    T* col = detail::workspace<T>(0, R * P + detail::kColSlack<T>);
    Eigen::Map<detail::ConvMat<T>> COL(col, Ri, Pi);
    for (std::size_t s = first; s < first + count; ++s) {
      detail::im2col(xc.data() + s * g.c * g.h * g.w, g, col);
      Eigen::Map<detail::ConvMat<T>> Y(y.data() + s * O * P, Oi, Pi);
      Y.noalias() = W * COL;
      if (bp) Y.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bp, Oi);
    }
  });
  if (detail::any_needs_graph<T>({&xc, &wc, bias ? &bc : nullptr})) {
    auto node = std::make_shared<detail::Conv2dNode<T>>();
    node->g = g;
    node->has_bias = bias != nullptr;
    detail::attach_inputs<T>(y, std::move(node), {&xc, &wc, bias ? &bc : nullptr});
  }
  return y;
}

/// Options of Conv2d.
struct Conv2dOptions {
  std::size_t stride = 1;
  std::size_t padding = 0;  ///< zeros added on each side of the height and width
  bool bias = true;
};

/// 2-D convolution layer over NCHW inputs with a square kernel. Initialized as PyTorch does
/// (kaiming_uniform with a = sqrt(5)): weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
/// fan_in = in_channels * kernel_size^2, weight drawn first.
template <class T = float>
class Conv2d : public Module<T> {
public:
  Conv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size, Rng& rng,
         Conv2dOptions options = {})
      : in_(in_channels), out_(out_channels), k_(kernel_size), o_(options) {
    if (in_channels == 0 || out_channels == 0 || kernel_size == 0)
      detail::throw_value_error("Conv2d: in_channels, out_channels and kernel_size must be >= 1, got " +
                                std::to_string(in_channels) + ", " + std::to_string(out_channels) + " and " +
                                std::to_string(kernel_size));
    if (options.stride == 0) detail::throw_value_error("Conv2d: stride must be >= 1, got 0");
    const std::size_t fan_in = detail::checked_mul(in_, k_ * k_, "Conv2d");
    weight_ = this->register_parameter(
        "weight", init::kaiming_uniform<T>(Shape{out_, in_, k_, k_}, fan_in, std::sqrt(5.0), rng));
    if (options.bias) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      bias_ = this->register_parameter("bias", Tensor<T>::uniform(Shape{out_}, -bound, bound, rng));
    }
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    if (x.dim() != 4 || x.shape()[1] != in_)
      detail::throw_shape_error("Conv2d: input " + to_string(x.shape()) + " is not [N, " + std::to_string(in_) +
                                ", H, W] (weight " + to_string(weight_.shape()) + ")");
    return conv2d(x, weight_, o_.bias ? &bias_ : nullptr, {.stride = o_.stride, .padding = o_.padding});
  }

  std::string describe() const override {
    return "Conv2d(" + std::to_string(in_) + ", " + std::to_string(out_) + ", kernel_size=" + std::to_string(k_) +
           (o_.stride != 1 ? ", stride=" + std::to_string(o_.stride) : std::string()) +
           (o_.padding ? ", padding=" + std::to_string(o_.padding) : std::string()) +
           (o_.bias ? std::string() : std::string(", bias=false")) + ")";
  }

  /// Weight [out, in, k, k] (a handle: writing through it changes the layer).
  Tensor<T>& weight() noexcept { return weight_; }
  /// Bias [out]; an empty tensor when built with bias = false.
  Tensor<T>& bias() noexcept { return bias_; }

private:
  std::size_t in_, out_, k_;
  Conv2dOptions o_;
  Tensor<T> weight_;
  Tensor<T> bias_;
};

}  // namespace grove::nn

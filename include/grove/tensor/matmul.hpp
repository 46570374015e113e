#pragma once
/// \file matmul: 2-D and batched 3-D matrix products on Eigen's GEMM through Eigen::Map (no
/// copies for contiguous or transposed operands). Large products split the output rows over
/// grove's pool, each chunk calling single-threaded Eigen.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>

#include <Eigen/Core>

#include "grove/core/parallel.hpp"
#include "grove/tensor/kernel_util.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

/// Products with at least this many multiply-adds are split over the pool.
inline constexpr std::size_t kMatmulParallelFlops = std::size_t{1} << 21;
/// Output rows per parallel chunk: about a quarter of the rows, at least 128, a multiple of 16.
/// It depends only on the shape, so results never depend on the thread count. Each chunk
/// repacks the right operand, so chunks must not be small (measured, one thread: 64-row chunks
/// of a 256^3 product ran ~35% slower than 128-row ones; 1024^3 lost ~15% with 64 rows).
inline std::size_t matmul_row_grain(std::size_t rows) {
  const std::size_t quarter = ((rows + 3) / 4 + 15) / 16 * 16;
  return std::max<std::size_t>(128, quarter);
}

/// Products up to this many multiply-adds use Eigen's coefficient-based product.
inline constexpr std::size_t kMatmulTinyFlops = 16 * 16 * 16;

/// A strided 2-D operand: element (i, j) at data[i * rs + j * cs].
template <class T>
struct MatView {
  const T* data;
  std::size_t rows, cols, rs, cs;
};

template <class T>
using RowMajorMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                               Eigen::OuterStride<>>;
template <class T>
using ColMajorMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>, 0,
                               Eigen::OuterStride<>>;
template <class T>
using OutMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

/// Calls f with an Eigen map of rows [r0, r0 + nr) of v (row- or column-major, whichever the
/// strides allow: a transposed row-major matrix is a column-major one).
template <class T, class F>
void with_map(const MatView<T>& v, std::size_t r0, std::size_t nr, F&& f) {
  const auto rows = static_cast<Eigen::Index>(nr), cols = static_cast<Eigen::Index>(v.cols);
  if (v.cs == 1 || v.cols == 1) {
    const auto ld = static_cast<Eigen::Index>(std::max<std::size_t>(v.rs, v.cols));
    f(RowMajorMap<T>(v.data + r0 * v.rs, rows, cols, Eigen::OuterStride<>(ld)));
  } else {
    const auto ld = static_cast<Eigen::Index>(std::max<std::size_t>(v.cs, v.rows));
    f(ColMajorMap<T>(v.data + r0 * v.rs, rows, cols, Eigen::OuterStride<>(ld)));
  }
}

/// True when Eigen can map v directly.
template <class T>
bool mappable(const MatView<T>& v) {
  return (v.cs == 1 && v.rs >= v.cols) || (v.rs == 1 && v.cs >= v.rows) || v.rows <= 1 || v.cols <= 1;
}

/// out (rows [r0, r0+nr) of a dense row-major n x m block) = a[r0:r0+nr] * b.
template <class T>
void gemm_rows(const MatView<T>& a, const MatView<T>& b, T* out, std::size_t r0, std::size_t nr) {
  OutMap<T> c(out + r0 * b.cols, static_cast<Eigen::Index>(nr), static_cast<Eigen::Index>(b.cols));
  // Tiny products skip GEMM's packing: a coefficient-wise product is several times faster.
  const bool tiny = nr * a.cols * b.cols <= kMatmulTinyFlops;
  with_map(a, r0, nr, [&](const auto& am) {
    with_map(b, 0, b.rows, [&](const auto& bm) {
      if (tiny)
        c.noalias() = am.lazyProduct(bm);
      else
        c.noalias() = am * bm;
    });
  });
}

[[noreturn, gnu::cold]] inline void throw_matmul_shapes(const Shape& a, const Shape& b, const std::string& why) {
  throw_shape_error("matmul: " + to_string(a) + " x " + to_string(b) + why);
}

/// Result shape of matmul(a, b); throws ShapeError naming both shapes.
inline Shape matmul_shape(const Shape& a, const Shape& b) {
  if (a.size() < 2 || a.size() > 3 || b.size() < 2 || b.size() > 3)
    throw_matmul_shapes(a, b, " (operands must be 2-D or 3-D)");
  const std::size_t n = a[a.size() - 2], k = a.back(), kb = b[b.size() - 2], m = b.back();
  if (k != kb) throw_matmul_shapes(a, b, "");
  const std::size_t ba = a.size() == 3 ? a[0] : 1, bb = b.size() == 3 ? b[0] : 1;
  if (ba != bb && ba != 1 && bb != 1) throw_matmul_shapes(a, b, " (batch sizes differ)");
  // Batch extents broadcast like NumPy: 1 stretches to the other, so [0,n,k] x [k,m] has 0 batches.
  const Shape out = a.size() == 2 && b.size() == 2 ? Shape{n, m} : Shape{ba == 1 ? bb : ba, n, m};
  // With k = 0 both operands can be empty while the product is huge: [2^32+1,0] x [0,2^32+1].
  if (out.numel_overflows())
    throw_matmul_shapes(a, b, " gives " + to_string(out) + ", which has more elements than fit in size_t");
  return out;
}

/// The 2-D matrix of batch `i` of x (batch 0 for 2-D x or a batch of 1).
template <class T>
MatView<T> batch_view(const Tensor<T>& x, std::size_t i) {
  const std::size_t nd = x.dim();
  const std::size_t bi = nd == 3 && x.shape()[0] > 1 ? i : 0;
  const std::size_t off = nd == 3 ? bi * x.strides()[0] : 0;
  return {x.data() + off, x.shape()[nd - 2], x.shape()[nd - 1], x.strides()[nd - 2], x.strides()[nd - 1]};
}

/// matmul without graph.
template <class T>
Tensor<T> matmul_kernel(const Tensor<T>& a_in, const Tensor<T>& b_in) {
  const Shape shape = matmul_shape(a_in.shape(), b_in.shape());
  // Operands Eigen cannot map (e.g. a slice of a transposed view) are made dense first.
  const Tensor<T> a = mappable(batch_view(a_in, 0)) ? a_in : dense(a_in);
  const Tensor<T> b = mappable(batch_view(b_in, 0)) ? b_in : dense(b_in);
  Tensor<T> out = TensorAccess::uninitialized<T>(shape, "matmul");
  const std::size_t batches = shape.size() == 3 ? shape[0] : 1;
  const std::size_t n = shape[shape.size() - 2], m = shape.back(), k = a.shape().back();
  T* o = out.data();
  if (k == 0) {
    std::fill(o, o + out.size(), T(0));
    return out;
  }
  if (n == 0 || m == 0) return out;
  const std::size_t work = batches * n * m * k;
  if (work < kMatmulParallelFlops || in_parallel_region()) {
    for (std::size_t i = 0; i < batches; ++i) gemm_rows(batch_view(a, i), batch_view(b, i), o + i * n * m, 0, n);
    return out;
  }
  const std::size_t grain = matmul_row_grain(n);
  const std::size_t row_chunks = (n + grain - 1) / grain;
  parallel_for_chunks(batches * row_chunks, [&](std::size_t c) {
    const std::size_t i = c / row_chunks, r0 = (c % row_chunks) * grain;
    gemm_rows(batch_view(a, i), batch_view(b, i), o + i * n * m, r0, std::min(grain, n - r0));
  });
  return out;
}

/// dA = dC * B^T, dB = A^T * dC; a 2-D or batch-1 operand of a batched product gets the
/// sum over the batch.
template <class T>
struct MatmulNode final : Node<T> {
  const char* name() const noexcept override { return "matmul"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    const Tensor<T> a = TensorAccess::wrap(this->input_ptr(0));
    const Tensor<T> b = TensorAccess::wrap(this->input_ptr(1));
    if (sink.needs(0)) sink.add(0, sum_to(matmul_kernel(g, last2_transposed(b)), a.shape()));
    if (sink.needs(1)) {
      if (b.dim() == 2 && a.dim() == 3 && a.is_contiguous() && g.is_contiguous()) {
        // sum_b A_b^T G_b = A'^T G' with A' = A as [B*n, k] and G' = G as [B*n, m].
        const Shape a2{a.shape()[0] * a.shape()[1], a.shape()[2]};
        const Shape g2{g.shape()[0] * g.shape()[1], g.shape()[2]};
        const Tensor<T> a_flat = a.view_as(a2, contiguous_strides(a2), a.offset());
        const Tensor<T> g_flat = g.view_as(g2, contiguous_strides(g2), g.offset());
        sink.add(1, matmul_kernel(last2_transposed(a_flat), g_flat));
      } else {
        sink.add(1, sum_to(matmul_kernel(last2_transposed(a), g), b.shape()));
      }
    }
  }
  static Tensor<T> last2_transposed(const Tensor<T>& x) {
    Shape shape = x.shape(), strides = x.strides();
    const std::size_t nd = x.dim();
    std::swap(shape[nd - 1], shape[nd - 2]);
    std::swap(strides[nd - 1], strides[nd - 2]);
    return x.view_as(shape, strides, x.offset());
  }
};

}  // namespace detail

/// Matrix product: [n,k] x [k,m] -> [n,m]; batched [B,n,k] x [B,k,m] -> [B,n,m], where a 2-D
/// operand (or a batch of 1) is shared by every batch. Mismatched shapes: ShapeError.
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out = detail::matmul_kernel(a, b);
  if (detail::needs_graph(a, b)) detail::attach_node(out, std::make_shared<detail::MatmulNode<T>>(), a, b);
  return out;
}

template <class T>
Tensor<T> Tensor<T>::matmul(const Tensor<T>& other) const { return grove::matmul(*this, other); }

}  // namespace grove

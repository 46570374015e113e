#pragma once
/// \file Reductions: sum() / sum(axis, keepdim), mean, max(axis), argmax(axis).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "grove/tensor/elementwise.hpp"
#include "grove/tensor/kernel_util.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

/// Sum of all elements (no graph). Large inputs are summed per fixed chunk, then the chunk
/// sums in order; within a chunk lane_sum fixes the association: the same bits for any thread
/// count and any address of the data.
template <class T>
T sum_all_kernel(const Tensor<T>& x) {
  const Tensor<T> xd = dense(x);
  const T* p = xd.data();
  const std::size_t n = xd.size();
  if (n < kParallelMinElements) return lane_sum(p, n);
  const std::size_t n_chunks = (n + kParallelGrain - 1) / kParallelGrain;
  std::vector<T> partial(n_chunks);
  parallel_for_chunks(n_chunks, [&](std::size_t c) {
    const std::size_t lo = c * kParallelGrain, hi = std::min(n, lo + kParallelGrain);
    partial[c] = lane_sum(p + lo, hi - lo);
  });
  T total = T(0);
  for (T v : partial) total += v;
  return total;
}

/// Shape after reducing `axis`.
inline Shape reduced_shape(const Shape& s, std::size_t axis, bool keepdim) {
  Shape out = s;
  if (keepdim)
    out[axis] = 1;
  else
    out.erase(axis);
  return out;
}

/// Sum over one axis (no graph).
template <class T>
Tensor<T> sum_axis_kernel(const Tensor<T>& x, std::size_t axis, bool keepdim) {
  const Tensor<T> xd = dense(x);
  const AxisSplit s = split_axis(xd.shape(), axis);
  Tensor<T> out = TensorAccess::uninitialized<T>(reduced_shape(xd.shape(), axis, keepdim));
  const T* p = xd.data();
  T* o = out.data();
  if (s.inner == 1) {
    for (std::size_t r = 0; r < s.outer; ++r)
      o[r] = lane_sum(p + r * s.n, s.n);
  } else {
    for (std::size_t r = 0; r < s.outer; ++r) {
      T* dst = o + r * s.inner;
      const T* src = p + r * s.n * s.inner;
      for (std::size_t j = 0; j < s.inner; ++j) dst[j] = T(0);
      for (std::size_t k = 0; k < s.n; ++k, src += s.inner)
        for (std::size_t j = 0; j < s.inner; ++j) dst[j] += src[j];
    }
  }
  return out;
}

template <class T>
struct SumAllNode final : Node<T> {
  const char* name() const noexcept override { return "sum"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (sink.needs(0)) sink.add(0, Tensor<T>::full(this->input(0)->shape, g.item()));
  }
};

template <class T>
struct SumAxisNode final : Node<T> {
  explicit SumAxisNode(std::size_t a) : axis(a) {}
  const char* name() const noexcept override { return "sum"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Shape& in_shape = this->input(0)->shape;
    // View g with the reduced axis kept (extent 1), then broadcast it back.
    const Tensor<T> gd = dense(g);
    const Shape kept = reduced_shape(in_shape, axis, true);
    sink.add(0, expand_to(gd.view_as(kept, contiguous_strides(kept), gd.offset()), in_shape));
  }
  std::size_t axis;
};

/// Max over one axis and the index of the first maximum (no graph).
template <class T>
void max_axis_kernel(const Tensor<T>& x, std::size_t axis, bool keepdim, Tensor<T>* values,
                     Tensor<std::int64_t>* indices) {
  const Tensor<T> xd = dense(x);
  const AxisSplit s = split_axis(xd.shape(), axis);
  const Shape out_shape = reduced_shape(xd.shape(), axis, keepdim);
  if (values) *values = TensorAccess::uninitialized<T>(out_shape);
  if (indices) *indices = TensorAccess::uninitialized<std::int64_t>(out_shape);
  const T* p = xd.data();
  for (std::size_t r = 0; r < s.outer; ++r) {
    for (std::size_t j = 0; j < s.inner; ++j) {
      const T* src = p + r * s.n * s.inner + j;
      T best = src[0];
      std::size_t arg = 0;
      for (std::size_t k = 1; k < s.n; ++k) {
        const T v = src[k * s.inner];
        if (v > best || (v != v && best == best)) {  // NaN propagates, like NumPy
          best = v;
          arg = k;
        }
      }
      if (values) values->data()[r * s.inner + j] = best;
      if (indices) indices->data()[r * s.inner + j] = static_cast<std::int64_t>(arg);
    }
  }
}

template <class T>
struct MaxAxisNode final : Node<T> {
  MaxAxisNode(std::size_t a, Tensor<std::int64_t> idx) : axis(a), arg(std::move(idx)) {}
  const char* name() const noexcept override { return "max"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Shape& in_shape = this->input(0)->shape;
    const AxisSplit s = split_axis(in_shape, axis);
    Tensor<T> gx(in_shape);
    const Tensor<T> gd = dense(g);
    const T* pg = gd.data();
    const std::int64_t* pa = arg.data();
    T* o = gx.data();
    for (std::size_t r = 0; r < s.outer; ++r)
      for (std::size_t j = 0; j < s.inner; ++j) {
        const std::size_t k = static_cast<std::size_t>(pa[r * s.inner + j]);
        o[(r * s.n + k) * s.inner + j] = pg[r * s.inner + j];
      }
    sink.add(0, gx);
  }
  void release() noexcept override { arg = Tensor<std::int64_t>(Shape{0}); }
  std::size_t axis;
  Tensor<std::int64_t> arg;
};

[[noreturn, gnu::cold]] inline void throw_empty_reduction(const char* op, const Shape& s, std::size_t axis) {
  throw_value_error(std::string(op) + ": cannot reduce axis " + std::to_string(axis) + " of extent 0 in shape " +
                    to_string(s));
}

}  // namespace detail

/// Sum of all elements, as a 0-d tensor (item() reads it).
template <class T>
Tensor<T> sum(const Tensor<T>& x) {
  Tensor<T> out = detail::TensorAccess::uninitialized<T>(Shape{});
  *out.data() = detail::sum_all_kernel(x);
  if (detail::needs_graph(x)) detail::attach_node(out, std::make_shared<detail::SumAllNode<T>>(), x);
  return out;
}

/// Sum over `axis` (negative counts from the end); keepdim keeps it with extent 1.
template <class T>
Tensor<T> sum(const Tensor<T>& x, long axis, bool keepdim = false) {
  const std::size_t a = normalize_axis(axis, x.dim(), "sum");
  Tensor<T> out = detail::sum_axis_kernel(x, a, keepdim);
  if (detail::needs_graph(x)) detail::attach_node(out, std::make_shared<detail::SumAxisNode<T>>(a), x);
  return out;
}

/// Mean of all elements (0-d). An empty tensor gives NaN, like NumPy.
template <class T>
Tensor<T> mean(const Tensor<T>& x) {
  return sum(x) * static_cast<T>(1.0 / static_cast<double>(x.size()));
}

/// Mean over `axis`.
template <class T>
Tensor<T> mean(const Tensor<T>& x, long axis, bool keepdim = false) {
  const std::size_t a = normalize_axis(axis, x.dim(), "mean");
  return sum(x, axis, keepdim) * static_cast<T>(1.0 / static_cast<double>(x.shape()[a]));
}

/// Maximum over `axis`; the gradient flows to the first maximal element.
template <class T>
Tensor<T> max(const Tensor<T>& x, long axis, bool keepdim = false) {
  const std::size_t a = normalize_axis(axis, x.dim(), "max");
  if (x.shape()[a] == 0) detail::throw_empty_reduction("max", x.shape(), a);
  Tensor<T> values;
  if (detail::needs_graph(x)) {
    Tensor<std::int64_t> idx;
    detail::max_axis_kernel(x, a, keepdim, &values, &idx);
    detail::attach_node(values, std::make_shared<detail::MaxAxisNode<T>>(a, std::move(idx)), x);
  } else {
    detail::max_axis_kernel<T>(x, a, keepdim, &values, nullptr);
  }
  return values;
}

/// Index of the first maximum over `axis` (no gradient).
template <class T>
Tensor<std::int64_t> argmax(const Tensor<T>& x, long axis, bool keepdim = false) {
  const std::size_t a = normalize_axis(axis, x.dim(), "argmax");
  if (x.shape()[a] == 0) detail::throw_empty_reduction("argmax", x.shape(), a);
  Tensor<std::int64_t> idx;
  detail::max_axis_kernel<T>(x, a, keepdim, nullptr, &idx);
  return idx;
}

template <class T>
Tensor<T> Tensor<T>::sum() const { return grove::sum(*this); }
template <class T>
Tensor<T> Tensor<T>::sum(long axis, bool keepdim) const { return grove::sum(*this, axis, keepdim); }
template <class T>
Tensor<T> Tensor<T>::mean() const { return grove::mean(*this); }
template <class T>
Tensor<T> Tensor<T>::mean(long axis, bool keepdim) const { return grove::mean(*this, axis, keepdim); }
template <class T>
Tensor<T> Tensor<T>::max(long axis, bool keepdim) const { return grove::max(*this, axis, keepdim); }
template <class T>
Tensor<std::int64_t> Tensor<T>::argmax(long axis, bool keepdim) const { return grove::argmax(*this, axis, keepdim); }

}  // namespace grove

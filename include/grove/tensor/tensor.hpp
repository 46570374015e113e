#pragma once
/// \file Tensor<T>: shared storage with value semantics (copies share data, as in PyTorch),
/// shape and strides, factories and element access.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/rng.hpp"
#include "grove/core/shape.hpp"

namespace grove {

template <class T>
class Tensor;

namespace detail {

/// The state a Tensor handle points at. Copies of a Tensor share one TensorImpl.
template <class T>
struct TensorImpl {
  std::shared_ptr<std::vector<T>> storage;  ///< shared by views
  std::size_t offset = 0;                   ///< first element, in elements
  Shape shape;
  Shape strides;
};

[[noreturn, gnu::cold]] inline void throw_index_error(const char* op, std::size_t axis, long index,
                                                      std::size_t extent) {
  throw_value_error(std::string(op) + ": index " + std::to_string(index) + " out of range for axis " +
                    std::to_string(axis) + " of extent " + std::to_string(extent));
}

}  // namespace detail

/// N-d array of T (float, double, or an integer type for labels and indices).
template <class T>
class Tensor {
  static_assert(std::is_arithmetic_v<T>, "Tensor<T>: T must be an arithmetic type");

public:
  using value_type = T;

  /// An empty tensor of shape [0].
  Tensor() : Tensor(Shape{0}) {}

  /// A zero-filled tensor of the given shape.
  explicit Tensor(const Shape& shape) : impl_(std::make_shared<detail::TensorImpl<T>>()) {
    impl_->storage = std::make_shared<std::vector<T>>(shape.numel());
    impl_->shape = shape;
    impl_->strides = contiguous_strides(shape);
  }

  /// Zeros of the given shape.
  static Tensor zeros(const Shape& shape) { return Tensor(shape); }
  /// Ones of the given shape.
  static Tensor ones(const Shape& shape) { return full(shape, T(1)); }
  /// A tensor of the given shape filled with `value`.
  static Tensor full(const Shape& shape, T value) {
    Tensor t(shape);
    std::fill(t.impl_->storage->begin(), t.impl_->storage->end(), value);
    return t;
  }
  /// Takes ownership of `values` laid out row-major in `shape`; sizes must agree.
  static Tensor from_vector(std::vector<T> values, const Shape& shape) {
    if (values.size() != shape.numel())
      detail::throw_shape_error("from_vector: " + std::to_string(values.size()) +
                                " values do not fill shape " + to_string(shape));
    Tensor t(Shape{0});
    t.impl_->storage = std::make_shared<std::vector<T>>(std::move(values));
    t.impl_->shape = shape;
    t.impl_->strides = contiguous_strides(shape);
    return t;
  }
  /// A 1-D tensor holding `values`.
  static Tensor from_vector(std::vector<T> values) {
    const std::size_t n = values.size();
    return from_vector(std::move(values), Shape{n});
  }
  /// 0, 1, ..., n-1.
  static Tensor arange(std::size_t n) {
    Tensor t(Shape{n});
    T* p = t.data();
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<T>(i);
    return t;
  }
  /// Standard normal draws from `rng`.
  static Tensor randn(const Shape& shape, Rng& rng) {
    Tensor t(shape);
    for (T& v : *t.impl_->storage) v = static_cast<T>(rng.normal());
    return t;
  }
  /// Uniform draws in [lo, hi) from `rng`.
  static Tensor uniform(const Shape& shape, double lo, double hi, Rng& rng) {
    Tensor t(shape);
    for (T& v : *t.impl_->storage) v = static_cast<T>(rng.uniform(lo, hi));
    return t;
  }

  /// Extents, outermost first.
  const Shape& shape() const noexcept { return impl_->shape; }
  /// Extent of one axis (negative counts from the end).
  std::size_t shape(long axis) const { return impl_->shape[normalize_axis(axis, dim(), "shape")]; }
  /// Strides in elements.
  const Shape& strides() const noexcept { return impl_->strides; }
  /// Number of dimensions.
  std::size_t dim() const noexcept { return impl_->shape.size(); }
  /// Number of elements.
  std::size_t size() const noexcept { return impl_->shape.numel(); }
  /// Offset of the first element in the shared storage.
  std::size_t offset() const noexcept { return impl_->offset; }

  /// Pointer to the first element. Elements are laid out per strides(); see is_contiguous().
  T* data() noexcept { return impl_->storage->data() + impl_->offset; }
  const T* data() const noexcept { return impl_->storage->data() + impl_->offset; }

  /// True when elements are row-major and dense.
  bool is_contiguous() const noexcept {
    std::size_t expected = 1;
    for (std::size_t i = dim(); i-- > 0;) {
      if (impl_->shape[i] != 1 && impl_->strides[i] != expected) return false;
      expected *= impl_->shape[i];
    }
    return true;
  }

  /// Element access with bounds checks (ValueError when an index is out of range).
  template <class... I>
  T& operator()(I... idx) {
    return data()[linear_index("operator()", {static_cast<long>(idx)...})];
  }
  template <class... I>
  const T& operator()(I... idx) const {
    return data()[linear_index("operator()", {static_cast<long>(idx)...})];
  }

  /// The value of a one-element tensor.
  T item() const {
    if (size() != 1)
      detail::throw_value_error("item: tensor of shape " + to_string(shape()) +
                                " has " + std::to_string(size()) + " elements, expected 1");
    return *data();
  }

  /// Elements in row-major order.
  std::vector<T> to_vector() const {
    std::vector<T> out(size());
    copy_to(out.data());
    return out;
  }

  /// Copies elements in row-major order into `dst` (size() elements).
  void copy_to(T* dst) const {
    if (is_contiguous()) {
      std::copy(data(), data() + size(), dst);
      return;
    }
    const std::size_t n = size();
    const std::size_t nd = dim();
    Shape idx;
    for (std::size_t d = 0; d < nd; ++d) idx.push_back(0);
    const T* base = data();
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t off = 0;
      for (std::size_t d = 0; d < nd; ++d) off += idx[d] * impl_->strides[d];
      dst[k] = base[off];
      for (std::size_t d = nd; d-- > 0;) {
        if (++idx[d] < impl_->shape[d]) break;
        idx[d] = 0;
      }
    }
  }

  /// This tensor if already contiguous, otherwise a dense row-major copy.
  Tensor contiguous() const {
    if (is_contiguous()) return *this;
    return from_vector(to_vector(), shape());
  }

  /// A deep copy with its own storage.
  Tensor clone() const { return from_vector(to_vector(), shape()); }

  /// Element-type conversion (always copies).
  template <class U>
  Tensor<U> to() const {
    std::vector<T> v = to_vector();
    std::vector<U> out(v.begin(), v.end());
    return Tensor<U>::from_vector(std::move(out), shape());
  }

  /// A view sharing storage with the given shape/strides/offset (no checks: internal use).
  Tensor view_as(const Shape& shape, const Shape& strides, std::size_t offset) const {
    Tensor t(*this, detail::TensorImpl<T>{impl_->storage, offset, shape, strides});
    return t;
  }

  /// True when both handles refer to the same tensor state.
  bool is_same(const Tensor& other) const noexcept { return impl_ == other.impl_; }
  /// True when both tensors view the same storage.
  bool shares_storage(const Tensor& other) const noexcept {
    return impl_->storage == other.impl_->storage;
  }

protected:
  Tensor(const Tensor&, detail::TensorImpl<T> impl)
      : impl_(std::make_shared<detail::TensorImpl<T>>(std::move(impl))) {}

  std::size_t linear_index(const char* op, std::initializer_list<long> idx) const {
    if (idx.size() != dim())
      detail::throw_value_error(std::string(op) + ": " + std::to_string(idx.size()) +
                                " indices for a tensor of shape " + to_string(shape()));
    std::size_t off = 0, axis = 0;
    for (long i : idx) {
      const std::size_t extent = impl_->shape[axis];
      const long j = i < 0 ? i + static_cast<long>(extent) : i;
      if (j < 0 || static_cast<std::size_t>(j) >= extent) detail::throw_index_error(op, axis, i, extent);
      off += static_cast<std::size_t>(j) * impl_->strides[axis];
      ++axis;
    }
    return off;
  }

  std::shared_ptr<detail::TensorImpl<T>> impl_;
};

}  // namespace grove

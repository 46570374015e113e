#pragma once
/// \file Tensor<T>: shared storage with value semantics (copies share data, as in PyTorch),
/// shape and strides, factories and element access.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/core/shape.hpp"
#include "grove/autograd/node.hpp"

namespace grove {

template <class T>
class Tensor;

namespace detail {

/// Alignment of every buffer a tensor allocates: one AVX-512 register. SIMD kernels then start
/// each block on the same lane boundary wherever the allocator placed the data, so results do not
/// depend on heap layout (which differs with the thread count).
inline constexpr std::size_t kTensorAlignment = 64;

struct AlignedDelete {
  void operator()(void* p) const noexcept { ::operator delete(p, std::align_val_t{kTensorAlignment}); }
};

/// A flat element buffer shared by a tensor and its views. Either owns a moved-in vector
/// (from_vector) or an aligned array, uninitialized for results of ops (which write every
/// element: this saves a zero-fill pass) or zero-filled.
template <class T>
class Storage {
public:
  struct Uninitialized {};
  Storage(std::size_t n, Uninitialized) : buf_(allocate(n)), data_(static_cast<T*>(buf_.get())), size_(n) {}
  explicit Storage(std::size_t n) : Storage(n, Uninitialized{}) { std::fill(data_, data_ + n, T(0)); }
  explicit Storage(std::vector<T>&& v) : vec_(std::move(v)), data_(vec_.data()), size_(vec_.size()) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }

private:
  static void* allocate(std::size_t n) {
    return n ? ::operator new(n * sizeof(T), std::align_val_t{kTensorAlignment}) : nullptr;
  }
  std::unique_ptr<void, AlignedDelete> buf_;
  std::vector<T> vec_;
  T* data_;
  std::size_t size_;
};

/// The state a Tensor handle points at. Copies of a Tensor share one TensorImpl.
template <class T>
struct TensorImpl {
  std::shared_ptr<Storage<T>> storage;  ///< shared by views
  std::size_t offset = 0;               ///< first element, in elements
  Shape shape;
  Shape strides;
  // Autograd state (floating T only).
  bool requires_grad = false;            ///< a leaf whose gradient is accumulated in `grad`
  std::shared_ptr<TensorImpl> grad;      ///< accumulated gradient (leaves), own contiguous storage
  std::shared_ptr<Node<T>> grad_fn;      ///< the op that produced this tensor (non-leaves)
};

template <class T>
void record_copy(const Tensor<T>& in, Tensor<T>& out);

/// Element count of a new tensor of `shape`, checked before anything is allocated: a count that
/// overflows size_t is a ShapeError, one whose bytes exceed the allocation limit
/// (set_allocation_limit) a ValueError; both name `op` and the shape.
template <class T>
std::size_t tensor_elements(const Shape& shape, const char* op) {
  const std::size_t n = shape.checked_numel(op);
  if (!fits_allocation(n, sizeof(T))) check_allocation(op, "shape " + to_string(shape), n, sizeof(T));
  return n;
}

/// Internal access to a Tensor's state for ops, kernels and the autograd engine.
struct TensorAccess {
  template <class T>
  static const std::shared_ptr<TensorImpl<T>>& impl(const Tensor<T>& t) noexcept {
    return t.impl_;
  }
  template <class T>
  static Tensor<T> wrap(std::shared_ptr<TensorImpl<T>> impl) noexcept {
    return Tensor<T>(std::move(impl), 0);
  }
  /// A contiguous tensor whose elements are not initialized: the caller writes all of them.
  /// `op` names the caller when the shape is too large (see tensor_elements).
  template <class T>
  static Tensor<T> uninitialized(const Shape& shape, const char* op = "Tensor") {
    auto impl = std::make_shared<TensorImpl<T>>();
    impl->storage =
        std::make_shared<Storage<T>>(tensor_elements<T>(shape, op), typename Storage<T>::Uninitialized{});
    impl->shape = shape;
    impl->strides = contiguous_strides(shape);
    return Tensor<T>(std::move(impl), 0);
  }
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_unrepresentable(std::size_t i, double value, double lo,
                                                                          double hi) {
  throw_value_error("to: element " + std::to_string(i) + " = " + format_number(value) +
                    " does not fit the target type (range [" + format_number(lo) + ", " + format_number(hi) + "])");
}

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

  /// A zero-filled tensor of the given shape. Shapes whose element count overflows size_t are a
  /// ShapeError; shapes larger than the allocation limit a ValueError (nothing is allocated).
  explicit Tensor(const Shape& shape) : Tensor(shape, "Tensor") {}

  /// Zeros of the given shape.
  static Tensor zeros(const Shape& shape) { return Tensor(shape, "Tensor::zeros"); }
  /// Ones of the given shape.
  static Tensor ones(const Shape& shape) { return filled(shape, T(1), "Tensor::ones"); }
  /// A tensor of the given shape filled with `value`.
  static Tensor full(const Shape& shape, T value) { return filled(shape, value, "Tensor::full"); }
  /// Takes ownership of `values` laid out row-major in `shape`; sizes must agree.
  static Tensor from_vector(std::vector<T> values, const Shape& shape) {
    if (values.size() != shape.checked_numel("from_vector"))
      detail::throw_shape_error("from_vector: " + std::to_string(values.size()) +
                                " values do not fill shape " + to_string(shape));
    Tensor t(Shape{0});
    t.impl_->storage = std::make_shared<detail::Storage<T>>(std::move(values));
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
    Tensor t = detail::TensorAccess::uninitialized<T>(Shape{n}, "Tensor::arange");
    T* p = t.data();
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<T>(i);
    return t;
  }
  /// Standard normal draws from `rng`.
  static Tensor randn(const Shape& shape, Rng& rng) {
    Tensor t = detail::TensorAccess::uninitialized<T>(shape, "Tensor::randn");
    for (T& v : *t.impl_->storage) v = static_cast<T>(rng.normal());
    return t;
  }
  /// Uniform draws in [lo, hi) from `rng`; lo and hi finite with lo <= hi (else a ValueError).
  static Tensor uniform(const Shape& shape, double lo, double hi, Rng& rng) {
    detail::check_finite("Tensor::uniform", "lo", lo);
    detail::check_finite("Tensor::uniform", "hi", hi);
    detail::check_range("Tensor::uniform", "hi", hi, {.lo = lo});
    Tensor t = detail::TensorAccess::uninitialized<T>(shape, "Tensor::uniform");
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

  /// This tensor if already contiguous, otherwise a dense row-major copy (which stays in the
  /// autograd graph: gradients flow back through the copy).
  Tensor contiguous() const {
    if (is_contiguous()) return *this;
    return clone();
  }

  /// A deep copy with its own storage (recorded by autograd like any op).
  Tensor clone() const {
    Tensor out = detail::TensorAccess::uninitialized<T>(shape());
    copy_to(out.data());
    detail::record_copy(*this, out);
    return out;
  }

  /// Element-type conversion (always copies; the result is not part of any autograd graph).
  /// Floating values converted to an integer type are truncated and must fit it: NaN, inf or an
  /// out-of-range value is a ValueError (the cast itself would be undefined behaviour).
  template <class U>
  Tensor<U> to() const {
    std::vector<T> v = to_vector();
    if constexpr (std::is_floating_point_v<T> && std::is_integral_v<U> && !std::is_same_v<U, bool>) {
      const double lo = static_cast<double>(std::numeric_limits<U>::min());
      const double hi = std::ldexp(1.0, std::numeric_limits<U>::digits);  // max + 1, exact
      for (std::size_t i = 0; i < v.size(); ++i) {
        const double t = std::trunc(static_cast<double>(v[i]));
        if (!(t >= lo && t < hi)) detail::throw_unrepresentable(i, static_cast<double>(v[i]), lo, hi - 1);
      }
    }
    std::vector<U> out(v.begin(), v.end());
    return Tensor<U>::from_vector(std::move(out), shape());
  }

  /// A view sharing storage with the given shape/strides/offset (no checks: internal use).
  Tensor view_as(const Shape& shape, const Shape& strides, std::size_t offset) const {
    auto impl = std::make_shared<detail::TensorImpl<T>>();
    impl->storage = impl_->storage;
    impl->offset = offset;
    impl->shape = shape;
    impl->strides = strides;
    return Tensor(std::move(impl), 0);
  }

  /// True when both handles refer to the same tensor state.
  bool is_same(const Tensor& other) const noexcept { return impl_ == other.impl_; }
  /// True when both tensors view the same storage.
  bool shares_storage(const Tensor& other) const noexcept {
    return impl_->storage == other.impl_->storage;
  }

  // ---- autograd (floating T; integer tensors have no autograd) ----

  /// Marks a leaf tensor as needing gradients; returns *this. Integer tensors: ValueError.
  Tensor& requires_grad(bool on) {
    if constexpr (!std::is_floating_point_v<T>) {
      if (on) detail::throw_value_error("requires_grad: integer tensors have no autograd");
    } else {
      if (impl_->grad_fn)
        detail::throw_value_error("requires_grad: only leaf tensors can change requires_grad; call "
                                  "detach() first to get a leaf");
    }
    impl_->requires_grad = on;
    return *this;
  }
  /// True when gradients flow to this tensor (a leaf marked requires_grad, or an op result
  /// recorded in a graph).
  bool requires_grad() const noexcept { return impl_->requires_grad || impl_->grad_fn != nullptr; }
  /// True when this tensor was not produced by a recorded op.
  bool is_leaf() const noexcept { return impl_->grad_fn == nullptr; }
  /// True when backward() has accumulated a gradient into this (leaf) tensor.
  bool has_grad() const noexcept { return impl_->grad != nullptr; }
  /// The accumulated gradient (shares storage: optimizers may update it in place); zeros of
  /// this shape when none has been accumulated yet.
  Tensor grad() const {
    if (impl_->grad) return Tensor(impl_->grad, 0);
    return Tensor(shape());
  }
  /// Sets the accumulated gradient to zero (keeps its buffer).
  void zero_grad() noexcept {
    if (impl_->grad) std::fill(impl_->grad->storage->begin(), impl_->grad->storage->end(), T(0));
  }
  /// A tensor sharing this one's data but outside the graph (a leaf without requires_grad).
  Tensor detach() const { return view_as(shape(), strides(), offset()); }
  /// Reverse-mode autodiff from this one-element tensor: accumulates d(this)/d(leaf) into the
  /// grad() of every leaf that requires grad, then releases the graph. (autograd/engine.hpp)
  void backward() const;
  /// backward() seeded with d(loss)/d(this) = `gradient` (same shape as this tensor).
  void backward(const Tensor& gradient) const;

  // ---- member forms of ops (defined next to the free functions in tensor/*.hpp) ----

  /// Sum of all elements, as a 0-d tensor (shape [], one value; item() reads it).
  Tensor sum() const;
  /// Sum over `axis`; keepdim keeps it with extent 1.
  Tensor sum(long axis, bool keepdim = false) const;
  /// Mean of all elements.
  Tensor mean() const;
  /// Mean over `axis`.
  Tensor mean(long axis, bool keepdim = false) const;
  /// Maximum over `axis` (gradient goes to the first maximal element).
  Tensor max(long axis, bool keepdim = false) const;
  /// Index of the first maximum over `axis`.
  Tensor<std::int64_t> argmax(long axis, bool keepdim = false) const;
  /// Swaps the last two axes (a view).
  Tensor transpose() const;
  /// Swaps axes a and b (a view).
  Tensor transpose(long a, long b) const;
  /// Same elements in a new shape (a view when contiguous).
  Tensor reshape(const Shape& new_shape) const;
  /// Elements [begin, end) along `axis` (a view).
  Tensor slice(long axis, std::size_t begin, std::size_t end) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  /// Elementwise x^p.
  Tensor pow(double p) const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor gelu() const;
  Tensor softmax(long axis = -1) const;
  Tensor log_softmax(long axis = -1) const;
  /// Matrix product with `other` (see grove::matmul).
  Tensor matmul(const Tensor& other) const;

protected:
  friend struct detail::TensorAccess;
  Tensor(std::shared_ptr<detail::TensorImpl<T>> impl, int) noexcept : impl_(std::move(impl)) {}
  Tensor(const Shape& shape, const char* op) : impl_(std::make_shared<detail::TensorImpl<T>>()) {
    impl_->storage = std::make_shared<detail::Storage<T>>(detail::tensor_elements<T>(shape, op));
    impl_->shape = shape;
    impl_->strides = contiguous_strides(shape);
  }
  static Tensor filled(const Shape& shape, T value, const char* op) {
    Tensor t = detail::TensorAccess::uninitialized<T>(shape, op);
    std::fill(t.impl_->storage->begin(), t.impl_->storage->end(), value);
    return t;
  }

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

namespace detail {

/// True when an op on these inputs must record a graph node.
template <class T, class... Ts>
inline bool needs_graph(const Tensor<T>& a, const Ts&... rest) noexcept {
  if constexpr (!std::is_floating_point_v<T>) {
    return false;
  } else {
    if (!GradMode::enabled()) return false;
    return (a.requires_grad() || ... || rest.requires_grad());
  }
}

/// Makes `node` (inputs given) the grad_fn of `out`.
template <class T, class N, class... Ts>
inline void attach_node(Tensor<T>& out, std::shared_ptr<N> node, const Ts&... inputs) {
  static_assert(sizeof...(Ts) <= 2, "attach_node: use Node::more for more than two inputs");
  std::size_t i = 0;
  ((node->inline_inputs[i++] = TensorAccess::impl(inputs)), ...);
  node->n_inline = sizeof...(Ts);
  const auto& out_impl = TensorAccess::impl(out);
  node->out = out_impl.get();
  out_impl->grad_fn = std::move(node);
}

/// clone()/contiguous(): the gradient passes through unchanged.
template <class T>
struct CopyNode final : Node<T> {
  const char* name() const noexcept override { return "clone"; }
  void backward(const Tensor<T>& g, GradSink<T>& sink) override { sink.add(0, g); }
};

template <class T>
inline void record_copy(const Tensor<T>& in, Tensor<T>& out) {
  if constexpr (std::is_floating_point_v<T>) {
    if (needs_graph(in)) attach_node(out, std::make_shared<CopyNode<T>>(), in);
  }
}

}  // namespace detail
}  // namespace grove

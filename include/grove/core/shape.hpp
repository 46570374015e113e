#pragma once
/// \file Shape: a small inline array of extents (no heap allocation up to kMaxDims).

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "grove/core/error.hpp"

namespace grove {

/// Extents of a tensor, outermost first. Stored inline: tensors up to kMaxDims dimensions.
class Shape {
public:
  static constexpr std::size_t kMaxDims = 8;

  Shape() = default;
  Shape(std::initializer_list<std::size_t> dims) { assign(dims.begin(), dims.end()); }
  Shape(const std::vector<std::size_t>& dims) { assign(dims.begin(), dims.end()); }  // NOLINT: implicit by design
  template <class It>
  Shape(It first, It last) {
    assign(first, last);
  }

  /// Number of dimensions.
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  std::size_t operator[](std::size_t i) const noexcept { return d_[i]; }
  std::size_t& operator[](std::size_t i) noexcept { return d_[i]; }
  const std::size_t* begin() const noexcept { return d_; }
  const std::size_t* end() const noexcept { return d_ + n_; }
  std::size_t* begin() noexcept { return d_; }
  std::size_t* end() noexcept { return d_ + n_; }
  std::size_t back() const noexcept { return d_[n_ - 1]; }

  void push_back(std::size_t v) {
    if (n_ == kMaxDims) too_many(n_ + 1);
    d_[n_++] = v;
  }
  void insert(std::size_t pos, std::size_t v) {
    if (n_ == kMaxDims) too_many(n_ + 1);
    for (std::size_t i = n_; i > pos; --i) d_[i] = d_[i - 1];
    d_[pos] = v;
    ++n_;
  }
  void erase(std::size_t pos) {
    for (std::size_t i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
    --n_;
  }

  /// Product of the extents (1 for a scalar shape, 0 when any extent is 0). A product that does
  /// not fit in size_t is a ShapeError: "Shape::numel: shape [9223372036854775809,2] has more
  /// elements than fit in size_t".
  std::size_t numel() const { return checked_numel("Shape::numel"); }

  /// numel() with `op` naming the caller in the error.
  std::size_t checked_numel(const char* op) const {
    if (numel_overflows()) too_large(op);
    std::size_t p = 1;
    for (std::size_t i = 0; i < n_; ++i) p *= d_[i];
    return p;
  }

  /// True when the element count does not fit in size_t (never for a shape with a 0 extent).
  bool numel_overflows() const noexcept {
    std::size_t p = 1;
    bool overflow = false;
    for (std::size_t i = 0; i < n_; ++i) {
      if (d_[i] == 0) return false;
      overflow = __builtin_mul_overflow(p, d_[i], &p) || overflow;
    }
    return overflow;
  }

  std::vector<std::size_t> to_vector() const { return {begin(), end()}; }

  friend bool operator==(const Shape& a, const Shape& b) noexcept {
    return a.n_ == b.n_ && std::equal(a.begin(), a.end(), b.begin());
  }

private:
  template <class It>
  void assign(It first, It last) {
    std::size_t n = 0;
    for (It it = first; it != last; ++it) {
      if (n == kMaxDims) too_many(static_cast<std::size_t>(std::distance(first, last)));
      d_[n++] = static_cast<std::size_t>(*it);
    }
    n_ = n;
  }
  [[noreturn, gnu::cold]] void too_large(const char* op) const;
  [[noreturn, gnu::cold]] static void too_many(std::size_t n) {
    detail::throw_value_error("Shape: " + std::to_string(n) + " dimensions, at most " +
                              std::to_string(kMaxDims) + " supported");
  }

  std::size_t d_[kMaxDims] = {};
  std::size_t n_ = 0;
};

/// "[2,3]" — the form every shape error uses.
inline std::string to_string(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(s[i]);
  }
  out += ']';
  return out;
}

inline void Shape::too_large(const char* op) const {
  detail::throw_shape_error(std::string(op) + ": shape " + to_string(*this) +
                            " has more elements than fit in size_t");
}

/// Row-major (C order) strides for a shape, in elements.
inline Shape contiguous_strides(const Shape& shape) {
  Shape strides = shape;
  std::size_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/// NumPy broadcasting of two shapes; throws ShapeError naming `op` and both shapes.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(1);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      detail::throw_shape_error(std::string(op) + ": cannot broadcast " + to_string(a) + " and " +
                                to_string(b));
    out[i] = da == 1 ? db : da;
  }
  if (out.numel_overflows())
    detail::throw_shape_error(std::string(op) + ": broadcasting " + to_string(a) + " and " + to_string(b) +
                              " gives " + to_string(out) + ", which has more elements than fit in size_t");
  return out;
}

/// Resolve a possibly negative axis against `ndim`; throws ValueError when out of range.
inline std::size_t normalize_axis(long axis, std::size_t ndim, const char* op) {
  const long n = static_cast<long>(ndim);
  if (axis < -n || axis >= n)
    detail::throw_value_error(std::string(op) + ": axis " + std::to_string(axis) +
                              " out of range for a " + std::to_string(ndim) + "-d tensor (allowed [" +
                              std::to_string(-n) + ", " + std::to_string(n - 1) + "])");
  return static_cast<std::size_t>(axis < 0 ? axis + n : axis);
}

}  // namespace grove

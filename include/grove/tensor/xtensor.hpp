#pragma once
/// \file xtensor interop: from_xtensor / to_xtensor copies and xtensor_view, a zero-copy
/// xtensor adaptor over a tensor's elements.

#include <cstddef>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "grove/core/shape.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {

/// A tensor holding a copy of any xtensor expression (evaluated in row-major order).
template <class E>
Tensor<typename E::value_type> from_xtensor(const xt::xexpression<E>& e) {
  using T = typename E::value_type;
  // The shape is checked before xtensor evaluates (and allocates) the expression.
  Shape shape;
  for (const auto d : e.derived_cast().shape()) shape.push_back(static_cast<std::size_t>(d));
  detail::tensor_elements<T>(shape, "from_xtensor");
  const xt::xarray<T, xt::layout_type::row_major> a = e.derived_cast();
  return Tensor<T>::from_vector(std::vector<T>(a.data(), a.data() + a.size()), shape);
}

/// A row-major xt::xarray copy of a tensor.
template <class T>
xt::xarray<T, xt::layout_type::row_major> to_xtensor(const Tensor<T>& t) {
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  xt::xarray<T, xt::layout_type::row_major> a(shape);
  t.copy_to(a.data());
  return a;
}

/// A zero-copy xtensor view of t's elements (any strides; writes change the tensor). The
/// tensor's storage must outlive the view.
template <class T>
auto xtensor_view(Tensor<T>& t) {
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  std::vector<std::size_t> strides(t.strides().begin(), t.strides().end());
  // The adaptor needs the extent of memory it spans: last element's offset + 1.
  std::size_t span = t.size() == 0 ? 0 : 1;
  for (std::size_t d = 0; d < t.dim() && t.size() != 0; ++d) span += (t.shape()[d] - 1) * t.strides()[d];
  return xt::adapt(t.data(), span, xt::no_ownership(), shape, strides);
}

}  // namespace grove

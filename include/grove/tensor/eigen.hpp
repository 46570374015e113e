#pragma once
/// \file Eigen interop: from_eigen / to_eigen copies (row-major Eigen::Matrix) and eigen_map,
/// a zero-copy Eigen::Map view of a 2-D tensor.

#include <cstddef>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "grove/core/error.hpp"
#include "grove/core/shape.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {

/// Row-major dynamic Eigen matrix, the layout grove tensors use.
template <class T>
using EigenMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Mutable zero-copy view of a 2-D tensor (rows may be strided, elements within a row dense).
template <class T>
using EigenMap = Eigen::Map<EigenMatrix<T>, 0, Eigen::OuterStride<>>;
/// Read-only zero-copy view of a 2-D tensor.
template <class T>
using ConstEigenMap = Eigen::Map<const EigenMatrix<T>, 0, Eigen::OuterStride<>>;

namespace detail {
template <class T>
void check_eigen_2d(const Tensor<T>& t, const char* op) {
  if (t.dim() != 2)
    throw_shape_error(std::string(op) + ": needs a 2-D tensor, got shape " + to_string(t.shape()));
}
template <class T>
void check_mappable(const Tensor<T>& t, const char* op) {
  check_eigen_2d(t, op);
  if (t.strides()[1] != 1 && t.shape()[1] > 1)
    throw_value_error(std::string(op) + ": tensor of shape " + to_string(t.shape()) + " has column stride " +
                      std::to_string(t.strides()[1]) + " (e.g. a transposed view); call contiguous() first");
}
}  // namespace detail

/// A [rows, cols] tensor holding a copy of any Eigen matrix or vector expression.
template <class Derived>
Tensor<typename Derived::Scalar> from_eigen(const Eigen::DenseBase<Derived>& m) {
  using T = typename Derived::Scalar;
  // Checked before Eigen evaluates (and allocates) rows x cols.
  const Shape shape{static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())};
  detail::tensor_elements<T>(shape, "from_eigen");
  const EigenMatrix<T> dense = m;  // evaluates the expression in row-major order
  std::vector<T> values(dense.data(), dense.data() + dense.size());
  return Tensor<T>::from_vector(std::move(values), shape);
}

/// A row-major Eigen copy of a 2-D tensor (ShapeError for other ranks).
template <class T>
EigenMatrix<T> to_eigen(const Tensor<T>& t) {
  detail::check_eigen_2d(t, "to_eigen");
  EigenMatrix<T> m(static_cast<Eigen::Index>(t.shape()[0]), static_cast<Eigen::Index>(t.shape()[1]));
  t.copy_to(m.data());
  return m;
}

/// A zero-copy Eigen view of a 2-D tensor: writes through it change the tensor. The tensor's
/// storage must outlive the map. A transposed view (column stride != 1) is a ValueError.
template <class T>
EigenMap<T> eigen_map(Tensor<T>& t) {
  detail::check_mappable(t, "eigen_map");
  const auto ld = static_cast<Eigen::Index>(std::max<std::size_t>(t.strides()[0], t.shape()[1]));
  return EigenMap<T>(t.data(), static_cast<Eigen::Index>(t.shape()[0]), static_cast<Eigen::Index>(t.shape()[1]),
                     Eigen::OuterStride<>(ld));
}
/// Read-only zero-copy view of a 2-D tensor.
template <class T>
ConstEigenMap<T> eigen_map(const Tensor<T>& t) {
  detail::check_mappable(t, "eigen_map");
  const auto ld = static_cast<Eigen::Index>(std::max<std::size_t>(t.strides()[0], t.shape()[1]));
  return ConstEigenMap<T>(t.data(), static_cast<Eigen::Index>(t.shape()[0]),
                          static_cast<Eigen::Index>(t.shape()[1]), Eigen::OuterStride<>(ld));
}

}  // namespace grove

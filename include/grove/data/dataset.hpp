#pragma once
/// \file Dataset<T>: a feature matrix with its target and names; row subsets by index.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/shape.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::data {

/// Features X (n x d), target y (n; empty [0] when the data has no target) and the names that
/// make them readable. A label-encoded target holds class indices: class_names[k] is label k.
/// An ordinal-encoded feature j holds category indices: categories[j][c] is category c
/// (categories is empty, or has one entry per feature that is empty for a numeric feature).
template <class T>
struct Dataset {
  Tensor<T> X = Tensor<T>::zeros(Shape{0, 0});  ///< n x d features, row-major
  Tensor<T> y = Tensor<T>::zeros(Shape{0});     ///< n targets (or [0] when there is no target)
  std::vector<std::string> feature_names;       ///< d column names (header names, or "0", "1", ... without one)
  std::vector<std::string> class_names;         ///< sorted labels of a label-encoded target; empty otherwise
  std::vector<std::vector<std::string>> categories;  ///< per feature: sorted categories (see above)

  /// Number of rows.
  std::size_t size() const noexcept { return X.dim() >= 1 ? X.shape()[0] : 0; }
  /// Number of feature columns.
  std::size_t n_features() const noexcept { return X.dim() == 2 ? X.shape()[1] : 0; }
  /// True when y holds one value per row.
  bool has_target() const noexcept { return y.dim() == 1 && y.shape()[0] == size() && size() > 0; }
};

namespace detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_row_index(const char* op, std::size_t pos,
                                                                    std::size_t index, std::size_t rows) {
  grove::detail::throw_value_error(std::string(op) + ": indices[" + std::to_string(pos) + "] = " +
                                   std::to_string(index) + " out of range for " + std::to_string(rows) + " rows");
}

}  // namespace detail

/// Rows `indices` (along axis 0, any order, repeats allowed) of a tensor with at least one
/// dimension, as a new contiguous tensor. An index >= shape[0] is a ValueError.
template <class T>
Tensor<T> take_rows(const Tensor<T>& t, const std::vector<std::size_t>& indices) {
  if (t.dim() == 0) grove::detail::throw_value_error("take_rows: tensor of shape [] has no rows");
  const std::size_t rows = t.shape()[0];
  for (std::size_t i = 0; i < indices.size(); ++i)
    if (indices[i] >= rows) detail::throw_row_index("take_rows", i, indices[i], rows);
  Shape out_shape = t.shape();
  out_shape[0] = indices.size();
  Tensor<T> out(out_shape);
  const Tensor<T> src = t.contiguous();
  const std::size_t row_size = rows ? src.size() / rows : 0;
  const T* s = src.data();
  T* d = out.data();
  for (std::size_t i = 0; i < indices.size(); ++i)
    std::copy(s + indices[i] * row_size, s + (indices[i] + 1) * row_size, d + i * row_size);
  return out;
}

/// The rows `indices` of a dataset (X and, if present, y); names and categories are kept.
template <class T>
Dataset<T> subset(const Dataset<T>& ds, const std::vector<std::size_t>& indices) {
  const std::size_t rows = ds.size();
  for (std::size_t i = 0; i < indices.size(); ++i)
    if (indices[i] >= rows) detail::throw_row_index("subset", i, indices[i], rows);
  Dataset<T> out;
  out.X = take_rows(ds.X, indices);
  out.y = ds.has_target() ? take_rows(ds.y, indices) : Tensor<T>::zeros(Shape{0});
  out.feature_names = ds.feature_names;
  out.class_names = ds.class_names;
  out.categories = ds.categories;
  return out;
}

}  // namespace grove::data

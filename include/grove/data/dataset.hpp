#pragma once
/// \file Dataset<T>: a feature matrix with its target, names, column kinds and the columns a
/// loader dropped; its Schema; row subsets by index.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/shape.hpp"
#include "grove/data/schema.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::data {

/// Why a loader left a column of the file out of X.
enum class DropReason : std::uint8_t {
  Requested,    ///< listed in CsvOptions::drop
  NotSelected,  ///< CsvOptions::columns was given and did not list it
  NotInSchema,  ///< loading with a schema that has no such feature
  AllMissing,   ///< inferred: every cell is missing
  Identifier,   ///< inferred: an identifier or free text (nearly every value distinct, or the row number)
};

/// A column of the file that is not in X, and why (loaders never drop a column silently).
struct DroppedColumn {
  std::string name;        ///< header name ("0", "1", ... without a header)
  std::size_t column = 0;  ///< 0-based position in the file
  DropReason reason = DropReason::Requested;
  std::string detail;  ///< human-readable reason, e.g. "identifier or free text: 534 distinct values in 534 rows"

  friend bool operator==(const DroppedColumn&, const DroppedColumn&) = default;
};

/// A data row a loader skipped (CsvOptions::bad_rows = BadRows::Skip), with the error it had.
struct BadRow {
  std::size_t line = 0;    ///< 1-based line where the record starts
  std::size_t column = 0;  ///< 1-based field of the first problem (0: the row as a whole)
  std::string message;     ///< the FormatError text the row would have raised

  friend bool operator==(const BadRow&, const BadRow&) = default;
};

/// Features X (n x d), target y (n; empty [0] when the data has no target) and the names that
/// make them readable. A label-encoded target holds class indices: class_names[k] is label k.
/// A categorical feature j holds category codes: categories[j][c] is category c; missing or
/// unseen categories are NaN.
template <class T>
struct Dataset {
  Tensor<T> X = Tensor<T>::zeros(Shape{0, 0});  ///< n x d features, row-major
  Tensor<T> y = Tensor<T>::zeros(Shape{0});     ///< n targets (or [0] when there is no target)
  std::vector<std::string> feature_names;       ///< d column names (header names, or "0", "1", ... without one)
  std::vector<std::string> class_names;         ///< sorted labels of a label-encoded target; empty otherwise
  /// Per feature: its sorted categories (empty for a numeric feature); may be empty as a whole.
  std::vector<std::vector<std::string>> categories;
  /// Per feature: Numeric or Categorical. Empty means "categorical where categories[j] is non-empty".
  std::vector<ColumnKind> feature_kinds;
  std::string target_name;  ///< the target column's name ("" when unknown or absent)
  /// Numeric (regression), Categorical (classes) or None; Auto: decided from class_names and y.
  TargetKind target_kind = TargetKind::Auto;
  std::vector<DroppedColumn> dropped_columns;  ///< file columns left out of X, in file order
  std::vector<BadRow> skipped_rows;            ///< rows skipped as bad (BadRows::Skip), in file order

  /// Number of rows.
  std::size_t size() const noexcept { return X.dim() >= 1 ? X.shape()[0] : 0; }
  /// Number of feature columns.
  std::size_t n_features() const noexcept { return X.dim() == 2 ? X.shape()[1] : 0; }
  /// True when y holds one value per row.
  bool has_target() const noexcept { return y.dim() == 1 && y.shape()[0] == size() && size() > 0; }

  /// The kind of feature j (see feature_kinds).
  ColumnKind feature_kind(std::size_t j) const noexcept {
    if (j < feature_kinds.size()) return feature_kinds[j];
    return j < categories.size() && !categories[j].empty() ? ColumnKind::Categorical : ColumnKind::Numeric;
  }

  /// Indices of the categorical features, ascending: what tree models take as categorical_features.
  std::vector<std::size_t> categorical_features() const {
    std::vector<std::size_t> out;
    for (std::size_t j = 0; j < n_features(); ++j)
      if (feature_kind(j) == ColumnKind::Categorical) out.push_back(j);
    return out;
  }

  /// The encoding of this data set: load_csv(other, {.schema = ds.schema()}) reads another file
  /// with the same columns, category codes and class codes.
  Schema schema() const {
    Schema s;
    const std::size_t d = n_features();
    s.features.resize(d);
    for (std::size_t j = 0; j < d; ++j) {
      Column& c = s.features[j];
      c.name = j < feature_names.size() ? feature_names[j] : std::to_string(j);
      c.kind = feature_kind(j);
      if (c.kind == ColumnKind::Categorical && j < categories.size()) c.categories = categories[j];
    }
    s.target = target_name;
    s.target_kind = target_kind;
    if (s.target_kind == TargetKind::Auto)
      s.target_kind = !class_names.empty() ? TargetKind::Categorical
                      : y.size() > 0       ? TargetKind::Numeric
                                           : TargetKind::None;
    if (s.target_kind == TargetKind::Categorical) s.class_names = class_names;
    return s;
  }
};

}  // namespace grove::data

namespace grove::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_row_index(const char* op, std::size_t pos,
                                                                    std::size_t index, std::size_t rows) {
  throw_value_error(std::string(op) + ": indices[" + std::to_string(pos) + "] = " + std::to_string(index) +
                    " out of range for " + std::to_string(rows) + " rows");
}

}  // namespace grove::detail

namespace grove::data {

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

/// The rows `indices` of a dataset (X and, if present, y); names, kinds, categories and the
/// loader's notes (dropped columns, skipped rows) are kept.
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
  out.feature_kinds = ds.feature_kinds;
  out.target_name = ds.target_name;
  out.target_kind = ds.target_kind;
  out.dropped_columns = ds.dropped_columns;
  out.skipped_rows = ds.skipped_rows;
  return out;
}

}  // namespace grove::data

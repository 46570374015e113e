#pragma once
/// \file CsvReader<T>: reads a big CSV in batches of rows with a fixed encoding (a training
/// file's Schema, or numbers only), in constant memory: for scoring new data.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/shape.hpp"
#include "grove/data/csv_options.hpp"
#include "grove/data/csv_parser.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/schema.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::data {

/// Consecutive rows of a file read by CsvReader.
template <class T>
struct CsvBatch {
  Tensor<T> X;                     ///< rows x n_features, encoded with the reader's schema
  Tensor<T> y;                     ///< one target per row, or [0] when no target is read
  std::vector<std::size_t> lines;  ///< the 1-based line where each row of X starts
  std::vector<BadRow> bad_rows;    ///< rows of this stretch of the file left out (BadRows::Skip), in order

  /// Number of rows in X.
  std::size_t size() const noexcept { return lines.size(); }
  /// The line of the first row (0 when the batch holds only bad rows).
  std::size_t first_line() const noexcept { return lines.empty() ? 0 : lines.front(); }
};

/// Streams a CSV file in batches with a fixed encoding, for data too big to load at once:
///
///   data::CsvReader<float> reader("new.csv", {.schema = model_schema, .bad_rows = data::BadRows::Skip});
///   while (auto batch = reader.next(4096)) { predict(batch->X); report(batch->bad_rows); }
///
/// With .schema the file is read exactly as load_csv(path, {.schema = ...}) would, batch by batch.
/// Without one every feature column must hold numbers (categorical columns and a categorical
/// target need the schema their codes come from). Rows come in file order; memory is one batch
/// plus one read block. Options errors are ValueError; a file that does not fit the schema is a
/// FormatError from the constructor; bad rows throw from next() or are reported (BadRows::Skip).
template <class T>
class CsvReader {
  static_assert(std::is_floating_point_v<T>, "CsvReader<T>: T must be float or double (missing values are NaN)");

public:
  /// Opens the file and reads its header.
  explicit CsvReader(const std::string& path, const CsvOptions& options = {})
      : path_(path),
        parser_(std::make_unique<grove::detail::CsvParser<T>>(path, options, /*streaming=*/true, "CsvReader")),
        schema_(parser_->table().schema()) {}

  /// The next batch of up to `max_rows` records (rows plus skipped bad rows); std::nullopt once
  /// the file is exhausted.
  std::optional<CsvBatch<T>> next(std::size_t max_rows) {
    if (max_rows == 0) grove::detail::throw_value_error("CsvReader::next: max_rows must be >= 1, got 0");
    if (done_) return std::nullopt;
    const bool more = parser_->read(max_rows);
    CsvBatch<T> batch;
    parser_->table().take(batch.X, batch.y, batch.lines, batch.bad_rows);
    done_ = !more;
    if (batch.lines.empty() && batch.bad_rows.empty()) return std::nullopt;
    return batch;
  }

  /// The encoding of every batch: feature names and kinds, categories, target and classes.
  const Schema& schema() const noexcept { return schema_; }
  /// Columns of the file that are not read (not in the schema, listed in drop, ...).
  const std::vector<DroppedColumn>& dropped_columns() const noexcept { return parser_->table().dropped_columns(); }
  /// Number of feature columns of each batch's X.
  std::size_t n_features() const noexcept { return schema_.n_features(); }
  /// The file being read.
  const std::string& path() const noexcept { return path_; }

private:
  std::string path_;
  std::unique_ptr<grove::detail::CsvParser<T>> parser_;
  Schema schema_;
  bool done_ = false;
};

}  // namespace grove::data

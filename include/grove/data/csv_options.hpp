#pragma once
/// \file CsvOptions: how load_csv and CsvReader read a file (target, delimiter, column kinds,
/// a schema to load with, what to do with bad rows).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "grove/data/schema.hpp"

namespace grove::data {

/// A column chosen by header name or by 0-based index (negative counts from the end);
/// default-constructed it means the last column.
struct ColumnRef {
  /// The last column.
  ColumnRef() = default;
  /// The column with this header name.
  ColumnRef(const char* column_name) : name(column_name), by_name(true), is_default(false) {}  // NOLINT: implicit
  /// The column with this header name.
  ColumnRef(std::string column_name) : name(std::move(column_name)), by_name(true), is_default(false) {}  // NOLINT
  /// The column at this index (negative counts from the end: -1 is the last column).
  template <std::integral I>
  ColumnRef(I column_index) : index(static_cast<long long>(column_index)), is_default(false) {}  // NOLINT

  std::string name;      ///< header name when by_name
  long long index = -1;  ///< column index when !by_name
  bool by_name = false;
  bool is_default = true;
};

/// CsvOptions::delimiter value meaning "detect it": the first lines are tried with ',' ';' tab
/// and '|', and the one that splits every line into the same number (>= 2) of fields wins.
inline constexpr char kDetectDelimiter = '\0';

/// What a cell whose category a schema does not list becomes.
enum class UnseenCategory : std::uint8_t {
  Missing,  ///< NaN, like a missing cell (tree models send it the learned missing direction)
  Error,    ///< a FormatError (or a bad row) naming line, column and the category
};

/// What a data row with a bad cell or the wrong number of fields does.
enum class BadRows : std::uint8_t {
  Error,  ///< throw a FormatError naming path, line and column
  Skip,   ///< leave the row out and report it (Dataset::skipped_rows, CsvBatch::bad_rows)
};

/// Options of load_csv and CsvReader. The first fields are declared in the order DESIGN.md lists
/// them, so designated initializers such as {.target = "species", .delimiter = ';'} work; newer
/// fields come after them.
struct CsvOptions {
  ColumnRef target = {};   ///< target column (name or index); default: the last column
  bool header = true;      ///< first row holds column names
  char delimiter = kDetectDelimiter;  ///< field separator; default: detected (see kDetectDelimiter)
  /// Columns read as categories (sorted codes, every spelling kept: "01" and "1" differ). The
  /// target listed here is label-encoded.
  std::vector<ColumnRef> categorical = {};
  /// Cells equal to one of these (after trimming spaces and tabs) are missing: NaN. So is a cell
  /// that parses as a NaN number ("-nan", "nan(1)") in a column that holds numbers, also after
  /// the column turned to categories at its first text cell.
  std::vector<std::string> na_values = {"", "NA", "N/A", "NaN", "nan", "NULL", "null"};
  TargetKind target_kind = TargetKind::Auto;  ///< see TargetKind
  char quote = '"';                           ///< quote character (RFC 4180: '"')
  std::vector<ColumnRef> numeric = {};  ///< columns that must hold numbers (text is an error); the target too
  std::vector<ColumnRef> drop = {};     ///< columns left out (recorded in Dataset::dropped_columns)
  /// When non-empty: the only feature columns read, in this order (the target is read as well).
  std::vector<ColumnRef> columns = {};
  /// Load with a training file's encoding: its feature columns (matched by name, any order; extra
  /// columns are dropped), kinds, category codes, target and class codes. Not combined with
  /// categorical / numeric / drop / columns / target.
  std::optional<Schema> schema = std::nullopt;
  UnseenCategory unseen_category = UnseenCategory::Missing;  ///< with a schema: a category it does not list
  bool require_target = true;  ///< false: a file without the target column loads with an empty y
  BadRows bad_rows = BadRows::Error;  ///< what a malformed data row does
  /// Inference: a text column with more distinct values than this is an identifier or free text
  /// and is dropped.
  std::size_t max_categories = 1024;
  /// Inference: ... as is a text column with more distinct values than this share of its
  /// non-missing cells (when it has more than 16 distinct values).
  double max_category_share = 0.5;
};

}  // namespace grove::data

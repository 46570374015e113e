#pragma once
/// \file load_csv: reads a CSV file into a Dataset<T>, inferring what each column holds, or with
/// the encoding of a Schema. Streaming: one pass over the file in fixed-size blocks, each cell
/// parsed straight into the output, so peak memory is the output plus one block (and the
/// distinct values of text columns).

#include <string>
#include <type_traits>

#include "grove/data/csv_options.hpp"
#include "grove/data/csv_parser.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/schema.hpp"

namespace grove::data {

/// Reads a CSV file into a Dataset<T> (T: float or double).
///
/// Format: RFC 4180 (quoted fields may hold delimiters, line breaks and doubled quotes; LF or
/// CRLF; blank lines skipped; a UTF-8 byte order mark ignored). The delimiter is detected from
/// the first lines unless given (',' ';' tab '|'); a given delimiter that leaves the header as one
/// column while another splits every line evenly is a FormatError naming the likely one. Spaces
/// and tabs around cells and header names are trimmed; cells in na_values (and empty cells) are
/// missing: NaN in X.
///
/// Columns (without a schema): every column but the target is inferred from its values: numeric
/// when every non-missing cell is a number, categorical otherwise (sorted codes; numbers in such a
/// column are named by their shortest text, "01" -> "1"). Dropped, and recorded in
/// Dataset::dropped_columns: a text column with more than max_categories distinct values, or more
/// than max_category_share of its non-missing cells (and more than 16): an identifier or free
/// text; a column with every cell missing; a row index: a numeric column named like one ("",
/// "Unnamed: 0", "index", "row", "id", ...) holding the row number (0,1,2,... or 1,2,3,..., 16 rows
/// or more). Overrides: categorical (keeps every spelling), numeric (text is an error), drop,
/// columns (only these, in this order).
///
/// Target (default: the last column): TargetKind::Auto reads numbers (regression) unless a
/// value is text, then classes; Categorical label-encodes (classes sorted by value when all are
/// numbers, else as text); Numeric requires numbers; None reads no target. A missing target value
/// is an error. A number beyond T's range is a FormatError in every numeric or inferred column.
///
/// With .schema: columns are matched by name (any order; others dropped), read with the schema's
/// kinds, category codes and class codes; an unseen category is NaN (or an error with
/// unseen_category = UnseenCategory::Error); an unseen class, or a missing column, is an error.
///
/// Errors are FormatError naming path, line and column (with bad_rows = BadRows::Skip, bad data
/// rows are left out and listed in Dataset::skipped_rows instead); bad options are a ValueError.
template <class T>
Dataset<T> load_csv(const std::string& path, const CsvOptions& options = {}) {
  static_assert(std::is_floating_point_v<T>, "load_csv<T>: T must be float or double (missing values are NaN)");
  grove::detail::CsvParser<T> parser(path, options, /*streaming=*/false, "load_csv");
  parser.read(grove::detail::CsvParser<T>::kAll);
  return parser.table().finish(parser.line());
}

}  // namespace grove::data

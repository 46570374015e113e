#pragma once
/// \file CsvTable<T>: turns the cells of a CSV into X and y. Each column is read as numbers, as
/// categories learned from the file, or as categories fixed by a schema. Without a schema a
/// column's kind is inferred while streaming: it is numeric until its first text cell, then the
/// numbers seen so far are renamed by their shortest text and the column continues as categories;
/// at the end identifiers, free text and empty columns are dropped and category codes are
/// renumbered in sorted order.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/memory.hpp"
#include "grove/core/shape.hpp"
#include "grove/data/csv_number.hpp"
#include "grove/data/csv_options.hpp"
#include "grove/data/csv_source.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/schema.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// Transparent string hashing so category lookups do not build a std::string per cell.
struct CsvStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// The categories of one column: names in order of first appearance (or the schema's order) and
/// their codes.
struct CsvCategories {
  std::unordered_map<std::string, std::uint32_t, CsvStringHash, std::equal_to<>> codes;
  std::vector<std::string> names;

  std::uint32_t code(std::string_view s) {
    auto it = codes.find(s);
    if (it != codes.end()) return it->second;
    const auto c = static_cast<std::uint32_t>(names.size());
    names.emplace_back(s);
    codes.emplace(names.back(), c);
    return c;
  }
  const std::uint32_t* find(std::string_view s) const {
    auto it = codes.find(s);
    return it == codes.end() ? nullptr : &it->second;
  }
};

/// How the cells of one file column are read.
enum class CsvEncoding : std::uint8_t {
  Number,  ///< numbers; an inferred column turns into Text at its first text cell
  Text,    ///< categories learned from the file (renumbered in sorted order at the end)
  Fixed,   ///< categories fixed by a schema (code = position in the schema's list)
  Skip,    ///< not read
};

/// What the table knows about one file column besides its encoding and output slot.
struct CsvColumnInfo {
  bool inferred = false;   ///< kind decided by the values (Number may become Text; may be dropped)
  bool canonical = false;  ///< numbers are named by their shortest text ("01" -> "1")
  bool overflowed = false;  ///< inferred Text column that passed max_categories: no longer read
  std::uint32_t table = 0;  ///< index into the category tables (Text, Fixed)
  std::size_t non_missing = 0;  ///< Text: non-missing cells
  CsvPos first_text{0, 0};      ///< where an inferred numeric column met its first text
  std::string first_text_value;
  const char* hint = "";  ///< why a Number column must hold numbers (for the error message)
};

/// A data row held back until its field count is known (BadRows::Skip).
struct CsvPendingRow {
  std::string text;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  ///< (offset, length) into text
  std::vector<CsvPos> pos;
  void clear() {
    text.clear();
    spans.clear();
    pos.clear();
  }
};

/// Header names that exporters give a row index (R's and pandas' blank index header, pandas'
/// "Unnamed: 0" after a round trip, readr's "...1") or that people give one.
inline bool csv_index_name(std::string_view name) {
  std::string lower(name);
  for (char& ch : lower) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  for (const char* n : {"", "unnamed: 0", "...1", "index", "row", "rownames", "row.names", "row_number", "id"})
    if (lower == n) return true;
  return false;
}

template <class T>
class CsvTable {
public:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  /// `streaming`: rows are taken in batches (CsvReader), so every column's encoding must be
  /// fixed up front (a schema, or numbers only).
  CsvTable(const std::string& path, const data::CsvOptions& opt, bool streaming, const char* op)
      : path_(path), op_(op), opt_(opt), streaming_(streaming), skip_bad_(opt.bad_rows == data::BadRows::Skip) {
    for (const std::string& s : opt_.na_values) {
      T v;
      // "NaN" parses to NaN anyway; only a number such as "-999" must be checked before parsing.
      if (!s.empty() && csv_parse_number(s.data(), s.data() + s.size(), v) == CsvNumber::Ok && v == v)
        na_is_numeric_ = true;
    }
  }

  void set_delimiter(char d) noexcept {
    delim_ = d;
    fast_ = !na_is_numeric_ && !skip_bad_ && !csv_char_in_number(d);
  }
  char delimiter() const noexcept { return delim_; }

  // --- errors -------------------------------------------------------------------------------
  std::string where(CsvPos pos) const {
    std::string s = std::string(op_) + ": '" + path_ + "' line " + std::to_string(pos.line) + ", column " +
                    std::to_string(pos.column + 1);
    if (opt_.header && pos.column < names_.size()) s += " ('" + names_[pos.column] + "')";
    return s;
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail(CsvPos pos, const std::string& what) const {
    throw_format_error(where(pos) + ": " + what);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_line(std::size_t line, const std::string& what) const {
    throw_format_error(std::string(op_) + ": '" + path_ + "' line " + std::to_string(line) + ": " + what);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_file(const std::string& what) const {
    throw_format_error(std::string(op_) + ": '" + path_ + "': " + what);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_option(const std::string& what) const {
    throw_value_error(std::string(op_) + ": " + what);
  }
  /// A bad cell: thrown, or (BadRows::Skip) recorded once for its row, which is then left out.
  [[gnu::cold, gnu::noinline]] void cell_error(CsvPos pos, const std::string& what) {
    if (!skip_bad_) fail(pos, what);
    if (!row_bad_) bad_rows_.push_back({pos.line, pos.column + 1, where(pos) + ": " + what});
    row_bad_ = true;
  }

  // --- columns ------------------------------------------------------------------------------
  /// Sets the column names (header, or "0", "1", ...) and decides how each column is read.
  void set_columns(std::vector<std::string> names) {
    names_ = std::move(names);
    n_cols_ = names_.size();
    enc_.assign(n_cols_, CsvEncoding::Skip);
    slot_.assign(n_cols_, 0);
    info_.assign(n_cols_, CsvColumnInfo{});
    if (opt_.schema)
      setup_schema(*opt_.schema);
    else
      setup_inferred();
    for (std::size_t c = 0; c < n_cols_; ++c)
      if (enc_[c] == CsvEncoding::Skip) slot_[c] = static_cast<std::uint32_t>(d_ + 1);
    row_.assign(d_ + 2, T(0));
    std::sort(dropped_.begin(), dropped_.end(), [](const auto& a, const auto& b) { return a.column < b.column; });
  }

  std::size_t n_cols() const noexcept { return n_cols_; }
  std::size_t n_features() const noexcept { return d_; }
  bool has_target() const noexcept { return target_ != kNone; }
  /// Rows kept plus rows skipped.
  std::size_t records() const noexcept { return rows_ + bad_rows_.size(); }
  std::size_t rows() const noexcept { return rows_; }

  /// The fused fast path: parses a plain number at p for a numeric column; nullptr otherwise.
  const char* try_number(const char* p, const char* end, std::size_t c) {
    if (!fast_ || c >= n_cols_ || enc_[c] != CsvEncoding::Number) return nullptr;
    T v;
    const auto res = std::from_chars(p, end, v);
    if (res.ec != std::errc{} || (v != v && c == target_)) return nullptr;  // the slow path decides
    row_[slot_[c]] = v;
    return res.ptr;
  }

  void field(const char* b, const char* e, CsvPos pos) {
    if (pos.column >= n_cols_) return;  // too many fields: reported by end_record with the count
    if (skip_bad_) {
      pending_.spans.emplace_back(pending_.text.size(), static_cast<std::size_t>(e - b));
      pending_.text.append(b, e);
      pending_.pos.push_back(pos);
      return;
    }
    cell(b, e, pos);
  }

  /// Ends a record of `n_fields` fields that started on `line`: appends it, or reports it.
  void end_record(std::size_t n_fields, std::size_t line) {
    if (n_fields != n_cols_) {
      const std::size_t col = std::min(n_fields, n_cols_);
      pending_.clear();
      row_bad_ = false;
      cell_error(CsvPos{line, col}, std::string("expected ") + std::to_string(n_cols_) + " fields" +
                                        (opt_.header ? " (as in the header)" : " (as in the first row)") +
                                        ", got " + std::to_string(n_fields));
      row_bad_ = false;
      return;
    }
    if (skip_bad_) {
      for (std::size_t k = 0; k < pending_.spans.size() && !row_bad_; ++k) {
        const char* b = pending_.text.data() + pending_.spans[k].first;
        cell(b, b + pending_.spans[k].second, pending_.pos[k]);
      }
      pending_.clear();
      if (row_bad_) {
        row_bad_ = false;
        return;
      }
    }
    x_.insert(x_.end(), row_.data(), row_.data() + d_);
    if (target_ != kNone) y_.push_back(row_[d_]);
    if (streaming_) lines_.push_back(line);
    ++rows_;
  }

  /// Sets capacity from an estimate of the row count. Untouched capacity costs address space, not
  /// resident memory, so a generous estimate avoids the reallocation copies of a growing vector.
  void reserve_rows(std::size_t rows) {
    if (!fits_allocation(rows, (d_ + 1) * sizeof(T))) return;  // a wild estimate: grow as rows come
    if (rows <= x_.capacity() / std::max<std::size_t>(d_, 1)) return;
    x_.reserve(rows * d_);
    if (target_ != kNone) y_.reserve(rows);
    advise_huge_pages(x_.data(), x_.capacity() * sizeof(T));
  }

  /// The whole file as a Dataset (load_csv): decides inferred kinds and drops, sorts categories.
  data::Dataset<T> finish(std::size_t end_line) {
    if (rows_ == 0) {
      if (!bad_rows_.empty())
        fail_file("no data rows: all " + std::to_string(bad_rows_.size()) + " were skipped as bad; the first: " +
                  bad_rows_.front().message);
      fail_line(end_line, "expected a data row after the header, got the end of the file");
    }
    data::Dataset<T> ds;
    std::vector<std::vector<std::string>> categories(d_);
    std::vector<data::ColumnKind> kinds(d_, data::ColumnKind::Numeric);
    std::vector<char> keep(d_, 1);
    for (std::size_t c = 0; c < n_cols_; ++c)
      if (c != target_) settle_feature(c, categories, kinds, keep);
    if (target_ != kNone) {
      const CsvEncoding te = enc_[target_];
      if (te == CsvEncoding::Text) ds.class_names = sorted_and_recode(tables_[info_[target_].table], y_.data(), 1);
      if (te == CsvEncoding::Fixed) ds.class_names = tables_[info_[target_].table].names;
      ds.target_kind = te == CsvEncoding::Number ? data::TargetKind::Numeric : data::TargetKind::Categorical;
      ds.target_name = names_[target_];
    } else {
      ds.target_kind = data::TargetKind::None;
    }
    const std::size_t d_out = compact(keep);
    for (std::size_t j = 0; j < d_; ++j) {
      if (!keep[j]) continue;
      ds.feature_names.push_back(std::move(feature_names_[j]));
      ds.categories.push_back(std::move(categories[j]));
      ds.feature_kinds.push_back(kinds[j]);
    }
    std::sort(dropped_.begin(), dropped_.end(), [](const auto& a, const auto& b) { return a.column < b.column; });
    ds.dropped_columns = dropped_;
    ds.skipped_rows = std::move(bad_rows_);
    // Drop unused capacity only when it is large: the copy briefly doubles memory.
    if (x_.capacity() > x_.size() + x_.size() / 4 + 4096) x_.shrink_to_fit();
    if (y_.capacity() > y_.size() + y_.size() / 4 + 4096) y_.shrink_to_fit();
    ds.X = Tensor<T>::from_vector(std::move(x_), Shape{rows_, d_out});
    ds.y = target_ != kNone ? Tensor<T>::from_vector(std::move(y_), Shape{rows_}) : Tensor<T>::zeros(Shape{0});
    return ds;
  }

  /// The rows read since the last call (CsvReader): X, y, their lines and the rows skipped.
  void take(Tensor<T>& X, Tensor<T>& y, std::vector<std::size_t>& lines, std::vector<data::BadRow>& bad) {
    X = Tensor<T>::from_vector(std::move(x_), Shape{rows_, d_});
    y = target_ != kNone ? Tensor<T>::from_vector(std::move(y_), Shape{rows_}) : Tensor<T>::zeros(Shape{0});
    lines = std::move(lines_);
    bad = std::move(bad_rows_);
    x_ = {};
    y_ = {};
    lines_ = {};
    bad_rows_ = {};
    rows_ = 0;
  }

  /// The encoding the table reads with (the schema, or the one it builds for CsvReader).
  data::Schema schema() const {
    data::Schema s;
    s.features.resize(d_);
    for (std::size_t c = 0; c < n_cols_; ++c) {
      if (c == target_ || enc_[c] == CsvEncoding::Skip) continue;
      data::Column& col = s.features[slot_[c]];
      col.name = names_[c];
      col.kind = enc_[c] == CsvEncoding::Number ? data::ColumnKind::Numeric : data::ColumnKind::Categorical;
      if (enc_[c] == CsvEncoding::Fixed) col.categories = tables_[info_[c].table].names;
    }
    if (target_ != kNone) {
      s.target = names_[target_];
      s.target_kind = enc_[target_] == CsvEncoding::Number ? data::TargetKind::Numeric : data::TargetKind::Categorical;
      if (enc_[target_] == CsvEncoding::Fixed) s.class_names = tables_[info_[target_].table].names;
    }
    return s;
  }
  const std::vector<data::DroppedColumn>& dropped_columns() const noexcept { return dropped_; }

private:
  // --- column setup ---------------------------------------------------------------------------
  std::string column_list() const {
    std::string list;
    const std::size_t shown = std::min<std::size_t>(n_cols_, 30);  // wide files: the first 30 names
    for (std::size_t c = 0; c < shown; ++c) list += std::string(c ? ", '" : "'") + names_[c] + "'";
    if (shown < n_cols_) list += ", ... (" + std::to_string(n_cols_) + " columns)";
    return list;
  }

  /// The file column a reference names, kNone when a name is absent and `optional`.
  std::size_t resolve(const data::ColumnRef& ref, const char* what, bool optional = false) const {
    if (ref.is_default) return n_cols_ - 1;
    if (ref.by_name) {
      const std::size_t found = find_name(ref.name, what);
      if (found != kNone || optional) return found;
      if (!opt_.header)
        fail_file(std::string(what) + " column '" + ref.name +
                  "' given by name, but the file has no header (header = false); use an index 0.." +
                  std::to_string(n_cols_ - 1));
      fail_file(std::string(what) + " column '" + ref.name + "' not found; columns are " + column_list());
    }
    const long long n = static_cast<long long>(n_cols_);
    const long long i = ref.index < 0 ? ref.index + n : ref.index;
    if (i < 0 || i >= n)
      fail_file(std::string(what) + " column index " + std::to_string(ref.index) + " out of range for " +
                std::to_string(n_cols_) + " columns");
    return static_cast<std::size_t>(i);
  }

  std::size_t find_name(const std::string& name, const char* what) const {
    std::size_t found = kNone;
    for (std::size_t c = 0; c < n_cols_; ++c) {
      if (names_[c] != name) continue;
      if (found != kNone)
        fail_file(std::string(what) + " column '" + name + "' is ambiguous: columns " + std::to_string(found + 1) +
                  " and " + std::to_string(c + 1) + " have that name");
      found = c;
    }
    return found;
  }

  std::vector<char> mark(const std::vector<data::ColumnRef>& refs, const char* what) const {
    std::vector<char> out(n_cols_, 0);
    for (const data::ColumnRef& ref : refs) out[resolve(ref, what)] = 1;
    return out;
  }

  void add_feature(std::size_t c, CsvEncoding enc) {
    enc_[c] = enc;
    slot_[c] = static_cast<std::uint32_t>(d_++);
    feature_names_.push_back(names_[c]);
  }

  void add_table(std::size_t c) {
    info_[c].table = static_cast<std::uint32_t>(tables_.size());
    tables_.emplace_back();
  }

  void record_drop(std::size_t c, data::DropReason reason, std::string detail) {
    dropped_.push_back({names_[c], c, reason, std::move(detail)});
  }

  void setup_inferred() {
    const bool no_target = opt_.target_kind == data::TargetKind::None;
    target_ = no_target ? kNone : resolve(opt_.target, "target", !opt_.require_target);
    const std::vector<char> cat = mark(opt_.categorical, "categorical");
    const std::vector<char> num = mark(opt_.numeric, "numeric");
    const std::vector<char> drop = mark(opt_.drop, "drop");
    for (std::size_t c = 0; c < n_cols_; ++c)
      if (cat[c] && num[c]) fail_option("column '" + names_[c] + "' is listed in both categorical and numeric");
    if (target_ != kNone && drop[target_])
      fail_option("the target column '" + names_[target_] + "' is listed in drop");
    if (streaming_) {
      if (std::find(cat.begin(), cat.end(), 1) != cat.end())
        fail_option("categorical columns need a schema (their codes come from the training file); pass .schema");
      if (opt_.target_kind == data::TargetKind::Categorical || (target_ != kNone && cat[target_]))
        fail_option("a categorical target needs a schema (its class codes come from the training file); pass .schema");
    }
    std::vector<std::size_t> order;
    std::vector<char> listed(n_cols_, opt_.columns.empty() ? 1 : 0);
    for (const data::ColumnRef& ref : opt_.columns) {
      const std::size_t c = resolve(ref, "columns");
      if (listed[c]) fail_option("column '" + names_[c] + "' is listed twice in columns");
      listed[c] = 1;
      if (c != target_) order.push_back(c);
    }
    if (opt_.columns.empty())
      for (std::size_t c = 0; c < n_cols_; ++c)
        if (c != target_) order.push_back(c);
    for (std::size_t c : order) {
      if (drop[c]) continue;
      add_feature(c, cat[c] ? CsvEncoding::Text : CsvEncoding::Number);
      info_[c].inferred = !cat[c] && !num[c] && !streaming_;
      if (cat[c]) add_table(c);
      info_[c].hint = streaming_ ? " (CsvReader without a schema reads numbers only)"
                                 : " (the column is listed in 'numeric')";
    }
    for (std::size_t c = 0; c < n_cols_; ++c) {
      if (c == target_) continue;
      if (drop[c])
        record_drop(c, data::DropReason::Requested, "listed in drop");
      else if (!listed[c])
        record_drop(c, data::DropReason::NotSelected, "not listed in columns");
    }
    if (target_ == kNone) return;
    data::TargetKind kind = opt_.target_kind;
    if (cat[target_]) {
      if (kind == data::TargetKind::Numeric)
        fail_option("the target column '" + names_[target_] + "' is listed in categorical but target_kind is Numeric");
      kind = data::TargetKind::Categorical;
    }
    if (num[target_]) {
      if (kind == data::TargetKind::Categorical)
        fail_option("the target column '" + names_[target_] + "' is listed in numeric but target_kind is Categorical");
      kind = data::TargetKind::Numeric;
    }
    enc_[target_] = kind == data::TargetKind::Categorical ? CsvEncoding::Text : CsvEncoding::Number;
    slot_[target_] = static_cast<std::uint32_t>(d_);
    info_[target_].inferred = kind == data::TargetKind::Auto && !streaming_;
    if (enc_[target_] == CsvEncoding::Text) add_table(target_);
  }

  void setup_schema(const data::Schema& s) {
    if (!opt_.categorical.empty() || !opt_.numeric.empty() || !opt_.drop.empty() || !opt_.columns.empty())
      fail_option("a schema fixes every column; do not combine .schema with categorical, numeric, drop or columns");
    if (!opt_.target.is_default)
      fail_option("a schema names the target ('" + s.target + "'); do not combine .schema with .target");
    if (opt_.target_kind == data::TargetKind::Numeric || opt_.target_kind == data::TargetKind::Categorical)
      fail_option("with a schema, target_kind must be Auto (the schema's) or None (no target)");
    if (s.features.empty() && s.target_kind == data::TargetKind::None)
      fail_option("the schema is empty (no feature columns, no target)");
    std::vector<char> used(n_cols_, 0);
    for (const data::Column& col : s.features) {
      const std::size_t c = find_name(col.name, "schema");
      if (c == kNone)
        fail_file("column '" + col.name + "' of the schema is missing; columns are " + column_list());
      if (used[c]) fail_option("the schema lists column '" + col.name + "' twice");
      used[c] = 1;
      if (col.kind == data::ColumnKind::Numeric) {
        add_feature(c, CsvEncoding::Number);
        info_[c].hint = " (the schema says the column is numeric)";
      } else {
        add_feature(c, CsvEncoding::Fixed);
        fixed_table(c, col.categories);
      }
    }
    target_ = kNone;
    if (s.target_kind != data::TargetKind::None && opt_.target_kind != data::TargetKind::None) {
      const std::size_t c = find_name(s.target, "target");
      if (c == kNone && opt_.require_target)
        fail_file("target column '" + s.target +
                  "' of the schema is missing (set require_target = false, or target_kind = TargetKind::None, to "
                  "load without it); columns are " + column_list());
      if (c != kNone) {
        if (used[c]) fail_option("the schema's target '" + s.target + "' is also one of its features");
        used[c] = 1;
        target_ = c;
        slot_[c] = static_cast<std::uint32_t>(d_);
        if (s.target_kind == data::TargetKind::Numeric) {
          enc_[c] = CsvEncoding::Number;
        } else {
          enc_[c] = CsvEncoding::Fixed;
          fixed_table(c, s.class_names);
        }
      }
    }
    for (std::size_t c = 0; c < n_cols_; ++c)
      if (!used[c] && !(s.target_kind != data::TargetKind::None && names_[c] == s.target))
        record_drop(c, data::DropReason::NotInSchema, "not in the schema");
  }

  void fixed_table(std::size_t c, const std::vector<std::string>& names) {
    add_table(c);
    CsvCategories& t = tables_.back();
    for (const std::string& name : names) {
      // The code is the position in the schema's list (a repeated name keeps its first code).
      const auto code = static_cast<std::uint32_t>(t.names.size());
      t.names.push_back(name);
      t.codes.emplace(name, code);
    }
    code_limit(t.names.size(), c);
  }

  // --- cells ----------------------------------------------------------------------------------
  void cell(const char* b, const char* e, CsvPos pos) {
    const std::size_t c = pos.column;
    T& out = row_[slot_[c]];
    switch (enc_[c]) {
      case CsvEncoding::Number: out = number(b, e, pos); break;
      case CsvEncoding::Text: out = text(b, e, pos); break;
      case CsvEncoding::Fixed: out = fixed(b, e, pos); break;
      case CsvEncoding::Skip: break;
    }
  }

  bool is_na(const char* b, const char* e) const noexcept {
    const std::string_view s(b, static_cast<std::size_t>(e - b));
    for (const std::string& na : opt_.na_values)
      if (s == na) return true;
    return false;
  }

  T missing(CsvPos pos) {
    if (pos.column == target_) cell_error(pos, "expected a target value, got a missing value");
    return std::numeric_limits<T>::quiet_NaN();
  }

  static std::string shown(const char* b, const char* e) {
    std::string s(b, static_cast<std::size_t>(std::min<std::ptrdiff_t>(e - b, 60)));
    if (e - b > 60) s += "...";
    return s;
  }

  [[gnu::cold, gnu::noinline]] T out_of_range(const char* b, const char* e, CsvPos pos) {
    std::string msg = "'" + shown(b, e) + "' is out of range for " + (sizeof(T) == 4 ? "float" : "double");
    if (sizeof(T) == 4) msg += " (load_csv<double> reads it)";
    cell_error(pos, msg);
    return std::numeric_limits<T>::quiet_NaN();
  }

  // A numeric cell: a number, a missing value (NaN), or, in an inferred column, the first text.
  T number(const char* b, const char* e, CsvPos pos) {
    csv_trim(b, e, delim_);
    T v;
    if (na_is_numeric_ && is_na(b, e)) return missing(pos);
    switch (csv_parse_number(b, e, v)) {
      case CsvNumber::Ok: return v != v ? missing(pos) : v;  // "NaN" is missing
      case CsvNumber::OutOfRange: return out_of_range(b, e, pos);
      case CsvNumber::Text: break;
    }
    if (is_na(b, e)) return missing(pos);
    if (info_[pos.column].inferred) {
      to_text(pos, b, e);
      if (enc_[pos.column] == CsvEncoding::Skip) return std::numeric_limits<T>::quiet_NaN();
      return text(b, e, pos);
    }
    not_a_number(b, e, pos);
    return std::numeric_limits<T>::quiet_NaN();
  }

  [[gnu::cold, gnu::noinline]] void not_a_number(const char* b, const char* e, CsvPos pos) {
    cell_error(pos, "expected a number, got '" + shown(b, e) + "'" + info_[pos.column].hint);
  }

  // A learned category: its code in order of first appearance (renumbered at the end).
  T text(const char* b, const char* e, CsvPos pos) {
    csv_trim(b, e, delim_);
    if (is_na(b, e)) return missing(pos);
    CsvColumnInfo& info = info_[pos.column];
    std::string_view key(b, static_cast<std::size_t>(e - b));
    std::string canonical;
    if (info.canonical) {
      T v;
      const CsvNumber r = csv_parse_number(b, e, v);
      if (r == CsvNumber::OutOfRange) return out_of_range(b, e, pos);
      if (r == CsvNumber::Ok && v != v) return missing(pos);  // "-NaN" is missing, as in number()
      if (r == CsvNumber::Ok) {
        canonical = csv_number_text(v);
        key = canonical;
      }
    }
    CsvCategories& t = tables_[info.table];
    const std::uint32_t code = t.code(key);
    ++info.non_missing;
    if (info.inferred && t.names.size() > opt_.max_categories) too_many_categories(pos);
    return code_value(code, pos.column);
  }

  // A category fixed by the schema; numbers also match by their shortest text ("1.0" finds "1").
  T fixed(const char* b, const char* e, CsvPos pos) {
    csv_trim(b, e, delim_);
    if (is_na(b, e)) return missing(pos);
    const CsvCategories& t = tables_[info_[pos.column].table];
    const std::string_view key(b, static_cast<std::size_t>(e - b));
    const std::uint32_t* code = t.find(key);
    if (!code) {
      T v;
      if (csv_parse_number(b, e, v) == CsvNumber::Ok && v == v) code = t.find(csv_number_text(v));
    }
    if (code) return static_cast<T>(*code);
    unseen(b, e, pos, t);
    return std::numeric_limits<T>::quiet_NaN();
  }

  [[gnu::cold, gnu::noinline]] void unseen(const char* b, const char* e, CsvPos pos, const CsvCategories& t) {
    const bool is_target = pos.column == target_;
    if (!is_target && opt_.unseen_category == data::UnseenCategory::Missing) return;
    std::string list;
    for (std::size_t k = 0; k < t.names.size() && k < 10; ++k) list += std::string(k ? ", '" : "'") + t.names[k] + "'";
    if (t.names.size() > 10) list += ", ...";
    cell_error(pos, std::string(is_target ? "unseen class '" : "unseen category '") + shown(b, e) + "': the schema has " +
                        std::to_string(t.names.size()) + (is_target ? " classes" : " categories for this column") +
                        (t.names.empty() ? "" : " (" + list + ")"));
  }

  /// An inferred column meets text: the numbers read so far become categories named by their
  /// shortest text, and the column continues as categories.
  [[gnu::cold, gnu::noinline]] void to_text(CsvPos pos, const char* b, const char* e) {
    const std::size_t c = pos.column;
    CsvColumnInfo& info = info_[c];
    enc_[c] = CsvEncoding::Text;
    info.canonical = true;
    info.first_text = pos;
    info.first_text_value = shown(b, e);
    add_table(c);
    CsvCategories& t = tables_[info.table];
    if (rows_ == 0) return;
    const bool is_target = c == target_;
    T* values = is_target ? y_.data() : x_.data() + slot_[c];
    const std::size_t stride = is_target ? 1 : d_;
    for (std::size_t i = 0; i < rows_; ++i) {
      T& v = values[i * stride];
      if (v != v) continue;
      v = static_cast<T>(t.code(csv_number_text(v)));
      ++info.non_missing;
      if (t.names.size() > opt_.max_categories) {
        too_many_categories(pos);
        return;
      }
    }
  }

  /// An inferred column with more distinct values than max_categories: a feature stops being
  /// read (it is dropped at the end); a target is a numeric target with a stray text cell.
  [[gnu::cold, gnu::noinline]] void too_many_categories(CsvPos pos) {
    const std::size_t c = pos.column;
    CsvColumnInfo& info = info_[c];
    if (c == target_)
      fail(info.first_text, "expected a number, got '" + info.first_text_value +
                                "' (the target's other values are numbers, more than " +
                                std::to_string(opt_.max_categories) +
                                " distinct: set target_kind = TargetKind::Categorical to read them as classes)");
    info.overflowed = true;  // its slot in X keeps stale values until finish() drops it
    enc_[c] = CsvEncoding::Skip;
    tables_[info.table] = CsvCategories{};
  }

  void code_limit(std::size_t n, std::size_t c) const {
    // Codes are stored in T; beyond 2^digits they would no longer be exact integers.
    const std::size_t limit = c == target_ ? kMaxClasses : (std::size_t{1} << std::numeric_limits<T>::digits);
    if (n > limit)
      fail_file("more than " + std::to_string(limit) +
                (c == target_ ? " classes in the target column '" : " distinct categories in column '") + names_[c] +
                "'");
  }

  T code_value(std::uint32_t code, std::size_t c) const {
    if (code + std::size_t{1} > (std::size_t{1} << 16)) code_limit(code + std::size_t{1}, c);
    return static_cast<T>(code);
  }

  // --- finishing ------------------------------------------------------------------------------
  /// Final kind of feature column c: sorted categories, and the inference drops.
  void settle_feature(std::size_t c, std::vector<std::vector<std::string>>& categories,
                      std::vector<data::ColumnKind>& kinds, std::vector<char>& keep) {
    const std::size_t j = slot_[c];
    CsvColumnInfo& info = info_[c];
    if (info.overflowed) {
      drop_inferred(c, j, keep, data::DropReason::Identifier,
                    "identifier or free text: more than " + std::to_string(opt_.max_categories) + " distinct values");
      return;
    }
    switch (enc_[c]) {
      case CsvEncoding::Text:
        categories[j] = sorted_and_recode(tables_[info.table], x_.data() + j, d_);
        kinds[j] = data::ColumnKind::Categorical;
        if (info.inferred && looks_like_identifier(categories[j].size(), info.non_missing))
          drop_inferred(c, j, keep, data::DropReason::Identifier,
                        "identifier or free text: " + std::to_string(categories[j].size()) + " distinct values in " +
                            std::to_string(info.non_missing) + " non-missing cells");
        break;
      case CsvEncoding::Fixed:
        categories[j] = tables_[info.table].names;
        kinds[j] = data::ColumnKind::Categorical;
        break;
      case CsvEncoding::Number:
        if (!info.inferred) break;
        if (all_missing(j))
          drop_inferred(c, j, keep, data::DropReason::AllMissing, "every value is missing");
        else if (csv_index_name(names_[c]) && is_row_number(j))
          drop_inferred(c, j, keep, data::DropReason::Identifier,
                        "identifier: the row number (" + csv_number_text(x_[j]) + ", " + csv_number_text(x_[d_ + j]) +
                            ", ...)");
        break;
      case CsvEncoding::Skip: break;
    }
  }

  bool looks_like_identifier(std::size_t distinct, std::size_t non_missing) const {
    if (distinct > opt_.max_categories) return true;
    return distinct > 16 && static_cast<double>(distinct) > opt_.max_category_share * static_cast<double>(non_missing);
  }

  bool all_missing(std::size_t j) const {
    for (std::size_t i = 0; i < rows_; ++i)
      if (x_[i * d_ + j] == x_[i * d_ + j]) return false;
    return true;
  }

  /// 0, 1, 2, ... or 1, 2, 3, ... down the whole column: a row index exported with the data.
  bool is_row_number(std::size_t j) const {
    if (rows_ < 16) return false;
    const T first = x_[j];
    if (first != T(0) && first != T(1)) return false;
    for (std::size_t i = 1; i < rows_; ++i)
      if (x_[i * d_ + j] != first + static_cast<T>(i)) return false;
    return true;
  }

  void drop_inferred(std::size_t c, std::size_t j, std::vector<char>& keep, data::DropReason reason,
                     std::string detail) {
    keep[j] = 0;
    record_drop(c, reason, std::move(detail));
  }

  /// Removes the dropped feature columns from x_ in place; returns the new width.
  std::size_t compact(const std::vector<char>& keep) {
    std::vector<std::size_t> kept;
    for (std::size_t j = 0; j < d_; ++j)
      if (keep[j]) kept.push_back(j);
    if (kept.size() == d_) return d_;
    const std::size_t w = kept.size();
    for (std::size_t i = 0; i < rows_; ++i)
      for (std::size_t k = 0; k < w; ++k) x_[i * w + k] = x_[i * d_ + kept[k]];
    x_.resize(rows_ * w);
    return w;
  }

  /// Sorts a learned category list (csv_category_order) and renumbers the codes in `values`.
  std::vector<std::string> sorted_and_recode(CsvCategories& t, T* values, std::size_t stride) {
    const std::vector<std::uint32_t> order = csv_category_order(t.names);
    const std::size_t k = t.names.size();
    std::vector<T> rank(k);
    std::vector<std::string> sorted(k);
    for (std::size_t r = 0; r < k; ++r) {
      rank[order[r]] = static_cast<T>(r);
      sorted[r] = std::move(t.names[order[r]]);
    }
    for (std::size_t i = 0; i < rows_; ++i) {
      T& v = values[i * stride];
      if (v == v) v = rank[static_cast<std::size_t>(v)];  // NaN (missing) stays NaN
    }
    t = CsvCategories{};
    return sorted;
  }

  std::string path_;
  const char* op_;
  const data::CsvOptions opt_;
  bool streaming_ = false, skip_bad_ = false, fast_ = false, na_is_numeric_ = false, row_bad_ = false;
  char delim_ = ',';
  std::vector<std::string> names_, feature_names_;
  std::vector<CsvEncoding> enc_;
  std::vector<std::uint32_t> slot_;
  std::vector<CsvColumnInfo> info_;
  std::vector<CsvCategories> tables_;
  std::vector<data::DroppedColumn> dropped_;
  std::vector<data::BadRow> bad_rows_;
  CsvPendingRow pending_;
  std::size_t n_cols_ = 0, d_ = 0, target_ = kNone, rows_ = 0;
  std::vector<T> row_, x_, y_;
  std::vector<std::size_t> lines_;
};

}  // namespace grove::detail

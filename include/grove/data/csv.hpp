#pragma once
/// \file load_csv: a streaming RFC 4180 CSV reader that fills a Dataset<T>.
///
/// The file is read in fixed-size blocks and each cell is parsed straight into the output
/// arrays, so peak memory is the parsed numbers plus one block, whatever the file size.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "grove/core/error.hpp"
#include "grove/core/shape.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/schema.hpp"
#include "grove/tensor/tensor.hpp"

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

/// Options of load_csv. Fields are declared in the order DESIGN.md lists them, so designated
/// initializers such as {.target = "species", .header = true, .delimiter = ';'} work.
struct CsvOptions {
  ColumnRef target = {};   ///< target column (name or index); default: the last column
  bool header = true;      ///< first row holds column names
  char delimiter = ',';    ///< field separator
  std::vector<ColumnRef> categorical = {};  ///< feature columns to ordinal-encode (sorted categories)
  /// Cells equal to one of these (after trimming spaces, for numeric columns) are missing: NaN.
  std::vector<std::string> na_values = {"", "NA", "N/A", "NaN", "nan", "NULL", "null"};
  TargetKind target_kind = TargetKind::Auto;  ///< see TargetKind
  char quote = '"';                           ///< quote character (RFC 4180: '"')
};

namespace detail {

/// Transparent string hashing so category lookups do not build a std::string per cell.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// One categorical column: categories in order of first appearance and their codes.
struct CategoryColumn {
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> codes;
  std::vector<std::string> names;

  std::uint32_t code(std::string_view s) {
    auto it = codes.find(s);
    if (it != codes.end()) return it->second;
    const auto c = static_cast<std::uint32_t>(names.size());
    names.emplace_back(s);
    codes.emplace(names.back(), c);
    return c;
  }
};

/// The block reader: a buffer holding the unparsed tail of the file. A record that runs past the
/// end of the buffer is re-parsed from its start after the buffer is compacted and refilled.
class CsvSource {
public:
  explicit CsvSource(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) {
      const int err = errno;
      grove::detail::throw_format_error("load_csv: cannot open '" + path + "': " + std::strerror(err));
    }
    std::setvbuf(file_, nullptr, _IONBF, 0);  // we buffer ourselves
    // A small file gets a small buffer: zero-filling a whole block dominated tiny loads.
    const std::size_t size = file_size();
    buf_.resize(size > 0 && size < kBlock ? std::max<std::size_t>(size + 1, 4096) : kBlock);
  }
  CsvSource(const CsvSource&) = delete;
  CsvSource& operator=(const CsvSource&) = delete;
  ~CsvSource() {
    if (file_) std::fclose(file_);
  }

  /// Size of the file in bytes, or 0 when it is not a seekable regular file.
  std::size_t file_size() {
    if (std::fseek(file_, 0, SEEK_END) != 0) return 0;
    const long size = std::ftell(file_);
    std::fseek(file_, 0, SEEK_SET);
    return size > 0 ? static_cast<std::size_t>(size) : 0;
  }

  const char* begin() const noexcept { return buf_.data() + pos_; }
  const char* end() const noexcept { return buf_.data() + end_; }
  bool eof() const noexcept { return eof_; }
  /// Bytes of the file before begin().
  std::size_t offset() const noexcept { return consumed_ + pos_; }
  /// Marks everything up to `p` as parsed.
  void advance_to(const char* p) noexcept { pos_ = static_cast<std::size_t>(p - buf_.data()); }

  /// Keeps the unparsed bytes, makes room (growing the buffer if one record fills it) and reads
  /// more. Returns false at end of file.
  bool refill() {
    if (eof_) return false;
    const std::size_t keep = end_ - pos_;
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, keep);
      consumed_ += pos_;
      pos_ = 0;
      end_ = keep;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);  // a record longer than the buffer
    const std::size_t got = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
    if (got == 0) {
      if (std::ferror(file_)) {
        const int err = errno;
        grove::detail::throw_format_error("load_csv: error reading '" + path_ + "': " + std::strerror(err));
      }
      eof_ = true;
    }
    end_ += got;
    return true;
  }

private:
  static constexpr std::size_t kBlock = std::size_t{1} << 20;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0, consumed_ = 0;
  bool eof_ = false;
};

/// Asks Linux to back a large fresh buffer with 2 MB pages where it can: first-touch page faults
/// on 4 KB pages cost about a sixth of the parse time otherwise. A hint only; failures are ignored.
inline void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

enum class ScanResult { Record, NeedMore, Blank };

/// Where a cell sits, for error messages.
struct CellPos {
  std::size_t line;    ///< 1-based physical line where the field starts
  std::size_t column;  ///< 0-based field index
};

/// Scans one record starting at `p`, handing each complete field to `on_field(b, e, pos)`.
/// `try_number(p, end, column)` may first parse an unquoted cell in place and return where the
/// number ended (or nullptr); it is kept only if a delimiter or line break follows, which fuses
/// scanning and parsing for the common all-numeric row.
/// Returns NeedMore (nothing consumed) when the record continues past `end` and more input may
/// follow; Blank for an empty line. On Record/Blank `next` is the start of the following record,
/// `line` has advanced past it and `n_fields` holds the field count.
/// `sink.fail(pos, message)` reports malformed input and must not return.
template <class TryNumber, class OnField, class Sink>
ScanResult scan_record(const char* p, const char* end, bool eof, char delim, char quote, std::size_t& line,
                       std::string& scratch, const char*& next, std::size_t& n_fields, TryNumber&& try_number,
                       OnField&& on_field, const Sink& sink) {
  std::size_t cur_line = line;
  if (p < end && (*p == '\n' || *p == '\r')) {
    if (*p == '\r') {
      if (p + 1 == end && !eof) return ScanResult::NeedMore;
      ++p;
      if (p < end && *p == '\n') ++p;
    } else {
      ++p;
    }
    next = p;
    line = cur_line + 1;
    n_fields = 0;
    return ScanResult::Blank;
  }
  std::size_t col = 0;
  for (;;) {
    const CellPos pos{cur_line, col};
    const char* fb;
    const char* fe;
    if (const char* q = try_number(p, end, col); q && q < end && (*q == delim || *q == '\n' || *q == '\r')) {
      p = q;
    } else if (p < end && *p == quote) {
      const char* q = p + 1;
      const char* closing = nullptr;
      bool escaped = false;
      for (;;) {
        const char* hit = static_cast<const char*>(std::memchr(q, quote, static_cast<std::size_t>(end - q)));
        if (!hit) {
          if (!eof) return ScanResult::NeedMore;
          sink.fail(pos, "expected a closing quote before the end of the file (the quoted field starts here)");
        }
        cur_line += static_cast<std::size_t>(std::count(q, hit, '\n'));
        if (hit + 1 == end && !eof) return ScanResult::NeedMore;  // cannot tell "" from a closing quote yet
        if (hit + 1 < end && hit[1] == quote) {
          escaped = true;
          q = hit + 2;
          continue;
        }
        closing = hit;
        break;
      }
      fb = p + 1;
      fe = closing;
      p = closing + 1;
      if (p < end && *p != delim && *p != '\n' && *p != '\r') {
        std::string got(1, *p);
        sink.fail(pos, std::string("expected '") + delim + "' or the end of the line after a closing quote, got '" +
                          got + "'");
      }
      if (escaped) {
        scratch.clear();
        for (const char* c = fb; c < fe; ++c) {
          scratch.push_back(*c);
          if (*c == quote) ++c;  // "" -> "
        }
        fb = scratch.data();
        fe = fb + scratch.size();
      }
      on_field(fb, fe, pos);
    } else {
      fb = p;
      while (p < end && *p != delim && *p != '\n' && *p != '\r') ++p;
      fe = p;
      if (p == end && !eof) return ScanResult::NeedMore;
      on_field(fb, fe, pos);
    }
    ++col;
    if (p == end) break;  // end of file ends the last record
    if (*p == delim) {
      ++p;
      continue;
    }
    if (*p == '\r') {
      if (p + 1 == end && !eof) return ScanResult::NeedMore;
      ++p;
      if (p < end && *p == '\n') ++p;
    } else {
      ++p;
    }
    ++cur_line;
    break;
  }
  next = p;
  line = cur_line;
  n_fields = col;
  return ScanResult::Record;
}

inline bool is_space(char c, char delim) noexcept { return (c == ' ' || c == '\t') && c != delim; }

/// Parses [b, e) (already trimmed) as a T; true when the whole text is one number.
template <class T>
bool parse_number(const char* b, const char* e, T& out) noexcept {
  if (b < e && *b == '+' && e - b > 1 && b[1] != '-' && b[1] != '+') ++b;  // from_chars rejects a leading '+'
  auto res = std::from_chars(b, e, out);
  if (res.ec == std::errc{} && res.ptr == e) return true;
  if (res.ec == std::errc::result_out_of_range && res.ptr == e) {
    // Overflow or underflow of T: round through double (giving inf or 0) like other readers do.
    double d;
    auto r2 = std::from_chars(b, e, d);
    if (r2.ec == std::errc{} && r2.ptr == e) {
      out = static_cast<T>(d);
      return true;
    }
  }
  return false;
}

enum class ColumnKind : std::uint8_t { Number, Category, Target, Skip };

/// Builds the dataset row by row from scanned fields.
template <class T>
class CsvBuilder {
public:
  CsvBuilder(const std::string& path, const CsvOptions& opt) : path_(path), opt_(opt) {
    for (const std::string& s : opt.na_values) {
      T v;
      // "NaN" parses to NaN anyway; only a number such as "-999" must be checked before parsing.
      if (!s.empty() && parse_number(s.data(), s.data() + s.size(), v) && v == v) na_is_numeric_ = true;
    }
  }

  std::string where(CellPos pos) const {
    std::string s = "load_csv: '" + path_ + "' line " + std::to_string(pos.line) + ", column " +
                    std::to_string(pos.column + 1);
    if (opt_.header && pos.column < names_.size()) s += " ('" + names_[pos.column] + "')";
    return s;
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail(CellPos pos, const std::string& what) const {
    grove::detail::throw_format_error(where(pos) + ": " + what);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_line(std::size_t line, const std::string& what) const {
    grove::detail::throw_format_error("load_csv: '" + path_ + "' line " + std::to_string(line) + ": " + what);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_file(const std::string& what) const {
    grove::detail::throw_format_error("load_csv: '" + path_ + "': " + what);
  }

  /// Sets the column names and resolves the target and categorical columns.
  void set_columns(std::vector<std::string> names) {
    names_ = std::move(names);
    n_cols_ = names_.size();
    kinds_.assign(n_cols_, ColumnKind::Number);
    target_kind_ = opt_.target_kind;
    if (target_kind_ != TargetKind::None) {
      target_ = resolve(opt_.target, "target");
      kinds_[target_] = ColumnKind::Target;
    } else {
      target_ = n_cols_;
    }
    cat_of_col_.assign(n_cols_, -1);
    for (const ColumnRef& ref : opt_.categorical) {
      const std::size_t c = resolve(ref, "categorical");
      if (c == target_) {
        if (target_kind_ == TargetKind::Auto) target_kind_ = TargetKind::Categorical;
        continue;
      }
      kinds_[c] = ColumnKind::Category;
    }
    // Feature j of X is column feature_cols_[j].
    for (std::size_t c = 0; c < n_cols_; ++c) {
      if (c == target_) continue;
      if (kinds_[c] == ColumnKind::Category) {
        cat_of_col_[c] = static_cast<int>(cats_.size());
        cats_.emplace_back();
        cat_feature_.push_back(feature_names_.size());
      }
      feature_names_.push_back(names_[c]);
    }
    d_ = feature_names_.size();
    row_.assign(n_cols_, T(0));
  }

  std::size_t n_cols() const noexcept { return n_cols_; }

  /// The fused fast path: parses a plain number at p for a numeric column; nullptr otherwise.
  const char* try_number(const char* p, const char* end, std::size_t c) {
    if (c >= n_cols_ || na_is_numeric_) return nullptr;
    const ColumnKind kind = kinds_[c];
    if (kind != ColumnKind::Number && !(kind == ColumnKind::Target && target_kind_ == TargetKind::Numeric))
      return nullptr;
    T v;
    const auto res = std::from_chars(p, end, v);
    if (res.ec != std::errc{} || (kind == ColumnKind::Target && v != v)) return nullptr;  // slow path decides
    row_[c] = v;
    return res.ptr;
  }

  /// Sets capacity from an estimate of the row count. Untouched capacity costs address space, not
  /// resident memory, so a generous estimate avoids the reallocation copies of a growing vector.
  void reserve_rows(std::size_t rows) {
    if (rows <= x_.capacity() / std::max<std::size_t>(d_, 1)) return;
    x_.reserve(rows * d_);
    if (target_ < n_cols_) y_.reserve(rows);
    advise_huge_pages(x_.data(), x_.capacity() * sizeof(T));
  }
  std::size_t rows() const noexcept { return rows_; }

  void field(const char* b, const char* e, CellPos pos) {
    const std::size_t c = pos.column;
    if (c >= n_cols_) return;  // too many fields: reported by end_record with the count
    switch (kinds_[c]) {
      case ColumnKind::Number: row_[c] = number(b, e, pos, false); break;
      case ColumnKind::Category: row_[c] = category(b, e, cats_[static_cast<std::size_t>(cat_of_col_[c])]); break;
      case ColumnKind::Target: row_[c] = target(b, e, pos); break;
      case ColumnKind::Skip: break;
    }
  }

  void end_record(std::size_t n_fields, std::size_t line) {
    if (n_fields != n_cols_) {
      const std::size_t col = std::min(n_fields, n_cols_);
      fail(CellPos{line, col}, std::string("expected ") + std::to_string(n_cols_) + " fields" +
                                   (opt_.header ? " (as in the header)" : " (as in the first row)") + ", got " +
                                   std::to_string(n_fields));
    }
    const T* r = row_.data();
    if (target_ >= n_cols_) {
      x_.insert(x_.end(), r, r + n_cols_);
    } else {
      x_.insert(x_.end(), r, r + target_);
      x_.insert(x_.end(), r + target_ + 1, r + n_cols_);
      y_.push_back(r[target_]);
    }
    ++rows_;
  }

  Dataset<T> finish() {
    Dataset<T> ds;
    // Categories get codes in first-seen order while reading; renumber them in sorted order.
    ds.categories.assign(d_, {});
    for (std::size_t k = 0; k < cats_.size(); ++k) {
      const std::size_t j = cat_feature_[k];
      ds.categories[j] = sorted_and_recode(cats_[k], x_.data() + j, rows_, d_);
    }
    if (target_kind_ == TargetKind::Categorical) ds.class_names = sorted_and_recode(target_cats_, y_.data(), rows_, 1);
    // Drop unused capacity only when it is large: the copy briefly doubles memory.
    if (x_.capacity() > x_.size() + x_.size() / 4 + 4096) x_.shrink_to_fit();
    if (y_.capacity() > y_.size() + y_.size() / 4 + 4096) y_.shrink_to_fit();
    ds.X = Tensor<T>::from_vector(std::move(x_), Shape{rows_, d_});
    ds.y = target_ < n_cols_ ? Tensor<T>::from_vector(std::move(y_), Shape{rows_}) : Tensor<T>::zeros(Shape{0});
    ds.feature_names = std::move(feature_names_);
    return ds;
  }

private:
  std::size_t resolve(const ColumnRef& ref, const char* what) const {
    if (ref.is_default) return n_cols_ - 1;
    if (ref.by_name) {
      std::size_t found = n_cols_;
      for (std::size_t c = 0; c < n_cols_; ++c) {
        if (names_[c] != ref.name) continue;
        if (found != n_cols_)
          fail_file(std::string(what) + " column '" + ref.name + "' is ambiguous: columns " +
                    std::to_string(found + 1) + " and " + std::to_string(c + 1) + " have that name");
        found = c;
      }
      if (found == n_cols_) {
        std::string list;
        const std::size_t shown = std::min<std::size_t>(n_cols_, 30);  // wide files: the first 30 names
        for (std::size_t c = 0; c < shown; ++c) list += std::string(c ? ", '" : "'") + names_[c] + "'";
        if (shown < n_cols_) {
          list += ", ... (";
          list += std::to_string(n_cols_);
          list += " columns)";
        }
        if (!opt_.header)
          fail_file(std::string(what) + " column '" + ref.name +
                    "' given by name, but the file has no header (header = false); use an index 0.." +
                    std::to_string(n_cols_ - 1));
        fail_file(std::string(what) + " column '" + ref.name + "' not found; columns are " + list);
      }
      return found;
    }
    const long long n = static_cast<long long>(n_cols_);
    const long long i = ref.index < 0 ? ref.index + n : ref.index;
    if (i < 0 || i >= n)
      fail_file(std::string(what) + " column index " + std::to_string(ref.index) + " out of range for " +
                std::to_string(n_cols_) + " columns");
    return static_cast<std::size_t>(i);
  }

  bool is_na(const char* b, const char* e) const noexcept {
    const std::string_view s(b, static_cast<std::size_t>(e - b));
    for (const std::string& na : opt_.na_values)
      if (s == na) return true;
    return false;
  }

  static void trim(const char*& b, const char*& e, char delim) noexcept {
    while (b < e && is_space(*b, delim)) ++b;
    while (e > b && is_space(e[-1], delim)) --e;
  }

  // A numeric cell: a number, a missing value (NaN), or an error naming the cell.
  T number(const char* b, const char* e, CellPos pos, bool is_target) {
    trim(b, e, opt_.delimiter);
    T v;
    if (na_is_numeric_ && is_na(b, e)) return missing(pos, is_target);
    if (parse_number(b, e, v)) return is_target && v != v ? missing(pos, true) : v;  // "NaN" is missing
    if (is_na(b, e)) return missing(pos, is_target);
    fail_number(b, e, pos, is_target);
  }

  T missing(CellPos pos, bool is_target) const {
    if (is_target) fail(pos, "expected a target value, got a missing value");
    return std::numeric_limits<T>::quiet_NaN();
  }

  [[noreturn, gnu::cold, gnu::noinline]] void fail_number(const char* b, const char* e, CellPos pos,
                                                           bool is_target) const {
    std::string got(b, static_cast<std::size_t>(std::min<std::ptrdiff_t>(e - b, 60)));
    if (e - b > 60) got += "...";
    std::string msg = "expected a number, got '" + got + "'";
    if (is_target && opt_.target_kind == TargetKind::Auto)
      msg += " (the target is numeric because its first value is; set target_kind = TargetKind::Categorical "
             "to label-encode it)";
    else if (!is_target)
      msg += " (list the column in 'categorical' to encode text)";
    fail(pos, msg);
  }

  T category(const char* b, const char* e, CategoryColumn& col) {
    if (is_na(b, e)) return std::numeric_limits<T>::quiet_NaN();
    return code_value(col.code(std::string_view(b, static_cast<std::size_t>(e - b))));
  }

  T target(const char* b, const char* e, CellPos pos) {
    if (target_kind_ == TargetKind::Auto) {
      // Decided by the first data value.
      const char* tb = b;
      const char* te = e;
      trim(tb, te, opt_.delimiter);
      T v;
      if (parse_number(tb, te, v)) {
        target_kind_ = TargetKind::Numeric;
      } else if (is_na(tb, te)) {
        missing(pos, true);
      } else {
        target_kind_ = TargetKind::Categorical;
      }
    }
    if (target_kind_ == TargetKind::Numeric) return number(b, e, pos, true);
    if (is_na(b, e)) missing(pos, true);
    return code_value(target_cats_.code(std::string_view(b, static_cast<std::size_t>(e - b))));
  }

  T code_value(std::uint32_t code) const {
    // Codes are stored in T; beyond 2^digits they would no longer be exact integers.
    constexpr std::uint64_t limit = std::uint64_t{1} << std::numeric_limits<T>::digits;
    if (code >= limit) fail_file(std::string("more than ") + std::to_string(limit) + " distinct categories in a column");
    return static_cast<T>(code);
  }

  static std::vector<std::string> sorted_and_recode(CategoryColumn& col, T* values, std::size_t rows,
                                                    std::size_t stride) {
    const std::size_t k = col.names.size();
    std::vector<std::uint32_t> order(k);
    for (std::uint32_t i = 0; i < k; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return col.names[a] < col.names[b]; });
    std::vector<T> rank(k);
    std::vector<std::string> sorted(k);
    for (std::uint32_t r = 0; r < k; ++r) {
      rank[order[r]] = static_cast<T>(r);
      sorted[r] = std::move(col.names[order[r]]);
    }
    for (std::size_t i = 0; i < rows; ++i) {
      T& v = values[i * stride];
      if (v == v) v = rank[static_cast<std::size_t>(v)];  // NaN (missing) stays NaN
    }
    col.codes.clear();
    return sorted;
  }

  std::string path_;
  const CsvOptions& opt_;
  std::vector<std::string> names_, feature_names_;
  std::vector<ColumnKind> kinds_;
  std::vector<int> cat_of_col_;
  std::vector<std::size_t> cat_feature_;
  std::vector<CategoryColumn> cats_;
  CategoryColumn target_cats_;
  std::size_t n_cols_ = 0, d_ = 0, target_ = 0, rows_ = 0;
  TargetKind target_kind_ = TargetKind::Auto;
  bool na_is_numeric_ = false;
  std::vector<T> row_, x_, y_;
};

inline void check_csv_options(const CsvOptions& opt) {
  auto bad = [](char c) { return c == '\n' || c == '\r' || c == '\0'; };
  if (bad(opt.delimiter))
    grove::detail::throw_value_error(std::string("load_csv: delimiter must not be a line break or NUL, got code ") +
                                     std::to_string(static_cast<int>(opt.delimiter)));
  if (bad(opt.quote) || opt.quote == opt.delimiter)
    grove::detail::throw_value_error("load_csv: quote must differ from the delimiter and not be a line break or NUL");
}

}  // namespace detail

/// Reads a CSV file into a Dataset<T> (T: float or double).
///
/// RFC 4180: fields may be quoted, quoted fields may hold delimiters, line breaks and doubled
/// quotes (""); lines end in LF or CRLF; blank lines are skipped. Cells listed in na_values and
/// empty cells are missing (NaN in X). The target (default: the last column) is numeric or
/// label-encoded (TargetKind); a missing target value is an error. Text in a feature column is an
/// error unless the column is listed in `categorical`.
/// Errors are FormatError naming path, line and column: missing/unreadable file, empty file, no
/// data rows, rows with the wrong number of fields, unterminated quotes, text where a number is
/// expected, unknown target or categorical columns. Bad options are a ValueError.
template <class T>
Dataset<T> load_csv(const std::string& path, const CsvOptions& options = {}) {
  static_assert(std::is_floating_point_v<T>, "load_csv<T>: T must be float or double (missing values are NaN)");
  detail::check_csv_options(options);
  detail::CsvSource src(path);
  const std::size_t file_size = src.file_size();
  detail::CsvBuilder<T> builder(path, options);
  const char delim = options.delimiter, quote = options.quote;
  std::string scratch;
  std::size_t line = 1;

  // First record: the header, or the first data row (which also fixes the column count).
  std::vector<std::string> first;
  std::vector<detail::CellPos> first_pos;
  std::size_t first_line = 0;
  bool at_start = true;
  for (;;) {
    if (src.begin() == src.end()) {
      if (src.eof()) break;  // nothing but blank lines
      src.refill();
      continue;
    }
    if (at_start) {
      at_start = false;
      // A UTF-8 byte order mark is not part of the first column's name.
      if (src.end() - src.begin() >= 3 && std::memcmp(src.begin(), "\xEF\xBB\xBF", 3) == 0)
        src.advance_to(src.begin() + 3);
      else if (src.end() - src.begin() < 3 && !src.eof()) {
        at_start = true;
        src.refill();
        continue;
      }
    }
    first.clear();
    first_pos.clear();
    const char* next = nullptr;
    std::size_t n_fields = 0, l = line;
    const auto r = detail::scan_record(
        src.begin(), src.end(), src.eof(), delim, quote, l, scratch, next, n_fields,
        [](const char*, const char*, std::size_t) -> const char* { return nullptr; },
        [&](const char* b, const char* e, detail::CellPos pos) {
          first.emplace_back(b, e);
          first_pos.push_back(pos);
        },
        builder);
    if (r == detail::ScanResult::NeedMore) {
      src.refill();
      continue;
    }
    first_line = line;
    line = l;
    src.advance_to(next);
    if (r == detail::ScanResult::Record) break;
    first.clear();
  }
  if (first.empty())
    builder.fail_file(std::string("the file is empty: expected ") + (options.header ? "a header row" : "a data row"));

  if (options.header) {
    builder.set_columns(first);
  } else {
    std::vector<std::string> names(first.size());
    for (std::size_t c = 0; c < names.size(); ++c) names[c] = std::to_string(c);
    builder.set_columns(std::move(names));
    for (std::size_t c = 0; c < first.size(); ++c)
      builder.field(first[c].data(), first[c].data() + first[c].size(), first_pos[c]);
    builder.end_record(first.size(), first_line);
  }

  const std::size_t data_start = src.offset();
  bool estimated = false;
  for (;;) {
    const char* p = src.begin();
    const char* end = src.end();
    const bool eof = src.eof();
    while (p < end) {
      const char* next = nullptr;
      std::size_t n_fields = 0, l = line;
      const auto r = detail::scan_record(
          p, end, eof, delim, quote, l, scratch, next, n_fields,
          [&](const char* b, const char* e, std::size_t c) { return builder.try_number(b, e, c); },
          [&](const char* b, const char* e, detail::CellPos pos) { builder.field(b, e, pos); }, builder);
      if (r == detail::ScanResult::NeedMore) break;
      if (r == detail::ScanResult::Record) builder.end_record(n_fields, line);
      line = l;
      p = next;
    }
    src.advance_to(p);
    if (!estimated && file_size && builder.rows() >= 1024) {
      // Rows from the bytes per row seen so far, with 10% to spare.
      const double per_row = static_cast<double>(src.offset() - data_start) / static_cast<double>(builder.rows());
      builder.reserve_rows(static_cast<std::size_t>(static_cast<double>(file_size - data_start) / per_row * 1.1) + 1024);
      estimated = true;
    }
    if (!src.refill()) break;
  }
  if (builder.rows() == 0)
    builder.fail_line(line, "expected a data row after the header, got the end of the file");
  return builder.finish();
}

}  // namespace grove::data

#pragma once
/// \file CsvParser<T>: the loop shared by load_csv and CsvReader. It checks the options, skips a
/// byte order mark, detects (or checks) the delimiter, reads the header, then scans records into
/// a CsvTable, as many as asked for at a time.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/data/csv_number.hpp"
#include "grove/data/csv_options.hpp"
#include "grove/data/csv_source.hpp"
#include "grove/data/csv_table.hpp"

namespace grove::detail {

/// How a delimiter is named in messages: "','", "tab".
inline std::string csv_delimiter_name(char c) { return c == '\t' ? std::string("tab") : "'" + std::string(1, c) + "'"; }

/// Rejects options that cannot work: a delimiter or quote that is a line break or can be part of a
/// number (then "1.5.2" could not be told from "1.5" and "2"), a delimiter equal to the quote.
inline void check_csv_options(const data::CsvOptions& opt, const char* op) {
  auto numberish = [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E';
  };
  const std::string o(op);
  if (opt.delimiter == '\n' || opt.delimiter == '\r')
    throw_value_error(o + ": delimiter must not be a line break, got code " +
                      std::to_string(static_cast<int>(opt.delimiter)));
  if (numberish(opt.delimiter))
    throw_value_error(o + ": delimiter " + csv_delimiter_name(opt.delimiter) +
                      " cannot be told apart from a number (digits, '.', '+', '-', 'e' and 'E' are not allowed)");
  if (opt.quote == '\n' || opt.quote == '\r' || opt.quote == '\0' || numberish(opt.quote))
    throw_value_error(o + ": quote must not be a line break, NUL, a digit, '.', '+', '-', 'e' or 'E', got code " +
                      std::to_string(static_cast<int>(opt.quote)));
  if (opt.quote == opt.delimiter)
    throw_value_error(o + ": delimiter and quote must differ, both are " + csv_delimiter_name(opt.quote));
  check_range(o, "max_categories", static_cast<double>(opt.max_categories), Interval{1, 1 << 24});
  check_range(o, "max_category_share", opt.max_category_share, Interval{0, 1, true, false});
}

template <class T>
class CsvParser {
public:
  static constexpr std::size_t kAll = static_cast<std::size_t>(-1);

  CsvParser(const std::string& path, const data::CsvOptions& options, bool streaming, const char* op)
      : src_(checked(path, options, op), op), table_(path, options, streaming, op), streaming_(streaming) {
    read_first_record(options);
  }

  /// Scans up to `limit` more records (rows kept plus rows skipped); false once the file ended.
  bool read(std::size_t limit) {
    const std::size_t stop = limit == kAll ? kAll : table_.records() + limit;
    const char delim = table_.delimiter();
    for (;;) {
      const char* p = src_.begin();
      const char* end = src_.end();
      const bool eof = src_.eof();
      while (p < end && table_.records() < stop) {
        const char* next = nullptr;
        std::size_t n_fields = 0, l = line_;
        const auto r = csv_scan_record(
            p, end, eof, delim, quote_, l, scratch_, next, n_fields,
            [&](const char* b, const char* e, std::size_t c) { return table_.try_number(b, e, c); },
            [&](const char* b, const char* e, CsvPos pos) { table_.field(b, e, pos); }, table_);
        if (r == CsvScan::NeedMore) break;
        if (r == CsvScan::Record) table_.end_record(n_fields, line_);
        line_ = l;
        p = next;
      }
      src_.advance_to(p);
      if (table_.records() >= stop) return true;
      if (!streaming_ && !estimated_ && src_.file_size() && table_.rows() >= 1024) {
        // Rows from the bytes per row seen so far, with 10% to spare.
        const double per_row = static_cast<double>(src_.offset() - data_start_) / static_cast<double>(table_.rows());
        table_.reserve_rows(
            static_cast<std::size_t>(static_cast<double>(src_.file_size() - data_start_) / per_row * 1.1) + 1024);
        estimated_ = true;
      }
      if (!src_.refill()) return false;
    }
  }

  CsvTable<T>& table() noexcept { return table_; }
  /// The line after the last record read.
  std::size_t line() const noexcept { return line_; }

private:
  static const std::string& checked(const std::string& path, const data::CsvOptions& options, const char* op) {
    check_csv_options(options, op);
    return path;
  }

  /// Detects the delimiter, or checks that the given one is plausible: a file whose first row is a
  /// single column while another delimiter splits every line evenly was read with the wrong one.
  void choose_delimiter(const data::CsvOptions& opt) {
    constexpr std::size_t kSniffBytes = std::size_t{64} << 10;
    src_.fill_at_least(kSniffBytes);
    const char* b = src_.begin();
    const char* e = src_.end() - b > static_cast<std::ptrdiff_t>(kSniffBytes) ? b + kSniffBytes : src_.end();
    const bool whole = e == src_.end() && src_.eof();
    const CsvDelimiterGuess guess = csv_guess_delimiter(b, e, whole, opt.quote);
    if (opt.delimiter == data::kDetectDelimiter) {
      table_.set_delimiter(guess.delimiter);
      return;
    }
    const std::vector<std::size_t> first = csv_field_counts(b, e, whole, opt.delimiter, opt.quote, 1);
    if (!first.empty() && first[0] == 1 && guess.consistent && guess.delimiter != opt.delimiter)
      table_.fail_file("with delimiter " + csv_delimiter_name(opt.delimiter) + " the " +
                       (opt.header ? "header" : "first row") + " is a single column, but " +
                       csv_delimiter_name(guess.delimiter) + " splits each of the first " +
                       std::to_string(guess.records) + " lines into " + std::to_string(guess.fields) +
                       " fields; pass delimiter = " + csv_delimiter_name(guess.delimiter) +
                       " (or leave delimiter unset to detect it)");
    table_.set_delimiter(opt.delimiter);
  }

  void read_first_record(const data::CsvOptions& opt) {
    quote_ = opt.quote;
    src_.fill_at_least(3);
    // A UTF-8 byte order mark is not part of the first column's name.
    if (src_.end() - src_.begin() >= 3 && std::memcmp(src_.begin(), "\xEF\xBB\xBF", 3) == 0)
      src_.advance_to(src_.begin() + 3);
    choose_delimiter(opt);
    const char delim = table_.delimiter();
    // The header, or the first data row (which also fixes the column count).
    std::vector<std::string> first;
    std::vector<CsvPos> first_pos;
    std::size_t first_line = 0;
    for (;;) {
      if (src_.begin() == src_.end()) {
        if (src_.eof()) break;  // nothing but blank lines
        src_.refill();
        continue;
      }
      first.clear();
      first_pos.clear();
      const char* next = nullptr;
      std::size_t n_fields = 0, l = line_;
      const auto r = csv_scan_record(
          src_.begin(), src_.end(), src_.eof(), delim, quote_, l, scratch_, next, n_fields,
          [](const char*, const char*, std::size_t) -> const char* { return nullptr; },
          [&](const char* b, const char* e, CsvPos pos) {
            first.emplace_back(b, e);
            first_pos.push_back(pos);
          },
          table_);
      if (r == CsvScan::NeedMore) {
        src_.refill();
        continue;
      }
      first_line = line_;
      line_ = l;
      src_.advance_to(next);
      if (r == CsvScan::Record) break;
      first.clear();
    }
    if (first.empty())
      table_.fail_file(std::string("the file is empty: expected ") + (opt.header ? "a header row" : "a data row"));
    if (opt.header) {
      for (std::string& name : first) {
        const char* b = name.data();
        const char* e = b + name.size();
        csv_trim(b, e, delim);
        name = std::string(b, e);
      }
      table_.set_columns(first);
    } else {
      std::vector<std::string> names(first.size());
      for (std::size_t c = 0; c < names.size(); ++c) names[c] = std::to_string(c);
      table_.set_columns(std::move(names));
      for (std::size_t c = 0; c < first.size(); ++c)
        table_.field(first[c].data(), first[c].data() + first[c].size(), first_pos[c]);
      table_.end_record(first.size(), first_line);
    }
    data_start_ = src_.offset();
  }

  CsvSource src_;
  CsvTable<T> table_;
  bool streaming_ = false, estimated_ = false;
  char quote_ = '"';
  std::string scratch_;
  std::size_t line_ = 1, data_start_ = 0;
};

}  // namespace grove::detail

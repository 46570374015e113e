#pragma once
/// \file The CSV tokenizer behind load_csv and CsvReader: a block reader over the file, the
/// RFC 4180 record scanner, and the field counts that detect (or check) the delimiter.

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/memory.hpp"

namespace grove::detail {

/// The block reader: a buffer holding the unparsed tail of the file. A record that runs past the
/// end of the buffer is re-parsed from its start after the buffer is compacted and refilled.
class CsvSource {
public:
  CsvSource(const std::string& path, const char* op) : path_(path), op_(op) {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) {
      const int err = errno;
      throw_format_error(std::string(op) + ": cannot open '" + path + "': " + std::strerror(err));
    }
    std::setvbuf(file_, nullptr, _IONBF, 0);  // we buffer ourselves
    // A small file gets a small buffer: zero-filling a whole block dominated tiny loads.
    size_ = measure_size();
    buf_.resize(size_ > 0 && size_ < kBlock ? std::max<std::size_t>(size_ + 1, 4096) : kBlock);
  }
  CsvSource(const CsvSource&) = delete;
  CsvSource& operator=(const CsvSource&) = delete;
  ~CsvSource() {
    if (file_) std::fclose(file_);
  }

  /// Size of the file in bytes, or 0 when it is not a seekable regular file.
  std::size_t file_size() const noexcept { return size_; }
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
        throw_format_error(std::string(op_) + ": error reading '" + path_ + "': " + std::strerror(err));
      }
      eof_ = true;
    }
    end_ += got;
    return true;
  }

  /// Refills until at least `bytes` unparsed bytes are buffered or the file ends.
  void fill_at_least(std::size_t bytes) {
    while (static_cast<std::size_t>(end_ - pos_) < bytes && refill()) {
    }
  }

private:
  std::size_t measure_size() {
    if (std::fseek(file_, 0, SEEK_END) != 0) return 0;
    const long size = std::ftell(file_);
    std::fseek(file_, 0, SEEK_SET);
    return size > 0 ? static_cast<std::size_t>(size) : 0;
  }

  static constexpr std::size_t kBlock = std::size_t{1} << 20;
  std::string path_;
  const char* op_;
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  std::size_t size_ = 0, pos_ = 0, end_ = 0, consumed_ = 0;
  bool eof_ = false;
};

enum class CsvScan { Record, NeedMore, Blank };

/// Where a cell sits, for error messages.
struct CsvPos {
  std::size_t line;    ///< 1-based physical line where the field starts
  std::size_t column;  ///< 0-based field index
};

/// Scans one record starting at `p`, handing each complete field to `on_field(b, e, pos)`.
/// `try_number(p, end, column)` may first parse an unquoted cell in place and return where the
/// number ended (or nullptr); it is kept only if a delimiter or line break follows, which fuses
/// scanning and parsing for the common all-numeric row (the caller makes sure a number can never
/// swallow a delimiter).
/// Returns NeedMore (nothing consumed) when the record continues past `end` and more input may
/// follow; Blank for an empty line. On Record/Blank `next` is the start of the following record,
/// `line` has advanced past it and `n_fields` holds the field count.
/// `sink.fail(pos, message)` reports malformed input and must not return.
template <class TryNumber, class OnField, class Sink>
CsvScan csv_scan_record(const char* p, const char* end, bool eof, char delim, char quote, std::size_t& line,
                        std::string& scratch, const char*& next, std::size_t& n_fields, TryNumber&& try_number,
                        OnField&& on_field, const Sink& sink) {
  std::size_t cur_line = line;
  if (p < end && (*p == '\n' || *p == '\r')) {
    if (*p == '\r') {
      if (p + 1 == end && !eof) return CsvScan::NeedMore;
      ++p;
      if (p < end && *p == '\n') ++p;
    } else {
      ++p;
    }
    next = p;
    line = cur_line + 1;
    n_fields = 0;
    return CsvScan::Blank;
  }
  std::size_t col = 0;
  for (;;) {
    const CsvPos pos{cur_line, col};
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
          if (!eof) return CsvScan::NeedMore;
          sink.fail(pos, "expected a closing quote before the end of the file (the quoted field starts here)");
        }
        cur_line += static_cast<std::size_t>(std::count(q, hit, '\n'));
        if (hit + 1 == end && !eof) return CsvScan::NeedMore;  // cannot tell "" from a closing quote yet
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
      if (p == end && !eof) return CsvScan::NeedMore;
      on_field(fb, fe, pos);
    }
    ++col;
    if (p == end) break;  // end of file ends the last record
    if (*p == delim) {
      ++p;
      continue;
    }
    if (*p == '\r') {
      if (p + 1 == end && !eof) return CsvScan::NeedMore;
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
  return CsvScan::Record;
}

/// Field counts of the first complete records (at most `max_records`, blank lines skipped) in
/// [b, e) when split by `delim` outside `quote`d sections. A record cut off by `e` counts only
/// when `eof` says nothing follows.
inline std::vector<std::size_t> csv_field_counts(const char* b, const char* e, bool eof, char delim, char quote,
                                                 std::size_t max_records) {
  std::vector<std::size_t> counts;
  std::size_t fields = 1;
  bool in_quotes = false, any = false;
  for (const char* p = b; p < e && counts.size() < max_records; ++p) {
    const char c = *p;
    if (c == quote) {
      in_quotes = !in_quotes;  // a doubled quote toggles twice
      any = true;
    } else if (in_quotes) {
      continue;
    } else if (c == delim) {
      ++fields;
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (any) counts.push_back(fields);
      fields = 1;
      any = false;
    } else {
      any = true;
    }
  }
  if (eof && any && !in_quotes && counts.size() < max_records) counts.push_back(fields);
  return counts;
}

/// What the first lines say about the delimiter.
struct CsvDelimiterGuess {
  char delimiter = ',';
  std::size_t fields = 1;       ///< fields per record with that delimiter
  std::size_t records = 0;      ///< records looked at
  bool consistent = false;      ///< every record looked at has `fields` fields, and fields >= 2
};

/// The delimiters detection tries, in order of preference on ties.
inline constexpr std::array<char, 4> kCsvDelimiterCandidates = {',', ';', '\t', '|'};

/// Detects the delimiter from the start of a file: the candidate that splits every sampled record
/// into the same number (>= 2) of fields, the most fields winning; without one, the candidate
/// that splits the first record into the most fields (',' when none splits it).
inline CsvDelimiterGuess csv_guess_delimiter(const char* b, const char* e, bool eof, char quote) {
  constexpr std::size_t kSample = 32;
  CsvDelimiterGuess best, first_record_best;
  for (const char d : kCsvDelimiterCandidates) {
    const std::vector<std::size_t> counts = csv_field_counts(b, e, eof, d, quote, kSample);
    if (counts.empty()) continue;
    const bool same = std::all_of(counts.begin(), counts.end(), [&](std::size_t c) { return c == counts[0]; });
    if (same && counts[0] >= 2 && (!best.consistent || counts[0] > best.fields))
      best = {d, counts[0], counts.size(), true};
    if (counts[0] > first_record_best.fields) first_record_best = {d, counts[0], counts.size(), false};
  }
  return best.consistent ? best : first_record_best;
}

}  // namespace grove::detail

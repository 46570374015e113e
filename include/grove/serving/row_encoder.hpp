#pragma once
/// \file RowEncoder: turns the values of one incoming row (a CSV cell, a JSON number or string,
/// a missing value) into the floats a model was trained on, through the model's data::Schema:
/// numbers parse as load_csv parses them, categories map to the training file's codes. It
/// holds no per-row state, so one encoder serves every request thread.

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/data/csv_options.hpp"
#include "grove/data/schema.hpp"

namespace grove {
namespace detail {

/// Transparent string hashing: lookups by string_view without building a std::string.
struct EncoderStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using EncoderCodeMap = std::unordered_map<std::string, std::uint32_t, EncoderStringHash, std::equal_to<>>;

/// At most 60 characters of a value, for a message.
inline std::string shorten_value(std::string_view s) {
  return s.size() > 60 ? std::string(s.substr(0, 60)) + "..." : std::string(s);
}

}  // namespace detail

namespace serving {

/// Options of RowEncoder.
struct RowEncoderOptions {
  /// Missing (NaN, as load_csv with a schema) or Error (a ValueError naming feature and value).
  data::UnseenCategory unseen_category = data::UnseenCategory::Missing;
  /// Texts that mean "missing" (compared after trimming spaces), as load_csv's na_values.
  std::vector<std::string> na_values = {"", "NA", "N/A", "NaN", "nan", "NULL", "null"};
};

/// Encodes single values for the features of a schema. Errors are ValueErrors whose message
/// starts with the feature ("feature 'age' expects a number, got 'abc'"), for the caller to
/// prefix with where the value came from (a request index, a file line and column).
class RowEncoder {
public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  explicit RowEncoder(data::Schema schema, RowEncoderOptions options = {})
      : schema_(std::move(schema)), options_(std::move(options)) {
    const std::size_t d = schema_.n_features();
    codes_.resize(d);
    for (std::size_t j = 0; j < d; ++j) {
      const data::Column& c = schema_.features[j];
      index_.emplace(c.name, j);  // a repeated name keeps its first column
      for (std::size_t k = 0; k < c.categories.size(); ++k)
        codes_[j].emplace(c.categories[k], static_cast<std::uint32_t>(k));
    }
  }

  const data::Schema& schema() const noexcept { return schema_; }
  const RowEncoderOptions& options() const noexcept { return options_; }
  std::size_t n_features() const noexcept { return schema_.n_features(); }

  /// Column of the feature called `name`, or npos.
  std::size_t find(std::string_view name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? npos : it->second;
  }
  /// True when `name` is the schema's target column (rows may carry it; it is not a feature).
  bool is_target(std::string_view name) const noexcept { return !schema_.target.empty() && name == schema_.target; }

  /// The value of a missing cell (JSON null, an empty CSV cell).
  static constexpr float missing() noexcept { return std::numeric_limits<float>::quiet_NaN(); }

  /// A number for feature j: itself for a numeric feature; for a categorical one, the code of
  /// the category with that text ("3" for 3, "2.5" for 2.5).
  float number(std::size_t j, double v) const {
    if (schema_.features[j].kind == data::ColumnKind::Numeric) return static_cast<float>(v);
    if (std::isnan(v)) return missing();
    const bool integral = std::abs(v) < 1e15 && v == std::floor(v);
    return category(j, integral ? std::to_string(static_cast<long long>(v)) : format_number(v));
  }

  /// A text for feature j: a numeric feature parses it (surrounding spaces ignored; na_values
  /// and "nan" are missing); a categorical one looks it up (na_values are missing; an unseen
  /// category follows options().unseen_category).
  float text(std::size_t j, std::string_view s) const {
    if (schema_.features[j].kind == data::ColumnKind::Categorical) return is_na(s) ? missing() : category(j, s);
    const std::string_view t = trim(s);
    double v = 0;
    if (parse_number(t, v)) return static_cast<float>(v);
    if (is_na(t)) return missing();
    throw_not_a_number(j, s);
  }

  /// A boolean for feature j: a ValueError (no feature holds booleans; send 0/1 or a category text).
  [[noreturn]] void boolean(std::size_t j, bool b) const {
    throw_value(j, schema_.features[j].kind == data::ColumnKind::Numeric ? "expects a number, got " : "expects a category, got ",
                b ? "true" : "false");
  }

private:
  float category(std::size_t j, std::string_view s) const {
    const auto it = codes_[j].find(s);
    if (it != codes_[j].end()) return static_cast<float>(it->second);
    if (options_.unseen_category == data::UnseenCategory::Missing) return missing();
    throw_unseen(j, s);
  }

  /// A categorical cell is compared as it is (as load_csv does); a numeric one after trimming.
  bool is_na(std::string_view s) const noexcept {
    for (const std::string& na : options_.na_values)
      if (s == na) return true;
    return false;
  }

  static std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }

  /// The whole text as one number (a leading '+' allowed, as in load_csv; overflow gives inf).
  static bool parse_number(std::string_view t, double& out) {
    const char* b = t.data();
    const char* e = b + t.size();
    if (e - b > 1 && *b == '+' && b[1] != '-' && b[1] != '+') ++b;
    const auto res = std::from_chars(b, e, out);
    if (b == e || res.ptr != e) return false;
    // from_chars leaves `out` untouched on overflow/underflow; strtod rounds to inf or 0.
    if (res.ec == std::errc::result_out_of_range) out = std::strtod(std::string(b, e).c_str(), nullptr);
    return res.ec == std::errc{} || res.ec == std::errc::result_out_of_range;
  }

  [[noreturn, gnu::cold, gnu::noinline]] void throw_value(std::size_t j, const char* what, std::string_view got) const {
    detail::throw_value_error("feature '" + schema_.features[j].name + "' " + what + std::string(got));
  }
  [[noreturn, gnu::cold, gnu::noinline]] void throw_not_a_number(std::size_t j, std::string_view s) const {
    throw_value(j, "expects a number, got ", "'" + detail::shorten_value(s) + "'");
  }
  [[noreturn, gnu::cold, gnu::noinline]] void throw_unseen(std::size_t j, std::string_view s) const {
    const std::vector<std::string>& cats = schema_.features[j].categories;
    std::string known;
    for (std::size_t k = 0; k < cats.size() && k < 10; ++k) known += (k ? ", '" : "'") + cats[k] + "'";
    if (cats.size() > 10) known += ", ... (" + std::to_string(cats.size()) + " in all)";
    throw_value(j, "has no category ", "'" + detail::shorten_value(s) + "' (known: " + known + ")");
  }

  data::Schema schema_;
  RowEncoderOptions options_;
  std::unordered_map<std::string, std::size_t, detail::EncoderStringHash, std::equal_to<>> index_;
  std::vector<detail::EncoderCodeMap> codes_;
};

}  // namespace serving
}  // namespace grove

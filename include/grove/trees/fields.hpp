#pragma once
/// \file Parameter tables: each model family lists its params struct's fields once, as
/// (name, member, allowed range), and that table drives validation, the model file (which
/// records the name of every field it stores, so files written before a field existed still
/// load, with its default) and reading or writing parameters by name (set_param / get_params).
/// How a field's type is checked, stored and spelled lives in ParamCodec<T>.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/io/binary.hpp"

namespace grove::detail {

/// One field of a params struct P.
template <class P, class M>
struct ParamField {
  std::string_view name;
  M P::*member;
  Interval range;  ///< numeric fields; enums: allowed underlying values
};

template <class P, class M>
constexpr ParamField<P, M> param_field(std::string_view name, M P::*member, Interval range = {}) {
  return {name, member, range};
}

/// Appends `item` to a list in `out`, after `separator` unless the list is empty.
inline void append_listed(std::string& out, std::string_view item, std::string_view separator) {
  if (!out.empty()) out += separator;
  out += item;
}

/// Names of an enum's values, indexed by value (specialized next to each enum).
template <class E>
struct EnumNames;

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_param_text(std::string_view op, std::string_view name,
                                                                         std::string_view text) {
  throw_value_error(std::string(op) + ": cannot read '" + std::string(text) + "' as " + std::string(name));
}

/// A parameter check that ties fields together: "<op>: <what>".
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_params(std::string_view op, const std::string& what) {
  throw_value_error(std::string(op) + ": " + what);
}

/// Check, file encoding (bytes() is what write() appends) and text form of a field type: numbers and enums here, other types
/// (MaxFeatures, category lists, class weights) specialize it beside their definition.
template <class T>
struct ParamCodec {
  static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>, "ParamCodec needs a specialization for this type");
  using Stored = std::conditional_t<std::is_enum_v<T>, std::uint32_t,
                                    std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>>;

  static void check(std::string_view op, std::string_view name, T v, const Interval& range) {
    if constexpr (std::is_enum_v<T>) {
      if (!range.contains(static_cast<double>(v))) throw_enum(op, name, v, range);
    } else if constexpr (!std::is_same_v<T, bool>) {
      check_range(op, name, static_cast<double>(v), range);
    }
  }
  static std::size_t bytes(T) noexcept { return sizeof(Stored); }
  static void write(io::BinaryWriter& w, T v) { w.write<Stored>(static_cast<Stored>(v)); }
  static void read(io::BinaryReader& r, T& v) { v = static_cast<T>(r.read<Stored>()); }
  static std::string text(T v) {
    if constexpr (std::is_enum_v<T>) return name_of(v);
    else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
    else if constexpr (std::is_integral_v<T>) return std::to_string(v);
    else return format_number(static_cast<double>(v));
  }
  static void parse(std::string_view op, std::string_view name, std::string_view s, T& v) {
    if constexpr (std::is_enum_v<T>) {
      for (std::size_t i = 0; i < std::size(EnumNames<T>::names); ++i)
        if (s == EnumNames<T>::names[i]) {
          v = static_cast<T>(i);
          return;
        }
    } else if constexpr (std::is_same_v<T, bool>) {
      if (s == "true" || s == "1" || s == "false" || s == "0") {
        v = s == "true" || s == "1";
        return;
      }
    } else {
      T out{};
      const auto res = std::from_chars(s.data(), s.data() + s.size(), out);
      if (res.ec == std::errc() && res.ptr == s.data() + s.size()) {
        v = out;
        return;
      }
    }
    throw_bad_param_text(op, name, s);
  }

private:
  static std::string name_of(T v) {
    const auto i = static_cast<std::size_t>(v);
    return i < std::size(EnumNames<T>::names) ? std::string(EnumNames<T>::names[i]) : std::to_string(i);
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void throw_enum(std::string_view op, std::string_view name, T v,
                                                               const Interval& range) {
    std::string allowed;
    for (std::size_t i = 0; i < std::size(EnumNames<T>::names); ++i)
      if (range.contains(static_cast<double>(i)))
        append_listed(allowed, EnumNames<T>::names[i], ", ");
    throw_value_error(std::string(op) + ": " + std::string(name) + " must be one of " + allowed + ", got " + name_of(v));
  }
};

/// A list of integers (feature indices, per-feature constraints): stored as a count and the
/// values (64-bit, signed for signed types); text "0,3,5" (empty: ""); each value in the range.
template <class T>
  requires std::is_integral_v<T>
struct ParamCodec<std::vector<T>> {
  using Stored = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;

  static void check(std::string_view op, std::string_view name, const std::vector<T>& v, const Interval& range) {
    for (T x : v) ParamCodec<T>::check(op, name, x, range);
  }
  static std::size_t bytes(const std::vector<T>& v) noexcept { return 8 * (v.size() + 1); }
  static void write(io::BinaryWriter& w, const std::vector<T>& v) {
    w.write<std::uint64_t>(v.size());
    for (T i : v) w.write<Stored>(static_cast<Stored>(i));
  }
  static void read(io::BinaryReader& r, std::vector<T>& v) {
    const auto n = r.read<std::uint64_t>();
    if (n > r.remaining() / 8) r.fail("a list of " + std::to_string(n) + " indices is implausible");
    v.resize(static_cast<std::size_t>(n));
    for (T& i : v) i = static_cast<T>(r.read<Stored>());
  }
  static std::string text(const std::vector<T>& v) {
    std::string out;
    for (T i : v) append_listed(out, std::to_string(i), ",");
    return out;
  }
  static void parse(std::string_view op, std::string_view name, std::string_view s, std::vector<T>& v) {
    std::vector<T> out;
    while (!s.empty()) {
      const std::size_t comma = std::min(s.find(','), s.size());
      T i = 0;
      ParamCodec<T>::parse(op, name, s.substr(0, comma), i);
      out.push_back(i);
      s.remove_prefix(std::min(comma + 1, s.size()));
    }
    v = std::move(out);
  }
};

/// The categorical-split fields both model families declare (the same names and ranges).
template <class P>
constexpr auto categorical_fields() {
  return std::tuple{param_field("categorical_features", &P::categorical_features),
                    param_field("max_cat_to_onehot", &P::max_cat_to_onehot, Interval{1, 255}),
                    param_field("max_cat_threshold", &P::max_cat_threshold, Interval{1, 255}),
                    param_field("cat_smooth", &P::cat_smooth, Interval{0}),
                    param_field("min_data_per_category", &P::min_data_per_category, Interval{0})};
}

/// A categorical feature is listed once.
inline void check_categorical_list(const std::vector<std::size_t>& features, std::string_view op) {
  for (std::size_t i = 0; i < features.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (features[i] == features[j])
        throw_params(op, "categorical_features lists feature " + std::to_string(features[i]) + " twice");
}

/// Calls f(field) for every field of a table (a tuple of ParamField).
template <class Table, class F>
void for_each_field(const Table& table, F&& f) {
  std::apply([&](const auto&... field) { (f(field), ...); }, table);
}

/// Checks every field of p against its range; the message names `op` and the field.
template <class P, class Table>
void check_fields(const P& p, const Table& table, std::string_view op) {
  for_each_field(table, [&](const auto& field) {
    using M = std::remove_cvref_t<decltype(p.*field.member)>;
    ParamCodec<M>::check(op, field.name, p.*field.member, field.range);
  });
}

/// Writes the fields as (count; then per field: name, byte length, value).
template <class P, class Table>
void write_fields(io::BinaryWriter& w, const P& p, const Table& table) {
  w.write<std::uint64_t>(std::tuple_size_v<Table>);
  for_each_field(table, [&](const auto& field) {
    using M = std::remove_cvref_t<decltype(p.*field.member)>;
    w.write_string(field.name);
    w.write<std::uint64_t>(ParamCodec<M>::bytes(p.*field.member));
    ParamCodec<M>::write(w, p.*field.member);
  });
}

/// Reads fields written by write_fields into p; fields the file lacks keep p's values. An
/// unknown name (a file from a newer grove) or a value of the wrong size is a FormatError.
template <class P, class Table>
void read_fields(io::BinaryReader& r, P& p, const Table& table) {
  const auto count = r.read<std::uint64_t>();
  if (count > r.remaining() / 16) r.fail("parameter count " + std::to_string(count) + " is implausible");
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string name = r.read_string(256);
    const auto bytes = r.read<std::uint64_t>();
    const std::size_t before = r.remaining();
    if (bytes > before) r.fail("parameter '" + name + "' claims " + std::to_string(bytes) + " bytes");
    bool known = false;
    for_each_field(table, [&](const auto& field) {
      if (known || field.name != name) return;
      known = true;
      using M = std::remove_cvref_t<decltype(p.*field.member)>;
      ParamCodec<M>::read(r, p.*field.member);
    });
    if (!known) r.fail("unknown parameter '" + name + "' (written by a newer grove?)");
    if (before - r.remaining() != bytes) r.fail("parameter '" + name + "' has " + std::to_string(bytes) + " bytes");
  }
}

/// Reads fields stored without names, in the fixed order `names` (kind version 1 files).
template <class P, class Table, class Names>
void read_fields_in_order(io::BinaryReader& r, P& p, const Table& table, const Names& names) {
  for (std::string_view name : names)
    for_each_field(table, [&](const auto& field) {
      using M = std::remove_cvref_t<decltype(p.*field.member)>;
      if (field.name == name) ParamCodec<M>::read(r, p.*field.member);
    });
}

/// Sets field `name` of p from its text form (no range check; the model constructor checks).
template <class P, class Table>
void set_field_text(P& p, const Table& table, std::string_view op, std::string_view name, std::string_view text) {
  bool known = false;
  for_each_field(table, [&](const auto& field) {
    if (known || field.name != name) return;
    known = true;
    using M = std::remove_cvref_t<decltype(p.*field.member)>;
    ParamCodec<M>::parse(op, field.name, text, p.*field.member);
  });
  if (!known) {
    std::string all;
    for_each_field(table, [&](const auto& field) { append_listed(all, field.name, ", "); });
    throw_value_error(std::string(op) + ": unknown parameter '" + std::string(name) + "' (known: " + all + ")");
  }
}

/// Every field of p as (name, text) pairs, in declaration order.
template <class P, class Table>
std::vector<std::pair<std::string, std::string>> fields_text(const P& p, const Table& table) {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_field(table, [&](const auto& field) {
    using M = std::remove_cvref_t<decltype(p.*field.member)>;
    out.emplace_back(std::string(field.name), ParamCodec<M>::text(p.*field.member));
  });
  return out;
}

}  // namespace grove::detail

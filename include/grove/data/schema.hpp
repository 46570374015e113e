#pragma once
/// \file Schema: what a training file's columns meant (names, kinds, category lists, classes),
/// so another file can be loaded with exactly the same encoding and a saved model knows what it
/// was trained on. Written into model files through io::BinaryWriter.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "grove/io/binary.hpp"

namespace grove::data {

/// What a feature column holds.
enum class ColumnKind : std::uint8_t {
  Numeric = 0,      ///< numbers; missing cells are NaN
  Categorical = 1,  ///< category codes 0..k-1 into Column::categories; missing or unseen cells are NaN
};

/// How load_csv treats the target column (and what a schema records about it).
enum class TargetKind : std::uint8_t {
  Auto = 0,         ///< loading only: numeric if every value parses as a number, otherwise label-encoded
  Numeric = 1,      ///< regression target: every value must be a number
  Categorical = 2,  ///< label-encoded: class indices into class_names
  None = 3,         ///< no target: every column is a feature and y is empty
};

/// One feature column of a schema.
struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::Numeric;
  std::vector<std::string> categories;  ///< categorical: code c means categories[c]

  friend bool operator==(const Column&, const Column&) = default;
};

/// The encoding of a data set: its feature columns in order and its target.
struct Schema {
  std::vector<Column> features;              ///< feature columns in the order of X's columns
  std::string target;                        ///< target column name ("" without a target)
  TargetKind target_kind = TargetKind::None;  ///< Numeric, Categorical or None
  std::vector<std::string> class_names;      ///< Categorical target: label k means class_names[k]

  /// True for a default-constructed schema (nothing known: e.g. a model fit on bare tensors).
  bool empty() const noexcept { return features.empty() && target.empty() && class_names.empty(); }
  /// Number of feature columns.
  std::size_t n_features() const noexcept { return features.size(); }
  /// Feature names in column order.
  std::vector<std::string> feature_names() const {
    std::vector<std::string> out;
    out.reserve(features.size());
    for (const Column& c : features) out.push_back(c.name);
    return out;
  }
  /// Indices of the categorical features (what the tree models take as categorical_features).
  std::vector<std::size_t> categorical_features() const {
    std::vector<std::size_t> out;
    for (std::size_t j = 0; j < features.size(); ++j)
      if (features[j].kind == ColumnKind::Categorical) out.push_back(j);
    return out;
  }

  friend bool operator==(const Schema&, const Schema&) = default;
};

/// Appends a schema to a model payload.
inline void write_schema(io::BinaryWriter& w, const Schema& s) {
  w.write<std::uint64_t>(s.features.size());
  for (const Column& c : s.features) {
    w.write_string(c.name);
    w.write<std::uint8_t>(static_cast<std::uint8_t>(c.kind));
    w.write<std::uint64_t>(c.categories.size());
    for (const std::string& cat : c.categories) w.write_string(cat);
  }
  w.write_string(s.target);
  w.write<std::uint8_t>(static_cast<std::uint8_t>(s.target_kind));
  w.write<std::uint64_t>(s.class_names.size());
  for (const std::string& name : s.class_names) w.write_string(name);
}

/// Reads a schema written by write_schema; every count is checked against the bytes present.
inline Schema read_schema(io::BinaryReader& r) {
  // Each string costs at least its 8-byte length, so a count above remaining()/8 is a lie.
  auto read_count = [&r](const char* what) {
    const auto n = r.read<std::uint64_t>();
    if (n > r.remaining() / 8) r.fail(std::string("schema: ") + what + " count " + std::to_string(n) + " is implausible");
    return static_cast<std::size_t>(n);
  };
  Schema s;
  s.features.resize(read_count("feature"));
  for (Column& c : s.features) {
    c.name = r.read_string();
    const auto kind = r.read<std::uint8_t>();
    if (kind > 1) r.fail("schema: feature '" + c.name + "' has unknown kind " + std::to_string(kind));
    c.kind = static_cast<ColumnKind>(kind);
    c.categories.resize(read_count("category"));
    for (std::string& cat : c.categories) cat = r.read_string();
    if (c.kind == ColumnKind::Numeric && !c.categories.empty())
      r.fail("schema: numeric feature '" + c.name + "' lists categories");
  }
  s.target = r.read_string();
  const auto target_kind = r.read<std::uint8_t>();
  if (target_kind < 1 || target_kind > 3) r.fail("schema: unknown target kind " + std::to_string(target_kind));
  s.target_kind = static_cast<TargetKind>(target_kind);
  s.class_names.resize(read_count("class"));
  for (std::string& name : s.class_names) name = r.read_string();
  return s;
}

}  // namespace grove::data

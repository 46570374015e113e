#pragma once
/// \file The tree model file: grove's binary container of kind "grove.trees.<model name>".
/// Kind version 3 (written): the params as named fields, the data schema, the engine state with
/// node covers in every tree. Kind version 2 (read): the same without covers.
/// Kind version 1 (read): params in a fixed layout, no schema (loads with an empty schema).

#include <cstdint>
#include <string>
#include <string_view>

#include "grove/core/error.hpp"
#include "grove/data/schema.hpp"
#include "grove/io/binary.hpp"
#include "grove/trees/fields.hpp"
#include "grove/trees/params.hpp"

namespace grove::detail {

inline constexpr std::uint32_t kTreeModelVersion = 3;

/// "grove.trees.<model name>", the kind recorded in model files.
inline std::string tree_model_kind(std::string_view name) { return "grove.trees." + std::string(name); }

template <class P, class Engine>
void write_tree_model(const std::string& path, std::string_view name, const P& params, const data::Schema& schema,
                      const Engine& engine) {
  io::BinaryWriter w;
  write_fields(w, params, param_table(params));
  data::write_schema(w, schema);
  engine.write(w);
  w.save(path, tree_model_kind(name), kTreeModelVersion);
}

/// The params of a model file, checked as the model constructor checks them (a file whose
/// params no model accepts is a FormatError); leaves the reader at the schema or engine state.
template <class P>
P read_tree_params(io::BinaryReader& r, std::string_view name) {
  P p;
  if (r.kind_version() < 2)
    read_params_v1(r, p);
  else
    read_fields(r, p, param_table(p));
  try {
    check_params(p, name);
  } catch (const ValueError& e) {
    r.fail(e.what());
  }
  return p;
}

/// Reads the schema and engine state that follow the params, and checks that the file ends.
template <class P, class Engine>
void read_tree_state(io::BinaryReader& r, const P& params, data::Schema& schema, Engine& engine) {
  const bool v1 = r.kind_version() < 2;
  if (!v1) schema = data::read_schema(r);
  if (v1)
    engine.read_v1(r, P::kClassifier);
  else
    engine.read(r, P::kClassifier);
  engine.check_against(params, r);
  r.expect_end();
}

}  // namespace grove::detail

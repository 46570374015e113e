#pragma once
/// \file The data schema a tree model keeps (recorded by fit on a Dataset, saved in the model
/// file): checking new data against it, and the class names it gives classifiers.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/data/schema.hpp"

namespace grove::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_schema_mismatch(std::string_view op, const std::string& what) {
  throw_value_error(std::string(op) + ": " + what +
                    " (load the data with the model's schema: load_csv(path, {.schema = model.schema()}))");
}

inline const char* column_kind_name(data::ColumnKind k) {
  return k == data::ColumnKind::Categorical ? "categorical" : "numeric";
}

// The first difference between two name lists: `subject` has <noun> c = ... ("feature 'city'
// has category 2 = 'Oslo' in the data but 'Paris' in the model").
inline void check_names(std::string_view op, const std::string& subject, const char* noun, const char* plural,
                        const std::vector<std::string>& data, const std::vector<std::string>& model) {
  for (std::size_t c = 0; c < data.size() && c < model.size(); ++c)
    if (data[c] != model[c])
      throw_schema_mismatch(op, subject + " has " + noun + " " + std::to_string(c) + " = '" + data[c] +
                                    "' in the data but '" + model[c] + "' in the model");
  if (data.size() != model.size())
    throw_schema_mismatch(op, subject + " has " + std::to_string(data.size()) + " " + plural + " in the data but " +
                                  std::to_string(model.size()) + " in the model");
}

/// Throws a ValueError naming the first difference between the data's schema and the model's
/// (feature count, names, kinds, category lists, class names). A model without a schema (fit on
/// bare tensors) checks nothing here; the feature count is checked with the input.
inline void check_schema(std::string_view op, const data::Schema& model, const data::Schema& data) {
  if (model.empty()) return;
  if (data.n_features() != model.n_features())
    throw_schema_mismatch(op, "the data has " + std::to_string(data.n_features()) + " features, the model " +
                                  std::to_string(model.n_features()));
  for (std::size_t j = 0; j < model.n_features(); ++j) {
    const data::Column &d = data.features[j], &m = model.features[j];
    if (d.name != m.name)
      throw_schema_mismatch(op, "feature " + std::to_string(j) + " is '" + d.name + "' in the data but '" + m.name +
                                    "' in the model");
    if (d.kind != m.kind)
      throw_schema_mismatch(op, "feature '" + d.name + "' is " + column_kind_name(d.kind) + " in the data but " +
                                    column_kind_name(m.kind) + " in the model");
    check_names(op, "feature '" + d.name + "'", "category", "categories", d.categories, m.categories);
  }
  if (!data.class_names.empty() && !model.class_names.empty())
    check_names(op, "the target", "class", "classes", data.class_names, model.class_names);
}

/// A classifier's class names: the schema's, or "0".."k-1" for a model fit on bare labels.
inline std::vector<std::string> model_class_names(const data::Schema& schema, std::size_t n_classes) {
  if (schema.class_names.size() == n_classes && n_classes > 0) return schema.class_names;
  std::vector<std::string> out(n_classes);
  for (std::size_t k = 0; k < n_classes; ++k) out[k] = std::to_string(k);
  return out;
}

}  // namespace grove::detail

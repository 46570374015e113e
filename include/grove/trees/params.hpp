#pragma once
/// \file Reading and writing any tree model's parameters by name, through its family's field
/// table: for configuration files, command lines and parameter searches.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/trees/boosting_params.hpp"
#include "grove/trees/fields.hpp"
#include "grove/trees/forest_params.hpp"
#include "grove/io/binary.hpp"

namespace grove::detail {

template <class Task>
constexpr const auto& param_table(const trees::GradientBoostingParams<Task>&) {
  return kBoostingFields<trees::GradientBoostingParams<Task>>;
}
template <class Kind>
constexpr const auto& param_table(const trees::ForestParams<Kind>&) {
  return kForestFields<trees::ForestParams<Kind>>;
}

/// Kind version 1 files stored boosting params in a fixed layout; regressors their loss after it.
template <class Task>
void read_params_v1(io::BinaryReader& r, trees::GradientBoostingParams<Task>& p) {
  read_fields_in_order(r, p, kBoostingFields<trees::GradientBoostingParams<Task>>, kBoostingFieldsV1);
  if constexpr (!Task::kClassifier) ParamCodec<trees::Loss>::read(r, p.loss);
}

/// Kind version 1 files stored every forest field; regressors the classifier's default criterion.
template <class Kind>
void read_params_v1(io::BinaryReader& r, trees::ForestParams<Kind>& p) {
  read_fields_in_order(r, p, kForestFields<trees::ForestParams<Kind>>, kForestFieldsV1);
  if constexpr (!Kind::kClassifier) p.criterion = trees::Criterion::SquaredError;
}

}  // namespace grove::detail

namespace grove::trees {

/// Sets parameter `name` from its text form ("max_depth", "6"; enums by name: "entropy",
/// "absolute_error"; max_features: "sqrt", "log2", "all" or a fraction). ValueError naming the
/// known parameters for an unknown name, or the text when it does not parse. Ranges are checked
/// when the params reach a model.
template <class P>
void set_param(P& params, std::string_view name, std::string_view value) {
  detail::set_field_text(params, detail::param_table(params), "set_param", name, value);
}

/// Every parameter as (name, text) in declaration order; set_param reads the text back.
template <class P>
std::vector<std::pair<std::string, std::string>> get_params(const P& params) {
  return detail::fields_text(params, detail::param_table(params));
}

}  // namespace grove::trees

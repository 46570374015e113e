#pragma once
/// \file Params as text: get_params(model) lists a params struct's fields as name/value text,
/// and param_name(&P::field) names a field, for search results and AnyEstimator. A params type
/// takes part with a field list: an ADL-visible visit_params(P& p, F&& f), or a specialization
/// of model_selection::ParamFields<P> with a static visit(P& p, F&& f), that calls f(name,
/// p.field) for each field in declaration order. The tree models' params take part through the
/// trees module's field tables (grove::detail::param_table); value types without a number-like
/// text get one from an ADL to_string or a ValueText<V> specialization (tree enums and
/// MaxFeatures through the trees' ParamCodec).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/format.hpp"
#include "grove/trees/params.hpp"

namespace grove::model_selection {

/// One parameter as text, e.g. {"max_depth", "6"}.
struct ParamText {
  std::string name;
  std::string value;
  friend bool operator==(const ParamText&, const ParamText&) = default;
};

/// A list of parameters as text, in declaration (or search-axis) order.
using ParamList = std::vector<ParamText>;

/// "max_depth=6, learning_rate=0.1".
inline std::string to_string(const ParamList& params) {
  std::string s;
  for (const ParamText& p : params) {
    if (!s.empty()) s += ", ";
    s += p.name;
    s += '=';
    s += p.value;
  }
  return s;
}

/// Field list of a params type P, for types that do not provide visit_params themselves:
/// specialize with `template <class F> static void visit(P& p, F&& f)` calling f(name, p.field).
template <class P>
struct ParamFields {};

/// Text of a parameter value type V that has no to_string: specialize with
/// `static std::string text(const V&)`.
template <class V>
struct ValueText {};

/// The tree models' params: their field table.
template <class P>
  requires requires(const P& p) { grove::detail::param_table(p); }
struct ParamFields<P> {
  template <class Q, class F>
  static void visit(Q& p, F&& f) {
    grove::detail::for_each_field(grove::detail::param_table(p), [&](const auto& field) { f(field.name, p.*field.member); });
  }
};

/// Tree enums (criterion, loss) and MaxFeatures: the text the trees' set_param reads back.
template <class V>
  requires requires { grove::detail::EnumNames<V>::names; } || std::same_as<V, trees::MaxFeatures>
struct ValueText<V> {
  static std::string text(const V& v) { return grove::detail::ParamCodec<V>::text(v); }
};

}  // namespace grove::model_selection

namespace grove::detail {

struct AnyParamField {
  template <class V>
  void operator()(std::string_view, V&) const {}
};

template <class P>
concept HasFieldTrait = requires(P& p) { model_selection::ParamFields<P>::visit(p, AnyParamField{}); };

/// visit_params(p, f) found by argument-dependent lookup in P's namespace, or the trait.
template <class P>
concept ParamVisitable = HasFieldTrait<P> || requires(P& p) { visit_params(p, AnyParamField{}); };

template <class P, class F>
void visit_param_fields(P& p, F&& f) {
  if constexpr (HasFieldTrait<P>) model_selection::ParamFields<P>::visit(p, std::forward<F>(f));
  else visit_params(p, std::forward<F>(f));
}

}  // namespace grove::detail

namespace grove::model_selection {

/// True when P lists its fields through visit_params (see the file comment).
template <class P>
concept HasParamFields = detail::ParamVisitable<P>;

/// The text of one parameter value: numbers in shortest round-trip form ("0.05", "6"), bools as
/// true/false, enums and other types through ValueText<V> or an ADL to_string, lists of
/// numbers as "[128,64]"; anything else as "?".
template <class V>
std::string param_value_text(const V& v) {
  if constexpr (std::is_same_v<V, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_integral_v<V>) {
    return std::to_string(v);
  } else if constexpr (std::is_floating_point_v<V>) {
    return format_number(static_cast<double>(v));
  } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    return std::string(std::string_view(v));
  } else if constexpr (requires { ValueText<V>::text(v); }) {
    return ValueText<V>::text(v);
  } else if constexpr (requires { to_string(v); }) {
    return std::string(to_string(v));
  } else if constexpr (std::is_enum_v<V>) {
    return std::to_string(static_cast<std::underlying_type_t<V>>(v));
  } else if constexpr (requires { v.begin(); v.end(); }) {
    std::string s = "[";
    for (const auto& e : v) {
      if (s.size() > 1) s += ',';
      s += param_value_text(e);
    }
    return s + "]";
  } else {
    return "?";
  }
}

/// Every field of a params struct as text (empty when P has no field list).
template <class P>
  requires(!requires(const P& p) { p.params(); })
ParamList get_params(const P& params) {
  ParamList out;
  if constexpr (HasParamFields<P>) {
    P copy = params;
    detail::visit_param_fields(copy, [&](std::string_view name, const auto& value) {
      out.push_back({std::string(name), param_value_text(value)});
    });
  }
  return out;
}

/// Every field of a model's params() as text (scikit-learn's get_params, as text).
template <class M>
  requires requires(const M& m) { m.params(); }
ParamList get_params(const M& model) {
  return get_params(model.params());
}

/// The name of field `member` in P's field list, or "" when P has none or does not list it.
template <class P, class V>
std::string param_name(V P::*member) {
  std::string out;
  if constexpr (HasParamFields<P> && std::is_default_constructible_v<P>) {
    P probe{};
    const void* target = &(probe.*member);
    detail::visit_param_fields(probe, [&](std::string_view name, auto& value) {
      if (static_cast<const void*>(&value) == target && out.empty()) out = std::string(name);
    });
  }
  return out;
}

}  // namespace grove::model_selection

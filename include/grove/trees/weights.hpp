#pragma once
/// \file Row weights: sample weights given to fit and class weights of classifiers
/// (ClassWeight: none, "balanced" as scikit-learn, or one weight per class), combined into the
/// per-row weight the engines multiply their statistics by.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/io/binary.hpp"
#include "grove/trees/fields.hpp"

namespace grove::trees {

/// How a classifier weighs its classes.
struct ClassWeight {
  enum class Mode : std::uint32_t { None = 0, Balanced = 1, Explicit = 2 };
  Mode mode = Mode::None;
  std::vector<double> weights = {};  ///< Explicit: one weight per class, finite and >= 0

  /// Every class weighs 1.
  static ClassWeight none() { return {}; }
  /// Class c weighs n / (k * count_c), as scikit-learn's "balanced".
  static ClassWeight balanced() { return {Mode::Balanced, {}}; }
  /// Class c weighs weights[c].
  static ClassWeight of(std::vector<double> weights) { return {Mode::Explicit, std::move(weights)}; }

  friend bool operator==(const ClassWeight&, const ClassWeight&) = default;
};

/// What a regressor's params hold in the place of class weights: nothing.
struct NoClassWeight {
  friend bool operator==(NoClassWeight, NoClassWeight) = default;
};

}  // namespace grove::trees

namespace grove::detail {

using trees::ClassWeight;

/// The largest weight a row may have: statistics stay far inside float range (a weight times
/// a gradient, summed over many rows).
inline constexpr double kMaxRowWeight = 1e30;

template <>
struct ParamCodec<ClassWeight> {
  static void check(std::string_view op, std::string_view name, const ClassWeight& v, const Interval&) {
    if (static_cast<std::uint32_t>(v.mode) > 2) throw_params(op, std::string(name) + " has an unknown mode");
    if (v.mode != ClassWeight::Mode::Explicit && !v.weights.empty())
      throw_params(op, std::string(name) + " lists weights without being explicit");
    if (v.mode == ClassWeight::Mode::Explicit && v.weights.empty())
      throw_params(op, std::string(name) + " lists no weights");
    for (std::size_t c = 0; c < v.weights.size(); ++c)
      check_range(op, std::string(name) + "[" + std::to_string(c) + "]", v.weights[c], Interval{0, kMaxRowWeight});
  }
  static std::size_t bytes(const ClassWeight& v) noexcept { return 4 + 8 + 8 * v.weights.size(); }
  static void write(io::BinaryWriter& w, const ClassWeight& v) {
    w.write<std::uint32_t>(static_cast<std::uint32_t>(v.mode));
    w.write_vector(v.weights);
  }
  static void read(io::BinaryReader& r, ClassWeight& v) {
    v.mode = static_cast<ClassWeight::Mode>(r.read<std::uint32_t>());
    v.weights = r.read_vector<double>();
  }
  static std::string text(const ClassWeight& v) {
    if (v.mode == ClassWeight::Mode::None) return "none";
    if (v.mode == ClassWeight::Mode::Balanced) return "balanced";
    std::string out;
    for (double w : v.weights) append_listed(out, format_number(w), ",");
    return out;
  }
  static void parse(std::string_view op, std::string_view name, std::string_view s, ClassWeight& v) {
    if (s == "none" || s == "balanced") {
      v = s == "none" ? ClassWeight::none() : ClassWeight::balanced();
      return;
    }
    std::vector<double> weights;
    while (!s.empty()) {
      const std::size_t comma = std::min(s.find(','), s.size());
      double w = 0.0;
      ParamCodec<double>::parse(op, name, s.substr(0, comma), w);
      weights.push_back(w);
      s.remove_prefix(std::min(comma + 1, s.size()));
    }
    v = ClassWeight::of(std::move(weights));
  }
};

/// The class_weight field, for classifiers' params only (a regressor's holds NoClassWeight).
template <class P>
constexpr auto class_weight_fields() {
  if constexpr (P::kClassifier)
    return std::tuple{param_field("class_weight", &P::class_weight)};
  else
    return std::tuple{};
}

/// The weight of row i: weight[i], or 1 without weights (so unweighted sums keep their bits).
inline double row_weight(const double* weight, std::size_t i) noexcept { return weight ? weight[i] : 1.0; }

/// Sum of the row weights (n without weights).
inline double total_weight(const double* weight, std::size_t n) noexcept {
  double w = 0.0;
  for (std::size_t i = 0; i < n; ++i) w += row_weight(weight, i);
  return w;
}

/// The largest row weight (1 without weights).
inline double max_weight(const std::vector<double>& weight) noexcept {
  double m = weight.empty() ? 1.0 : 0.0;
  for (double w : weight) m = std::max(m, w);
  return m;
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_weights(std::string_view op, const std::string& what) {
  throw_value_error(std::string(op) + ": " + what);
}

/// Each class's weight for classifiers with labels y (n_classes classes): class_weight's
/// explicit list, or balanced (n / (n_classes * count_c), as scikit-learn; an absent class
/// weighs 0). Empty when every class weighs 1 (no class weights, or a regressor: null).
inline std::vector<double> class_factors(const ClassWeight* class_weight, const std::vector<float>& y,
                                         std::size_t n_classes, std::string_view op) {
  if (!class_weight || class_weight->mode == ClassWeight::Mode::None) return {};
  if (class_weight->mode == ClassWeight::Mode::Explicit) {
    if (class_weight->weights.size() != n_classes)
      throw_weights(op, "class_weight has " + std::to_string(class_weight->weights.size()) + " weights for " +
                            std::to_string(n_classes) + " classes");
    return class_weight->weights;
  }
  std::vector<double> count(n_classes, 0.0), per_class(n_classes, 0.0);
  for (float c : y) count[static_cast<std::size_t>(c)] += 1.0;
  for (std::size_t c = 0; c < n_classes; ++c)
    if (count[c] > 0) per_class[c] = static_cast<double>(y.size()) / (static_cast<double>(n_classes) * count[c]);
  return per_class;
}

/// Each row's weight: sample_weight (empty: 1; else one per row, finite, in [0, 1e30], not all
/// zero) times its class's factor (class_factors; empty: 1). Empty when every weight is 1.
inline std::vector<double> row_weights(const std::vector<double>& sample_weight, const std::vector<double>& per_class,
                                       const std::vector<float>& y, std::string_view op) {
  const std::size_t n = y.size();
  if (!sample_weight.empty() && sample_weight.size() != n)
    throw_weights(op, "sample_weight has " + std::to_string(sample_weight.size()) + " values for " + std::to_string(n) +
                          " rows");
  for (std::size_t i = 0; i < sample_weight.size(); ++i)
    check_range(op, "sample_weight[" + std::to_string(i) + "]", sample_weight[i], Interval{0, kMaxRowWeight});
  if (sample_weight.empty() && per_class.empty()) return {};
  std::vector<double> w(n, 1.0);
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!sample_weight.empty()) w[i] = sample_weight[i];
    if (!per_class.empty()) w[i] *= per_class[static_cast<std::size_t>(y[i])];
    if (w[i] > kMaxRowWeight)
      throw_weights(op, "row " + std::to_string(i) + " weighs " + format_number(w[i]) +
                            " (sample_weight times class_weight), above " + format_number(kMaxRowWeight));
    total += w[i];
  }
  if (!(total > 0.0)) throw_weights(op, "the row weights sum to 0; at least one row must weigh something");
  return w;
}

}  // namespace grove::detail

#pragma once
/// \file Parameters of decision trees and random forests: one struct template for the four
/// models (a decision tree is a forest of one tree without bootstrap), split criteria, the
/// per-split feature sampling, and the family's one field table.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/format.hpp"
#include "grove/trees/fields.hpp"
#include "grove/trees/weights.hpp"

namespace grove::trees {

/// Split criterion of trees and forests: Gini or entropy for classifiers, squared error for
/// regressors.
enum class Criterion : std::uint32_t { Gini = 0, Entropy = 1, SquaredError = 2 };

/// How many features each split considers (drawn anew at every node).
struct MaxFeatures {
  enum class Kind : std::uint32_t { All = 0, Sqrt = 1, Log2 = 2, Fraction = 3 };
  Kind kind = Kind::All;
  double fraction = 1.0;  ///< for Kind::Fraction, in (0, 1]

  static constexpr MaxFeatures all() { return {Kind::All, 1.0}; }
  static constexpr MaxFeatures sqrt() { return {Kind::Sqrt, 1.0}; }
  static constexpr MaxFeatures log2() { return {Kind::Log2, 1.0}; }
  static constexpr MaxFeatures of(double fraction) { return {Kind::Fraction, fraction}; }

  /// Features per split out of d (at least 1).
  std::size_t resolve(std::size_t d) const {
    double m = static_cast<double>(d);
    switch (kind) {
      case Kind::All: break;
      case Kind::Sqrt: m = std::sqrt(static_cast<double>(d)); break;
      case Kind::Log2: m = std::log2(static_cast<double>(d)); break;
      case Kind::Fraction: m = fraction * static_cast<double>(d); break;
    }
    return std::clamp<std::size_t>(static_cast<std::size_t>(m), 1, d);
  }
  friend bool operator==(const MaxFeatures&, const MaxFeatures&) = default;
};

/// What differs between the four tree and forest models: defaults and allowed values.
template <bool Classifier, bool Ensemble>
struct ForestKind {
  static constexpr bool kClassifier = Classifier;
  static constexpr bool kEnsemble = Ensemble;
  static constexpr std::size_t kEstimators = Ensemble ? 100 : 1;
  static constexpr Interval kEstimatorRange{1, Ensemble ? 1048576.0 : 1.0};
  // scikit-learn's defaults: sqrt(d) features per split for forest classifiers, all otherwise.
  static constexpr MaxFeatures kMaxFeatures = Classifier && Ensemble ? MaxFeatures::sqrt() : MaxFeatures::all();
  static constexpr Criterion kCriterion = Classifier ? Criterion::Gini : Criterion::SquaredError;
  static constexpr Interval kCriteria = Classifier ? Interval{0, 1} : Interval{2, 2};
  static constexpr bool kBootstrap = Ensemble;
};

/// Parameters of DecisionTree{Classifier,Regressor} and RandomForest{Classifier,Regressor}.
template <class Kind>
struct ForestParams {
  using KindType = Kind;
  static constexpr bool kClassifier = Kind::kClassifier;
  std::size_t n_estimators = Kind::kEstimators;  ///< trees, [1, 1048576] (decision trees: 1)
  int max_depth = 0;                             ///< [0, 1000]; 0 = unlimited
  std::size_t max_bins = 255;                    ///< value bins per feature, [2, 255]
  std::uint64_t seed = 0;                        ///< bootstrap and max_features sampling
  std::size_t max_leaves = 0;                    ///< 0: depth-wise; else best-first up to this many leaves
  double min_split_gain = 0.0;                   ///< least weighted impurity decrease to split
  std::size_t min_samples_leaf = 1;              ///< least (bootstrap-weighted) rows per leaf
  MaxFeatures max_features = Kind::kMaxFeatures;
  Criterion criterion = Kind::kCriterion;        ///< gini or entropy (classifiers), squared_error (regressors)
  bool bootstrap = Kind::kBootstrap;             ///< draw each tree's rows with replacement
  bool oob_score = false;                        ///< compute oob_score() (accuracy or R^2) after fit
  /// Columns of X holding category codes 0..k-1 (NaN: missing), split by sets of categories.
  std::vector<std::size_t> categorical_features = {};
  std::size_t max_cat_to_onehot = 4;    ///< up to this many categories in a node: one category vs the rest
  std::size_t max_cat_threshold = 32;   ///< most categories tried on a set split's side
  double cat_smooth = 10.0;             ///< pseudo-rows shrinking a category's class share toward the node's
  double min_data_per_category = 10.0;  ///< categories with fewer rows in a node go with the missing values
  /// Classifiers: class weights (ClassWeight::balanced(), ClassWeight::of({...})), multiplied
  /// into the rows' sample weights.
  [[no_unique_address]] std::conditional_t<Kind::kClassifier, ClassWeight, NoClassWeight> class_weight = {};
};

using DecisionTreeClassifierParams = ForestParams<ForestKind<true, false>>;
using DecisionTreeRegressorParams = ForestParams<ForestKind<false, false>>;
using RandomForestClassifierParams = ForestParams<ForestKind<true, true>>;
using RandomForestRegressorParams = ForestParams<ForestKind<false, true>>;

}  // namespace grove::trees

namespace grove::detail {

using trees::Criterion;
using trees::MaxFeatures;

template <>
struct EnumNames<Criterion> {
  static constexpr std::string_view names[] = {"gini", "entropy", "squared_error"};
};

template <>
struct ParamCodec<MaxFeatures> {
  static void check(std::string_view op, std::string_view name, const MaxFeatures& v, const Interval&) {
    if (static_cast<std::uint32_t>(v.kind) > 3) throw_params(op, std::string(name) + " has an unknown kind");
    if (v.kind == MaxFeatures::Kind::Fraction) check_range(op, name, v.fraction, Interval{0, 1, true});
  }
  static std::size_t bytes(const MaxFeatures&) noexcept { return sizeof(std::uint32_t) + sizeof(double); }
  static void write(io::BinaryWriter& w, const MaxFeatures& v) {
    w.write<std::uint32_t>(static_cast<std::uint32_t>(v.kind));
    w.write<double>(v.fraction);
  }
  static void read(io::BinaryReader& r, MaxFeatures& v) {
    v.kind = static_cast<MaxFeatures::Kind>(r.read<std::uint32_t>());
    v.fraction = r.read<double>();
  }
  static std::string text(const MaxFeatures& v) {
    switch (v.kind) {
      case MaxFeatures::Kind::All: return "all";
      case MaxFeatures::Kind::Sqrt: return "sqrt";
      case MaxFeatures::Kind::Log2: return "log2";
      case MaxFeatures::Kind::Fraction: break;
    }
    return format_number(v.fraction);
  }
  static void parse(std::string_view op, std::string_view name, std::string_view s, MaxFeatures& v) {
    if (s == "all" || s == "sqrt" || s == "log2") {
      v = s == "all" ? MaxFeatures::all() : (s == "sqrt" ? MaxFeatures::sqrt() : MaxFeatures::log2());
      return;
    }
    double f = 0.0;
    ParamCodec<double>::parse(op, name, s, f);
    v = MaxFeatures::of(f);
  }
};

/// True for the params of a single decision tree.
template <class P>
inline constexpr bool kSingleTree = false;
template <bool Classifier>
inline constexpr bool kSingleTree<trees::ForestParams<trees::ForestKind<Classifier, false>>> = true;

/// The tree and forest family's field table.
template <class P>
inline constexpr auto kForestFields = std::tuple_cat(std::tuple{
    param_field("n_estimators", &P::n_estimators, P::KindType::kEstimatorRange),
    param_field("max_depth", &P::max_depth, Interval{0, 1000}),
    param_field("max_bins", &P::max_bins, Interval{2, 255}),
    param_field("seed", &P::seed),
    param_field("max_leaves", &P::max_leaves, Interval{0, 16777216}),
    param_field("min_split_gain", &P::min_split_gain, Interval{0}),
    param_field("min_samples_leaf", &P::min_samples_leaf, Interval{1}),
    param_field("max_features", &P::max_features),
    param_field("criterion", &P::criterion, P::KindType::kCriteria),
    param_field("bootstrap", &P::bootstrap),
    param_field("oob_score", &P::oob_score)}, categorical_fields<P>(), class_weight_fields<P>());

/// The fields a kind version 1 file stored, in order (every model wrote all of them).
inline constexpr std::array<std::string_view, 11> kForestFieldsV1 = {
    "n_estimators",     "max_depth",    "max_bins",  "seed",      "max_leaves", "min_split_gain",
    "min_samples_leaf", "max_features", "criterion", "bootstrap", "oob_score"};

template <class Kind>
void check_params(const trees::ForestParams<Kind>& p, std::string_view op) {
  check_fields(p, kForestFields<trees::ForestParams<Kind>>, op);
  check_categorical_list(p.categorical_features, op);
  if (p.max_leaves == 1) throw_params(op, "max_leaves must be 0 (no limit) or at least 2, got 1");
  if (p.oob_score && !p.bootstrap) throw_params(op, "oob_score needs bootstrap = true");
}

}  // namespace grove::detail

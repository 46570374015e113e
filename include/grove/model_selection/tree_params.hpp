#pragma once
/// \file Field lists of the tree models' params structs for get_params, search results and
/// ParamGrid::add(&P::field, values). Interim: replaced by the trees module's own field tables
/// once they land (then this header only adapts them).

#include <string>

#include "grove/model_selection/params.hpp"
#include "grove/trees/decision_tree.hpp"
#include "grove/trees/forest_core.hpp"
#include "grove/trees/gradient_boosting.hpp"
#include "grove/trees/losses.hpp"
#include "grove/trees/random_forest.hpp"

namespace grove::model_selection {

template <>
struct ValueText<trees::Criterion> {
  static std::string text(trees::Criterion c) { return c == trees::Criterion::Gini ? "gini" : "entropy"; }
};

template <>
struct ValueText<trees::Loss> {
  static std::string text(trees::Loss l) { return trees::detail::loss_name(l); }
};

template <>
struct ValueText<trees::MaxFeatures> {
  static std::string text(const trees::MaxFeatures& m) {
    switch (m.kind) {
      case trees::MaxFeatures::Kind::All: return "all";
      case trees::MaxFeatures::Kind::Sqrt: return "sqrt";
      case trees::MaxFeatures::Kind::Log2: return "log2";
      case trees::MaxFeatures::Kind::Fraction: break;
    }
    return format_number(m.fraction);
  }
};

template <>
struct ParamFields<trees::DecisionTreeClassifierParams> {
  template <class P, class F>
  static void visit(P& p, F&& f) {
    f("max_depth", p.max_depth), f("max_bins", p.max_bins), f("seed", p.seed), f("max_leaves", p.max_leaves);
    f("min_split_gain", p.min_split_gain), f("min_samples_leaf", p.min_samples_leaf);
    f("max_features", p.max_features), f("criterion", p.criterion);
  }
};

template <>
struct ParamFields<trees::DecisionTreeRegressorParams> {
  template <class P, class F>
  static void visit(P& p, F&& f) {
    f("max_depth", p.max_depth), f("max_bins", p.max_bins), f("seed", p.seed), f("max_leaves", p.max_leaves);
    f("min_split_gain", p.min_split_gain), f("min_samples_leaf", p.min_samples_leaf);
    f("max_features", p.max_features);
  }
};

template <>
struct ParamFields<trees::RandomForestClassifierParams> {
  template <class P, class F>
  static void visit(P& p, F&& f) {
    f("n_estimators", p.n_estimators), f("max_depth", p.max_depth), f("max_bins", p.max_bins), f("seed", p.seed);
    f("max_leaves", p.max_leaves), f("min_split_gain", p.min_split_gain), f("min_samples_leaf", p.min_samples_leaf);
    f("max_features", p.max_features), f("criterion", p.criterion), f("bootstrap", p.bootstrap);
    f("oob_score", p.oob_score);
  }
};

template <>
struct ParamFields<trees::RandomForestRegressorParams> {
  template <class P, class F>
  static void visit(P& p, F&& f) {
    f("n_estimators", p.n_estimators), f("max_depth", p.max_depth), f("max_bins", p.max_bins), f("seed", p.seed);
    f("max_leaves", p.max_leaves), f("min_split_gain", p.min_split_gain), f("min_samples_leaf", p.min_samples_leaf);
    f("max_features", p.max_features), f("bootstrap", p.bootstrap), f("oob_score", p.oob_score);
  }
};

}  // namespace grove::model_selection

namespace grove::detail {
template <class P, class F>
void visit_boosting_fields(P& p, F& f) {
  f("n_estimators", p.n_estimators), f("learning_rate", p.learning_rate), f("max_depth", p.max_depth);
  f("max_bins", p.max_bins), f("l2", p.l2), f("min_child_weight", p.min_child_weight), f("subsample", p.subsample);
  f("colsample", p.colsample), f("early_stopping_rounds", p.early_stopping_rounds), f("seed", p.seed);
  f("max_leaves", p.max_leaves), f("min_split_gain", p.min_split_gain);
}
}  // namespace grove::detail

namespace grove::model_selection {

template <>
struct ParamFields<trees::GradientBoostingClassifierParams> {
  template <class P, class F>
  static void visit(P& p, F&& f) {
    detail::visit_boosting_fields(p, f);
  }
};

template <>
struct ParamFields<trees::GradientBoostingRegressorParams> {
  template <class P, class F>
  static void visit(P& p, F&& f) {
    detail::visit_boosting_fields(p, f);
    f("loss", p.loss);
  }
};

}  // namespace grove::model_selection

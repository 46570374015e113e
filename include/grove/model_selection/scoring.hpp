#pragma once
/// \file Scorings: one or several scorings for cross_validate and the searches ("accuracy",
/// {"accuracy", "neg_log_loss"}), resolved through diagnostics' named scorers with scikit-learn's
/// spellings accepted; and score(model, X, y, scoring) for any fitted Estimator.

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/diagnostics/scoring.hpp"
#include "grove/model_selection/estimator.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::model_selection {

/// One or several scorings; the first one ranks candidates in a search. Each is a name
/// (grove's or scikit-learn's: "accuracy", "f1_macro", "roc_auc", "neg_log_loss", "r2",
/// "neg_root_mean_squared_error", "neg_mean_absolute_error", ...), a diag::Scorer or a callable
/// double(y_true, y_pred). Empty: "accuracy" for models with predict_proba, else "r2".
class Scorings {
public:
  Scorings() = default;
  Scorings(const char* name) { add(name ? std::string(name) : std::string()); }  // NOLINT: implicit by design
  Scorings(std::string name) { add(std::move(name)); }                           // NOLINT
  /// A diag::Scoring, a diag::Scorer or a callable double(y_true, y_pred).
  template <class S>
    requires std::constructible_from<diag::Scoring, S> && (!std::convertible_to<S, std::string>)
  Scorings(S scoring) {  // NOLINT
    entries_.push_back({{}, diag::Scoring(std::move(scoring))});
  }
  /// {"accuracy", "neg_log_loss"}: several at once.
  Scorings(std::initializer_list<diag::Scoring> list) {
    for (const auto& s : list) entries_.push_back({{}, s});
  }
  /// {"accuracy", "neg_log_loss"} given as names (kept so scikit-learn's spellings resolve).
  Scorings(std::initializer_list<const char*> names) {
    for (const char* n : names) add(n ? std::string(n) : std::string());
  }

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }

  /// The scorers, the default when empty. ValueErrors start with `op`: an unknown name, a name
  /// given twice, or a probabilistic scoring for a model without predict_proba.
  std::vector<diag::Scorer> resolve(std::string_view op, bool has_proba) const;

private:
  struct Entry {
    std::string name;  // set when given as text
    diag::Scoring scoring;
  };
  void add(std::string name) { entries_.push_back({name, diag::Scoring(name)}); }
  std::vector<Entry> entries_;
};

}  // namespace grove::model_selection

namespace grove::detail {

/// scikit-learn scoring names that grove spells differently ("f1_macro" is grove's "f1").
inline std::string_view canonical_scoring(std::string_view name) noexcept {
  if (name == "f1_macro") return "f1";
  if (name == "precision_macro") return "precision";
  if (name == "recall_macro") return "recall";
  return name;
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_scoring_error(std::string_view op, const std::string& msg) {
  throw_value_error(std::string(op) + ": " + msg);
}

/// The score of a fitted estimator on (X, y) under `scorer`.
template <class E, class TX, class TY>
double score_estimator(E& est, const diag::Scorer& scorer, const Tensor<TX>& X, const Tensor<TY>& y) {
  const Tensor<double> yd = y.template to<double>();
  if constexpr (detail::HasPredictProba<E, TX>) {
    if (scorer.needs_proba) return scorer.fn(yd, est.predict_proba(X).template to<double>());
  }
  return scorer.fn(yd, est.predict(X).template to<double>());
}

}  // namespace grove::detail

namespace grove::model_selection {

inline std::vector<diag::Scorer> Scorings::resolve(std::string_view op, bool has_proba) const {
  std::vector<diag::Scorer> out;
  auto resolve_one = [&](const Entry& e) {
    try {
      if (e.name.empty()) return e.scoring.resolve(has_proba ? "accuracy" : "r2");
      diag::Scorer s = diag::make_scorer(detail::canonical_scoring(e.name));
      s.name = e.name;
      return s;
    } catch (const ValueError& err) {
      detail::throw_scoring_error(op, err.what());
    }
  };
  if (entries_.empty()) out.push_back(Entry{}.scoring.resolve(has_proba ? "accuracy" : "r2"));
  for (const Entry& e : entries_) out.push_back(resolve_one(e));
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].needs_proba && !has_proba)
      detail::throw_scoring_error(op, "scoring '" + out[i].name + "' needs predict_proba, which the estimator does not have");
    for (std::size_t j = 0; j < i; ++j)
      if (out[j].name == out[i].name && out[i].name != "custom")
        detail::throw_scoring_error(op, "scoring '" + out[i].name + "' is given twice");
  }
  return out;
}

/// Score of a fitted model on (X, y) under one scoring (default: "accuracy" for models with
/// predict_proba, else "r2", as scikit-learn's score). Works for any Estimator, with or without
/// a score() member.
template <class M, class TX, class TY>
  requires Estimator<M, TX, TY>
double score(M& model, const Tensor<TX>& X, const Tensor<TY>& y, const Scorings& scoring = {}) {
  if (scoring.size() > 1)
    detail::throw_scoring_error("score", "one scoring expected, got " + std::to_string(scoring.size()));
  const std::vector<diag::Scorer> s = scoring.resolve("score", has_predict_proba<EstimatorOf<M>, TX>(estimator_ref(model)));
  return detail::score_estimator(estimator_ref(model), s[0], X, y);
}

}  // namespace grove::model_selection

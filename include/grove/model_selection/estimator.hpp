#pragma once
/// \file What model selection asks of a model, and the conveniences every estimator gets:
/// the Estimator concept (the one learning_curve's make_model returns), clone(model) (a
/// configured, unfitted copy) and score(model, X, y, scoring) through grove's named scorers.

#include <concepts>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "grove/core/error.hpp"
#include "grove/diagnostics/learning_curve.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::model_selection {

/// The estimator inside a model or a smart pointer to one (learning_curve's rule: make_model may
/// return either).
template <class M>
decltype(auto) estimator_ref(M& m) {
  return detail::deref_model(m);
}

/// The estimator type behind M (M itself, or what a smart pointer M points to).
template <class M>
using EstimatorOf = std::remove_cvref_t<decltype(estimator_ref(std::declval<M&>()))>;

/// A model fit(X, y) and predict(X) work on: every grove tree model, MlpClassifier/Regressor,
/// diag::make_estimator(fit, predict) and AnyEstimator (directly or through a smart pointer).
template <class M, class TX = float, class TY = float>
concept Estimator = requires(EstimatorOf<M>& m, const Tensor<TX>& X, const Tensor<TY>& y) {
  m.fit(X, y);
  m.predict(X);
};

/// An Estimator that also gives class probabilities (needed by roc_auc and neg_log_loss).
template <class M, class TX = float>
concept ProbabilisticEstimator = detail::HasPredictProba<EstimatorOf<M>, TX>;

/// A model that can make a configured, unfitted copy of itself: Model(model.params()), or a
/// clone() member (AnyEstimator).
template <class M>
concept Clonable = requires(const M& m) {
  typename M::Params;
  { m.params() } -> std::convertible_to<const typename M::Params&>;
  M(m.params());
} || requires(const M& m) {
  { m.clone() } -> std::same_as<M>;
};

/// A configured, unfitted copy of `model` (scikit-learn's clone): Model(model.params()), or
/// model.clone() for models that provide it (AnyEstimator).
template <class M>
  requires Clonable<M>
M clone(const M& model) {
  if constexpr (requires { { model.clone() } -> std::same_as<M>; }) return model.clone();
  else return M(model.params());
}

/// True when the estimator can give class probabilities: it has predict_proba and, for a
/// type-erased model (AnyEstimator), the model it holds has one too.
template <class E, class TX = float>
bool has_predict_proba(const E& est) {
  if constexpr (!detail::HasPredictProba<E, TX>) return false;
  else if constexpr (requires { { est.has_predict_proba() } -> std::convertible_to<bool>; }) return est.has_predict_proba();
  else return true;
}

}  // namespace grove::model_selection

#pragma once
/// \file Scorer and Scoring: how learning_curve scores a model — a named metric from
/// grove::metrics ("accuracy", "neg_log_loss", "r2", "neg_rmse", ...) or any callable — plus the
/// score <-> error conversion the diagnosis works in.

#include <cmath>
#include <concepts>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "grove/core/error.hpp"
#include "grove/metrics.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::diag {

/// Kind of target a scorer expects; it decides the trivial baseline model.
enum class Task { Any, Classification, Regression };

/// A score function with its direction and its perfect value.
struct Scorer {
  std::string name = "custom";
  /// score(y_true, output): output is predict(X) or, when needs_proba, predict_proba(X).
  std::function<double(const Tensor<double>&, const Tensor<double>&)> fn;
  bool greater_is_better = true;
  /// The best possible score (1 for accuracy/r2/auc, 0 for losses and negated losses); the
  /// diagnosis measures error as the distance from it.
  double optimum = 1.0;
  bool needs_proba = false;
  Task task = Task::Any;

  /// Error (≥ 0, smaller is better) of a score.
  double error(double score) const noexcept { return greater_is_better ? optimum - score : score - optimum; }
  /// The score that has error `err`.
  double score(double err) const noexcept { return greater_is_better ? optimum - err : optimum + err; }
};

}  // namespace grove::diag

namespace grove::detail {

[[noreturn, gnu::cold]] inline void throw_unknown_scoring(std::string_view name) {
  grove::detail::throw_value_error(
      "scoring: unknown name '" + std::string(name) +
      "' (known: accuracy, precision, recall, f1, roc_auc, neg_log_loss, log_loss, r2, neg_rmse, rmse, neg_mae, "
      "mae, neg_mse, mse)");
}

}  // namespace grove::detail

namespace grove::diag {

/// The named scorer. Accuracy-like names (higher is better, optimum 1): accuracy, precision,
/// recall, f1 (macro), roc_auc, r2. Negated losses (higher is better, optimum 0): neg_log_loss,
/// neg_rmse, neg_mae, neg_mse (scikit-learn's long names neg_root_mean_squared_error,
/// neg_mean_absolute_error, neg_mean_squared_error work too). Plain losses (lower is better):
/// log_loss, rmse, mae, mse. Anything else is a ValueError listing the names.
inline Scorer make_scorer(std::string_view name) {
  using Fn = std::function<double(const Tensor<double>&, const Tensor<double>&)>;
  auto acc_like = [&](Fn fn, bool proba, Task task) {
    return Scorer{std::string(name), std::move(fn), true, 1.0, proba, task};
  };
  auto loss = [&](Fn fn, bool negated, bool proba, Task task) {
    if (negated)
      return Scorer{std::string(name), [fn](const Tensor<double>& y, const Tensor<double>& p) { return -fn(y, p); },
                    true, 0.0, proba, task};
    return Scorer{std::string(name), std::move(fn), false, 0.0, proba, task};
  };
  using T = const Tensor<double>&;
  if (name == "accuracy") return acc_like([](T y, T p) { return metrics::accuracy(y, p); }, false, Task::Classification);
  if (name == "precision") return acc_like([](T y, T p) { return metrics::precision(y, p); }, false, Task::Classification);
  if (name == "recall") return acc_like([](T y, T p) { return metrics::recall(y, p); }, false, Task::Classification);
  if (name == "f1") return acc_like([](T y, T p) { return metrics::f1(y, p); }, false, Task::Classification);
  if (name == "roc_auc") return acc_like([](T y, T p) { return metrics::roc_auc(y, p); }, true, Task::Classification);
  if (name == "r2") return acc_like([](T y, T p) { return metrics::r2(y, p); }, false, Task::Regression);
  const Fn ll = [](T y, T p) { return metrics::log_loss(y, p); };
  const Fn rmse = [](T y, T p) { return metrics::rmse(y, p); };
  const Fn mae = [](T y, T p) { return metrics::mae(y, p); };
  const Fn mse = [](T y, T p) { return metrics::mse(y, p); };
  if (name == "neg_log_loss") return loss(ll, true, true, Task::Classification);
  if (name == "log_loss") return loss(ll, false, true, Task::Classification);
  if (name == "neg_rmse" || name == "neg_root_mean_squared_error") return loss(rmse, true, false, Task::Regression);
  if (name == "rmse") return loss(rmse, false, false, Task::Regression);
  if (name == "neg_mae" || name == "neg_mean_absolute_error") return loss(mae, true, false, Task::Regression);
  if (name == "mae") return loss(mae, false, false, Task::Regression);
  if (name == "neg_mse" || name == "neg_mean_squared_error") return loss(mse, true, false, Task::Regression);
  if (name == "mse") return loss(mse, false, false, Task::Regression);
  detail::throw_unknown_scoring(name);
}

/// What learning_curve's `.scoring` holds: nothing (the default: "accuracy" for estimators with
/// predict_proba, else "r2" — scikit-learn's classifier/regressor default), a name, a Scorer,
/// or a callable double(const Tensor<double>& y_true, const Tensor<double>& y_pred) taken as
/// higher-is-better with optimum 1 (wrap it in a Scorer to say otherwise).
class Scoring {
public:
  Scoring() = default;
  Scoring(const char* name) : name_(name ? name : "") {}  // NOLINT: implicit by design
  Scoring(std::string name) : name_(std::move(name)) {}   // NOLINT
  Scoring(Scorer scorer) : scorer_(std::move(scorer)), has_scorer_(true) {  // NOLINT
    if (!scorer_.fn) grove::detail::throw_value_error("scoring: Scorer '" + scorer_.name + "' has no function");
  }
  template <class F>
    requires std::is_invocable_r_v<double, F&, const Tensor<double>&, const Tensor<double>&> &&
             (!std::convertible_to<F, std::string>) && (!std::same_as<std::remove_cvref_t<F>, Scorer>)
  Scoring(F fn)  // NOLINT
      : scorer_{"custom", std::move(fn), true, 1.0, false, Task::Any}, has_scorer_(true) {}

  /// True when nothing was given.
  bool is_default() const noexcept { return !has_scorer_ && name_.empty(); }

  /// The scorer; `default_name` is used when nothing was given.
  Scorer resolve(std::string_view default_name) const {
    if (has_scorer_) return scorer_;
    return make_scorer(name_.empty() ? default_name : std::string_view(name_));
  }

private:
  std::string name_;
  Scorer scorer_;
  bool has_scorer_ = false;
};

}  // namespace grove::diag

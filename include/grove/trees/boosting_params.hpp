#pragma once
/// \file Parameters of the gradient-boosting models: one struct template for the classifier
/// and the regressor, and the one table of its fields (name, member, allowed range) from which
/// validation, the model file and set_param/get_params are derived. A new parameter is a member
/// here plus one line in the table.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/trees/fields.hpp"
#include "grove/trees/weights.hpp"
#include "grove/trees/losses.hpp"

namespace grove::trees {

/// Defaults that differ between the boosting classifier and regressor.
struct BoostingClassification {
  static constexpr bool kClassifier = true;
  static constexpr Loss kLoss = Loss::LogLoss;
  static constexpr Interval kLosses{4, 4};  ///< log_loss
  static constexpr double kMinChildWeight = 1.0;
  // Log-loss hessians p(1 - p) are no row count, so leaves also need 20 (estimated) rows, as in
  // scikit-learn and LightGBM: better on 5 of 7 real sets, digits -0.0106 -> -0.0078 against
  // HistGradientBoosting (benchmarks/RESULTS.md).
  static constexpr std::size_t kMinSamplesLeaf = 20;
};
struct BoostingRegression {
  static constexpr bool kClassifier = false;
  static constexpr Loss kLoss = Loss::SquaredError;
  static constexpr Interval kLosses{0, 7};  ///< squared_error, absolute_error, huber, quantile, poisson (check_params)
  // Squared and absolute error (huber, quantile too) have hessian 1 per row, so this is 20 rows
  // per leaf: scikit-learn's and LightGBM's min_samples_leaf / min_data_in_leaf. With 1, small data overfits (diabetes, 442
  // rows: R^2 0.32 vs HistGradientBoosting's 0.39; 0.39 with 20; benchmarks/RESULTS.md).
  static constexpr double kMinChildWeight = 20.0;
  static constexpr std::size_t kMinSamplesLeaf = 0;  ///< min_child_weight 20 already is 20 rows for these losses
};

/// Parameters of GradientBoostingClassifier / GradientBoostingRegressor (fields in the order
/// designated initializers must follow).
template <class Task>
struct GradientBoostingParams {
  using TaskType = Task;
  static constexpr bool kClassifier = Task::kClassifier;
  std::size_t n_estimators = 100;         ///< boosting rounds, [1, 1048576]
  double learning_rate = 0.1;             ///< shrinkage, (0, 1]
  int max_depth = 6;                      ///< [0, 64]; 0 = unlimited (needs max_leaves)
  std::size_t max_bins = 255;             ///< value bins per feature, [2, 255]
  double l2 = 1.0;                        ///< L2 penalty on leaf values, >= 0
  double min_child_weight = Task::kMinChildWeight;  ///< least hessian sum per child, >= 0 (classifier 1, regressor 20)
  double subsample = 1.0;                 ///< rows drawn per round, (0, 1]
  double colsample = 1.0;                 ///< features drawn per tree, (0, 1]
  std::size_t early_stopping_rounds = 0;  ///< stop after this many rounds without a better val_loss (0: off)
  std::uint64_t seed = 0;
  std::size_t max_leaves = 0;             ///< 0: depth-wise; else leaf-wise growth up to this many leaves
  double min_split_gain = 0.0;            ///< least loss reduction to split, >= 0
  Loss loss = Task::kLoss;                ///< classifier: log_loss; regressor: squared_error, absolute_error, huber, quantile, poisson
  /// Columns of X holding category codes 0..k-1 (NaN: missing), split by sets of categories.
  std::vector<std::size_t> categorical_features = {};
  std::size_t max_cat_to_onehot = 4;      ///< up to this many categories in a node: one category vs the rest
  std::size_t max_cat_threshold = 32;     ///< most categories tried on a set split's side
  double cat_smooth = 10.0;               ///< pseudo-rows shrinking a category's statistic toward the node's
  double min_data_per_category = 10.0;    ///< categories with fewer rows in a node go with the missing values
  /// Classifiers: class weights (ClassWeight::balanced(), ClassWeight::of({...})), multiplied
  /// into the rows' sample weights.
  [[no_unique_address]] std::conditional_t<Task::kClassifier, ClassWeight, NoClassWeight> class_weight = {};
  double l1 = 0.0;                        ///< L1 penalty on leaf values, >= 0 (XGBoost reg_alpha, LightGBM lambda_l1)
  /// Per feature: 1 = predictions never decrease as it grows, -1 = never increase, 0 = free
  /// (empty: no constraints; otherwise one entry per feature, none on categorical features).
  std::vector<int> monotone_constraints = {};
  double quantile = 0.5;                  ///< loss quantile: the level predicted, (0, 1)
  double huber_delta = 1.0;               ///< loss huber: residuals beyond this count linearly, > 0
  /// Least rows per child (0: off; classifier 20, regressor 0), estimated from the hessian as
  /// LightGBM does: a child's rows are taken as its hessian share of the node's rows. A row
  /// bound where min_child_weight is not one: log-loss hessians p(1 - p) shrink as training fits.
  std::size_t min_samples_leaf = Task::kMinSamplesLeaf;
};

/// Parameters of GradientBoostingClassifier (logistic loss for 2 classes, softmax above).
using GradientBoostingClassifierParams = GradientBoostingParams<BoostingClassification>;
/// Parameters of GradientBoostingRegressor.
using GradientBoostingRegressorParams = GradientBoostingParams<BoostingRegression>;

}  // namespace grove::trees

namespace grove::detail {

/// The boosting family's field table.
template <class P>
inline constexpr auto kBoostingFields = std::tuple_cat(std::tuple{
    param_field("n_estimators", &P::n_estimators, Interval{1, 1048576}),
    param_field("learning_rate", &P::learning_rate, Interval{0, 1, true}),
    param_field("max_depth", &P::max_depth, Interval{0, 64}),
    param_field("max_bins", &P::max_bins, Interval{2, 255}),
    param_field("l2", &P::l2, Interval{0}),
    param_field("min_child_weight", &P::min_child_weight, Interval{0}),
    param_field("subsample", &P::subsample, Interval{0, 1, true}),
    param_field("colsample", &P::colsample, Interval{0, 1, true}),
    param_field("early_stopping_rounds", &P::early_stopping_rounds, Interval{0, 1048576}),
    param_field("seed", &P::seed),
    param_field("max_leaves", &P::max_leaves, Interval{0, 1048576}),
    param_field("min_split_gain", &P::min_split_gain, Interval{0}),
    param_field("loss", &P::loss, P::TaskType::kLosses)}, categorical_fields<P>(), class_weight_fields<P>(), std::tuple{
    param_field("l1", &P::l1, Interval{0}),
    param_field("monotone_constraints", &P::monotone_constraints, Interval{-1, 1}),
    param_field("quantile", &P::quantile, Interval{0, 1, true, true}),
    param_field("huber_delta", &P::huber_delta, Interval{0, std::numeric_limits<double>::infinity(), true}),
    param_field("min_samples_leaf", &P::min_samples_leaf, Interval{0, 1048576})});

/// The fields a kind version 1 file stored, in order, before the engine state.
inline constexpr std::array<std::string_view, 12> kBoostingFieldsV1 = {
    "n_estimators", "learning_rate", "max_depth",             "max_bins", "l2",         "min_child_weight",
    "subsample",    "colsample",     "early_stopping_rounds", "seed",     "max_leaves", "min_split_gain"};

/// Every range in the table, then what ties fields together.
// The regressor's losses (the classifier's one is its field range).
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_regression_loss(std::string_view op, trees::Loss loss) {
  throw_params(op, "loss must be one of squared_error, absolute_error, huber, quantile, poisson, got " +
                       ParamCodec<trees::Loss>::text(loss));
}

template <class Task>
void check_params(const trees::GradientBoostingParams<Task>& p, std::string_view op) {
  using trees::Loss;
  if (!Task::kClassifier && !(p.loss == Loss::SquaredError || p.loss == Loss::AbsoluteError || p.loss == Loss::Huber ||
                              p.loss == Loss::Quantile || p.loss == Loss::Poisson))
    throw_regression_loss(op, p.loss);
  check_fields(p, kBoostingFields<trees::GradientBoostingParams<Task>>, op);
  check_categorical_list(p.categorical_features, op);
  bool constrained = false;
  for (int c : p.monotone_constraints) constrained = constrained || c != 0;
  // Absolute error refits each leaf to a median after growth, which would undo the bounds.
  if (constrained && refits_leaves(p.loss))
    throw_params(op, "monotone_constraints do not work with loss " + ParamCodec<trees::Loss>::text(p.loss) +
                         " (its leaves are refit to a quantile after growth)");
  for (std::size_t f : p.categorical_features)
    if (f < p.monotone_constraints.size() && p.monotone_constraints[f] != 0)
      throw_params(op, "feature " + std::to_string(f) + " is categorical and cannot have a monotone constraint (" +
                           std::to_string(p.monotone_constraints[f]) + ")");
  if (p.max_leaves == 1) throw_params(op, "max_leaves must be 0 (no limit) or at least 2, got 1");
  if (p.max_depth == 0 && p.max_leaves == 0) throw_params(op, "max_depth = 0 (unlimited) needs max_leaves > 0");
}

/// monotone_constraints is empty or has one entry per feature of X (known at fit).
inline void check_monotone_count(std::size_t constraints, std::size_t features, std::string_view op) {
  if (constraints != 0 && constraints != features)
    throw_params(op, "monotone_constraints has " + std::to_string(constraints) + " entries but X has " +
                         std::to_string(features) + " features");
}

}  // namespace grove::detail

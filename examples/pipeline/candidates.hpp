#pragma once
// The pipeline's candidate models behind model_selection::AnyEstimator: a random forest,
// gradient boosting and an MLP, for classification or regression. Each is wrapped in
// EarlyStopped<M>, which gives it a fair budget wherever it is fitted (cross-validation, the
// learning curve, the final fit): a model that can stop early (boosting rounds, MLP epochs) holds
// out part of its training rows for it when no validation set is given, and reports whether it
// stopped by itself or ran into its cap.

#include "network_model.hpp"

#include <grove/core/rng.hpp>
#include <grove/data/dataset.hpp>
#include <grove/data/schema.hpp>
#include <grove/diagnostics/diagnose.hpp>
#include <grove/diagnostics/history.hpp>
#include <grove/model_selection/any_estimator.hpp>
#include <grove/trees.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pipeline {

/// How a fit ended: the steps it kept, the steps it was allowed, and what a step is.
struct StopInfo {
  std::size_t kept = 0;  ///< rounds / epochs / trees in the fitted model
  std::size_t cap = 0;   ///< the most it was allowed
  std::string unit;      ///< "rounds", "epochs", "trees"
  bool can_stop = false; ///< early stopping was on
  /// Stopped because it hit the cap, not because validation stopped improving.
  bool hit_cap() const noexcept { return can_stop && kept >= cap; }
};

/// How the fits of one candidate ended, shared by its copies (cross-validation fits copies in
/// parallel): how many fits there were and how many ran into their cap.
class StopLog {
public:
  void add(const StopInfo& s) {
    std::lock_guard lock(mutex_);
    ++fits_;
    capped_ += s.hit_cap();
    max_kept_ = std::max(max_kept_, s.kept);
  }
  void clear() {
    std::lock_guard lock(mutex_);
    fits_ = capped_ = max_kept_ = 0;
  }
  std::size_t fits() const { std::lock_guard lock(mutex_); return fits_; }
  std::size_t capped() const { std::lock_guard lock(mutex_); return capped_; }

private:
  mutable std::mutex mutex_;
  std::size_t fits_ = 0, capped_ = 0, max_kept_ = 0;
};

template <class M>
concept StopsEarly = requires(const M& m) { m.best_iteration(); } || requires(const M& m) { m.best_epoch(); };

/// A model fitted with a fair budget (see the file comment). M: a grove tree model or a
/// NetworkModel.
template <class M>
class EarlyStopped {
public:
  EarlyStopped(M prototype, grove::data::Schema schema, std::uint64_t seed, double holdout = 0.1)
      : proto_(prototype), model_(std::move(prototype)), schema_(std::move(schema)), seed_(seed), holdout_(holdout) {}

  /// A configured, unfitted copy that reports to the same StopLog.
  EarlyStopped clone() const {
    EarlyStopped c(fresh(), schema_, seed_, holdout_);
    c.log_ = log_;
    return c;
  }
  /// Where every fit of this model and its copies reports how it ended.
  const std::shared_ptr<StopLog>& log() const noexcept { return log_; }

  /// Fits on X, y; a model that stops early holds out `holdout` of the rows to decide when.
  EarlyStopped& fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y) {
    const std::size_t n = X.shape()[0];
    const std::size_t n_val = static_cast<std::size_t>(static_cast<double>(n) * holdout_);
    if (!StopsEarly<M> || n_val < 8 || n - n_val < 8) {
      model_ = fresh_without_stopping();
      fit_model(X, y, nullptr);
      return *this;
    }
    grove::Rng rng(seed_ ^ 0x401D07ULL);
    const std::vector<std::size_t> order = rng.permutation(n);
    const std::vector<std::size_t> tr(order.begin() + static_cast<std::ptrdiff_t>(n_val), order.end()),
        va(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_val));
    const grove::trees::ValidationSet<float, float> val{grove::data::take_rows(X, va), grove::data::take_rows(y, va)};
    return fit(grove::data::take_rows(X, tr), grove::data::take_rows(y, tr), val);
  }
  /// Fits with validation data: its history is recorded, and it stops early when it can.
  EarlyStopped& fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y,
                    const grove::trees::ValidationSet<float, float>& val) {
    model_ = fresh();
    fit_model(X, y, &val);
    return *this;
  }

  auto predict(const grove::Tensor<float>& X) const { return model_.predict(X); }
  grove::Tensor<float> predict_proba(const grove::Tensor<float>& X) const
    requires requires(const M& m) { m.predict_proba(X); }
  {
    return model_.predict_proba(X);
  }
  double predict_row(std::span<const float> x) const { return static_cast<double>(model_.predict_row(x)); }
  const grove::diag::History& history() const { return model_.history(); }
  void save(const std::string& path) const { model_.save(path); }
  const M& model() const noexcept { return model_; }

  /// How the last fit ended.
  StopInfo stop_info() const {
    if constexpr (requires { model_.best_iteration(); })
      return {model_.best_iteration(), model_.params().n_estimators, "rounds", model_.params().early_stopping_rounds > 0};
    else if constexpr (requires { model_.best_epoch(); })
      return {model_.best_epoch(), model_.params().epochs, "epochs", true};
    else
      return {model_.params().n_estimators, model_.params().n_estimators, "trees", false};
  }

private:
  M fresh() const {
    if constexpr (requires { proto_.clone(); }) return proto_.clone();
    else return M(proto_.params());
  }
  // Too few rows to hold any out: the same model without early stopping.
  M fresh_without_stopping() const {
    if constexpr (requires(typename M::Params p) { p.early_stopping_rounds = 0; }) {
      auto p = proto_.params();
      p.early_stopping_rounds = 0;
      return M(p);
    } else {
      return fresh();
    }
  }
  void fit_model(const grove::Tensor<float>& X, const grove::Tensor<float>& y,
                 const grove::trees::ValidationSet<float, float>* val) {
    if constexpr (requires { M::kClassifier; }) {
      // Tree models: the class count is fixed, so a fold or a small learning-curve prefix may
      // lack a class.
      const grove::trees::FitOptions opts{.n_classes = M::kClassifier ? schema_.class_names.size() : 0};
      if (val) model_.fit(X, y, *val, opts);
      else model_.fit(X, y, opts);
      // The schema travels in the model file once tree models keep one (trees branch).
      if constexpr (requires { model_.set_schema(schema_); }) model_.set_schema(schema_);
    } else {
      if (val) model_.fit(X, y, *val);
      else model_.fit(X, y);
    }
    log_->add(stop_info());
  }

  M proto_, model_;
  grove::data::Schema schema_;
  std::uint64_t seed_ = 0;
  double holdout_ = 0.1;
  std::shared_ptr<StopLog> log_ = std::make_shared<StopLog>();
};

/// Budgets of the three candidates (flags set them; --quick shrinks them).
struct Budgets {
  std::size_t trees = 100;     ///< forest trees
  std::size_t rounds = 300;    ///< boosting rounds, at most (early stopping)
  double learning_rate = 0.1;  ///< boosting
  int max_depth = 6;           ///< boosting
  std::size_t max_bins = 64;
  double colsample = 1.0;      ///< boosting: features drawn per tree
  std::size_t patience = 10;   ///< boosting rounds without improvement before stopping
  NetworkParams mlp = {};
  std::uint64_t seed = 42;
};

/// One candidate: its command-line key, display name, model kind and a configured model.
struct Candidate {
  std::string key;  ///< forest, boosting, mlp
  std::string name;
  grove::diag::ModelKind kind = grove::diag::ModelKind::Trees;
  grove::model_selection::AnyEstimator model;
};

/// Sets the native categorical columns when the tree params know them (the trees branch adds
/// categorical_features; until then categories are read as ordered codes).
template <class P>
void set_categorical(P& p, const std::vector<std::size_t>& cats) {
  if constexpr (requires { p.categorical_features = cats; }) p.categorical_features = cats;
}

/// True when tree params P take native categorical splits in this build.
template <class P = grove::trees::GradientBoostingClassifierParams>
constexpr bool has_categorical_splits = requires(P p) { p.categorical_features; };

/// The columns the tree candidates split by category, and the bins they need: a categorical
/// column's codes are its bins, so max_bins grows to its category count (trees allow at most 255
/// bins); a column with more categories than that is split as ordered codes instead.
struct TreeColumns {
  std::vector<std::size_t> categorical;
  std::size_t max_bins = 64;
  std::vector<std::string> as_codes;  ///< names of categorical columns split as ordered codes
};

inline TreeColumns tree_columns(const grove::data::Schema& schema, std::size_t max_bins) {
  constexpr std::size_t kMostBins = 255;
  TreeColumns tc;
  tc.max_bins = max_bins;
  for (std::size_t j : schema.categorical_features()) {
    const std::size_t k = schema.features[j].categories.size();
    if (k > kMostBins) {
      tc.as_codes.push_back(schema.features[j].name);
      continue;
    }
    tc.categorical.push_back(j);
    tc.max_bins = std::max(tc.max_bins, k);
  }
  return tc;
}

template <bool Classifier>
std::vector<Candidate> make_candidates(const Budgets& b, const grove::data::Schema& schema,
                                       const std::vector<std::string>& keys) {
  using Forest = std::conditional_t<Classifier, grove::trees::RandomForestClassifier, grove::trees::RandomForestRegressor>;
  using Boosting =
      std::conditional_t<Classifier, grove::trees::GradientBoostingClassifier, grove::trees::GradientBoostingRegressor>;
  const TreeColumns tc = tree_columns(schema, b.max_bins);
  const std::vector<std::size_t>& cats = tc.categorical;
  typename Forest::Params fp{.n_estimators = b.trees, .max_depth = 0, .max_bins = tc.max_bins, .seed = b.seed};
  set_categorical(fp, cats);
  typename Boosting::Params bp{.n_estimators = b.rounds, .learning_rate = b.learning_rate, .max_depth = b.max_depth,
                               .max_bins = tc.max_bins, .colsample = b.colsample, .early_stopping_rounds = b.patience,
                               .seed = b.seed};
  set_categorical(bp, cats);
  NetworkParams np = b.mlp;
  np.seed = b.seed;
  std::vector<Candidate> out;
  for (const std::string& key : keys) {
    if (key == "forest")
      out.push_back({key, "random forest", grove::diag::ModelKind::Forest,
                     grove::model_selection::AnyEstimator("random forest", EarlyStopped<Forest>(Forest(fp), schema, b.seed))});
    else if (key == "boosting")
      out.push_back({key, "gradient boosting", grove::diag::ModelKind::Boosting,
                     grove::model_selection::AnyEstimator("gradient boosting",
                                                          EarlyStopped<Boosting>(Boosting(bp), schema, b.seed))});
    else if (key == "mlp")
      out.push_back({key, "MLP", grove::diag::ModelKind::NeuralNet,
                     grove::model_selection::AnyEstimator(
                         "MLP", EarlyStopped<NetworkModel<Classifier>>(NetworkModel<Classifier>(np, schema), schema, b.seed))});
  }
  return out;
}

/// Calls f(model) with the EarlyStopped<M> an AnyEstimator holds (one of the candidates' types).
template <class F>
auto visit_candidate(const grove::model_selection::AnyEstimator& m, F&& f) {
  using namespace grove::trees;
  if (auto* p = m.target<EarlyStopped<RandomForestClassifier>>()) return f(*p);
  if (auto* p = m.target<EarlyStopped<RandomForestRegressor>>()) return f(*p);
  if (auto* p = m.target<EarlyStopped<GradientBoostingClassifier>>()) return f(*p);
  if (auto* p = m.target<EarlyStopped<GradientBoostingRegressor>>()) return f(*p);
  if (auto* p = m.target<EarlyStopped<NetworkClassifier>>()) return f(*p);
  if (auto* p = m.target<EarlyStopped<NetworkRegressor>>()) return f(*p);
  throw grove::Error("grove-pipeline: " + m.name() + " is not one of the pipeline's candidates");
}

/// How the held candidate's last fit ended.
inline StopInfo stop_info(const grove::model_selection::AnyEstimator& m) {
  return visit_candidate(m, [](const auto& e) { return e.stop_info(); });
}
/// The StopLog the candidate and its copies report to.
inline std::shared_ptr<StopLog> stop_log(const grove::model_selection::AnyEstimator& m) {
  return visit_candidate(m, [](const auto& e) { return e.log(); });
}

}  // namespace pipeline

#pragma once
/// \file TreeModel: the public surface every tree model shares, written once over an engine
/// (Booster or Forest) and a params struct. The six models are aliases of it
/// (gradient_boosting.hpp, decision_tree.hpp, random_forest.hpp); classifier-only and
/// regressor-only members are constrained on the params' task.
///
/// An Engine provides: n_features, n_classes, fitted, trees, history; a free
/// train_engine(engine, params, n_classes, train, val, name); n_raw(), raw(x, out) and raw_rows(X, rows, out) (bitwise equal to raw per
/// row), kBlockRows; proba(raw, out), label(raw), value(raw); importances(); write, read,
/// read_v1 and check_against (model_file.hpp).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/data/schema.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/io/binary.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/model_file.hpp"
#include "grove/trees/params.hpp"
#include "grove/trees/training_set.hpp"
#include "grove/trees/tree.hpp"

namespace grove::detail {

/// A string usable as a template argument: the model's name.
template <std::size_t N>
struct ModelName {
  char text[N] = {};
  constexpr ModelName(const char (&s)[N]) {  // NOLINT: implicit from a literal by design
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
  constexpr std::string_view view() const { return {text, N - 1}; }
};

template <ModelName Name, class P, class Engine>
class TreeModel {
public:
  using Params = P;
  static constexpr std::string_view kName = Name.view();
  static constexpr bool kClassifier = P::kClassifier;

  /// Validates the params (ValueError naming the model, the field and its allowed range).
  explicit TreeModel(Params params = {}) : params_(std::move(params)) { check_params(params_, kName); }

  const Params& params() const noexcept { return params_; }
  std::size_t n_features() const noexcept { return engine_.n_features; }
  /// The trees (flat node arrays), for inspection.
  const std::vector<trees::Tree>& trees() const noexcept { return engine_.trees; }
  /// Losses recorded by fit with validation data (train_loss and val_loss per round for
  /// boosting, per number of trees for forests).
  const diag::History& history() const noexcept { return engine_.history; }
  /// Split gain (impurity decrease) per feature, normalized to sum to 1.
  std::vector<double> feature_importances() const {
    check_fitted(".feature_importances");
    return engine_.importances();
  }

  /// Fits on X (n x d) and y (class labels 0..k-1 for classifiers, targets for regressors).
  template <class TX, class TY>
  TreeModel& fit(const Tensor<TX>& X, const Tensor<TY>& y, const trees::FitOptions& options = {}) {
    return fit_with(X, y, static_cast<const trees::ValidationSet<TX, TY>*>(nullptr), options);
  }
  /// Fits and records train_loss / val_loss on {X_val, y_val}; boosting's
  /// early_stopping_rounds keeps the best round.
  template <class TX, class TY>
  TreeModel& fit(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>& val,
                 const trees::FitOptions& options = {}) {
    return fit_with(X, y, &val, options);
  }

  /// Number of classes (classifiers).
  std::size_t n_classes() const noexcept
    requires kClassifier
  {
    return engine_.n_classes;
  }

  /// Class of one row (classifiers); allocation-free after a thread's first call.
  std::int64_t predict_row(std::span<const float> x) const
    requires kClassifier
  {
    check_row(x, ".predict_row");
    return engine_.label(raw_row(x));
  }
  /// Prediction for one row (regressors); allocation-free after a thread's first call.
  float predict_row(std::span<const float> x) const
    requires(!kClassifier)
  {
    check_row(x, ".predict_row");
    return static_cast<float>(engine_.value(raw_row(x)));
  }

  /// Class probabilities of one row into `out` (n_classes values).
  void predict_proba_row(std::span<const float> x, std::span<float> out) const
    requires kClassifier
  {
    check_row(x, ".predict_proba_row");
    if (out.size() != engine_.n_classes)
      throw_value_error(std::string(kName) + ".predict_proba_row: out has " + std::to_string(out.size()) +
                        " values, need " + std::to_string(engine_.n_classes));
    engine_.proba(raw_row(x), out.data());
  }

  /// Predicted classes (int64) for classifiers, values (float) for regressors; bitwise the
  /// same as predict_row on each row.
  template <class TX>
  auto predict(const Tensor<TX>& X) const {
    const Tensor<float> Xf = prediction_input(X, ".predict");
    using Out = std::conditional_t<kClassifier, std::int64_t, float>;
    Tensor<Out> out(Shape{Xf.shape(0)});
    Out* o = out.data();
    for_each_raw(Xf, [&](std::size_t i, const double* raw) {
      if constexpr (kClassifier)
        o[i] = engine_.label(raw);
      else
        o[i] = static_cast<float>(engine_.value(raw));
    });
    return out;
  }

  /// Class probabilities (n x n_classes).
  template <class TX>
  Tensor<float> predict_proba(const Tensor<TX>& X) const
    requires kClassifier
  {
    const Tensor<float> Xf = prediction_input(X, ".predict_proba");
    const std::size_t k = engine_.n_classes;
    Tensor<float> out(Shape{Xf.shape(0), k});
    float* o = out.data();
    for_each_raw(Xf, [&](std::size_t i, const double* raw) { engine_.proba(raw, o + i * k); });
    return out;
  }

  /// Boosting rounds kept (after early stopping: the best round). With k > 2 classes, tree t
  /// of trees() serves class t % k; leaf values include the learning rate.
  std::size_t best_iteration() const noexcept
    requires requires(const Engine& e) { e.rounds(); }
  {
    return engine_.rounds();
  }
  /// The starting margin of a boosting regressor (mean or median of the training targets).
  double base_score() const noexcept
    requires(!kClassifier && requires(const Engine& e) { e.base; })
  {
    return engine_.base.empty() ? 0.0 : engine_.base[0];
  }
  /// Out-of-bag accuracy (classifiers) or R^2 (regressors) of a forest fit with oob_score.
  double oob_score() const
    requires requires(const Engine& e) { e.oob; }
  {
    return engine_.oob_value(params_.oob_score, kName);
  }
  /// The tree of a decision tree.
  const trees::Tree& tree() const
    requires kSingleTree<P>
  {
    return engine_.trees.at(0);
  }

  /// Saves to `path` (grove binary container of kind grove.trees.<model name>).
  void save(const std::string& path) const {
    check_fitted(".save");
    write_tree_model(path, kName, params_, schema_, engine_);
  }

  /// A fitted model around an engine trained outside fit() (an extension such as distributed
  /// training builds the engine itself); `schema` is saved with the model.
  static TreeModel from_engine(Params params, Engine engine, data::Schema schema = {}) {
    TreeModel m(std::move(params));
    m.engine_ = std::move(engine);
    m.schema_ = std::move(schema);
    return m;
  }

  /// Loads a model saved by save() (this or an earlier kind version); FormatError for another
  /// kind, truncation, corruption or contents that do not form a valid model.
  static TreeModel load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, tree_model_kind(kName), kTreeModelVersion);
    TreeModel m(read_tree_params<P>(r, kName));
    read_tree_state(r, m.params_, m.schema_, m.engine_);
    return m;
  }

private:
  // Checks X and y (labels or targets; validation labels against the training classes) and
  // hands the engine its training data.
  template <class TX, class TY>
  TreeModel& fit_with(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>* val,
                      const trees::FitOptions& options) {
    const std::string op = std::string(kName) + ".fit";
    if (!kClassifier && options.n_classes != 0)
      throw_value_error(op + ": n_classes = " + std::to_string(options.n_classes) + " is for classifiers");
    TrainingSet train{feature_matrix(X, op), {}};
    const std::size_t k = targets(y, train.rows(), op, options.n_classes, train.y);
    TrainingSet v;
    if (val) {
      v.X = predict_matrix(val->X, train.features(), true, op + " (validation)");
      targets(val->y, v.rows(), op + " (validation)", k, v.y);
    }
    train_engine(engine_, params_, k, train, val ? &v : nullptr, kName);
    return *this;
  }

  // Labels 0..k-1 (k fixed when n_classes > 0, else inferred with every class present) or
  // finite targets into out; returns k (0 for regression).
  template <class TY>
  static std::size_t targets(const Tensor<TY>& y, std::size_t rows, std::string_view op, std::size_t n_classes,
                             std::vector<float>& out) {
    if constexpr (kClassifier) {
      LabelSet labels = tree_labels(y, rows, op, n_classes);
      out = std::move(labels.y);
      return labels.n_classes;
    } else {
      out = regression_targets(y, rows, op);
      return 0;
    }
  }

  void check_fitted(const char* what) const {
    if (!engine_.fitted) throw_not_fitted(std::string(kName) + what);
  }
  void check_row(std::span<const float> x, const char* what) const {
    check_fitted(what);
    if (x.size() != engine_.n_features) throw_row_size(std::string(kName) + what, x.size(), engine_.n_features);
  }
  template <class TX>
  Tensor<float> prediction_input(const Tensor<TX>& X, const char* what) const {
    return predict_matrix(X, engine_.n_features, engine_.fitted, std::string(kName) + what);
  }

  // Calls emit(row, raw outputs) for every row of Xf, computing blocks of rows in parallel.
  template <class Emit>
  void for_each_raw(const Tensor<float>& Xf, Emit emit) const {
    const std::size_t n = Xf.shape(0), d = engine_.n_features, k = engine_.n_raw();
    // Many classes: fewer rows a block, so a block's outputs stay small.
    const std::size_t block = std::clamp<std::size_t>(Engine::kBlockRows, 1, std::max<std::size_t>(1, 65536 / k));
    const std::size_t blocks = (n + block - 1) / block;
    parallel_for(0, blocks, std::max<std::size_t>(1, 1024 / block), [&](std::size_t lo, std::size_t hi) {
      std::vector<double> raw(block * k);
      for (std::size_t b = lo; b < hi; ++b) {
        const std::size_t r0 = b * block, rows = std::min(block, n - r0);
        engine_.raw_rows(Xf.data() + r0 * d, rows, raw.data());
        for (std::size_t i = 0; i < rows; ++i) emit(r0 + i, raw.data() + i * k);
      }
    });
  }

  // Raw outputs of one row in a per-thread buffer.
  const double* raw_row(std::span<const float> x) const {
    static thread_local std::vector<double> buf;
    if (buf.size() < engine_.n_raw()) buf.resize(engine_.n_raw());
    engine_.raw(x.data(), buf.data());
    return buf.data();
  }

  Params params_;
  Engine engine_;
  data::Schema schema_;
};

}  // namespace grove::detail

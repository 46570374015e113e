#pragma once
/// \file TreeModel: the public surface every tree model shares, written once over an engine
/// (Booster or Forest) and a params struct. The six models are aliases of it
/// (gradient_boosting.hpp, decision_tree.hpp, random_forest.hpp); classifier-only and
/// regressor-only members are constrained on the params' task.
///
/// An Engine provides: n_features, n_classes, fitted, trees, history; a free
/// train_engine(engine, params, n_classes, train, val, name); n_raw(), raw(x, out) and
/// raw_rows(X, rows, out) (bitwise equal to raw per row), kBlockRows; proba(raw, out),
/// label(raw), value(raw); importances(); write, read, read_v1 and check_against.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/schema.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/io/binary.hpp"
#include "grove/metrics/classification.hpp"
#include "grove/metrics/regression.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/engine_rows.hpp"
#include "grove/trees/importance.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/model_file.hpp"
#include "grove/trees/model_schema.hpp"
#include "grove/trees/params.hpp"
#include "grove/trees/shap.hpp"
#include "grove/trees/training_set.hpp"
#include "grove/trees/tree.hpp"
#include "grove/trees/weights.hpp"

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
  /// Importance of each feature: by default split gain (impurity or loss decrease) normalized
  /// to sum to 1; {.type = Importance::Split}: split counts; Importance::Cover: training weight
  /// through the splits, normalized.
  std::vector<double> feature_importances(const trees::ImportanceOptions& options = {}) const {
    check_fitted(".feature_importances");
    if (options.type == trees::Importance::Gain) return engine_.importances();
    if (options.type != trees::Importance::Split && options.type != trees::Importance::Cover)
      throw_value_error(std::string(kName) + ".feature_importances: unknown importance type " +
                        std::to_string(static_cast<std::uint32_t>(options.type)));
    return split_importance(engine_.trees, engine_.n_features, options.type == trees::Importance::Cover,
                            std::string(kName) + ".feature_importances");
  }

  /// Fits on X (n x d) and y (class labels 0..k-1 for classifiers, targets for regressors).
  /// The model keeps no schema (see fit on a Dataset).
  template <class TX, class TY>
  TreeModel& fit(const Tensor<TX>& X, const Tensor<TY>& y, const trees::FitOptions& options = {}) {
    return fit_with(X, y, static_cast<const trees::ValidationSet<TX, TY>*>(nullptr), options, {});
  }
  /// Fits and records train_loss / val_loss on {X_val, y_val}; boosting's
  /// early_stopping_rounds keeps the best round.
  template <class TX, class TY>
  TreeModel& fit(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>& val,
                 const trees::FitOptions& options = {}) {
    return fit_with(X, y, &val, options, {});
  }
  /// Fits on a data set and keeps its schema (saved with the model, checked by predict on a
  /// Dataset); a classifier takes its class count from the schema's class names.
  template <class T>
  TreeModel& fit(const data::Dataset<T>& ds, const trees::FitOptions& options = {}) {
    const data::Schema s = training_schema(ds, std::string(kName) + ".fit");
    return fit_with(ds.X, ds.y, static_cast<const trees::ValidationSet<T, T>*>(nullptr), with_classes(options, s), s);
  }
  /// As fit(ds), with validation data encoded the same way.
  template <class T>
  TreeModel& fit(const data::Dataset<T>& ds, const data::Dataset<T>& val, const trees::FitOptions& options = {}) {
    const data::Schema s = training_schema(ds, std::string(kName) + ".fit");
    check_schema(std::string(kName) + ".fit (validation)", s, val.schema());
    const trees::ValidationSet<T, T> v{val.X, val.y};
    return fit_with(ds.X, ds.y, &v, with_classes(options, s), s);
  }

  /// The schema of the data the model was fit on (empty after fit on bare tensors).
  const data::Schema& schema() const noexcept { return schema_; }
  /// Attaches a schema (e.g. to a model fit on tensors); it must describe the fitted features
  /// and classes.
  void set_schema(data::Schema schema) {
    const std::string op = std::string(kName) + ".set_schema";
    if (engine_.fitted && !schema.empty() && schema.n_features() != engine_.n_features)
      throw_value_error(op + ": the schema has " + std::to_string(schema.n_features()) + " features, the model " +
                        std::to_string(engine_.n_features));
    if (engine_.fitted && kClassifier && !schema.class_names.empty() && schema.class_names.size() != engine_.n_classes)
      throw_value_error(op + ": the schema has " + std::to_string(schema.class_names.size()) +
                        " classes, the model " + std::to_string(engine_.n_classes));
    schema_ = std::move(schema);
  }

  /// Number of classes (classifiers).
  std::size_t n_classes() const noexcept
    requires kClassifier
  {
    return engine_.n_classes;
  }
  /// The name of each class, by label: the schema's class names, or "0".."k-1" for a model fit
  /// on bare labels (scikit-learn's classes_, as text).
  std::vector<std::string> classes() const
    requires kClassifier
  {
    check_fitted(".classes");
    return model_class_names(schema_, engine_.n_classes);
  }

  /// Class of one row (classifiers); allocation-free after a thread's first call.
  std::int64_t predict_row(std::span<const float> x) const
    requires kClassifier
  {
    check_row(x, ".predict_row");
    return engine_.label(raw_row(engine_, x.data()));
  }
  /// Prediction for one row (regressors); allocation-free after a thread's first call.
  float predict_row(std::span<const float> x) const
    requires(!kClassifier)
  {
    check_row(x, ".predict_row");
    return static_cast<float>(engine_.value(raw_row(engine_, x.data())));
  }

  /// Class probabilities of one row into `out` (n_classes values).
  void predict_proba_row(std::span<const float> x, std::span<float> out) const
    requires kClassifier
  {
    check_row(x, ".predict_proba_row");
    if (out.size() != engine_.n_classes)
      throw_value_error(std::string(kName) + ".predict_proba_row: out has " + std::to_string(out.size()) +
                        " values, need " + std::to_string(engine_.n_classes));
    engine_.proba(raw_row(engine_, x.data()), out.data());
  }

  /// Predicted classes (int64) for classifiers, values (float) for regressors; bitwise the
  /// same as predict_row on each row.
  template <class TX>
  auto predict(const Tensor<TX>& X) const {
    const Tensor<float> Xf = prediction_input(X, ".predict");
    using Out = std::conditional_t<kClassifier, std::int64_t, float>;
    Tensor<Out> out(Shape{Xf.shape(0)});
    Out* o = out.data();
    for_each_raw(engine_, Xf, [&](std::size_t i, const double* raw) {
      if constexpr (kClassifier)
        o[i] = engine_.label(raw);
      else
        o[i] = static_cast<float>(engine_.value(raw));
    });
    return out;
  }
  /// predict on a data set, after checking its schema against the model's (ValueError naming
  /// the first mismatch: feature name or count, kind, category list, class names).
  template <class T>
  auto predict(const data::Dataset<T>& ds) const {
    check_schema(std::string(kName) + ".predict", schema_, ds.schema());
    return predict(ds.X);
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
    for_each_raw(engine_, Xf, [&](std::size_t i, const double* raw) { engine_.proba(raw, o + i * k); });
    return out;
  }
  template <class T>
  Tensor<float> predict_proba(const data::Dataset<T>& ds) const
    requires kClassifier
  {
    check_schema(std::string(kName) + ".predict_proba", schema_, ds.schema());
    return predict_proba(ds.X);
  }

  /// Per-row feature contributions to the raw prediction (exact TreeSHAP over the training
  /// covers): [n, d + 1] for one output, [n, outputs, d + 1] for several, the last value being
  /// the bias (expected value). Raw prediction: the margin of boosting (log-odds for two classes,
  /// one margin per class above; the log of the mean for poisson), the class probabilities of
  /// forest and tree classifiers, the value of regressors. A row's values sum to it.
  template <class TX>
  Tensor<double> predict_contributions(const Tensor<TX>& X) const {
    const Tensor<float> Xf = prediction_input(X, ".predict_contributions");
    return tree_contributions(engine_, Xf, std::string(kName) + ".predict_contributions");
  }

  /// Accuracy (classifiers) or R^2 (regressors) of the predictions for X against y.
  template <class TX, class TY>
  double score(const Tensor<TX>& X, const Tensor<TY>& y) const {
    if constexpr (kClassifier)
      return metrics::accuracy(y, predict(X));
    else
      return metrics::r2(y, predict(X));
  }
  template <class T>
  double score(const data::Dataset<T>& ds) const {
    return score(ds.X, ds.y);
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

  /// Saves to `path` (grove binary container of kind grove.trees.<model name>), with the schema.
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

  /// Loads a model saved by save() (this or an earlier kind version; a file without a schema
  /// loads with an empty one); FormatError for another kind, truncation, corruption or contents
  /// that do not form a valid model.
  static TreeModel load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, tree_model_kind(kName), kTreeModelVersion);
    TreeModel m(read_tree_params<P>(r, kName));
    read_tree_state(r, m.params_, m.schema_, m.engine_);
    return m;
  }

private:
  template <class TX, class TY>
  TreeModel& fit_with(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>* val,
                      const trees::FitOptions& options, data::Schema schema) {
    const std::string op = std::string(kName) + ".fit";
    TrainingData d = training_data<kClassifier>(X, y, val, options, op);
    const trees::ClassWeight* class_weight = nullptr;
    if constexpr (kClassifier) class_weight = &params_.class_weight;
    // Balanced class weights come from the training labels and apply to validation rows too.
    const std::vector<double> per_class = class_factors(class_weight, d.train.y, d.n_classes, op);
    d.train.weight = row_weights(options.sample_weight, per_class, d.train.y, op);
    if (val) d.val.weight = row_weights(val->weight, per_class, d.val.y, op + " (validation)");
    train_engine(engine_, params_, d.n_classes, d.train, d.validation(), kName);
    schema_ = std::move(schema);
    return *this;
  }

  // The schema of a training set; a regressor refuses a label-encoded target.
  template <class T>
  static data::Schema training_schema(const data::Dataset<T>& ds, const std::string& op) {
    if (!ds.has_target()) throw_value_error(op + ": the data set has no target (load it with .target)");
    data::Schema s = ds.schema();
    if (!kClassifier && s.target_kind == data::TargetKind::Categorical)
      throw_value_error(op + ": the target '" + s.target + "' holds " + std::to_string(s.class_names.size()) +
                        " classes; use a classifier, or load it as a numeric target");
    return s;
  }

  // A classifier fit on a data set with class names has that many classes.
  static trees::FitOptions with_classes(trees::FitOptions options, const data::Schema& s) {
    if (!kClassifier || s.class_names.empty()) return options;
    if (options.n_classes != 0 && options.n_classes != s.class_names.size())
      throw_value_error(std::string(kName) + ".fit: n_classes = " + std::to_string(options.n_classes) +
                        " but the data set names " + std::to_string(s.class_names.size()) + " classes");
    options.n_classes = s.class_names.size();
    return options;
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

  Params params_;
  Engine engine_;
  data::Schema schema_;
};

}  // namespace grove::detail

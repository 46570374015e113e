#pragma once
/// \file serving::Model: a loaded model of any kind behind one read-only interface (schema,
/// task, classes, batch and single-row prediction), so a server or a batch scorer handles
/// boosting, forests, trees and networks alike. Prediction is const and thread-safe: many
/// request threads share one model.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "grove/core/error.hpp"
#include "grove/data/schema.hpp"

namespace grove {
namespace detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_prediction_size(const std::string& kind, const char* op,
                                                                         const char* what, std::size_t got,
                                                                         std::size_t want) {
  throw_value_error("Model." + std::string(op) + " (" + kind + "): " + what + " has " + std::to_string(got) +
                    " values, expected " + std::to_string(want));
}

}  // namespace detail

namespace serving {

/// What a model predicts.
enum class Task : std::uint8_t {
  Classification = 0,  ///< a class index 0..k-1 (and probabilities)
  Regression = 1,      ///< a number
};

/// "classification" or "regression".
inline const char* to_string(Task t) noexcept { return t == Task::Classification ? "classification" : "regression"; }

/// A loaded model. Subclasses adapt one model type; load_model picks the subclass from the file.
class Model {
public:
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  /// The kind name stored in the model file, e.g. "grove.trees.GradientBoostingClassifier".
  const std::string& kind() const noexcept { return kind_; }
  /// Classification or regression.
  Task task() const noexcept { return task_; }
  /// The encoding the model was trained with: the file's schema, or (for a file without one)
  /// numeric features named "0", "1", ... and no class names.
  const data::Schema& schema() const noexcept { return schema_; }
  /// True when schema() came from the model file (feature names, categories, class names).
  bool has_file_schema() const noexcept { return file_schema_; }
  /// Number of feature columns a row holds.
  std::size_t n_features() const noexcept { return schema_.n_features(); }
  /// Number of classes (0 for a regressor).
  std::size_t n_classes() const noexcept { return n_classes_; }

  /// Predictions of the rows of X (row-major, out.size() rows of n_features() values; NaN is a
  /// missing value): a class index for a classifier, a value for a regressor.
  void predict(std::span<const float> X, std::span<double> out) const {
    check_rows("predict", X, out.size());
    if (!out.empty()) do_predict(X.data(), out.size(), out.data());
  }
  /// Class probabilities of the rows of X into out (rows x n_classes(), row-major). A regressor
  /// has none: ValueError.
  void predict_proba(std::span<const float> X, std::span<float> out) const {
    if (task_ != Task::Classification)
      detail::throw_value_error("Model.predict_proba (" + kind_ + "): a regressor has no class probabilities");
    const std::size_t rows = out.size() / n_classes_;
    if (rows * n_classes_ != out.size())
      detail::throw_prediction_size(kind_, "predict_proba", "out", out.size(), rows * n_classes_);
    check_rows("predict_proba", X, rows);
    if (rows) do_predict_proba(X.data(), rows, out.data());
  }

protected:
  /// `file_schema` may be empty (a file without one); otherwise it must describe n_features
  /// features and, when it names classes, exactly n_classes of them (FormatError otherwise).
  Model(std::string kind, Task task, std::size_t n_features, std::size_t n_classes, data::Schema file_schema)
      : kind_(std::move(kind)), task_(task), n_classes_(task == Task::Classification ? n_classes : 0) {
    file_schema_ = !file_schema.empty();
    if (file_schema_) {
      if (file_schema.n_features() != n_features)
        detail::throw_format_error("load_model: the " + kind_ + "'s schema lists " +
                                          std::to_string(file_schema.n_features()) + " features, the model takes " +
                                          std::to_string(n_features));
      if (!file_schema.class_names.empty() && file_schema.class_names.size() != n_classes_)
        detail::throw_format_error("load_model: the " + kind_ + "'s schema names " +
                                          std::to_string(file_schema.class_names.size()) + " classes, the model has " +
                                          std::to_string(n_classes_));
      schema_ = std::move(file_schema);
    } else {
      schema_.features.resize(n_features);
      for (std::size_t j = 0; j < n_features; ++j) schema_.features[j].name = std::to_string(j);
      schema_.target_kind = task == Task::Classification ? data::TargetKind::Categorical : data::TargetKind::Numeric;
    }
  }

  /// n rows at X (n x n_features) into out (n values); sizes are checked by the caller.
  virtual void do_predict(const float* X, std::size_t n, double* out) const = 0;
  /// n rows at X into out (n x n_classes); only called for classifiers.
  virtual void do_predict_proba(const float* X, std::size_t n, float* out) const = 0;

private:
  void check_rows(const char* op, std::span<const float> X, std::size_t rows) const {
    const std::size_t d = n_features();
    if (X.size() != rows * d) detail::throw_prediction_size(kind_, op, "X", X.size(), rows * d);
  }

  std::string kind_;
  Task task_;
  std::size_t n_classes_;
  data::Schema schema_;
  bool file_schema_ = false;
};

}  // namespace serving
}  // namespace grove

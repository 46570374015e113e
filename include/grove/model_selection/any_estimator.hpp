#pragma once
/// \file AnyEstimator: any estimator behind one value type (fit, predict, predict_proba,
/// predict_row, score, clone, name, params as text, history, save), for candidate lists, the
/// pipeline and serving. Features and labels cross the boundary as Tensor<float>; predictions
/// come back as Tensor<double> (class labels or values).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/model_selection/estimator.hpp"
#include "grove/model_selection/params.hpp"
#include "grove/model_selection/scoring.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/input.hpp"

namespace grove::detail {

/// The operations AnyEstimator forwards; AnyModel<M> implements them for one model type.
class AnyModelBase {
public:
  virtual ~AnyModelBase() = default;
  virtual std::unique_ptr<AnyModelBase> copy() const = 0;
  virtual std::unique_ptr<AnyModelBase> fresh() const = 0;  // unfitted copy; nullptr when M cannot
  virtual void fit(const Tensor<float>& X, const Tensor<float>& y) = 0;
  virtual bool fit_validated(const Tensor<float>& X, const Tensor<float>& y, const Tensor<float>& Xv,
                             const Tensor<float>& yv) = 0;  // false when M has no such fit
  virtual bool can_fit_validated() const = 0;
  virtual Tensor<double> predict(const Tensor<float>& X) const = 0;
  virtual bool has_proba() const = 0;
  virtual Tensor<float> predict_proba(const Tensor<float>& X) const = 0;
  virtual double predict_row(std::span<const float> x) const = 0;
  virtual model_selection::ParamList params() const = 0;
  virtual const diag::History* history() const = 0;
  virtual bool save(const std::string& path) const = 0;  // false when M cannot
  virtual const std::type_info& type() const = 0;
  virtual void* get() noexcept = 0;
};

template <class M>
class AnyModel final : public AnyModelBase {
public:
  explicit AnyModel(M m) : m_(std::move(m)) {}

  std::unique_ptr<AnyModelBase> copy() const override { return std::make_unique<AnyModel>(m_); }
  std::unique_ptr<AnyModelBase> fresh() const override {
    if constexpr (model_selection::Clonable<M>) return std::make_unique<AnyModel>(model_selection::clone(m_));
    else return nullptr;
  }
  void fit(const Tensor<float>& X, const Tensor<float>& y) override { m_.fit(X, y); }
  bool can_fit_validated() const override { return kValidated; }
  bool fit_validated(const Tensor<float>& X, const Tensor<float>& y, const Tensor<float>& Xv,
                     const Tensor<float>& yv) override {
    if constexpr (kValidated) {
      m_.fit(X, y, {Xv, yv});
      return true;
    } else {
      return false;
    }
  }
  Tensor<double> predict(const Tensor<float>& X) const override { return m_.predict(X).template to<double>(); }
  bool has_proba() const override { return detail::HasPredictProba<M, float>; }
  Tensor<float> predict_proba(const Tensor<float>& X) const override {
    if constexpr (detail::HasPredictProba<M, float>) return m_.predict_proba(X).template to<float>();
    else throw_error("AnyEstimator.predict_proba: " + name() + " has no predict_proba (it is not a classifier)");
  }
  double predict_row(std::span<const float> x) const override {
    if constexpr (requires { m_.predict_row(x); }) {
      return static_cast<double>(m_.predict_row(x));
    } else {
      const auto one = Tensor<float>::from_vector(std::vector<float>(x.begin(), x.end()), Shape{1, x.size()});
      return m_.predict(one).template to<double>().data()[0];
    }
  }
  model_selection::ParamList params() const override {
    if constexpr (requires { m_.params(); }) return model_selection::get_params(m_.params());
    else return {};
  }
  const diag::History* history() const override {
    if constexpr (requires { { m_.history() } -> std::convertible_to<const diag::History&>; }) return &m_.history();
    else return nullptr;
  }
  bool save(const std::string& path) const override {
    if constexpr (requires { m_.save(path); }) {
      m_.save(path);
      return true;
    } else {
      return false;
    }
  }
  const std::type_info& type() const override { return typeid(M); }
  void* get() noexcept override { return &m_; }

  /// kName, else the last part of the file kind ("grove.trees.X" -> "X"), else "estimator".
  static std::string name() {
    if constexpr (requires { { M::kName } -> std::convertible_to<std::string_view>; }) {
      return std::string(M::kName);
    } else if constexpr (requires { { M::kKind } -> std::convertible_to<std::string_view>; }) {
      const std::string_view kind = M::kKind;
      return std::string(kind.substr(kind.rfind('.') + 1));
    } else {
      return "estimator";
    }
  }

private:
  static constexpr bool kValidated = requires(M& m, const Tensor<float>& X) { m.fit(X, X, {X, X}); };
  mutable M m_;  // a user model's predict may be non-const; predicting does not change what it learned
};

}  // namespace grove::detail

namespace grove::model_selection {

/// Any estimator as one value type. Copies are deep (a copy of a fitted model is fitted);
/// clone() gives a configured, unfitted copy. Calling a member the held model lacks is an Error
/// naming the model (predict_proba on a regressor, save on a model without save).
class AnyEstimator {
public:
  AnyEstimator() = default;

  /// Holds `model` (any Estimator on float features and labels), named by its kName (or the
  /// last part of its file kind).
  template <class M>
    requires(!std::same_as<std::remove_cvref_t<M>, AnyEstimator>) && Estimator<std::remove_cvref_t<M>, float, float>
  AnyEstimator(M model)  // NOLINT: implicit, so a list of models reads {GradientBoostingClassifier(p), ...}
      : name_(detail::AnyModel<std::remove_cvref_t<M>>::name()),
        model_(std::make_unique<detail::AnyModel<std::remove_cvref_t<M>>>(std::move(model))) {}

  /// Holds `model` under the display name `name`.
  template <class M>
    requires Estimator<std::remove_cvref_t<M>, float, float>
  AnyEstimator(std::string name, M model) : AnyEstimator(std::move(model)) {
    name_ = std::move(name);
  }

  AnyEstimator(const AnyEstimator& o) : name_(o.name_), model_(o.model_ ? o.model_->copy() : nullptr) {}
  AnyEstimator& operator=(const AnyEstimator& o) {
    if (this != &o) *this = AnyEstimator(o);
    return *this;
  }
  AnyEstimator(AnyEstimator&&) noexcept = default;
  AnyEstimator& operator=(AnyEstimator&&) noexcept = default;

  /// True when a model is held.
  bool has_value() const noexcept { return model_ != nullptr; }
  /// The display name ("GradientBoostingClassifier", or the one given).
  const std::string& name() const noexcept { return name_; }
  /// The held model's params as text (empty when its params type has no field list).
  ParamList get_params() const { return model().params(); }
  /// "n_estimators=100, learning_rate=0.1, ...".
  std::string params_text() const { return to_string(get_params()); }
  /// True when the held model has predict_proba (a classifier).
  bool has_predict_proba() const { return model().has_proba(); }
  /// True when fit(X, y, X_val, y_val) is supported (validation monitoring, early stopping).
  bool has_validation_fit() const { return model().can_fit_validated(); }

  /// Fits on X [n, d] and y [n].
  AnyEstimator& fit(const Tensor<float>& X, const Tensor<float>& y) {
    model().fit(X, y);
    return *this;
  }
  /// Fits with validation data: the held model's fit(X, y, {X_val, y_val}) (history, early stopping).
  AnyEstimator& fit(const Tensor<float>& X, const Tensor<float>& y, const Tensor<float>& X_val,
                    const Tensor<float>& y_val) {
    if (!model().fit_validated(X, y, X_val, y_val))
      grove::detail::throw_error("AnyEstimator.fit: " + name_ + " has no fit with validation data");
    return *this;
  }
  /// Labels (classifiers) or values (regressors), [n].
  Tensor<double> predict(const Tensor<float>& X) const { return model().predict(X); }
  /// Class probabilities [n, k] (Error for a model without predict_proba).
  Tensor<float> predict_proba(const Tensor<float>& X) const { return model().predict_proba(X); }
  /// The label or value of one row.
  double predict_row(std::span<const float> x) const { return model().predict_row(x); }
  /// Score on (X, y) (default "accuracy" for classifiers, "r2" otherwise; see Scorings).
  double score(const Tensor<float>& X, const Tensor<float>& y, const Scorings& scoring = {}) const {
    if (scoring.size() > 1)
      grove::detail::throw_value_error("AnyEstimator.score: one scoring expected, got " + std::to_string(scoring.size()));
    const diag::Scorer s = scoring.resolve("AnyEstimator.score", has_predict_proba())[0];
    const Tensor<double> yd = y.to<double>();
    return s.fn(yd, s.needs_proba ? predict_proba(X).to<double>() : predict(X));
  }
  /// A configured, unfitted copy (Error when the held model has no params()).
  AnyEstimator clone() const {
    AnyEstimator out;
    out.name_ = name_;
    out.model_ = model().fresh();
    if (!out.model_) grove::detail::throw_error("AnyEstimator.clone: " + name_ + " cannot make an unfitted copy (no params())");
    return out;
  }
  /// The training history the held model recorded (nullptr when it keeps none).
  const diag::History* history() const { return model().history(); }
  /// Saves the held model (Error when it has no save).
  void save(const std::string& path) const {
    if (!model().save(path)) grove::detail::throw_error("AnyEstimator.save: " + name_ + " has no save");
  }
  /// The held model when it is an M, else nullptr (as std::function::target).
  template <class M>
  M* target() noexcept {
    return model_ && model_->type() == typeid(M) ? static_cast<M*>(model_->get()) : nullptr;
  }
  template <class M>
  const M* target() const noexcept {
    return model_ && model_->type() == typeid(M) ? static_cast<const M*>(model_->get()) : nullptr;
  }

private:
  detail::AnyModelBase& model() const {
    if (!model_) grove::detail::throw_error("AnyEstimator: empty (holds no model)");
    return *model_;
  }

  std::string name_;
  std::unique_ptr<detail::AnyModelBase> model_;
};

}  // namespace grove::model_selection

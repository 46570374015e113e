#pragma once
/// \file serving::TreeAdapter<M>: grove's tree models (decision trees, random forests, gradient
/// boosting; classifiers and regressors) behind serving::Model. One row goes through the model's
/// allocation-free predict_row; a batch through its parallel predict on a tensor.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/shape.hpp"
#include "grove/data/schema.hpp"
#include "grove/serving/model.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

/// The schema stored with a tree model, or an empty one for a model type without one.
template <class M>
data::Schema stored_schema(const M& m) {
  if constexpr (requires { { m.schema() } -> std::convertible_to<const data::Schema&>; })
    return m.schema();
  else
    return {};
}

/// The kind a tree model's files carry: "grove.trees." + its name.
template <class M>
std::string tree_kind() {
  return "grove.trees." + std::string(M::kName);
}

/// Rows X (n x d) copied into a tensor for a model's batch predict.
inline Tensor<float> rows_tensor(const float* X, std::size_t n, std::size_t d) {
  return Tensor<float>::from_vector(std::vector<float>(X, X + n * d), Shape{n, d});
}

}  // namespace detail

namespace serving {

/// A tree model (DecisionTree*, RandomForest*, GradientBoosting*; classifier or regressor) as a
/// serving::Model.
template <class M>
class TreeAdapter final : public Model {
public:
  explicit TreeAdapter(M model)
      : Model(detail::tree_kind<M>(), M::kClassifier ? Task::Classification : Task::Regression, model.n_features(),
              classes_of(model), detail::stored_schema(model)),
        m_(std::move(model)) {}

  /// Loads the model file at `path` (FormatError for a bad file or another kind).
  static std::shared_ptr<const Model> load(const std::string& path) {
    return std::make_shared<const TreeAdapter>(M::load(path));
  }
  const M& model() const noexcept { return m_; }

private:
  static std::size_t classes_of(const M& m) {
    if constexpr (M::kClassifier)
      return m.n_classes();
    else
      return 0;
  }

  void do_predict(const float* X, std::size_t n, double* out) const override {
    const std::size_t d = n_features();
    if (n == 1) {  // the allocation-free single-row path
      out[0] = static_cast<double>(m_.predict_row(std::span<const float>(X, d)));
      return;
    }
    const auto p = m_.predict(detail::rows_tensor(X, n, d));  // class indices or values
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<double>(p.data()[i]);
  }

  void do_predict_proba(const float* X, std::size_t n, float* out) const override {
    if constexpr (M::kClassifier) {
      const std::size_t d = n_features(), k = n_classes();
      if (n == 1) {
        m_.predict_proba_row(std::span<const float>(X, d), std::span<float>(out, k));
        return;
      }
      const Tensor<float> p = m_.predict_proba(detail::rows_tensor(X, n, d));
      std::copy(p.data(), p.data() + n * k, out);
    }
  }

  M m_;
};

}  // namespace serving
}  // namespace grove

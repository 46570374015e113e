#pragma once
// Model kinds grove-pipeline writes beyond the library's own: its MLP classifier (examples/
// pipeline/mlp.hpp, kind "grove-pipeline.MlpClassifier") as a serving::Model, so grove-serve and
// grove-predict serve every model.grove the pipeline writes. (A network saved with
// grove::serving::save_network needs no adapter.)

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <grove/data/schema.hpp>
#include <grove/serving/load_model.hpp>
#include <grove/serving/model.hpp>

#include "../pipeline/mlp.hpp"

namespace serve {

/// The schema stored with a model, or an empty one when its class keeps none.
template <class M>
grove::data::Schema schema_if_any(const M& m) {
  if constexpr (requires { { m.schema() } -> std::convertible_to<const grove::data::Schema&>; })
    return m.schema();
  else
    return {};
}

/// grove-pipeline's MlpClassifier as a serving::Model.
class PipelineMlp final : public grove::serving::Model {
public:
  explicit PipelineMlp(pipeline::MlpClassifier m)
      : Model(pipeline::MlpClassifier::kKind, grove::serving::Task::Classification, m.n_features(), m.n_classes(),
              schema_if_any(m)),
        m_(std::move(m)) {}

private:
  grove::Tensor<float> rows(const float* X, std::size_t n) const {
    return grove::Tensor<float>::from_vector(std::vector<float>(X, X + n * n_features()), grove::Shape{n, n_features()});
  }
  void do_predict(const float* X, std::size_t n, double* out) const override {
    if (n == 1) {
      out[0] = static_cast<double>(m_.predict_row(std::span<const float>(X, n_features())));
      return;
    }
    const grove::Tensor<std::int64_t> p = m_.predict(rows(X, n));
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<double>(p.data()[i]);
  }
  void do_predict_proba(const float* X, std::size_t n, float* out) const override {
    const grove::Tensor<float> p = m_.predict_proba(rows(X, n));
    std::copy(p.data(), p.data() + p.size(), out);
  }

  pipeline::MlpClassifier m_;
};

/// The kinds grove-pipeline adds to the library's (see grove::serving::builtin_model_kinds).
inline std::vector<grove::serving::ModelKind> pipeline_model_kinds() {
  return {{pipeline::MlpClassifier::kKind, [](const std::string& path) -> std::shared_ptr<const grove::serving::Model> {
             return std::make_shared<const PipelineMlp>(pipeline::MlpClassifier::load(path));
           }}};
}

}  // namespace serve

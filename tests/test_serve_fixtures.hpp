#pragma once
// Models and files shared by the serving tests (test_serve_model, test_serve_http, test_predict):
// a small schema with numeric and categorical features and named classes, data that follows it,
// and model files of each kind written to the test's temporary folder.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/rng.hpp"
#include "grove/data/schema.hpp"
#include "grove/serving/network.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/gradient_boosting.hpp"

namespace serve_test {

namespace fs = std::filesystem;

/// A fresh folder under the tests' temporary directory.
inline fs::path tmp_dir(const std::string& name) {
  const fs::path p = fs::path(GROVE_TEST_TMP_DIR) / name;
  fs::create_directories(p);
  return p;
}

inline std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
inline void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << bytes;
}

/// Features: "length" and "width" (numeric), "colour" (categorical: blue, green, red); target
/// "species" with classes setosa, versicolor, virginica.
inline grove::data::Schema flower_schema() {
  grove::data::Schema s;
  s.features = {{"length", grove::data::ColumnKind::Numeric, {}},
                {"width", grove::data::ColumnKind::Numeric, {}},
                {"colour", grove::data::ColumnKind::Categorical, {"blue", "green", "red"}}};
  s.target = "species";
  s.target_kind = grove::data::TargetKind::Categorical;
  s.class_names = {"setosa", "versicolor", "virginica"};
  return s;
}

/// n rows of (length, width, colour code) and a class that depends on length and colour.
inline std::pair<grove::Tensor<float>, grove::Tensor<float>> flower_data(std::size_t n, std::uint64_t seed) {
  grove::Rng rng(seed);
  std::vector<float> X(n * 3), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float length = static_cast<float>(rng.uniform() * 6.0);
    const float width = static_cast<float>(rng.uniform() * 3.0);
    const float colour = static_cast<float>(rng.below(3));
    X[i * 3] = length;
    X[i * 3 + 1] = width;
    X[i * 3 + 2] = colour;
    y[i] = length < 2 ? 0.0f : (colour == 2.0f || length > 4.5 ? 2.0f : 1.0f);
  }
  return {grove::Tensor<float>::from_vector(std::move(X), grove::Shape{n, 3}),
          grove::Tensor<float>::from_vector(std::move(y))};
}

/// A network classifier over flower_schema() (random weights: serving checks the arithmetic,
/// not the quality), one-hot colour, standardised inputs.
inline grove::serving::NetworkSpec flower_network_spec() {
  grove::serving::NetworkSpec spec;
  spec.schema = flower_schema();
  spec.task = grove::serving::Task::Classification;
  spec.n_classes = 3;
  spec.one_hot = true;
  spec.input_mean = {3.0f, 1.5f, 0.0f, 0.0f, 0.0f};
  spec.input_inv_std = {0.5f, 1.0f, 1.0f, 1.0f, 1.0f};
  spec.hidden = {8, 6};
  spec.activations = {grove::serving::Activation::ReLU, grove::serving::Activation::Tanh};
  return spec;
}

inline void write_flower_network(const fs::path& path, std::uint64_t seed = 1) {
  const grove::serving::NetworkSpec spec = flower_network_spec();
  grove::Rng rng(seed);
  grove::nn::Sequential<float> net = grove::serving::make_network(spec, rng);
  grove::serving::save_network(path.string(), spec, net);
}

/// A gradient-boosting classifier fit on flower_data (a file without a schema).
inline grove::trees::GradientBoostingClassifier flower_boosting() {
  const auto [X, y] = flower_data(300, 3);
  grove::trees::GradientBoostingClassifier m({.n_estimators = 20, .learning_rate = 0.3, .max_depth = 3});
  m.fit(X, y);
  return m;
}

}  // namespace serve_test

// Trees: monotone constraints in gradient boosting. Predictions are checked monotone along a
// grid of each constrained feature from many starting rows; the same data without constraints
// breaks the order (so the check can fail); a hand-checked stump; errors.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Data {
  Tensor<float> X;
  Tensor<float> y;
};

// x uniform in [-1, 1] (a share `missing` NaN); s = 2 x0 + 1.5 sin(6 x0) - 3 x1 + x2^2: rising
// in x0 overall but not everywhere, falling in x1. y = s + noise, or (s + noise > 0) for classes.
Data make_data(std::size_t n, std::uint64_t seed, bool classes, double missing = 0.0) {
  Rng rng(seed);
  std::vector<float> x(n * 3), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < 3; ++f) x[i * 3 + f] = static_cast<float>(2.0 * rng.uniform() - 1.0);
    const double x0 = x[i * 3], x1 = x[i * 3 + 1], x2 = x[i * 3 + 2];
    const double s = 2.0 * x0 + 1.5 * std::sin(6.0 * x0) - 3.0 * x1 + x2 * x2 + 0.3 * rng.normal();
    y[i] = classes ? (s > 0.0 ? 1.0f : 0.0f) : static_cast<float>(s);
    for (std::size_t f = 0; f < 3; ++f)
      if (rng.uniform() < missing) x[i * 3 + f] = kNaN;
  }
  return {Tensor<float>::from_vector(x, Shape{n, 3}), Tensor<float>::from_vector(y, Shape{n})};
}

// Predictions (values or the positive-class probability) along a grid of feature f in
// [-1.2, 1.2] from each of `starts` rows; counts the steps that go against `direction`.
template <class M>
std::size_t order_violations(const M& m, std::size_t f, int direction, std::size_t starts = 25) {
  Rng rng(99);
  const std::size_t steps = 121;
  std::size_t bad = 0;
  for (std::size_t s = 0; s < starts; ++s) {
    std::vector<float> row(3);
    for (float& v : row) v = static_cast<float>(2.0 * rng.uniform() - 1.0);
    std::vector<float> grid;
    for (std::size_t k = 0; k < steps; ++k) {
      row[f] = static_cast<float>(-1.2 + 2.4 * static_cast<double>(k) / static_cast<double>(steps - 1));
      grid.insert(grid.end(), row.begin(), row.end());
    }
    const auto X = Tensor<float>::from_vector(grid, Shape{steps, 3});
    std::vector<double> p;
    if constexpr (M::kClassifier) {
      const auto proba = m.predict_proba(X).to_vector();
      for (std::size_t k = 0; k < steps; ++k) p.push_back(proba[2 * k + 1]);
    } else {
      for (float v : m.predict(X).to_vector()) p.push_back(v);
    }
    for (std::size_t k = 1; k < steps; ++k)
      if (direction * (p[k] - p[k - 1]) < 0.0) ++bad;
  }
  return bad;
}

double r2(const Tensor<float>& p, const Tensor<float>& y) {
  double mean = 0.0, ss = 0.0, se = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) mean += y.data()[i];
  mean /= static_cast<double>(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    ss += (y.data()[i] - mean) * (y.data()[i] - mean);
    se += (y.data()[i] - p.data()[i]) * (y.data()[i] - p.data()[i]);
  }
  return 1.0 - se / ss;
}

}  // namespace

TEST_CASE("monotone: a stump whose only gainful splits break the order is not split") {
  // base 5, gradients (-5, -5, 5, 5): every split puts a higher value on the left.
  const auto X = Tensor<float>::from_vector({1, 2, 3, 4}, Shape{4, 1});
  const auto y = Tensor<float>::from_vector({10, 10, 0, 0}, Shape{4});
  GradientBoostingRegressor up({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                                .min_child_weight = 0.0, .monotone_constraints = {1}});
  up.fit(X, y);
  CHECK(up.trees()[0].nodes.size() == 1);
  CHECK(up.predict(X).to_vector() == std::vector<float>{5, 5, 5, 5});
  GradientBoostingRegressor down({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                                  .min_child_weight = 0.0, .monotone_constraints = {-1}});
  down.fit(X, y);
  CHECK(down.predict(X).to_vector() == std::vector<float>{10, 10, 0, 0});
}

TEST_CASE("monotone: below a constrained split, values are bounded by its midpoint") {
  // Rising in x0, x1 free. Rows (x0, x1, y): (1,0,0) (1,0,0) (1,1,18) (2,0,20) (2,1,20) (2,0,20);
  // base 13, gradients (13, 13, -5, -7, -7, -7). The root splits on x0 (gain 294 against 108 for
  // x1): values -7 and +7, midpoint 0, so the x0 = 1 side is capped at 0. There x1 splits off the
  // third row, whose value -G/H = 5 is clamped to 0: predicted 13, not 18.
  const auto X = Tensor<float>::from_vector({1, 0, 1, 0, 1, 1, 2, 0, 2, 1, 2, 0}, Shape{6, 2});
  const auto y = Tensor<float>::from_vector({0, 0, 18, 20, 20, 20}, Shape{6});
  GradientBoostingRegressorParams p{.n_estimators = 1, .learning_rate = 1.0, .max_depth = 2, .l2 = 0.0,
                                    .min_child_weight = 0.0};
  GradientBoostingRegressor free_model(p);
  free_model.fit(X, y);
  CHECK(free_model.predict(X).to_vector() == std::vector<float>{0, 0, 18, 20, 20, 20});
  p.monotone_constraints = {1, 0};
  GradientBoostingRegressor m(p);
  m.fit(X, y);
  CHECK(m.trees()[0].nodes[0].feature() == 0);
  CHECK(m.predict(X).to_vector() == std::vector<float>{0, 0, 13, 20, 20, 20});
}

TEST_CASE("monotone: regressor predictions rise with x0 and fall with x1 along every grid") {
  const Data train = make_data(3000, 1, false);
  GradientBoostingRegressorParams p{.n_estimators = 60, .max_depth = 4};
  GradientBoostingRegressor free_model(p);
  free_model.fit(train.X, train.y);
  CHECK(order_violations(free_model, 0, 1) > 0);  // sin(6 x0) breaks the order unconstrained
  p.monotone_constraints = {1, -1, 0};
  GradientBoostingRegressor m(p);
  m.fit(train.X, train.y);
  CHECK(order_violations(m, 0, 1) == 0);
  CHECK(order_violations(m, 1, -1) == 0);
  CHECK(order_violations(m, 2, 1) > 0);  // x2 (a parabola) stays free
  const Data test = make_data(1000, 2, false);
  CHECK(r2(m.predict(test.X), test.y) > 0.85);
  // Saved and loaded with the model.
  const std::string path = std::string(GROVE_TEST_TMP_DIR) + "/monotone_gbr.bin";
  m.save(path);
  const auto loaded = GradientBoostingRegressor::load(path);
  CHECK(loaded.params().monotone_constraints == std::vector<int>{1, -1, 0});
  CHECK(loaded.predict(test.X).to_vector() == m.predict(test.X).to_vector());
}

TEST_CASE("monotone: leaf-wise growth with missing values, binary and multiclass classifiers") {
  SUBCASE("regressor, leaf-wise, NaN in training") {
    const Data train = make_data(2000, 3, false, 0.1);
    GradientBoostingRegressor m({.n_estimators = 40, .max_depth = 0, .max_leaves = 16, .monotone_constraints = {1, 0, 0}});
    m.fit(train.X, train.y);
    CHECK(order_violations(m, 0, 1) == 0);
  }
  SUBCASE("binary classifier: the probability rises with x0") {
    const Data train = make_data(2000, 4, true);
    // Set after the braces: GCC 12 warns (falsely, maybe-uninitialized) when a designated
    // initializer skips class_weight to reach a later field.
    GradientBoostingClassifierParams p{.n_estimators = 40, .max_depth = 3};
    p.monotone_constraints = {1, -1, 0};
    GradientBoostingClassifier m(p);
    m.fit(train.X, train.y);
    CHECK(order_violations(m, 0, 1) == 0);
    CHECK(order_violations(m, 1, -1) == 0);
  }
}

TEST_CASE("monotone: errors name the parameter and values") {
  const Data train = make_data(50, 5, false);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.monotone_constraints = {1, 2, 0}}),
                       "GradientBoostingRegressor: monotone_constraints must be in [-1, 1], got 2", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.monotone_constraints = {1, 0}}).fit(train.X, train.y),
                       "GradientBoostingRegressor.fit: monotone_constraints has 2 entries but X has 3 features",
                       ValueError);
  GradientBoostingClassifierParams both{.categorical_features = {1}};
  both.monotone_constraints = {0, -1, 0};
  CHECK_THROWS_WITH_AS(GradientBoostingClassifier{both},
                       "GradientBoostingClassifier: feature 1 is categorical and cannot have a monotone constraint (-1)",
                       ValueError);
  CHECK_THROWS_WITH_AS(
      GradientBoostingRegressor({.loss = Loss::AbsoluteError, .monotone_constraints = {1, 0, 0}}),
      "GradientBoostingRegressor: monotone_constraints do not work with loss absolute_error (its leaves are refit "
      "to a quantile after growth)",
      ValueError);
  // All zeros is no constraint: absolute error is fine.
  GradientBoostingRegressor({.loss = Loss::AbsoluteError, .monotone_constraints = {0, 0, 0}}).fit(train.X, train.y);
}

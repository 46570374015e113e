// Trees: decision trees and random forests.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

struct Data {
  Tensor<float> X;
  Tensor<float> y;
};

Data make_classification(std::size_t n, std::size_t d, std::uint64_t seed, std::size_t classes = 2) {
  Rng rng(seed);
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.normal());
    const double s = x[i * d] + 0.5 * x[i * d + 1] * x[i * d + 1] - x[i * d + 2] + 0.3 * rng.normal();
    if (classes == 2) {
      y[i] = s > 0.5 ? 1.0f : 0.0f;
    } else {
      const double t = std::clamp((s + 2.0) / 5.0, 0.0, 0.999);
      y[i] = static_cast<float>(static_cast<std::size_t>(t * static_cast<double>(classes)));
    }
  }
  return {Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(y, Shape{n})};
}

Data make_regression(std::size_t n, std::size_t d, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.uniform(-2, 2));
    y[i] = static_cast<float>(std::sin(x[i * d]) * 2.0 + x[i * d + 1] * x[i * d + 1] + 0.1 * rng.normal());
  }
  return {Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(y, Shape{n})};
}

double accuracy_of(const Tensor<std::int64_t>& pred, const Tensor<float>& y) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < y.size(); ++i) ok += pred.data()[i] == static_cast<std::int64_t>(y.data()[i]) ? 1 : 0;
  return static_cast<double>(ok) / static_cast<double>(y.size());
}

double r2_of(const Tensor<float>& pred, const Tensor<float>& y) {
  double mean = 0;
  for (std::size_t i = 0; i < y.size(); ++i) mean += y.data()[i];
  mean /= static_cast<double>(y.size());
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    ss_res += std::pow(pred.data()[i] - y.data()[i], 2);
    ss_tot += std::pow(y.data()[i] - mean, 2);
  }
  return 1 - ss_res / ss_tot;
}

Tensor<float> column(std::vector<float> v) {
  const std::size_t n = v.size();
  return Tensor<float>::from_vector(std::move(v), Shape{n, 1});
}
Tensor<float> vec(std::vector<float> v) { return Tensor<float>::from_vector(std::move(v)); }

std::size_t count_leaves(const Tree& t) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < t.nodes.size(); ++i) n += t.is_leaf(i) ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("DecisionTreeClassifier: a hand-checkable split on tiny data") {
  for (Criterion c : {Criterion::Gini, Criterion::Entropy}) {
    DecisionTreeClassifier m({.criterion = c});
    m.fit(column({1, 2, 3, 4, 5, 6}), vec({0, 0, 0, 1, 1, 1}));
    const Tree& t = m.tree();
    REQUIRE(t.nodes.size() == 3);  // pure children stop growth
    CHECK(t.nodes[0].threshold == 3.5f);
    CHECK(t.values[1 * 2] == 1.0f);  // left leaf: P(class 0) = 1
    CHECK(t.values[2 * 2 + 1] == 1.0f);
    CHECK(m.predict(column({0, 3.4f, 3.6f, 9})).to_vector() == std::vector<std::int64_t>{0, 0, 1, 1});
    const Tensor<float> p = m.predict_proba(column({2}));
    CHECK(p.to_vector() == std::vector<float>{1.0f, 0.0f});
    CHECK(m.feature_importances() == std::vector<double>{1.0});
  }
}

TEST_CASE("DecisionTreeClassifier: Gini gain picks the purer split") {
  // Two features; x1 separates 7 of 8 rows, x0 only 6 of 8.
  const Tensor<float> X = Tensor<float>::from_vector({0, 0,  0, 0,  0, 0,  1, 0,  0, 1,  1, 1,  1, 1,  1, 1},
                                                     Shape{8, 2});
  const Tensor<float> y = vec({0, 0, 0, 0, 1, 1, 1, 1});
  DecisionTreeClassifier m({.max_depth = 1});
  m.fit(X, y);
  CHECK(m.tree().nodes[0].feature() == 1);
  CHECK(m.tree().nodes[0].threshold == 0.5f);
  // Left leaf {0,0,0,0 | x1=0 rows: labels 0,0,0,0}; right leaf labels {1,1,1,1}: x1 is perfect.
  CHECK(m.predict(X).to_vector() == std::vector<std::int64_t>{0, 0, 0, 0, 1, 1, 1, 1});
}

TEST_CASE("DecisionTreeRegressor: stump means and an exact fit of a step function") {
  DecisionTreeRegressor stump({.max_depth = 1});
  stump.fit(column({1, 2, 3, 4, 5}), vec({1, 1, 1, 8, 10}));
  CHECK(stump.tree().nodes[0].threshold == 3.5f);
  CHECK(stump.predict(column({0, 9})).to_vector() == std::vector<float>{1.0f, 9.0f});

  std::vector<float> x, y;
  for (int i = 0; i < 200; ++i) {
    x.push_back(static_cast<float>(i));
    y.push_back(i < 50 ? 2.0f : (i < 120 ? -1.0f : 4.0f));
  }
  DecisionTreeRegressor full;
  full.fit(column(x), vec(y));
  CHECK(full.predict(column(x)).to_vector() == y);
  CHECK(count_leaves(full.tree()) == 3);
}

TEST_CASE("DecisionTree: max_depth, max_leaves and min_samples_leaf bound the tree") {
  const Data tr = make_classification(2000, 5, 3);
  DecisionTreeClassifier deep;
  deep.fit(tr.X, tr.y);
  CHECK(accuracy_of(deep.predict(tr.X), tr.y) > 0.99);  // unlimited depth memorizes
  DecisionTreeClassifier d3({.max_depth = 3});
  d3.fit(tr.X, tr.y);
  CHECK(d3.tree().depth == 3);
  DecisionTreeClassifier l5({.max_leaves = 5});
  l5.fit(tr.X, tr.y);
  CHECK(count_leaves(l5.tree()) == 5);
  DecisionTreeClassifier leaf({.min_samples_leaf = 40});
  leaf.fit(tr.X, tr.y);
  std::vector<std::size_t> per_leaf(leaf.tree().nodes.size(), 0);
  for (std::size_t i = 0; i < 2000; ++i) ++per_leaf[static_cast<std::size_t>(leaf.tree().leaf_index(tr.X.data() + i * 5))];
  for (std::size_t i = 0; i < per_leaf.size(); ++i)
    if (leaf.tree().is_leaf(i)) CHECK(per_leaf[i] >= 40);
}

TEST_CASE("MaxFeatures resolves to a feature count") {
  CHECK(MaxFeatures::all().resolve(28) == 28);
  CHECK(MaxFeatures::sqrt().resolve(28) == 5);
  CHECK(MaxFeatures::log2().resolve(28) == 4);
  CHECK(MaxFeatures::of(0.5).resolve(28) == 14);
  CHECK(MaxFeatures::of(0.01).resolve(28) == 1);
}

TEST_CASE("RandomForestClassifier: accuracy, OOB estimate and row/batch agreement") {
  const Data tr = make_classification(3000, 6, 1), te = make_classification(2000, 6, 2);
  RandomForestClassifier m({.n_estimators = 40, .seed = 4, .oob_score = true});
  m.fit(tr.X, tr.y);
  CHECK(m.trees().size() == 40);
  const double acc = accuracy_of(m.predict(te.X), te.y);
  CHECK(acc > 0.85);
  CHECK(m.oob_score() == doctest::Approx(acc).epsilon(0.05));
  const Tensor<float> p = m.predict_proba(te.X);
  const Tensor<std::int64_t> cls = m.predict(te.X);
  for (std::size_t i = 0; i < 40; ++i) {
    const std::span<const float> row(te.X.data() + i * 6, 6);
    CHECK(m.predict_row(row) == cls(i));
    float pr[2];
    m.predict_proba_row(row, pr);
    CHECK(pr[0] == p(i, 0));
    CHECK(pr[0] + pr[1] == doctest::Approx(1.0f));
  }
  const auto imp = m.feature_importances();
  CHECK(imp[0] + imp[1] + imp[2] > 0.6);
}

TEST_CASE("RandomForestClassifier: three classes with entropy and log2 features") {
  const Data tr = make_classification(3000, 6, 5, 3), te = make_classification(1000, 6, 6, 3);
  RandomForestClassifier m({.n_estimators = 30, .max_features = MaxFeatures::log2(), .criterion = Criterion::Entropy});
  m.fit(tr.X, tr.y.to<std::int64_t>());
  CHECK(m.n_classes() == 3);
  CHECK(accuracy_of(m.predict(te.X), te.y) > 0.75);
}

TEST_CASE("RandomForestRegressor: R^2 and out-of-bag R^2") {
  const Data tr = make_regression(3000, 4, 7), te = make_regression(1000, 4, 8);
  RandomForestRegressor m({.n_estimators = 30, .max_features = MaxFeatures::of(0.5), .oob_score = true});
  m.fit(tr.X, tr.y);
  const double r2 = r2_of(m.predict(te.X), te.y);
  CHECK(r2 > 0.9);
  CHECK(m.oob_score() == doctest::Approx(r2).epsilon(0.05));
  const float row[4] = {0.5f, -1.0f, 0.0f, 0.0f};
  CHECK(m.predict_row(row) == doctest::Approx(std::sin(0.5) * 2 + 1).epsilon(0.1));
}

TEST_CASE("RandomForest: NaN features are routed by the learned direction") {
  // Rows with a missing x behave like large x; the forest must send NaN the same way.
  std::vector<float> x, y;
  for (int i = 0; i < 300; ++i) {
    const float v = i % 3 == 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(i % 100);
    x.push_back(v);
    y.push_back(std::isnan(v) || v >= 50 ? 1.0f : 0.0f);
  }
  RandomForestClassifier m({.n_estimators = 10});
  m.fit(column(x), vec(y));
  const float nan = std::numeric_limits<float>::quiet_NaN(), small = 10.0f;
  CHECK(m.predict_row(std::span<const float>(&nan, 1)) == 1);
  CHECK(m.predict_row(std::span<const float>(&small, 1)) == 0);
}

TEST_CASE("Forests: bad params, labels and calls") {
  using P = RandomForestClassifierParams;
  CHECK_THROWS_WITH_AS(RandomForestClassifier(P{.n_estimators = 0}),
                       "RandomForestClassifier: n_estimators must be in [1, 1048576], got 0", ValueError);
  CHECK_THROWS_WITH_AS(RandomForestClassifier(P{.max_depth = -1}),
                       "RandomForestClassifier: max_depth must be in [0, 1000], got -1", ValueError);
  CHECK_THROWS_WITH_AS(RandomForestClassifier(P{.max_bins = 1}),
                       "RandomForestClassifier: max_bins must be in [2, 255], got 1", ValueError);
  CHECK_THROWS_WITH_AS(RandomForestClassifier(P{.min_samples_leaf = 0}),
                       "RandomForestClassifier: min_samples_leaf must be in [1, inf), got 0", ValueError);
  CHECK_THROWS_WITH_AS(RandomForestClassifier(P{.max_features = MaxFeatures::of(1.5)}),
                       "RandomForestClassifier: max_features must be in (0, 1], got 1.5", ValueError);
  CHECK_THROWS_WITH_AS(RandomForestClassifier(P{.bootstrap = false, .oob_score = true}),
                       "RandomForestClassifier: oob_score needs bootstrap = true", ValueError);
  CHECK_THROWS_WITH_AS(DecisionTreeRegressor({.max_leaves = 1}),
                       "DecisionTreeRegressor: max_leaves must be 0 (no limit) or at least 2, got 1", ValueError);

  RandomForestClassifier m({.n_estimators = 3});
  CHECK_THROWS_WITH_AS(m.predict(column({1})), "RandomForestClassifier.predict: the model is not fitted; call fit first",
                       Error);
  CHECK_THROWS_WITH_AS(m.fit(column({1, 2, 3}), vec({0, 1, 7.25f})),
                       "RandomForestClassifier.fit: y[2] = 7.25 is not a class label (expected an integer in 0..65535)",
                       ValueError);
  CHECK_THROWS_WITH_AS(m.fit(column({1, 2, 3}), vec({0, 1})), "RandomForestClassifier.fit: X has 3 rows but y has 2",
                       ValueError);
  m.fit(column({1, 2, 3}), vec({0, 1, 1}));
  CHECK_THROWS_WITH_AS(m.oob_score(), "RandomForestClassifier.oob_score: fit with oob_score = true", Error);
  CHECK_THROWS_WITH_AS(m.predict_proba(Tensor<float>(Shape{1, 2})),
                       "RandomForestClassifier.predict_proba: X has 2 features but the model was fit with 1",
                       ValueError);
  const float x = 1.0f;
  float out[3];
  CHECK_THROWS_WITH_AS(m.predict_proba_row(std::span<const float>(&x, 1), out),
                       "RandomForestClassifier.predict_proba_row: out has 3 values, need 2", ValueError);
  DecisionTreeRegressor r;
  CHECK_THROWS_WITH_AS(r.fit(column({1, 2}), vec({1, std::numeric_limits<float>::quiet_NaN()})),
                       "DecisionTreeRegressor.fit: target nan at row 1 is not finite", ValueError);
  CHECK_THROWS_WITH_AS(r.feature_importances(),
                       "DecisionTreeRegressor.feature_importances: the model is not fitted; call fit first", Error);
}

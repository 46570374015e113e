// Trees: histogram gradient boosting (classifier and regressor).
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
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

// label from s = x0 + 0.5 x1^2 - x2 + noise: binary (s > 0.5) or `classes` bands of s.
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

double accuracy_of(const Tensor<std::int64_t>& pred, const Tensor<float>& y) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < y.size(); ++i) ok += pred.data()[i] == static_cast<std::int64_t>(y.data()[i]) ? 1 : 0;
  return static_cast<double>(ok) / static_cast<double>(y.size());
}

Tensor<float> column(std::vector<float> v) {
  const std::size_t n = v.size();
  return Tensor<float>::from_vector(std::move(v), Shape{n, 1});
}
Tensor<float> vec(std::vector<float> v) { return Tensor<float>::from_vector(std::move(v)); }

const float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

TEST_CASE("GradientBoostingRegressor: one hand-checkable stump") {
  // base = mean = 5; gradients (5, 5, -5, -5), hessians 1; the only good split is x <= 2.5;
  // leaves -G/(H + l2) = -10/2 and +10/2 with lr 1 give exactly 0 and 10.
  GradientBoostingRegressor m({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                               .min_child_weight = 0.0});
  m.fit(column({1, 2, 3, 4}), vec({0, 0, 10, 10}));
  CHECK(m.base_score() == 5.0);
  REQUIRE(m.trees().size() == 1);
  const Tree& t = m.trees()[0];
  REQUIRE(t.nodes.size() == 3);
  CHECK(t.nodes[0].feature() == 0);
  CHECK(t.nodes[0].threshold == 2.5f);
  CHECK(t.nodes[1].threshold == -5.0f);
  CHECK(t.nodes[2].threshold == 5.0f);
  const Tensor<float> p = m.predict(column({1, 2, 3, 4}));
  CHECK(p.to_vector() == std::vector<float>{0, 0, 10, 10});
  const float lo = 2.4f, hi = 2.6f;
  CHECK(m.predict_row(std::span<const float>(&lo, 1)) == 0.0f);
  CHECK(m.predict_row(std::span<const float>(&hi, 1)) == 10.0f);
  CHECK(m.feature_importances() == std::vector<double>{1.0});
}

TEST_CASE("GradientBoostingRegressor: l2 shrinks the leaves as -G / (H + l2)") {
  GradientBoostingRegressor m({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 2.0,
                               .min_child_weight = 0.0});
  m.fit(column({1, 2, 3, 4}), vec({0, 0, 10, 10}));
  // -10 / (2 + 2) = -2.5 and +2.5 around the base 5.
  CHECK(m.predict(column({1, 4})).to_vector() == std::vector<float>{2.5f, 7.5f});
}

TEST_CASE("GradientBoostingRegressor: l1 soft-thresholds G in leaf values and gains") {
  // base 2.5; gradients (2.5, 2.5, 2.5, -7.5). Gains with l1 = 1 (T(G) = G -/+ 1):
  // x <= 1.5: 1.5^2/1 + 1.5^2/3 = 3; x <= 2.5: 4^2/2 + 4^2/2 = 16; x <= 3.5: 6.5^2/3 + 6.5^2/1
  // = 56.3. Leaves -6.5/3 and +6.5: predictions 2.5 - 2.1667 and 2.5 + 6.5 (0 and 10 without l1).
  GradientBoostingRegressor m({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                               .min_child_weight = 0.0, .l1 = 1.0});
  m.fit(column({1, 2, 3, 4}), vec({0, 0, 0, 10}));
  REQUIRE(m.trees()[0].nodes.size() == 3);
  CHECK(m.trees()[0].nodes[0].threshold == 3.5f);
  const auto p = m.predict(column({1, 4})).to_vector();
  CHECK(p[0] == doctest::Approx(2.5 - 6.5 / 3.0).epsilon(1e-6));
  CHECK(p[1] == doctest::Approx(9.0).epsilon(1e-6));
  // l1 at least every |G| of a child: no split gains anything, the one leaf is 0.
  GradientBoostingRegressor flat({.n_estimators = 3, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                                  .min_child_weight = 0.0, .l1 = 7.5});
  flat.fit(column({1, 2, 3, 4}), vec({0, 0, 0, 10}));
  for (const Tree& t : flat.trees()) CHECK(t.nodes.size() == 1);
  CHECK(flat.predict(column({1, 4})).to_vector() == std::vector<float>{2.5f, 2.5f});
  // Saved with the model.
  const std::string path = std::string(GROVE_TEST_TMP_DIR) + "/gbr_l1.bin";
  m.save(path);
  CHECK(GradientBoostingRegressor::load(path).params().l1 == 1.0);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.l1 = -1.0}),
                       "GradientBoostingRegressor: l1 must be in [0, inf), got -1", ValueError);
}

TEST_CASE("GradientBoostingRegressor: by default every leaf holds at least 20 rows") {
  // y steps from 0 to 10 at x = 19: 19 zeros, 21 tens, base 5.25. The default min_child_weight
  // (20; hessian 1 per row) allows only the 20 / 20 split, leaves 0.5 and 10; with 1 the step
  // itself is found. 39 rows cannot be split into two leaves of 20.
  std::vector<float> x(40), y(40);
  for (std::size_t i = 0; i < 40; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = i >= 19 ? 10.0f : 0.0f;
  }
  CHECK(GradientBoostingRegressorParams{}.min_child_weight == 20.0);
  CHECK(GradientBoostingClassifierParams{}.min_child_weight == 1.0);
  GradientBoostingRegressor wide({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0});
  wide.fit(column(x), vec(y));
  CHECK(wide.predict(column({18, 19, 20})).to_vector() == std::vector<float>{0.5f, 0.5f, 10.0f});
  GradientBoostingRegressor narrow({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                                    .min_child_weight = 1.0});
  narrow.fit(column(x), vec(y));
  CHECK(narrow.predict(column({18, 19, 20})).to_vector() == std::vector<float>{0.0f, 10.0f, 10.0f});
  x.pop_back();
  y.pop_back();
  GradientBoostingRegressor none({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0});
  none.fit(column(x), vec(y));
  CHECK(none.trees()[0].nodes.size() == 1);
}

TEST_CASE("GradientBoostingRegressor: fits a piecewise-constant function") {
  Rng rng(3);
  const std::size_t n = 3000;
  std::vector<float> x(n * 2), y(n);
  auto f = [](double a) { return a < 0.3 ? 1.0 : (a < 0.7 ? 3.0 : -2.0); };
  for (std::size_t i = 0; i < n; ++i) {
    x[2 * i] = static_cast<float>(rng.uniform());
    x[2 * i + 1] = static_cast<float>(rng.uniform());  // irrelevant
    y[i] = static_cast<float>(f(x[2 * i]) + 0.05 * rng.normal());
  }
  GradientBoostingRegressor m({.n_estimators = 80, .learning_rate = 0.3, .max_depth = 3});
  m.fit(Tensor<float>::from_vector(x, Shape{n, 2}), vec(y));
  for (double a : {0.05, 0.2, 0.4, 0.6, 0.8, 0.95}) {
    const float row[2] = {static_cast<float>(a), 0.5f};
    CHECK(m.predict_row(row) == doctest::Approx(f(a)).epsilon(0.05));
  }
  const auto imp = m.feature_importances();
  CHECK(imp[0] > 0.95);
}

TEST_CASE("GradientBoostingRegressor: absolute error ignores outliers") {
  Rng rng(5);
  const std::size_t n = 2000;
  std::vector<float> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(rng.uniform());
    y[i] = x[i] < 0.5f ? 1.0f : 2.0f;
    if (i % 10 == 0) y[i] = 100.0f;  // 10 % wild outliers
  }
  GradientBoostingRegressor l1({.n_estimators = 30, .learning_rate = 0.5, .max_depth = 2, .loss = Loss::AbsoluteError});
  l1.fit(column(x), vec(y));
  GradientBoostingRegressor l2({.n_estimators = 30, .learning_rate = 0.5, .max_depth = 2});
  l2.fit(column(x), vec(y));
  const float a = 0.25f, b = 0.75f;
  CHECK(l1.predict_row(std::span<const float>(&a, 1)) == doctest::Approx(1.0).epsilon(0.02));
  CHECK(l1.predict_row(std::span<const float>(&b, 1)) == doctest::Approx(2.0).epsilon(0.02));
  // Squared error is pulled toward the outliers' mean.
  CHECK(l2.predict_row(std::span<const float>(&a, 1)) > 5.0f);
}

TEST_CASE("GradientBoostingClassifier: min_samples_leaf bounds the rows of every leaf") {
  // x = 0..99, the 6 rows below 6 are positive. One round: hessians are equal (p is the base
  // rate everywhere), so the row estimate from the hessian is exact. Rows that end in one leaf
  // get one prediction; with min_samples_leaf = 10 no prediction is shared by fewer than 10
  // rows, without it the 6 positives get a leaf of their own.
  std::vector<float> x(100), y(100);
  for (std::size_t i = 0; i < 100; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = i < 6 ? 1.0f : 0.0f;
  }
  const auto smallest_leaf = [&](std::size_t min_samples_leaf) {
    GradientBoostingClassifier m({.n_estimators = 1, .max_depth = 4, .l2 = 0.0, .min_child_weight = 0.0,
                                  .min_samples_leaf = min_samples_leaf});
    m.fit(column(x), vec(y));
    std::vector<float> p = m.predict_proba(column(x)).to_vector();
    std::vector<std::size_t> counts;
    for (std::size_t i = 0; i < 100;) {  // predictions are piecewise constant in x
      std::size_t j = i;
      while (j < 100 && p[2 * j + 1] == p[2 * i + 1]) ++j;
      counts.push_back(j - i);
      i = j;
    }
    return *std::min_element(counts.begin(), counts.end());
  };
  CHECK(GradientBoostingClassifierParams{}.min_samples_leaf == 20);
  CHECK(GradientBoostingRegressorParams{}.min_samples_leaf == 0);
  CHECK(smallest_leaf(0) == 6);
  CHECK(smallest_leaf(10) >= 10);
  CHECK(smallest_leaf(40) >= 40);
  GradientBoostingClassifier m({.n_estimators = 1, .min_samples_leaf = 60});  // 100 rows: no two children of 60
  m.fit(column(x), vec(y));
  CHECK(m.trees()[0].nodes.size() == 1);
}

TEST_CASE("GradientBoostingClassifier: learns a nonlinear boundary") {
  const Data tr = make_classification(4000, 6, 1), te = make_classification(2000, 6, 2);
  GradientBoostingClassifier m({.n_estimators = 60, .learning_rate = 0.2, .max_depth = 4});
  m.fit(tr.X, tr.y);
  CHECK(m.n_classes() == 2);
  const double acc = accuracy_of(m.predict(te.X), te.y);
  CHECK(acc > 0.88);
  const auto imp = m.feature_importances();
  REQUIRE(imp.size() == 6);
  double s = 0;
  for (double v : imp) s += v;
  CHECK(s == doctest::Approx(1.0));
  CHECK(imp[0] + imp[1] + imp[2] > 0.9);  // the informative features carry the gain
  const Tensor<float> p = m.predict_proba(te.X);
  CHECK(p.shape() == Shape{2000, 2});
  const Tensor<std::int64_t> cls = m.predict(te.X);
  for (std::size_t i = 0; i < 50; ++i) {
    const std::span<const float> row(te.X.data() + i * 6, 6);
    CHECK(m.predict_row(row) == cls(i));
    float pr[2];
    m.predict_proba_row(row, pr);
    CHECK(pr[0] == p(i, 0));  // bitwise: row and batch paths share the sums
    CHECK(pr[1] == p(i, 1));
    CHECK(pr[0] + pr[1] == doctest::Approx(1.0f));
  }
}

TEST_CASE("GradientBoostingClassifier: softmax for three classes, double features, int labels") {
  const Data tr = make_classification(3000, 4, 7, 3), te = make_classification(1500, 4, 8, 3);
  const Tensor<double> Xd = tr.X.to<double>();
  const Tensor<int> yi = tr.y.to<int>();
  GradientBoostingClassifier m({.n_estimators = 40, .learning_rate = 0.3, .max_depth = 4});
  m.fit(Xd, yi);
  CHECK(m.n_classes() == 3);
  CHECK(m.trees().size() == 120);  // one tree per class and round
  CHECK(accuracy_of(m.predict(te.X), te.y) > 0.8);
  const Tensor<float> p = m.predict_proba(te.X);
  for (std::size_t i = 0; i < 20; ++i) {
    CHECK(p(i, 0) + p(i, 1) + p(i, 2) == doctest::Approx(1.0f));
    float pr[3];
    m.predict_proba_row(std::span<const float>(te.X.data() + i * 4, 4), pr);
    CHECK(pr[2] == p(i, 2));
  }
}

TEST_CASE("GradientBoostingRegressor: the NaN direction is learned from the data") {
  // Missing values behave like the large values: they must follow x > 0 (to the right) ...
  GradientBoostingRegressor right({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                                   .min_child_weight = 0.0});
  right.fit(column({-2, -1, 1, 2, kNaN, kNaN}), vec({0, 0, 6, 6, 6, 6}));
  CHECK_FALSE(right.trees()[0].nodes[0].default_left());
  CHECK(right.predict_row(std::span<const float>(&kNaN, 1)) == 6.0f);
  // ... and here like the small ones (to the left).
  GradientBoostingRegressor left({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                                  .min_child_weight = 0.0});
  left.fit(column({-2, -1, 1, 2, kNaN, kNaN}), vec({0, 0, 6, 6, 0, 0}));
  CHECK(left.trees()[0].nodes[0].default_left());
  CHECK(left.predict_row(std::span<const float>(&kNaN, 1)) == 0.0f);
  CHECK(left.predict(column({kNaN, 1.5f})).to_vector() == std::vector<float>{0.0f, 6.0f});
  // Missing alone can be the split: all values left, NaN right.
  GradientBoostingRegressor only({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                                  .min_child_weight = 0.0});
  only.fit(column({1, 2, 3, kNaN}), vec({0, 0, 0, 8}));
  CHECK(std::isinf(only.trees()[0].nodes[0].threshold));
  CHECK(only.predict_row(std::span<const float>(&kNaN, 1)) == 8.0f);
}

TEST_CASE("GradientBoostingClassifier: history and early stopping keep the best round") {
  const Data tr = make_classification(600, 6, 11), va = make_classification(600, 6, 12);
  // Deep trees and a large step overfit quickly, so the validation loss turns up.
  GradientBoostingClassifier::Params p{.n_estimators = 200, .learning_rate = 0.5, .max_depth = 8, .l2 = 0.0,
                                       .min_child_weight = 0.0, .early_stopping_rounds = 5, .seed = 3};
  GradientBoostingClassifier m(p);
  m.fit(tr.X, tr.y, {va.X, va.y});
  const auto& h = m.history();
  CHECK(h.names() == std::vector<std::string>{"val_loss", "train_loss"});
  const auto& val = h.series("val_loss");
  const auto& train = h.series("train_loss");
  REQUIRE(val.size() < 200);  // stopped early
  CHECK(train.size() == val.size());
  CHECK(h.steps("val_loss").front() == 1);
  const std::size_t best = static_cast<std::size_t>(std::min_element(val.begin(), val.end()) - val.begin()) + 1;
  CHECK(m.best_iteration() == best);
  CHECK(val.size() == best + 5);
  CHECK(m.trees().size() == best);
  CHECK(train.back() < train.front());
  // The kept model is the model trained for exactly `best` rounds.
  p.n_estimators = best;
  p.early_stopping_rounds = 0;
  GradientBoostingClassifier ref(p);
  ref.fit(tr.X, tr.y);
  CHECK(ref.predict_proba(va.X).to_vector() == m.predict_proba(va.X).to_vector());
}

TEST_CASE("GradientBoostingRegressor: without validation data the history stays empty") {
  GradientBoostingRegressor m({.n_estimators = 3});
  m.fit(column({1, 2, 3, 4}), vec({1, 2, 3, 4}));
  CHECK(m.history().empty());
}

TEST_CASE("GradientBoostingClassifier: subsample, colsample and leaf-wise growth") {
  const Data tr = make_classification(3000, 8, 21), te = make_classification(1500, 8, 22);
  GradientBoostingClassifier m({.n_estimators = 60, .learning_rate = 0.2, .max_depth = 0, .subsample = 0.7,
                                .colsample = 0.5, .seed = 9, .max_leaves = 12});
  m.fit(tr.X, tr.y);
  CHECK(accuracy_of(m.predict(te.X), te.y) > 0.85);
  for (const Tree& t : m.trees()) {
    std::size_t leaves = 0;
    for (std::size_t i = 0; i < t.nodes.size(); ++i) leaves += t.is_leaf(i) ? 1 : 0;
    CHECK(leaves <= 12);
    // colsample 0.5 of 8 features: each tree uses at most 4 distinct features.
    std::vector<std::uint32_t> used;
    for (std::size_t i = 0; i < t.nodes.size(); ++i)
      if (!t.is_leaf(i)) used.push_back(t.nodes[i].feature());
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    CHECK(used.size() <= 4);
  }
  // Same seed, same model.
  GradientBoostingClassifier again(m.params());
  again.fit(tr.X, tr.y);
  CHECK(again.predict_proba(te.X).to_vector() == m.predict_proba(te.X).to_vector());
}

TEST_CASE("GradientBoostingClassifier: min_split_gain and min_child_weight stop splits") {
  const Data tr = make_classification(500, 3, 31);
  GradientBoostingClassifier none({.n_estimators = 1, .max_depth = 3, .min_split_gain = 1e9});
  none.fit(tr.X, tr.y);
  CHECK(none.trees()[0].nodes.size() == 1);
  GradientBoostingClassifier heavy({.n_estimators = 1, .max_depth = 3, .min_child_weight = 1e9});
  heavy.fit(tr.X, tr.y);
  CHECK(heavy.trees()[0].nodes.size() == 1);
}

TEST_CASE("GradientBoostingClassifier: bad labels name the value and the row") {
  GradientBoostingClassifier m({.n_estimators = 2});
  const Tensor<float> X = column({1, 2, 3, 4});
  CHECK_THROWS_WITH_AS(m.fit(X, vec({0, 1, -1, 0})),
                       "GradientBoostingClassifier.fit: y[2] = -1 is not a class label (expected an integer in 0..65535)",
                       ValueError);
  CHECK_THROWS_WITH_AS(m.fit(X, vec({0, 1.5f, 1, 0})),
                       "GradientBoostingClassifier.fit: y[1] = 1.5 is not a class label (expected an integer in 0..65535)",
                       ValueError);
  CHECK_THROWS_WITH_AS(m.fit(X, vec({0, 1, 1, kNaN})),
                       "GradientBoostingClassifier.fit: y[3] = nan is not a class label (expected an integer in 0..65535)",
                       ValueError);
  CHECK_THROWS_WITH_AS(m.fit(X, vec({0, 1, 1, 0}), {column({1, 2}), vec({0, 2})}),
                       "GradientBoostingClassifier.fit (validation): y[1] = 2 is not a class label (expected an integer in 0..1)",
                       ValueError);
}

TEST_CASE("GradientBoostingRegressor: bad shapes, targets and params") {
  GradientBoostingRegressor m({.n_estimators = 2});
  CHECK_THROWS_WITH_AS(m.fit(column({1, 2, 3}), vec({1, 2})),
                       "GradientBoostingRegressor.fit: X has 3 rows but y has 2", ValueError);
  CHECK_THROWS_WITH_AS(m.fit(Tensor<float>(Shape{0, 3}), vec({})),
                       "GradientBoostingRegressor.fit: X is empty (shape [0,3])", ValueError);
  CHECK_THROWS_WITH_AS(m.fit(vec({1, 2}), vec({1, 2})),
                       "GradientBoostingRegressor.fit: X must be 2-D (rows x features), got shape [2]", ValueError);
  CHECK_THROWS_WITH_AS(m.fit(column({1, 2}), vec({1, std::numeric_limits<float>::infinity()})),
                       "GradientBoostingRegressor.fit: target inf at row 1 is not finite", ValueError);
  CHECK_THROWS_WITH_AS(m.predict(column({1})), "GradientBoostingRegressor.predict: the model is not fitted; call fit first",
                       Error);
  const float one = 1.0f;
  CHECK_THROWS_WITH_AS(m.predict_row(std::span<const float>(&one, 1)),
                       "GradientBoostingRegressor.predict_row: the model is not fitted; call fit first", Error);
  m.fit(column({1, 2, 3}), vec({1, 2, 3}));
  CHECK_THROWS_WITH_AS(m.predict(Tensor<float>(Shape{2, 3})),
                       "GradientBoostingRegressor.predict: X has 3 features but the model was fit with 1", ValueError);
  const float two[2] = {1, 2};
  CHECK_THROWS_WITH_AS(m.predict_row(two),
                       "GradientBoostingRegressor.predict_row: row has 2 features but the model was fit with 1",
                       ValueError);

  using P = GradientBoostingRegressorParams;
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.n_estimators = 0}),
                       "GradientBoostingRegressor: n_estimators must be in [1, 1048576], got 0", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.learning_rate = 0.0}),
                       "GradientBoostingRegressor: learning_rate must be in (0, 1], got 0", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.max_depth = 65}),
                       "GradientBoostingRegressor: max_depth must be in [0, 64], got 65", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.max_depth = 0}),
                       "GradientBoostingRegressor: max_depth = 0 (unlimited) needs max_leaves > 0", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.max_bins = 256}),
                       "GradientBoostingRegressor: max_bins must be in [2, 255], got 256", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.l2 = -1}),
                       "GradientBoostingRegressor: l2 must be in [0, inf), got -1", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.min_child_weight = -0.5}),
                       "GradientBoostingRegressor: min_child_weight must be in [0, inf), got -0.5", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.subsample = 1.5}),
                       "GradientBoostingRegressor: subsample must be in (0, 1], got 1.5", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.colsample = 0}),
                       "GradientBoostingRegressor: colsample must be in (0, 1], got 0", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.max_leaves = 1}),
                       "GradientBoostingRegressor: max_leaves must be 0 (no limit) or at least 2, got 1", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.min_split_gain = -1}),
                       "GradientBoostingRegressor: min_split_gain must be in [0, inf), got -1", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor(P{.loss = Loss::Logistic}),
                       "GradientBoostingRegressor: loss must be one of squared_error, absolute_error, huber, quantile, "
                       "poisson, got logistic",
                       ValueError);
  GradientBoostingRegressor es({.n_estimators = 5, .early_stopping_rounds = 2});
  CHECK_THROWS_WITH_AS(es.fit(column({1, 2}), vec({1, 2})),
                       "GradientBoostingRegressor.fit: early_stopping_rounds = 2 needs validation data: call fit(X, y, "
                       "{X_val, y_val})",
                       ValueError);
}

TEST_CASE("GradientBoostingRegressor: the packed fast path sums exactly like the trees") {
  // Rows without missing values take the complete-tree layout; rows with NaN walk the nodes.
  Rng rng(41);
  const std::size_t n = 2000, d = 5;
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f)
      x[i * d + f] = rng.uniform() < 0.05 ? kNaN : static_cast<float>(rng.normal());
    y[i] = static_cast<float>((std::isnan(x[i * d]) ? 1.0 : x[i * d]) * 2.0 + rng.normal());
  }
  const Tensor<float> X = Tensor<float>::from_vector(x, Shape{n, d});
  GradientBoostingRegressor m({.n_estimators = 30, .max_depth = 5});
  m.fit(X, vec(y));
  const Tensor<float> batch = m.predict(X);
  std::size_t with_nan = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = X.data() + i * d;
    double s = 0.0;
    for (const Tree& t : m.trees()) s += static_cast<double>(t.predict_value(row));
    const float expect = static_cast<float>(s + m.base_score());
    CHECK(m.predict_row(std::span<const float>(row, d)) == expect);
    CHECK(batch(i) == expect);
    for (std::size_t f = 0; f < d; ++f) with_nan += std::isnan(row[f]) ? 1 : 0;
  }
  CHECK(with_nan > 100);
}

TEST_CASE("PackedTrees: numeric trees pack (same sums as the walk); a tree with a category set keeps them unpacked") {
  // Two stumps on feature 1: "x <= 0.5" and "x in {0, 2}" (three categories).
  auto stump = [](bool categorical) {
    Tree t;
    const std::int32_t root = t.add_leaf(), l = t.add_leaf(), r = t.add_leaf();
    const float lv = categorical ? -2.0f : 1.5f, rv = categorical ? 4.0f : -0.25f;
    t.set_leaf_values(static_cast<std::size_t>(l), &lv);
    t.set_leaf_values(static_cast<std::size_t>(r), &rv);
    TreeNode& nd = t.nodes[static_cast<std::size_t>(root)];
    nd.feature_flags = 1u;
    nd.threshold = 0.5f;
    if (categorical) {
      const std::uint64_t bins[4] = {0b101, 0, 0, 0};
      nd.feature_flags |= TreeNode::kCategorical;
      nd.threshold = std::bit_cast<float>(t.add_category_set(bins, 3, false));
    }
    nd.left = l;
    nd.right = r;
    t.compute_depth();
    return t;
  };
  const std::vector<Tree> numeric = {stump(false), stump(false)};
  grove::detail::PackedTrees packed;
  packed.build(numeric);
  REQUIRE(packed.usable());
  const float lo[2] = {9.0f, 0.0f}, hi[2] = {9.0f, 2.0f};
  CHECK(packed.sum(0, 2, 1, lo) == 3.0);
  CHECK(packed.sum(0, 2, 1, hi) == -0.5);
  const std::vector<Tree> mixed = {stump(false), stump(true)};
  packed.build(mixed);
  CHECK_FALSE(packed.usable());
  // The general walk reads the set: category 2 goes left, 1 right.
  CHECK(grove::detail::sum_tree_values(mixed.data(), 0, 2, 1, hi) == -0.25 + -2.0);
  const float one[2] = {9.0f, 1.0f};
  CHECK(grove::detail::sum_tree_values(mixed.data(), 0, 2, 1, one) == -0.25 + 4.0);
}

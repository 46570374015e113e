// Trees: per-row feature contributions (TreeSHAP) against a brute-force Shapley computation, the
// sum property on every model kind, node covers, and importance types.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <bit>
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

// d features (a share `missing` of them NaN); target from the first three with interactions,
// as a value or `classes` bands of it.
Data make_data(std::size_t n, std::size_t d, std::uint64_t seed, std::size_t classes = 0, double missing = 0.1) {
  Rng rng(seed);
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f)
      x[i * d + f] = rng.uniform() < missing ? kNaN : static_cast<float>(rng.normal());
    auto v = [&](std::size_t f) { return std::isnan(x[i * d + f]) ? 0.5 : static_cast<double>(x[i * d + f]); };
    const double s = v(0) + 0.8 * v(1) * v(2) - 0.5 * v(1) + 0.2 * rng.normal();
    if (classes == 0)
      y[i] = static_cast<float>(s);
    else if (classes == 2)
      y[i] = s > 0.2 ? 1.0f : 0.0f;
    else
      y[i] = static_cast<float>(s < -0.5 ? 0 : (s < 0.5 ? 1 : 2));
  }
  return {Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(y, Shape{n})};
}

// Whether x goes left at nd, written out here rather than through grove's routing: a threshold
// split compares (NaN: the default side); a categorical split looks the integer code up in its
// set (missing, non-integer or out-of-set codes: the default side).
bool goes_left(const Tree& t, const TreeNode& nd, const float* x) {
  const float v = x[nd.feature()];
  if (!nd.categorical()) return std::isnan(v) ? nd.default_left() : v <= nd.threshold;
  const std::uint32_t* set = t.categories.data() + std::bit_cast<std::uint32_t>(nd.threshold);
  if (std::isnan(v) || v < 0.0f || v >= static_cast<float>(32 * set[0]) || std::floor(v) != v) return nd.default_left();
  const auto code = static_cast<std::uint32_t>(v);
  return ((set[1 + code / 32] >> (code % 32)) & 1u) != 0;
}

// v(S) = E[tree output c | x_S]: at a split on a feature in S follow x, otherwise average both
// children by their covers.
double conditional_value(const Tree& t, std::size_t node, const float* x, unsigned coalition, std::size_t c) {
  if (t.is_leaf(node)) return static_cast<double>(t.values[node * t.n_outputs + c]);
  const TreeNode& nd = t.nodes[node];
  const auto l = static_cast<std::size_t>(nd.left), r = static_cast<std::size_t>(nd.right);
  if (coalition & (1u << nd.feature())) return conditional_value(t, goes_left(t, nd, x) ? l : r, x, coalition, c);
  const double wl = t.cover[l], wr = t.cover[r];
  return (wl * conditional_value(t, l, x, coalition, c) + wr * conditional_value(t, r, x, coalition, c)) / (wl + wr);
}

// Shapley values of v over d features by enumerating every coalition (d <= 8), plus v(empty).
std::vector<double> brute_force_shapley(const Tree& t, const float* x, std::size_t d, std::size_t c) {
  std::vector<double> fact(d + 1, 1.0);
  for (std::size_t i = 1; i <= d; ++i) fact[i] = fact[i - 1] * static_cast<double>(i);
  std::vector<double> v(std::size_t{1} << d);
  for (unsigned s = 0; s < v.size(); ++s) v[s] = conditional_value(t, 0, x, s, c);
  std::vector<double> phi(d + 1, 0.0);
  for (std::size_t i = 0; i < d; ++i)
    for (unsigned s = 0; s < v.size(); ++s) {
      if (s & (1u << i)) continue;
      const auto size = static_cast<std::size_t>(__builtin_popcount(s));
      phi[i] += fact[size] * fact[d - size - 1] / fact[d] * (v[s | (1u << i)] - v[s]);
    }
  phi[d] = v[0];
  return phi;
}

// The brute-force contributions of a model's trees to output `out`: tree t serves output
// t % step (its own output c = out - t % step when it has several), times scale.
std::vector<double> brute_force_model(const std::vector<Tree>& trees, const float* x, std::size_t d, std::size_t out,
                                      std::size_t step, double scale) {
  std::vector<double> phi(d + 1, 0.0);
  for (std::size_t t = 0; t < trees.size(); ++t) {
    const std::size_t first = t % step;
    if (out < first || out >= first + trees[t].n_outputs) continue;
    const std::vector<double> p = brute_force_shapley(trees[t], x, d, out - first);
    for (std::size_t j = 0; j <= d; ++j) phi[j] += scale * p[j];
  }
  return phi;
}

// Every row's contributions (output `out` of K) equal the brute force, up to rounding; `base` is
// added to the bias.
void check_against_brute_force(const Tensor<double>& contrib, const std::vector<Tree>& trees, const Tensor<float>& X,
                               std::size_t out, std::size_t K, std::size_t step, double scale, double base) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    std::vector<double> want = brute_force_model(trees, X.data() + i * d, d, out, step, scale);
    want[d] += base;
    for (std::size_t j = 0; j <= d; ++j) {
      CAPTURE(j);
      CHECK(contrib.data()[(i * K + out) * (d + 1) + j] == doctest::Approx(want[j]).epsilon(1e-9).scale(1.0));
    }
  }
}

// Sum of row i's contributions to output k of K.
double row_sum(const Tensor<double>& contrib, std::size_t i, std::size_t k, std::size_t K, std::size_t d) {
  double s = 0.0;
  for (std::size_t j = 0; j <= d; ++j) s += contrib.data()[(i * K + k) * (d + 1) + j];
  return s;
}

}  // namespace

TEST_CASE("TreeSHAP: a stump by hand") {
  // x0 <= 2.5 splits rows {1, 2, 3} (mean 0) from {4} (mean 8); x1 is never used. Expected value
  // (3 * 0 + 1 * 8) / 4 = 2; a row on the left gets phi_0 = 0 - 2, on the right 8 - 2.
  DecisionTreeRegressor m({.max_depth = 1});
  m.fit(Tensor<float>::from_vector({1, 5, 2, 5, 3, 5, 4, 5}, Shape{4, 2}), Tensor<float>::from_vector({0, 0, 0, 8}));
  REQUIRE(m.tree().cover == std::vector<float>{4, 3, 1});
  const Tensor<double> c = m.predict_contributions(Tensor<float>::from_vector({1, 0, 9, 0}, Shape{2, 2}));
  CHECK(c.shape() == Shape{2, 3});
  CHECK(c.to_vector() == std::vector<double>{-2, 0, 2, 6, 0, 2});
}

TEST_CASE("TreeSHAP: a decision tree with repeated features and missing values matches brute force") {
  const Data train = make_data(400, 5, 11);
  DecisionTreeRegressor m({.max_depth = 6});
  m.fit(train.X, train.y);
  const Data test = make_data(25, 5, 12, 0, 0.25);
  const Tensor<double> c = m.predict_contributions(test.X);
  REQUIRE(c.shape() == Shape{25, 6});
  // The tree splits a feature more than once on some path (what unwinding handles).
  CHECK(m.tree().depth == 6);
  check_against_brute_force(c, m.trees(), test.X, 0, 1, 1, 1.0, 0.0);
  const Tensor<float> p = m.predict(test.X);
  for (std::size_t i = 0; i < 25; ++i) CHECK(row_sum(c, i, 0, 1, 5) == doctest::Approx(p.data()[i]).epsilon(1e-6));
}

TEST_CASE("TreeSHAP: boosting regressor, binary and multiclass classifiers match brute force") {
  const Data test = make_data(12, 6, 22, 0, 0.2);
  SUBCASE("regressor") {
    const Data train = make_data(300, 6, 21);
    GradientBoostingRegressor m({.n_estimators = 4, .max_depth = 4});
    m.fit(train.X, train.y);
    const Tensor<double> c = m.predict_contributions(test.X);
    REQUIRE(c.shape() == Shape{12, 7});
    check_against_brute_force(c, m.trees(), test.X, 0, 1, 1, 1.0, m.base_score());
    const Tensor<float> p = m.predict(test.X);
    for (std::size_t i = 0; i < 12; ++i) CHECK(row_sum(c, i, 0, 1, 6) == doctest::Approx(p.data()[i]).epsilon(1e-6));
  }
  SUBCASE("binary classifier: contributions to the log-odds") {
    const Data train = make_data(300, 6, 23, 2);
    GradientBoostingClassifier m({.n_estimators = 3, .max_depth = 3, .max_leaves = 6});
    m.fit(train.X, train.y);
    const Tensor<double> c = m.predict_contributions(test.X);
    REQUIRE(c.shape() == Shape{12, 7});
    const Tensor<float> proba = m.predict_proba(test.X);
    for (std::size_t i = 0; i < 12; ++i) {
      const double margin = row_sum(c, i, 0, 1, 6);
      CHECK(1.0 / (1.0 + std::exp(-margin)) == doctest::Approx(proba.data()[2 * i + 1]).epsilon(1e-6));
    }
    // The bias is the base log-odds plus the trees' expected values: brute force without it.
    const double base = c.data()[6] - brute_force_model(m.trees(), test.X.data(), 6, 0, 1, 1.0)[6];
    check_against_brute_force(c, m.trees(), test.X, 0, 1, 1, 1.0, base);
  }
  SUBCASE("three classes: [n, 3, d + 1], one margin per class") {
    const Data train = make_data(300, 6, 24, 3);
    GradientBoostingClassifier m({.n_estimators = 2, .max_depth = 3});
    m.fit(train.X, train.y);
    const Tensor<double> c = m.predict_contributions(test.X);
    REQUIRE(c.shape() == Shape{12, 3, 7});
    const Tensor<float> proba = m.predict_proba(test.X);
    for (std::size_t k = 0; k < 3; ++k) {
      const double base = c.data()[k * 7 + 6] - brute_force_model(m.trees(), test.X.data(), 6, k, 3, 1.0)[6];
      check_against_brute_force(c, m.trees(), test.X, k, 3, 3, 1.0, base);
    }
    for (std::size_t i = 0; i < 12; ++i) {
      double z[3], s = 0.0;
      for (std::size_t k = 0; k < 3; ++k) s += z[k] = std::exp(row_sum(c, i, k, 3, 6));
      for (std::size_t k = 0; k < 3; ++k) CHECK(z[k] / s == doctest::Approx(proba.data()[3 * i + k]).epsilon(1e-6));
    }
  }
}

TEST_CASE("TreeSHAP: forests explain their averaged prediction") {
  const Data test = make_data(10, 5, 32, 0, 0.2);
  SUBCASE("random forest regressor") {
    const Data train = make_data(300, 5, 31);
    RandomForestRegressor m({.n_estimators = 5, .max_depth = 5, .seed = 3});
    m.fit(train.X, train.y);
    const Tensor<double> c = m.predict_contributions(test.X);
    REQUIRE(c.shape() == Shape{10, 6});
    check_against_brute_force(c, m.trees(), test.X, 0, 1, 1, 1.0 / 5.0, 0.0);
    const Tensor<float> p = m.predict(test.X);
    for (std::size_t i = 0; i < 10; ++i) CHECK(row_sum(c, i, 0, 1, 5) == doctest::Approx(p.data()[i]).epsilon(1e-6));
  }
  SUBCASE("random forest classifier: one block per class, summing to the probabilities") {
    const Data train = make_data(300, 5, 33, 3);
    RandomForestClassifier m({.n_estimators = 4, .max_depth = 4, .seed = 5});
    m.fit(train.X, train.y);
    const Tensor<double> c = m.predict_contributions(test.X);
    REQUIRE(c.shape() == Shape{10, 3, 6});
    for (std::size_t k = 0; k < 3; ++k) check_against_brute_force(c, m.trees(), test.X, k, 3, 1, 0.25, 0.0);
    const Tensor<float> proba = m.predict_proba(test.X);
    for (std::size_t i = 0; i < 10; ++i)
      for (std::size_t k = 0; k < 3; ++k)
        CHECK(row_sum(c, i, k, 3, 5) == doctest::Approx(proba.data()[3 * i + k]).epsilon(1e-6).scale(1e-6));
  }
  SUBCASE("decision tree classifier with two classes: [n, 2, d + 1]") {
    const Data train = make_data(300, 5, 34, 2);
    DecisionTreeClassifier m({.max_depth = 5, .criterion = Criterion::Entropy});
    m.fit(train.X, train.y);
    const Tensor<double> c = m.predict_contributions(test.X);
    REQUIRE(c.shape() == Shape{10, 2, 6});
    for (std::size_t k = 0; k < 2; ++k) check_against_brute_force(c, m.trees(), test.X, k, 2, 1, 1.0, 0.0);
  }
}

TEST_CASE("TreeSHAP: categorical splits route by set membership, as brute force does") {
  // x1 is a category code 0..11 (some missing); y depends on whether it is in {1, 4, 9} and on x0.
  const std::size_t n = 600, d = 4;
  Rng rng(71);
  std::vector<float> x(n * d), y(n);
  auto fill = [&](std::size_t i, double missing) {
    const std::size_t code = rng.below(12);
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.normal());
    x[i * d + 1] = rng.uniform() < missing ? kNaN : static_cast<float>(code);
    const bool in = code == 1 || code == 4 || code == 9;
    return (in ? 2.0 : -1.0) + x[i * d] * (in ? 1.0 : -0.5) + 0.1 * rng.normal();
  };
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>(fill(i, 0.05));
  const auto X = Tensor<float>::from_vector(x, Shape{n, d});
  const auto Y = Tensor<float>::from_vector(y, Shape{n});
  // Probe rows: seen codes, missing, unseen (15), non-integer (2.5) and negative codes.
  std::vector<float> probe(16 * d);
  for (std::size_t i = 0; i < 16; ++i) {
    for (std::size_t f = 0; f < d; ++f) probe[i * d + f] = static_cast<float>(rng.normal());
    probe[i * d + 1] = i < 12 ? static_cast<float>(i) : std::vector<float>{kNaN, 15.0f, 2.5f, -1.0f}[i - 12];
  }
  const auto P = Tensor<float>::from_vector(probe, Shape{16, d});
  SUBCASE("boosting regressor") {
    GradientBoostingRegressor m({.n_estimators = 4, .max_depth = 3, .categorical_features = {1}});
    m.fit(X, Y);
    std::size_t categorical = 0;
    for (const Tree& t : m.trees())
      for (const TreeNode& nd : t.nodes) categorical += nd.categorical() && nd.left != nd.right ? 1 : 0;
    REQUIRE(categorical > 0);
    const Tensor<double> c = m.predict_contributions(P);
    check_against_brute_force(c, m.trees(), P, 0, 1, 1, 1.0, m.base_score());
    const Tensor<float> p = m.predict(P);
    for (std::size_t i = 0; i < 16; ++i) CHECK(row_sum(c, i, 0, 1, d) == doctest::Approx(p.data()[i]).epsilon(1e-6));
  }
  SUBCASE("random forest regressor") {
    RandomForestRegressor m({.n_estimators = 3, .max_depth = 5, .seed = 2, .categorical_features = {1}});
    m.fit(X, Y);
    const Tensor<double> c = m.predict_contributions(P);
    check_against_brute_force(c, m.trees(), P, 0, 1, 1, 1.0 / 3.0, 0.0);
    const Tensor<float> p = m.predict(P);
    for (std::size_t i = 0; i < 16; ++i) CHECK(row_sum(c, i, 0, 1, d) == doctest::Approx(p.data()[i]).epsilon(1e-6));
  }
}

TEST_CASE("TreeSHAP: sums to the prediction on larger models, at any thread count, after save/load") {
  const Data train = make_data(2000, 12, 41);
  const Data test = make_data(200, 12, 42, 0, 0.1);
  GradientBoostingRegressor m({.n_estimators = 30, .max_depth = 0, .max_leaves = 24});
  m.fit(train.X, train.y);
  auto with_threads = [&](std::size_t threads) {
    ThreadCountGuard guard(threads);
    return m.predict_contributions(test.X);
  };
  const Tensor<double> one = with_threads(1), three = with_threads(3);
  CHECK(one.to_vector() == three.to_vector());
  const Tensor<float> p = m.predict(test.X);
  for (std::size_t i = 0; i < 200; ++i) CHECK(row_sum(one, i, 0, 1, 12) == doctest::Approx(p.data()[i]).epsilon(1e-5));
  const std::string path = std::string(GROVE_TEST_TMP_DIR) + "/shap_gbr.bin";
  m.save(path);
  const auto loaded = GradientBoostingRegressor::load(path);
  CHECK(loaded.trees()[3].cover == m.trees()[3].cover);
  CHECK(loaded.predict_contributions(test.X).to_vector() == one.to_vector());
}

TEST_CASE("Node covers: boosting covers are hessian sums, forest covers bootstrap counts") {
  const Data train = make_data(500, 4, 51, 2);
  GradientBoostingClassifier gb({.n_estimators = 3, .max_depth = 3});
  gb.fit(train.X, train.y);
  for (const Tree& t : gb.trees()) {
    REQUIRE(t.cover.size() == t.nodes.size());
    // The root covers every row's hessian p (1 - p), at most 1/4 each.
    CHECK(t.cover[0] > 0.0f);
    CHECK(t.cover[0] <= 500.0f / 4.0f);
    for (std::size_t i = 0; i < t.nodes.size(); ++i)
      if (!t.is_leaf(i))
        CHECK(t.cover[i] == doctest::Approx(t.cover[static_cast<std::size_t>(t.nodes[i].left)] +
                                            t.cover[static_cast<std::size_t>(t.nodes[i].right)]).epsilon(1e-6));
  }
  RandomForestRegressor rf({.n_estimators = 3, .max_depth = 4});
  rf.fit(train.X, train.y);
  for (const Tree& t : rf.trees()) CHECK(t.cover[0] == 500.0f);  // n draws with replacement
  GradientBoostingRegressor sq({.n_estimators = 1, .max_depth = 2});
  sq.fit(train.X, train.y);
  CHECK(sq.trees()[0].cover[0] == 500.0f);  // squared error: hessian 1 a row
  // Sample weights weigh the covers: rows of weight 0.5 and 2, one of each per pair.
  std::vector<double> w(500);
  for (std::size_t i = 0; i < 500; ++i) w[i] = i % 2 ? 2.0 : 0.5;
  sq.fit(train.X, train.y, {.sample_weight = w});
  CHECK(sq.trees()[0].cover[0] == 625.0f);
  DecisionTreeRegressor dt({.max_depth = 3});
  dt.fit(train.X, train.y, {.sample_weight = w});
  CHECK(dt.tree().cover[0] == 625.0f);
}

TEST_CASE("predict_contributions: errors") {
  const Data train = make_data(100, 3, 61);
  GradientBoostingRegressor m({.n_estimators = 2});
  CHECK_THROWS_WITH_AS(m.predict_contributions(train.X),
                       "GradientBoostingRegressor.predict_contributions: the model is not fitted; call fit first",
                       Error);
  m.fit(train.X, train.y);
  CHECK_THROWS_WITH_AS(m.predict_contributions(Tensor<float>::zeros(Shape{2, 4})),
                       "GradientBoostingRegressor.predict_contributions: X has 4 features but the model was fit with 3",
                       ValueError);
}

TEST_CASE("feature_importances: gain (default), split counts, covers") {
  // x0 decides the target, x1 is noise, x2 is constant (never split).
  Rng rng(3);
  const std::size_t n = 400;
  std::vector<float> x(n * 3), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i * 3] = static_cast<float>(rng.uniform());
    x[i * 3 + 1] = static_cast<float>(rng.uniform());
    x[i * 3 + 2] = 1.0f;
    y[i] = (x[i * 3] > 0.5f ? 10.0f : 0.0f) + static_cast<float>(0.1 * rng.normal());
  }
  const auto X = Tensor<float>::from_vector(x, Shape{n, 3});
  const auto Y = Tensor<float>::from_vector(y, Shape{n});
  GradientBoostingRegressor m({.n_estimators = 5, .max_depth = 2});
  m.fit(X, Y);
  CHECK(m.feature_importances() == m.feature_importances({.type = Importance::Gain}));
  const std::vector<double> split = m.feature_importances({.type = Importance::Split});
  double splits = 0.0;
  for (const Tree& t : m.trees())
    for (std::size_t i = 0; i < t.nodes.size(); ++i) splits += t.is_leaf(i) ? 0.0 : 1.0;
  CHECK(split[0] + split[1] == splits);
  CHECK(split[0] >= 5.0);  // every tree's root
  CHECK(split[2] == 0.0);
  const std::vector<double> cover = m.feature_importances({.type = Importance::Cover});
  CHECK(cover[0] + cover[1] == doctest::Approx(1.0));
  CHECK(cover[0] > cover[1]);
  CHECK(cover[2] == 0.0);
  // A decision tree: one split -> one count.
  DecisionTreeClassifier dt({.max_depth = 1});
  std::vector<float> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = y[i] > 5.0f ? 1.0f : 0.0f;
  dt.fit(X, Tensor<float>::from_vector(labels, Shape{n}));
  CHECK(dt.feature_importances({.type = Importance::Split}) == std::vector<double>{1, 0, 0});
  CHECK(dt.feature_importances({.type = Importance::Cover}) == std::vector<double>{1, 0, 0});
  CHECK_THROWS_WITH_AS(dt.feature_importances({.type = static_cast<Importance>(7)}),
                       "DecisionTreeClassifier.feature_importances: unknown importance type 7", ValueError);
}

// Trees: model files that are not trees or hold numbers out of range, class labels with empty
// classes or a single class, and regression targets near or beyond float range.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/rel_" + name; }

Tensor<float> column(std::vector<float> v) {
  const std::size_t n = v.size();
  return Tensor<float>::from_vector(std::move(v), Shape{n, 1});
}
Tensor<float> vec(std::vector<float> v) { return Tensor<float>::from_vector(std::move(v)); }

// A regression tree over one feature: nodes as given, values mirrored from the leaves.
Tree make_tree(std::vector<TreeNode> nodes, std::vector<float> values) {
  Tree t;
  t.nodes = std::move(nodes);
  t.values = std::move(values);
  return t;
}
TreeNode split(std::int32_t left, std::int32_t right, float threshold = 0.5f) { return TreeNode{0, threshold, left, right}; }
TreeNode leaf(std::int32_t self, float value) { return TreeNode{0, value, self, self}; }

// A decision-tree regressor file (valid container and checksum) around the given tree.
std::string forest_file(const std::string& name, const Tree& t, double importance = 1.0) {
  detail::Forest f;
  f.n_features = 1;
  f.n_classes = 0;
  f.importance = {importance};
  f.trees = {t};
  const std::string path = tmp(name);
  detail::write_tree_model(path, "DecisionTreeRegressor", DecisionTreeRegressorParams{}, data::Schema{}, f);
  return path;
}

std::string load_error(const std::string& path) {
  try {
    (void)DecisionTreeRegressor::load(path);
  } catch (const FormatError& e) {
    const std::string what = e.what();
    return what.substr(what.find(": ", what.find("at byte")) + 2);
  }
  return "loaded";
}

}  // namespace

TEST_CASE("model files: a node with two parents, or none, is not a tree") {
  // Nodes 3 and 4 are children of both 1 and 2.
  const Tree shared = make_tree({split(1, 2), split(3, 4, 0.2f), split(3, 4, 0.8f), leaf(3, 1.0f), leaf(4, 2.0f)},
                                {0, 0, 0, 1, 2});
  CHECK(load_error(forest_file("shared.bin", shared)) == "tree 0: node 3 has 2 parents (a tree node has one)");
  // Node 3 hangs from nothing.
  const Tree orphan = make_tree({split(1, 2), leaf(1, 1.0f), leaf(2, 2.0f), leaf(3, 3.0f)}, {0, 1, 2, 3});
  CHECK(load_error(forest_file("orphan.bin", orphan)) == "tree 0: node 3 has 0 parents (a tree node has one)");
  // The well-formed version of the same tree loads, and batch and row predictions agree.
  const Tree good = make_tree({split(1, 2), leaf(1, 1.0f), leaf(2, 2.0f)}, {0, 1, 2});
  const auto m = DecisionTreeRegressor::load(forest_file("good.bin", good));
  const Tensor<float> X = column({0.1f, 0.9f, std::numeric_limits<float>::quiet_NaN()});
  const std::vector<float> p = m.predict(X).to_vector();
  for (std::size_t i = 0; i < 3; ++i) CHECK(p[i] == m.predict_row(std::span<const float>(X.data() + i, 1)));
  CHECK(p[0] == 1.0f);
  CHECK(p[1] == 2.0f);
}

TEST_CASE("model files: stored numbers must be finite and in range") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  CHECK(load_error(forest_file("nan_leaf.bin", make_tree({split(1, 2), leaf(1, nan), leaf(2, 2)}, {0, nan, 2}))) ==
        "tree 0: leaf 1 value nan is out of range");
  CHECK(load_error(forest_file("inf_leaf.bin", make_tree({split(1, 2), leaf(1, 1), leaf(2, inf)}, {0, 1, inf}))) ==
        "tree 0: leaf 2 value inf is out of range");
  CHECK(load_error(forest_file("nan_split.bin", make_tree({split(1, 2, nan), leaf(1, 1), leaf(2, 2)}, {0, 1, 2}))) ==
        "tree 0: node 0 has a NaN threshold");
  const Tree good = make_tree({split(1, 2), leaf(1, 1.0f), leaf(2, 2.0f)}, {0, 1, 2});
  CHECK(load_error(forest_file("nan_importance.bin", good, std::nan(""))) ==
        "feature importances[0] = nan is out of range");
  CHECK(load_error(forest_file("negative_importance.bin", good, -1.0)) ==
        "feature importances[0] = -1 is out of range");

  // A classifier's leaves hold class proportions.
  detail::Forest f;
  f.n_features = 1;
  f.n_classes = 2;
  f.importance = {1.0};
  Tree t = make_tree({split(1, 2), leaf(1, 1.5f), leaf(2, 0.0f)}, {0, 0, 1.5f, -0.5f, 0.0f, 1.0f});
  t.n_outputs = 2;
  f.trees = {t};
  detail::write_tree_model(tmp("proportion.bin"), "DecisionTreeClassifier", DecisionTreeClassifierParams{},
                           data::Schema{}, f);
  CHECK_THROWS_WITH_AS(DecisionTreeClassifier::load(tmp("proportion.bin")),
                       doctest::Contains("tree 0: leaf 1 value 1.5 is out of range"), FormatError);

  // A boosting model's base score.
  GradientBoostingRegressor g({.n_estimators = 2, .max_depth = 1});
  g.fit(column({1, 2, 3, 4}), vec({1, 2, 3, 4}));
  detail::Booster b;
  b.configure(0, Loss::SquaredError);
  b.n_features = 1;
  b.base = {std::nan("")};
  b.gain = {1.0};
  b.trees = g.trees();
  detail::write_tree_model(tmp("nan_base.bin"), "GradientBoostingRegressor", g.params(), data::Schema{}, b);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor::load(tmp("nan_base.bin")),
                       doctest::Contains("base scores[0] = nan is out of range"), FormatError);
}

TEST_CASE("labels: an empty class is named, one class is refused, an explicit count allows gaps") {
  const Tensor<float> X = column({1, 2, 3, 4, 5, 6});
  GradientBoostingClassifier gb({.n_estimators = 2});
  CHECK_THROWS_WITH_AS(gb.fit(X, vec({0, 1, 3, 3, 1, 0})),
                       "GradientBoostingClassifier.fit: class 2 has no rows in y (labels must be 0..3 with every "
                       "class present; re-encode the labels or pass the class count)",
                       ValueError);
  RandomForestClassifier rf({.n_estimators = 2});
  CHECK_THROWS_WITH_AS(rf.fit(X, vec({0, 0, 0, 0, 0, 0})),
                       "RandomForestClassifier.fit: y holds a single class (0); a classifier needs at least two "
                       "(pass n_classes to fit data that lacks some classes)",
                       ValueError);
  // With the count given (a fold of a 3-class data set without class 1), the model has 3 classes.
  gb.fit(X, vec({0, 2, 0, 2, 0, 2}), {.n_classes = 3});
  CHECK(gb.n_classes() == 3);
  CHECK(gb.predict_proba(X).shape() == Shape{6, 3});
  rf.fit(X, vec({0, 0, 0, 0, 0, 0}), {.n_classes = 2});
  CHECK(rf.n_classes() == 2);
  CHECK(rf.predict(X).to_vector() == std::vector<std::int64_t>(6, 0));
  CHECK_THROWS_WITH_AS(rf.fit(X, vec({0, 1, 2, 0, 1, 2}), {.n_classes = 2}),
                       "RandomForestClassifier.fit: y[2] = 2 is not a class label (expected an integer in 0..1)",
                       ValueError);
  CHECK_THROWS_WITH_AS(rf.fit(X, vec({0, 1, 0, 1, 0, 1}), {.n_classes = 1}),
                       "RandomForestClassifier.fit: n_classes must be in [2, 65536], got 1", ValueError);
  RandomForestRegressor reg({.n_estimators = 2});
  CHECK_THROWS_WITH_AS(reg.fit(X, vec({0, 1, 0, 1, 0, 1}), {.n_classes = 2}),
                       "RandomForestRegressor.fit: n_classes = 2 is for classifiers", ValueError);
}

TEST_CASE("regression: targets near float range predict finite values, beyond it are refused") {
  // Bootstrap counts of 2 and more doubled these targets past float range before. Two values of
  // x, so every tree separates the halves exactly.
  const std::size_t n = 64;
  std::vector<float> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = i < n / 2 ? 0.0f : 1.0f;
    y[i] = i < n / 2 ? -3.0e38f : 3.0e38f;
  }
  RandomForestRegressor rf({.n_estimators = 8, .max_depth = 3, .seed = 4});
  rf.fit(column(x), vec(y));
  const std::vector<float> p = rf.predict(column(x)).to_vector();
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(p[i]));
    CHECK(p[i] == doctest::Approx(y[i]).epsilon(1e-6));
    CHECK(p[i] == rf.predict_row(std::span<const float>(&x[i], 1)));
  }
  CHECK(std::isfinite(rf.feature_importances()[0]));
  GradientBoostingRegressor gb({.n_estimators = 20, .learning_rate = 0.5, .max_depth = 2});
  gb.fit(column(x), vec(y));
  for (float v : gb.predict(column(x)).to_vector()) CHECK(std::isfinite(v));
  CHECK(gb.predict(column({0.0f})).to_vector()[0] == doctest::Approx(-3.0e38).epsilon(1e-3));

  std::vector<double> big(n, 1.0);
  big[5] = 1e39;
  const Tensor<double> yd = Tensor<double>::from_vector(big, Shape{n});
  CHECK_THROWS_WITH_AS(rf.fit(column(x), yd),
                       "RandomForestRegressor.fit: target 1e+39 at row 5 is beyond float range (about 3.4e38); "
                       "rescale the target",
                       ValueError);
}

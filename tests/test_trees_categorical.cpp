// Trees: native categorical splits (sets of categories), missing and unseen categories, the
// model file's category sets, and the errors for bad category codes.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/cat_" + name; }

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

struct Data {
  Tensor<float> X;
  Tensor<float> y;
};

// Feature 0: category code i % 10; feature 1: noise. y = 1 when the category is 2, 5 or 7.
Data membership(std::size_t n = 1000) {
  Rng rng(3);
  std::vector<float> x(n * 2), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto code = static_cast<float>(i % 10);
    x[i * 2] = code;
    x[i * 2 + 1] = static_cast<float>(rng.normal());
    y[i] = code == 2 || code == 5 || code == 7 ? 1.0f : 0.0f;
  }
  return {Tensor<float>::from_vector(x, Shape{n, 2}), Tensor<float>::from_vector(y, Shape{n})};
}

Tensor<float> rows_of_codes(const std::vector<float>& codes) {
  std::vector<float> x;
  for (float c : codes) x.insert(x.end(), {c, 0.0f});
  return Tensor<float>::from_vector(x, Shape{codes.size(), 2});
}

double accuracy(const Tensor<std::int64_t>& p, const Tensor<float>& y) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < y.size(); ++i) ok += p.data()[i] == static_cast<std::int64_t>(y.data()[i]) ? 1 : 0;
  return static_cast<double>(ok) / static_cast<double>(y.size());
}

template <class M>
void check_row_agreement(const M& m, const Tensor<float>& X) {
  const auto batch = m.predict(X).to_vector();
  for (std::size_t i = 0; i < X.shape(0); ++i)
    CHECK(batch[i] == m.predict_row(std::span<const float>(X.data() + i * X.shape(1), X.shape(1))));
}

}  // namespace

TEST_CASE("categorical: membership of {2, 5, 7} among 10 categories is fit exactly by one split") {
  const Data d = membership();
  DecisionTreeClassifier tree({.max_depth = 1, .categorical_features = {0}});
  tree.fit(d.X, d.y);
  CHECK(accuracy(tree.predict(d.X), d.y) == 1.0);
  const Tree& t = tree.tree();
  REQUIRE(t.nodes.size() == 3);
  CHECK(t.nodes[0].categorical());
  CHECK(t.nodes[0].feature() == 0);
  // Each category goes to the side of its class.
  const auto p = tree.predict(rows_of_codes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9})).to_vector();
  CHECK(p == std::vector<std::int64_t>{0, 0, 1, 0, 0, 1, 0, 1, 0, 0});
  // The same feature as numbers: no single threshold separates {2, 5, 7}.
  DecisionTreeClassifier numeric({.max_depth = 1});
  numeric.fit(d.X, d.y);
  CHECK(accuracy(numeric.predict(d.X), d.y) < 0.8);

  // Boosting: one round at learning rate 1 puts the leaves at the two class means exactly.
  GradientBoostingRegressor gb({.n_estimators = 1, .learning_rate = 1.0, .max_depth = 1, .l2 = 0.0,
                                .min_child_weight = 0.0, .categorical_features = {0}});
  gb.fit(d.X, d.y);
  const auto v = gb.predict(rows_of_codes({2, 3, 5, 9})).to_vector();
  CHECK(v[0] == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(v[1] == doctest::Approx(0.0).scale(1.0).epsilon(1e-6));
  CHECK(v[2] == v[0]);
  CHECK(v[3] == v[1]);
  // A forest of bootstrapped stumps: every tree finds the set.
  RandomForestClassifier rf({.n_estimators = 5, .max_depth = 1, .seed = 2, .max_features = MaxFeatures::all(),
                             .categorical_features = {0}});
  rf.fit(d.X, d.y);
  CHECK(accuracy(rf.predict(d.X), d.y) == 1.0);
  for (const Tree& each : rf.trees()) CHECK(each.nodes[0].categorical());
}

TEST_CASE("categorical: few categories are split one against the rest") {
  // Three categories; the class is category 1, which sits between the others as a number.
  const std::size_t n = 300;
  std::vector<float> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i % 3);
    y[i] = i % 3 == 1 ? 1.0f : 0.0f;
  }
  const Tensor<float> X = Tensor<float>::from_vector(x, Shape{n, 1}), Y = Tensor<float>::from_vector(y, Shape{n});
  DecisionTreeClassifier tree({.max_depth = 1, .categorical_features = {0}});
  tree.fit(X, Y);
  CHECK(accuracy(tree.predict(X), Y) == 1.0);
  const Tree& t = tree.tree();
  REQUIRE(t.nodes[0].categorical());
  // The set holds category 1 alone (on the side its rows went).
  const std::uint32_t bits = t.categories[t.nodes[0].category_offset() + 1] & 0x7u;
  CHECK((bits == 0x2u || bits == 0x5u));
}

TEST_CASE("categorical: missing, unseen, non-integer and rare categories follow the missing direction") {
  // Categories 0..9 except 8; category 9 has 3 rows (rare); 60 rows have no category and are
  // all class 1, so missing values learn to go with {2, 5, 7}.
  std::vector<float> x, y;
  for (std::size_t i = 0; i < 1000; ++i) {
    const std::size_t code = i % 9;  // 0..8, with 8 standing for "missing"
    const float c = code == 8 ? kNaN : static_cast<float>(code);
    x.insert(x.end(), {c, 0.0f});
    y.push_back(code == 8 || code == 2 || code == 5 || code == 7 ? 1.0f : 0.0f);
  }
  for (int i = 0; i < 3; ++i) {
    x.insert(x.end(), {9.0f, 0.0f});
    y.push_back(0.0f);
  }
  const std::size_t n = y.size();
  const Tensor<float> X = Tensor<float>::from_vector(x, Shape{n, 2}), Y = Tensor<float>::from_vector(y, Shape{n});
  GradientBoostingClassifier m({.n_estimators = 5, .max_depth = 1, .categorical_features = {0}});
  m.fit(X, Y);
  const Tensor<float> probe = rows_of_codes({kNaN, 8, 9, 12, 300, 3.5f, -1, 2, 0});
  const auto p = m.predict_proba(probe).to_vector();
  const float missing = p[1];
  CHECK(missing > 0.5f);          // learned: missing values go with the class-1 categories
  CHECK(p[3] == missing);         // 8: never seen in training
  CHECK(p[5] == missing);         // 9: three rows, fewer than min_data_per_category
  CHECK(p[7] == missing);         // 12: beyond every training code
  CHECK(p[9] == missing);         // 300
  CHECK(p[11] == missing);        // 3.5: not a category code
  CHECK(p[13] == missing);        // -1
  CHECK(p[15] == missing);        // 2: a class-1 category, on the same side
  CHECK(p[17] < 0.5f);            // 0: the other side
  check_row_agreement(m, probe);
}

TEST_CASE("categorical: numeric and categorical features together, save/load, threads") {
  // y = (category in {1, 4}) xor (x1 > 0.3): needs both kinds of split.
  const std::size_t n = 2000;
  Rng rng(9);
  std::vector<float> x(n * 3), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t code = rng.below(6);
    x[i * 3] = static_cast<float>(rng.normal());
    x[i * 3 + 1] = rng.uniform() < 0.05 ? kNaN : static_cast<float>(code);
    x[i * 3 + 2] = static_cast<float>(rng.normal());
    const bool in = code == 1 || code == 4;
    y[i] = in != (x[i * 3] > 0.3f) ? 1.0f : 0.0f;
  }
  const Tensor<float> X = Tensor<float>::from_vector(x, Shape{n, 3}), Y = Tensor<float>::from_vector(y, Shape{n});
  auto fit_save = [&](std::size_t threads, const std::string& tag) {
    ThreadCountGuard guard(threads);
    GradientBoostingClassifier gb({.n_estimators = 30, .max_depth = 3, .categorical_features = {1}});
    gb.fit(X, Y);
    gb.save(tmp("gb_" + tag));
    RandomForestClassifier rf({.n_estimators = 6, .max_depth = 8, .seed = 4, .categorical_features = {1}});
    rf.fit(X, Y);
    rf.save(tmp("rf_" + tag));
    return std::pair{gb, rf};
  };
  const auto [gb, rf] = fit_save(1, "1");
  fit_save(2, "2");
  CHECK(read_bytes(tmp("gb_1")) == read_bytes(tmp("gb_2")));
  CHECK(read_bytes(tmp("rf_1")) == read_bytes(tmp("rf_2")));
  CHECK(accuracy(gb.predict(X), Y) > 0.93);
  CHECK(accuracy(rf.predict(X), Y) > 0.93);
  const auto gb2 = GradientBoostingClassifier::load(tmp("gb_1"));
  const auto rf2 = RandomForestClassifier::load(tmp("rf_1"));
  CHECK(gb2.predict_proba(X).to_vector() == gb.predict_proba(X).to_vector());
  CHECK(rf2.predict_proba(X).to_vector() == rf.predict_proba(X).to_vector());
  CHECK(gb2.params().categorical_features == std::vector<std::size_t>{1});
  check_row_agreement(gb2, X);
  check_row_agreement(rf2, X);
  std::size_t sets = 0;
  for (const Tree& t : gb2.trees()) sets += t.categories.empty() ? 0 : 1;
  CHECK(sets > 0);
}

TEST_CASE("categorical: bad codes and lists are ValueErrors naming the feature, row and cap") {
  const Tensor<float> X = Tensor<float>::from_vector({0, 1, 2, 1.5f, 1, 0}, Shape{3, 2});
  const Tensor<float> y = Tensor<float>::from_vector({0, 1, 0}, Shape{3});
  CHECK_THROWS_WITH_AS(DecisionTreeClassifier({.categorical_features = {1}}).fit(X, y),
                       "DecisionTreeClassifier.fit: categorical feature 1 has value 1.5 at row 1; categories are "
                       "codes 0..254 (max_bins = 255; NaN for missing)",
                       ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingClassifier({.max_bins = 2, .categorical_features = {0}}).fit(X, y),
                       "GradientBoostingClassifier.fit: categorical feature 0 has value 2 at row 1; categories are "
                       "codes 0..1 (max_bins = 2; NaN for missing)",
                       ValueError);
  CHECK_THROWS_WITH_AS(RandomForestClassifier({.categorical_features = {2}}).fit(X, y),
                       "RandomForestClassifier.fit: categorical_features[0] = 2 but X has 2 features", ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor({.categorical_features = {1, 0, 1}}),
                       "GradientBoostingRegressor: categorical_features lists feature 1 twice", ValueError);
  CHECK_THROWS_WITH_AS(RandomForestRegressor({.max_cat_to_onehot = 0}),
                       "RandomForestRegressor: max_cat_to_onehot must be in [1, 255], got 0", ValueError);
  // By name, as text.
  GradientBoostingClassifierParams p;
  set_param(p, "categorical_features", "3,0");
  CHECK(p.categorical_features == std::vector<std::size_t>{3, 0});
  CHECK(get_params(p)[13] == std::pair<std::string, std::string>{"categorical_features", "3,0"});
}

TEST_CASE("categorical: model files with broken category sets or mismatched features are refused") {
  // A categorical root whose set offset points past the words.
  auto file = [](std::uint32_t offset, std::vector<std::size_t> listed) {
    detail::Forest f;
    f.n_features = 1;
    f.importance = {1.0};
    Tree t;
    t.nodes = {TreeNode{TreeNode::kCategorical, std::bit_cast<float>(offset), 1, 2}, TreeNode{0, 1.0f, 1, 1},
               TreeNode{0, 2.0f, 2, 2}};
    t.values = {0, 1, 2};
    t.categories = {1, 0x24u};  // one word: categories 2 and 5 go left
    f.trees = {t};
    DecisionTreeRegressorParams p;
    p.categorical_features = std::move(listed);
    const std::string path = tmp("crafted.bin");
    detail::write_tree_model(path, "DecisionTreeRegressor", p, data::Schema{}, f);
    return path;
  };
  const auto good = DecisionTreeRegressor::load(file(0, {0}));
  const auto v = good.predict(Tensor<float>::from_vector({2, 3, 5, kNaN}, Shape{4, 1})).to_vector();
  CHECK(v == std::vector<float>{1, 2, 1, 2});  // missing values: default direction (right)
  CHECK_THROWS_WITH_AS(DecisionTreeRegressor::load(file(5, {0})),
                       doctest::Contains("tree 0: node 0 has no valid category set at word 5"), FormatError);
  CHECK_THROWS_WITH_AS(DecisionTreeRegressor::load(file(0, {})),
                       doctest::Contains("tree 0: node 0 splits feature 0 by categories, but categorical_features "
                                         "does not list it"),
                       FormatError);
}

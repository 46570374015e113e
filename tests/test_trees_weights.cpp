// Trees: sample weights (a weight of 2 counts a row twice) and class weights (none, balanced,
// explicit), their checks, and their place in the model file.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/weights_" + name; }

struct Data {
  std::vector<float> x, y;
  std::size_t d = 2;
  Tensor<float> X() const { return Tensor<float>::from_vector(x, Shape{y.size(), d}); }
  Tensor<float> Y() const { return Tensor<float>::from_vector(y, Shape{y.size()}); }
};

// 40 rows over a few distinct values (so duplicating rows moves no bin edge).
Data base_rows() {
  Data data;
  Rng rng(5);
  for (std::size_t i = 0; i < 40; ++i) {
    const auto a = static_cast<float>(rng.below(5)), b = static_cast<float>(rng.below(4));
    data.x.insert(data.x.end(), {a, b});
    data.y.push_back(a * 0.5f + (b > 1 ? 1.0f : 0.0f) + static_cast<float>(rng.below(2)) * 0.25f);
  }
  return data;
}

// The rows with a weight of 2 appended once more.
Data duplicated(const Data& data, const std::vector<double>& w) {
  Data out = data;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w[i] == 2.0) {
      out.x.insert(out.x.end(), {data.x[2 * i], data.x[2 * i + 1]});
      out.y.push_back(data.y[i]);
    }
  return out;
}

void check_same_trees(const std::vector<Tree>& a, const std::vector<Tree>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t t = 0; t < a.size(); ++t) {
    REQUIRE(a[t].nodes.size() == b[t].nodes.size());
    for (std::size_t i = 0; i < a[t].nodes.size(); ++i) {
      CHECK(a[t].nodes[i].feature_flags == b[t].nodes[i].feature_flags);
      CHECK(std::bit_cast<std::uint32_t>(a[t].nodes[i].threshold) == std::bit_cast<std::uint32_t>(b[t].nodes[i].threshold));
      CHECK(a[t].nodes[i].left == b[t].nodes[i].left);
    }
    CHECK(a[t].values == b[t].values);
  }
}

}  // namespace

TEST_CASE("sample_weight: a weight of 2 fits the same model as the row written twice") {
  const Data data = base_rows();
  std::vector<double> w(data.y.size(), 1.0);
  for (std::size_t i = 0; i < w.size(); i += 3) w[i] = 2.0;
  const Data dup = duplicated(data, w);
  for (Loss loss : {Loss::SquaredError, Loss::AbsoluteError, Loss::Huber, Loss::Quantile}) {
    CAPTURE(static_cast<int>(loss));
    GradientBoostingRegressor weighted({.n_estimators = 8, .learning_rate = 0.5, .max_depth = 3, .loss = loss});
    weighted.fit(data.X(), data.Y(), {.sample_weight = w});
    GradientBoostingRegressor twice({.n_estimators = 8, .learning_rate = 0.5, .max_depth = 3, .loss = loss});
    twice.fit(dup.X(), dup.Y());
    CHECK(weighted.base_score() == twice.base_score());
    check_same_trees(weighted.trees(), twice.trees());
    CHECK(weighted.predict(data.X()).to_vector() == twice.predict(data.X()).to_vector());
  }
  // Classification (labels: y above its median) and a single tree without bootstrap.
  Data cls = data, cls_dup = dup;
  for (float& v : cls.y) v = v > 1.0f ? 1.0f : 0.0f;
  for (float& v : cls_dup.y) v = v > 1.0f ? 1.0f : 0.0f;
  // min_samples_leaf counts rows, not weight (as scikit-learn's and LightGBM's): off here.
  GradientBoostingClassifier gw({.n_estimators = 6, .max_depth = 3, .min_samples_leaf = 0});
  gw.fit(cls.X(), cls.Y(), {.sample_weight = w});
  GradientBoostingClassifier gd({.n_estimators = 6, .max_depth = 3, .min_samples_leaf = 0});
  gd.fit(cls_dup.X(), cls_dup.Y());
  check_same_trees(gw.trees(), gd.trees());
  DecisionTreeClassifier tw({.max_depth = 4, .criterion = Criterion::Entropy});
  tw.fit(cls.X(), cls.Y(), {.sample_weight = w});
  DecisionTreeClassifier td({.max_depth = 4, .criterion = Criterion::Entropy});
  td.fit(cls_dup.X(), cls_dup.Y());
  check_same_trees(tw.trees(), td.trees());
}

TEST_CASE("sample_weight: rows of weight 0 do not move the fit") {
  // A stump's leaves are the weighted means: the outliers with weight 0 leave them at 1 and 3.
  const Tensor<float> X = Tensor<float>::from_vector({0, 0, 0, 1, 1, 1}, Shape{6, 1});
  const Tensor<float> y = Tensor<float>::from_vector({1, 1, 100, 3, 3, -100}, Shape{6});
  DecisionTreeRegressor m({.max_depth = 1});
  m.fit(X, y, {.sample_weight = {1, 1, 0, 1, 1, 0}});
  CHECK(m.predict(Tensor<float>::from_vector({0, 1}, Shape{2, 1})).to_vector() == std::vector<float>{1, 3});
}

TEST_CASE("class_weight: balanced weights change the decision on an imbalanced set") {
  // x = 0: 50 rows of class 0; x = 1: 40 of class 0 and 10 of class 1. Unweighted, both leaves
  // predict class 0; balanced (class 1 weighs 100 / (2 * 10) = 5, class 0 100 / 180), the x = 1
  // leaf holds 50 of class 1 against 22.2 of class 0.
  std::vector<float> x, y;
  for (int i = 0; i < 50; ++i) x.push_back(0), y.push_back(0);
  for (int i = 0; i < 40; ++i) x.push_back(1), y.push_back(0);
  for (int i = 0; i < 10; ++i) x.push_back(1), y.push_back(1);
  const Tensor<float> X = Tensor<float>::from_vector(x, Shape{100, 1}), Y = Tensor<float>::from_vector(y, Shape{100});
  const Tensor<float> probe = Tensor<float>::from_vector({0, 1}, Shape{2, 1});
  DecisionTreeClassifier plain({.max_depth = 1});
  plain.fit(X, Y);
  CHECK(plain.predict(probe).to_vector() == std::vector<std::int64_t>{0, 0});
  DecisionTreeClassifier balanced({.max_depth = 1, .class_weight = ClassWeight::balanced()});
  balanced.fit(X, Y);
  CHECK(balanced.predict(probe).to_vector() == std::vector<std::int64_t>{0, 1});
  const auto proba = balanced.predict_proba(probe).to_vector();
  CHECK(proba[3] == doctest::Approx(50.0 / (50.0 + 40 * 100.0 / 180)));
  GradientBoostingClassifier gb({.n_estimators = 20, .max_depth = 1, .class_weight = ClassWeight::balanced()});
  gb.fit(X, Y);
  CHECK(gb.predict(probe).to_vector() == std::vector<std::int64_t>{0, 1});
  GradientBoostingClassifier gb_plain({.n_estimators = 20, .max_depth = 1});
  gb_plain.fit(X, Y);
  CHECK(gb_plain.predict(probe).to_vector() == std::vector<std::int64_t>{0, 0});
  // Explicit weights, and weights times sample weights.
  RandomForestClassifier rf({.n_estimators = 4, .bootstrap = false, .class_weight = ClassWeight::of({1.0, 5.0})});
  rf.fit(X, Y);
  CHECK(rf.predict(probe).to_vector() == std::vector<std::int64_t>{0, 1});
  std::vector<double> sw(100, 1.0);
  for (int i = 90; i < 100; ++i) sw[static_cast<std::size_t>(i)] = 0.5;  // class 1 rows: 5 x 0.5 = 2.5 < 4
  rf.fit(X, Y, {.sample_weight = sw});
  CHECK(rf.predict(probe).to_vector() == std::vector<std::int64_t>{0, 0});
  // The setting travels with the model and reads as text.
  balanced.save(tmp("balanced.bin"));
  CHECK(DecisionTreeClassifier::load(tmp("balanced.bin")).params().class_weight == ClassWeight::balanced());
  RandomForestClassifierParams p;
  set_param(p, "class_weight", "1,2.5");
  CHECK(p.class_weight == ClassWeight::of({1.0, 2.5}));
  CHECK(get_params(p).back() == std::pair<std::string, std::string>{"class_weight", "1,2.5"});
  set_param(p, "class_weight", "balanced");
  CHECK(get_params(p).back().second == "balanced");
}

TEST_CASE("weights: bad sample and class weights are ValueErrors") {
  const Tensor<float> X = Tensor<float>::from_vector({0, 1, 2, 3}, Shape{4, 1});
  const Tensor<float> y = Tensor<float>::from_vector({0, 1, 0, 1}, Shape{4});
  GradientBoostingClassifier m({.n_estimators = 2});
  CHECK_THROWS_WITH_AS(m.fit(X, y, {.sample_weight = {1, 1, 1}}),
                       "GradientBoostingClassifier.fit: sample_weight has 3 values for 4 rows", ValueError);
  CHECK_THROWS_WITH_AS(m.fit(X, y, {.sample_weight = {1, -1, 1, 1}}),
                       "GradientBoostingClassifier.fit: sample_weight[1] must be in [0, 1e+30], got -1", ValueError);
  CHECK_THROWS_WITH_AS(m.fit(X, y, {.sample_weight = {1, 1, std::nan(""), 1}}),
                       "GradientBoostingClassifier.fit: sample_weight[2] must be in [0, 1e+30], got nan", ValueError);
  CHECK_THROWS_WITH_AS(m.fit(X, y, {.sample_weight = {0, 0, 0, 0}}),
                       "GradientBoostingClassifier.fit: the row weights sum to 0; at least one row must weigh something",
                       ValueError);
  CHECK_THROWS_WITH_AS(m.fit(X, y, {.sample_weight = {1, 1, std::numeric_limits<double>::infinity(), 1}}),
                       "GradientBoostingClassifier.fit: sample_weight[2] must be in [0, 1e+30], got inf", ValueError);
  CHECK_THROWS_WITH_AS(m.fit(X, y, {.sample_weight = {1, 1, 1, 1e31}}),
                       "GradientBoostingClassifier.fit: sample_weight[3] must be in [0, 1e+30], got 1e+31", ValueError);
  CHECK_THROWS_WITH_AS(
      DecisionTreeClassifier({.class_weight = ClassWeight::of({1e20, 1})}).fit(X, y, {.sample_weight = {1, 1, 1e11, 1}}),
      "DecisionTreeClassifier.fit: row 2 weighs 1e+31 (sample_weight times class_weight), above 1e+30", ValueError);
  // Validation weights: checked the same way, named as validation.
  const ValidationSet<float, float> short_val{X, y, {1, 2}};
  CHECK_THROWS_WITH_AS(m.fit(X, y, short_val),
                       "GradientBoostingClassifier.fit (validation): sample_weight has 2 values for 4 rows", ValueError);
  const ValidationSet<float, float> zero_val{X, y, {0, 0, 0, 0}};
  CHECK_THROWS_WITH_AS(
      m.fit(X, y, zero_val),
      "GradientBoostingClassifier.fit (validation): the row weights sum to 0; at least one row must weigh something",
      ValueError);
  // Balanced weights of an absent class (a fold fit with n_classes) are 0, not a division by zero.
  // (Rows weigh 4 / (3 * 2); min_samples_leaf counts weight, so leaves hold two rows here.)
  const Tensor<float> y2 = Tensor<float>::from_vector({0, 0, 1, 1}, Shape{4});
  DecisionTreeClassifier absent({.class_weight = ClassWeight::balanced()});
  absent.fit(X, y2, {.n_classes = 3});
  CHECK(absent.predict(X).to_vector() == std::vector<std::int64_t>{0, 0, 1, 1});
  CHECK(absent.predict_proba(X).to_vector() == std::vector<float>{1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0});
  CHECK_THROWS_WITH_AS(DecisionTreeClassifier({.class_weight = ClassWeight::of({1, 2, 3})}).fit(X, y),
                       "DecisionTreeClassifier.fit: class_weight has 3 weights for 2 classes", ValueError);
  CHECK_THROWS_WITH_AS(DecisionTreeClassifier({.class_weight = ClassWeight::of({1, -2})}),
                       "DecisionTreeClassifier: class_weight[1] must be in [0, 1e+30], got -2", ValueError);
  CHECK_THROWS_WITH_AS(DecisionTreeClassifier({.class_weight = ClassWeight::of({})}),
                       "DecisionTreeClassifier: class_weight lists no weights", ValueError);
  CHECK_THROWS_WITH_AS(
      DecisionTreeClassifier({.class_weight = ClassWeight{ClassWeight::Mode::Balanced, {1.0, 2.0}}}),
      "DecisionTreeClassifier: class_weight lists weights without being explicit", ValueError);
  RandomForestClassifierParams p;
  CHECK_THROWS_WITH_AS(set_param(p, "class_weight", "1,heavy"), "set_param: cannot read 'heavy' as class_weight",
                       ValueError);
  GradientBoostingRegressorParams r;
  CHECK_THROWS_AS(set_param(r, "class_weight", "balanced"), ValueError);  // regressors have none
}

namespace {

// The rows whose weight is not 0.
Data kept(const Data& data, const std::vector<double>& w) {
  Data out;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w[i] != 0.0) {
      out.x.insert(out.x.end(), {data.x[2 * i], data.x[2 * i + 1]});
      out.y.push_back(data.y[i]);
    }
  return out;
}

}  // namespace

TEST_CASE("sample_weight: a weight of 0 fits the same model as the row left out") {
  const Data data = base_rows();
  std::vector<double> w(data.y.size(), 1.0);
  for (std::size_t i = 1; i < w.size(); i += 4) w[i] = 0.0;
  const Data rest = kept(data, w);
  GradientBoostingRegressor gw({.n_estimators = 8, .learning_rate = 0.5, .max_depth = 3});
  gw.fit(data.X(), data.Y(), {.sample_weight = w});
  GradientBoostingRegressor gr({.n_estimators = 8, .learning_rate = 0.5, .max_depth = 3});
  gr.fit(rest.X(), rest.Y());
  CHECK(gw.base_score() == gr.base_score());
  check_same_trees(gw.trees(), gr.trees());
  DecisionTreeRegressor tw({.max_depth = 4});
  tw.fit(data.X(), data.Y(), {.sample_weight = w});
  DecisionTreeRegressor tr({.max_depth = 4});
  tr.fit(rest.X(), rest.Y());
  check_same_trees(tw.trees(), tr.trees());
}

TEST_CASE("sample_weight: regression trees, forests without bootstrap and softmax boosting equal duplicated rows") {
  const Data data = base_rows();
  std::vector<double> w(data.y.size(), 1.0);
  for (std::size_t i = 0; i < w.size(); i += 3) w[i] = 2.0;
  const Data dup = duplicated(data, w);
  DecisionTreeRegressor tw({.max_depth = 4});
  tw.fit(data.X(), data.Y(), {.sample_weight = w});
  DecisionTreeRegressor td({.max_depth = 4});
  td.fit(dup.X(), dup.Y());
  check_same_trees(tw.trees(), td.trees());
  RandomForestRegressor fw({.n_estimators = 3, .max_depth = 3, .max_features = MaxFeatures::all(), .bootstrap = false});
  fw.fit(data.X(), data.Y(), {.sample_weight = w});
  RandomForestRegressor fd({.n_estimators = 3, .max_depth = 3, .max_features = MaxFeatures::all(), .bootstrap = false});
  fd.fit(dup.X(), dup.Y());
  check_same_trees(fw.trees(), fd.trees());
  // Three classes: softmax gradients and class priors.
  Data cls = data, cls_dup = dup;
  for (float& v : cls.y) v = v > 1.5f ? 2.0f : (v > 0.75f ? 1.0f : 0.0f);
  for (float& v : cls_dup.y) v = v > 1.5f ? 2.0f : (v > 0.75f ? 1.0f : 0.0f);
  GradientBoostingClassifier gw({.n_estimators = 4, .max_depth = 2, .min_samples_leaf = 0});  // counts rows
  gw.fit(cls.X(), cls.Y(), {.sample_weight = w});
  GradientBoostingClassifier gd({.n_estimators = 4, .max_depth = 2, .min_samples_leaf = 0});
  gd.fit(cls_dup.X(), cls_dup.Y());
  check_same_trees(gw.trees(), gd.trees());
}

TEST_CASE("sample_weight: the validation loss is the weighted mean") {
  const Data data = base_rows();
  Data val = base_rows();
  std::vector<double> vw(val.y.size(), 1.0);
  for (std::size_t i = 0; i < vw.size(); i += 2) vw[i] = 2.0;
  const Data val_dup = duplicated(val, vw);
  GradientBoostingRegressor a({.n_estimators = 5, .max_depth = 2});
  a.fit(data.X(), data.Y(), ValidationSet<float, float>{val.X(), val.Y(), vw});
  GradientBoostingRegressor b({.n_estimators = 5, .max_depth = 2});
  b.fit(data.X(), data.Y(), ValidationSet<float, float>{val_dup.X(), val_dup.Y()});
  GradientBoostingRegressor plain({.n_estimators = 5, .max_depth = 2});
  plain.fit(data.X(), data.Y(), ValidationSet<float, float>{val.X(), val.Y()});
  const auto va = a.history().series("val_loss"), vb = b.history().series("val_loss");
  const auto vp = plain.history().series("val_loss");
  REQUIRE(va.size() == 5);
  REQUIRE(vb.size() == 5);
  for (std::size_t r = 0; r < 5; ++r) {
    CHECK(va[r] == doctest::Approx(vb[r]).epsilon(1e-12));
    CHECK(va[r] != vp[r]);  // the weights do change the value
  }
  // Forests record the weighted loss per tree count as well.
  RandomForestRegressor fa({.n_estimators = 3, .max_depth = 2});
  fa.fit(data.X(), data.Y(), ValidationSet<float, float>{val.X(), val.Y(), vw});
  RandomForestRegressor fb({.n_estimators = 3, .max_depth = 2});
  fb.fit(data.X(), data.Y(), ValidationSet<float, float>{val_dup.X(), val_dup.Y()});
  const auto fva = fa.history().series("val_loss"), fvb = fb.history().series("val_loss");
  REQUIRE(fva.size() == 3);
  for (std::size_t t = 0; t < 3; ++t) CHECK(fva[t] == doctest::Approx(fvb[t]).epsilon(1e-12));
}

TEST_CASE("weights: weighted models are bitwise identical at any thread count and survive save / load") {
  Data data;
  Rng rng(11);
  for (std::size_t i = 0; i < 3000; ++i) {
    const float a = static_cast<float>(rng.uniform()), b = static_cast<float>(rng.uniform());
    data.x.insert(data.x.end(), {a, b});
    data.y.push_back(a + b > 1.0f + 0.2f * static_cast<float>(rng.uniform()) ? 1.0f : 0.0f);
  }
  std::vector<double> w(data.y.size());
  for (double& v : w) v = 0.25 + 3.0 * rng.uniform();
  auto fit_gb = [&](std::size_t threads) {
    ThreadCountGuard guard(threads);
    GradientBoostingClassifier m({.n_estimators = 6, .max_depth = 3, .subsample = 0.8, .class_weight = ClassWeight::balanced()});
    m.fit(data.X(), data.Y(), {.sample_weight = w});
    return m;
  };
  auto fit_rf = [&](std::size_t threads) {
    ThreadCountGuard guard(threads);
    RandomForestClassifier m({.n_estimators = 4, .max_depth = 5, .class_weight = ClassWeight::of({1.0, 2.0})});
    m.fit(data.X(), data.Y(), {.sample_weight = w});
    return m;
  };
  const GradientBoostingClassifier g1 = fit_gb(1), g3 = fit_gb(3);
  const RandomForestClassifier r1 = fit_rf(1), r3 = fit_rf(3);
  check_same_trees(g1.trees(), g3.trees());
  check_same_trees(r1.trees(), r3.trees());
  g1.save(tmp("gb.bin"));
  const auto g_loaded = GradientBoostingClassifier::load(tmp("gb.bin"));
  CHECK(g_loaded.params().class_weight == ClassWeight::balanced());
  CHECK(g_loaded.predict_proba(data.X()).to_vector() == g1.predict_proba(data.X()).to_vector());
  r1.save(tmp("rf.bin"));
  const auto r_loaded = RandomForestClassifier::load(tmp("rf.bin"));
  CHECK(r_loaded.params().class_weight == ClassWeight::of({1.0, 2.0}));
  CHECK(r_loaded.predict_proba(data.X()).to_vector() == r1.predict_proba(data.X()).to_vector());
}

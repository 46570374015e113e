// Trees: the data schema travels with the model (fit on a Dataset, save/load, predict checks),
// classes() and score().
#include <grove/data/csv.hpp>
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

std::string csv(const std::string& name) { return std::string(GROVE_TEST_DATA_DIR) + "/csv/" + name; }
std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/schema_" + name; }

// Two features (a numeric 'size', a categorical 'colour' in {red, green, blue}) and three named
// classes; the class is the colour.
data::Dataset<float> colours(std::size_t n, std::vector<std::string> class_names = {"a", "b", "c"}) {
  data::Dataset<float> ds;
  std::vector<float> x(n * 2), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i * 2] = static_cast<float>(i % 7);
    x[i * 2 + 1] = static_cast<float>(i % 3);
    y[i] = static_cast<float>(i % 3);
  }
  ds.X = Tensor<float>::from_vector(x, Shape{n, 2});
  ds.y = Tensor<float>::from_vector(y, Shape{n});
  ds.feature_names = {"size", "colour"};
  ds.categories = {{}, {"blue", "green", "red"}};
  ds.class_names = std::move(class_names);
  ds.target_name = "kind";
  return ds;
}

}  // namespace

TEST_CASE("schema: fit on a Dataset keeps it, save/load carries it, classes() names the classes") {
  const data::Dataset<float> ds = colours(60);
  RandomForestClassifier m({.n_estimators = 5, .seed = 1});
  m.fit(ds);
  CHECK(m.schema() == ds.schema());
  CHECK(m.classes() == std::vector<std::string>{"a", "b", "c"});
  CHECK(m.score(ds) == 1.0);
  m.save(tmp("rf.bin"));
  const RandomForestClassifier back = RandomForestClassifier::load(tmp("rf.bin"));
  CHECK(back.schema() == ds.schema());
  CHECK(back.schema().features[1].categories == std::vector<std::string>{"blue", "green", "red"});
  CHECK(back.classes() == m.classes());
  CHECK(back.predict(ds).to_vector() == m.predict(ds.X).to_vector());
  // A model fit on bare tensors has no schema and names classes by label.
  GradientBoostingClassifier g({.n_estimators = 3});
  g.fit(ds.X, ds.y);
  CHECK(g.schema().empty());
  CHECK(g.classes() == std::vector<std::string>{"0", "1", "2"});
  CHECK_THROWS_WITH_AS(GradientBoostingClassifier().classes(),
                       "GradientBoostingClassifier.classes: the model is not fitted; call fit first", Error);
  // Files written before schemas existed load with an empty one.
  CHECK(GradientBoostingClassifier::load(std::string(GROVE_TEST_DATA_DIR) + "/trees/v1_gbc.bin").schema().empty());
}

TEST_CASE("schema: predict on a Dataset names the first mismatch") {
  const data::Dataset<float> ds = colours(30);
  GradientBoostingClassifier m({.n_estimators = 3});
  m.fit(ds);
  const std::string hint = " (load the data with the model's schema: load_csv(path, {.schema = model.schema()}))";
  data::Dataset<float> other = ds;
  other.categories[1] = {"blue", "green", "purple"};
  CHECK_THROWS_WITH_AS(m.predict(other),
                       ("GradientBoostingClassifier.predict: feature 'colour' has category 2 = 'purple' in the data "
                        "but 'red' in the model" + hint).c_str(),
                       ValueError);
  other.categories[1] = {"blue", "green"};
  CHECK_THROWS_WITH_AS(m.predict_proba(other),
                       ("GradientBoostingClassifier.predict_proba: feature 'colour' has 2 categories in the data but "
                        "3 in the model" + hint).c_str(),
                       ValueError);
  other = ds;
  other.feature_names = {"weight", "colour"};
  CHECK_THROWS_WITH_AS(m.predict(other),
                       ("GradientBoostingClassifier.predict: feature 0 is 'weight' in the data but 'size' in the "
                        "model" + hint).c_str(),
                       ValueError);
  other = ds;
  other.categories = {};
  CHECK_THROWS_WITH_AS(m.predict(other),
                       ("GradientBoostingClassifier.predict: feature 'colour' is numeric in the data but "
                        "categorical in the model" + hint).c_str(),
                       ValueError);
  other = ds;
  other.class_names = {"a", "c", "b"};
  CHECK_THROWS_WITH_AS(m.predict(other),
                       ("GradientBoostingClassifier.predict: the target has class 1 = 'c' in the data but 'b' in "
                        "the model" + hint).c_str(),
                       ValueError);
  CHECK(m.predict(ds).to_vector() == m.predict(ds.X).to_vector());
  // Validation data must be encoded like the training data.
  data::Dataset<float> val = ds;
  val.feature_names = {"size", "hue"};
  CHECK_THROWS_WITH_AS(m.fit(ds, val),
                       ("GradientBoostingClassifier.fit (validation): feature 1 is 'hue' in the data but 'colour' in "
                        "the model" + hint).c_str(),
                       ValueError);
}

TEST_CASE("schema: the class count comes from the data set's class names (a fold may lack a class)") {
  data::Dataset<float> ds = colours(30, {"a", "b", "c", "d"});  // class 'd' has no rows here
  DecisionTreeClassifier m;
  m.fit(ds);
  CHECK(m.n_classes() == 4);
  CHECK(m.predict_proba(ds.X).shape() == Shape{30, 4});
  CHECK_THROWS_WITH_AS(m.fit(ds, {.n_classes = 5}),
                       "DecisionTreeClassifier.fit: n_classes = 5 but the data set names 4 classes", ValueError);
  RandomForestRegressor r({.n_estimators = 2});
  CHECK_THROWS_WITH_AS(r.fit(ds),
                       "RandomForestRegressor.fit: the target 'kind' holds 4 classes; use a classifier, or load it "
                       "as a numeric target",
                       ValueError);
  data::Dataset<float> no_target = ds;
  no_target.y = Tensor<float>::zeros(Shape{0});
  CHECK_THROWS_WITH_AS(m.fit(no_target), "DecisionTreeClassifier.fit: the data set has no target (load it with .target)",
                       ValueError);
  // set_schema checks the schema against the fitted model.
  data::Schema s = ds.schema();
  s.features.pop_back();
  CHECK_THROWS_WITH_AS(m.set_schema(s), "DecisionTreeClassifier.set_schema: the schema has 1 features, the model 2",
                       ValueError);
}

TEST_CASE("schema: a CSV trained on, saved, and a new CSV read with the model's schema") {
  const auto train = data::load_csv<float>(csv("train.csv"), {.target = "label", .categorical = {"grade"}});
  GradientBoostingClassifier m({.n_estimators = 10, .max_depth = 3, .min_child_weight = 0});
  m.fit(train);
  m.save(tmp("csv_model.bin"));
  const auto model = GradientBoostingClassifier::load(tmp("csv_model.bin"));
  CHECK(model.classes() == train.class_names);
  // The test file has its columns in another order, an extra column and an unseen category;
  // read with the model's schema it is encoded as the training file was.
  const auto test = data::load_csv<float>(csv("test.csv"), {.schema = model.schema()});
  const Tensor<std::int64_t> p = model.predict(test);
  CHECK(p.shape() == Shape{test.size()});
  CHECK(p.to_vector() == model.predict(test.X).to_vector());
  // Read on its own it gets its own codes: predict refuses it.
  const auto own = data::load_csv<float>(csv("test.csv"), {.target = "label", .categorical = {"grade"}});
  CHECK_THROWS_WITH_AS(model.predict(own),
                       "GradientBoostingClassifier.predict: the data has 5 features, the model 4 (load the data with "
                       "the model's schema: load_csv(path, {.schema = model.schema()}))",
                       ValueError);
}

TEST_CASE("score: accuracy for classifiers, R^2 for regressors") {
  const Tensor<float> X = Tensor<float>::from_vector({0, 1, 2, 3, 4, 5, 6, 7}, Shape{8, 1});
  const Tensor<float> y = Tensor<float>::from_vector({0, 0, 0, 0, 1, 1, 1, 1}, Shape{8});
  DecisionTreeClassifier c({.max_depth = 1});
  c.fit(X, y);
  CHECK(c.score(X, y) == 1.0);
  // Three of eight labels flipped: accuracy 5/8.
  const Tensor<float> flipped = Tensor<float>::from_vector({1, 0, 0, 0, 1, 0, 1, 0}, Shape{8});
  CHECK(c.score(X, flipped) == 5.0 / 8.0);
  // A stump on a two-step target: R^2 = 1 - SS_res / SS_tot computed by hand.
  const Tensor<float> t = Tensor<float>::from_vector({1, 1, 1, 1, 3, 3, 3, 4}, Shape{8});
  DecisionTreeRegressor r({.max_depth = 1});
  r.fit(X, t);
  // Leaves: mean(1,1,1,1) = 1 and mean(3,3,3,4) = 3.25; residuals 0 x4, -0.25 x3, 0.75.
  const double ss_res = 3 * 0.0625 + 0.5625, mean = 17.0 / 8, ss_tot = 4 * std::pow(1 - mean, 2) + 3 * std::pow(3 - mean, 2) +
                                                          std::pow(4 - mean, 2);
  CHECK(r.score(X, t) == doctest::Approx(1 - ss_res / ss_tot));
}

// Trees: the params field tables (validation, the model file's named fields, set_param /
// get_params) and loading model files written by earlier versions.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

std::string data_path(const std::string& name) { return std::string(GROVE_TEST_DATA_DIR) + "/trees/" + name; }
std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/params_" + name; }

// Splits a CSV line of hex floats (as written with %a) after a leading name.
std::vector<double> parse_values(const std::string& line, std::string& name) {
  std::stringstream ss(line);
  std::getline(ss, name, ',');
  std::vector<double> out;
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(std::strtod(cell.c_str(), nullptr));
  return out;
}

Tensor<float> fixture_inputs() {
  std::ifstream f(data_path("v1_inputs.csv"));
  std::vector<float> x;
  std::string line;
  std::size_t rows = 0;
  while (std::getline(f, line)) {
    std::string first;
    const std::vector<double> rest = parse_values(line, first);
    x.push_back(static_cast<float>(std::strtod(first.c_str(), nullptr)));
    for (double v : rest) x.push_back(static_cast<float>(v));
    ++rows;
  }
  return Tensor<float>::from_vector(x, Shape{rows, x.size() / rows});
}

std::vector<double> expected(const std::string& name, const std::string& table = "v1_expected.csv") {
  std::ifstream f(data_path(table));
  std::string line, got;
  while (std::getline(f, line)) {
    std::vector<double> v = parse_values(line, got);
    if (got == name) return v;
  }
  FAIL("no expected values for " << name);
  return {};
}

template <class T>
std::vector<double> as_doubles(const Tensor<T>& t) {
  const std::vector<T> v = t.to_vector();
  return std::vector<double>(v.begin(), v.end());
}

// An old file loads, predicts exactly what the model predicted when it was written, and saved
// again (in the current version) loads and predicts the same.
template <class M>
void check_fixture(const std::string& file, const std::string& name, bool classifier,
                   const std::string& table = "v1_expected.csv") {
  CAPTURE(file);
  const Tensor<float> X = fixture_inputs();
  const M m = M::load(data_path(file));
  CHECK(as_doubles(m.predict(X)) == expected(name, table));
  if constexpr (requires { m.predict_proba(X); })
    if (classifier) CHECK(as_doubles(m.predict_proba(X)) == expected(name + "_proba", table));
  m.save(tmp(file));
  const M again = M::load(tmp(file));
  CHECK(as_doubles(again.predict(X)) == expected(name, table));
  CHECK(again.params().n_estimators == m.params().n_estimators);
}

}  // namespace

TEST_CASE("model files of kind version 1 still load and predict as when they were written") {
  check_fixture<GradientBoostingClassifier>("v1_gbc.bin", "gbc", true);
  check_fixture<GradientBoostingClassifier>("v1_gbc_binary.bin", "gbc_binary", true);
  check_fixture<GradientBoostingRegressor>("v1_gbr.bin", "gbr", false);
  check_fixture<RandomForestClassifier>("v1_rfc.bin", "rfc", true);
  check_fixture<RandomForestRegressor>("v1_rfr.bin", "rfr", false);
  check_fixture<DecisionTreeClassifier>("v1_dtc.bin", "dtc", true);
  check_fixture<DecisionTreeRegressor>("v1_dtr.bin", "dtr", false);
  // Their params came back too.
  const auto gbr = GradientBoostingRegressor::load(data_path("v1_gbr.bin"));
  CHECK(gbr.params().loss == Loss::AbsoluteError);
  CHECK(gbr.params().l1 == 0.0);  // a parameter added after the file: its default
  CHECK(gbr.params().max_depth == 3);
  const auto dtc = DecisionTreeClassifier::load(data_path("v1_dtc.bin"));
  CHECK(dtc.params().criterion == Criterion::Entropy);
  CHECK(DecisionTreeRegressor::load(data_path("v1_dtr.bin")).params().criterion == Criterion::SquaredError);
  CHECK(RandomForestClassifier::load(data_path("v1_rfc.bin")).params().oob_score);
}

TEST_CASE("model files of kind version 2 (before node covers) still load and predict as when they were written") {
  const std::string table = "v2_expected.csv";
  check_fixture<GradientBoostingClassifier>("v2_gbc.bin", "gbc", true, table);
  check_fixture<GradientBoostingClassifier>("v2_gbc_binary.bin", "gbc_binary", true, table);
  check_fixture<GradientBoostingRegressor>("v2_gbr.bin", "gbr", false, table);
  check_fixture<RandomForestClassifier>("v2_rfc.bin", "rfc", true, table);
  check_fixture<RandomForestRegressor>("v2_rfr.bin", "rfr", false, table);
  check_fixture<DecisionTreeClassifier>("v2_dtc.bin", "dtc", true, table);
  check_fixture<DecisionTreeRegressor>("v2_dtr.bin", "dtr", false, table);
  // Without covers, they cannot be explained; split counts still work.
  const auto gbr = GradientBoostingRegressor::load(data_path("v2_gbr.bin"));
  CHECK(gbr.params().loss == Loss::AbsoluteError);
  CHECK(gbr.params().l1 == 0.0);  // a parameter added after the file: its default
  CHECK(gbr.trees()[0].cover.empty());
  CHECK_THROWS_WITH_AS(gbr.predict_contributions(fixture_inputs()),
                       "GradientBoostingRegressor.predict_contributions: the model has no node covers (it was loaded "
                       "from a file written before grove stored them, kind version < 3); fit it again to explain its "
                       "predictions",
                       ValueError);
  CHECK_THROWS_WITH_AS(gbr.feature_importances({.type = Importance::Cover}),
                       "GradientBoostingRegressor.feature_importances: cover importance needs node covers, which "
                       "files written before kind version 3 lack; fit the model again",
                       ValueError);
  double splits = 0.0;
  for (double c : gbr.feature_importances({.type = Importance::Split})) splits += c;
  CHECK(splits > 0.0);
}

TEST_CASE("params: one table validates every field with its range") {
  CHECK_THROWS_WITH_AS(GradientBoostingClassifier({.early_stopping_rounds = 2000000}),
                       "GradientBoostingClassifier: early_stopping_rounds must be in [0, 1048576], got 2000000",
                       ValueError);
  CHECK_THROWS_WITH_AS(GradientBoostingClassifier({.loss = Loss::SquaredError}),
                       "GradientBoostingClassifier: loss must be one of log_loss, got squared_error", ValueError);
  CHECK_THROWS_WITH_AS(DecisionTreeClassifier({.n_estimators = 5}),
                       "DecisionTreeClassifier: n_estimators must be in [1, 1], got 5", ValueError);
  CHECK_THROWS_WITH_AS(RandomForestRegressor({.criterion = Criterion::Gini}),
                       "RandomForestRegressor: criterion must be one of squared_error, got gini", ValueError);
  CHECK_THROWS_WITH_AS(RandomForestClassifier({.criterion = Criterion::SquaredError}),
                       "RandomForestClassifier: criterion must be one of gini, entropy, got squared_error", ValueError);
  CHECK_THROWS_WITH_AS(DecisionTreeRegressor({.min_split_gain = std::nan("")}),
                       "DecisionTreeRegressor: min_split_gain must be in [0, inf), got nan", ValueError);
  // The defaults differ by model, as in scikit-learn.
  CHECK(RandomForestClassifierParams{}.max_features == MaxFeatures::sqrt());
  CHECK(RandomForestRegressorParams{}.max_features == MaxFeatures::all());
  CHECK(DecisionTreeClassifierParams{}.n_estimators == 1);
  CHECK_FALSE(DecisionTreeClassifierParams{}.bootstrap);
  CHECK(RandomForestRegressorParams{}.bootstrap);
}

TEST_CASE("set_param / get_params: every parameter by name, as text") {
  GradientBoostingRegressorParams p;
  set_param(p, "max_depth", "3");
  set_param(p, "learning_rate", "0.05");
  set_param(p, "loss", "absolute_error");
  CHECK(p.max_depth == 3);
  CHECK(p.learning_rate == 0.05);
  CHECK(p.loss == Loss::AbsoluteError);
  const auto all = get_params(p);
  REQUIRE(all.size() == 23);
  CHECK(all[0] == std::pair<std::string, std::string>{"n_estimators", "100"});
  CHECK(all[1] == std::pair<std::string, std::string>{"learning_rate", "0.05"});
  CHECK(all[12] == std::pair<std::string, std::string>{"loss", "absolute_error"});
  CHECK(all[13] == std::pair<std::string, std::string>{"categorical_features", ""});
  CHECK(all[17] == std::pair<std::string, std::string>{"min_data_per_category", "10"});
  CHECK(all[18] == std::pair<std::string, std::string>{"l1", "0"});
  CHECK(all[19] == std::pair<std::string, std::string>{"monotone_constraints", ""});
  CHECK(all[20] == std::pair<std::string, std::string>{"quantile", "0.5"});
  CHECK(all[21] == std::pair<std::string, std::string>{"huber_delta", "1"});
  CHECK(all.back() == std::pair<std::string, std::string>{"min_samples_leaf", "0"});
  set_param(p, "l1", "0.5");
  CHECK(p.l1 == 0.5);
  set_param(p, "monotone_constraints", "1,-1,0");
  CHECK(p.monotone_constraints == std::vector<int>{1, -1, 0});
  CHECK(get_params(p)[19].second == "1,-1,0");
  // Text written by get_params reads back to the same params.
  GradientBoostingRegressorParams q;
  for (const auto& [name, value] : all) set_param(q, name, value);
  CHECK(get_params(q) == all);

  RandomForestClassifierParams f;
  set_param(f, "max_features", "log2");
  set_param(f, "criterion", "entropy");
  set_param(f, "bootstrap", "false");
  CHECK(f.max_features == MaxFeatures::log2());
  CHECK(f.criterion == Criterion::Entropy);
  CHECK_FALSE(f.bootstrap);
  set_param(f, "max_features", "0.25");
  CHECK(f.max_features == MaxFeatures::of(0.25));
  CHECK(get_params(f)[7].second == "0.25");

  CHECK_THROWS_WITH_AS(set_param(f, "max_dept", "3"),
                       "set_param: unknown parameter 'max_dept' (known: n_estimators, max_depth, max_bins, seed, "
                       "max_leaves, min_split_gain, min_samples_leaf, max_features, criterion, bootstrap, oob_score, "
                       "categorical_features, max_cat_to_onehot, max_cat_threshold, cat_smooth, min_data_per_category, class_weight)",
                       ValueError);
  CHECK_THROWS_WITH_AS(set_param(f, "max_depth", "3.5"), "set_param: cannot read '3.5' as max_depth", ValueError);
  CHECK_THROWS_WITH_AS(set_param(f, "criterion", "mse"), "set_param: cannot read 'mse' as criterion", ValueError);
}

TEST_CASE("model file params: named fields; a missing field keeps its default, an unknown one is an error") {
  using P = GradientBoostingRegressorParams;
  P p{.n_estimators = 7, .max_depth = 3, .loss = Loss::AbsoluteError};
  io::BinaryWriter w;
  detail::write_fields(w, p, detail::kBoostingFields<P>);
  {
    io::BinaryReader r(io::BinaryWriter(w).finish("x", 1), "mem", "x", 1);
    P back;
    detail::read_fields(r, back, detail::kBoostingFields<P>);
    r.expect_end();
    CHECK(detail::fields_text(back, detail::kBoostingFields<P>) == detail::fields_text(p, detail::kBoostingFields<P>));
  }
  // A file written before a field existed: only two fields stored.
  constexpr auto kOld = std::tuple{detail::param_field("n_estimators", &P::n_estimators),
                                   detail::param_field("max_depth", &P::max_depth)};
  io::BinaryWriter old;
  detail::write_fields(old, p, kOld);
  {
    io::BinaryReader r(old.finish("x", 1), "mem", "x", 1);
    P back;
    detail::read_fields(r, back, detail::kBoostingFields<P>);
    CHECK(back.n_estimators == 7);
    CHECK(back.max_depth == 3);
    CHECK(back.loss == Loss::SquaredError);  // not stored: the default
  }
  // A file from a newer grove names a field this build does not know.
  struct Newer {
    std::size_t n_estimators = 1;
    double shiny = 2.0;
  };
  io::BinaryWriter newer;
  detail::write_fields(newer, Newer{}, std::tuple{detail::param_field("shiny", &Newer::shiny)});
  io::BinaryReader r(newer.finish("x", 1), "mem", "x", 1);
  P back;
  CHECK_THROWS_WITH_AS(detail::read_fields(r, back, detail::kBoostingFields<P>),
                       "load: 'mem' at byte 58: unknown parameter 'shiny' (written by a newer grove?)", FormatError);
}

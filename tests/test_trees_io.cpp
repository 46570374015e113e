// Trees: save/load round trips, damaged and crafted files, determinism across thread counts.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

struct Data {
  Tensor<float> X;
  Tensor<float> y;
};

// Features with ~10 % missing values; label from a nonlinear score.
Data make_data(std::size_t n, std::size_t d, std::uint64_t seed, std::size_t classes = 2, bool regression = false) {
  Rng rng(seed);
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f)
      x[i * d + f] = rng.uniform() < 0.1 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(rng.normal());
    const double a = std::isnan(x[i * d]) ? 1.0 : x[i * d];
    const double b = std::isnan(x[i * d + 1]) ? 0.0 : x[i * d + 1];
    const double s = a - b * 0.5 + 0.3 * rng.normal();
    if (regression)
      y[i] = static_cast<float>(s);
    else
      y[i] = static_cast<float>(std::min<std::size_t>(classes - 1, static_cast<std::size_t>(std::max(0.0, s + 1.0))));
  }
  return {Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(y, Shape{n})};
}

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/trees_" + name; }

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void write_bytes(const std::string& path, const std::vector<char>& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(b.data(), static_cast<std::streamsize>(b.size()));
}

template <class M>
void check_round_trip(const M& m, const Tensor<float>& X, const std::string& file) {
  const std::string path = tmp(file);
  m.save(path);
  const M back = M::load(path);
  CHECK(back.predict(X).to_vector() == m.predict(X).to_vector());
  CHECK(back.feature_importances() == m.feature_importances());
  CHECK(back.trees().size() == m.trees().size());
  const std::span<const float> row(X.data(), X.shape(1));
  CHECK(back.predict_row(row) == m.predict_row(row));
  // Saving the loaded model gives the same bytes.
  back.save(path + ".again");
  CHECK(read_bytes(path) == read_bytes(path + ".again"));
}

}  // namespace

TEST_CASE("save/load: every model predicts bitwise the same after a reload") {
  const Data c = make_data(800, 5, 1, 3), r = make_data(800, 5, 2, 2, true);
  GradientBoostingClassifier gbc({.n_estimators = 15, .max_depth = 4, .subsample = 0.8, .colsample = 0.8});
  gbc.fit(c.X, c.y);
  check_round_trip(gbc, c.X, "gbc.bin");
  const GradientBoostingClassifier gbc2 = GradientBoostingClassifier::load(tmp("gbc.bin"));
  CHECK(gbc2.predict_proba(c.X).to_vector() == gbc.predict_proba(c.X).to_vector());
  CHECK(gbc2.n_classes() == 3);
  CHECK(gbc2.params().subsample == 0.8);

  GradientBoostingRegressor gbr({.n_estimators = 15, .loss = Loss::AbsoluteError});
  gbr.fit(r.X, r.y);
  check_round_trip(gbr, r.X, "gbr.bin");
  CHECK(GradientBoostingRegressor::load(tmp("gbr.bin")).params().loss == Loss::AbsoluteError);

  RandomForestClassifier rfc({.n_estimators = 8, .oob_score = true});
  rfc.fit(c.X, c.y);
  check_round_trip(rfc, c.X, "rfc.bin");
  CHECK(RandomForestClassifier::load(tmp("rfc.bin")).oob_score() == rfc.oob_score());
  CHECK(RandomForestClassifier::load(tmp("rfc.bin")).predict_proba(c.X).to_vector() == rfc.predict_proba(c.X).to_vector());

  RandomForestRegressor rfr({.n_estimators = 8, .max_depth = 6});
  rfr.fit(r.X, r.y);
  check_round_trip(rfr, r.X, "rfr.bin");

  DecisionTreeClassifier dtc({.criterion = Criterion::Entropy});
  dtc.fit(c.X, c.y);
  check_round_trip(dtc, c.X, "dtc.bin");
  DecisionTreeRegressor dtr({.max_leaves = 20});
  dtr.fit(r.X, r.y);
  check_round_trip(dtr, r.X, "dtr.bin");
  CHECK(DecisionTreeRegressor::load(tmp("dtr.bin")).params().max_leaves == 20);
}

TEST_CASE("load: other kinds, truncation, corruption and missing files are FormatErrors") {
  const Data c = make_data(300, 3, 3);
  GradientBoostingClassifier m({.n_estimators = 5});
  m.fit(c.X, c.y);
  const std::string path = tmp("good.bin");
  m.save(path);
  CHECK_THROWS_WITH_AS(GradientBoostingRegressor::load(path),
                       ("load: '" + path + "' at byte 66: file holds a 'grove.trees.GradientBoostingClassifier', "
                        "expected a 'grove.trees.GradientBoostingRegressor'").c_str(),
                       FormatError);
  CHECK_THROWS_AS(RandomForestClassifier::load(path), FormatError);

  const std::vector<char> good = read_bytes(path);
  std::vector<char> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  write_bytes(tmp("cut.bin"), cut);
  CHECK_THROWS_AS(GradientBoostingClassifier::load(tmp("cut.bin")), FormatError);
  for (std::size_t pos : {std::size_t{70}, good.size() / 2, good.size() - 20}) {
    std::vector<char> bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
    write_bytes(tmp("flip.bin"), bad);
    CHECK_THROWS_AS(GradientBoostingClassifier::load(tmp("flip.bin")), FormatError);
  }
  CHECK_THROWS_WITH_AS(GradientBoostingClassifier::load(tmp("does_not_exist.bin")),
                       ("load: cannot open '" + tmp("does_not_exist.bin") + "'").c_str(), FormatError);
}

TEST_CASE("load: a well-formed file with bad indices is rejected before use") {
  // Valid container and checksum around a forest whose tree points outside its node array or
  // splits on a feature the model does not have.
  auto craft = [](std::int32_t right, std::uint32_t feature) {
    io::BinaryWriter w;
    const DecisionTreeRegressorParams params;
    detail::write_fields(w, params, detail::kForestFields<DecisionTreeRegressorParams>);
    data::write_schema(w, data::Schema{});
    w.write<std::uint64_t>(2);  // features
    w.write<std::uint64_t>(0);  // regression
    w.write_vector(std::vector<double>{0.5, 0.5});
    w.write<double>(0.0);
    Tree t;
    t.add_leaf();
    t.add_leaf();
    t.add_leaf();
    t.nodes[0] = TreeNode{feature, 0.5f, 1, right};
    w.write<std::uint64_t>(1);
    w.write<std::uint64_t>(1);
    w.write_vector(t.nodes);
    w.write_vector(t.values);
    w.write_vector(t.categories);
    const std::string path = tmp("crafted.bin");
    w.save(path, "grove.trees.DecisionTreeRegressor", 2);
    return path;
  };
  CHECK_NOTHROW(DecisionTreeRegressor::load(craft(2, 1)));
  const std::string bad_child = craft(7, 0);
  CHECK_THROWS_WITH_AS(DecisionTreeRegressor::load(bad_child),
                       ("load: '" + bad_child + "' at byte 805: tree 0: node 0 has children 1, 7 (valid: 1..2)").c_str(),
                       FormatError);
  CHECK_THROWS_AS(DecisionTreeRegressor::load(craft(0, 0)), FormatError);  // a cycle back to the root
  const std::string bad_feature = craft(2, 5);
  CHECK_THROWS_WITH_AS(DecisionTreeRegressor::load(bad_feature),
                       ("load: '" + bad_feature + "' at byte 805: tree 0: node 0 splits on feature 5 of 2").c_str(),
                       FormatError);
}

TEST_CASE("determinism: the same seed gives bitwise-identical models on 1 and 2 threads") {
  const Data c = make_data(40000, 6, 5, 3), b = make_data(40000, 6, 6);
  auto fit_save = [&](std::size_t threads, const std::string& tag) {
    ThreadCountGuard guard(threads);
    GradientBoostingClassifier gb({.n_estimators = 6, .max_depth = 5, .subsample = 0.8, .colsample = 0.7, .seed = 3});
    gb.fit(c.X, c.y);
    gb.save(tmp("det_gb_" + tag));
    GradientBoostingClassifier lw({.n_estimators = 4, .max_depth = 0, .max_leaves = 16});
    lw.fit(b.X, b.y);
    lw.save(tmp("det_lw_" + tag));
    RandomForestClassifier rf({.n_estimators = 6, .max_depth = 10, .seed = 9, .oob_score = true});
    rf.fit(c.X, c.y);
    rf.save(tmp("det_rf_" + tag));
  };
  fit_save(1, "1");
  fit_save(2, "2");
  for (const char* kind : {"det_gb_", "det_lw_", "det_rf_"}) {
    CAPTURE(kind);
    const auto one = read_bytes(tmp(std::string(kind) + "1")), two = read_bytes(tmp(std::string(kind) + "2"));
    CHECK(one.size() > 100);
    CHECK(one == two);
  }
}

// grove::serving: any model file behind serving::Model (each tree kind, networks, extra kinds),
// the model-file header reader, RowEncoder (numbers, texts, categories, missing and unseen
// values) and the network file format (round trip, spec checks, corrupt files).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "grove/io/model_file.hpp"
#include "grove/nn/linear.hpp"
#include "grove/nn/serialize.hpp"
#include "grove/serving.hpp"
#include "grove/tensor.hpp"
#include "grove/trees.hpp"

#include "test_serve_fixtures.hpp"

using grove::Tensor;
using grove::serving::Model;
using grove::serving::RowEncoder;
using grove::serving::Task;
namespace fs = std::filesystem;

namespace {

fs::path dir() { return serve_test::tmp_dir("serve_model"); }

std::string error_of(const auto& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

/// Checks a loaded classifier against the model it was saved from: batch and single-row
/// predictions and probabilities, bitwise.
template <class M>
void check_classifier(const M& original, const Model& loaded, const Tensor<float>& X) {
  const std::size_t n = X.shape()[0], d = X.shape()[1], k = original.n_classes();
  REQUIRE(loaded.task() == Task::Classification);
  REQUIRE(loaded.n_classes() == k);
  REQUIRE(loaded.n_features() == d);
  const Tensor<std::int64_t> want = original.predict(X);
  const Tensor<float> want_p = original.predict_proba(X);
  std::vector<double> got(n);
  std::vector<float> got_p(n * k);
  loaded.predict(std::span<const float>(X.data(), n * d), got);
  loaded.predict_proba(std::span<const float>(X.data(), n * d), got_p);
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(got[i] == static_cast<double>(want.data()[i]));
    double one = 0;
    std::vector<float> row_p(k);
    loaded.predict(std::span<const float>(X.data() + i * d, d), std::span<double>(&one, 1));
    loaded.predict_proba(std::span<const float>(X.data() + i * d, d), row_p);
    CHECK(one == static_cast<double>(want.data()[i]));
    for (std::size_t c = 0; c < k; ++c) {
      CHECK(got_p[i * k + c] == want_p.data()[i * k + c]);
      CHECK(row_p[c] == doctest::Approx(want_p.data()[i * k + c]).epsilon(1e-6));
    }
  }
}

template <class M>
void check_regressor(const M& original, const Model& loaded, const Tensor<float>& X) {
  const std::size_t n = X.shape()[0], d = X.shape()[1];
  REQUIRE(loaded.task() == Task::Regression);
  REQUIRE(loaded.n_classes() == 0);
  const Tensor<float> want = original.predict(X);
  std::vector<double> got(n);
  loaded.predict(std::span<const float>(X.data(), n * d), got);
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(got[i] == static_cast<double>(want.data()[i]));
    double one = 0;
    loaded.predict(std::span<const float>(X.data() + i * d, d), std::span<double>(&one, 1));
    CHECK(one == doctest::Approx(want.data()[i]).epsilon(1e-6));
  }
}

}  // namespace

TEST_CASE("read_model_header names the kind, and rejects what is not a grove model") {
  const fs::path p = dir() / "header.grove";
  serve_test::flower_boosting().save(p.string());
  const grove::io::ModelFileHeader h = grove::io::read_model_header(p.string());
  CHECK(h.kind == "grove.trees.GradientBoostingClassifier");
  CHECK(h.kind_version == grove::io::BinaryReader::open(p.string(), h.kind, 1000).kind_version());
  CHECK(h.kind_version >= 1);
  CHECK(h.payload_bytes + 8 + 8 + 4 + 4 + h.kind.size() + 4 + 8 == fs::file_size(p));

  const fs::path missing = dir() / "no-such-file.grove";
  CHECK(error_of([&] { grove::io::read_model_header(missing.string()); }) ==
        "read_model_header: '" + missing.string() + "': cannot open: No such file or directory");
  const fs::path text = dir() / "text.grove";
  serve_test::write_bytes(text, "species,length\nsetosa,1\n");
  CHECK(error_of([&] { grove::io::read_model_header(text.string()); }) ==
        "read_model_header: '" + text.string() + "': not a grove model file (bad magic)");
  const fs::path cut = dir() / "cut.grove";
  serve_test::write_bytes(cut, serve_test::read_bytes(p).substr(0, 20));
  CHECK(error_of([&] { grove::io::read_model_header(cut.string()); }) ==
        "read_model_header: '" + cut.string() + "': truncated header (kind)");
  std::string v2 = serve_test::read_bytes(p);
  v2[8] = 2;
  serve_test::write_bytes(cut, v2);
  CHECK(error_of([&] { grove::io::read_model_header(cut.string()); }) ==
        "read_model_header: '" + cut.string() + "': unsupported format version 2 (this build reads 1)");
  CHECK_THROWS_AS(grove::io::read_model_header(cut.string()), grove::FormatError);
}

TEST_CASE("load_model serves every tree kind with the model's own predictions") {
  const auto [X, y] = serve_test::flower_data(200, 5);
  const auto [Xt, yt] = serve_test::flower_data(40, 6);
  Tensor<float> yr = X.slice(1, 0, 1).reshape(grove::Shape{200}) * 2.0f + y;

  SUBCASE("gradient boosting") {
    grove::trees::GradientBoostingClassifier c({.n_estimators = 15, .max_depth = 3});
    c.fit(X, y);
    c.save((dir() / "gbc.grove").string());
    const auto m = grove::serving::load_model((dir() / "gbc.grove").string());
    CHECK(m->kind() == "grove.trees.GradientBoostingClassifier");
    check_classifier(c, *m, Xt);
    grove::trees::GradientBoostingRegressor r({.n_estimators = 15, .max_depth = 3});
    r.fit(X, yr);
    r.save((dir() / "gbr.grove").string());
    const auto mr = grove::serving::load_model((dir() / "gbr.grove").string());
    CHECK(mr->kind() == "grove.trees.GradientBoostingRegressor");
    check_regressor(r, *mr, Xt);
  }
  SUBCASE("random forest") {
    grove::trees::RandomForestClassifier c({.n_estimators = 8, .max_depth = 5});
    c.fit(X, y);
    c.save((dir() / "rfc.grove").string());
    const auto m = grove::serving::load_model((dir() / "rfc.grove").string());
    CHECK(m->kind() == "grove.trees.RandomForestClassifier");
    check_classifier(c, *m, Xt);
    grove::trees::RandomForestRegressor r({.n_estimators = 8, .max_depth = 5});
    r.fit(X, yr);
    r.save((dir() / "rfr.grove").string());
    const auto mr = grove::serving::load_model((dir() / "rfr.grove").string());
    CHECK(mr->kind() == "grove.trees.RandomForestRegressor");
    check_regressor(r, *mr, Xt);
  }
  SUBCASE("decision tree") {
    grove::trees::DecisionTreeClassifier c({.max_depth = 4});
    c.fit(X, y);
    c.save((dir() / "dtc.grove").string());
    const auto m = grove::serving::load_model((dir() / "dtc.grove").string());
    CHECK(m->kind() == "grove.trees.DecisionTreeClassifier");
    check_classifier(c, *m, Xt);
    grove::trees::DecisionTreeRegressor r({.max_depth = 4});
    r.fit(X, yr);
    r.save((dir() / "dtr.grove").string());
    const auto mr = grove::serving::load_model((dir() / "dtr.grove").string());
    CHECK(mr->kind() == "grove.trees.DecisionTreeRegressor");
    check_regressor(r, *mr, Xt);
  }
}

TEST_CASE("a model file without a schema gets numeric features named 0, 1, ... and no class names") {
  serve_test::flower_boosting().save((dir() / "plain.grove").string());
  const auto m = grove::serving::load_model((dir() / "plain.grove").string());
  if (m->has_file_schema()) return;  // tree files carry their schema once the trees module writes it
  CHECK(m->schema().feature_names() == std::vector<std::string>{"0", "1", "2"});
  CHECK(m->schema().categorical_features().empty());
  CHECK(m->schema().class_names.empty());
  CHECK(m->schema().target_kind == grove::data::TargetKind::Categorical);
}

TEST_CASE("load_model: unknown kinds, corrupt files and extra kinds") {
  const fs::path nn_file = dir() / "module.grove";
  grove::Rng rng(1);
  grove::nn::Linear<float> lin(3, 2, rng);
  grove::nn::save(lin, nn_file.string());
  const std::string msg = error_of([&] { grove::serving::load_model(nn_file.string()); });
  CHECK(msg.rfind("load_model: '" + nn_file.string() +
                      "' holds a 'grove.nn.Module', which this program cannot load (it loads "
                      "grove.trees.GradientBoostingClassifier, grove.trees.GradientBoostingRegressor, ",
                  0) == 0);
  CHECK(msg.find("grove.serving.Network)") != std::string::npos);
  CHECK_THROWS_AS(grove::serving::load_model(nn_file.string()), grove::FormatError);

  // A flipped payload byte: the kind's own load reports the checksum.
  const fs::path good = dir() / "good.grove", bad = dir() / "flipped.grove";
  serve_test::flower_boosting().save(good.string());
  std::string bytes = serve_test::read_bytes(good);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  serve_test::write_bytes(bad, bytes);
  CHECK(error_of([&] { grove::serving::load_model(bad.string()); }).find("checksum mismatch: the file is corrupted") !=
        std::string::npos);

  // An extra kind is tried before the built-in ones and its loader is used.
  struct Constant final : Model {
    Constant() : Model("test.Constant", Task::Regression, 2, 0, {}) {}
    void do_predict(const float*, std::size_t n, double* out) const override {
      for (std::size_t i = 0; i < n; ++i) out[i] = 7.5;
    }
    void do_predict_proba(const float*, std::size_t, float*) const override {}
  };
  grove::io::BinaryWriter w;
  w.write<std::uint64_t>(0);
  w.save((dir() / "constant.grove").string(), "test.Constant", 1);
  const std::vector<grove::serving::ModelKind> extra = {
      {"test.Constant", [](const std::string&) -> std::shared_ptr<const Model> { return std::make_shared<Constant>(); }}};
  const auto m = grove::serving::load_model((dir() / "constant.grove").string(), extra);
  std::vector<double> out(2);
  const std::vector<float> X = {1, 2, 3, 4};
  m->predict(X, out);
  CHECK(out == std::vector<double>{7.5, 7.5});
  CHECK(error_of([&] { grove::serving::load_model((dir() / "constant.grove").string()); })
            .find("holds a 'test.Constant', which this program cannot load") != std::string::npos);
}

TEST_CASE("Model checks sizes, and a regressor has no probabilities") {
  serve_test::flower_boosting().save((dir() / "sizes.grove").string());
  const auto m = grove::serving::load_model((dir() / "sizes.grove").string());
  std::vector<float> X(5, 1.0f);
  std::vector<double> out(2);
  CHECK(error_of([&] { m->predict(X, out); }) ==
        "Model.predict (grove.trees.GradientBoostingClassifier): X has 5 values, expected 6");
  std::vector<float> proba(4);
  CHECK(error_of([&] { m->predict_proba(std::span<const float>(X.data(), 3), proba); }) ==
        "Model.predict_proba (grove.trees.GradientBoostingClassifier): out has 4 values, expected 3");
  std::vector<double> none;
  CHECK_NOTHROW(m->predict(std::span<const float>(), none));

  const auto [Xr, y] = serve_test::flower_data(100, 2);
  grove::trees::DecisionTreeRegressor r({.max_depth = 3});
  r.fit(Xr, y);
  r.save((dir() / "reg.grove").string());
  const auto mr = grove::serving::load_model((dir() / "reg.grove").string());
  CHECK(error_of([&] { mr->predict_proba(std::span<const float>(X.data(), 3), std::span<float>(proba.data(), 1)); }) ==
        "Model.predict_proba (grove.trees.DecisionTreeRegressor): a regressor has no class probabilities");
  CHECK_THROWS_AS(mr->predict_proba(std::span<const float>(X.data(), 3), std::span<float>(proba.data(), 1)),
                  grove::ValueError);
}

TEST_CASE("a file schema must fit the model") {
  struct WithSchema final : Model {
    explicit WithSchema(grove::data::Schema s) : Model("test.WithSchema", Task::Classification, 3, 3, std::move(s)) {}
    void do_predict(const float*, std::size_t, double*) const override {}
    void do_predict_proba(const float*, std::size_t, float*) const override {}
  };
  CHECK_NOTHROW(WithSchema(serve_test::flower_schema()));
  grove::data::Schema two = serve_test::flower_schema();
  two.features.pop_back();
  CHECK(error_of([&] { WithSchema{two}; }) == "load_model: the test.WithSchema's schema lists 2 features, the model takes 3");
  grove::data::Schema classes = serve_test::flower_schema();
  classes.class_names.push_back("extra");
  CHECK(error_of([&] { WithSchema{classes}; }) == "load_model: the test.WithSchema's schema names 4 classes, the model has 3");
  CHECK_THROWS_AS(WithSchema{two}, grove::FormatError);
}

TEST_CASE("RowEncoder: numbers, texts, categories, missing and unseen values") {
  const RowEncoder enc(serve_test::flower_schema());
  CHECK(enc.n_features() == 3);
  CHECK(enc.find("width") == 1);
  CHECK(enc.find("colour") == 2);
  CHECK(enc.find("species") == RowEncoder::npos);
  CHECK(enc.find("Width") == RowEncoder::npos);
  CHECK(enc.is_target("species"));
  CHECK_FALSE(enc.is_target("length"));

  CHECK(enc.number(0, 2.5) == 2.5f);
  CHECK(enc.text(0, " 2.5 ") == 2.5f);
  CHECK(enc.text(0, "+3") == 3.0f);
  CHECK(enc.text(0, "-1e2") == -100.0f);
  CHECK(std::isinf(enc.text(0, "1e400")));
  CHECK(enc.text(0, "1e-400") == 0.0f);
  CHECK(std::isnan(enc.text(0, "")));
  CHECK(std::isnan(enc.text(0, "NA")));
  CHECK(std::isnan(enc.text(0, " null ")));
  CHECK(std::isnan(enc.text(0, "nan")));
  CHECK(std::isnan(RowEncoder::missing()));
  CHECK(error_of([&] { enc.text(0, "abc"); }) == "feature 'length' expects a number, got 'abc'");
  CHECK(error_of([&] { enc.text(1, "1.5cm"); }) == "feature 'width' expects a number, got '1.5cm'");
  CHECK(error_of([&] { enc.text(1, std::string(100, 'x')); }) ==
        "feature 'width' expects a number, got '" + std::string(60, 'x') + "...'");
  CHECK(error_of([&] { enc.boolean(0, true); }) == "feature 'length' expects a number, got true");
  CHECK(error_of([&] { enc.boolean(2, false); }) == "feature 'colour' expects a category, got false");
  CHECK_THROWS_AS(enc.text(0, "abc"), grove::ValueError);

  CHECK(enc.text(2, "blue") == 0.0f);
  CHECK(enc.text(2, "red") == 2.0f);
  CHECK(std::isnan(enc.text(2, "NA")));
  CHECK(std::isnan(enc.text(2, "purple")));  // unseen: missing by default, as load_csv with a schema
  CHECK(std::isnan(enc.text(2, "Red")));

  const RowEncoder strict(serve_test::flower_schema(), {.unseen_category = grove::data::UnseenCategory::Error});
  CHECK(strict.text(2, "green") == 1.0f);
  CHECK(error_of([&] { strict.text(2, "purple"); }) ==
        "feature 'colour' has no category 'purple' (known: 'blue', 'green', 'red')");
  CHECK(std::isnan(strict.text(2, "")));

  // Numbers for a categorical feature are looked up by their text: "3", "2.5".
  grove::data::Schema coded;
  coded.features = {{"zip", grove::data::ColumnKind::Categorical, {"10", "2.5", "75001"}}};
  const RowEncoder zip(coded, {.unseen_category = grove::data::UnseenCategory::Error});
  CHECK(zip.number(0, 75001) == 2.0f);
  CHECK(zip.number(0, 2.5) == 1.0f);
  CHECK(zip.text(0, "10") == 0.0f);
  CHECK(std::isnan(zip.number(0, std::numeric_limits<double>::quiet_NaN())));
  CHECK(error_of([&] { zip.number(0, 11); }) == "feature 'zip' has no category '11' (known: '10', '2.5', '75001')");

  grove::data::Schema many;
  many.features = {{"c", grove::data::ColumnKind::Categorical, {}}};
  for (int i = 0; i < 12; ++i) many.features[0].categories.push_back("k" + std::to_string(i));
  const RowEncoder big(many, {.unseen_category = grove::data::UnseenCategory::Error});
  CHECK(error_of([&] { big.text(0, "z"); }) ==
        "feature 'c' has no category 'z' (known: 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', ... (12 in "
        "all))");
}

TEST_CASE("a network saved with its architecture loads and predicts as the module does") {
  const grove::serving::NetworkSpec spec = serve_test::flower_network_spec();
  CHECK(spec.n_inputs() == 5);
  grove::Rng rng(11);
  grove::nn::Sequential<float> net = grove::serving::make_network(spec, rng);
  const fs::path p = dir() / "net.grove";
  grove::serving::save_network(p.string(), spec, net);
  CHECK(grove::io::read_model_header(p.string()).kind == "grove.serving.Network");
  const auto m = grove::serving::load_model(p.string());
  CHECK(m->kind() == "grove.serving.Network");
  CHECK(m->has_file_schema());
  CHECK(m->schema() == spec.schema);
  CHECK(m->n_classes() == 3);

  // Rows: (length, width, colour code); NaN colour leaves the one-hot block zero, NaN length
  // becomes 0 after standardisation.
  const std::vector<float> X = {1.0f, 2.0f, 0.0f, 4.0f, 0.5f, 2.0f, 5.0f, 1.0f, std::nanf(""), std::nanf(""), 1.0f, 1.0f};
  std::vector<float> inputs = {(1 - 3) * 0.5f, 2 - 1.5f, 1, 0, 0, (4 - 3) * 0.5f, 0.5f - 1.5f, 0, 0, 1,
                               (5 - 3) * 0.5f, 1 - 1.5f, 0, 0, 0, 0, 1 - 1.5f, 0, 1, 0};
  grove::NoGradGuard no_grad;
  const Tensor<float> logits = net.forward(Tensor<float>::from_vector(inputs, grove::Shape{4, 5}));
  std::vector<double> pred(4);
  std::vector<float> proba(12);
  m->predict(X, pred);
  m->predict_proba(X, proba);
  for (std::size_t i = 0; i < 4; ++i) {
    const float* l = logits.data() + i * 3;
    const double mx = std::max({l[0], l[1], l[2]});
    const double z = std::exp(l[0] - mx) + std::exp(l[1] - mx) + std::exp(l[2] - mx);
    std::size_t best = 0;
    for (std::size_t c = 0; c < 3; ++c) {
      CHECK(proba[i * 3 + c] == doctest::Approx(std::exp(l[c] - mx) / z).epsilon(1e-6));
      if (l[c] > l[best]) best = c;
    }
    CHECK(pred[i] == static_cast<double>(best));
    double one = 0;
    m->predict(std::span<const float>(X.data() + i * 3, 3), std::span<double>(&one, 1));
    CHECK(one == pred[i]);
  }
}

TEST_CASE("a network regressor applies the target scale") {
  grove::serving::NetworkSpec spec;
  spec.schema.features = {{"a", grove::data::ColumnKind::Numeric, {}}, {"b", grove::data::ColumnKind::Numeric, {}}};
  spec.schema.target = "price";
  spec.schema.target_kind = grove::data::TargetKind::Numeric;
  spec.task = Task::Regression;
  spec.hidden = {4};
  spec.activations = {grove::serving::Activation::GELU};
  spec.target_mean = 100.0f;
  spec.target_std = 20.0f;
  grove::Rng rng(3);
  grove::nn::Sequential<float> net = grove::serving::make_network(spec, rng);
  grove::serving::save_network((dir() / "netreg.grove").string(), spec, net);
  const auto m = grove::serving::load_model((dir() / "netreg.grove").string());
  CHECK(m->task() == Task::Regression);
  const std::vector<float> X = {0.5f, -1.0f};
  grove::NoGradGuard no_grad;
  const float out = net.forward(Tensor<float>::from_vector(X, grove::Shape{1, 2})).data()[0];
  std::vector<double> pred(1);
  m->predict(X, pred);
  CHECK(pred[0] == doctest::Approx(out * 20.0 + 100.0).epsilon(1e-6));
}

TEST_CASE("NetworkSpec and save_network reject inconsistent architectures") {
  grove::serving::NetworkSpec spec = serve_test::flower_network_spec();
  grove::Rng rng(1);
  auto bad = [&](auto change) {
    grove::serving::NetworkSpec s = serve_test::flower_network_spec();
    change(s);
    return error_of([&] { grove::serving::check_network_spec(s); });
  };
  CHECK(bad([](auto& s) { s.schema.features.clear(); }) == "NetworkSpec: the schema lists no features");
  CHECK(bad([](auto& s) { s.n_classes = 1; }) == "NetworkSpec: a classifier needs 2..65536 classes, got 1");
  CHECK(bad([](auto& s) { s.n_classes = 4; }) == "NetworkSpec: the schema names 3 classes, n_classes is 4");
  CHECK(bad([](auto& s) { s.task = Task::Regression; }) == "NetworkSpec: a regressor has n_classes 0, got 3");
  CHECK(bad([](auto& s) { s.input_mean.pop_back(); }) ==
        "NetworkSpec: input_mean has 4 values and input_inv_std 5, the network has 5 inputs");
  CHECK(bad([](auto& s) { s.one_hot = false; }) ==
        "NetworkSpec: input_mean has 5 values and input_inv_std 5, the network has 3 inputs");
  CHECK(bad([](auto& s) { s.activations.pop_back(); }) == "NetworkSpec: 2 hidden layers but 1 activations");
  CHECK(bad([](auto& s) { s.hidden[0] = 0; }) == "NetworkSpec: hidden width 0 is out of range");
  CHECK(bad([](auto& s) { s.target_std = std::numeric_limits<float>::infinity(); }) ==
        "NetworkSpec: target_mean and target_std must be finite");
  CHECK_THROWS_AS(grove::serving::make_network(grove::serving::NetworkSpec{}, rng), grove::ValueError);

  // A module of another architecture cannot be saved under this spec.
  grove::nn::Sequential<float> other{grove::nn::Linear<float>(5, 3, rng)};
  CHECK(error_of([&] { grove::serving::save_network((dir() / "x.grove").string(), spec, other); }) ==
        "save_network: the module's parameters do not match the spec's architecture (build it with make_network)");
}

TEST_CASE("a corrupt or inconsistent network file is a FormatError, never a crash") {
  const fs::path p = dir() / "net_ok.grove";
  serve_test::write_flower_network(p);
  const std::string bytes = serve_test::read_bytes(p);
  // Every truncation is rejected (the container's size check or the payload reader).
  for (std::size_t cut : {std::size_t{10}, std::size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
    serve_test::write_bytes(dir() / "net_cut.grove", bytes.substr(0, cut));
    CHECK_THROWS_AS(grove::serving::load_model((dir() / "net_cut.grove").string()), grove::FormatError);
  }
  // A consistent container whose spec lies (hidden width 0) fails the spec check.
  grove::io::BinaryWriter w;
  grove::serving::NetworkSpec spec = serve_test::flower_network_spec();
  grove::data::write_schema(w, spec.schema);
  w.write<std::uint8_t>(0);
  w.write<std::uint64_t>(3);
  w.write<std::uint8_t>(1);
  w.write_vector(spec.input_mean);
  w.write_vector(spec.input_inv_std);
  w.write_vector(std::vector<std::uint64_t>{0, 6});
  w.write_vector(std::vector<std::uint8_t>{1, 2});
  w.write<float>(0.0f);
  w.write<float>(1.0f);
  w.save((dir() / "net_lie.grove").string(), "grove.serving.Network", 1);
  const std::string msg = error_of([&] { grove::serving::load_model((dir() / "net_lie.grove").string()); });
  CHECK(msg.find("network: hidden width 0 is out of range") != std::string::npos);
  CHECK(msg.rfind("load: '", 0) == 0);
}

TEST_CASE("a tree model's schema travels with its file into serving::Model") {
  grove::trees::GradientBoostingClassifier gb = serve_test::flower_boosting();
  // Written against the trees module's schema accessors; until a tree model keeps a schema this
  // case only notes it (load_model then names the features "0", "1", ...).
  [](auto& m) {
    if constexpr (requires { m.set_schema(serve_test::flower_schema()); }) {
      m.set_schema(serve_test::flower_schema());
      const fs::path p = dir() / "gb_schema.grove";
      m.save(p.string());
      const auto s = grove::serving::load_model(p.string());
      CHECK(s->has_file_schema());
      CHECK(s->schema() == serve_test::flower_schema());
      const RowEncoder enc(s->schema());
      CHECK(enc.text(2, "green") == 1.0f);
    } else {
      MESSAGE("tree models keep no schema in this build");
    }
  }(gb);
}

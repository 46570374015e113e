// Tests for MlpClassifier / MlpRegressor as estimators and for AnyEstimator, including both in
// cross_validate and grid_search.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "grove/core/parallel.hpp"
#include "grove/core/rng.hpp"
#include "grove/diagnostics/learning_curve.hpp"
#include "grove/metrics.hpp"
#include "grove/model_selection.hpp"
#include "grove/tensor.hpp"
#include "grove/trees.hpp"

using namespace grove;
using namespace grove::model_selection;

namespace {

// Three well-separated Gaussian blobs in 2-D (plus one constant and one NaN-bearing column).
struct Blobs {
  Tensor<float> X, y;
};
Blobs make_blobs(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(n * 4), y(n);
  const double cx[3] = {-3, 0, 3}, cy[3] = {0, 3, 0};
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % 3;
    x[i * 4] = static_cast<float>(cx[c] + rng.normal() * 0.5);
    x[i * 4 + 1] = static_cast<float>(cy[c] + rng.normal() * 0.5);
    x[i * 4 + 2] = 1.0f;
    x[i * 4 + 3] = i % 7 == 0 ? std::nanf("") : static_cast<float>(rng.normal());
    y[i] = static_cast<float>(c);
  }
  return {Tensor<float>::from_vector(x, Shape{n, 4}), Tensor<float>::from_vector(y, Shape{n})};
}

// y = 2 x0 - x1 + 0.5 with a little noise.
Blobs make_linear(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(n * 2), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i * 2] = static_cast<float>(rng.uniform(-1, 1));
    x[i * 2 + 1] = static_cast<float>(rng.uniform(-1, 1));
    y[i] = static_cast<float>(2 * x[i * 2] - x[i * 2 + 1] + 0.5 + 0.01 * rng.normal());
  }
  return {Tensor<float>::from_vector(x, Shape{n, 2}), Tensor<float>::from_vector(y, Shape{n})};
}

MlpParams small_mlp() { return {.hidden = {16}, .epochs = 30, .batch_size = 32, .lr = 1e-2}; }

}  // namespace

TEST_CASE("MlpClassifier learns separable blobs; predict, proba, row, classes agree") {
  const Blobs d = make_blobs(300, 1);
  MlpClassifier m(small_mlp());
  m.fit(d.X, d.y);
  CHECK(m.n_classes() == 3);
  CHECK(m.n_features() == 4);
  CHECK(m.classes() == std::vector<std::int64_t>{0, 1, 2});
  const auto pred = m.predict(d.X);
  CHECK(metrics::accuracy(d.y, pred) > 0.97);
  const auto proba = m.predict_proba(d.X);
  REQUIRE(proba.shape() == Shape{300, 3});
  for (std::size_t i = 0; i < 300; ++i) {
    const float* p = proba.data() + i * 3;
    CHECK(p[0] + p[1] + p[2] == doctest::Approx(1.0).epsilon(1e-5));
    const std::vector<float> row(d.X.data() + i * 4, d.X.data() + i * 4 + 4);
    CHECK(m.predict_row(row) == pred.data()[i]);
  }
  CHECK(m.history().series("train_loss").size() == 30);
  CHECK(m.history().series("train_loss").back() < m.history().series("train_loss").front());
  // Same seed, same model, bit for bit; another seed differs.
  MlpClassifier again(small_mlp());
  again.fit(d.X, d.y);
  CHECK(again.predict_proba(d.X).to_vector() == proba.to_vector());
  MlpParams other = small_mlp();
  other.seed = 1;
  CHECK(MlpClassifier(other).fit(d.X, d.y).predict_proba(d.X).to_vector() != proba.to_vector());
}

TEST_CASE("MlpClassifier: validation data, early stopping, deep copies, save/load") {
  const Blobs d = make_blobs(240, 2), v = make_blobs(90, 3);
  MlpParams p = small_mlp();
  p.epochs = 60;
  p.patience = 3;
  MlpClassifier m(p);
  m.fit(d.X, d.y, {v.X, v.y});
  const auto& val = m.history().series("val_loss");
  CHECK(!val.empty());
  CHECK(val.size() <= 60);
  CHECK(m.best_epoch() >= 1);
  CHECK(m.best_epoch() <= val.size());

  MlpClassifier copy = m;  // deep: refitting the copy leaves the original alone
  const auto before = m.predict_proba(v.X).to_vector();
  CHECK(copy.predict_proba(v.X).to_vector() == before);
  copy.fit(v.X, v.y);
  CHECK(m.predict_proba(v.X).to_vector() == before);

  const std::string path = std::string(GROVE_TEST_TMP_DIR) + "/mlp_classifier.grove";
  m.save(path);
  const MlpClassifier back = MlpClassifier::load(path);
  CHECK(back.predict_proba(v.X).to_vector() == before);
  CHECK_THROWS_AS(MlpRegressor::load(path), FormatError);
  CHECK_THROWS_WITH_AS(MlpClassifier(p).save(path), "MlpClassifier.save: the model is not fitted", ValueError);
}

TEST_CASE("MlpRegressor fits a linear target; bad params and inputs have pinned errors") {
  const Blobs d = make_linear(400, 4);
  MlpRegressor m({.hidden = {}, .epochs = 60, .batch_size = 32, .lr = 3e-2});
  m.fit(d.X, d.y);
  CHECK(metrics::r2(d.y, m.predict(d.X)) > 0.99);
  const std::vector<float> row{0.5f, -0.5f};
  CHECK(m.predict_row(row) == doctest::Approx(2.0).epsilon(0.05));
  const std::string path = std::string(GROVE_TEST_TMP_DIR) + "/mlp_regressor.grove";
  m.save(path);
  CHECK(MlpRegressor::load(path).predict(d.X).to_vector() == m.predict(d.X).to_vector());

  CHECK_THROWS_WITH_AS(MlpRegressor({.hidden = {8, 0}}), "MlpRegressor: hidden[1] must be in [1, 1048576], got 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(MlpClassifier({.epochs = 0}), "MlpClassifier: epochs must be in [1, 1048576], got 0", ValueError);
  CHECK_THROWS_WITH_AS(MlpClassifier({.lr = std::nan("")}), "MlpClassifier: lr must be in (0, inf), got nan", ValueError);
  CHECK_THROWS_WITH_AS(MlpClassifier({.momentum = 1.0}), "MlpClassifier: momentum must be in [0, 1), got 1", ValueError);
  CHECK_THROWS_WITH_AS(m.predict(Tensor<float>::zeros(Shape{3, 5})),
                       "MlpRegressor.predict: X has shape [3,5], the model expects [n,2]", ShapeError);
  CHECK_THROWS_WITH_AS(MlpClassifier().predict(d.X), "MlpClassifier.predict: the model is not fitted", ValueError);
  CHECK_THROWS_WITH_AS(MlpClassifier(small_mlp()).fit(d.X, d.y),
                       doctest::Contains("MlpClassifier.fit: y[0] = "), ValueError);
  CHECK_THROWS_WITH_AS(MlpRegressor().fit(d.X, d.y.slice(0, 0, 10)),
                       "MlpRegressor.fit: X has 400 rows but y has shape [10]", ShapeError);
  CHECK_THROWS_WITH_AS(MlpRegressor().fit(d.X, d.y, trees::ValidationSet<float, float>{d.X, d.y, std::vector<double>(400, 2.0)}),
                       "MlpRegressor.fit: validation weights are not supported by the MLP estimators", ValueError);
  CHECK(get_params(MlpParams{.hidden = {64, 32}, .optimizer = MlpOptimizer::SGD})[0] == ParamText{"hidden", "[64,32]"});
  CHECK(get_params(MlpParams{.optimizer = MlpOptimizer::SGD})[3] == ParamText{"optimizer", "sgd"});
}

TEST_CASE("MLPs go through cross_validate, grid_search and learning_curve, the same at 1 and 2 threads") {
  const Blobs d = make_blobs(150, 5);
  using P = MlpParams;
  const auto grid = ParamGrid<P>{small_mlp()}
                        .add(&P::hidden, {{4}, {16, 8}})
                        .add(&P::optimizer, {MlpOptimizer::Adam, MlpOptimizer::SGD});
  CHECK(grid.describe(1) == ParamList{{"hidden", "[4]"}, {"optimizer", "sgd"}});
  auto run = [&](std::size_t threads) {
    ThreadCountGuard guard(threads);
    return grid_search<MlpClassifier>(grid, d.X, d.y, {.folds = 3, .scoring = {"accuracy", "neg_log_loss"}});
  };
  const auto one = run(1), two = run(2);
  for (std::size_t i = 0; i < one.results.size(); ++i)
    CHECK(one.results[i].cv.scores[1].test == two.results[i].cv.scores[1].test);
  CHECK(one.best_index == two.best_index);
  CHECK(one.best_score > 0.9);

  const CrossValidation cv = cross_validate(MlpRegressor({.hidden = {8}, .epochs = 40, .batch_size = 16, .lr = 1e-2}), make_linear(90, 6).X,
                                            make_linear(90, 6).y, {.folds = 3});
  CHECK(cv.scores[0].name == "r2");
  CHECK(cv.mean_test_score() > 0.5);

  const auto lc = diag::learning_curve([] { return MlpClassifier(small_mlp()); }, d.X, d.y,
                                       {.train_sizes = {0.5, 1.0}, .folds = 3});
  CHECK(lc.val_mean.back() > 0.9);
}

TEST_CASE("AnyEstimator holds trees and MLPs behind one type") {
  const Blobs d = make_blobs(150, 7);
  std::vector<AnyEstimator> candidates{
      trees::GradientBoostingClassifier({.n_estimators = 20, .max_depth = 3}),
      trees::RandomForestClassifier({.n_estimators = 10, .seed = 1}),
      AnyEstimator("mlp", MlpClassifier(small_mlp())),
  };
  CHECK(candidates[0].name() == "GradientBoostingClassifier");
  CHECK(candidates[1].name() == "RandomForestClassifier");
  CHECK(candidates[2].name() == "mlp");
  CHECK(candidates[0].params_text().find("n_estimators=20, learning_rate=0.1, max_depth=3") == 0);
  CHECK(candidates[2].get_params()[0] == ParamText{"hidden", "[16]"});
  for (AnyEstimator& c : candidates) {
    CAPTURE(c.name());
    CHECK(c.has_predict_proba());
    c.fit(d.X, d.y);
    const Tensor<double> pred = c.predict(d.X);
    CHECK(c.score(d.X, d.y) == metrics::accuracy(d.y, pred));
    CHECK(c.score(d.X, d.y, "neg_log_loss") ==
          -metrics::log_loss(d.y.to<double>(), c.predict_proba(d.X).to<double>()));
    const std::vector<float> row(d.X.data(), d.X.data() + 4);
    CHECK(c.predict_row(row) == pred.data()[0]);
    // A copy is fitted; a clone is not, and has the same params.
    const AnyEstimator copy = c;
    CHECK(copy.predict(d.X).to_vector() == pred.to_vector());
    const AnyEstimator fresh = c.clone();
    CHECK(fresh.params_text() == c.params_text());
    CHECK_THROWS_AS(fresh.predict(d.X), Error);
  }
  CHECK(candidates[2].target<MlpClassifier>() != nullptr);
  CHECK(candidates[2].target<trees::RandomForestClassifier>() == nullptr);
  CHECK(candidates[0].has_validation_fit());
  CHECK(candidates[1].has_validation_fit());
  candidates[2].fit(d.X, d.y, d.X, d.y);
  REQUIRE(candidates[2].history() != nullptr);
  CHECK(!candidates[2].history()->series("val_loss").empty());

  // Regressors: no probabilities, r2 by default; an adapter without params cannot be cloned.
  const Blobs l = make_linear(100, 8);
  AnyEstimator reg = trees::GradientBoostingRegressor({.n_estimators = 30});
  reg.fit(l.X, l.y);
  CHECK(!reg.has_predict_proba());
  CHECK(reg.score(l.X, l.y) == metrics::r2(l.y.to<double>(), reg.predict(l.X)));
  CHECK_THROWS_WITH_AS(reg.predict_proba(l.X),
                       "AnyEstimator.predict_proba: GradientBoostingRegressor has no predict_proba (it is not a classifier)",
                       Error);
  CHECK_THROWS_WITH_AS(reg.score(l.X, l.y, "roc_auc"),
                       "AnyEstimator.score: scoring 'roc_auc' needs predict_proba, which the estimator does not have",
                       ValueError);
  auto mean = std::make_shared<double>(0.0);
  AnyEstimator adapter(diag::make_estimator(
      [mean](const Tensor<float>&, const Tensor<float>& y) { *mean = y.to<double>().mean().item(); },
      [mean](const Tensor<float>& X) { return Tensor<double>::full(Shape{X.shape()[0]}, *mean); }));
  CHECK(adapter.name() == "estimator");
  CHECK(!adapter.has_validation_fit());
  CHECK_THROWS_WITH_AS(adapter.fit(l.X, l.y, l.X, l.y), "AnyEstimator.fit: estimator has no fit with validation data",
                       Error);
  CHECK_THROWS_WITH_AS(adapter.clone(), "AnyEstimator.clone: estimator cannot make an unfitted copy (no params())", Error);
  CHECK_THROWS_WITH_AS(adapter.save("x"), "AnyEstimator.save: estimator has no save", Error);
  CHECK_THROWS_WITH_AS(AnyEstimator().predict(l.X), "AnyEstimator: empty (holds no model)", Error);

  // cross_validate clones it per fold and picks the default scoring at run time.
  const CrossValidation cv = cross_validate(reg, l.X, l.y, {.folds = 3});
  CHECK(cv.scores[0].name == "r2");
  const CrossValidation cc = cross_validate(candidates[0], d.X, d.y, {.folds = 3});
  CHECK(cc.scores[0].name == "accuracy");
  CHECK(score(reg, l.X, l.y) == reg.score(l.X, l.y));

  const std::string path = std::string(GROVE_TEST_TMP_DIR) + "/any_gbr.grove";
  reg.save(path);
  CHECK(trees::GradientBoostingRegressor::load(path).predict(l.X).to<double>().to_vector() ==
        reg.predict(l.X).to_vector());
}

// Tests for cross_validate, grid_search and random_search: hand-run equality, known-best
// problems, successive halving schedules, determinism across thread counts, pinned errors.
#include <doctest/doctest.h>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/parallel.hpp"
#include "grove/core/rng.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/kfold.hpp"
#include "grove/metrics.hpp"
#include "grove/model_selection.hpp"
#include "grove/tensor.hpp"
#include "grove/trees.hpp"

using namespace grove;
using namespace grove::model_selection;
using trees::DecisionTreeClassifier;
using trees::DecisionTreeClassifierParams;
using trees::GradientBoostingClassifier;
using trees::GradientBoostingClassifierParams;

namespace {

// Two informative features, label = both positive, 10% of labels flipped, two noise features:
// one split gets 75%, two splits get the rule, deep trees fit the flipped labels.
struct Labeled {
  Tensor<float> X;
  Tensor<float> y;
};

Labeled make_and(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(n * 4), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < 4; ++j) x[i * 4 + j] = static_cast<float>(rng.uniform(-1, 1));
    const bool label = x[i * 4] > 0 && x[i * 4 + 1] > 0;
    y[i] = static_cast<float>(rng.uniform() < 0.1 ? !label : label);
  }
  return {Tensor<float>::from_vector(x, Shape{n, 4}), Tensor<float>::from_vector(y, Shape{n})};
}

// A model whose quality is set by a parameter: predicts x0 + (shift - 0.5); the target is x0.
struct ShiftParams {
  double shift = 0;
  std::size_t rounds = 81;  // a resource for halving; recorded, not used
  std::uint64_t seed = 0;
};
template <class P, class F>
  requires std::same_as<std::remove_const_t<P>, ShiftParams>
void visit_params(P& p, F&& f) {
  f("shift", p.shift), f("rounds", p.rounds), f("seed", p.seed);
}

struct ShiftRegressor {
  using Params = ShiftParams;
  explicit ShiftRegressor(ShiftParams p = {}) : p_(p) {
    if (std::isnan(p.shift) || p.shift > 10) grove::detail::throw_value_error("ShiftRegressor: shift must be <= 10");
  }
  const ShiftParams& params() const { return p_; }
  void fit(const Tensor<double>& X, const Tensor<double>&) { fitted_rows = X.shape()[0]; }
  Tensor<double> predict(const Tensor<double>& X) const {
    std::vector<double> out(X.shape()[0]);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = X(i, 0) + (p_.shift - 0.5);
    return Tensor<double>::from_vector(out, Shape{out.size()});
  }
  ShiftParams p_;
  std::size_t fitted_rows = 0;
};

struct Line {
  Tensor<double> X, y;
};
Line make_line(std::size_t n) {
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = y[i] = static_cast<double>(i % 17) / 4.0 - 2.0;
  return {Tensor<double>::from_vector(x, Shape{n, 1}), Tensor<double>::from_vector(y, Shape{n})};
}

GradientBoostingClassifierParams small_boosting() {
  return {.n_estimators = 12, .learning_rate = 0.3, .max_depth = 3, .max_bins = 32};
}

}  // namespace

TEST_CASE("cross_validate equals a hand-run of the same folds, bit for bit") {
  const Labeled d = make_and(240, 1);
  const auto make = [] { return GradientBoostingClassifier(small_boosting()); };
  for (const bool stratify : {false, true}) {
    CAPTURE(stratify);
    const CrossValidation cv = cross_validate(make, d.X, d.y,
                                              {.folds = 4, .scoring = {"accuracy", "neg_log_loss", "f1_macro"},
                                               .stratify = stratify, .seed = 7, .return_train_score = true});
    const data::KFoldOptions ko{.shuffle = true, .seed = 7};
    const std::vector<data::Fold> folds =
        stratify ? data::StratifiedKFold(4, ko).split(d.y) : data::KFold(4, ko).split(240);
    REQUIRE(cv.test_scores.size() == 4);
    REQUIRE(cv.scores.size() == 3);
    CHECK(cv.folds == 4);
    CHECK(cv.n_samples == 240);
    CHECK(cv.scores[0].name == "accuracy");
    CHECK(cv.scores[1].name == "neg_log_loss");
    CHECK(cv.scores[2].name == "f1_macro");
    for (std::size_t f = 0; f < 4; ++f) {
      GradientBoostingClassifier m = make();
      const auto Xt = data::take_rows(d.X, folds[f].train), yt = data::take_rows(d.y, folds[f].train);
      const auto Xv = data::take_rows(d.X, folds[f].validation), yv = data::take_rows(d.y, folds[f].validation);
      m.fit(Xt, yt);
      const auto pv = m.predict(Xv);
      CHECK(cv.test_scores[f] == metrics::accuracy(yv, pv));
      CHECK(cv.scores[0].test[f] == cv.test_scores[f]);
      CHECK(cv.scores[1].test[f] == -metrics::log_loss(yv.to<double>(), m.predict_proba(Xv).to<double>()));
      CHECK(cv.scores[2].test[f] == metrics::f1(yv.to<double>(), pv.to<double>()));
      CHECK(cv.train_scores[f] == metrics::accuracy(yt, m.predict(Xt)));
      CHECK(cv.fit_times[f] >= 0);
      CHECK(cv.score_times[f] >= 0);
    }
    CHECK(cv.mean_test_score() == doctest::Approx(CrossValidation::mean(cv.test_scores)));
    CHECK(&cv.scoring("neg_log_loss") == &cv.scores[1]);
    CHECK_THROWS_WITH_AS(cv.scoring("r2"), "CrossValidation.scoring: no scoring 'r2' (have: accuracy, neg_log_loss, f1_macro)",
                         ValueError);
  }
}

TEST_CASE("cross_validate takes a model (cloned per fold), explicit splits, and the default scoring") {
  const Labeled d = make_and(120, 2);
  const GradientBoostingClassifier model(small_boosting());
  const CrossValidation a = cross_validate(model, d.X, d.y, {.folds = 3, .seed = 3});
  const CrossValidation b = cross_validate([] { return GradientBoostingClassifier(small_boosting()); }, d.X, d.y,
                                           {.folds = 3, .seed = 3});
  CHECK(a.scores[0].name == "accuracy");  // classifiers default to accuracy, as scikit-learn
  CHECK(a.test_scores == b.test_scores);
  CHECK(a.train_scores.empty());
  CHECK(std::isnan(a.mean_train_score()));

  const std::vector<data::Fold> splits = cross_validation_splits(d.y, {.folds = 3, .seed = 3});
  const CrossValidation c = cross_validate(model, d.X, d.y, {.splits = splits});
  CHECK(c.test_scores == a.test_scores);

  // Regressors default to r2; a smart pointer from make_model works too.
  const Line l = make_line(60);
  const CrossValidation r = cross_validate([] { return std::make_unique<ShiftRegressor>(ShiftParams{.shift = 0.5}); },
                                           l.X, l.y, {.folds = 3});
  CHECK(r.scores[0].name == "r2");
  CHECK(r.test_scores == std::vector<double>{1.0, 1.0, 1.0});
}

TEST_CASE("cross_validate: every bad input has a pinned error") {
  const Labeled d = make_and(10, 3);
  const auto make = [] { return GradientBoostingClassifier(small_boosting()); };
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, d.y, {.folds = 11}), "cross_validate: folds must be in [2, 10], got 11",
                       ValueError);
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, d.y, {.folds = 1}), "cross_validate: folds must be in [2, 10], got 1",
                       ValueError);
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, d.y, {.scoring = "acuracy"}),
                       doctest::Contains("cross_validate: scoring: unknown name 'acuracy' (known: accuracy"), ValueError);
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, d.y, {.scoring = {"accuracy", "accuracy"}}),
                       "cross_validate: scoring 'accuracy' is given twice", ValueError);
  const Line l = make_line(10);
  CHECK_THROWS_WITH_AS(cross_validate([] { return ShiftRegressor(); }, l.X, l.y, {.scoring = "roc_auc"}),
                       "cross_validate: scoring 'roc_auc' needs predict_proba, which the estimator does not have",
                       ValueError);
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, d.y.slice(0, 0, 9)), "cross_validate: X has 10 rows but y has shape [9]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(cross_validate(make, d.y, d.y), "cross_validate: X must be 2-D [n, d], got shape [10]", ShapeError);
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, d.y, {.splits = {{{0, 1}, {2}}}}),
                       "cross_validate: splits must hold at least 2 folds, got 1", ValueError);
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, d.y, {.splits = {{{0, 1}, {2}}, {{3}, {12}}}}),
                       "cross_validate: splits[1] holds row 12, X has 10 rows", ValueError);
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, d.y, {.splits = {{{0, 1}, {2}}, {{}, {3}}}}),
                       "cross_validate: splits[1] has an empty train or validation part", ValueError);
  // A fit that fails names its fold (the lowest failing fold, whatever the thread count).
  const auto labels = Tensor<float>::from_vector({0, 1, 2.5f, 0, 1, 0, 1, 0, 1, 0}, Shape{10});
  // Fold 0 fails scoring row 2, fold 1 fails fitting on it: fold 0's error is the one reported.
  CHECK_THROWS_WITH_AS(cross_validate(make, d.X, labels, {.folds = 2, .shuffle = false}),
                       doctest::Contains("cross_validate: fold 0: accuracy: y_true[2] = 2.5 is not a class label"),
                       ValueError);
}

TEST_CASE("grid_search finds the one setting that wins and refits it") {
  const Labeled d = make_and(400, 4);
  using P = DecisionTreeClassifierParams;
  const auto grid = ParamGrid<P>{}.add(&P::max_depth, {1, 2, 12}).add(&P::max_bins, {16, 64});
  CHECK(grid.size() == 6);
  CHECK(grid.names() == std::vector<std::string>{"max_depth", "max_bins"});
  CHECK(grid.describe(3) == ParamList{{"max_depth", "2"}, {"max_bins", "64"}});
  CHECK(grid.candidate(3).max_depth == 2);
  CHECK(grid.candidate(3).max_bins == 64);
  const auto res = grid_search<DecisionTreeClassifier>(grid, d.X, d.y, {.folds = 5, .stratify = true, .seed = 1});
  REQUIRE(res.results.size() == 6);
  CHECK(res.best_params.max_depth == 2);
  CHECK(res.best().rank == 1);
  CHECK(res.best_score == res.best().mean_test_score);
  CHECK(res.best_score > 0.8);
  for (const auto& r : res.results) {
    CHECK(r.cv.test_scores.size() == 5);
    if (r.params.max_depth != 2) CHECK(r.mean_test_score < res.best_score - 0.03);
  }
  REQUIRE(res.best_estimator.has_value());
  CHECK(res.best_estimator->params().max_depth == 2);
  CHECK(metrics::accuracy(d.y, res.best_estimator->predict(d.X)) > 0.8);
  CHECK(res.scoring == std::vector<std::string>{"accuracy"});
  CHECK(res.n_candidates == 6);
  CHECK(res.n_iterations == 1);
  CHECK(res.resource.empty());
}

TEST_CASE("grid_search with a custom estimator: known best, ranks, ties, refit off") {
  const Line l = make_line(50);
  using P = ShiftParams;
  const auto grid = ParamGrid<P>{}.add(&P::shift, {0.0, 0.25, 0.5, 0.75, 1.0});
  const auto res = grid_search([](const P& p) { return ShiftRegressor(p); }, grid, l.X, l.y,
                               {.folds = 5, .scoring = "neg_mean_absolute_error", .refit = false});
  CHECK(res.best_params.shift == 0.5);
  CHECK(res.best_score == 0.0);
  CHECK(!res.best_estimator.has_value());
  // |shift - 0.5| ranks 0.5 first, 0.25 and 0.75 tie for second, 0 and 1 tie for fourth.
  std::vector<std::size_t> rank;
  for (const auto& r : res.results) rank.push_back(r.rank);
  CHECK(rank == std::vector<std::size_t>{4, 2, 1, 2, 4});
  CHECK(res.results[1].mean_test_score == -0.25);
}

TEST_CASE("grid_search: bad grids and bad values fail before any fit, with pinned errors") {
  const Labeled d = make_and(30, 5);
  using P = GradientBoostingClassifierParams;
  CHECK_THROWS_WITH_AS(grid_search<GradientBoostingClassifier>(ParamGrid<P>{}, d.X, d.y),
                       "grid_search: the grid is empty (add an axis: ParamGrid<P>{}.add(&P::field, {values}))",
                       ValueError);
  CHECK_THROWS_WITH_AS(ParamGrid<P>{}.add(&P::learning_rate, {0.1, std::nan("")}),
                       "ParamGrid.add: learning_rate must be finite, got nan", ValueError);
  CHECK_THROWS_WITH_AS(ParamGrid<P>{}.add(&P::max_depth, {}), "ParamGrid.add: max_depth has no values", ValueError);
  CHECK_THROWS_WITH_AS(ParamGrid<P>{}.add(&P::max_depth, {3}).add(&P::max_depth, {4}),
                       "ParamGrid.add: max_depth is already an axis of this grid", ValueError);
  const auto bad = ParamGrid<P>{small_boosting()}.add(&P::learning_rate, {0.1, 1.5});
  CHECK_THROWS_WITH_AS(grid_search<GradientBoostingClassifier>(bad, d.X, d.y),
                       "grid_search: candidate 1 (learning_rate=1.5): GradientBoostingClassifier: learning_rate must "
                       "be in (0, 1], got 1.5",
                       ValueError);
  const auto ok = ParamGrid<P>{small_boosting()}.add(&P::max_depth, {2, 3});
  CHECK_THROWS_WITH_AS(grid_search<GradientBoostingClassifier>(ok, d.X, d.y, {.folds = 31}),
                       "grid_search: folds must be in [2, 30], got 31", ValueError);
  CHECK_THROWS_WITH_AS(grid_search<GradientBoostingClassifier>(ok, d.X, d.y, {.scoring = "r3"}),
                       doctest::Contains("grid_search: scoring: unknown name 'r3'"), ValueError);
  CHECK_THROWS_WITH_AS(grid_search<GradientBoostingClassifier>(ok, d.X, d.y, {.halving = {.factor = 1}}),
                       "grid_search: halving.factor must be in (1, inf), got 1", ValueError);
  const auto on_estimators = ParamGrid<P>{small_boosting()}.add(&P::n_estimators, {5, 10});
  CHECK_THROWS_WITH_AS(grid_search<GradientBoostingClassifier>(
                           on_estimators, d.X, d.y, {.halving = {.factor = 2, .resource = &P::n_estimators}}),
                       "grid_search: halving.resource is also a grid axis (the search sets it each round)", ValueError);
  CHECK_THROWS_WITH_AS(
      grid_search<GradientBoostingClassifier>(
          ok, d.X, d.y, {.halving = {.factor = 2, .resource = &P::n_estimators, .min_resources = 50}}),
      "grid_search: halving.min_resources = 50 exceeds max_resources = 12", ValueError);
  // A field list is needed to name an axis by its pointer alone; a name can always be given.
  struct Bare {
    int a = 0;
  };
  CHECK_THROWS_WITH_AS(ParamGrid<Bare>{}.add(&Bare::a, {1}),
                       "ParamGrid.add: this params type has no field list to name the field; give the name: "
                       "add(\"name\", &P::field, ...)",
                       ValueError);
  CHECK(ParamGrid<Bare>{}.add("a", &Bare::a, {1, 2}).names() == std::vector<std::string>{"a"});
}

TEST_CASE("random_search: seeded draws in range, distinct on discrete spaces, finds the known best") {
  using P = GradientBoostingClassifierParams;
  const auto dists = ParamDistributions<P>{}
                         .add(&P::learning_rate, log_uniform(0.01, 0.3))
                         .add(&P::subsample, uniform(0.5, 1.0))
                         .add(&P::max_depth, int_uniform(2, 5))
                         .add(&P::max_bins, std::vector<std::size_t>{16, 32, 64});
  const auto a = dists.sample(40, 9), b = dists.sample(40, 9), c = dists.sample(40, 10);
  REQUIRE(a.size() == 40);
  std::set<int> depths;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const P& p = a[i].first;
    CHECK(p.learning_rate >= 0.01);
    CHECK(p.learning_rate < 0.3);
    CHECK(p.subsample >= 0.5);
    CHECK(p.subsample < 1.0);
    CHECK(p.max_depth >= 2);
    CHECK(p.max_depth <= 5);
    CHECK((p.max_bins == 16 || p.max_bins == 32 || p.max_bins == 64));
    depths.insert(p.max_depth);
    CHECK(a[i].second == b[i].second);
    CHECK(a[i].second[0] == ParamText{"learning_rate", format_number(p.learning_rate)});
  }
  CHECK(depths.size() == 4);
  CHECK(a[0].second != c[0].second);

  // Lists only: draws without repetition, and the whole grid when n_iter covers it.
  using S = ShiftParams;
  const auto shifts = ParamDistributions<S>{}.add(&S::shift, std::vector<double>{0.0, 0.5, 1.0, 1.5});
  const auto three = shifts.sample(3, 1);
  std::set<double> seen;
  for (const auto& [p, t] : three) seen.insert(p.shift);
  CHECK(seen.size() == 3);
  CHECK(shifts.sample(10, 1).size() == 4);
  const Line l = make_line(40);
  const auto res = random_search([](const S& p) { return ShiftRegressor(p); }, shifts, l.X, l.y,
                                 {.folds = 4, .n_iter = 10});
  CHECK(res.results.size() == 4);
  CHECK(res.best_params.shift == 0.5);
  CHECK(res.best_score == 1.0);

  CHECK_THROWS_WITH_AS(random_search([](const S& p) { return ShiftRegressor(p); }, ParamDistributions<S>{}, l.X, l.y),
                       "random_search: no distributions (add one: ParamDistributions<P>{}.add(&P::field, uniform(lo, "
                       "hi)))",
                       ValueError);
  CHECK_THROWS_WITH_AS(random_search([](const S& p) { return ShiftRegressor(p); }, shifts, l.X, l.y, {.n_iter = 0}),
                       "random_search: n_iter must be in [1, inf), got 0", ValueError);
  CHECK_THROWS_WITH_AS(ParamDistributions<P>{}.add(&P::learning_rate, log_uniform(0, 0.3)),
                       "ParamDistributions.add: learning_rate log_uniform(lo, hi) needs 0 < lo < hi, got (0, 0.3)",
                       ValueError);
  CHECK_THROWS_WITH_AS(ParamDistributions<P>{}.add(&P::subsample, uniform(1, 0.5)),
                       "ParamDistributions.add: subsample uniform(lo, hi) needs lo < hi, got (1, 0.5)", ValueError);
  CHECK_THROWS_WITH_AS(ParamDistributions<P>{}.add(&P::learning_rate, uniform(std::nan(""), 0.5)),
                       "ParamDistributions.add: learning_rate lo must be finite, got nan", ValueError);
  CHECK_THROWS_WITH_AS(ParamDistributions<P>{}.add(&P::max_bins, int_uniform(-1, 5)),
                       "ParamDistributions.add: max_bins int_uniform(lo, hi) needs lo <= hi within the field's type, "
                       "got (-1, 5)",
                       ValueError);
  CHECK_THROWS_WITH_AS(ParamDistributions<S>{}.add(&S::shift, std::vector<double>{}),
                       "ParamDistributions.add: shift has no values", ValueError);
  // An out-of-range draw fails before fitting, naming the candidate.
  const auto wild = ParamDistributions<S>{}.add(&S::shift, uniform(20, 30));
  CHECK_THROWS_WITH_AS(random_search([](const S& p) { return ShiftRegressor(p); }, wild, l.X, l.y),
                       doctest::Contains("random_search: candidate 0 (shift="), ValueError);
}

TEST_CASE("successive halving: the schedule of rounds, resources and survivors") {
  const Line l = make_line(90);
  using P = ShiftParams;
  const auto grid = ParamGrid<P>{}.add(&P::shift, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9});
  const auto make = [](const P& p) { return ShiftRegressor(p); };
  // Resource = a field: 9 candidates, factor 3 -> rounds of 9, 3, 1 at 9, 27, 81 rounds.
  const auto res = grid_search(make, grid, l.X, l.y,
                               {.folds = 3, .scoring = "neg_mean_absolute_error",
                                .halving = {.factor = 3, .resource = &P::rounds}});
  REQUIRE(res.results.size() == 13);
  CHECK(res.n_iterations == 3);
  CHECK(res.resource == "rounds");
  CHECK(res.results[0].resources == 9);
  CHECK(res.results[0].params.rounds == 9);
  CHECK(res.results[9].iteration == 1);
  CHECK(res.results[9].resources == 27);
  CHECK(res.results[12].resources == 81);
  std::vector<std::size_t> round2;
  for (std::size_t i = 9; i < 12; ++i) round2.push_back(res.results[i].candidate);
  CHECK(round2 == std::vector<std::size_t>{3, 4, 5});
  CHECK(res.best_index == 12);
  CHECK(res.best_params.shift == 0.5);
  CHECK(res.best_params.rounds == 81);
  std::ostringstream table;
  print(table, res);
  CHECK(table.str().find("search (9 candidates, 3-fold, 90 samples, successive halving on rounds in 3 rounds)\n"
                         "rank  round  rounds  shift") == 0);
  CHECK(table.str().find("\nbest: shift=0.5, rounds=81 (neg_mean_absolute_error 0.0000)\n") != std::string::npos);
  CHECK(to_csv(res).find("\n4,2,81,0.5,") != std::string::npos);

  // Resource = rows: the smallest fold trains on 60 rows; 9 candidates -> 60 / 9 = 6 rows first.
  const auto rows = grid_search(make, grid, l.X, l.y,
                                {.folds = 3, .scoring = "neg_mean_absolute_error", .refit = true,
                                 .halving = {.factor = 3}});
  CHECK(rows.resource == "rows");
  REQUIRE(rows.results.size() == 13);
  CHECK(rows.results[0].resources == 6);
  CHECK(rows.results[9].resources == 18);
  CHECK(rows.results[12].resources == 54);
  CHECK(rows.best_params.shift == 0.5);
  CHECK(rows.best_estimator->fitted_rows == 90);  // the refit uses every row

  // An explicit first resource; fewer rounds when the resource runs out first.
  const auto two = grid_search(make, grid, l.X, l.y,
                               {.folds = 3, .scoring = "neg_mean_absolute_error",
                                .halving = {.factor = 3, .resource = &P::rounds, .min_resources = 20}});
  CHECK(two.n_iterations == 2);
  CHECK(two.results.size() == 12);
  CHECK(two.results.back().resources == 60);
}

TEST_CASE("successive halving over boosting rounds and stratified row subsets finds the informative depth") {
  const Labeled d = make_and(300, 6);
  using P = DecisionTreeClassifierParams;
  const auto grid = ParamGrid<P>{{.min_samples_leaf = 5}}.add(&P::max_depth, {1, 2, 3, 12}).add(&P::max_bins, {16, 64});
  const auto res = grid_search<DecisionTreeClassifier>(grid, d.X, d.y,
                                                       {.folds = 3, .stratify = true, .seed = 2, .halving = {.factor = 2}});
  // 8 candidates, factor 2: rounds on 25, 50, 100, 200 of the 200 training rows per fold.
  CHECK(res.n_iterations == 4);
  CHECK(res.results[0].resources == 25);
  CHECK(res.results.back().resources == 200);
  CHECK(res.best_params.max_depth == 2);
}

TEST_CASE("searches and cross_validate give identical results at 1 and 2 threads") {
  const Labeled d = make_and(300, 8);
  using P = GradientBoostingClassifierParams;
  const auto grid = ParamGrid<P>{small_boosting()}.add(&P::max_depth, {2, 4}).add(&P::subsample, {0.7, 1.0});
  auto run = [&](std::size_t threads) {
    ThreadCountGuard guard(threads);
    return grid_search<GradientBoostingClassifier>(grid, d.X, d.y,
                                                   {.folds = 3, .scoring = {"neg_log_loss", "accuracy"}, .seed = 4,
                                                    .return_train_score = true, .halving = {.factor = 2}});
  };
  const auto one = run(1), two = run(2);
  REQUIRE(one.results.size() == two.results.size());
  for (std::size_t i = 0; i < one.results.size(); ++i) {
    CHECK(one.results[i].candidate == two.results[i].candidate);
    for (std::size_t s = 0; s < 2; ++s) {
      CHECK(one.results[i].cv.scores[s].test == two.results[i].cv.scores[s].test);
      CHECK(one.results[i].cv.scores[s].train == two.results[i].cv.scores[s].train);
    }
  }
  CHECK(one.best_index == two.best_index);
  CHECK(one.best_estimator->predict_proba(d.X).to_vector() == two.best_estimator->predict_proba(d.X).to_vector());

  using trees::RandomForestClassifier;
  auto forest = [&](std::size_t threads) {
    ThreadCountGuard guard(threads);
    return cross_validate([] { return RandomForestClassifier({.n_estimators = 10, .max_depth = 6, .seed = 3}); }, d.X,
                          d.y, {.folds = 4, .scoring = {"roc_auc", "neg_log_loss"}, .seed = 5});
  };
  const CrossValidation f1 = forest(1), f2 = forest(2);
  CHECK(f1.scores[0].test == f2.scores[0].test);
  CHECK(f1.scores[1].test == f2.scores[1].test);

  const auto dists = ParamDistributions<P>{small_boosting()}.add(&P::learning_rate, log_uniform(0.05, 0.5));
  auto rand = [&](std::size_t threads) {
    ThreadCountGuard guard(threads);
    return random_search<GradientBoostingClassifier>(dists, d.X, d.y, {.folds = 3, .refit = false, .n_iter = 4});
  };
  const auto r1 = rand(1), r2 = rand(2);
  for (std::size_t i = 0; i < r1.results.size(); ++i) {
    CHECK(r1.results[i].param_text == r2.results[i].param_text);
    CHECK(r1.results[i].cv.test_scores == r2.results[i].cv.test_scores);
  }
}

TEST_CASE("estimator conveniences: clone, score, get_params, param_name") {
  const Labeled d = make_and(120, 9);
  GradientBoostingClassifier m(small_boosting());
  m.fit(d.X, d.y);
  const GradientBoostingClassifier fresh = clone(m);
  CHECK(fresh.params().n_estimators == 12);
  CHECK(fresh.params().learning_rate == 0.3);
  CHECK_THROWS_AS(fresh.predict(d.X), Error);  // unfitted
  CHECK(score(m, d.X, d.y) == metrics::accuracy(d.y, m.predict(d.X)));
  CHECK(score(m, d.X, d.y, "neg_log_loss") == -metrics::log_loss(d.y.to<double>(), m.predict_proba(d.X).to<double>()));
  CHECK(score(m, d.X, d.y, "f1_macro") == metrics::f1(d.y.to<double>(), m.predict(d.X).to<double>()));
  CHECK_THROWS_WITH_AS(score(m, d.X, d.y, {"accuracy", "f1"}), "score: one scoring expected, got 2", ValueError);
  const Line l = make_line(20);
  ShiftRegressor s({.shift = 0.5});
  CHECK(score(s, l.X, l.y) == 1.0);  // r2 by default without predict_proba
  CHECK_THROWS_WITH_AS(score(s, l.X, l.y, "neg_log_loss"),
                       "score: scoring 'neg_log_loss' needs predict_proba, which the estimator does not have",
                       ValueError);

  const ParamList p = get_params(m);
  // Every field of the params table, in order, by name (the table grows when a parameter is added).
  const auto value_of = [](const ParamList& list, const std::string& name) {
    for (const ParamText& t : list)
      if (t.name == name) return t.value;
    return std::string("(absent)");
  };
  CHECK(value_of(p, "max_bins") == "32");
  CHECK(value_of(p, "categorical_features") == "[]");
  CHECK(value_of(p, "loss") == "log_loss");
  CHECK(value_of(p, "max_depth") == "3");
  CHECK(p[0] == ParamText{"n_estimators", "12"});
  CHECK(p[1] == ParamText{"learning_rate", "0.3"});
  CHECK(to_string(ParamList{p[0], p[1]}) == "n_estimators=12, learning_rate=0.3");
  CHECK(get_params(trees::RandomForestClassifierParams{})[7] == ParamText{"max_features", "sqrt"});
  CHECK(value_of(get_params(trees::GradientBoostingRegressorParams{}), "loss") == "squared_error");
  CHECK(get_params(ShiftRegressor({.shift = 0.25})) ==
        ParamList{{"shift", "0.25"}, {"rounds", "81"}, {"seed", "0"}});
  CHECK(param_name(&GradientBoostingClassifierParams::colsample) == "colsample");
  CHECK(param_name(&ShiftParams::seed) == "seed");
  CHECK(param_value_text(std::vector<std::size_t>{128, 64}) == "[128,64]");
  CHECK(param_value_text(true) == "true");
}

TEST_CASE("reports: tables, CSV and JSON of cross_validate and of a search") {
  const Line l = make_line(40);
  using P = ShiftParams;
  const auto make = [](const P& p) { return ShiftRegressor(p); };
  const CrossValidation cv = cross_validate([] { return ShiftRegressor({.shift = 0.75}); }, l.X, l.y,
                                            {.folds = 2, .scoring = {"neg_mean_absolute_error", "r2"},
                                             .return_train_score = true});
  const std::string csv = to_csv(cv);
  CHECK(csv.substr(0, csv.find('\n')) ==
        "fold,test_neg_mean_absolute_error,test_r2,train_neg_mean_absolute_error,train_r2,fit_time,score_time");
  CHECK(csv.find("\n0,-0.25,") != std::string::npos);
  CHECK(csv.find("\n1,-0.25,") != std::string::npos);
  const std::string json = to_json(cv);
  CHECK(json.find("{\"n_samples\":40,\"folds\":2,\"scoring\":[\"neg_mean_absolute_error\",\"r2\"],\"test\":{"
                  "\"neg_mean_absolute_error\":[-0.25,-0.25],") == 0);
  std::ostringstream os;
  print(os, cv);
  const std::string table = os.str();
  CHECK(table.find("cross_validate (2-fold, 40 samples)\nfold  test neg_mean_absolute_error  train "
                   "neg_mean_absolute_error  test r2") == 0);
  CHECK(table.find("\nmean   ") != std::string::npos);
  CHECK(table.find("-0.2500") != std::string::npos);

  const auto grid = ParamGrid<P>{}.add(&P::shift, {0.0, 0.5});
  const auto res = grid_search(make, grid, l.X, l.y, {.folds = 2, .scoring = "neg_mean_absolute_error"});
  const std::string scsv = to_csv(res);
  CHECK(scsv ==
        "candidate,round,resources,shift,mean_test_neg_mean_absolute_error,std_test_neg_mean_absolute_error,"
        "mean_train_neg_mean_absolute_error,rank,split0_test,split1_test,mean_fit_time,mean_score_time\n"
        "0,0,0,0,-0.5,0,,2,-0.5,-0.5," +
            detail::csv_number(CrossValidation::mean(res.results[0].cv.fit_times)) + "," +
            detail::csv_number(CrossValidation::mean(res.results[0].cv.score_times)) +
            "\n"
            "1,0,0,0.5,0,0,,1,-0,-0," +  // a negated zero loss, as scikit-learn prints it
            detail::csv_number(CrossValidation::mean(res.results[1].cv.fit_times)) + "," +
            detail::csv_number(CrossValidation::mean(res.results[1].cv.score_times)) + "\n");
  const std::string sjson = to_json(res);
  CHECK(sjson.find("\"best_index\":1,\"best_params\":{\"shift\":\"0.5\"},\"best_score\":0,") != std::string::npos);
  CHECK(sjson.find("{\"candidate\":0,\"round\":0,\"resources\":0,\"params\":{\"shift\":\"0\"},\"rank\":2,"
                   "\"mean_test_score\":-0.5,\"std_test_score\":0,\"test\":{\"neg_mean_absolute_error\":[-0.5,-0.5]}") !=
        std::string::npos);
  std::ostringstream ss;
  print(ss, res);
  CHECK(ss.str().find("search (2 candidates, 2-fold, 40 samples)\nrank  shift  neg_mean_absolute_error     std  fit s\n") ==
        0);
  CHECK(ss.str().find("\n1 *     0.5                   0.0000  0.0000") != std::string::npos);
  CHECK(ss.str().find("best: shift=0.5 (neg_mean_absolute_error 0.0000)\n") != std::string::npos);

  const std::string dir = GROVE_TEST_TMP_DIR;
  write_csv(res, dir + "/search.csv");
  write_json(cv, dir + "/cv.json");
  std::ifstream f(dir + "/search.csv");
  const std::string back((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(back == scsv);
  CHECK_THROWS_WITH_AS(write_csv(cv, dir + "/no/such/dir/cv.csv"),
                       ("write_csv: cannot write '" + dir + "/no/such/dir/cv.csv': No such file or directory").c_str(),
                       IoError);
}

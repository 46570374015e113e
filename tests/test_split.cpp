// Dataset subsets, train_test_split, KFold, StratifiedKFold and StandardScaler.
#include <grove/data/dataset.hpp>
#include <grove/data/kfold.hpp>
#include <grove/data/scaler.hpp>
#include <grove/data/split.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>
#include <type_traits>
#include <vector>

using namespace grove;

namespace {

// n rows: X(i, 0) = i, X(i, 1) = 10 i, y = labels[i].
data::Dataset<double> make_dataset(const std::vector<double>& labels) {
  const std::size_t n = labels.size();
  std::vector<double> x(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    x[2 * i] = static_cast<double>(i);
    x[2 * i + 1] = 10.0 * static_cast<double>(i);
  }
  data::Dataset<double> ds;
  ds.X = Tensor<double>::from_vector(x, Shape{n, 2});
  ds.y = Tensor<double>::from_vector(labels);
  ds.feature_names = {"a", "b"};
  ds.class_names = {"no", "yes"};
  ds.categories = {{}, {}};
  return ds;
}

std::vector<double> first_column(const data::Dataset<double>& ds) {
  std::vector<double> out;
  for (std::size_t i = 0; i < ds.size(); ++i) out.push_back(ds.X(i, 0));
  return out;
}

std::size_t count_label(const Tensor<double>& y, double label) {
  const auto v = y.to_vector();
  return static_cast<std::size_t>(std::count(v.begin(), v.end(), label));
}

}  // namespace

TEST_CASE("take_rows and subset pick rows in the given order") {
  const auto ds = make_dataset({0, 1, 0, 1, 1});
  const auto sub = data::subset(ds, {4, 0, 4});
  CHECK(sub.X.shape() == Shape{3, 2});
  CHECK(sub.X.to_vector() == std::vector<double>{4, 40, 0, 0, 4, 40});
  CHECK(sub.y.to_vector() == std::vector<double>{1, 0, 1});
  CHECK(sub.feature_names == ds.feature_names);
  CHECK(sub.class_names == ds.class_names);
  const auto images = Tensor<float>::arange(24).to<float>();
  const auto t3 = Tensor<float>::from_vector(images.to_vector(), Shape{3, 2, 4});
  const auto rows = data::take_rows(t3, {2, 1});
  CHECK(rows.shape() == Shape{2, 2, 4});
  CHECK(rows(0, 0, 0) == 16);
  CHECK(rows(1, 1, 3) == 15);
  CHECK(data::take_rows(Tensor<int>::arange(5), {3, 3}).to_vector() == std::vector<int>{3, 3});
  CHECK_THROWS_WITH_AS(data::subset(ds, {1, 5}), "subset: indices[1] = 5 out of range for 5 rows", ValueError);
  CHECK_THROWS_WITH_AS(data::take_rows(Tensor<int>::arange(2), {2}), "take_rows: indices[0] = 2 out of range for 2 rows",
                       ValueError);
}

TEST_CASE("train_test_split: sizes, disjoint cover, determinism") {
  std::vector<double> labels(10);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<double>(i % 2);
  const auto ds = make_dataset(labels);
  Rng rng(7);
  auto [train, test] = data::train_test_split(ds, 0.25, rng);
  CHECK(test.size() == 3);  // ceil(0.25 * 10)
  CHECK(train.size() == 7);
  std::vector<double> all = first_column(train);
  const auto t = first_column(test);
  all.insert(all.end(), t.begin(), t.end());
  std::sort(all.begin(), all.end());
  std::vector<double> expected(10);
  std::iota(expected.begin(), expected.end(), 0.0);
  CHECK(all == expected);
  // Rows keep their own target.
  for (std::size_t i = 0; i < test.size(); ++i) CHECK(test.y(i) == static_cast<double>(static_cast<int>(test.X(i, 0)) % 2));
  Rng again(7);
  auto [train2, test2] = data::train_test_split(ds, 0.25, again);
  CHECK(first_column(test2) == first_column(test));
  Rng other(8);
  CHECK(first_column(data::train_test_split(ds, 0.5, other).test) != first_column(data::train_test_split(ds, 0.5, again).test));
}

TEST_CASE("train_test_split: stratified keeps class proportions") {
  std::vector<double> labels;
  for (int i = 0; i < 60; ++i) labels.push_back(0);
  for (int i = 0; i < 30; ++i) labels.push_back(1);
  for (int i = 0; i < 10; ++i) labels.push_back(2);
  const auto ds = make_dataset(labels);
  Rng rng(3);
  const auto split = data::train_test_split(ds, 0.2, rng, {.stratify = true});
  CHECK(split.test.size() == 20);
  CHECK(count_label(split.test.y, 0) == 12);
  CHECK(count_label(split.test.y, 1) == 6);
  CHECK(count_label(split.test.y, 2) == 2);
  CHECK(count_label(split.train.y, 2) == 8);
  // Largest remainders: 7 classes-worth of fractional parts are resolved deterministically.
  const auto idx = data::stratified_split_indices(Tensor<int>::from_vector({0, 0, 0, 1, 1, 1, 1}), 0.5, rng);
  CHECK(idx.test.size() == 4);  // ceil(3.5); exact shares 1.71 and 2.29 -> 2 and 2
  std::size_t zeros = 0;
  for (std::size_t i : idx.test) zeros += i < 3;
  CHECK(zeros == 2);
}

TEST_CASE("train_test_split: parameter errors") {
  const auto ds = make_dataset({0, 1, 0, 1});
  Rng rng(0);
  CHECK_THROWS_WITH_AS(data::train_test_split(ds, 0.0, rng), "train_test_split: test_fraction must be in (0, 1), got 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(data::train_test_split(ds, 1.0, rng), "train_test_split: test_fraction must be in (0, 1), got 1",
                       ValueError);
  CHECK_THROWS_WITH_AS(data::train_test_split(ds, 0.9, rng),
                       "train_test_split: test_fraction 0.9 of 4 rows leaves 0 for training and 4 for testing; "
                       "both need at least 1",
                       ValueError);
  CHECK_THROWS_WITH_AS(data::train_test_split(make_dataset({0, 1, 1, 1}), 0.5, rng, {.stratify = true}),
                       "train_test_split: stratify needs at least 2 rows of each class, class 0 has 1", ValueError);
  CHECK_THROWS_WITH_AS(data::train_test_split(make_dataset({0, 1.5, 1, 1}), 0.5, rng, {.stratify = true}),
                       "train_test_split: y[1] = 1.5 is not a class label (expected an integer in 0..65535)",
                       ValueError);
}

TEST_CASE("KFold: contiguous folds, sizes as in scikit-learn, shuffling by seed") {
  const auto folds = data::KFold(3).split(10);
  REQUIRE(folds.size() == 3);
  CHECK(folds[0].validation == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK(folds[1].validation == std::vector<std::size_t>{4, 5, 6});
  CHECK(folds[2].validation == std::vector<std::size_t>{7, 8, 9});
  CHECK(folds[1].train == std::vector<std::size_t>{0, 1, 2, 3, 7, 8, 9});
  const auto a = data::KFold(4, {.shuffle = true, .seed = 11}).split(21);
  const auto b = data::KFold(4, {.shuffle = true, .seed = 11}).split(21);
  const auto c = data::KFold(4, {.shuffle = true, .seed = 12}).split(21);
  std::multiset<std::size_t> seen;
  for (std::size_t f = 0; f < 4; ++f) {
    CHECK(a[f].validation == b[f].validation);
    CHECK(a[f].validation.size() == (f == 0 ? 6u : 5u));
    CHECK(a[f].train.size() + a[f].validation.size() == 21);
    CHECK(std::is_sorted(a[f].validation.begin(), a[f].validation.end()));
    seen.insert(a[f].validation.begin(), a[f].validation.end());
  }
  CHECK(seen.size() == 21);
  CHECK(std::set<std::size_t>(seen.begin(), seen.end()).size() == 21);  // each row validated exactly once
  CHECK(a[0].validation != c[0].validation);
  CHECK_THROWS_WITH_AS(data::KFold(1), "KFold: k must be in [2, inf), got 1", ValueError);
  CHECK_THROWS_WITH_AS(data::KFold(5).split(4), "KFold: k = 5 must be <= the number of rows n = 4", ValueError);
}

TEST_CASE("StratifiedKFold: every fold keeps the class balance") {
  std::vector<int> labels;
  for (int i = 0; i < 30; ++i) labels.push_back(i % 3 == 0 ? 1 : 0);  // 20 zeros, 10 ones, interleaved
  const auto y = Tensor<int>::from_vector(labels);
  for (bool shuffle : {false, true}) {
    const auto folds = data::StratifiedKFold(5, {.shuffle = shuffle, .seed = 4}).split(y);
    REQUIRE(folds.size() == 5);
    std::vector<int> hits(30, 0);
    for (const auto& f : folds) {
      CHECK(f.validation.size() == 6);
      std::size_t ones = 0;
      for (std::size_t i : f.validation) {
        ones += labels[i] == 1;
        ++hits[i];
      }
      CHECK(ones == 2);
      CHECK(f.train.size() == 24);
    }
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  }
  // Without shuffling each class is dealt in row order: fold 0 takes the first zeros and ones.
  const auto plain = data::StratifiedKFold(5).split(y);
  CHECK(plain[0].validation == std::vector<std::size_t>{0, 1, 8, 15, 16, 23});
  CHECK_THROWS_WITH_AS(data::StratifiedKFold(0), "StratifiedKFold: k must be in [2, inf), got 0", ValueError);
  CHECK_THROWS_WITH_AS(data::StratifiedKFold(3).split(Tensor<int>::from_vector({0, 1})),
                       "StratifiedKFold: k = 3 must be <= the number of rows n = 2", ValueError);
  CHECK_THROWS_WITH_AS(data::StratifiedKFold(2).split(Tensor<int>::from_vector({0, -1, 1})),
                       "StratifiedKFold: y[1] = -1 is not a class label (expected an integer in 0..65535)",
                       ValueError);
}

TEST_CASE("StandardScaler: mean 0, std 1, NaN-aware, constant columns centred") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Column 0: 1,2,3,NaN -> mean 2, std sqrt(2/3). Column 1: constant 0.1. Column 2: all NaN.
  const auto X = Tensor<double>::from_vector({1, 0.1, nan, 2, 0.1, nan, 3, 0.1, nan, nan, 0.1, nan}, Shape{4, 3});
  data::StandardScaler<double> scaler;
  const auto Z = scaler.fit_transform(X);
  CHECK(scaler.mean()[0] == doctest::Approx(2.0));
  CHECK(scaler.scale()[0] == doctest::Approx(std::sqrt(2.0 / 3.0)));
  CHECK(scaler.scale()[1] == 1.0);
  CHECK(scaler.scale()[2] == 1.0);
  CHECK(Z(0, 0) == doctest::Approx(-1.0 / std::sqrt(2.0 / 3.0)));
  CHECK(Z(1, 0) == doctest::Approx(0.0));
  CHECK(std::isnan(Z(3, 0)));
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(Z(i, 1) == doctest::Approx(0.0));
    CHECK(std::isnan(Z(i, 2)));
  }
  const auto back = scaler.inverse_transform(Z);
  CHECK(back(2, 0) == doctest::Approx(3.0));
  CHECK(back(1, 1) == doctest::Approx(0.1));
  // float data, statistics reused on new rows.
  data::StandardScaler<float> fs;
  fs.fit(Tensor<float>::from_vector({0, 10, 2, 10, 4, 30}, Shape{3, 2}));
  const auto t = fs.transform(Tensor<float>::from_vector({2, 50}, Shape{1, 2}));
  CHECK(t(0, 0) == doctest::Approx(0.0));
  CHECK(t(0, 1) == doctest::Approx((50.0 - 50.0 / 3) / std::sqrt(800.0 / 9)).epsilon(1e-5));
}

TEST_CASE("StandardScaler errors") {
  data::StandardScaler<double> s;
  CHECK_FALSE(s.fitted());
  CHECK_THROWS_WITH_AS(s.transform(Tensor<double>::zeros(Shape{2, 2})),
                       "StandardScaler::transform: the scaler is not fitted; call fit first", ValueError);
  CHECK_THROWS_WITH_AS(s.fit(Tensor<double>::zeros(Shape{4})),
                       "StandardScaler::fit: X must be 2-D (n x d), got shape [4]", ShapeError);
  CHECK_THROWS_WITH_AS(s.fit(Tensor<double>::zeros(Shape{0, 3})), "StandardScaler::fit: X has 0 rows", ValueError);
  s.fit(Tensor<double>::ones(Shape{2, 2}));
  CHECK(s.fitted());
  CHECK_THROWS_WITH_AS(s.transform(Tensor<double>::zeros(Shape{2, 3})),
                       "StandardScaler::transform: X has 3 columns, the scaler was fitted on 2", ShapeError);
}

TEST_CASE("StandardScaler defaults to float") {
  data::StandardScaler sc;
  static_assert(std::is_same_v<decltype(sc), data::StandardScaler<float>>);
  sc.fit(Tensor<float>::from_vector({1, 3}, Shape{2, 1}));
  CHECK(sc.transform(Tensor<float>::from_vector({3}, Shape{1, 1}))(0, 0) == 1.0f);
}

TEST_CASE("labels go through the one class-label check: limits, empty classes") {
  Rng rng(1);
  // Labels 1 and 2 only (class 0 empty): stratifying still works.
  std::vector<double> labels;
  for (int i = 0; i < 10; ++i) labels.push_back(1 + i % 2);
  const auto split = data::train_test_split(make_dataset(labels), 0.4, rng, {.stratify = true});
  CHECK(count_label(split.test.y, 1) == 2);
  CHECK(count_label(split.test.y, 2) == 2);
  // One limit for every label check in grove: kMaxClasses.
  CHECK_THROWS_WITH_AS(data::StratifiedKFold(2).split(Tensor<double>::from_vector({0, 65536, 1, 0})),
                       "StratifiedKFold: y[1] = 65536 is not a class label (expected an integer in 0..65535)",
                       ValueError);
  CHECK_THROWS_WITH_AS(data::StratifiedKFold(2).split(Tensor<double>::from_vector({0, std::nan(""), 1})),
                       "StratifiedKFold: y[1] = nan is not a class label (expected an integer in 0..65535)", ValueError);
  CHECK_THROWS_WITH_AS(data::StratifiedKFold(2).split(Tensor<double>::zeros(Shape{2, 2})),
                       "StratifiedKFold: y must be a vector, got shape [2,2]", ValueError);
}

TEST_CASE("a hand-built Dataset has a schema; subset keeps kinds, target and the loader's notes") {
  auto ds = make_dataset({0, 1, 0, 1});
  ds.categories = {{}, {"lo", "hi"}};
  CHECK(ds.categorical_features() == std::vector<std::size_t>{1});  // from categories when kinds are not set
  data::Schema s = ds.schema();
  CHECK(s.features[0] == data::Column{"a", data::ColumnKind::Numeric, {}});
  CHECK(s.features[1] == data::Column{"b", data::ColumnKind::Categorical, {"lo", "hi"}});
  CHECK(s.target_kind == data::TargetKind::Categorical);  // class names -> classes
  CHECK(s.class_names == std::vector<std::string>{"no", "yes"});
  ds.class_names.clear();
  CHECK(ds.schema().target_kind == data::TargetKind::Numeric);
  ds.feature_kinds = {data::ColumnKind::Categorical, data::ColumnKind::Numeric};
  ds.target_name = "t";
  ds.target_kind = data::TargetKind::Numeric;
  ds.dropped_columns = {{"id", 0, data::DropReason::Identifier, "row number"}};
  CHECK(ds.categorical_features() == std::vector<std::size_t>{0});
  const auto sub = data::subset(ds, {3, 1});
  CHECK(sub.feature_kinds == ds.feature_kinds);
  CHECK(sub.schema() == ds.schema());
  CHECK(sub.dropped_columns == ds.dropped_columns);
  CHECK(sub.schema().target == "t");
}

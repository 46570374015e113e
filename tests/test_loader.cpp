// data::DataLoader: batching, per-epoch shuffles that depend only on seed and epoch, drop_last.
#include <grove/data/loader.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

using namespace grove;

namespace {
// X row i = [i, 100 + i], y[i] = 1000 + i: a batch's rows identify their samples.
data::Dataset<float> make_ds(std::size_t n) {
  std::vector<float> x, y;
  for (std::size_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    x.push_back(static_cast<float>(100 + i));
    y.push_back(static_cast<float>(1000 + i));
  }
  data::Dataset<float> ds;
  ds.X = Tensor<float>::from_vector(x, Shape{n, 2});
  ds.y = Tensor<float>::from_vector(y, Shape{n});
  return ds;
}

std::vector<std::size_t> sample_ids(const Tensor<float>& X) {
  std::vector<std::size_t> ids;
  for (std::size_t i = 0; i < X.shape()[0]; ++i) ids.push_back(static_cast<std::size_t>(X(i, 0)));
  return ids;
}
}  // namespace

TEST_CASE("DataLoader without shuffle yields the rows in order, last batch short") {
  auto ds = make_ds(10);
  data::DataLoader loader(ds, 4);
  CHECK(loader.size() == 3);
  CHECK(loader.n_samples() == 10);
  std::vector<std::size_t> sizes, seen;
  for (auto& [xb, yb] : loader) {
    REQUIRE(xb.shape()[0] == yb.shape()[0]);
    CHECK(xb.shape()[1] == 2);
    sizes.push_back(xb.shape()[0]);
    for (std::size_t i = 0; i < xb.shape()[0]; ++i) {
      CHECK(xb(i, 1) == xb(i, 0) + 100.0f);
      CHECK(yb(i) == xb(i, 0) + 1000.0f);
      seen.push_back(static_cast<std::size_t>(xb(i, 0)));
    }
  }
  CHECK(sizes == std::vector<std::size_t>{4, 4, 2});
  std::vector<std::size_t> expected(10);
  for (std::size_t i = 0; i < 10; ++i) expected[i] = i;
  CHECK(seen == expected);
}

TEST_CASE("DataLoader drop_last skips the short batch") {
  auto ds = make_ds(10);
  data::DataLoader loader(ds, 4, {.drop_last = true});
  CHECK(loader.size() == 2);
  std::size_t batches = 0;
  for (auto& b : loader.epoch(0)) {
    CHECK(b.X.shape()[0] == 4);
    ++batches;
  }
  CHECK(batches == 2);
}

TEST_CASE("DataLoader shuffles each epoch differently, reproducibly from the seed") {
  auto ds = make_ds(50);
  data::DataLoader a(ds, 8, {.shuffle = true, .seed = 7});
  data::DataLoader b(ds, 8, {.shuffle = true, .seed = 7});
  data::DataLoader c(ds, 8, {.shuffle = true, .seed = 8});
  auto collect = [](auto epoch) {
    std::vector<std::size_t> ids;
    for (auto& batch : epoch) {
      auto part = sample_ids(batch.X);
      for (std::size_t i = 0; i < part.size(); ++i) CHECK(batch.y(i) == static_cast<float>(1000 + part[i]));
      ids.insert(ids.end(), part.begin(), part.end());
    }
    return ids;
  };
  const auto a0 = collect(a.epoch(0)), a1 = collect(a.epoch(1));
  CHECK(a0 == collect(b.epoch(0)));
  CHECK(a1 == collect(b.epoch(1)));
  CHECK(a0 != a1);
  CHECK(a0 != collect(c.epoch(0)));
  // Each epoch is a permutation of all samples.
  std::set<std::size_t> uniq(a0.begin(), a0.end());
  CHECK(uniq.size() == 50);
  CHECK(*uniq.rbegin() == 49);
  CHECK(a.order(3) == a.order(3));

  // Iterating the loader itself walks epochs 0, 1, ... ; set_epoch rewinds.
  std::vector<std::size_t> it0, it1;
  for (auto& batch : b) {
    auto part = sample_ids(batch.X);
    it0.insert(it0.end(), part.begin(), part.end());
  }
  for (auto& batch : b) {
    auto part = sample_ids(batch.X);
    it1.insert(it1.end(), part.begin(), part.end());
  }
  CHECK(it0 == a0);
  CHECK(it1 == a1);
  CHECK(b.epochs_started() == 2);
  b.set_epoch(0);
  CHECK(collect(b.epoch(0)) == a0);
  auto first = b.begin();
  CHECK(sample_ids(first->X) == std::vector<std::size_t>(a0.begin(), a0.begin() + 8));
}

TEST_CASE("DataLoader over X and y tensors of different types and ranks") {
  auto X = Tensor<double>::from_vector({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Shape{3, 2, 2});
  auto y = Tensor<std::int64_t>::from_vector({5, 6, 7}, Shape{3});
  data::DataLoader loader(X, y, 2);
  auto ep = loader.epoch(0);
  auto b0 = ep[0];
  CHECK(b0.X.shape() == Shape{2, 2, 2});
  CHECK(b0.X.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(b0.y.to_vector() == std::vector<std::int64_t>{5, 6});
  auto b1 = ep[1];
  CHECK(b1.X.shape() == Shape{1, 2, 2});
  CHECK(b1.y.to_vector() == std::vector<std::int64_t>{7});
  // Batches are copies: writing into one leaves the source alone.
  b0.X.data()[0] = 99;
  CHECK(X(0, 0, 0) == 0.0);
}

TEST_CASE("DataLoader validates its arguments") {
  auto ds = make_ds(4);
  CHECK_THROWS_WITH_AS(data::DataLoader(ds, 0), "DataLoader: batch_size must be >= 1, got 0", ValueError);
  auto y3 = Tensor<float>::zeros(Shape{3});
  CHECK_THROWS_WITH_AS(data::DataLoader(ds.X, y3, 2), "DataLoader: X [4,2] has 4 samples but y [3] has 3",
                       ShapeError);
  data::DataLoader empty(Tensor<float>::zeros(Shape{0, 2}), Tensor<float>::zeros(Shape{0}), 3);
  CHECK(empty.size() == 0);
  std::size_t n = 0;
  for ([[maybe_unused]] auto& b : empty) ++n;
  CHECK(n == 0);
}

// Distributed training with the in-process communicator (threads as ranks; no MPI needed):
// collectives, bin-edge agreement, boosting equal to a single-process fit on the union of the
// shards, data-parallel SGD equal to global-batch SGD, failures that reach every rank.
#include <grove/distributed/bin_edges.hpp>
#include <grove/distributed/boosting.hpp>
#include <grove/distributed/communicator.hpp>
#include <grove/distributed/csv_shard.hpp>
#include <grove/distributed/data_parallel.hpp>
#include <grove/distributed/in_process.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/tensor.hpp>
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::distributed;

namespace {

struct Data {
  Tensor<float> X;
  Tensor<float> y;
};

// y from s = x0 + 0.5 x1^2 - x2 + noise: regression (classes = 0), binary or `classes` bands.
Data make_data(std::size_t n, std::size_t d, std::uint64_t seed, std::size_t classes) {
  Rng rng(seed);
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.normal());
    if (i % 17 == 3) x[i * d + 3] = std::numeric_limits<float>::quiet_NaN();
    const double s = x[i * d] + 0.5 * x[i * d + 1] * x[i * d + 1] - x[i * d + 2] + 0.3 * rng.normal();
    if (classes == 0)
      y[i] = static_cast<float>(s);
    else if (classes == 2)
      y[i] = s > 0.5 ? 1.0f : 0.0f;
    else
      y[i] = static_cast<float>(static_cast<std::size_t>(std::clamp((s + 2.0) / 5.0, 0.0, 0.999) * double(classes)));
  }
  return {Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(y, Shape{n})};
}

// Rows i with i % size == rank (rows of `empty_rank` none at all, when >= 0).
Data shard(const Data& all, int rank, int size, int empty_rank = -1) {
  const std::size_t n = all.X.shape(0), d = all.X.shape(1);
  std::vector<float> x, y;
  for (std::size_t i = 0; i < n; ++i) {
    int owner = static_cast<int>(i % static_cast<std::size_t>(size));
    if (owner == empty_rank) owner = (owner + 1) % size;
    if (owner != rank) continue;
    x.insert(x.end(), all.X.data() + i * d, all.X.data() + (i + 1) * d);
    y.push_back(all.y.data()[i]);
  }
  const std::size_t m = y.size();
  return {Tensor<float>::from_vector(x, Shape{m, d}), Tensor<float>::from_vector(y, Shape{m})};
}

std::string message_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const DistributedError& x) {
    return std::string("DistributedError: ") + x.what();
  } catch (const std::exception& x) {
    return std::string("other: ") + x.what();
  }
}

// Runs fn on `size` in-process ranks and fails the test with the first rank's error.
void run_ok(int size, const std::function<void(Communicator&)>& fn) {
  const auto errors = run_in_process(size, fn);
  for (std::size_t r = 0; r < errors.size(); ++r)
    if (errors[r]) FAIL("rank " << r << " threw: " << message_of(errors[r]));
}

template <class Model>
void check_same_trees(const Model& a, const Model& b, double leaf_tol) {
  REQUIRE(a.trees().size() == b.trees().size());
  for (std::size_t t = 0; t < a.trees().size(); ++t) {
    const trees::Tree& x = a.trees()[t];
    const trees::Tree& z = b.trees()[t];
    REQUIRE(x.nodes.size() == z.nodes.size());
    // Node covers (hessian sums, what TreeSHAP reads) are summed over the shards.
    REQUIRE(x.cover.size() == x.nodes.size());
    REQUIRE(z.cover.size() == z.nodes.size());
    for (std::size_t i = 0; i < x.nodes.size(); ++i) {
      CHECK(x.cover[i] == doctest::Approx(z.cover[i]).epsilon(1e-5));
      REQUIRE(x.is_leaf(i) == z.is_leaf(i));
      if (x.is_leaf(i)) {
        CHECK(std::abs(x.nodes[i].threshold - z.nodes[i].threshold) <= leaf_tol);
      } else {
        CHECK(x.nodes[i].feature_flags == z.nodes[i].feature_flags);
        CHECK(x.nodes[i].threshold == z.nodes[i].threshold);
        CHECK(x.nodes[i].left == z.nodes[i].left);
        CHECK(x.nodes[i].right == z.nodes[i].right);
      }
    }
  }
}

template <class T>
bool bitwise_equal(const Tensor<T>& a, const Tensor<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace

TEST_CASE("in-process communicator: allreduce in rank order, identical on every rank") {
  for (int size : {1, 2, 3}) {
    std::vector<std::vector<double>> got(static_cast<std::size_t>(size));
    std::vector<std::vector<std::int64_t>> mx(static_cast<std::size_t>(size)), mn(static_cast<std::size_t>(size));
    std::vector<std::uint64_t> sent(static_cast<std::size_t>(size));
    run_ok(size, [&](Communicator& c) {
      CHECK(c.size() == size);
      const auto r = static_cast<std::size_t>(c.rank());
      // 0.1 + 1e16 + -1e16 depends on the order: rank order gives (0.1 + 1e16) - 1e16 = 0.
      std::vector<double> v = {r == 0 ? 0.1 : (r == 1 ? 1e16 : -1e16), double(r) + 1.0, 0.5 * double(r), 7.0, -1.0};
      c.allreduce(std::span<double>(v));
      got[r] = v;
      std::vector<std::int64_t> a = {std::int64_t(r) * 3 - 2, 10 - std::int64_t(r)};
      std::vector<std::int64_t> b = a;
      c.allreduce(std::span<std::int64_t>(a), ReduceOp::Max);
      c.allreduce(std::span<std::int64_t>(b), ReduceOp::Min);
      mx[r] = a;
      mn[r] = b;
      std::vector<float> f = {1.5f};
      c.allreduce(std::span<float>(f));
      CHECK(f[0] == 1.5f * float(size));
      sent[r] = c.bytes_sent();
      c.barrier();
    });
    double first = 0.1;
    if (size >= 2) first = 0.1 + 1e16;
    if (size >= 3) first = (0.1 + 1e16) - 1e16;
    double count = 0, half = 0;
    for (int r = 0; r < size; ++r) count += r + 1.0, half += 0.5 * r;
    for (int r = 0; r < size; ++r) {
      const auto& v = got[static_cast<std::size_t>(r)];
      CHECK(v[0] == first);
      CHECK(v[1] == count);
      CHECK(v[2] == half);
      CHECK(v[3] == 7.0 * size);
      CHECK(v[4] == -1.0 * size);
      CHECK(mx[static_cast<std::size_t>(r)] == std::vector<std::int64_t>{3 * (size - 1) - 2, 10});
      CHECK(mn[static_cast<std::size_t>(r)] == std::vector<std::int64_t>{-2, 10 - (size - 1)});
    }
    // Reduce-scatter + allgather: rank r sends n - own + (size - 1) * own elements.
    if (size == 1) CHECK(sent[0] == 0);
    if (size == 2) CHECK(sent[0] == (5 - 2 + 2) * 8 + (2 - 1 + 1) * 8 * 2 + (1 - 0 + 0) * 4);  // own chunks: 2, 1, 0
    if (size == 3) CHECK(sent[2] == (5 - 2 + 2 * 2) * 8 + (2 - 1 + 2 * 1) * 8 * 2 + (1 - 1 + 2 * 1) * 4);
  }
}

TEST_CASE("in-process communicator: broadcast and allgather of byte buffers") {
  run_ok(3, [&](Communicator& c) {
    std::vector<std::byte> b;
    if (c.rank() == 1) b = {std::byte{1}, std::byte{2}, std::byte{3}};
    else b = {std::byte{9}};
    c.broadcast(b, 1);
    CHECK(b == std::vector<std::byte>{std::byte{1}, std::byte{2}, std::byte{3}});
    std::vector<std::byte> mine(static_cast<std::size_t>(c.rank()), std::byte(c.rank() + 40));
    const auto all = c.allgather(mine);
    REQUIRE(all.size() == 3);
    for (std::size_t r = 0; r < 3; ++r) CHECK(all[r] == std::vector<std::byte>(r, std::byte(r + 40)));
    CHECK_THROWS_WITH_AS(c.broadcast(b, 3), "Communicator::broadcast: root 3 is not a rank (0..2)", ValueError);
  });
}

TEST_CASE("in-process communicator: a rank that throws ends the others' collectives, naming it") {
  const auto t0 = std::chrono::steady_clock::now();
  const auto errors = run_in_process(3, [](Communicator& c) {
    std::vector<double> v(4, 1.0);
    c.allreduce(std::span<double>(v));
    if (c.rank() == 1) throw ValueError("bad shard on purpose");
    c.allreduce(std::span<double>(v));  // ranks 0 and 2 wait here for rank 1
  });
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  CHECK(message_of(errors[1]) == "other: bad shard on purpose");
  CHECK(message_of(errors[0]) == "DistributedError: rank 1 failed: bad shard on purpose");
  CHECK(message_of(errors[2]) == "DistributedError: rank 1 failed: bad shard on purpose");

  // A rank that returns while the others still wait in a collective.
  const auto left = run_in_process(2, [](Communicator& c) {
    if (c.rank() == 0) c.barrier();
  });
  CHECK(message_of(left[0]) == "DistributedError: a rank finished while others wait in a collective");
  CHECK(!left[1]);
}

TEST_CASE("on_every_rank: an error on one rank is the same DistributedError on all of them") {
  std::vector<std::string> msgs(3);
  run_ok(3, [&](Communicator& c) {
    try {
      on_every_rank(c, "phase", [&] {
        if (c.rank() == 2) throw ValueError("y[4] = 2.5 is not a class label");
      });
    } catch (const DistributedError& e) {
      msgs[static_cast<std::size_t>(c.rank())] = e.what();
    }
  });
  for (const auto& m : msgs) CHECK(m == "phase: rank 2: y[4] = 2.5 is not a class label");
}

TEST_CASE("agree_bin_edges: the union's BinMapper::fit edges at any rank count; compressed summaries agree") {
  const Data all = make_data(900, 5, 11, 2);
  const trees::BinMapper single = trees::BinMapper::fit(all.X.data(), 900, 5, 32);
  for (int size : {1, 2, 3}) {
    std::vector<std::vector<std::vector<float>>> edges(static_cast<std::size_t>(size));
    run_ok(size, [&](Communicator& c) {
      const Data s = shard(all, c.rank(), size);
      const trees::BinMapper m = agree_bin_edges(c, s.X.data(), s.X.shape(0), 5, 32);
      for (std::size_t f = 0; f < 5; ++f) edges[static_cast<std::size_t>(c.rank())].push_back(m.edges(f));
      // Compressed to 64 points a rank: still the same edges on every rank, and 32 bins.
      const trees::BinMapper small = agree_bin_edges(c, s.X.data(), s.X.shape(0), 5, 32, 64);
      std::vector<double> e = {double(small.edges(0).front()), double(small.edges(0).back()), double(small.n_bins(0))};
      std::vector<double> e0 = e;
      c.allreduce(std::span<double>(e0), ReduceOp::Max);
      CHECK(e == e0);
      CHECK(small.n_bins(0) == 32);
    });
    for (const auto& rank_edges : edges)
      for (std::size_t f = 0; f < 5; ++f) CHECK(rank_edges[f] == single.edges(f));
  }
  CHECK_THROWS_WITH_AS(trees::BinMapper::from_edges({{1.0f, 1.0f}}),
                       "BinMapper::from_edges: feature 0: edges must be strictly increasing and not NaN (edge 1)",
                       ValueError);
}

TEST_CASE("fit_boosting equals a single-process fit on the union (np 1/2/3, binary, multiclass, regression)") {
  using trees::GradientBoostingClassifier;
  using trees::GradientBoostingRegressor;
  const Data bin = make_data(600, 5, 3, 2), multi = make_data(600, 5, 4, 3), reg = make_data(600, 5, 5, 0);
  const trees::GradientBoostingClassifierParams cp{.n_estimators = 12, .learning_rate = 0.3, .max_depth = 4};
  const trees::GradientBoostingRegressorParams rp{.n_estimators = 12, .learning_rate = 0.3, .max_depth = 4};
  GradientBoostingClassifier single_bin(cp), single_multi(cp);
  GradientBoostingRegressor single_reg(rp);
  single_bin.fit(bin.X, bin.y);
  single_multi.fit(multi.X, multi.y);
  single_reg.fit(reg.X, reg.y);
  for (int size : {1, 2, 3}) {
    CAPTURE(size);
    std::vector<GradientBoostingClassifier> b(static_cast<std::size_t>(size)), m(static_cast<std::size_t>(size));
    std::vector<GradientBoostingRegressor> g(static_cast<std::size_t>(size));
    run_ok(size, [&](Communicator& c) {
      const auto r = static_cast<std::size_t>(c.rank());
      const Data sb = shard(bin, c.rank(), size), sm = shard(multi, c.rank(), size), sg = shard(reg, c.rank(), size);
      b[r] = fit_boosting<GradientBoostingClassifier>(c, cp, sb.X, sb.y);
      m[r] = fit_boosting<GradientBoostingClassifier>(c, cp, sm.X, sm.y);
      g[r] = fit_boosting<GradientBoostingRegressor>(c, rp, sg.X, sg.y);
    });
    check_same_trees(b[0], single_bin, 1e-5);
    check_same_trees(m[0], single_multi, 1e-5);
    check_same_trees(g[0], single_reg, 1e-5);
    const Tensor<float> pb = b[0].predict_proba(bin.X), sb = single_bin.predict_proba(bin.X);
    const Tensor<float> pm = m[0].predict_proba(multi.X), sm = single_multi.predict_proba(multi.X);
    const Tensor<float> pg = g[0].predict(reg.X), sg = single_reg.predict(reg.X);
    for (std::size_t i = 0; i < pb.size(); ++i) CHECK(std::abs(pb.data()[i] - sb.data()[i]) <= 1e-5);
    for (std::size_t i = 0; i < pm.size(); ++i) CHECK(std::abs(pm.data()[i] - sm.data()[i]) <= 1e-5);
    for (std::size_t i = 0; i < pg.size(); ++i) CHECK(std::abs(pg.data()[i] - sg.data()[i]) <= 1e-5);
    CHECK(m[0].n_classes() == 3);
    // Every rank holds the same model, bit for bit.
    for (int r = 1; r < size; ++r) {
      CHECK(bitwise_equal(b[static_cast<std::size_t>(r)].predict_proba(bin.X), pb));
      CHECK(bitwise_equal(g[static_cast<std::size_t>(r)].predict(reg.X), pg));
    }
  }
}

TEST_CASE("fit_boosting: identical on every run at a rank count; zero-row shard; saved file loads") {
  using trees::GradientBoostingClassifier;
  const Data all = make_data(500, 5, 8, 3);
  const trees::GradientBoostingClassifierParams p{.n_estimators = 8, .max_depth = 3, .subsample = 0.8, .colsample = 0.8};
  std::vector<Tensor<float>> runs;
  BoostingReport report;
  for (int run = 0; run < 2; ++run) {
    run_ok(3, [&](Communicator& c) {
      const Data s = shard(all, c.rank(), 3, /*empty_rank=*/1);
      if (c.rank() == 1) CHECK(s.X.shape(0) == 0);
      BoostingOptions o;
      if (c.rank() == 0) o.report = &report;
      const auto model = fit_boosting<GradientBoostingClassifier>(c, p, s.X, s.y, o);
      if (c.rank() == 0) {
        runs.push_back(model.predict_proba(all.X));
        model.save(GROVE_TEST_TMP_DIR "/distributed_model.grove");
      }
    });
  }
  CHECK(bitwise_equal(runs[0], runs[1]));
  const auto loaded = GradientBoostingClassifier::load(GROVE_TEST_TMP_DIR "/distributed_model.grove");
  CHECK(bitwise_equal(loaded.predict_proba(all.X), runs[0]));
  CHECK(report.rows == 500);
  CHECK(report.trees == 8 * 3);
  CHECK(report.histogram_values > 0);
  CHECK(report.training_bytes > 0);
  CHECK(report.bin_edge_bytes > 0);
  CHECK(report.train_loss > 0.0);
  CHECK(report.train_loss < 1.0);
}

TEST_CASE("fit_boosting: early stopping on distributed validation data matches the single process") {
  using trees::GradientBoostingRegressor;
  const Data train = make_data(400, 5, 21, 0), val = make_data(200, 5, 22, 0);
  const trees::GradientBoostingRegressorParams p{.n_estimators = 200, .learning_rate = 0.5, .max_depth = 5,
                                                 .early_stopping_rounds = 3};
  GradientBoostingRegressor single(p);
  single.fit(train.X, train.y, trees::ValidationSet<float, float>{val.X, val.y});
  REQUIRE(single.best_iteration() < 200);
  std::vector<std::size_t> best(2);
  std::vector<double> last_val(2);
  run_ok(2, [&](Communicator& c) {
    const Data s = shard(train, c.rank(), 2), v = shard(val, c.rank(), 2);
    const auto m = fit_boosting<GradientBoostingRegressor>(c, p, s.X, s.y, trees::ValidationSet<float, float>{v.X, v.y});
    best[static_cast<std::size_t>(c.rank())] = m.best_iteration();
    last_val[static_cast<std::size_t>(c.rank())] = m.history().series("val_loss").back();
  });
  CHECK(best[0] == single.best_iteration());
  CHECK(best[1] == best[0]);
  CHECK(last_val[0] == doctest::Approx(single.history().series("val_loss").back()).epsilon(1e-9));
}

TEST_CASE("fit_boosting: a bad or misconfigured rank fails every rank with an error naming it") {
  using trees::GradientBoostingClassifier;
  const Data all = make_data(300, 4, 9, 2);
  const trees::GradientBoostingClassifierParams p{.n_estimators = 3, .max_depth = 2};
  auto expect_all = [](int size, const std::function<void(Communicator&)>& fn, const std::string& msg) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto errors = run_in_process(size, fn);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
    for (const auto& e : errors) CHECK(message_of(e) == "DistributedError: " + msg);
  };
  const std::string op = "distributed::fit_boosting<GradientBoostingClassifier>";
  // Wrong number of features on rank 1.
  expect_all(3, [&](Communicator& c) {
    Data s = shard(all, c.rank(), 3);
    if (c.rank() == 1) s.X = s.X.slice(1, 0, 3).contiguous();
    fit_boosting<GradientBoostingClassifier>(c, p, s.X, s.y);
  }, op + ": rank 1 has features = 3, rank 0 has 4");
  // A bad label on rank 2.
  expect_all(3, [&](Communicator& c) {
    Data s = shard(all, c.rank(), 3);
    if (c.rank() == 2) s.y.data()[4] = 2.5f;
    fit_boosting<GradientBoostingClassifier>(c, p, s.X, s.y);
  }, op + ": rank 2: " + op + ": y[4] = 2.5 is not a class label (expected an integer in 0..65535)");
  // A different schema on rank 1, different params on rank 2.
  expect_all(3, [&](Communicator& c) {
    const Data s = shard(all, c.rank(), 3);
    BoostingOptions o;
    o.schema.target = c.rank() == 1 ? "label" : "y";
    trees::GradientBoostingClassifierParams q = p;
    if (c.rank() == 2) q.max_depth = 5;
    fit_boosting<GradientBoostingClassifier>(c, q, s.X, s.y, o);
  }, op + ": rank 1 has schema = 0 columns (), target 'label', digest " + [] {
       io::BinaryWriter w;
       data::Schema s;
       s.target = "label";
       data::write_schema(w, s);
       char hex[20];
       std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(io::fnv1a64(w.payload().data(), w.payload().size())));
       return std::string(hex);
     }() + ", rank 0 has 0 columns (), target 'y', digest " + [] {
       io::BinaryWriter w;
       data::Schema s;
       s.target = "y";
       data::write_schema(w, s);
       char hex[20];
       std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(io::fnv1a64(w.payload().data(), w.payload().size())));
       return std::string(hex);
     }() + "; rank 2 has param max_depth = 5, rank 0 has 2");
  // Categorical features are refused rather than binned as numbers.
  expect_all(2, [&](Communicator& c) {
    const Data s = shard(all, c.rank(), 2);
    trees::GradientBoostingClassifierParams q = p;
    q.categorical_features = {1};
    fit_boosting<GradientBoostingClassifier>(c, q, s.X, s.y);
  }, op + ": rank 0: " + op + ": categorical_features are not supported in distributed training yet; rank 1: " + op +
         ": categorical_features are not supported in distributed training yet");
  // Weights: class weights and validation weights are refused on every rank.
  expect_all(2, [&](Communicator& c) {
    const Data s = shard(all, c.rank(), 2);
    trees::GradientBoostingClassifierParams q = p;
    q.class_weight = trees::ClassWeight::balanced();
    fit_boosting<GradientBoostingClassifier>(c, q, s.X, s.y);
  }, op + ": rank 0: " + op + ": class_weight is not supported in distributed training yet; rank 1: " + op +
         ": class_weight is not supported in distributed training yet");
  expect_all(2, [&](Communicator& c) {
    const Data s = shard(all, c.rank(), 2);
    const trees::ValidationSet<float, float> v{s.X, s.y, std::vector<double>(s.y.size(), 2.0)};
    fit_boosting<GradientBoostingClassifier>(c, p, s.X, s.y, v);
  }, op + ": rank 0: " + op + ": sample_weight is not supported in distributed training yet; rank 1: " + op +
         ": sample_weight is not supported in distributed training yet");
  // No rows anywhere; absolute error.
  expect_all(2, [&](Communicator& c) {
    fit_boosting<GradientBoostingClassifier>(c, p, Tensor<float>(Shape{0, 4}), Tensor<float>(Shape{0}));
  }, op + ": no rank has training rows");
  expect_all(2, [&](Communicator& c) {
    const Data s = shard(make_data(100, 4, 1, 0), c.rank(), 2);
    fit_boosting<trees::GradientBoostingRegressor>(c, {.loss = trees::Loss::AbsoluteError}, s.X, s.y);
  }, "distributed::fit_boosting<GradientBoostingRegressor>: rank 0: distributed::fit_boosting<GradientBoostingRegressor>: "
     "loss absolute_error cannot train on sharded rows (a leaf's median needs every residual); use squared_error; "
     "rank 1: distributed::fit_boosting<GradientBoostingRegressor>: loss absolute_error cannot train on sharded rows "
     "(a leaf's median needs every residual); use squared_error");
}

namespace {

// A communicator that counts the allreduce calls it forwards.
class CountingCommunicator final : public Communicator {
public:
  explicit CountingCommunicator(Communicator& inner) : inner_(inner) {}
  int rank() const noexcept override { return inner_.rank(); }
  int size() const noexcept override { return inner_.size(); }
  void barrier() override { inner_.barrier(); }
  int reduces = 0;

protected:
  void reduce_elements(void* v, std::size_t n, ElementType t, ReduceOp op) override {
    ++reduces;
    if (t == ElementType::Float32) inner_.allreduce(std::span<float>(static_cast<float*>(v), n), op);
    if (t == ElementType::Float64) inner_.allreduce(std::span<double>(static_cast<double*>(v), n), op);
    if (t == ElementType::Int64) inner_.allreduce(std::span<std::int64_t>(static_cast<std::int64_t*>(v), n), op);
  }
  void broadcast_bytes(std::vector<std::byte>& b, int root) override { inner_.broadcast(b, root); }
  std::vector<std::vector<std::byte>> allgather_bytes(std::span<const std::byte> b) override {
    return inner_.allgather(b);
  }
  void abort_group(const std::string& m) override { inner_.abort(m); }

private:
  Communicator& inner_;
};

using Net = nn::Sequential<float>;

Net make_net(std::uint64_t seed) {
  Rng rng(seed);
  return Net{nn::Linear<float>(6, 16, rng), nn::Tanh<float>(), nn::Linear<float>(16, 3, rng)};
}

// Rows [lo, hi) of a row-major matrix as a tensor.
Tensor<float> rows_of(const std::vector<float>& x, std::size_t d, std::size_t lo, std::size_t hi) {
  return Tensor<float>::from_vector(std::vector<float>(x.begin() + long(lo * d), x.begin() + long(hi * d)),
                                    Shape{hi - lo, d});
}

}  // namespace

TEST_CASE("DataParallel: 50 SGD steps equal single-process steps on the global batch (np 1/2/3)") {
  constexpr std::size_t kBatch = 24, kSteps = 50;
  Rng rng(5);
  std::vector<float> X(kBatch * kSteps * 6), Y(kBatch * kSteps * 3);
  for (float& v : X) v = static_cast<float>(rng.normal());
  for (float& v : Y) v = static_cast<float>(rng.normal());
  Net ref = make_net(1);
  optim::SGD<float> ref_opt(ref.parameters(), {.lr = 0.05, .momentum = 0.9});
  for (std::size_t s = 0; s < kSteps; ++s) {
    ref_opt.zero_grad();
    nn::mse_loss(ref(rows_of(X, 6, s * kBatch, (s + 1) * kBatch)), rows_of(Y, 3, s * kBatch, (s + 1) * kBatch)).backward();
    ref_opt.step();
  }
  for (int size : {1, 2, 3}) {
    CAPTURE(size);
    std::vector<std::vector<float>> params(static_cast<std::size_t>(size));
    std::vector<int> reduces(static_cast<std::size_t>(size));
    run_ok(size, [&](Communicator& base) {
      CountingCommunicator c(base);
      Net net = make_net(100 + static_cast<std::uint64_t>(c.rank()));  // rank 0's init is broadcast: seed 1 there
      if (c.rank() == 0) net = make_net(1);
      DataParallel<float> dp(c, net.parameters(), 64 * sizeof(float));  // 4 tensors -> 3 buckets
      CHECK(dp.buckets() == 3);
      dp.broadcast_parameters();
      optim::SGD<float> opt(net.parameters(), {.lr = 0.05, .momentum = 0.9});
      // Uneven local batches: rank r takes rows [lo, hi) of each step's global batch; with 3
      // ranks rank 2 takes none on odd steps.
      for (std::size_t s = 0; s < kSteps; ++s) {
        std::size_t lo = kBatch * std::size_t(c.rank()) / std::size_t(size), hi = kBatch * std::size_t(c.rank() + 1) / std::size_t(size);
        if (size == 3 && s % 2 == 1) {
          const std::size_t cut[4] = {0, 14, 24, 24};
          lo = cut[c.rank()];
          hi = cut[c.rank() + 1];
        }
        opt.zero_grad();
        if (hi > lo)
          nn::mse_loss(net(rows_of(X, 6, s * kBatch + lo, s * kBatch + hi)), rows_of(Y, 3, s * kBatch + lo, s * kBatch + hi))
              .backward();
        CHECK(dp.average_gradients(hi - lo) == kBatch);
        opt.step();
      }
      for (const auto& p : net.parameters()) {
        const auto v = p.to_vector();
        params[static_cast<std::size_t>(c.rank())].insert(params[static_cast<std::size_t>(c.rank())].end(), v.begin(), v.end());
      }
      reduces[static_cast<std::size_t>(c.rank())] = c.reduces;
    });
    std::vector<float> want;
    for (const auto& p : ref.parameters()) {
      const auto v = p.to_vector();
      want.insert(want.end(), v.begin(), v.end());
    }
    for (int r = 0; r < size; ++r) {
      const auto& got = params[static_cast<std::size_t>(r)];
      REQUIRE(got.size() == want.size());
      float worst = 0.0f;
      for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
      CHECK(worst <= 1e-5f);
      CHECK(got == params[0]);  // every rank the same bits
      if (size > 1) CHECK(reduces[static_cast<std::size_t>(r)] == int(3 * kSteps));  // one call per bucket
    }
  }
}

TEST_CASE("DataParallel: different parameter shapes on a rank are an error naming it") {
  const auto errors = run_in_process(2, [](Communicator& c) {
    Rng rng(1);
    Net net{nn::Linear<float>(6, c.rank() == 1 ? 8 : 16, rng)};
    DataParallel<float> dp(c, net.parameters());
    dp.broadcast_parameters();
  });
  for (const auto& e : errors)
    CHECK(message_of(e) == "DistributedError: DataParallel::broadcast_parameters: rank 1 has parameter 0 shape = [8,6], "
                           "rank 0 has [16,6]");
}

TEST_CASE("read_csv_shard: rank r gets rows i % K == r with the schema rank 0 inferred") {
  const std::string path = GROVE_TEST_TMP_DIR "/distributed_shard.csv";
  {
    std::ofstream f(path);
    f << "a,color,label\n";
    for (int i = 0; i < 10; ++i) f << i * 1.5 << "," << (i % 3 == 0 ? "red" : "blue") << "," << (i % 2 ? "yes" : "no") << "\n";
  }
  const data::Dataset<float> whole = data::load_csv<float>(path, {.target = "label"});
  run_ok(3, [&](Communicator& c) {
    const data::Schema s = agree_csv_schema(c, path, {.target = "label"}, c.rank() == 0 ? 40 : 1 << 20);
    CHECK(s.class_names == std::vector<std::string>{"no", "yes"});
    const auto sh = read_csv_shard<float>(path, s, c.rank(), 3);
    const auto r = static_cast<std::size_t>(c.rank());
    std::size_t k = 0;
    for (std::size_t i = r; i < 10; i += 3, ++k) {
      CHECK(sh.lines[k] == i + 2);
      CHECK(sh.X(k, 0) == whole.X(i, 0));
      CHECK(sh.X(k, 1) == whole.X(i, 1));
      CHECK(sh.y(k) == whole.y(i));
    }
    CHECK(sh.X.shape(0) == k);
  });
  // A missing file on rank 0 reaches every rank.
  const auto errors = run_in_process(2, [](Communicator& c) { agree_csv_schema(c, "/nonexistent/x.csv", {}); });
  for (const auto& e : errors)
    CHECK(message_of(e).rfind("DistributedError: agree_csv_schema: rank 0: agree_csv_schema: cannot open '/nonexistent/x.csv'", 0) == 0);
}

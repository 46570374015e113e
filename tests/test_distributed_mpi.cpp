// Distributed training over MPI: run by ctest as `mpirun -np 1|2|3 grove_test_distributed_mpi`
// (every rank runs every test case; collectives pair up across ranks). The MPI communicator
// must give the same bits as the in-process one at the same rank count, boosting must equal the
// single-process fit on the union, SGD the global-batch steps, and a bad rank must fail all.
// `--abort-demo`: rank 1 throws mid-training; ctest checks that MPI_Abort ends every rank with
// its message.
#define DOCTEST_CONFIG_IMPLEMENT
#include <grove/distributed.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/tensor.hpp>
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace grove;
using namespace grove::distributed;

namespace {

MpiCommunicator& world() {
  static MpiCommunicator comm;
  return comm;
}

struct Data {
  Tensor<float> X;
  Tensor<float> y;
};

Data make_data(std::size_t n, std::size_t d, std::uint64_t seed, std::size_t classes) {
  Rng rng(seed);
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.normal());
    const double s = x[i * d] + 0.5 * x[i * d + 1] * x[i * d + 1] - x[i * d + 2] + 0.3 * rng.normal();
    if (classes == 0)
      y[i] = static_cast<float>(s);
    else
      y[i] = static_cast<float>(static_cast<std::size_t>(std::clamp((s + 2.0) / 5.0, 0.0, 0.999) * double(classes)));
  }
  return {Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(y, Shape{n})};
}

Data shard(const Data& all, int rank, int size) {
  const std::size_t n = all.X.shape(0), d = all.X.shape(1);
  std::vector<float> x, y;
  for (std::size_t i = static_cast<std::size_t>(rank); i < n; i += static_cast<std::size_t>(size)) {
    x.insert(x.end(), all.X.data() + i * d, all.X.data() + (i + 1) * d);
    y.push_back(all.y.data()[i]);
  }
  const std::size_t m = y.size();
  return {Tensor<float>::from_vector(x, Shape{m, d}), Tensor<float>::from_vector(y, Shape{m})};
}

template <class T>
bool bitwise_equal(const Tensor<T>& a, const Tensor<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace

TEST_CASE("MpiCommunicator: rank-order allreduce, the same bits as the in-process communicator") {
  Communicator& c = world();
  const int size = c.size();
  auto values = [](int r) {
    std::vector<double> v(1000);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(double(i * 7 + 1) * double(r + 1)) * std::pow(10.0, double(i % 13));
    return v;
  };
  std::vector<double> got = values(c.rank());
  c.allreduce(std::span<double>(got));
  std::vector<double> want;
  const auto errors = run_in_process(size, [&](Communicator& ip) {
    std::vector<double> v = values(ip.rank());
    ip.allreduce(std::span<double>(v));
    if (ip.rank() == 0) want = v;
  });
  for (const auto& e : errors) REQUIRE(!e);
  CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(double)) == 0);
  std::vector<std::int64_t> m = {c.rank(), -c.rank()};
  c.allreduce(std::span<std::int64_t>(m), ReduceOp::Max);
  CHECK(m == std::vector<std::int64_t>{size - 1, 0});
  std::vector<std::byte> b(static_cast<std::size_t>(c.rank() + 1), std::byte(c.rank()));
  const auto all = c.allgather(b);
  for (int r = 0; r < size; ++r) CHECK(all[static_cast<std::size_t>(r)] == std::vector<std::byte>(std::size_t(r + 1), std::byte(r)));
  std::vector<std::byte> root = c.rank() == size - 1 ? std::vector<std::byte>{std::byte{7}, std::byte{8}} : std::vector<std::byte>{};
  c.broadcast(root, size - 1);
  CHECK(root == std::vector<std::byte>{std::byte{7}, std::byte{8}});
  c.barrier();
}

TEST_CASE("fit_boosting over MPI equals the single-process fit on the union and the in-process run") {
  Communicator& c = world();
  const Data all = make_data(900, 6, 31, 3);
  const trees::GradientBoostingClassifierParams p{.n_estimators = 10, .learning_rate = 0.3, .max_depth = 4};
  const Data mine = shard(all, c.rank(), c.size());
  BoostingReport report;
  const auto model = fit_boosting<trees::GradientBoostingClassifier>(c, p, mine.X, mine.y, {.report = &report});
  trees::GradientBoostingClassifier single(p);
  single.fit(all.X, all.y);
  REQUIRE(model.trees().size() == single.trees().size());
  for (std::size_t t = 0; t < model.trees().size(); ++t) {
    const auto& a = model.trees()[t];
    const auto& b = single.trees()[t];
    REQUIRE(a.nodes.size() == b.nodes.size());
    for (std::size_t i = 0; i < a.nodes.size(); ++i)
      if (!a.is_leaf(i)) {
        CHECK(a.nodes[i].feature_flags == b.nodes[i].feature_flags);
        CHECK(a.nodes[i].threshold == b.nodes[i].threshold);
      }
  }
  const Tensor<float> pm = model.predict_proba(all.X), ps = single.predict_proba(all.X);
  float worst = 0.0f;
  for (std::size_t i = 0; i < pm.size(); ++i) worst = std::max(worst, std::abs(pm.data()[i] - ps.data()[i]));
  CHECK(worst <= 1e-5f);
  // The in-process group at the same size grows the same model bit for bit.
  Tensor<float> ip;
  const auto errors = run_in_process(c.size(), [&](Communicator& q) {
    const Data s = shard(all, q.rank(), q.size());
    const auto m = fit_boosting<trees::GradientBoostingClassifier>(q, p, s.X, s.y);
    if (q.rank() == 0) ip = m.predict_proba(all.X);
  });
  for (const auto& e : errors) REQUIRE(!e);
  CHECK(bitwise_equal(pm, ip));
  CHECK(report.rows == 900);
  if (c.size() == 1) CHECK(report.training_bytes == 0);
  if (c.size() > 1) CHECK(report.training_bytes > 0);
  // Rank 0 saves an ordinary model file.
  if (c.rank() == 0) {
    model.save(GROVE_TEST_TMP_DIR "/distributed_mpi.grove");
    CHECK(bitwise_equal(trees::GradientBoostingClassifier::load(GROVE_TEST_TMP_DIR "/distributed_mpi.grove").predict_proba(all.X), pm));
  }
}

TEST_CASE("fit_boosting over MPI: a rank with the wrong feature count fails every rank, naming it") {
  Communicator& c = world();
  if (c.size() < 2) return;
  Data mine = shard(make_data(300, 4, 2, 0), c.rank(), c.size());
  if (c.rank() == 1) mine.X = mine.X.slice(1, 0, 3).contiguous();
  CHECK_THROWS_WITH_AS(fit_boosting<trees::GradientBoostingRegressor>(c, {.n_estimators = 2}, mine.X, mine.y),
                       "distributed::fit_boosting<GradientBoostingRegressor>: rank 1 has features = 3, rank 0 has 4",
                       DistributedError);
}

TEST_CASE("DataParallel over MPI: 50 steps equal the global-batch steps") {
  Communicator& c = world();
  constexpr std::size_t kBatch = 12, kSteps = 50;
  Rng rng(3);
  std::vector<float> X(kBatch * kSteps * 4), Y(kBatch * kSteps);
  for (float& v : X) v = static_cast<float>(rng.normal());
  for (float& v : Y) v = static_cast<float>(rng.normal());
  auto rows = [](const std::vector<float>& v, std::size_t d, std::size_t lo, std::size_t hi) {
    return Tensor<float>::from_vector(std::vector<float>(v.begin() + long(lo * d), v.begin() + long(hi * d)), Shape{hi - lo, d});
  };
  auto make = [](std::uint64_t seed) {
    Rng r(seed);
    return nn::Sequential<float>{nn::Linear<float>(4, 8, r), nn::ReLU<float>(), nn::Linear<float>(8, 1, r)};
  };
  nn::Sequential<float> ref = make(1), net = make(c.rank() == 0 ? 1 : 50 + std::uint64_t(c.rank()));
  optim::Adam<float> ref_opt(ref.parameters(), {.lr = 0.01});
  DataParallel<float> dp(c, net.parameters());
  dp.broadcast_parameters();
  optim::Adam<float> opt(net.parameters(), {.lr = 0.01});
  const auto K = static_cast<std::size_t>(c.size()), r = static_cast<std::size_t>(c.rank());
  for (std::size_t s = 0; s < kSteps; ++s) {
    ref_opt.zero_grad();
    nn::mse_loss(ref(rows(X, 4, s * kBatch, (s + 1) * kBatch)), rows(Y, 1, s * kBatch, (s + 1) * kBatch)).backward();
    ref_opt.step();
    const std::size_t lo = s * kBatch + kBatch * r / K, hi = s * kBatch + kBatch * (r + 1) / K;
    opt.zero_grad();
    nn::mse_loss(net(rows(X, 4, lo, hi)), rows(Y, 1, lo, hi)).backward();
    dp.average_gradients(hi - lo);
    opt.step();
  }
  const auto a = ref.parameters(), b = net.parameters();
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a[i].size(); ++j) CHECK(std::abs(a[i].data()[j] - b[i].data()[j]) <= 1e-5f);
}

namespace {

// Throws on rank 1 at its 5th allreduce (inside tree growth), to show the abort path.
class FailingCommunicator final : public Communicator {
public:
  explicit FailingCommunicator(Communicator& inner) : inner_(inner) {}
  int rank() const noexcept override { return inner_.rank(); }
  int size() const noexcept override { return inner_.size(); }
  void barrier() override { inner_.barrier(); }

protected:
  void reduce_elements(void* v, std::size_t n, ElementType t, ReduceOp op) override {
    if (rank() == 1 && ++calls_ == 5) throw Error("injected failure on rank 1");
    if (t == ElementType::Float64) inner_.allreduce(std::span<double>(static_cast<double*>(v), n), op);
    if (t == ElementType::Float32) inner_.allreduce(std::span<float>(static_cast<float*>(v), n), op);
    if (t == ElementType::Int64) inner_.allreduce(std::span<std::int64_t>(static_cast<std::int64_t*>(v), n), op);
  }
  void broadcast_bytes(std::vector<std::byte>& b, int root) override { inner_.broadcast(b, root); }
  std::vector<std::vector<std::byte>> allgather_bytes(std::span<const std::byte> b) override { return inner_.allgather(b); }
  void abort_group(const std::string& m) override { inner_.abort(m); }

private:
  Communicator& inner_;
  int calls_ = 0;
};

int abort_demo() {
  FailingCommunicator c(world());
  const Data mine = shard(make_data(600, 4, 5, 2), c.rank(), c.size());
  fit_boosting<trees::GradientBoostingClassifier>(c, {.n_estimators = 50}, mine.X, mine.y);
  std::fprintf(stderr, "rank %d: fit returned, the abort did not happen\n", c.rank());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MpiSession mpi(argc, argv);
  set_num_threads(1);  // ranks share the machine's cores
  if (argc > 1 && std::string(argv[1]) == "--abort-demo") return abort_demo();
  doctest::Context context(argc, argv);
  if (world().rank() != 0) context.setOption("minimal", true);  // other ranks print failures only
  const int failed = context.run();
  int any = failed;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any;
}

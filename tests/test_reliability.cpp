// Reliability: autograd anomaly detection, concurrent prediction/forward from many threads
// (compared bitwise with single-threaded results), and files claiming absurd sizes failing with
// FormatError before anything is allocated (under ASan a 10^12-element allocation would abort).
#include <grove/autograd.hpp>
#include <grove/data/idx.hpp>
#include <grove/io/binary.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <thread>
#include <vector>

using namespace grove;

namespace {

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/reliability_" + name; }

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<unsigned char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void write_bytes(const std::string& path, const std::vector<unsigned char>& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
std::uint64_t get_u64(const std::vector<unsigned char>& b, std::size_t at) {
  std::uint64_t v = 0;
  std::memcpy(&v, b.data() + at, 8);
  return v;
}
void put_u64(std::vector<unsigned char>& b, std::size_t at, std::uint64_t v) { std::memcpy(b.data() + at, &v, 8); }
// Re-seals a container after its payload was edited, so only the edited field is wrong.
void reseal(std::vector<unsigned char>& b) { put_u64(b, b.size() - 8, io::fnv1a64(b.data(), b.size() - 8)); }

// Runs body(t) on `threads` std::threads at once (started together as far as possible).
template <class F>
void on_threads(int threads, F body) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(body, t);
  for (auto& th : pool) th.join();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Anomaly detection

TEST_CASE("detect_anomaly: off by default; a NaN flows through backward silently") {
  CHECK_FALSE(anomaly_enabled());
  auto x = Tensor<double>::from_vector({0.0, 4.0}, Shape{2});
  x.requires_grad(true);
  sqrt(x).sum().backward();
  CHECK(std::isinf(x.grad().to_vector()[0]));
  CHECK(x.grad().to_vector()[1] == 0.25);
}

TEST_CASE("detect_anomaly: the backward rule that produced inf is named") {
  AnomalyGuard guard;
  auto x = Tensor<double>::from_vector({0.0, 4.0}, Shape{2});
  x.requires_grad(true);
  const auto y = sqrt(x).sum();
  CHECK_THROWS_WITH_AS(y.backward(), "detect_anomaly: backward of 'sqrt' produced inf in the gradient of input 0",
                       Error);
}

TEST_CASE("detect_anomaly: the forward op that produced nan is named, with the step") {
  AnomalyGuard guard;
  guard.step(12);
  auto x = Tensor<float>::from_vector({1.0f, -1.0f}, Shape{2});
  x.requires_grad(true);
  const auto y = (log(x) * 2.0f).sum();
  CHECK_THROWS_WITH_AS(y.backward(),
                       "detect_anomaly: forward of 'log' produced nan in its output of shape [2] at step 12", Error);
  SUBCASE("0/0 in div") {
    auto a = Tensor<float>::zeros({3});
    a.requires_grad(true);
    const auto z = (a / a).sum();
    CHECK_THROWS_WITH_AS(z.backward(),
                         "detect_anomaly: forward of 'div' produced nan in its output of shape [3] at step 12", Error);
  }
  SUBCASE("a leaf that already holds nan is reported as the op's input, not blamed on the op") {
    auto a = Tensor<float>::from_vector({1.0f, std::numeric_limits<float>::quiet_NaN()}, Shape{2});
    a.requires_grad(true);
    auto w = Tensor<float>::ones({2});
    const auto z = (w * a).sum();
    CHECK_THROWS_WITH_AS(z.backward(),
                         "detect_anomaly: input 1 of 'mul' (shape [2]) already held nan before the forward pass at step 12",
                         Error);
  }
}

TEST_CASE("detect_anomaly: the guard restores the previous mode and step") {
  detect_anomaly(false);
  set_anomaly_step(-1);
  {
    AnomalyGuard guard;
    guard.step(5);
    CHECK(anomaly_enabled());
  }
  CHECK_FALSE(anomaly_enabled());
  auto x = Tensor<double>::from_vector({-1.0}, Shape{1});
  x.requires_grad(true);
  log(x).sum().backward();  // no check when off: the nan gradient path runs through
  CHECK(x.grad().to_vector()[0] == -1.0);
  detect_anomaly(true);
  auto x2 = Tensor<double>::from_vector({-1.0}, Shape{1});
  x2.requires_grad(true);
  const auto y = log(x2).sum();
  CHECK_THROWS_WITH_AS(y.backward(), "detect_anomaly: forward of 'log' produced nan in its output of shape [1]", Error);
  detect_anomaly(false);
}

TEST_CASE("detect_anomaly: finite training is unaffected (bitwise same gradients)") {
  const auto grads = [](bool on) {
    detect_anomaly(on);
    Rng rng(3);
    nn::Sequential<double> m{nn::Linear<double>(3, 5, rng), nn::Tanh(), nn::Linear<double>(5, 1, rng)};
    const auto X = Tensor<double>::randn({8, 3}, rng);
    const auto Y = Tensor<double>::randn({8, 1}, rng);
    nn::mse_loss(m.forward(X), Y).backward();
    std::vector<double> g;
    for (auto& p : m.parameters())
      for (double v : p.grad().to_vector()) g.push_back(v);
    detect_anomaly(false);
    return g;
  };
  CHECK(grads(true) == grads(false));
}

// A model with exp in the path trained with an exploding learning rate: without detection the
// loss silently turns inf/nan; with it, training stops at the first bad op, named, with its step.
namespace {
struct ExplodingRun {
  int steps_done = 0;
  double last_loss = 0;
};
ExplodingRun train_exploding(int max_steps, AnomalyGuard* guard) {
  Rng rng(11);
  nn::Linear<float> l1(2, 4, rng), l2(4, 1, rng);
  std::vector<Tensor<float>> params = l1.parameters();
  for (auto& p : l2.parameters()) params.push_back(p);
  optim::SGD<float> opt(params, {.lr = 1e6});
  const auto X = Tensor<float>::randn({16, 2}, rng);
  const auto Y = Tensor<float>::randn({16, 1}, rng);
  ExplodingRun run;
  for (int s = 0; s < max_steps; ++s) {
    if (guard) guard->step(s);
    opt.zero_grad();
    const auto loss = nn::mse_loss(l2.forward(exp(l1.forward(X))), Y);
    run.last_loss = loss.item();
    loss.backward();
    opt.step();
    run.steps_done = s + 1;
  }
  return run;
}
}  // namespace

TEST_CASE("detect_anomaly: an exploding learning rate is stopped at the op that overflowed") {
  const ExplodingRun silent = train_exploding(6, nullptr);
  CHECK(silent.steps_done == 6);
  CHECK_FALSE(std::isfinite(silent.last_loss));  // without detection nothing stops the run

  AnomalyGuard guard;
  std::string message;
  try {
    train_exploding(6, &guard);
  } catch (const Error& e) {
    message = e.what();
  }
  INFO(message);
  // Step 0's update with lr 1e6 sends the first layer's weights far out; step 1's exp overflows.
  CHECK(message == "detect_anomaly: forward of 'exp' produced inf in its output of shape [16,4] at step 1");
}

// ---------------------------------------------------------------------------------------------
// Concurrency: fitted models are read-only during prediction.

namespace {

struct TreeData {
  Tensor<float> X, yc, yr;
};
TreeData tree_data() {
  Rng rng(5);
  const std::size_t n = 300, d = 5;
  std::vector<float> x(n * d), yc(n), yr(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f)
      x[i * d + f] = rng.uniform() < 0.05 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(rng.normal());
    const float a = std::isnan(x[i * d]) ? 0.5f : x[i * d];
    const float b = std::isnan(x[i * d + 1]) ? 0.0f : x[i * d + 1];
    yr[i] = a * 2 - b + 0.1f * static_cast<float>(rng.normal());
    yc[i] = static_cast<float>(a + b > 0.8f ? 2 : (a + b > -0.3f ? 1 : 0));
  }
  return {Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(yc, Shape{n}),
          Tensor<float>::from_vector(yr, Shape{n})};
}

template <class M, class Y>
void check_concurrent_predict(const M& m, const Tensor<float>& X) {
  const auto ref = m.predict(X).to_vector();
  const std::size_t n = X.shape(0), d = X.shape(1);
  using R = decltype(m.predict_row(std::span<const float>(X.data(), d)));
  std::vector<R> ref_rows(n);
  for (std::size_t i = 0; i < n; ++i) ref_rows[i] = m.predict_row(std::span<const float>(X.data() + i * d, d));
  std::vector<int> ok(8, 0);
  on_threads(8, [&](int t) {
    bool good = true;
    for (int rep = 0; rep < 3; ++rep) {
      good = good && m.predict(X).to_vector() == ref;
      for (std::size_t i = static_cast<std::size_t>(t); i < n; i += 3)
        good = good && m.predict_row(std::span<const float>(X.data() + i * d, d)) == ref_rows[i];
    }
    ok[static_cast<std::size_t>(t)] = good ? 1 : 0;
  });
  CHECK(ok == std::vector<int>(8, 1));
  (void)sizeof(Y);
}

}  // namespace

TEST_CASE("concurrency: tree models predict from 8 threads exactly as from one") {
  const TreeData D = tree_data();
  ThreadCountGuard threads(2);  // predict may itself use the pool: callers share it
  SUBCASE("decision trees") {
    trees::DecisionTreeClassifier c;
    c.fit(D.X, D.yc);
    check_concurrent_predict<decltype(c), int>(c, D.X);
    trees::DecisionTreeRegressor r;
    r.fit(D.X, D.yr);
    check_concurrent_predict<decltype(r), int>(r, D.X);
  }
  SUBCASE("random forests") {
    trees::RandomForestClassifier c({.n_estimators = 8, .max_depth = 6});
    c.fit(D.X, D.yc);
    check_concurrent_predict<decltype(c), int>(c, D.X);
    trees::RandomForestRegressor r({.n_estimators = 8, .max_depth = 6});
    r.fit(D.X, D.yr);
    check_concurrent_predict<decltype(r), int>(r, D.X);
  }
  SUBCASE("gradient boosting") {
    trees::GradientBoostingClassifier c({.n_estimators = 15, .max_depth = 3});
    c.fit(D.X, D.yc);
    check_concurrent_predict<decltype(c), int>(c, D.X);
    trees::GradientBoostingRegressor r({.n_estimators = 15, .max_depth = 3});
    r.fit(D.X, D.yr);
    check_concurrent_predict<decltype(r), int>(r, D.X);
  }
}

TEST_CASE("concurrency: nn forward under NoGradGuard from 8 threads exactly as from one") {
  Rng rng(9);
  nn::Sequential<float> m{nn::Linear<float>(6, 32, rng), nn::ReLU(), nn::LayerNorm<float>(32),
                          nn::Linear<float>(32, 4, rng)};
  m.eval();
  const auto X = Tensor<float>::randn({64, 6}, rng);
  std::vector<float> ref;
  {
    NoGradGuard g;
    ref = m.forward(X).to_vector();
  }
  std::vector<int> ok(8, 0);
  on_threads(8, [&](int t) {
    NoGradGuard g;  // grad mode is per thread
    bool good = true;
    for (int rep = 0; rep < 5; ++rep) {
      const auto y = m.forward(X);
      good = good && !y.requires_grad() && y.to_vector() == ref;
    }
    ok[static_cast<std::size_t>(t)] = good ? 1 : 0;
  });
  CHECK(ok == std::vector<int>(8, 1));
}

// ---------------------------------------------------------------------------------------------
// Resource limits: absurd sizes fail with FormatError before allocating.

TEST_CASE("limits: a binary container array claiming 10^12 elements") {
  io::BinaryWriter w;
  w.write<std::uint64_t>(1000000000000ULL);
  w.write<float>(1.0f);
  w.save(tmp("array.bin"), "grove.test.Array", 1);
  auto r = io::BinaryReader::open(tmp("array.bin"), "grove.test.Array", 1);
  CHECK_THROWS_WITH_AS(r.read_vector<float>(), doctest::Contains("array claims 1000000000000 elements of 4 bytes but only 4 bytes remain"),
                       FormatError);
}

TEST_CASE("limits: an IDX header claiming 4294967295 images of 65535x65535 pixels") {
  const auto u32be = [](std::vector<unsigned char>& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
  };
  std::vector<unsigned char> img, lab;
  u32be(img, 2051);
  u32be(img, 4294967295U);
  u32be(img, 65535);
  u32be(img, 65535);
  img.insert(img.end(), 16, 0);
  u32be(lab, 2049);
  u32be(lab, 4294967295U);
  lab.insert(lab.end(), 16, 0);
  write_bytes(tmp("huge.images"), img);
  write_bytes(tmp("huge.labels"), lab);
  CHECK_THROWS_WITH_AS(data::load_idx<float>(tmp("huge.images"), tmp("huge.labels")),
                       doctest::Contains("truncated: header declares 18446181123756261375 data bytes after byte 16, the file holds 16"),
                       FormatError);
}

TEST_CASE("limits: a tree model claiming 10^12 nodes") {
  const TreeData D = tree_data();
  trees::DecisionTreeRegressor m({.max_depth = 3});
  m.fit(D.X, D.yr);
  m.save(tmp("tree.bin"));
  auto b = read_bytes(tmp("tree.bin"));
  // The node array: u64 count N, N nodes, then the values array's u64 count (N * outputs).
  const std::uint64_t N = m.trees()[0].nodes.size();
  const std::size_t node_bytes = sizeof(trees::TreeNode);
  std::size_t at = 0;
  for (std::size_t p = 0; p + 16 + N * node_bytes <= b.size(); ++p)
    if (get_u64(b, p) == N && get_u64(b, p + 8 + N * node_bytes) == N) {
      at = p;
      break;
    }
  REQUIRE(at != 0);
  put_u64(b, at, 1000000000000ULL);
  reseal(b);
  write_bytes(tmp("tree_huge.bin"), b);
  CHECK_THROWS_WITH_AS(trees::DecisionTreeRegressor::load(tmp("tree_huge.bin")),
                       doctest::Contains("1000000000000 elements"), FormatError);
  SUBCASE("and 10^12 trees in a forest") {
    trees::RandomForestRegressor f({.n_estimators = 2, .max_depth = 2});
    f.fit(D.X, D.yr);
    f.save(tmp("forest.bin"));
    auto fb = read_bytes(tmp("forest.bin"));
    std::size_t tat = 0;
    for (std::size_t p = 0; p + 8 <= fb.size(); ++p)
      if (get_u64(fb, p) == 2 && p + 16 <= fb.size() && get_u64(fb, p + 8) == 1) {  // tree count, then outputs
        tat = p;
        break;
      }
    REQUIRE(tat != 0);
    put_u64(fb, tat, 1000000000000ULL);
    reseal(fb);
    write_bytes(tmp("forest_huge.bin"), fb);
    CHECK_THROWS_WITH_AS(trees::RandomForestRegressor::load(tmp("forest_huge.bin")), doctest::Contains("1000000000000"),
                         FormatError);
  }
}

TEST_CASE("limits: an nn file claiming a huge tensor") {
  Rng rng(1);
  nn::Sequential<float> m{nn::Linear<float>(4, 3, rng)};
  const auto before = m.parameters()[0].to_vector();
  SUBCASE("the value array claims 10^12 floats for a [3,4] weight") {
    io::BinaryWriter w;
    w.write<std::uint64_t>(1);
    w.write_string("0.weight");
    w.write<std::uint8_t>(1);
    w.write<std::uint32_t>(2);
    w.write<std::uint64_t>(3);
    w.write<std::uint64_t>(4);
    w.write<std::uint64_t>(1000000000000ULL);
    for (int i = 0; i < 12; ++i) w.write<float>(0.5f);
    w.save(tmp("nn_huge.bin"), nn::kModuleKind, nn::kModuleKindVersion);
    CHECK_THROWS_WITH_AS(nn::load(m, tmp("nn_huge.bin")),
                         doctest::Contains("array of 1000000000000 elements exceeds the limit of 12"), FormatError);
  }
  SUBCASE("a shape of 10^6 x 10^6") {
    io::BinaryWriter w;
    w.write<std::uint64_t>(1);
    w.write_string("0.weight");
    w.write<std::uint8_t>(1);
    w.write<std::uint32_t>(2);
    w.write<std::uint64_t>(1000000);
    w.write<std::uint64_t>(1000000);
    w.write<std::uint64_t>(0);
    w.save(tmp("nn_shape.bin"), nn::kModuleKind, nn::kModuleKindVersion);
    CHECK_THROWS_WITH_AS(nn::load(m, tmp("nn_shape.bin")),
                         doctest::Contains("parameter '0.weight' has shape [1000000,1000000] in the file but [3,4]"),
                         FormatError);
  }
  SUBCASE("a parameter count of 10^12") {
    io::BinaryWriter w;
    w.write<std::uint64_t>(1000000000000ULL);
    w.save(tmp("nn_count.bin"), nn::kModuleKind, nn::kModuleKindVersion);
    CHECK_THROWS_WITH_AS(nn::load(m, tmp("nn_count.bin")),
                         doctest::Contains("parameter count 1000000000000 exceeds the bytes present"), FormatError);
  }
  CHECK(m.parameters()[0].to_vector() == before);
}

TEST_CASE("limits: container headers with unsupported versions or an implausible kind length") {
  io::BinaryWriter w;
  w.write<std::uint32_t>(7);
  w.save(tmp("hdr.bin"), "grove.test.Header", 1);
  const auto good = read_bytes(tmp("hdr.bin"));
  const auto put_u32 = [](std::vector<unsigned char>& b, std::size_t at, std::uint32_t v) { std::memcpy(b.data() + at, &v, 4); };
  const std::size_t kind_len = std::strlen("grove.test.Header");
  SUBCASE("format version 2") {
    auto b = good;
    put_u32(b, 8, 2);
    reseal(b);
    write_bytes(tmp("hdr_v2.bin"), b);
    CHECK_THROWS_WITH_AS(io::BinaryReader::open(tmp("hdr_v2.bin"), "grove.test.Header", 1),
                         doctest::Contains("at byte 12: unsupported format version 2 (this build reads 1)"), FormatError);
  }
  SUBCASE("a kind name of 4 GB") {
    auto b = good;
    put_u32(b, 12, 0xFFFFFFFFu);
    write_bytes(tmp("hdr_kind.bin"), b);
    CHECK_THROWS_WITH_AS(io::BinaryReader::open(tmp("hdr_kind.bin"), "grove.test.Header", 1),
                         doctest::Contains("kind name of 4294967295 bytes is implausible"), FormatError);
  }
  SUBCASE("a newer kind version") {
    auto b = good;
    put_u32(b, 16 + kind_len, 9);
    reseal(b);
    write_bytes(tmp("hdr_kv.bin"), b);
    CHECK_THROWS_WITH_AS(io::BinaryReader::open(tmp("hdr_kv.bin"), "grove.test.Header", 1),
                         doctest::Contains("'grove.test.Header' version 9 is newer than this build reads (1)"),
                         FormatError);
  }
  SUBCASE("a payload size of 2^63") {
    auto b = good;
    put_u64(b, 20 + kind_len, std::uint64_t(1) << 63);
    write_bytes(tmp("hdr_size.bin"), b);
    CHECK_THROWS_WITH_AS(io::BinaryReader::open(tmp("hdr_size.bin"), "grove.test.Header", 1),
                         doctest::Contains("truncated or padded: header says 9223372036854775808 payload bytes, file has 4"),
                         FormatError);
  }
}

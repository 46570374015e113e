// Core: errors, Rng, thread pool, Shape.
#include <grove/core.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <utility>
#include <future>
#include <memory>
#include <thread>
#include <cstdio>
#include <string>
#include <numeric>
#include <set>
#include <vector>

using namespace grove;

TEST_CASE("errors derive from grove::Error and keep their message") {
  CHECK_THROWS_AS(detail::throw_shape_error("matmul: [2,3] x [4,5]"), ShapeError);
  CHECK_THROWS_AS(detail::throw_value_error("x"), Error);
  CHECK_THROWS_AS(detail::throw_format_error("x"), std::runtime_error);
  CHECK_THROWS_WITH_AS(detail::throw_format_error("load_csv: 'a.csv' line 3, column 2"),
                       "load_csv: 'a.csv' line 3, column 2", FormatError);
}

TEST_CASE("Rng: a fixed seed gives fixed first values") {
  Rng rng(0);
  // xoshiro256** seeded through SplitMix64 from 0; values pinned so any change is seen.
  const std::uint64_t a = rng.next_u64(), b = rng.next_u64(), c = rng.next_u64();
  CHECK(a == 0x99EC5F36CB75F2B4ULL);
  CHECK(b == 0xBF6E1F784956452AULL);
  CHECK(c == 0x1A5F849D4933E6E0ULL);
  Rng again(0);
  CHECK(again.next_u64() == a);
  Rng other(1);
  CHECK(other.next_u64() != a);
}

TEST_CASE("Rng: uniform, below and normal have the right ranges and moments") {
  Rng rng(123);
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    CHECK_UNARY(u >= 0.0);
    CHECK_UNARY(u < 1.0);
    const double z = rng.normal();
    sum += z;
    sum2 += z * z;
  }
  CHECK(sum / n == doctest::Approx(0.0).epsilon(0.01).scale(1.0));
  CHECK(sum2 / n == doctest::Approx(1.0).epsilon(0.02));
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[rng.below(7)];
  for (int c : counts) CHECK(c == doctest::Approx(10000).epsilon(0.05));
  CHECK_THROWS_WITH_AS(rng.below(0), "Rng::below: n must be > 0", ValueError);
}

TEST_CASE("Rng: shuffle is a permutation and streams are independent of draws") {
  Rng rng(5);
  auto p = rng.permutation(100);
  std::vector<std::size_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> iota(100);
  std::iota(iota.begin(), iota.end(), 0u);
  CHECK(sorted == iota);
  CHECK(p != iota);

  Rng base(9);
  const auto s3 = base.stream(3).next_u64();
  base.next_u64();  // drawing from the parent does not change its streams
  CHECK(base.stream(3).next_u64() == s3);
  CHECK(base.stream(4).next_u64() != s3);
  CHECK(Rng(10).stream(3).next_u64() != s3);
}

TEST_CASE("threads: set_num_threads validates and parallel_for covers the range once") {
  CHECK_THROWS_WITH_AS(set_num_threads(0), "set_num_threads: n must be in [1, 4096], got 0", ValueError);
  // A huge count would start that many OS threads at the next parallel loop.
  CHECK_THROWS_WITH_AS(set_num_threads(1000000000), "set_num_threads: n must be in [1, 4096], got 1000000000",
                       ValueError);
  for (std::size_t threads : {1u, 2u, 4u}) {
    ThreadCountGuard guard(threads);
    CHECK(num_threads() == threads);
    std::vector<std::atomic<int>> hits(1000);
    parallel_for(0, 1000, 7, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t i = lo; i < hi; ++i) hits[i].fetch_add(1);
    });
    for (auto& h : hits) CHECK(h.load() == 1);
  }
}

TEST_CASE("threads: a huge grain or an empty range still covers the range exactly once") {
  for (const std::size_t grain : {std::numeric_limits<std::size_t>::max(), std::numeric_limits<std::size_t>::max() - 1,
                                  std::size_t{1} << 63}) {
    std::vector<std::pair<std::size_t, std::size_t>> calls;
    parallel_for(3, 8, grain, [&](std::size_t lo, std::size_t hi) { calls.emplace_back(lo, hi); });
    CHECK(calls == std::vector<std::pair<std::size_t, std::size_t>>{{3, 8}});  // was skipped: the chunk count wrapped to 0
  }
  int runs = 0;
  parallel_for(5, 5, 1, [&](std::size_t, std::size_t) { ++runs; });
  parallel_for(9, 5, 1, [&](std::size_t, std::size_t) { ++runs; });
  parallel_for_chunks(0, [&](std::size_t) { ++runs; });
  CHECK(runs == 0);
}

TEST_CASE("threads: nested parallel regions run serially and exceptions propagate") {
  ThreadCountGuard guard(2);
  std::atomic<int> total{0};
  parallel_for(0, 8, 1, [&](std::size_t, std::size_t) {
    CHECK(in_parallel_region());
    parallel_for(0, 10, 1, [&](std::size_t lo, std::size_t hi) { total += static_cast<int>(hi - lo); });
  });
  CHECK(total.load() == 80);
  CHECK_FALSE(in_parallel_region());
  CHECK_THROWS_WITH_AS(parallel_for(0, 100, 1,
                                    [&](std::size_t lo, std::size_t) {
                                      if (lo == 57) detail::throw_value_error("chunk 57 failed");
                                    }),
                       "chunk 57 failed", ValueError);
  // The pool still works after an exception.
  std::atomic<int> after{0};
  parallel_for(0, 100, 10, [&](std::size_t lo, std::size_t hi) { after += static_cast<int>(hi - lo); });
  CHECK(after.load() == 100);
}

namespace {

// Runs f on a detached thread and waits at most `limit`: a regression that deadlocks fails the
// test instead of hanging CI. Returns the message of what f threw ("" if nothing), or nullopt
// on a timeout (then the process exits: the pool is wedged and later tests would hang).
template <class F>
std::string message_within(F f, std::chrono::seconds limit) {
  auto result = std::make_shared<std::promise<std::string>>();
  std::future<std::string> done = result->get_future();
  std::thread([f, result] {
    try {
      f();
      result->set_value("");
    } catch (const Error& e) {
      result->set_value(std::string("Error: ") + e.what());
    } catch (...) {
      result->set_value("another exception");
    }
  }).detach();
  if (done.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "FAILED: the call did not finish within %lld s (deadlock)\n",
                 static_cast<long long>(limit.count()));
    std::fflush(stderr);
    std::_Exit(1);
  }
  return done.get();
}

}  // namespace

TEST_CASE("threads: resizing the pool inside a parallel_for body is an Error, not a deadlock") {
  const std::string expected_set =
      "Error: set_num_threads: called inside a parallel_for body; the thread pool cannot be resized while it runs "
      "that loop (it would deadlock). Set the thread count before the parallel loop starts";
  const std::string expected_guard =
      "Error: ThreadCountGuard: called inside a parallel_for body; the thread pool cannot be resized while it "
      "runs that loop (it would deadlock). Set the thread count before the parallel loop starts";
  for (std::size_t threads : {1u, 2u, 3u}) {
    CAPTURE(threads);
    ThreadCountGuard outer(threads);
    CHECK(message_within([] { parallel_for(0, 8, 1, [](std::size_t, std::size_t) { set_num_threads(1); }); },
                         std::chrono::seconds(20)) == expected_set);
    CHECK(message_within(
              [] {
                parallel_for_chunks(6, [](std::size_t) {
                  ThreadCountGuard inner(4);
                });
              },
              std::chrono::seconds(20)) == expected_guard);
    CHECK(num_threads() == threads);  // the failed calls changed nothing
    // The pool still runs work afterwards.
    std::atomic<int> sum{0};
    parallel_for(0, 100, 10, [&](std::size_t lo, std::size_t hi) { sum += static_cast<int>(hi - lo); });
    CHECK(sum.load() == 100);
  }
  // Outside any region (including a one-chunk loop, which runs inline) resizing is fine.
  parallel_for(0, 5, 10, [](std::size_t, std::size_t) { ThreadCountGuard g(2); });
  CHECK_FALSE(in_parallel_region());
}

TEST_CASE("threads: chunked reductions are bitwise identical for any thread count") {
  std::vector<double> x(100000);
  Rng rng(1);
  for (auto& v : x) v = rng.normal();
  auto reduce = [&] {
    const std::size_t grain = 1000, n_chunks = x.size() / grain;
    std::vector<double> partial(n_chunks);
    parallel_for_chunks(n_chunks, [&](std::size_t c) {
      double s = 0;
      for (std::size_t i = c * grain; i < (c + 1) * grain; ++i) s += x[i] * 1.000001;
      partial[c] = s;
    });
    return std::accumulate(partial.begin(), partial.end(), 0.0);
  };
  double r1, r2;
  {
    ThreadCountGuard g(1);
    r1 = reduce();
  }
  {
    ThreadCountGuard g(2);
    r2 = reduce();
  }
  CHECK(r1 == r2);
}

TEST_CASE("Shape: numel, strides, broadcasting and axes") {
  Shape s{2, 3, 4};
  CHECK(s.size() == 3);
  CHECK(s.numel() == 24);
  CHECK(to_string(s) == "[2,3,4]");
  CHECK(contiguous_strides(s) == Shape{12, 4, 1});
  CHECK(Shape{}.numel() == 1);
  CHECK(broadcast_shapes(Shape{2, 1, 4}, Shape{3, 1}, "add") == Shape{2, 3, 4});
  CHECK_THROWS_WITH_AS(broadcast_shapes(Shape{2, 3}, Shape{4, 3}, "add"),
                       "add: cannot broadcast [2,3] and [4,3]", ShapeError);
  CHECK(normalize_axis(-1, 3, "sum") == 2);
  CHECK_THROWS_WITH_AS(normalize_axis(3, 3, "sum"),
                       "sum: axis 3 out of range for a 3-d tensor (allowed [-3, 2])", ValueError);
  CHECK_THROWS_AS(Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}), ValueError);
}

TEST_CASE("Progress: draws label, counts and extra text; silent when disabled") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    Progress p("epoch 1", 10, true, f);
    p.update(10, "loss 0.5000");  // the last unit always draws
  }
  std::rewind(f);
  char buf[512] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string out(buf, n);
  CHECK(out.find("epoch 1 10/10 (100%)") != std::string::npos);
  CHECK(out.find("loss 0.5000") != std::string::npos);
  CHECK(out.back() == '\n');

  std::FILE* g = std::tmpfile();
  {
    Progress quiet("x", 5, false, g);
    quiet.update(5, "y");
  }
  CHECK(std::ftell(g) == 0);
  std::fclose(g);
}

TEST_CASE("resize_huge: grows like resize, keeps the contents, fills new slots") {
  std::vector<double> v = {1.0, 2.0, 3.0};
  grove::detail::resize_huge(v, 3u << 19, 7.0);  // 12 MB: the aligned middle is advised onto 2 MB pages
  REQUIRE(v.size() == std::size_t{3} << 19);
  CHECK(v[0] == 1.0);
  CHECK(v[2] == 3.0);
  CHECK(v[3] == 7.0);
  CHECK(v.back() == 7.0);
  const double* data = v.data();
  grove::detail::resize_huge(v, 10, 9.0);  // shrinking keeps the storage, as resize does
  CHECK(v.size() == 10);
  CHECK(v.data() == data);
  CHECK(v[9] == 7.0);
  grove::detail::advise_huge_pages(v.data(), 0);  // nothing to advise: a no-op
  std::vector<std::uint32_t> empty;
  grove::detail::resize_huge(empty, 0);
  CHECK(empty.empty());
}

// Trees: histogram kernels, the histogram pool (buffers, budget, build-or-subtract) and the
// grower when the budget runs out.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace grove;
using namespace grove::detail;

TEST_CASE("accumulate_histogram: per-bin sums over gathered or contiguous rows, any channel count") {
  const std::vector<std::uint8_t> column = {0, 2, 1, 2, 0, 2};
  // Rows 1, 3, 4, 5 in node order, two channels each: bins 2, 2, 0, 2.
  const std::vector<std::uint32_t> rows = {1, 3, 4, 5};
  const std::vector<float> stats = {1, 10, 2, 20, 3, 30, 4, 40};
  std::vector<double> hist(3 * 2, 0.0);
  accumulate_histogram(column.data(), rows.data(), 0, stats.data(), rows.size(), 2, hist.data());
  CHECK(hist == std::vector<double>{3, 30, 0, 0, 7, 70});
  // Contiguous rows 2..4 (bins 1, 2, 0) skip the row list.
  std::fill(hist.begin(), hist.end(), 0.0);
  accumulate_histogram(column.data(), nullptr, 2, stats.data(), 3, 2, hist.data());
  CHECK(hist == std::vector<double>{3, 30, 1, 10, 2, 20});
  // Five channels take the generic path.
  std::vector<float> five(4 * 5);
  for (std::size_t i = 0; i < five.size(); ++i) five[i] = static_cast<float>(i);
  std::vector<double> h5(3 * 5, 0.0);
  accumulate_histogram(column.data(), rows.data(), 0, five.data(), rows.size(), 5, h5.data());
  CHECK(h5[0] == 10.0);            // bin 0: row 4 (node position 2), channel 0
  CHECK(h5[2 * 5 + 4] == 4 + 9 + 19);  // bin 2: positions 0, 1, 3, channel 4
  // Subtraction turns the parent's histogram into the sibling's.
  std::vector<double> parent = {5, 50, 1, 10, 9, 90};
  subtract_histogram(parent.data(), hist.data(), parent.size());
  CHECK(parent == std::vector<double>{2, 20, 0, 0, 7, 70});
}

TEST_CASE("HistogramPool: buffers are recycled, and past the budget none is allocated") {
  HistogramPool pool;
  pool.reset(4, 2 * 4 * sizeof(double));  // room for two histograms of 4 doubles
  CHECK(pool.can_acquire());
  const int a = pool.acquire();
  const int b = pool.acquire();
  CHECK(a != b);
  CHECK(pool.allocated() == 2);
  CHECK_FALSE(pool.can_acquire());
  pool.release(a);
  CHECK(pool.can_acquire());
  CHECK(pool.acquire() == a);  // recycled, not allocated
  CHECK(pool.allocated() == 2);
  pool.release(-1);  // no buffer: ignored
  CHECK_FALSE(pool.can_acquire());
  pool.reset(4, 1 << 20);  // same width: buffers kept for reuse
  CHECK(pool.allocated() == 2);
  pool.reset(8, 1 << 20);  // new width: forgotten
  CHECK(pool.allocated() == 0);
}

TEST_CASE("HistogramPool: the smaller child is built, the larger derived in the parent's buffer") {
  HistogramPool pool;
  pool.reset(4, 1 << 20);
  const int parent = pool.acquire();
  // Both children split further; the right one is smaller.
  ChildHistograms plan = pool.plan_children(parent, true, true, false, true);
  CHECK(plan.build[0] == 1);
  CHECK(plan.build[1] == -1);
  CHECK(plan.derive == 0);
  CHECK(plan.buffer[0] == parent);
  CHECK(plan.buffer[1] != parent);
  CHECK(plan.buffer[1] >= 0);
  // Only the left child splits: it is built into the parent's buffer, nothing derived.
  const int p2 = pool.acquire();
  plan = pool.plan_children(p2, true, false, true, true);
  CHECK(plan.build[0] == 0);
  CHECK(plan.derive == -1);
  CHECK(plan.buffer[0] == p2);
  CHECK(plan.buffer[1] == -1);
  // Subtraction off (features drawn per node): both built in scratch, the parent's buffer freed.
  const std::size_t before = pool.allocated();
  plan = pool.plan_children(p2, true, true, true, false);
  CHECK(plan.build[0] == 0);
  CHECK(plan.build[1] == 1);
  CHECK(plan.derive == -1);
  CHECK(plan.buffer[0] == -1);
  CHECK(plan.buffer[1] == -1);
  CHECK(pool.acquire() == p2);  // the released buffer comes back first
  CHECK(pool.allocated() == before);
}

TEST_CASE("HistogramPool: over budget, both children are built directly and the parent freed") {
  HistogramPool pool;
  pool.reset(4, 4 * sizeof(double));  // one histogram
  const int parent = pool.acquire();
  const ChildHistograms plan = pool.plan_children(parent, true, true, true, true);
  CHECK(plan.build[0] == 0);
  CHECK(plan.build[1] == 1);
  CHECK(plan.derive == -1);
  CHECK(plan.buffer[0] == -1);
  CHECK(plan.buffer[1] == -1);
  CHECK(pool.can_acquire());  // the parent's buffer was released
}

TEST_CASE("TreeGrower: past the histogram budget, subtrees build children directly") {
  // An unlimited-depth tree with every feature: first with room for every kept histogram, then
  // with room for two, which forces the direct path below the first levels. Both must memorize
  // the (distinct) training rows, with the same tree.
  const std::size_t n = 3000, d = 4;
  Rng rng(13);
  std::vector<float> x(n * d), y(n), stats(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.uniform(-2, 2));
    y[i] = static_cast<float>(std::sin(x[i * d]) * 2.0 + x[i * d + 1] * x[i * d + 1] + 0.1 * rng.normal());
    stats[2 * i] = y[i];
    stats[2 * i + 1] = 1.0f;
  }
  const trees::BinMapper mapper = trees::BinMapper::fit(x.data(), n, d, 255);
  const trees::BinnedMatrix binned = trees::BinnedMatrix::build(mapper, x.data(), n, d);
  const std::vector<std::uint32_t> features{0, 1, 2, 3};
  std::vector<trees::Tree> grown;
  for (std::size_t budget : {std::size_t{1} << 30, 2 * mapper.total_slots() * 2 * sizeof(double)}) {
    GrowerParams gp;
    gp.criterion = CriterionSpec{CriterionKind::SquaredError, 2, 0.0};
    gp.max_depth = 0;
    gp.histogram_budget = budget;
    TreeGrower grower(mapper, binned, gp);
    std::vector<std::uint32_t> rows(n);
    for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<std::uint32_t>(i);
    std::vector<double> gain(d, 0.0);
    std::vector<TreeGrower::Leaf> leaves;
    Rng tree_rng(1);
    const trees::Tree t = grower.grow(rows, stats.data(), features, tree_rng, gain, leaves);
    CHECK(check_tree(t, TreeChecks{d}).empty());
    std::size_t exact = 0;
    for (std::size_t i = 0; i < n; ++i) exact += t.predict_value(x.data() + i * d) == y[i] ? 1 : 0;
    CHECK(exact > n * 99 / 100);  // only rows sharing every bin with another row can differ
    // The leaves partition the rows.
    std::size_t covered = 0;
    for (const auto& leaf : leaves) covered += leaf.end - leaf.begin;
    CHECK(covered == n);
    grown.push_back(t);
  }
  // Building directly instead of subtracting reaches the same splits.
  REQUIRE(grown[0].nodes.size() == grown[1].nodes.size());
  for (std::size_t i = 0; i < grown[0].nodes.size(); ++i) {
    CHECK(grown[0].nodes[i].feature_flags == grown[1].nodes[i].feature_flags);
    CHECK(grown[0].nodes[i].left == grown[1].nodes[i].left);
  }
}

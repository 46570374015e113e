// Trees: histogram kernels, the histogram pool (buffers, budget, build-or-subtract) and the
// grower when the budget runs out.
#include <grove/trees.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

using namespace grove;
using namespace grove::detail;

namespace {

// Packs per-feature codes (codes[f][row]) into one group's words, feature k in bits 8k..8k+7.
std::vector<std::uint32_t> pack(const std::vector<std::vector<std::uint32_t>>& codes) {
  std::vector<std::uint32_t> words(codes[0].size(), 0);
  for (std::size_t k = 0; k < codes.size(); ++k)
    for (std::size_t i = 0; i < words.size(); ++i) words[i] |= codes[k][i] << (8 * k);
  return words;
}

// Grows one tree over every row (tree stream seeded 1); lists its leaves in `leaves`.
trees::Tree grow_all_rows(const trees::BinMapper& mapper, const trees::BinnedMatrix& binned, const GrowerParams& gp,
                          const std::vector<float>& stats, const std::vector<std::uint32_t>& features,
                          std::vector<TreeGrower::Leaf>& leaves) {
  TreeGrower grower(mapper, binned, gp);
  std::vector<std::uint32_t> rows(binned.n_rows);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::uint32_t>(i);
  std::vector<double> gain(mapper.n_features(), 0.0);
  Rng tree_rng(1);
  return grower.grow(rows, stats.data(), features, tree_rng, gain, leaves);
}

}  // namespace

TEST_CASE("accumulate_group: per-bin sums of each feature over gathered or contiguous rows, any channel count") {
  // Two features in one group; feature 0 has bins 0..2, feature 1 bins 0..1 (plus code 200).
  const std::vector<std::uint32_t> words = pack({{0, 2, 1, 2, 0, 2}, {1, 0, 200, 1, 1, 0}});
  const std::vector<std::uint32_t> rows = {1, 3, 4, 5};  // node order
  const std::vector<float> stats = {1, 10, 2, 20, 3, 30, 4, 40};  // two channels per node row
  std::vector<double> h0(3 * 2, 0.0), h1(201 * 2, 0.0);
  GroupTargets tg;
  tg.count = 2;
  tg.shift[0] = 0;
  tg.shift[1] = 8;
  tg.hist[0] = h0.data();
  tg.hist[1] = h1.data();
  accumulate_group(words.data(), rows.data(), 0, stats.data(), rows.size(), 2, tg);
  // Feature 0: rows 1, 3, 4, 5 have bins 2, 2, 0, 2. Feature 1: bins 0, 1, 1, 0.
  CHECK(h0 == std::vector<double>{3, 30, 0, 0, 7, 70});
  CHECK(h1[0] == 5.0);
  CHECK(h1[1] == 50.0);
  CHECK(h1[2] == 5.0);
  CHECK(h1[3] == 50.0);
  // Contiguous rows 2..4 skip the row list: feature 0 bins 1, 2, 0; feature 1 bins 200, 1, 1.
  std::fill(h0.begin(), h0.end(), 0.0);
  std::fill(h1.begin(), h1.end(), 0.0);
  accumulate_group(words.data(), nullptr, 2, stats.data(), 3, 2, tg);
  CHECK(h0 == std::vector<double>{3, 30, 1, 10, 2, 20});
  CHECK(h1[2] == 5.0);
  CHECK(h1[3] == 50.0);
  CHECK(h1[400] == 1.0);
  CHECK(h1[401] == 10.0);
  // The second feature alone (its shift only), one channel.
  GroupTargets one;
  one.count = 1;
  one.shift[0] = 8;
  std::vector<double> h(201, 0.0);
  one.hist[0] = h.data();
  const std::vector<float> s1 = {1, 2, 4, 8};
  accumulate_group(words.data(), rows.data(), 0, s1.data(), rows.size(), 1, one);
  CHECK(h[0] == 9.0);
  CHECK(h[1] == 6.0);
  // Three and five channels (the fixed and the generic kernels) agree with a direct sum.
  for (std::size_t C : {3, 5}) {
    CAPTURE(C);
    std::vector<float> sc(rows.size() * C);
    for (std::size_t i = 0; i < sc.size(); ++i) sc[i] = static_cast<float>(i);
    std::vector<double> g0(3 * C, 0.0), g1(201 * C, 0.0);
    GroupTargets t = tg;
    t.hist[0] = g0.data();
    t.hist[1] = g1.data();
    accumulate_group(words.data(), rows.data(), 0, sc.data(), rows.size(), C, t);
    CHECK(g0[0 * C + C - 1] == static_cast<double>(2 * C + C - 1));  // bin 0: node row 2
    CHECK(g0[2 * C] == static_cast<double>(0 + C + 3 * C));          // bin 2: node rows 0, 1, 3
    CHECK(g1[1 * C + 1] == static_cast<double>(C + 1 + 2 * C + 1));  // bin 1: node rows 1, 2
  }
}

TEST_CASE("accumulate_group: four features, long gathered runs (the prefetching loop) match a direct sum") {
  const std::size_t n = 1000;
  Rng rng(4);
  std::vector<std::vector<std::uint32_t>> codes(4, std::vector<std::uint32_t>(n));
  for (auto& c : codes)
    for (auto& v : c) v = static_cast<std::uint32_t>(rng.below(256));
  const std::vector<std::uint32_t> words = pack(codes);
  std::vector<std::uint32_t> rows;
  for (std::size_t i = 0; i < n; i += 1 + rng.below(3)) rows.push_back(static_cast<std::uint32_t>(i));
  std::vector<float> stats(2 * rows.size());
  for (auto& v : stats) v = static_cast<float>(rng.uniform(-1, 1));
  std::vector<double> hist(4 * 256 * 2, 0.0), expect(4 * 256 * 2, 0.0);
  GroupTargets tg;
  tg.count = 4;
  for (std::size_t k = 0; k < 4; ++k) {
    tg.shift[k] = static_cast<unsigned>(8 * k);
    tg.hist[k] = hist.data() + k * 512;
  }
  accumulate_group(words.data(), rows.data(), 0, stats.data(), rows.size(), 2, tg);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t k = 0; k < 4; ++k)
      for (std::size_t c = 0; c < 2; ++c)
        expect[k * 512 + codes[k][rows[i]] * 2 + c] += static_cast<double>(stats[2 * i + c]);
  CHECK(hist == expect);  // the same additions in the same order: equal bits
}

TEST_CASE("occupied_bins: the value-bin range holding a small node's rows, per feature") {
  // Feature 0 has 255 value bins, feature 1 two (code 2 is its missing bin).
  const std::vector<std::uint32_t> words = pack({{7, 40, 255, 9, 1, 1, 1, 1, 1}, {1, 0, 2, 1, 1, 1, 1, 1, 1}});
  GroupTargets tg;
  tg.count = 2;
  tg.shift[0] = 0;
  tg.shift[1] = 8;
  const std::size_t nb[2] = {255, 2};
  std::size_t lo[2] = {0, 0}, hi[2] = {254, 1};
  const std::vector<std::uint32_t> rows = {0, 2, 3};  // small for both features
  occupied_bins(words.data(), rows.data(), rows.size(), tg, nb, lo, hi);
  CHECK(lo[0] == 7);  // codes 7, 255 (the missing bin, not a value bin) and 9
  CHECK(hi[0] == 9);
  CHECK(lo[1] == 1);  // codes 1, 2 (missing), 1
  CHECK(hi[1] == 1);
  // Eight rows are not few for two bins: feature 1 keeps the range it was given.
  const std::vector<std::uint32_t> eight = {1, 2, 3, 4, 5, 6, 7, 8};
  lo[1] = 0;
  hi[1] = 1;
  occupied_bins(words.data(), eight.data(), eight.size(), tg, nb, lo, hi);
  CHECK(lo[0] == 1);
  CHECK(hi[0] == 40);
  CHECK(lo[1] == 0);
  CHECK(hi[1] == 1);
  // Only missing values: the empty range 0..0.
  const std::vector<std::uint32_t> only_missing = {2};
  occupied_bins(words.data(), only_missing.data(), 1, tg, nb, lo, hi);
  CHECK(lo[0] == 0);
  CHECK(hi[0] == 0);
}

TEST_CASE("histogram_tasks: one task per (job, code group), largest jobs first, split to even out threads") {
  const std::vector<std::uint32_t> seven = {0, 1, 2, 3, 4, 5, 6}, three = {1, 2, 5};
  const std::vector<std::size_t> rows = {100, 300};
  const std::vector<const std::vector<std::uint32_t>*> features = {&seven, &three};
  using T = HistogramTask;
  // Job 1 (300 rows) first: features 1, 2 (group 0), then 5 (group 1); job 0: 0..3, then 4..6.
  const std::vector<T> whole = {T{1, 0, 2}, T{1, 2, 3}, T{0, 0, 4}, T{0, 4, 7}};
  CHECK(histogram_tasks(rows, features, 1) == whole);
  CHECK(histogram_tasks(rows, features, 2) == whole);  // four tasks divide among two threads
  // Three threads: two groups of two or more features split, their second halves last.
  CHECK(histogram_tasks(rows, features, 3) ==
        std::vector<T>{T{1, 0, 1}, T{1, 2, 3}, T{0, 0, 2}, T{0, 4, 7}, T{1, 1, 2}, T{0, 2, 4}});
  // Eight threads: every group that can split does (a one-feature group cannot).
  CHECK(histogram_tasks(rows, features, 8).size() == 7);
  // The root of 28 features on two threads: seven groups, the first split (eight tasks).
  std::vector<std::uint32_t> all(28);
  for (std::uint32_t f = 0; f < 28; ++f) all[f] = f;
  const std::vector<T> root = histogram_tasks({1000}, {&all}, 2);
  REQUIRE(root.size() == 8);
  CHECK(root.front() == T{0, 0, 2});
  CHECK(root.back() == T{0, 2, 4});
  // Many tasks: no split whatever the remainder.
  CHECK(histogram_tasks({1, 1, 1, 1, 1}, {&all, &all, &all, &all, &all}, 2).size() == 35);
}

TEST_CASE("row_sums and gather_stats: block sums in order; statistics copied into node order") {
  const std::size_t n = 2 * RowPartition::kBlock + 5;
  std::vector<std::uint32_t> rows(n);
  std::vector<float> stats(2 * n + 2), three(3 * n + 3);
  for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<std::uint32_t>(i + 1);  // row 0 left out
  for (std::size_t i = 0; i <= n; ++i) {
    stats[2 * i] = static_cast<float>(i % 7);
    stats[2 * i + 1] = 1.0f;
    for (std::size_t c = 0; c < 3; ++c) three[3 * i + c] = static_cast<float>(c);
  }
  double g = 0;
  for (std::size_t i = 1; i <= n; ++i) g += static_cast<double>(i % 7);
  CHECK(row_sums(rows.data(), n, stats.data(), 2, nullptr) == std::vector<double>{g, static_cast<double>(n)});
  CHECK(row_sums(rows.data(), n, three.data(), 3, nullptr) ==
        std::vector<double>{0.0, static_cast<double>(n), 2.0 * static_cast<double>(n)});
  CHECK(consecutive_rows(rows.data(), 0, n));
  const std::vector<std::uint32_t> gaps = {1, 3, 4};
  CHECK_FALSE(consecutive_rows(gaps.data(), 0, 3));
  CHECK(consecutive_rows(gaps.data(), 1, 3));
  CHECK_FALSE(consecutive_rows(gaps.data(), 1, 1));  // empty
  // Gather positions 1..2 and 5..6 of a row list.
  const std::vector<std::uint32_t> list = {9, 3, 0, 8, 8, 2, 5};
  std::vector<float> ordered(2 * list.size(), -1.0f);
  gather_stats(list.data(), stats.data(), 2, {{1, 3}, {5, 7}}, ordered.data(), nullptr);
  CHECK(ordered == std::vector<float>{-1, -1, 3, 1, 0, 1, -1, -1, -1, -1, 2, 1, 5, 1});
}

TEST_CASE("subtract_histogram turns the parent's histogram into the sibling's") {
  std::vector<double> parent = {5, 50, 1, 10, 9, 90};
  const std::vector<double> child = {3, 30, 1, 10, 2, 20};
  subtract_histogram(parent.data(), child.data(), parent.size());
  CHECK(parent == std::vector<double>{2, 20, 0, 0, 7, 70});
}

TEST_CASE("BinnedMatrix: four codes a word, per feature as the mapper bins them, the last group padded") {
  const std::size_t n = 5, d = 6;
  std::vector<float> x(n * d);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>((i * 7 + f * 3) % 5);
  x[2 * d + 5] = std::numeric_limits<float>::quiet_NaN();
  const trees::BinMapper mapper = trees::BinMapper::fit(x.data(), n, d, 255);
  const trees::BinnedMatrix b = trees::BinnedMatrix::build(mapper, x.data(), n, d);
  CHECK(b.n_groups() == 2);
  CHECK(b.words.size() == 2 * n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t f = 0; f < d; ++f) {
      CAPTURE(i);
      CAPTURE(f);
      CHECK(b.code(f, i) == mapper.bin(f, x[i * d + f]));
      CHECK(b.codes(f)[i] == mapper.bin(f, x[i * d + f]));
    }
  CHECK(b.code(5, 2) == mapper.nan_bin(5));
  CHECK((b.group(1)[3] >> 16) == 0u);  // features 6 and 7 do not exist: zero codes
  CHECK(b.group(0)[1] == (std::uint32_t{b.code(0, 1)} | std::uint32_t{b.code(1, 1)} << 8 |
                          std::uint32_t{b.code(2, 1)} << 16 | std::uint32_t{b.code(3, 1)} << 24));
}

TEST_CASE("BinnedMatrix: a categorical feature's codes are its categories, beside numeric features in a group") {
  // Features 0 and 2 numeric, 1 categorical with 255 categories (codes up to 254, NaN bin 255),
  // 3 categorical with 3; 21 rows: two 8-row interleaved blocks and a 5-row tail.
  const std::size_t n = 21, d = 4;
  std::vector<float> x(n * d);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::size_t i = 0; i < n; ++i) {
    x[i * d + 0] = static_cast<float>(i) * 0.5f - 3.0f;
    x[i * d + 1] = static_cast<float>((i * 37) % 255);
    x[i * d + 2] = static_cast<float>(n - i);
    x[i * d + 3] = i % 4 == 3 ? nan : static_cast<float>(i % 4);
  }
  x[4 * d + 1] = 254.0f;
  x[9 * d + 1] = nan;
  x[18 * d + 1] = nan;  // in the tail
  const trees::BinMapper mapper = trees::BinMapper::fit(x.data(), n, d, 255, {0, 255, 0, 3});
  REQUIRE(mapper.categorical(1));
  REQUIRE(mapper.n_bins(1) == 255);
  const trees::BinnedMatrix b = trees::BinnedMatrix::build(mapper, x.data(), n, d);
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(b.code(1, i) == (std::isnan(x[i * d + 1]) ? 255u : static_cast<unsigned>(x[i * d + 1])));
    CHECK(b.code(3, i) == (i % 4 == 3 ? 3u : static_cast<unsigned>(i % 4)));
    for (std::size_t f = 0; f < d; ++f) CHECK(b.code(f, i) == mapper.bin(f, x[i * d + f]));
  }
  CHECK(b.code(1, 4) == 254);
  CHECK(b.code(1, 9) == mapper.nan_bin(1));
  CHECK(b.code(0, 20) == mapper.bin(0, 7.0f));  // the numeric neighbours keep their own codes
  CHECK(b.code(2, 0) == mapper.bin(2, 21.0f));
}

TEST_CASE("RowPartition: a category set sends its bins left, the missing bin by its own membership") {
  // Categories 0..4, missing bin 5; the set {1, 3} plus, second time, the missing bin.
  const std::vector<std::uint32_t> words = pack({{0, 1, 5, 3, 2, 1, 4, 5, 3}});
  for (bool missing_left : {false, true}) {
    CAPTURE(missing_left);
    std::uint64_t set[4] = {(1u << 1) | (1u << 3) | (missing_left ? 1u << 5 : 0u), 0, 0, 0};
    const BinRule rule{trees::FeatureCodes{words.data(), 0}, 5, 0, false, set};
    std::vector<std::uint32_t> rows = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    RowPartition part;
    const std::vector<std::size_t> n_left = part.split(rows.data(), rows.size(), {{0, 9}}, {rule});
    if (missing_left) {
      CHECK(n_left == std::vector<std::size_t>{6});
      CHECK(rows == std::vector<std::uint32_t>{1, 2, 3, 5, 7, 8, 0, 4, 6});
    } else {
      CHECK(n_left == std::vector<std::size_t>{4});
      CHECK(rows == std::vector<std::uint32_t>{1, 3, 5, 8, 0, 2, 4, 6, 7});
    }
  }
}

TEST_CASE("RowPartition: stable, missing values by the default direction, blocks split like one pass") {
  // Feature codes: threshold 1 sends codes 0, 1 left; code 3 is the missing-value bin.
  const std::vector<std::uint32_t> words = pack({{0, 2, 3, 1, 2, 0, 3, 1}});
  for (bool default_left : {false, true}) {
    CAPTURE(default_left);
    std::vector<std::uint32_t> rows = {0, 1, 2, 3, 4, 5, 6, 7};
    RowPartition part;
    const BinRule rule{trees::FeatureCodes{words.data(), 0}, 3, 1, default_left};
    // Two ranges, split by the same rule: [0, 5) and [5, 8).
    const std::vector<std::size_t> n_left = part.split(rows.data(), rows.size(), {{0, 5}, {5, 8}}, {rule, rule});
    if (default_left) {
      CHECK(n_left == std::vector<std::size_t>{3, 3});
      CHECK(rows == std::vector<std::uint32_t>{0, 2, 3, 1, 4, 5, 6, 7});
    } else {
      CHECK(n_left == std::vector<std::size_t>{2, 2});
      CHECK(rows == std::vector<std::uint32_t>{0, 3, 1, 2, 4, 5, 7, 6});
    }
  }
  // A range over several blocks: the same order as a one-pass stable partition.
  const std::size_t n = 3 * RowPartition::kBlock + 17;
  Rng rng(9);
  std::vector<std::uint32_t> codes(n);
  for (auto& c : codes) c = static_cast<std::uint32_t>(rng.below(5));
  const std::vector<std::uint32_t> w = pack({codes});
  std::vector<std::uint32_t> rows(n), expect;
  for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<std::uint32_t>(i);
  const BinRule rule{trees::FeatureCodes{w.data(), 0}, 4, 1, true};
  for (std::uint32_t r : rows)
    if (codes[r] <= 1 || codes[r] == 4) expect.push_back(r);
  const std::size_t left = expect.size();
  for (std::uint32_t r : rows)
    if (!(codes[r] <= 1 || codes[r] == 4)) expect.push_back(r);
  RowPartition part;
  CHECK(part.split(rows.data(), n, {{0, n}}, {rule}) == std::vector<std::size_t>{left});
  CHECK(rows == expect);
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
    std::vector<TreeGrower::Leaf> leaves;
    const trees::Tree t = grow_all_rows(mapper, binned, gp, stats, features, leaves);
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

TEST_CASE("TreeGrower: the same tree on 1, 2 and 3 threads, however the group tasks are split") {
  // Nine features (groups of 4, 4 and 1): on 2 and 3 threads the root's three group tasks do not
  // divide evenly, so some groups are built as two tasks; rows span several partition blocks.
  const std::size_t n = 40000, d = 9;
  Rng rng(21);
  std::vector<float> x(n * d), stats(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.normal());
    if (rng.uniform() < 0.1) x[i * d + 4] = std::numeric_limits<float>::quiet_NaN();
    const double s = x[i * d] + x[i * d + 5] * x[i * d + 6] + 0.5 * rng.normal();
    stats[2 * i] = static_cast<float>(s > 0 ? -0.5 : 0.5);
    stats[2 * i + 1] = 0.25f;
  }
  const trees::BinMapper mapper = trees::BinMapper::fit(x.data(), n, d, 255);
  const trees::BinnedMatrix binned = trees::BinnedMatrix::build(mapper, x.data(), n, d);
  std::vector<std::uint32_t> features(d);
  for (std::size_t f = 0; f < d; ++f) features[f] = static_cast<std::uint32_t>(f);
  std::vector<trees::Tree> grown;
  for (std::size_t threads : {1, 2, 3}) {
    ThreadCountGuard guard(threads);
    GrowerParams gp;
    gp.criterion = CriterionSpec{CriterionKind::Newton, 2, 1.0};
    gp.max_depth = 7;
    std::vector<TreeGrower::Leaf> leaves;
    grown.push_back(grow_all_rows(mapper, binned, gp, stats, features, leaves));
  }
  REQUIRE(grown[0].nodes.size() > 100);
  for (std::size_t t = 1; t < grown.size(); ++t) {
    CAPTURE(t);
    REQUIRE(grown[t].nodes.size() == grown[0].nodes.size());
    CHECK(std::memcmp(grown[t].nodes.data(), grown[0].nodes.data(), grown[0].nodes.size() * sizeof(trees::TreeNode)) == 0);
    CHECK(grown[t].values == grown[0].values);
  }
}

TEST_CASE("TreeGrower: a categorical feature inside a code group, kept or scratch histograms, 1 to 3 threads") {
  // Feature 2 (the middle of the first group) has 40 categories; the target is membership of a
  // category in {3, 7, 8, 19, 25, 33} plus noise from numeric feature 0. Every way of building
  // the histograms must grow the same tree, whose root splits on the categories exactly.
  const std::size_t n = 20000, d = 5, k = 40;
  Rng rng(31);
  std::vector<float> x(n * d), stats(2 * n);
  auto member = [](std::size_t c) { return c == 3 || c == 7 || c == 8 || c == 19 || c == 25 || c == 33; };
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.normal());
    const auto c = static_cast<std::size_t>(rng.below(k));
    x[i * d + 2] = rng.uniform() < 0.05 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(c);
    const double s = (member(c) ? 3.0 : -3.0) + 0.3 * x[i * d];
    stats[2 * i] = static_cast<float>(s);
    stats[2 * i + 1] = 1.0f;
  }
  std::vector<std::uint16_t> cats(d, 0);
  cats[2] = static_cast<std::uint16_t>(k);
  const trees::BinMapper mapper = trees::BinMapper::fit(x.data(), n, d, 255, cats);
  const trees::BinnedMatrix binned = trees::BinnedMatrix::build(mapper, x.data(), n, d);
  const std::vector<std::uint32_t> features{0, 1, 2, 3, 4};
  std::vector<trees::Tree> grown;
  for (std::size_t budget : {std::size_t{1} << 30, std::size_t{0}})
    for (std::size_t threads : {1, 2, 3}) {
      CAPTURE(budget);
      CAPTURE(threads);
      ThreadCountGuard guard(threads);
      GrowerParams gp;
      gp.criterion = CriterionSpec{CriterionKind::SquaredError, 2, 0.0};
      gp.max_depth = 10;  // deep nodes hold fewer rows than bins: scratch scans narrow to occupied bins
      gp.histogram_budget = budget;
      gp.categorical.min_data_per_category = 1.0;
      std::vector<TreeGrower::Leaf> leaves;
      grown.push_back(grow_all_rows(mapper, binned, gp, stats, features, leaves));
    }
  const trees::Tree& t = grown[0];
  REQUIRE(t.nodes.size() > 500);
  REQUIRE(t.nodes[0].categorical());
  CHECK(t.nodes[0].feature() == 2u);
  // The root's set is exactly the members (or exactly the others), so each side is pure.
  const std::uint32_t* set = t.categories.data() + t.nodes[0].category_offset();
  for (std::size_t c = 0; c < k; ++c) {
    CAPTURE(c);
    const bool left = ((set[1 + c / 32] >> (c % 32)) & 1u) != 0;
    const bool member_left = ((set[1 + 3 / 32] >> 3) & 1u) != 0;
    CHECK(left == (member(c) == member_left));
  }
  for (std::size_t g = 1; g < grown.size(); ++g) {
    CAPTURE(g);
    REQUIRE(grown[g].nodes.size() == t.nodes.size());
    CHECK(std::memcmp(grown[g].nodes.data(), t.nodes.data(), t.nodes.size() * sizeof(trees::TreeNode)) == 0);
    CHECK(grown[g].values == t.values);
    CHECK(grown[g].categories == t.categories);
  }
}

// Trees: criteria and the split finder on hand-computed histograms.
#include <grove/core/rng.hpp>
#include <grove/trees/criterion.hpp>
#include <grove/trees/split_finder.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace grove::detail;

namespace {

// Runs the finder on value bins (`channels` doubles each) followed by the missing bin.
SplitChoice find(const CriterionSpec& spec, std::vector<double> hist, double min_weight = 0.0, std::size_t lo = 0,
                 std::size_t hi = 0, bool scratch_range = false) {
  const std::size_t C = spec.channels, n_bins = hist.size() / C - 1;
  std::vector<double> total(C, 0.0);
  for (std::size_t b = 0; b <= n_bins; ++b)
    for (std::size_t c = 0; c < C; ++c) total[c] += hist[b * C + c];
  const SplitFinder finder(spec, min_weight);
  SplitChoice best;
  const FeatureBins f{hist.data(), n_bins, scratch_range ? lo : 0, scratch_range ? hi : n_bins - 1, 3};
  finder.find(NodeStats{total.data(), node_score(spec, total.data())}, f, best);
  return best;
}

const CriterionSpec kNewton{CriterionKind::Newton, 2, 0.0};

}  // namespace

TEST_CASE("criteria: weight, score and leaf value of each, defined once") {
  const double gh[2] = {-6.0, 4.0};
  CHECK(NewtonCriterion{1.0}.weight(gh) == 4.0);
  CHECK(NewtonCriterion{1.0}.score(gh, 4.0) == doctest::Approx(36.0 / 5.0));
  double leaf = 0.0;
  NewtonCriterion{1.0}.leaf(gh, &leaf);
  CHECK(leaf == doctest::Approx(6.0 / 5.0));
  // l1 soft-thresholds G: -6 -> -4 with l1 = 2; |G| <= l1 -> 0 (no gain, leaf 0).
  CHECK(NewtonCriterion{1.0, 2.0}.score(gh, 4.0) == doctest::Approx(16.0 / 5.0));
  NewtonCriterion{1.0, 2.0}.leaf(gh, &leaf);
  CHECK(leaf == doctest::Approx(4.0 / 5.0));
  const double small[2] = {1.5, 4.0};
  CHECK(NewtonCriterion{1.0, 2.0}.score(small, 4.0) == 0.0);
  NewtonCriterion{1.0, 2.0}.leaf(small, &leaf);
  CHECK(leaf == 0.0);
  const double positive[2] = {7.0, 4.0};
  NewtonCriterion{0.0, 2.0}.leaf(positive, &leaf);
  CHECK(leaf == doctest::Approx(-5.0 / 4.0));
  const double yw[2] = {12.0, 4.0};  // sum w*y = 12 over weight 4: mean 3
  SquaredErrorCriterion{}.leaf(yw, &leaf);
  CHECK(leaf == 3.0);
  CHECK(SquaredErrorCriterion{}.score(yw, 4.0) == 36.0);
  const double counts[3] = {1.0, 3.0, 0.0};
  CHECK(GiniCriterion<0>{{3}}.weight(counts) == 4.0);
  CHECK(GiniCriterion<0>{{3}}.score(counts, 4.0) == doctest::Approx(10.0 / 4.0));
  CHECK(EntropyCriterion<0>{{3}}.score(counts, 4.0) == doctest::Approx(std::log(0.25) + 3 * std::log(0.75)));
  double proportions[3];
  GiniCriterion<0>{{3}}.leaf(counts, proportions);
  CHECK(proportions[0] == 0.25);
  CHECK(proportions[1] == 0.75);
  CHECK(proportions[2] == 0.0);
  // Statistics far beyond float range are brought within 2^100 by a power of two.
  CHECK(statistic_scale(1e20) == 1.0);
  CHECK(statistic_scale(0x1p120) * 0x1p120 == 0x1p99);
  CHECK(statistic_scale(3e38) * 3e38 <= 0x1p100);
  // A node without weight scores 0 (no division by zero).
  const double none[2] = {0.0, 0.0};
  CHECK(node_score(CriterionSpec{CriterionKind::SquaredError, 2, 0.0}, none) == 0.0);
  CHECK(CriterionSpec{CriterionKind::Entropy, 5, 0.0}.n_outputs() == 5);
  CHECK(CriterionSpec{CriterionKind::Newton, 2, 1.0}.n_outputs() == 1);
  CHECK(statistic_scale(3e38) > 0x1p-30);
}

TEST_CASE("SplitFinder: Newton gain G_L^2/(H_L+l2) + G_R^2/(H_R+l2) - G^2/(H+l2), best threshold") {
  // Bins (g, h): (-4, 2), (-2, 2), (6, 4); no missing values. t = 0: 16/2 + 16/6; t = 1: 36/4 + 36/4 = 18.
  const std::vector<double> hist = {-4, 2, -2, 2, 6, 4, 0, 0};
  SplitChoice s = find(kNewton, hist);
  CHECK(s.feature == 3);
  CHECK(s.bin == 1);
  CHECK(s.gain == 18.0);
  CHECK(s.left == std::vector<double>{-6, 4});
  CHECK(s.default_left);  // no missing values seen: they follow the heavier child (a tie goes left)
  s = find(CriterionSpec{CriterionKind::Newton, 2, 1.0}, hist);
  CHECK(s.bin == 1);
  CHECK(s.gain == doctest::Approx(36.0 / 5 + 36.0 / 5));
}

TEST_CASE("SplitFinder: the missing-value direction is chosen with the threshold") {
  // Bins (-3, 3), (3, 3), missing (-3, 2); parent 9/8. At t = 0 the missing rows join the left
  // side: 36/5 + 9/3 - 9/8 = 9.075, better than right (9/3 + 0 - 9/8) or t = 1 (0 + 9/2 - 9/8).
  const SplitChoice s = find(kNewton, {-3, 3, 3, 3, -3, 2});
  CHECK(s.bin == 0);
  CHECK(s.default_left);
  CHECK(s.gain == doctest::Approx(36.0 / 5 + 3 - 9.0 / 8));
  CHECK(s.left == std::vector<double>{-6, 5});
  // Bins (-3, 3), (-3, 3), missing (6, 2): the best split is the missing rows alone on the right
  // (t = 1, the last bin: 36/6 + 36/2), better than either direction at t = 0 (9/3 + 9/5).
  const SplitChoice r = find(kNewton, {-3, 3, -3, 3, 6, 2});
  CHECK(r.bin == 1);
  CHECK_FALSE(r.default_left);
  CHECK(r.gain == 24.0);
}

TEST_CASE("SplitFinder: min_weight bounds both children; no candidate leaves the choice empty") {
  const std::vector<double> hist = {-4, 2, -2, 2, 6, 4, 0, 0};
  CHECK(find(kNewton, hist, 3.0).bin == 1);
  const SplitChoice none = find(kNewton, hist, 5.0);
  CHECK(none.feature == -1);
  CHECK(std::isinf(none.gain));
  // One populated bin: every threshold puts all rows on one side.
  CHECK(find(kNewton, {0, 0, 5, 3, 0, 0, 0, 0}).feature == -1);
}

TEST_CASE("SplitFinder: only bins lo..hi are scanned, and empty bins repeat no candidate") {
  // Rows only in bins 2 and 3 of 5 (a small node built in scratch): one candidate, t = 2.
  const std::vector<double> hist = {0, 0, 0, 0, -2, 1, 2, 1, 0, 0, 0, 0};
  const SplitChoice s = find(kNewton, hist, 0.0, 2, 3, true);
  CHECK(s.bin == 2);
  CHECK(s.gain == 8.0);
  // With every bin scanned the empty bins 0, 1 and 4 change nothing: the same split.
  const SplitChoice full = find(kNewton, hist);
  CHECK(full.bin == 2);
  CHECK(full.gain == s.gain);
  CHECK(full.left == s.left);
}

TEST_CASE("SplitFinder: Gini and entropy on class counts, ties keep the first threshold") {
  // Counts (4, 0), (1, 1), (0, 4): thresholds 0 and 1 both gain 16/4 + 26/6 - 50/10.
  const CriterionSpec gini{CriterionKind::Gini, 2, 0.0};
  const SplitChoice g = find(gini, {4, 0, 1, 1, 0, 4, 0, 0});
  CHECK(g.bin == 0);
  CHECK(g.gain == doctest::Approx(4.0 + 26.0 / 6 - 5.0));
  CHECK_FALSE(g.default_left);  // the right child (6 rows) is heavier
  CHECK(g.left == std::vector<double>{4, 0});
  const CriterionSpec entropy{CriterionKind::Entropy, 2, 0.0};
  const SplitChoice e = find(entropy, {3, 1, 1, 3, 0, 0});
  CHECK(e.bin == 0);
  const double side = 3 * std::log(0.75) + std::log(0.25);
  CHECK(e.gain == doctest::Approx(2 * side - 8 * std::log(0.5)));
  // Three classes take the run-time channel count.
  const SplitChoice m = find(CriterionSpec{CriterionKind::Gini, 3, 0.0}, {5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0});
  CHECK(m.bin == 0);
  CHECK(m.gain == doctest::Approx(25.0 / 5 + 50.0 / 10 - 75.0 / 15));
}

TEST_CASE("SplitFinder: squared error on (sum w*y, sum w)") {
  // Bins (2, 2), (5, 1), (10, 2): t = 0 gives 4/2 + 225/3 - 289/5 = 19.2, t = 1 gives 49/3 + 50 - 57.8.
  const SplitChoice s = find(CriterionSpec{CriterionKind::SquaredError, 2, 0.0}, {2, 2, 5, 1, 10, 2, 0, 0});
  CHECK(s.bin == 0);
  CHECK(s.gain == doctest::Approx(19.2));
  CHECK(s.left == std::vector<double>{2, 2});
}

namespace {
// The same criterion under another type: scan_thresholds takes its general path (consider() per
// candidate) instead of the batched one NewtonCriterion gets.
struct GeneralNewton : NewtonCriterion {};
}  // namespace

TEST_CASE("scan_thresholds: the batched Newton scan picks what the general scan picks, bit for bit") {
  grove::Rng rng(11);
  int checked = 0, with_missing = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n_bins = 1 + rng.below(255);
    std::vector<double> hist(2 * (n_bins + 1), 0.0);
    const bool missing = trial % 2 == 1;
    for (std::size_t b = 0; b <= n_bins; ++b) {
      if (b == n_bins && !missing) break;
      if (rng.below(3) == 0) continue;  // empty bins: skipped candidates
      hist[2 * b] = rng.uniform(-5.0, 5.0);
      hist[2 * b + 1] = rng.uniform(0.0, 3.0);
    }
    double total[2] = {0.0, 0.0};
    for (std::size_t b = 0; b <= n_bins; ++b)
      for (int c = 0; c < 2; ++c) total[c] += hist[2 * b + c];
    const double l2 = trial % 3 == 0 ? 0.0 : 1.0, min_weight = trial % 5 == 0 ? 2.0 : 0.0;
    const std::size_t lo = trial % 4 == 0 ? rng.below(n_bins) : 0;
    const std::size_t hi = trial % 4 == 0 ? lo + rng.below(n_bins - lo) : n_bins - 1;
    NewtonCriterion batched{l2};
    GeneralNewton general;
    general.l2 = l2;
    const NodeStats node{total, batched.score(total, total[1]) - 0.5};
    const FeatureBins f{hist.data(), n_bins, lo, hi, 7};
    SplitChoice a, b;
    scan_thresholds(batched, node, f, min_weight, a);
    scan_thresholds(general, node, f, min_weight, b);
    CHECK(a.gain == b.gain);
    CHECK(a.feature == b.feature);
    CHECK(a.bin == b.bin);
    CHECK(a.default_left == b.default_left);
    CHECK(a.left == b.left);
    checked += a.feature >= 0;
    with_missing += a.feature >= 0 && missing && a.default_left;
  }
  CHECK(checked > 300);      // most trials found a split: the comparison is not of empty choices
  CHECK(with_missing > 20);  // and some sent the missing values left
}

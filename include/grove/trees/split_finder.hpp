#pragma once
/// \file SplitFinder: the best split of one node on one feature, from the feature's histogram:
/// thresholds for numeric features, category sets for categorical ones, each candidate scored
/// by a SplitScan (split_scan.hpp).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/trees/criterion.hpp"
#include "grove/trees/split_scan.hpp"

namespace grove::detail {

/// scan_thresholds' visits for NewtonCriterion without l1 or bounds: the same candidates (empty
/// bins past the first skipped, the last bin only when missing values can go right), their
/// left sums collected first and scored together by SplitScan::consider_newton.
inline void scan_newton(const NewtonCriterion& crit, const FeatureBins& f, SplitScan<NewtonCriterion>& scan) {
  std::array<double, SplitScan<NewtonCriterion>::kMaxCandidates> g, h;
  std::array<std::uint16_t, SplitScan<NewtonCriterion>::kMaxCandidates> bins;
  std::size_t n = 0;
  double gl = 0.0, hl = 0.0;
  // Without branches: an empty bin adds zeros (bins are never -0) and its slot is overwritten.
  auto visit = [&](std::size_t t) {
    const double b0 = f.hist[2 * t], b1 = f.hist[2 * t + 1];
    gl += b0;
    hl += b1;
    g[n] = gl;
    h[n] = hl;
    bins[n] = static_cast<std::uint16_t>(t);
    n += static_cast<std::size_t>((b0 != 0.0) | (b1 != 0.0) | (t == 0));
  };
  if (scan.has_missing() && f.lo > 0) visit(0);
  const std::size_t end = std::min(f.hi + 1, f.n_bins);
  for (std::size_t t = f.lo; t < end; ++t) visit(t);
  if (!scan.has_missing() && n > 0 && bins[n - 1] + 1u == f.n_bins) --n;  // every row left: no split
  scan.consider_newton(g.data(), h.data(), bins.data(), n, f.n_bins, crit.l2);
  scan.finish();
}

/// Numeric feature: thresholds "bin <= t goes left", scanned left to right.
template <class Crit>
void scan_thresholds(const Crit& crit, const NodeStats& node, const FeatureBins& f, double min_weight,
                     SplitChoice& best) {
  constexpr std::size_t kFixed = Crit::kChannels;
  const std::size_t C = kFixed ? kFixed : crit.channels();
  SplitScan<Crit> scan(crit, node, f.hist + f.n_bins * C, min_weight, f.feature, best, f.monotone);
  if constexpr (std::is_same_v<Crit, NewtonCriterion>) {
    if (crit.l1 == 0.0 && f.monotone == 0 && !node.bounds.active() && f.n_bins <= scan.kMaxCandidates) {
      scan_newton(crit, f, scan);
      return;
    }
  }
  // Fixed-size sums in a local array (registers), run-time sized ones on the heap.
  double left_local[kFixed > 0 ? kFixed : 1] = {};
  std::vector<double> left_heap(kFixed > 0 ? 0 : C, 0.0);
  double* left = kFixed > 0 ? left_local : left_heap.data();
  double wl = 0.0;
  // Adds bin t to the left side and tries the threshold after it; false when every row is left.
  auto visit = [&](std::size_t t) {
    const double* bin = f.hist + t * scan.channels();
    const double bw = crit.weight(bin);
    // Past the first bin, a bin that adds nothing repeats the previous candidate.
    if (crit.adds_nothing(bin, bw) && t > 0) return true;
    for (std::size_t c = 0; c < scan.channels(); ++c) left[c] += bin[c];
    wl += bw;
    if (t + 1 == f.n_bins && !scan.has_missing()) return false;  // every row left: no split
    scan.consider(left, wl, t, t + 1 < f.n_bins);
    return true;
  };
  // Bin 0 is tried even below lo when there are missing values: it can put them alone on the left.
  if (scan.has_missing() && f.lo > 0) visit(0);
  const std::size_t end = std::min(f.hi + 1, f.n_bins);
  for (std::size_t t = f.lo; t < end; ++t)
    if (!visit(t)) break;
  scan.finish();
}

// Marks bin b of a category set.
inline void set_bin(std::array<std::uint64_t, 4>& set, std::size_t b) noexcept { set[b >> 6] |= std::uint64_t{1} << (b & 63); }

/// Categorical feature: sets of categories sent left, LightGBM / scikit-learn style. Categories
/// with fewer than min_data_per_category rows in the node join the missing values (and follow
/// them); with at most max_cat_to_onehot others, each is tried alone against the rest; above,
/// they are sorted by the criterion's category key (a smoothed mean gradient, target or class
/// share) and the prefixes of that order up to max_cat_threshold categories, from either end,
/// are tried. Categories absent from the node go with the missing values too.
template <class Crit>
void scan_categories(const Crit& crit, const NodeStats& node, const FeatureBins& f, double min_weight,
                     const CategoricalSplits& cat, SplitChoice& best) {
  constexpr std::size_t kFixed = Crit::kChannels;
  const std::size_t C = kFixed ? kFixed : crit.channels(), k = f.n_bins;
  std::vector<double> missing(f.hist + k * C, f.hist + (k + 1) * C);
  std::vector<std::size_t> cands;
  std::array<std::uint64_t, 4> with_missing{};  // small and empty categories, and the missing bin
  set_bin(with_missing, k);
  const double node_w = crit.weight(node.sums), rows_per_weight = node_w > 0.0 ? node.rows / node_w : 0.0;
  for (std::size_t c = 0; c < k; ++c) {
    const double* bin = f.hist + c * C;
    const double w = crit.weight(bin);
    if (c >= f.lo && c <= f.hi && !crit.adds_nothing(bin, w) && w * rows_per_weight >= cat.min_data_per_category) {
      cands.push_back(c);
      continue;
    }
    set_bin(with_missing, c);
    if (c >= f.lo && c <= f.hi)
      for (std::size_t ch = 0; ch < C; ++ch) missing[ch] += bin[ch];
  }
  SplitScan<Crit> scan(crit, node, missing.data(), min_weight, f.feature, best);
  const std::size_t n = cands.size();
  std::vector<std::size_t> order = cands;
  const bool one_hot = n <= cat.max_cat_to_onehot;
  if (!one_hot)
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return crit.category_key(f.hist + a * C, node.sums, cat.cat_smooth) <
             crit.category_key(f.hist + b * C, node.sums, cat.cat_smooth);
    });
  // Candidate ids: one-hot, the category; sorted, prefix length - 1 (+ 256 from the high end).
  const std::size_t steps = one_hot ? n : std::min(cat.max_cat_threshold, (n + 1) / 2);
  std::vector<double> left(C);
  for (int end = 0; end < (one_hot ? 1 : 2); ++end) {
    std::fill(left.begin(), left.end(), 0.0);
    double wl = 0.0;
    for (std::size_t i = 0; i < steps; ++i) {
      const std::size_t c = end == 0 ? order[i] : order[n - 1 - i];
      const double* bin = f.hist + c * C;
      if (one_hot) {  // one category alone, not a growing prefix
        std::fill(left.begin(), left.end(), 0.0);
        wl = 0.0;
      }
      for (std::size_t ch = 0; ch < C; ++ch) left[ch] += bin[ch];
      wl += crit.weight(bin);
      const bool all_left = one_hot ? n == 1 : i + 1 == n;
      if (all_left && !scan.has_missing()) continue;  // nothing would go right
      scan.consider(left.data(), wl, one_hot ? c : i + 256 * static_cast<std::size_t>(end), !all_left);
    }
  }
  if (!scan.finish()) return;
  const auto id = static_cast<std::size_t>(best.bin);
  std::array<std::uint64_t, 4> set{};
  if (one_hot) {
    set_bin(set, id);
  } else {
    for (std::size_t i = 0; i <= id % 256; ++i) set_bin(set, id < 256 ? order[i] : order[n - 1 - i]);
  }
  if (best.default_left)
    for (std::size_t w = 0; w < 4; ++w) set[w] |= with_missing[w];
  best.categorical = true;
  best.left_set = set;
}

/// Finds the best split of a node over features, one feature at a time.
class SplitFinder {
public:
  SplitFinder() = default;
  SplitFinder(CriterionSpec spec, double min_weight, CategoricalSplits categorical = {},
              std::vector<std::int8_t> monotone = {}, double min_rows = 0.0)
      : spec_(spec), min_weight_(min_weight), min_rows_(min_rows), cat_(categorical), monotone_(std::move(monotone)) {}

  const CriterionSpec& criterion() const noexcept { return spec_; }

  /// Updates `best` when feature `f` has a split of `node` with a larger gain.
  void find(const NodeStats& node, const FeatureBins& f, SplitChoice& best) const {
    // Two dispatches, so the numeric scan is compiled as tightly as if it were alone.
    if (f.categorical) {
      with_criterion(spec_, [&](const auto& crit) { scan_categories(crit, node, f, min_weight(crit, node), cat_, best); });
      return;
    }
    FeatureBins g = f;
    g.monotone = monotone(f.feature);
    with_criterion(spec_, [&](const auto& crit) { scan_thresholds(crit, node, g, min_weight(crit, node), best); });
  }

  /// The least weight a child of `node` may have: min_weight, and with min_rows set the weight
  /// of that many rows at the node's weight per row (LightGBM's row estimate from the hessian).
  template <class Crit>
  double min_weight(const Crit& crit, const NodeStats& node) const noexcept {
    if (!(min_rows_ > 0.0) || !(node.rows > 0.0)) return min_weight_;
    return std::max(min_weight_, min_rows_ * crit.weight(node.sums) / node.rows);
  }

  /// The monotone constraint on feature f (0: none).
  int monotone(std::size_t f) const noexcept { return f < monotone_.size() ? monotone_[f] : 0; }

private:
  CriterionSpec spec_;
  double min_weight_ = 0.0;
  double min_rows_ = 0.0;
  CategoricalSplits cat_;
  std::vector<std::int8_t> monotone_;
};

}  // namespace grove::detail

#pragma once
/// \file SplitFinder: the best split of one node on one feature, from the feature's histogram
/// (thresholds for numeric features, category sets for categorical ones).
/// A candidate split is a set of value bins sent left; the bin of missing values joins either
/// side, and both are tried in one place (SplitScan::consider), so numeric thresholds and
/// categorical sets share the scoring, the weight limits and the missing-value direction.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/trees/criterion.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace grove::detail {

/// The best split found for a node: gain, feature, where rows go, and the left child's
/// statistic sums.
struct SplitChoice {
  double gain = -std::numeric_limits<double>::infinity();
  std::int32_t feature = -1;
  std::int32_t bin = 0;       ///< numeric: bins <= bin go left (categorical: the candidate scanned)
  bool default_left = false;  ///< where missing values go
  bool categorical = false;   ///< a set split: the bins in left_set go left (the missing bin included)
  std::array<std::uint64_t, 4> left_set{};
  std::vector<double> left;
};

/// A node as the finder sees it: its statistic sums, its score (the parent term of gains) and
/// its row count (to tell small categories).
struct NodeStats {
  const double* sums = nullptr;
  double score = 0.0;
  double rows = 0.0;
  ValueBounds bounds = {};  ///< where monotone constraints above confine its children's values
};

/// One feature's histogram for a node: n_bins value bins of `channels` doubles each, then the
/// missing-value bin. Only bins lo..hi may hold rows (the others are known to be empty).
struct FeatureBins {
  const double* hist = nullptr;
  std::size_t n_bins = 0;
  std::size_t lo = 0, hi = 0;
  std::uint32_t feature = 0;
  bool categorical = false;  ///< bins are category codes
  int monotone = 0;          ///< 1 / -1: the left child's value may not exceed / undercut the right's
};

/// How categorical features are split (see the params' fields of the same names).
struct CategoricalSplits {
  std::size_t max_cat_to_onehot = 4;
  std::size_t max_cat_threshold = 32;
  double cat_smooth = 10.0;
  double min_data_per_category = 10.0;
};

/// Scratch sums of a criterion's channels: an array when the count is fixed (binary classes,
/// gradient pairs), so loops over it unroll and stay in registers; heap memory otherwise.
template <std::size_t F>
struct SumBuffer {
  double v[F] = {};
  void resize(std::size_t) noexcept {}
  double* data() noexcept { return v; }
};
template <>
struct SumBuffer<0> {
  std::vector<double> v;
  void resize(std::size_t n) { v.assign(n, 0.0); }
  double* data() noexcept { return v.data(); }
};

/// Newton gains without l1 of n candidates whose left sums are (g[i] + dg, h[i] + dh): the
/// expression consider() evaluates (NaN sums score as zero, children lighter than mw get -inf),
/// two candidates at a time where SSE2 exists: the same IEEE operations, lane by lane.
inline void newton_gains(const double* g, const double* h, std::size_t n, double dg, double dh, double tg, double tw,
                         double l2, double ps, double mw, double* out) noexcept {
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128d DG = _mm_set1_pd(dg), DH = _mm_set1_pd(dh), TG = _mm_set1_pd(tg), TW = _mm_set1_pd(tw);
  const __m128d L2 = _mm_set1_pd(l2), PS = _mm_set1_pd(ps), MW = _mm_set1_pd(mw), NONE = _mm_set1_pd(kNone);
  const auto sq2 = [](__m128d x) {
    const __m128d s = _mm_mul_pd(x, x);
    return _mm_and_pd(s, _mm_cmpord_pd(s, s));
  };
  for (; i + 2 <= n; i += 2) {
    const __m128d gl = _mm_add_pd(_mm_loadu_pd(g + i), DG), wl = _mm_add_pd(_mm_loadu_pd(h + i), DH);
    const __m128d wr = _mm_sub_pd(TW, wl);
    const __m128d a = _mm_div_pd(sq2(gl), _mm_add_pd(wl, L2)), b = _mm_div_pd(sq2(_mm_sub_pd(TG, gl)), _mm_add_pd(wr, L2));
    const __m128d s = _mm_sub_pd(_mm_add_pd(a, b), PS);
    const __m128d ok = _mm_and_pd(_mm_cmpge_pd(wl, MW), _mm_cmpge_pd(wr, MW));
    _mm_storeu_pd(out + i, _mm_or_pd(_mm_and_pd(ok, s), _mm_andnot_pd(ok, NONE)));
  }
#endif
  const auto sq = [](double x) {
    const double s = x * x;
    return s == s ? s : 0.0;
  };
  for (; i < n; ++i) {
    const double gl = g[i] + dg, wl = h[i] + dh, wr = tw - wl;
    const double s = sq(gl) / (wl + l2) + sq(tg - gl) / (wr + l2) - ps;
    out[i] = wl >= mw && wr >= mw ? s : kNone;
  }
}

/// Scores candidate splits of one (node, feature) pair under criterion Crit and keeps the best;
/// finish() writes it to the SplitChoice if it beat what was there.
template <class Crit>
class SplitScan {
public:
  static constexpr std::size_t kFixed = Crit::kChannels;

  SplitScan(const Crit& crit, const NodeStats& node, const double* missing, double min_weight, std::uint32_t feature,
            SplitChoice& best, int monotone = 0)
      : crit_(crit), C_(kFixed ? kFixed : crit.channels()), parent_score_(node.score),
        min_w_(std::max(min_weight, 1e-12)), feature_(feature), best_(best), best_gain_(best.gain),
        bounds_(node.bounds), monotone_(monotone), bounded_(monotone != 0 || node.bounds.active()) {
    for (SumBuffer<kFixed>* b : {&total_, &missing_, &right_, &left_missing_, &best_left_}) b->resize(C_);
    // Local copies: the compiler keeps fixed-size sums in registers (no aliasing with outputs).
    for (std::size_t c = 0; c < channels(); ++c) {
      total_.data()[c] = node.sums[c];
      missing_.data()[c] = missing[c];
    }
    total_w_ = crit_.weight(node.sums);
    missing_w_ = crit_.weight(missing);
    has_missing_ = missing_w_ > 0.0;
  }

  bool has_missing() const noexcept { return has_missing_; }
  std::size_t channels() const noexcept {
    if constexpr (kFixed > 0) return kFixed;
    return C_;
  }

  /// Tries sending `left` (weight wl, the candidate's value bins) left with the missing values
  /// right, and, when `missing_may_go_left`, with them left too. `bin` names the candidate.
  /// Scores are only taken of children at least min_weight heavy (so of positive weight).
  void consider(const double* left, double wl, std::size_t bin, bool missing_may_go_left) {
    // Fixed-size sums live in locals (registers); run-time sized ones in the scan's buffers.
    double right_local[kFixed > 0 ? kFixed : 1], lm_local[kFixed > 0 ? kFixed : 1];
    double* right = kFixed > 0 ? right_local : right_.data();
    const double* total = total_.data();
    const double wr = total_w_ - wl;
    if (wl >= min_w_ && wr >= min_w_) {
      for (std::size_t c = 0; c < channels(); ++c) right[c] = total[c] - left[c];
      const double gain = children_gain(left, wl, right, wr);
      // Without missing values in training, they follow the heavier child.
      if (gain > best_gain_) record(gain, bin, has_missing_ ? false : wl >= wr, left);
    }
    if (!has_missing_ || !missing_may_go_left) return;
    const double wln = wl + missing_w_, wrn = total_w_ - wln;
    if (wln < min_w_ || wrn < min_w_) return;
    double* lm = kFixed > 0 ? lm_local : left_missing_.data();
    const double* missing = missing_.data();
    for (std::size_t c = 0; c < channels(); ++c) {
      lm[c] = left[c] + missing[c];
      right[c] = total[c] - lm[c];
    }
    const double gain = children_gain(lm, wln, right, wrn);
    if (gain > best_gain_) record(gain, bin, true, lm);
  }

  /// consider() for n candidates at once, for Newton scores without l1 or value bounds (the usual
  /// boosting case). Two divisions a candidate are most of a scan's time: here the gains are
  /// computed in loops the compiler vectorises, then taken in candidate order with the same
  /// operations and strict comparisons as consider(), so the same split wins. g, h: the left
  /// sums of each candidate; bins: its bin (the missing values may join the left side unless it
  /// is the feature's last bin).
  void consider_newton(const double* g, const double* h, const std::uint16_t* bins, std::size_t n, std::size_t n_bins,
                       double l2) {
    static_assert(kFixed == 2);
    constexpr double kNone = -std::numeric_limits<double>::infinity();
    std::array<double, kMaxCandidates> gain, gain_m;
    const double tg = total_.data()[0], tw = total_w_, ps = parent_score_, mw = min_w_;
    const double mg = missing_.data()[0], mh = missing_w_;
    newton_gains(g, h, n, 0.0, 0.0, tg, tw, l2, ps, mw, gain.data());
    if (has_missing_) {
      newton_gains(g, h, n, mg, mh, tg, tw, l2, ps, mw, gain_m.data());
      if (n > 0 && bins[n - 1] + 1u == n_bins) gain_m[n - 1] = kNone;  // the last bin: nothing left for the right
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (gain[i] > best_gain_) {
        const double left[2] = {g[i], h[i]};
        record(gain[i], bins[i], has_missing_ ? false : h[i] >= tw - h[i], left);
      }
      if (has_missing_ && gain_m[i] > best_gain_) {
        const double left[2] = {g[i] + mg, h[i] + mh};
        record(gain_m[i], bins[i], true, left);
      }
    }
  }
  /// The most candidates consider_newton takes at once: one a value bin.
  static constexpr std::size_t kMaxCandidates = 256;

  /// Writes the best candidate into the SplitChoice when one beat its gain; returns whether.
  bool finish() {
    if (!improved_) return false;
    best_.gain = best_gain_;
    best_.feature = static_cast<std::int32_t>(feature_);
    best_.bin = static_cast<std::int32_t>(best_bin_);
    best_.default_left = best_default_left_;
    best_.categorical = false;
    best_.left.assign(best_left_.data(), best_left_.data() + channels());
    return true;
  }

private:
  // The split's gain. Under value bounds or a monotone constraint (criteria with score_at): the
  // children's values clamped to the bounds and scored there, -inf when they break the order.
  double children_gain(const double* l, double wl, const double* r, double wr) const noexcept {
    if constexpr (requires { crit_.score_at(l, wl, 0.0); }) {
      if (bounded_) {
        double vl = 0.0, vr = 0.0;
        crit_.leaf(l, &vl);
        crit_.leaf(r, &vr);
        vl = bounds_.clamp(vl);
        vr = bounds_.clamp(vr);
        if ((monotone_ > 0 && vl > vr) || (monotone_ < 0 && vl < vr)) return -std::numeric_limits<double>::infinity();
        return crit_.score_at(l, wl, vl) + crit_.score_at(r, wr, vr) - parent_score_;
      }
    }
    return crit_.score(l, wl) + crit_.score(r, wr) - parent_score_;
  }

  void record(double gain, std::size_t bin, bool default_left, const double* left) {
    improved_ = true;
    best_gain_ = gain;
    best_bin_ = bin;
    best_default_left_ = default_left;
    double* out = best_left_.data();
    for (std::size_t c = 0; c < channels(); ++c) out[c] = left[c];
  }

  const Crit& crit_;
  std::size_t C_;
  double parent_score_;
  double min_w_, total_w_ = 0.0, missing_w_ = 0.0;
  bool has_missing_ = false;
  std::uint32_t feature_;
  SplitChoice& best_;
  double best_gain_;
  std::size_t best_bin_ = 0;
  bool best_default_left_ = false, improved_ = false;
  ValueBounds bounds_;
  int monotone_;
  bool bounded_;
  SumBuffer<kFixed> total_, missing_, right_, left_missing_, best_left_;
};

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
              std::vector<std::int8_t> monotone = {})
      : spec_(spec), min_weight_(min_weight), cat_(categorical), monotone_(std::move(monotone)) {}

  const CriterionSpec& criterion() const noexcept { return spec_; }

  /// Updates `best` when feature `f` has a split of `node` with a larger gain.
  void find(const NodeStats& node, const FeatureBins& f, SplitChoice& best) const {
    // Two dispatches, so the numeric scan is compiled as tightly as if it were alone.
    if (f.categorical) {
      with_criterion(spec_, [&](const auto& crit) { scan_categories(crit, node, f, min_weight_, cat_, best); });
      return;
    }
    FeatureBins g = f;
    g.monotone = monotone(f.feature);
    with_criterion(spec_, [&](const auto& crit) { scan_thresholds(crit, node, g, min_weight_, best); });
  }

  /// The monotone constraint on feature f (0: none).
  int monotone(std::size_t f) const noexcept { return f < monotone_.size() ? monotone_[f] : 0; }

private:
  CriterionSpec spec_;
  double min_weight_ = 0.0;
  CategoricalSplits cat_;
  std::vector<std::int8_t> monotone_;
};

}  // namespace grove::detail

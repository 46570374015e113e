#pragma once
/// \file SplitScan: scores the candidate splits of one (node, feature) pair and keeps the best.
/// A candidate is a set of value bins sent left; the bin of missing values joins either side,
/// and both are tried in one place (SplitScan::consider), so numeric thresholds and categorical
/// sets (split_finder.hpp) share the scoring, the weight limits and the missing-value
/// direction. Also the types a scan reads and writes: SplitChoice, NodeStats, FeatureBins.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
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

}  // namespace grove::detail

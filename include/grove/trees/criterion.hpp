#pragma once
/// \file Split criteria: what a tree node's statistic sums mean. Each criterion defines, once,
/// a node's weight (what min_child_weight / min_samples_leaf bound), its score (a split's gain is
/// score(left) + score(right) - score(parent)), its leaf value, and the key that orders the
/// categories of a categorical feature. The split finder and the grower are written against this
/// interface; a new criterion (a new loss's statistic, L1, constraints) is one struct here.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

namespace grove::detail {

// Every criterion: weight(s); score(s, w) for w = weight(s) > 0; leaf(s, out);
// category_key(s, node, smooth); adds_nothing(s, w): a bin with these sums (w = weight) moves
// no running sum, so the split scan may skip it. kChannels > 0 fixes the channel count.

/// Newton step on (gradient, hessian) sums: score T(G)^2 / (H + l2), leaf -T(G) / (H + l2),
/// where T shrinks G toward 0 by l1 (soft thresholding, XGBoost's reg_alpha: the minimizer of
/// G w + (H + l2) w^2 / 2 + l1 |w|; T(G) = G without l1). Boosting.
struct NewtonCriterion {
  static constexpr std::size_t kChannels = 2;
  double l2 = 0.0;
  double l1 = 0.0;

  std::size_t channels() const noexcept { return 2; }
  double weight(const double* s) const noexcept { return s[1]; }
  bool adds_nothing(const double* s, double w) const noexcept { return w == 0.0 && s[0] == 0.0; }
  /// G soft-thresholded by l1.
  double shrunk(double g) const noexcept { return g > l1 ? g - l1 : (g < -l1 ? g + l1 : 0.0); }
  /// `w` is weight(s) > 0, passed in because the split scan keeps it as a running sum.
  double score(const double* s, double w) const noexcept {
    const double g = shrunk(s[0]);
    return g * g / (w + l2);
  }
  void leaf(const double* s, double* out) const noexcept {
    const double d = s[1] + l2;
    out[0] = d > 0.0 ? -shrunk(s[0]) / d : 0.0;
  }
  /// The score of leaf value v (not necessarily the optimum, e.g. clamped by a monotone bound):
  /// -2 (G v + (H + l2) v^2 / 2 + l1 |v|), which is score(s, w) at v = leaf(s).
  double score_at(const double* s, double w, double v) const noexcept {
    return -(2.0 * s[0] * v + (w + l2) * v * v + 2.0 * l1 * std::abs(v));
  }
  /// Categories are ordered by their smoothed mean gradient, G / (H + smooth).
  double category_key(const double* s, const double* /*node*/, double smooth) const noexcept {
    return s[0] / (s[1] + smooth);
  }
};

/// Squared error on (sum w*y, sum w): score S^2 / W (minus the weighted variance up to a
/// constant), leaf S / W (the weighted mean). Regression trees and forests.
struct SquaredErrorCriterion {
  static constexpr std::size_t kChannels = 2;

  std::size_t channels() const noexcept { return 2; }
  double weight(const double* s) const noexcept { return s[1]; }
  bool adds_nothing(const double* s, double w) const noexcept { return w == 0.0 && s[0] == 0.0; }
  double score(const double* s, double w) const noexcept { return s[0] * s[0] / w; }
  void leaf(const double* s, double* out) const noexcept { out[0] = s[1] > 0.0 ? s[0] / s[1] : 0.0; }
  /// The category's mean target, shrunk toward the node's mean by `smooth` pseudo-rows.
  double category_key(const double* s, const double* node, double smooth) const noexcept {
    const double mean = node[1] > 0.0 ? node[0] / node[1] : 0.0;
    return (s[0] + smooth * mean) / (s[1] + smooth);
  }
};

/// Shared by the class-count criteria: channels are weighted class counts. C > 0 fixes the
/// class count at compile time (the common binary case); C == 0 reads it at run time.
template <std::size_t C>
struct ClassCounts {
  static constexpr std::size_t kChannels = C;
  std::size_t n_classes = C;

  std::size_t channels() const noexcept { return C ? C : n_classes; }
  double weight(const double* s) const noexcept {
    double w = 0.0;
    for (std::size_t c = 0; c < channels(); ++c) w += s[c];
    return w;
  }
  /// Counts are never negative, so no weight means no rows (up to subtraction residue).
  bool adds_nothing(const double*, double w) const noexcept { return w == 0.0; }
  /// Leaf values are the class proportions.
  void leaf(const double* s, double* out) const noexcept {
    const double w = weight(s);
    for (std::size_t c = 0; c < channels(); ++c) out[c] = w > 0.0 ? s[c] / w : 0.0;
  }
  /// The share of the node's most frequent class in the category, shrunk toward the node's
  /// share. For two classes this is the exact optimal order (Breiman); above, a heuristic.
  double category_key(const double* s, const double* node, double smooth) const noexcept {
    std::size_t top = 0;
    for (std::size_t c = 1; c < channels(); ++c)
      if (node[c] > node[top]) top = c;
    const double node_w = weight(node);
    const double share = node_w > 0.0 ? node[top] / node_w : 0.0;
    return (s[top] + smooth * share) / (weight(s) + smooth);
  }
};

/// Gini: score sum_c n_c^2 / N (the weighted Gini impurity, negated, up to a constant).
template <std::size_t C>
struct GiniCriterion : ClassCounts<C> {
  double score(const double* s, double w) const noexcept {
    double q = 0.0;
    for (std::size_t c = 0; c < this->channels(); ++c) q += s[c] * s[c];
    return q / w;
  }
};

/// Entropy: score sum_c n_c log(n_c / N) (the weighted entropy, negated).
template <std::size_t C>
struct EntropyCriterion : ClassCounts<C> {
  double score(const double* s, double w) const noexcept {
    double r = 0.0;
    for (std::size_t c = 0; c < this->channels(); ++c)
      if (s[c] > 0.0) r += s[c] * std::log(s[c] / w);
    return r;
  }
};

/// The power of two 2^-e that brings statistics of magnitude up to `max_magnitude` within 2^100,
/// so their float copies (and the sums of the squared-error criterion) cannot overflow; 1 for
/// every ordinary data set, so the scaled statistics are then the statistics themselves.
inline double statistic_scale(double max_magnitude) noexcept {
  if (!(max_magnitude > 0x1p100)) return 1.0;
  return std::ldexp(1.0, -(std::ilogb(max_magnitude) - 99));
}

/// Which criterion a grower uses.
enum class CriterionKind : std::uint8_t { Newton, SquaredError, Gini, Entropy };

/// A criterion chosen at run time; with_criterion() hands the concrete type to templated code.
struct CriterionSpec {
  CriterionKind kind = CriterionKind::Newton;
  std::size_t channels = 2;  ///< statistic values per row (class count for Gini / entropy)
  double l2 = 0.0;           ///< Newton only
  double l1 = 0.0;           ///< Newton only

  /// Leaves hold one value, except class proportions.
  std::size_t n_outputs() const noexcept {
    return kind == CriterionKind::Gini || kind == CriterionKind::Entropy ? channels : 1;
  }
};

/// Calls f(criterion) with the concrete criterion `spec` names (binary class counts get the
/// fixed-size instantiation, which the compiler unrolls).
template <class F>
decltype(auto) with_criterion(const CriterionSpec& spec, F&& f) {
  switch (spec.kind) {
    case CriterionKind::Newton: return std::forward<F>(f)(NewtonCriterion{spec.l2, spec.l1});
    case CriterionKind::SquaredError: return std::forward<F>(f)(SquaredErrorCriterion{});
    case CriterionKind::Gini:
      if (spec.channels == 2) return std::forward<F>(f)(GiniCriterion<2>{});
      return std::forward<F>(f)(GiniCriterion<0>{{spec.channels}});
    case CriterionKind::Entropy:
      if (spec.channels == 2) return std::forward<F>(f)(EntropyCriterion<2>{});
      return std::forward<F>(f)(EntropyCriterion<0>{{spec.channels}});
  }
  return std::forward<F>(f)(NewtonCriterion{spec.l2, spec.l1});
}

/// A node's weight under `spec`.
inline double node_weight(const CriterionSpec& spec, const double* s) {
  return with_criterion(spec, [&](const auto& c) { return c.weight(s); });
}

/// A node's score under `spec` (the parent term of its splits' gains; 0 without weight).
inline double node_score(const CriterionSpec& spec, const double* s) {
  return with_criterion(spec, [&](const auto& c) {
    const double w = c.weight(s);
    return w > 0.0 ? c.score(s, w) : 0.0;
  });
}

/// Bounds on a node's (single) leaf value, from monotone constraints on its ancestors' splits.
struct ValueBounds {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();

  bool active() const noexcept {
    return lower > -std::numeric_limits<double>::infinity() || upper < std::numeric_limits<double>::infinity();
  }
  double clamp(double v) const noexcept { return std::min(std::max(v, lower), upper); }
};

/// A node's score under `spec` with its leaf value clamped to `b` (criteria with score_at only;
/// the others have no bounded values).
inline double node_score(const CriterionSpec& spec, const double* s, const ValueBounds& b) {
  return with_criterion(spec, [&](const auto& c) {
    const double w = c.weight(s);
    if (!(w > 0.0)) return 0.0;
    if constexpr (requires { c.score_at(s, w, 0.0); }) {
      if (b.active()) {
        double v = 0.0;
        c.leaf(s, &v);
        return c.score_at(s, w, b.clamp(v));
      }
    }
    return c.score(s, w);
  });
}

/// A leaf's n_outputs() values under `spec`.
inline void leaf_values(const CriterionSpec& spec, const double* s, double* out) {
  with_criterion(spec, [&](const auto& c) { c.leaf(s, out); });
}

}  // namespace grove::detail

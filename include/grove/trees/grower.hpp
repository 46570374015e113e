#pragma once
/// \file TreeGrower: grows one tree on binned data from per-row statistics, depth-wise (level by
/// level) or leaf-wise (best gain first, when max_leaves is set). One grower serves boosting
/// (gradient/hessian pairs, Newton gain) and forests (weighted class counts, Gini or entropy;
/// regression forests are Newton with l2 = 0 on (-y, 1)).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "grove/core/parallel.hpp"
#include "grove/core/rng.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/histogram.hpp"
#include "grove/trees/tree.hpp"

namespace grove::trees {

/// How a split is scored from the per-bin statistic sums.
enum class SplitScore {
  Newton,   ///< channels (g, h): score G^2 / (H + l2), leaf -G / (H + l2)
  Gini,     ///< channels: weighted class counts; score sum n_c^2 / N (minus weighted Gini impurity)
  Entropy,  ///< channels: weighted class counts; score sum n_c log(n_c / N) (minus weighted entropy)
};

/// What the grower needs to know; models fill it from their params.
struct GrowerParams {
  SplitScore score = SplitScore::Newton;
  std::size_t channels = 2;
  int max_depth = 6;             ///< 0: unlimited
  std::size_t max_leaves = 0;    ///< 0: depth-wise growth; else leaf-wise, best gain first
  double l2 = 0.0;
  double min_weight = 0.0;       ///< least hessian (Newton) or weighted row count per child
  double min_split_gain = 0.0;
  std::size_t node_features = 0; ///< features drawn per node (0: every allowed feature)
  std::size_t histogram_budget = std::size_t{64} << 20;  ///< bytes of kept histograms per grower
};

namespace detail {

/// The best split found for a node (gain, where, and the left child's statistic sums).
struct SplitChoice {
  double gain = -std::numeric_limits<double>::infinity();
  std::int32_t feature = -1;
  std::int32_t bin = 0;
  bool default_left = false;
  std::vector<double> left;
};

struct ScoreContext {
  SplitScore score;
  std::size_t channels;
  double l2;
  double min_weight;
};

inline double stat_weight(const ScoreContext& k, const double* s) noexcept {
  if (k.score == SplitScore::Newton) return s[1];
  double w = 0.0;
  for (std::size_t c = 0; c < k.channels; ++c) w += s[c];
  return w;
}

inline double stat_score(const ScoreContext& k, const double* s) noexcept {
  switch (k.score) {
    case SplitScore::Newton: {
      const double d = s[1] + k.l2;
      return d > 0.0 ? s[0] * s[0] / d : 0.0;
    }
    case SplitScore::Gini: {
      double w = 0.0, q = 0.0;
      for (std::size_t c = 0; c < k.channels; ++c) {
        w += s[c];
        q += s[c] * s[c];
      }
      return w > 0.0 ? q / w : 0.0;
    }
    case SplitScore::Entropy: {
      double w = 0.0, r = 0.0;
      for (std::size_t c = 0; c < k.channels; ++c) w += s[c];
      if (w <= 0.0) return 0.0;
      for (std::size_t c = 0; c < k.channels; ++c)
        if (s[c] > 0.0) r += s[c] * std::log(s[c] / w);
      return r;
    }
  }
  return 0.0;
}

/// Scans the n_bins value bins of one feature's histogram (NaN slot after them) for the best
/// threshold and NaN direction; updates `best` when it finds a larger gain.
inline void scan_feature_newton(const ScoreContext& k, const double* h, std::size_t n_bins, const double* total,
                                double parent_score, std::uint32_t feature, SplitChoice& best, std::size_t lo,
                                std::size_t hi) {
  const double* nan = h + n_bins * 2;
  const bool has_nan = nan[1] > 0.0;
  const double min_w = std::max(k.min_weight, 1e-12), l2 = k.l2;
  double gl = 0.0, hl = 0.0;
  double best_gain = best.gain;
  std::size_t best_t = 0;
  int best_dir = -1;  // 0: NaN right, 1: NaN left
  const std::size_t end = std::min(hi + 1, n_bins);
  for (std::size_t t = has_nan ? 0 : lo; t < end; t = (t == 0 && lo > 1) ? lo : t + 1) {
    gl += h[2 * t];
    hl += h[2 * t + 1];
    if (t + 1 == n_bins && !has_nan) break;
    const double gr = total[0] - gl, hr = total[1] - hl;
    if (hl >= min_w && hr >= min_w) {
      const double gain = gl * gl / (hl + l2) + gr * gr / (hr + l2) - parent_score;
      if (gain > best_gain) {
        best_gain = gain;
        best_t = t;
        best_dir = 0;
      }
    }
    if (has_nan && t + 1 < n_bins) {
      const double gln = gl + nan[0], hln = hl + nan[1];
      const double grn = total[0] - gln, hrn = total[1] - hln;
      if (hln >= min_w && hrn >= min_w) {
        const double gain = gln * gln / (hln + l2) + grn * grn / (hrn + l2) - parent_score;
        if (gain > best_gain) {
          best_gain = gain;
          best_t = t;
          best_dir = 1;
        }
      }
    }
  }
  if (best_dir < 0) return;
  // Recompute the winner's left sums in the same order as the scan.
  double lg = 0.0, lh = 0.0;
  for (std::size_t t = 0; t <= best_t; ++t) {
    lg += h[2 * t];
    lh += h[2 * t + 1];
  }
  if (best_dir == 1) {
    lg += nan[0];
    lh += nan[1];
  }
  best.gain = best_gain;
  best.feature = static_cast<std::int32_t>(feature);
  best.bin = static_cast<std::int32_t>(best_t);
  best.default_left = has_nan ? best_dir == 1 : lh >= total[1] - lh;
  best.left.assign({lg, lh});
}

template <SplitScore S, std::size_t CF>
inline double class_weight(const double* s, std::size_t C) noexcept {
  const std::size_t n = CF ? CF : C;
  double w = 0.0;
  for (std::size_t c = 0; c < n; ++c) w += s[c];
  return w;
}

template <SplitScore S, std::size_t CF>
inline double class_score(const double* s, std::size_t C, double w) noexcept {
  const std::size_t n = CF ? CF : C;
  if (w <= 0.0) return 0.0;
  double r = 0.0;
  if constexpr (S == SplitScore::Gini) {
    for (std::size_t c = 0; c < n; ++c) r += s[c] * s[c];
    return r / w;
  } else {
    for (std::size_t c = 0; c < n; ++c)
      if (s[c] > 0.0) r += s[c] * std::log(s[c] / w);
    return r;
  }
}

/// Class-count scan (Gini or entropy); CF is the channel count when fixed at compile time.
template <SplitScore S, std::size_t CF>
inline void scan_feature_classes(const ScoreContext& k, const double* h, std::size_t n_bins, const double* total,
                                 double parent_score, std::uint32_t feature, SplitChoice& best, std::size_t lo,
                                 std::size_t hi) {
  const std::size_t C = CF ? CF : k.channels;
  const double* nan = h + n_bins * C;
  const double nan_w = class_weight<S, CF>(nan, C);
  const bool has_nan = nan_w > 0.0;
  const double total_w = class_weight<S, CF>(total, C);
  double left[16], right[16], left_nan[16];
  std::vector<double> heap;
  double *l = left, *r = right, *ln = left_nan;
  if (C > 16) {
    heap.assign(3 * C, 0.0);
    l = heap.data();
    r = l + C;
    ln = r + C;
  }
  for (std::size_t c = 0; c < C; ++c) l[c] = 0.0;
  double wl = 0.0;
  const double eps_w = std::max(k.min_weight, 1e-12);
  auto record = [&](double gain, std::size_t t, bool dl, const double* ls) {
    best.gain = gain;
    best.feature = static_cast<std::int32_t>(feature);
    best.bin = static_cast<std::int32_t>(t);
    best.default_left = dl;
    best.left.assign(ls, ls + C);
  };
  const std::size_t end = std::min(hi + 1, n_bins);
  for (std::size_t t = has_nan ? 0 : lo; t < end; t = (t == 0 && lo > 1) ? lo : t + 1) {
    const double* bin = h + t * C;
    const double bw = class_weight<S, CF>(bin, C);
    if (bw == 0.0 && t > 0) continue;  // same partition as the previous threshold
    for (std::size_t c = 0; c < C; ++c) l[c] += bin[c];
    wl += bw;
    if (t + 1 == n_bins && !has_nan) break;  // every row left: no split
    // Missing values to the right.
    const double wr = total_w - wl;
    if (wl >= eps_w && wr >= eps_w) {
      for (std::size_t c = 0; c < C; ++c) r[c] = total[c] - l[c];
      const double gain = class_score<S, CF>(l, C, wl) + class_score<S, CF>(r, C, wr) - parent_score;
      // With no missing values seen, they follow the heavier child.
      if (gain > best.gain) record(gain, t, has_nan ? false : wl >= wr, l);
    }
    if (has_nan && t + 1 < n_bins) {  // missing values to the left
      const double wln = wl + nan_w, wrn = total_w - wln;
      if (wln >= eps_w && wrn >= eps_w) {
        for (std::size_t c = 0; c < C; ++c) {
          ln[c] = l[c] + nan[c];
          r[c] = total[c] - ln[c];
        }
        const double gain = class_score<S, CF>(ln, C, wln) + class_score<S, CF>(r, C, wrn) - parent_score;
        if (gain > best.gain) record(gain, t, true, ln);
      }
    }
  }
}

/// Only value bins lo..hi hold rows (the rest are empty), so thresholds outside are skipped; bin 0
/// is still tried when there are missing values (it puts them alone on the left).
inline void scan_feature(const ScoreContext& k, const double* h, std::size_t n_bins, const double* total,
                         double parent_score, std::uint32_t feature, SplitChoice& best, std::size_t lo,
                         std::size_t hi) {
  switch (k.score) {
    case SplitScore::Newton:
      scan_feature_newton(k, h, n_bins, total, parent_score, feature, best, lo, hi);
      return;
    case SplitScore::Gini:
      if (k.channels == 2)
        scan_feature_classes<SplitScore::Gini, 2>(k, h, n_bins, total, parent_score, feature, best, lo, hi);
      else
        scan_feature_classes<SplitScore::Gini, 0>(k, h, n_bins, total, parent_score, feature, best, lo, hi);
      return;
    case SplitScore::Entropy:
      if (k.channels == 2)
        scan_feature_classes<SplitScore::Entropy, 2>(k, h, n_bins, total, parent_score, feature, best, lo, hi);
      else
        scan_feature_classes<SplitScore::Entropy, 0>(k, h, n_bins, total, parent_score, feature, best, lo, hi);
      return;
  }
}

/// Per-thread scratch histogram for nodes built without keeping their histogram. It is all
/// zeros between uses: users clear what they touched.
inline double* scratch_histogram(std::size_t len) {
  static thread_local std::vector<double> buf;
  if (buf.size() < len) buf.resize(len, 0.0);
  return buf.data();
}

}  // namespace detail

/// Grows trees on one binned data set; keeps its scratch memory between trees.
class TreeGrower {
public:
  /// A leaf of the grown tree and the range of the row list that fell into it.
  struct Leaf {
    std::int32_t node;
    std::uint32_t begin, end;
  };

  TreeGrower(const BinMapper& mapper, const BinnedMatrix& data, GrowerParams params)
      : mapper_(mapper), data_(data), p_(params) {}

  /// Grows a tree over `rows` (ascending row ids; reordered so each leaf's rows are contiguous).
  /// `stats` holds `channels` floats per row id. Splits consider `features` (ascending);
  /// `rng` draws node features when params.node_features is set. Adds each split's gain to
  /// feature_gain[feature] and lists the leaves with their row ranges.
  Tree grow(std::vector<std::uint32_t>& rows, const float* stats, const std::vector<std::uint32_t>& features,
            Rng& rng, std::vector<double>& feature_gain, std::vector<Leaf>& leaves) {
    const std::size_t C = p_.channels;
    const std::size_t n = rows.size();
    rows_ = rows.data();
    stats_ = stats;
    features_ = &features;
    rng_ = &rng;
    ctx_ = detail::ScoreContext{p_.score, C, p_.l2, p_.min_weight};
    subtraction_ = !(p_.node_features > 0 && p_.node_features < features.size());
    ordered_.resize(n * C);
    scratch_.resize(n);
    results_.clear();
    leaves.clear();

    Tree tree;
    tree.n_outputs = p_.score == SplitScore::Newton ? 1 : C;
    std::vector<Open> open;
    Open root;
    root.node = tree.add_leaf();
    root.begin = 0;
    root.end = static_cast<std::uint32_t>(n);
    root.depth = 0;
    root.sums.assign(C, 0.0);
    {
      // Per-block partial sums added in block order: the same bits on any thread count.
      const std::size_t blocks = (n + kBlock - 1) / kBlock;
      std::vector<double> part(blocks * C, 0.0);
      parallel_for_chunks(blocks, [&](std::size_t b) {
        const std::size_t hi = std::min(n, (b + 1) * kBlock);
        for (std::size_t i = b * kBlock; i < hi; ++i)
          for (std::size_t c = 0; c < C; ++c) part[b * C + c] += static_cast<double>(stats[rows[i] * C + c]);
      });
      for (std::size_t b = 0; b < blocks; ++b)
        for (std::size_t c = 0; c < C; ++c) root.sums[c] += part[b * C + c];
    }
    open.push_back(std::move(root));
    {
      std::vector<Job> jobs;
      if (can_split(open[0])) {
        if (subtraction_) open[0].buf = new_buffer();
        choose_features(open[0]);
        jobs.push_back(Job{0, -1});
      }
      build_and_evaluate(open, jobs);
    }
    std::size_t n_final = 0;
    std::vector<Open> next;
    std::vector<std::size_t> chosen;
    for (;;) {
      chosen.clear();
      if (p_.max_leaves == 0) {
        for (std::size_t i = 0; i < open.size(); ++i)
          if (open[i].splittable) chosen.push_back(i);
      } else if (open.size() + n_final < p_.max_leaves) {
        std::size_t bi = open.size();
        for (std::size_t i = 0; i < open.size(); ++i)
          if (open[i].splittable && (bi == open.size() || open[i].best.gain > open[bi].best.gain)) bi = i;
        if (bi < open.size()) chosen.push_back(bi);
      }
      if (chosen.empty()) break;
      split_nodes(tree, open, chosen, feature_gain);
      // Children (appended to `open` by split_nodes) need histograms and best splits.
      std::vector<Job> jobs;
      for (std::size_t ci = 0; ci < chosen.size(); ++ci) {
        const std::size_t li = open.size() - 2 * chosen.size() + 2 * ci, ri = li + 1;
        Open& parent = open[chosen[ci]];
        Open& L = open[li];
        Open& R = open[ri];
        const bool need_l = can_split(L), need_r = can_split(R);
        if (need_l) choose_features(L);
        if (need_r) choose_features(R);
        // Subtraction needs the parent's histogram and, for two children, one more buffer; past
        // the memory budget (deep unlimited trees) a subtree switches to building each child.
        if (subtraction_ && parent.buf >= 0 && need_l && need_r && buffer_available()) {
          const bool left_small = (L.end - L.begin) <= (R.end - R.begin);
          Open& small = left_small ? L : R;
          Open& big = left_small ? R : L;
          small.buf = new_buffer();
          big.buf = parent.buf;
          parent.buf = -1;
          jobs.push_back(Job{left_small ? li : ri, static_cast<std::ptrdiff_t>(left_small ? ri : li)});
        } else if (subtraction_ && parent.buf >= 0 && need_l != need_r) {
          (need_l ? L : R).buf = parent.buf;
          parent.buf = -1;
          jobs.push_back(Job{need_l ? li : ri, -1});
        } else {
          free_buffer(parent.buf);
          parent.buf = -1;
          if (need_l) jobs.push_back(Job{li, -1});
          if (need_r) jobs.push_back(Job{ri, -1});
        }
      }
      build_and_evaluate(open, jobs);
      // Drop the split parents; finalize children that will not split.
      next.clear();
      std::vector<bool> is_chosen(open.size(), false);
      for (std::size_t i : chosen) is_chosen[i] = true;
      for (std::size_t i = 0; i < open.size(); ++i) {
        if (is_chosen[i]) continue;
        if (!open[i].splittable) {
          finalize(tree, open[i], leaves);
          ++n_final;
        } else {
          next.push_back(std::move(open[i]));
        }
      }
      open.swap(next);
    }
    for (Open& o : open) finalize(tree, o, leaves);
    renumber_depth_first(tree, leaves);
    tree.compute_depth();
    return tree;
  }

private:
  // Growth numbers nodes level by level; prediction walks one root-to-leaf path, which in
  // pre-order (left child right after its parent) touches far fewer cache lines in deep trees.
  static void renumber_depth_first(Tree& tree, std::vector<Leaf>& leaves) {
    const std::size_t n = tree.nodes.size(), k = tree.n_outputs;
    std::vector<std::int32_t> new_id(n, -1);
    std::vector<std::int32_t> order;
    order.reserve(n);
    std::vector<std::int32_t> stack{0};
    while (!stack.empty()) {
      const std::int32_t i = stack.back();
      stack.pop_back();
      new_id[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(order.size());
      order.push_back(i);
      const TreeNode& nd = tree.nodes[static_cast<std::size_t>(i)];
      if (nd.left != i) {
        stack.push_back(nd.right);
        stack.push_back(nd.left);
      }
    }
    std::vector<TreeNode> nodes(n);
    std::vector<float> values(n * k);
    for (std::size_t j = 0; j < n; ++j) {
      const auto old = static_cast<std::size_t>(order[j]);
      TreeNode nd = tree.nodes[old];
      nd.left = new_id[static_cast<std::size_t>(nd.left)];
      nd.right = new_id[static_cast<std::size_t>(nd.right)];
      nodes[j] = nd;
      for (std::size_t c = 0; c < k; ++c) values[j * k + c] = tree.values[old * k + c];
    }
    tree.nodes = std::move(nodes);
    tree.values = std::move(values);
    for (Leaf& l : leaves) l.node = new_id[static_cast<std::size_t>(l.node)];
  }

  struct Open {
    std::int32_t node = 0;
    std::uint32_t begin = 0, end = 0;
    int depth = 0;
    int buf = -1;
    std::vector<double> sums;
    std::vector<std::uint32_t> features;  // features evaluated for this node
    detail::SplitChoice best;
    bool splittable = false;
  };
  // Build the histogram of open[build] from rows; when derived >= 0, turn the parent's histogram
  // (held by open[derived]) into open[derived]'s by subtraction.
  struct Job {
    std::size_t build;
    std::ptrdiff_t derived;
  };

  bool can_split(const Open& o) const {
    if (p_.max_depth > 0 && o.depth >= p_.max_depth) return false;
    if (o.end - o.begin < 2) return false;
    const double w = detail::stat_weight(ctx_, o.sums.data());
    return w > 0.0 && w >= 2.0 * p_.min_weight;
  }

  void choose_features(Open& o) {
    const auto& all = *features_;
    if (subtraction_) {
      o.features = all;
      return;
    }
    std::vector<std::uint32_t> pool = all;
    const std::size_t m = p_.node_features;
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t j = i + static_cast<std::size_t>(rng_->below(pool.size() - i));
      std::swap(pool[i], pool[j]);
    }
    pool.resize(m);
    std::sort(pool.begin(), pool.end());
    o.features = std::move(pool);
  }

  int new_buffer() {
    if (!free_.empty()) {
      const int b = free_.back();
      free_.pop_back();
      return b;
    }
    buffers_.emplace_back(mapper_.total_slots() * p_.channels, 0.0);
    return static_cast<int>(buffers_.size() - 1);
  }
  void free_buffer(int b) {
    if (b >= 0) free_.push_back(b);
  }
  bool buffer_available() const {
    const std::size_t bytes = mapper_.total_slots() * p_.channels * sizeof(double);
    return !free_.empty() || (buffers_.size() + 1) * bytes <= p_.histogram_budget;
  }

  void finalize(Tree& tree, Open& o, std::vector<Leaf>& leaves) {
    free_buffer(o.buf);
    o.buf = -1;
    const std::size_t C = p_.channels;
    std::vector<float> v(tree.n_outputs);
    if (p_.score == SplitScore::Newton) {
      const double d = o.sums[1] + p_.l2;
      v[0] = d > 0.0 ? static_cast<float>(-o.sums[0] / d) : 0.0f;
    } else {
      const double w = detail::stat_weight(ctx_, o.sums.data());
      for (std::size_t c = 0; c < C; ++c) v[c] = w > 0.0 ? static_cast<float>(o.sums[c] / w) : 0.0f;
    }
    tree.set_leaf_values(static_cast<std::size_t>(o.node), v.data());
    leaves.push_back(Leaf{o.node, o.begin, o.end});
  }

  // Row ranges split into blocks of at most kBlock rows: the unit of parallel gather/partition.
  static constexpr std::size_t kBlock = 16384;

  void gather(const std::vector<Open>& open, const std::vector<Job>& jobs) {
    struct Range {
      std::size_t lo, hi;
    };
    std::vector<Range> blocks;
    for (const Job& j : jobs) {
      const Open& o = open[j.build];
      for (std::size_t lo = o.begin; lo < o.end; lo += kBlock) blocks.push_back({lo, std::min<std::size_t>(o.end, lo + kBlock)});
    }
    const std::size_t C = p_.channels;
    parallel_for_chunks(blocks.size(), [&](std::size_t b) {
      for (std::size_t i = blocks[b].lo; i < blocks[b].hi; ++i) {
        const float* s = stats_ + static_cast<std::size_t>(rows_[i]) * C;
        for (std::size_t c = 0; c < C; ++c) ordered_[i * C + c] = s[c];
      }
    });
  }

  void build_and_evaluate(std::vector<Open>& open, const std::vector<Job>& jobs) {
    if (jobs.empty()) return;
    gather(open, jobs);
    const std::size_t C = p_.channels;
    // Task t: (job, feature index). Results: two slots per task (built node, derived node).
    std::vector<std::size_t> task_base(jobs.size() + 1, 0);
    for (std::size_t j = 0; j < jobs.size(); ++j) task_base[j + 1] = task_base[j] + open[jobs[j].build].features.size();
    const std::size_t n_tasks = task_base.back();
    results_.assign(2 * n_tasks, detail::SplitChoice{});
    std::vector<double> parent_score(open.size(), 0.0);
    for (const Job& j : jobs) {
      parent_score[j.build] = detail::stat_score(ctx_, open[j.build].sums.data());
      if (j.derived >= 0) parent_score[static_cast<std::size_t>(j.derived)] = detail::stat_score(ctx_, open[static_cast<std::size_t>(j.derived)].sums.data());
    }
    parallel_for_chunks(n_tasks, [&](std::size_t t) {
      const std::size_t j = static_cast<std::size_t>(std::upper_bound(task_base.begin(), task_base.end(), t) - task_base.begin()) - 1;
      const std::size_t fi = t - task_base[j];
      const Open& b = open[jobs[j].build];
      const std::uint32_t f = b.features[fi];
      const std::size_t nb = mapper_.n_bins(f);
      const std::size_t len = (nb + 1) * C;
      const std::size_t count = b.end - b.begin;
      const std::uint32_t* r = rows_ + b.begin;
      const bool contiguous = count > 0 && r[count - 1] - r[0] == count - 1;
      const std::uint8_t* col = data_.column(f);
      const std::size_t slot = mapper_.slot_offset(f) * C;
      if (b.buf < 0) {
        // Node built in scratch and dropped: small nodes touch few bins, so find which, then
        // scan and clear only those.
        std::size_t lo = 0, hi = nb - 1;
        if (count < 4 * nb) {
          lo = nb;
          hi = 0;
          for (std::size_t i = 0; i < count; ++i) {
            const std::size_t code = col[r[i]];
            if (code < nb) {
              lo = std::min(lo, code);
              hi = std::max(hi, code);
            }
          }
          if (lo > hi) lo = hi = 0;
        }
        double* hs = detail::scratch_histogram(len);
        detail::accumulate_histogram(col, contiguous ? nullptr : r, r[0], ordered_.data() + b.begin * C, count, C, hs);
        detail::scan_feature(ctx_, hs, nb, b.sums.data(), parent_score[jobs[j].build], f, results_[2 * t], lo, hi);
        std::fill(hs + lo * C, hs + (hi + 1) * C, 0.0);
        std::fill(hs + nb * C, hs + len, 0.0);
        return;
      }
      double* hb = buffers_[static_cast<std::size_t>(b.buf)].data() + slot;
      std::fill(hb, hb + len, 0.0);
      detail::accumulate_histogram(col, contiguous ? nullptr : r, r[0], ordered_.data() + b.begin * C, count, C, hb);
      detail::scan_feature(ctx_, hb, nb, b.sums.data(), parent_score[jobs[j].build], f, results_[2 * t], 0, nb - 1);
      if (jobs[j].derived >= 0) {
        const Open& d = open[static_cast<std::size_t>(jobs[j].derived)];
        double* hd = buffers_[static_cast<std::size_t>(d.buf)].data() + slot;
        detail::subtract_histogram(hd, hb, len);
        detail::scan_feature(ctx_, hd, nb, d.sums.data(), parent_score[static_cast<std::size_t>(jobs[j].derived)], f,
                             results_[2 * t + 1], 0, nb - 1);
      }
    });
    auto pick = [&](Open& o, std::size_t j, std::size_t slot) {
      detail::SplitChoice best;
      for (std::size_t t = task_base[j]; t < task_base[j + 1]; ++t)
        if (results_[2 * t + slot].gain > best.gain) best = std::move(results_[2 * t + slot]);
      const double ps = parent_score[&o - open.data()];
      o.splittable = best.feature >= 0 && best.gain > p_.min_split_gain && best.gain > 1e-9 * std::abs(ps);
      o.best = std::move(best);
      if (!o.splittable && o.buf >= 0) {
        free_buffer(o.buf);
        o.buf = -1;
      }
    };
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      pick(open[jobs[j].build], j, 0);
      if (jobs[j].derived >= 0) pick(open[static_cast<std::size_t>(jobs[j].derived)], j, 1);
    }
  }

  // Turns the chosen open leaves into internal nodes, partitions their rows (stable, in blocks
  // run in parallel) and appends two children per split to `open`.
  void split_nodes(Tree& tree, std::vector<Open>& open, const std::vector<std::size_t>& chosen,
                   std::vector<double>& feature_gain) {
    const std::size_t C = p_.channels;
    open.reserve(open.size() + 2 * chosen.size());  // references into `open` stay valid below
    struct Block {
      std::size_t node, lo, hi, n_left, left_pos, right_pos;
    };
    std::vector<Block> blocks;
    for (std::size_t ci = 0; ci < chosen.size(); ++ci) {
      const Open& o = open[chosen[ci]];
      for (std::size_t lo = o.begin; lo < o.end; lo += kBlock)
        blocks.push_back(Block{ci, lo, std::min<std::size_t>(o.end, lo + kBlock), 0, 0, 0});
    }
    // Pass 1: each block splits its rows into scratch (left rows from the front, right rows
    // from the back, reversed). Pass 2 copies both runs to their final, stable positions.
    parallel_for_chunks(blocks.size(), [&](std::size_t b) {
      Block& k = blocks[b];
      const Open& o = open[chosen[k.node]];
      const auto f = static_cast<std::size_t>(o.best.feature);
      const std::uint8_t* col = data_.column(f);
      const std::uint8_t nan_bin = mapper_.nan_bin(f);
      const auto t = static_cast<std::uint8_t>(o.best.bin);
      const bool dl = o.best.default_left;
      std::uint32_t* lo = scratch_.data() + k.lo;
      std::uint32_t* hi = scratch_.data() + k.hi;
      for (std::size_t i = k.lo; i < k.hi; ++i) {
        const std::uint32_t r = rows_[i];
        const std::uint8_t code = col[r];
        const bool left = code == nan_bin ? dl : code <= t;
        if (left)
          *lo++ = r;
        else
          *--hi = r;
      }
      k.n_left = static_cast<std::size_t>(lo - (scratch_.data() + k.lo));
    });
    std::vector<std::size_t> node_left(chosen.size(), 0);
    for (const Block& k : blocks) node_left[k.node] += k.n_left;
    {
      std::vector<std::size_t> lpos(chosen.size()), rpos(chosen.size());
      for (std::size_t ci = 0; ci < chosen.size(); ++ci) {
        lpos[ci] = open[chosen[ci]].begin;
        rpos[ci] = open[chosen[ci]].begin + node_left[ci];
      }
      for (Block& k : blocks) {
        k.left_pos = lpos[k.node];
        k.right_pos = rpos[k.node];
        lpos[k.node] += k.n_left;
        rpos[k.node] += (k.hi - k.lo) - k.n_left;
      }
    }
    parallel_for_chunks(blocks.size(), [&](std::size_t b) {
      const Block& k = blocks[b];
      const std::uint32_t* src = scratch_.data() + k.lo;
      std::memcpy(rows_ + k.left_pos, src, k.n_left * sizeof(std::uint32_t));
      const std::size_t n_right = (k.hi - k.lo) - k.n_left;
      std::uint32_t* dst = rows_ + k.right_pos;
      const std::uint32_t* rsrc = scratch_.data() + k.hi;
      for (std::size_t j = 0; j < n_right; ++j) dst[j] = *--rsrc;
    });
    for (std::size_t ci = 0; ci < chosen.size(); ++ci) {
      Open& o = open[chosen[ci]];
      const auto f = static_cast<std::size_t>(o.best.feature);
      const auto t = static_cast<std::size_t>(o.best.bin);
      const std::int32_t l = tree.add_leaf();
      const std::int32_t r = tree.add_leaf();
      TreeNode& nd = tree.nodes[static_cast<std::size_t>(o.node)];
      nd.feature_flags = static_cast<std::uint32_t>(f) | (o.best.default_left ? TreeNode::kDefaultLeft : 0u);
      nd.threshold = t + 1 < mapper_.n_bins(f) ? mapper_.edge(f, t) : std::numeric_limits<float>::infinity();
      nd.left = l;
      nd.right = r;
      feature_gain[f] += o.best.gain;
      Open L, R;
      L.node = l;
      R.node = r;
      L.depth = R.depth = o.depth + 1;
      L.begin = o.begin;
      L.end = static_cast<std::uint32_t>(o.begin + node_left[ci]);
      R.begin = L.end;
      R.end = o.end;
      L.sums = o.best.left;
      R.sums.resize(C);
      for (std::size_t c = 0; c < C; ++c) R.sums[c] = o.sums[c] - L.sums[c];
      open.push_back(std::move(L));
      open.push_back(std::move(R));
    }
  }

  const BinMapper& mapper_;
  const BinnedMatrix& data_;
  GrowerParams p_;
  detail::ScoreContext ctx_{};
  bool subtraction_ = true;
  std::uint32_t* rows_ = nullptr;
  const float* stats_ = nullptr;
  const std::vector<std::uint32_t>* features_ = nullptr;
  Rng* rng_ = nullptr;
  std::vector<float> ordered_;
  std::vector<std::uint32_t> scratch_;
  std::vector<std::vector<double>> buffers_;
  std::vector<int> free_;
  std::vector<detail::SplitChoice> results_;
};

}  // namespace grove::trees

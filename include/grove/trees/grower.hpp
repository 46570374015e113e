#pragma once
/// \file TreeGrower: grows one tree on binned data from per-row statistics, depth-wise (level by
/// level) or leaf-wise (best gain first, when max_leaves is set). It decides which open nodes
/// split and which become leaves, draws node features, plans which child's histogram is built
/// and which derived, and moves rows (partition.hpp); the histograms and the split search of a
/// level are its base's, LevelEvaluator (level_evaluator.hpp), which uses the criterion
/// (criterion.hpp), the split finder (split_finder.hpp) and the histogram pool (histogram.hpp).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/rng.hpp"
#include "grove/trees/criterion.hpp"
#include "grove/trees/histogram.hpp"
#include "grove/trees/level_evaluator.hpp"
#include "grove/trees/partition.hpp"
#include "grove/trees/row_passes.hpp"
#include "grove/trees/tree.hpp"

namespace grove::detail {

/// Grows trees on one binned data set; keeps its scratch memory between trees.
class TreeGrower : private LevelEvaluator {
public:
  /// A leaf of the grown tree and the range of the row list that fell into it.
  struct Leaf {
    std::int32_t node;
    std::uint32_t begin, end;
  };

  TreeGrower(const trees::BinMapper& mapper, const trees::BinnedMatrix& data, GrowerParams params)
      : LevelEvaluator(mapper, data, std::move(params)) {}

  /// Runs the parallel regions through `runner` (a profiler's), or the thread pool when null.
  void set_region_runner(RegionRunner* runner) noexcept { runner_ = runner; }

  /// Grows a tree over `rows` (ascending row ids; reordered so each leaf's rows are contiguous).
  /// `stats` holds criterion.channels floats per row id. Splits consider `features`
  /// (ascending); `rng` draws node features when params.node_features is set. Adds each split's
  /// gain to feature_gain[feature] and lists the leaves with their row ranges.
  trees::Tree grow(std::vector<std::uint32_t>& rows, const float* stats, const std::vector<std::uint32_t>& features,
                   Rng& rng, std::vector<double>& feature_gain, std::vector<Leaf>& leaves) {
    rows_ = rows.data();
    n_rows_ = rows.size();
    stats_ = stats;
    features_ = &features;
    rng_ = &rng;
    subtraction_ = !(p_.node_features > 0 && p_.node_features < features.size());
    if (p_.reducer && !subtraction_) throw_error("TreeGrower: sharded rows need every feature at each node");
    // Sharded: every built histogram is kept (so it can be summed across shards before its scan).
    pool_.reset(mapper_.total_slots() * C(), p_.reducer ? std::numeric_limits<std::size_t>::max() : p_.histogram_budget);
    ordered_.resize(n_rows_ * C());
    leaves.clear();

    trees::Tree tree;
    tree.n_outputs = p_.criterion.n_outputs();
    std::vector<Open> open(1);
    start_root(tree, open[0]);
    std::size_t n_final = 0;
    std::vector<Open> next;
    for (;;) {
      const std::vector<std::size_t> chosen = choose(open, n_final);
      if (chosen.empty()) break;
      split_nodes(tree, open, chosen, feature_gain);
      build_and_evaluate(open, plan_children(open, chosen));
      // Drop the split parents; finalize children that will not split.
      next.clear();
      std::vector<bool> is_chosen(open.size(), false);
      for (std::size_t i : chosen) is_chosen[i] = true;
      for (std::size_t i = 0; i < open.size(); ++i) {
        if (is_chosen[i]) continue;
        if (open[i].splittable) {
          next.push_back(std::move(open[i]));
        } else {
          finalize(tree, open[i], leaves);
          ++n_final;
        }
      }
      open.swap(next);
    }
    for (Open& o : open) finalize(tree, o, leaves);
    const std::vector<std::int32_t> new_id = tree.renumber_depth_first();
    for (Leaf& l : leaves) l.node = new_id[static_cast<std::size_t>(l.node)];
    tree.compute_depth();
    return tree;
  }


private:
  void start_root(trees::Tree& tree, Open& root) {
    const std::size_t n = n_rows_;
    root.node = tree.add_leaf();
    root.end = static_cast<std::uint32_t>(n);
    root.sums = row_sums(rows_, n, stats_, C(), runner_);
    root.rows = static_cast<double>(n);
    if (p_.reducer) {
      root.sums.push_back(root.rows);
      p_.reducer->sum(root.sums.data(), root.sums.size());
      root.rows = root.sums.back();
      root.sums.pop_back();
    }
    std::vector<Job> jobs;
    if (can_split(root)) {
      if (subtraction_) root.buf = pool_.acquire();
      choose_features(root);
      jobs.push_back(Job{0, -1});
    }
    std::vector<Open> one(1);
    one[0] = std::move(root);
    build_and_evaluate(one, jobs);
    root = std::move(one[0]);
  }

  // The open nodes to split next: every splittable one (depth-wise), or the one with the
  // largest gain while the leaf budget allows (leaf-wise).
  std::vector<std::size_t> choose(const std::vector<Open>& open, std::size_t n_final) const {
    std::vector<std::size_t> chosen;
    if (p_.max_leaves == 0) {
      for (std::size_t i = 0; i < open.size(); ++i)
        if (open[i].splittable) chosen.push_back(i);
    } else if (open.size() + n_final < p_.max_leaves) {
      std::size_t bi = open.size();
      for (std::size_t i = 0; i < open.size(); ++i)
        if (open[i].splittable && (bi == open.size() || open[i].best.gain > open[bi].best.gain)) bi = i;
      if (bi < open.size()) chosen.push_back(bi);
    }
    return chosen;
  }

  bool can_split(const Open& o) const {
    if (p_.max_depth > 0 && o.depth >= p_.max_depth) return false;
    if (o.rows < 2 || o.rows < 2 * p_.min_rows) return false;
    const double w = node_weight(p_.criterion, o.sums.data());
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

  // Children (the last 2 * chosen.size() open nodes, appended by split_nodes) need histograms:
  // draws their features and asks the pool which to build and which to derive.
  std::vector<Job> plan_children(std::vector<Open>& open, const std::vector<std::size_t>& chosen) {
    std::vector<Job> jobs;
    for (std::size_t ci = 0; ci < chosen.size(); ++ci) {
      const std::size_t li = open.size() - 2 * chosen.size() + 2 * ci;
      Open& parent = open[chosen[ci]];
      Open* kids[2] = {&open[li], &open[li + 1]};
      const bool need[2] = {can_split(*kids[0]), can_split(*kids[1])};
      for (int k = 0; k < 2; ++k)
        if (need[k]) choose_features(*kids[k]);
      const bool left_smaller = kids[0]->rows <= kids[1]->rows;
      const ChildHistograms plan = pool_.plan_children(parent.buf, need[0], need[1], left_smaller, subtraction_);
      parent.buf = -1;
      for (int k = 0; k < 2; ++k) kids[k]->buf = plan.buffer[k];
      for (int b : plan.build) {
        if (b < 0) continue;
        const std::ptrdiff_t derived = plan.derive >= 0 ? static_cast<std::ptrdiff_t>(li) + plan.derive : -1;
        jobs.push_back(Job{li + static_cast<std::size_t>(b), derived});
      }
    }
    return jobs;
  }

  void finalize(trees::Tree& tree, Open& o, std::vector<Leaf>& leaves) {
    pool_.release(o.buf);
    o.buf = -1;
    std::vector<double> v(tree.n_outputs);
    std::vector<float> out(tree.n_outputs);
    leaf_values(p_.criterion, o.sums.data(), v.data());
    if (o.bounds.active()) v[0] = o.bounds.clamp(v[0]);  // bounded values come from one-output criteria
    for (std::size_t c = 0; c < v.size(); ++c) out[c] = static_cast<float>(v[c] / p_.stat_scale);
    tree.set_leaf_values(static_cast<std::size_t>(o.node), out.data());
    leaves.push_back(Leaf{o.node, o.begin, o.end});
  }

  // Turns the chosen open leaves into internal nodes, partitions their rows and appends two
  // children per split to `open`.
  void split_nodes(trees::Tree& tree, std::vector<Open>& open, const std::vector<std::size_t>& chosen,
                   std::vector<double>& feature_gain) {
    open.reserve(open.size() + 2 * chosen.size());  // references into `open` stay valid below
    std::vector<RowRange> ranges;
    std::vector<BinRule> rules;
    for (std::size_t i : chosen) {
      const Open& o = open[i];
      const auto f = static_cast<std::size_t>(o.best.feature);
      ranges.push_back({o.begin, o.end});
      rules.push_back({data_.codes(f), mapper_.nan_bin(f), static_cast<std::uint8_t>(o.best.bin), o.best.default_left,
                       o.best.categorical ? o.best.left_set.data() : nullptr});
    }
    const std::vector<std::size_t> n_left = partition_.split(rows_, n_rows_, ranges, rules, runner_);
    for (std::size_t ci = 0; ci < chosen.size(); ++ci) {
      Open& o = open[chosen[ci]];
      const auto f = static_cast<std::size_t>(o.best.feature);
      const auto t = static_cast<std::size_t>(o.best.bin);
      const std::int32_t l = tree.add_leaf();
      const std::int32_t r = tree.add_leaf();
      trees::TreeNode& nd = tree.nodes[static_cast<std::size_t>(o.node)];
      nd.feature_flags = static_cast<std::uint32_t>(f) | (o.best.default_left ? trees::TreeNode::kDefaultLeft : 0u);
      if (o.best.categorical) {
        nd.feature_flags |= trees::TreeNode::kCategorical;
        const auto offset = tree.add_category_set(o.best.left_set.data(), mapper_.n_bins(f), o.best.default_left);
        nd.threshold = std::bit_cast<float>(offset);
      } else {
        nd.threshold = t + 1 < mapper_.n_bins(f) ? mapper_.edge(f, t) : std::numeric_limits<float>::infinity();
      }
      nd.left = l;
      nd.right = r;
      feature_gain[f] += o.best.gain / (p_.stat_scale * p_.stat_scale);
      Open L, R;
      L.node = l;
      R.node = r;
      L.depth = R.depth = o.depth + 1;
      L.begin = o.begin;
      L.end = static_cast<std::uint32_t>(o.begin + n_left[ci]);
      R.begin = L.end;
      R.end = o.end;
      L.rows = static_cast<double>(L.end - L.begin);
      R.rows = static_cast<double>(R.end - R.begin);
      L.sums = o.best.left;
      R.sums.resize(C());
      for (std::size_t c = 0; c < C(); ++c) R.sums[c] = o.sums[c] - L.sums[c];
      bound_children(o, f, L, R);
      open.push_back(std::move(L));
      open.push_back(std::move(R));
    }
    if (p_.reducer) {
      std::vector<double> rows(2 * chosen.size());
      for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = open[open.size() - rows.size() + i].rows;
      p_.reducer->sum(rows.data(), rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) open[open.size() - rows.size() + i].rows = rows[i];
    }
  }

  // Children inherit the parent's value bounds; below a split on a monotone feature, the
  // midpoint of their (clamped) values caps the lower side and floors the other.
  void bound_children(const Open& parent, std::size_t f, Open& L, Open& R) const {
    L.bounds = R.bounds = parent.bounds;
    const int dir = finder_.monotone(f);
    if (dir == 0) return;
    double vl = 0.0, vr = 0.0;
    leaf_values(p_.criterion, L.sums.data(), &vl);
    leaf_values(p_.criterion, R.sums.data(), &vr);
    const double mid = 0.5 * (parent.bounds.clamp(vl) + parent.bounds.clamp(vr));
    Open& low = dir > 0 ? L : R;
    Open& high = dir > 0 ? R : L;
    low.bounds.upper = std::min(low.bounds.upper, mid);
    high.bounds.lower = std::max(high.bounds.lower, mid);
  }

  RowPartition partition_;
  bool subtraction_ = true;
  const std::vector<std::uint32_t>* features_ = nullptr;
  Rng* rng_ = nullptr;
};

}  // namespace grove::detail

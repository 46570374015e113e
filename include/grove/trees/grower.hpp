#pragma once
/// \file TreeGrower: grows one tree on binned data from per-row statistics, depth-wise (level by
/// level) or leaf-wise (best gain first, when max_leaves is set). It only orchestrates: the
/// criterion (criterion.hpp) gives weights, scores and leaf values, the split finder
/// (split_finder.hpp) scans histograms, the pool (histogram.hpp) keeps histograms for the
/// subtraction trick and the partition (partition.hpp) moves rows to their children.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/rng.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/criterion.hpp"
#include "grove/trees/histogram.hpp"
#include "grove/trees/partition.hpp"
#include "grove/trees/regions.hpp"
#include "grove/trees/row_passes.hpp"
#include "grove/trees/shard_reducer.hpp"
#include "grove/trees/split_finder.hpp"
#include "grove/trees/tree.hpp"

namespace grove::detail {

/// What the grower needs to know; models fill it from their params.
struct GrowerParams {
  CriterionSpec criterion;
  int max_depth = 6;              ///< 0: unlimited
  std::size_t max_leaves = 0;     ///< 0: depth-wise growth; else leaf-wise, best gain first
  double min_weight = 0.0;        ///< least criterion weight per child (hessian, weighted rows)
  double min_split_gain = 0.0;
  std::size_t node_features = 0;  ///< features drawn per node (0: every allowed feature)
  std::size_t histogram_budget = std::size_t{64} << 20;  ///< bytes of kept histograms per grower
  /// The statistics are the true ones times this power of two (statistic_scale): leaf values
  /// and gains are reported unscaled.
  double stat_scale = 1.0;
  CategoricalSplits categorical;  ///< how features the bin mapper marks categorical are split
  /// Per feature: 1 / -1 = leaf values may only grow / shrink with it (empty: none). A split on
  /// it is rejected when its children's values break the order, and their midpoint bounds every
  /// value below each child (XGBoost's and LightGBM's basic method); criteria with score_at only.
  std::vector<std::int8_t> monotone;
  /// Set when the rows are sharded over several trainers: row counts and built histograms are
  /// summed over them (shard_reducer.hpp), so every trainer grows the same tree.
  ShardReducer* reducer = nullptr;
};

/// Grows trees on one binned data set; keeps its scratch memory between trees.
class TreeGrower {
public:
  /// A leaf of the grown tree and the range of the row list that fell into it.
  struct Leaf {
    std::int32_t node;
    std::uint32_t begin, end;
  };

  TreeGrower(const trees::BinMapper& mapper, const trees::BinnedMatrix& data, GrowerParams params)
      : mapper_(mapper), data_(data), p_(params),
        finder_(params.criterion, params.min_weight, params.categorical, params.monotone) {}

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
  // An open (not yet final) node: its rows, statistic sums, kept histogram and best split.
  struct Open {
    std::int32_t node = 0;
    std::uint32_t begin = 0, end = 0;
    int depth = 0;
    int buf = -1;
    double rows = 0;  // over all shards (end - begin without a reducer)
    std::vector<double> sums;
    std::vector<std::uint32_t> features;  // features evaluated for this node
    ValueBounds bounds;                   // its value's bounds (scaled statistics)
    SplitChoice best;
    bool splittable = false;
  };
  // Build the histogram of open[build] from rows; when derived >= 0, turn the parent's histogram
  // (held by open[derived]) into open[derived]'s by subtraction.
  struct Job {
    std::size_t build;
    std::ptrdiff_t derived;
  };

  std::size_t C() const noexcept { return p_.criterion.channels; }

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
    if (o.rows < 2) return false;
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

  bool contiguous(const Open& o) const noexcept { return consecutive_rows(rows_, o.begin, o.end); }

  // Copies the statistics of the rows to build into node order (not needed for contiguous rows).
  void gather(const std::vector<Open>& open, const std::vector<Job>& jobs) {
    std::vector<RowRange> ranges;
    for (const Job& j : jobs)
      if (!contiguous(open[j.build])) ranges.push_back({open[j.build].begin, open[j.build].end});
    gather_stats(rows_, stats_, C(), ranges, ordered_.data(), runner_);
  }

  // Builds the jobs' histograms and finds every evaluated node's best split, in parallel over
  // (job, feature group) tasks; each feature's result has its own slot, so threads never race.
  void build_and_evaluate(std::vector<Open>& open, const std::vector<Job>& jobs) {
    if (jobs.empty()) return;
    gather(open, jobs);
    std::vector<std::size_t> task_base(jobs.size() + 1, 0);
    for (std::size_t j = 0; j < jobs.size(); ++j) task_base[j + 1] = task_base[j] + open[jobs[j].build].features.size();
    results_.assign(2 * task_base.back(), SplitChoice{});
    std::vector<double> parent_score(open.size(), 0.0);
    for (const Job& j : jobs) {
      parent_score[j.build] = node_score(p_.criterion, open[j.build].sums.data(), open[j.build].bounds);
      if (j.derived >= 0) {
        const auto d = static_cast<std::size_t>(j.derived);
        parent_score[d] = node_score(p_.criterion, open[d].sums.data(), open[d].bounds);
      }
    }
    std::vector<std::size_t> job_rows;
    std::vector<const std::vector<std::uint32_t>*> job_features;
    for (const Job& j : jobs) {
      job_rows.push_back(open[j.build].end - open[j.build].begin);
      job_features.push_back(&open[j.build].features);
    }
    const std::vector<HistogramTask> tasks = histogram_tasks(job_rows, job_features, num_threads());
    auto run = [&](Phase phase) {
      run_region(runner_, GrowPhase::Histograms, tasks.size(), [&](std::size_t t) {
        const HistogramTask& task = tasks[t];
        evaluate_task(open, jobs[task.job], task, parent_score, &results_[2 * task_base[task.job]], phase);
      });
    };
    if (p_.reducer) {
      run(Phase::Build);
      reduce_histograms(open, jobs);
      run(Phase::Scan);
    } else {
      run(Phase::All);
    }
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      pick(open, jobs[j].build, task_base[j], task_base[j + 1], 0, parent_score);
      if (jobs[j].derived >= 0) pick(open, static_cast<std::size_t>(jobs[j].derived), task_base[j], task_base[j + 1], 1, parent_score);
    }
  }

  // Sums the level's built histograms (the features each job evaluates) over the shards, in one
  // call: the siblings derived by subtraction then agree on every shard too.
  void reduce_histograms(std::vector<Open>& open, const std::vector<Job>& jobs) {
    std::size_t total = 0;
    for (const Job& j : jobs)
      for (std::uint32_t f : open[j.build].features) total += (mapper_.n_bins(f) + 1) * C();
    reduce_buf_.resize(total);
    for (int back = 0; back < 2; ++back) {
      double* at = reduce_buf_.data();
      for (const Job& j : jobs)
        for (std::uint32_t f : open[j.build].features) {
          double* h = pool_.data(open[j.build].buf) + mapper_.slot_offset(f) * C();
          const std::size_t len = (mapper_.n_bins(f) + 1) * C();
          if (back)
            std::copy(at, at + len, h);
          else
            std::copy(h, h + len, at);
          at += len;
        }
      if (!back) p_.reducer->sum(reduce_buf_.data(), total);
    }
  }

  // Build: the node's histogram from rows; Scan: find its split and derive the sibling's.
  enum class Phase { All, Build, Scan };

  // One task: build the node's histograms of the task's features in one pass over its rows,
  // then per feature scan it, and derive and scan the sibling's (Build: only the histograms;
  // Scan: only the rest). out[2 * i] receives feature i's result for the built node,
  // out[2 * i + 1] for the derived one.
  void evaluate_task(const std::vector<Open>& open, const Job& job, const HistogramTask& task,
                     const std::vector<double>& parent_score, SplitChoice* out, Phase phase) {
    const Open& b = open[job.build];
    const std::size_t count = b.end - b.begin, K = task.last - task.first;
    const std::uint32_t* r = rows_ + b.begin;
    const std::uint32_t* words = data_.group(b.features[task.first] / trees::BinnedMatrix::kGroup);
    // A node built in scratch (not kept) is scanned at once and its bins cleared after.
    double* scratch = nullptr;
    if (b.buf < 0) {
      std::size_t total = 0;
      for (std::size_t k = 0; k < K; ++k) total += (mapper_.n_bins(b.features[task.first + k]) + 1) * C();
      scratch = scratch_histogram(total);
    }
    GroupTargets tg;
    tg.count = K;
    std::size_t nb[4], lo[4], hi[4], len[4];
    for (std::size_t k = 0, off = 0; k < K; ++k) {
      const std::uint32_t f = b.features[task.first + k];
      nb[k] = mapper_.n_bins(f);
      len[k] = (nb[k] + 1) * C();
      lo[k] = 0;
      hi[k] = nb[k] - 1;
      tg.shift[k] = trees::BinnedMatrix::shift(f);
      tg.hist[k] = scratch ? scratch + off : pool_.data(b.buf) + mapper_.slot_offset(f) * C();
      off += len[k];
    }
    if (phase != Phase::Scan) {
      if (!scratch)
        for (std::size_t k = 0; k < K; ++k) std::fill(tg.hist[k], tg.hist[k] + len[k], 0.0);
      // Small nodes touch few bins: find which, then scan and clear only those.
      if (scratch) occupied_bins(words, r, count, tg, nb, lo, hi);
      if (count > 0) {
        const bool in_place = contiguous(b);
        const float* stats = in_place ? stats_ + static_cast<std::size_t>(r[0]) * C() : ordered_.data() + b.begin * C();
        accumulate_group(words, in_place ? nullptr : r, r[0], stats, count, C(), tg);
      }
      if (phase == Phase::Build) return;
    }
    const NodeStats node{b.sums.data(), parent_score[job.build], b.rows, b.bounds};
    for (std::size_t k = 0; k < K; ++k) {
      const std::size_t i = task.first + k;
      const std::uint32_t f = b.features[i];
      double* hb = tg.hist[k];
      finder_.find(node, FeatureBins{hb, nb[k], lo[k], hi[k], f, mapper_.categorical(f)}, out[2 * i]);
      if (scratch) {
        std::fill(hb + lo[k] * C(), hb + (hi[k] + 1) * C(), 0.0);
        std::fill(hb + nb[k] * C(), hb + len[k], 0.0);
        continue;
      }
      if (job.derived < 0) continue;
      const Open& d = open[static_cast<std::size_t>(job.derived)];
      double* hd = pool_.data(d.buf) + mapper_.slot_offset(f) * C();
      subtract_histogram(hd, hb, len[k]);
      finder_.find(NodeStats{d.sums.data(), parent_score[static_cast<std::size_t>(job.derived)], d.rows, d.bounds},
                   FeatureBins{hd, nb[k], 0, nb[k] - 1, f, mapper_.categorical(f)}, out[2 * i + 1]);
    }
  }

  // The best of a node's per-feature results (slot 0: built node, 1: derived node).
  void pick(std::vector<Open>& open, std::size_t i, std::size_t t0, std::size_t t1, std::size_t slot,
            const std::vector<double>& parent_score) {
    Open& o = open[i];
    SplitChoice best;
    for (std::size_t t = t0; t < t1; ++t)
      if (results_[2 * t + slot].gain > best.gain) best = std::move(results_[2 * t + slot]);
    const double ps = parent_score[i];
    const double gain_scale = p_.stat_scale * p_.stat_scale;
    o.splittable = best.feature >= 0 && best.gain > p_.min_split_gain * gain_scale && best.gain > 1e-9 * std::abs(ps);
    o.best = std::move(best);
    if (!o.splittable) {
      pool_.release(o.buf);
      o.buf = -1;
    }
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

  RegionRunner* runner_ = nullptr;

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
  const trees::BinMapper& mapper_;
  const trees::BinnedMatrix& data_;
  GrowerParams p_;
  SplitFinder finder_;
  HistogramPool pool_;
  RowPartition partition_;
  bool subtraction_ = true;
  std::uint32_t* rows_ = nullptr;
  std::size_t n_rows_ = 0;
  const float* stats_ = nullptr;
  const std::vector<std::uint32_t>* features_ = nullptr;
  Rng* rng_ = nullptr;
  std::vector<float> ordered_;
  std::vector<SplitChoice> results_;
  std::vector<double> reduce_buf_;
};

}  // namespace grove::detail

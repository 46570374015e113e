#pragma once
/// \file LevelEvaluator: the histogram half of growing a tree. For a level's open nodes it builds
/// the histograms that must be built from rows (in parallel over node x feature-group tasks),
/// derives their siblings' by subtraction, sums them over shards when rows are sharded, and
/// finds every evaluated node's best split. TreeGrower (grower.hpp) derives from it and decides
/// which nodes split and how their rows move.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "grove/trees/binning.hpp"
#include "grove/trees/criterion.hpp"
#include "grove/trees/histogram.hpp"
#include "grove/trees/partition.hpp"
#include "grove/trees/regions.hpp"
#include "grove/trees/row_passes.hpp"
#include "grove/trees/shard_reducer.hpp"
#include "grove/trees/split_finder.hpp"

namespace grove::detail {

/// What the grower needs to know; models fill it from their params.
struct GrowerParams {
  CriterionSpec criterion;
  int max_depth = 6;              ///< 0: unlimited
  std::size_t max_leaves = 0;     ///< 0: depth-wise growth; else leaf-wise, best gain first
  double min_weight = 0.0;        ///< least criterion weight per child (hessian, weighted rows)
  double min_rows = 0.0;          ///< least rows per child, estimated from its weight share (0: off)
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

/// An open (not yet final) node: its rows, statistic sums, kept histogram and best split.
struct OpenNode {
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

/// Build the histogram of open[build] from rows; when derived >= 0, turn the parent's histogram
/// (held by open[derived]) into open[derived]'s by subtraction.
struct HistogramJob {
  std::size_t build;
  std::ptrdiff_t derived;
};

/// Builds and scans the histograms of a level's open nodes; the state a grower shares with it.
class LevelEvaluator {
protected:
  using Open = OpenNode;
  using Job = HistogramJob;

  LevelEvaluator(const trees::BinMapper& mapper, const trees::BinnedMatrix& data, GrowerParams params)
      : mapper_(mapper), data_(data), p_(params),
        finder_(params.criterion, params.min_weight, params.categorical, params.monotone, params.min_rows) {}

  std::size_t C() const noexcept { return p_.criterion.channels; }

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

  RegionRunner* runner_ = nullptr;
  const trees::BinMapper& mapper_;
  const trees::BinnedMatrix& data_;
  GrowerParams p_;
  SplitFinder finder_;
  HistogramPool pool_;
  std::uint32_t* rows_ = nullptr;  // the tree's row list, each open node's rows a range of it
  std::size_t n_rows_ = 0;
  const float* stats_ = nullptr;   // channels floats per row id
  std::vector<float> ordered_;     // statistics gathered into node order
  std::vector<SplitChoice> results_;
  std::vector<double> reduce_buf_;
};

}  // namespace grove::detail

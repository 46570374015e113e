#pragma once
/// \file The tree grower's data-parallel passes over node rows, apart from the partition: the
/// statistic sums of a node, the gather of statistics into node order, and the cut of a level's
/// histogram work into (node, feature group) tasks. Each works in fixed row blocks or on
/// per-feature results, so what it computes never depends on the thread count.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "grove/trees/binning.hpp"
#include "grove/trees/partition.hpp"
#include "grove/trees/regions.hpp"

namespace grove::detail {

/// True when rows[begin, end) are consecutive row ids (ascending lists: the root without
/// subsampling). Kernels then read codes and statistics in place.
inline bool consecutive_rows(const std::uint32_t* rows, std::size_t begin, std::size_t end) noexcept {
  return end > begin && rows[end - 1] - rows[begin] == end - begin - 1;
}

/// The C statistic sums over rows[0, n) (C floats a row id in `stats`), summed per block of
/// RowPartition::kBlock rows and the blocks added in order: the same bits on any thread count.
inline std::vector<double> row_sums(const std::uint32_t* rows, std::size_t n, const float* stats, std::size_t C,
                                    RegionRunner* runner) {
  const std::size_t block = RowPartition::kBlock, blocks = (n + block - 1) / block;
  std::vector<double> part(blocks * C, 0.0), sums(C, 0.0);
  run_region(runner, GrowPhase::RootSums, blocks, [&](std::size_t b) {
    const std::size_t hi = std::min(n, (b + 1) * block);
    if (C == 2) {  // sums in registers, not through memory the compiler must assume aliased
      double s0 = 0.0, s1 = 0.0;
      for (std::size_t i = b * block; i < hi; ++i) {
        s0 += static_cast<double>(stats[rows[i] * std::size_t{2}]);
        s1 += static_cast<double>(stats[rows[i] * std::size_t{2} + 1]);
      }
      part[b * 2] = s0;
      part[b * 2 + 1] = s1;
      return;
    }
    for (std::size_t i = b * block; i < hi; ++i)
      for (std::size_t c = 0; c < C; ++c) part[b * C + c] += static_cast<double>(stats[rows[i] * C + c]);
  });
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t c = 0; c < C; ++c) sums[c] += part[b * C + c];
  return sums;
}

/// ordered[i * C + c] = stats[rows[i] * C + c] for the positions i of `ranges`, so histogram
/// kernels read a node's statistics contiguously.
inline void gather_stats(const std::uint32_t* rows, const float* stats, std::size_t C, const std::vector<RowRange>& ranges,
                         float* ordered, RegionRunner* runner) {
  std::vector<RowRange> blocks;
  for (const RowRange& r : ranges)
    for (std::size_t lo = r.begin; lo < r.end; lo += RowPartition::kBlock)
      blocks.push_back({lo, std::min(r.end, lo + RowPartition::kBlock)});
  run_region(runner, GrowPhase::Gather, blocks.size(), [&](std::size_t b) {
    const std::size_t end = blocks[b].end;
    for (std::size_t i = blocks[b].begin; i < end; ++i) {
      if (i + kPrefetchAhead < end) prefetch(stats + static_cast<std::size_t>(rows[i + kPrefetchAhead]) * C);
      const float* s = stats + static_cast<std::size_t>(rows[i]) * C;
      for (std::size_t c = 0; c < C; ++c) ordered[i * C + c] = s[c];
    }
  });
}

/// A histogram task: features [first, last) of job `job`'s feature list, all in one code group
/// (so one pass over the node's rows builds all of them).
struct HistogramTask {
  std::size_t job;
  std::uint32_t first, last;

  friend bool operator==(const HistogramTask&, const HistogramTask&) = default;
};

/// The tasks of a level's jobs (job j: rows[j] rows, ascending features[j]), the largest nodes
/// first, so the tasks that start last are short. When the tasks are few (the root: one per
/// group) and do not divide evenly among `threads`, groups are split in two, the second halves
/// placed last, until they do. Results never depend on the cut: each bin sums its rows in node
/// order whichever task builds it.
inline std::vector<HistogramTask> histogram_tasks(const std::vector<std::size_t>& rows,
                                                  const std::vector<const std::vector<std::uint32_t>*>& features,
                                                  std::size_t threads) {
  constexpr std::size_t G = trees::BinnedMatrix::kGroup;
  std::vector<std::size_t> order(rows.size());
  for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rows[a] > rows[b]; });
  std::vector<HistogramTask> tasks;
  for (std::size_t j : order) {
    const std::vector<std::uint32_t>& fs = *features[j];
    for (std::size_t i = 0; i < fs.size();) {
      std::size_t end = i + 1;
      while (end < fs.size() && fs[end] / G == fs[i] / G) ++end;
      tasks.push_back(HistogramTask{j, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(end)});
      i = end;
    }
  }
  if (threads < 2 || tasks.size() >= 4 * threads || tasks.size() % threads == 0) return tasks;
  std::size_t splits = threads - tasks.size() % threads;
  const std::size_t n = tasks.size();
  for (std::size_t t = 0; t < n && splits > 0; ++t) {
    const HistogramTask whole = tasks[t];  // a copy: push_back may move the vector
    if (whole.last - whole.first < 2) continue;
    const auto mid = static_cast<std::uint32_t>(whole.first + (whole.last - whole.first) / 2);
    tasks[t].last = mid;
    tasks.push_back(HistogramTask{whole.job, mid, whole.last});
    --splits;
  }
  return tasks;
}

}  // namespace grove::detail

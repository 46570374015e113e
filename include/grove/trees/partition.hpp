#pragma once
/// \file RowPartition: after a level of splits, reorders each split node's rows so the rows
/// going left come first, stably (ascending row order kept on both sides), in parallel over
/// fixed blocks so the result does not depend on the thread count.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "grove/core/parallel.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/regions.hpp"

namespace grove::detail {

/// How one split routes a row by its bin code: missing values (nan_bin) by the learned
/// direction, other codes by the threshold bin; or, for a categorical split, by the set of bins
/// (the missing bin's membership included) that go left.
struct BinRule {
  trees::FeatureCodes codes;
  std::uint8_t nan_bin = 0;
  std::uint8_t threshold = 0;
  bool default_left = false;
  const std::uint64_t* left_set = nullptr;  ///< 4 words of bin bits, or null for a threshold

  /// Branch-free: the threshold is below nan_bin, so a missing value passes "code <= threshold"
  /// never and goes left only by default. A set holds the missing bin's direction itself.
  bool goes_left(std::uint32_t code) const noexcept {
    if (left_set) return in_set(code);
    return by_threshold(code);
  }
  bool by_threshold(std::uint32_t code) const noexcept {
    return (code <= threshold) | ((code == nan_bin) & default_left);
  }
  bool in_set(std::uint32_t code) const noexcept { return ((left_set[code >> 6] >> (code & 63)) & 1u) != 0; }
};

/// A node's rows: positions [begin, end) of the row list.
struct RowRange {
  std::size_t begin = 0, end = 0;
};

/// Stable parallel partition of row ranges; keeps its scratch memory between calls.
class RowPartition {
public:
  /// Row ranges are cut into blocks of at most kBlock rows: the unit of parallel work.
  static constexpr std::size_t kBlock = 16384;

  /// Partitions rows[r.begin, r.end) of every range by its rule (rules[i] for ranges[i]) and
  /// returns how many rows of each went left. `n_rows` bounds every range's end.
  std::vector<std::size_t> split(std::uint32_t* rows, std::size_t n_rows, const std::vector<RowRange>& ranges,
                                 const std::vector<BinRule>& rules, RegionRunner* runner = nullptr) {
    if (scratch_.size() < n_rows) scratch_.resize(n_rows);
    blocks_.clear();
    for (std::size_t k = 0; k < ranges.size(); ++k)
      for (std::size_t lo = ranges[k].begin; lo < ranges[k].end; lo += kBlock)
        blocks_.push_back(Block{k, lo, std::min(ranges[k].end, lo + kBlock), 0, 0, 0});
    // Pass 1: each block splits its rows into scratch (left rows from the front, right rows
    // from the back, reversed). Pass 2 copies both runs to their final, stable positions.
    run_region(runner, GrowPhase::Partition, blocks_.size(),
               [&](std::size_t b) { split_block(rows, rules[blocks_[b].range], blocks_[b]); });
    std::vector<std::size_t> n_left(ranges.size(), 0);
    for (const Block& k : blocks_) n_left[k.range] += k.n_left;
    std::vector<std::size_t> lpos(ranges.size()), rpos(ranges.size());
    for (std::size_t k = 0; k < ranges.size(); ++k) {
      lpos[k] = ranges[k].begin;
      rpos[k] = ranges[k].begin + n_left[k];
    }
    for (Block& k : blocks_) {
      k.left_pos = lpos[k.range];
      k.right_pos = rpos[k.range];
      lpos[k.range] += k.n_left;
      rpos[k.range] += (k.hi - k.lo) - k.n_left;
    }
    run_region(runner, GrowPhase::Partition, blocks_.size(), [&](std::size_t b) { place_block(rows, blocks_[b]); });
    return n_left;
  }

private:
  struct Block {
    std::size_t range, lo, hi, n_left, left_pos, right_pos;
  };

  void split_block(const std::uint32_t* rows, const BinRule& rule, Block& k) {
    if (rule.left_set)
      split_block_by(rows, rule, k, [&rule](std::uint32_t code) { return rule.in_set(code); });
    else
      split_block_by(rows, rule, k, [&rule](std::uint32_t code) { return rule.by_threshold(code); });
  }

  // The per-row loop, instantiated for each kind of rule so neither tests the other's. Each row
  // is written to both free ends and the matching end advances: no branch to mispredict on a
  // split that sends rows either way at random. The two slots are distinct until the last row,
  // which writes the same value to the one slot left.
  template <class Left>
  void split_block_by(const std::uint32_t* rows, const BinRule& rule, Block& k, Left goes_left) {
    std::uint32_t* out = scratch_.data() + k.lo;
    std::size_t n_left = 0, last = k.hi - k.lo - 1;
    for (std::size_t i = k.lo; i < k.hi; ++i) {
      if (i + kPrefetchAhead < k.hi) rule.codes.prefetch(rows[i + kPrefetchAhead]);
      const std::uint32_t r = rows[i];
      const bool left = goes_left(rule.codes[r]);
      out[n_left] = r;
      out[last] = r;
      n_left += left;
      last -= !left;
    }
    k.n_left = n_left;
  }

  void place_block(std::uint32_t* rows, const Block& k) const {
    const std::uint32_t* src = scratch_.data() + k.lo;
    std::memcpy(rows + k.left_pos, src, k.n_left * sizeof(std::uint32_t));
    const std::size_t n_right = (k.hi - k.lo) - k.n_left;
    std::uint32_t* dst = rows + k.right_pos;
    const std::uint32_t* rsrc = scratch_.data() + k.hi;
    for (std::size_t j = 0; j < n_right; ++j) dst[j] = *--rsrc;
  }

  std::vector<std::uint32_t> scratch_;
  std::vector<Block> blocks_;
};

}  // namespace grove::detail

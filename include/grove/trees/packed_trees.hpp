#pragma once
/// \file PackedTrees: shallow trees re-laid as complete binary trees of one depth for fast
/// prediction of rows without missing values. The children of slot i are 2i+1 and 2i+2, so a
/// step is a load, a compare and an add; a leaf above the last level is padded with "always
/// left" slots.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "grove/trees/tree.hpp"

namespace grove::detail {

using trees::Tree;
using trees::TreeNode;

/// Complete-layout copy of a sequence of trees, every one padded to the same depth D (the
/// deepest, at most kMaxDepth): tree t's slots start at t * (2^D - 1), its leaves at t * 2^D, so
/// a walk needs no per-tree offsets and eight trees can be walked side by side.
class PackedTrees {
public:
  static constexpr int kMaxDepth = 10;

  struct Slot {
    std::uint32_t feature;
    float threshold;
  };

  /// Packs `trees` if all are at most kMaxDepth deep and numeric; otherwise usable() stays false.
  void build(const std::vector<Tree>& trees) {
    usable_ = false;
    slots_.clear();
    leaves_.clear();
    depth_ = 0;
    for (const Tree& t : trees) {
      if (t.depth > kMaxDepth || !t.categories.empty()) return;
      depth_ = std::max(depth_, t.depth);
    }
    const std::size_t D = static_cast<std::size_t>(depth_);
    slots_.assign(trees.size() * ((std::size_t{1} << D) - 1), Slot{0, std::numeric_limits<float>::infinity()});
    leaves_.assign(trees.size() << D, 0.0f);
    for (std::size_t t = 0; t < trees.size(); ++t) fill(trees[t], t, 0, 0, 0);
    usable_ = true;
  }

  bool usable() const noexcept { return usable_; }

  /// Sum over trees first, first + step, ... < count of the leaf values for a row without NaN,
  /// in tree order (so it equals sum_tree_values bit for bit).
  double sum(std::size_t first, std::size_t count, std::size_t step, const float* x) const noexcept {
    switch (depth_) {
      case 0: return sum_depth<0>(first, count, step, x);
      case 1: return sum_depth<1>(first, count, step, x);
      case 2: return sum_depth<2>(first, count, step, x);
      case 3: return sum_depth<3>(first, count, step, x);
      case 4: return sum_depth<4>(first, count, step, x);
      case 5: return sum_depth<5>(first, count, step, x);
      case 6: return sum_depth<6>(first, count, step, x);
      case 7: return sum_depth<7>(first, count, step, x);
      case 8: return sum_depth<8>(first, count, step, x);
      case 9: return sum_depth<9>(first, count, step, x);
      default: return sum_depth<10>(first, count, step, x);
    }
  }

  /// True when some of the d values is NaN (those rows take the general path).
  static bool has_nan(const float* x, std::size_t d) noexcept {
    bool any = false;
    for (std::size_t f = 0; f < d; ++f) any |= std::isnan(x[f]);
    return any;
  }

private:
  // The walk for depth D: eight trees at a time (eight independent chains of dependent loads
  // keep the core busy while each waits), leaf values added in tree order.
  template <int D>
  double sum_depth(std::size_t first, std::size_t count, std::size_t step, const float* x) const noexcept {
    constexpr std::size_t kSlots = (std::size_t{1} << D) - 1, kLeaves = std::size_t{1} << D;
    constexpr std::size_t kWay = 8;
    const Slot* slots = slots_.data();
    const float* leaves = leaves_.data();
    double s = 0.0;
    std::size_t t = first;
    for (; t + (kWay - 1) * step < count; t += kWay * step) {
      std::size_t i[kWay] = {};
      for (int level = 0; level < D; ++level)
        for (std::size_t j = 0; j < kWay; ++j) {
          const Slot& sl = slots[(t + j * step) * kSlots + i[j]];
          i[j] = 2 * i[j] + 1 + static_cast<std::size_t>(x[sl.feature] > sl.threshold);
        }
      for (std::size_t j = 0; j < kWay; ++j) s += static_cast<double>(leaves[(t + j * step) * kLeaves + i[j] - kSlots]);
    }
    for (; t < count; t += step) {
      std::size_t i = 0;
      for (int level = 0; level < D; ++level) {
        const Slot& sl = slots[t * kSlots + i];
        i = 2 * i + 1 + static_cast<std::size_t>(x[sl.feature] > sl.threshold);
      }
      s += static_cast<double>(leaves[t * kLeaves + i - kSlots]);
    }
    return s;
  }

  // Copies node `n` of tree t into slot `pos` at `level`; a leaf above the last level becomes
  // "always left" slots (threshold +inf) whose subtree repeats the leaf.
  void fill(const Tree& tree, std::size_t t, std::size_t n, std::size_t pos, int level) {
    const std::size_t D = static_cast<std::size_t>(depth_), n_slots = (std::size_t{1} << D) - 1;
    if (level == depth_) {
      leaves_[(t << D) + pos - n_slots] = tree.nodes[n].threshold;
      return;
    }
    const TreeNode& nd = tree.nodes[n];
    if (tree.is_leaf(n)) {
      fill(tree, t, n, 2 * pos + 1, level + 1);
      fill(tree, t, n, 2 * pos + 2, level + 1);
      return;
    }
    slots_[t * n_slots + pos] = Slot{nd.feature(), nd.threshold};
    fill(tree, t, static_cast<std::size_t>(nd.left), 2 * pos + 1, level + 1);
    fill(tree, t, static_cast<std::size_t>(nd.right), 2 * pos + 2, level + 1);
  }

  bool usable_ = false;
  int depth_ = 0;
  std::vector<Slot> slots_;
  std::vector<float> leaves_;
};

}  // namespace grove::detail

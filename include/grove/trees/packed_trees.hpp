#pragma once
/// \file PackedTrees: shallow trees re-laid as complete binary trees for fast prediction of rows
/// without missing values. The children of slot i are 2i+1 and 2i+2, so a step is a load, a
/// compare and an add; a leaf above the last level is padded with "always left" slots.

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

/// Complete-layout copy of a sequence of trees (every tree no deeper than kMaxDepth).
class PackedTrees {
public:
  static constexpr int kMaxDepth = 10;

  struct Slot {
    std::uint32_t feature;
    float threshold;
  };

  /// Packs `trees` if all are at most kMaxDepth deep; otherwise usable() stays false.
  void build(const std::vector<Tree>& trees) {
    usable_ = false;
    slots_.clear();
    leaves_.clear();
    slot_off_.clear();
    leaf_off_.clear();
    depth_.clear();
    for (const Tree& t : trees)
      if (t.depth > kMaxDepth) return;
    for (const Tree& t : trees) {
      const std::size_t D = static_cast<std::size_t>(t.depth);
      slot_off_.push_back(slots_.size());
      leaf_off_.push_back(leaves_.size());
      depth_.push_back(static_cast<int>(D));
      slots_.resize(slots_.size() + ((std::size_t{1} << D) - 1), Slot{0, std::numeric_limits<float>::infinity()});
      leaves_.resize(leaves_.size() + (std::size_t{1} << D), 0.0f);
      fill(t, 0, 0, 0, D);
    }
    usable_ = true;
  }

  bool usable() const noexcept { return usable_; }

  /// Sum over trees first, first + step, ... < count of the leaf values for a row without NaN,
  /// in tree order (so it equals sum_tree_values bit for bit).
  double sum(std::size_t first, std::size_t count, std::size_t step, const float* x) const noexcept {
    double s = 0.0;
    std::size_t t = first;
    for (; t + 3 * step < count; t += 4 * step) {
      const std::size_t ta = t, tb = t + step, tc = t + 2 * step, td = t + 3 * step;
      const Slot *a = slots_.data() + slot_off_[ta], *b = slots_.data() + slot_off_[tb],
                 *c = slots_.data() + slot_off_[tc], *d = slots_.data() + slot_off_[td];
      std::size_t ia = 0, ib = 0, ic = 0, id = 0;
      const int da = depth_[ta], db = depth_[tb], dc = depth_[tc], dd = depth_[td];
      const int common = std::min(std::min(da, db), std::min(dc, dd));
      for (int k = 0; k < common; ++k) {
        ia = 2 * ia + 1 + static_cast<std::size_t>(x[a[ia].feature] > a[ia].threshold);
        ib = 2 * ib + 1 + static_cast<std::size_t>(x[b[ib].feature] > b[ib].threshold);
        ic = 2 * ic + 1 + static_cast<std::size_t>(x[c[ic].feature] > c[ic].threshold);
        id = 2 * id + 1 + static_cast<std::size_t>(x[d[id].feature] > d[id].threshold);
      }
      for (int k = common; k < da; ++k) ia = 2 * ia + 1 + static_cast<std::size_t>(x[a[ia].feature] > a[ia].threshold);
      for (int k = common; k < db; ++k) ib = 2 * ib + 1 + static_cast<std::size_t>(x[b[ib].feature] > b[ib].threshold);
      for (int k = common; k < dc; ++k) ic = 2 * ic + 1 + static_cast<std::size_t>(x[c[ic].feature] > c[ic].threshold);
      for (int k = common; k < dd; ++k) id = 2 * id + 1 + static_cast<std::size_t>(x[d[id].feature] > d[id].threshold);
      s += static_cast<double>(leaves_[leaf_off_[ta] + ia - ((std::size_t{1} << da) - 1)]);
      s += static_cast<double>(leaves_[leaf_off_[tb] + ib - ((std::size_t{1} << db) - 1)]);
      s += static_cast<double>(leaves_[leaf_off_[tc] + ic - ((std::size_t{1} << dc) - 1)]);
      s += static_cast<double>(leaves_[leaf_off_[td] + id - ((std::size_t{1} << dd) - 1)]);
    }
    for (; t < count; t += step) {
      const Slot* a = slots_.data() + slot_off_[t];
      std::size_t i = 0;
      for (int k = 0; k < depth_[t]; ++k) i = 2 * i + 1 + static_cast<std::size_t>(x[a[i].feature] > a[i].threshold);
      s += static_cast<double>(leaves_[leaf_off_[t] + i - ((std::size_t{1} << depth_[t]) - 1)]);
    }
    return s;
  }

  /// True when some of the d values is NaN (those rows take the general path).
  static bool has_nan(const float* x, std::size_t d) noexcept {
    bool any = false;
    for (std::size_t f = 0; f < d; ++f) any |= std::isnan(x[f]);
    return any;
  }

private:
  // Copies node `n` of t into slot `pos` at `level`; a leaf above the last level becomes an
  // "always left" slot (threshold +inf) whose subtree repeats the leaf.
  void fill(const Tree& t, std::size_t n, std::size_t pos, std::size_t level, std::size_t D) {
    const std::size_t base = slot_off_.back(), leaf_base = leaf_off_.back();
    if (level == D) {
      leaves_[leaf_base + pos - ((std::size_t{1} << D) - 1)] = t.nodes[n].threshold;
      return;
    }
    const TreeNode& nd = t.nodes[n];
    if (t.is_leaf(n)) {
      fill(t, n, 2 * pos + 1, level + 1, D);
      fill(t, n, 2 * pos + 2, level + 1, D);
      return;
    }
    slots_[base + pos] = Slot{nd.feature(), nd.threshold};
    fill(t, static_cast<std::size_t>(nd.left), 2 * pos + 1, level + 1, D);
    fill(t, static_cast<std::size_t>(nd.right), 2 * pos + 2, level + 1, D);
  }

  bool usable_ = false;
  std::vector<Slot> slots_;
  std::vector<float> leaves_;
  std::vector<std::size_t> slot_off_, leaf_off_;
  std::vector<int> depth_;
};

}  // namespace grove::detail

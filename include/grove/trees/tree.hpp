#pragma once
/// \file Tree: one decision tree as a flat array of 16-byte nodes, and its prediction.
/// Categorical splits keep their category sets in the tree's `categories` words.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace grove::trees {

/// One node. An internal node sends a row left when x[feature] <= threshold (NaN goes to the
/// learned default side); a leaf points to itself on both sides, holds feature 0 and keeps its
/// (first) output value in `threshold`, so a fixed number of branch-free steps ends on the leaf.
/// A categorical node (kCategorical) instead sends the categories in a set left: `threshold`
/// holds the bits of the set's offset in Tree::categories, where the set is a word count W
/// (1..8) and W words of bits, bit c for category code c. Missing values, codes that are not
/// integers in [0, 32 W) and categories training never saw follow the default direction.
struct TreeNode {
  static constexpr std::uint32_t kDefaultLeft = 0x80000000u;
  static constexpr std::uint32_t kCategorical = 0x40000000u;
  static constexpr std::uint32_t kFeatureMask = 0x3fffffffu;

  std::uint32_t feature_flags = 0;  ///< feature index | kDefaultLeft | kCategorical
  float threshold = 0.0f;           ///< split value (bits of the category set's offset); the leaf value on leaves
  std::int32_t left = 0;
  std::int32_t right = 0;

  std::uint32_t feature() const noexcept { return feature_flags & kFeatureMask; }
  bool default_left() const noexcept { return (feature_flags & kDefaultLeft) != 0; }
  bool categorical() const noexcept { return (feature_flags & kCategorical) != 0; }
  std::uint32_t category_offset() const noexcept { return std::bit_cast<std::uint32_t>(threshold); }
};
static_assert(sizeof(TreeNode) == 16, "TreeNode must stay 16 bytes");

}  // namespace grove::trees

namespace grove::detail {

using trees::TreeNode;

/// The child a row goes to, computed without branches: rows route unpredictably, and a
/// mispredicted branch per level costs more than the whole step.
inline std::int32_t next_node(const TreeNode& nd, const float* x) noexcept {
  const float v = x[nd.feature_flags & TreeNode::kFeatureMask];
  const std::int32_t go_left = static_cast<std::int32_t>(v <= nd.threshold) |
                               (static_cast<std::int32_t>(v != v) & static_cast<std::int32_t>(nd.feature_flags >> 31));
  return nd.right + ((nd.left - nd.right) & -go_left);
}

/// True when category code v goes left by the set at `set` (word count, then bits); false for
/// values the set does not cover (they follow the default direction).
inline bool in_category_set(const std::uint32_t* set, float v, bool& covered) noexcept {
  covered = false;
  if (!(v >= 0.0f && v < static_cast<float>(32 * set[0]))) return false;
  const auto c = static_cast<std::uint32_t>(v);
  if (static_cast<float>(c) != v) return false;
  covered = true;
  return ((set[1 + c / 32] >> (c % 32)) & 1u) != 0;
}

/// next_node for trees with categorical splits (`categories`: the tree's category words).
inline std::int32_t next_node_any(const TreeNode& nd, const float* x, const std::uint32_t* categories) noexcept {
  if (!nd.categorical()) return next_node(nd, x);
  bool covered = false;
  const bool in = in_category_set(categories + nd.category_offset(), x[nd.feature()], covered);
  return (covered ? in : nd.default_left()) ? nd.left : nd.right;
}

}  // namespace grove::detail

namespace grove::trees {

/// A tree: nodes (root first, children after their parent) and n_outputs values per node
/// (read on leaves only).
struct Tree {
  std::vector<TreeNode> nodes;
  std::vector<float> values;  ///< n_outputs per node
  std::vector<std::uint32_t> categories;  ///< category sets of categorical splits (see TreeNode)
  /// Training weight that reached each node (boosting: hessian sum; trees and forests: rows
  /// times bootstrap counts and sample weights), which TreeSHAP and cover importance read; empty in trees loaded
  /// from files written before covers were stored (kind version < 3).
  std::vector<float> cover;
  std::size_t n_outputs = 1;
  int depth = 0;  ///< longest root-to-leaf path

  bool is_leaf(std::size_t i) const noexcept { return nodes[i].left == static_cast<std::int32_t>(i); }

  /// Appends a leaf and returns its index.
  std::int32_t add_leaf() {
    const auto id = static_cast<std::int32_t>(nodes.size());
    nodes.push_back(TreeNode{0, 0.0f, id, id});
    values.resize(values.size() + n_outputs, 0.0f);
    return id;
  }

  /// Sets the outputs of leaf i (and mirrors the first into threshold for the fast path).
  void set_leaf_values(std::size_t i, const float* v) {
    for (std::size_t c = 0; c < n_outputs; ++c) values[i * n_outputs + c] = v[c];
    nodes[i].threshold = v[0];
  }

  /// Sets `cover` from the weight of the rows that reached each leaf (`weight` has one entry per
  /// node; internal entries are ignored): a parent covers what its children cover.
  void set_covers(std::vector<double> weight) {
    for (std::size_t i = nodes.size(); i-- > 0;)
      if (!is_leaf(i))
        weight[i] = weight[static_cast<std::size_t>(nodes[i].left)] + weight[static_cast<std::size_t>(nodes[i].right)];
    cover.resize(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) cover[i] = static_cast<float>(weight[i]);
  }

  /// Appends the category set of a split on a feature with k categories: bins[c >> 6] bit
  /// c & 63 says whether category c goes left; codes at or past k (never seen in training) go
  /// with the missing values (default_left). Returns the set's offset (see TreeNode).
  std::uint32_t add_category_set(const std::uint64_t* bins, std::size_t k, bool default_left) {
    const std::size_t words = (k + 31) / 32;
    const auto offset = static_cast<std::uint32_t>(categories.size());
    categories.push_back(static_cast<std::uint32_t>(words));
    for (std::size_t w = 0; w < words; ++w) {
      std::uint32_t bits = 0;
      for (std::size_t b = 0; b < 32; ++b) {
        const std::size_t c = 32 * w + b;
        const bool left = c < k ? ((bins[c >> 6] >> (c & 63)) & 1u) != 0 : default_left;
        bits |= static_cast<std::uint32_t>(left) << b;
      }
      categories.push_back(bits);
    }
    return offset;
  }

  /// Recomputes `depth` (children always come after their parent).
  void compute_depth() {
    std::vector<int> d(nodes.size(), 0);
    depth = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (is_leaf(i)) {
        depth = std::max(depth, d[i]);
        continue;
      }
      d[static_cast<std::size_t>(nodes[i].left)] = d[i] + 1;
      d[static_cast<std::size_t>(nodes[i].right)] = d[i] + 1;
    }
  }

  /// Renumbers the nodes in pre-order (left child right after its parent) and returns the new
  /// index of every old node. Growth numbers nodes level by level; prediction walks one
  /// root-to-leaf path, which in pre-order touches far fewer cache lines in deep trees.
  std::vector<std::int32_t> renumber_depth_first() {
    const std::size_t n = nodes.size(), k = n_outputs;
    std::vector<std::int32_t> new_id(n, -1);
    std::vector<std::int32_t> order;
    order.reserve(n);
    std::vector<std::int32_t> stack{0};
    while (!stack.empty()) {
      const std::int32_t i = stack.back();
      stack.pop_back();
      new_id[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(order.size());
      order.push_back(i);
      const TreeNode& nd = nodes[static_cast<std::size_t>(i)];
      if (nd.left != i) {
        stack.push_back(nd.right);
        stack.push_back(nd.left);
      }
    }
    std::vector<TreeNode> renumbered(n);
    std::vector<float> renumbered_values(n * k);
    for (std::size_t j = 0; j < n; ++j) {
      const auto old = static_cast<std::size_t>(order[j]);
      TreeNode nd = nodes[old];
      nd.left = new_id[static_cast<std::size_t>(nd.left)];
      nd.right = new_id[static_cast<std::size_t>(nd.right)];
      renumbered[j] = nd;
      for (std::size_t c = 0; c < k; ++c) renumbered_values[j * k + c] = values[old * k + c];
    }
    if (!cover.empty()) {
      std::vector<float> renumbered_cover(n);
      for (std::size_t j = 0; j < n; ++j) renumbered_cover[j] = cover[static_cast<std::size_t>(order[j])];
      cover = std::move(renumbered_cover);
    }
    nodes = std::move(renumbered);
    values = std::move(renumbered_values);
    return new_id;
  }

  /// Index of the leaf row x falls into.
  std::int32_t leaf_index(const float* x) const noexcept {
    const TreeNode* n = nodes.data();
    std::int32_t i = 0;
    if (!categories.empty()) {
      while (n[i].left != i) i = grove::detail::next_node_any(n[i], x, categories.data());
      return i;
    }
    if (depth <= 16) {
      // Branch-free: leaves loop onto themselves, so `depth` steps always end on the leaf.
      for (int s = 0; s < depth; ++s) i = grove::detail::next_node(n[i], x);
      return i;
    }
    while (n[i].left != i) i = grove::detail::next_node(n[i], x);
    return i;
  }

  /// The first output of the leaf x falls into.
  float predict_value(const float* x) const noexcept { return nodes[static_cast<std::size_t>(leaf_index(x))].threshold; }
};

}  // namespace grove::trees

namespace grove::detail {

using trees::Tree;

/// Sum over trees[t] for t = first, first + step, ... < count of the first output at x (in
/// that order). Four trees advance together so their independent load chains overlap.
inline double sum_tree_values(const Tree* trees, std::size_t first, std::size_t count, std::size_t step,
                              const float* x) noexcept {
  double sum = 0.0;
  std::size_t t = first;
  for (; t + 3 * step < count; t += 4 * step) {
    const Tree& a = trees[t];
    const Tree& b = trees[t + step];
    const Tree& c = trees[t + 2 * step];
    const Tree& d = trees[t + 3 * step];
    if (!a.categories.empty() || !b.categories.empty() || !c.categories.empty() || !d.categories.empty()) {
      for (const Tree* tr : {&a, &b, &c, &d}) sum += static_cast<double>(tr->predict_value(x));  // same order
      continue;
    }
    const TreeNode *na = a.nodes.data(), *nb = b.nodes.data(), *nc = c.nodes.data(), *nd = d.nodes.data();
    std::int32_t ia = 0, ib = 0, ic = 0, id = 0;
    const int common = std::min(std::min(a.depth, b.depth), std::min(c.depth, d.depth));
    for (int s = 0; s < common; ++s) {
      ia = next_node(na[ia], x);
      ib = next_node(nb[ib], x);
      ic = next_node(nc[ic], x);
      id = next_node(nd[id], x);
    }
    // Deeper trees finish alone (from where they are).
    while (na[ia].left != ia) ia = next_node(na[ia], x);
    while (nb[ib].left != ib) ib = next_node(nb[ib], x);
    while (nc[ic].left != ic) ic = next_node(nc[ic], x);
    while (nd[id].left != id) id = next_node(nd[id], x);
    sum += static_cast<double>(na[ia].threshold);
    sum += static_cast<double>(nb[ib].threshold);
    sum += static_cast<double>(nc[ic].threshold);
    sum += static_cast<double>(nd[id].threshold);
  }
  for (; t < count; t += step) sum += static_cast<double>(trees[t].predict_value(x));
  return sum;
}

/// out[i] = the same sum as sum_tree_values for rows i < n_rows of X (row-major, d columns),
/// walking each tree for a block of rows at a time so the tree stays in cache and four rows'
/// independent walks overlap. Sums are formed in the same order, so results are bitwise equal.
inline void sum_tree_values_rows(const Tree* trees, std::size_t first, std::size_t count, std::size_t step,
                                 const float* X, std::size_t d, std::size_t n_rows, double* out) noexcept {
  for (std::size_t i = 0; i < n_rows; ++i) out[i] = 0.0;
  for (std::size_t t = first; t < count; t += step) {
    const Tree& tr = trees[t];
    const TreeNode* n = tr.nodes.data();
    if (tr.depth > 16 || !tr.categories.empty()) {
      for (std::size_t i = 0; i < n_rows; ++i) out[i] += static_cast<double>(tr.predict_value(X + i * d));
      continue;
    }
    std::size_t i = 0;
    for (; i + 4 <= n_rows; i += 4) {
      const float *x0 = X + i * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
      std::int32_t a = 0, b = 0, c = 0, e = 0;
      for (int s = 0; s < tr.depth; ++s) {
        a = next_node(n[a], x0);
        b = next_node(n[b], x1);
        c = next_node(n[c], x2);
        e = next_node(n[e], x3);
      }
      out[i] += static_cast<double>(n[a].threshold);
      out[i + 1] += static_cast<double>(n[b].threshold);
      out[i + 2] += static_cast<double>(n[c].threshold);
      out[i + 3] += static_cast<double>(n[e].threshold);
    }
    for (; i < n_rows; ++i) out[i] += static_cast<double>(tr.predict_value(X + i * d));
  }
}

}  // namespace grove::detail

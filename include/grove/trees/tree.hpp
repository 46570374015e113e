#pragma once
/// \file Tree: one decision tree as a flat array of 16-byte nodes, and its prediction.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace grove::trees {

/// One node. An internal node sends a row left when x[feature] <= threshold (NaN goes to the
/// learned default side); a leaf points to itself on both sides, holds feature 0 and keeps its
/// (first) output value in `threshold`, so a fixed number of branch-free steps ends on the leaf.
struct TreeNode {
  static constexpr std::uint32_t kDefaultLeft = 0x80000000u;
  static constexpr std::uint32_t kFeatureMask = 0x7fffffffu;

  std::uint32_t feature_flags = 0;  ///< feature index | kDefaultLeft
  float threshold = 0.0f;           ///< split value; the leaf value on leaves
  std::int32_t left = 0;
  std::int32_t right = 0;

  std::uint32_t feature() const noexcept { return feature_flags & kFeatureMask; }
  bool default_left() const noexcept { return (feature_flags & kDefaultLeft) != 0; }
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

}  // namespace grove::detail

namespace grove::trees {

/// A tree: nodes (root first, children after their parent) and n_outputs values per node
/// (read on leaves only).
struct Tree {
  std::vector<TreeNode> nodes;
  std::vector<float> values;  ///< n_outputs per node
  std::vector<std::uint32_t> categories;  ///< category sets of categorical splits (none yet)
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
    nodes = std::move(renumbered);
    values = std::move(renumbered_values);
    return new_id;
  }

  /// Index of the leaf row x falls into.
  std::int32_t leaf_index(const float* x) const noexcept {
    const TreeNode* n = nodes.data();
    std::int32_t i = 0;
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
    if (tr.depth > 16) {
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

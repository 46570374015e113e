#pragma once
/// \file The model-file validator for trees: a loaded tree must be a tree (every node but the
/// root has exactly one parent, which comes before it, so every node is reachable; depth is
/// bounded; children and features are in range) and every stored number must be finite and in
/// range, so a file that loads predicts the same through predict() and predict_row().

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "grove/core/format.hpp"
#include "grove/trees/tree.hpp"

namespace grove::detail {

/// What a tree of a given model may hold.
struct TreeChecks {
  std::size_t n_features = 0;
  bool proportions = false;  ///< leaves hold class proportions, each in [0, 1]
  int max_depth = 1 << 16;   ///< deepest root-to-leaf path accepted
};

/// Largest node count of a loaded tree.
inline constexpr std::size_t kMaxTreeNodes = std::size_t{1} << 30;

// The leaf's stored outputs: finite, proportions in [0, 1], the first mirrored in threshold.
inline std::string check_leaf_node(const trees::Tree& t, std::size_t i, const TreeChecks& c) {
  const trees::TreeNode& nd = t.nodes[i];
  if (nd.feature_flags != 0) return "leaf " + std::to_string(i) + " has a feature";
  for (std::size_t k = 0; k < t.n_outputs; ++k) {
    const float v = t.values[i * t.n_outputs + k];
    if (!std::isfinite(v) || (c.proportions && !(v >= 0.0f && v <= 1.0f)))
      return "leaf " + std::to_string(i) + " value " + format_number(v) + " is out of range";
  }
  if (nd.threshold != t.values[i * t.n_outputs]) return "leaf " + std::to_string(i) + " value mismatch";
  return {};
}

// An internal node: children after it and in range, a known feature, a threshold that is a
// number (inf is the "every value goes left" threshold of a last-bin split).
inline std::string check_split_node(const trees::Tree& t, std::size_t i, const TreeChecks& c) {
  const trees::TreeNode& nd = t.nodes[i];
  const std::size_t n = t.nodes.size();
  const auto self = static_cast<std::int32_t>(i);
  if (nd.left <= self || nd.right <= self || nd.left == nd.right || static_cast<std::size_t>(nd.left) >= n ||
      static_cast<std::size_t>(nd.right) >= n)
    return "node " + std::to_string(i) + " has children " + std::to_string(nd.left) + ", " + std::to_string(nd.right) +
           " (valid: " + std::to_string(i + 1) + ".." + std::to_string(n - 1) + ")";
  if (nd.feature() >= c.n_features)
    return "node " + std::to_string(i) + " splits on feature " + std::to_string(nd.feature()) + " of " + std::to_string(c.n_features);
  if (nd.categorical()) {
    // The category set: a word count of 1..8 (categories 0..255) and that many words, in range.
    const std::size_t off = nd.category_offset(), size = t.categories.size();
    if (off >= size || t.categories[off] < 1 || t.categories[off] > 8 || t.categories[off] >= size - off)
      return "node " + std::to_string(i) + " has no valid category set at word " + std::to_string(off);
  } else if (std::isnan(nd.threshold)) {
    return "node " + std::to_string(i) + " has a NaN threshold";
  }
  for (std::size_t k = 0; k < t.n_outputs; ++k)
    if (!std::isfinite(t.values[i * t.n_outputs + k])) return "node " + std::to_string(i) + " stores a non-finite value";
  return {};
}

// Covers: none (files before kind version 3) or one finite, non-negative weight per node.
inline std::string check_covers(const trees::Tree& t) {
  if (t.cover.empty()) return {};
  if (t.cover.size() != t.nodes.size())
    return "tree has " + std::to_string(t.cover.size()) + " covers for " + std::to_string(t.nodes.size()) + " nodes";
  for (std::size_t i = 0; i < t.cover.size(); ++i)
    if (!(t.cover[i] >= 0.0f && std::isfinite(t.cover[i])))
      return "node " + std::to_string(i) + " cover " + format_number(t.cover[i]) + " is out of range";
  return {};
}

/// Checks a loaded tree; returns an empty string or what is wrong.
inline std::string check_tree(const trees::Tree& t, const TreeChecks& c) {
  const std::size_t n = t.nodes.size();
  if (n == 0) return "tree has no nodes";
  if (n > kMaxTreeNodes) return "tree has " + std::to_string(n) + " nodes";
  if (t.n_outputs == 0 || t.values.size() != n * t.n_outputs)
    return "tree values: " + std::to_string(t.values.size()) + " for " + std::to_string(n) + " nodes x " +
           std::to_string(t.n_outputs) + " outputs";
  const std::string bad_cover = check_covers(t);
  if (!bad_cover.empty()) return bad_cover;
  // Children always come after their parent, so one forward pass sees every parent first.
  std::vector<std::uint8_t> parents(n, 0);
  std::vector<int> depth(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && parents[i] != 1)
      return "node " + std::to_string(i) + " has " + std::to_string(parents[i]) + " parents (a tree node has one)";
    const trees::TreeNode& nd = t.nodes[i];
    const bool leaf = nd.left == static_cast<std::int32_t>(i) && nd.right == static_cast<std::int32_t>(i);
    const std::string bad = leaf ? check_leaf_node(t, i, c) : check_split_node(t, i, c);
    if (!bad.empty()) return bad;
    if (leaf) continue;
    if (depth[i] + 1 > c.max_depth) return "tree is deeper than " + std::to_string(c.max_depth) + " levels";
    for (const std::int32_t child : {nd.left, nd.right}) {
      const auto k = static_cast<std::size_t>(child);
      parents[k] = static_cast<std::uint8_t>(parents[k] < 2 ? parents[k] + 1 : 2);
      depth[k] = depth[i] + 1;
    }
  }
  bool any_categorical = false;
  for (const trees::TreeNode& nd : t.nodes) any_categorical = any_categorical || (nd.categorical() && nd.left != nd.right);
  if (!t.categories.empty() && !any_categorical)
    return "tree has " + std::to_string(t.categories.size()) + " category words but no categorical split";
  return {};
}

/// Checks that the trees split the features listed as categorical by category sets and the
/// others by thresholds; returns an empty string or what is wrong.
inline std::string check_split_kinds(const std::vector<trees::Tree>& trees,
                                     const std::vector<std::size_t>& categorical_features) {
  for (std::size_t ti = 0; ti < trees.size(); ++ti)
    for (std::size_t i = 0; i < trees[ti].nodes.size(); ++i) {
      const trees::TreeNode& nd = trees[ti].nodes[i];
      if (trees[ti].is_leaf(i)) continue;
      bool listed = false;
      for (std::size_t f : categorical_features) listed = listed || f == nd.feature();
      if (listed != nd.categorical())
        return "tree " + std::to_string(ti) + ": node " + std::to_string(i) + " splits feature " +
               std::to_string(nd.feature()) + (nd.categorical() ? " by categories" : " by a threshold") +
               ", but categorical_features " + (listed ? "lists" : "does not list") + " it";
    }
  return {};
}

/// Checks stored per-model numbers: finite, and >= 0 for importances.
inline std::string check_numbers(const std::vector<double>& v, const char* what, bool non_negative) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]) || (non_negative && v[i] < 0.0))
      return std::string(what) + "[" + std::to_string(i) + "] = " + format_number(v[i]) + " is out of range";
  return {};
}

}  // namespace grove::detail

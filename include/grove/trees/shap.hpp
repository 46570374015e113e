#pragma once
/// \file Per-row feature contributions by exact TreeSHAP (Lundberg, Erion and Lee, "Consistent
/// individualized feature attribution for tree ensembles", 2018, Algorithm 2): the Shapley values
/// of the game v(S) = E[f(x) | x_S], where a feature outside S is integrated out at each split on
/// it by the training weight (cover) of its children. The polynomial-time form follows each
/// root-to-leaf path once, keeping for every feature on the path the weights of the coalitions
/// of the features before it ("extend"), and removes a feature's entry when it reappears deeper
/// ("unwind"). Contributions plus the bias (the expected value, v of the empty set) sum to the
/// raw prediction exactly up to rounding.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/tree.hpp"

namespace grove::detail {

/// How an engine's trees add up to its raw outputs: tree t adds its output c, times `scale`, to
/// raw output (t % tree_step) + c; `base` is added to every output (its bias term).
struct ContributionLayout {
  std::size_t outputs = 1;
  std::size_t tree_step = 1;
  double scale = 1.0;
  std::vector<double> base;
};

/// The share of a node's cover that went to `child` (half each when neither child has any).
inline double child_fraction(const trees::Tree& tree, const trees::TreeNode& nd, std::int32_t child) {
  const double l = tree.cover[static_cast<std::size_t>(nd.left)], r = tree.cover[static_cast<std::size_t>(nd.right)];
  if (!(l + r > 0.0)) return 0.5;
  return tree.cover[static_cast<std::size_t>(child)] / (l + r);
}

/// The expected value of output c of a tree: its leaves averaged by the cover fractions on
/// their paths (v of the empty coalition).
inline double tree_expected_value(const trees::Tree& tree, std::size_t c) {
  std::vector<double> reach(tree.nodes.size(), 0.0);
  reach[0] = 1.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < tree.nodes.size(); ++i) {  // children come after their parent
    const trees::TreeNode& nd = tree.nodes[i];
    if (tree.is_leaf(i)) {
      sum += reach[i] * static_cast<double>(tree.values[i * tree.n_outputs + c]);
      continue;
    }
    reach[static_cast<std::size_t>(nd.left)] = reach[i] * child_fraction(tree, nd, nd.left);
    reach[static_cast<std::size_t>(nd.right)] = reach[i] * child_fraction(tree, nd, nd.right);
  }
  return sum;
}

/// TreeSHAP for one tree and one row at a time; keeps its scratch between calls.
class TreeShap {
public:
  /// Adds the contributions of `tree` at row x (d features) to phi, which holds blocks of d + 1
  /// values (features, then the bias, left alone here): the tree's output c, times `scale`,
  /// goes to block first + c.
  void add(const trees::Tree& tree, const float* x, std::size_t d, std::size_t first, double scale, double* phi) {
    const std::size_t depth = static_cast<std::size_t>(std::max(tree.depth, 0));
    stride_ = std::min(depth, d) + 2;  // distinct features on a path, plus the root's entry, plus one
    paths_.resize((depth + 2) * stride_);
    length_.resize(depth + 2);
    stack_.clear();
    stack_.push_back(Frame{0, 0, 1.0, 1.0, -1});
    while (!stack_.empty()) {
      const Frame f = stack_.back();
      stack_.pop_back();
      visit(tree, x, d, first, scale, phi, f);
    }
  }

private:
  struct Element {
    std::int32_t feature;  ///< -1 for the root's entry
    double zero;           ///< share of the coalitions without the feature that reach here
    double one;            ///< 1 when x follows this path at the feature's splits, else 0
    double weight;         ///< the permutation weight of coalitions of this size
  };
  // A node to visit at `level`, entered through a split on `feature` with fractions (zero, one).
  struct Frame {
    std::int32_t node;
    std::size_t level;
    double zero, one;
    std::int32_t feature;
  };

  Element* path(std::size_t level) noexcept { return paths_.data() + level * stride_; }

  // The parent's path (level - 1) extended by the split into this node; at a leaf, credits every
  // feature on the path; at a split, removes an earlier entry of its feature and queues both
  // children (the row's own child with the one fraction, the other with 0).
  void visit(const trees::Tree& tree, const float* x, std::size_t d, std::size_t first, double scale, double* phi,
             const Frame& f) {
    Element* m = path(f.level);
    std::size_t len = 0;
    if (f.level > 0) {
      len = length_[f.level - 1];
      std::copy(path(f.level - 1), path(f.level - 1) + len, m);
    }
    extend(m, len, f.zero, f.one, f.feature);
    ++len;
    const auto node = static_cast<std::size_t>(f.node);
    const trees::TreeNode& nd = tree.nodes[node];
    if (tree.is_leaf(node)) {
      for (std::size_t i = 1; i < len; ++i) {
        const double w = unwound_sum(m, len, i) * (m[i].one - m[i].zero) * scale;
        for (std::size_t c = 0; c < tree.n_outputs; ++c)
          phi[(first + c) * (d + 1) + static_cast<std::size_t>(m[i].feature)] +=
              w * static_cast<double>(tree.values[node * tree.n_outputs + c]);
      }
      return;
    }
    const auto feature = static_cast<std::int32_t>(nd.feature());
    const std::int32_t hot = next_node_any(nd, x, tree.categories.data());
    const std::int32_t cold = hot == nd.left ? nd.right : nd.left;
    double zero = 1.0, one = 1.0;
    for (std::size_t i = 1; i < len; ++i)
      if (m[i].feature == feature) {
        zero = m[i].zero;
        one = m[i].one;
        unwind(m, len, i);
        --len;
        break;
      }
    length_[f.level] = len;
    // A child no coalition reaches (both fractions 0) adds nothing; skipping it also keeps the
    // weight updates from dividing by a zero fraction.
    const double cold_zero = zero * child_fraction(tree, nd, cold), hot_zero = zero * child_fraction(tree, nd, hot);
    if (cold_zero > 0.0) stack_.push_back(Frame{cold, f.level + 1, cold_zero, 0.0, feature});
    if (hot_zero > 0.0 || one > 0.0) stack_.push_back(Frame{hot, f.level + 1, hot_zero, one, feature});
  }

  // Appends (feature, zero, one) to the path of `len` entries and updates the coalition weights.
  static void extend(Element* m, std::size_t len, double zero, double one, std::int32_t feature) noexcept {
    m[len] = Element{feature, zero, one, len == 0 ? 1.0 : 0.0};
    const double n = static_cast<double>(len + 1);
    for (std::size_t i = len; i-- > 0;) {
      m[i + 1].weight += one * m[i].weight * static_cast<double>(i + 1) / n;
      m[i].weight = zero * m[i].weight * static_cast<double>(len - i) / n;
    }
  }

  // Undoes the extension by entry i (of `len`): the weights as if it had never been added.
  static void unwind(Element* m, std::size_t len, std::size_t i) noexcept {
    const std::size_t last = len - 1;
    const double one = m[i].one, zero = m[i].zero, n = static_cast<double>(len);
    double carry = m[last].weight;
    for (std::size_t j = last; j-- > 0;) {
      if (one != 0.0) {
        const double w = m[j].weight;
        m[j].weight = carry * n / (static_cast<double>(j + 1) * one);
        carry = w - m[j].weight * zero * static_cast<double>(last - j) / n;
      } else {
        m[j].weight = m[j].weight * n / (zero * static_cast<double>(last - j));
      }
    }
    for (std::size_t j = i; j < last; ++j) {
      m[j].feature = m[j + 1].feature;
      m[j].zero = m[j + 1].zero;
      m[j].one = m[j + 1].one;
    }
  }

  // The total weight unwind(m, len, i) would leave, without changing the path.
  static double unwound_sum(const Element* m, std::size_t len, std::size_t i) noexcept {
    const std::size_t last = len - 1;
    const double one = m[i].one, zero = m[i].zero, n = static_cast<double>(len);
    double carry = m[last].weight, total = 0.0;
    for (std::size_t j = last; j-- > 0;) {
      if (one != 0.0) {
        const double w = carry * n / (static_cast<double>(j + 1) * one);
        total += w;
        carry = m[j].weight - w * zero * static_cast<double>(last - j) / n;
      } else {
        total += m[j].weight * n / (zero * static_cast<double>(last - j));
      }
    }
    return total;
  }

  std::size_t stride_ = 0;
  std::vector<Element> paths_;
  std::vector<std::size_t> length_;
  std::vector<Frame> stack_;
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_no_covers(std::string_view op) {
  throw_value_error(std::string(op) +
                    ": the model has no node covers (it was loaded from a file written before grove stored them, "
                    "kind version < 3); fit it again to explain its predictions");
}

/// Contributions of every feature to every raw output of every row of Xf (n x d): shape
/// [n, d + 1] for one output, [n, outputs, d + 1] above; the last value of each row (and output)
/// is the bias, the expected output. Rows are independent, so the result does not depend on the
/// thread count.
template <class Engine>
Tensor<double> tree_contributions(const Engine& engine, const Tensor<float>& Xf, std::string_view op) {
  const std::vector<trees::Tree>& trees = engine.trees;
  for (const trees::Tree& t : trees)
    if (t.cover.size() != t.nodes.size()) throw_no_covers(op);
  const ContributionLayout layout = engine.contribution_layout();
  const std::size_t n = Xf.shape(0), d = Xf.shape(1), K = layout.outputs, width = K * (d + 1);
  // The bias of each output: the base plus every tree's expected value.
  std::vector<double> bias(layout.base);
  bias.resize(K, 0.0);
  for (std::size_t t = 0; t < trees.size(); ++t)
    for (std::size_t c = 0; c < trees[t].n_outputs; ++c)
      bias[t % layout.tree_step + c] += layout.scale * tree_expected_value(trees[t], c);
  Tensor<double> out = K == 1 ? Tensor<double>::zeros(Shape{n, d + 1}) : Tensor<double>::zeros(Shape{n, K, d + 1});
  double* o = out.data();
  const float* x = Xf.data();
  parallel_for(0, n, 16, [&](std::size_t lo, std::size_t hi) {
    TreeShap shap;
    for (std::size_t i = lo; i < hi; ++i) {
      double* phi = o + i * width;
      for (std::size_t t = 0; t < trees.size(); ++t) shap.add(trees[t], x + i * d, d, t % layout.tree_step, layout.scale, phi);
      for (std::size_t k = 0; k < K; ++k) phi[k * (d + 1) + d] = bias[k];
    }
  });
  return out;
}

}  // namespace grove::detail

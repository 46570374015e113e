#pragma once
/// \file The engine behind decision trees and random forests: CART-style trees on binned
/// features (Gini / entropy for classes, squared error for regression), bootstrap, per-node
/// feature sampling, trees built in parallel, out-of-bag scoring, and their file format.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/parallel.hpp"
#include "grove/core/progress.hpp"
#include "grove/core/rng.hpp"
#include "grove/io/binary.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/grower.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/serialization.hpp"
#include "grove/trees/tree.hpp"

namespace grove::trees {

/// Split criterion of classification trees.
enum class Criterion : std::uint32_t { Gini = 0, Entropy = 1 };

/// How many features each split considers (drawn anew at every node).
struct MaxFeatures {
  enum class Kind : std::uint32_t { All = 0, Sqrt = 1, Log2 = 2, Fraction = 3 };
  Kind kind = Kind::All;
  double fraction = 1.0;  ///< for Kind::Fraction, in (0, 1]

  static MaxFeatures all() { return {Kind::All, 1.0}; }
  static MaxFeatures sqrt() { return {Kind::Sqrt, 1.0}; }
  static MaxFeatures log2() { return {Kind::Log2, 1.0}; }
  static MaxFeatures of(double fraction) { return {Kind::Fraction, fraction}; }

  /// Features per split out of d (at least 1).
  std::size_t resolve(std::size_t d) const {
    double m = static_cast<double>(d);
    switch (kind) {
      case Kind::All: break;
      case Kind::Sqrt: m = std::sqrt(static_cast<double>(d)); break;
      case Kind::Log2: m = std::log2(static_cast<double>(d)); break;
      case Kind::Fraction: m = fraction * static_cast<double>(d); break;
    }
    return std::clamp<std::size_t>(static_cast<std::size_t>(m), 1, d);
  }
};

namespace detail {

/// Everything the forest engine needs from a decision-tree or forest params struct.
struct ForestConfig {
  std::size_t n_estimators = 1;
  int max_depth = 0;
  std::size_t max_bins = 255;
  std::uint64_t seed = 0;
  std::size_t max_leaves = 0;
  double min_split_gain = 0.0;
  std::size_t min_samples_leaf = 1;
  MaxFeatures max_features;
  Criterion criterion = Criterion::Gini;
  bool bootstrap = false;
  bool oob_score = false;
};

/// Copies the fields a params struct has (trees lack n_estimators/bootstrap/oob_score,
/// regressors lack criterion) between it and ForestConfig, in both directions.
template <class P, class C>
void copy_forest_fields(P& to, const C& from) {
  to.max_depth = from.max_depth;
  to.max_bins = from.max_bins;
  to.seed = from.seed;
  to.max_leaves = from.max_leaves;
  to.min_split_gain = from.min_split_gain;
  to.min_samples_leaf = from.min_samples_leaf;
  to.max_features = from.max_features;
  if constexpr (requires { to.n_estimators; from.n_estimators; }) to.n_estimators = from.n_estimators;
  if constexpr (requires { to.criterion; from.criterion; }) to.criterion = from.criterion;
  if constexpr (requires { to.bootstrap; from.bootstrap; }) to.bootstrap = from.bootstrap;
  if constexpr (requires { to.oob_score; from.oob_score; }) to.oob_score = from.oob_score;
}

/// The engine configuration of a params struct.
template <class P>
ForestConfig forest_config(const P& p) {
  ForestConfig c;
  copy_forest_fields(c, p);
  return c;
}

/// The params struct a saved configuration describes.
template <class P>
P forest_params(const ForestConfig& c) {
  P p;
  copy_forest_fields(p, c);
  return p;
}

inline void check_forest_config(const ForestConfig& c, const std::string& op, bool has_estimators) {
  if (has_estimators) check_range(op, "n_estimators", static_cast<double>(c.n_estimators), 1, 100000, "[1, 100000]");
  check_range(op, "max_depth", c.max_depth, 0, 1000, "[0, 1000] (0 = unlimited)");
  check_range(op, "max_bins", static_cast<double>(c.max_bins), 2, 255, "[2, 255]");
  if (c.max_leaves == 1 || c.max_leaves > (std::size_t{1} << 24))
    throw_range(op, "max_leaves", static_cast<double>(c.max_leaves), "{0} or [2, 16777216]");
  check_range(op, "min_split_gain", c.min_split_gain, 0.0, std::numeric_limits<double>::max(), "[0, inf)");
  check_range(op, "min_samples_leaf", static_cast<double>(c.min_samples_leaf), 1, 1e12, "[1, inf)");
  if (c.max_features.kind == MaxFeatures::Kind::Fraction)
    check_range_open_low(op, "max_features", c.max_features.fraction, 0.0, 1.0, "(0, 1]");
  if (static_cast<std::uint32_t>(c.max_features.kind) > 3 || static_cast<std::uint32_t>(c.criterion) > 1)
    throw_value_error(op + ": unknown max_features kind or criterion");
  if (c.oob_score && !c.bootstrap) throw_value_error(op + ": oob_score needs bootstrap = true");
}

inline void write_forest_config(io::BinaryWriter& w, const ForestConfig& c) {
  w.write<std::uint64_t>(c.n_estimators);
  w.write<std::int32_t>(c.max_depth);
  w.write<std::uint64_t>(c.max_bins);
  w.write<std::uint64_t>(c.seed);
  w.write<std::uint64_t>(c.max_leaves);
  w.write<double>(c.min_split_gain);
  w.write<std::uint64_t>(c.min_samples_leaf);
  w.write<std::uint32_t>(static_cast<std::uint32_t>(c.max_features.kind));
  w.write<double>(c.max_features.fraction);
  w.write<std::uint32_t>(static_cast<std::uint32_t>(c.criterion));
  w.write<std::uint8_t>(c.bootstrap ? 1 : 0);
  w.write<std::uint8_t>(c.oob_score ? 1 : 0);
}

inline ForestConfig read_forest_config(io::BinaryReader& r) {
  ForestConfig c;
  c.n_estimators = static_cast<std::size_t>(r.read<std::uint64_t>());
  c.max_depth = r.read<std::int32_t>();
  c.max_bins = static_cast<std::size_t>(r.read<std::uint64_t>());
  c.seed = r.read<std::uint64_t>();
  c.max_leaves = static_cast<std::size_t>(r.read<std::uint64_t>());
  c.min_split_gain = r.read<double>();
  c.min_samples_leaf = static_cast<std::size_t>(r.read<std::uint64_t>());
  c.max_features.kind = static_cast<MaxFeatures::Kind>(r.read<std::uint32_t>());
  c.max_features.fraction = r.read<double>();
  c.criterion = static_cast<Criterion>(r.read<std::uint32_t>());
  c.bootstrap = r.read<std::uint8_t>() != 0;
  c.oob_score = r.read<std::uint8_t>() != 0;
  return c;
}

/// Trained trees of a decision tree or forest: classification (n_classes > 0; leaves hold class
/// probabilities) or regression (n_classes == 0; leaves hold means).
class Forest {
public:
  std::size_t n_features = 0;
  std::size_t n_classes = 0;
  std::vector<Tree> trees;
  std::vector<double> importance;
  double oob = std::numeric_limits<double>::quiet_NaN();
  bool fitted = false;

  std::size_t n_outputs() const noexcept { return n_classes > 0 ? n_classes : 1; }

  /// Fits on X (n x d contiguous) with class labels (classification) or targets (regression).
  void fit(const ForestConfig& cfg, const Tensor<float>& X, const std::vector<std::int32_t>* labels,
           const std::vector<float>* targets, std::size_t classes, const std::string& name) {
    const std::size_t n = X.shape(0), d = X.shape(1);
    const float* xd = X.data();
    n_features = d;
    n_classes = classes;
    fitted = false;
    oob = std::numeric_limits<double>::quiet_NaN();
    const BinMapper mapper = BinMapper::fit(xd, n, d, cfg.max_bins);
    const BinnedMatrix binned = BinnedMatrix::build(mapper, xd, n, d);

    GrowerParams gp;
    const bool classify = classes > 0;
    gp.score = classify ? (cfg.criterion == Criterion::Gini ? SplitScore::Gini : SplitScore::Entropy) : SplitScore::Newton;
    gp.channels = classify ? classes : 2;
    gp.max_depth = cfg.max_depth;
    gp.max_leaves = cfg.max_leaves;
    gp.l2 = 0.0;
    gp.min_weight = static_cast<double>(cfg.min_samples_leaf);
    gp.min_split_gain = cfg.min_split_gain;
    const std::size_t m = cfg.max_features.resolve(d);
    gp.node_features = m < d ? m : 0;
    const std::size_t C = gp.channels;

    const std::size_t T = cfg.n_estimators;
    trees.assign(T, Tree{});
    std::vector<std::vector<double>> tree_gain(T, std::vector<double>(d, 0.0));
    std::vector<std::vector<std::uint8_t>> in_bag(cfg.oob_score ? T : 0);
    std::vector<std::uint32_t> features(d);
    for (std::size_t f = 0; f < d; ++f) features[f] = static_cast<std::uint32_t>(f);
    const Rng base(cfg.seed);
    Progress progress(name + ".fit", T);
    std::size_t done = 0;
    std::mutex progress_mutex;
    // One task per tree, each with its own random stream: results do not depend on threads.
    parallel_for_chunks(T, [&](std::size_t t) {
      Rng rng = base.stream(t);
      std::vector<std::uint32_t> counts(n, 1);
      if (cfg.bootstrap) {
        std::fill(counts.begin(), counts.end(), 0u);
        for (std::size_t i = 0; i < n; ++i) ++counts[rng.below(n)];
      }
      std::vector<std::uint32_t> rows;
      rows.reserve(n);
      std::vector<float> stats(n * C, 0.0f);
      for (std::size_t i = 0; i < n; ++i) {
        if (counts[i] == 0) continue;
        rows.push_back(static_cast<std::uint32_t>(i));
        const auto w = static_cast<float>(counts[i]);
        if (classify) {
          stats[i * C + static_cast<std::size_t>((*labels)[i])] = w;
        } else {
          stats[i * 2] = -(*targets)[i] * w;
          stats[i * 2 + 1] = w;
        }
      }
      if (cfg.oob_score) {
        in_bag[t].resize(n);
        for (std::size_t i = 0; i < n; ++i) in_bag[t][i] = counts[i] > 0 ? 1 : 0;
      }
      TreeGrower grower(mapper, binned, gp);
      std::vector<TreeGrower::Leaf> leaves;
      trees[t] = grower.grow(rows, stats.data(), features, rng, tree_gain[t], leaves);
      const std::lock_guard<std::mutex> lock(progress_mutex);
      progress.update(++done);
    });
    progress.finish();
    // Importance: each tree's gains normalized, averaged over trees, normalized again.
    importance.assign(d, 0.0);
    for (const auto& g : tree_gain) {
      const std::vector<double> ng = normalized(g);
      for (std::size_t f = 0; f < d; ++f) importance[f] += ng[f];
    }
    importance = normalized(importance);
    if (cfg.oob_score) oob = oob_score(X, labels, targets, in_bag);
    fitted = true;
  }

  /// Adds the leaf outputs of every tree for row x into out (n_outputs doubles, zeroed here).
  void accumulate(const float* x, double* out) const noexcept {
    const std::size_t k = n_outputs();
    for (std::size_t c = 0; c < k; ++c) out[c] = 0.0;
    for (const Tree& t : trees) {
      const auto leaf = static_cast<std::size_t>(t.leaf_index(x));
      const float* v = t.values.data() + leaf * k;
      for (std::size_t c = 0; c < k; ++c) out[c] += static_cast<double>(v[c]);
    }
  }

  /// accumulate() for rows [0, n_rows) of X into out (n_rows x n_outputs): each tree is walked
  /// for the whole block before the next, so its upper levels stay in cache. Same sums, same
  /// order as accumulate(), so the results are bitwise equal.
  void accumulate_rows(const float* X, std::size_t d, std::size_t n_rows, double* out) const noexcept {
    const std::size_t k = n_outputs();
    for (std::size_t i = 0; i < n_rows * k; ++i) out[i] = 0.0;
    for (const Tree& t : trees) {
      const TreeNode* nd = t.nodes.data();
      std::size_t i = 0;
      // Four rows walk together (leaves loop onto themselves), so their cache misses overlap.
      for (; i + 4 <= n_rows; i += 4) {
        const float *x0 = X + i * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
        std::int32_t a = 0, b = 0, c = 0, e = 0;
        do {
          a = next_node(nd[a], x0);
          b = next_node(nd[b], x1);
          c = next_node(nd[c], x2);
          e = next_node(nd[e], x3);
        } while (nd[a].left != a || nd[b].left != b || nd[c].left != c || nd[e].left != e);
        const std::int32_t leaf[4] = {a, b, c, e};
        for (std::size_t r = 0; r < 4; ++r) {
          const float* v = t.values.data() + static_cast<std::size_t>(leaf[r]) * k;
          for (std::size_t j = 0; j < k; ++j) out[(i + r) * k + j] += static_cast<double>(v[j]);
        }
      }
      for (; i < n_rows; ++i) {
        const float* v = t.values.data() + static_cast<std::size_t>(t.leaf_index(X + i * d)) * k;
        for (std::size_t j = 0; j < k; ++j) out[i * k + j] += static_cast<double>(v[j]);
      }
    }
  }

  /// Mean prediction (regression) of one row.
  double regress(const float* x) const noexcept {
    double sum = 0.0;
    for (const Tree& t : trees) sum += static_cast<double>(t.predict_value(x));
    return sum / static_cast<double>(trees.size());
  }

  /// Class with the largest summed probability (ties: lowest class); allocation-free for <= 64
  /// classes, else per class.
  std::int64_t classify(const float* x) const noexcept {
    constexpr std::size_t kStack = 64;
    std::size_t best = 0;
    if (n_classes <= kStack) {
      double s[kStack];
      accumulate(x, s);
      for (std::size_t c = 1; c < n_classes; ++c)
        if (s[c] > s[best]) best = c;
      return static_cast<std::int64_t>(best);
    }
    double best_s = -1.0;
    for (std::size_t c = 0; c < n_classes; ++c) {
      double s = 0.0;
      for (const Tree& t : trees)
        s += static_cast<double>(t.values[static_cast<std::size_t>(t.leaf_index(x)) * n_classes + c]);
      if (s > best_s) {
        best_s = s;
        best = c;
      }
    }
    return static_cast<std::int64_t>(best);
  }

  /// Averaged class probabilities of one row into out (n_classes floats).
  void proba(const float* x, float* out) const noexcept {
    const std::size_t k = n_classes;
    for (std::size_t c = 0; c < k; ++c) out[c] = 0.0f;
    const double inv = 1.0 / static_cast<double>(trees.size());
    constexpr std::size_t kStack = 64;
    if (k <= kStack) {
      double s[kStack];
      accumulate(x, s);
      for (std::size_t c = 0; c < k; ++c) out[c] = static_cast<float>(s[c] * inv);
      return;
    }
    for (std::size_t c = 0; c < k; ++c) {
      double s = 0.0;
      for (const Tree& t : trees) s += static_cast<double>(t.values[static_cast<std::size_t>(t.leaf_index(x)) * k + c]);
      out[c] = static_cast<float>(s * inv);
    }
  }

  void write(io::BinaryWriter& w) const {
    w.write<std::uint64_t>(n_features);
    w.write<std::uint64_t>(n_classes);
    w.write_vector(importance);
    w.write<double>(oob);
    write_trees(w, trees);
  }

  void read(io::BinaryReader& r, bool classification) {
    n_features = static_cast<std::size_t>(r.read<std::uint64_t>());
    if (n_features == 0 || n_features > (std::size_t{1} << 24))
      r.fail("feature count " + std::to_string(n_features) + " is out of range");
    n_classes = static_cast<std::size_t>(r.read<std::uint64_t>());
    if (classification ? (n_classes < 2 || n_classes > 65536) : n_classes != 0)
      r.fail("class count " + std::to_string(n_classes) + " does not fit the model kind");
    importance = read_doubles(r, n_features, "feature importances");
    oob = r.read<double>();
    trees = read_trees(r, n_features, n_outputs());
    if (trees.empty()) r.fail("the model has no trees");
    fitted = true;
  }

private:
  double oob_score(const Tensor<float>& X, const std::vector<std::int32_t>* labels, const std::vector<float>* targets,
                   const std::vector<std::vector<std::uint8_t>>& in_bag) const {
    const std::size_t n = X.shape(0), d = X.shape(1), k = n_outputs();
    const float* xd = X.data();
    constexpr std::size_t kBlock = 4096;
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    // Per block: (rows with an out-of-bag prediction, correct count or squared error, sum y, sum y^2).
    std::vector<double> part(blocks * 4, 0.0);
    parallel_for_chunks(blocks, [&](std::size_t b) {
      std::vector<double> s(k);
      const std::size_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
      for (std::size_t i = lo; i < hi; ++i) {
        std::fill(s.begin(), s.end(), 0.0);
        std::size_t used = 0;
        for (std::size_t t = 0; t < trees.size(); ++t) {
          if (in_bag[t][i]) continue;
          ++used;
          const auto leaf = static_cast<std::size_t>(trees[t].leaf_index(xd + i * d));
          for (std::size_t c = 0; c < k; ++c) s[c] += static_cast<double>(trees[t].values[leaf * k + c]);
        }
        if (used == 0) continue;
        part[b * 4] += 1.0;
        if (labels) {
          const auto best = static_cast<std::size_t>(std::max_element(s.begin(), s.end()) - s.begin());
          part[b * 4 + 1] += best == static_cast<std::size_t>((*labels)[i]) ? 1.0 : 0.0;
        } else {
          const double y = static_cast<double>((*targets)[i]);
          const double e = s[0] / static_cast<double>(used) - y;
          part[b * 4 + 1] += e * e;
          part[b * 4 + 2] += y;
          part[b * 4 + 3] += y * y;
        }
      }
    });
    double used = 0, a = 0, sy = 0, syy = 0;
    for (std::size_t b = 0; b < blocks; ++b) {
      used += part[b * 4];
      a += part[b * 4 + 1];
      sy += part[b * 4 + 2];
      syy += part[b * 4 + 3];
    }
    if (used == 0) return std::numeric_limits<double>::quiet_NaN();
    if (labels) return a / used;  // accuracy
    const double ss_tot = syy - sy * sy / used;
    return ss_tot > 0 ? 1.0 - a / ss_tot : 0.0;  // R^2
  }
};

}  // namespace detail
}  // namespace grove::trees

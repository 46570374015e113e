#pragma once
/// \file Forest: the engine behind decision trees and random forests. CART-style trees on
/// binned features (Gini / entropy for classes, squared error for regression), bootstrap,
/// per-node feature sampling, trees built in parallel with one random stream each, out-of-bag
/// scoring, a validation history per number of trees, and the model file's engine state.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/format.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/progress.hpp"
#include "grove/core/rng.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/io/binary.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/fields.hpp"
#include "grove/trees/forest_params.hpp"
#include "grove/trees/grower.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/serialization.hpp"
#include "grove/trees/shap.hpp"
#include "grove/trees/training_set.hpp"
#include "grove/trees/tree.hpp"
#include "grove/trees/weights.hpp"

namespace grove::detail {

/// What the forest engine takes from the params.
struct ForestConfig {
  std::size_t n_estimators = 1;
  std::size_t max_bins = 255;
  std::uint64_t seed = 0;
  bool bootstrap = false, oob_score = false;
  MaxFeatures max_features;
  std::vector<std::size_t> categorical_features;
  GrowerParams grower;
};

/// The engine configuration of a params struct for a data set with n_classes classes (0:
/// regression). node_features is resolved against the feature count at fit.
template <class Kind>
ForestConfig forest_config(const trees::ForestParams<Kind>& p, std::size_t n_classes) {
  GrowerParams g;
  if (n_classes == 0)
    g.criterion = CriterionSpec{CriterionKind::SquaredError, 2, 0.0};
  else
    g.criterion = CriterionSpec{p.criterion == Criterion::Entropy ? CriterionKind::Entropy : CriterionKind::Gini,
                                n_classes, 0.0};
  g.max_depth = p.max_depth;
  g.max_leaves = p.max_leaves;
  g.min_weight = static_cast<double>(p.min_samples_leaf);
  g.min_split_gain = p.min_split_gain;
  g.categorical = {p.max_cat_to_onehot, p.max_cat_threshold, p.cat_smooth, p.min_data_per_category};
  return {p.n_estimators, p.max_bins, p.seed, p.bootstrap, p.oob_score, p.max_features, p.categorical_features, g};
}

/// Trained trees of a decision tree or forest: classification (n_classes > 0; leaves hold class
/// probabilities) or regression (n_classes == 0; leaves hold means).
class Forest {
public:
  std::size_t n_features = 0;
  std::size_t n_classes = 0;
  std::vector<trees::Tree> trees;
  std::vector<double> importance;
  double oob = std::numeric_limits<double>::quiet_NaN();
  diag::History history;
  bool fitted = false;

  std::size_t n_outputs() const noexcept { return n_classes > 0 ? n_classes : 1; }

  void read_v1(io::BinaryReader& r, bool classifier) { read(r, classifier, 1); }
  /// Categorical splits exactly on the features the params list as categorical.
  template <class P>
  void check_against(const P& p, io::BinaryReader& r) const {
    const std::string kinds = check_split_kinds(trees, p.categorical_features);
    if (!kinds.empty()) r.fail(kinds);
  }

  /// Trains on `train`; with validation data, records train_loss / val_loss per tree count.
  void fit(ForestConfig cfg, const TrainingSet& train, const TrainingSet* val, std::string_view name) {
    const std::size_t n = train.rows(), d = train.features();
    n_features = d;
    fitted = false;
    oob = std::numeric_limits<double>::quiet_NaN();
    history.clear();
    const trees::BinMapper mapper = trees::BinMapper::fit(
        train.X.data(), n, d, cfg.max_bins,
        category_counts(train.X.data(), n, d, cfg.categorical_features, cfg.max_bins, std::string(name) + ".fit"));
    const trees::BinnedMatrix binned = trees::BinnedMatrix::build(mapper, train.X.data(), n, d);
    const std::size_t m = cfg.max_features.resolve(d);
    cfg.grower.node_features = m < d ? m : 0;
    const std::size_t T = cfg.n_estimators;
    trees.assign(T, trees::Tree{});
    std::vector<std::vector<double>> tree_gain(T, std::vector<double>(d, 0.0));
    std::vector<std::vector<std::uint8_t>> in_bag(cfg.oob_score ? T : 0);
    Progress progress(std::string(name) + ".fit", T);
    std::size_t done = 0;
    std::mutex progress_mutex;
    // One task per tree, each with its own random stream: results do not depend on threads.
    parallel_for_chunks(T, [&](std::size_t t) {
      Rng rng = Rng(cfg.seed).stream(t);
      const std::vector<std::uint32_t> counts = draw_counts(cfg, n, rng);
      if (cfg.oob_score) {
        in_bag[t].resize(n);
        for (std::size_t i = 0; i < n; ++i) in_bag[t][i] = counts[i] > 0 ? 1 : 0;
      }
      trees[t] = grow_tree(cfg, mapper, binned, train, counts, rng, tree_gain[t]);
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
    if (cfg.oob_score) oob = oob_score(train, in_bag);
    fitted = true;
    if (val) record_history(train, *val);
  }

  /// Raw outputs of a row: the leaf values summed over trees (n_outputs() values).
  std::size_t n_raw() const noexcept { return n_outputs(); }
  void raw(const float* x, double* out) const noexcept { raw_first(x, trees.size(), out); }
  /// raw() over the first `count` trees only.
  void raw_first(const float* x, std::size_t count, double* out) const noexcept {
    const std::size_t k = n_outputs();
    for (std::size_t c = 0; c < k; ++c) out[c] = 0.0;
    for (std::size_t t = 0; t < count; ++t) {
      const trees::Tree& tree = trees[t];
      const float* v = tree.values.data() + static_cast<std::size_t>(tree.leaf_index(x)) * k;
      for (std::size_t c = 0; c < k; ++c) out[c] += static_cast<double>(v[c]);
    }
  }
  /// raw() for rows of X: each tree is walked for the whole block before the next, so its upper
  /// levels stay in cache. Same sums, same order as raw(), so the results are bitwise equal.
  void raw_rows(const float* X, std::size_t n_rows, double* out) const noexcept {
    raw_rows_first(X, n_rows, trees.size(), out);
  }
  void raw_rows_first(const float* X, std::size_t n_rows, std::size_t count, double* out) const noexcept {
    const std::size_t k = n_outputs(), d = n_features;
    for (std::size_t i = 0; i < n_rows * k; ++i) out[i] = 0.0;
    for (std::size_t t = 0; t < count; ++t) {
      const trees::Tree& tree = trees[t];
      const trees::TreeNode* nd = tree.nodes.data();
      std::size_t i = 0;
      // Four rows walk together (leaves loop onto themselves), so their cache misses overlap;
      // trees with categorical splits take the general walk, one row at a time.
      for (; tree.categories.empty() && i + 4 <= n_rows; i += 4) {
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
          const float* v = tree.values.data() + static_cast<std::size_t>(leaf[r]) * k;
          for (std::size_t j = 0; j < k; ++j) out[(i + r) * k + j] += static_cast<double>(v[j]);
        }
      }
      for (; i < n_rows; ++i) {
        const float* v = tree.values.data() + static_cast<std::size_t>(tree.leaf_index(X + i * d)) * k;
        for (std::size_t j = 0; j < k; ++j) out[i * k + j] += static_cast<double>(v[j]);
      }
    }
  }
  // Deep forest trees are megabytes each: walk one with thousands of rows while it is cached.
  static constexpr std::size_t kBlockRows = 2048;

  /// Averaged class probabilities from summed leaf values.
  void proba(const double* s, float* out) const noexcept {
    const double inv = 1.0 / static_cast<double>(trees.size());
    for (std::size_t c = 0; c < n_classes; ++c) out[c] = static_cast<float>(s[c] * inv);
  }
  /// The class with the largest summed probability (ties: the lowest).
  std::int64_t label(const double* s) const noexcept {
    std::size_t best = 0;
    for (std::size_t c = 1; c < n_classes; ++c)
      if (s[c] > s[best]) best = c;
    return static_cast<std::int64_t>(best);
  }
  /// Mean prediction (regression).
  double value(const double* s) const noexcept { return s[0] / static_cast<double>(trees.size()); }
  std::vector<double> importances() const { return importance; }
  /// Predictions average the trees: each adds its outputs divided by the tree count.
  ContributionLayout contribution_layout() const {
    return {n_outputs(), 1, 1.0 / static_cast<double>(trees.size()), std::vector<double>(n_outputs(), 0.0)};
  }
  /// The out-of-bag score, when it was asked for.
  double oob_value(bool requested, std::string_view model) const {
    if (!fitted) throw_not_fitted(std::string(model) + ".oob_score");
    if (!requested) throw_error(std::string(model) + ".oob_score: fit with oob_score = true");
    return oob;
  }

  void write(io::BinaryWriter& w) const {
    w.write<std::uint64_t>(n_features);
    w.write<std::uint64_t>(n_classes);
    w.write_vector(importance);
    w.write<double>(oob);
    write_trees(w, trees);
  }

  void read(io::BinaryReader& r, bool classifier) { read(r, classifier, r.kind_version()); }
  void read(io::BinaryReader& r, bool classifier, std::uint32_t version) {
    n_features = static_cast<std::size_t>(r.read<std::uint64_t>());
    if (n_features == 0 || n_features > (std::size_t{1} << 24))
      r.fail("feature count " + std::to_string(n_features) + " is out of range");
    n_classes = static_cast<std::size_t>(r.read<std::uint64_t>());
    if (classifier ? (n_classes < 2 || n_classes > kMaxClasses) : n_classes != 0)
      r.fail("class count " + std::to_string(n_classes) + " does not fit the model kind");
    importance = read_doubles(r, n_features, "feature importances", true);
    oob = r.read<double>();
    // NaN: not computed; otherwise an accuracy in [0, 1] or an R^2 <= 1.
    if (!std::isnan(oob) && !(oob <= 1.0 && (n_classes == 0 ? std::isfinite(oob) : oob >= 0.0)))
      r.fail("out-of-bag score " + format_number(oob) + " is out of range");
    trees = read_trees(r, TreeChecks{n_features, n_classes > 0}, n_outputs(), version);
    if (trees.empty()) r.fail("the model has no trees");
    fitted = true;
  }

private:
  // How often each row is drawn for a tree: once each, or a bootstrap sample of n draws.
  static std::vector<std::uint32_t> draw_counts(const ForestConfig& cfg, std::size_t n, Rng& rng) {
    std::vector<std::uint32_t> counts(n, 1);
    if (cfg.bootstrap) {
      std::fill(counts.begin(), counts.end(), 0u);
      for (std::size_t i = 0; i < n; ++i) ++counts[rng.below(n)];
    }
    return counts;
  }

  // Per-row statistics: weighted class counts, or (w * y, w) for squared error, scaled by a
  // power of two when w * y could leave float range.
  trees::Tree grow_tree(const ForestConfig& cfg, const trees::BinMapper& mapper, const trees::BinnedMatrix& binned,
                        const TrainingSet& train, const std::vector<std::uint32_t>& counts, Rng& rng,
                        std::vector<double>& gain) const {
    const std::size_t n = train.rows(), C = cfg.grower.criterion.channels;
    GrowerParams gp = cfg.grower;
    const double* weight = train.weights();
    if (n_classes == 0) {
      double largest = 0.0;
      for (std::size_t i = 0; i < n; ++i)
        largest = std::max(largest, std::fabs(static_cast<double>(train.y[i])) * counts[i] * row_weight(weight, i));
      gp.stat_scale = statistic_scale(largest);
    }
    std::vector<std::uint32_t> rows;
    rows.reserve(n);
    std::vector<float> stats(n * C, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
      if (counts[i] == 0) continue;
      rows.push_back(static_cast<std::uint32_t>(i));
      // Bootstrap count times the row's weight (1 without weights: the count itself).
      const double w = static_cast<double>(counts[i]) * row_weight(weight, i);
      if (n_classes > 0) {
        stats[i * C + static_cast<std::size_t>(train.y[i])] = static_cast<float>(w);
      } else {
        stats[i * 2] = static_cast<float>(static_cast<double>(train.y[i]) * w * gp.stat_scale);
        stats[i * 2 + 1] = static_cast<float>(w);
      }
    }
    std::vector<std::uint32_t> features(train.features());
    for (std::size_t f = 0; f < features.size(); ++f) features[f] = static_cast<std::uint32_t>(f);
    TreeGrower grower(mapper, binned, gp);
    std::vector<TreeGrower::Leaf> leaves;
    trees::Tree tree = grower.grow(rows, stats.data(), features, rng, gain, leaves);
    // Covers: the rows' bootstrap counts times their weights, as the criterion weighed them.
    std::vector<double> cover(tree.nodes.size(), 0.0);
    for (const TreeGrower::Leaf& lf : leaves)
      for (std::size_t i = lf.begin; i < lf.end; ++i)
        cover[static_cast<std::size_t>(lf.node)] += static_cast<double>(counts[rows[i]]) * row_weight(weight, rows[i]);
    tree.set_covers(std::move(cover));
    return tree;
  }

  // Per row block: (rows with an out-of-bag prediction, correct count or squared error, sum y,
  // sum y^2), added in block order so the score does not depend on threads.
  double oob_score(const TrainingSet& train, const std::vector<std::vector<std::uint8_t>>& in_bag) const {
    const std::size_t n = train.rows(), d = n_features, k = n_outputs();
    const float* xd = train.X.data();
    constexpr std::size_t kBlock = 4096;
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
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
        if (n_classes > 0) {
          const auto best = static_cast<std::size_t>(std::max_element(s.begin(), s.end()) - s.begin());
          part[b * 4 + 1] += best == static_cast<std::size_t>(train.y[i]) ? 1.0 : 0.0;
        } else {
          const double y = static_cast<double>(train.y[i]);
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
    if (n_classes > 0) return a / used;  // accuracy
    const double ss_tot = syy - sy * sy / used;
    return ss_tot > 0 ? 1.0 - a / ss_tot : 0.0;  // R^2
  }

  // Mean loss of the first m trees' prediction for every m (log loss for classes, rmse for
  // regression), weighted by the rows' weights: per row block, partial sums per m, added in
  // block order.
  std::vector<double> staged_loss(const TrainingSet& data) const {
    const std::size_t n = data.rows(), T = trees.size(), k = n_outputs();
    const double* weight = data.weights();
    constexpr std::size_t kBlock = 1024;
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> part(blocks * T, 0.0);
    parallel_for_chunks(blocks, [&](std::size_t b) {
      const std::size_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
      std::vector<double> s((hi - lo) * k, 0.0);
      for (std::size_t t = 0; t < T; ++t) {
        double loss = 0.0;
        for (std::size_t i = lo; i < hi; ++i) {
          double* si = s.data() + (i - lo) * k;
          const float* v = trees[t].values.data() +
                           static_cast<std::size_t>(trees[t].leaf_index(data.X.data() + i * n_features)) * k;
          for (std::size_t c = 0; c < k; ++c) si[c] += static_cast<double>(v[c]);
          const double m = static_cast<double>(t + 1);
          if (n_classes > 0) {
            loss -= row_weight(weight, i) * std::log(std::max(si[static_cast<std::size_t>(data.y[i])] / m, 1e-15));
          } else {
            const double e = si[0] / m - static_cast<double>(data.y[i]);
            loss += row_weight(weight, i) * (e * e);
          }
        }
        part[b * T + t] = loss;
      }
    });
    std::vector<double> out(T, 0.0);
    for (std::size_t b = 0; b < blocks; ++b)
      for (std::size_t t = 0; t < T; ++t) out[t] += part[b * T + t];
    for (double& v : out) {
      v /= total_weight(weight, n);
      if (n_classes == 0) v = std::sqrt(v);
    }
    return out;
  }

  void record_history(const TrainingSet& train, const TrainingSet& val) {
    const std::vector<double> tl = staged_loss(train), vl = staged_loss(val);
    for (std::size_t t = 0; t < trees.size(); ++t) {
      history.log(t + 1, "train_loss", tl[t]);
      history.log(t + 1, "val_loss", vl[t]);
    }
  }
};

/// Trains a Forest for a task (n_classes, 0 for regression) from its params. The model surface's
/// entry (found by argument lookup).
template <class Kind>
void train_engine(Forest& f, const trees::ForestParams<Kind>& p, std::size_t classes, const TrainingSet& train,
                  const TrainingSet* val, std::string_view name) {
  f.n_classes = classes;
  f.fit(forest_config(p, classes), train, val, name);
}

}  // namespace grove::detail

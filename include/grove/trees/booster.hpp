#pragma once
/// \file Booster: the trained state behind both gradient-boosting models, how it predicts and
/// how it is stored. K outputs (1, or one per class for softmax), base margins, trees
/// round-major (tree t serves output t % K). Training is boosting_run.hpp.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/io/binary.hpp"
#include "grove/trees/boosting_params.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/losses.hpp"
#include "grove/trees/packed_trees.hpp"
#include "grove/trees/serialization.hpp"
#include "grove/trees/shap.hpp"
#include "grove/trees/tree.hpp"

namespace grove::detail {

/// The trained state of a boosting model and how it predicts.
class Booster {
public:
  std::size_t n_features = 0;
  std::size_t n_classes = 0;  ///< 0 for regression
  std::size_t K = 1;
  Loss loss = Loss::SquaredError;
  LossShape shape;  ///< set by fit (the params' quantile and huber_delta); not stored in files
  std::vector<double> base;
  std::vector<trees::Tree> trees;
  std::vector<double> gain;
  diag::History history;
  PackedTrees packed;  ///< fast layout for rows without missing values
  bool fitted = false;

  /// Sets the loss and outputs for a task: n_classes == 0 is regression with `regression_loss`.
  void configure(std::size_t classes, Loss regression_loss) {
    n_classes = classes;
    K = classes > 2 ? classes : 1;
    loss = classes == 0 ? regression_loss : (classes == 2 ? Loss::Logistic : Loss::Softmax);
  }

  /// A regressor's trained loss must be the one its params name.
  template <class P>
  void check_against(const P& p, io::BinaryReader& r) const {
    if (n_classes == 0 && loss != p.loss) r.fail("loss does not match the params");
    const std::string kinds = check_split_kinds(trees, p.categorical_features);
    if (!kinds.empty()) r.fail(kinds);
  }

  /// Margin of output k for one row.
  double margin(const float* x, std::size_t k) const noexcept {
    if (packed.usable() && !PackedTrees::has_nan(x, n_features)) return packed.sum(k, trees.size(), K, x) + base[k];
    return sum_tree_values(trees.data(), k, trees.size(), K, x) + base[k];
  }

  /// Raw outputs of a row: its K margins.
  std::size_t n_raw() const noexcept { return K; }
  void raw(const float* x, double* out) const noexcept {
    for (std::size_t k = 0; k < K; ++k) out[k] = margin(x, k);
  }
  /// raw() for rows of X, the same sums in the same order (so batch and single-row predictions
  /// agree bitwise), each tree walked for the block of rows while it is in cache.
  void raw_rows(const float* X, std::size_t rows, double* out) const noexcept {
    if (packed.usable()) {
      for (std::size_t i = 0; i < rows; ++i) raw(X + i * n_features, out + i * K);
      return;
    }
    double buf[kBlockRows];
    for (std::size_t k = 0; k < K; ++k) {
      sum_tree_values_rows(trees.data(), k, trees.size(), K, X, n_features, rows, buf);
      for (std::size_t i = 0; i < rows; ++i) out[i * K + k] = buf[i] + base[k];
    }
  }
  static constexpr std::size_t kBlockRows = 64;

  /// Class probabilities from margins (sigmoid, or softmax over K).
  void proba(const double* m, float* out) const noexcept {
    if (K == 1) {
      const double p = 1.0 / (1.0 + std::exp(-m[0]));
      out[0] = static_cast<float>(1.0 - p);
      out[1] = static_cast<float>(p);
      return;
    }
    double mx = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < K; ++k) mx = std::max(mx, m[k]);
    double sum = 0.0;
    for (std::size_t k = 0; k < K; ++k) sum += std::exp(m[k] - mx);
    for (std::size_t k = 0; k < K; ++k) out[k] = static_cast<float>(std::exp(m[k] - mx) / sum);
  }
  /// The class with the largest margin (ties: the lowest).
  std::int64_t label(const double* m) const noexcept {
    if (K == 1) return m[0] > 0.0 ? 1 : 0;
    std::size_t best = 0;
    for (std::size_t k = 1; k < K; ++k)
      if (m[k] > m[best]) best = k;
    return static_cast<std::int64_t>(best);
  }
  /// A regressor's prediction from its margin: the margin, or its exp (poisson's log link).
  double value(const double* m) const noexcept { return loss == Loss::Poisson ? std::exp(m[0]) : m[0]; }

  /// Tree t adds to margin t % K; the bias starts at the base scores.
  ContributionLayout contribution_layout() const { return {K, K, 1.0, base}; }

  /// Rounds kept in the model.
  std::size_t rounds() const noexcept { return trees.size() / K; }
  /// Total split gain per feature, normalized to sum to 1.
  std::vector<double> importances() const { return normalized(gain); }

  void write(io::BinaryWriter& w) const {
    w.write<std::uint64_t>(n_classes);
    write_state(w);
  }
  void read(io::BinaryReader& r, bool classifier) {
    n_classes = static_cast<std::size_t>(r.read<std::uint64_t>());
    read_state(r, classifier, r.kind_version());
  }

  /// Kind version 1: classifiers stored their class count after the params.
  void read_v1(io::BinaryReader& r, bool classifier) {
    n_classes = classifier ? static_cast<std::size_t>(r.read<std::uint64_t>()) : 0;
    read_state(r, classifier, 1);
  }

  /// Kind version 1 kept the class count (classifiers) or loss (regressors) with the params.
  void read_state(io::BinaryReader& r, bool classifier, std::uint32_t version) {
    if (classifier ? (n_classes < 2 || n_classes > kMaxClasses) : n_classes != 0)
      r.fail("class count " + std::to_string(n_classes) + " does not fit the model kind");
    n_features = static_cast<std::size_t>(r.read<std::uint64_t>());
    if (n_features == 0 || n_features > (std::size_t{1} << 24))
      r.fail("feature count " + std::to_string(n_features) + " is out of range");
    K = static_cast<std::size_t>(r.read<std::uint64_t>());
    const std::size_t expected_k = n_classes > 2 ? n_classes : 1;
    if (K != expected_k) r.fail("output count " + std::to_string(K) + ", expected " + std::to_string(expected_k));
    const auto l = r.read<std::uint32_t>();
    const auto expected_loss = n_classes == 0 ? l : (n_classes == 2 ? 2u : 3u);
    const bool regression_loss = l <= 1 || (l >= 5 && l <= 7);
    if (l != expected_loss || (n_classes == 0 && !regression_loss) || l > 7)
      r.fail("loss " + std::to_string(l) + " does not fit the model kind");
    loss = static_cast<Loss>(l);
    base = read_doubles(r, K, "base scores");
    gain = read_doubles(r, n_features, "feature importances", true);
    trees = read_trees(r, TreeChecks{n_features, false}, 1, version);
    if (trees.empty() || trees.size() % K != 0)
      r.fail(std::to_string(trees.size()) + " trees is not a positive multiple of " + std::to_string(K) + " outputs");
    // A regressor predicts floats: its largest possible margin must be one.
    if (n_classes == 0) {
      double bound = std::fabs(base[0]);
      for (const trees::Tree& t : trees) {
        float largest = 0.0f;
        for (std::size_t i = 0; i < t.nodes.size(); ++i)
          if (t.is_leaf(i)) largest = std::max(largest, std::fabs(t.values[i]));
        bound += static_cast<double>(largest);
      }
      if (bound > static_cast<double>(std::numeric_limits<float>::max()))
        r.fail("the trees can sum to " + format_number(bound) + ", beyond float range");
      // Poisson predicts exp(margin), which must be a float too.
      if (loss == Loss::Poisson && bound > std::log(static_cast<double>(std::numeric_limits<float>::max())))
        r.fail("the trees can sum to " + format_number(bound) + ", whose exp is beyond float range");
    }
    packed.build(trees);
    fitted = true;
  }

private:
  void write_state(io::BinaryWriter& w) const {
    w.write<std::uint64_t>(n_features);
    w.write<std::uint64_t>(K);
    w.write<std::uint32_t>(static_cast<std::uint32_t>(loss));
    w.write_vector(base);
    w.write_vector(gain);
    write_trees(w, trees);
  }
};

}  // namespace grove::detail

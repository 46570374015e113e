#pragma once
/// \file Booster: the engine behind both gradient-boosting models. K outputs (1, or one per
/// class for softmax), base margins, trees round-major (tree t serves output t % K). fit() runs
/// in stages (BoostingRun): bin the data, then per round compute gradients, draw rows and
/// features, grow a tree per output, shrink its leaves, and score the validation data, with
/// early stopping through diag::EarlyStopping.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/progress.hpp"
#include "grove/core/rng.hpp"
#include "grove/diagnostics/early_stopping.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/io/binary.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/boosting_params.hpp"
#include "grove/trees/fields.hpp"
#include "grove/trees/grower.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/losses.hpp"
#include "grove/trees/packed_trees.hpp"
#include "grove/trees/serialization.hpp"
#include "grove/trees/training_set.hpp"
#include "grove/trees/tree.hpp"

namespace grove::detail {

/// What the boosting engine takes from the params.
struct BoostingConfig {
  std::size_t n_estimators = 100;
  double learning_rate = 0.1;
  std::size_t max_bins = 255;
  double subsample = 1.0, colsample = 1.0;
  std::size_t early_stopping_rounds = 0;
  std::uint64_t seed = 0;
  GrowerParams grower;
};

template <class Task>
BoostingConfig boosting_config(const trees::GradientBoostingParams<Task>& p) {
  GrowerParams g;
  g.criterion = CriterionSpec{CriterionKind::Newton, 2, p.l2};
  g.max_depth = p.max_depth;
  g.max_leaves = p.max_leaves;
  g.min_weight = p.min_child_weight;
  g.min_split_gain = p.min_split_gain;
  return {p.n_estimators, p.learning_rate, p.max_bins, p.subsample, p.colsample, p.early_stopping_rounds, p.seed, g};
}

/// The trained state of a boosting model and how it predicts.
class Booster {
public:
  std::size_t n_features = 0;
  std::size_t n_classes = 0;  ///< 0 for regression
  std::size_t K = 1;
  Loss loss = Loss::SquaredError;
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

  /// Trains on `train` (validation data, when given, is scored every round); defined below.
  void fit(const BoostingConfig& cfg, const TrainingSet& train, const TrainingSet* val, std::string_view name);

  /// The model surface's entry: a task (n_classes, 0 for regression) and its params.
  template <class Task>
  void train(const trees::GradientBoostingParams<Task>& p, std::size_t classes, const TrainingSet& train,
             const TrainingSet* val, std::string_view name) {
    configure(classes, p.loss);
    fit(boosting_config(p), train, val, name);
  }

  /// A regressor's trained loss must be the one its params name.
  template <class P>
  void check_against(const P& p, io::BinaryReader& r) const {
    if (n_classes == 0 && loss != p.loss) r.fail("loss does not match the params");
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
  double value(const double* m) const noexcept { return m[0]; }

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
    read_state(r, classifier, 2);
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
    if (l != expected_loss || l > 3) r.fail("loss " + std::to_string(l) + " does not fit the model kind");
    loss = static_cast<Loss>(l);
    base = read_doubles(r, K, "base scores");
    gain = read_doubles(r, n_features, "feature importances");
    trees = read_trees(r, n_features, 1, version);
    if (trees.empty() || trees.size() % K != 0)
      r.fail(std::to_string(trees.size()) + " trees is not a positive multiple of " + std::to_string(K) + " outputs");
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

/// One training run of a Booster: the binned data and the per-round working state.
class BoostingRun {
public:
  BoostingRun(Booster& b, const BoostingConfig& cfg, const TrainingSet& train, const TrainingSet* val,
              std::string_view name)
      : b_(b), cfg_(cfg), train_(train), val_(val), name_(name), n_(train.rows()), d_(train.features()),
        mapper_(trees::BinMapper::fit(train.X.data(), n_, d_, cfg.max_bins)),
        binned_(trees::BinnedMatrix::build(mapper_, train.X.data(), n_, d_)), grower_(mapper_, binned_, cfg.grower),
        stopper_({.monitor = "val_loss", .patience = std::max<std::size_t>(cfg.early_stopping_rounds, 1)}) {}

  void run() {
    start();
    Progress progress(name_ + ".fit", cfg_.n_estimators);
    std::size_t rounds = 0;
    for (std::size_t r = 0; r < cfg_.n_estimators; ++r) {
      // The loss comes with the gradients at little cost; it is recorded with validation data.
      const double train_loss = gradients(b_.loss, b_.K, margin_.data(), train_.y.data(), n_, stats_, val_ != nullptr);
      if (r > 0 && val_) b_.history.log(r, "train_loss", train_loss);
      Rng rng = Rng(cfg_.seed).stream(r);
      draw_rows(rng);
      std::vector<double> tree_gain(d_, 0.0);
      for (std::size_t k = 0; k < b_.K; ++k) grow_output(r, k, rng, tree_gain);
      round_gain_.push_back(std::move(tree_gain));
      rounds = r + 1;
      const bool stop = val_ && score_validation(rounds);
      progress.update(rounds);
      if (stop) break;
    }
    if (val_) b_.history.log(rounds, "train_loss", mean_loss(b_.loss, b_.K, margin_.data(), train_.y.data(), n_));
    progress.finish();
    finish(rounds);
  }

private:
  void start() {
    b_.n_features = d_;
    b_.history.clear();
    b_.trees.clear();
    b_.packed.build(b_.trees);
    b_.fitted = false;
    b_.base = base_scores(b_.loss, b_.K, train_.y.data(), n_);
    margin_.resize(n_ * b_.K);
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t k = 0; k < b_.K; ++k) margin_[i * b_.K + k] = b_.base[k];
    const std::size_t nv = val_ ? val_->rows() : 0;
    val_margin_.resize(nv * b_.K);
    for (std::size_t i = 0; i < nv; ++i)
      for (std::size_t k = 0; k < b_.K; ++k) val_margin_[i * b_.K + k] = b_.base[k];
    stats_.assign(b_.K, std::vector<float>(2 * n_));
    all_features_.resize(d_);
    for (std::size_t f = 0; f < d_; ++f) all_features_[f] = static_cast<std::uint32_t>(f);
  }

  // Rows of this round: all, or each with probability subsample (at least one).
  void draw_rows(Rng& rng) {
    if (cfg_.subsample >= 1.0) {
      if (sample_.size() == n_) return;  // every row, listed in the first round
      sample_.resize(n_);
      for (std::size_t i = 0; i < n_; ++i) sample_[i] = static_cast<std::uint32_t>(i);
      return;
    }
    sample_.clear();
    in_sample_.assign(n_, 0);
    for (std::size_t i = 0; i < n_; ++i)
      if (rng.uniform() < cfg_.subsample) {
        sample_.push_back(static_cast<std::uint32_t>(i));
        in_sample_[i] = 1;
      }
    if (sample_.empty()) {
      const auto i = static_cast<std::uint32_t>(rng.below(n_));
      sample_.push_back(i);
      in_sample_[i] = 1;
    }
  }

  // Features of one tree: all, or round(colsample * d) of them (at least one), ascending.
  std::vector<std::uint32_t> draw_features(Rng& rng) const {
    std::vector<std::uint32_t> features = all_features_;
    if (cfg_.colsample < 1.0) {
      const std::size_t m =
          std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(cfg_.colsample * static_cast<double>(d_))));
      for (std::size_t i = 0; i < m; ++i) std::swap(features[i], features[i + rng.below(d_ - i)]);
      features.resize(m);
      std::sort(features.begin(), features.end());
    }
    return features;
  }

  void grow_output(std::size_t round, std::size_t k, Rng& rng, std::vector<double>& tree_gain) {
    const std::vector<std::uint32_t> features = draw_features(rng);
    // The grower reorders the list: a fresh copy each tree, in parallel (4 MB at a million rows).
    rows_.resize(sample_.size());
    parallel_for(0, sample_.size(), std::size_t{1} << 16, [&](std::size_t lo, std::size_t hi) {
      std::copy(sample_.begin() + static_cast<std::ptrdiff_t>(lo), sample_.begin() + static_cast<std::ptrdiff_t>(hi),
                rows_.begin() + static_cast<std::ptrdiff_t>(lo));
    });
    trees::Tree tree = grower_.grow(rows_, stats_[k].data(), features, rng, tree_gain, leaves_);
    shrink_leaves(tree, round, k);
    if (cfg_.subsample < 1.0) {
      const float* xd = train_.X.data();
      parallel_for(0, n_, 8192, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i)
          if (!in_sample_[i]) margin_[i * b_.K + k] += static_cast<double>(tree.predict_value(xd + i * d_));
      });
    }
    b_.trees.push_back(std::move(tree));
  }

  // Shrinks each leaf by the learning rate (absolute error: refit to the leaf's median residual
  // first) and moves the training margins of the rows in it.
  void shrink_leaves(trees::Tree& tree, std::size_t round, std::size_t k) {
    const std::size_t K = b_.K;
    parallel_for_chunks(leaves_.size(), [&](std::size_t li) {
      const TreeGrower::Leaf& lf = leaves_[li];
      const auto node = static_cast<std::size_t>(lf.node);
      double value = static_cast<double>(tree.nodes[node].threshold);
      if (b_.loss == Loss::AbsoluteError && lf.end > lf.begin) {
        std::vector<double> res(lf.end - lf.begin);
        for (std::size_t i = lf.begin; i < lf.end; ++i)
          res[i - lf.begin] = static_cast<double>(train_.y[rows_[i]]) - margin_[rows_[i] * K + k];
        const auto mid = res.begin() + static_cast<std::ptrdiff_t>(res.size() / 2);
        std::nth_element(res.begin(), mid, res.end());
        value = *mid;
      }
      const float v = static_cast<float>(value * cfg_.learning_rate);
      if (!std::isfinite(v))  // stop with a clear message rather than boost on NaN/inf margins
        throw_error(name_ + ".fit: round " + std::to_string(round) + " produced a non-finite leaf value (" +
                    format_number(value) + "); lower learning_rate or raise l2");
      tree.set_leaf_values(node, &v);
      for (std::size_t i = lf.begin; i < lf.end; ++i) margin_[rows_[i] * K + k] += static_cast<double>(v);
    });
  }

  // Adds the round's trees to the validation margins, records val_loss and asks the stopper;
  // true when training should stop.
  bool score_validation(std::size_t rounds) {
    const float* vd = val_->X.data();
    const std::size_t K = b_.K, first = b_.trees.size() - K;
    parallel_for(0, val_->rows(), 4096, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t i = lo; i < hi; ++i)
        for (std::size_t k = 0; k < K; ++k)
          val_margin_[i * K + k] += static_cast<double>(b_.trees[first + k].predict_value(vd + i * d_));
    });
    const double vl = mean_loss(b_.loss, K, val_margin_.data(), val_->y.data(), val_->rows());
    b_.history.log(rounds, "val_loss", vl);
    stopper_.update(rounds, vl);
    return cfg_.early_stopping_rounds > 0 && stopper_.should_stop();
  }

  // Keeps the best round's trees when early stopping is on, sums importances, packs the trees.
  void finish(std::size_t rounds) {
    if (val_ && cfg_.early_stopping_rounds > 0 && stopper_.has_best() && stopper_.best_step() < rounds) {
      b_.trees.resize(stopper_.best_step() * b_.K);
      round_gain_.resize(stopper_.best_step());
    }
    b_.gain.assign(d_, 0.0);
    for (const auto& g : round_gain_)
      for (std::size_t f = 0; f < d_; ++f) b_.gain[f] += g[f];
    b_.packed.build(b_.trees);
    b_.fitted = true;
  }

  Booster& b_;
  const BoostingConfig& cfg_;
  const TrainingSet& train_;
  const TrainingSet* val_;
  std::string name_;
  std::size_t n_, d_;
  trees::BinMapper mapper_;
  trees::BinnedMatrix binned_;
  TreeGrower grower_;
  diag::EarlyStopping stopper_;
  std::vector<double> margin_, val_margin_;
  std::vector<std::vector<float>> stats_;
  std::vector<std::uint32_t> sample_, rows_, all_features_;
  std::vector<char> in_sample_;
  std::vector<TreeGrower::Leaf> leaves_;
  std::vector<std::vector<double>> round_gain_;
};

inline void Booster::fit(const BoostingConfig& cfg, const TrainingSet& train, const TrainingSet* val,
                         std::string_view name) {
  if (cfg.early_stopping_rounds > 0 && val == nullptr)
    throw_value_error(std::string(name) + ".fit: early_stopping_rounds = " + std::to_string(cfg.early_stopping_rounds) +
                      " needs validation data: call fit(X, y, {X_val, y_val})");
  BoostingRun(*this, cfg, train, val, name).run();
}

}  // namespace grove::detail

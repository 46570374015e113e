#pragma once
/// \file BoostingRun: fitting a Booster in stages. Bin the data once; then per round compute
/// gradients, draw rows and features, grow a tree per output, shrink its leaves (absolute error:
/// refit to medians) and score the validation data, with early stopping through
/// diag::EarlyStopping; finally keep the best round and sum the importances.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/memory.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/progress.hpp"
#include "grove/core/rng.hpp"
#include "grove/diagnostics/early_stopping.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/booster.hpp"
#include "grove/trees/boosting_params.hpp"
#include "grove/trees/criterion.hpp"
#include "grove/trees/grower.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/losses.hpp"
#include "grove/trees/shard_reducer.hpp"
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
  std::vector<std::size_t> categorical_features;
  LossShape shape;      ///< quantile level and huber threshold
  GrowerParams grower;  ///< grower.reducer set: the rows are one shard of several (shard_reducer.hpp)
  const trees::BinMapper* bins = nullptr;  ///< bin edges to use (default: fit on the training rows)
};

template <class Task>
BoostingConfig boosting_config(const trees::GradientBoostingParams<Task>& p) {
  GrowerParams g;
  g.criterion = CriterionSpec{CriterionKind::Newton, 2, p.l2, p.l1};
  g.max_depth = p.max_depth;
  g.max_leaves = p.max_leaves;
  g.min_weight = p.min_child_weight;
  g.min_rows = static_cast<double>(p.min_samples_leaf);
  g.min_split_gain = p.min_split_gain;
  g.categorical = {p.max_cat_to_onehot, p.max_cat_threshold, p.cat_smooth, p.min_data_per_category};
  g.monotone.assign(p.monotone_constraints.begin(), p.monotone_constraints.end());
  return {p.n_estimators,  p.learning_rate,        p.max_bins, p.subsample, p.colsample, p.early_stopping_rounds,
          p.seed,          p.categorical_features, {p.quantile, p.huber_delta}, g};
}

/// One training run of a Booster: the binned data and the per-round working state.
class BoostingRun {
public:
  BoostingRun(Booster& b, const BoostingConfig& cfg, const TrainingSet& train, const TrainingSet* val,
              std::string_view name)
      : b_(b), cfg_(cfg), train_(train), val_(val), name_(name), n_(train.rows()), d_(train.features()),
        mapper_(cfg.bins ? *cfg.bins
                         : trees::BinMapper::fit(train.X.data(), n_, d_, cfg.max_bins,
                                                 category_counts(train.X.data(), n_, d_, cfg.categorical_features,
                                                                 cfg.max_bins, name_ + ".fit"))),
        binned_(trees::BinnedMatrix::build(mapper_, train.X.data(), n_, d_)),
        grower_scale_(b.loss == Loss::SquaredError ? statistic_scale(shards_max(max_magnitude(train.y) * max_weight(train.weight))) : 1.0),
        grower_(mapper_, binned_, scaled(cfg.grower, grower_scale_)),
        stopper_({.monitor = "val_loss", .patience = std::max<std::size_t>(cfg.early_stopping_rounds, 1)}) {
    check_monotone_count(cfg.grower.monotone.size(), d_, name_ + ".fit");
    check_loss_targets(b.loss, train.y.data(), n_, name_ + ".fit", !cfg.grower.reducer);
  }

  void run() {
    start();
    Progress progress(name_ + ".fit", cfg_.n_estimators);
    std::size_t rounds = 0;
    for (std::size_t r = 0; r < cfg_.n_estimators; ++r) {
      // The loss comes with the gradients at little cost; it is recorded with validation data.
      double train_loss = gradients(b_.loss, b_.K, margin_.data(), train_.y.data(), n_, stats_, val_ && !reducer(),
                                    grower_scale_, train_.weights(), cfg_.shape);
      if (val_ && reducer()) train_loss = mean_over_shards(margin_.data(), train_);
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
    if (val_) b_.history.log(rounds, "train_loss", mean_over_shards(margin_.data(), train_));
    progress.finish();
    finish(rounds);
  }

private:
  // Squared-error gradients are up to twice the largest |target|: scaled with it.
  static GrowerParams scaled(GrowerParams g, double scale) {
    g.stat_scale = scale;
    return g;
  }

  void start() {
    b_.shape = cfg_.shape;
    b_.n_features = d_;
    b_.history.clear();
    b_.trees.clear();
    b_.packed.build(b_.trees);
    b_.fitted = false;
    if (reducer()) {
      std::vector<double> sums = base_score_sums(b_.loss, b_.K, train_.y.data(), n_, train_.weights());
      reducer()->sum(sums.data(), sums.size());
      b_.base = base_scores_from_sums(b_.loss, b_.K, sums);
    } else {
      b_.base = base_scores(b_.loss, b_.K, train_.y.data(), n_, train_.weights(), cfg_.shape);
    }
    // Margins and statistics are read and written at each leaf's (scattered) rows: huge pages.
    resize_huge(margin_, n_ * b_.K);
    for (std::size_t i = 0; i < n_; ++i)
      for (std::size_t k = 0; k < b_.K; ++k) margin_[i * b_.K + k] = b_.base[k];
    const std::size_t nv = val_ ? val_->rows() : 0;
    val_margin_.resize(nv * b_.K);
    for (std::size_t i = 0; i < nv; ++i)
      for (std::size_t k = 0; k < b_.K; ++k) val_margin_[i * b_.K + k] = b_.base[k];
    stats_.resize(b_.K);
    for (std::vector<float>& s : stats_) resize_huge(s, 2 * n_);
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
    if (sample_.empty() && n_ > 0) {
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

  // Shrinks each leaf by the learning rate (absolute error, quantile: refit to the leaf's median
  // or quantile residual first), moves the training margins of the rows in it and sums their hessians (the covers).
  void shrink_leaves(trees::Tree& tree, std::size_t round, std::size_t k) {
    const std::size_t K = b_.K;
    std::vector<double> leaf_cover(leaves_.size(), 0.0);
    parallel_for_chunks(leaves_.size(), [&](std::size_t li) {
      const TreeGrower::Leaf& lf = leaves_[li];
      const auto node = static_cast<std::size_t>(lf.node);
      double value = static_cast<double>(tree.nodes[node].threshold);
      if (refits_leaves(b_.loss) && lf.end > lf.begin) {
        std::vector<double> res(lf.end - lf.begin), w;
        for (std::size_t i = lf.begin; i < lf.end; ++i)
          res[i - lf.begin] = static_cast<double>(train_.y[rows_[i]]) - margin_[rows_[i] * K + k];
        if (!train_.weight.empty())
          for (std::size_t i = lf.begin; i < lf.end; ++i) w.push_back(train_.weight[rows_[i]]);
        value = weighted_quantile(std::move(res), w, refit_level(b_.loss, cfg_.shape));
      }
      const float v = static_cast<float>(value * cfg_.learning_rate);
      if (!std::isfinite(v))  // stop with a clear message rather than boost on NaN/inf margins
        throw_error(name_ + ".fit: round " + std::to_string(round) + " produced a non-finite leaf value (" +
                    format_number(value) + "); lower learning_rate or raise l2");
      tree.set_leaf_values(node, &v);
      double cover = 0.0;
      for (std::size_t i = lf.begin; i < lf.end; ++i) {
        margin_[rows_[i] * K + k] += static_cast<double>(v);
        cover += static_cast<double>(stats_[k][2 * rows_[i] + 1]);
      }
      leaf_cover[li] = cover;
    });
    if (reducer()) reducer()->sum(leaf_cover.data(), leaf_cover.size());
    std::vector<double> weight(tree.nodes.size(), 0.0);
    for (std::size_t li = 0; li < leaves_.size(); ++li) weight[static_cast<std::size_t>(leaves_[li].node)] = leaf_cover[li];
    tree.set_covers(std::move(weight));
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
    const double vl = mean_over_shards(val_margin_.data(), *val_);
    b_.history.log(rounds, "val_loss", vl);
    stopper_.update(rounds, vl);
    return cfg_.early_stopping_rounds > 0 && stopper_.should_stop();
  }

  ShardReducer* reducer() const noexcept { return cfg_.grower.reducer; }

  // The largest of a value over the shards (this shard's without a reducer).
  double shards_max(double v) const {
    if (reducer()) reducer()->max(&v, 1);
    return v;
  }

  // The (weighted) mean loss over the rows of every shard of a set (of this one without a reducer).
  double mean_over_shards(const double* margin, const TrainingSet& set) const {
    const double* w = set.weights();
    if (!reducer()) return mean_loss(b_.loss, b_.K, margin, set.y.data(), set.rows(), w, cfg_.shape);
    double s[2] = {loss_sum(b_.loss, b_.K, margin, set.y.data(), set.rows(), w, cfg_.shape), total_weight(w, set.rows())};
    reducer()->sum(s, 2);
    return finish_loss(b_.loss, s[0] / s[1]);
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
  double grower_scale_;
  TreeGrower grower_;
  diag::EarlyStopping stopper_;
  std::vector<double> margin_, val_margin_;
  std::vector<std::vector<float>> stats_;
  std::vector<std::uint32_t> sample_, rows_, all_features_;
  std::vector<char> in_sample_;
  std::vector<TreeGrower::Leaf> leaves_;
  std::vector<std::vector<double>> round_gain_;
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_sharded_refit(const std::string& op, Loss loss) {
  throw_value_error(op + ": loss " + ParamCodec<Loss>::text(loss) + " cannot train on sharded rows (a leaf's " +
                    (loss == Loss::Quantile ? "quantile" : "median") + " needs every residual); use squared_error");
}

/// Trains a configured Booster (b.configure) with `cfg`: sharded fits (distributed training) set
/// cfg.grower.reducer and cfg.bins.
inline void fit_engine(Booster& b, const BoostingConfig& cfg, const TrainingSet& train, const TrainingSet* val,
                       std::string_view name) {
  if (cfg.grower.reducer && refits_leaves(b.loss)) throw_sharded_refit(std::string(name) + ".fit", b.loss);
  if (cfg.bins && cfg.bins->n_features() != train.features())
    throw_value_error(std::string(name) + ".fit: the given bin edges are for " + std::to_string(cfg.bins->n_features()) +
                      " features, X has " + std::to_string(train.features()));
  BoostingRun(b, cfg, train, val, name).run();
}

/// Trains a Booster for a task (n_classes, 0 for regression) from its params; validation data,
/// when given, is scored every round. The model surface's entry (found by argument lookup).
template <class Task>
void train_engine(Booster& b, const trees::GradientBoostingParams<Task>& p, std::size_t classes,
                  const TrainingSet& train, const TrainingSet* val, std::string_view name) {
  if (p.early_stopping_rounds > 0 && val == nullptr)
    throw_value_error(std::string(name) + ".fit: early_stopping_rounds = " + std::to_string(p.early_stopping_rounds) +
                      " needs validation data: call fit(X, y, {X_val, y_val})");
  b.configure(classes, p.loss);
  fit_engine(b, boosting_config(p), train, val, name);
}

}  // namespace grove::detail

#pragma once
/// \file Histogram gradient boosting: GradientBoostingClassifier (logistic / softmax) and
/// GradientBoostingRegressor (squared or absolute error).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/progress.hpp"
#include "grove/core/rng.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/io/binary.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/grower.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/losses.hpp"
#include "grove/trees/packed_trees.hpp"
#include "grove/trees/serialization.hpp"
#include "grove/trees/tree.hpp"

namespace grove::trees {

/// Parameters of GradientBoostingClassifier (logistic loss for 2 classes, softmax above).
struct GradientBoostingClassifierParams {
  std::size_t n_estimators = 100;       ///< boosting rounds, [1, 100000]
  double learning_rate = 0.1;           ///< shrinkage, (0, 1]
  int max_depth = 6;                    ///< [1, 64]; 0 = unlimited (needs max_leaves)
  std::size_t max_bins = 255;           ///< value bins per feature, [2, 255]
  double l2 = 1.0;                      ///< L2 penalty on leaf values, >= 0
  double min_child_weight = 1.0;        ///< least hessian sum per child, >= 0
  double subsample = 1.0;               ///< rows drawn per round, (0, 1]
  double colsample = 1.0;               ///< features drawn per tree, (0, 1]
  std::size_t early_stopping_rounds = 0;///< stop after this many rounds without a better val_loss (0: off)
  std::uint64_t seed = 0;
  std::size_t max_leaves = 0;           ///< 0: depth-wise; else leaf-wise growth up to this many leaves
  double min_split_gain = 0.0;          ///< least loss reduction to split, >= 0
};

/// Parameters of GradientBoostingRegressor.
struct GradientBoostingRegressorParams {
  std::size_t n_estimators = 100;
  double learning_rate = 0.1;
  int max_depth = 6;
  std::size_t max_bins = 255;
  double l2 = 1.0;
  double min_child_weight = 1.0;
  double subsample = 1.0;
  double colsample = 1.0;
  std::size_t early_stopping_rounds = 0;
  std::uint64_t seed = 0;
  std::size_t max_leaves = 0;
  double min_split_gain = 0.0;
  Loss loss = Loss::SquaredError;  ///< SquaredError or AbsoluteError
};

namespace detail {

template <class P>
void check_boosting_params(const P& p, const std::string& op) {
  check_range(op, "n_estimators", static_cast<double>(p.n_estimators), 1, 100000, "[1, 100000]");
  check_range_open_low(op, "learning_rate", p.learning_rate, 0.0, 1.0, "(0, 1]");
  check_range(op, "max_depth", p.max_depth, 0, 64, "[0, 64]");
  if (p.max_depth == 0 && p.max_leaves == 0)
    throw_value_error(op + ": max_depth = 0 (unlimited) needs max_leaves > 0");
  check_range(op, "max_bins", static_cast<double>(p.max_bins), 2, 255, "[2, 255]");
  check_range(op, "l2", p.l2, 0.0, std::numeric_limits<double>::max(), "[0, inf)");
  check_range(op, "min_child_weight", p.min_child_weight, 0.0, std::numeric_limits<double>::max(), "[0, inf)");
  check_range_open_low(op, "subsample", p.subsample, 0.0, 1.0, "(0, 1]");
  check_range_open_low(op, "colsample", p.colsample, 0.0, 1.0, "(0, 1]");
  if (p.max_leaves == 1 || p.max_leaves > (std::size_t{1} << 20))
    throw_range(op, "max_leaves", static_cast<double>(p.max_leaves), "{0} or [2, 1048576]");
  check_range(op, "min_split_gain", p.min_split_gain, 0.0, std::numeric_limits<double>::max(), "[0, inf)");
}

/// The parts of a boosting params struct the trainer uses.
struct BoostConfig {
  std::size_t n_estimators;
  double learning_rate;
  int max_depth;
  std::size_t max_bins;
  double l2, min_child_weight, subsample, colsample;
  std::size_t early_stopping_rounds;
  std::uint64_t seed;
  std::size_t max_leaves;
  double min_split_gain;
};

template <class P>
BoostConfig boost_config(const P& p) {
  return BoostConfig{p.n_estimators, p.learning_rate, p.max_depth,     p.max_bins,
                     p.l2,           p.min_child_weight, p.subsample, p.colsample,
                     p.early_stopping_rounds, p.seed, p.max_leaves,  p.min_split_gain};
}

template <class P>
void write_boost_params(io::BinaryWriter& w, const P& p) {
  w.write<std::uint64_t>(p.n_estimators);
  w.write<double>(p.learning_rate);
  w.write<std::int32_t>(p.max_depth);
  w.write<std::uint64_t>(p.max_bins);
  w.write<double>(p.l2);
  w.write<double>(p.min_child_weight);
  w.write<double>(p.subsample);
  w.write<double>(p.colsample);
  w.write<std::uint64_t>(p.early_stopping_rounds);
  w.write<std::uint64_t>(p.seed);
  w.write<std::uint64_t>(p.max_leaves);
  w.write<double>(p.min_split_gain);
}

template <class P>
void read_boost_params(io::BinaryReader& r, P& p) {
  p.n_estimators = static_cast<std::size_t>(r.read<std::uint64_t>());
  p.learning_rate = r.read<double>();
  p.max_depth = r.read<std::int32_t>();
  p.max_bins = static_cast<std::size_t>(r.read<std::uint64_t>());
  p.l2 = r.read<double>();
  p.min_child_weight = r.read<double>();
  p.subsample = r.read<double>();
  p.colsample = r.read<double>();
  p.early_stopping_rounds = static_cast<std::size_t>(r.read<std::uint64_t>());
  p.seed = r.read<std::uint64_t>();
  p.max_leaves = static_cast<std::size_t>(r.read<std::uint64_t>());
  p.min_split_gain = r.read<double>();
}

/// The trained state shared by both boosting models: K outputs (1, or one per class for
/// softmax), base margins, trees round-major (tree t serves output t % K).
class Booster {
public:
  std::size_t n_features = 0;
  std::size_t K = 1;
  Loss loss = Loss::SquaredError;
  std::vector<double> base;
  std::vector<Tree> trees;
  std::vector<double> gain;
  diag::History history;
  PackedTrees packed;  ///< fast layout for rows without missing values
  bool fitted = false;

  /// Margin of output k for one row.
  double margin(const float* x, std::size_t k) const noexcept {
    if (packed.usable() && !PackedTrees::has_nan(x, n_features)) return packed.sum(k, trees.size(), K, x) + base[k];
    return sum_tree_values(trees.data(), k, trees.size(), K, x) + base[k];
  }

  void fit(const BoostConfig& cfg, const Tensor<float>& X, const std::vector<float>& y, const Tensor<float>* Xv,
           const std::vector<float>* yv, const std::string& name) {
    const std::size_t n = X.shape(0), d = X.shape(1);
    const float* xd = X.data();
    if (cfg.early_stopping_rounds > 0 && Xv == nullptr)
      throw_value_error(name + ".fit: early_stopping_rounds = " + std::to_string(cfg.early_stopping_rounds) +
                        " needs validation data: call fit(X, y, {X_val, y_val})");
    n_features = d;
    history.clear();
    trees.clear();
    packed.build(trees);
    gain.assign(d, 0.0);
    fitted = false;

    const BinMapper mapper = BinMapper::fit(xd, n, d, cfg.max_bins);
    const BinnedMatrix binned = BinnedMatrix::build(mapper, xd, n, d);
    base = base_scores(loss, K, y.data(), n);
    std::vector<double> margin_train(n * K);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < K; ++k) margin_train[i * K + k] = base[k];
    const std::size_t nv = Xv ? Xv->shape(0) : 0;
    std::vector<double> margin_val(nv * K);
    for (std::size_t i = 0; i < nv; ++i)
      for (std::size_t k = 0; k < K; ++k) margin_val[i * K + k] = base[k];

    std::vector<std::vector<float>> stats(K, std::vector<float>(2 * n));
    GrowerParams gp;
    gp.score = SplitScore::Newton;
    gp.channels = 2;
    gp.max_depth = cfg.max_depth;
    gp.max_leaves = cfg.max_leaves;
    gp.l2 = cfg.l2;
    gp.min_weight = cfg.min_child_weight;
    gp.min_split_gain = cfg.min_split_gain;
    TreeGrower grower(mapper, binned, gp);
    const Rng rng(cfg.seed);

    std::vector<std::uint32_t> sample, rows;
    std::vector<char> in_sample;
    std::vector<std::uint32_t> all_features(d);
    for (std::size_t f = 0; f < d; ++f) all_features[f] = static_cast<std::uint32_t>(f);
    std::vector<std::uint32_t> features;
    std::vector<TreeGrower::Leaf> leaves;
    std::vector<std::vector<double>> round_gain;
    double best_val = std::numeric_limits<double>::infinity();
    std::size_t best_rounds = 0;
    Progress progress(name + ".fit", cfg.n_estimators);
    std::size_t rounds = 0;

    for (std::size_t r = 0; r < cfg.n_estimators; ++r) {
      // The loss comes with the gradients at little cost; it is recorded with validation data.
      const double train_loss = gradients(loss, K, margin_train.data(), y.data(), n, stats, Xv != nullptr);
      if (r > 0 && Xv) history.log(r, "train_loss", train_loss);
      Rng rr = rng.stream(r);
      sample.clear();
      if (cfg.subsample < 1.0) {
        in_sample.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i)
          if (rr.uniform() < cfg.subsample) {
            sample.push_back(static_cast<std::uint32_t>(i));
            in_sample[i] = 1;
          }
        if (sample.empty()) {
          const auto i = static_cast<std::uint32_t>(rr.below(n));
          sample.push_back(i);
          in_sample[i] = 1;
        }
      } else {
        sample.resize(n);
        for (std::size_t i = 0; i < n; ++i) sample[i] = static_cast<std::uint32_t>(i);
      }
      std::vector<double> tree_gain(d, 0.0);
      for (std::size_t k = 0; k < K; ++k) {
        features = all_features;
        if (cfg.colsample < 1.0) {
          const std::size_t m = std::max<std::size_t>(
              1, static_cast<std::size_t>(std::lround(cfg.colsample * static_cast<double>(d))));
          for (std::size_t i = 0; i < m; ++i) std::swap(features[i], features[i + rr.below(d - i)]);
          features.resize(m);
          std::sort(features.begin(), features.end());
        }
        rows = sample;
        Tree tree = grower.grow(rows, stats[k].data(), features, rr, tree_gain, leaves);
        // Shrink the leaves (absolute error: refit each to its median residual first) and move
        // the training margins of the rows in each leaf.
        parallel_for_chunks(leaves.size(), [&](std::size_t li) {
          const TreeGrower::Leaf& lf = leaves[li];
          const auto node = static_cast<std::size_t>(lf.node);
          double value = static_cast<double>(tree.nodes[node].threshold);
          if (loss == Loss::AbsoluteError && lf.end > lf.begin) {
            std::vector<double> res(lf.end - lf.begin);
            for (std::size_t i = lf.begin; i < lf.end; ++i)
              res[i - lf.begin] = static_cast<double>(y[rows[i]]) - margin_train[rows[i] * K + k];
            const auto mid = res.begin() + static_cast<std::ptrdiff_t>(res.size() / 2);
            std::nth_element(res.begin(), mid, res.end());
            value = *mid;
          }
          const float v = static_cast<float>(value * cfg.learning_rate);
          if (!std::isfinite(v))  // stop with a clear message rather than boost on NaN/inf margins
            grove::detail::throw_error(name + ".fit: round " + std::to_string(r) + " produced a non-finite leaf value (" +
                                       std::to_string(value) + "); lower learning_rate or raise l2");
          tree.set_leaf_values(node, &v);
          for (std::size_t i = lf.begin; i < lf.end; ++i) margin_train[rows[i] * K + k] += static_cast<double>(v);
        });
        if (cfg.subsample < 1.0) {
          parallel_for(0, n, 8192, [&](std::size_t lo, std::size_t hi) {
            for (std::size_t i = lo; i < hi; ++i)
              if (!in_sample[i]) margin_train[i * K + k] += static_cast<double>(tree.predict_value(xd + i * d));
          });
        }
        trees.push_back(std::move(tree));
      }
      round_gain.push_back(tree_gain);
      rounds = r + 1;
      if (Xv) {
        const float* vd = Xv->data();
        const std::size_t first = trees.size() - K;
        parallel_for(0, nv, 4096, [&](std::size_t lo, std::size_t hi) {
          for (std::size_t i = lo; i < hi; ++i)
            for (std::size_t k = 0; k < K; ++k)
              margin_val[i * K + k] += static_cast<double>(trees[first + k].predict_value(vd + i * d));
        });
        const double vl = mean_loss(loss, K, margin_val.data(), yv->data(), nv);
        history.log(rounds, "val_loss", vl);
        if (vl < best_val) {
          best_val = vl;
          best_rounds = rounds;
        } else if (cfg.early_stopping_rounds > 0 && rounds - best_rounds >= cfg.early_stopping_rounds) {
          progress.update(rounds);
          break;
        }
      }
      progress.update(rounds);
    }
    if (Xv) history.log(rounds, "train_loss", mean_loss(loss, K, margin_train.data(), y.data(), n));
    progress.finish();
    if (Xv && cfg.early_stopping_rounds > 0 && best_rounds > 0 && best_rounds < rounds) {
      trees.resize(best_rounds * K);
      round_gain.resize(best_rounds);
    }
    for (const auto& g : round_gain)
      for (std::size_t f = 0; f < d; ++f) gain[f] += g[f];
    packed.build(trees);
    fitted = true;
  }

  /// Margins (n x K, row-major) of X's rows, in parallel over blocks of rows (the same sums as
  /// margin(), so batch and single-row predictions agree bitwise).
  std::vector<double> margins(const float* X, std::size_t n) const {
    std::vector<double> out(n * K);
    constexpr std::size_t kRows = 64;
    const std::size_t blocks = (n + kRows - 1) / kRows;
    parallel_for(0, blocks, 16, [&](std::size_t lo, std::size_t hi) {
      double buf[kRows];
      for (std::size_t b = lo; b < hi; ++b) {
        const std::size_t r0 = b * kRows, rows = std::min(kRows, n - r0);
        if (packed.usable()) {
          for (std::size_t i = r0; i < r0 + rows; ++i)
            for (std::size_t k = 0; k < K; ++k) out[i * K + k] = margin(X + i * n_features, k);
          continue;
        }
        for (std::size_t k = 0; k < K; ++k) {
          sum_tree_values_rows(trees.data(), k, trees.size(), K, X + r0 * n_features, n_features, rows, buf);
          for (std::size_t i = 0; i < rows; ++i) out[(r0 + i) * K + k] = buf[i] + base[k];
        }
      }
    });
    return out;
  }

  /// Rounds kept in the model.
  std::size_t rounds() const noexcept { return trees.size() / K; }

  void write(io::BinaryWriter& w) const {
    w.write<std::uint64_t>(n_features);
    w.write<std::uint64_t>(K);
    w.write<std::uint32_t>(static_cast<std::uint32_t>(loss));
    w.write_vector(base);
    w.write_vector(gain);
    write_trees(w, trees);
  }

  void read(io::BinaryReader& r, std::size_t expected_k) {
    n_features = static_cast<std::size_t>(r.read<std::uint64_t>());
    if (n_features == 0 || n_features > (std::size_t{1} << 24))
      r.fail("feature count " + std::to_string(n_features) + " is out of range");
    K = static_cast<std::size_t>(r.read<std::uint64_t>());
    if (K != expected_k) r.fail("output count " + std::to_string(K) + ", expected " + std::to_string(expected_k));
    const auto l = r.read<std::uint32_t>();
    if (l > 3) r.fail("unknown loss " + std::to_string(l));
    loss = static_cast<Loss>(l);
    base = read_doubles(r, K, "base scores");
    gain = read_doubles(r, n_features, "feature importances");
    trees = read_trees(r, n_features, 1);
    if (trees.empty() || trees.size() % K != 0)
      r.fail(std::to_string(trees.size()) + " trees is not a positive multiple of " + std::to_string(K) + " outputs");
    packed.build(trees);
    fitted = true;
  }
};

}  // namespace detail

/// Histogram gradient-boosted trees for classification (labels 0..k-1).
class GradientBoostingClassifier {
public:
  using Params = GradientBoostingClassifierParams;
  static constexpr const char* kKind = "grove.trees.GradientBoostingClassifier";

  explicit GradientBoostingClassifier(Params params = {}) : params_(params) {
    detail::check_boosting_params(params_, "GradientBoostingClassifier");
  }

  const Params& params() const noexcept { return params_; }

  /// Fits on X (n x d) and labels y (0..k-1).
  template <class TX, class TY>
  GradientBoostingClassifier& fit(const Tensor<TX>& X, const Tensor<TY>& y) {
    return fit_impl(X, y, static_cast<const ValidationSet<TX, TY>*>(nullptr));
  }
  /// Fits and records train_loss / val_loss per round; early_stopping_rounds keeps the best round.
  template <class TX, class TY>
  GradientBoostingClassifier& fit(const Tensor<TX>& X, const Tensor<TY>& y, const ValidationSet<TX, TY>& val) {
    return fit_impl(X, y, &val);
  }

  std::size_t n_classes() const noexcept { return n_classes_; }
  std::size_t n_features() const noexcept { return b_.n_features; }
  /// The trees, round-major (with k > 2 classes, tree t serves class t % k); leaf values include
  /// the learning rate.
  const std::vector<Tree>& trees() const noexcept { return b_.trees; }
  /// Boosting rounds kept (after early stopping: the best round).
  std::size_t best_iteration() const noexcept { return b_.rounds(); }
  const diag::History& history() const noexcept { return b_.history; }
  /// Total split gain per feature, normalized to sum to 1.
  std::vector<double> feature_importances() const {
    check_fitted("GradientBoostingClassifier.feature_importances");
    return detail::normalized(b_.gain);
  }

  /// Class of one row; allocation-free.
  std::int64_t predict_row(std::span<const float> x) const {
    check_row(x, "GradientBoostingClassifier.predict_row");
    if (b_.K == 1) return b_.margin(x.data(), 0) > 0.0 ? 1 : 0;
    std::size_t best = 0;
    double best_m = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < b_.K; ++k) {
      const double m = b_.margin(x.data(), k);
      if (m > best_m) {
        best_m = m;
        best = k;
      }
    }
    return static_cast<std::int64_t>(best);
  }

  /// Class probabilities of one row into `out` (n_classes values); allocation-free.
  void predict_proba_row(std::span<const float> x, std::span<float> out) const {
    check_row(x, "GradientBoostingClassifier.predict_proba_row");
    if (out.size() != n_classes_)
      detail::throw_value_error("GradientBoostingClassifier.predict_proba_row: out has " + std::to_string(out.size()) +
                                " values, need " + std::to_string(n_classes_));
    proba_into(x.data(), out.data());
  }

  /// Predicted classes (n), as int64.
  template <class TX>
  Tensor<std::int64_t> predict(const Tensor<TX>& X) const {
    const Tensor<float> Xf = detail::predict_matrix(X, b_.n_features, b_.fitted, "GradientBoostingClassifier.predict");
    const std::size_t n = Xf.shape(0), d = b_.n_features;
    (void)d;
    const std::vector<double> m = b_.margins(Xf.data(), n);
    Tensor<std::int64_t> out(Shape{n});
    std::int64_t* o = out.data();
    const std::size_t K = b_.K;
    for (std::size_t i = 0; i < n; ++i) {
      if (K == 1) {
        o[i] = m[i] > 0.0 ? 1 : 0;
        continue;
      }
      std::size_t best = 0;
      for (std::size_t k = 1; k < K; ++k)
        if (m[i * K + k] > m[i * K + best]) best = k;
      o[i] = static_cast<std::int64_t>(best);
    }
    return out;
  }

  /// Class probabilities (n x n_classes).
  template <class TX>
  Tensor<float> predict_proba(const Tensor<TX>& X) const {
    const Tensor<float> Xf =
        detail::predict_matrix(X, b_.n_features, b_.fitted, "GradientBoostingClassifier.predict_proba");
    const std::size_t n = Xf.shape(0), d = b_.n_features;
    (void)d;
    const std::vector<double> m = b_.margins(Xf.data(), n);
    Tensor<float> out(Shape{n, n_classes_});
    float* o = out.data();
    for (std::size_t i = 0; i < n; ++i) proba_from_margins(m.data() + i * b_.K, o + i * n_classes_);
    return out;
  }

  /// Saves to `path` (grove binary container, kind grove.trees.GradientBoostingClassifier).
  void save(const std::string& path) const {
    check_fitted("GradientBoostingClassifier.save");
    io::BinaryWriter w;
    detail::write_boost_params(w, params_);
    w.write<std::uint64_t>(n_classes_);
    b_.write(w);
    w.save(path, kKind, 1);
  }

  /// Loads a model saved by save(); FormatError for another kind, truncation or corruption.
  static GradientBoostingClassifier load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, kKind, 1);
    Params p;
    detail::read_boost_params(r, p);
    try {
      detail::check_boosting_params(p, "GradientBoostingClassifier");
    } catch (const ValueError& e) {
      r.fail(e.what());
    }
    GradientBoostingClassifier m(p);
    const auto k = r.read<std::uint64_t>();
    if (k < 2 || k > 65536) r.fail("class count " + std::to_string(k) + " is out of range [2, 65536]");
    m.n_classes_ = static_cast<std::size_t>(k);
    m.b_.read(r, k == 2 ? 1 : m.n_classes_);
    if (m.b_.loss != (k == 2 ? Loss::Logistic : Loss::Softmax)) r.fail("loss does not match the class count");
    r.expect_end();
    return m;
  }

private:
  template <class TX, class TY>
  GradientBoostingClassifier& fit_impl(const Tensor<TX>& X, const Tensor<TY>& y, const ValidationSet<TX, TY>* val) {
    const std::string op = "GradientBoostingClassifier.fit";
    const Tensor<float> Xf = detail::feature_matrix(X, op);
    std::size_t k = 0;
    const std::vector<std::int32_t> labels = detail::class_labels(y, Xf.shape(0), op, k);
    std::vector<float> yf(labels.begin(), labels.end());
    Tensor<float> Xv;
    std::vector<float> yv;
    if (val) {
      Xv = detail::predict_matrix(val->X, Xf.shape(1), true, op + " (validation)");
      std::size_t kv = 0;
      const std::vector<std::int32_t> lv = detail::class_labels(val->y, Xv.shape(0), op + " (validation)", kv);
      for (std::int32_t c : lv)
        if (static_cast<std::size_t>(c) >= k)
          detail::throw_value_error(op + ": validation label " + std::to_string(c) + " is not among the " +
                                    std::to_string(k) + " training classes");
      yv.assign(lv.begin(), lv.end());
    }
    n_classes_ = k;
    b_.K = k == 2 ? 1 : k;
    b_.loss = k == 2 ? Loss::Logistic : Loss::Softmax;
    b_.fit(detail::boost_config(params_), Xf, yf, val ? &Xv : nullptr, val ? &yv : nullptr, "GradientBoostingClassifier");
    return *this;
  }

  // Row and batch paths share the margin sums and this transform, so they agree bitwise.
  void proba_from_margins(const double* m, float* out) const noexcept {
    if (b_.K == 1) {
      const double p = 1.0 / (1.0 + std::exp(-m[0]));
      out[0] = static_cast<float>(1.0 - p);
      out[1] = static_cast<float>(p);
      return;
    }
    double mx = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < b_.K; ++k) mx = std::max(mx, m[k]);
    double sum = 0.0;
    for (std::size_t k = 0; k < b_.K; ++k) sum += std::exp(m[k] - mx);
    for (std::size_t k = 0; k < b_.K; ++k) out[k] = static_cast<float>(std::exp(m[k] - mx) / sum);
  }

  void proba_into(const float* x, float* out) const noexcept {
    constexpr std::size_t kStack = 64;
    if (b_.K <= kStack) {
      double m[kStack];
      for (std::size_t k = 0; k < b_.K; ++k) m[k] = b_.margin(x, k);
      proba_from_margins(m, out);
      return;
    }
    // Many classes: margins computed twice (max, then exp) rather than stored, so no buffer is needed.
    double mx = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < b_.K; ++k) mx = std::max(mx, b_.margin(x, k));
    double sum = 0.0;
    for (std::size_t k = 0; k < b_.K; ++k) sum += std::exp(b_.margin(x, k) - mx);
    for (std::size_t k = 0; k < b_.K; ++k) out[k] = static_cast<float>(std::exp(b_.margin(x, k) - mx) / sum);
  }

  void check_fitted(const char* op) const {
    if (!b_.fitted) detail::throw_not_fitted(op);
  }
  void check_row(std::span<const float> x, const char* op) const {
    if (!b_.fitted) detail::throw_not_fitted(op);
    if (x.size() != b_.n_features) detail::throw_row_size(op, x.size(), b_.n_features);
  }

  Params params_;
  std::size_t n_classes_ = 0;
  detail::Booster b_;
};

/// Histogram gradient-boosted trees for regression.
class GradientBoostingRegressor {
public:
  using Params = GradientBoostingRegressorParams;
  static constexpr const char* kKind = "grove.trees.GradientBoostingRegressor";

  explicit GradientBoostingRegressor(Params params = {}) : params_(params) {
    detail::check_boosting_params(params_, "GradientBoostingRegressor");
    if (params_.loss != Loss::SquaredError && params_.loss != Loss::AbsoluteError)
      detail::throw_value_error(std::string("GradientBoostingRegressor: loss must be SquaredError or AbsoluteError, got ") +
                                detail::loss_name(params_.loss));
  }

  const Params& params() const noexcept { return params_; }

  template <class TX, class TY>
  GradientBoostingRegressor& fit(const Tensor<TX>& X, const Tensor<TY>& y) {
    return fit_impl(X, y, static_cast<const ValidationSet<TX, TY>*>(nullptr));
  }
  template <class TX, class TY>
  GradientBoostingRegressor& fit(const Tensor<TX>& X, const Tensor<TY>& y, const ValidationSet<TX, TY>& val) {
    return fit_impl(X, y, &val);
  }

  std::size_t n_features() const noexcept { return b_.n_features; }
  std::size_t best_iteration() const noexcept { return b_.rounds(); }
  const diag::History& history() const noexcept { return b_.history; }
  /// The trees in boosting order; leaf values include the learning rate.
  const std::vector<Tree>& trees() const noexcept { return b_.trees; }
  /// The starting margin (mean or median of the training targets).
  double base_score() const noexcept { return b_.base.empty() ? 0.0 : b_.base[0]; }
  std::vector<double> feature_importances() const {
    if (!b_.fitted) detail::throw_not_fitted("GradientBoostingRegressor.feature_importances");
    return detail::normalized(b_.gain);
  }

  /// Prediction for one row; allocation-free.
  float predict_row(std::span<const float> x) const {
    if (!b_.fitted) detail::throw_not_fitted("GradientBoostingRegressor.predict_row");
    if (x.size() != b_.n_features) detail::throw_row_size("GradientBoostingRegressor.predict_row", x.size(), b_.n_features);
    return static_cast<float>(b_.margin(x.data(), 0));
  }

  template <class TX>
  Tensor<float> predict(const Tensor<TX>& X) const {
    const Tensor<float> Xf = detail::predict_matrix(X, b_.n_features, b_.fitted, "GradientBoostingRegressor.predict");
    const std::size_t n = Xf.shape(0), d = b_.n_features;
    (void)d;
    const std::vector<double> m = b_.margins(Xf.data(), n);
    Tensor<float> out(Shape{n});
    for (std::size_t i = 0; i < n; ++i) out.data()[i] = static_cast<float>(m[i]);
    return out;
  }

  void save(const std::string& path) const {
    if (!b_.fitted) detail::throw_not_fitted("GradientBoostingRegressor.save");
    io::BinaryWriter w;
    detail::write_boost_params(w, params_);
    w.write<std::uint32_t>(static_cast<std::uint32_t>(params_.loss));
    b_.write(w);
    w.save(path, kKind, 1);
  }

  static GradientBoostingRegressor load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, kKind, 1);
    Params p;
    detail::read_boost_params(r, p);
    const auto l = r.read<std::uint32_t>();
    if (l > 1) r.fail("regressor loss " + std::to_string(l) + " is not SquaredError (0) or AbsoluteError (1)");
    p.loss = static_cast<Loss>(l);
    try {
      detail::check_boosting_params(p, "GradientBoostingRegressor");
    } catch (const ValueError& e) {
      r.fail(e.what());
    }
    GradientBoostingRegressor m(p);
    m.b_.read(r, 1);
    if (m.b_.loss != p.loss) r.fail("loss does not match the params");
    r.expect_end();
    return m;
  }

private:
  template <class TX, class TY>
  GradientBoostingRegressor& fit_impl(const Tensor<TX>& X, const Tensor<TY>& y, const ValidationSet<TX, TY>* val) {
    const std::string op = "GradientBoostingRegressor.fit";
    const Tensor<float> Xf = detail::feature_matrix(X, op);
    const std::vector<float> yf = detail::regression_targets(y, Xf.shape(0), op);
    Tensor<float> Xv;
    std::vector<float> yv;
    if (val) {
      Xv = detail::predict_matrix(val->X, Xf.shape(1), true, op + " (validation)");
      yv = detail::regression_targets(val->y, Xv.shape(0), op + " (validation)");
    }
    b_.K = 1;
    b_.loss = params_.loss;
    b_.fit(detail::boost_config(params_), Xf, yf, val ? &Xv : nullptr, val ? &yv : nullptr, "GradientBoostingRegressor");
    return *this;
  }

  Params params_;
  detail::Booster b_;
};

}  // namespace grove::trees

#pragma once
// The three candidate model families behind one interface, so model selection, the learning
// curve and the rollout check treat them alike.

#include "mlp.hpp"

#include <grove/diagnostics/early_stopping.hpp>
#include <grove/diagnostics/history.hpp>
#include <grove/metrics/log_loss.hpp>
#include <grove/tensor/tensor.hpp>
#include <grove/trees.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pipeline {

/// A classifier as the pipeline sees it.
class Classifier {
public:
  virtual ~Classifier() = default;
  /// Plain fit (cross-validation, learning curve).
  virtual void fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y) = 0;
  /// Final fit: validation monitoring and early stopping; fills history().
  virtual void fit_monitored(const grove::Tensor<float>& X, const grove::Tensor<float>& y,
                             const grove::Tensor<float>& X_val, const grove::Tensor<float>& y_val) = 0;
  virtual grove::Tensor<std::int64_t> predict(const grove::Tensor<float>& X) const = 0;
  virtual grove::Tensor<float> predict_proba(const grove::Tensor<float>& X) const = 0;
  virtual std::int64_t predict_row(std::span<const float> x) const = 0;
  virtual const grove::diag::History& history() const = 0;
  /// What early stopping kept, in words ("best round 87 of 200").
  virtual std::string stopping_note() const = 0;
  /// What one history step is ("boosting round", "epoch", "trees").
  virtual std::string step_name() const = 0;
  virtual void save(const std::string& path) const = 0;
  /// A fresh object read from `path`.
  virtual std::unique_ptr<Classifier> load(const std::string& path) const = 0;
};

/// Settings of the three candidates (small, time-bounded defaults; flags raise them).
struct Candidates {
  grove::trees::RandomForestClassifierParams forest{.n_estimators = 60, .max_depth = 0, .max_bins = 64};
  grove::trees::GradientBoostingClassifierParams boosting{
      .n_estimators = 60, .learning_rate = 0.2, .max_depth = 4, .max_bins = 32, .colsample = 0.3};
  MlpParams mlp{.hidden = {128}, .epochs = 8, .batch_size = 128, .lr = 2e-3};
  std::size_t early_stopping_rounds = 10;  ///< boosting rounds / forest tree blocks without improvement
};

/// Mean negative log-likelihood of labels y under probabilities p (n x k), clipped at 1e-15.
inline double mean_log_loss(const grove::Tensor<float>& p, const grove::Tensor<float>& y) {
  const std::size_t n = y.size(), k = p.shape()[1];
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::size_t>(y.data()[i]);
    const double pi = c < k ? static_cast<double>(p.data()[i * k + c]) : 0.0;
    s -= std::log(std::max(pi, 1e-15));
  }
  return s / static_cast<double>(n);
}

class ForestModel final : public Classifier {
public:
  ForestModel(grove::trees::RandomForestClassifierParams p, std::size_t patience) : m_(p), patience_(patience) {}
  explicit ForestModel(grove::trees::RandomForestClassifier m) : m_(std::move(m)) {}

  void fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y) override { m_.fit(X, y); }

  // A forest does not overfit as trees are added, so "early stopping" here means: stop adding
  // trees once the validation loss of the growing ensemble stops improving, and refit with that
  // many (a smaller forest predicts faster at the same quality).
  void fit_monitored(const grove::Tensor<float>& X, const grove::Tensor<float>& y, const grove::Tensor<float>& Xv,
                     const grove::Tensor<float>& yv) override {
    m_.fit(X, y);
    history_ = {};
    const std::size_t n_trees = m_.trees().size();
    const std::size_t k = m_.n_classes();
    const std::size_t block = std::max<std::size_t>(1, n_trees / 20);
    // Training loss on (at most) as many training rows as there are validation rows.
    const std::size_t nt = std::min(X.shape()[0], Xv.shape()[0]);
    std::vector<double> acc_v(Xv.shape()[0] * k, 0.0), acc_t(nt * k, 0.0);
    grove::diag::EarlyStopping stop({.monitor = "val_loss", .patience = patience_, .min_delta = 1e-4});
    const std::size_t d = X.shape()[1];
    for (std::size_t t = 0; t < n_trees; ++t) {
      const auto& tree = m_.trees()[t];
      add_tree(tree, Xv.data(), d, Xv.shape()[0], k, acc_v);
      add_tree(tree, X.data(), d, nt, k, acc_t);
      if ((t + 1) % block == 0 || t + 1 == n_trees) {
        const double vl = staged_loss(acc_v, yv, t + 1, k), tl = staged_loss(acc_t, y, t + 1, k);
        history_.log(t + 1, "train_loss", tl);
        history_.log(t + 1, "val_loss", vl);
        stop.update(t + 1, vl);
        if (stop.should_stop()) break;
      }
    }
    kept_ = n_trees;
    if (stop.has_best() && stop.best_step() < n_trees) {
      auto p = m_.params();
      p.n_estimators = stop.best_step();
      kept_ = p.n_estimators;
      m_ = grove::trees::RandomForestClassifier(p);
      m_.fit(X, y);
    }
    grown_ = n_trees;
  }

  grove::Tensor<std::int64_t> predict(const grove::Tensor<float>& X) const override { return m_.predict(X); }
  grove::Tensor<float> predict_proba(const grove::Tensor<float>& X) const override { return m_.predict_proba(X); }
  std::int64_t predict_row(std::span<const float> x) const override { return m_.predict_row(x); }
  const grove::diag::History& history() const override { return history_; }
  std::string stopping_note() const override {
    return "kept " + std::to_string(kept_) + " of " + std::to_string(grown_) + " trees";
  }
  std::string step_name() const override { return "trees"; }
  void save(const std::string& path) const override { m_.save(path); }
  std::unique_ptr<Classifier> load(const std::string& path) const override {
    return std::make_unique<ForestModel>(grove::trees::RandomForestClassifier::load(path));
  }

private:
  static void add_tree(const grove::trees::Tree& tree, const float* X, std::size_t d, std::size_t n, std::size_t k,
                       std::vector<double>& acc) {
    for (std::size_t i = 0; i < n; ++i) {
      const float* v = tree.values.data() + static_cast<std::size_t>(tree.leaf_index(X + i * d)) * k;
      for (std::size_t c = 0; c < k; ++c) acc[i * k + c] += static_cast<double>(v[c]);
    }
  }
  static double staged_loss(const std::vector<double>& acc, const grove::Tensor<float>& y, std::size_t trees,
                            std::size_t k) {
    const std::size_t n = acc.size() / k;
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double p = acc[i * k + static_cast<std::size_t>(y.data()[i])] / static_cast<double>(trees);
      s -= std::log(std::max(p, 1e-15));
    }
    return s / static_cast<double>(n);
  }

  grove::trees::RandomForestClassifier m_;
  std::size_t patience_ = 5;
  grove::diag::History history_;
  std::size_t kept_ = 0, grown_ = 0;
};

class BoostingModel final : public Classifier {
public:
  BoostingModel(grove::trees::GradientBoostingClassifierParams p, std::size_t patience) : m_(p), patience_(patience) {}
  explicit BoostingModel(grove::trees::GradientBoostingClassifier m) : m_(std::move(m)) {}

  void fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y) override { m_.fit(X, y); }
  void fit_monitored(const grove::Tensor<float>& X, const grove::Tensor<float>& y, const grove::Tensor<float>& Xv,
                     const grove::Tensor<float>& yv) override {
    auto p = m_.params();
    p.early_stopping_rounds = patience_;
    m_ = grove::trees::GradientBoostingClassifier(p);
    m_.fit(X, y, grove::trees::ValidationSet<float, float>{Xv, yv});
    rounds_ = p.n_estimators;
  }
  grove::Tensor<std::int64_t> predict(const grove::Tensor<float>& X) const override { return m_.predict(X); }
  grove::Tensor<float> predict_proba(const grove::Tensor<float>& X) const override { return m_.predict_proba(X); }
  std::int64_t predict_row(std::span<const float> x) const override { return m_.predict_row(x); }
  const grove::diag::History& history() const override { return m_.history(); }
  std::string stopping_note() const override {
    return "kept " + std::to_string(m_.best_iteration()) + " of at most " + std::to_string(rounds_) + " rounds";
  }
  std::string step_name() const override { return "boosting round"; }
  void save(const std::string& path) const override { m_.save(path); }
  std::unique_ptr<Classifier> load(const std::string& path) const override {
    return std::make_unique<BoostingModel>(grove::trees::GradientBoostingClassifier::load(path));
  }

private:
  grove::trees::GradientBoostingClassifier m_;
  std::size_t patience_ = 10;
  std::size_t rounds_ = 0;
};

class MlpModel final : public Classifier {
public:
  explicit MlpModel(MlpParams p) : m_(std::move(p)) {}
  explicit MlpModel(MlpClassifier m) : m_(std::move(m)) {}

  void fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y) override { m_.fit(X, y); }
  void fit_monitored(const grove::Tensor<float>& X, const grove::Tensor<float>& y, const grove::Tensor<float>& Xv,
                     const grove::Tensor<float>& yv) override {
    m_.fit(X, y, Xv, yv);
  }
  grove::Tensor<std::int64_t> predict(const grove::Tensor<float>& X) const override { return m_.predict(X); }
  grove::Tensor<float> predict_proba(const grove::Tensor<float>& X) const override { return m_.predict_proba(X); }
  std::int64_t predict_row(std::span<const float> x) const override { return m_.predict_row(x); }
  const grove::diag::History& history() const override { return m_.history(); }
  std::string stopping_note() const override {
    return "kept epoch " + std::to_string(m_.best_epoch()) + " of at most " + std::to_string(m_.params().epochs);
  }
  std::string step_name() const override { return "epoch"; }
  void save(const std::string& path) const override { m_.save(path); }
  std::unique_ptr<Classifier> load(const std::string& path) const override {
    return std::make_unique<MlpModel>(MlpClassifier::load(path));
  }

private:
  MlpClassifier m_;
};

/// One candidate family: its name and a factory of fresh, unfitted models.
struct Family {
  std::string key;  ///< name on the command line (--models)
  std::string name;
  std::function<std::unique_ptr<Classifier>()> make;
};

inline std::vector<Family> families(const Candidates& c) {
  return {
      {"forest", "random forest", [c] { return std::make_unique<ForestModel>(c.forest, c.early_stopping_rounds); }},
      {"boosting", "gradient boosting", [c] { return std::make_unique<BoostingModel>(c.boosting, c.early_stopping_rounds); }},
      {"mlp", "MLP", [c] { return std::make_unique<MlpModel>(c.mlp); }},
  };
}

}  // namespace pipeline

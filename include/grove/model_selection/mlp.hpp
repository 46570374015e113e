#pragma once
/// \file MlpClassifier and MlpRegressor: multi-layer perceptrons as estimators, with the tree
/// models' surface (fit, fit with validation data and early stopping, predict, predict_proba,
/// predict_row, params, history, save/load), so cross_validate, the searches, learning_curve and
/// AnyEstimator take them like any other model. Built from a list of hidden-layer widths and an
/// optimizer setting; features are standardized inside the model (a missing value becomes the
/// column mean).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "grove/autograd/node.hpp"
#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/progress.hpp"
#include "grove/core/rng.hpp"
#include "grove/diagnostics/early_stopping.hpp"
#include "grove/diagnostics/history.hpp"
#include "grove/io/binary.hpp"
#include "grove/nn/activation.hpp"
#include "grove/nn/linear.hpp"
#include "grove/nn/loss.hpp"
#include "grove/nn/sequential.hpp"
#include "grove/optim/adam.hpp"
#include "grove/optim/rmsprop.hpp"
#include "grove/optim/sgd.hpp"
#include "grove/tensor.hpp"
#include "grove/trees/input.hpp"

namespace grove::model_selection {

/// The optimizer an MLP trains with.
enum class MlpOptimizer : std::uint32_t { Adam = 0, AdamW = 1, SGD = 2, RMSprop = 3 };
/// The activation after each hidden layer.
enum class MlpActivation : std::uint32_t { ReLU = 0, Tanh = 1, GELU = 2 };

inline std::string to_string(MlpOptimizer o) {
  switch (o) {
    case MlpOptimizer::Adam: return "adam";
    case MlpOptimizer::AdamW: return "adamw";
    case MlpOptimizer::SGD: return "sgd";
    case MlpOptimizer::RMSprop: return "rmsprop";
  }
  return "?";
}
inline std::string to_string(MlpActivation a) {
  switch (a) {
    case MlpActivation::ReLU: return "relu";
    case MlpActivation::Tanh: return "tanh";
    case MlpActivation::GELU: return "gelu";
  }
  return "?";
}

/// Parameters of MlpClassifier and MlpRegressor. The optimizer setting is flat (optimizer, lr,
/// weight_decay, momentum) so a search can put any of it on an axis.
struct MlpParams {
  std::vector<std::size_t> hidden = {100};  ///< hidden layer widths, each in [1, 1048576]; {} = linear model
  std::size_t epochs = 20;                  ///< passes over the data (at most, with early stopping), [1, 1048576]
  std::size_t batch_size = 128;             ///< rows per step, >= 1 (capped at the row count)
  MlpOptimizer optimizer = MlpOptimizer::Adam;
  double lr = 1e-3;                         ///< learning rate, > 0
  double weight_decay = 0.0;                ///< L2 (decoupled for AdamW), >= 0
  double momentum = 0.9;                    ///< SGD and RMSprop momentum, [0, 1)
  MlpActivation activation = MlpActivation::ReLU;
  std::size_t patience = 5;                 ///< with validation data: epochs without a better val_loss before stopping
  std::uint64_t seed = 0;                   ///< initial weights and batch order
};

/// MlpParams' field list (get_params, ParamGrid::add(&MlpParams::lr, ...)).
template <class P, class F>
  requires std::same_as<std::remove_const_t<P>, MlpParams>
void visit_params(P& p, F&& f) {
  f("hidden", p.hidden), f("epochs", p.epochs), f("batch_size", p.batch_size), f("optimizer", p.optimizer);
  f("lr", p.lr), f("weight_decay", p.weight_decay), f("momentum", p.momentum), f("activation", p.activation);
  f("patience", p.patience), f("seed", p.seed);
}

}  // namespace grove::model_selection

namespace grove::detail {

/// Validates MLP params with the message style of core/check.hpp.
inline void check_mlp_params(const model_selection::MlpParams& p, std::string_view op) {
  if (p.hidden.size() > 64) check_range(op, "hidden.size()", static_cast<double>(p.hidden.size()), Interval{0, 64});
  for (std::size_t i = 0; i < p.hidden.size(); ++i)
    check_range(op, "hidden[" + std::to_string(i) + "]", static_cast<double>(p.hidden[i]), Interval{1, 1 << 20});
  check_range(op, "epochs", static_cast<double>(p.epochs), Interval{1, 1 << 20});
  check_range(op, "batch_size", static_cast<double>(p.batch_size), Interval{.lo = 1});
  check_range(op, "lr", p.lr, Interval{.lo = 0, .lo_open = true});
  check_finite(op, "lr", p.lr);
  check_range(op, "weight_decay", p.weight_decay, Interval{.lo = 0});
  check_finite(op, "weight_decay", p.weight_decay);
  check_range(op, "momentum", p.momentum, Interval{0, 1, false, true});
  check_range(op, "optimizer", static_cast<double>(p.optimizer), Interval{0, 3});
  check_range(op, "activation", static_cast<double>(p.activation), Interval{0, 2});
}

/// The network, feature scaler and training loop both MLP estimators share. Copies are deep
/// (a copied model does not share weights with the original).
class MlpCore {
public:
  model_selection::MlpParams params;
  std::vector<float> mean, inv_scale;  // feature standardization learned at fit
  std::size_t n_out = 0;
  std::shared_ptr<nn::Sequential<float>> net;
  diag::History history;
  std::size_t best_epoch = 0;

  explicit MlpCore(model_selection::MlpParams p) : params(std::move(p)) {}
  MlpCore(const MlpCore& o)
      : params(o.params), mean(o.mean), inv_scale(o.inv_scale), n_out(o.n_out), history(o.history),
        best_epoch(o.best_epoch) {
    if (o.net) copy_weights_from(o);
  }
  MlpCore& operator=(const MlpCore& o) {
    if (this != &o) *this = MlpCore(o);
    return *this;
  }
  MlpCore(MlpCore&&) noexcept = default;
  MlpCore& operator=(MlpCore&&) noexcept = default;

  bool fitted() const noexcept { return net != nullptr; }
  std::size_t n_features() const noexcept { return mean.size(); }

  void build(std::size_t d, std::size_t out) {
    Rng rng(params.seed);
    auto seq = std::make_shared<nn::Sequential<float>>();
    std::size_t prev = d;
    for (std::size_t h : params.hidden) {
      seq->add(nn::Linear<float>(prev, h, rng));
      switch (params.activation) {
        case model_selection::MlpActivation::ReLU: seq->add(nn::ReLU<float>()); break;
        case model_selection::MlpActivation::Tanh: seq->add(nn::Tanh<float>()); break;
        case model_selection::MlpActivation::GELU: seq->add(nn::GELU<float>()); break;
      }
      prev = h;
    }
    seq->add(nn::Linear<float>(prev, out, rng));
    net = std::move(seq);
    n_out = out;
  }

  void fit_scaler(const Tensor<float>& X) {
    const std::size_t n = X.shape()[0], d = X.shape()[1];
    std::vector<double> sum(d, 0.0), sq(d, 0.0), cnt(d, 0.0);
    const float* x = X.data();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        const double v = x[i * d + j];
        if (std::isnan(v)) continue;
        sum[j] += v, sq[j] += v * v, cnt[j] += 1;
      }
    mean.assign(d, 0.0f);
    inv_scale.assign(d, 1.0f);
    for (std::size_t j = 0; j < d; ++j) {
      if (cnt[j] == 0) continue;
      const double m = sum[j] / cnt[j];
      const double var = std::max(0.0, sq[j] / cnt[j] - m * m);
      mean[j] = static_cast<float>(m);
      inv_scale[j] = var > 1e-24 ? static_cast<float>(1.0 / std::sqrt(var)) : 1.0f;
    }
  }

  /// Standardized rows [lo, hi) of X (NaN becomes 0, the column mean).
  Tensor<float> standardize(const float* x, std::size_t lo, std::size_t hi) const {
    const std::size_t d = mean.size();
    std::vector<float> z((hi - lo) * d);
    for (std::size_t i = lo; i < hi; ++i)
      for (std::size_t j = 0; j < d; ++j) {
        const float v = (x[i * d + j] - mean[j]) * inv_scale[j];
        z[(i - lo) * d + j] = std::isnan(v) ? 0.0f : v;
      }
    return Tensor<float>::from_vector(std::move(z), Shape{hi - lo, d});
  }

  /// Network outputs [n, n_out] for X (float, contiguous, checked), in blocks that bound memory.
  Tensor<float> outputs(const Tensor<float>& X) const {
    NoGradGuard no_grad;
    const std::size_t n = X.shape()[0];
    constexpr std::size_t kBlock = 4096;
    std::vector<float> out;
    out.reserve(n * n_out);
    for (std::size_t lo = 0; lo < n; lo += kBlock) {
      const Tensor<float> o = net->forward(standardize(X.data(), lo, std::min(n, lo + kBlock)));
      out.insert(out.end(), o.data(), o.data() + o.size());
    }
    return Tensor<float>::from_vector(std::move(out), Shape{n, n_out});
  }

  /// Trains on standardized features; `loss(out, targets)` gives the batch loss, `val_loss()`
  /// the validation loss (or NaN without validation data) after each epoch.
  template <class Loss, class ValLoss>
  void train(const Tensor<float>& X, const std::vector<float>& targets, std::size_t target_width, Loss&& loss,
             ValLoss&& val_loss, bool validate, const std::string& op) {
    const std::size_t n = X.shape()[0], d = X.shape()[1];
    const Tensor<float> Z = standardize(X.data(), 0, n);
    std::unique_ptr<optim::Optimizer<float>> opt = make_optimizer();
    diag::EarlyStopping stop({.monitor = "val_loss", .patience = std::max<std::size_t>(params.patience, 1)});
    Rng rng(params.seed ^ 0x5EEDBA7CULL);
    const std::size_t bs = std::min(params.batch_size, n), batches = (n + bs - 1) / bs;
    Progress progress(op, params.epochs * batches);
    std::vector<float> xb, tb;
    history.clear();
    best_epoch = params.epochs;
    for (std::size_t epoch = 1; epoch <= params.epochs; ++epoch) {
      net->train();
      const std::vector<std::size_t> order = rng.permutation(n);
      double loss_sum = 0;
      for (std::size_t b = 0; b < batches; ++b) {
        const std::size_t lo = b * bs, hi = std::min(n, lo + bs), m = hi - lo;
        xb.resize(m * d);
        tb.resize(m * target_width);
        for (std::size_t i = 0; i < m; ++i) {
          std::copy_n(Z.data() + order[lo + i] * d, d, xb.data() + i * d);
          std::copy_n(targets.data() + order[lo + i] * target_width, target_width, tb.data() + i * target_width);
        }
        opt->zero_grad();
        Tensor<float> l = loss((*net)(Tensor<float>::from_vector(xb, Shape{m, d})), tb, m);
        l.backward();
        opt->step();
        loss_sum += static_cast<double>(l.item()) * static_cast<double>(m);
        progress.update((epoch - 1) * batches + b + 1);
      }
      net->eval();
      history.log(epoch, "train_loss", loss_sum / static_cast<double>(n));
      if (!validate) continue;
      history.log(epoch, "val_loss", val_loss());
      if (params.patience == 0) continue;
      stop.update(history, *net);
      if (stop.should_stop()) break;
    }
    progress.finish();
    net->eval();
    if (validate && params.patience > 0 && stop.has_snapshot()) {
      stop.restore_best(*net);
      best_epoch = stop.best_step();
    }
  }

  void check_fitted(const std::string& op) const {
    if (!net) throw_value_error(op + ": the model is not fitted");
  }

  /// X as contiguous float [n, n_features()], checked against the fitted width.
  template <class TX>
  Tensor<float> input(const Tensor<TX>& X, const std::string& op) const {
    check_fitted(op);
    if (X.dim() != 2 || X.shape()[1] != mean.size())
      throw_shape_error(op + ": X has shape " + to_string(X.shape()) + ", the model expects [n," +
                        std::to_string(mean.size()) + "]");
    return X.template to<float>().contiguous();
  }

  /// One row's network outputs into `out` (n_out values).
  void row_outputs(std::span<const float> x, float* out, const std::string& op) const {
    check_fitted(op);
    if (x.size() != mean.size())
      throw_value_error(op + ": row has " + std::to_string(x.size()) + " values, the model expects " +
                        std::to_string(mean.size()));
    NoGradGuard no_grad;
    const Tensor<float> o = net->forward(standardize(x.data(), 0, 1));
    std::copy_n(o.data(), n_out, out);
  }

  void write(io::BinaryWriter& w) const {
    w.write_vector(std::vector<std::uint64_t>(params.hidden.begin(), params.hidden.end()));
    w.write<std::uint32_t>(static_cast<std::uint32_t>(params.activation));
    w.write<std::uint64_t>(n_out);
    w.write_vector(mean);
    w.write_vector(inv_scale);
    const auto ps = net->parameters();
    w.write<std::uint64_t>(ps.size());
    for (const auto& p : ps) w.write_vector(p.to_vector());
  }

  void read(io::BinaryReader& r) {
    const auto hidden = r.read_vector<std::uint64_t>(64);
    params.hidden.assign(hidden.begin(), hidden.end());
    params.activation = static_cast<model_selection::MlpActivation>(r.read<std::uint32_t>());
    const auto out = static_cast<std::size_t>(r.read<std::uint64_t>());
    mean = r.read_vector<float>(std::size_t{1} << 24);
    inv_scale = r.read_vector<float>(mean.size());
    try {
      check_mlp_params(params, "MLP.load");
    } catch (const ValueError& e) {
      r.fail(e.what());
    }
    if (out == 0 || out > kMaxClasses || mean.empty() || inv_scale.size() != mean.size())
      r.fail("inconsistent sizes");
    for (std::size_t h : params.hidden)
      if (!fits_allocation(checked_mul(h, std::max(mean.size(), std::size_t{1}), "MLP.load"), sizeof(float)))
        r.fail("hidden width " + std::to_string(h) + " is too large");
    build(mean.size(), out);
    auto ps = net->parameters();
    if (r.read<std::uint64_t>() != ps.size()) r.fail("parameter count does not match the architecture");
    for (auto& t : ps) {
      const auto v = r.read_vector<float>(t.size());
      if (v.size() != t.size()) r.fail("parameter size does not match the architecture");
      std::copy(v.begin(), v.end(), t.data());
    }
    net->eval();
  }

private:
  std::unique_ptr<optim::Optimizer<float>> make_optimizer() const {
    auto ps = net->parameters();
    switch (params.optimizer) {
      case model_selection::MlpOptimizer::Adam:
        return std::make_unique<optim::Adam<float>>(ps, optim::AdamOptions{.lr = params.lr, .weight_decay = params.weight_decay});
      case model_selection::MlpOptimizer::AdamW:
        return std::make_unique<optim::AdamW<float>>(ps, optim::AdamWOptions{.lr = params.lr, .weight_decay = params.weight_decay});
      case model_selection::MlpOptimizer::SGD:
        return std::make_unique<optim::SGD<float>>(
            ps, optim::SGDOptions{.lr = params.lr, .momentum = params.momentum, .weight_decay = params.weight_decay});
      case model_selection::MlpOptimizer::RMSprop:
        return std::make_unique<optim::RMSprop<float>>(
            ps, optim::RMSpropOptions{.lr = params.lr, .weight_decay = params.weight_decay, .momentum = params.momentum});
    }
    throw_value_error("MLP: unknown optimizer");
  }

  void copy_weights_from(const MlpCore& o) {
    build(o.mean.size(), o.n_out);
    const auto src = o.net->parameters();
    auto dst = net->parameters();
    for (std::size_t i = 0; i < dst.size(); ++i) std::copy_n(src[i].data(), src[i].size(), dst[i].data());
    if (!o.net->is_training()) net->eval();
  }
};

/// The MLP estimators train unweighted: validation weights are refused, never ignored.
template <class TX, class TY>
void refuse_validation_weights(const trees::ValidationSet<TX, TY>* val, const std::string& op) {
  if (val && !val->weight.empty())
    throw_value_error(op + ": validation weights are not supported by the MLP estimators");
}

/// Features as contiguous float [n, d] with n >= 1, d >= 1, and y with n rows.
template <class TX, class TY>
Tensor<float> mlp_fit_input(const Tensor<TX>& X, const Tensor<TY>& y, const std::string& op) {
  static_assert(std::is_floating_point_v<TX>, "MLP estimators take float or double features");
  if (X.dim() != 2 || X.shape()[0] == 0 || X.shape()[1] == 0)
    throw_shape_error(op + ": X must be 2-D and non-empty, got shape " + to_string(X.shape()));
  if (y.dim() == 0 || y.shape()[0] != X.shape()[0] || y.size() != X.shape()[0])
    throw_shape_error(op + ": X has " + std::to_string(X.shape()[0]) + " rows but y has shape " + to_string(y.shape()));
  return X.template to<float>().contiguous();
}

}  // namespace grove::detail

namespace grove::model_selection {

/// A multi-layer perceptron classifier: softmax cross-entropy, mini-batches, labels 0..k-1.
class MlpClassifier {
public:
  using Params = MlpParams;
  static constexpr const char* kName = "MlpClassifier";
  static constexpr const char* kKind = "grove.model_selection.MlpClassifier";

  explicit MlpClassifier(Params params = {}) : core_(std::move(params)) { detail::check_mlp_params(core_.params, kName); }

  const Params& params() const noexcept { return core_.params; }

  /// Fits for params.epochs epochs on X [n, d] and labels y (0..k-1).
  template <class TX, class TY>
  MlpClassifier& fit(const Tensor<TX>& X, const Tensor<TY>& y) {
    return fit_impl(X, y, static_cast<const trees::ValidationSet<TX, TY>*>(nullptr));
  }
  /// Fits with validation data: logs train_loss / val_loss per epoch and, unless
  /// params.patience is 0, stops after `patience` epochs without a better val_loss and keeps
  /// the best epoch's weights.
  template <class TX, class TY>
  MlpClassifier& fit(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>& val) {
    return fit_impl(X, y, &val);
  }

  std::size_t n_classes() const noexcept { return core_.n_out; }
  std::size_t n_features() const noexcept { return core_.n_features(); }
  /// The class labels 0..k-1.
  std::vector<std::int64_t> classes() const {
    std::vector<std::int64_t> c(core_.n_out);
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<std::int64_t>(i);
    return c;
  }
  const diag::History& history() const noexcept { return core_.history; }
  /// The epoch whose weights were kept.
  std::size_t best_epoch() const noexcept { return core_.best_epoch; }

  /// Class probabilities [n, k].
  template <class TX>
  Tensor<float> predict_proba(const Tensor<TX>& X) const {
    return softmax(core_.outputs(core_.input(X, "MlpClassifier.predict_proba")), -1);
  }
  /// Classes [n].
  template <class TX>
  Tensor<std::int64_t> predict(const Tensor<TX>& X) const {
    const Tensor<float> o = core_.outputs(core_.input(X, "MlpClassifier.predict"));
    const std::size_t n = o.shape()[0], k = core_.n_out;
    std::vector<std::int64_t> out(n);
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<std::int64_t>(std::max_element(o.data() + i * k, o.data() + (i + 1) * k) - (o.data() + i * k));
    return Tensor<std::int64_t>::from_vector(std::move(out), Shape{n});
  }
  /// The class of one row.
  std::int64_t predict_row(std::span<const float> x) const {
    std::vector<float> o(core_.n_out);
    core_.row_outputs(x, o.data(), "MlpClassifier.predict_row");
    return static_cast<std::int64_t>(std::max_element(o.begin(), o.end()) - o.begin());
  }

  /// Saves architecture, scaler and weights in grove's checksummed container.
  void save(const std::string& path) const {
    core_.check_fitted("MlpClassifier.save");
    io::BinaryWriter w;
    core_.write(w);
    w.save(path, kKind, 1);
  }
  /// Loads a model written by save(); a bad or foreign file is a FormatError.
  static MlpClassifier load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, kKind, 1);
    MlpClassifier m;
    m.core_.read(r);
    if (m.core_.n_out < 2) r.fail("class count " + std::to_string(m.core_.n_out) + " is below 2");
    r.expect_end();
    return m;
  }

private:
  template <class TX, class TY>
  MlpClassifier& fit_impl(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>* val) {
    const std::string op = "MlpClassifier.fit";
    detail::refuse_validation_weights(val, op);
    const Tensor<float> Xf = detail::mlp_fit_input(X, y, op);
    const Tensor<TY> yc = y.contiguous();
    const detail::ClassLabels labels = detail::class_labels(yc.data(), yc.size(), op, "y");
    const std::size_t k = std::max<std::size_t>(2, labels.n_classes);
    std::vector<float> targets(labels.index.begin(), labels.index.end());
    Tensor<float> Xv;
    std::vector<std::int32_t> yv;
    if (val) {
      Xv = detail::mlp_fit_input(val->X, val->y, op + " (validation)");
      if (Xv.shape()[1] != Xf.shape()[1])
        detail::throw_shape_error(op + ": X_val has " + std::to_string(Xv.shape()[1]) + " features, X has " +
                                  std::to_string(Xf.shape()[1]));
      const Tensor<TY> yvc = val->y.contiguous();
      yv = detail::class_labels(yvc.data(), yvc.size(), op, "y_val", {.n_classes = k}).index;
    }
    core_.fit_scaler(Xf);
    core_.build(Xf.shape()[1], k);
    auto loss = [](const Tensor<float>& logits, const std::vector<float>& t, std::size_t m) {
      return nn::cross_entropy(logits, Tensor<float>::from_vector(t, Shape{m}));
    };
    auto val_loss = [&] {
      const Tensor<float> p = softmax(core_.outputs(Xv), -1);
      double s = 0;
      for (std::size_t i = 0; i < yv.size(); ++i)
        s -= std::log(std::max(static_cast<double>(p.data()[i * k + static_cast<std::size_t>(yv[i])]), 1e-15));
      return s / static_cast<double>(yv.size());
    };
    core_.train(Xf, targets, 1, loss, val_loss, val != nullptr, op);
    return *this;
  }

  detail::MlpCore core_;
};

/// A multi-layer perceptron regressor: squared error on a standardized target, mini-batches.
class MlpRegressor {
public:
  using Params = MlpParams;
  static constexpr const char* kName = "MlpRegressor";
  static constexpr const char* kKind = "grove.model_selection.MlpRegressor";

  explicit MlpRegressor(Params params = {}) : core_(std::move(params)) { detail::check_mlp_params(core_.params, kName); }

  const Params& params() const noexcept { return core_.params; }

  template <class TX, class TY>
  MlpRegressor& fit(const Tensor<TX>& X, const Tensor<TY>& y) {
    return fit_impl(X, y, static_cast<const trees::ValidationSet<TX, TY>*>(nullptr));
  }
  /// Fits with validation data (val_loss is the mean squared error), early stopping as MlpClassifier.
  template <class TX, class TY>
  MlpRegressor& fit(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>& val) {
    return fit_impl(X, y, &val);
  }

  std::size_t n_features() const noexcept { return core_.n_features(); }
  const diag::History& history() const noexcept { return core_.history; }
  std::size_t best_epoch() const noexcept { return core_.best_epoch; }

  /// Predictions [n].
  template <class TX>
  Tensor<float> predict(const Tensor<TX>& X) const {
    const Tensor<float> o = core_.outputs(core_.input(X, "MlpRegressor.predict"));
    std::vector<float> out(o.shape()[0]);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = unscale(o.data()[i]);
    return Tensor<float>::from_vector(std::move(out), Shape{out.size()});
  }
  /// Prediction for one row.
  float predict_row(std::span<const float> x) const {
    float o = 0;
    core_.row_outputs(x, &o, "MlpRegressor.predict_row");
    return unscale(o);
  }

  void save(const std::string& path) const {
    core_.check_fitted("MlpRegressor.save");
    io::BinaryWriter w;
    core_.write(w);
    w.write<double>(y_mean_);
    w.write<double>(y_scale_);
    w.save(path, kKind, 1);
  }
  static MlpRegressor load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, kKind, 1);
    MlpRegressor m;
    m.core_.read(r);
    m.y_mean_ = r.read<double>();
    m.y_scale_ = r.read<double>();
    if (m.core_.n_out != 1 || !std::isfinite(m.y_mean_) || !(m.y_scale_ > 0) || !std::isfinite(m.y_scale_))
      r.fail("bad output layer or target scale");
    r.expect_end();
    return m;
  }

private:
  float unscale(float v) const noexcept { return static_cast<float>(v * y_scale_ + y_mean_); }

  template <class TY>
  static std::vector<double> targets_of(const Tensor<TY>& y, const std::string& op, const char* name) {
    const Tensor<double> yd = y.template to<double>().contiguous();
    std::vector<double> t(yd.data(), yd.data() + yd.size());
    for (std::size_t i = 0; i < t.size(); ++i)
      if (!std::isfinite(t[i]))
        detail::throw_value_error(op + ": " + name + "[" + std::to_string(i) + "] = " + format_number(t[i]) +
                                  " is not finite");
    return t;
  }

  template <class TX, class TY>
  MlpRegressor& fit_impl(const Tensor<TX>& X, const Tensor<TY>& y, const trees::ValidationSet<TX, TY>* val) {
    const std::string op = "MlpRegressor.fit";
    detail::refuse_validation_weights(val, op);
    const Tensor<float> Xf = detail::mlp_fit_input(X, y, op);
    const std::vector<double> t = targets_of(y, op, "y");
    double m = 0, ss = 0;
    for (double v : t) m += v;
    m /= static_cast<double>(t.size());
    for (double v : t) ss += (v - m) * (v - m);
    y_mean_ = m;
    y_scale_ = ss > 0 ? std::sqrt(ss / static_cast<double>(t.size())) : 1.0;
    std::vector<float> targets(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) targets[i] = static_cast<float>((t[i] - y_mean_) / y_scale_);
    Tensor<float> Xv;
    std::vector<double> yv;
    if (val) {
      Xv = detail::mlp_fit_input(val->X, val->y, op + " (validation)");
      if (Xv.shape()[1] != Xf.shape()[1])
        detail::throw_shape_error(op + ": X_val has " + std::to_string(Xv.shape()[1]) + " features, X has " +
                                  std::to_string(Xf.shape()[1]));
      yv = targets_of(val->y, op, "y_val");
    }
    core_.fit_scaler(Xf);
    core_.build(Xf.shape()[1], 1);
    auto loss = [](const Tensor<float>& out, const std::vector<float>& tb, std::size_t rows) {
      return nn::mse_loss(out, Tensor<float>::from_vector(tb, Shape{rows, 1}));
    };
    auto val_loss = [&] {
      const Tensor<float> o = core_.outputs(Xv);
      double s = 0;
      for (std::size_t i = 0; i < yv.size(); ++i) {
        const double e = unscale(o.data()[i]) - yv[i];
        s += e * e;
      }
      return s / static_cast<double>(yv.size());
    };
    core_.train(Xf, targets, 1, loss, val_loss, val != nullptr, op);
    return *this;
  }

  detail::MlpCore core_;
  double y_mean_ = 0, y_scale_ = 1;
};

}  // namespace grove::model_selection

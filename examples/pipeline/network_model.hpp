#pragma once
// The pipeline's MLP candidate: a dense network built from a grove::serving::NetworkSpec, trained
// with the public nn / optim pieces and saved with grove::serving::save_network, so the
// model.grove it writes is what grove-serve and grove-predict load (kind grove.serving.Network).
// Inputs are the data set's columns as load_csv encodes them (category codes for categorical
// columns); the spec one-hot encodes categorical columns (or feeds their codes as numbers) and
// standardises every input, exactly as serving::Network does when it predicts.

#include <grove/autograd/node.hpp>
#include <grove/core/error.hpp>
#include <grove/core/rng.hpp>
#include <grove/data/schema.hpp>
#include <grove/diagnostics/early_stopping.hpp>
#include <grove/diagnostics/history.hpp>
#include <grove/nn/loss.hpp>
#include <grove/nn/sequential.hpp>
#include <grove/optim/adam.hpp>
#include <grove/serving/network.hpp>
#include <grove/tensor.hpp>
#include <grove/trees/input.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pipeline {

/// Settings of the MLP candidate.
struct NetworkParams {
  std::vector<std::size_t> hidden = {128};  ///< hidden layer widths (ReLU after each)
  std::size_t epochs = 30;                  ///< at most; early stopping usually ends sooner
  std::size_t batch_size = 128;
  double lr = 2e-3;                         ///< Adam learning rate
  std::size_t patience = 5;                 ///< epochs without a better validation loss before stopping
  bool one_hot = true;                      ///< categorical columns as one-hot blocks (else their codes)
  std::uint64_t seed = 0;
};

/// A dense network classifier (Classifier = true) or regressor on the columns of `schema`.
template <bool Classifier>
class NetworkModel {
public:
  static constexpr const char* kName = Classifier ? "MLP classifier" : "MLP regressor";

  NetworkModel(NetworkParams params, grove::data::Schema schema) : params_(std::move(params)), schema_(std::move(schema)) {}

  /// A configured, unfitted copy.
  NetworkModel clone() const { return NetworkModel(params_, schema_); }
  const NetworkParams& params() const noexcept { return params_; }

  NetworkModel& fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y) { return fit_impl(X, y, nullptr); }
  /// Fits with validation data: train_loss / val_loss per epoch, early stopping, best epoch kept.
  NetworkModel& fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y,
                    const grove::trees::ValidationSet<float, float>& val) {
    return fit_impl(X, y, &val);
  }

  /// Classes (classifier) or values (regressor), computed as serving::Network computes them.
  grove::Tensor<double> predict(const grove::Tensor<float>& X) const {
    const grove::Tensor<float> o = outputs(X);
    const std::size_t n = o.shape()[0], k = spec_.n_outputs();
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i) {
      const float* r = o.data() + i * k;
      out[i] = Classifier ? static_cast<double>(std::max_element(r, r + k) - r)
                          : static_cast<double>(r[0]) * spec_.target_std + spec_.target_mean;
    }
    return grove::Tensor<double>::from_vector(std::move(out), grove::Shape{n});
  }
  /// Class probabilities [n, k].
  grove::Tensor<float> predict_proba(const grove::Tensor<float>& X) const
    requires Classifier
  {
    return grove::softmax(outputs(X), -1);
  }
  double predict_row(std::span<const float> x) const {
    const auto row = grove::Tensor<float>::from_vector(std::vector<float>(x.begin(), x.end()), grove::Shape{1, x.size()});
    return predict(row).data()[0];
  }

  const grove::diag::History& history() const noexcept { return history_; }
  /// The epoch whose weights were kept, and the epochs run.
  std::size_t best_epoch() const noexcept { return best_epoch_; }
  std::size_t epochs_run() const noexcept { return epochs_run_; }

  /// Writes the network with its architecture and schema (grove.serving.Network).
  void save(const std::string& path) const {
    check_fitted("save");
    grove::serving::save_network(path, spec_, *net_);
  }

private:
  void check_fitted(const char* op) const {
    if (!net_) throw grove::ValueError(std::string(kName) + "." + op + ": the model is not fitted");
  }

  // Network inputs of n rows before standardisation: one-hot blocks or codes, NaN kept.
  std::vector<float> raw_inputs(const float* X, std::size_t n) const {
    const std::size_t d = schema_.n_features(), width = spec_.n_inputs();
    std::vector<float> in(n * width, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
      float* z = in.data() + i * width;
      std::size_t at = 0;
      for (std::size_t j = 0; j < d; ++j) {
        const grove::data::Column& c = schema_.features[j];
        const float x = X[i * d + j];
        if (spec_.one_hot && c.kind == grove::data::ColumnKind::Categorical) {
          if (x >= 0 && x < static_cast<float>(c.categories.size())) z[at + static_cast<std::size_t>(x)] = 1.0f;
          at += c.categories.size();
        } else {
          z[at++] = x;
        }
      }
    }
    return in;
  }

  // Standardised inputs as a tensor [n, width]; a missing value becomes 0 (the column mean).
  grove::Tensor<float> inputs(const float* X, std::size_t n) const {
    std::vector<float> in = raw_inputs(X, n);
    const std::size_t width = spec_.n_inputs();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < width; ++k) {
        float& z = in[i * width + k];
        const float v = (z - spec_.input_mean[k]) * spec_.input_inv_std[k];
        z = std::isnan(v) ? 0.0f : v;
      }
    return grove::Tensor<float>::from_vector(std::move(in), grove::Shape{n, width});
  }

  grove::Tensor<float> outputs(const grove::Tensor<float>& X) const {
    check_fitted("predict");
    if (X.dim() != 2 || X.shape()[1] != schema_.n_features())
      throw grove::ShapeError(std::string(kName) + ".predict: X has shape " + grove::to_string(X.shape()) +
                              ", the model expects [n," + std::to_string(schema_.n_features()) + "]");
    const grove::Tensor<float> Xc = X.contiguous();
    grove::NoGradGuard no_grad;
    return net_->forward(inputs(Xc.data(), Xc.shape()[0])).contiguous();
  }

  // The spec: architecture, one-hot, input and target scaling from the training rows.
  void make_spec(const grove::Tensor<float>& X, const grove::Tensor<float>& y) {
    spec_ = {};
    spec_.schema = schema_;
    spec_.task = Classifier ? grove::serving::Task::Classification : grove::serving::Task::Regression;
    spec_.n_classes = Classifier ? schema_.class_names.size() : 0;
    spec_.one_hot = params_.one_hot;
    spec_.hidden = params_.hidden;
    spec_.activations.assign(params_.hidden.size(), grove::serving::Activation::ReLU);
    const std::size_t n = X.shape()[0], width = spec_.n_inputs();
    const std::vector<float> raw = raw_inputs(X.data(), n);
    spec_.input_mean.assign(width, 0.0f);
    spec_.input_inv_std.assign(width, 1.0f);
    for (std::size_t k = 0; k < width; ++k) {
      double s = 0, ss = 0;
      std::size_t m = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double v = raw[i * width + k];
        if (std::isnan(v)) continue;
        s += v, ss += v * v, ++m;
      }
      if (m == 0) continue;
      const double mean = s / static_cast<double>(m), var = std::max(0.0, ss / static_cast<double>(m) - mean * mean);
      spec_.input_mean[k] = static_cast<float>(mean);
      spec_.input_inv_std[k] = var > 1e-12 ? static_cast<float>(1.0 / std::sqrt(var)) : 1.0f;
    }
    if constexpr (!Classifier) {
      double s = 0, ss = 0;
      for (std::size_t i = 0; i < n; ++i) s += y.data()[i], ss += double(y.data()[i]) * y.data()[i];
      const double mean = s / static_cast<double>(n), var = std::max(0.0, ss / static_cast<double>(n) - mean * mean);
      spec_.target_mean = static_cast<float>(mean);
      spec_.target_std = var > 0 ? static_cast<float>(std::sqrt(var)) : 1.0f;
    }
    grove::serving::check_network_spec(spec_);
  }

  // Training targets: class indices, or standardised values.
  std::vector<float> targets(const grove::Tensor<float>& y) const {
    std::vector<float> t(y.data(), y.data() + y.size());
    if constexpr (!Classifier)
      for (float& v : t) v = (v - spec_.target_mean) / spec_.target_std;
    return t;
  }

  grove::Tensor<float> loss(const grove::Tensor<float>& out, std::vector<float> t) const {
    const std::size_t m = t.size();
    if constexpr (Classifier) return grove::nn::cross_entropy(out, grove::Tensor<float>::from_vector(std::move(t), grove::Shape{m}));
    else return grove::nn::mse_loss(out, grove::Tensor<float>::from_vector(std::move(t), grove::Shape{m, 1}));
  }

  NetworkModel& fit_impl(const grove::Tensor<float>& X0, const grove::Tensor<float>& y0,
                         const grove::trees::ValidationSet<float, float>* val) {
    const grove::Tensor<float> X = X0.contiguous(), y = y0.contiguous();
    if (X.dim() != 2 || X.shape()[1] != schema_.n_features() || y.size() != X.shape()[0] || X.shape()[0] == 0)
      throw grove::ShapeError(std::string(kName) + ".fit: X " + grove::to_string(X.shape()) + " and y " +
                              grove::to_string(y.shape()) + " do not match the schema's " +
                              std::to_string(schema_.n_features()) + " features");
    make_spec(X, y);
    grove::Rng rng(params_.seed);
    net_ = std::make_shared<grove::nn::Sequential<float>>(grove::serving::make_network(spec_, rng));
    const std::size_t n = X.shape()[0], width = spec_.n_inputs();
    const grove::Tensor<float> Z = inputs(X.data(), n);
    const std::vector<float> t = targets(y);
    grove::Tensor<float> Zv;
    std::vector<float> tv;
    if (val) {
      const grove::Tensor<float> Xv = val->X.contiguous(), yv = val->y.contiguous();
      Zv = inputs(Xv.data(), Xv.shape()[0]);
      tv = targets(yv);
    }
    grove::optim::Adam<float> opt(net_->parameters(), {.lr = params_.lr});
    grove::diag::EarlyStopping stop({.monitor = "val_loss", .patience = std::max<std::size_t>(params_.patience, 1)});
    // At least ~16 steps an epoch on small data, so a few epochs already train.
    const std::size_t bs = std::clamp<std::size_t>(n / 16, std::min<std::size_t>(16, n), std::max<std::size_t>(params_.batch_size, 1));
    const std::size_t batches = (n + bs - 1) / bs;
    std::vector<float> xb, tb;
    history_.clear();
    best_epoch_ = epochs_run_ = 0;
    for (std::size_t epoch = 1; epoch <= params_.epochs; ++epoch) {
      net_->train();
      const std::vector<std::size_t> order = rng.permutation(n);
      double loss_sum = 0;
      for (std::size_t b = 0; b < batches; ++b) {
        const std::size_t lo = b * bs, m = std::min(n, lo + bs) - lo;
        xb.resize(m * width);
        tb.resize(m);
        for (std::size_t i = 0; i < m; ++i) {
          std::copy_n(Z.data() + order[lo + i] * width, width, xb.data() + i * width);
          tb[i] = t[order[lo + i]];
        }
        opt.zero_grad();
        grove::Tensor<float> l = loss((*net_)(grove::Tensor<float>::from_vector(xb, grove::Shape{m, width})), tb);
        l.backward();
        opt.step();
        loss_sum += static_cast<double>(l.item()) * static_cast<double>(m);
      }
      net_->eval();
      epochs_run_ = best_epoch_ = epoch;
      history_.log(epoch, "train_loss", loss_sum / static_cast<double>(n));
      if (!val) continue;
      double vl = 0;
      {
        grove::NoGradGuard no_grad;
        vl = static_cast<double>(loss(net_->forward(Zv), tv).item());
      }
      history_.log(epoch, "val_loss", vl);
      stop.update(history_, *net_);
      if (stop.should_stop()) break;
    }
    net_->eval();
    if (val && stop.has_snapshot()) {
      stop.restore_best(*net_);
      best_epoch_ = stop.best_step();
    }
    return *this;
  }

  NetworkParams params_;
  grove::data::Schema schema_;
  grove::serving::NetworkSpec spec_;
  // nn::Module::forward is not const; in eval mode without gradients it changes nothing.
  std::shared_ptr<grove::nn::Sequential<float>> net_;
  grove::diag::History history_;
  std::size_t best_epoch_ = 0, epochs_run_ = 0;
};

using NetworkClassifier = NetworkModel<true>;
using NetworkRegressor = NetworkModel<false>;

}  // namespace pipeline

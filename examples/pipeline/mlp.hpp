#pragma once
// MlpClassifier: a small multi-layer perceptron with the same surface as grove's tree
// classifiers (fit, fit with validation + early stopping, predict, predict_proba, predict_row,
// history, save, load), so the pipeline can treat all three model families alike.
//
// Features are standardised inside the model (mean/scale learned at fit, saved with the
// weights); a missing value (NaN) becomes 0 after standardisation, i.e. the column mean.

#include <grove/autograd.hpp>
#include <grove/core/error.hpp>
#include <grove/core/progress.hpp>
#include <grove/core/rng.hpp>
#include <grove/data/scaler.hpp>
#include <grove/diagnostics/early_stopping.hpp>
#include <grove/diagnostics/history.hpp>
#include <grove/io/binary.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pipeline {

/// Settings of MlpClassifier.
struct MlpParams {
  std::vector<std::size_t> hidden = {128};  ///< hidden layer widths (ReLU after each)
  std::size_t epochs = 10;                  ///< passes over the training data (upper bound with early stopping)
  std::size_t batch_size = 128;
  double lr = 1e-3;                         ///< Adam learning rate
  double weight_decay = 0.0;
  std::size_t patience = 3;                 ///< epochs without a better val_loss before stopping
  std::uint64_t seed = 0;
};

/// A multi-layer perceptron classifier (softmax cross-entropy, Adam, mini-batches).
class MlpClassifier {
public:
  static constexpr const char* kKind = "grove-pipeline.MlpClassifier";

  explicit MlpClassifier(MlpParams params = {}) : params_(std::move(params)) {
    if (params_.epochs == 0 || params_.batch_size == 0)
      grove::detail::throw_value_error("MlpClassifier: epochs and batch_size must be >= 1");
    for (std::size_t h : params_.hidden)
      if (h == 0) grove::detail::throw_value_error("MlpClassifier: hidden layer widths must be >= 1");
  }

  const MlpParams& params() const noexcept { return params_; }

  /// Fits for params.epochs epochs on X (n x d) and labels y (0..k-1).
  MlpClassifier& fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y) {
    return fit_impl(X, y, nullptr, nullptr);
  }
  /// Fits, logging train_loss / val_loss per epoch; stops after `patience` epochs without a
  /// better val_loss and keeps the weights of the best epoch.
  MlpClassifier& fit(const grove::Tensor<float>& X, const grove::Tensor<float>& y, const grove::Tensor<float>& X_val,
                     const grove::Tensor<float>& y_val) {
    return fit_impl(X, y, &X_val, &y_val);
  }

  std::size_t n_classes() const noexcept { return n_classes_; }
  std::size_t n_features() const noexcept { return mean_.size(); }
  const grove::diag::History& history() const noexcept { return history_; }
  /// Epoch whose weights were kept.
  std::size_t best_epoch() const noexcept { return best_epoch_; }

  /// Class probabilities (n x k).
  grove::Tensor<float> predict_proba(const grove::Tensor<float>& X) const {
    check_fitted("predict_proba");
    grove::NoGradGuard no_grad;
    const std::size_t n = X.shape()[0];
    constexpr std::size_t kBlock = 4096;  // bounds the activations' memory
    std::vector<float> out;
    out.reserve(n * n_classes_);
    for (std::size_t lo = 0; lo < n; lo += kBlock) {
      const std::size_t hi = std::min(n, lo + kBlock);
      const grove::Tensor<float> p = grove::softmax(net_->forward(standardise(X, lo, hi)), -1);
      out.insert(out.end(), p.data(), p.data() + p.size());
    }
    return grove::Tensor<float>::from_vector(std::move(out), grove::Shape{n, n_classes_});
  }

  /// Predicted classes (n).
  grove::Tensor<std::int64_t> predict(const grove::Tensor<float>& X) const {
    const grove::Tensor<float> p = predict_proba(X);
    const std::size_t n = p.shape()[0], k = n_classes_;
    std::vector<std::int64_t> out(n);
    for (std::size_t i = 0; i < n; ++i) {
      const float* r = p.data() + i * k;
      out[i] = static_cast<std::int64_t>(std::max_element(r, r + k) - r);
    }
    return grove::Tensor<std::int64_t>::from_vector(std::move(out));
  }

  /// Class of one row.
  std::int64_t predict_row(std::span<const float> x) const {
    check_fitted("predict_row");
    if (x.size() != mean_.size())
      grove::detail::throw_value_error("MlpClassifier.predict_row: row has " + std::to_string(x.size()) +
                                       " values, the model " + std::to_string(mean_.size()));
    grove::NoGradGuard no_grad;
    std::vector<float> z(x.size());
    for (std::size_t j = 0; j < x.size(); ++j) z[j] = scale_one(x[j], j);
    const grove::Tensor<float> logits =
        net_->forward(grove::Tensor<float>::from_vector(std::move(z), grove::Shape{1, x.size()}));
    const float* r = logits.data();
    return static_cast<std::int64_t>(std::max_element(r, r + n_classes_) - r);
  }

  /// Saves architecture, scaler and weights in grove's binary container.
  void save(const std::string& path) const {
    check_fitted("save");
    grove::io::BinaryWriter w;
    w.write_vector(std::vector<std::uint64_t>(params_.hidden.begin(), params_.hidden.end()));
    w.write<std::uint64_t>(n_classes_);
    w.write_vector(mean_);
    w.write_vector(inv_scale_);
    const auto params = net_->parameters();
    w.write<std::uint64_t>(params.size());
    for (const auto& p : params) w.write_vector(p.to_vector());
    w.save(path, kKind, 1);
  }

  /// Loads a model written by save(); FormatError for a bad or foreign file.
  static MlpClassifier load(const std::string& path) {
    grove::io::BinaryReader r = grove::io::BinaryReader::open(path, kKind, 1);
    const auto hidden = r.read_vector<std::uint64_t>(64);
    MlpParams p;
    p.hidden.assign(hidden.begin(), hidden.end());
    for (std::size_t h : p.hidden)
      if (h == 0 || h > (1u << 20)) r.fail("bad hidden width " + std::to_string(h));
    MlpClassifier m(p);
    m.n_classes_ = static_cast<std::size_t>(r.read<std::uint64_t>());
    m.mean_ = r.read_vector<float>();
    m.inv_scale_ = r.read_vector<float>();
    if (m.n_classes_ < 2 || m.n_classes_ > (1u << 20) || m.mean_.empty() || m.inv_scale_.size() != m.mean_.size())
      r.fail("inconsistent sizes");
    m.build(m.mean_.size(), 0);
    auto params = m.net_->parameters();
    if (r.read<std::uint64_t>() != params.size()) r.fail("parameter count does not match the architecture");
    for (auto& t : params) {
      const auto v = r.read_vector<float>(t.size());
      if (v.size() != t.size()) r.fail("parameter size does not match the architecture");
      std::copy(v.begin(), v.end(), t.data());
    }
    r.expect_end();
    m.net_->eval();
    return m;
  }

private:
  void check_fitted(const char* op) const {
    if (!net_) grove::detail::throw_value_error(std::string("MlpClassifier.") + op + ": the model is not fitted");
  }

  float scale_one(float v, std::size_t j) const noexcept {
    const float z = (v - mean_[j]) * inv_scale_[j];
    return std::isnan(z) ? 0.0f : z;
  }

  grove::Tensor<float> standardise(const grove::Tensor<float>& X, std::size_t lo, std::size_t hi) const {
    const std::size_t d = mean_.size();
    if (X.dim() != 2 || X.shape()[1] != d)
      grove::detail::throw_shape_error("MlpClassifier: X has shape " + grove::to_string(X.shape()) +
                                       ", the model expects [n," + std::to_string(d) + "]");
    const grove::Tensor<float> c = X.contiguous();
    std::vector<float> z((hi - lo) * d);
    for (std::size_t i = lo; i < hi; ++i)
      for (std::size_t j = 0; j < d; ++j) z[(i - lo) * d + j] = scale_one(c.data()[i * d + j], j);
    return grove::Tensor<float>::from_vector(std::move(z), grove::Shape{hi - lo, d});
  }

  void build(std::size_t d, std::uint64_t seed) {
    grove::Rng rng(seed);
    net_ = std::make_shared<grove::nn::Sequential<float>>();
    std::size_t in = d;
    for (std::size_t h : params_.hidden) {
      net_->add(grove::nn::Linear<float>(in, h, rng));
      net_->add(grove::nn::ReLU());
      in = h;
    }
    net_->add(grove::nn::Linear<float>(in, n_classes_, rng));
  }

  static std::size_t count_classes(const grove::Tensor<float>& y) {
    float mx = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const float v = y.data()[i];
      if (!(v >= 0) || v != std::floor(v))
        grove::detail::throw_value_error("MlpClassifier.fit: labels must be 0..k-1, got " + std::to_string(v));
      mx = std::max(mx, v);
    }
    return static_cast<std::size_t>(mx) + 1;
  }

  double mean_loss(const grove::Tensor<float>& X, const grove::Tensor<float>& y) const {
    const grove::Tensor<float> p = predict_proba(X);
    const std::size_t n = y.size(), k = n_classes_;
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<std::size_t>(y.data()[i]);
      const double pi = c < k ? p.data()[i * k + c] : 0.0;
      s -= std::log(std::max(pi, 1e-15));
    }
    return s / static_cast<double>(n);
  }

  MlpClassifier& fit_impl(const grove::Tensor<float>& X, const grove::Tensor<float>& y, const grove::Tensor<float>* Xv,
                          const grove::Tensor<float>* yv) {
    if (X.dim() != 2 || y.dim() != 1 || y.shape()[0] != X.shape()[0] || X.shape()[0] == 0)
      grove::detail::throw_shape_error("MlpClassifier.fit: X " + grove::to_string(X.shape()) + " and y " +
                                       grove::to_string(y.shape()) + " do not fit together");
    const std::size_t n = X.shape()[0], d = X.shape()[1];
    n_classes_ = std::max<std::size_t>(2, count_classes(y));
    grove::data::StandardScaler<float> scaler;
    scaler.fit(X);
    mean_.assign(scaler.mean().begin(), scaler.mean().end());
    inv_scale_.resize(d);
    for (std::size_t j = 0; j < d; ++j) inv_scale_[j] = static_cast<float>(1.0 / scaler.scale()[j]);
    build(d, params_.seed);
    history_ = {};
    const grove::Tensor<float> Z = standardise(X, 0, n);
    const grove::Tensor<float> yc = y.contiguous();

    grove::optim::Adam<float> opt(net_->parameters(), {.lr = params_.lr, .weight_decay = params_.weight_decay});
    grove::diag::EarlyStopping stop({.monitor = "val_loss", .patience = params_.patience});
    grove::Rng rng(params_.seed ^ 0x5eedULL);
    const std::size_t bs = std::min(params_.batch_size, n);
    const std::size_t batches = (n + bs - 1) / bs;
    grove::Progress progress("MLP.fit", params_.epochs * batches);
    std::vector<float> xb, yb;
    best_epoch_ = params_.epochs;
    for (std::size_t epoch = 1; epoch <= params_.epochs; ++epoch) {
      net_->train();
      const std::vector<std::size_t> order = rng.permutation(n);
      double loss_sum = 0;
      for (std::size_t b = 0; b < batches; ++b) {
        const std::size_t lo = b * bs, hi = std::min(n, lo + bs);
        xb.resize((hi - lo) * d);
        yb.resize(hi - lo);
        for (std::size_t i = lo; i < hi; ++i) {
          std::copy(Z.data() + order[i] * d, Z.data() + (order[i] + 1) * d, xb.data() + (i - lo) * d);
          yb[i - lo] = yc.data()[order[i]];
        }
        opt.zero_grad();
        grove::Tensor<float> loss = grove::nn::cross_entropy(
            (*net_)(grove::Tensor<float>::from_vector(xb, grove::Shape{hi - lo, d})), grove::Tensor<float>::from_vector(yb));
        loss.backward();
        opt.step();
        loss_sum += static_cast<double>(loss.item()) * static_cast<double>(hi - lo);
        progress.update((epoch - 1) * batches + b + 1);
      }
      net_->eval();
      if (Xv) {
        history_.log(epoch, "train_loss", loss_sum / static_cast<double>(n));
        history_.log(epoch, "val_loss", mean_loss(*Xv, *yv));
        stop.update(history_, *net_);
        if (stop.should_stop()) break;
      }
    }
    progress.finish();
    net_->eval();
    if (Xv && stop.has_snapshot()) {
      stop.restore_best(*net_);
      best_epoch_ = stop.best_step();
    }
    return *this;
  }

  MlpParams params_;
  std::size_t n_classes_ = 0;
  std::vector<float> mean_, inv_scale_;
  // Forward passes are non-const in nn::Module; predictions do not change the weights.
  std::shared_ptr<grove::nn::Sequential<float>> net_;
  grove::diag::History history_;
  std::size_t best_epoch_ = 0;
};

}  // namespace pipeline

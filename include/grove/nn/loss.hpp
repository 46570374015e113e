#pragma once
/// \file Losses as fused ops (one node each, a mean over samples): mse_loss, cross_entropy
/// (log-softmax + negative log-likelihood, stable for any logit size) and bce_with_logits
/// (binary cross-entropy on logits, stable for any logit size).
///
/// Weights: every loss takes an optional per-sample weight s_i (first axis), cross_entropy also
/// per-class weights c_k. With w_i = s_i * c_{y_i} the loss is the weighted mean
///   sum_i w_i * l_i / sum_i w_i,
/// scikit-learn's sample_weight semantics and PyTorch's for class weights (weight=...); all ones
/// give the plain mean. Weights must be finite, >= 0, and not all zero.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/detail/intervals.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

/// Options of mse_loss and bce_with_logits.
template <class T>
struct LossOptions {
  std::optional<Tensor<T>> sample_weight{};  ///< [n], one weight per sample (first axis of the input)
};

/// Options of cross_entropy.
template <class T>
struct CrossEntropyOptions {
  std::optional<Tensor<T>> sample_weight{};  ///< [n], one weight per sample
  std::optional<Tensor<T>> class_weight{};  ///< [k], one weight per class (e.g. balanced_class_weight)
};

}  // namespace grove::nn

namespace grove::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_loss_shapes(const char* op, const char* a_name, const Shape& a,
                                                                     const char* b_name, const Shape& b) {
  throw_shape_error(std::string(op) + ": " + a_name + " " + to_string(a) + " and " + b_name + " " + to_string(b) +
                    " must have the same shape");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_empty_loss(const char* op) {
  throw_value_error(std::string(op) + ": empty input (the mean of no elements is undefined)");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_weight_shape(const char* op, const char* name,
                                                                      const Shape& w, const char* want_name,
                                                                      std::size_t want, const Shape& input) {
  throw_shape_error(std::string(op) + ": " + name + " " + to_string(w) + " does not match input " + to_string(input) +
                    " (expected [" + std::to_string(want) + "], one per " + want_name + ")");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_zero_weights(const char* op) {
  throw_value_error(std::string(op) + ": the weights sum to 0 (at least one sample needs a positive weight)");
}

/// A weight vector's values, checked: shape [want], each finite and >= 0.
template <class T>
std::vector<double> checked_weights(const char* op, const char* name, const Tensor<T>& w, std::size_t want,
                                    const char* per, const Shape& input) {
  if (w.dim() != 1 || w.shape()[0] != want) throw_weight_shape(op, name, w.shape(), per, want, input);
  const std::vector<T> v = w.to_vector();
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    out[i] = static_cast<double>(v[i]);
    check_range(op, std::string(name) + "[" + std::to_string(i) + "]", out[i], kNonNegative);
  }
  return out;
}

/// Per-sample coefficients w_i / sum(w) (or 1/n without weights); `labels` picks class weights.
template <class T>
std::vector<double> sample_coefficients(const char* op, std::size_t n, const Shape& input,
                                        const std::optional<Tensor<T>>& sample_weight,
                                        const std::optional<Tensor<T>>& class_weight = std::nullopt,
                                        const ClassLabels* labels = nullptr, std::size_t k = 0) {
  std::vector<double> w(n, 1.0);
  if (sample_weight) w = checked_weights(op, "sample_weight", *sample_weight, n, "sample", input);
  if (class_weight) {
    const std::vector<double> c = checked_weights(op, "class_weight", *class_weight, k, "class", input);
    for (std::size_t i = 0; i < n; ++i) w[i] *= c[static_cast<std::size_t>(labels->index[i])];
  }
  double total = 0;
  for (double v : w) total += v;
  if (!(total > 0)) throw_zero_weights(op);
  for (double& v : w) v /= total;
  return w;
}

/// Shared backward of the two-input elementwise losses: dA = da[i] * g, dB = db[i] * g.
template <class T>
struct PairLossNode final : Node<T> {
  const char* op = "";
  std::vector<T> da;  // d(loss)/d(input 0) per element, before scaling by the incoming gradient
  std::vector<T> db;  // d(loss)/d(input 1) per element
  Shape shape;
  const char* name() const noexcept override { return op; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    const T g = grad_out.item();
    for (std::size_t k = 0; k < 2; ++k) {
      if (!sink.needs(k)) continue;
      const std::vector<T>& src = k == 0 ? da : db;
      Tensor<T> d = uninitialized<T>(shape);
      T* p = d.data();
      for (std::size_t i = 0; i < src.size(); ++i) p[i] = src[i] * g;
      sink.add(k, d);
    }
  }
  void release() noexcept override {
    da = {};
    db = {};
  }
};

/// d(loss)/d(logits) = coef_i * (softmax(logits) - onehot(target)), coef_i = w_i / sum(w).
template <class T>
struct CrossEntropyNode final : Node<T> {
  std::vector<T> probs;  // softmax of the logits, n x k
  std::vector<std::int32_t> targets;
  std::vector<double> coef;
  std::size_t n = 0, k = 0;
  const char* name() const noexcept override { return "cross_entropy"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const double g = static_cast<double>(grad_out.item());
    Tensor<T> d = uninitialized<T>(Shape{n, k});
    T* p = d.data();
    for (std::size_t i = 0; i < n; ++i) {
      const T scale = static_cast<T>(coef[i] * g);
      for (std::size_t j = 0; j < k; ++j) p[i * k + j] = probs[i * k + j] * scale;
      p[i * k + static_cast<std::size_t>(targets[i])] -= scale;
    }
    sink.add(0, d);
  }
  void release() noexcept override {
    probs = {};
    targets = {};
    coef = {};
  }
};

template <class T>
Tensor<T> scalar_result(double v) {
  Tensor<T> out = uninitialized<T>(Shape{});
  out.data()[0] = static_cast<T>(v);
  return out;
}

/// The elementwise losses' common frame: per-element value f(a, b) and partials, reduced with
/// per-sample weights (rows of the first axis) into one node.
template <class T, class F>
Tensor<T> pair_loss(const char* op, const Tensor<T>& a_in, const Tensor<T>& b_in,
                    const std::optional<Tensor<T>>& sample_weight, F&& f) {
  const std::size_t n = a_in.size();
  if (n == 0) throw_empty_loss(op);
  std::vector<double> coef;  // per element: w_row / (sum(w) * row size)
  const std::size_t rows = sample_weight ? (a_in.dim() ? a_in.shape()[0] : 0) : 1;
  if (sample_weight) {
    if (a_in.dim() == 0) throw_weight_shape(op, "sample_weight", sample_weight->shape(), "sample", 0, a_in.shape());
    coef = sample_coefficients<T>(op, rows, a_in.shape(), sample_weight);
  }
  const std::size_t per_row = n / rows;
  const Tensor<T> a = a_in.contiguous(), b = b_in.contiguous();
  const T* ap = a.data();
  const T* bp = b.data();
  const bool record = any_needs_graph<T>({&a, &b});
  std::vector<T> da(record ? n : 0), db(record ? n : 0);
  double s = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const double c = (sample_weight ? coef[r] : 1.0) / static_cast<double>(per_row);
    double row_sum = 0;
    for (std::size_t i = r * per_row; i < (r + 1) * per_row; ++i) {
      T d_a, d_b;
      row_sum += f(ap[i], bp[i], d_a, d_b);
      if (record) {
        da[i] = static_cast<T>(d_a * c);
        db[i] = static_cast<T>(d_b * c);
      }
    }
    s += row_sum * c;
  }
  Tensor<T> out = scalar_result<T>(s);
  if (record) {
    auto node = std::make_shared<PairLossNode<T>>();
    node->op = op;
    node->da = std::move(da);
    node->db = std::move(db);
    node->shape = a_in.shape();
    attach_inputs<T>(out, std::move(node), {&a, &b});
  }
  return out;
}

}  // namespace grove::detail

namespace grove::nn {

/// Mean squared error: mean((pred - target)^2); both the same shape, both differentiable.
/// With options.sample_weight [n]: rows of the first axis are weighted (see the file note).
template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target, const LossOptions<T>& options = {}) {
  if (!(pred.shape() == target.shape()))
    detail::throw_loss_shapes("mse_loss", "pred", pred.shape(), "target", target.shape());
  return detail::pair_loss("mse_loss", pred, target, options.sample_weight, [](T p, T t, T& dp, T& dt) {
    const T diff = p - t;
    dp = T(2) * diff;
    dt = -dp;
    return static_cast<double>(diff) * static_cast<double>(diff);
  });
}

/// Binary cross-entropy on logits, a mean over elements:
///   loss = max(x, 0) - x*y + log(1 + exp(-|x|)),
/// which never overflows; d/dx = sigmoid(x) - y, d/dy = -x. `target` holds probabilities in [0, 1].
/// With options.sample_weight [n]: rows of the first axis are weighted (see the file note).
template <class T>
Tensor<T> bce_with_logits(const Tensor<T>& logits, const Tensor<T>& target, const LossOptions<T>& options = {}) {
  if (!(logits.shape() == target.shape()))
    detail::throw_loss_shapes("bce_with_logits", "logits", logits.shape(), "target", target.shape());
  return detail::pair_loss("bce_with_logits", logits, target, options.sample_weight, [](T v, T y, T& dx, T& dy) {
    const T sig = v >= T(0) ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
    dx = sig - y;
    dy = -v;
    return static_cast<double>(std::max(v, T(0)) - v * y + std::log1p(std::exp(-std::abs(v))));
  });
}

/// Cross-entropy of logits [n, k] against class indices `targets` [n] (any arithmetic type holding
/// whole numbers 0..k-1; anything else is a ValueError), averaged over the n samples (weighted
/// by options.sample_weight and options.class_weight, see the file note). Fused log-softmax:
/// loss_i = logsumexp(z_i) - z_i[t_i] with the row max subtracted first, so large logits neither
/// overflow nor lose the answer.
template <class T, class I>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<I>& targets, const CrossEntropyOptions<T>& options = {}) {
  static_assert(std::is_arithmetic_v<I>, "cross_entropy: targets must hold an arithmetic type");
  if (logits.dim() != 2 || targets.dim() != 1 || targets.shape()[0] != logits.shape()[0])
    detail::throw_shape_error("cross_entropy: logits " + to_string(logits.shape()) + " and targets " +
                              to_string(targets.shape()) + " (expected logits [n, k] and targets [n])");
  const std::size_t n = logits.shape()[0], k = logits.shape()[1];
  if (n == 0 || k == 0) detail::throw_empty_loss("cross_entropy");
  const Tensor<I> tc = targets.contiguous();
  const detail::ClassLabels labels = detail::class_labels(tc.data(), n, "cross_entropy", "targets", {.n_classes = k});
  std::vector<double> coef;
  const bool weighted = options.sample_weight || options.class_weight;
  if (weighted)
    coef = detail::sample_coefficients<T>("cross_entropy", n, logits.shape(), options.sample_weight,
                                          options.class_weight, &labels, k);
  else
    coef.assign(n, 1.0 / static_cast<double>(n));
  const Tensor<T> z = logits.contiguous();
  const T* zp = z.data();
  const bool record = detail::any_needs_graph<T>({&z});
  std::vector<T> probs(record ? n * k : 0);
  std::vector<double> e(k);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const T* row = zp + i * k;
    const double m = static_cast<double>(*std::max_element(row, row + k));
    double se = 0;
    for (std::size_t j = 0; j < k; ++j) se += (e[j] = std::exp(static_cast<double>(row[j]) - m));
    const double li = m + std::log(se) - static_cast<double>(row[labels.index[i]]);
    total += weighted ? coef[i] * li : li;
    if (record)
      for (std::size_t j = 0; j < k; ++j) probs[i * k + j] = static_cast<T>(e[j] / se);
  }
  Tensor<T> out = detail::scalar_result<T>(weighted ? total : total / static_cast<double>(n));
  if (record) {
    auto node = std::make_shared<detail::CrossEntropyNode<T>>();
    node->probs = std::move(probs);
    node->targets = labels.index;
    node->coef = std::move(coef);
    node->n = n;
    node->k = k;
    detail::attach_inputs<T>(out, std::move(node), {&z});
  }
  return out;
}

/// scikit-learn's "balanced" class weights n / (k * count_c) for labels 0..k-1 (k = n_classes, or
/// the largest label + 1 when 0): rare classes weigh more. A class with no samples gets weight 0.
template <class T, class I>
Tensor<T> balanced_class_weight(const Tensor<I>& targets, std::size_t n_classes = 0) {
  const Tensor<I> tc = targets.contiguous();
  const detail::ClassLabels labels =
      detail::class_labels(tc.data(), tc.size(), "balanced_class_weight", "targets", {.n_classes = n_classes});
  std::vector<double> count(labels.n_classes, 0.0);
  for (const std::int32_t c : labels.index) count[static_cast<std::size_t>(c)] += 1;
  std::vector<T> w(labels.n_classes);
  const double n = static_cast<double>(tc.size()), k = static_cast<double>(labels.n_classes);
  for (std::size_t c = 0; c < w.size(); ++c) w[c] = count[c] > 0 ? static_cast<T>(n / (k * count[c])) : T(0);
  return Tensor<T>::from_vector(std::move(w));
}

}  // namespace grove::nn

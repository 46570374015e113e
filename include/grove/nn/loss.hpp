#pragma once
/// \file Losses as fused ops (one node each, mean over elements/samples): mse_loss,
/// cross_entropy (log-softmax + negative log-likelihood, stable for any logit size) and
/// bce_with_logits (binary cross-entropy on logits, stable for any logit size).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

namespace detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_loss_shapes(const char* op, const char* a_name, const Shape& a,
                                                                     const char* b_name, const Shape& b) {
  grove::detail::throw_shape_error(std::string(op) + ": " + a_name + " " + to_string(a) + " and " + b_name + " " +
                                   to_string(b) + " must have the same shape");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_empty_loss(const char* op) {
  grove::detail::throw_value_error(std::string(op) + ": empty input (the mean of no elements is undefined)");
}

/// Shared backward of the two-input elementwise losses: dA = coef[i] * g, dB = -dA or other.
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
      Tensor<T> d = empty<T>(shape);
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

/// d(loss)/d(logits) = (softmax(logits) - onehot(target)) / n.
template <class T>
struct CrossEntropyNode final : Node<T> {
  std::vector<T> probs;  // softmax of the logits, n x k
  std::vector<std::size_t> targets;
  std::size_t n = 0, k = 0;
  const char* name() const noexcept override { return "cross_entropy"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const T scale = grad_out.item() / static_cast<T>(n);
    Tensor<T> d = empty<T>(Shape{n, k});
    T* p = d.data();
    for (std::size_t i = 0; i < n * k; ++i) p[i] = probs[i] * scale;
    for (std::size_t i = 0; i < n; ++i) p[i * k + targets[i]] -= scale;
    sink.add(0, d);
  }
  void release() noexcept override {
    probs = {};
    targets = {};
  }
};

template <class T>
Tensor<T> scalar_result(double v) {
  Tensor<T> out = empty<T>(Shape{});
  out.data()[0] = static_cast<T>(v);
  return out;
}

}  // namespace detail

/// Mean squared error: mean((pred - target)^2); both the same shape, both differentiable.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& pred, const Tensor<T>& target) {
  if (!(pred.shape() == target.shape())) detail::throw_loss_shapes("mse_loss", "pred", pred.shape(), "target", target.shape());
  const std::size_t n = pred.size();
  if (n == 0) detail::throw_empty_loss("mse_loss");
  const Tensor<T> p = pred.contiguous(), t = target.contiguous();
  const T* pp = p.data();
  const T* tp = t.data();
  const bool record = detail::needs_graph<T>({&p, &t});
  std::vector<T> da(record ? n : 0), db(record ? n : 0);
  double s = 0;
  const T scale = T(2) / static_cast<T>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const T diff = pp[i] - tp[i];
    s += static_cast<double>(diff) * diff;
    if (record) {
      da[i] = scale * diff;
      db[i] = -da[i];
    }
  }
  Tensor<T> out = detail::scalar_result<T>(s / static_cast<double>(n));
  if (record) {
    auto node = std::make_shared<detail::PairLossNode<T>>();
    node->op = "mse_loss";
    node->da = std::move(da);
    node->db = std::move(db);
    node->shape = pred.shape();
    detail::attach<T>(out, std::move(node), {&p, &t});
  }
  return out;
}

/// Binary cross-entropy on logits, mean over elements:
///   loss = max(x, 0) - x*y + log(1 + exp(-|x|)),
/// which never overflows; d/dx = sigmoid(x) - y, d/dy = -x. `target` holds probabilities in [0, 1].
template <class T>
Tensor<T> bce_with_logits(const Tensor<T>& logits, const Tensor<T>& target) {
  if (!(logits.shape() == target.shape()))
    detail::throw_loss_shapes("bce_with_logits", "logits", logits.shape(), "target", target.shape());
  const std::size_t n = logits.size();
  if (n == 0) detail::throw_empty_loss("bce_with_logits");
  const Tensor<T> x = logits.contiguous(), y = target.contiguous();
  const T* xp = x.data();
  const T* yp = y.data();
  const bool record = detail::needs_graph<T>({&x, &y});
  std::vector<T> da(record ? n : 0), db(record ? n : 0);
  double s = 0;
  const T inv_n = T(1) / static_cast<T>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const T v = xp[i];
    s += static_cast<double>(std::max(v, T(0)) - v * yp[i] + std::log1p(std::exp(-std::abs(v))));
    if (record) {
      const T sig = v >= T(0) ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
      da[i] = (sig - yp[i]) * inv_n;
      db[i] = -v * inv_n;
    }
  }
  Tensor<T> out = detail::scalar_result<T>(s / static_cast<double>(n));
  if (record) {
    auto node = std::make_shared<detail::PairLossNode<T>>();
    node->op = "bce_with_logits";
    node->da = std::move(da);
    node->db = std::move(db);
    node->shape = logits.shape();
    detail::attach<T>(out, std::move(node), {&x, &y});
  }
  return out;
}

/// Cross-entropy of logits [n, k] against class indices `targets` [n] (any arithmetic type holding
/// whole numbers 0..k-1; anything else is a ValueError), averaged over the n samples. Fused
/// log-softmax: loss_i = logsumexp(z_i) - z_i[t_i] with the row max subtracted first, so large
/// logits neither overflow nor lose the answer.
template <class T, class I>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<I>& targets) {
  static_assert(std::is_arithmetic_v<I>, "cross_entropy: targets must hold an arithmetic type");
  if (logits.dim() != 2 || targets.dim() != 1 || targets.shape()[0] != logits.shape()[0])
    grove::detail::throw_shape_error("cross_entropy: logits " + to_string(logits.shape()) + " and targets " +
                                     to_string(targets.shape()) + " (expected logits [n, k] and targets [n])");
  const std::size_t n = logits.shape()[0], k = logits.shape()[1];
  if (n == 0 || k == 0) detail::throw_empty_loss("cross_entropy");
  const std::vector<I> tv = targets.to_vector();
  std::vector<std::size_t> t(n);
  for (std::size_t i = 0; i < n; ++i) {
    const I c = tv[i];
    bool ok;
    if constexpr (std::is_floating_point_v<I>)
      ok = c >= I(0) && c < static_cast<I>(k) && std::floor(c) == c;
    else if constexpr (std::is_signed_v<I>)
      ok = c >= 0 && static_cast<unsigned long long>(c) < k;
    else
      ok = static_cast<unsigned long long>(c) < k;
    if (!ok)
      grove::detail::throw_value_error("cross_entropy: target " + std::to_string(c) + " at index " +
                                       std::to_string(i) + " is not a class index in [0, " + std::to_string(k) + ")");
    t[i] = static_cast<std::size_t>(c);
  }
  const Tensor<T> z = logits.contiguous();
  const T* zp = z.data();
  const bool record = detail::needs_graph<T>({&z});
  std::vector<T> probs(record ? n * k : 0);
  std::vector<double> e(k);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const T* row = zp + i * k;
    const double m = static_cast<double>(*std::max_element(row, row + k));
    double se = 0;
    for (std::size_t j = 0; j < k; ++j) se += (e[j] = std::exp(static_cast<double>(row[j]) - m));
    total += m + std::log(se) - static_cast<double>(row[t[i]]);
    if (record)
      for (std::size_t j = 0; j < k; ++j) probs[i * k + j] = static_cast<T>(e[j] / se);
  }
  Tensor<T> out = detail::scalar_result<T>(total / static_cast<double>(n));
  if (record) {
    auto node = std::make_shared<detail::CrossEntropyNode<T>>();
    node->probs = std::move(probs);
    node->targets = std::move(t);
    node->n = n;
    node->k = k;
    detail::attach<T>(out, std::move(node), {&z});
  }
  return out;
}

}  // namespace grove::nn

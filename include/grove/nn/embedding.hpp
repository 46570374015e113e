#pragma once
/// \file Embedding: a lookup table of n learnable vectors of size dim, indexed by integers.

#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/nn/detail/graph.hpp"
#include "grove/nn/init.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// out[i] = W[idx[i]]: dW[k] = sum of the gradient rows whose index is k (a dense gradient).
template <class T>
struct EmbeddingNode final : Node<T> {
  std::vector<std::size_t> idx;
  std::size_t n = 0, dim = 0;
  const char* name() const noexcept override { return "embedding"; }
  void backward(const Tensor<T>& grad_out, GradSink<T>& sink) override {
    if (!sink.needs(0)) return;
    const Tensor<T> g = grad_out.contiguous();
    Tensor<T> dw = Tensor<T>::zeros(Shape{n, dim});
    const T* gp = g.data();
    T* d = dw.data();
    for (std::size_t i = 0; i < idx.size(); ++i)
      for (std::size_t j = 0; j < dim; ++j) d[idx[i] * dim + j] += gp[i * dim + j];
    sink.add(0, dw);
  }
  void release() noexcept override { idx = {}; }
};

}  // namespace grove::detail

namespace grove::nn {

/// Rows of `weight` [n, dim] picked by `idx` (shape S, any arithmetic type holding whole numbers
/// in [0, n); anything else is a ValueError): the result has shape S + [dim] and is
/// differentiable in weight.
template <class T, class I>
Tensor<T> embedding(const Tensor<T>& weight, const Tensor<I>& idx) {
  static_assert(std::is_arithmetic_v<I>, "embedding: indices must hold an arithmetic type");
  if (weight.dim() != 2)
    detail::throw_shape_error("embedding: weight " + to_string(weight.shape()) + " must be [n, dim]");
  const std::size_t n = weight.shape()[0], dim = weight.shape()[1];
  const std::vector<I> v = idx.to_vector();
  std::vector<std::size_t> rows(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const I k = v[i];
    bool ok;
    if constexpr (std::is_floating_point_v<I>)
      ok = k >= I(0) && k < static_cast<I>(n) && std::floor(k) == k;
    else if constexpr (std::is_signed_v<I>)
      ok = k >= 0 && static_cast<unsigned long long>(k) < n;
    else
      ok = static_cast<unsigned long long>(k) < n;
    if (!ok)
      detail::throw_value_error("embedding: index " + format_number(static_cast<double>(k)) + " at position " + std::to_string(i) +
                                       " is not in [0, " + std::to_string(n) + ")");
    rows[i] = static_cast<std::size_t>(k);
  }
  Shape s = idx.shape();
  s.push_back(dim);
  Tensor<T> y = detail::uninitialized<T>(s);
  const Tensor<T> wc = weight.contiguous();
  const T* w = wc.data();
  for (std::size_t i = 0; i < rows.size(); ++i) std::memcpy(y.data() + i * dim, w + rows[i] * dim, dim * sizeof(T));
  if (detail::any_needs_graph<T>({&wc})) {
    auto node = std::make_shared<detail::EmbeddingNode<T>>();
    node->idx = std::move(rows);
    node->n = n;
    node->dim = dim;
    detail::attach_inputs<T>(y, std::move(node), {&wc});
  }
  return y;
}

/// n vectors of size dim, initialized N(0, 1) as PyTorch does. forward(idx) maps an index tensor
/// of shape S (any arithmetic type holding integers in [0, n)) to S + [dim].
template <class T = float>
class Embedding : public Module<T> {
public:
  Embedding(std::size_t n, std::size_t dim, Rng& rng) : n_(n), dim_(dim) {
    if (n == 0 || dim == 0)
      detail::throw_value_error("Embedding: n and dim must be >= 1, got " + std::to_string(n) + " and " +
                                       std::to_string(dim));
    weight_ = this->register_parameter("weight", init::normal<T>(Shape{n, dim}, 0.0, 1.0, rng));
  }

  /// Indices stored as T (they must be whole numbers in [0, n)).
  Tensor<T> forward(const Tensor<T>& idx) override { return embedding(weight_, idx); }

  /// Indices of any arithmetic type.
  template <class I>
  Tensor<T> forward(const Tensor<I>& idx) {
    return embedding(weight_, idx);
  }

  std::string describe() const override {
    return "Embedding(" + std::to_string(n_) + ", " + std::to_string(dim_) + ")";
  }
  Tensor<T>& weight() noexcept { return weight_; }

private:
  std::size_t n_, dim_;
  Tensor<T> weight_;
};

}  // namespace grove::nn

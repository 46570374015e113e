#pragma once
/// \file clip_grad_norm: rescales gradients so their joint norm is at most max_norm.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/optim/optimizer.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::optim {

/// Joint p-norm of the gradients of `params` (p = norm_type > 0, or infinity for the max-abs norm).
/// If it exceeds max_norm, every gradient is multiplied by max_norm / (norm + 1e-6), as PyTorch
/// does. Returns the norm before clipping. Parameters without a gradient are ignored.
template <class T>
double clip_grad_norm(const std::vector<Tensor<T>>& params, double max_norm, double norm_type = 2.0) {
  detail::check_range("clip_grad_norm", "max_norm", max_norm, detail::kNonNegative);
  detail::check_range("clip_grad_norm", "norm_type", norm_type, Interval{0.0, std::numeric_limits<double>::infinity(), true, false});
  const bool inf = std::isinf(norm_type);
  double acc = 0;
  for (const auto& p : params) {
    if (!p.has_grad()) continue;
    const Tensor<T> g = p.grad();
    const T* d = g.data();
    for (std::size_t i = 0; i < g.size(); ++i) {
      const double a = std::abs(static_cast<double>(d[i]));
      if (inf)
        acc = std::max(acc, a);
      else if (norm_type == 2.0)
        acc += a * a;
      else
        acc += std::pow(a, norm_type);
    }
  }
  const double norm = inf ? acc : norm_type == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / norm_type);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    const T c = static_cast<T>(coef);
    for (const auto& p : params) {
      if (!p.has_grad()) continue;
      Tensor<T> g = p.grad();
      T* d = g.data();
      for (std::size_t i = 0; i < g.size(); ++i) d[i] *= c;
    }
  }
  return norm;
}

}  // namespace grove::optim

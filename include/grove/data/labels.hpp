#pragma once
/// \file Class-label checks used by stratified splitting: labels are integers 0..k-1.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::data::detail {

/// Labels as class indices, with k = largest label + 1.
struct ClassLabels {
  std::vector<std::uint32_t> index;
  std::size_t n_classes = 0;
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_class_label(const char* op, std::size_t i,
                                                                          double value) {
  std::string v = std::isnan(value) ? std::string("nan") : std::to_string(value);
  grove::detail::throw_value_error(std::string(op) + ": stratifying needs class labels 0..k-1 (k <= 2^20), but y[" +
                                   std::to_string(i) + "] = " + v);
}

/// Checks that `y` (a vector) holds class labels and returns them as indices.
template <class L>
ClassLabels class_labels(const Tensor<L>& y, const char* op) {
  if (y.dim() != 1)
    grove::detail::throw_value_error(std::string(op) + ": labels must be a vector, got shape " + to_string(y.shape()));
  const Tensor<L> c = y.contiguous();
  const L* p = c.data();
  ClassLabels out;
  out.index.resize(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    const double v = static_cast<double>(p[i]);
    if (!(v >= 0.0 && v < static_cast<double>(1u << 20) && std::floor(v) == v)) throw_bad_class_label(op, i, v);
    out.index[i] = static_cast<std::uint32_t>(v);
    if (out.index[i] + std::size_t{1} > out.n_classes) out.n_classes = out.index[i] + std::size_t{1};
  }
  return out;
}

}  // namespace grove::data::detail

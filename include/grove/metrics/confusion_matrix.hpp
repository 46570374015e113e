#pragma once
/// \file confusion_matrix: counts of (true class, predicted class) pairs.

#include <cstddef>
#include <cstdint>
#include <string>

#include "grove/core/check.hpp"

#include "grove/metrics/labels.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::metrics {

/// k x k counts, rows = true class, columns = predicted class (scikit-learn's layout).
/// Labels are class indices 0..k-1 in any arithmetic type; k = n_classes, or the largest label
/// + 1 when n_classes is 0 (labels below kMaxClasses). Mismatched lengths, empty input, a bad
/// label or a k x k matrix beyond the allocation limit is a ValueError.
template <class A, class B>
Tensor<std::int64_t> confusion_matrix(const Tensor<A>& y_true, const Tensor<B>& y_pred, std::size_t n_classes = 0) {
  const detail::LabelPair lp = detail::label_pair(y_true, y_pred, n_classes, "confusion_matrix");
  const std::size_t k = lp.n_classes;
  // One stray label of 60000 asks for 60001^2 counts: checked against the allocation limit first.
  detail::check_allocation("confusion_matrix", "a " + std::to_string(k) + " x " + std::to_string(k) + " matrix",
                           k * k, sizeof(std::int64_t));
  Tensor<std::int64_t> cm = Tensor<std::int64_t>::zeros(Shape{k, k});
  std::int64_t* c = cm.data();
  for (std::size_t i = 0; i < lp.y_true.size(); ++i)
    ++c[static_cast<std::size_t>(lp.y_true[i]) * k + static_cast<std::size_t>(lp.y_pred[i])];
  return cm;
}

}  // namespace grove::metrics

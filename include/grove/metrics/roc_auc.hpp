#pragma once
/// \file roc_auc: area under the ROC curve via the Mann–Whitney rank statistic.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "grove/metrics/labels.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_one_class(const char* op, std::size_t cls,
                                                                    std::size_t count, std::size_t n) {
  throw_value_error(std::string(op) + ": class " + std::to_string(cls) + " has " + std::to_string(count) + " of " +
                    std::to_string(n) + " samples; AUC needs both positives and negatives");
}

/// AUC of `scores` for the positives marked in `positive`: (sum of positive ranks - P(P+1)/2) / (P N),
/// with tied scores sharing their average rank, so a tied positive/negative pair counts 1/2.
inline double binary_auc(const std::vector<double>& scores, const std::vector<char>& positive, std::size_t cls,
                         const char* op) {
  const std::size_t n = scores.size();
  // Sorting (score, label) pairs directly is cache-friendly, unlike sorting indices into scores.
  struct Item {
    double score;
    bool positive;
  };
  std::vector<Item> items(n);
  for (std::size_t i = 0; i < n; ++i) items[i] = {scores[i], positive[i] != 0};
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.score < b.score; });
  std::size_t n_pos = 0;
  double pos_rank_sum = 0.0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    std::size_t pos_in_group = 0;
    while (j < n && items[j].score == items[i].score) pos_in_group += items[j++].positive;
    const double avg_rank = 0.5 * static_cast<double>(i + 1 + j);  // mean of ranks i+1..j
    pos_rank_sum += avg_rank * static_cast<double>(pos_in_group);
    n_pos += pos_in_group;
    i = j;
  }
  const std::size_t n_neg = n - n_pos;
  if (n_pos == 0 || n_neg == 0) throw_one_class(op, cls, n_pos, n);
  const double p = static_cast<double>(n_pos), q = static_cast<double>(n_neg);
  return (pos_rank_sum - p * (p + 1.0) / 2.0) / (p * q);
}

}  // namespace grove::detail

namespace grove::metrics {

/// Area under the ROC curve. Binary: `scores` is [n] or [n,1] (higher = more likely class 1) and
/// labels are 0/1. Multiclass: `scores` is [n,k] and the result is the unweighted mean of the k
/// one-vs-rest AUCs (scikit-learn's multi_class="ovr", average="macro"); for k = 2 that uses both
/// columns. Ties count one half (Mann–Whitney). A class with no positives or no negatives, a bad
/// label, a NaN score or mismatched lengths is a ValueError.
template <class L, class S>
double roc_auc(const Tensor<L>& y_true, const Tensor<S>& scores) {
  constexpr const char* op = "roc_auc";
  const std::size_t n = detail::vector_length(y_true, op, "y_true");
  if (scores.dim() != 1 && scores.dim() != 2)
    detail::throw_value_error(std::string("roc_auc: scores must be [n], [n,1] or [n,k], got shape ") +
                              to_string(scores.shape()));
  const std::size_t k = scores.dim() == 1 ? 1 : scores.shape()[1];
  if (scores.shape()[0] != n) detail::throw_length_mismatch(op, "y_true", n, "scores rows", scores.shape()[0]);
  if (n == 0) detail::throw_empty_input(op, "y_true");
  if (k == 0) detail::throw_value_error("roc_auc: scores has 0 columns");
  const auto labels = detail::metric_labels(y_true, op, "y_true", k == 1 ? 2 : k).index;
  const Tensor<S> sc = scores.contiguous();
  const S* s = sc.data();
  // Infinite scores still order the samples; NaN does not.
  for (std::size_t i = 0; i < n * k; ++i)
    if (std::isnan(static_cast<double>(s[i]))) detail::throw_nonfinite_element(op, "scores", i, std::nan(""));
  std::vector<double> col(n);
  std::vector<char> positive(n);
  if (k == 1) {
    for (std::size_t i = 0; i < n; ++i) {
      col[i] = static_cast<double>(s[i]);
      positive[i] = labels[i] == 1;
    }
    return detail::binary_auc(col, positive, 1, op);
  }
  double sum = 0.0;
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t i = 0; i < n; ++i) {
      col[i] = static_cast<double>(s[i * k + c]);
      positive[i] = static_cast<std::size_t>(labels[i]) == c;
    }
    sum += detail::binary_auc(col, positive, c, op);
  }
  return sum / static_cast<double>(k);
}

}  // namespace grove::metrics

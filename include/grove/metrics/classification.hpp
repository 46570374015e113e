#pragma once
/// \file Label-based classification scores: accuracy, precision, recall, F1.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/metrics/labels.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::metrics {

/// How per-class precision/recall/F1 are combined into one number.
enum class Average {
  Macro,     ///< unweighted mean over the classes present in y_true or y_pred (scikit-learn's "macro")
  Micro,     ///< from global counts; equals accuracy for single-label data
  Weighted,  ///< mean weighted by each class's support (count in y_true)
  Binary,    ///< the score of class 1; labels must be 0 or 1
};

/// Fraction of positions where y_pred equals y_true (labels 0..k-1, any arithmetic type).
template <class A, class B>
double accuracy(const Tensor<A>& y_true, const Tensor<B>& y_pred) {
  const detail::LabelPair lp = detail::label_pair(y_true, y_pred, 0, "accuracy");
  std::size_t hits = 0;
  for (std::size_t i = 0; i < lp.y_true.size(); ++i) hits += lp.y_true[i] == lp.y_pred[i];
  return static_cast<double>(hits) / static_cast<double>(lp.y_true.size());
}

}  // namespace grove::metrics

namespace grove::detail {

/// Per-class counts behind precision, recall and F1.
struct LabelCounts {
  std::vector<std::size_t> tp, predicted, actual;
  std::size_t n = 0;
};

template <class A, class B>
LabelCounts class_counts(const Tensor<A>& y_true, const Tensor<B>& y_pred, std::size_t n_classes,
                         const char* op) {
  const LabelPair lp = label_pair(y_true, y_pred, n_classes, op);
  LabelCounts c;
  c.tp.assign(lp.n_classes, 0);
  c.predicted.assign(lp.n_classes, 0);
  c.actual.assign(lp.n_classes, 0);
  c.n = lp.y_true.size();
  for (std::size_t i = 0; i < c.n; ++i) {
    const auto t = static_cast<std::size_t>(lp.y_true[i]), p = static_cast<std::size_t>(lp.y_pred[i]);
    ++c.actual[t];
    ++c.predicted[p];
    c.tp[t] += t == p;
  }
  return c;
}

enum class ClassMetric { Precision, Recall, F1 };

// An undefined ratio (no predictions / no support) counts as 0, like scikit-learn's default.
inline double ratio(std::size_t num, std::size_t den) {
  return den ? static_cast<double>(num) / static_cast<double>(den) : 0.0;
}

inline double class_metric(const LabelCounts& c, std::size_t k, ClassMetric s) {
  switch (s) {
    case ClassMetric::Precision: return ratio(c.tp[k], c.predicted[k]);
    case ClassMetric::Recall: return ratio(c.tp[k], c.actual[k]);
    case ClassMetric::F1: return ratio(2 * c.tp[k], c.predicted[k] + c.actual[k]);  // = 2PR/(P+R)
  }
  return 0.0;
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_binary(const char* op, std::size_t n_classes) {
  throw_value_error(std::string(op) + ": Average::Binary needs labels 0 and 1, got labels up to " +
                    std::to_string(n_classes - 1));
}

template <class A, class B>
std::vector<double> per_class(const Tensor<A>& y_true, const Tensor<B>& y_pred, std::size_t n_classes, ClassMetric s,
                              const char* op) {
  const LabelCounts c = class_counts(y_true, y_pred, n_classes, op);
  std::vector<double> out(c.tp.size());
  for (std::size_t k = 0; k < out.size(); ++k) out[k] = class_metric(c, k, s);
  return out;
}

template <class A, class B>
double averaged(const Tensor<A>& y_true, const Tensor<B>& y_pred, metrics::Average average, ClassMetric s, const char* op) {
  const LabelCounts c = class_counts(y_true, y_pred, 0, op);
  const std::size_t k = c.tp.size();
  switch (average) {
    case metrics::Average::Binary:
      if (k > 2) throw_not_binary(op, k);
      return k == 2 ? class_metric(c, 1, s) : 0.0;
    case metrics::Average::Micro: {
      std::size_t tp = 0;
      for (std::size_t j = 0; j < k; ++j) tp += c.tp[j];
      return ratio(tp, c.n);  // single-label: global predicted = global actual = n
    }
    case metrics::Average::Weighted: {
      double sum = 0.0;
      for (std::size_t j = 0; j < k; ++j) sum += static_cast<double>(c.actual[j]) * class_metric(c, j, s);
      return sum / static_cast<double>(c.n);
    }
    case metrics::Average::Macro: break;
  }
  double sum = 0.0;
  std::size_t present = 0;
  for (std::size_t j = 0; j < k; ++j) {
    if (c.actual[j] == 0 && c.predicted[j] == 0) continue;  // class absent from both: not averaged
    sum += class_metric(c, j, s);
    ++present;
  }
  return sum / static_cast<double>(present);
}

}  // namespace grove::detail

namespace grove::metrics {

/// Precision tp / (tp + fp), combined over classes by `average` (default: macro).
template <class A, class B>
double precision(const Tensor<A>& y_true, const Tensor<B>& y_pred, Average average = Average::Macro) {
  return detail::averaged(y_true, y_pred, average, detail::ClassMetric::Precision, "precision");
}
/// Recall tp / (tp + fn), combined over classes by `average` (default: macro).
template <class A, class B>
double recall(const Tensor<A>& y_true, const Tensor<B>& y_pred, Average average = Average::Macro) {
  return detail::averaged(y_true, y_pred, average, detail::ClassMetric::Recall, "recall");
}
/// F1 = 2 tp / (2 tp + fp + fn), combined over classes by `average` (default: macro).
template <class A, class B>
double f1(const Tensor<A>& y_true, const Tensor<B>& y_pred, Average average = Average::Macro) {
  return detail::averaged(y_true, y_pred, average, detail::ClassMetric::F1, "f1");
}

/// Precision of each class 0..k-1 (k = n_classes, or largest label + 1); 0 where undefined.
template <class A, class B>
std::vector<double> precision_per_class(const Tensor<A>& y_true, const Tensor<B>& y_pred, std::size_t n_classes = 0) {
  return detail::per_class(y_true, y_pred, n_classes, detail::ClassMetric::Precision, "precision_per_class");
}
/// Recall of each class 0..k-1; 0 for a class with no support.
template <class A, class B>
std::vector<double> recall_per_class(const Tensor<A>& y_true, const Tensor<B>& y_pred, std::size_t n_classes = 0) {
  return detail::per_class(y_true, y_pred, n_classes, detail::ClassMetric::Recall, "recall_per_class");
}
/// F1 of each class 0..k-1; 0 where undefined.
template <class A, class B>
std::vector<double> f1_per_class(const Tensor<A>& y_true, const Tensor<B>& y_pred, std::size_t n_classes = 0) {
  return detail::per_class(y_true, y_pred, n_classes, detail::ClassMetric::F1, "f1_per_class");
}

}  // namespace grove::metrics

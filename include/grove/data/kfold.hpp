#pragma once
/// \file KFold and StratifiedKFold: (train, validation) index sets for cross-validation.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/rng.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::data {

/// One cross-validation fold: row indices, each list sorted ascending.
struct Fold {
  std::vector<std::size_t> train;
  std::vector<std::size_t> validation;
};

/// Options of KFold and StratifiedKFold.
struct KFoldOptions {
  bool shuffle = false;     ///< shuffle rows before assigning folds (otherwise folds are contiguous)
  std::uint64_t seed = 0;   ///< seed of the shuffle
};

}  // namespace grove::data

namespace grove::detail {

inline void check_fold_count(std::size_t k, const char* op) {
  check_range(op, "k", static_cast<double>(k), Interval{2});
}
inline void check_fold_rows(std::size_t k, std::size_t n, const char* op) {
  if (k > n)
    throw_value_error(std::string(op) + ": k = " + std::to_string(k) + " must be <= the number of rows n = " +
                      std::to_string(n));
}

/// Folds from a fold number per row.
inline std::vector<data::Fold> folds_from_assignment(const std::vector<std::size_t>& fold_of, std::size_t k) {
  std::vector<data::Fold> folds(k);
  for (std::size_t i = 0; i < fold_of.size(); ++i)
    for (std::size_t f = 0; f < k; ++f) (f == fold_of[i] ? folds[f].validation : folds[f].train).push_back(i);
  return folds;
}

}  // namespace grove::detail

namespace grove::data {

/// K-fold cross-validation: split(n) gives k folds whose validation parts partition 0..n-1; the
/// first n % k folds have one row more (as in scikit-learn). Without shuffling fold f validates a
/// contiguous block.
class KFold {
public:
  /// k >= 2 folds (ValueError otherwise).
  explicit KFold(std::size_t k, KFoldOptions options = {}) : k_(k), options_(options) { detail::check_fold_count(k, "KFold"); }

  /// The k folds of n rows; k <= n (ValueError otherwise).
  std::vector<Fold> split(std::size_t n) const {
    detail::check_fold_rows(k_, n, "KFold");
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    if (options_.shuffle) {
      Rng rng(options_.seed);
      rng.shuffle(order.begin(), order.end());
    }
    std::vector<std::size_t> fold_of(n);
    std::size_t pos = 0;
    for (std::size_t f = 0; f < k_; ++f) {
      const std::size_t size = n / k_ + (f < n % k_ ? 1 : 0);
      for (std::size_t j = 0; j < size; ++j) fold_of[order[pos++]] = f;
    }
    return detail::folds_from_assignment(fold_of, k_);
  }

  /// Number of folds.
  std::size_t n_splits() const noexcept { return k_; }

private:
  std::size_t k_;
  KFoldOptions options_;
};

/// K-fold cross-validation that keeps class proportions: each class's rows (in row order, or
/// shuffled) are dealt to the folds in turn, so per-class counts of any two folds differ by at
/// most one and fold sizes by at most one. Labels are 0..k-1 in any arithmetic type.
class StratifiedKFold {
public:
  /// k >= 2 folds (ValueError otherwise).
  explicit StratifiedKFold(std::size_t k, KFoldOptions options = {}) : k_(k), options_(options) {
    detail::check_fold_count(k, "StratifiedKFold");
  }

  /// The k folds for labels y; k <= y.size() (ValueError otherwise).
  template <class L>
  std::vector<Fold> split(const Tensor<L>& y) const {
    if (y.dim() != 1)
      detail::throw_value_error("StratifiedKFold: y must be a vector, got shape " + to_string(y.shape()));
    const Tensor<L> yc = y.contiguous();
    const detail::ClassLabels labels = detail::class_labels(yc.data(), yc.size(), "StratifiedKFold", "y");
    const std::size_t n = labels.index.size();
    detail::check_fold_rows(k_, n, "StratifiedKFold");
    std::vector<std::vector<std::size_t>> members(labels.n_classes);
    for (std::size_t i = 0; i < n; ++i) members[static_cast<std::size_t>(labels.index[i])].push_back(i);
    Rng rng(options_.seed);
    std::vector<std::size_t> fold_of(n);
    std::size_t pos = 0;  // continues across classes so fold sizes stay balanced too
    for (auto& m : members) {
      if (options_.shuffle) rng.shuffle(m.begin(), m.end());
      for (std::size_t i : m) fold_of[i] = pos++ % k_;
    }
    return detail::folds_from_assignment(fold_of, k_);
  }

  /// Number of folds.
  std::size_t n_splits() const noexcept { return k_; }

private:
  std::size_t k_;
  KFoldOptions options_;
};

}  // namespace grove::data

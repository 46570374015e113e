#pragma once
/// \file train_test_split: a random (optionally stratified) hold-out split.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/data/dataset.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::data {

/// Options of train_test_split.
struct SplitOptions {
  bool stratify = false;  ///< keep each class's share of y in both parts (y must hold labels 0..k-1)
};

/// Row indices of the two parts, each in random order.
struct SplitIndices {
  std::vector<std::size_t> train;
  std::vector<std::size_t> test;
};

/// The two parts of a dataset: `auto [train, test] = train_test_split(ds, 0.2, rng);`.
template <class T>
struct TrainTestSplit {
  Dataset<T> train;
  Dataset<T> test;
};

}  // namespace grove::data

namespace grove::detail {

/// Test-set size as in scikit-learn: ceil(fraction * n); both parts must be non-empty.
inline std::size_t split_test_count(std::size_t n, double test_fraction, const char* op) {
  check_range(op, "test_fraction", test_fraction, Interval{0, 1, true, true});
  const auto n_test = static_cast<std::size_t>(std::ceil(test_fraction * static_cast<double>(n)));
  if (n_test == 0 || n_test >= n)
    throw_value_error(std::string(op) + ": test_fraction " + format_number(test_fraction) + " of " +
                      std::to_string(n) + " rows leaves " + std::to_string(n - std::min(n, n_test)) +
                      " for training and " + std::to_string(n_test) + " for testing; both need at least 1");
  return n_test;
}

}  // namespace grove::detail

namespace grove::data {

/// Random split of n rows into train/test index lists (test = ceil(test_fraction * n) rows).
inline SplitIndices train_test_split_indices(std::size_t n, double test_fraction, Rng& rng) {
  const std::size_t n_test = detail::split_test_count(n, test_fraction, "train_test_split");
  std::vector<std::size_t> perm = rng.permutation(n);
  SplitIndices out;
  out.test.assign(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(n_test));
  out.train.assign(perm.begin() + static_cast<std::ptrdiff_t>(n_test), perm.end());
  return out;
}

/// Split stratified by the class labels `y` (0..k-1, any arithmetic type): each class goes to the
/// test part in proportion (largest-remainder rounding so the total is ceil(fraction * n)).
/// Every class needs at least 2 rows.
template <class L>
SplitIndices stratified_split_indices(const Tensor<L>& y, double test_fraction, Rng& rng) {
  constexpr const char* op = "train_test_split";
  if (y.dim() != 1) detail::throw_value_error(std::string(op) + ": y must be a vector, got shape " + to_string(y.shape()));
  const Tensor<L> yc = y.contiguous();
  const detail::ClassLabels labels = detail::class_labels(yc.data(), yc.size(), op, "y");
  const std::size_t n = labels.index.size();
  const std::size_t n_test = detail::split_test_count(n, test_fraction, op);
  const std::size_t k = labels.n_classes;
  std::vector<std::vector<std::size_t>> members(k);
  for (std::size_t i = 0; i < n; ++i) members[static_cast<std::size_t>(labels.index[i])].push_back(i);
  std::vector<std::size_t> take(k);
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t assigned = 0;
  for (std::size_t c = 0; c < k; ++c) {
    if (members[c].empty()) continue;
    if (members[c].size() < 2)
      detail::throw_value_error(std::string("train_test_split: stratify needs at least 2 rows of each class, class ") +
                                std::to_string(c) + " has 1");
    const double exact = static_cast<double>(n_test) * static_cast<double>(members[c].size()) / static_cast<double>(n);
    take[c] = static_cast<std::size_t>(std::floor(exact));
    assigned += take[c];
    remainders.emplace_back(exact - std::floor(exact), c);
  }
  // Largest fractional parts first; ties go to the lower class, so the result is deterministic.
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t r = 0; assigned < n_test && r < remainders.size(); ++r, ++assigned) ++take[remainders[r].second];
  SplitIndices out;
  for (std::size_t c = 0; c < k; ++c) {
    rng.shuffle(members[c].begin(), members[c].end());
    out.test.insert(out.test.end(), members[c].begin(), members[c].begin() + static_cast<std::ptrdiff_t>(take[c]));
    out.train.insert(out.train.end(), members[c].begin() + static_cast<std::ptrdiff_t>(take[c]), members[c].end());
  }
  rng.shuffle(out.train.begin(), out.train.end());
  rng.shuffle(out.test.begin(), out.test.end());
  return out;
}

/// Random hold-out split of a dataset. test_fraction in (0, 1); the test part has
/// ceil(test_fraction * n) rows, in random order, and both parts must be non-empty. With
/// {.stratify = true} each class of y keeps its proportion (y must hold labels 0..k-1).
/// Returns {train, test}; the same rng state gives the same split.
template <class T>
TrainTestSplit<T> train_test_split(const Dataset<T>& ds, double test_fraction, Rng& rng, SplitOptions options = {}) {
  SplitIndices idx;
  if (options.stratify) {
    if (!ds.has_target()) detail::throw_value_error("train_test_split: stratify needs a dataset with a target y");
    idx = stratified_split_indices(ds.y, test_fraction, rng);
  } else {
    idx = train_test_split_indices(ds.size(), test_fraction, rng);
  }
  return {subset(ds, idx.train), subset(ds, idx.test)};
}

}  // namespace grove::data

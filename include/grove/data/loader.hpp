#pragma once
/// \file DataLoader: mini-batches over (X, y) with an optional per-epoch shuffle that depends only
/// on the seed and the epoch number, so runs repeat bit for bit.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/rng.hpp"
#include "grove/core/shape.hpp"
#include "grove/data/dataset.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::data {

/// How a DataLoader walks its samples.
struct DataLoaderOptions {
  bool shuffle = false;     ///< a fresh permutation every epoch
  std::uint64_t seed = 0;   ///< the permutation of epoch e comes from Rng(seed).stream(e)
  bool drop_last = false;   ///< skip a final batch smaller than batch_size
};

/// Iterates mini-batches of rows of X (first axis = samples) and the matching rows of y.
/// Each batch is a copy, so changing it never changes the data set.
///
///   DataLoader loader(ds, 128, {.shuffle = true, .seed = 1});
///   for (std::size_t epoch = 0; epoch < 5; ++epoch)
///     for (auto& [xb, yb] : loader.epoch(epoch)) { ... }
///
/// Iterating the loader itself (`for (auto& b : loader)`) runs the next epoch: 0, 1, 2, ...
template <class T, class L = T>
class DataLoader {
public:
  /// One mini-batch: `X` is [b, ...] and `y` is [b, ...].
  struct Batch {
    Tensor<T> X;
    Tensor<L> y;
  };

  /// Batches over a Dataset's X and y.
  DataLoader(const Dataset<T>& ds, std::size_t batch_size, DataLoaderOptions options = {})
    requires std::is_same_v<L, T>
      : DataLoader(ds.X, ds.y, batch_size, options) {}

  /// Batches over rows of X and y (same number of rows).
  DataLoader(const Tensor<T>& X, const Tensor<L>& y, std::size_t batch_size, DataLoaderOptions options = {})
      : X_(X.contiguous()), y_(y.contiguous()), batch_size_(batch_size), options_(options) {
    if (batch_size == 0) detail::throw_value_error("DataLoader: batch_size must be >= 1, got 0");
    if (X.dim() == 0 || y.dim() == 0)
      detail::throw_shape_error("DataLoader: X " + to_string(X.shape()) + " and y " + to_string(y.shape()) +
                                       " need a leading sample axis");
    if (X.shape()[0] != y.shape()[0])
      detail::throw_shape_error("DataLoader: X " + to_string(X.shape()) + " has " +
                                       std::to_string(X.shape()[0]) + " samples but y " + to_string(y.shape()) +
                                       " has " + std::to_string(y.shape()[0]));
    n_ = X.shape()[0];
    x_row_ = n_ ? X_.size() / n_ : 0;
    y_row_ = n_ ? y_.size() / n_ : 0;
  }

  /// Number of samples.
  std::size_t n_samples() const noexcept { return n_; }
  /// Samples per full batch.
  std::size_t batch_size() const noexcept { return batch_size_; }
  /// Batches in one epoch (the short last batch counts unless drop_last).
  std::size_t size() const noexcept { return options_.drop_last ? n_ / batch_size_ : (n_ + batch_size_ - 1) / batch_size_; }
  const DataLoaderOptions& options() const noexcept { return options_; }

  /// The order samples are visited in during `epoch`.
  std::vector<std::size_t> order(std::size_t epoch) const {
    if (options_.shuffle) {
      Rng rng = Rng(options_.seed).stream(epoch);
      return rng.permutation(n_);
    }
    std::vector<std::size_t> idx(n_);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    return idx;
  }

  class Iterator;

  /// The batches of one epoch, as a range.
  class Epoch {
  public:
    Iterator begin() const { return Iterator(loader_, order_, 0); }
    Iterator end() const { return Iterator(loader_, order_, loader_->size()); }
    std::size_t size() const noexcept { return loader_->size(); }
    /// Batch `b` of this epoch.
    Batch operator[](std::size_t b) const { return loader_->gather(*order_, b); }

  private:
    friend class DataLoader;
    Epoch(const DataLoader* loader, std::size_t epoch)
        : loader_(loader), order_(std::make_shared<const std::vector<std::size_t>>(loader->order(epoch))) {}
    const DataLoader* loader_;
    std::shared_ptr<const std::vector<std::size_t>> order_;
  };

  /// Forward iterator over an epoch's batches; dereferencing gathers the batch.
  class Iterator {
  public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;

    Iterator() = default;
    Batch& operator*() {
      if (!ready_) {
        current_ = loader_->gather(*order_, index_);
        ready_ = true;
      }
      return current_;
    }
    Batch* operator->() { return &**this; }
    Iterator& operator++() {
      ++index_;
      ready_ = false;
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.index_ == b.index_; }

  private:
    friend class Epoch;
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<std::size_t>> order, std::size_t index)
        : loader_(loader), order_(std::move(order)), index_(index) {}
    const DataLoader* loader_ = nullptr;
    std::shared_ptr<const std::vector<std::size_t>> order_;
    std::size_t index_ = 0;
    Batch current_;
    bool ready_ = false;
  };

  /// The batches of epoch `e` (its shuffle depends only on the seed and e).
  Epoch epoch(std::size_t e) const { return Epoch(this, e); }

  /// Starts the next epoch (0 on the first call) and returns its first batch.
  Iterator begin() {
    current_epoch_ = std::make_shared<Epoch>(epoch(next_epoch_++));
    return current_epoch_->begin();
  }
  Iterator end() { return current_epoch_ ? current_epoch_->end() : Epoch(this, 0).end(); }

  /// Number of epochs begin() has started.
  std::size_t epochs_started() const noexcept { return next_epoch_; }
  /// Makes the next begin() run epoch `e`.
  void set_epoch(std::size_t e) noexcept { next_epoch_ = e; }

private:
  Batch gather(const std::vector<std::size_t>& order, std::size_t b) const {
    const std::size_t lo = b * batch_size_;
    const std::size_t hi = std::min(n_, lo + batch_size_);
    const std::size_t m = hi - lo;
    Shape xs = X_.shape(), ys = y_.shape();
    xs[0] = m;
    ys[0] = m;
    Batch out{Tensor<T>(xs), Tensor<L>(ys)};
    T* xd = out.X.data();
    L* yd = out.y.data();
    const T* xsrc = X_.data();
    const L* ysrc = y_.data();
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t r = order[lo + i];
      if (x_row_) std::memcpy(xd + i * x_row_, xsrc + r * x_row_, x_row_ * sizeof(T));
      if (y_row_) std::memcpy(yd + i * y_row_, ysrc + r * y_row_, y_row_ * sizeof(L));
    }
    return out;
  }

  Tensor<T> X_;
  Tensor<L> y_;
  std::size_t batch_size_;
  DataLoaderOptions options_;
  std::size_t n_ = 0;
  std::size_t x_row_ = 0;
  std::size_t y_row_ = 0;
  std::size_t next_epoch_ = 0;
  std::shared_ptr<Epoch> current_epoch_;
};

template <class T>
DataLoader(const Dataset<T>&, std::size_t, DataLoaderOptions = {}) -> DataLoader<T, T>;
template <class T, class L>
DataLoader(const Tensor<T>&, const Tensor<L>&, std::size_t, DataLoaderOptions = {}) -> DataLoader<T, L>;

}  // namespace grove::data

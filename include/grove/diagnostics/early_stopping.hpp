#pragma once
/// \file EarlyStopping: watches one monitored value (e.g. "val_loss"), remembers the best step and
/// says when `patience` steps passed without improvement; can snapshot and restore the best
/// weights of any model exposing parameters().

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/diagnostics/history.hpp"

namespace grove::diag {

/// Whether smaller (Min) or larger (Max) monitored values are better; Auto picks Max for names
/// that look like scores (accuracy, auc, r2, f1, precision, recall, score) and Min otherwise.
enum class Mode { Min, Max, Auto };

/// Settings of EarlyStopping.
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";  ///< History series watched by update(history)
  std::size_t patience = 10;         ///< steps without improvement before should_stop()
  double min_delta = 0.0;            ///< an improvement must beat the best by more than this
  Mode mode = Mode::Auto;
};

}  // namespace grove::diag

namespace grove::detail {

/// True for monitor names that are scores (higher is better).
inline bool looks_like_score(const std::string& name) {
  static constexpr const char* keys[] = {"acc", "auc", "r2", "f1", "precision", "recall", "score"};
  for (const char* k : keys)
    if (name.find(k) != std::string::npos) return true;
  return false;
}

/// Calls f(tensor) for each parameter of `model` (parameters() may hold Tensor handles or
/// pointers to them).
template <class Model, class F>
void for_each_parameter(Model& model, F&& f) {
  auto&& params = model.parameters();
  for (auto&& p : params) {
    if constexpr (std::is_pointer_v<std::remove_cvref_t<decltype(p)>>)
      f(*p);
    else
      f(p);
  }
}

}  // namespace grove::detail

namespace grove::diag {

/// Stops training when the monitored value has not improved for `patience` steps.
class EarlyStopping {
public:
  /// Validates the options (min_delta must be finite and >= 0, monitor non-empty).
  explicit EarlyStopping(EarlyStoppingOptions options = {}) : opt_(std::move(options)) {
    if (opt_.monitor.empty()) grove::detail::throw_value_error("EarlyStopping: monitor must name a series");
    if (!(opt_.min_delta >= 0) || !std::isfinite(opt_.min_delta))
      grove::detail::throw_value_error("EarlyStopping: min_delta must be finite and >= 0, got " +
                                       std::to_string(opt_.min_delta));
    maximize_ = opt_.mode == Mode::Max || (opt_.mode == Mode::Auto && detail::looks_like_score(opt_.monitor));
  }

  /// Records the monitored value at `step`; returns true when it is a new best. NaN never
  /// improves (a diverged run counts toward patience).
  bool update(std::size_t step, double value) {
    ++seen_;
    last_step_ = step;
    const bool better = std::isfinite(value) &&
                        (!has_best_ || (maximize_ ? value > best_ + opt_.min_delta : value < best_ - opt_.min_delta));
    if (better) {
      best_ = value;
      best_step_ = step;
      has_best_ = true;
      wait_ = 0;
    } else {
      ++wait_;
      if (wait_ >= opt_.patience && !stopped_) {
        stopped_ = true;
        stopped_step_ = step;
      }
    }
    return better;
  }

  /// As update(step, value), and snapshots `model`'s parameters when the value is a new best.
  template <class Model>
  bool update(std::size_t step, double value, const Model& model) {
    const bool better = update(step, value);
    if (better) snapshot(model);
    return better;
  }

  /// Reads the newest value of the monitored series from `history` (ValueError if absent).
  bool update(const History& history) {
    const auto& v = history.series(opt_.monitor);
    const auto& s = history.steps(opt_.monitor);
    if (v.empty()) grove::detail::throw_value_error("EarlyStopping: series '" + opt_.monitor + "' is empty");
    return update(s.back(), v.back());
  }

  /// As update(history), and snapshots `model` on a new best.
  template <class Model>
  bool update(const History& history, const Model& model) {
    const bool better = update(history);
    if (better) snapshot(model);
    return better;
  }

  /// True once `patience` consecutive updates brought no improvement.
  bool should_stop() const noexcept { return stopped_; }
  /// Step of the best value so far (0 before any finite value).
  std::size_t best_step() const noexcept { return best_step_; }
  /// Best value so far (NaN before any finite value).
  double best_value() const noexcept { return has_best_ ? best_ : std::numeric_limits<double>::quiet_NaN(); }
  /// True once a finite value was seen.
  bool has_best() const noexcept { return has_best_; }
  /// Updates since the last improvement.
  std::size_t wait() const noexcept { return wait_; }
  /// Step at which should_stop() first became true (only meaningful when it is).
  std::size_t stopped_step() const noexcept { return stopped_step_; }
  /// Larger values are better.
  bool maximize() const noexcept { return maximize_; }
  const EarlyStoppingOptions& options() const noexcept { return opt_; }

  /// Copies every parameter of `model` (anything whose parameters() yields grove::Tensor handles
  /// or pointers to them) into the snapshot, replacing any earlier one.
  template <class Model>
  void snapshot(const Model& model) {
    std::vector<std::vector<double>> data;
    detail::for_each_parameter(const_cast<Model&>(model), [&](const auto& t) {
      const auto v = t.to_vector();
      data.emplace_back(v.begin(), v.end());
    });
    snapshot_ = std::move(data);
    has_snapshot_ = true;
  }

  /// True once snapshot() ran.
  bool has_snapshot() const noexcept { return has_snapshot_; }

  /// Copies the snapshot back into `model`'s parameters in place (the tensors keep their
  /// identity, so optimizers holding them see the restored values). ValueError if there is no
  /// snapshot, ShapeError if the model's parameters changed count or size.
  template <class Model>
  void restore_best(Model& model) const {
    if (!has_snapshot_) grove::detail::throw_value_error("EarlyStopping::restore_best: no snapshot taken");
    std::size_t count = 0;
    detail::for_each_parameter(model, [&](auto& t) { ++count, (void)t; });
    if (count != snapshot_.size())
      grove::detail::throw_shape_error("EarlyStopping::restore_best: model has " + std::to_string(count) +
                                       " parameters, snapshot has " + std::to_string(snapshot_.size()));
    std::size_t i = 0;
    detail::for_each_parameter(model, [&](auto& t) {
      const auto& src = snapshot_[i];
      if (t.size() != src.size())
        grove::detail::throw_shape_error("EarlyStopping::restore_best: parameter " + std::to_string(i) + " has " +
                                         std::to_string(t.size()) + " elements, snapshot has " +
                                         std::to_string(src.size()));
      ++i;
    });
    i = 0;
    detail::for_each_parameter(model, [&](auto& t) {
      using T = std::remove_cvref_t<decltype(*t.data())>;
      const auto& src = snapshot_[i++];
      if (t.is_contiguous()) {
        T* dst = t.data();
        for (std::size_t k = 0; k < src.size(); ++k) dst[k] = static_cast<T>(src[k]);
      } else {
        // A strided view: walk its elements in row-major order through the checked indexer.
        write_strided(t, src);
      }
    });
  }

  /// Forgets everything (best, patience counter, snapshot).
  void reset() noexcept {
    has_best_ = stopped_ = has_snapshot_ = false;
    best_ = 0;
    best_step_ = last_step_ = stopped_step_ = wait_ = seen_ = 0;
    snapshot_.clear();
  }

private:
  template <class TensorT>
  static void write_strided(TensorT& t, const std::vector<double>& src) {
    using T = std::remove_cvref_t<decltype(*t.data())>;
    const auto& shape = t.shape();
    const auto& strides = t.strides();
    const std::size_t nd = shape.size();
    std::vector<std::size_t> idx(nd, 0);
    T* base = t.data();
    for (std::size_t k = 0; k < src.size(); ++k) {
      std::size_t off = 0;
      for (std::size_t d = 0; d < nd; ++d) off += idx[d] * strides[d];
      base[off] = static_cast<T>(src[k]);
      for (std::size_t d = nd; d-- > 0;) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  }

  EarlyStoppingOptions opt_;
  bool maximize_ = false;
  bool has_best_ = false, stopped_ = false, has_snapshot_ = false;
  double best_ = 0;
  std::size_t best_step_ = 0, last_step_ = 0, stopped_step_ = 0, wait_ = 0, seen_ = 0;
  std::vector<std::vector<double>> snapshot_;
};

}  // namespace grove::diag

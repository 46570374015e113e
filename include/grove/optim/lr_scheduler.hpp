#pragma once
/// \file Learning-rate schedulers (PyTorch's closed forms): StepLR, CosineAnnealingLR,
/// LinearWarmup (PyTorch's LinearLR up to 1), ReduceLROnPlateau. A scheduler reads the
/// optimizer's learning rate when built (the base rate), sets the rate for step 0 at once, and
/// sets the next one on each step(); call step() once per epoch (or per batch, consistently).

#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <string>

#include "grove/optim/optimizer.hpp"

namespace grove::optim {

/// Base of the epoch-indexed schedulers: lr(e) is a function of the step count e.
class LrScheduler {
public:
  virtual ~LrScheduler() = default;
  /// Advances one step and sets the optimizer's learning rate for it.
  void step() {
    ++epoch_;
    opt_->set_lr(lr_at(epoch_));
  }
  /// The learning rate set last.
  double last_lr() const noexcept { return opt_->lr(); }
  /// Steps taken so far.
  std::size_t epoch() const noexcept { return epoch_; }
  /// The optimizer's learning rate when the scheduler was built.
  double base_lr() const noexcept { return base_lr_; }
  /// The learning rate this schedule gives at step e.
  virtual double lr_at(std::size_t e) const = 0;

protected:
  explicit LrScheduler(OptimizerBase& opt) : opt_(&opt), base_lr_(opt.lr()) {}
  /// Derived constructors call this once their parameters are set.
  void start() { opt_->set_lr(lr_at(0)); }

  OptimizerBase* opt_;
  double base_lr_;
  std::size_t epoch_ = 0;
};

/// lr = base * gamma^floor(e / step_size).
class StepLR : public LrScheduler {
public:
  StepLR(OptimizerBase& opt, std::size_t step_size, double gamma = 0.1)
      : LrScheduler(opt), step_size_(step_size), gamma_(gamma) {
    if (step_size == 0) grove::detail::throw_value_error("StepLR: step_size must be >= 1, got 0");
    detail::check_nonnegative("StepLR", "gamma", gamma);
    start();
  }
  double lr_at(std::size_t e) const override {
    return base_lr_ * std::pow(gamma_, static_cast<double>(e / step_size_));
  }

private:
  std::size_t step_size_;
  double gamma_;
};

/// lr = eta_min + (base - eta_min) * (1 + cos(pi * e / t_max)) / 2: from base at e = 0 down to
/// eta_min at e = t_max (PyTorch's closed form; past t_max the cosine rises again).
class CosineAnnealingLR : public LrScheduler {
public:
  CosineAnnealingLR(OptimizerBase& opt, std::size_t t_max, double eta_min = 0.0)
      : LrScheduler(opt), t_max_(t_max), eta_min_(eta_min) {
    if (t_max == 0) grove::detail::throw_value_error("CosineAnnealingLR: t_max must be >= 1, got 0");
    detail::check_nonnegative("CosineAnnealingLR", "eta_min", eta_min);
    start();
  }
  double lr_at(std::size_t e) const override {
    const double c = std::cos(std::numbers::pi * static_cast<double>(e) / static_cast<double>(t_max_));
    return eta_min_ + (base_lr_ - eta_min_) * (1.0 + c) / 2.0;
  }

private:
  std::size_t t_max_;
  double eta_min_;
};

/// Linear warmup: lr = base * (f + (1 - f) * min(e, warmup_steps) / warmup_steps), f the start
/// factor (PyTorch's LinearLR with end_factor 1; its default start factor is 1/3).
class LinearWarmup : public LrScheduler {
public:
  LinearWarmup(OptimizerBase& opt, std::size_t warmup_steps, double start_factor = 1.0 / 3.0)
      : LrScheduler(opt), warmup_(warmup_steps), start_(start_factor) {
    if (warmup_steps == 0) grove::detail::throw_value_error("LinearWarmup: warmup_steps must be >= 1, got 0");
    detail::check_range("LinearWarmup", "start_factor", start_factor, 0.0, 1.0, false, "in [0, 1]");
    start();
  }
  double lr_at(std::size_t e) const override {
    const double done = static_cast<double>(e < warmup_ ? e : warmup_) / static_cast<double>(warmup_);
    return base_lr_ * (start_ + (1.0 - start_) * done);
  }

private:
  std::size_t warmup_;
  double start_;
};

/// Options of ReduceLROnPlateau (PyTorch's defaults).
struct PlateauOptions {
  enum class Mode { Min, Max };
  enum class Threshold { Rel, Abs };
  Mode mode = Mode::Min;          ///< Min: lower metric is better (a loss); Max: higher (accuracy)
  double factor = 0.1;            ///< new lr = lr * factor
  std::size_t patience = 10;      ///< bad epochs tolerated before reducing
  double threshold = 1e-4;        ///< what counts as an improvement
  Threshold threshold_mode = Threshold::Rel;
  std::size_t cooldown = 0;       ///< epochs to wait after a reduction
  double min_lr = 0.0;
  double eps = 1e-8;              ///< reductions smaller than this are skipped
};

/// Reduces the learning rate by `factor` when a metric stops improving for `patience` epochs.
class ReduceLROnPlateau {
public:
  explicit ReduceLROnPlateau(OptimizerBase& opt, PlateauOptions options = {}) : opt_(&opt), o_(options) {
    detail::check_range("ReduceLROnPlateau", "factor", o_.factor, 0.0, 1.0, true, "in [0, 1)");
    detail::check_nonnegative("ReduceLROnPlateau", "threshold", o_.threshold);
    detail::check_nonnegative("ReduceLROnPlateau", "min_lr", o_.min_lr);
    best_ = o_.mode == PlateauOptions::Mode::Min ? std::numeric_limits<double>::infinity()
                                                 : -std::numeric_limits<double>::infinity();
  }

  /// Reports this epoch's metric; may lower the optimizer's learning rate. Returns true if it did.
  bool step(double metric) {
    ++epoch_;
    if (better(metric)) {
      best_ = metric;
      bad_ = 0;
    } else {
      ++bad_;
    }
    if (cooldown_left_ > 0) {
      --cooldown_left_;
      bad_ = 0;
    }
    if (bad_ > o_.patience) {
      const double old = opt_->lr();
      const double next = std::max(old * o_.factor, o_.min_lr);
      cooldown_left_ = o_.cooldown;
      bad_ = 0;
      if (old - next > o_.eps) {
        opt_->set_lr(next);
        return true;
      }
    }
    return false;
  }

  double last_lr() const noexcept { return opt_->lr(); }
  double best() const noexcept { return best_; }
  std::size_t bad_epochs() const noexcept { return bad_; }

private:
  bool better(double a) const {
    const bool rel = o_.threshold_mode == PlateauOptions::Threshold::Rel;
    if (o_.mode == PlateauOptions::Mode::Min)
      return rel ? a < best_ * (1.0 - o_.threshold) : a < best_ - o_.threshold;
    return rel ? a > best_ * (1.0 + o_.threshold) : a > best_ + o_.threshold;
  }

  OptimizerBase* opt_;
  PlateauOptions o_;
  double best_;
  std::size_t bad_ = 0;
  std::size_t cooldown_left_ = 0;
  std::size_t epoch_ = 0;
};

}  // namespace grove::optim

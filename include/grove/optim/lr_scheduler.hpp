#pragma once
/// \file Learning-rate schedulers (PyTorch's closed forms): StepLR, CosineAnnealingLR,
/// LinearWarmup (PyTorch's LinearLR up to 1), ReduceLROnPlateau. A scheduler reads the
/// optimizer's learning rate when built (the base rate), sets the rate for step 0 at once, and
/// sets the next one on each step(); call step() once per epoch (or per batch, consistently).
/// Every scheduler's state comes out with state_dict() and goes back with load_state_dict().

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/optim/optimizer.hpp"

namespace grove::optim {

/// A scheduler's state as plain values: options (checked on load) and counters (restored).
struct SchedulerState {
  std::string name;                                     ///< "StepLR", "ReduceLROnPlateau", ...
  std::vector<std::pair<std::string, double>> options;  ///< construction parameters
  std::vector<std::pair<std::string, double>> values;   ///< step count, base rate, plateau tracking

  friend bool operator==(const SchedulerState&, const SchedulerState&) = default;
};

/// The common base of every scheduler: its name and its state.
class Scheduler {
public:
  virtual ~Scheduler() = default;
  /// "StepLR", "CosineAnnealingLR", "LinearWarmup", "ReduceLROnPlateau".
  virtual const char* name() const noexcept = 0;
  /// A copy of the scheduler's state.
  SchedulerState state_dict() const {
    SchedulerState s{name(), options(), values()};
    return s;
  }
  /// Restores a state from a scheduler of the same kind and options (ValueError naming the
  /// first difference otherwise; nothing changes then).
  void load_state_dict(const SchedulerState& s) {
    const std::string problem = incompatibility(s);
    if (!problem.empty()) detail::throw_value_error(std::string(name()) + ": load_state_dict: " + problem);
    restore(s);
  }
  /// "" when `s` can be loaded into this scheduler, else what differs.
  std::string incompatibility(const SchedulerState& s) const {
    if (s.name != name()) return "the state is from " + s.name + ", not " + name();
    const auto own = options();
    if (s.options.size() != own.size()) return "the state has " + std::to_string(s.options.size()) + " options, expected " + std::to_string(own.size());
    for (std::size_t i = 0; i < own.size(); ++i) {
      if (s.options[i].first != own[i].first) return "the state lacks option '" + own[i].first + "'";
      if (!(s.options[i].second == own[i].second))
        return "option " + own[i].first + " is " + format_number(s.options[i].second) + " in the state but " +
               format_number(own[i].second) + " here";
    }
    const auto vals = values();
    if (s.values.size() != vals.size()) return "the state has " + std::to_string(s.values.size()) + " values, expected " + std::to_string(vals.size());
    for (std::size_t i = 0; i < vals.size(); ++i) {
      if (s.values[i].first != vals[i].first) return "the state lacks value '" + vals[i].first + "'";
      if (std::isnan(s.values[i].second)) return "value " + vals[i].first + " is nan";
    }
    return check_values(s);
  }
  /// Puts `s` into this scheduler; call only after incompatibility(s) returned "".
  virtual void restore(const SchedulerState& s) = 0;

protected:
  virtual std::vector<std::pair<std::string, double>> options() const = 0;
  virtual std::vector<std::pair<std::string, double>> values() const = 0;
  /// Range checks of restored values ("" when fine).
  virtual std::string check_values(const SchedulerState&) const { return ""; }
};

/// Base of the epoch-indexed schedulers: lr(e) is a function of the step count e.
class LrScheduler : public Scheduler {
public:
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

  /// Restores the step count and base rate, and sets the optimizer's rate for that step (so
  /// the order in which an optimizer and its scheduler are restored does not matter).
  void restore(const SchedulerState& s) override {
    epoch_ = static_cast<std::size_t>(s.values[0].second);
    base_lr_ = s.values[1].second;
    opt_->set_lr(lr_at(epoch_));
  }

protected:
  explicit LrScheduler(OptimizerBase& opt) : opt_(&opt), base_lr_(opt.lr()) {}
  /// Derived constructors call this once their parameters are set.
  void start() { opt_->set_lr(lr_at(0)); }
  std::vector<std::pair<std::string, double>> values() const override {
    return {{"epoch", static_cast<double>(epoch_)}, {"base_lr", base_lr_}};
  }
  std::string check_values(const SchedulerState& s) const override {
    const double e = s.values[0].second, base = s.values[1].second;
    if (!(e >= 0 && e <= 9007199254740992.0 && std::floor(e) == e)) return "epoch " + format_number(e) + " is not a step count";
    if (!detail::kNonNegative.contains(base)) return "base_lr " + format_number(base) + " is not in [0, inf)";
    return "";
  }

  OptimizerBase* opt_;
  double base_lr_;
  std::size_t epoch_ = 0;
};

/// lr = base * gamma^floor(e / step_size).
class StepLR : public LrScheduler {
public:
  StepLR(OptimizerBase& opt, std::size_t step_size, double gamma = 0.1)
      : LrScheduler(opt), step_size_(step_size), gamma_(gamma) {
    if (step_size == 0) detail::throw_value_error("StepLR: step_size must be >= 1, got 0");
    detail::check_range("StepLR", "gamma", gamma, detail::kNonNegative);
    start();
  }
  const char* name() const noexcept override { return "StepLR"; }
  double lr_at(std::size_t e) const override {
    return base_lr_ * std::pow(gamma_, static_cast<double>(e / step_size_));
  }

protected:
  std::vector<std::pair<std::string, double>> options() const override {
    return {{"step_size", static_cast<double>(step_size_)}, {"gamma", gamma_}};
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
    if (t_max == 0) detail::throw_value_error("CosineAnnealingLR: t_max must be >= 1, got 0");
    detail::check_range("CosineAnnealingLR", "eta_min", eta_min, detail::kNonNegative);
    start();
  }
  const char* name() const noexcept override { return "CosineAnnealingLR"; }
  double lr_at(std::size_t e) const override {
    const double c = std::cos(std::numbers::pi * static_cast<double>(e) / static_cast<double>(t_max_));
    return std::max(0.0, eta_min_ + (base_lr_ - eta_min_) * (1.0 + c) / 2.0);
  }

protected:
  std::vector<std::pair<std::string, double>> options() const override {
    return {{"t_max", static_cast<double>(t_max_)}, {"eta_min", eta_min_}};
  }

private:
  std::size_t t_max_;
  double eta_min_;
};

/// Linear warmup: lr = base * (f + (1 - f) * min(e, warmup_steps) / warmup_steps), f the start
/// factor in (0, 1] (PyTorch's LinearLR with end_factor 1; its default start factor is 1/3).
class LinearWarmup : public LrScheduler {
public:
  LinearWarmup(OptimizerBase& opt, std::size_t warmup_steps, double start_factor = 1.0 / 3.0)
      : LrScheduler(opt), warmup_(warmup_steps), start_(start_factor) {
    if (warmup_steps == 0) detail::throw_value_error("LinearWarmup: warmup_steps must be >= 1, got 0");
    detail::check_range("LinearWarmup", "start_factor", start_factor, Interval{0.0, 1.0, true, false});
    start();
  }
  const char* name() const noexcept override { return "LinearWarmup"; }
  double lr_at(std::size_t e) const override {
    const double done = static_cast<double>(e < warmup_ ? e : warmup_) / static_cast<double>(warmup_);
    return base_lr_ * (start_ + (1.0 - start_) * done);
  }

protected:
  std::vector<std::pair<std::string, double>> options() const override {
    return {{"warmup_steps", static_cast<double>(warmup_)}, {"start_factor", start_}};
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
  double factor = 0.1;            ///< new lr = lr * factor, factor in (0, 1)
  std::size_t patience = 10;      ///< bad epochs tolerated before reducing
  double threshold = 1e-4;        ///< what counts as an improvement
  Threshold threshold_mode = Threshold::Rel;
  std::size_t cooldown = 0;       ///< epochs to wait after a reduction
  double min_lr = 0.0;
  double eps = 1e-8;              ///< reductions smaller than this are skipped
};

/// Reduces the learning rate by `factor` when a metric stops improving for `patience` epochs.
class ReduceLROnPlateau : public Scheduler {
public:
  explicit ReduceLROnPlateau(OptimizerBase& opt, PlateauOptions options = {}) : opt_(&opt), o_(options) {
    detail::check_range("ReduceLROnPlateau", "factor", o_.factor, Interval{0.0, 1.0, true, true});
    detail::check_range("ReduceLROnPlateau", "threshold", o_.threshold, detail::kNonNegative);
    detail::check_range("ReduceLROnPlateau", "min_lr", o_.min_lr, detail::kNonNegative);
    detail::check_range("ReduceLROnPlateau", "eps", o_.eps, detail::kNonNegative);
    best_ = worst();
  }
  const char* name() const noexcept override { return "ReduceLROnPlateau"; }

  /// Reports this epoch's metric; may lower the optimizer's learning rate. Returns true if it did.
  /// A NaN metric never counts as an improvement.
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
  std::size_t epoch() const noexcept { return epoch_; }

  /// Restores the tracking state (best metric, bad epochs, cooldown, step count); the learning
  /// rate itself is part of the optimizer's state.
  void restore(const SchedulerState& s) override {
    epoch_ = static_cast<std::size_t>(s.values[0].second);
    best_ = s.values[1].second;
    bad_ = static_cast<std::size_t>(s.values[2].second);
    cooldown_left_ = static_cast<std::size_t>(s.values[3].second);
  }

protected:
  std::vector<std::pair<std::string, double>> options() const override {
    return {{"mode", o_.mode == PlateauOptions::Mode::Min ? 0.0 : 1.0},
            {"factor", o_.factor},
            {"patience", static_cast<double>(o_.patience)},
            {"threshold", o_.threshold},
            {"threshold_mode", o_.threshold_mode == PlateauOptions::Threshold::Rel ? 0.0 : 1.0},
            {"cooldown", static_cast<double>(o_.cooldown)},
            {"min_lr", o_.min_lr},
            {"eps", o_.eps}};
  }
  std::vector<std::pair<std::string, double>> values() const override {
    return {{"epoch", static_cast<double>(epoch_)},
            {"best", best_},
            {"bad_epochs", static_cast<double>(bad_)},
            {"cooldown_left", static_cast<double>(cooldown_left_)}};
  }
  std::string check_values(const SchedulerState& s) const override {
    for (std::size_t i : {std::size_t{0}, std::size_t{2}, std::size_t{3}}) {
      const double v = s.values[i].second;
      if (!(v >= 0 && v <= 9007199254740992.0 && std::floor(v) == v))
        return s.values[i].first + " " + format_number(v) + " is not a count";
    }
    return "";
  }

private:
  double worst() const noexcept {
    return o_.mode == PlateauOptions::Mode::Min ? std::numeric_limits<double>::infinity()
                                                : -std::numeric_limits<double>::infinity();
  }
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

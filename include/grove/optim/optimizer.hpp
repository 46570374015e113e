#pragma once
/// \file Optimizer<T>: the base of grove's optimizers. Updates are plain in-place loops over each
/// parameter's contiguous data and gradient (no autograd graph is recorded); parameters without
/// an accumulated gradient are skipped, as PyTorch skips grad None.

#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::optim {

namespace detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_option(const char* opt, const char* name, double value,
                                                                    const char* allowed) {
  grove::detail::throw_value_error(std::string(opt) + ": " + name + " must be " + allowed + ", got " +
                                   std::to_string(value));
}

/// Checks lo <= v (and v < hi or v <= hi) for an option; NaN always fails.
inline void check_range(const char* opt, const char* name, double v, double lo, double hi, bool hi_open,
                        const char* allowed) {
  const bool ok = v >= lo && (hi_open ? v < hi : v <= hi);
  if (!ok) throw_bad_option(opt, name, v, allowed);
}

inline void check_nonnegative(const char* opt, const char* name, double v) {
  if (!(v >= 0.0) || std::isinf(v)) throw_bad_option(opt, name, v, ">= 0 and finite");
}

/// Elementwise updates of tensors larger than this are split over the pool in fixed chunks.
inline constexpr std::size_t kUpdateGrain = std::size_t{1} << 16;

/// Runs body(lo, hi) over [0, n); large ranges in fixed chunks on the pool (elementwise updates
/// have no reductions, so the result is the same for any thread count).
template <class F>
inline void for_range(std::size_t n, F&& body) {
  if (n < 2 * kUpdateGrain || grove::in_parallel_region()) {
    body(std::size_t{0}, n);
    return;
  }
  grove::parallel_for(0, n, kUpdateGrain, [&](std::size_t lo, std::size_t hi) { body(lo, hi); });
}

}  // namespace detail

/// What learning-rate schedulers see of an optimizer: its learning rate.
class OptimizerBase {
public:
  virtual ~OptimizerBase() = default;
  /// Applies one update to every parameter that has a gradient.
  virtual void step() = 0;
  /// Sets every parameter's gradient to zero.
  virtual void zero_grad() = 0;
  /// Current learning rate.
  double lr() const noexcept { return lr_; }
  /// Changes the learning rate (>= 0; schedulers call this).
  void set_lr(double lr) {
    detail::check_nonnegative(name_, "lr", lr);
    lr_ = lr;
  }
  /// Number of step() calls so far.
  std::size_t steps() const noexcept { return steps_; }
  /// The optimizer's name ("SGD", "Adam", ...).
  const char* name() const noexcept { return name_; }

protected:
  OptimizerBase(const char* name, double lr) : name_(name) { set_lr(lr); }
  const char* name_;
  double lr_ = 0;
  std::size_t steps_ = 0;
};

/// An optimizer over a list of parameters of scalar type T. Holds the tensors by handle, so it
/// updates the very tensors the module computes with.
template <class T>
class Optimizer : public OptimizerBase {
  static_assert(std::is_floating_point_v<T>, "optim::Optimizer<T>: T must be float or double");

public:
  void zero_grad() override {
    for (auto& p : params_) p.zero_grad();
  }
  /// The parameters being optimized.
  const std::vector<Tensor<T>>& params() const noexcept { return params_; }

protected:
  Optimizer(const char* name, std::vector<Tensor<T>> params, double lr)
      : OptimizerBase(name, lr), params_(std::move(params)) {
    if (params_.empty()) grove::detail::throw_value_error(std::string(name) + ": got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const Tensor<T>& p = params_[i];
      if (!p.is_leaf() || !p.requires_grad() || !p.is_contiguous())
        grove::detail::throw_value_error(std::string(name) + ": parameter " + std::to_string(i) + " of shape " +
                                         to_string(p.shape()) +
                                         " must be a contiguous leaf tensor with requires_grad(true)");
    }
  }

  /// Per-parameter state buffers, zero-initialized and sized like each parameter.
  std::vector<std::vector<T>> make_state() const {
    std::vector<std::vector<T>> s;
    s.reserve(params_.size());
    for (const auto& p : params_) s.emplace_back(p.size(), T(0));
    return s;
  }

  /// Calls f(i, param data, grad data, size) for each parameter with a gradient.
  template <class F>
  void for_each_with_grad(F&& f) {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      Tensor<T>& p = params_[i];
      if (!p.has_grad()) continue;
      Tensor<T> g = p.grad();
      f(i, p.data(), static_cast<const T*>(g.data()), p.size());
    }
  }

  std::vector<Tensor<T>> params_;
};

}  // namespace grove::optim

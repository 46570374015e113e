#pragma once
/// \file Optimizer<T>: the base of grove's optimizers. Updates are plain in-place loops over each
/// parameter's contiguous data and gradient (no autograd graph is recorded); parameters without
/// an accumulated gradient are skipped, as PyTorch skips grad None. Every optimizer's state
/// (learning rate, step counts, per-parameter buffers) can be taken out with state_dict() and put
/// back with load_state_dict(), so training resumed from a checkpoint continues bitwise as if it
/// had never stopped (optim/serialize.hpp writes the same state to files).

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/parallel.hpp"
#include "grove/nn/detail/intervals.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

/// Elementwise updates of tensors larger than this are split over the pool in fixed chunks.
inline constexpr std::size_t kUpdateGrain = std::size_t{1} << 16;

/// Runs body(lo, hi) over [0, n); large ranges in fixed chunks on the pool (elementwise updates
/// have no reductions, so the result is the same for any thread count).
template <class F>
inline void update_chunks(std::size_t n, F&& body) {
  if (n < 2 * kUpdateGrain || in_parallel_region()) {
    body(std::size_t{0}, n);
    return;
  }
  parallel_for(0, n, kUpdateGrain, [&](std::size_t lo, std::size_t hi) { body(lo, hi); });
}

}  // namespace detail

namespace optim {

/// An optimizer's complete state as plain values: what a checkpoint stores. Options are
/// checked on load (they must equal the loading optimizer's), everything else is restored.
template <class T>
struct OptimizerState {
  std::string name;                                   ///< "SGD", "Adam", ...
  double lr = 0;                                      ///< current learning rate (restored)
  std::uint64_t steps = 0;                            ///< step() calls so far (restored)
  std::vector<std::uint64_t> param_sizes;             ///< element count of each parameter
  std::vector<std::pair<std::string, double>> options;  ///< hyperparameters (bools as 0/1)
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> counters;  ///< one value per parameter
  std::vector<std::pair<std::string, std::vector<std::vector<T>>>> buffers;  ///< one array per parameter

  friend bool operator==(const OptimizerState&, const OptimizerState&) = default;
};

/// Walks an optimizer's state fields; the same walk saves, checks and restores them.
template <class T>
struct StateVisitor {
  virtual ~StateVisitor() = default;
  /// A hyperparameter: saved, and compared on load.
  virtual void option(const char* name, double value) = 0;
  /// Per-parameter counters (e.g. Adam's step t), one per parameter.
  virtual void counters(const char* name, std::vector<std::uint64_t>& values) = 0;
  /// Per-parameter buffers (e.g. Adam's moments): one array per parameter, sized like it, or
  /// none at all (an empty outer vector) when the option that needs them is off.
  virtual void buffers(const char* name, std::vector<std::vector<T>>& values) = 0;
};

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
  /// Changes the learning rate (in [0, inf); schedulers call this).
  void set_lr(double lr) {
    detail::check_range(name_, "lr", lr, detail::kNonNegative);
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

  /// A copy of the complete state (learning rate, step counts, options, per-parameter buffers).
  OptimizerState<T> state_dict() const;

  /// Restores a state taken from an optimizer of the same kind, options and parameter shapes
  /// (ValueError naming the first difference otherwise; nothing is changed then).
  void load_state_dict(const OptimizerState<T>& state) {
    const std::string problem = incompatibility(state);
    if (!problem.empty()) detail::throw_value_error(std::string(name_) + ": load_state_dict: " + problem);
    restore(state);
  }

  /// "" when `state` can be loaded into this optimizer, else what differs (used by file loaders
  /// to report a FormatError instead).
  std::string incompatibility(const OptimizerState<T>& state) const;

  /// Puts `state` into this optimizer; call only after incompatibility(state) returned "".
  void restore(const OptimizerState<T>& state);

protected:
  Optimizer(const char* name, std::vector<Tensor<T>> params, double lr)
      : OptimizerBase(name, lr), params_(std::move(params)) {
    if (params_.empty()) detail::throw_value_error(std::string(name) + ": got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const Tensor<T>& p = params_[i];
      if (!p.is_leaf() || !p.requires_grad() || !p.is_contiguous())
        detail::throw_value_error(std::string(name) + ": parameter " + std::to_string(i) + " of shape " +
                                  to_string(p.shape()) +
                                  " must be a contiguous leaf tensor with requires_grad(true)");
    }
  }

  /// Walks this optimizer's state fields (options, counters, buffers) in a fixed order.
  virtual void visit_state(StateVisitor<T>& v) = 0;

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

private:
  // visit_state only reads through a saving or checking visitor; the walk is non-const
  // because the restoring visitor writes through the same references.
  Optimizer& self() const noexcept { return const_cast<Optimizer&>(*this); }
};

}  // namespace optim

namespace detail {

/// Copies an optimizer's fields into an OptimizerState.
template <class T>
struct SaveVisitor final : optim::StateVisitor<T> {
  optim::OptimizerState<T>* out;
  explicit SaveVisitor(optim::OptimizerState<T>& s) : out(&s) {}
  void option(const char* name, double value) override { out->options.emplace_back(name, value); }
  void counters(const char* name, std::vector<std::uint64_t>& values) override {
    out->counters.emplace_back(name, values);
  }
  void buffers(const char* name, std::vector<std::vector<T>>& values) override {
    out->buffers.emplace_back(name, values);
  }
};

/// Compares a state with an optimizer's fields; records the first difference.
template <class T>
struct CheckVisitor final : optim::StateVisitor<T> {
  const optim::OptimizerState<T>* in;
  const std::vector<std::uint64_t>* sizes;
  std::string problem;
  std::size_t n_options = 0, n_counters = 0, n_buffers = 0;
  CheckVisitor(const optim::OptimizerState<T>& s, const std::vector<std::uint64_t>& own_sizes)
      : in(&s), sizes(&own_sizes) {}

  void fail(std::string what) {
    if (problem.empty()) problem = std::move(what);
  }
  void option(const char* name, double value) override {
    const std::size_t i = n_options++;
    if (i >= in->options.size() || in->options[i].first != name) {
      fail(std::string("the state lacks option '") + name + "'");
    } else if (!(in->options[i].second == value)) {
      fail("option " + std::string(name) + " is " + format_number(in->options[i].second) + " in the state but " +
           format_number(value) + " here");
    }
  }
  void counters(const char* name, std::vector<std::uint64_t>&) override {
    const std::size_t i = n_counters++;
    if (i >= in->counters.size() || in->counters[i].first != name)
      fail(std::string("the state lacks counters '") + name + "'");
    else if (in->counters[i].second.size() != sizes->size())
      fail(std::string("counters '") + name + "' hold " + std::to_string(in->counters[i].second.size()) +
           " values for " + std::to_string(sizes->size()) + " parameters");
  }
  void buffers(const char* name, std::vector<std::vector<T>>& own) override {
    const std::size_t i = n_buffers++;
    if (i >= in->buffers.size() || in->buffers[i].first != name) {
      fail(std::string("the state lacks buffers '") + name + "'");
      return;
    }
    const auto& b = in->buffers[i].second;
    if (b.size() != own.size()) {
      fail(std::string("buffers '") + name + "' hold " + std::to_string(b.size()) + " arrays, expected " +
           std::to_string(own.size()));
      return;
    }
    for (std::size_t p = 0; p < b.size(); ++p)
      if (b[p].size() != own[p].size())
        return fail(std::string("buffers '") + name + "' of parameter " + std::to_string(p) + " hold " +
                    std::to_string(b[p].size()) + " values, the parameter has " + std::to_string(own[p].size()));
  }
};

/// Copies a checked state into an optimizer's fields.
template <class T>
struct RestoreVisitor final : optim::StateVisitor<T> {
  const optim::OptimizerState<T>* in;
  std::size_t n_counters = 0, n_buffers = 0;
  explicit RestoreVisitor(const optim::OptimizerState<T>& s) : in(&s) {}
  void option(const char*, double) override {}
  void counters(const char*, std::vector<std::uint64_t>& values) override { values = in->counters[n_counters++].second; }
  void buffers(const char*, std::vector<std::vector<T>>& values) override { values = in->buffers[n_buffers++].second; }
};

}  // namespace detail

namespace optim {

template <class T>
OptimizerState<T> Optimizer<T>::state_dict() const {
  OptimizerState<T> s;
  s.name = name_;
  s.lr = lr_;
  s.steps = steps_;
  for (const auto& p : params_) s.param_sizes.push_back(p.size());
  detail::SaveVisitor<T> v(s);
  self().visit_state(v);
  return s;
}

template <class T>
std::string Optimizer<T>::incompatibility(const OptimizerState<T>& state) const {
  if (state.name != name_) return "the state is from " + state.name + ", not " + name_;
  std::vector<std::uint64_t> sizes;
  for (const auto& p : params_) sizes.push_back(p.size());
  if (state.param_sizes.size() != sizes.size())
    return "the state has " + std::to_string(state.param_sizes.size()) + " parameters, this optimizer " +
           std::to_string(sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i)
    if (state.param_sizes[i] != sizes[i])
      return "parameter " + std::to_string(i) + " has " + std::to_string(state.param_sizes[i]) +
             " elements in the state but " + std::to_string(sizes[i]) + " here";
  if (!detail::kNonNegative.contains(state.lr)) return "learning rate " + format_number(state.lr) + " is not in [0, inf)";
  detail::CheckVisitor<T> v(state, sizes);
  self().visit_state(v);
  if (!v.problem.empty()) return v.problem;
  if (v.n_options != state.options.size() || v.n_counters != state.counters.size() ||
      v.n_buffers != state.buffers.size())
    return "the state has fields this optimizer does not have";
  return "";
}

template <class T>
void Optimizer<T>::restore(const OptimizerState<T>& state) {
  detail::RestoreVisitor<T> v(state);
  visit_state(v);
  lr_ = state.lr;
  steps_ = static_cast<std::size_t>(state.steps);
}

}  // namespace optim
}  // namespace grove

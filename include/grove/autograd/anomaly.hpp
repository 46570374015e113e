#pragma once
/// \file Anomaly detection for autograd: an opt-in mode in which backward() checks every
/// recorded op's forward output and every gradient an op's backward rule produces for NaN/Inf,
/// and throws grove::Error naming the op (and the training step, when the caller set one).
///
/// The checks run inside backward(): forward outputs are visited in recording order before any
/// gradient is computed, so the first op whose output is non-finite (while its inputs were
/// finite) is the one named. When the mode is off, backward() pays one relaxed atomic load.

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "grove/autograd/node.hpp"
#include "grove/core/error.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

/// Process-wide (not per-thread) so that turning it on once covers worker threads too.
struct AnomalyMode {
  static std::atomic<bool>& flag() noexcept {
    static std::atomic<bool> on{false};
    return on;
  }
  static std::atomic<std::int64_t>& step() noexcept {
    static std::atomic<std::int64_t> s{-1};
    return s;
  }
};

/// "nan" or "inf" for the first non-finite element of x, nullptr when all are finite.
template <class T>
const char* first_nonfinite(const Tensor<T>& x) {
  const auto scan = [](const T* p, std::size_t n) -> const char* {
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(p[i])) return std::isnan(p[i]) ? "nan" : "inf";
    return nullptr;
  };
  if (x.is_contiguous()) return scan(x.data(), x.size());
  const std::vector<T> v = x.to_vector();
  return scan(v.data(), v.size());
}

/// A graph-free tensor sharing impl's elements (for reading them through the Tensor API).
template <class T>
Tensor<T> view_of(const TensorImpl<T>& impl) {
  auto v = std::make_shared<TensorImpl<T>>();
  v->storage = impl.storage;
  v->offset = impl.offset;
  v->shape = impl.shape;
  v->strides = impl.strides;
  return TensorAccess::wrap(std::move(v));
}

inline std::string anomaly_step_suffix() {
  const std::int64_t s = AnomalyMode::step().load(std::memory_order_relaxed);
  return s >= 0 ? " at step " + std::to_string(s) : std::string();
}

[[noreturn, gnu::cold]] inline void throw_anomaly(const std::string& what) {
  throw_error("detect_anomaly: " + what + anomaly_step_suffix());
}

/// Forward check over the nodes in recording (post-) order: names the first op whose output is
/// non-finite, or the op whose input (a leaf or untracked tensor) already was.
template <class T>
void check_forward_outputs(const std::vector<Node<T>*>& order) {
  for (const Node<T>* n : order) {
    const Tensor<T> out = view_of(*n->out);
    const char* bad = first_nonfinite(out);
    if (!bad) continue;
    for (std::size_t i = 0; i < n->n_inputs(); ++i) {
      if (n->input(i)->grad_fn) continue;  // an op result: already checked, finite
      if (const char* b = first_nonfinite(view_of(*n->input(i))))
        throw_anomaly(std::string("input ") + std::to_string(i) + " of '" + n->name() + "' (shape " +
                      to_string(n->input(i)->shape) + ") already held " + b + " before the forward pass");
    }
    throw_anomaly(std::string("forward of '") + n->name() + "' produced " + bad + " in its output of shape " +
                  to_string(out.shape()));
  }
}

/// Backward check of one gradient produced by node `n` for its input i.
template <class T>
void check_gradient(const Node<T>& n, std::size_t i, const Tensor<T>& g) {
  if (const char* bad = first_nonfinite(g))
    throw_anomaly(std::string("backward of '") + n.name() + "' produced " + bad + " in the gradient of input " +
                  std::to_string(i));
}

}  // namespace detail

/// Turns anomaly detection on or off for the whole process (off by default).
inline void detect_anomaly(bool on) noexcept { detail::AnomalyMode::flag().store(on, std::memory_order_relaxed); }

/// True when backward() checks outputs and gradients for NaN/Inf.
inline bool anomaly_enabled() noexcept { return detail::AnomalyMode::flag().load(std::memory_order_relaxed); }

/// Sets the training step quoted in anomaly errors (" at step n"); a negative value clears it.
inline void set_anomaly_step(std::int64_t step) noexcept {
  detail::AnomalyMode::step().store(step, std::memory_order_relaxed);
}

/// RAII: anomaly detection on for a scope; restores the previous mode and step on exit.
/// Call step(n) at the top of each training iteration to have errors name the step.
class AnomalyGuard {
public:
  AnomalyGuard() noexcept
      : old_on_(anomaly_enabled()), old_step_(detail::AnomalyMode::step().load(std::memory_order_relaxed)) {
    detect_anomaly(true);
  }
  ~AnomalyGuard() {
    detect_anomaly(old_on_);
    set_anomaly_step(old_step_);
  }
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

  /// Records the current training step for error messages.
  void step(std::int64_t n) noexcept { set_anomaly_step(n); }

private:
  bool old_on_;
  std::int64_t old_step_;
};

}  // namespace grove

#pragma once
/// \file The recording interface of autograd: the graph Node every differentiable op creates,
/// and the thread-local grad mode (NoGradGuard). It depends only on core and on a forward
/// declaration of Tensor, so tensor/ ops can record graphs without seeing the engine.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace grove {

template <class T>
class Tensor;

namespace detail {

template <class T>
struct TensorImpl;

/// Whether ops record the graph on this thread (off inside a NoGradGuard and during backward).
struct GradMode {
  static bool& enabled_flag() noexcept {
    thread_local bool enabled = true;
    return enabled;
  }
  static bool enabled() noexcept { return enabled_flag(); }
};

template <class T>
class GradSink;

/// One recorded op. It owns its inputs (edges, which also serve as saved values) and is owned
/// by its single output tensor, so the graph is a DAG of shared_ptrs without cycles. `out` is a
/// non-owning back pointer to that output: the node never outlives it.
template <class T>
struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  /// Frees the chain of nodes this one solely owns iteratively: dropping a long graph that
  /// never ran backward must not recurse once per op (that overflows the stack).
  virtual ~Node() {
    std::vector<std::shared_ptr<Node>> pending;
    release_inputs(*this, pending);
    while (!pending.empty()) {
      std::shared_ptr<Node> n = std::move(pending.back());
      pending.pop_back();
      release_inputs(*n, pending);
    }  // n dies here with no inputs left, so its destructor does not recurse
  }
  /// Op name, used in error messages.
  virtual const char* name() const noexcept = 0;
  /// Given the gradient of the output, adds each input's gradient through `sink.add(i, g)`
  /// (only for inputs that need it: sink.needs(i)). Runs with grad mode off.
  virtual void backward(const Tensor<T>& grad_out, GradSink<T>& sink) = 0;
  /// Drops saved state after backward (inputs are dropped by the engine).
  virtual void release() noexcept {}

  std::size_t n_inputs() const noexcept { return more.empty() ? n_inline : more.size(); }
  TensorImpl<T>* input(std::size_t i) const noexcept {
    return more.empty() ? inline_inputs[i].get() : more[i].get();
  }
  const std::shared_ptr<TensorImpl<T>>& input_ptr(std::size_t i) const noexcept {
    return more.empty() ? inline_inputs[i] : more[i];
  }

  static void take(std::shared_ptr<TensorImpl<T>>& p, std::vector<std::shared_ptr<Node>>& pending) {
    if (p && p.use_count() == 1 && p->grad_fn && p->grad_fn.use_count() == 1) pending.push_back(std::move(p->grad_fn));
    p.reset();
  }
  static void release_inputs(Node& n, std::vector<std::shared_ptr<Node>>& pending) {
    for (auto& p : n.inline_inputs) take(p, pending);
    for (auto& p : n.more) take(p, pending);
    n.more.clear();
  }

  std::shared_ptr<TensorImpl<T>> inline_inputs[2];
  std::size_t n_inline = 0;
  std::vector<std::shared_ptr<TensorImpl<T>>> more;  ///< only for ops with > 2 inputs (concat)
  TensorImpl<T>* out = nullptr;
  std::shared_ptr<TensorImpl<T>> grad_accum;  ///< gradient of `out`, summed during backward
  std::uint64_t mark = 0;                     ///< traversal epoch of the engine
  bool accum_owned = false;                   ///< grad_accum is the engine's own buffer
  bool released = false;
};

/// Collects the input gradients a Node's backward rule produces; the engine accumulates them.
template <class T>
class GradSink {
public:
  /// True when input i needs a gradient (a leaf with requires_grad or an op result).
  bool needs(std::size_t i) const noexcept {
    const TensorImpl<T>* p = node_->input(i);
    return p->requires_grad || p->grad_fn != nullptr;
  }
  /// Adds `g` (shaped like input i) to input i's gradient.
  void add(std::size_t i, const Tensor<T>& g) { pending_.emplace_back(i, g); }

  Node<T>* node_ = nullptr;
  std::vector<std::pair<std::size_t, Tensor<T>>> pending_;
};

}  // namespace detail

/// RAII: disables graph recording on this thread for a scope (optimizer updates, evaluation).
class NoGradGuard {
public:
  NoGradGuard() noexcept : old_(detail::GradMode::enabled_flag()) { detail::GradMode::enabled_flag() = false; }
  ~NoGradGuard() { detail::GradMode::enabled_flag() = old_; }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
  bool old_;
};

/// True when ops on this thread record the autograd graph.
inline bool grad_enabled() noexcept { return detail::GradMode::enabled(); }

}  // namespace grove

#pragma once
/// \file Private helpers for nn's fused ops: attaching a node with any number of inputs and
/// running fixed-size chunks of a kernel on the pool.

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <memory>

#include "grove/autograd/node.hpp"
#include "grove/core/parallel.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// True when an op on these inputs must record a node (grad mode on, some input needs grad;
/// null entries are skipped).
template <class T>
inline bool any_needs_graph(std::initializer_list<const Tensor<T>*> inputs) noexcept {
  if (!GradMode::enabled()) return false;
  for (const Tensor<T>* t : inputs)
    if (t && t->requires_grad()) return true;
  return false;
}

/// Makes `node` the grad_fn of `out` with the given inputs (any number; null entries skipped).
template <class T, class N>
inline void attach_inputs(Tensor<T>& out, std::shared_ptr<N> node, std::initializer_list<const Tensor<T>*> inputs) {
  std::size_t k = 0;
  for (const Tensor<T>* t : inputs)
    if (t) ++k;
  if (k <= 2) {
    std::size_t i = 0;
    for (const Tensor<T>* t : inputs)
      if (t) node->inline_inputs[i++] = TensorAccess::impl(*t);
    node->n_inline = k;
  } else {
    for (const Tensor<T>* t : inputs)
      if (t) node->more.push_back(TensorAccess::impl(*t));
  }
  const auto& impl = TensorAccess::impl(out);
  node->out = impl.get();
  impl->grad_fn = std::move(node);
}

/// Input i of a node as a tensor handle (valid during backward).
template <class T>
inline Tensor<T> input_tensor(const Node<T>& node, std::size_t i) {
  return TensorAccess::wrap(node.input_ptr(i));
}

/// sink.needs(i) for a node whose inputs sit in Node::more (three or more inputs); spelled out
/// because GCC's -Warray-bounds cannot see that such a node never reads inline_inputs[2].
template <class T>
inline bool needs_more(const Node<T>& node, std::size_t i) noexcept {
  const auto& p = node.more[i];
  return p->requires_grad || p->grad_fn != nullptr;
}

/// A contiguous tensor with uninitialized elements.
template <class T>
inline Tensor<T> uninitialized(const Shape& shape) {
  return TensorAccess::uninitialized<T>(shape);
}

/// Work below this many multiply-adds runs on the calling thread in one piece.
inline constexpr std::size_t kParallelMacs = std::size_t{1} << 20;

/// Runs f(lo, n) over [0, total) in chunks of `grain` when `work` is large. The chunking depends
/// only on the sizes, never on the thread count, so results are bitwise the same for any count.
template <class F>
inline void chunked(std::size_t total, std::size_t grain, std::size_t work, F&& f) {
  if (work < kParallelMacs || total <= grain) {
    f(std::size_t{0}, total);
    return;
  }
  const std::size_t n_chunks = (total + grain - 1) / grain;
  parallel_for_chunks(n_chunks, [&](std::size_t c) {
    const std::size_t lo = c * grain;
    f(lo, std::min(grain, total - lo));
  });
}

}  // namespace grove::detail

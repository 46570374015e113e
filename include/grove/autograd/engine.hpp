#pragma once
/// \file The backward engine: walks the recorded graph from a root in reverse topological
/// order, accumulates gradients (into leaves' grad()), then releases the graph's memory.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/autograd/anomaly.hpp"
#include "grove/autograd/node.hpp"
#include "grove/core/error.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {
namespace detail {

inline std::uint64_t next_backward_epoch() noexcept {
  thread_local std::uint64_t epoch = 0;
  return ++epoch;
}

[[noreturn, gnu::cold]] inline void throw_grad_shape(const char* op, const Shape& got, const Shape& want) {
  throw_error(std::string("backward: ") + op + " produced a gradient of shape " + to_string(got) +
              " for an input of shape " + to_string(want));
}

/// dst (contiguous, owned) += g elementwise; shapes are equal.
template <class T>
inline void add_into(TensorImpl<T>& dst, const Tensor<T>& g) {
  T* d = dst.storage->data() + dst.offset;
  const std::size_t n = g.size();
  if (g.is_contiguous()) {
    const T* s = g.data();
    for (std::size_t i = 0; i < n; ++i) d[i] += s[i];
  } else {
    const std::vector<T> v = g.to_vector();
    for (std::size_t i = 0; i < n; ++i) d[i] += v[i];
  }
}

/// A contiguous copy of g that nothing else references.
template <class T>
inline std::shared_ptr<TensorImpl<T>> owned_copy(const Tensor<T>& g) {
  Tensor<T> c = TensorAccess::uninitialized<T>(g.shape());
  g.copy_to(c.data());
  return TensorAccess::impl(c);
}

/// Gradient flowing into `target` from one consumer.
template <class T>
inline void accumulate(TensorImpl<T>& target, const Tensor<T>& g, const char* op) {
  if (!(g.shape() == target.shape)) throw_grad_shape(op, g.shape(), target.shape);
  if (Node<T>* n = target.grad_fn.get()) {
    if (!n->grad_accum) {
      // First contribution: keep the handle (no copy); it may alias other gradients, so a
      // second contribution makes a fresh sum instead of adding in place.
      n->grad_accum = TensorAccess::impl(g);
      n->accum_owned = false;
    } else if (!n->accum_owned) {
      auto sum = owned_copy(TensorAccess::wrap(n->grad_accum));
      add_into(*sum, g);
      n->grad_accum = std::move(sum);
      n->accum_owned = true;
    } else {
      add_into(*n->grad_accum, g);
    }
  } else if (target.requires_grad) {
    if (!target.grad)
      target.grad = owned_copy(g);
    else
      add_into(*target.grad, g);
  }
}

template <class T>
void run_backward(const Tensor<T>& root, const Tensor<T>& seed) {
  if constexpr (!std::is_floating_point_v<T>) {
    throw_error("backward: integer tensors have no autograd");
  } else {
    const auto& root_impl = TensorAccess::impl(root);
    if (!root.requires_grad())
      throw_error("backward: tensor of shape " + to_string(root.shape()) +
                  " does not require grad (no input of the computation had requires_grad(true), or it "
                  "ran under NoGradGuard)");
    if (!(seed.shape() == root.shape()))
      throw_shape_error("backward: gradient of shape " + to_string(seed.shape()) + " for a tensor of shape " +
                        to_string(root.shape()));
    Node<T>* root_node = root_impl->grad_fn.get();
    if (!root_node) {  // a leaf
      accumulate(*root_impl, seed, "backward");
      return;
    }
    const auto released_error = [](const Node<T>* n) {
      throw_error(std::string("backward: the graph through '") + n->name() +
                  "' was already released by an earlier backward(); run the forward pass again");
    };
    if (root_node->released) released_error(root_node);

    // Post-order DFS: every node comes after the nodes of its inputs.
    const std::uint64_t epoch = next_backward_epoch();
    std::vector<Node<T>*> order;
    std::vector<std::pair<Node<T>*, std::size_t>> stack;
    root_node->mark = epoch;
    stack.emplace_back(root_node, 0);
    while (!stack.empty()) {
      auto& [n, i] = stack.back();
      if (i < n->n_inputs()) {
        Node<T>* c = n->input(i++)->grad_fn.get();
        if (c && c->mark != epoch) {
          if (c->released) released_error(c);
          c->mark = epoch;
          stack.emplace_back(c, 0);
        }
      } else {
        order.push_back(n);
        stack.pop_back();
      }
    }

    const bool anomaly = anomaly_enabled();
    if (anomaly) [[unlikely]]
      check_forward_outputs(order);

    NoGradGuard no_grad;
    for (Node<T>* n : order) {
      n->grad_accum.reset();
      n->accum_owned = false;
    }
    accumulate(*root_impl, seed, "backward");
    GradSink<T> sink;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      Node<T>* n = *it;
      if (!n->grad_accum) continue;  // nothing flowed here
      const Tensor<T> g = TensorAccess::wrap(std::move(n->grad_accum));
      n->grad_accum.reset();
      sink.node_ = n;
      sink.pending_.clear();
      n->backward(g, sink);
      if (anomaly) [[unlikely]]
        for (const auto& [i, gi] : sink.pending_) check_gradient(*n, i, gi);
      for (auto& [i, gi] : sink.pending_) accumulate(*n->input(i), gi, n->name());
    }
    sink.pending_.clear();
    // Release in post-order: freeing a node's inputs can only destroy nodes already visited.
    for (Node<T>* n : order) {
      n->release();
      n->inline_inputs[0].reset();
      n->inline_inputs[1].reset();
      n->more.clear();
      n->more.shrink_to_fit();
      n->released = true;
    }
  }
}

}  // namespace detail

template <class T>
void Tensor<T>::backward() const {
  if constexpr (std::is_floating_point_v<T>) {
    if (size() != 1)
      detail::throw_error("backward: called on a tensor of shape " + to_string(shape()) +
                          "; backward() needs a one-element (scalar) loss, or pass the gradient: "
                          "backward(gradient)");
  }
  detail::run_backward(*this, Tensor<T>::ones(shape()));
}

template <class T>
void Tensor<T>::backward(const Tensor<T>& gradient) const {
  detail::run_backward(*this, gradient);
}

}  // namespace grove

#pragma once
/// \file grove autograd module: reverse-mode autodiff on grove::Tensor.
///
/// API summary (what exists):
/// - Leaves: `auto w = Tensor<float>::randn({3,4}, rng); w.requires_grad(true);` (returns *this).
///   `t.requires_grad()` is true for marked leaves and for results of recorded ops; `t.is_leaf()`.
/// - `loss.backward()` on a one-element tensor (else Error); `y.backward(gradient)` for any shape.
///   Gradients accumulate (+=) into every leaf's `grad()`; the graph is released afterwards (a
///   second backward through it throws Error). `grad()` shares storage (in-place updates are
///   fine) and is zeros when none was accumulated; `has_grad()`, `zero_grad()` (fills 0).
/// - `detach()`: same data, no graph. `NoGradGuard g;` stops recording on this thread (use it for
///   optimizer updates: write through `p.data()` / `p.grad().data()`); `grove::grad_enabled()`.
/// - Differentiable ops (free functions in grove::, member forms on Tensor): + - * / with NumPy
///   broadcasting (tensor or scalar), unary -, exp log sqrt abs pow(x, p), relu sigmoid tanh gelu,
///   softmax(axis) log_softmax(axis) (stable), sum() sum(axis, keepdim) mean(...) max(axis, keepdim),
///   matmul (2-D, batched 3-D, 2-D operand shared across a batch), transpose() (last two axes,
///   a view) transpose(a, b), reshape(shape), slice(axis, begin, end), concat({...}, axis),
///   clone()/contiguous(), index_select(x, axis, idx) (embedding rows), gather(x, axis, index)
///   (take_along_axis; e.g. gather(logp, 1, targets.reshape({N,1}))). argmax is not differentiable.
/// - Integer tensors never record graphs; requires_grad(true) on them is a ValueError.
/// - `gradcheck(f, inputs, {.eps, .atol, .rtol})`: f maps std::vector<Tensor<double>> to a tensor;
///   returns GradcheckResult (explicit bool, max_abs_error, message).
///
/// - Anomaly detection (autograd/anomaly.hpp): `grove::detect_anomaly(true)` or an
///   `AnomalyGuard guard;` (guard.step(n) / set_anomaly_step(n) per iteration) makes backward()
///   check every op's forward output and every gradient for NaN/Inf and throw Error, e.g.
///   "detect_anomaly: backward of 'log' produced inf in the gradient of input 0 at step 3".
/// - Custom fused ops (nn): derive from detail::Node<T> (name(), backward(g, sink) calling
///   sink.add(i, grad_i) when sink.needs(i); optional release()), create the output with
///   detail::TensorAccess::uninitialized<T>(shape), and attach with detail::attach_node(out,
///   node, inputs...) (<= 2 inputs; more go in node->more) when detail::needs_graph(inputs...).
///   The node owns its inputs (use them as saved values); node->out points at the output.
///   Broadcast helpers: detail::sum_to(g, shape), detail::expand_to(x, shape).
/// - Outputs and saved inputs must not be modified in place before backward (no version
///   counters): update parameters only between backward() and the next forward.
///
/// Layering: the recording interface (autograd/node.hpp: Node, GradSink, NoGradGuard) depends
/// only on core; tensor/ ops include it to record their nodes, each primitive's backward rule
/// sits next to its forward kernel. The engine (autograd/engine.hpp) and gradcheck depend on tensor/.

#include "grove/tensor.hpp"
#include "grove/autograd/node.hpp"
#include "grove/autograd/anomaly.hpp"
#include "grove/autograd/engine.hpp"
#include "grove/autograd/gradcheck.hpp"

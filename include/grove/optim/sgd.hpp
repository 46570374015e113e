#pragma once
/// \file SGD with momentum, dampening, Nesterov momentum and L2 weight decay (PyTorch's formulas):
///   d = g + wd * p;  b = d (first step) or mu * b + (1 - dampening) * d;
///   d = nesterov ? d + mu * b : b (when mu != 0);  p -= lr * d.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/format.hpp"
#include "grove/optim/optimizer.hpp"

namespace grove::optim {

/// Options of SGD (declared in the order DESIGN.md lists them; dampening comes last).
struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  double dampening = 0.0;
};

/// Stochastic gradient descent.
template <class T>
class SGD : public Optimizer<T> {
public:
  SGD(std::vector<Tensor<T>> params, SGDOptions options = {})
      : Optimizer<T>("SGD", std::move(params), options.lr), o_(options) {
    detail::check_range("SGD", "momentum", o_.momentum, detail::kNonNegative);
    detail::check_range("SGD", "weight_decay", o_.weight_decay, detail::kNonNegative);
    detail::check_range("SGD", "dampening", o_.dampening, detail::kUnit);
    if (o_.nesterov && (o_.momentum <= 0.0 || o_.dampening != 0.0))
      detail::throw_value_error("SGD: nesterov needs momentum > 0 and dampening = 0, got momentum " +
                                       format_number(o_.momentum) + " and dampening " + format_number(o_.dampening));
    if (o_.momentum != 0.0) buf_ = this->make_state();
    has_buf_.assign(this->params_.size(), 0);
  }

  void step() override {
    const T lr = static_cast<T>(this->lr_), wd = static_cast<T>(o_.weight_decay),
            mu = static_cast<T>(o_.momentum), damp = static_cast<T>(1.0 - o_.dampening);
    const bool nesterov = o_.nesterov, momentum = o_.momentum != 0.0;
    this->for_each_with_grad([&](std::size_t i, T* p, const T* g, std::size_t n) {
      if (!momentum) {
        detail::update_chunks(n, [&](std::size_t lo, std::size_t hi) {
          for (std::size_t j = lo; j < hi; ++j) p[j] -= lr * (g[j] + wd * p[j]);
        });
        return;
      }
      T* b = buf_[i].data();
      const bool first = !has_buf_[i];
      has_buf_[i] = 1;
      detail::update_chunks(n, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t j = lo; j < hi; ++j) {
          const T d = g[j] + wd * p[j];
          b[j] = first ? d : mu * b[j] + damp * d;
          p[j] -= lr * (nesterov ? d + mu * b[j] : b[j]);
        }
      });
    });
    ++this->steps_;
  }

  const SGDOptions& options() const noexcept { return o_; }

protected:
  void visit_state(StateVisitor<T>& v) override {
    v.option("momentum", o_.momentum);
    v.option("nesterov", o_.nesterov ? 1.0 : 0.0);
    v.option("weight_decay", o_.weight_decay);
    v.option("dampening", o_.dampening);
    v.counters("momentum_started", has_buf_);
    v.buffers("momentum_buffer", buf_);
  }

private:
  SGDOptions o_;
  std::vector<std::vector<T>> buf_;
  std::vector<std::uint64_t> has_buf_;  ///< 1 once parameter i's momentum buffer holds a value
};

}  // namespace grove::optim

#pragma once
/// \file RMSprop with PyTorch's formulas:
///   g += wd * p;  s = a s + (1 - a) g^2;  (centered: ga = a ga + (1 - a) g, s' = s - ga^2)
///   avg = sqrt(s') + eps (eps > 0, so a zero gradient never divides 0 by 0);  momentum: b = mu b + g / avg, p -= lr b;  else p -= lr g / avg

#include <cmath>
#include <cstddef>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/optim/optimizer.hpp"

namespace grove::optim {

/// Options of RMSprop.
struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;  ///< smoothing of the squared-gradient average
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;  ///< normalize by the variance estimate instead of the raw second moment
};

/// RMSprop (Hinton), as PyTorch implements it (eps outside the square root).
template <class T>
class RMSprop : public Optimizer<T> {
public:
  RMSprop(std::vector<Tensor<T>> params, RMSpropOptions options = {})
      : Optimizer<T>("RMSprop", std::move(params), options.lr), o_(options) {
    detail::check_range("RMSprop", "alpha", o_.alpha, detail::kUnit);
    detail::check_range("RMSprop", "eps", o_.eps, detail::kPositive);
    detail::check_range("RMSprop", "weight_decay", o_.weight_decay, detail::kNonNegative);
    detail::check_range("RMSprop", "momentum", o_.momentum, detail::kNonNegative);
    sq_ = this->make_state();
    if (o_.centered) gavg_ = this->make_state();
    if (o_.momentum > 0) buf_ = this->make_state();
  }

  void step() override {
    const T a = static_cast<T>(o_.alpha), one_a = static_cast<T>(1.0 - o_.alpha);
    const T eps = static_cast<T>(o_.eps), wd = static_cast<T>(o_.weight_decay);
    const T lr = static_cast<T>(this->lr_), mu = static_cast<T>(o_.momentum);
    const bool centered = o_.centered, momentum = o_.momentum > 0;
    this->for_each_with_grad([&](std::size_t i, T* p, const T* g, std::size_t n) {
      T* s = sq_[i].data();
      T* ga = centered ? gavg_[i].data() : nullptr;
      T* b = momentum ? buf_[i].data() : nullptr;
      detail::update_chunks(n, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t j = lo; j < hi; ++j) {
          const T gj = g[j] + wd * p[j];
          s[j] = a * s[j] + one_a * gj * gj;
          T var = s[j];
          if (centered) {
            ga[j] = a * ga[j] + one_a * gj;
            var -= ga[j] * ga[j];
          }
          const T avg = std::sqrt(var) + eps;
          if (momentum) {
            b[j] = mu * b[j] + gj / avg;
            p[j] -= lr * b[j];
          } else {
            p[j] -= lr * gj / avg;
          }
        }
      });
    });
    ++this->steps_;
  }

protected:
  void visit_state(StateVisitor<T>& v) override {
    v.option("alpha", o_.alpha);
    v.option("eps", o_.eps);
    v.option("weight_decay", o_.weight_decay);
    v.option("momentum", o_.momentum);
    v.option("centered", o_.centered ? 1.0 : 0.0);
    v.buffers("square_avg", sq_);
    v.buffers("grad_avg", gavg_);
    v.buffers("momentum_buffer", buf_);
  }

private:
  RMSpropOptions o_;
  std::vector<std::vector<T>> sq_, gavg_, buf_;
};

}  // namespace grove::optim

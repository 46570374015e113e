#pragma once
/// \file Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay), with
/// PyTorch's formulas at step t:
///   AdamW only: p *= 1 - lr * wd;   Adam only: g += wd * p
///   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  (amsgrad: vmax = max(vmax, v), used for v)
///   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
/// eps must be > 0: with eps = 0 a parameter whose gradient has always been zero would get 0 / 0.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "grove/core/check.hpp"
#include "grove/optim/optimizer.hpp"

namespace grove::optim {

/// Options of Adam.
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  ///< L2 penalty added to the gradient
  bool amsgrad = false;
};

/// Options of AdamW (PyTorch's default decoupled decay is 0.01).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  ///< decoupled: p *= 1 - lr * weight_decay before the Adam step
  bool amsgrad = false;
};

}  // namespace grove::optim

namespace grove::detail {

/// The Adam family's shared update; `decoupled` selects AdamW's weight decay.
template <class T>
class AdamCore : public optim::Optimizer<T> {
protected:
  AdamCore(const char* name, std::vector<Tensor<T>> params, const optim::AdamOptions& o, bool decoupled)
      : optim::Optimizer<T>(name, std::move(params), o.lr), o_(o), decoupled_(decoupled) {
    check_range(name, "beta1", o.beta1, kUnitOpen);
    check_range(name, "beta2", o.beta2, kUnitOpen);
    check_range(name, "eps", o.eps, kPositive);
    check_range(name, "weight_decay", o.weight_decay, kNonNegative);
    m_ = this->make_state();
    v_ = this->make_state();
    if (o.amsgrad) vmax_ = this->make_state();
    t_.assign(this->params_.size(), 0);
  }

public:
  void step() override {
    const T b1 = static_cast<T>(o_.beta1), b2 = static_cast<T>(o_.beta2);
    const T one_b1 = static_cast<T>(1.0 - o_.beta1), one_b2 = static_cast<T>(1.0 - o_.beta2);
    const T eps = static_cast<T>(o_.eps);
    const double lr = this->lr_;
    const T l2 = decoupled_ ? T(0) : static_cast<T>(o_.weight_decay);
    const T shrink = static_cast<T>(1.0 - lr * o_.weight_decay);
    const bool decay = decoupled_ && o_.weight_decay != 0.0;
    const bool ams = o_.amsgrad;
    this->for_each_with_grad([&](std::size_t i, T* p, const T* g, std::size_t n) {
      const std::uint64_t t = ++t_[i];  // per parameter, as PyTorch's state['step']
      const double bc1 = 1.0 - std::pow(o_.beta1, static_cast<double>(t));
      const double bc2 = 1.0 - std::pow(o_.beta2, static_cast<double>(t));
      const T step_size = static_cast<T>(lr / bc1);
      const T bc2_sqrt = static_cast<T>(std::sqrt(bc2));
      T* m = m_[i].data();
      T* v = v_[i].data();
      T* vm = ams ? vmax_[i].data() : nullptr;
      const Coefs c{b1, b2, one_b1, one_b2, eps, l2, shrink, step_size, bc2_sqrt};
      update_chunks(n, [&](std::size_t lo, std::size_t hi) {
        if (decay) {
          if (ams) kernel<true, true>(p, g, m, v, vm, lo, hi, c);
          else kernel<true, false>(p, g, m, v, vm, lo, hi, c);
        } else {
          if (ams) kernel<false, true>(p, g, m, v, vm, lo, hi, c);
          else kernel<false, false>(p, g, m, v, vm, lo, hi, c);
        }
      });
    });
    ++this->steps_;
  }

protected:
  void visit_state(optim::StateVisitor<T>& v) override {
    v.option("beta1", o_.beta1);
    v.option("beta2", o_.beta2);
    v.option("eps", o_.eps);
    v.option("weight_decay", o_.weight_decay);
    v.option("amsgrad", o_.amsgrad ? 1.0 : 0.0);
    v.counters("step", t_);
    v.buffers("exp_avg", m_);
    v.buffers("exp_avg_sq", v_);
    v.buffers("max_exp_avg_sq", vmax_);
  }

private:
  struct Coefs {
    T b1, b2, one_b1, one_b2, eps, l2, shrink, step_size, bc2_sqrt;
  };

  // Blocks of 512 elements stay in L1 while Eigen's array expressions update them with packet
  // math (std::sqrt in a plain loop does not vectorize under -fmath-errno, GCC's default).
  template <bool Decay, bool Ams>
  static void kernel(T* p, const T* g, T* m, T* v, T* vm, std::size_t lo, std::size_t hi, const Coefs c) {
    using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
    constexpr std::size_t kBlock = 512;
    for (std::size_t b = lo; b < hi; b += kBlock) {
      const auto n = static_cast<Eigen::Index>(std::min(kBlock, hi - b));
      Eigen::Map<Arr> P(p + b, n), M(m + b, n), V(v + b, n);
      Eigen::Map<const Arr> G(g + b, n);
      if constexpr (Decay) P *= c.shrink;
      if (c.l2 != T(0)) {
        M = c.b1 * M + c.one_b1 * (G + c.l2 * P);
        V = c.b2 * V + c.one_b2 * (G + c.l2 * P).square();
      } else {
        M = c.b1 * M + c.one_b1 * G;
        V = c.b2 * V + c.one_b2 * G.square();
      }
      if constexpr (Ams) {
        Eigen::Map<Arr> VM(vm + b, n);
        VM = VM.max(V);
        P -= c.step_size * M / (VM.sqrt() / c.bc2_sqrt + c.eps);
      } else {
        P -= c.step_size * M / (V.sqrt() / c.bc2_sqrt + c.eps);
      }
    }
  }

  optim::AdamOptions o_;
  bool decoupled_;
  std::vector<std::vector<T>> m_, v_, vmax_;
  std::vector<std::uint64_t> t_;
};

}  // namespace grove::detail

namespace grove::optim {

/// Adam (Kingma & Ba) with bias correction; weight_decay is an L2 term added to the gradient.
template <class T>
class Adam : public detail::AdamCore<T> {
public:
  Adam(std::vector<Tensor<T>> params, AdamOptions options = {})
      : detail::AdamCore<T>("Adam", std::move(params), options, false) {}
};

/// AdamW (Loshchilov & Hutter): Adam with weight decay applied to the parameters directly.
template <class T>
class AdamW : public detail::AdamCore<T> {
public:
  AdamW(std::vector<Tensor<T>> params, AdamWOptions options = {})
      : detail::AdamCore<T>("AdamW", std::move(params),
                            AdamOptions{options.lr, options.beta1, options.beta2, options.eps, options.weight_decay,
                                        options.amsgrad},
                            true) {}
};

}  // namespace grove::optim

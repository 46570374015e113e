#pragma once
/// \file Adagrad with PyTorch's formulas at step t:
///   g += wd * p;  clr = lr / (1 + (t - 1) * lr_decay);  s += g^2;  p -= clr * g / (sqrt(s) + eps)
/// with eps > 0 (a zero accumulator and a zero gradient would otherwise give 0 / 0).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/optim/optimizer.hpp"

namespace grove::optim {

/// Options of Adagrad.
struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
};

/// Adagrad (Duchi et al.).
template <class T>
class Adagrad : public Optimizer<T> {
public:
  Adagrad(std::vector<Tensor<T>> params, AdagradOptions options = {})
      : Optimizer<T>("Adagrad", std::move(params), options.lr), o_(options) {
    detail::check_range("Adagrad", "lr_decay", o_.lr_decay, detail::kNonNegative);
    detail::check_range("Adagrad", "weight_decay", o_.weight_decay, detail::kNonNegative);
    detail::check_range("Adagrad", "initial_accumulator_value", o_.initial_accumulator_value, detail::kNonNegative);
    detail::check_range("Adagrad", "eps", o_.eps, detail::kPositive);
    sum_ = this->make_state();
    for (auto& s : sum_) s.assign(s.size(), static_cast<T>(o_.initial_accumulator_value));
    t_.assign(this->params_.size(), 0);
  }

  void step() override {
    const T wd = static_cast<T>(o_.weight_decay), eps = static_cast<T>(o_.eps);
    this->for_each_with_grad([&](std::size_t i, T* p, const T* g, std::size_t n) {
      const std::uint64_t t = ++t_[i];
      const T clr = static_cast<T>(this->lr_ / (1.0 + static_cast<double>(t - 1) * o_.lr_decay));
      T* s = sum_[i].data();
      detail::update_chunks(n, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t j = lo; j < hi; ++j) {
          const T gj = g[j] + wd * p[j];
          s[j] += gj * gj;
          p[j] -= clr * gj / (std::sqrt(s[j]) + eps);
        }
      });
    });
    ++this->steps_;
  }

protected:
  void visit_state(StateVisitor<T>& v) override {
    v.option("lr_decay", o_.lr_decay);
    v.option("weight_decay", o_.weight_decay);
    v.option("initial_accumulator_value", o_.initial_accumulator_value);
    v.option("eps", o_.eps);
    v.counters("step", t_);
    v.buffers("sum", sum_);
  }

private:
  AdagradOptions o_;
  std::vector<std::vector<T>> sum_;
  std::vector<std::uint64_t> t_;
};

}  // namespace grove::optim

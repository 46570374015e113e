#pragma once
/// \file gradcheck: compares autograd's gradients with central differences, in double.

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "grove/autograd/engine.hpp"
#include "grove/autograd/node.hpp"
#include "grove/core/check.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove {

/// Tolerances of gradcheck: |analytic - numeric| <= atol + rtol * |numeric| per element.
struct GradcheckOptions {
  double eps = 1e-6;   ///< central-difference step
  double atol = 1e-5;  ///< absolute tolerance
  double rtol = 1e-3;  ///< relative tolerance
};

/// Outcome of gradcheck: converts to true when every gradient matched.
struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0;  ///< largest |analytic - numeric| seen
  std::string message;       ///< the first mismatch (input, element, both values), empty if ok
  explicit operator bool() const noexcept { return ok; }
};

/// Checks the gradients of f (inputs -> tensor of any shape) at `inputs`. A non-scalar output
/// is projected on fixed random weights w, so the check covers the vector-Jacobian product
/// w^T J that backward computes. Inputs are copied: f sees leaves with requires_grad(true).
template <class F>
GradcheckResult gradcheck(F&& f, const std::vector<Tensor<double>>& inputs, GradcheckOptions options = {}) {
  detail::check_range("gradcheck", "eps", options.eps, {.lo = 0, .lo_open = true});
  detail::check_range("gradcheck", "atol", options.atol, {.lo = 0});
  detail::check_range("gradcheck", "rtol", options.rtol, {.lo = 0});
  std::vector<Tensor<double>> xs;
  xs.reserve(inputs.size());
  for (const Tensor<double>& x : inputs) {
    Tensor<double> c = x.detach().clone();
    c.requires_grad(true);
    xs.push_back(std::move(c));
  }
  Tensor<double> y = f(xs);
  Rng rng(0x67726164ULL);
  const Tensor<double> w = Tensor<double>::uniform(y.shape(), 0.5, 1.5, rng);
  y.backward(w);

  const auto projected = [&]() {
    NoGradGuard no_grad;
    const Tensor<double> out = f(xs);
    const std::vector<double> v = out.to_vector();
    const double* pw = w.data();
    double s = 0;
    for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * pw[i];
    return s;
  };

  GradcheckResult result;
  for (std::size_t t = 0; t < xs.size(); ++t) {
    const Tensor<double> analytic = xs[t].grad();
    double* p = xs[t].data();
    for (std::size_t i = 0; i < xs[t].size(); ++i) {
      const double old = p[i];
      p[i] = old + options.eps;
      const double plus = projected();
      p[i] = old - options.eps;
      const double minus = projected();
      p[i] = old;
      const double numeric = (plus - minus) / (2 * options.eps);
      const double a = analytic.data()[i];
      const double err = std::abs(a - numeric);
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (!(err <= options.atol + options.rtol * std::abs(numeric)) && result.ok) {
        result.ok = false;
        result.message = "gradcheck: input " + std::to_string(t) + " element " + std::to_string(i) + ": analytic " +
                         format_number(a, 10) + " vs numeric " + format_number(numeric, 10);
      }
    }
  }
  return result;
}

}  // namespace grove

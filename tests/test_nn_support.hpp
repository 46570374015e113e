// Shared helpers of the nn layer tests: the deterministic inputs the PyTorch reference script
// (tests/data/nn/make_torch_reference.py) also builds, closeness checks, and a gradcheck for
// modules that perturbs the module's own parameters in place.
#pragma once

#include <grove/autograd.hpp>
#include <grove/nn/module.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace nn_test {

/// fill(shape, a, b, s)[i] = s * sin(a * i + b): the script's fill().
inline grove::Tensor<double> fill(const grove::Shape& shape, double a, double b, double s = 1.0) {
  std::vector<double> v(shape.numel());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = s * std::sin(a * static_cast<double>(i) + b);
  return grove::Tensor<double>::from_vector(std::move(v), shape);
}

/// Every element of `got` within tol (relative to max(1, |want|)) of `want`.
inline void check_close(const grove::Tensor<double>& got, const std::vector<double>& want, double tol = 1e-10,
                        const char* what = "") {
  const auto v = got.to_vector();
  REQUIRE_MESSAGE(v.size() == want.size(), what);
  for (std::size_t i = 0; i < v.size(); ++i) {
    INFO(what << " element " << i);
    CHECK(std::abs(v[i] - want[i]) <= tol * std::max(1.0, std::abs(want[i])));
  }
}

/// Sets every parameter of `m` as the script's set_params(module, seed) does.
inline void set_params(grove::nn::Module<double>& m, double seed) {
  std::size_t k = 0;
  for (auto& [name, p] : m.named_parameters()) {
    const auto v = fill(p.shape(), 0.31 + 0.07 * static_cast<double>(k), seed + static_cast<double>(k), 0.4);
    std::copy(v.data(), v.data() + v.size(), p.data());
    ++k;
  }
}

/// Central-difference check of d(sum(w * f(x)))/d(x and every parameter of m), w fixed
/// weights; f is evaluated in the module's current mode. Returns "" or the first mismatch.
template <class F>
std::string module_gradcheck(grove::nn::Module<double>& m, const grove::Tensor<double>& x_in, F&& f,
                             double eps = 1e-6, double atol = 1e-6, double rtol = 1e-4) {
  using grove::Tensor;
  Tensor<double> x = x_in.detach().clone();
  x.requires_grad(true);
  m.zero_grad();
  Tensor<double> y = f(x);
  const Tensor<double> w = fill(y.shape(), 0.19, 0.7, 1.0) + 1.5;
  y.backward(w);
  auto projected = [&] {
    grove::NoGradGuard no_grad;
    const auto out = f(x).to_vector();
    double s = 0;
    for (std::size_t i = 0; i < out.size(); ++i) s += out[i] * w.data()[i];
    return s;
  };
  std::vector<std::pair<std::string, Tensor<double>>> targets{{"input", x}};
  for (auto& np : m.named_parameters()) targets.push_back(np);
  for (auto& [name, t] : targets) {
    const Tensor<double> analytic = t.grad();
    double* p = t.data();
    for (std::size_t i = 0; i < t.size(); ++i) {
      const double old = p[i];
      p[i] = old + eps;
      const double plus = projected();
      p[i] = old - eps;
      const double minus = projected();
      p[i] = old;
      const double numeric = (plus - minus) / (2 * eps);
      const double a = analytic.data()[i];
      if (!(std::abs(a - numeric) <= atol + rtol * std::abs(numeric)))
        return name + " element " + std::to_string(i) + ": analytic " + std::to_string(a) + " vs numeric " +
               std::to_string(numeric);
    }
  }
  return "";
}

}  // namespace nn_test

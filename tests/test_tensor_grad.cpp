// gradcheck (central differences in double) for every differentiable op, including
// broadcasting, reductions over each axis, strided views and batched matmul.
#include <grove/autograd.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <vector>

using grove::Shape;
using TD = grove::Tensor<double>;
using Inputs = std::vector<TD>;

namespace {
TD randn(const Shape& s, std::uint64_t seed) {
  grove::Rng rng(seed);
  return TD::randn(s, rng);
}
// Values bounded away from 0 (for log, sqrt, div, abs, relu kinks).
TD away_from_zero(const Shape& s, std::uint64_t seed) {
  grove::Rng rng(seed);
  TD t = TD::uniform(s, 0.3, 2.0, rng);
  for (std::size_t i = 0; i < t.size(); i += 2) t.data()[i] = -t.data()[i];
  return t;
}
void expect_grad(const std::function<TD(const Inputs&)>& f, const Inputs& xs) {
  const grove::GradcheckResult r = grove::gradcheck(f, xs, {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-5});
  INFO(r.message);
  CHECK(r.ok);
}
}  // namespace

TEST_CASE("gradcheck: binary ops with broadcasting") {
  const TD a = randn({2, 3}, 1), row = away_from_zero({3}, 2), col = away_from_zero({2, 1}, 3);
  const TD s = away_from_zero({}, 4);
  for (const TD& b : {randn({2, 3}, 5), row, col, s}) {
    expect_grad([](const Inputs& x) { return x[0] + x[1]; }, {a, b});
    expect_grad([](const Inputs& x) { return x[0] - x[1]; }, {a, b});
    expect_grad([](const Inputs& x) { return x[0] * x[1]; }, {a, b});
    expect_grad([](const Inputs& x) { return x[0] / x[1]; }, {a, away_from_zero(b.shape(), 6)});
    expect_grad([](const Inputs& x) { return x[1] - x[0]; }, {a, b});  // broadcast on the left
  }
  // Both sides broadcast: [3,1,2] and [4,1] -> [3,4,2].
  expect_grad([](const Inputs& x) { return x[0] * x[1] + x[1]; }, {randn({3, 1, 2}, 7), randn({4, 1}, 8)});
  // Same input on both sides accumulates.
  expect_grad([](const Inputs& x) { return x[0] * x[0] - x[0] / (x[0] * x[0] + 3.0); }, {randn({2, 2}, 9)});
}

TEST_CASE("gradcheck: scalar ops and unary math") {
  const TD a = away_from_zero({2, 3}, 11);
  expect_grad([](const Inputs& x) { return x[0] + 2.0; }, {a});
  expect_grad([](const Inputs& x) { return 2.0 + x[0]; }, {a});
  expect_grad([](const Inputs& x) { return x[0] - 2.0; }, {a});
  expect_grad([](const Inputs& x) { return 2.0 - x[0]; }, {a});
  expect_grad([](const Inputs& x) { return x[0] * 3.0; }, {a});
  expect_grad([](const Inputs& x) { return 3.0 * x[0]; }, {a});
  expect_grad([](const Inputs& x) { return x[0] / 3.0; }, {a});
  expect_grad([](const Inputs& x) { return 3.0 / x[0]; }, {a});
  expect_grad([](const Inputs& x) { return -x[0]; }, {a});
  expect_grad([](const Inputs& x) { return grove::exp(x[0]); }, {a});
  expect_grad([](const Inputs& x) { return grove::abs(x[0]).log(); }, {a});
  expect_grad([](const Inputs& x) { return x[0].abs().sqrt(); }, {a});
  expect_grad([](const Inputs& x) { return grove::abs(x[0]); }, {a});
  expect_grad([](const Inputs& x) { return grove::pow(x[0], 3.0); }, {a});
  expect_grad([](const Inputs& x) { return x[0].abs().pow(-1.5); }, {a});
}

TEST_CASE("gradcheck: activations and stable softmax") {
  const TD a = away_from_zero({3, 4}, 21);
  expect_grad([](const Inputs& x) { return grove::relu(x[0]); }, {a});
  expect_grad([](const Inputs& x) { return x[0].sigmoid(); }, {a});
  expect_grad([](const Inputs& x) { return grove::tanh(x[0]); }, {a});
  expect_grad([](const Inputs& x) { return x[0].gelu(); }, {a});
  for (long axis : {0L, 1L, -1L}) {
    expect_grad([axis](const Inputs& x) { return grove::softmax(x[0], axis); }, {a});
    expect_grad([axis](const Inputs& x) { return grove::log_softmax(x[0], axis); }, {a});
  }
  // Large logits: the stable forms keep finite values and correct gradients.
  const TD big = randn({2, 5}, 22) * 30.0 + 500.0;
  expect_grad([](const Inputs& x) { return grove::softmax(x[0], 1); }, {big});
  expect_grad([](const Inputs& x) { return grove::log_softmax(x[0], 1); }, {big});
  expect_grad([](const Inputs& x) { return grove::log_softmax(x[0], 0); }, {randn({4, 2, 3}, 23)});
}

TEST_CASE("gradcheck: reductions over each axis") {
  const TD a = randn({2, 3, 4}, 31);
  expect_grad([](const Inputs& x) { return x[0].sum(); }, {a});
  expect_grad([](const Inputs& x) { return grove::mean(x[0]); }, {a});
  for (long axis : {0L, 1L, 2L, -1L}) {
    for (bool keep : {false, true}) {
      expect_grad([=](const Inputs& x) { return x[0].sum(axis, keep); }, {a});
      expect_grad([=](const Inputs& x) { return x[0].mean(axis, keep); }, {a});
      expect_grad([=](const Inputs& x) { return x[0].max(axis, keep); }, {a});
    }
  }
  // Reductions of a strided view.
  expect_grad([](const Inputs& x) { return x[0].transpose().sum(1); }, {randn({3, 5}, 32)});
}

TEST_CASE("gradcheck: matmul 2-D, transposed, batched and shared operands") {
  expect_grad([](const Inputs& x) { return grove::matmul(x[0], x[1]); }, {randn({3, 4}, 41), randn({4, 2}, 42)});
  expect_grad([](const Inputs& x) { return grove::matmul(x[0].transpose(), x[1]); },
              {randn({4, 3}, 43), randn({4, 2}, 44)});
  expect_grad([](const Inputs& x) { return x[0].matmul(x[1].transpose()); }, {randn({3, 4}, 45), randn({2, 4}, 46)});
  expect_grad([](const Inputs& x) { return grove::matmul(x[0], x[1]); }, {randn({2, 3, 4}, 47), randn({2, 4, 5}, 48)});
  expect_grad([](const Inputs& x) { return grove::matmul(x[0], x[1]); }, {randn({2, 3, 4}, 49), randn({4, 5}, 50)});
  expect_grad([](const Inputs& x) { return grove::matmul(x[0], x[1]); }, {randn({3, 4}, 51), randn({2, 4, 5}, 52)});
  expect_grad([](const Inputs& x) { return grove::matmul(x[0], x[1]); }, {randn({1, 3, 4}, 53), randn({3, 4, 2}, 54)});
  expect_grad([](const Inputs& x) { return grove::matmul(x[0], x[1].transpose()); },
              {randn({2, 3, 4}, 55), randn({2, 5, 4}, 56)});
  // A Linear-like layer: x W^T + b, then a loss.
  expect_grad([](const Inputs& x) { return (grove::matmul(x[0], x[1].transpose()) + x[2]).tanh().mean(); },
              {randn({5, 4}, 57), randn({3, 4}, 58), randn({3}, 59)});
}

TEST_CASE("gradcheck: shape ops, indexing, copies") {
  const TD a = randn({2, 3, 4}, 61);
  expect_grad([](const Inputs& x) { return x[0].transpose(); }, {a});
  expect_grad([](const Inputs& x) { return grove::transpose(x[0], 0, 2) * 2.0; }, {a});
  expect_grad([](const Inputs& x) { return x[0].reshape({6, 4}); }, {a});
  expect_grad([](const Inputs& x) { return x[0].transpose().reshape({24}); }, {a});  // copy path
  for (long axis : {0L, 1L, 2L}) expect_grad([=](const Inputs& x) { return x[0].slice(axis, 1, 2); }, {a});
  expect_grad([](const Inputs& x) { return grove::concat({x[0], x[1], x[0]}, 1); },
              {randn({2, 3}, 62), randn({2, 2}, 63)});
  expect_grad([](const Inputs& x) { return grove::concat({x[0], x[1]}, 0); }, {randn({1, 3}, 64), randn({2, 3}, 65)});
  expect_grad([](const Inputs& x) { return x[0].transpose().contiguous(); }, {randn({3, 2}, 66)});
  expect_grad([](const Inputs& x) { return x[0].clone() * x[0]; }, {randn({3, 2}, 67)});
  const grove::Tensor<std::int64_t> ids = grove::Tensor<std::int64_t>::from_vector({2, 0, 2, 3});
  expect_grad([&](const Inputs& x) { return grove::index_select(x[0], 0, ids); }, {randn({4, 3}, 68)});
  expect_grad([&](const Inputs& x) { return grove::index_select(x[0], 1, ids); }, {randn({2, 5}, 69)});
  const grove::Tensor<int> targets = grove::Tensor<int>::from_vector({1, 0, 2, 1}, {4, 1});
  // cross-entropy as nn will build it: -mean(gather(log_softmax(logits), 1, targets)).
  expect_grad([&](const Inputs& x) { return -grove::gather(grove::log_softmax(x[0], 1), 1, targets).mean(); },
              {randn({4, 3}, 70)});
  const grove::Tensor<int> idx0 = grove::Tensor<int>::from_vector({1, 1, 0}, {1, 3});
  expect_grad([&](const Inputs& x) { return grove::gather(x[0], 0, idx0); }, {randn({2, 3}, 71)});
}

TEST_CASE("gradcheck: a small network end to end") {
  expect_grad(
      [](const Inputs& x) {
        const TD h = grove::matmul(x[0], x[1]).gelu();
        const TD y = grove::concat({h.sigmoid(), h.slice(1, 0, 2).exp()}, 1);
        return (y.log_softmax(1) * x[2]).sum(0).max(0);
      },
      {randn({3, 4}, 81), randn({4, 3}, 82), randn({3, 5}, 83)});
}

TEST_CASE("gradcheck reports a wrong gradient") {
  // f hides x from the graph in its second term: analytic w*2 vs numeric w*(2 + 2x), where w is
  // gradcheck's projection weight.
  const auto broken = [](const Inputs& x) {
    const TD detached = x[0].detach();
    return x[0] * 2.0 + detached * detached;
  };
  const TD x0 = TD::from_vector({0.75, -0.5, 2.0});
  const grove::GradcheckResult r = grove::gradcheck(broken, {x0});
  CHECK_FALSE(r.ok);
  CHECK_FALSE(static_cast<bool>(r));
  INFO(r.message);
  double analytic = 0, numeric = 0;
  REQUIRE(std::sscanf(r.message.c_str(), "gradcheck: input 0 element 0: analytic %lf vs numeric %lf", &analytic,
                      &numeric) == 2);
  CHECK(numeric / analytic == doctest::Approx(1 + 0.75).epsilon(1e-6));
  CHECK(r.max_abs_error >= std::abs(numeric - analytic));
}

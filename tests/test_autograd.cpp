// Autograd engine semantics: accumulation, graph release, NoGradGuard, detach, leaves,
// integer tensors, error messages.
#include <grove/autograd.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

using grove::Shape;
using TD = grove::Tensor<double>;
using TF = grove::Tensor<float>;

TEST_CASE("backward accumulates into leaves and zero_grad resets") {
  TD x = TD::from_vector({1, 2, 3});
  x.requires_grad(true);
  CHECK(x.requires_grad());
  CHECK(x.is_leaf());
  CHECK_FALSE(x.has_grad());
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 0});
  TD y = (x * x).sum();  // dy/dx = 2x
  CHECK(y.requires_grad());
  CHECK_FALSE(y.is_leaf());
  y.backward();
  CHECK(x.has_grad());
  CHECK(x.grad().to_vector() == std::vector<double>{2, 4, 6});
  (x * 3.0).sum().backward();  // accumulates
  CHECK(x.grad().to_vector() == std::vector<double>{5, 7, 9});
  TD g = x.grad();
  g.data()[0] = 100;  // grad() shares storage: optimizers update in place
  CHECK(x.grad()(0) == 100);
  x.zero_grad();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 0});
  CHECK(g(1) == 0);
}

TEST_CASE("fan-out, diamond graphs and a leaf as root") {
  TD x = TD::from_vector({0.5, -1.0});
  x.requires_grad(true);
  const TD a = x * 2.0;
  const TD b = a.exp();
  const TD c = a * a;
  (b + c + a).sum().backward();  // d/dx = 2 (e^{2x} + 2*2x + 1)
  const std::vector<double> g = x.grad().to_vector();
  CHECK(g[0] == doctest::Approx(2 * (std::exp(1.0) + 4 * 0.5 + 1)));
  CHECK(g[1] == doctest::Approx(2 * (std::exp(-2.0) - 4.0 + 1)));
  TD leaf = TD::from_vector({4.0});
  leaf.requires_grad(true);
  leaf.backward();
  CHECK(leaf.grad().item() == 1);
  // backward(gradient) seeds a non-scalar root.
  TD z = TD::from_vector({1, 2});
  z.requires_grad(true);
  (z * z).backward(TD::from_vector({1.0, 10.0}));
  CHECK(z.grad().to_vector() == std::vector<double>{2, 40});
}

TEST_CASE("only inputs that need grad get gradients; constants stay untouched") {
  TD w = TD::ones({2, 2});
  w.requires_grad(true);
  const TD c = TD::full({2, 2}, 3.0);  // no requires_grad
  (w * c).sum().backward();
  CHECK(w.grad().to_vector() == std::vector<double>(4, 3.0));
  CHECK_FALSE(c.has_grad());
  CHECK_FALSE(c.requires_grad());
  CHECK_FALSE((c * c).requires_grad());
}

TEST_CASE("NoGradGuard and detach stop recording") {
  TD w = TD::ones({3});
  w.requires_grad(true);
  {
    grove::NoGradGuard guard;
    CHECK_FALSE(grove::grad_enabled());
    const TD y = (w * 2.0).sum();
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
    CHECK_THROWS_AS(y.backward(), grove::Error);
    {
      grove::NoGradGuard nested;
    }
    CHECK_FALSE(grove::grad_enabled());
  }
  CHECK(grove::grad_enabled());
  const TD d = (w * 2.0).detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.to_vector() == std::vector<double>{2, 2, 2});
  const TD mixed = (w * d).sum();  // d is a constant here
  mixed.backward();
  CHECK(w.grad().to_vector() == std::vector<double>{2, 2, 2});
  // In-place optimizer-style update under the guard leaves no graph behind.
  {
    grove::NoGradGuard guard;
    double* p = w.data();
    const double* g = w.grad().data();
    for (std::size_t i = 0; i < w.size(); ++i) p[i] -= 0.5 * g[i];
  }
  CHECK(w.to_vector() == std::vector<double>{0, 0, 0});
  CHECK(w.is_leaf());
}

TEST_CASE("backward errors have clear messages") {
  TD x = TD::ones({2, 3});
  x.requires_grad(true);
  const TD y = x * 2.0;
  CHECK_THROWS_WITH_AS(y.backward(),
                       "backward: called on a tensor of shape [2,3]; backward() needs a one-element (scalar) loss, "
                       "or pass the gradient: backward(gradient)",
                       grove::Error);
  CHECK_THROWS_WITH_AS(y.backward(TD::ones({3})), "backward: gradient of shape [3] for a tensor of shape [2,3]",
                       grove::ShapeError);
  const TD c = TD::ones({1});
  CHECK_THROWS_WITH_AS(c.backward(),
                       "backward: tensor of shape [1] does not require grad (no input of the computation had "
                       "requires_grad(true), or it ran under NoGradGuard)",
                       grove::Error);
  // The graph is released after backward; a second pass through it is an error.
  const TD loss = (x * x).sum();
  loss.backward();
  CHECK_THROWS_WITH_AS(loss.backward(),
                       "backward: the graph through 'sum' was already released by an earlier backward(); run the "
                       "forward pass again",
                       grove::Error);
  // Integer tensors have no autograd.
  grove::Tensor<std::int64_t> labels = grove::Tensor<std::int64_t>::from_vector({1, 2});
  CHECK_THROWS_WITH_AS(labels.requires_grad(true), "requires_grad: integer tensors have no autograd",
                       grove::ValueError);
  CHECK_FALSE(labels.requires_grad());
  CHECK_THROWS_WITH_AS(labels.sum().backward(), "backward: integer tensors have no autograd", grove::Error);
  labels.requires_grad(false);  // allowed: a no-op
  CHECK_THROWS_WITH_AS(y.clone().requires_grad(false),
                       "requires_grad: only leaf tensors can change requires_grad; call detach() first to get a leaf",
                       grove::ValueError);
}

TEST_CASE("graph memory is released after backward") {
  TD x = TD::ones({4});
  x.requires_grad(true);
  std::weak_ptr<grove::detail::TensorImpl<double>> mid_impl;
  TD loss;
  {
    const TD mid = x.exp() * 3.0;
    mid_impl = grove::detail::TensorAccess::impl(mid);
    loss = mid.sum();
  }
  CHECK_FALSE(mid_impl.expired());  // held by the graph of `loss`
  loss.backward();
  CHECK(mid_impl.expired());        // freed when backward released the graph
  CHECK(x.grad()(0) == doctest::Approx(3 * std::exp(1.0)));
}

TEST_CASE("long chains: no recursion limits, exact gradients") {
  TF x = TF::full({8, 8}, 0.5f);
  x.requires_grad(true);
  TF y = x;
  const int n = 20000;
  for (int i = 0; i < n; ++i) y = y * 1.0f + 0.0f;
  y.sum().backward();
  CHECK(x.grad()(3, 3) == 1.0f);
}

TEST_CASE("dropping a long graph without backward does not recurse") {
  TF x = TF::ones({2});
  x.requires_grad(true);
  TF y = x;
  for (int i = 0; i < 300000; ++i) y = y + 1.0f;
  CHECK(y(0) == 300001.0f);
  y = TF::zeros({1});  // frees 300000 nodes; a recursive destructor would overflow the stack
  CHECK(x.requires_grad());
}

TEST_CASE("gradients are bitwise identical for 1 and 2 threads") {
  // Large enough that matmul, elementwise ops and the sum run in parallel chunks.
  const auto run = [](std::size_t threads) {
    grove::ThreadCountGuard guard(threads);
    grove::Rng rng(17);
    TF x = TF::randn({300, 160}, rng);
    TF w = TF::randn({160, 1800}, rng);
    x.requires_grad(true);
    w.requires_grad(true);
    const TF h = grove::relu(grove::matmul(x, w)) * 0.5f + 1.0f;  // 540k elements
    (h * h).sum().backward();
    return std::make_pair(x.grad().to_vector(), w.grad().to_vector());
  };
  const auto one = run(1), two = run(2);
  CHECK(one.first == two.first);
  CHECK(one.second == two.second);
}

TEST_CASE("gradients of views land in the right places") {
  TD a = TD::arange(6).reshape({2, 3});
  a.requires_grad(true);
  CHECK(a.is_leaf());  // reshape of a non-grad tensor is a plain leaf
  (a.slice(1, 1, 3).transpose() * TD::from_vector({1, 2}, {2, 1})).sum().backward();
  CHECK(a.grad().to_vector() == std::vector<double>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("gradcheck: tolerances and step are validated") {
  const auto f = [](const std::vector<TD>& xs) { return (xs[0] * xs[0]).sum(); };
  const std::vector<TD> x = {TD::ones({2})};
  CHECK_THROWS_WITH_AS(grove::gradcheck(f, x, {.eps = 0.0}), "gradcheck: eps must be in (0, inf), got 0", grove::ValueError);
  CHECK_THROWS_WITH_AS(grove::gradcheck(f, x, {.eps = 1e-6, .atol = -1.0}), "gradcheck: atol must be in [0, inf), got -1",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(grove::gradcheck(f, x, {.eps = 1e-6, .atol = 1e-5, .rtol = std::nan("")}),
                       "gradcheck: rtol must be in [0, inf), got nan", grove::ValueError);
  CHECK(grove::gradcheck(f, x));
}

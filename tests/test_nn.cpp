// nn: layers (closed forms + gradcheck), losses, Module/Sequential naming and modes, training.
#include <grove/autograd.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace grove;

namespace {

Tensor<double> mat(std::vector<double> v, Shape s) { return Tensor<double>::from_vector(std::move(v), s); }

void check_close(const Tensor<double>& got, const std::vector<double>& want, double tol = 1e-12) {
  const auto v = got.to_vector();
  REQUIRE(v.size() == want.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    INFO("element " << i);
    CHECK(v[i] == doctest::Approx(want[i]).epsilon(tol).scale(1.0));
  }
}

}  // namespace

TEST_CASE("Linear: y = x W^T + b in closed form, any leading shape") {
  Rng rng(0);
  nn::Linear<double> lin(2, 3, rng);
  std::vector<double> w = {1, 2, 3, 4, 5, 6}, b = {0.5, -1, 2};
  std::copy(w.begin(), w.end(), lin.weight().data());
  std::copy(b.begin(), b.end(), lin.bias().data());
  auto x = mat({1, 1, 2, -1}, Shape{2, 2});
  auto y = lin(x);
  CHECK(y.shape() == Shape{2, 3});
  check_close(y, {3.5, 6, 13, 0.5, 1, 6});
  // [2, 1, 2] input: the same rows, shape kept.
  auto y3 = lin(mat({1, 1, 2, -1}, Shape{2, 1, 2}));
  CHECK(y3.shape() == Shape{2, 1, 3});
  check_close(y3, {3.5, 6, 13, 0.5, 1, 6});
  // One row (the matrix-vector path) agrees with the batched path.
  check_close(lin(mat({2, -1}, Shape{1, 2})), {0.5, 1, 6});
  // No bias.
  nn::Linear<double> nb(2, 3, rng, {.bias = false});
  CHECK(nb.named_parameters().size() == 1);
  std::copy(w.begin(), w.end(), nb.weight().data());
  check_close(nb(x), {3, 7, 11, 0, 2, 4});
  CHECK(lin.describe() == "Linear(in=2, out=3)");
  CHECK(nb.describe() == "Linear(in=2, out=3, bias=false)");
  CHECK_THROWS_WITH_AS(lin(mat({1, 2, 3}, Shape{1, 3})), "Linear: input [1,3] does not end in in_features 2",
                       ShapeError);
  CHECK_THROWS_WITH_AS(nn::Linear<double>(0, 3, rng), "Linear: in_features and out_features must be >= 1, got 0 and 3",
                       ValueError);
  CHECK_THROWS_WITH_AS(nn::linear(x, mat({1, 2, 3}, Shape{3}), nullptr),
                       "linear: input [2,2] x weight [3] (expected input [..., in], weight [out, in], bias [out])",
                       ShapeError);
}

TEST_CASE("Linear: PyTorch's default init U(-1/sqrt(in), 1/sqrt(in)), reproducible from the seed") {
  Rng rng(7);
  nn::Linear<float> lin(400, 300, rng);
  const double bound = 1.0 / std::sqrt(400.0);
  double sum = 0, sum2 = 0, largest = 0;
  for (float v : lin.weight().to_vector()) {
    largest = std::max(largest, double(std::abs(v)));
    sum += v;
    sum2 += double(v) * v;
  }
  CHECK(largest <= bound);
  CHECK(largest > 0.99 * bound);
  const double n = 400.0 * 300.0;
  CHECK(sum / n == doctest::Approx(0.0).scale(1.0).epsilon(2e-3));
  CHECK(sum2 / n == doctest::Approx(bound * bound / 3.0).epsilon(0.02));  // variance of U(-b, b)
  for (float v : lin.bias().to_vector()) CHECK_UNARY(std::abs(v) <= bound);
  Rng again(7);
  nn::Linear<float> same(400, 300, again);
  CHECK(same.weight().to_vector() == lin.weight().to_vector());
  CHECK(same.bias().to_vector() == lin.bias().to_vector());
}

TEST_CASE("Linear: gradcheck in x, W and b (with and without bias, 3-D input)") {
  Rng rng(1);
  auto x = Tensor<double>::randn(Shape{4, 3}, rng);
  auto w = Tensor<double>::randn(Shape{5, 3}, rng);
  auto b = Tensor<double>::randn(Shape{5}, rng);
  CHECK(gradcheck([](const std::vector<Tensor<double>>& in) { return nn::linear(in[0], in[1], &in[2]); }, {x, w, b}));
  CHECK(gradcheck([](const std::vector<Tensor<double>>& in) { return nn::linear(in[0], in[1]); }, {x, w}));
  auto x3 = Tensor<double>::randn(Shape{2, 2, 3}, rng);
  CHECK(gradcheck([](const std::vector<Tensor<double>>& in) { return nn::linear(in[0], in[1], &in[2]); }, {x3, w, b}));
  // A non-contiguous input (a transposed view) goes through the same op.
  auto xt = Tensor<double>::randn(Shape{3, 4}, rng);
  CHECK(gradcheck([](const std::vector<Tensor<double>>& in) { return nn::linear(in[0].transpose(), in[1], &in[2]); },
                  {xt, w, b}));
}

TEST_CASE("Linear: the chunked parallel GEMMs match plain loops and are the same for 1 and 2 threads") {
  // 40 x 200 x 150 = 1.2M multiply-adds: above the threshold that splits the GEMMs into chunks.
  const std::size_t m = 40, in = 200, out = 150;
  auto run = [&](std::size_t threads) {
    ThreadCountGuard guard(threads);
    Rng rng(11);
    auto x = Tensor<double>::randn(Shape{m, in}, rng);
    auto w = Tensor<double>::randn(Shape{out, in}, rng);
    auto b = Tensor<double>::randn(Shape{out}, rng);
    auto g = Tensor<double>::randn(Shape{m, out}, rng);
    x.requires_grad(true);
    w.requires_grad(true);
    b.requires_grad(true);
    auto y = nn::linear(x, w, &b);
    y.backward(g);
    return std::vector<Tensor<double>>{x, w, b, g, y, x.grad(), w.grad(), b.grad()};
  };
  const auto r1 = run(1), r2 = run(2);
  for (std::size_t k = 4; k < 8; ++k) CHECK(r1[k].to_vector() == r2[k].to_vector());
  const auto X = r1[0].to_vector(), W = r1[1].to_vector(), B = r1[2].to_vector(), G = r1[3].to_vector();
  const auto Y = r1[4].to_vector(), DX = r1[5].to_vector(), DW = r1[6].to_vector(), DB = r1[7].to_vector();
  double err_y = 0, err_dx = 0, err_dw = 0, err_db = 0;
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < out; ++j) {
      double s = B[j];
      for (std::size_t k = 0; k < in; ++k) s += X[i * in + k] * W[j * in + k];
      err_y = std::max(err_y, std::abs(s - Y[i * out + j]));
    }
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t k = 0; k < in; ++k) {
      double s = 0;
      for (std::size_t j = 0; j < out; ++j) s += G[i * out + j] * W[j * in + k];
      err_dx = std::max(err_dx, std::abs(s - DX[i * in + k]));
    }
  for (std::size_t j = 0; j < out; ++j) {
    double sb = 0;
    for (std::size_t i = 0; i < m; ++i) sb += G[i * out + j];
    err_db = std::max(err_db, std::abs(sb - DB[j]));
    for (std::size_t k = 0; k < in; ++k) {
      double s = 0;
      for (std::size_t i = 0; i < m; ++i) s += G[i * out + j] * X[i * in + k];
      err_dw = std::max(err_dw, std::abs(s - DW[j * in + k]));
    }
  }
  CHECK(err_y < 1e-10);
  CHECK(err_dx < 1e-10);
  CHECK(err_dw < 1e-10);
  CHECK(err_db < 1e-10);
}

TEST_CASE("activations: closed forms and gradcheck") {
  auto x = mat({-2, -0.5, 0.3, 1.0, 3.0}, Shape{5});
  nn::ReLU<double> relu;
  nn::GELU<double> gelu;
  nn::Tanh<double> tanh_m;
  nn::Sigmoid<double> sig;
  check_close(relu(x), {0, 0, 0.3, 1.0, 3.0});
  // Exact GELU x * Phi(x): Phi(1) = 0.8413447460685429, Phi(-2) = 0.022750131948179195.
  check_close(gelu(x), {-2 * 0.022750131948179195, -0.5 * 0.3085375387259869, 0.3 * 0.6179114221889527,
                        0.8413447460685429, 3 * 0.9986501019683699});
  check_close(tanh_m(x), {std::tanh(-2.0), std::tanh(-0.5), std::tanh(0.3), std::tanh(1.0), std::tanh(3.0)});
  check_close(sig(x), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(0.5)), 1 / (1 + std::exp(-0.3)),
                       1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(-3.0))});
  for (nn::Module<double>* m : std::vector<nn::Module<double>*>{&relu, &gelu, &tanh_m, &sig}) {
    INFO(m->describe());
    CHECK(m->parameters().empty());
    CHECK(gradcheck([m](const std::vector<Tensor<double>>& in) { return (*m)(in[0]); }, {x}));
  }
  CHECK(gelu.describe() == "GELU");
}

TEST_CASE("Dropout: inverted scaling in training, identity in eval, gradient through the mask") {
  Rng rng(5);
  auto x = Tensor<double>::ones(Shape{200, 50});
  nn::Dropout<double> drop(0.3, 42);
  auto y = drop(x);
  std::size_t zeros = 0, scaled = 0;
  for (double v : y.to_vector()) {
    if (v == 0) ++zeros;
    else if (v == 1.0 / 0.7) ++scaled;
  }
  CHECK(zeros + scaled == 10000);
  CHECK(static_cast<double>(zeros) / 10000.0 == doctest::Approx(0.3).epsilon(0.05));
  // A second call draws a new mask; the same seed repeats the masks.
  auto y2 = drop(x);
  CHECK(y2.to_vector() != y.to_vector());
  nn::Dropout<double> same(0.3, 42);
  CHECK(same(x).to_vector() == y.to_vector());
  // Gradient: d(sum(w * y))/dx = w * mask.
  auto xg = Tensor<double>::randn(Shape{4, 6}, rng);
  xg.requires_grad(true);
  auto w = Tensor<double>::randn(Shape{4, 6}, rng);
  auto yd = nn::dropout(xg, 0.5, rng);
  yd.backward(w);
  const auto xv = xg.to_vector(), yv = yd.to_vector(), wv = w.to_vector(), gv = xg.grad().to_vector();
  for (std::size_t i = 0; i < xv.size(); ++i) {
    const double mask = yv[i] / xv[i];
    CHECK_UNARY(mask == 0.0 || std::abs(mask - 2.0) < 1e-12);
    CHECK(gv[i] == doctest::Approx(wv[i] * mask));
  }
  drop.eval();
  CHECK_FALSE(drop.is_training());
  CHECK(drop(x).is_same(x));
  CHECK(nn::dropout(x, 1.0, rng).to_vector() == std::vector<double>(10000, 0.0));
  CHECK(nn::dropout(x, 0.0, rng).is_same(x));
  CHECK_THROWS_WITH_AS(nn::Dropout<double>(1.5), "Dropout: p must be in [0, 1], got 1.5", ValueError);
  CHECK_THROWS_WITH_AS(nn::dropout(x, -0.1, rng), "dropout: p must be in [0, 1], got -0.1", ValueError);
}

TEST_CASE("LayerNorm: closed form, gradcheck in input, weight and bias") {
  nn::LayerNorm<double> ln(3);
  auto y = ln(mat({1, 2, 3, -1, -1, 5}, Shape{2, 3}));
  // Row 1: mean 2, biased variance 2/3. Row 2: mean 1, variance 8.
  const double r1 = 1 / std::sqrt(2.0 / 3.0 + 1e-5), r2 = 1 / std::sqrt(8.0 + 1e-5);
  check_close(y, {-r1, 0, r1, -2 * r2, -2 * r2, 4 * r2});
  CHECK(ln.named_parameters()[0].first == "weight");
  CHECK(ln.named_parameters()[1].first == "bias");
  CHECK(ln.weight().to_vector() == std::vector<double>{1, 1, 1});
  CHECK(ln.bias().to_vector() == std::vector<double>{0, 0, 0});
  Rng rng(2);
  auto x = Tensor<double>::randn(Shape{3, 4}, rng);
  auto w = Tensor<double>::randn(Shape{4}, rng);
  auto b = Tensor<double>::randn(Shape{4}, rng);
  CHECK(gradcheck([](const std::vector<Tensor<double>>& in) { return nn::layer_norm(in[0], in[1], in[2]); },
                  {x, w, b}));
  auto x3 = Tensor<double>::randn(Shape{2, 2, 4}, rng);
  CHECK(gradcheck([](const std::vector<Tensor<double>>& in) { return nn::layer_norm(in[0], in[1], in[2], 1e-3); },
                  {x3, w, b}));
  CHECK_THROWS_WITH_AS(ln(mat({1, 2}, Shape{1, 2})),
                       "layer_norm: input [1,2], weight [3], bias [3] (expected input [..., d], weight [d], bias [d])",
                       ShapeError);
  CHECK_THROWS_WITH_AS(nn::LayerNorm<double>(0), "LayerNorm: dim must be >= 1, got 0", ValueError);
}

TEST_CASE("Embedding: lookup of any index type, accumulating gradient, bad indices rejected") {
  Rng rng(4);
  nn::Embedding<double> emb(5, 3, rng);
  const auto w = emb.weight().to_vector();
  auto idx = Tensor<std::int64_t>::from_vector({4, 0, 4, 2}, Shape{2, 2});
  auto y = emb.forward(idx);
  CHECK(y.shape() == Shape{2, 2, 3});
  const auto yv = y.to_vector();
  const std::size_t rows[] = {4, 0, 4, 2};
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 3; ++j) CHECK(yv[i * 3 + j] == w[rows[i] * 3 + j]);
  // Float indices through the Module interface; unsigned ones through the template.
  CHECK(emb(mat({1, 3}, Shape{2})).shape() == Shape{2, 3});
  CHECK(emb.forward(Tensor<std::uint8_t>::from_vector({2})).to_vector() ==
        std::vector<double>(w.begin() + 6, w.begin() + 9));
  // Row 4 is used twice: its gradient is the sum of both rows of the output gradient.
  emb.zero_grad();
  emb.forward(idx).sum().backward();
  const auto g = emb.weight().grad().to_vector();
  CHECK(g == std::vector<double>{1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2});
  const auto fixed = Tensor<int>::from_vector({1, 1, 0, 3});
  CHECK(gradcheck([&](const std::vector<Tensor<double>>& in) { return nn::embedding(in[0], fixed); },
                  {Tensor<double>::randn(Shape{4, 2}, rng)}));
  CHECK_THROWS_WITH_AS(emb.forward(Tensor<int>::from_vector({0, 5})), "embedding: index 5 at position 1 is not in [0, 5)",
                       ValueError);
  CHECK_THROWS_WITH_AS(emb.forward(Tensor<int>::from_vector({-1})), "embedding: index -1 at position 0 is not in [0, 5)",
                       ValueError);
  CHECK_THROWS_WITH_AS(emb(mat({1.5}, Shape{1})), "embedding: index 1.5 at position 0 is not in [0, 5)", ValueError);
  CHECK_THROWS_AS(emb(mat({std::nan("")}, Shape{1})), ValueError);
  CHECK(emb.describe() == "Embedding(5, 3)");
}

TEST_CASE("Sequential: order, dotted parameter names, nesting, add, modes, rebinding") {
  Rng rng(0);
  nn::Sequential<double> inner{nn::Linear<double>(3, 3, rng), nn::Tanh()};
  nn::Sequential<double> net{nn::Linear<double>(2, 3, rng), nn::ReLU(), inner};
  net.add(nn::Dropout(0.5)).add(std::make_shared<nn::Linear<double>>(3, 1, rng));
  CHECK(net.size() == 5);
  std::vector<std::string> names;
  for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.0.weight", "2.0.bias", "4.weight", "4.bias"});
  CHECK(net.parameters().size() == 6);
  CHECK(net.n_parameters() == 6 + 3 + 9 + 3 + 3 + 1);
  // The nested module shares its parameters with `inner` (copies share tensors).
  CHECK(net.named_parameters()[2].second.is_same(inner.named_parameters()[0].second));
  CHECK(net[1].describe() == "ReLU");
  CHECK_THROWS_WITH_AS(net[9], "Sequential: index 9 out of range for 5 modules", ValueError);
  CHECK(net.describe() ==
        "Sequential(\n  (0): Linear(in=2, out=3)\n  (1): ReLU\n  (2): Sequential(\n    (0): Linear(in=3, out=3)\n    "
        "(1): Tanh\n  )\n  (3): Dropout(p=0.5)\n  (4): Linear(in=3, out=1)\n)");
  // forward applies the modules in order (eval: dropout is the identity).
  net.eval();
  CHECK_FALSE(net[3].is_training());
  CHECK_FALSE(net[2].is_training());
  CHECK_FALSE(net[2].children()[0].second->is_training());
  auto x = Tensor<double>::randn(Shape{4, 2}, rng);
  Tensor<double> h = x;
  for (std::size_t i = 0; i < net.size(); ++i) h = net[i](h);
  CHECK(net(x).to_vector() == h.to_vector());
  net.train();
  CHECK(net[3].is_training());
  // gradcheck through the whole (deterministic) stack with respect to the input.
  net.eval();
  CHECK(gradcheck([&](const std::vector<Tensor<double>>& in) { return net(in[0]); }, {x}));
  // Copying the wrapper keeps the same parameters.
  nn::Sequential<double> copy = net;
  CHECK(copy.size() == 5);
  CHECK(copy.parameters()[0].is_same(net.parameters()[0]));
}

TEST_CASE("losses: closed forms, stability, gradcheck, target validation") {
  auto p = mat({1, 2, 3, 4}, Shape{2, 2});
  auto t = mat({1, 0, 5, 4}, Shape{2, 2});
  CHECK(nn::mse_loss(p, t).item() == doctest::Approx((0 + 4 + 4 + 0) / 4.0));
  CHECK(nn::mse_loss(p, t).shape() == Shape{});
  CHECK(gradcheck([](const std::vector<Tensor<double>>& in) { return nn::mse_loss(in[0], in[1]); }, {p, t}));
  CHECK_THROWS_WITH_AS(nn::mse_loss(p, mat({1, 2}, Shape{2})), "mse_loss: pred [2,2] and target [2] must have the same shape",
                       ShapeError);

  // bce_with_logits: the naive formula where it is safe, finite where the naive one overflows.
  auto z = mat({-1.5, 0.0, 2.0}, Shape{3});
  auto y = mat({0.0, 1.0, 0.25}, Shape{3});
  double naive = 0;
  for (int i = 0; i < 3; ++i) {
    const double s = 1 / (1 + std::exp(-z(i))), yi = y(i);
    naive += -(yi * std::log(s) + (1 - yi) * std::log(1 - s));
  }
  CHECK(nn::bce_with_logits(z, y).item() == doctest::Approx(naive / 3));
  auto big = nn::bce_with_logits(mat({1000, -1000}, Shape{2}), mat({0, 0}, Shape{2}));
  CHECK(big.item() == doctest::Approx(500.0));
  CHECK(gradcheck([](const std::vector<Tensor<double>>& in) { return nn::bce_with_logits(in[0], in[1]); }, {z, y}));

  // cross_entropy: -log softmax(z)[t], averaged.
  auto logits = mat({1, 2, 3, 1, 1, 1}, Shape{2, 3});
  const double lse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  const double want = ((lse0 - 1.0) + std::log(3.0)) / 2;
  CHECK(nn::cross_entropy(logits, Tensor<int>::from_vector({0, 2})).item() == doctest::Approx(want));
  CHECK(nn::cross_entropy(logits, Tensor<double>::from_vector({0, 2})).item() == doctest::Approx(want));
  CHECK(nn::cross_entropy(logits, Tensor<std::uint8_t>::from_vector({0, 2})).item() == doctest::Approx(want));
  CHECK(nn::cross_entropy(logits, Tensor<std::int64_t>::from_vector({0, 2})).item() == doctest::Approx(want));
  // Huge logits: no overflow, exact answer.
  auto huge = mat({1000, 0, -1000, 1000}, Shape{2, 2});
  CHECK(nn::cross_entropy(huge, Tensor<int>::from_vector({0, 0})).item() == doctest::Approx(1000.0));
  auto fl = Tensor<float>::from_vector({1e4f, 0, 0, 0}, Shape{1, 4});
  CHECK(std::isfinite(nn::cross_entropy(fl, Tensor<int>::from_vector({1})).item()));
  Rng rng(9);
  auto lg = Tensor<double>::randn(Shape{4, 5}, rng);
  const auto tg = Tensor<int>::from_vector({4, 0, 2, 2});
  CHECK(gradcheck([&](const std::vector<Tensor<double>>& in) { return nn::cross_entropy(in[0], tg); }, {lg}));
  // Gradient in closed form: (softmax - onehot) / n.
  auto l2 = logits.detach().clone();
  l2.requires_grad(true);
  nn::cross_entropy(l2, Tensor<int>::from_vector({0, 2})).backward();
  CHECK(l2.grad()(1, 2) == doctest::Approx((1.0 / 3 - 1) / 2));
  CHECK(l2.grad()(1, 0) == doctest::Approx((1.0 / 3) / 2));

  CHECK_THROWS_WITH_AS(nn::cross_entropy(logits, Tensor<int>::from_vector({0, 3})),
                       "cross_entropy: targets[1] = 3 is not a class label (expected an integer in 0..2)", ValueError);
  CHECK_THROWS_WITH_AS(nn::cross_entropy(logits, Tensor<int>::from_vector({-1, 0})),
                       "cross_entropy: targets[0] = -1 is not a class label (expected an integer in 0..2)", ValueError);
  CHECK_THROWS_WITH_AS(nn::cross_entropy(logits, Tensor<double>::from_vector({0, 1.5})),
                       "cross_entropy: targets[1] = 1.5 is not a class label (expected an integer in 0..2)", ValueError);
  CHECK_THROWS_AS(nn::cross_entropy(logits, Tensor<double>::from_vector({std::nan(""), 0})), ValueError);
  CHECK_THROWS_WITH_AS(nn::cross_entropy(logits, Tensor<int>::from_vector({0, 1, 2})),
                       "cross_entropy: logits [2,3] and targets [3] (expected logits [n, k] and targets [n])",
                       ShapeError);
  CHECK_THROWS_WITH_AS(nn::cross_entropy(Tensor<double>::zeros(Shape{0, 3}), Tensor<int>::zeros(Shape{0})),
                       "cross_entropy: empty input (the mean of no elements is undefined)", ValueError);
}

TEST_CASE("loss weights: sample_weight and class_weight give the weighted mean sum(w l) / sum(w); gradcheck") {
  auto logits = mat({1, 2, 3, 1, 1, 1, 0, -1, 2}, Shape{3, 3});
  const auto t = Tensor<int>::from_vector({0, 2, 2});
  const double lse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  const double lse2 = std::log(std::exp(0.0) + std::exp(-1.0) + std::exp(2.0));
  const double l[3] = {lse0 - 1.0, std::log(3.0), lse2 - 2.0};
  auto ce = [&](nn::CrossEntropyOptions<double> o) { return nn::cross_entropy(logits, t, o).item(); };
  // All-ones weights are the plain mean.
  CHECK(ce({.sample_weight = Tensor<double>::ones(Shape{3})}) == doctest::Approx(nn::cross_entropy(logits, t).item()));
  // Sample weights 2, 0, 1: sample 0 counts twice, sample 1 not at all.
  CHECK(ce({.sample_weight = mat({2, 0, 1}, Shape{3})}) == doctest::Approx((2 * l[0] + l[2]) / 3));
  // Class weights as PyTorch's weight=: each sample weighs its class's weight.
  CHECK(ce({.class_weight = mat({0.5, 7, 2}, Shape{3})}) == doctest::Approx((0.5 * l[0] + 2 * l[1] + 2 * l[2]) / 4.5));
  // Both: multiplied.
  CHECK(ce({.sample_weight = mat({1, 3, 1}, Shape{3}), .class_weight = mat({0.5, 7, 2}, Shape{3})}) ==
        doctest::Approx((0.5 * l[0] + 6 * l[1] + 2 * l[2]) / 8.5));
  const auto sw = mat({0.5, 2, 1.5}, Shape{3}), cw = mat({1, 0.25, 3}, Shape{3});
  auto r = gradcheck([&](const std::vector<Tensor<double>>& in) {
    return nn::cross_entropy(in[0], t, {.sample_weight = sw, .class_weight = cw});
  }, {logits});
  CHECK_MESSAGE(r.ok, r.message);

  // mse_loss and bce_with_logits weight the rows of the first axis.
  auto p = mat({1, 2, 3, 4, 5, 6}, Shape{3, 2});
  auto y = mat({1, 0, 5, 4, 5, 8}, Shape{3, 2});
  CHECK(nn::mse_loss(p, y, {.sample_weight = mat({1, 1, 2}, Shape{3})}).item() ==
        doctest::Approx((0 + 4 + 4 + 0 + 2 * (0 + 4)) / (4.0 * 2)));
  r = gradcheck([&](const std::vector<Tensor<double>>& in) {
    return nn::mse_loss(in[0], in[1], {.sample_weight = mat({0.5, 1, 2}, Shape{3})});
  }, {p, y});
  CHECK_MESSAGE(r.ok, r.message);
  auto z = mat({-1.5, 0.0, 2.0, 0.5}, Shape{4});
  auto zy = mat({0.0, 1.0, 0.25, 1.0}, Shape{4});
  const auto bw = mat({1, 0, 3, 1}, Shape{4});
  double want = 0;
  for (int i = 0; i < 4; ++i) {
    const double s = 1 / (1 + std::exp(-z(i)));
    want += bw(i) * -(zy(i) * std::log(s) + (1 - zy(i)) * std::log(1 - s));
  }
  CHECK(nn::bce_with_logits(z, zy, {.sample_weight = bw}).item() == doctest::Approx(want / 5));
  r = gradcheck([&](const std::vector<Tensor<double>>& in) {
    return nn::bce_with_logits(in[0], in[1], {.sample_weight = bw});
  }, {z, zy});
  CHECK_MESSAGE(r.ok, r.message);

  // scikit-learn's "balanced": n / (k * count).
  CHECK(nn::balanced_class_weight<double>(Tensor<int>::from_vector({0, 0, 0, 1, 2, 2})).to_vector() ==
        std::vector<double>{6.0 / 9, 2.0, 1.0});
  CHECK(nn::balanced_class_weight<float>(Tensor<int>::from_vector({0, 0}), 2).to_vector() == std::vector<float>{0.5f, 0.0f});

  CHECK_THROWS_WITH_AS(ce({.sample_weight = mat({1, -1, 1}, Shape{3})}),
                       "cross_entropy: sample_weight[1] must be in [0, inf), got -1", ValueError);
  CHECK_THROWS_WITH_AS(ce({.class_weight = mat({1, std::nan(""), 1}, Shape{3})}),
                       "cross_entropy: class_weight[1] must be in [0, inf), got nan", ValueError);
  CHECK_THROWS_WITH_AS(ce({.sample_weight = mat({0, 0, 0}, Shape{3})}),
                       "cross_entropy: the weights sum to 0 (at least one sample needs a positive weight)", ValueError);
  CHECK_THROWS_WITH_AS(ce({.class_weight = mat({1, 1}, Shape{2})}),
                       "cross_entropy: class_weight [2] does not match input [3,3] (expected [3], one per class)",
                       ShapeError);
  CHECK_THROWS_WITH_AS(nn::mse_loss(p, y, {.sample_weight = mat({1, 1}, Shape{2})}),
                       "mse_loss: sample_weight [2] does not match input [3,2] (expected [3], one per sample)", ShapeError);
  CHECK_THROWS_WITH_AS(nn::bce_with_logits(z, zy, {.sample_weight = mat({1, 1, 1, -2}, Shape{4})}),
                       "bce_with_logits: sample_weight[3] must be in [0, inf), got -2", ValueError);
  CHECK_THROWS_WITH_AS(nn::balanced_class_weight<double>(Tensor<double>::from_vector({0, 1.5})),
                       "balanced_class_weight: targets[1] = 1.5 is not a class label (expected an integer in 0..65535)",
                       ValueError);
}

TEST_CASE("training a small MLP separates two classes; same seed gives the same weights") {
  auto train = [](std::uint64_t seed) {
    Rng rng(seed);
    nn::Sequential<float> net{nn::Linear<float>(2, 16, rng), nn::GELU(), nn::LayerNorm<float>(16),
                              nn::Linear<float>(16, 2, rng)};
    // Two rings: class 1 when the point lies outside radius 1.
    auto X = Tensor<float>::uniform(Shape{256, 2}, -2, 2, rng);
    std::vector<float> yv(256);
    for (std::size_t i = 0; i < 256; ++i) yv[i] = X(i, 0) * X(i, 0) + X(i, 1) * X(i, 1) > 1.5f ? 1.0f : 0.0f;
    auto y = Tensor<float>::from_vector(yv);
    optim::Adam<float> opt(net.parameters(), {.lr = 0.02});
    for (int s = 0; s < 150; ++s) {
      opt.zero_grad();
      nn::cross_entropy(net(X), y).backward();
      opt.step();
    }
    NoGradGuard ng;
    auto pred = net(X).argmax(1).to_vector();
    std::size_t correct = 0;
    for (std::size_t i = 0; i < 256; ++i) correct += static_cast<float>(pred[i]) == yv[i];
    return std::make_pair(static_cast<double>(correct) / 256.0, net.parameters()[0].to_vector());
  };
  const auto [acc, w] = train(3);
  CHECK(acc > 0.93);
  CHECK(train(3).second == w);
}

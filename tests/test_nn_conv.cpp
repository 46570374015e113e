// nn convolution and pooling: Conv2d, MaxPool2d, AvgPool2d, Flatten. Forward values and
// gradients match PyTorch on fixed inputs (tests/data/nn/torch_reference.inc), gradcheck covers
// every input and parameter, results are bitwise the same for 1 and 2 threads, bad shapes and
// options are rejected with messages naming them.
#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "test_nn_support.hpp"

namespace torch_ref {
#include "data/nn/torch_reference.inc"
}

using namespace grove;
using nn_test::check_close;
using nn_test::fill;

namespace {

struct ConvCase {
  Shape x, w;
  bool bias;
  std::size_t stride, pad;
  const std::vector<double>*y, *dx, *dw, *db;
};

void run_conv_case(const ConvCase& c) {
  auto x = fill(c.x, 0.37, 0.1);
  auto w = fill(c.w, 0.53, 0.7, 0.5);
  auto b = fill(Shape{c.w[0]}, 1.1, 0.3, 0.2);
  x.requires_grad(true);
  w.requires_grad(true);
  b.requires_grad(true);
  auto y = nn::conv2d(x, w, c.bias ? &b : nullptr, {.stride = c.stride, .padding = c.pad});
  check_close(y, *c.y, 1e-12, "y");
  y.backward(fill(y.shape(), 0.29, 1.3));
  check_close(x.grad(), *c.dx, 1e-12, "dx");
  check_close(w.grad(), *c.dw, 1e-12, "dw");
  if (c.bias) check_close(b.grad(), *c.db, 1e-12, "db");
  CHECK_FALSE(b.has_grad() != c.bias);
}

}  // namespace

TEST_CASE("conv2d matches PyTorch: stride 2 with padding, a rectangular kernel without bias, one channel") {
  run_conv_case({Shape{2, 3, 5, 6}, Shape{4, 3, 3, 3}, true, 2, 1, &torch_ref::conv_a_y, &torch_ref::conv_a_dx,
                 &torch_ref::conv_a_dw, &torch_ref::conv_a_db});
  run_conv_case({Shape{1, 2, 4, 5}, Shape{3, 2, 2, 3}, false, 1, 0, &torch_ref::conv_b_y, &torch_ref::conv_b_dx,
                 &torch_ref::conv_b_dw, nullptr});
  run_conv_case({Shape{2, 1, 6, 6}, Shape{2, 1, 3, 3}, true, 1, 1, &torch_ref::conv_c_y, &torch_ref::conv_c_dx,
                 &torch_ref::conv_c_dw, &torch_ref::conv_c_db});
}

TEST_CASE("conv2d: gradcheck in input, weight and bias for several geometries") {
  struct G {
    Shape x, w;
    std::size_t stride, pad;
  };
  for (const G& g : {G{Shape{2, 2, 5, 5}, Shape{3, 2, 3, 3}, 1, 1}, G{Shape{1, 3, 7, 6}, Shape{2, 3, 3, 2}, 2, 1},
                     G{Shape{2, 1, 4, 4}, Shape{2, 1, 4, 4}, 1, 0}, G{Shape{1, 2, 5, 5}, Shape{1, 2, 1, 1}, 3, 2}}) {
    INFO("x " << to_string(g.x) << " w " << to_string(g.w) << " stride " << g.stride << " pad " << g.pad);
    const auto x = fill(g.x, 0.9, 0.1), w = fill(g.w, 0.7, 0.4, 0.6), b = fill(Shape{g.w[0]}, 1.3, 0.2);
    auto with_bias = [&](const std::vector<Tensor<double>>& in) {
      return nn::conv2d(in[0], in[1], &in[2], {.stride = g.stride, .padding = g.pad});
    };
    auto no_bias = [&](const std::vector<Tensor<double>>& in) {
      return nn::conv2d(in[0], in[1], nullptr, {.stride = g.stride, .padding = g.pad});
    };
    const auto r1 = gradcheck(with_bias, {x, w, b});
    CHECK_MESSAGE(r1.ok, r1.message);
    const auto r2 = gradcheck(no_bias, {x, w});
    CHECK_MESSAGE(r2.ok, r2.message);
  }
  // A non-contiguous input (a transposed view) goes through the same op.
  auto xt = fill(Shape{1, 2, 5, 4}, 0.3, 0.5);
  const auto r = gradcheck(
      [](const std::vector<Tensor<double>>& in) { return nn::conv2d(in[0].transpose(2, 3), in[1], &in[2]); },
      {xt, fill(Shape{2, 2, 2, 2}, 0.8, 0.1), fill(Shape{2}, 1.0, 0.0)});
  CHECK_MESSAGE(r.ok, r.message);
}

TEST_CASE("Conv2d: PyTorch's init bounds, parameter names, describe, errors name both shapes") {
  Rng rng(3);
  nn::Conv2d<float> conv(4, 8, 3, rng, {.stride = 2, .padding = 1});
  const double bound = 1.0 / std::sqrt(4.0 * 9.0);
  double largest = 0;
  for (float v : conv.weight().to_vector()) largest = std::max(largest, double(std::abs(v)));
  CHECK(largest <= bound);
  CHECK(largest > 0.95 * bound);
  for (float v : conv.bias().to_vector()) CHECK_UNARY(std::abs(v) <= bound);
  const auto named = conv.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[0].second.shape() == Shape{8, 4, 3, 3});
  CHECK(named[1].first == "bias");
  CHECK(conv.describe() == "Conv2d(4, 8, kernel_size=3, stride=2, padding=1)");
  nn::Conv2d<float> plain(1, 2, 5, rng, {.bias = false});
  CHECK(plain.describe() == "Conv2d(1, 2, kernel_size=5, bias=false)");
  CHECK(plain.named_parameters().size() == 1);
  CHECK(conv(Tensor<float>::ones(Shape{2, 4, 9, 7})).shape() == Shape{2, 8, 5, 4});

  CHECK_THROWS_WITH_AS(conv(Tensor<float>::ones(Shape{2, 3, 9, 9})),
                       "Conv2d: input [2,3,9,9] is not [N, 4, H, W] (weight [8,4,3,3])", ShapeError);
  CHECK_THROWS_WITH_AS(conv(Tensor<float>::ones(Shape{4, 9, 9})), "Conv2d: input [4,9,9] is not [N, 4, H, W] (weight [8,4,3,3])",
                       ShapeError);
  const auto x = Tensor<double>::ones(Shape{1, 2, 3, 3});
  CHECK_THROWS_WITH_AS(nn::conv2d(x, Tensor<double>::ones(Shape{1, 3, 2, 2})),
                       "conv2d: input [1,2,3,3] and weight [1,3,2,2]: input has 2 channels, weight expects 3",
                       ShapeError);
  CHECK_THROWS_WITH_AS(nn::conv2d(x, Tensor<double>::ones(Shape{1, 2, 4, 4})),
                       "conv2d: input [1,2,3,3] and weight [1,2,4,4]: kernel 4x4 does not fit the padded input 3x3",
                       ShapeError);
  const auto bad_bias = Tensor<double>::ones(Shape{2});
  CHECK_THROWS_WITH_AS(nn::conv2d(x, Tensor<double>::ones(Shape{1, 2, 2, 2}), &bad_bias),
                       "conv2d: input [1,2,3,3] and weight [1,2,2,2] and bias [2]: bias must be [1]", ShapeError);
  CHECK_THROWS_WITH_AS(nn::conv2d(Tensor<double>::ones(Shape{2, 3}), Tensor<double>::ones(Shape{1, 2, 2, 2})),
                       "conv2d: input [2,3] and weight [1,2,2,2]: expected input [N, C, H, W] and weight [O, C, kh, kw]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(nn::conv2d(x, Tensor<double>::ones(Shape{1, 2, 2, 2}), nullptr, {.stride = 0}),
                       "conv2d: stride must be >= 1, got 0", ValueError);
  CHECK_THROWS_WITH_AS(nn::Conv2d<float>(0, 2, 3, rng),
                       "Conv2d: in_channels, out_channels and kernel_size must be >= 1, got 0, 2 and 3", ValueError);
  CHECK_THROWS_WITH_AS(nn::Conv2d<float>(1, 2, 3, rng, {.stride = 0}), "Conv2d: stride must be >= 1, got 0",
                       ValueError);
}

TEST_CASE("conv2d: chunked over samples on the pool, bitwise the same for 1 and 2 threads") {
  // 16 samples x 16 x 144 x 196 multiply-adds: several chunks, each summing its own dW part.
  auto run = [](std::size_t threads) {
    ThreadCountGuard guard(threads);
    Rng rng(5);
    auto x = Tensor<float>::randn(Shape{16, 16, 14, 14}, rng);
    nn::Conv2d<float> conv(16, 32, 3, rng, {.padding = 1});
    x.requires_grad(true);
    auto y = conv(x);
    y.backward(Tensor<float>::randn(y.shape(), rng));
    return std::vector<std::vector<float>>{y.to_vector(), x.grad().to_vector(), conv.weight().grad().to_vector(),
                                           conv.bias().grad().to_vector()};
  };
  const auto a = run(1), b = run(2);
  for (std::size_t k = 0; k < a.size(); ++k) CHECK(a[k] == b[k]);
  // The batched result equals running the samples one at a time (per-sample GEMMs).
  Rng rng(5);
  auto x = Tensor<float>::randn(Shape{16, 16, 14, 14}, rng);
  nn::Conv2d<float> conv(16, 32, 3, rng, {.padding = 1});
  NoGradGuard no_grad;
  const auto all = conv(x).to_vector();
  const auto one = conv(x.slice(0, 5, 6).contiguous()).to_vector();
  CHECK(std::equal(one.begin(), one.end(), all.begin() + 5 * 32 * 14 * 14));
}

TEST_CASE("max_pool2d and avg_pool2d match PyTorch (stride = kernel; overlapping windows with padding)") {
  struct P {
    bool max;
    Shape x;
    std::size_t k, stride, pad;
    const std::vector<double>*y, *dx;
  };
  for (const P& c : {P{true, Shape{2, 2, 5, 6}, 2, 2, 0, &torch_ref::maxpool_a_y, &torch_ref::maxpool_a_dx},
                     P{true, Shape{1, 2, 5, 5}, 3, 2, 1, &torch_ref::maxpool_b_y, &torch_ref::maxpool_b_dx},
                     P{false, Shape{2, 2, 5, 6}, 2, 2, 0, &torch_ref::avgpool_a_y, &torch_ref::avgpool_a_dx},
                     P{false, Shape{1, 2, 5, 5}, 3, 2, 1, &torch_ref::avgpool_b_y, &torch_ref::avgpool_b_dx}}) {
    INFO((c.max ? "max" : "avg") << " k " << c.k << " pad " << c.pad);
    auto x = fill(c.x, 0.71, 0.2);
    x.requires_grad(true);
    const nn::Pool2dOptions o{.stride = c.stride, .padding = c.pad};
    auto y = c.max ? nn::max_pool2d(x, c.k, o) : nn::avg_pool2d(x, c.k, o);
    check_close(y, *c.y, 1e-13, "y");
    y.backward(fill(y.shape(), 0.43, 0.9));
    check_close(x.grad(), *c.dx, 1e-13, "dx");
    const auto r = gradcheck(
        [&](const std::vector<Tensor<double>>& in) { return c.max ? nn::max_pool2d(in[0], c.k, o) : nn::avg_pool2d(in[0], c.k, o); },
        {fill(c.x, 0.71, 0.2)});
    CHECK_MESSAGE(r.ok, r.message);
  }
}

TEST_CASE("MaxPool2d / AvgPool2d modules: closed forms, ties, describe, errors") {
  nn::MaxPool2d<double> mp(2);
  nn::AvgPool2d<double> ap(2);
  auto x = Tensor<double>::from_vector({1, 5, 2, 0, 3, 4, 8, 8, -1, -2, 0, 1, -3, -4, 6, 7}, Shape{1, 1, 4, 4});
  CHECK(mp(x).to_vector() == std::vector<double>{5, 8, -1, 7});
  CHECK(ap(x).to_vector() == std::vector<double>{13.0 / 4, 18.0 / 4, -10.0 / 4, 14.0 / 4});
  // Ties: the gradient goes to the first maximum in row-major order only.
  auto t = x.detach().clone();
  t.requires_grad(true);
  nn::max_pool2d(t, 2).sum().backward();
  CHECK(t.grad().to_vector() == std::vector<double>{0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1});
  CHECK(mp.describe() == "MaxPool2d(kernel_size=2, stride=2)");
  CHECK(nn::AvgPool2d<float>(3, {.stride = 1, .padding = 1}).describe() == "AvgPool2d(kernel_size=3, stride=1, padding=1)");
  // Sequential rebinds the float default to double.
  nn::Sequential<double> seq{nn::MaxPool2d(2), nn::Flatten()};
  CHECK(seq(x).shape() == Shape{1, 4});
  CHECK_THROWS_WITH_AS(mp(Tensor<double>::ones(Shape{4, 4})), "max_pool2d: input [4,4] is not [N, C, H, W]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(nn::avg_pool2d(Tensor<double>::ones(Shape{1, 1, 1, 5}), 2),
                       "avg_pool2d: input [1,1,1,5] is smaller than the 2x2 window", ShapeError);
  CHECK_THROWS_WITH_AS(nn::MaxPool2d<float>(0), "MaxPool2d: kernel_size must be >= 1, got 0", ValueError);
  CHECK_THROWS_WITH_AS(nn::AvgPool2d<float>(2, {.padding = 2}),
                       "AvgPool2d: padding must be at most kernel_size / 2 = 1, got 2", ValueError);
  // NaN propagates through max pooling as in PyTorch, and in training its gradient goes to the
  // NaN element; a plane without NaN next to it takes the fast path and is unaffected.
  auto nan_in = Tensor<double>::from_vector({1, std::nan(""), 2, 3}, Shape{1, 1, 2, 2});
  CHECK(std::isnan(nn::max_pool2d(nan_in, 2).item()));
  auto mixed = Tensor<double>::from_vector({1, std::nan(""), 2, 3, 4, 7, 7, 5}, Shape{1, 2, 2, 2});
  mixed.requires_grad(true);
  auto pooled = nn::max_pool2d(mixed, 2);
  CHECK(std::isnan(pooled.to_vector()[0]));
  CHECK(pooled.to_vector()[1] == 7.0);
  pooled.backward(Tensor<double>::from_vector({10, 20}, Shape{1, 2, 1, 1}));
  CHECK(mixed.grad().to_vector() == std::vector<double>{0, 10, 0, 0, 0, 20, 0, 0});
  // Ties in the fast path (zeros after a ReLU): the first element of the window wins.
  auto zeros = Tensor<double>::zeros(Shape{1, 1, 3, 4});
  zeros.requires_grad(true);
  nn::max_pool2d(zeros, 2).sum().backward();
  CHECK(zeros.grad().to_vector() == std::vector<double>{1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("Flatten keeps the first axis; the CNN of the Fashion-MNIST example has the expected shapes") {
  nn::Flatten<double> flat;
  auto x = fill(Shape{2, 3, 4, 5}, 0.2, 0.0);
  auto y = flat(x);
  CHECK(y.shape() == Shape{2, 60});
  CHECK(y.to_vector() == x.to_vector());
  const auto r = gradcheck([&](const std::vector<Tensor<double>>& in) { return flat(in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(flat(Tensor<double>::ones(Shape{3})).shape() == Shape{3, 1});
  CHECK_THROWS_WITH_AS(flat(Tensor<double>::ones(Shape{})), "Flatten: input [] has no first axis to keep", ShapeError);
  CHECK(flat.describe() == "Flatten");

  Rng rng(0);
  nn::Sequential<float> cnn{nn::Conv2d<float>(1, 32, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                            nn::Conv2d<float>(32, 64, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                            nn::Flatten(), nn::Linear<float>(3136, 128, rng), nn::ReLU(), nn::Linear<float>(128, 10, rng)};
  CHECK(cnn.n_parameters() == 32 * 9 + 32 + 64 * 32 * 9 + 64 + 3136 * 128 + 128 + 128 * 10 + 10);
  auto logits = cnn(Tensor<float>::randn(Shape{3, 1, 28, 28}, rng));
  CHECK(logits.shape() == Shape{3, 10});
  nn::cross_entropy(logits, Tensor<int>::from_vector({1, 4, 9})).backward();
  for (const auto& p : cnn.parameters()) CHECK(p.has_grad());
}

TEST_CASE("a small CNN learns to tell horizontal from vertical bars") {
  // 8x8 images with one bright row (class 0) or column (class 1) plus noise.
  Rng rng(11);
  const std::size_t n = 64;
  std::vector<float> xs(n * 64), ys(n);
  for (std::size_t i = 0; i < n; ++i) {
    ys[i] = static_cast<float>(i % 2);
    const std::size_t at = rng.below(8);
    for (std::size_t r = 0; r < 8; ++r)
      for (std::size_t c = 0; c < 8; ++c)
        xs[i * 64 + r * 8 + c] = static_cast<float>(0.3 * rng.normal()) + ((i % 2 ? c : r) == at ? 1.0f : 0.0f);
  }
  const auto X = Tensor<float>::from_vector(xs, Shape{n, 1, 8, 8});
  const auto Y = Tensor<float>::from_vector(ys);
  nn::Sequential<float> net{nn::Conv2d<float>(1, 4, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                            nn::BatchNorm2d<float>(4), nn::Flatten(), nn::Linear<float>(64, 2, rng)};
  optim::Adam<float> opt(net.parameters(), {.lr = 0.02});
  for (int step = 0; step < 60; ++step) {
    opt.zero_grad();
    nn::cross_entropy(net(X), Y).backward();
    opt.step();
  }
  net.eval();
  NoGradGuard no_grad;
  const auto pred = net(X).argmax(1).to_vector();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) correct += static_cast<float>(pred[i]) == ys[i];
  CHECK(correct >= 62);
}

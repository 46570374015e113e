// nn batch normalization: BatchNorm1d and BatchNorm2d match PyTorch in training (batch
// statistics, running statistics updated with the unbiased variance) and in eval (running
// statistics), gradcheck covers input, weight and bias in both modes, running statistics are
// buffers saved with the model, and bad inputs are rejected.
#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/nn.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "test_nn_support.hpp"

namespace torch_ref {
#include "data/nn/torch_reference.inc"
}

using namespace grove;
using nn_test::check_close;
using nn_test::fill;

namespace {

struct BnRef {
  const std::vector<double>*y, *dx, *dw, *db, *rm, *rv, *eval_y, *eval_dx, *eval_dw;
};

template <class M>
void run_bn_case(M& bn, const Shape& xs, const BnRef& r) {
  const std::size_t c = xs[1];
  const auto w0 = fill(Shape{c}, 0.9, 0.4, 1.5), b0 = fill(Shape{c}, 1.7, 0.2, 0.3);
  std::copy(w0.data(), w0.data() + c, bn.weight().data());
  std::copy(b0.data(), b0.data() + c, bn.bias().data());
  auto x = fill(xs, 0.61, 0.5, 2.0);
  x.requires_grad(true);
  auto y = bn(x);
  check_close(y, *r.y, 1e-12, "train y");
  const auto gy = fill(y.shape(), 0.33, 0.8);
  y.backward(gy);
  check_close(x.grad(), *r.dx, 1e-12, "train dx");
  check_close(bn.weight().grad(), *r.dw, 1e-12, "train dweight");
  check_close(bn.bias().grad(), *r.db, 1e-12, "train dbias");
  check_close(bn.running_mean(), *r.rm, 1e-14, "running_mean");
  check_close(bn.running_var(), *r.rv, 1e-14, "running_var");
  bn.eval();
  bn.zero_grad();
  auto x2 = fill(xs, 0.47, 0.3, 1.5);
  x2.requires_grad(true);
  auto y2 = bn(x2);
  check_close(y2, *r.eval_y, 1e-12, "eval y");
  y2.backward(gy);
  check_close(x2.grad(), *r.eval_dx, 1e-12, "eval dx");
  check_close(bn.weight().grad(), *r.eval_dw, 1e-12, "eval dweight");
  // Eval leaves the running statistics alone.
  check_close(bn.running_mean(), *r.rm, 1e-14, "running_mean after eval");
}

}  // namespace

TEST_CASE("BatchNorm2d and BatchNorm1d ([N, C] and [N, C, L]) match PyTorch in training and eval") {
  nn::BatchNorm2d<double> bn2(3);
  run_bn_case(bn2, Shape{4, 3, 3, 2},
              {&torch_ref::bn2d_y, &torch_ref::bn2d_dx, &torch_ref::bn2d_dw, &torch_ref::bn2d_db,
               &torch_ref::bn2d_running_mean, &torch_ref::bn2d_running_var, &torch_ref::bn2d_eval_y,
               &torch_ref::bn2d_eval_dx, &torch_ref::bn2d_eval_dw});
  nn::BatchNorm1d<double> bn1(3);
  run_bn_case(bn1, Shape{5, 3},
              {&torch_ref::bn1d_y, &torch_ref::bn1d_dx, &torch_ref::bn1d_dw, &torch_ref::bn1d_db,
               &torch_ref::bn1d_running_mean, &torch_ref::bn1d_running_var, &torch_ref::bn1d_eval_y,
               &torch_ref::bn1d_eval_dx, &torch_ref::bn1d_eval_dw});
  nn::BatchNorm1d<double> bn13(2);
  run_bn_case(bn13, Shape{3, 2, 4},
              {&torch_ref::bn1d3_y, &torch_ref::bn1d3_dx, &torch_ref::bn1d3_dw, &torch_ref::bn1d3_db,
               &torch_ref::bn1d3_running_mean, &torch_ref::bn1d3_running_var, &torch_ref::bn1d3_eval_y,
               &torch_ref::bn1d3_eval_dx, &torch_ref::bn1d3_eval_dw});
}

TEST_CASE("batch_norm: gradcheck in input, weight and bias, training and eval, with and without affine") {
  const auto x = fill(Shape{3, 2, 2, 3}, 0.77, 0.1, 1.3);
  const auto w = fill(Shape{2}, 1.1, 0.5, 1.2), b = fill(Shape{2}, 0.6, 0.9);
  for (bool training : {true, false}) {
    INFO("training " << training);
    auto rm = fill(Shape{2}, 0.4, 0.2, 0.5);
    auto rv = fill(Shape{2}, 0.4, 0.2, 0.3) + 1.0;
    auto r = gradcheck(
        [&](const std::vector<Tensor<double>>& in) {
          return nn::batch_norm(in[0], rm, rv, &in[1], &in[2], training, {.momentum = 0.0});
        },
        {x, w, b});
    CHECK_MESSAGE(r.ok, r.message);
    r = gradcheck(
        [&](const std::vector<Tensor<double>>& in) {
          return nn::batch_norm(in[0], rm, rv, nullptr, nullptr, training, {.momentum = 0.0});
        },
        {x});
    CHECK_MESSAGE(r.ok, r.message);
  }
  // Without running statistics, batch statistics are used even in eval.
  Tensor<double> none_m, none_v;
  const auto a = nn::batch_norm(x, none_m, none_v, &w, &b, false);
  auto rm = Tensor<double>::zeros(Shape{2});
  auto rv = Tensor<double>::ones(Shape{2});
  const auto c = nn::batch_norm(x, rm, rv, &w, &b, true);
  CHECK(a.to_vector() == c.to_vector());
}

TEST_CASE("BatchNorm: buffers, state_dict, save/load, describe, momentum, errors") {
  nn::BatchNorm2d<float> bn(4, {.momentum = 0.5});
  const auto buffers = bn.named_buffers();
  REQUIRE(buffers.size() == 2);
  CHECK(buffers[0].first == "running_mean");
  CHECK(buffers[1].first == "running_var");
  CHECK(bn.named_parameters().size() == 2);
  CHECK(bn.describe() == "BatchNorm2d(4, momentum=0.5)");
  CHECK(nn::BatchNorm1d<double>(7, {.eps = 1e-3, .affine = false}).describe() == "BatchNorm1d(7, eps=0.001, affine=false)");
  CHECK(nn::BatchNorm1d<double>(7, {.affine = false}).named_parameters().empty());
  // A constant input: mean moves halfway to 2, variance halfway to 0.
  bn(Tensor<float>::full(Shape{2, 4, 3, 3}, 2.0f));
  CHECK(bn.running_mean().to_vector() == std::vector<float>(4, 1.0f));
  CHECK(bn.running_var().to_vector() == std::vector<float>(4, 0.5f));
  // Buffers travel with the state (and with nn::save / nn::load).
  const auto state = bn.state_dict();
  REQUIRE(state.size() == 4);
  CHECK(state[2].first == "running_mean");
  nn::BatchNorm2d<float> other(4, {.momentum = 0.5});
  other.load_state_dict(state);
  CHECK(other.running_var().to_vector() == std::vector<float>(4, 0.5f));
  const std::string path = std::string(GROVE_TEST_TMP_DIR) + "/nn_bn.bin";
  nn::save(bn, path);
  nn::BatchNorm2d<float> loaded(4, {.momentum = 0.5});
  nn::load(loaded, path);
  CHECK(loaded.running_mean().to_vector() == std::vector<float>(4, 1.0f));
  loaded.eval();
  bn.eval();
  const auto probe = fill(Shape{1, 4, 2, 2}, 0.3, 0.1).to<float>();
  CHECK(loaded(probe).to_vector() == bn(probe).to_vector());

  CHECK_THROWS_WITH_AS(bn(Tensor<float>::ones(Shape{2, 3, 2, 2})),
                       "BatchNorm2d: input [2,3,2,2] is not [N, C, H, W] with C = 4", ShapeError);
  CHECK_THROWS_WITH_AS(nn::BatchNorm1d<float>(4)(Tensor<float>::ones(Shape{2, 4, 2, 2})),
                       "BatchNorm1d: input [2,4,2,2] is not [N, C] or [N, C, L] with C = 4", ShapeError);
  nn::BatchNorm1d<float> one(3);
  CHECK_THROWS_WITH_AS(one(Tensor<float>::ones(Shape{1, 3})),
                       "batch_norm: expected more than 1 value per channel when training, got input [1,3]", ValueError);
  one.eval();
  CHECK(one(Tensor<float>::ones(Shape{1, 3})).shape() == Shape{1, 3});  // eval: running statistics
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d<float>(0), "BatchNorm2d: num_features must be >= 1, got 0", ValueError);
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d<float>(2, {.eps = 0}), "BatchNorm2d: eps must be in (0, inf), got 0", ValueError);
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d<float>(2, {.momentum = 1.5}), "BatchNorm2d: momentum must be in [0, 1], got 1.5",
                       ValueError);
  auto rm = Tensor<double>::zeros(Shape{3});
  auto rv = Tensor<double>::ones(Shape{3});
  CHECK_THROWS_WITH_AS(nn::batch_norm(Tensor<double>::ones(Shape{2, 2}), rm, rv, nullptr, nullptr, true),
                       "batch_norm: input [2,2] has 2 channels but a statistic or parameter has shape [3]", ShapeError);
}

TEST_CASE("BatchNorm2d over many channels is bitwise the same for 1 and 2 threads") {
  auto run = [](std::size_t threads) {
    ThreadCountGuard guard(threads);
    Rng rng(2);
    nn::BatchNorm2d<float> bn(64);
    auto x = Tensor<float>::randn(Shape{32, 64, 12, 12}, rng);
    x.requires_grad(true);
    auto y = bn(x);
    y.backward(Tensor<float>::randn(y.shape(), rng));
    return std::vector<std::vector<float>>{y.to_vector(), x.grad().to_vector(), bn.weight().grad().to_vector(),
                                           bn.running_var().to_vector()};
  };
  CHECK(run(1) == run(2));
}

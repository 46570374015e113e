// nn/optim micro-benchmarks: the MLP 784-256-128-10 and the Fashion-MNIST CNN training steps and
// single-sample inference, and the parts of a step (Linear, Conv2d, MaxPool2d forward/backward,
// cross_entropy, Adam).
//   grove_bench_nn --benchmark_filter=CnnStep   (threads: GROVE_BENCH_THREADS, default 1)
#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

using namespace grove;

namespace {

void set_threads() {
  const char* env = std::getenv("GROVE_BENCH_THREADS");
  set_num_threads(env ? static_cast<std::size_t>(std::atoi(env)) : 1);
}

nn::Sequential<float> mlp(Rng& rng) {
  return nn::Sequential<float>{nn::Linear<float>(784, 256, rng), nn::ReLU(), nn::Linear<float>(256, 128, rng),
                               nn::ReLU(), nn::Linear<float>(128, 10, rng)};
}

void BM_MlpStep(benchmark::State& state) {
  set_threads();
  const auto batch = static_cast<std::size_t>(state.range(0));
  Rng rng(0);
  auto model = mlp(rng);
  optim::Adam<float> opt(model.parameters(), {.lr = 1e-3});
  const auto x = Tensor<float>::randn(Shape{batch, 784}, rng);
  std::vector<float> yv(batch);
  for (auto& v : yv) v = static_cast<float>(rng.below(10));
  const auto y = Tensor<float>::from_vector(yv);
  for (auto _ : state) {
    opt.zero_grad();
    auto loss = nn::cross_entropy(model(x), y);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_MlpStep)->Arg(64)->Arg(256)->Unit(benchmark::kMicrosecond);

void BM_MlpInferOne(benchmark::State& state) {
  set_threads();
  Rng rng(0);
  auto model = mlp(rng);
  model.eval();
  const auto x = Tensor<float>::randn(Shape{1, 784}, rng);
  NoGradGuard no_grad;
  for (auto _ : state) {
    auto out = model(x);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_MlpInferOne)->Unit(benchmark::kMicrosecond);

void BM_LinearForwardBackward(benchmark::State& state) {
  set_threads();
  const auto batch = static_cast<std::size_t>(state.range(0));
  Rng rng(0);
  nn::Linear<float> lin(784, 256, rng);
  auto x = Tensor<float>::randn(Shape{batch, 784}, rng);
  const auto g = Tensor<float>::randn(Shape{batch, 256}, rng);
  for (auto _ : state) {
    lin.zero_grad();
    auto y = lin(x);
    y.backward(g);
    benchmark::DoNotOptimize(lin.weight().grad().data());
  }
}
BENCHMARK(BM_LinearForwardBackward)->Arg(64)->Arg(256)->Unit(benchmark::kMicrosecond);

void BM_AdamStep(benchmark::State& state) {
  set_threads();
  Rng rng(0);
  auto model = mlp(rng);
  for (auto& p : model.parameters()) (p * p).sum().backward();  // give every parameter a gradient
  optim::Adam<float> opt(model.parameters(), {.lr = 1e-3});
  for (auto _ : state) opt.step();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * model.n_parameters()));
}
BENCHMARK(BM_AdamStep)->Unit(benchmark::kMicrosecond);

void BM_CrossEntropy(benchmark::State& state) {
  Rng rng(0);
  auto logits = Tensor<float>::randn(Shape{256, 10}, rng);
  logits.requires_grad(true);
  std::vector<float> yv(256);
  for (auto& v : yv) v = static_cast<float>(rng.below(10));
  const auto y = Tensor<float>::from_vector(yv);
  for (auto _ : state) {
    logits.zero_grad();
    nn::cross_entropy(logits, y).backward();
  }
}
BENCHMARK(BM_CrossEntropy)->Unit(benchmark::kMicrosecond);

nn::Sequential<float> cnn(Rng& rng) {
  return nn::Sequential<float>{nn::Conv2d<float>(1, 32, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                               nn::Conv2d<float>(32, 64, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                               nn::Flatten(), nn::Linear<float>(3136, 128, rng), nn::ReLU(),
                               nn::Linear<float>(128, 10, rng)};
}

// One Adam step of the Fashion-MNIST CNN at batch 128 (the benchmarks/compare/cnn_* architecture).
void BM_CnnStep(benchmark::State& state) {
  set_threads();
  const auto batch = static_cast<std::size_t>(state.range(0));
  Rng rng(0);
  auto model = cnn(rng);
  optim::Adam<float> opt(model.parameters(), {.lr = 1e-3});
  const auto x = Tensor<float>::randn(Shape{batch, 1, 28, 28}, rng);
  std::vector<float> yv(batch);
  for (auto& v : yv) v = static_cast<float>(rng.below(10));
  const auto y = Tensor<float>::from_vector(yv);
  for (auto _ : state) {
    opt.zero_grad();
    auto loss = nn::cross_entropy(model(x), y);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_CnnStep)->Arg(128)->Unit(benchmark::kMillisecond);

void BM_CnnInferOne(benchmark::State& state) {
  set_threads();
  Rng rng(0);
  auto model = cnn(rng);
  model.eval();
  const auto x = Tensor<float>::randn(Shape{1, 1, 28, 28}, rng);
  NoGradGuard no_grad;
  for (auto _ : state) {
    auto out = model(x);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_CnnInferOne)->Unit(benchmark::kMicrosecond);

// The CNN's second convolution (32 -> 64 channels, 14x14, 3x3, padding 1): forward, and
// forward + backward to input and weights.
void BM_Conv2d(benchmark::State& state) {
  set_threads();
  const bool backward = state.range(0) != 0;
  Rng rng(0);
  nn::Conv2d<float> conv(32, 64, 3, rng, {.padding = 1});
  auto x = Tensor<float>::randn(Shape{128, 32, 14, 14}, rng);
  x.requires_grad(backward);
  const auto g = Tensor<float>::randn(Shape{128, 64, 14, 14}, rng);
  for (auto _ : state) {
    conv.zero_grad();
    auto y = conv(x);
    if (backward) y.backward(g);
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_Conv2d)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_MaxPool2d(benchmark::State& state) {
  set_threads();
  Rng rng(0);
  auto x = Tensor<float>::randn(Shape{128, 32, 28, 28}, rng);
  x.requires_grad(true);
  for (auto _ : state) {
    auto y = nn::max_pool2d(x, 2);
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_MaxPool2d)->Unit(benchmark::kMillisecond);

}  // namespace

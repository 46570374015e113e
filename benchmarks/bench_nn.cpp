// nn/optim micro-benchmarks: the MLP 784-256-128-10 training step and single-sample inference,
// and the parts of a step (Linear forward/backward, cross_entropy, Adam).
//   grove_bench_nn --benchmark_filter=MlpStep   (threads: GROVE_BENCH_THREADS, default 1)
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

}  // namespace

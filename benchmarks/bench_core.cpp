// Core benchmarks: Rng throughput and the cost of a parallel_for region.
#include <grove/core.hpp>

#include <benchmark/benchmark.h>

#include <vector>

static void BM_RngNextU64(benchmark::State& state) {
  grove::Rng rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(rng.next_u64());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngNextU64);

static void BM_RngNormal(benchmark::State& state) {
  grove::Rng rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(rng.normal());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngNormal);

// Overhead of dispatching an empty region to the pool and waiting for it.
static void BM_ParallelForOverhead(benchmark::State& state) {
  grove::ThreadCountGuard guard(static_cast<std::size_t>(state.range(0)));
  std::vector<int> sink(64);
  for (auto _ : state) {
    grove::parallel_for(0, 64, 32, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t i = lo; i < hi; ++i) sink[i] += 1;
    });
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_ParallelForOverhead)->Arg(1)->Arg(2)->UseRealTime();

// Summing 4M doubles in fixed chunks: the deterministic-reduction pattern the trees use.
static void BM_ParallelSum(benchmark::State& state) {
  grove::ThreadCountGuard guard(static_cast<std::size_t>(state.range(0)));
  std::vector<double> x(1 << 22, 1.0);
  const std::size_t grain = 1 << 16, n_chunks = x.size() / grain;
  std::vector<double> partial(n_chunks);
  for (auto _ : state) {
    grove::parallel_for_chunks(n_chunks, [&](std::size_t c) {
      double s = 0;
      for (std::size_t i = c * grain; i < (c + 1) * grain; ++i) s += x[i];
      partial[c] = s;
    });
    double total = 0;
    for (double p : partial) total += p;
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<long>(x.size() * sizeof(double)));
}
BENCHMARK(BM_ParallelSum)->Arg(1)->Arg(2)->UseRealTime();

// Trees: binning, histogram building, boosting rounds, forest fit and prediction latency.
#include <grove/trees.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cmath>
#include <vector>

using namespace grove;
using namespace grove::trees;

namespace {

struct Data {
  Tensor<float> X;
  Tensor<float> y;
};

const Data& data(std::size_t n) {
  static std::vector<std::pair<std::size_t, Data>> cache;
  for (auto& [k, d] : cache)
    if (k == n) return d;
  const std::size_t d = 28;
  Rng rng(1);
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = static_cast<float>(rng.normal());
    for (std::size_t f = 0; f < 8; ++f) s += 0.3 * x[i * d + f];
    s += 0.8 * x[i * d + 8] * x[i * d + 9] + 0.6 * std::sin(2 * x[i * d + 10]) + rng.normal();
    y[i] = s > 0 ? 1.0f : 0.0f;
  }
  cache.emplace_back(n, Data{Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(y, Shape{n})});
  return cache.back().second;
}

void BM_BinMapperFitAndBin(benchmark::State& state) {
  const Data& d = data(static_cast<std::size_t>(state.range(0)));
  const std::size_t n = d.X.shape(0);
  for (auto _ : state) {
    const BinMapper m = BinMapper::fit(d.X.data(), n, 28, 255);
    BinnedMatrix b = BinnedMatrix::build(m, d.X.data(), n, 28);
    benchmark::DoNotOptimize(b.words.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n * 28));
}
BENCHMARK(BM_BinMapperFitAndBin)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_HistogramGathered(benchmark::State& state) {
  // One group of four features' (g, h) histograms over every other row: the inner loop of tree
  // growth. Items are (row, feature) pairs.
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  Rng rng(2);
  std::vector<std::uint32_t> words(n);
  for (auto& w : words) w = static_cast<std::uint32_t>(rng.below(std::uint64_t{1} << 32));
  std::vector<std::uint32_t> rows;
  for (std::size_t i = 0; i < n; i += 2) rows.push_back(static_cast<std::uint32_t>(i));
  std::vector<float> stats(rows.size() * 2, 0.5f);
  std::vector<double> hist(4 * 256 * 2);
  grove::detail::GroupTargets tg;
  tg.count = 4;
  for (std::size_t k = 0; k < 4; ++k) {
    tg.shift[k] = static_cast<unsigned>(8 * k);
    tg.hist[k] = hist.data() + k * 512;
  }
  for (auto _ : state) {
    std::fill(hist.begin(), hist.end(), 0.0);
    grove::detail::accumulate_group(words.data(), rows.data(), 0, stats.data(), rows.size(), 2, tg);
    benchmark::DoNotOptimize(hist.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows.size() * 4));
}
BENCHMARK(BM_HistogramGathered)->Arg(1 << 20);

void BM_ParallelRegion(benchmark::State& state) {
  // One empty parallel region on 2 threads: the fixed cost the tree grower pays about 27 times a
  // boosting round (partition, gather, histogram tasks per level). Wall time is the figure.
  ThreadCountGuard guard(2);
  std::atomic<std::size_t> sink{0};
  for (auto _ : state) parallel_for_chunks(2, [&](std::size_t c) { sink.fetch_add(c, std::memory_order_relaxed); });
  benchmark::DoNotOptimize(sink.load());
}
BENCHMARK(BM_ParallelRegion)->UseRealTime();

void BM_BoostingFit(benchmark::State& state) {
  const Data& d = data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    GradientBoostingClassifier m({.n_estimators = 20, .learning_rate = 0.1, .max_depth = 6});
    m.fit(d.X, d.y);
    benchmark::DoNotOptimize(m.trees().data());
  }
  state.counters["rounds/s"] = benchmark::Counter(static_cast<double>(state.iterations() * 20), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BoostingFit)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ForestFit(benchmark::State& state) {
  const Data& d = data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    RandomForestClassifier m({.n_estimators = 10});
    m.fit(d.X, d.y);
    benchmark::DoNotOptimize(m.trees().data());
  }
}
BENCHMARK(BM_ForestFit)->Arg(20000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BoostingPredictRow(benchmark::State& state) {
  // 200 trees of depth 6: the single-row latency target (<= 2 us).
  const Data& d = data(20000);
  static GradientBoostingClassifier m = [&] {
    GradientBoostingClassifier g({.n_estimators = 200, .learning_rate = 0.1, .max_depth = 6});
    g.fit(d.X, d.y);
    return g;
  }();
  std::size_t i = 0;
  float out[2];
  for (auto _ : state) {
    m.predict_proba_row(std::span<const float>(d.X.data() + (i % 20000) * 28, 28), out);
    benchmark::DoNotOptimize(out[1]);
    ++i;
  }
}
BENCHMARK(BM_BoostingPredictRow);

void BM_BoostingPredictBatch(benchmark::State& state) {
  const Data& d = data(20000);
  static GradientBoostingClassifier m = [&] {
    GradientBoostingClassifier g({.n_estimators = 200, .learning_rate = 0.1, .max_depth = 6});
    g.fit(d.X, d.y);
    return g;
  }();
  for (auto _ : state) {
    Tensor<float> p = m.predict_proba(d.X);
    benchmark::DoNotOptimize(p.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 20000));
}
BENCHMARK(BM_BoostingPredictBatch)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

// Tensor kernels and autograd overhead.
//  - matmul float 256^3 and 1024^3: GFLOP/s through grove::matmul vs raw Eigen GEMM
//    (single-threaded Eigen, as grove calls it per row chunk).
//  - elementwise add / relu on 1M floats: GB/s vs a plain loop into a preallocated buffer.
//  - autograd: forward + backward of a chain of 100 ops on 8x8 tensors, ns per op.
// Arguments after the size are grove thread counts; Eigen and the plain loops use one thread.
// One-thread rows report CPU-time rates (robust on a shared machine); two-thread rows need
// wall time (suffix /real_time).
#include <grove/autograd.hpp>
#include <grove/tensor/eigen.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

// Both sides allocate their result every iteration. glibc serves blocks above its (adaptive)
// mmap threshold with fresh pages, so whichever benchmark ran first would pay page faults the
// others do not; a fixed threshold makes every side reuse heap memory.
[[maybe_unused]] const bool kMallocTuned = [] {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
  return true;
}();

using TF = grove::Tensor<float>;

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iter * 1e-9 * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}
void set_bytes(benchmark::State& state, double bytes_per_iter) {
  state.counters["GB/s"] = benchmark::Counter(bytes_per_iter * 1e-9 * static_cast<double>(state.iterations()),
                                              benchmark::Counter::kIsRate);
}

void BM_MatmulTensor(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  grove::ThreadCountGuard threads(static_cast<std::size_t>(state.range(1)));
  grove::Rng rng(1);
  const TF a = TF::randn({n, n}, rng), b = TF::randn({n, n}, rng);
  for (auto _ : state) {
    TF c = grove::matmul(a, b);
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, 2.0 * double(n) * double(n) * double(n));
}
BENCHMARK(BM_MatmulTensor)->Args({256, 1})->Args({1024, 1})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatmulTensor)->Args({256, 2})->Args({1024, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MatmulEigen(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  grove::Rng rng(1);
  const grove::EigenMatrix<float> a = grove::to_eigen(TF::randn({std::size_t(n), std::size_t(n)}, rng));
  const grove::EigenMatrix<float> b = grove::to_eigen(TF::randn({std::size_t(n), std::size_t(n)}, rng));
  for (auto _ : state) {
    grove::EigenMatrix<float> c(n, n);  // the Tensor side allocates its result too
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, 2.0 * double(n) * double(n) * double(n));
}
BENCHMARK(BM_MatmulEigen)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);

constexpr std::size_t kElems = std::size_t{1} << 20;

void BM_AddTensor(benchmark::State& state) {
  grove::ThreadCountGuard threads(static_cast<std::size_t>(state.range(0)));
  grove::Rng rng(2);
  const TF a = TF::randn({kElems}, rng), b = TF::randn({kElems}, rng);
  for (auto _ : state) {
    TF c = a + b;
    benchmark::DoNotOptimize(c.data());
  }
  set_bytes(state, 3.0 * 4 * kElems);
}
BENCHMARK(BM_AddTensor)->Arg(1);
BENCHMARK(BM_AddTensor)->Arg(2)->UseRealTime();

void BM_AddLoop(benchmark::State& state) {
  grove::Rng rng(2);
  const TF a = TF::randn({kElems}, rng), b = TF::randn({kElems}, rng);
  std::vector<float> c(kElems);
  const float* pa = a.data();
  const float* pb = b.data();
  for (auto _ : state) {
    float* pc = c.data();
    for (std::size_t i = 0; i < kElems; ++i) pc[i] = pa[i] + pb[i];
    benchmark::DoNotOptimize(pc);
    benchmark::ClobberMemory();
  }
  set_bytes(state, 3.0 * 4 * kElems);
}
BENCHMARK(BM_AddLoop);

void BM_ReluTensor(benchmark::State& state) {
  grove::ThreadCountGuard threads(static_cast<std::size_t>(state.range(0)));
  grove::Rng rng(3);
  const TF a = TF::randn({kElems}, rng);
  for (auto _ : state) {
    TF c = grove::relu(a);
    benchmark::DoNotOptimize(c.data());
  }
  set_bytes(state, 2.0 * 4 * kElems);
}
BENCHMARK(BM_ReluTensor)->Arg(1);
BENCHMARK(BM_ReluTensor)->Arg(2)->UseRealTime();

void BM_ReluLoop(benchmark::State& state) {
  grove::Rng rng(3);
  const TF a = TF::randn({kElems}, rng);
  std::vector<float> c(kElems);
  const float* pa = a.data();
  for (auto _ : state) {
    float* pc = c.data();
    for (std::size_t i = 0; i < kElems; ++i) pc[i] = pa[i] > 0.0f ? pa[i] : 0.0f;
    benchmark::DoNotOptimize(pc);
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2.0 * 4 * kElems);
}
BENCHMARK(BM_ReluLoop);

// Position-independent vector math (lane_exact: blocks through aligned, padded buffers) against
// Eigen's direct evaluation, whose scalar head/tail make results depend on position: the price
// of bitwise determinism in -march=native builds.
void BM_TanhTensor(benchmark::State& state) {
  grove::ThreadCountGuard threads(1);
  grove::Rng rng(4);
  const TF a = TF::randn({kElems}, rng);
  for (auto _ : state) {
    TF c = grove::tanh(a);
    benchmark::DoNotOptimize(c.data());
  }
  set_bytes(state, 2.0 * 4 * kElems);
}
BENCHMARK(BM_TanhTensor);

void BM_TanhEigenDirect(benchmark::State& state) {
  grove::Rng rng(4);
  const TF a = TF::randn({kElems}, rng);
  std::vector<float> c(kElems);
  for (auto _ : state) {
    Eigen::Map<Eigen::ArrayXf>(c.data(), Eigen::Index(kElems)) =
        Eigen::Map<const Eigen::ArrayXf>(a.data(), Eigen::Index(kElems)).tanh();
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2.0 * 4 * kElems);
}
BENCHMARK(BM_TanhEigenDirect);

// lane_sum (association fixed by index) against Eigen's sum (association moves with the address).
void BM_SumTensor(benchmark::State& state) {
  grove::ThreadCountGuard threads(1);
  grove::Rng rng(5);
  const TF a = TF::randn({kElems}, rng);
  for (auto _ : state) benchmark::DoNotOptimize(a.sum().item());
  set_bytes(state, 4.0 * kElems);
}
BENCHMARK(BM_SumTensor);

void BM_SumEigen(benchmark::State& state) {
  grove::Rng rng(5);
  const TF a = TF::randn({kElems}, rng);
  for (auto _ : state) benchmark::DoNotOptimize(Eigen::Map<const Eigen::ArrayXf>(a.data(), Eigen::Index(kElems)).sum());
  set_bytes(state, 4.0 * kElems);
}
BENCHMARK(BM_SumEigen);

// ---- Interleaved A/B: each iteration runs grove then the baseline, timing both with the
// thread CPU clock; the counters are medians and the median ratio. On a shared machine this is
// far more stable than comparing two benchmarks that ran seconds apart. One thread.

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}
template <class A, class B>
void interleave(benchmark::State& state, double work, const char* unit, A&& grove_side, B&& baseline) {
  std::vector<double> tg, tb, ratio;
  for (auto _ : state) {
    const double t0 = thread_cpu_seconds();
    grove_side();
    const double t1 = thread_cpu_seconds();
    baseline();
    const double t2 = thread_cpu_seconds();
    tg.push_back(t1 - t0);
    tb.push_back(t2 - t1);
    ratio.push_back((t2 - t1) / (t1 - t0));  // rate(grove) / rate(baseline)
  }
  state.counters[std::string("grove_") + unit] = work * 1e-9 / median_of(tg);
  state.counters[std::string("base_") + unit] = work * 1e-9 / median_of(tb);
  state.counters["ratio"] = median_of(ratio);
}

void BM_MatmulVsEigenInterleaved(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  grove::ThreadCountGuard threads(1);
  grove::Rng rng(1);
  const TF a = TF::randn({n, n}, rng), b = TF::randn({n, n}, rng);
  const grove::EigenMatrix<float> ea = grove::to_eigen(a), eb = grove::to_eigen(b);
  const auto en = static_cast<Eigen::Index>(n);
  interleave(
      state, 2.0 * double(n) * double(n) * double(n), "GFLOP/s",
      [&] {
        TF c = grove::matmul(a, b);
        benchmark::DoNotOptimize(c.data());
      },
      [&] {
        grove::EigenMatrix<float> c(en, en);
        c.noalias() = ea * eb;
        benchmark::DoNotOptimize(c.data());
      });
}
BENCHMARK(BM_MatmulVsEigenInterleaved)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_AddVsLoopInterleaved(benchmark::State& state) {
  grove::ThreadCountGuard threads(1);
  grove::Rng rng(2);
  const TF a = TF::randn({kElems}, rng), b = TF::randn({kElems}, rng);
  std::vector<float> c(kElems);
  const float* pa = a.data();
  const float* pb = b.data();
  interleave(
      state, 3.0 * 4 * kElems, "GB/s",
      [&] {
        TF r = a + b;
        benchmark::DoNotOptimize(r.data());
      },
      [&] {
        float* pc = c.data();
        for (std::size_t i = 0; i < kElems; ++i) pc[i] = pa[i] + pb[i];
        benchmark::DoNotOptimize(pc);
        benchmark::ClobberMemory();
      });
}
BENCHMARK(BM_AddVsLoopInterleaved);

void BM_ReluVsLoopInterleaved(benchmark::State& state) {
  grove::ThreadCountGuard threads(1);
  grove::Rng rng(3);
  const TF a = TF::randn({kElems}, rng);
  std::vector<float> c(kElems);
  const float* pa = a.data();
  interleave(
      state, 2.0 * 4 * kElems, "GB/s",
      [&] {
        TF r = grove::relu(a);
        benchmark::DoNotOptimize(r.data());
      },
      [&] {
        float* pc = c.data();
        for (std::size_t i = 0; i < kElems; ++i) pc[i] = pa[i] > 0.0f ? pa[i] : 0.0f;
        benchmark::DoNotOptimize(pc);
        benchmark::ClobberMemory();
      });
}
BENCHMARK(BM_ReluVsLoopInterleaved);

/// The chain the LibTorch comparison runs too: 100 ops cycling mul, add, tanh, matmul.
void BM_AutogradChain(benchmark::State& state) {
  grove::ThreadCountGuard threads(1);
  grove::Rng rng(4);
  TF x = TF::randn({8, 8}, rng);
  TF w = TF::randn({8, 8}, rng) * 0.3f;
  w = w.detach();
  x.requires_grad(true);
  w.requires_grad(true);
  constexpr int kOps = 100;
  for (auto _ : state) {
    TF y = x;
    for (int i = 0; i < kOps; ++i) {
      switch (i % 4) {
        case 0: y = y * w; break;
        case 1: y = y + w; break;
        case 2: y = grove::tanh(y); break;
        default: y = grove::matmul(y, w); break;
      }
    }
    y.sum().backward();
    benchmark::DoNotOptimize(x.grad().data());
  }
  state.counters["ns/op"] = benchmark::Counter(double(kOps) * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_AutogradChain);

}  // namespace

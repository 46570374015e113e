// Autograd overhead: forward + backward of a chain of 100 ops on 8x8 float tensors (cycling
// mul, add, tanh, matmul, then sum and backward), grove vs LibTorch in the same run. The two
// libraries alternate in rounds; the program prints medians and means (ns per op) and the
// ratio grove / LibTorch (lower is better for grove).
//   usage: grove_compare_autograd_libtorch [rounds=10] [reps_per_round=300]
#include <grove/autograd.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <vector>

std::vector<double> torch_chain_seconds(int reps, int ops, int threads);

namespace {

constexpr int kOps = 100;

std::vector<double> grove_chain_seconds(int reps) {
  using TF = grove::Tensor<float>;
  grove::Rng rng(4);
  TF x = TF::randn({8, 8}, rng);
  TF w = (TF::randn({8, 8}, rng) * 0.3f).detach();
  x.requires_grad(true);
  w.requires_grad(true);
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(reps));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
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
    const auto t1 = std::chrono::steady_clock::now();
    out.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  x.zero_grad();
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 10;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 300;
  grove::set_num_threads(1);
  // Warm-up (allocator, lazy init, OpenBLAS threads) for both.
  grove_chain_seconds(50);
  torch_chain_seconds(50, kOps, 1);
  std::vector<double> g_all, t_all, ratios;
  std::printf("round  grove ns/op  torch ns/op  ratio\n");
  for (int r = 0; r < rounds; ++r) {
    const std::vector<double> g = grove_chain_seconds(reps);
    const std::vector<double> t = torch_chain_seconds(reps, kOps, 1);
    const double gm = median(g) / kOps * 1e9, tm = median(t) / kOps * 1e9;
    std::printf("%5d  %11.1f  %11.1f  %5.3f\n", r, gm, tm, gm / tm);
    g_all.insert(g_all.end(), g.begin(), g.end());
    t_all.insert(t_all.end(), t.begin(), t.end());
    ratios.push_back(gm / tm);
  }
  const double gmed = median(g_all) / kOps * 1e9, tmed = median(t_all) / kOps * 1e9;
  std::printf("\nchain of %d ops on 8x8 float, forward+backward, 1 thread each\n", kOps);
  std::printf("grove:    median %.1f ns/op  mean %.1f ns/op\n", gmed, mean(g_all) / kOps * 1e9);
  std::printf("LibTorch: median %.1f ns/op  mean %.1f ns/op\n", tmed, mean(t_all) / kOps * 1e9);
  std::printf("ratio grove/LibTorch: %.3f (median of per-round ratios %.3f)\n", gmed / tmed, median(ratios));
  return 0;
}

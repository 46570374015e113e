// Shared interface of the MLP comparison program: each library's half lives in its own
// translation unit (so a peer's headers, macros and warnings never meet another's) and trains
// the same 784-256-128-10 ReLU MLP with Adam(lr 1e-3) and softmax cross-entropy, in float.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mlp_compare {

constexpr int kIn = 784, kH1 = 256, kH2 = 128, kOut = 10;

/// The same random data for every library: X is n x 784 N(0,1), y in 0..9.
struct Data {
  std::size_t n = 0;
  std::vector<float> X;
  std::vector<int> y;
};

/// What one library's run measured.
struct Timing {
  std::vector<double> step_ms;   ///< one entry per timed training step
  std::vector<double> infer_us;  ///< one entry per timed single-sample forward
  double first_loss = 0, last_loss = 0;  ///< sanity: training must reduce the loss
};

/// One measurement request: `steps` timed training steps (after `warmup` untimed ones)
/// at `batch`, then `infer_reps` single-sample forwards, with `threads` threads.
struct Config {
  int batch = 64;
  int warmup = 10;
  int steps = 100;
  int infer_reps = 2000;
  int threads = 1;
};

Timing run_grove(const Data& d, const Config& c);
#if defined(MLP_COMPARE_HAVE_TORCH)
/// `blas_threads` OpenBLAS threads, `c.threads` torch intra-op threads.
Timing run_torch(const Data& d, const Config& c, int blas_threads);
std::string torch_blas_info();
#endif
#if defined(MLP_COMPARE_HAVE_TINY_DNN)
Timing run_tinydnn(const Data& d, const Config& c);
#endif

}  // namespace mlp_compare

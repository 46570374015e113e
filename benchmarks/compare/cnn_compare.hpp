// Shared interface of the CNN comparison: each library's half lives in its own translation
// unit (a peer's headers, macros and warnings never meet grove's) and trains the same CNN
//   conv(1,32,3,p1)-relu-maxpool2-conv(32,64,3,p1)-relu-maxpool2-flatten-linear(3136,128)-relu-linear(128,10)
// with Adam(lr 1e-3), softmax cross-entropy, batch 128, float, for one epoch of Fashion-MNIST
// in a fixed sample order, then reports test accuracy and single-image inference latency.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cnn_compare {

constexpr int kSide = 28, kPixels = 28 * 28, kClasses = 10;

/// Standardized images (one mean and sd over all training pixels) and labels 0..9.
struct Data {
  std::size_t n_train = 0, n_test = 0;
  std::vector<float> X_train, X_test;  ///< n x 784, row-major
  std::vector<int> y_train, y_test;
  std::vector<std::size_t> order;      ///< the epoch's sample order (the same for every library)
};

/// One measurement request.
struct Config {
  std::size_t batches = 0;  ///< training steps in the "epoch" (n_train / batch rounded up when 0)
  std::size_t batch = 128;
  int threads = 2;
  int infer_reps = 2000;
  unsigned seed = 1;
};

/// What one library's run measured.
struct Result {
  double epoch_seconds = 0;      ///< wall time of the training loop
  double epoch_cpu_seconds = 0;  ///< process CPU time of the training loop (all threads)
  double test_accuracy = 0;
  double first_loss = 0, last_loss = 0;
  std::vector<double> infer_us;  ///< single-image forward latency, one entry per repetition
};

Result run_grove(const Data& d, const Config& c);
#if defined(CNN_COMPARE_HAVE_TORCH)
/// c.threads intra-op threads, 1 OpenBLAS thread (the fair 2-core setting, see PEERS.md).
Result run_torch(const Data& d, const Config& c);
std::string torch_info();
#endif

/// CPU seconds used by this process so far (all threads).
double process_cpu_seconds();

}  // namespace cnn_compare

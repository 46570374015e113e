// grove vs LibTorch: one Fashion-MNIST epoch of the same CNN
//   conv(1,32,3,p1)-relu-maxpool2-conv(32,64,3,p1)-relu-maxpool2-flatten-linear(3136,128)-relu-linear(128,10)
// (Adam lr 1e-3, batch 128, float, the same shuffled sample order), the test accuracy after that
// epoch, and the single-image inference latency. The two libraries run alternately (grove,
// LibTorch, grove, LibTorch, ...) in one process, each with 2 threads by default: grove through
// set_num_threads, LibTorch with 2 intra-op threads and 1 OpenBLAS thread (PEERS.md: 2 x 2
// oversubscribes the cores). Before every timed pair the 1-minute load average must be below
// 0.3, otherwise the program refuses to time (--ignore-load runs anyway for a functional check;
// its figures are marked as not quotable).
//
// Usage: grove_compare_cnn [--data DIR] [--rounds N] [--threads N] [--batches N] [--quick] [--ignore-load]
#include "cnn_compare.hpp"

#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/core/rng.hpp>
#include <grove/data/idx.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

namespace cnn_compare {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

namespace {

grove::Tensor<float> batch_of(const std::vector<float>& X, const std::vector<std::size_t>& idx) {
  std::vector<float> v(idx.size() * kPixels);
  for (std::size_t i = 0; i < idx.size(); ++i) std::copy_n(X.data() + idx[i] * kPixels, kPixels, v.data() + i * kPixels);
  return grove::Tensor<float>::from_vector(std::move(v), grove::Shape{idx.size(), 1, kSide, kSide});
}

}  // namespace

Result run_grove(const Data& d, const Config& c) {
  using namespace grove;
  using Clock = std::chrono::steady_clock;
  set_num_threads(static_cast<std::size_t>(c.threads));
  Rng rng(c.seed);
  nn::Sequential<float> model{nn::Conv2d<float>(1, 32, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                              nn::Conv2d<float>(32, 64, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                              nn::Flatten(), nn::Linear<float>(3136, 128, rng), nn::ReLU(),
                              nn::Linear<float>(128, kClasses, rng)};
  optim::Adam<float> opt(model.parameters(), {.lr = 1e-3});
  const std::size_t n_batches = c.batches ? c.batches : (d.n_train + c.batch - 1) / c.batch;

  Result r;
  const auto t0 = Clock::now();
  const double cpu0 = process_cpu_seconds();
  for (std::size_t b = 0; b < n_batches; ++b) {
    // Batches are gathered inside the timed loop, as LibTorch's are.
    const std::size_t lo = (b * c.batch) % d.n_train, hi = std::min(d.n_train, lo + c.batch);
    std::vector<std::size_t> idx(d.order.begin() + static_cast<long>(lo), d.order.begin() + static_cast<long>(hi));
    std::vector<float> yb;
    for (std::size_t i : idx) yb.push_back(static_cast<float>(d.y_train[i]));
    const auto x = batch_of(d.X_train, idx);
    const auto y = Tensor<float>::from_vector(std::move(yb));
    opt.zero_grad();
    Tensor<float> loss = nn::cross_entropy(model(x), y);
    loss.backward();
    opt.step();
    const double l = loss.item();
    if (b == 0) r.first_loss = l;
    r.last_loss = l;
  }
  r.epoch_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.epoch_cpu_seconds = process_cpu_seconds() - cpu0;

  NoGradGuard no_grad;
  model.eval();
  std::size_t correct = 0;
  for (std::size_t lo = 0; lo < d.n_test; lo += 1000) {
    const std::size_t hi = std::min(d.n_test, lo + 1000);
    std::vector<std::size_t> idx;
    for (std::size_t i = lo; i < hi; ++i) idx.push_back(i);
    const auto pred = model(batch_of(d.X_test, idx)).argmax(1).to_vector();
    for (std::size_t i = lo; i < hi; ++i) correct += pred[i - lo] == d.y_test[i];
  }
  r.test_accuracy = static_cast<double>(correct) / static_cast<double>(d.n_test);
  const auto one = batch_of(d.X_test, {0});
  volatile float sink = 0;
  for (int i = 0; i < 20; ++i) sink = sink + model(one).data()[0];
  for (int i = 0; i < c.infer_reps; ++i) {
    const auto s0 = Clock::now();
    const auto out = model(one);
    sink = sink + out.data()[0];
    r.infer_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s0).count());
  }
  return r;
}

}  // namespace cnn_compare

namespace {

using namespace cnn_compare;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

double load_average() {
  std::ifstream f("/proc/loadavg");
  double one = -1;
  f >> one;
  return one;
}

/// Loads Fashion-MNIST, standardizes with the training pixels' mean and sd, and fixes the
/// epoch's sample order (Rng(seed).permutation).
Data load(const std::string& dir, unsigned seed) {
  auto train = grove::data::load_idx<float>(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz");
  auto test = grove::data::load_idx<float>(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
  Data d;
  d.X_train = train.X.to_vector();
  d.X_test = test.X.to_vector();
  d.n_train = train.X.shape()[0];
  d.n_test = test.X.shape()[0];
  double s = 0, s2 = 0;
  for (float p : d.X_train) {
    s += p;
    s2 += static_cast<double>(p) * p;
  }
  const double m = s / static_cast<double>(d.X_train.size());
  const double sd = std::sqrt(s2 / static_cast<double>(d.X_train.size()) - m * m);
  for (auto* X : {&d.X_train, &d.X_test})
    for (float& p : *X) p = static_cast<float>((p - m) / sd);
  for (float v : train.y.to_vector()) d.y_train.push_back(static_cast<int>(v));
  for (float v : test.y.to_vector()) d.y_test.push_back(static_cast<int>(v));
  grove::Rng rng(seed);
  d.order = rng.permutation(d.n_train);
  return d;
}

void print_result(const char* who, const Result& r) {
  std::printf("  %-9s epoch %7.2f s (cpu %7.2f s)   test acc %.4f   loss %.3f -> %.3f   1-image %8.1f us (mean %8.1f)\n",
              who, r.epoch_seconds, r.epoch_cpu_seconds, r.test_accuracy, r.first_loss, r.last_loss,
              median(r.infer_us), mean(r.infer_us));
}

}  // namespace

int main(int argc, char** argv) {
  // Fixed glibc thresholds for both libraries (see mlp_compare.cpp): otherwise large per-step
  // temporaries are mapped and unmapped every step and page-faulted in again.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::string dir = "/usr/share/datasets/fashion-mnist";
  int rounds = 3;
  bool ignore_load = false;
  Config c;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      rounds = 1;
      c.batches = 40;
      c.infer_reps = 200;
    } else if (a == "--ignore-load") {
      ignore_load = true;
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--threads" && i + 1 < argc) {
      c.threads = std::atoi(argv[++i]);
    } else if (a == "--batches" && i + 1 < argc) {
      c.batches = static_cast<std::size_t>(std::atoll(argv[++i]));
    } else if (a == "--data" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--data DIR] [--rounds N] [--threads N] [--batches N] [--quick] [--ignore-load]\n"
                   "Times one Fashion-MNIST epoch of the same CNN in grove and LibTorch, alternating, and\n"
                   "refuses to time while the 1-minute load average is 0.3 or more.\n",
                   argv[0]);
      return a == "--help" ? 0 : 2;
    }
  }
  if (rounds < 1 || c.threads < 1) {
    std::fprintf(stderr, "--rounds and --threads must be >= 1\n");
    return 2;
  }
  Data d;
  try {
    d = load(dir, c.seed);
  } catch (const grove::Error& e) {
    std::fprintf(stderr, "grove_compare_cnn: %s (install Debian's dataset-fashion-mnist or pass --data DIR)\n", e.what());
    return 1;
  }
  const std::size_t n_batches = c.batches ? c.batches : (d.n_train + c.batch - 1) / c.batch;
  std::printf("CNN conv(1,32,3,p1)-relu-maxpool2-conv(32,64,3,p1)-relu-maxpool2-flatten-linear(3136,128)-relu-"
              "linear(128,10)\nAdam(lr 1e-3), batch %zu, %zu steps per epoch, float, %d threads, %d rounds\n",
              c.batch, n_batches, c.threads, rounds);
#if defined(CNN_COMPARE_HAVE_TORCH)
  std::printf("%s\n", torch_info().c_str());
#endif
  if (ignore_load) std::printf("--ignore-load: figures below are NOT QUOTABLE (load not checked)\n");

  std::vector<double> g_time, g_cpu, t_time, t_cpu;
  Result g_last, t_last;
  for (int r = 0; r < rounds; ++r) {
    const double load = load_average();
    if (!ignore_load && !(load >= 0 && load < 0.3)) {
      std::fprintf(stderr,
                   "grove_compare_cnn: 1-minute load average is %.2f (>= 0.3): refusing to time on a busy machine; "
                   "rerun when it is quiet (or pass --ignore-load for a functional check)\n",
                   load);
      return 3;
    }
    std::printf("\nround %d (load %.2f)\n", r + 1, load);
    g_last = run_grove(d, c);
    print_result("grove", g_last);
    g_time.push_back(g_last.epoch_seconds);
    g_cpu.push_back(g_last.epoch_cpu_seconds);
#if defined(CNN_COMPARE_HAVE_TORCH)
    t_last = run_torch(d, c);
    print_result("LibTorch", t_last);
    t_time.push_back(t_last.epoch_seconds);
    t_cpu.push_back(t_last.epoch_cpu_seconds);
    std::printf("  grove / LibTorch epoch time %.2fx\n", g_last.epoch_seconds / t_last.epoch_seconds);
#endif
  }
  std::printf("\nsummary over %d rounds (median, mean):\n", rounds);
  std::printf("  grove     epoch %.2f s (mean %.2f), cpu %.2f s; test accuracy %.4f; 1-image latency %.1f us\n",
              median(g_time), mean(g_time), median(g_cpu), g_last.test_accuracy, median(g_last.infer_us));
#if defined(CNN_COMPARE_HAVE_TORCH)
  std::printf("  LibTorch  epoch %.2f s (mean %.2f), cpu %.2f s; test accuracy %.4f; 1-image latency %.1f us\n",
              median(t_time), mean(t_time), median(t_cpu), t_last.test_accuracy, median(t_last.infer_us));
  std::printf("  grove / LibTorch: epoch %.2fx (goal <= 1.0x, 0.8x), cpu %.2fx, latency %.2fx; accuracy difference "
              "%+.4f (goal within 0.01)%s\n",
              median(g_time) / median(t_time), median(g_cpu) / median(t_cpu),
              median(g_last.infer_us) / median(t_last.infer_us), g_last.test_accuracy - t_last.test_accuracy,
              ignore_load ? "  [NOT QUOTABLE: --ignore-load]" : "");
#endif
  return 0;
}

// grove vs LibTorch vs tiny-dnn: the same MLP (784-256-128-10, ReLU, Adam lr 1e-3, softmax
// cross-entropy, float) trained on the same random data in one run. Prints the median and mean
// milliseconds per training step at batch 64 and 256 and the single-sample inference latency,
// for 1 and 2 threads, with ratios. grove and LibTorch run alternately (A B A B) in rounds.
//
// Thread configurations (2 cores): grove uses set_num_threads(n). LibTorch runs with n intra-op
// threads and 1 OpenBLAS thread, and at 2 threads also with 1 intra-op thread and 2 OpenBLAS
// threads (never 2 x 2, which oversubscribes the cores); the faster of the two is its figure.
// tiny-dnn is built with CNN_SINGLE_THREAD, its faster mode here, and measured once per batch
// size, after grove and LibTorch.
//
// Usage: grove_compare_mlp [--quick] [--rounds N] [--steps N]
#include "mlp_compare.hpp"

#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/core/rng.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace mlp_compare {

Timing run_grove(const Data& d, const Config& c) {
  using namespace grove;
  using Clock = std::chrono::steady_clock;
  set_num_threads(static_cast<std::size_t>(c.threads));
  Rng rng(0);
  nn::Sequential<float> model{nn::Linear<float>(kIn, kH1, rng), nn::ReLU(), nn::Linear<float>(kH1, kH2, rng),
                              nn::ReLU(), nn::Linear<float>(kH2, kOut, rng)};
  optim::Adam<float> opt(model.parameters(), {.lr = 1e-3});

  // Batches are prepared before timing (as for every library).
  const std::size_t batch = static_cast<std::size_t>(c.batch);
  const std::size_t n_batches = d.n / batch;
  std::vector<Tensor<float>> xs, ys;
  for (std::size_t b = 0; b < n_batches; ++b) {
    const std::size_t lo = b * batch;
    xs.push_back(Tensor<float>::from_vector(
        std::vector<float>(d.X.begin() + static_cast<long>(lo * kIn), d.X.begin() + static_cast<long>((lo + batch) * kIn)),
        Shape{batch, static_cast<std::size_t>(kIn)}));
    std::vector<float> yb(batch);
    for (std::size_t i = 0; i < batch; ++i) yb[i] = static_cast<float>(d.y[lo + i]);
    ys.push_back(Tensor<float>::from_vector(std::move(yb)));
  }

  Timing t;
  auto step = [&](int s) {
    const std::size_t b = static_cast<std::size_t>(s) % n_batches;
    opt.zero_grad();
    Tensor<float> loss = nn::cross_entropy(model(xs[b]), ys[b]);
    loss.backward();
    opt.step();
    return loss.item();
  };
  for (int s = 0; s < c.warmup; ++s) {
    const float l = step(s);
    if (s == 0) t.first_loss = l;
  }
  for (int s = 0; s < c.steps; ++s) {
    const auto t0 = Clock::now();
    t.last_loss = step(c.warmup + s);
    t.step_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }

  NoGradGuard no_grad;
  model.eval();
  const Tensor<float> one = Tensor<float>::from_vector(std::vector<float>(d.X.begin(), d.X.begin() + kIn),
                                                       Shape{1, static_cast<std::size_t>(kIn)});
  volatile float sink = 0;
  for (int r = 0; r < 20; ++r) sink = sink + model(one).data()[0];
  for (int r = 0; r < c.infer_reps; ++r) {
    const auto t0 = Clock::now();
    const Tensor<float> out = model(one);
    sink = sink + out.data()[0];
    t.infer_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return t;
}

}  // namespace mlp_compare

namespace {

using namespace mlp_compare;

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

struct Pooled {
  std::vector<double> step_ms, infer_us;
  double first_loss = 0, last_loss = 0;
  void add(const Timing& t) {
    step_ms.insert(step_ms.end(), t.step_ms.begin(), t.step_ms.end());
    infer_us.insert(infer_us.end(), t.infer_us.begin(), t.infer_us.end());
    first_loss = t.first_loss;
    last_loss = t.last_loss;
  }
};

void print_row(const char* who, const Pooled& p) {
  std::printf("  %-28s step %8.3f ms (mean %8.3f)   1-sample %8.1f us (mean %8.1f)   loss %.3f -> %.3f\n", who,
              median(p.step_ms), mean(p.step_ms), median(p.infer_us), mean(p.infer_us), p.first_loss, p.last_loss);
}

}  // namespace

int main(int argc, char** argv) {
  // glibc serves large blocks with mmap and trims the heap top; with the threshold it adapts at
  // run time, LibTorch's per-step temporaries (800 KB weight gradients, Adam's temporaries) were
  // mapped and unmapped every step in this process, page-faulting them in again: its batch-64
  // step went from 1.2-1.4 ms to 15-19 ms depending on earlier allocations. Fixed thresholds
  // (the same for all three libraries) keep freed blocks in the heap.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  int rounds = 3, steps = 100;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
      rounds = 1;
      steps = 20;
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--steps" && i + 1 < argc) {
      steps = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--rounds N] [--steps N]\n", argv[0]);
      return 2;
    }
  }

  Data d;
  d.n = 4096;
  grove::Rng rng(42);
  d.X.resize(d.n * kIn);
  for (float& v : d.X) v = static_cast<float>(rng.normal());
  d.y.resize(d.n);
  for (int& v : d.y) v = static_cast<int>(rng.below(kOut));

  std::printf("MLP 784-256-128-10, Adam(lr 1e-3), float, random data (n = %zu); %d rounds x %d timed steps\n", d.n,
              rounds, steps);
#if defined(MLP_COMPARE_HAVE_TORCH)
  std::printf("LibTorch BLAS: %s\n", torch_blas_info().c_str());
#endif

  for (int batch : {64, 256}) {
    [[maybe_unused]] double grove_best_step = 1e300, grove_best_infer = 1e300;
    for (int threads : {1, 2}) {
      Config c;
      c.batch = batch;
      c.steps = steps;
      c.threads = threads;
      c.infer_reps = quick ? 300 : 2000;
      Pooled g;
#if defined(MLP_COMPARE_HAVE_TORCH)
      Pooled torch_a, torch_b;  // a: n intra-op threads, 1 BLAS thread; b: 1 intra-op, n BLAS threads
#endif
      for (int r = 0; r < rounds; ++r) {
        g.add(run_grove(d, c));
#if defined(MLP_COMPARE_HAVE_TORCH)
        torch_a.add(run_torch(d, c, 1));
        if (threads > 1) {
          Config cb = c;
          cb.threads = 1;
          torch_b.add(run_torch(d, cb, threads));
        }
#endif
      }
      std::printf("\nbatch %d, %d thread%s\n", batch, threads, threads > 1 ? "s" : "");
      print_row("grove", g);
#if defined(MLP_COMPARE_HAVE_TORCH)
      const std::string la = "LibTorch (omp " + std::to_string(threads) + ", blas 1)";
      print_row(la.c_str(), torch_a);
      double torch_step = median(torch_a.step_ms), torch_inf = median(torch_a.infer_us);
      if (threads > 1) {
        const std::string lb = "LibTorch (omp 1, blas " + std::to_string(threads) + ")";
        print_row(lb.c_str(), torch_b);
        torch_step = std::min(torch_step, median(torch_b.step_ms));
        torch_inf = std::min(torch_inf, median(torch_b.infer_us));
      }
      std::printf("  grove / LibTorch (best config): step %.2fx, 1-sample latency %.2fx\n",
                  median(g.step_ms) / torch_step, median(g.infer_us) / torch_inf);
#endif
      grove_best_step = std::min(grove_best_step, median(g.step_ms));
      grove_best_infer = std::min(grove_best_infer, median(g.infer_us));
    }
    // tiny-dnn runs after grove and LibTorch (see the note at the top).
#if defined(MLP_COMPARE_HAVE_TINY_DNN)
    Pooled tiny;
    {
      Config c;
      c.batch = batch;
      c.warmup = 2;
      c.steps = quick ? 3 : 10;
      c.infer_reps = quick ? 200 : 1000;
      c.threads = 1;
      tiny.add(run_tinydnn(d, c));
    }
    std::printf("\nbatch %d, tiny-dnn\n", batch);
    print_row("tiny-dnn (single-thread)", tiny);
    std::printf("  tiny-dnn / grove (grove's faster thread count): step %.1fx slower, 1-sample latency %.1fx slower\n",
                median(tiny.step_ms) / grove_best_step, median(tiny.infer_us) / grove_best_infer);
#endif
  }
  return 0;
}

// LibTorch half of the autograd-overhead comparison (see autograd_libtorch.cpp).
#include <torch/torch.h>

#include <chrono>
#include <vector>

/// Runs `reps` forward+backward passes of the 100-op chain; returns seconds per pass for each.
std::vector<double> torch_chain_seconds(int reps, int ops, int threads) {
  torch::set_num_threads(threads);
  torch::manual_seed(4);
  torch::Tensor x = torch::randn({8, 8}).requires_grad_(true);
  torch::Tensor w = (torch::randn({8, 8}) * 0.3).detach().requires_grad_(true);
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(reps));
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    torch::Tensor y = x;
    for (int i = 0; i < ops; ++i) {
      switch (i % 4) {
        case 0: y = y * w; break;
        case 1: y = y + w; break;
        case 2: y = torch::tanh(y); break;
        default: y = torch::mm(y, w); break;
      }
    }
    y.sum().backward();
    const auto t1 = std::chrono::steady_clock::now();
    out.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  x.grad().zero_();
  return out;
}

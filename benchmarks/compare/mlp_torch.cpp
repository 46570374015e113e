// LibTorch half of the MLP comparison (built only when find_package(Torch) succeeds).
#include "mlp_compare.hpp"

#include <torch/torch.h>

#include <dlfcn.h>

#include <chrono>
#include <string>
#include <vector>

namespace mlp_compare {
namespace {

using Clock = std::chrono::steady_clock;

// LibTorch sends its GEMMs to the system BLAS (OpenBLAS here); its thread count is set
// through OpenBLAS's own entry point, looked up at run time so any BLAS still links.
void set_blas_threads(int n) {
  using Fn = void (*)(int);
  if (auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
}

}  // namespace

std::string torch_blas_info() {
  using Fn = char* (*)();
  if (auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) return std::string("OpenBLAS ") + fn();
  return "unknown BLAS (not OpenBLAS)";
}

Timing run_torch(const Data& d, const Config& c, int blas_threads) {
  torch::manual_seed(0);
  torch::set_num_threads(c.threads);
  set_blas_threads(blas_threads);

  torch::nn::Sequential model(torch::nn::Linear(kIn, kH1), torch::nn::ReLU(), torch::nn::Linear(kH1, kH2),
                              torch::nn::ReLU(), torch::nn::Linear(kH2, kOut));
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));

  // Batches are prepared before timing (as for every library).
  const auto n_batches = static_cast<int>(d.n / static_cast<std::size_t>(c.batch));
  std::vector<torch::Tensor> xs, ys;
  for (int b = 0; b < n_batches; ++b) {
    const std::size_t lo = static_cast<std::size_t>(b) * static_cast<std::size_t>(c.batch);
    xs.push_back(torch::from_blob(const_cast<float*>(d.X.data() + lo * kIn), {c.batch, kIn}, torch::kFloat32).clone());
    std::vector<std::int64_t> yb(d.y.begin() + static_cast<long>(lo), d.y.begin() + static_cast<long>(lo) + c.batch);
    ys.push_back(torch::tensor(yb, torch::kInt64));
  }

  Timing t;
  auto step = [&](int s) {
    const int b = s % n_batches;
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(xs[static_cast<std::size_t>(b)]),
                                                     ys[static_cast<std::size_t>(b)]);
    loss.backward();
    opt.step();
    return loss.item<float>();
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

  torch::NoGradGuard no_grad;
  model->eval();
  auto one = torch::from_blob(const_cast<float*>(d.X.data()), {1, kIn}, torch::kFloat32).clone();
  volatile float sink = 0;
  for (int r = 0; r < 20; ++r) sink = sink + model->forward(one)[0][0].item<float>();
  for (int r = 0; r < c.infer_reps; ++r) {
    const auto t0 = Clock::now();
    auto out = model->forward(one);
    sink = sink + out.data_ptr<float>()[0];
    t.infer_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return t;
}

}  // namespace mlp_compare

// LibTorch half of the CNN comparison (built only when find_package(Torch) succeeds).
#include "cnn_compare.hpp"

#include <torch/torch.h>

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace cnn_compare {
namespace {

using Clock = std::chrono::steady_clock;

// LibTorch's GEMMs (the linear layers) go to the system BLAS; its thread count is set through
// OpenBLAS's own entry point, looked up at run time so any BLAS still links.
void set_blas_threads(int n) {
  using Fn = void (*)(int);
  if (auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
}

torch::Tensor batch_of(const std::vector<float>& X, const std::vector<std::size_t>& idx) {
  auto t = torch::empty({static_cast<long>(idx.size()), 1, kSide, kSide}, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (std::size_t i = 0; i < idx.size(); ++i) std::copy_n(X.data() + idx[i] * kPixels, kPixels, p + i * kPixels);
  return t;
}

}  // namespace

std::string torch_info() {
  std::string s = "LibTorch " + std::string(TORCH_VERSION) + ", oneDNN (mkldnn) " +
                  (torch::globalContext().userEnabledMkldnn() ? "enabled" : "disabled");
  using Fn = char* (*)();
  if (auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) s += ", OpenBLAS " + std::string(fn());
  return s;
}

Result run_torch(const Data& d, const Config& c) {
  torch::manual_seed(c.seed);
  torch::set_num_threads(c.threads);
  set_blas_threads(1);
  torch::nn::Sequential model(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3).padding(1)), torch::nn::ReLU(),
      torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)),
      torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).padding(1)), torch::nn::ReLU(),
      torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)), torch::nn::Flatten(), torch::nn::Linear(3136, 128),
      torch::nn::ReLU(), torch::nn::Linear(128, kClasses));
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
  const std::size_t n_batches = c.batches ? c.batches : (d.n_train + c.batch - 1) / c.batch;

  Result r;
  const auto t0 = Clock::now();
  const double cpu0 = process_cpu_seconds();
  for (std::size_t b = 0; b < n_batches; ++b) {
    const std::size_t lo = (b * c.batch) % d.n_train, hi = std::min(d.n_train, lo + c.batch);
    std::vector<std::size_t> idx(d.order.begin() + static_cast<long>(lo), d.order.begin() + static_cast<long>(hi));
    std::vector<std::int64_t> yb;
    for (std::size_t i : idx) yb.push_back(d.y_train[i]);
    const auto x = batch_of(d.X_train, idx);
    const auto y = torch::tensor(yb, torch::kInt64);
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    const double l = loss.item<double>();
    if (b == 0) r.first_loss = l;
    r.last_loss = l;
  }
  r.epoch_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.epoch_cpu_seconds = process_cpu_seconds() - cpu0;

  torch::NoGradGuard no_grad;
  model->eval();
  std::size_t correct = 0;
  for (std::size_t lo = 0; lo < d.n_test; lo += 1000) {
    const std::size_t hi = std::min(d.n_test, lo + 1000);
    std::vector<std::size_t> idx;
    for (std::size_t i = lo; i < hi; ++i) idx.push_back(i);
    const auto pred = model->forward(batch_of(d.X_test, idx)).argmax(1);
    const auto* p = pred.data_ptr<std::int64_t>();
    for (std::size_t i = lo; i < hi; ++i) correct += p[i - lo] == d.y_test[i];
  }
  r.test_accuracy = static_cast<double>(correct) / static_cast<double>(d.n_test);
  const auto one = batch_of(d.X_test, {0});
  volatile float sink = 0;
  for (int i = 0; i < 20; ++i) sink = sink + model->forward(one)[0][0].item<float>();
  for (int i = 0; i < c.infer_reps; ++i) {
    const auto s0 = Clock::now();
    const auto out = model->forward(one);
    sink = sink + out.data_ptr<float>()[0];
    r.infer_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s0).count());
  }
  return r;
}

}  // namespace cnn_compare

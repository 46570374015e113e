// tiny-dnn half of the MLP comparison (built only when tiny-dnn and the headers it needs,
// cereal, gemmlowp and stb, are found). Compiled with CNN_SINGLE_THREAD: its default 2-thread
// mode was slower on these machines (see shared/PEERS.md), so this is its best configuration.
#include "mlp_compare.hpp"

#include <tiny_dnn/tiny_dnn.h>

#include <chrono>
#include <vector>

namespace mlp_compare {

Timing run_tinydnn(const Data& d, const Config& c) {
  using namespace tiny_dnn;
  using namespace tiny_dnn::activation;
  using Clock = std::chrono::steady_clock;

  network<sequential> net;
  net << fully_connected_layer<relu>(kIn, kH1) << fully_connected_layer<relu>(kH1, kH2)
      << fully_connected_layer<softmax>(kH2, kOut);
  adam opt;  // alpha 1e-3, b1 0.9, b2 0.999, eps 1e-8 (inside the sqrt in this version)

  const auto n_batches = static_cast<int>(d.n / static_cast<std::size_t>(c.batch));
  const int total = c.warmup + c.steps;
  // One epoch of `total` batches; batch k uses data batch k % n_batches.
  std::vector<vec_t> inputs;
  std::vector<label_t> labels;
  for (int s = 0; s < total; ++s) {
    const std::size_t lo = static_cast<std::size_t>(s % n_batches) * static_cast<std::size_t>(c.batch);
    for (int i = 0; i < c.batch; ++i) {
      const float* row = d.X.data() + (lo + static_cast<std::size_t>(i)) * kIn;
      inputs.emplace_back(row, row + kIn);
      labels.push_back(static_cast<label_t>(d.y[lo + static_cast<std::size_t>(i)]));
    }
  }

  auto one_hot = [&](std::size_t from) {
    std::vector<vec_t> in(inputs.begin() + static_cast<long>(from), inputs.begin() + static_cast<long>(from) + c.batch);
    std::vector<vec_t> target;
    for (int i = 0; i < c.batch; ++i) {
      vec_t v(kOut, 0.0f);
      v[labels[from + static_cast<std::size_t>(i)]] = 1.0f;
      target.push_back(v);
    }
    return std::make_pair(in, target);
  };

  Timing t;
  net.init_weight();
  {
    auto [in, target] = one_hot(0);
    t.first_loss = net.get_loss<cross_entropy_multiclass>(in, target) / static_cast<float>(c.batch);
  }
  int batch_index = 0;
  auto last = Clock::now();
  auto on_batch = [&] {
    const auto now = Clock::now();
    if (batch_index >= c.warmup) t.step_ms.push_back(std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
    ++batch_index;
  };
  auto on_epoch = [] {};
  last = Clock::now();
  net.train<cross_entropy_multiclass>(opt, inputs, labels, static_cast<size_t>(c.batch), 1, on_batch, on_epoch,
                                      /*reset_weights=*/false, /*n_threads=*/1);

  {
    auto [in, target] = one_hot(inputs.size() - static_cast<std::size_t>(c.batch));
    t.last_loss = net.get_loss<cross_entropy_multiclass>(in, target) / static_cast<float>(c.batch);
  }

  const vec_t one = inputs[0];
  volatile float sink = 0;
  for (int r = 0; r < 20; ++r) sink = sink + net.predict(one)[0];
  for (int r = 0; r < c.infer_reps; ++r) {
    const auto t0 = Clock::now();
    const vec_t out = net.predict(one);
    sink = sink + out[0];
    t.infer_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return t;
}

}  // namespace mlp_compare

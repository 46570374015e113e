// Fuzzes nn::load into a fixed small MLP (the layout of the seed corpus). Either the load succeeds
// and the module computes a forward pass of the right shape, or a FormatError leaves the
// module's parameters bitwise unchanged.
#include <grove/nn.hpp>

#include "fuzz_support.hpp"

#include <cstdint>
#include <vector>

namespace {

grove::nn::Sequential<float> make_model() {
  grove::Rng rng(7);
  return grove::nn::Sequential<float>{grove::nn::Linear<float>(4, 8, rng), grove::nn::ReLU(),
                                      grove::nn::LayerNorm<float>(8), grove::nn::Linear<float>(8, 3, rng)};
}

std::vector<std::vector<float>> snapshot(const grove::nn::Module<float>& m) {
  std::vector<std::vector<float>> v;
  for (const auto& [name, p] : m.named_parameters()) v.push_back(p.to_vector());
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = grove_fuzz::write_input(data, size, ".nn");
  auto model = make_model();
  const auto before = snapshot(model);
  try {
    grove::nn::load(model, path);
    grove::NoGradGuard no_grad;
    const auto y = model.forward(grove::Tensor<float>::ones({2, 4}));
    if (y.shape()[0] != 2 || y.shape()[1] != 3) __builtin_trap();
  } catch (const grove::Error&) {
    if (snapshot(model) != before) __builtin_trap();  // a failed load must not touch the module
  }
  return 0;
}

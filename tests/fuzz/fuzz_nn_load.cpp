// Fuzzes nn::load into a fixed small MLP (the layout of the seed corpus). Either the load succeeds
// and the module computes a forward pass of the right shape, or an Error leaves the module's
// parameters bitwise unchanged. Mutation is structure-aware (container_mutator.hpp): the payload's
// counts, names, dtypes, extents and values are changed one at a time and the checksum is
// recomputed, so mutated files reach nn::load's own checks instead of stopping at the checksum.
#include <grove/nn.hpp>

#include "container_mutator.hpp"
#include "fuzz_support.hpp"

#include <cstdint>
#include <span>
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

// The nn payload (nn/serialize.hpp): u64 count; per parameter: u64 name length, name bytes,
// u8 dtype, u32 ndim, ndim x u64 extents, u64 element count, values.
std::vector<grove_fuzz::Field> nn_fields(std::span<const std::uint8_t> payload) {
  grove_fuzz::FieldWalker w(payload);
  const auto count = w.field<std::uint64_t>();
  for (std::uint64_t e = 0; count && e < *count && w.ok(); ++e) {
    const auto name_len = w.field<std::uint64_t>();
    if (!name_len) break;
    w.skip(*name_len);
    const auto dtype = w.field<std::uint8_t>();
    const auto ndim = w.field<std::uint32_t>();
    for (std::uint32_t d = 0; ndim && d < *ndim && d < 8 && w.ok(); ++d) w.field<std::uint64_t>();
    const auto n = w.field<std::uint64_t>();
    if (!n) break;
    if (dtype && *dtype == 2)
      w.array<double>(*n);
    else
      w.array<float>(*n);
  }
  return w.fields();
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return grove_fuzz::mutate_container(data, size, max_size, seed, nn_fields);
}

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

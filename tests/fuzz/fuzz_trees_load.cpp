// Fuzzes every tree model kind's load(). Byte 0 picks the kind. Then either
//  - "P" and patches (offset: 2 bytes, width: 1 byte, value: width bytes) applied to the payload
//    of a valid model of that kind trained at start-up (structure-aware: fields change, the
//    container stays valid), or
//  - a whole model file.
// Either way the payload size and checksum are recomputed before loading, so mutations reach the
// model validator rather than stopping at the checksum. A model that loads must predict finite
// values, and predict() must equal predict_row() bit for bit on probe rows (with NaN too).
#include <grove/trees.hpp>

#include "fuzz_support.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace grove;
using namespace grove::trees;

// Sets the header's payload size and the trailing checksum to match the bytes.
void repair_container(std::vector<std::uint8_t>& b) {
  if (b.size() < 36) return;
  std::uint32_t kind_len = 0;
  std::memcpy(&kind_len, b.data() + 12, 4);
  const std::size_t header_end = 16 + static_cast<std::size_t>(kind_len) + 4 + 8;
  if (kind_len <= 256 && b.size() >= header_end + 8) {
    const std::uint64_t payload = b.size() - header_end - 8;
    std::memcpy(b.data() + header_end - 8, &payload, 8);
  }
  const std::uint64_t sum = io::fnv1a64(b.data(), b.size() - 8);
  std::memcpy(b.data() + b.size() - 8, &sum, 8);
}

template <class M>
std::vector<std::uint8_t> seed_model() {
  const std::size_t n = 64, d = 3;
  Rng rng(7);
  std::vector<float> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < d; ++f)
      x[i * d + f] = rng.uniform() < 0.1 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(rng.normal());
    y[i] = static_cast<float>(i % 3);
  }
  M m;
  if constexpr (requires { m.params().max_depth; }) {
    auto p = m.params();
    p.n_estimators = p.n_estimators > 1 ? 3 : 1;
    p.max_depth = 3;
    m = M(p);
  }
  m.fit(Tensor<float>::from_vector(x, Shape{n, d}), Tensor<float>::from_vector(y, Shape{n}));
  const std::string path = grove_fuzz::write_input(nullptr, 0, ".seed");
  m.save(path);
  std::ifstream f(path, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Patches: offset into the payload (2 bytes), width (1 byte: 1, 2, 4 or 8), value bytes.
std::vector<std::uint8_t> patched(std::vector<std::uint8_t> b, const std::uint8_t* p, std::size_t n) {
  // Magic (8), format version (4), kind length (4), kind, kind version (4), payload size (8).
  std::uint32_t kind_len = 0;
  std::memcpy(&kind_len, b.data() + 12, 4);
  const std::size_t begin = 16 + kind_len + 12, end = b.size() - 8;
  for (std::size_t i = 0; i + 3 <= n;) {
    const std::size_t off = begin + (static_cast<std::size_t>(p[i]) | static_cast<std::size_t>(p[i + 1]) << 8) % (end - begin);
    const std::size_t width = std::size_t{1} << (p[i + 2] % 4);
    i += 3;
    for (std::size_t k = 0; k < width && i < n && off + k < end; ++k) b[off + k] = p[i++];
  }
  return b;
}

template <class T>
bool same_bits(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
  return a == b;
}

template <class M>
void check_model(const M& m) {
  const std::size_t d = m.n_features();
  if (d > 4096) return;  // a valid but huge model: loading it was the test
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float probes[] = {0.0f, 0.5f, -1.0f, 3.0f, nan, 1e30f};
  const std::size_t rows = std::size(probes);
  std::vector<float> x(rows * d);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t f = 0; f < d; ++f) x[i * d + f] = probes[(i + f) % rows];
  const auto X = Tensor<float>::from_vector(x, Shape{rows, d});
  const auto p = m.predict(X).to_vector();
  for (std::size_t i = 0; i < rows; ++i) {
    const std::span<const float> row(x.data() + i * d, d);
    if (!same_bits(p[i], m.predict_row(row))) __builtin_trap();
    if constexpr (std::is_floating_point_v<decltype(p[i])>)
      if (!std::isfinite(p[i])) __builtin_trap();
  }
  if constexpr (M::kClassifier) {
    const auto proba = m.predict_proba(X).to_vector();
    std::vector<float> out(m.n_classes());
    for (std::size_t i = 0; i < rows; ++i) {
      m.predict_proba_row(std::span<const float>(x.data() + i * d, d), out);
      for (std::size_t c = 0; c < out.size(); ++c)
        if (!same_bits(out[c], proba[i * out.size() + c]) || !std::isfinite(out[c])) __builtin_trap();
    }
  }
}

template <class M>
void try_load(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::uint8_t> seed = seed_model<M>();
  std::vector<std::uint8_t> bytes = size > 0 && data[0] == 'P' ? patched(seed, data + 1, size - 1)
                                                               : std::vector<std::uint8_t>(data, data + size);
  repair_container(bytes);
  const std::string path = grove_fuzz::write_input(bytes.data(), bytes.size(), ".tree");
  try {
    check_model(M::load(path));
  } catch (const grove::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  switch (data[0] % 6) {
    case 0: try_load<DecisionTreeClassifier>(data + 1, size - 1); break;
    case 1: try_load<DecisionTreeRegressor>(data + 1, size - 1); break;
    case 2: try_load<RandomForestClassifier>(data + 1, size - 1); break;
    case 3: try_load<RandomForestRegressor>(data + 1, size - 1); break;
    case 4: try_load<GradientBoostingClassifier>(data + 1, size - 1); break;
    default: try_load<GradientBoostingRegressor>(data + 1, size - 1); break;
  }
  return 0;
}

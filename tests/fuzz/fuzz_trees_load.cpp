// Fuzzes every tree model kind's load(). Byte 0 picks the kind. Then either
//  - "P" and patches (offset: 2 bytes, width: 1 byte, value: width bytes) applied to the payload
//    of a valid model of that kind trained at start-up (structure-aware: fields change, the
//    container stays valid), or
//  - a whole model file, mutated field by field by the custom mutator (container_mutator.hpp with
//    a walker that names the tree payload's fields: params, schema counts, engine numbers, node
//    indices, thresholds, leaf values).
// Either way the payload size and checksum are recomputed before loading, so mutations reach the
// model validator rather than stopping at the checksum. A model that loads must predict finite
// values, and predict() must equal predict_row() bit for bit on probe rows (with NaN too); one
// with node covers must give finite contributions.
#include <grove/trees.hpp>

#include "container_mutator.hpp"
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
  // A loaded model with covers can be explained: finite contributions, no crash.
  bool covered = true;
  for (const Tree& t : m.trees()) covered = covered && t.cover.size() == t.nodes.size();
  if (covered)
    for (double c : m.predict_contributions(X).to_vector())
      if (!std::isfinite(c)) __builtin_trap();
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

// The kind the custom mutator's field walker reads (set before each mutation).
int g_kind = 0;

void walk_string(grove_fuzz::FieldWalker& w) {
  if (const auto n = w.field<std::uint64_t>()) w.skip(*n);
}

// Kind version 3 payload: named params, schema, engine state (Forest or Booster), trees.
std::vector<grove_fuzz::Field> tree_fields(std::span<const std::uint8_t> payload) {
  grove_fuzz::FieldWalker w(payload);
  const auto params = w.field<std::uint64_t>();
  for (std::uint64_t i = 0; params && i < *params && i < 64 && w.ok(); ++i) {
    walk_string(w);
    const auto bytes = w.field<std::uint64_t>();
    if (!bytes) break;
    if (*bytes == 8)
      w.field<double>();  // doubles and 64-bit integers alike: both sets of edge values get tried
    else if (*bytes == 4)
      w.field<std::uint32_t>();
    else
      w.skip(*bytes);
  }
  const auto columns = w.field<std::uint64_t>();
  for (std::uint64_t i = 0; columns && i < *columns && i < 64 && w.ok(); ++i) {
    walk_string(w);
    w.field<std::uint8_t>();
    const auto cats = w.field<std::uint64_t>();
    for (std::uint64_t c = 0; cats && c < *cats && c < 64 && w.ok(); ++c) walk_string(w);
  }
  walk_string(w);
  w.field<std::uint8_t>();
  const auto classes = w.field<std::uint64_t>();
  for (std::uint64_t c = 0; classes && c < *classes && c < 64 && w.ok(); ++c) walk_string(w);
  if (g_kind % 6 >= 4) {  // Booster: classes, features, outputs, loss, base scores, gains
    for (int i = 0; i < 3; ++i) w.field<std::uint64_t>();
    w.field<std::uint32_t>();
    for (int i = 0; i < 2; ++i)
      if (const auto n = w.field<std::uint64_t>()) w.array<double>(*n);
  } else {  // Forest: features, classes, importances, OOB score
    w.field<std::uint64_t>();
    w.field<std::uint64_t>();
    if (const auto n = w.field<std::uint64_t>()) w.array<double>(*n);
    w.field<double>();
  }
  const auto trees = w.field<std::uint64_t>();
  for (std::uint64_t t = 0; trees && t < *trees && t < 16 && w.ok(); ++t) {
    w.field<std::uint64_t>();
    const auto nodes = w.field<std::uint64_t>();
    if (!nodes) break;
    for (std::uint64_t i = 0; i < *nodes && w.ok(); ++i) {
      if (i < 8) {  // feature | flags, threshold, left, right
        w.field<std::uint32_t>();
        w.field<float>();
        w.field<std::int32_t>();
        w.field<std::int32_t>();
      } else {
        w.skip(16);
      }
    }
    if (const auto n = w.field<std::uint64_t>()) w.array<float>(*n, 8);
    if (const auto n = w.field<std::uint64_t>()) w.array<std::uint32_t>(*n, 8);
    if (const auto n = w.field<std::uint64_t>()) w.array<float>(*n, 8);  // covers
  }
  return w.fields();
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  if (size < 2 || max_size < 2 || data[1] == 'P') return LLVMFuzzerMutate(data, size, max_size);
  g_kind = data[0];
  return 1 + grove_fuzz::mutate_container(data + 1, size - 1, max_size - 1, seed, tree_fields);
}

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

#pragma once
// Structure-aware mutation of grove's binary container (io/binary.hpp) for libFuzzer targets.
//
// Byte-level mutation almost never gets past the container's checksum, so a plain fuzzer only
// tests the checksum. This helper parses the input as a container, mutates one thing (a payload
// field the target names, any aligned payload word, the payload bytes, or a header field), and
// re-serializes it with a recomputed checksum, so the mutated file reaches the model loader.
//
// Use in a fuzz target:
//   #include "container_mutator.hpp"
//   // Optional: name the payload's fields by walking it with FieldWalker (see below).
//   std::vector<grove_fuzz::Field> my_fields(std::span<const std::uint8_t> payload) {
//     grove_fuzz::FieldWalker w(payload);
//     const auto n = w.field<std::uint64_t>();          // a count
//     for (std::uint64_t i = 0; n && i < *n && w.ok(); ++i) w.field<float>();
//     return w.fields();
//   }
//   extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
//                                                  std::size_t max_size, unsigned int seed) {
//     return grove_fuzz::mutate_container(data, size, max_size, seed, my_fields);
//   }

#include <grove/io/binary.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

// libFuzzer's own byte-level mutator (defined by -fsanitize=fuzzer; a test defines its own).
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace grove_fuzz {

/// The parts of a container; parse_container ignores the stored checksum.
struct Container {
  std::uint32_t format_version = grove::io::kFormatVersion;
  std::string kind;
  std::uint32_t kind_version = 1;
  std::vector<std::uint8_t> payload;
};

/// Splits bytes into a Container, or nullopt when they are not laid out as one (checksum unchecked).
inline std::optional<Container> parse_container(std::span<const std::uint8_t> b) {
  constexpr std::size_t kHeadBytes = sizeof grove::io::kMagic + 8;
  if (b.size() < kHeadBytes || std::memcmp(b.data(), grove::io::kMagic, sizeof grove::io::kMagic) != 0)
    return std::nullopt;
  Container c;
  std::size_t at = sizeof grove::io::kMagic;
  const auto get = [&](void* out, std::size_t n) {
    if (b.size() - at < n) return false;
    std::memcpy(out, b.data() + at, n);
    at += n;
    return true;
  };
  std::uint32_t kind_len = 0;
  if (!get(&c.format_version, 4) || !get(&kind_len, 4) || kind_len > 256 || b.size() - at < kind_len)
    return std::nullopt;
  c.kind.assign(reinterpret_cast<const char*>(b.data() + at), kind_len);
  at += kind_len;
  std::uint64_t payload_size = 0;
  if (!get(&c.kind_version, 4) || !get(&payload_size, 8) || b.size() - at < 8 || payload_size != b.size() - at - 8)
    return std::nullopt;
  c.payload.assign(b.data() + at, b.data() + at + payload_size);
  return c;
}

/// The container's bytes with a freshly computed checksum.
inline std::vector<std::uint8_t> serialize_container(const Container& c) {
  const auto kind_len = static_cast<std::uint32_t>(c.kind.size());
  const auto payload_size = static_cast<std::uint64_t>(c.payload.size());
  std::vector<std::uint8_t> out(sizeof grove::io::kMagic + 20 + c.kind.size() + c.payload.size() + 8);
  std::size_t at = 0;
  const auto put = [&](const void* p, std::size_t n) {
    if (n) std::memcpy(out.data() + at, p, n);
    at += n;
  };
  put(grove::io::kMagic, sizeof grove::io::kMagic);
  put(&c.format_version, 4);
  put(&kind_len, 4);
  put(c.kind.data(), c.kind.size());
  put(&c.kind_version, 4);
  put(&payload_size, 8);
  put(c.payload.data(), c.payload.size());
  const std::uint64_t sum = grove::io::fnv1a64(out.data(), at);
  put(&sum, 8);
  return out;
}

/// A payload field: `width` bytes at `offset`, an integer or (floating) an IEEE value.
struct Field {
  std::size_t offset = 0;
  std::uint8_t width = 0;
  bool floating = false;
};

/// Walks a payload the way its loader reads it and records each field it passes, so the mutator
/// can hit counts, dimensions and values exactly. Reads past the end stop the walk (ok() false).
class FieldWalker {
public:
  explicit FieldWalker(std::span<const std::uint8_t> payload) : p_(payload) {}

  /// Records a field of type T at the cursor and returns its value (nullopt past the end).
  template <class T>
  std::optional<T> field() {
    static_assert(std::is_arithmetic_v<T>);
    if (!ok_ || p_.size() - at_ < sizeof(T)) {
      ok_ = false;
      return std::nullopt;
    }
    T v;
    std::memcpy(&v, p_.data() + at_, sizeof(T));
    fields_.push_back({at_, static_cast<std::uint8_t>(sizeof(T)), std::is_floating_point_v<T>});
    at_ += sizeof(T);
    return v;
  }

  /// Records up to `keep` leading elements of an array of n values of type T and skips the rest.
  template <class T>
  void array(std::uint64_t n, std::size_t keep = 4) {
    std::uint64_t i = 0;
    for (; i < n && i < keep && ok_; ++i) field<T>();
    if (!ok_ || i == n) return;
    if (n - i > (p_.size() - at_) / sizeof(T)) {
      ok_ = false;
      return;
    }
    at_ += static_cast<std::size_t>(n - i) * sizeof(T);
  }

  /// Skips n raw bytes (a string's characters).
  void skip(std::uint64_t n) {
    if (!ok_ || n > p_.size() - at_) {
      ok_ = false;
      return;
    }
    at_ += static_cast<std::size_t>(n);
  }

  bool ok() const noexcept { return ok_; }
  const std::vector<Field>& fields() const noexcept { return fields_; }

private:
  std::span<const std::uint8_t> p_;
  std::size_t at_ = 0;
  bool ok_ = true;
  std::vector<Field> fields_;
};

using FieldLister = std::vector<Field> (*)(std::span<const std::uint8_t> payload);

namespace detail {

/// Small deterministic generator (SplitMix64) so a seed reproduces a mutation.
struct Random {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n ? static_cast<std::size_t>(next() % n) : 0; }
};

/// Values that break loaders: bounds, overflow edges, off-by-one of the current value.
inline std::uint64_t interesting_integer(Random& r, std::uint64_t current, unsigned width) {
  const std::uint64_t max = width >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * width)) - 1;
  const std::uint64_t picks[] = {0,
                                 1,
                                 2,
                                 current + 1,
                                 current - 1,
                                 current * 2,
                                 max,
                                 max - 1,
                                 max / 2 + 1,  // 2^(bits-1)
                                 max / 2 + 2,  // 2^(bits-1) + 1: overflows when doubled
                                 std::uint64_t{1} << 31,
                                 std::uint64_t{1} << 32,
                                 std::uint64_t{65535},
                                 std::uint64_t{65536},
                                 r.next() % 4096,
                                 r.next()};
  return picks[r.below(std::size(picks))] & max;
}

template <class F>
F interesting_float(Random& r, F current) {
  using L = std::numeric_limits<F>;
  const F picks[] = {L::quiet_NaN(), L::infinity(), -L::infinity(), F(0), -F(0), L::denorm_min(), L::max(),
                     L::lowest(),    F(1e30),       F(-1),          current * F(-1), current * F(1e20)};
  return picks[r.below(std::size(picks))];
}

inline void mutate_field(Random& r, std::vector<std::uint8_t>& p, const Field& f) {
  if (f.offset + f.width > p.size()) return;
  std::uint8_t* at = p.data() + f.offset;
  if (f.floating && f.width == 4) {
    float v;
    std::memcpy(&v, at, 4);
    v = interesting_float(r, v);
    std::memcpy(at, &v, 4);
  } else if (f.floating && f.width == 8) {
    double v;
    std::memcpy(&v, at, 8);
    v = interesting_float(r, v);
    std::memcpy(at, &v, 8);
  } else {
    std::uint64_t v = 0;
    std::memcpy(&v, at, f.width);
    v = interesting_integer(r, v, f.width);
    std::memcpy(at, &v, f.width);
  }
}

}  // namespace detail

/// One structure-aware mutation of data[0, size) in place; returns the new size (<= max_size).
/// Inputs that do not parse as a container get libFuzzer's byte mutation. Strategies, by weight:
/// a field named by `lister` (3), any aligned payload word (2), payload bytes via libFuzzer (2),
/// a header field (1). About one in 16 outputs keeps a stale checksum so that path stays covered.
inline std::size_t mutate_container(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned int seed,
                                    FieldLister lister = nullptr) {
  detail::Random r{seed * 0x100000001B3ULL + size};
  std::optional<Container> c = parse_container({data, size});
  if (!c) return LLVMFuzzerMutate(data, size, max_size);
  std::vector<std::uint8_t>& p = c->payload;
  std::vector<Field> fields;
  if (lister) fields = lister(p);
  const std::size_t pick = r.below(8);
  if (pick < 3 && !fields.empty()) {
    detail::mutate_field(r, p, fields[r.below(fields.size())]);
  } else if (pick < 5 && p.size() >= 4) {
    const std::uint8_t width = p.size() >= 8 && r.below(2) ? 8 : 4;
    const Field f{r.below(p.size() / width) * width, width, r.below(3) == 0};
    detail::mutate_field(r, p, f);
  } else if (pick < 7) {
    const std::size_t old = p.size();
    p.resize(old + 64);
    p.resize(LLVMFuzzerMutate(p.data(), old, p.size()));
  } else {
    switch (r.below(3)) {
      case 0: c->kind_version = static_cast<std::uint32_t>(detail::interesting_integer(r, c->kind_version, 4)); break;
      case 1: c->format_version = static_cast<std::uint32_t>(detail::interesting_integer(r, c->format_version, 4)); break;
      default:
        if (!c->kind.empty()) c->kind[r.below(c->kind.size())] ^= static_cast<char>(1 + r.below(255));
    }
  }
  std::vector<std::uint8_t> out = serialize_container(*c);
  if (r.below(16) == 0) out[out.size() - 1 - r.below(8)] ^= 0x5A;  // stale checksum
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

}  // namespace grove_fuzz

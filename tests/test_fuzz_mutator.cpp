// The fuzzers' structure-aware container mutator (tests/fuzz/container_mutator.hpp): it must
// round-trip containers, find the fields a walker names, and produce files that pass the
// checksum so mutations reach the loaders.
#include "fuzz/container_mutator.hpp"

#include <grove/io/binary.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

// libFuzzer's byte mutator is not linked into unit tests: flip one byte instead.
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size) {
  if (size == 0 && max_size > 0) {
    data[0] = 1;
    return 1;
  }
  data[size / 2] ^= 0x21;
  return size;
}

namespace {

std::vector<std::uint8_t> sample_container() {
  grove::io::BinaryWriter w;
  w.write<std::uint64_t>(3);
  w.write<float>(1.5f);
  w.write<float>(-2.0f);
  w.write<float>(4.0f);
  w.write<std::uint32_t>(7);
  const auto bytes = w.finish("grove.test.Mutator", 2);
  return {bytes.begin(), bytes.end()};
}

std::vector<grove_fuzz::Field> sample_fields(std::span<const std::uint8_t> payload) {
  grove_fuzz::FieldWalker w(payload);
  if (const auto n = w.field<std::uint64_t>()) w.array<float>(*n, 2);
  w.field<std::uint32_t>();
  return w.fields();
}

bool checksum_ok(const std::vector<std::uint8_t>& b) {
  std::uint64_t stored = 0;
  std::memcpy(&stored, b.data() + b.size() - 8, 8);
  return grove::io::fnv1a64(b.data(), b.size() - 8) == stored;
}

}  // namespace

TEST_CASE("container mutator: parse and serialize round-trip a container") {
  const auto bytes = sample_container();
  const auto c = grove_fuzz::parse_container(bytes);
  REQUIRE(c);
  CHECK(c->kind == "grove.test.Mutator");
  CHECK(c->kind_version == 2);
  CHECK(c->payload.size() == 8 + 12 + 4);
  CHECK(grove_fuzz::serialize_container(*c) == bytes);
  CHECK_FALSE(grove_fuzz::parse_container(std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 1)));
  CHECK_FALSE(grove_fuzz::parse_container(std::vector<std::uint8_t>{'x', 'y'}));
}

TEST_CASE("container mutator: FieldWalker records the fields a loader reads, in order") {
  const auto c = grove_fuzz::parse_container(sample_container());
  const auto fields = sample_fields(c->payload);
  REQUIRE(fields.size() == 4);  // count, first two floats (the third skipped), the u32
  CHECK(fields[0].offset == 0);
  CHECK(fields[0].width == 8);
  CHECK(fields[1].offset == 8);
  CHECK(fields[1].floating);
  CHECK(fields[2].offset == 12);
  CHECK(fields[3].offset == 20);
  CHECK(fields[3].width == 4);
  CHECK_FALSE(fields[3].floating);
  // A count larger than the bytes present stops the walk instead of reading past the end.
  auto p = c->payload;
  const std::uint64_t huge = std::uint64_t{1} << 62;
  std::memcpy(p.data(), &huge, 8);
  grove_fuzz::FieldWalker w(p);
  w.array<float>(*w.field<std::uint64_t>(), 2);
  CHECK_FALSE(w.ok());
}

TEST_CASE("container mutator: mutated files mostly keep a valid checksum and differ from the input") {
  const auto seed_bytes = sample_container();
  int valid = 0, changed = 0;
  std::set<std::vector<std::uint8_t>> distinct;
  for (unsigned s = 0; s < 400; ++s) {
    std::vector<std::uint8_t> buf(seed_bytes);
    buf.resize(seed_bytes.size() + 256);
    const std::size_t n = grove_fuzz::mutate_container(buf.data(), seed_bytes.size(), buf.size(), s, sample_fields);
    buf.resize(n);
    valid += checksum_ok(buf);
    changed += buf != seed_bytes;
    distinct.insert(buf);
  }
  CHECK(valid >= 340);  // all but the ~1 in 16 kept stale on purpose
  CHECK(valid < 400);
  CHECK(changed >= 390);
  CHECK(distinct.size() >= 40);
}

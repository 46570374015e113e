// Fuzzes grove's binary container reader: any byte string is either a valid container or a
// FormatError; never a crash, leak or huge allocation. The structure-aware mutator keeps most
// inputs past the checksum, so the payload readers (string, array, value) are exercised too.
#include <grove/io/binary.hpp>

#include "container_mutator.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace {

// The payload this target reads: a string (u64 length + bytes), a float array, a u32.
std::vector<grove_fuzz::Field> fields(std::span<const std::uint8_t> payload) {
  grove_fuzz::FieldWalker w(payload);
  if (const auto len = w.field<std::uint64_t>()) w.skip(*len);
  if (const auto n = w.field<std::uint64_t>()) w.array<float>(*n);
  w.field<std::uint32_t>();
  return w.fields();
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return grove_fuzz::mutate_container(data, size, max_size, seed, fields);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    grove::io::BinaryReader r(std::vector<unsigned char>(data, data + size), "fuzz", "grove.fuzz", 1);
    (void)r.read_string(1024);
    auto v = r.read_vector<float>();
    (void)r.read<std::uint32_t>();
    (void)v;
  } catch (const grove::FormatError&) {
  }
  return 0;
}

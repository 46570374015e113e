// Fuzzes grove's binary container reader: any byte string is either a valid container or a
// FormatError; never a crash, leak or huge allocation.
#include <grove/io/binary.hpp>

#include <cstdint>
#include <vector>

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

// Fuzzes load_idx: the input is split into an images file and a labels file (first byte: where).
// Either a Dataset with matching row counts comes back, or a FormatError.
#include <grove/data/idx.hpp>

#include "fuzz_support.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cut = 1 + (size > 1 ? data[0] % size : 0);
  const std::size_t split = cut < size ? cut : size;
  const std::string images = grove_fuzz::write_input(data + 1, split - 1, ".images");
  const std::string labels = grove_fuzz::write_input(data + split, size - split, ".labels");
  try {
    auto ds = grove::data::load_idx<float>(images, labels);
    if (ds.X.shape()[0] != ds.y.shape()[0]) __builtin_trap();
  } catch (const grove::Error&) {
  }
  return 0;
}

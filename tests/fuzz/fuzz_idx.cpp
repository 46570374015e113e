// Fuzzes load_idx: either a Dataset with matching row counts comes back, or a FormatError.
// Half the inputs are split into an images file and a labels file (first byte: where); the other
// half build the image header from the input (any count, including 0, and any dimensions up to
// 2^32-1) followed by whatever data the input holds, to reach the size checks directly.
#include <grove/core/check.hpp>
#include <grove/data/idx.hpp>

#include "fuzz_support.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

void put_u32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

std::uint32_t take_u32(const std::uint8_t*& p, const std::uint8_t* end) {
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v = (v << 8) | (p < end ? *p++ : 0u);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // Sizes the loader accepts must be allocatable inside libFuzzer's memory limits.
  static const std::size_t old_limit = grove::set_allocation_limit(std::size_t{64} << 20);
  (void)old_limit;
  std::string images, labels;
  if (data[0] & 1) {
    const std::uint8_t* p = data + 1;
    const std::uint8_t* end = data + size;
    std::vector<std::uint8_t> img, lab;
    const std::uint32_t n = (data[0] & 2) ? 0 : take_u32(p, end) % 4;  // often zero rows
    const std::uint32_t rows = take_u32(p, end), cols = take_u32(p, end);
    put_u32(img, 2051);
    put_u32(img, n);
    put_u32(img, (data[0] & 4) ? rows : rows % 64);
    put_u32(img, (data[0] & 8) ? cols : cols % 64);
    img.insert(img.end(), p, end);
    put_u32(lab, 2049);
    put_u32(lab, n);
    for (std::uint32_t i = 0; i < n; ++i) lab.push_back(static_cast<std::uint8_t>(i));
    images = grove_fuzz::write_input(img.data(), img.size(), ".images");
    labels = grove_fuzz::write_input(lab.data(), lab.size(), ".labels");
  } else {
    const std::size_t cut = 1 + (size > 1 ? data[0] % size : 0);
    const std::size_t split = cut < size ? cut : size;
    images = grove_fuzz::write_input(data + 1, split - 1, ".images");
    labels = grove_fuzz::write_input(data + split, size - split, ".labels");
  }
  try {
    auto ds = grove::data::load_idx<float>(images, labels);
    if (ds.X.shape()[0] != ds.y.shape()[0] || ds.X.shape()[1] != ds.feature_names.size()) __builtin_trap();
  } catch (const grove::Error&) {
  }
  return 0;
}

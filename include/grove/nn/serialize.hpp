#pragma once
/// \file nn::save / nn::load: a module's named parameters in grove's binary container
/// (kind "grove.nn.Module", version 1; magic, version and checksum come from io::BinaryWriter).
///
/// Payload: u64 count, then per parameter: string name, u8 dtype (1 = float32, 2 = float64),
/// u32 ndim, ndim x u64 extents, u64 element count, raw little-endian values.
/// load() checks everything (names, shapes, dtype, counts) before touching the module, so a
/// failed load leaves the module as it was.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grove/io/binary.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

inline constexpr const char* kModuleKind = "grove.nn.Module";
inline constexpr std::uint32_t kModuleKindVersion = 1;

namespace detail {

template <class T>
constexpr std::uint8_t dtype_code() {
  return std::is_same_v<T, float> ? 1 : 2;
}

inline const char* dtype_name(std::uint8_t code) {
  return code == 1 ? "float32" : code == 2 ? "float64" : "unknown";
}

}  // namespace detail

/// Writes the module's named parameters to `path` (atomically: a temporary file, then a rename).
template <class T>
void save(const Module<T>& module, const std::string& path) {
  io::BinaryWriter w;
  const auto params = module.named_parameters();
  w.write<std::uint64_t>(params.size());
  for (const auto& [name, p] : params) {
    w.write_string(name);
    w.write<std::uint8_t>(detail::dtype_code<T>());
    w.write<std::uint32_t>(static_cast<std::uint32_t>(p.dim()));
    for (std::size_t d = 0; d < p.dim(); ++d) w.write<std::uint64_t>(p.shape()[d]);
    const std::vector<T> values = p.to_vector();
    w.write_vector(values);
  }
  w.save(path, kModuleKind, kModuleKindVersion);
}

/// Reads parameters saved by nn::save into `module`. The file must hold exactly the module's
/// parameter names with the same shapes and element type; otherwise, and for truncated or
/// corrupted files or files of another kind, a FormatError names the path, byte offset and
/// problem, and the module is unchanged.
template <class T>
void load(Module<T>& module, const std::string& path) {
  io::BinaryReader r = io::BinaryReader::open(path, kModuleKind, kModuleKindVersion);
  auto params = module.named_parameters();
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < params.size(); ++i) index.emplace(params[i].first, i);

  std::vector<std::vector<T>> values(params.size());
  std::vector<bool> seen(params.size(), false);
  const auto count = r.read<std::uint64_t>();
  if (count > r.remaining()) r.fail("parameter count " + std::to_string(count) + " exceeds the bytes present");
  for (std::uint64_t e = 0; e < count; ++e) {
    const std::string name = r.read_string(4096);
    const auto it = index.find(name);
    if (it == index.end()) r.fail("the file has parameter '" + name + "' that the module does not have");
    const std::size_t i = it->second;
    if (seen[i]) r.fail("parameter '" + name + "' appears twice");
    seen[i] = true;
    const auto dtype = r.read<std::uint8_t>();
    if (dtype != detail::dtype_code<T>())
      r.fail("parameter '" + name + "' is " + detail::dtype_name(dtype) + " in the file but the module holds " +
             detail::dtype_name(detail::dtype_code<T>()));
    const auto ndim = r.read<std::uint32_t>();
    if (ndim > Shape::kMaxDims)
      r.fail("parameter '" + name + "' claims " + std::to_string(ndim) + " dimensions (at most " +
             std::to_string(Shape::kMaxDims) + ")");
    Shape shape;
    for (std::uint32_t d = 0; d < ndim; ++d) shape.push_back(static_cast<std::size_t>(r.read<std::uint64_t>()));
    const Shape& want = params[i].second.shape();
    if (!(shape == want))
      r.fail("parameter '" + name + "' has shape " + to_string(shape) + " in the file but " + to_string(want) +
             " in the module");
    values[i] = r.read_vector<T>(want.numel());
    if (values[i].size() != want.numel())
      r.fail("parameter '" + name + "' holds " + std::to_string(values[i].size()) + " values, its shape " +
             to_string(want) + " needs " + std::to_string(want.numel()));
  }
  r.expect_end();
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!seen[i]) r.fail("the module's parameter '" + params[i].first + "' is missing from the file");

  for (std::size_t i = 0; i < params.size(); ++i) {
    Tensor<T>& p = params[i].second;
    if (p.is_contiguous()) {
      std::memcpy(p.data(), values[i].data(), values[i].size() * sizeof(T));
    } else {
      // Parameters are contiguous leaves in every grove layer; a strided one is written per element.
      const Shape& s = p.shape();
      const Shape& st = p.strides();
      for (std::size_t k = 0; k < values[i].size(); ++k) {
        std::size_t rem = k, off = 0;
        for (std::size_t d = s.size(); d-- > 0;) {
          off += (rem % s[d]) * st[d];
          rem /= s[d];
        }
        p.data()[off] = values[i][k];
      }
    }
  }
}

}  // namespace grove::nn

#pragma once
/// \file nn::save / nn::load: a module's named parameters and buffers, and optionally the
/// data::Schema it was trained on, in grove's binary container (kind "grove.nn.Module"; magic,
/// version and checksum come from io::BinaryWriter).
///
/// Payload (kind version 2): u64 count, then per tensor (parameters, then buffers): string name,
/// u8 dtype (1 = float32, 2 = float64), u32 ndim, ndim x u64 extents, u64 element count, raw
/// little-endian values; then u8 has_schema (0 or 1) and, if 1, the schema (data::write_schema).
/// Version 1 files (no buffers, no schema) still load: their modules' buffers keep their values.
/// load() checks everything (names, shapes, dtype, counts, finite values) before touching the
/// module, so a failed load leaves the module as it was.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grove/core/format.hpp"
#include "grove/data/schema.hpp"
#include "grove/io/binary.hpp"
#include "grove/nn/module.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::nn {

inline constexpr const char* kModuleKind = "grove.nn.Module";
inline constexpr std::uint32_t kModuleKindVersion = 2;

/// Options of nn::save.
struct SaveOptions {
  data::Schema schema{};  ///< what the inputs mean (feature names, classes); empty: none stored
};

}  // namespace grove::nn

namespace grove::detail {

template <class T>
constexpr std::uint8_t dtype_code() {
  return std::is_same_v<T, float> ? 1 : 2;
}

inline const char* dtype_name(std::uint8_t code) {
  return code == 1 ? "float32" : code == 2 ? "float64" : "unknown";
}

/// Appends a module's parameters and buffers (count, then the entries) to a payload.
template <class T>
void write_module_tensors(io::BinaryWriter& w, const nn::Module<T>& module) {
  auto entries = module.named_parameters();
  for (auto& b : module.named_buffers()) entries.push_back(std::move(b));
  w.write<std::uint64_t>(entries.size());
  for (const auto& [name, p] : entries) {
    w.write_string(name);
    w.write<std::uint8_t>(dtype_code<T>());
    w.write<std::uint32_t>(static_cast<std::uint32_t>(p.dim()));
    for (std::size_t d = 0; d < p.dim(); ++d) w.write<std::uint64_t>(p.shape()[d]);
    w.write_vector(p.to_vector());
  }
}

/// Values read for a module, checked and ready to copy in (apply() cannot fail).
template <class T>
struct PendingTensors {
  std::vector<Tensor<T>> targets;
  std::vector<std::vector<T>> values;
  void apply() {
    for (std::size_t i = 0; i < targets.size(); ++i)
      std::copy(values[i].begin(), values[i].end(), targets[i].data());  // module tensors are contiguous
  }
};

/// Reads the entries write_module_tensors wrote and checks them against `module`: every
/// parameter must be present (and every buffer when `need_buffers`), names known, shapes and
/// dtype equal, values finite. Failures are FormatErrors from `r` (path and byte offset).
template <class T>
PendingTensors<T> read_module_tensors(io::BinaryReader& r, const nn::Module<T>& module, bool need_buffers) {
  auto own = module.named_parameters();
  const std::size_t n_params = own.size();
  for (auto& b : module.named_buffers()) own.push_back(std::move(b));
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < own.size(); ++i) index.emplace(own[i].first, i);
  auto what = [&](std::size_t i) { return std::string(i < n_params ? "parameter '" : "buffer '") + own[i].first + "'"; };

  PendingTensors<T> out;
  out.values.resize(own.size());
  std::vector<bool> seen(own.size(), false);
  const auto count = r.read<std::uint64_t>();
  if (count > r.remaining()) r.fail("parameter count " + std::to_string(count) + " exceeds the bytes present");
  for (std::uint64_t e = 0; e < count; ++e) {
    const std::string name = r.read_string(4096);
    const auto it = index.find(name);
    if (it == index.end()) r.fail("the file has parameter '" + name + "' that the module does not have");
    const std::size_t i = it->second;
    if (seen[i]) r.fail(what(i) + " appears twice");
    seen[i] = true;
    const auto dtype = r.read<std::uint8_t>();
    if (dtype != dtype_code<T>())
      r.fail(what(i) + " is " + dtype_name(dtype) + " in the file but the module holds " + dtype_name(dtype_code<T>()));
    const auto ndim = r.read<std::uint32_t>();
    if (ndim > Shape::kMaxDims)
      r.fail(what(i) + " claims " + std::to_string(ndim) + " dimensions (at most " + std::to_string(Shape::kMaxDims) + ")");
    Shape shape;
    for (std::uint32_t d = 0; d < ndim; ++d) shape.push_back(static_cast<std::size_t>(r.read<std::uint64_t>()));
    const Shape& want = own[i].second.shape();
    if (!(shape == want))
      r.fail(what(i) + " has shape " + to_string(shape) + " in the file but " + to_string(want) + " in the module");
    std::vector<T> v = r.read_vector<T>(want.numel());
    if (v.size() != want.numel())
      r.fail(what(i) + " holds " + std::to_string(v.size()) + " values, its shape " + to_string(want) + " needs " +
             std::to_string(want.numel()));
    for (std::size_t k = 0; k < v.size(); ++k)
      if (!std::isfinite(v[k]))
        r.fail(what(i) + " holds " + format_number(static_cast<double>(v[k])) + " at element " + std::to_string(k));
    out.values[i] = std::move(v);
  }
  for (std::size_t i = 0; i < own.size(); ++i)
    if (!seen[i] && (i < n_params || need_buffers))
      r.fail("the module's " + what(i) + " is missing from the file");
  for (auto& [name, t] : own) out.targets.push_back(t);
  return out;  // an absent buffer (version 1 file) has an empty vector: nothing is copied

}

}  // namespace grove::detail

namespace grove::nn {

/// Writes the module's named parameters and buffers to `path` (atomically: a temporary file,
/// then a rename), with options.schema when it is not empty.
template <class T>
void save(const Module<T>& module, const std::string& path, const SaveOptions& options = {}) {
  io::BinaryWriter w;
  detail::write_module_tensors(w, module);
  w.write<std::uint8_t>(options.schema.empty() ? 0 : 1);
  if (!options.schema.empty()) data::write_schema(w, options.schema);
  w.save(path, kModuleKind, kModuleKindVersion);
}

/// Reads parameters and buffers saved by nn::save into `module`. The file must hold exactly the
/// module's names with the same shapes and element type, and finite values; otherwise, and for
/// truncated or corrupted files or files of another kind, a FormatError names the path, byte
/// offset and problem, and the module is unchanged.
template <class T>
void load(Module<T>& module, const std::string& path) {
  io::BinaryReader r = io::BinaryReader::open(path, kModuleKind, kModuleKindVersion);
  detail::PendingTensors<T> pending = detail::read_module_tensors(r, module, r.kind_version() >= 2);
  if (r.kind_version() >= 2) {
    const auto has_schema = r.read<std::uint8_t>();
    if (has_schema > 1) r.fail("schema flag " + std::to_string(has_schema) + " is not 0 or 1");
    if (has_schema) (void)data::read_schema(r);
  }
  r.expect_end();
  pending.apply();
}

/// The data::Schema stored in a model file by nn::save (an empty schema when the file has
/// none, e.g. one written before schemas were stored). Corrupt files are FormatErrors.
inline data::Schema load_schema(const std::string& path) {
  io::BinaryReader r = io::BinaryReader::open(path, kModuleKind, kModuleKindVersion);
  if (r.kind_version() < 2) return {};
  // Skip the tensors without a module to check them against: every entry is self-describing.
  const auto count = r.read<std::uint64_t>();
  if (count > r.remaining()) r.fail("parameter count " + std::to_string(count) + " exceeds the bytes present");
  for (std::uint64_t e = 0; e < count; ++e) {
    const std::string name = r.read_string(4096);
    const auto dtype = r.read<std::uint8_t>();
    const auto ndim = r.read<std::uint32_t>();
    if (ndim > Shape::kMaxDims) r.fail("parameter '" + name + "' claims " + std::to_string(ndim) + " dimensions");
    for (std::uint32_t d = 0; d < ndim; ++d) (void)r.read<std::uint64_t>();
    if (dtype == 1)
      (void)r.read_vector<float>();
    else if (dtype == 2)
      (void)r.read_vector<double>();
    else
      r.fail("parameter '" + name + "' has unknown dtype code " + std::to_string(dtype));
  }
  const auto has_schema = r.read<std::uint8_t>();
  if (has_schema > 1) r.fail("schema flag " + std::to_string(has_schema) + " is not 0 or 1");
  data::Schema s;
  if (has_schema) s = data::read_schema(r);
  r.expect_end();
  return s;
}

}  // namespace grove::nn

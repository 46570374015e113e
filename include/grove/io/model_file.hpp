#pragma once
/// \file read_model_header: what a grove model file holds (its kind and kind version), read
/// from the container header alone, so a program can pick the right loader for "any grove
/// model file" without knowing the kind in advance. The full load validates the rest.

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include "grove/core/error.hpp"
#include "grove/io/binary.hpp"

namespace grove {
namespace detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_model_header(const std::string& path,
                                                                      const std::string& what) {
  throw_format_error("read_model_header: '" + path + "': " + what);
}

}  // namespace detail

namespace io {

/// The header of a grove binary container.
struct ModelFileHeader {
  std::string kind;                ///< e.g. "grove.trees.GradientBoostingClassifier"
  std::uint32_t kind_version = 0;  ///< version of the kind's payload layout
  std::uint64_t payload_bytes = 0;  ///< payload size the header announces
};

/// Reads the header of the grove model file at `path`. A missing file, a file that is not a grove
/// container (bad magic), another format version or a truncated header is a FormatError naming
/// the path. The checksum is not checked here (the kind's own load does that).
inline ModelFileHeader read_model_header(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) detail::throw_model_header(path, std::string("cannot open: ") + std::strerror(errno));
  auto read_exact = [&](void* p, std::size_t n, const char* what) {
    f.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
    if (static_cast<std::size_t>(f.gcount()) != n)
      detail::throw_model_header(path, std::string("truncated header (") + what + ")");
  };
  std::array<char, sizeof kMagic> magic{};
  f.read(magic.data(), magic.size());
  if (static_cast<std::size_t>(f.gcount()) != magic.size() || std::memcmp(magic.data(), kMagic, sizeof kMagic) != 0)
    detail::throw_model_header(path, "not a grove model file (bad magic)");
  std::uint32_t version = 0, kind_len = 0;
  read_exact(&version, 4, "format version");
  if (version != kFormatVersion)
    detail::throw_model_header(path, "unsupported format version " + std::to_string(version) + " (this build reads " +
                                         std::to_string(kFormatVersion) + ")");
  read_exact(&kind_len, 4, "kind length");
  if (kind_len > 256) detail::throw_model_header(path, "kind name of " + std::to_string(kind_len) + " bytes is implausible");
  ModelFileHeader h;
  h.kind.resize(kind_len);
  read_exact(h.kind.data(), kind_len, "kind");
  read_exact(&h.kind_version, 4, "kind version");
  read_exact(&h.payload_bytes, 8, "payload size");
  return h;
}

}  // namespace io
}  // namespace grove

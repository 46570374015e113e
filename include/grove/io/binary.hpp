#pragma once
/// \file grove's versioned binary container: magic, format version, kind, kind version,
/// payload, checksum. Models of every kind (nn modules, trees) are saved in it.
///
/// Layout (little-endian):
///   "GROVEBIN" | u32 format_version | u32 kind length | kind bytes | u32 kind_version |
///   u64 payload size | payload | u64 FNV-1a checksum of every byte before it.

#include <bit>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/io/file.hpp"

namespace grove::io {

static_assert(std::endian::native == std::endian::little,
              "grove's binary format is written little-endian; big-endian hosts are not supported");

inline constexpr char kMagic[8] = {'G', 'R', 'O', 'V', 'E', 'B', 'I', 'N'};
inline constexpr std::uint32_t kFormatVersion = 1;

/// FNV-1a 64-bit hash; cheap and enough to catch flipped bytes and truncation.
inline std::uint64_t fnv1a64(const unsigned char* p, std::size_t n,
                             std::uint64_t h = 0xcbf29ce484222325ULL) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// Builds a payload in memory, then writes the whole container at once.
class BinaryWriter {
public:
  /// Appends the bytes of a trivially copyable value.
  template <class T>
  void write(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const unsigned char*>(&v);
    buf_.insert(buf_.end(), p, p + sizeof(T));
  }
  /// Appends a length-prefixed string.
  void write_string(std::string_view s) {
    write<std::uint64_t>(s.size());
    buf_.insert(buf_.end(), s.begin(), s.end());
  }
  /// Appends a count-prefixed array of trivially copyable values.
  template <class T>
  void write_array(const T* p, std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    write<std::uint64_t>(n);
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    buf_.insert(buf_.end(), b, b + n * sizeof(T));
  }
  template <class T>
  void write_vector(const std::vector<T>& v) {
    write_array(v.data(), v.size());
  }

  const std::vector<unsigned char>& payload() const noexcept { return buf_; }

  /// The full container (header, payload, checksum) as bytes.
  std::vector<unsigned char> finish(std::string_view kind, std::uint32_t kind_version) const {
    std::vector<unsigned char> out;
    out.reserve(buf_.size() + kind.size() + 40);
    auto put = [&out](const void* p, std::size_t n) {
      const auto* b = static_cast<const unsigned char*>(p);
      out.insert(out.end(), b, b + n);
    };
    put(kMagic, sizeof kMagic);
    put(&kFormatVersion, 4);
    const auto kind_len = static_cast<std::uint32_t>(kind.size());
    put(&kind_len, 4);
    put(kind.data(), kind.size());
    put(&kind_version, 4);
    const auto payload_size = static_cast<std::uint64_t>(buf_.size());
    put(&payload_size, 8);
    put(buf_.data(), buf_.size());
    const std::uint64_t sum = fnv1a64(out.data(), out.size());
    put(&sum, 8);
    return out;
  }

  /// Writes the container to `path` atomically (io::write_file: a temporary file, then a
  /// rename), so a failed write never leaves a half-written model where a good one was.
  /// Failure: IoError "save: cannot write '<path>': <reason>".
  void save(const std::string& path, std::string_view kind, std::uint32_t kind_version) const {
    write_file(path, finish(kind, kind_version), "save");
  }

private:
  std::vector<unsigned char> buf_;
};

/// Reads and validates a container, then hands out payload values with bounds checks.
/// Every failure is a FormatError naming the source and the byte offset.
class BinaryReader {
public:
  /// Validates `bytes` as a container of `expected_kind` with kind_version <= max_kind_version.
  BinaryReader(std::vector<unsigned char> bytes, std::string source, std::string_view expected_kind,
               std::uint32_t max_kind_version)
      : bytes_(std::move(bytes)), source_(std::move(source)) {
    validate(expected_kind, max_kind_version);
  }

  /// Reads the file at `path` (FormatError if it cannot be opened, or if it holds more bytes
  /// than the allocation limit: a device such as /dev/zero never ends).
  static BinaryReader open(const std::string& path, std::string_view expected_kind,
                           std::uint32_t max_kind_version) {
    return BinaryReader(read_bounded(path), path, expected_kind, max_kind_version);
  }

  std::uint32_t kind_version() const noexcept { return kind_version_; }
  const std::string& kind() const noexcept { return kind_; }
  const std::string& source() const noexcept { return source_; }
  /// Bytes of payload not read yet.
  std::size_t remaining() const noexcept { return end_ - pos_; }
  /// True when the whole payload has been consumed.
  bool at_end() const noexcept { return pos_ == end_; }

  template <class T>
  T read() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T), "value");
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  /// Reads a length-prefixed string of at most max_len bytes.
  std::string read_string(std::size_t max_len = 1 << 20) {
    const auto n = read<std::uint64_t>();
    if (n > max_len) fail("string of " + std::to_string(n) + " bytes exceeds the limit of " + std::to_string(max_len));
    need(n, "string");
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }

  /// Reads a count-prefixed array; checks the count against the bytes present before allocating.
  template <class T>
  std::vector<T> read_vector(std::size_t max_count = static_cast<std::size_t>(-1)) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto n = read<std::uint64_t>();
    if (n > max_count) fail("array of " + std::to_string(n) + " elements exceeds the limit of " + std::to_string(max_count));
    if (n > remaining() / sizeof(T))
      fail("array claims " + std::to_string(n) + " elements of " + std::to_string(sizeof(T)) +
           " bytes but only " + std::to_string(remaining()) + " bytes remain");
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return v;
  }

  /// Throws unless the payload has been consumed exactly.
  void expect_end() const {
    if (!at_end()) fail(std::to_string(remaining()) + " unexpected trailing bytes in payload");
  }

  /// Throws a FormatError naming the source and the current byte offset.
  [[noreturn]] void fail(const std::string& what) const {
    detail::throw_format_error("load: '" + source_ + "' at byte " + std::to_string(pos_) + ": " + what);
  }

private:
  static std::vector<unsigned char> read_bounded(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) detail::throw_format_error("load: cannot open '" + path + "'");
    std::vector<unsigned char> bytes;
    const std::size_t limit = allocation_limit();
    unsigned char buf[1 << 16];
    for (std::size_t got; (got = std::fread(buf, 1, sizeof buf, f)) > 0;) {
      if (got > limit - bytes.size()) {
        std::fclose(f);
        detail::throw_format_error("load: '" + path + "' holds more bytes than the allocation limit of " +
                                   std::to_string(limit));
      }
      bytes.insert(bytes.end(), buf, buf + got);
    }
    std::fclose(f);
    return bytes;
  }

  void need(std::size_t n, const char* what) const {
    if (n > remaining())
      fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " remain");
  }

  void validate(std::string_view expected_kind, std::uint32_t max_kind_version) {
    const std::size_t size = bytes_.size();
    end_ = size;
    if (size < sizeof kMagic || std::memcmp(bytes_.data(), kMagic, sizeof kMagic) != 0)
      fail("not a grove model file (bad magic)");
    pos_ = sizeof kMagic;
    const auto version = read<std::uint32_t>();
    if (version != kFormatVersion)
      fail("unsupported format version " + std::to_string(version) + " (this build reads " +
           std::to_string(kFormatVersion) + ")");
    const auto kind_len = read<std::uint32_t>();
    if (kind_len > 256) fail("kind name of " + std::to_string(kind_len) + " bytes is implausible");
    need(kind_len, "kind");
    kind_.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), kind_len);
    pos_ += kind_len;
    kind_version_ = read<std::uint32_t>();
    const auto payload_size = read<std::uint64_t>();
    const std::size_t header_end = pos_;
    if (size < header_end + 8 || payload_size != size - header_end - 8)
      fail("truncated or padded: header says " + std::to_string(payload_size) + " payload bytes, file has " +
           std::to_string(size >= header_end + 8 ? size - header_end - 8 : 0));
    std::uint64_t stored = 0;
    std::memcpy(&stored, bytes_.data() + size - 8, 8);
    if (fnv1a64(bytes_.data(), size - 8) != stored) fail("checksum mismatch: the file is corrupted");
    if (kind_ != expected_kind)
      fail("file holds a '" + kind_ + "', expected a '" + std::string(expected_kind) + "'");
    if (kind_version_ > max_kind_version)
      fail("'" + kind_ + "' version " + std::to_string(kind_version_) + " is newer than this build reads (" +
           std::to_string(max_kind_version) + ")");
    end_ = size - 8;
  }

  std::vector<unsigned char> bytes_;
  std::string source_;
  std::string kind_;
  std::uint32_t kind_version_ = 0;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
};

}  // namespace grove::io

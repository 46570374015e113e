#pragma once
/// \file load_idx: MNIST-format (IDX) image and label files, plain or gzip-compressed.
///
/// IDX layout (big-endian): u32 magic = 0x0000 | type | ndim (2051 = 0x0803 for unsigned-byte
/// images [n, rows, cols], 2049 = 0x0801 for unsigned-byte labels [n]), then ndim u32 extents,
/// then the bytes row-major. gzip is read through zlib when the build links it (the grove
/// target then defines GROVE_HAVE_ZLIB=1); otherwise a gzip file is a FormatError that says so.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/shape.hpp"
#include "grove/data/dataset.hpp"
#include "grove/tensor/tensor.hpp"

#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
#include <zlib.h>
#endif

namespace grove::detail {

#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
inline constexpr bool kIdxHaveZlib = true;
#else
inline constexpr bool kIdxHaveZlib = false;
#endif

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_idx_error(const std::string& path, std::uint64_t offset,
                                                                   const std::string& what) {
  throw_format_error("load_idx: '" + path + "' at byte " + std::to_string(offset) + ": " + what);
}

/// Sequential reader over a plain or gzip file; offsets count decompressed bytes.
class IdxSource {
public:
  IdxSource(const std::string& path, bool allow_gzip) : path_(path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw_format_error("load_idx: cannot open '" + path + "'");
    unsigned char sig[2] = {0, 0};
    const std::size_t got = std::fread(sig, 1, 2, f);
    gzip_ = got == 2 && sig[0] == 0x1f && sig[1] == 0x8b;
    if (!gzip_) {
      if (std::fseek(f, 0, SEEK_END) == 0) {
        const long size = std::ftell(f);
        if (size >= 0) plain_size_ = static_cast<std::uint64_t>(size);
      }
      std::rewind(f);
      file_ = f;
      return;
    }
    std::fclose(f);
    if (!allow_gzip)
      throw_format_error("load_idx: '" + path +
                                        "' is gzip-compressed but grove was built without zlib support "
                                        "(install zlib1g-dev and reconfigure, or gunzip the file)");
#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
    gz_ = gzopen(path.c_str(), "rb");
    if (!gz_) throw_format_error("load_idx: cannot open '" + path + "' with zlib");
    gzbuffer(gz_, 1 << 16);
#endif
  }
  IdxSource(const IdxSource&) = delete;
  IdxSource& operator=(const IdxSource&) = delete;
  ~IdxSource() {
    if (file_) std::fclose(file_);
#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
    if (gz_) gzclose(gz_);
#endif
  }

  /// Reads up to n bytes; returns how many were read (fewer only at end of data).
  std::size_t read(unsigned char* dst, std::size_t n) {
    std::size_t total = 0;
    while (total < n) {
      std::size_t got = 0;
      if (file_) {
        got = std::fread(dst + total, 1, n - total, file_);
        if (got == 0 && std::ferror(file_)) throw_idx_error(path_, offset_, "read error");
      }
#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
      else if (gz_) {
        const auto want = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 30));
        const int r = gzread(gz_, dst + total, want);
        if (r < 0) {
          int errnum = 0;
          const char* msg = gzerror(gz_, &errnum);
          throw_idx_error(path_, offset_, std::string("gzip data is corrupt (") + (msg ? msg : "zlib error") + ")");
        }
        got = static_cast<std::size_t>(r);
      }
#endif
      if (got == 0) break;
      total += got;
      offset_ += got;
    }
    return total;
  }

  /// Reads exactly n bytes or fails with `what` naming the missing part.
  void read_exact(unsigned char* dst, std::size_t n, const char* what) {
    const std::uint64_t at = offset_;
    const std::size_t got = read(dst, n);
    if (got != n)
      throw_idx_error(path_, at, std::string("truncated: ") + what + " needs " + std::to_string(n) +
                                     " bytes, only " + std::to_string(got) + " remain");
  }

  std::uint32_t read_u32_be(const char* what) {
    unsigned char b[4];
    read_exact(b, 4, what);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  }

  std::uint64_t offset() const noexcept { return offset_; }
  const std::string& path() const noexcept { return path_; }
  /// Bytes of a plain (not gzip) file, known before reading; 0 when unknown.
  std::uint64_t plain_size() const noexcept { return plain_size_; }

private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool gzip_ = false;
  std::uint64_t plain_size_ = 0;
  std::uint64_t offset_ = 0;
#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
  gzFile gz_ = nullptr;
#endif
};

/// The unsigned-byte contents of one IDX file: its extents and data.
struct IdxArray {
  std::vector<std::uint64_t> dims;
  std::vector<unsigned char> bytes;
};

/// Reads an IDX file whose magic must be `expected_magic`, for values of `element_bytes` each.
/// Every size comes from the header, so each is checked before anything is allocated: the element
/// count must not overflow, must match the bytes a plain file holds, and (as values and as one name
/// per value of an item) must fit the allocation limit; data are then read in bounded chunks, so a
/// gzip file that claims more than it holds fails before a large allocation.
inline IdxArray read_idx(const std::string& path, std::uint32_t expected_magic, const char* role, bool allow_gzip,
                         std::size_t element_bytes) {
  IdxSource src(path, allow_gzip);
  const std::uint32_t magic = src.read_u32_be("magic number");
  if (magic != expected_magic) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    throw_idx_error(path, 0, "bad magic " + std::to_string(magic) + " (" + hex + "), expected " +
                                 std::to_string(expected_magic) + " for an IDX " + role + " file");
  }
  const std::uint32_t ndim = magic & 0xffu;
  IdxArray out;
  std::uint64_t item = 1;  // values per item: the product of the dimensions after the first
  bool overflow = false;
  for (std::uint32_t d = 0; d < ndim; ++d) {
    const std::uint64_t at = src.offset();
    const std::uint32_t extent = src.read_u32_be("dimension");
    if (d > 0 && extent == 0) throw_idx_error(path, at, "dimension " + std::to_string(d) + " is 0");
    out.dims.push_back(extent);
    if (d > 0) overflow = overflow || __builtin_mul_overflow(item, std::uint64_t{extent}, &item);
  }
  const std::uint64_t header = src.offset();
  std::uint64_t count = 0;
  overflow = overflow || __builtin_mul_overflow(out.dims[0], item, &count);
  if (overflow || count > std::numeric_limits<std::size_t>::max() || item > std::numeric_limits<std::size_t>::max())
    throw_idx_error(path, header, "the dimensions overflow a 64-bit element count");
  // Every size below comes from the header: check it against the file and the allocation limit
  // before allocating. With no items the item size is unverifiable, so it is capped.
  if (src.plain_size() > 0 && count != src.plain_size() - header) {
    const std::uint64_t holds = src.plain_size() - header;
    throw_idx_error(path, count > holds ? src.plain_size() : header + count,
                    count > holds ? "truncated: header declares " + std::to_string(count) + " data bytes after byte " +
                                        std::to_string(header) + ", the file holds " + std::to_string(holds)
                                  : "trailing bytes after the " + std::to_string(count) +
                                        " data bytes the header declares");
  }
  constexpr std::uint64_t kMaxEmptyItem = std::uint64_t{1} << 16;
  if (out.dims[0] == 0 && item > kMaxEmptyItem)
    throw_idx_error(path, header, std::string("the header declares 0 ") + role + "s of " + std::to_string(item) +
                                      " values; an empty file cannot vouch for more than " +
                                      std::to_string(kMaxEmptyItem) + " values per " + role);
  if (!fits_allocation(static_cast<std::size_t>(count), element_bytes) ||
      (ndim > 1 && !fits_allocation(static_cast<std::size_t>(item), sizeof(std::string) + 16)))
    throw_idx_error(path, header, "the header declares " + std::to_string(out.dims[0]) + " " + role + "s of " +
                                      std::to_string(item) + " values, more than the allocation limit of " +
                                      std::to_string(allocation_limit()) + " bytes allows");

  // Grow the buffer only as data actually arrive.
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  out.bytes.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, kChunk)));
  while (out.bytes.size() < count) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(count - out.bytes.size(), kChunk));
    const std::size_t old = out.bytes.size();
    out.bytes.resize(old + want);
    const std::size_t got = src.read(out.bytes.data() + old, want);
    if (got < want) {
      out.bytes.resize(old + got);
      throw_idx_error(path, src.offset(),
                      "truncated: header declares " + std::to_string(count) + " data bytes after byte " +
                          std::to_string(header) + ", the file holds " + std::to_string(out.bytes.size()));
    }
  }
  unsigned char extra = 0;
  if (src.read(&extra, 1) != 0)
    throw_idx_error(path, header + count, "trailing bytes after the " + std::to_string(count) +
                                              " data bytes the header declares");
  return out;
}

/// load_idx with gzip support switched by the caller (tests use it to reach the no-zlib error).
template <class T>
data::Dataset<T> load_idx_impl(const std::string& images_path, const std::string& labels_path, bool allow_gzip) {
  IdxArray images = read_idx(images_path, 2051, "image", allow_gzip, sizeof(T));
  IdxArray labels = read_idx(labels_path, 2049, "label", allow_gzip, sizeof(T));
  if (images.dims[0] != labels.dims[0])
    throw_format_error("load_idx: '" + images_path + "' holds " + std::to_string(images.dims[0]) + " images but '" +
                       labels_path + "' holds " + std::to_string(labels.dims[0]) + " labels");
  // read_idx checked the sizes against the allocation limit, and the bytes exist.
  const std::size_t n = static_cast<std::size_t>(images.dims[0]);
  const std::size_t rows = static_cast<std::size_t>(images.dims[1]);
  const std::size_t cols = static_cast<std::size_t>(images.dims[2]);
  const std::size_t d = rows * cols;

  data::Dataset<T> ds;
  std::vector<T> x(images.bytes.size());
  std::transform(images.bytes.begin(), images.bytes.end(), x.begin(), [](unsigned char b) { return static_cast<T>(b); });
  images.bytes = {};
  ds.X = Tensor<T>::from_vector(std::move(x), Shape{n, d});
  std::vector<T> y(n);
  unsigned max_label = 0;
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = static_cast<T>(labels.bytes[i]);
    max_label = std::max<unsigned>(max_label, labels.bytes[i]);
  }
  ds.y = Tensor<T>::from_vector(std::move(y), Shape{n});
  ds.feature_names.reserve(d);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      ds.feature_names.push_back("pixel_" + std::to_string(r) + "_" + std::to_string(c));
  if (n > 0)
    for (unsigned k = 0; k <= max_label; ++k) ds.class_names.push_back(std::to_string(k));
  ds.target_name = "label";
  ds.target_kind = data::TargetKind::Categorical;
  return ds;
}

}  // namespace grove::detail

namespace grove::data {

/// Loads MNIST-format images and labels: X is [n, rows*cols] with the raw pixel values (0..255),
/// y holds the labels 0..k-1, feature_names are "pixel_<row>_<col>", class_names "0".."k-1".
/// Either file may be gzip-compressed (detected from its first bytes). Malformed files
/// (bad magic, truncated, trailing bytes, counts that disagree, sizes beyond the
/// allocation limit) are a FormatError naming the path and byte offset.
template <class T>
Dataset<T> load_idx(const std::string& images_path, const std::string& labels_path) {
  return detail::load_idx_impl<T>(images_path, labels_path, detail::kIdxHaveZlib);
}

}  // namespace grove::data

#pragma once
/// \file io::write_file: the one way grove writes a file. The bytes go to a temporary file in
/// the target's directory, which is then renamed over the target, so readers never see a
/// half-written file and a failed write leaves the old file as it was. Every failure is an
/// IoError: "<op>: cannot write '<path>': <the system's reason>".

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "grove/core/error.hpp"

namespace grove {
namespace detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_write_error(std::string_view op, const std::string& path,
                                                                      int err) {
  // generic_category().message is strerror's text without strerror's shared buffer.
  throw_io_error(std::string(op) + ": cannot write '" + path + "': " + std::generic_category().message(err));
}

/// A temporary name beside `path`, unique per process and call, so concurrent writers of one
/// path never share a temporary file.
inline std::string temp_path_for(const std::string& path) {
  static std::atomic<unsigned long> counter{0};
  std::string tmp = path;
  tmp += ".tmp.";
#if defined(__unix__) || defined(__APPLE__)
  tmp += std::to_string(static_cast<long>(getpid()));
  tmp += '.';
#endif
  tmp += std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
  return tmp;
}

/// True when `path` names something other than a regular file (a device such as /dev/null, a
/// FIFO, a symlink): renaming over it would replace that node, so it is written in place.
inline bool write_in_place(const std::string& path) {
#if defined(__unix__) || defined(__APPLE__)
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
#else
  (void)path;
  return false;
#endif
}

/// Writes n bytes to `target`, opened with fopen; returns 0 or the errno of the failure.
inline int write_all(const std::string& target, const void* data, std::size_t n) {
  errno = 0;
  std::FILE* f = std::fopen(target.c_str(), "wb");
  if (!f) return errno ? errno : EIO;
  int err = 0;
  if (n != 0 && std::fwrite(data, 1, n, f) != n) err = errno ? errno : EIO;
  if (std::fclose(f) != 0 && err == 0) err = errno ? errno : EIO;  // a full disk often shows only here
  return err;
}

inline void write_file_bytes(const std::string& path, const void* data, std::size_t n, std::string_view op) {
  if (write_in_place(path)) {
    if (const int err = write_all(path, data, n)) throw_write_error(op, path, err);
    return;
  }
  const std::string tmp = temp_path_for(path);
  if (const int err = write_all(tmp, data, n)) {
    std::remove(tmp.c_str());
    throw_write_error(op, path, err);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno ? errno : EIO;
    std::remove(tmp.c_str());
    throw_write_error(op, path, err);
  }
}

}  // namespace detail

namespace io {

/// Writes `bytes` to `path` atomically (temporary file + rename); IoError naming `op`, the path
/// and the system's reason on failure, with any previous file at `path` left untouched.
inline void write_file(const std::string& path, std::span<const unsigned char> bytes,
                       std::string_view op = "write_file") {
  detail::write_file_bytes(path, bytes.data(), bytes.size(), op);
}

/// Writes `text` to `path` atomically, as write_file(path, bytes) does.
inline void write_file(const std::string& path, std::string_view text, std::string_view op = "write_file") {
  detail::write_file_bytes(path, text.data(), text.size(), op);
}

}  // namespace io
}  // namespace grove

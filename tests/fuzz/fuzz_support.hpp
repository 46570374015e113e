#pragma once
// Shared by the fuzz targets: grove's loaders read paths, so each input is written to a file
// (in /dev/shm when present, to keep the disk out of the loop).

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace grove_fuzz {

inline std::string write_input(const std::uint8_t* data, std::size_t size, const char* suffix) {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  const std::string path = dir + "/grove-fuzz-" + std::to_string(getpid()) + suffix;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace grove_fuzz

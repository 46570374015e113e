#pragma once
/// \file Private: writes a whole text file, reporting failures as ValueError naming the path.

#include <fstream>
#include <string>

#include "grove/core/error.hpp"

namespace grove::detail {

inline void write_text_file(const std::string& path, const std::string& text, const char* op) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) grove::detail::throw_value_error(std::string(op) + ": cannot open '" + path + "' for writing");
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  f.flush();
  if (!f) grove::detail::throw_value_error(std::string(op) + ": write to '" + path + "' failed");
}

}  // namespace grove::detail

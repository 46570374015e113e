#pragma once
/// \file Error hierarchy: every failure grove reports derives from grove::Error.

#include <stdexcept>
#include <string>

namespace grove {

/// Base of every exception grove throws.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Incompatible tensor shapes; the message names the op and both shapes.
class ShapeError : public Error {
public:
  using Error::Error;
};

/// A bad parameter, label or index; the message names it and its allowed range.
class ValueError : public Error {
public:
  using Error::Error;
};

/// A malformed file or stream; the message names the path and the line/column or byte offset.
class FormatError : public Error {
public:
  using Error::Error;
};

/// A file that cannot be written (missing directory, no permission, disk full); the message
/// names the operation, the path and the system's reason.
class IoError : public Error {
public:
  using Error::Error;
};

namespace detail {

// Cold, out-of-line throw helpers keep the hot paths that validate input small.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_error(const std::string& msg) {
  throw Error(msg);
}
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_shape_error(const std::string& msg) {
  throw ShapeError(msg);
}
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_value_error(const std::string& msg) {
  throw ValueError(msg);
}
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_format_error(const std::string& msg) {
  throw FormatError(msg);
}
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_io_error(const std::string& msg) {
  throw IoError(msg);
}

}  // namespace detail
}  // namespace grove

#pragma once
/// \file operator<< for tensors, formatted the way PyTorch prints them: values in nested
/// brackets, one common width per tensor, "1." style when every value is a whole number, 4
/// decimals otherwise, scientific notation when magnitudes span more than 1000x (or exceed 1e8,
/// or, for fractional values, go below 1e-4); lines wrap at 80 columns; tensors of more than 1000 elements show 3 items at each edge of every
/// axis with "..." between. Shape and dtype follow the values:
///   tensor([[ 1.0000, -0.5000],
///           [ 2.2500,  3.0000]], shape=[2,2], dtype=float32)
/// Not included by any core header: <ostream> is paid for only where tensors are printed.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// PyTorch's dtype names.
template <class T>
constexpr const char* dtype_name_of() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  else if constexpr (std::is_same_v<T, double>) return "float64";
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>) {
      if constexpr (sizeof(T) == 1) return "int8";
      else if constexpr (sizeof(T) == 2) return "int16";
      else if constexpr (sizeof(T) == 4) return "int32";
      else return "int64";
    } else {
      if constexpr (sizeof(T) == 1) return "uint8";
      else if constexpr (sizeof(T) == 2) return "uint16";
      else if constexpr (sizeof(T) == 4) return "uint32";
      else return "uint64";
    }
  } else {
    return "float128";
  }
}

/// How every element of one printed tensor is written.
struct PrintStyle {
  enum class Mode { Integer, WholeFloat, Fixed, Scientific } mode = Mode::Fixed;
  std::size_t width = 0;

  std::string format(double v) const {
    char buf[64];
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    switch (mode) {
      case Mode::Integer: std::snprintf(buf, sizeof buf, "%.0f", v); break;
      case Mode::WholeFloat: std::snprintf(buf, sizeof buf, "%.0f.", v); break;
      case Mode::Fixed: std::snprintf(buf, sizeof buf, "%.4f", v); break;
      case Mode::Scientific: std::snprintf(buf, sizeof buf, "%.4e", v); break;
    }
    return buf;
  }
};

/// PyTorch's choice of style from the values that will be shown.
inline PrintStyle choose_print_style(const std::vector<double>& shown, bool integral_type) {
  PrintStyle st;
  if (integral_type) {
    st.mode = PrintStyle::Mode::Integer;
  } else {
    double lo = 0, hi = 0;
    bool any = false, whole = true;
    for (double v : shown) {
      if (!std::isfinite(v)) continue;
      whole = whole && std::floor(v) == v;
      const double a = std::abs(v);
      if (a == 0) continue;
      lo = any ? std::min(lo, a) : a;
      hi = any ? std::max(hi, a) : a;
      any = true;
    }
    if (whole) {
      st.mode = any && (hi / lo > 1000.0 || hi > 1e8) ? PrintStyle::Mode::Scientific : PrintStyle::Mode::WholeFloat;
    } else {
      st.mode = any && (hi / lo > 1000.0 || hi > 1e8 || lo < 1e-4) ? PrintStyle::Mode::Scientific
                                                                    : PrintStyle::Mode::Fixed;
    }
  }
  for (double v : shown) st.width = std::max(st.width, st.format(v).size());
  return st;
}

/// Indices shown along an axis of extent n: all of them, or 3 at each edge (SIZE_MAX marks "...").
inline std::vector<std::size_t> shown_indices(std::size_t n, bool summarize) {
  std::vector<std::size_t> out;
  if (!summarize || n <= 6) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(i);
  } else {
    for (std::size_t i = 0; i < 3; ++i) out.push_back(i);
    out.push_back(static_cast<std::size_t>(-1));
    for (std::size_t i = n - 3; i < n; ++i) out.push_back(i);
  }
  return out;
}

/// Appends the values of `data` (row-major `shape`) from axis `d` at `offset` to `out`.
inline void print_axis(std::string& out, const std::vector<double>& data, const Shape& shape, std::size_t d,
                       std::size_t offset, const PrintStyle& st, bool summarize, std::size_t indent) {
  const std::size_t nd = shape.size();
  std::size_t stride = 1;
  for (std::size_t k = d + 1; k < nd; ++k) stride *= shape[k];
  const std::vector<std::size_t> idx = shown_indices(shape[d], summarize);
  out += '[';
  if (d + 1 == nd) {
    // Last axis: values separated by ", ", wrapped at 80 columns like PyTorch.
    const std::size_t per_line = std::max<std::size_t>(1, (80 - std::min<std::size_t>(indent, 60)) / (st.width + 2));
    std::size_t on_line = 0;
    for (std::size_t j = 0; j < idx.size(); ++j) {
      if (j) {
        out += ',';
        if (on_line == per_line) {
          out += '\n' + std::string(indent + 1, ' ');
          on_line = 0;
        } else {
          out += ' ';
        }
      }
      if (idx[j] == static_cast<std::size_t>(-1)) {
        out += " ...";  // PyTorch's vector ellipsis carries a leading space
      } else {
        const std::string s = st.format(data[offset + idx[j]]);
        out += std::string(st.width - s.size(), ' ') + s;
      }
      ++on_line;
    }
  } else {
    const std::string gap = "," + std::string(nd - d - 1, '\n') + std::string(indent + 1, ' ');
    for (std::size_t j = 0; j < idx.size(); ++j) {
      if (j) out += gap;
      if (idx[j] == static_cast<std::size_t>(-1))
        out += "...";
      else
        print_axis(out, data, shape, d + 1, offset + idx[j] * stride, st, summarize, indent + 1);
    }
  }
  out += ']';
}

}  // namespace grove::detail

namespace grove {

/// Writes a tensor as PyTorch does, followed by its shape, dtype and (when set) requires_grad.
template <class T>
std::ostream& operator<<(std::ostream& os, const Tensor<T>& t) {
  const std::vector<T> values = t.to_vector();
  std::vector<double> data(values.begin(), values.end());
  const bool summarize = t.size() > 1000;
  std::vector<double> shown;
  if (summarize) {
    // Only the edge items decide the style, as in PyTorch.
    const Shape& s = t.shape();
    std::vector<std::size_t> idx(s.size(), 0);
    std::vector<std::vector<std::size_t>> axes;
    for (std::size_t d = 0; d < s.size(); ++d) axes.push_back(detail::shown_indices(s[d], true));
    std::vector<std::size_t> pos(s.size(), 0);
    for (;;) {
      bool gap = false;
      std::size_t off = 0;
      for (std::size_t d = 0; d < s.size(); ++d) {
        const std::size_t i = axes[d][pos[d]];
        gap = gap || i == static_cast<std::size_t>(-1);
        off = off * s[d] + (gap ? 0 : i);
      }
      if (!gap) shown.push_back(data[off]);
      std::size_t d = s.size();
      while (d-- > 0) {
        if (++pos[d] < axes[d].size()) break;
        pos[d] = 0;
      }
      if (d == static_cast<std::size_t>(-1)) break;
    }
  } else {
    shown = data;
  }
  const detail::PrintStyle st = detail::choose_print_style(shown, !std::is_floating_point_v<T>);
  std::string out = "tensor(";
  if (t.dim() == 0) {
    out += st.format(data.empty() ? 0.0 : data[0]);
  } else if (t.size() == 0) {
    out += "[]";
  } else {
    detail::print_axis(out, data, t.shape(), 0, 0, st, summarize, 7);
  }
  out += ", shape=" + to_string(t.shape()) + ", dtype=" + detail::dtype_name_of<T>();
  if constexpr (std::is_floating_point_v<T>) {
    if (t.requires_grad()) out += ", requires_grad=true";
  }
  return os << out << ')';
}

}  // namespace grove

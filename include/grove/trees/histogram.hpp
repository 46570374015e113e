#pragma once
/// \file Histogram kernels: per-bin sums of per-row statistics (gradient/hessian pairs for
/// boosting, weighted class counts for forests) over the rows of one tree node.

#include <cstddef>
#include <cstdint>

namespace grove::trees::detail {

/// hist[code(row) * C + c] += stats[i * C + c] for the node's rows (stats already gathered into
/// node order). `rows` may be null when the node's rows are the contiguous block starting at
/// `first_row`, which skips the gather of bin codes (the root without subsampling).
/// Statistics are floats, sums doubles: sums over a million rows keep their precision.
template <std::size_t C>
inline void accumulate_histogram_fixed(const std::uint8_t* column, const std::uint32_t* rows,
                                       std::size_t first_row, const float* stats, std::size_t n,
                                       double* hist) noexcept {
  if (rows == nullptr) {
    const std::uint8_t* col = column + first_row;
    for (std::size_t i = 0; i < n; ++i) {
      double* h = hist + static_cast<std::size_t>(col[i]) * C;
      for (std::size_t c = 0; c < C; ++c) h[c] += static_cast<double>(stats[i * C + c]);
    }
    return;
  }
  std::size_t i = 0;
  // Four rows at a time: the four bin loads are issued before the dependent updates.
  for (; i + 4 <= n; i += 4) {
    const std::size_t b0 = column[rows[i]], b1 = column[rows[i + 1]], b2 = column[rows[i + 2]],
                      b3 = column[rows[i + 3]];
    const float* s = stats + i * C;
    for (std::size_t c = 0; c < C; ++c) hist[b0 * C + c] += static_cast<double>(s[c]);
    for (std::size_t c = 0; c < C; ++c) hist[b1 * C + c] += static_cast<double>(s[C + c]);
    for (std::size_t c = 0; c < C; ++c) hist[b2 * C + c] += static_cast<double>(s[2 * C + c]);
    for (std::size_t c = 0; c < C; ++c) hist[b3 * C + c] += static_cast<double>(s[3 * C + c]);
  }
  for (; i < n; ++i) {
    double* h = hist + static_cast<std::size_t>(column[rows[i]]) * C;
    for (std::size_t c = 0; c < C; ++c) h[c] += static_cast<double>(stats[i * C + c]);
  }
}

/// Same with a run-time channel count.
inline void accumulate_histogram(const std::uint8_t* column, const std::uint32_t* rows, std::size_t first_row,
                                 const float* stats, std::size_t n, std::size_t channels, double* hist) noexcept {
  switch (channels) {
    case 1: accumulate_histogram_fixed<1>(column, rows, first_row, stats, n, hist); return;
    case 2: accumulate_histogram_fixed<2>(column, rows, first_row, stats, n, hist); return;
    case 3: accumulate_histogram_fixed<3>(column, rows, first_row, stats, n, hist); return;
    default: break;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t row = rows ? rows[i] : first_row + i;
    double* h = hist + static_cast<std::size_t>(column[row]) * channels;
    for (std::size_t c = 0; c < channels; ++c) h[c] += static_cast<double>(stats[i * channels + c]);
  }
}

/// The histogram subtraction trick: parent -= child turns the parent's histogram into the
/// sibling's, so only the smaller child of a split is ever built from rows.
inline void subtract_histogram(double* parent, const double* child, std::size_t len) noexcept {
  for (std::size_t i = 0; i < len; ++i) parent[i] -= child[i];
}

}  // namespace grove::trees::detail

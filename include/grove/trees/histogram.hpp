#pragma once
/// \file Histograms of per-row statistics over bins (gradient/hessian pairs for boosting,
/// weighted class counts or targets for forests): the build and subtract kernels, and the pool
/// that owns the histograms kept between levels of a tree, under a memory budget, deciding for
/// each split which child is built from rows and which is derived by subtraction.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace grove::detail {

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

/// Per-thread scratch histogram for nodes whose histogram is not kept. It is all zeros between
/// uses: users clear what they touched.
inline double* scratch_histogram(std::size_t len) {
  static thread_local std::vector<double> buf;
  if (buf.size() < len) buf.resize(len, 0.0);
  return buf.data();
}

/// How the two children of a split get their histograms.
struct ChildHistograms {
  int buffer[2] = {-1, -1};  ///< pool buffer each child keeps (-1: built in scratch, not kept)
  int build[2] = {-1, -1};   ///< children built from rows (0 left, 1 right), -1 for unused slots
  int derive = -1;           ///< child whose histogram is the parent's minus build[0]'s, or -1
};

/// Whole-tree histograms (every feature's bins, `width` doubles) kept for nodes that may split
/// again. Buffers are recycled between nodes and trees; a new one is allocated only while the
/// kept ones fit `budget` bytes, past which children are built from rows without keeping.
class HistogramPool {
public:
  /// Forgets the buffers if the width changed; keeps them (for reuse) otherwise.
  void reset(std::size_t width, std::size_t budget_bytes) {
    if (width != width_) {
      buffers_.clear();
      free_.clear();
    }
    width_ = width;
    budget_ = budget_bytes;
  }

  /// A zero-or-stale buffer (callers clear what they build); recycled when one is free.
  int acquire() {
    if (!free_.empty()) {
      const int b = free_.back();
      free_.pop_back();
      return b;
    }
    buffers_.emplace_back(width_, 0.0);
    return static_cast<int>(buffers_.size() - 1);
  }
  /// Returns buffer b (ignored when b < 0).
  void release(int b) {
    if (b >= 0) free_.push_back(b);
  }
  /// True when acquire() needs no allocation beyond the budget.
  bool can_acquire() const noexcept {
    return !free_.empty() || (buffers_.size() + 1) * width_ * sizeof(double) <= budget_;
  }
  double* data(int b) noexcept { return buffers_[static_cast<std::size_t>(b)].data(); }
  std::size_t width() const noexcept { return width_; }
  /// Buffers allocated so far (kept or free).
  std::size_t allocated() const noexcept { return buffers_.size(); }

  /// Plans the children of a split whose parent holds `parent_buf` (-1: none kept).
  /// With subtraction on and both children splittable, the smaller child is built into a new
  /// buffer and the larger derived in the parent's; with one splittable child it builds into the
  /// parent's buffer; otherwise (subtraction off, no parent buffer, or over budget) the
  /// splittable children are built in scratch. The parent's buffer is passed on or released.
  ChildHistograms plan_children(int parent_buf, bool need_left, bool need_right, bool left_smaller,
                                bool subtraction) {
    ChildHistograms plan;
    const bool keep = subtraction && parent_buf >= 0;
    if (keep && need_left && need_right && can_acquire()) {
      const int small = left_smaller ? 0 : 1;
      plan.buffer[small] = acquire();
      plan.buffer[1 - small] = parent_buf;
      plan.build[0] = small;
      plan.derive = 1 - small;
    } else if (keep && need_left != need_right) {
      const int child = need_left ? 0 : 1;
      plan.buffer[child] = parent_buf;
      plan.build[0] = child;
    } else {
      release(parent_buf);
      int k = 0;
      if (need_left) plan.build[k++] = 0;
      if (need_right) plan.build[k] = 1;
    }
    return plan;
  }

private:
  std::size_t width_ = 0;
  std::size_t budget_ = 0;
  std::vector<std::vector<double>> buffers_;
  std::vector<int> free_;
};

}  // namespace grove::detail

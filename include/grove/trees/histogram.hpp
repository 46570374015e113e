#pragma once
/// \file Histograms of per-row statistics over bins (gradient/hessian pairs for boosting,
/// weighted class counts or targets for forests): the build and subtract kernels, and the pool
/// that owns the histograms kept between levels of a tree, under a memory budget, deciding for
/// each split which child is built from rows and which is derived by subtraction.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "grove/trees/binning.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace grove::detail {

/// The features of one code group (BinnedMatrix) a histogram task fills: up to four, each with
/// the bit position of its code in the group's words and its histogram (bins of C doubles).
struct GroupTargets {
  std::size_t count = 0;
  unsigned shift[4] = {};
  double* hist[4] = {};
};

/// A row's C statistics as doubles, added to a histogram bin. Pairs (gradient and hessian,
/// target and weight) are one 128-bit add where SSE2 exists: the same two IEEE additions.
template <std::size_t C>
struct RowStats {
  double v[C];
  explicit RowStats(const float* s) noexcept {
    for (std::size_t c = 0; c < C; ++c) v[c] = static_cast<double>(s[c]);
  }
  void add_to(double* h) const noexcept {
    for (std::size_t c = 0; c < C; ++c) h[c] += v[c];
  }
};
#if defined(__SSE2__)
template <>
struct RowStats<2> {
  __m128d v;
  explicit RowStats(const float* s) noexcept
      : v(_mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(s))))) {}
  void add_to(double* h) const noexcept { _mm_storeu_pd(h, _mm_add_pd(_mm_loadu_pd(h), v)); }
};
#endif


/// Byte offset of the bin that code byte k of word x (shifted to bit 0) selects, when bins are
/// C doubles: one shift and one mask where C * 8 is a power of two.
template <std::size_t C, std::size_t k>
inline std::size_t bin_offset(std::size_t x) noexcept {
  constexpr std::size_t kBytes = C * sizeof(double);
  if constexpr ((kBytes & (kBytes - 1)) == 0) {
    constexpr unsigned log2 = kBytes == 8 ? 3 : (kBytes == 16 ? 4 : (kBytes == 32 ? 5 : 6));
    constexpr std::size_t mask = std::size_t{0xff} << log2;
    if constexpr (8 * k >= log2)
      return (x >> (8 * k - log2)) & mask;
    else
      return (x << (log2 - 8 * k)) & mask;
  } else {
    return ((x >> (8 * k)) & 0xffu) * kBytes;
  }
}

/// The kernel's loop, a plain loop in one function so that it is compiled as one (a lambda per
/// row was left as a call by GCC inside the grower). Rows: words[rows[i]] when kGathered, else
/// words[i]. Codes are the bytes of w >> base, features side by side.
template <std::size_t C, std::size_t K, bool kGathered>
inline void accumulate_rows(const std::uint32_t* words, const std::uint32_t* rows, const float* stats, std::size_t n,
                            unsigned base, char* const* hist) noexcept {
  char* h[K];
  for (std::size_t k = 0; k < K; ++k) h[k] = hist[k];
  for (std::size_t i = 0; i < n; ++i) {
    // Below the root a node's rows are sparse: the word of a row some way ahead is requested now
    // (a third less CPU time for the histograms when the group's words are not all in cache).
    if constexpr (kGathered) {
      if (i + kPrefetchAhead < n) prefetch(words + rows[i + kPrefetchAhead]);
    }
    const std::size_t x = (kGathered ? words[rows[i]] : words[i]) >> base;
    const RowStats<C> st(stats + i * C);
    st.add_to(reinterpret_cast<double*>(h[0] + bin_offset<C, 0>(x)));
    if constexpr (K > 1) st.add_to(reinterpret_cast<double*>(h[1] + bin_offset<C, 1>(x)));
    if constexpr (K > 2) st.add_to(reinterpret_cast<double*>(h[2] + bin_offset<C, 2>(x)));
    if constexpr (K > 3) st.add_to(reinterpret_cast<double*>(h[3] + bin_offset<C, 3>(x)));
  }
}

/// For the node's rows: hist_k[code_k(row) * C + c] += stats[i * C + c] for each target k, with
/// the statistics already gathered into node order. `rows` may be null when the node's rows are
/// the contiguous block starting at `first_row`. Every bin sums its rows in node order, so the
/// result does not depend on how features are grouped into tasks. Statistics are floats, sums
/// doubles: sums over a million rows keep their precision.
template <std::size_t C, std::size_t K>
inline void accumulate_group_fixed(const std::uint32_t* words, const std::uint32_t* rows, std::size_t first_row,
                                   const float* stats, std::size_t n, const GroupTargets& t) noexcept {
  char* h[K];
  bool consecutive = true;
  for (std::size_t k = 0; k < K; ++k) {
    h[k] = reinterpret_cast<char*>(t.hist[k]);
    consecutive = consecutive && t.shift[k] == t.shift[0] + 8 * k;
  }
  if (consecutive) {  // the usual case: a group's features side by side
    if (rows)
      accumulate_rows<C, K, true>(words, rows, stats, n, t.shift[0], h);
    else
      accumulate_rows<C, K, false>(words + first_row, nullptr, stats, n, t.shift[0], h);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t w = words[rows ? rows[i] : first_row + i];
    const RowStats<C> st(stats + i * C);
    for (std::size_t k = 0; k < K; ++k) st.add_to(t.hist[k] + ((w >> t.shift[k]) & 0xffu) * C);
  }
}

template <std::size_t C>
inline void accumulate_group_c(const std::uint32_t* words, const std::uint32_t* rows, std::size_t first_row,
                               const float* stats, std::size_t n, const GroupTargets& t) noexcept {
  switch (t.count) {
    case 1: accumulate_group_fixed<C, 1>(words, rows, first_row, stats, n, t); return;
    case 2: accumulate_group_fixed<C, 2>(words, rows, first_row, stats, n, t); return;
    case 3: accumulate_group_fixed<C, 3>(words, rows, first_row, stats, n, t); return;
    case 4: accumulate_group_fixed<C, 4>(words, rows, first_row, stats, n, t); return;
    default: return;
  }
}

/// accumulate_group_fixed with run-time channel and target counts.
inline void accumulate_group(const std::uint32_t* words, const std::uint32_t* rows, std::size_t first_row,
                             const float* stats, std::size_t n, std::size_t channels, const GroupTargets& t) noexcept {
  switch (channels) {
    case 1: accumulate_group_c<1>(words, rows, first_row, stats, n, t); return;
    case 2: accumulate_group_c<2>(words, rows, first_row, stats, n, t); return;
    case 3: accumulate_group_c<3>(words, rows, first_row, stats, n, t); return;
    default: break;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t w = words[rows ? rows[i] : first_row + i];
    const float* s = stats + i * channels;
    for (std::size_t k = 0; k < t.count; ++k) {
      double* h = t.hist[k] + static_cast<std::size_t>((w >> t.shift[k]) & 0xffu) * channels;
      for (std::size_t c = 0; c < channels; ++c) h[c] += static_cast<double>(s[c]);
    }
  }
}

/// For the targets whose value bins (nb[k] of them) outnumber a quarter of the node's rows:
/// [lo[k], hi[k]] = the range of value bins that hold rows (0, 0 when none does), so a scan and
/// the clearing of a scratch histogram can skip the rest. Other targets keep lo and hi as given.
inline void occupied_bins(const std::uint32_t* words, const std::uint32_t* rows, std::size_t n, const GroupTargets& t,
                          const std::size_t* nb, std::size_t* lo, std::size_t* hi) noexcept {
  bool narrow[4] = {}, any = false;
  for (std::size_t k = 0; k < t.count; ++k)
    if (n < 4 * nb[k]) {
      narrow[k] = any = true;
      lo[k] = nb[k];
      hi[k] = 0;
    }
  if (!any) return;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t w = words[rows[i]];
    for (std::size_t k = 0; k < t.count; ++k) {
      const std::size_t code = (w >> t.shift[k]) & 0xffu;
      if (narrow[k] && code < nb[k]) {
        lo[k] = std::min(lo[k], code);
        hi[k] = std::max(hi[k], code);
      }
    }
  }
  for (std::size_t k = 0; k < t.count; ++k)
    if (narrow[k] && lo[k] > hi[k]) lo[k] = hi[k] = 0;
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

#pragma once
/// \file Per-feature binning: float features become uint8 bin codes, packed four features to a
/// 32-bit word, with missing values (NaN) in a bin of their own. Numeric features get quantile
/// bins; a categorical feature's bins are its category codes 0..k-1. Bins are computed once per
/// fit and reused by every tree.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/memory.hpp"
#include "grove/core/parallel.hpp"

namespace grove::detail {

/// Asks for the cache line at p ahead of its use (a no-op where the compiler has no builtin).
inline void prefetch(const void* p) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

/// How many rows ahead the loops over a node's (ascending, sparse) rows prefetch their codes:
/// below the root the words are scattered over more memory than the caches hold.
inline constexpr std::size_t kPrefetchAhead = 48;

}  // namespace grove::detail

namespace grove::trees {

/// Bin edges per feature. A value x of numeric feature f gets the first bin b with
/// x <= edge(f, b) (the last value bin when x exceeds every edge); NaN gets nan_bin(f) ==
/// n_bins(f). So "code <= t" and "x <= edge(f, t)" route a row the same way, in training and
/// prediction. A categorical feature with k categories has bins 0..k-1: code c is bin c.
class BinMapper {
public:
  BinMapper() = default;

  /// Computes edges from X (n x d, row-major) with at most max_bins (2..255) value bins a feature.
  /// categories[f] > 0 makes feature f categorical with that many codes (checked beforehand to
  /// be integers below it, or NaN). Quantiles come from at most `sample_rows` strided rows.
  static BinMapper fit(const float* X, std::size_t n, std::size_t d, std::size_t max_bins,
                       const std::vector<std::uint16_t>& categories = {}, std::size_t sample_rows = 200000) {
    BinMapper m;
    m.n_features_ = d;
    m.categories_ = categories;
    m.categories_.resize(d, 0);
    const std::size_t m_rows = std::min(n, sample_rows);
    std::vector<std::vector<float>> edges(d);
    parallel_for_chunks(d, [&](std::size_t f) {
      if (m.categories_[f] > 0) return;
      std::vector<float> v;
      v.reserve(m_rows);
      for (std::size_t s = 0; s < m_rows; ++s) {
        const std::size_t i = m_rows == n ? s : s * n / m_rows;
        const float x = X[i * d + f];
        if (!std::isnan(x)) v.push_back(x);
      }
      edges[f] = quantile_edges(v, max_bins);
    });
    return from_edges(edges, m.categories_);
  }

  /// A mapper with the given upper edges per feature (each strictly increasing, no NaN, at most
  /// 254 a feature): to bin data with edges agreed elsewhere (e.g. by the ranks of a distributed
  /// fit). categories[f] > 0 makes feature f categorical (its edges must then be empty).
  /// ValueError for edges no fit could produce.
  static BinMapper from_edges(const std::vector<std::vector<float>>& edges,
                              const std::vector<std::uint16_t>& categories = {}) {
    BinMapper m;
    m.n_features_ = edges.size();
    m.categories_ = categories;
    m.categories_.resize(edges.size(), 0);
    m.edge_offset_.assign(edges.size() + 1, 0);
    m.slot_offset_.assign(edges.size() + 1, 0);
    for (std::size_t f = 0; f < edges.size(); ++f) {
      check_edges(edges[f], f);
      if (m.categories_[f] > 0 && !edges[f].empty())
        grove::detail::throw_value_error("BinMapper::from_edges: categorical feature " + std::to_string(f) +
                                         " has edges");
      m.edge_offset_[f + 1] = m.edge_offset_[f] + edges[f].size();
      m.slot_offset_[f + 1] = m.slot_offset_[f] + m.n_bins(f) + 1;  // value bins + NaN bin
      m.edges_.insert(m.edges_.end(), edges[f].begin(), edges[f].end());
    }
    return m;
  }

  /// The upper edges of feature f's value bins (n_bins(f) - 1 of them).
  std::vector<float> edges(std::size_t f) const {
    return {edges_.begin() + static_cast<std::ptrdiff_t>(edge_offset_[f]),
            edges_.begin() + static_cast<std::ptrdiff_t>(edge_offset_[f + 1])};
  }

  /// Edges for the distinct sorted values `distinct`, where cum[j] counts the values <= distinct[j]
  /// (so cum.back() is the total): the quantile rule fit() applies, usable on merged summaries.
  static std::vector<float> edges_from_counts(const std::vector<float>& distinct, const std::vector<std::size_t>& cum,
                                              std::size_t max_bins) {
    std::vector<float> out;
    const std::size_t k = distinct.size();
    if (k == 0) return out;
    auto midpoint = [](float a, float b) {
      const float m = static_cast<float>((static_cast<double>(a) + static_cast<double>(b)) * 0.5);
      return m >= b ? a : m;
    };
    if (k <= max_bins) {
      for (std::size_t j = 0; j + 1 < k; ++j) out.push_back(midpoint(distinct[j], distinct[j + 1]));
      return out;
    }
    const double total = static_cast<double>(cum.back());
    std::size_t next_bin = 1;
    for (std::size_t j = 0; j + 1 < k && out.size() + 1 < max_bins; ++j) {
      const double target = total * static_cast<double>(next_bin) / static_cast<double>(max_bins);
      if (static_cast<double>(cum[j]) >= target) {
        out.push_back(midpoint(distinct[j], distinct[j + 1]));
        while (next_bin < max_bins &&
               total * static_cast<double>(next_bin) / static_cast<double>(max_bins) <= static_cast<double>(cum[j]))
          ++next_bin;
      }
    }
    return out;
  }

  std::size_t n_features() const noexcept { return n_features_; }
  /// Value bins of feature f (NaN excluded).
  std::size_t n_bins(std::size_t f) const noexcept {
    return categories_[f] > 0 ? categories_[f] : edge_offset_[f + 1] - edge_offset_[f] + 1;
  }
  /// True when feature f's bins are category codes.
  bool categorical(std::size_t f) const noexcept { return categories_[f] > 0; }
  /// The code missing values of feature f get.
  std::uint8_t nan_bin(std::size_t f) const noexcept { return static_cast<std::uint8_t>(n_bins(f)); }
  /// Upper edge of value bin b < n_bins(f) - 1.
  float edge(std::size_t f, std::size_t b) const noexcept { return edges_[edge_offset_[f] + b]; }
  /// First histogram slot of feature f; feature f owns n_bins(f) + 1 slots (the last for NaN).
  std::size_t slot_offset(std::size_t f) const noexcept { return slot_offset_[f]; }
  /// Histogram slots of all features together.
  std::size_t total_slots() const noexcept { return slot_offset_.empty() ? 0 : slot_offset_.back(); }

  /// Bin code of value x for feature f.
  std::uint8_t bin(std::size_t f, float x) const noexcept {
    if (std::isnan(x)) return nan_bin(f);
    if (categories_[f] > 0) return static_cast<std::uint8_t>(x);
    // Branch-free lower_bound: first edge >= x (the search is the cost of binning).
    const float* first = edges_.data() + edge_offset_[f];
    std::size_t len = edge_offset_[f + 1] - edge_offset_[f];
    if (len == 0) return 0;
    const float* base = first;
    while (len > 1) {
      const std::size_t half = len / 2;
      // Arithmetic, not a conditional: compilers emit a branch for the ternary, mispredicted
      // half the time.
      base += static_cast<std::size_t>(base[half - 1] < x) * half;
      len -= half;
    }
    return static_cast<std::uint8_t>((base - first) + (*base < x ? 1 : 0));
  }

  /// bin() for kLanes values of feature f (x[j * stride], j < kLanes), ORed into out[j] at bit
  /// `shift`: the searches run interleaved, so their dependent loads overlap. Categorical
  /// features take their codes as bins, as in bin().
  static constexpr std::size_t kLanes = 8;
  void bin_lanes(std::size_t f, const float* x, std::size_t stride, unsigned shift, std::uint32_t* out) const noexcept {
    const float* first = edges_.data() + edge_offset_[f];
    const std::size_t edges = edge_offset_[f + 1] - edge_offset_[f];
    float v[kLanes];
    std::size_t pos[kLanes] = {};
    for (std::size_t j = 0; j < kLanes; ++j) v[j] = x[j * stride];
    if (categories_[f] > 0) {
      // A category code is its bin (checked beforehand to be an integer below the count, or NaN).
      for (std::size_t j = 0; j < kLanes; ++j)
        out[j] |= (std::isnan(v[j]) ? n_bins(f) : static_cast<std::uint32_t>(v[j]) & 0xffu) << shift;
      return;
    }
    if (edges > 0) {
      for (std::size_t len = edges; len > 1;) {
        const std::size_t half = len / 2;
        for (std::size_t j = 0; j < kLanes; ++j) pos[j] += static_cast<std::size_t>(first[pos[j] + half - 1] < v[j]) * half;
        len -= half;
      }
      for (std::size_t j = 0; j < kLanes; ++j) pos[j] += static_cast<std::size_t>(first[pos[j]] < v[j]);
    }
    const std::uint32_t nan = n_bins(f);
    for (std::size_t j = 0; j < kLanes; ++j)
      out[j] |= (std::isnan(v[j]) ? nan : static_cast<std::uint32_t>(pos[j])) << shift;
  }

private:
  // Sorts NaN-free floats ascending (a radix sort on order-preserving keys, several times faster
  // than std::sort on the sampled columns). -0 and +0 may come in either order, as with
  // std::sort; the edges do not depend on it (they compare values, and both zeros are one value).
  static void sort_floats(std::vector<float>& v) {
    const std::size_t n = v.size();
    std::vector<std::uint32_t> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t u;
      std::memcpy(&u, &v[i], sizeof u);
      a[i] = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    }
    constexpr unsigned kBits = 11, kPasses = 3;
    constexpr std::size_t kBuckets = std::size_t{1} << kBits;
    std::vector<std::size_t> count(kBuckets);
    for (unsigned pass = 0; pass < kPasses; ++pass) {
      const unsigned shift = pass * kBits;
      std::fill(count.begin(), count.end(), 0);
      for (std::uint32_t key : a) ++count[(key >> shift) & (kBuckets - 1)];
      if (count[(a[0] >> shift) & (kBuckets - 1)] == n) continue;  // one bucket: nothing moves
      std::size_t sum = 0;
      for (std::size_t& c : count) {
        const std::size_t k = c;
        c = sum;
        sum += k;
      }
      for (std::uint32_t key : a) b[count[(key >> shift) & (kBuckets - 1)]++] = key;
      a.swap(b);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t key = a[i];
      const std::uint32_t u = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
      std::memcpy(&v[i], &u, sizeof u);
    }
  }

  // Edges between distinct sorted values, placed so the bins hold about equal counts; each edge
  // is the midpoint of two neighbouring distinct values (rounded to a float strictly below the
  // upper one), so every training value sits inside its bin.
  static std::vector<float> quantile_edges(std::vector<float>& v, std::size_t max_bins) {
    if (v.empty()) return {};
    sort_floats(v);
    std::vector<float> distinct;
    std::vector<std::size_t> cum;  // rows with value <= distinct[j]
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (distinct.empty() || v[i] != distinct.back()) {
        distinct.push_back(v[i]);
        cum.push_back(i + 1);
      } else {
        cum.back() = i + 1;
      }
    }
    return edges_from_counts(distinct, cum, max_bins);
  }

  static void check_edges(const std::vector<float>& e, std::size_t f) {
    if (e.size() > 254)
      grove::detail::throw_value_error("BinMapper::from_edges: feature " + std::to_string(f) + " has " +
                                       std::to_string(e.size()) + " edges, at most 254");
    for (std::size_t j = 0; j < e.size(); ++j)
      if (std::isnan(e[j]) || (j > 0 && !(e[j - 1] < e[j])))
        grove::detail::throw_value_error("BinMapper::from_edges: feature " + std::to_string(f) +
                                         ": edges must be strictly increasing and not NaN (edge " +
                                         std::to_string(j) + ")");
  }

  std::size_t n_features_ = 0;
  std::vector<std::uint16_t> categories_;  // per feature: category count, 0 for numeric
  std::vector<float> edges_;
  std::vector<std::size_t> edge_offset_;
  std::vector<std::size_t> slot_offset_;
};

/// One feature's bin codes inside its group's words: code of row i = (words[i] >> shift) & 0xff.
struct FeatureCodes {
  const std::uint32_t* words = nullptr;
  unsigned shift = 0;

  std::uint32_t operator[](std::size_t row) const noexcept { return (words[row] >> shift) & 0xffu; }
  void prefetch(std::size_t row) const noexcept { detail::prefetch(words + row); }
};

/// Bin codes of a data set in groups of kGroup features: words[g * n_rows + i] holds the codes of
/// features kGroup*g .. kGroup*g+3 of row i, feature kGroup*g+k in bits 8k..8k+7 (the last group
/// padded with zero codes). A histogram task reads one word a row for four features, and the
/// group's four histograms (4 x 256 bins x 16 bytes) stay in L1 cache.
struct BinnedMatrix {
  static constexpr std::size_t kGroup = 4;

  std::size_t n_rows = 0;
  std::size_t n_features = 0;
  std::vector<std::uint32_t> words;

  std::size_t n_groups() const noexcept { return (n_features + kGroup - 1) / kGroup; }
  /// The words of group g (features kGroup*g ...), one a row.
  const std::uint32_t* group(std::size_t g) const noexcept { return words.data() + g * n_rows; }
  /// Bit position of feature f's code inside its group's words.
  static unsigned shift(std::size_t f) noexcept { return static_cast<unsigned>(8 * (f % kGroup)); }
  FeatureCodes codes(std::size_t f) const noexcept { return {group(f / kGroup), shift(f)}; }
  std::uint8_t code(std::size_t f, std::size_t row) const noexcept { return static_cast<std::uint8_t>(codes(f)[row]); }

  /// Bins X (n x d, row-major) with `mapper`, in parallel over (group, row block) tasks.
  static BinnedMatrix build(const BinMapper& mapper, const float* X, std::size_t n, std::size_t d) {
    BinnedMatrix b;
    b.n_rows = n;
    b.n_features = d;
    const std::size_t groups = b.n_groups();
    detail::resize_huge(b.words, groups * n);  // read at a node's scattered rows: 4 KB pages miss the TLB
    constexpr std::size_t kBlock = 1 << 15;
    const std::size_t blocks = (n + kBlock - 1) / kBlock;
    parallel_for_chunks(blocks * groups, [&](std::size_t task) {
      const std::size_t g = task % groups, blk = task / groups;
      const std::size_t lo = blk * kBlock, hi = std::min(n, lo + kBlock);
      const std::size_t f0 = g * kGroup, f1 = std::min(d, f0 + kGroup);
      std::uint32_t* out = b.words.data() + g * n;
      std::fill(out + lo, out + hi, 0u);
      std::size_t i = lo;
      for (; i + BinMapper::kLanes <= hi; i += BinMapper::kLanes)
        for (std::size_t f = f0; f < f1; ++f) mapper.bin_lanes(f, X + i * d + f, d, shift(f), out + i);
      for (; i < hi; ++i)
        for (std::size_t f = f0; f < f1; ++f) out[i] |= std::uint32_t{mapper.bin(f, X[i * d + f])} << shift(f);
    });
    return b;
  }
};

}  // namespace grove::trees

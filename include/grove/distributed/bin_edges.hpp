#pragma once
/// \file Global bin edges for a distributed fit, agreed once: each rank summarizes every feature
/// of its rows (sorted distinct values with counts, compressed to at most `max_points` weighted
/// points at even ranks when it has more), the summaries are allgathered, and every rank merges
/// them the same way and cuts edges with BinMapper's quantile rule. When no summary needed
/// compressing, the merged counts are exactly those of the union of the rows, so the edges equal
/// BinMapper::fit on the union (below its 200000-row sample).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/distributed/communicator.hpp"
#include "grove/trees/binning.hpp"

namespace grove::detail {

/// A feature's weighted points: ascending distinct values and how many rows each stands for.
struct FeatureSummary {
  std::vector<float> values;
  std::vector<std::uint64_t> weights;
};

/// Summary of n values of column f (stride d) of X, NaN left out.
inline FeatureSummary summarize_feature(const float* X, std::size_t n, std::size_t d, std::size_t f,
                                        std::size_t max_points) {
  std::vector<float> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (const float x = X[i * d + f]; !std::isnan(x)) v.push_back(x);
  std::sort(v.begin(), v.end());
  FeatureSummary s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (s.values.empty() || v[i] != s.values.back()) {
      s.values.push_back(v[i]);
      s.weights.push_back(0);
    }
    ++s.weights.back();
  }
  if (s.values.size() <= max_points) return s;
  // Keep the values where the running count crosses each 1/max_points of the total; each kept
  // point carries the rows since the previous one (the last value is always kept).
  FeatureSummary c;
  const auto total = static_cast<double>(v.size());
  std::uint64_t cum = 0, carried = 0;
  std::size_t next = 1;
  for (std::size_t j = 0; j < s.values.size(); ++j) {
    cum += s.weights[j];
    carried += s.weights[j];
    const bool last = j + 1 == s.values.size();
    if (last || static_cast<double>(cum) * static_cast<double>(max_points) >= static_cast<double>(next) * total) {
      c.values.push_back(s.values[j]);
      c.weights.push_back(carried);
      carried = 0;
      while (static_cast<double>(next) * total <= static_cast<double>(cum) * static_cast<double>(max_points)) ++next;
    }
  }
  return c;
}

/// Summaries as bytes: per feature a count m, m floats, m counts.
inline std::vector<std::byte> encode_summaries(const std::vector<FeatureSummary>& all) {
  std::vector<std::byte> out;
  auto put = [&out](const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    out.insert(out.end(), b, b + n);
  };
  for (const FeatureSummary& s : all) {
    const auto m = static_cast<std::uint64_t>(s.values.size());
    put(&m, sizeof m);
    put(s.values.data(), s.values.size() * sizeof(float));
    put(s.weights.data(), s.weights.size() * sizeof(std::uint64_t));
  }
  return out;
}

/// Reads d summaries back (rank r's bytes); an Error naming the rank when they do not fit.
inline std::vector<FeatureSummary> decode_summaries(const std::vector<std::byte>& bytes, std::size_t d, std::size_t r) {
  std::vector<FeatureSummary> all(d);
  std::size_t at = 0;
  auto get = [&](void* p, std::size_t n) {
    if (n > bytes.size() - at)
      throw_error("distributed bin edges: the summary of rank " + std::to_string(r) + " is truncated");
    if (n) std::memcpy(p, bytes.data() + at, n);
    at += n;
  };
  for (FeatureSummary& s : all) {
    std::uint64_t m = 0;
    get(&m, sizeof m);
    if (m > (bytes.size() - at) / (sizeof(float) + sizeof(std::uint64_t)))
      throw_error("distributed bin edges: the summary of rank " + std::to_string(r) + " is truncated");
    s.values.resize(static_cast<std::size_t>(m));
    s.weights.resize(static_cast<std::size_t>(m));
    get(s.values.data(), s.values.size() * sizeof(float));
    get(s.weights.data(), s.weights.size() * sizeof(std::uint64_t));
  }
  return all;
}

/// Edges of one feature from every rank's summary: points merged by value, then the quantile rule.
inline std::vector<float> merged_edges(const std::vector<const FeatureSummary*>& parts, std::size_t max_bins) {
  std::vector<std::pair<float, std::uint64_t>> points;
  for (const FeatureSummary* s : parts)
    for (std::size_t j = 0; j < s->values.size(); ++j) points.emplace_back(s->values[j], s->weights[j]);
  std::sort(points.begin(), points.end());
  std::vector<float> distinct;
  std::vector<std::size_t> cum;
  std::size_t running = 0;
  for (const auto& [v, w] : points) {
    running += static_cast<std::size_t>(w);
    if (distinct.empty() || v != distinct.back()) {
      distinct.push_back(v);
      cum.push_back(running);
    } else {
      cum.back() = running;
    }
  }
  return trees::BinMapper::edges_from_counts(distinct, cum, max_bins);
}

}  // namespace grove::detail

namespace grove::distributed {

/// Bin edges every rank agrees on for rows X (n x d, row-major; n may be 0 on some ranks):
/// at most max_bins (2..255) value bins a feature, from summaries of at most max_points points a
/// feature and rank. Every rank calls it with the same d, max_bins and max_points.
inline trees::BinMapper agree_bin_edges(Communicator& comm, const float* X, std::size_t n, std::size_t d,
                                        std::size_t max_bins, std::size_t max_points = 4096) {
  if (max_points < max_bins)
    grove::detail::throw_value_error("agree_bin_edges: max_points = " + std::to_string(max_points) +
                                     " must be >= max_bins = " + std::to_string(max_bins));
  std::vector<grove::detail::FeatureSummary> mine(d);
  parallel_for_chunks(d, [&](std::size_t f) { mine[f] = grove::detail::summarize_feature(X, n, d, f, max_points); });
  const std::vector<std::byte> bytes = grove::detail::encode_summaries(mine);
  const std::vector<std::vector<std::byte>> gathered = comm.allgather(bytes);
  std::vector<std::vector<grove::detail::FeatureSummary>> all;
  for (std::size_t r = 0; r < gathered.size(); ++r) all.push_back(grove::detail::decode_summaries(gathered[r], d, r));
  std::vector<std::vector<float>> edges(d);
  parallel_for_chunks(d, [&](std::size_t f) {
    std::vector<const grove::detail::FeatureSummary*> parts;
    for (const auto& rank_summaries : all) parts.push_back(&rank_summaries[f]);
    edges[f] = grove::detail::merged_edges(parts, max_bins);
  });
  return trees::BinMapper::from_edges(edges);
}

}  // namespace grove::distributed

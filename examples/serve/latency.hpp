#pragma once
// LatencyHistogram: request latencies recorded from many threads without a lock (log-spaced
// buckets, 2.5 % wide, from 1 us to about 2 minutes), read and reset as one summary per period.

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include <grove/core/format.hpp>

namespace serve {

/// A summary of the latencies recorded in one period.
struct LatencySummary {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;     ///< responses with status >= 400
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;

  /// "1532 requests, 3 errors, latency p50 0.18 ms, p99 0.41 ms, p99.9 0.9 ms, max 1.3 ms".
  std::string to_string() const {
    auto ms = [](double us) { return grove::format_number(us / 1000.0, 3) + " ms"; };
    std::string s = std::to_string(requests) + " requests, " + std::to_string(errors) + " errors";
    if (requests) s += ", latency p50 " + ms(p50_us) + ", p99 " + ms(p99_us) + ", p99.9 " + ms(p999_us) + ", max " + ms(max_us);
    return s;
  }
};

class LatencyHistogram {
public:
  /// Records one request that took `us` microseconds; `error` for a status >= 400.
  void record(double us, bool error) noexcept {
    buckets_[bucket(us)].fetch_add(1, std::memory_order_relaxed);
    if (error) errors_.fetch_add(1, std::memory_order_relaxed);
    const auto q = static_cast<std::uint64_t>(std::max(0.0, us) * 16.0);  // max in 1/16 us, lock-free
    std::uint64_t cur = max_q_.load(std::memory_order_relaxed);
    while (q > cur && !max_q_.compare_exchange_weak(cur, q, std::memory_order_relaxed)) {
    }
  }
  /// Counts a request whose latency is unknown (rejected before routing).
  void record_error_only() noexcept {
    unknown_.fetch_add(1, std::memory_order_relaxed);
    errors_.fetch_add(1, std::memory_order_relaxed);
  }

  /// The summary since the last call, and a fresh period. Quantiles are bucket upper bounds
  /// (at most 2.5 % above the true value).
  LatencySummary take() noexcept {
    std::array<std::uint64_t, kBuckets> counts{};
    std::uint64_t n = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) n += counts[b] = buckets_[b].exchange(0, std::memory_order_relaxed);
    LatencySummary s;
    s.requests = n + unknown_.exchange(0, std::memory_order_relaxed);
    s.errors = errors_.exchange(0, std::memory_order_relaxed);
    s.max_us = static_cast<double>(max_q_.exchange(0, std::memory_order_relaxed)) / 16.0;
    if (n == 0) return s;
    auto quantile = [&](double q) {
      const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
      std::uint64_t seen = 0;
      for (std::size_t b = 0; b < kBuckets; ++b)
        if ((seen += counts[b]) >= std::max<std::uint64_t>(rank, 1)) return std::min(upper(b), s.max_us);
      return s.max_us;
    };
    s.p50_us = quantile(0.50);
    s.p99_us = quantile(0.99);
    s.p999_us = quantile(0.999);
    return s;
  }

private:
  static constexpr std::size_t kBuckets = 768;
  static constexpr double kGrowth = 1.025;

  static std::size_t bucket(double us) noexcept {
    if (!(us > 1.0)) return 0;
    const double b = std::ceil(std::log(us) / std::log(kGrowth));
    return b >= static_cast<double>(kBuckets - 1) ? kBuckets - 1 : static_cast<std::size_t>(b);
  }
  static double upper(std::size_t b) noexcept { return std::pow(kGrowth, static_cast<double>(b)); }

  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> errors_{0}, unknown_{0}, max_q_{0};
};

}  // namespace serve

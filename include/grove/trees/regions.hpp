#pragma once
/// \file RegionRunner: how the tree grower runs its parallel regions. The default hands them to
/// the thread pool; a profiler (benchmarks/trees_phases.cpp) substitutes one that times every
/// chunk, to account CPU time per phase and per thread and to replay the schedule at other
/// thread counts.

#include <cstddef>
#include <functional>

#include "grove/core/parallel.hpp"

namespace grove::detail {

/// The grower's phases, named for profiles.
enum class GrowPhase : unsigned char { RootSums, Partition, Gather, Histograms };

class RegionRunner {
public:
  virtual ~RegionRunner() = default;
  /// Runs body(c) for c in [0, n_chunks), the chunks of one parallel region of `phase`.
  virtual void run(GrowPhase phase, std::size_t n_chunks, const std::function<void(std::size_t)>& body) {
    (void)phase;
    parallel_for_chunks(n_chunks, body);
  }
};

/// runner->run(...), or the thread pool when there is no runner.
inline void run_region(RegionRunner* runner, GrowPhase phase, std::size_t n_chunks,
                       const std::function<void(std::size_t)>& body) {
  if (runner)
    runner->run(phase, n_chunks, body);
  else
    parallel_for_chunks(n_chunks, body);
}

}  // namespace grove::detail

#pragma once
/// \file ShardReducer: the extension point that lets several trainers, each holding a shard of
/// the rows, grow the same trees (the distributed module implements it over MPI or threads).
/// The boosting engine and the grower call it where a sum over rows feeds a decision: base
/// scores, root statistics, child row counts, the built histograms of each level, losses, the
/// statistics' scale. An ordinary fit has none (a null pointer) and pays one branch per level.

#include <cstddef>

namespace grove::detail {

/// Sums over the trainers of one fit. Every trainer makes the same calls in the same order;
/// sum() leaves the same bits on every trainer (so all of them take the same decisions).
class ShardReducer {
public:
  virtual ~ShardReducer() = default;
  /// values[i] = the sum of values[i] over all trainers, in place.
  virtual void sum(double* values, std::size_t n) = 0;
  /// values[i] = the largest values[i] over all trainers, in place.
  virtual void max(double* values, std::size_t n) = 0;
};

}  // namespace grove::detail

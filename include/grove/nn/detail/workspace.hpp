#pragma once
/// \file Per-thread scratch buffers for nn's kernels (im2col columns, partial sums). Each pool
/// thread keeps its own buffers alive between calls, so a training loop allocates them once
/// and then reuses them: no allocation per call in steady state.

#include <cstddef>
#include <vector>

namespace grove::detail {

/// Scratch buffer `slot` (0..3) of the calling thread, at least n elements long. Its contents
/// are garbage on entry; the caller writes before reading.
template <class T>
inline T* workspace(std::size_t slot, std::size_t n) {
  thread_local std::vector<T> buffers[4];
  std::vector<T>& b = buffers[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

}  // namespace grove::detail

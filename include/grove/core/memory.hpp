#pragma once
/// \file Large buffers on 2 MB pages: a hint to Linux (transparent huge pages in "madvise" mode,
/// Debian's default) for buffers that are first touched right after the hint. Fewer first-touch
/// page faults (CSV parsing), and far fewer TLB misses where a buffer larger than the caches is
/// read at scattered positions (the trees' bin codes, gradients and margins, read row by row
/// for a node's rows).

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace grove::detail {

/// Asks Linux to back the 2 MB-aligned part of [p, p + bytes) with huge pages where it can. A
/// hint only: failures, other systems and buffers under 2 MB change nothing.
inline void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

/// v.resize(n, value), with new storage advised onto huge pages before its first touch (the
/// contents are kept). For large working buffers read at scattered rows.
template <class T>
void resize_huge(std::vector<T>& v, std::size_t n, const T& value = T{}) {
  if (n > v.capacity()) {
    std::vector<T> fresh;
    fresh.reserve(n);
    advise_huge_pages(fresh.data(), n * sizeof(T));
    fresh.assign(v.begin(), v.end());
    v.swap(fresh);
  }
  v.resize(n, value);
}

}  // namespace grove::detail

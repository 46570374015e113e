#pragma once
/// \file Running a tree engine over rows: blocks of rows in parallel (each block's raw outputs
/// computed by raw_rows, bitwise equal to raw on each row), and one row into a per-thread buffer.

#include <algorithm>
#include <cstddef>
#include <vector>

#include "grove/core/parallel.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::detail {

/// Calls emit(row, raw outputs) for every row of Xf (n x engine.n_features).
template <class Engine, class Emit>
void for_each_raw(const Engine& engine, const Tensor<float>& Xf, Emit emit) {
  const std::size_t n = Xf.shape(0), d = engine.n_features, k = engine.n_raw();
  // Many classes: fewer rows a block, so a block's outputs stay small.
  const std::size_t block = std::clamp<std::size_t>(Engine::kBlockRows, 1, std::max<std::size_t>(1, 65536 / k));
  const std::size_t blocks = (n + block - 1) / block;
  parallel_for(0, blocks, std::max<std::size_t>(1, 1024 / block), [&](std::size_t lo, std::size_t hi) {
    std::vector<double> raw(block * k);
    for (std::size_t b = lo; b < hi; ++b) {
      const std::size_t r0 = b * block, rows = std::min(block, n - r0);
      engine.raw_rows(Xf.data() + r0 * d, rows, raw.data());
      for (std::size_t i = 0; i < rows; ++i) emit(r0 + i, raw.data() + i * k);
    }
  });
}

/// Raw outputs of one row, in a per-thread buffer (allocation-free after a thread's first call).
template <class Engine>
const double* raw_row(const Engine& engine, const float* x) {
  static thread_local std::vector<double> buf;
  if (buf.size() < engine.n_raw()) buf.resize(engine.n_raw());
  engine.raw(x, buf.data());
  return buf.data();
}

}  // namespace grove::detail

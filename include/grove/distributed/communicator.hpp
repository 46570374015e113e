#pragma once
/// \file Communicator: what distributed training needs from a group of ranks (rank, size,
/// allreduce of float/double/int64 buffers, broadcast, allgather of byte buffers, barrier, abort),
/// implemented over MPI (mpi_communicator.hpp) and over threads in one process
/// (in_process.hpp, for tests). Reductions are deterministic: every element is combined in rank
/// order (rank 0's value, then rank 1's, ...), so every rank gets the same bits and a run at a
/// given rank count is repeated exactly. check_ranks / on_every_rank turn an error on one rank
/// into the same clear error on all of them instead of a hang.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"

namespace grove::distributed {

/// A failure of the group: a rank reported an error, or the group was aborted. Thrown on every
/// rank; the message names the failed rank(s).
class DistributedError : public Error {
public:
  using Error::Error;
};

/// Element-wise combination for allreduce.
enum class ReduceOp { Sum, Max, Min };

/// A group of ranks that run the same program on different data. Every rank calls the same
/// collectives in the same order (a collective on one rank waits for all of them).
class Communicator {
public:
  virtual ~Communicator() = default;

  /// This rank, 0..size()-1.
  virtual int rank() const noexcept = 0;
  /// Number of ranks.
  virtual int size() const noexcept = 0;

  /// values[i] = values[i] of rank 0 op values[i] of rank 1 op ..., in place on every rank.
  void allreduce(std::span<double> values, ReduceOp op = ReduceOp::Sum) {
    reduce(values.data(), values.size(), ElementType::Float64, op);
  }
  void allreduce(std::span<float> values, ReduceOp op = ReduceOp::Sum) {
    reduce(values.data(), values.size(), ElementType::Float32, op);
  }
  void allreduce(std::span<std::int64_t> values, ReduceOp op = ReduceOp::Sum) {
    reduce(values.data(), values.size(), ElementType::Int64, op);
  }
  /// Root's bytes on every rank (others' `bytes` are replaced, whatever their size).
  void broadcast(std::vector<std::byte>& bytes, int root = 0) {
    check_root(root);
    if (size() > 1) broadcast_bytes(bytes, root);
    if (rank() == root) bytes_sent_ += static_cast<std::uint64_t>(size() - 1) * bytes.size();
  }
  /// Every rank's bytes (any size each), in rank order, on every rank.
  std::vector<std::vector<std::byte>> allgather(std::span<const std::byte> bytes) {
    bytes_sent_ += static_cast<std::uint64_t>(size() - 1) * bytes.size();
    if (size() == 1) return {std::vector<std::byte>(bytes.begin(), bytes.end())};
    return allgather_bytes(bytes);
  }
  /// Returns once every rank has called it.
  virtual void barrier() = 0;
  /// Ends the whole group after an error on this rank that the others cannot see coming (they
  /// may be waiting in a collective): reports `message` naming this rank and stops every rank
  /// (MPI: MPI_Abort; in-process: the other ranks' collectives throw DistributedError).
  [[noreturn]] void abort(const std::string& message) {
    abort_group(message);
    throw DistributedError(message);
  }

  /// Payload bytes this rank has sent so far (allreduce: reduce-scatter + allgather, about
  /// 2 (size - 1) / size of the buffer; broadcast: (size - 1) copies from the root).
  std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }

protected:
  enum class ElementType { Float32, Float64, Int64 };

  /// The deterministic allreduce: see combine_in_rank_order; called only with size() > 1.
  virtual void reduce_elements(void* values, std::size_t n, ElementType type, ReduceOp op) = 0;
  virtual void broadcast_bytes(std::vector<std::byte>& bytes, int root) = 0;
  virtual std::vector<std::vector<std::byte>> allgather_bytes(std::span<const std::byte> bytes) = 0;
  /// Stops the other ranks (MPI: never returns; in-process: fails their collectives).
  virtual void abort_group(const std::string& message) = 0;

  static std::size_t element_size(ElementType t) noexcept { return t == ElementType::Float32 ? 4 : 8; }

  /// Rank r's chunk [begin, end) of n elements in the reduce-scatter.
  std::size_t chunk_begin(std::size_t n, int r) const noexcept {
    return n * static_cast<std::size_t>(r) / static_cast<std::size_t>(size());
  }

  /// acc = acc op x, element-wise (acc holds the ranks before x's, so sums run in rank order).
  static void combine(void* acc, const void* x, std::size_t n, ElementType type, ReduceOp op) noexcept {
    switch (type) {
      case ElementType::Float32: combine_typed(static_cast<float*>(acc), static_cast<const float*>(x), n, op); return;
      case ElementType::Float64: combine_typed(static_cast<double*>(acc), static_cast<const double*>(x), n, op); return;
      case ElementType::Int64:
        combine_typed(static_cast<std::int64_t*>(acc), static_cast<const std::int64_t*>(x), n, op);
        return;
    }
  }

private:
  void reduce(void* values, std::size_t n, ElementType type, ReduceOp op) {
    if (size() == 1) return;
    // Sends every chunk but its own once, then its reduced chunk to every other rank.
    const std::size_t own = chunk_begin(n, rank() + 1) - chunk_begin(n, rank());
    bytes_sent_ += (n - own + static_cast<std::size_t>(size() - 1) * own) * element_size(type);
    reduce_elements(values, n, type, op);
  }
  void check_root(int root) const {
    if (root < 0 || root >= size())
      grove::detail::throw_value_error("Communicator::broadcast: root " + std::to_string(root) + " is not a rank (0.." +
                                       std::to_string(size() - 1) + ")");
  }
  template <class T>
  static void combine_typed(T* acc, const T* x, std::size_t n, ReduceOp op) noexcept {
    switch (op) {
      case ReduceOp::Sum:
        for (std::size_t i = 0; i < n; ++i) acc[i] += x[i];
        return;
      case ReduceOp::Max:
        for (std::size_t i = 0; i < n; ++i) acc[i] = std::max(acc[i], x[i]);
        return;
      case ReduceOp::Min:
        for (std::size_t i = 0; i < n; ++i) acc[i] = std::min(acc[i], x[i]);
        return;
    }
  }

  std::uint64_t bytes_sent_ = 0;
};

/// Agrees on the outcome of a step every rank ran: `error` is this rank's error message (empty:
/// it succeeded). When any rank failed, every rank throws DistributedError
/// "<op>: rank r: <message>" listing each failed rank. One allgather.
inline void check_ranks(Communicator& comm, std::string_view op, const std::string& error) {
  const auto* p = reinterpret_cast<const std::byte*>(error.data());
  const std::vector<std::vector<std::byte>> all = comm.allgather(std::span<const std::byte>(p, error.size()));
  std::string msg;
  for (std::size_t r = 0; r < all.size(); ++r) {
    if (all[r].empty()) continue;
    msg += msg.empty() ? std::string(op) + ": " : std::string("; ");
    msg += "rank " + std::to_string(r) + ": " + std::string(reinterpret_cast<const char*>(all[r].data()), all[r].size());
  }
  if (!msg.empty()) throw DistributedError(msg);
}

/// Runs `step` on this rank, then check_ranks: either every rank succeeded, or every rank
/// throws the same DistributedError naming the ranks that failed.
template <class Step>
void on_every_rank(Communicator& comm, std::string_view op, Step&& step) {
  std::string error;
  try {
    step();
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "failed";
  } catch (...) {
    error = "failed with an unknown exception";
  }
  check_ranks(comm, op, error);
}

/// Runs `step`, a phase whose collectives every rank enters, and aborts the group (naming this
/// rank) if it throws here: the others may be waiting in a collective this rank will not reach.
template <class Step>
auto or_abort(Communicator& comm, std::string_view op, Step&& step) -> decltype(step()) {
  try {
    return step();
  } catch (const DistributedError&) {
    throw;  // raised on every rank already
  } catch (const std::exception& e) {
    comm.abort(std::string(op) + ": rank " + std::to_string(comm.rank()) + ": " + e.what());
  }
}

}  // namespace grove::distributed

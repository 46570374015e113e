#pragma once
/// \file MpiCommunicator: the Communicator over an MPI communicator (link grove::distributed,
/// which brings MPI::MPI_CXX), and MpiSession, which initializes and finalizes MPI for a program.
/// allreduce is a reduce-scatter (MPI_Alltoallv) whose chunks are combined in rank order, then an
/// MPI_Allgatherv: bandwidth-optimal like a ring, and the same bits on every rank and every run
/// (MPI_Allreduce promises neither).

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/distributed/communicator.hpp"

namespace grove::distributed {

/// MPI_Init on construction (unless MPI is already initialized), MPI_Finalize on destruction.
class MpiSession {
public:
  MpiSession(int& argc, char**& argv) {
    int done = 0;
    MPI_Initialized(&done);
    if (!done) {
      MPI_Init(&argc, &argv);
      owner_ = true;
    }
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owner_ && !finalized) MPI_Finalize();
  }

private:
  bool owner_ = false;
};

/// The ranks of an MPI communicator (default MPI_COMM_WORLD; MPI must be initialized).
class MpiCommunicator final : public Communicator {
public:
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }

  int rank() const noexcept override { return rank_; }
  int size() const noexcept override { return size_; }
  void barrier() override { MPI_Barrier(comm_); }

protected:
  // Prints the message on stderr and ends every rank (MPI_Abort, exit code 1).
  void abort_group(const std::string& message) override {
    std::fprintf(stderr, "grove distributed: %s; aborting all %d ranks\n", message.c_str(), size_);
    std::fflush(stderr);
    MPI_Abort(comm_, 1);
    std::abort();  // MPI_Abort does not return
  }
  void reduce_elements(void* values, std::size_t n, ElementType type, ReduceOp op) override {
    // Pieces keep every count and displacement an int.
    const std::size_t es = element_size(type);
    const std::size_t piece = (std::size_t{INT_MAX} / 2) / es;
    auto* p = static_cast<std::byte*>(values);
    for (std::size_t at = 0; at < n; at += piece) reduce_piece(p + at * es, std::min(piece, n - at), type, op);
  }

  void broadcast_bytes(std::vector<std::byte>& bytes, int root) override {
    auto size = static_cast<std::uint64_t>(bytes.size());
    MPI_Bcast(&size, 1, MPI_UINT64_T, root, comm_);
    if (rank_ != root) bytes.resize(static_cast<std::size_t>(size));
    for (std::size_t at = 0; at < bytes.size(); at += kMaxCount)
      MPI_Bcast(bytes.data() + at, count(std::min(kMaxCount, bytes.size() - at)), MPI_BYTE, root, comm_);
  }

  std::vector<std::vector<std::byte>> allgather_bytes(std::span<const std::byte> bytes) override {
    if (bytes.size() > kMaxCount) too_large("allgather", bytes.size());
    const int mine = count(bytes.size());
    std::vector<int> sizes(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
    MPI_Allgather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, comm_);
    std::size_t total = 0;
    for (int r = 0; r < size_; ++r) {
      displs[static_cast<std::size_t>(r)] = static_cast<int>(total);
      total += static_cast<std::size_t>(sizes[static_cast<std::size_t>(r)]);
      if (total > kMaxCount) too_large("allgather", total);
    }
    std::vector<std::byte> all(total);
    MPI_Allgatherv(bytes.data(), mine, MPI_BYTE, all.data(), sizes.data(), displs.data(), MPI_BYTE, comm_);
    std::vector<std::vector<std::byte>> out(static_cast<std::size_t>(size_));
    for (std::size_t r = 0; r < out.size(); ++r) {
      const auto* b = all.data() + displs[r];
      out[r].assign(b, b + sizes[r]);
    }
    return out;
  }

private:
  static constexpr std::size_t kMaxCount = INT_MAX;

  static int count(std::size_t n) noexcept { return static_cast<int>(n); }
  [[noreturn, gnu::cold, gnu::noinline]] static void too_large(const char* op, std::size_t bytes) {
    grove::detail::throw_value_error(std::string("MpiCommunicator::") + op + ": " + std::to_string(bytes) +
                                     " bytes is over MPI's int count limit");
  }

  // Reduce-scatter: rank j receives chunk j of every rank and combines them in rank order;
  // then every rank gathers the combined chunks.
  void reduce_piece(std::byte* data, std::size_t n, ElementType type, ReduceOp op) {
    const std::size_t es = element_size(type), K = static_cast<std::size_t>(size_);
    std::vector<int> counts(K), displs(K);
    for (std::size_t j = 0; j < K; ++j) {
      const std::size_t b = chunk_begin(n, static_cast<int>(j)), e = chunk_begin(n, static_cast<int>(j) + 1);
      counts[j] = count((e - b) * es);
      displs[j] = count(b * es);
    }
    const auto r = static_cast<std::size_t>(rank_);
    const std::size_t own = static_cast<std::size_t>(counts[r]);
    std::vector<std::byte> recv(own * K);
    std::vector<int> rcounts(K, counts[r]), rdispls(K);
    for (std::size_t j = 0; j < K; ++j) rdispls[j] = count(j * own);
    MPI_Alltoallv(data, counts.data(), displs.data(), MPI_BYTE, recv.data(), rcounts.data(), rdispls.data(), MPI_BYTE,
                  comm_);
    for (std::size_t j = 1; j < K; ++j) combine(recv.data(), recv.data() + j * own, own / es, type, op);
    MPI_Allgatherv(recv.data(), counts[r], MPI_BYTE, data, counts.data(), displs.data(), MPI_BYTE, comm_);
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace grove::distributed

#pragma once
/// \file In-process communicator: threads as ranks, so distributed logic is tested without
/// mpirun. It computes the same bits as the MPI communicator (each element combined in rank
/// order). run_in_process() starts the ranks; an exception on one rank aborts the group, so
/// ranks waiting in a collective throw DistributedError naming it instead of hanging.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/distributed/communicator.hpp"

namespace grove::distributed {

/// The shared state of an in-process group: a reusable barrier, posted buffers, the failure.
class InProcessGroup {
public:
  explicit InProcessGroup(int size) : size_(size), posted_(static_cast<std::size_t>(size)) {
    if (size < 1) grove::detail::throw_value_error("InProcessGroup: size must be >= 1, got " + std::to_string(size));
  }
  int size() const noexcept { return size_; }

  /// Waits until every rank arrives; DistributedError once the group failed.
  void wait() {
    std::unique_lock<std::mutex> lk(m_);
    if (failed_) throw DistributedError(failure_);
    const std::uint64_t gen = generation_;
    if (++arrived_ == size_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lk, [&] { return generation_ != gen || failed_ || left_ > 0; });
    if (generation_ != gen) return;
    if (!failed_) fail_locked("a rank finished while others wait in a collective");
    throw DistributedError(failure_);
  }
  /// Marks the group failed (first message wins) and wakes every waiting rank.
  void fail(const std::string& message) {
    std::lock_guard<std::mutex> lk(m_);
    fail_locked(message);
  }
  /// A rank finished its work: a barrier the others still wait in can no longer complete.
  void leave() {
    std::lock_guard<std::mutex> lk(m_);
    ++left_;
    cv_.notify_all();
  }
  /// The buffer rank r posted for the current collective.
  struct Posted {
    const void* data = nullptr;
    std::size_t size = 0;
  };
  std::vector<Posted>& posted() noexcept { return posted_; }

private:
  void fail_locked(const std::string& message) {
    if (!failed_) failure_ = message;
    failed_ = true;
    cv_.notify_all();
  }

  int size_;
  std::mutex m_;
  std::condition_variable cv_;
  int arrived_ = 0, left_ = 0;
  std::uint64_t generation_ = 0;
  bool failed_ = false;
  std::string failure_;
  std::vector<Posted> posted_;
};

/// One rank of an InProcessGroup (one thread each).
class InProcessCommunicator final : public Communicator {
public:
  InProcessCommunicator(InProcessGroup& group, int rank) : g_(group), rank_(rank) {}

  int rank() const noexcept override { return rank_; }
  int size() const noexcept override { return g_.size(); }
  void barrier() override { g_.wait(); }

protected:
  void abort_group(const std::string& message) override { g_.fail(message); }
  void reduce_elements(void* values, std::size_t n, ElementType type, ReduceOp op) override {
    const std::size_t bytes = n * element_size(type);
    post(values, bytes);
    g_.wait();
    // Every rank combines all buffers itself, in rank order: the same bits as the chunked MPI
    // reduction, and no rank writes a buffer another still reads (the second wait).
    std::vector<std::byte> acc(bytes);
    if (bytes) std::memcpy(acc.data(), g_.posted()[0].data, bytes);
    for (int r = 1; r < size(); ++r) combine(acc.data(), g_.posted()[static_cast<std::size_t>(r)].data, n, type, op);
    g_.wait();
    if (bytes) std::memcpy(values, acc.data(), bytes);
  }
  void broadcast_bytes(std::vector<std::byte>& bytes, int root) override {
    if (rank_ == root) post(bytes.data(), bytes.size());
    g_.wait();
    std::vector<std::byte> copy;
    if (rank_ != root) {
      const InProcessGroup::Posted& p = g_.posted()[static_cast<std::size_t>(root)];
      const auto* b = static_cast<const std::byte*>(p.data);
      copy.assign(b, b + p.size);
    }
    g_.wait();
    if (rank_ != root) bytes = std::move(copy);
  }
  std::vector<std::vector<std::byte>> allgather_bytes(std::span<const std::byte> bytes) override {
    post(bytes.data(), bytes.size());
    g_.wait();
    std::vector<std::vector<std::byte>> out;
    for (const InProcessGroup::Posted& p : g_.posted()) {
      const auto* b = static_cast<const std::byte*>(p.data);
      out.emplace_back(b, b + p.size);
    }
    g_.wait();
    return out;
  }

private:
  void post(const void* data, std::size_t size) { g_.posted()[static_cast<std::size_t>(rank_)] = {data, size}; }

  InProcessGroup& g_;
  int rank_;
};

/// Runs fn(communicator) on `size` threads, one rank each, and returns each rank's exception
/// (null where fn returned). An exception on one rank aborts the group: the others' pending and
/// later collectives throw DistributedError naming the rank.
inline std::vector<std::exception_ptr> run_in_process(int size, const std::function<void(Communicator&)>& fn) {
  InProcessGroup group(size);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r)
    threads.emplace_back([&, r] {
      InProcessCommunicator comm(group, r);
      try {
        fn(comm);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
        group.fail("rank " + std::to_string(r) + " failed: " + e.what());
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
        group.fail("rank " + std::to_string(r) + " failed");
      }
      group.leave();
    });
  for (std::thread& t : threads) t.join();
  return errors;
}

}  // namespace grove::distributed

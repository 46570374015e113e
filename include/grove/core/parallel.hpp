#pragma once
/// \file One process-wide thread pool behind grove's parallel work: set_num_threads,
/// num_threads, parallel_for. Parallel regions never nest: a body that calls parallel_for
/// again runs that inner loop on its own thread.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grove/core/error.hpp"

namespace grove {
namespace detail {

/// Persistent workers that run chunk-indexed jobs; the calling thread takes part too.
class ThreadPool {
public:
  static ThreadPool& instance() {
    static ThreadPool pool;
    return pool;
  }

  std::size_t threads() const noexcept { return n_threads_.load(std::memory_order_relaxed); }

  void set_threads(std::size_t n) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    stop_workers();
    n_threads_.store(n, std::memory_order_relaxed);
  }

  static bool& in_parallel_region() noexcept {
    thread_local bool flag = false;
    return flag;
  }

  /// Runs fn(c) for every chunk c in [0, n_chunks), spread over the pool; rethrows the
  /// first exception a chunk threw after every chunk has finished.
  void run(std::size_t n_chunks, const std::function<void(std::size_t)>& fn) {
    if (n_chunks == 0) return;
    const std::size_t want = std::min(threads(), n_chunks);
    if (want <= 1 || in_parallel_region()) {
      run_serial(n_chunks, fn);
      return;
    }
    std::lock_guard<std::mutex> run_lock(run_mutex_);  // one parallel region at a time
    ensure_workers(want - 1);
    {
      std::lock_guard<std::mutex> lk(m_);
      job_ = &fn;
      n_chunks_ = n_chunks;
      next_.store(0);
      done_ = 0;
      joined_ = 0;
      joined_count_.store(0, std::memory_order_relaxed);
      active_workers_ = want - 1;
      error_ = nullptr;
      ++generation_;
      posted_.store(generation_, std::memory_order_release);
      finished_.store(0, std::memory_order_relaxed);
    }
    cv_.notify_all();  // no system call for workers still spinning (not waiting)
    work(fn, n_chunks);
    // Every chunk has been taken. Wait for the workers that joined to finish theirs; one that has
    // not joined by now (asleep, or descheduled on a busy machine) is not waited for: closing the
    // job (job_ = nullptr, under the mutex) keeps it out.
    spin_until([&] {
      const std::size_t joined = joined_count_.load(std::memory_order_acquire);
      return finished_.load(std::memory_order_acquire) == joined && joined == want - 1;
    });
    std::unique_lock<std::mutex> lk(m_);
    job_ = nullptr;
    done_cv_.wait(lk, [&] { return done_ == joined_; });
    if (error_) std::rethrow_exception(error_);
  }

  ~ThreadPool() { stop_workers(); }

private:
  ThreadPool() {
    const unsigned hw = std::thread::hardware_concurrency();
    n_threads_ = hw == 0 ? 1 : hw;
    hardware_threads_ = n_threads_;
  }

  static void run_serial(std::size_t n_chunks, const std::function<void(std::size_t)>& fn) {
    bool& flag = in_parallel_region();
    const bool old = flag;
    flag = true;
    try {
      for (std::size_t c = 0; c < n_chunks; ++c) fn(c);
    } catch (...) {
      flag = old;
      throw;
    }
    flag = old;
  }

  void work(const std::function<void(std::size_t)>& fn, std::size_t n_chunks) {
    bool& flag = in_parallel_region();
    flag = true;
    for (;;) {
      const std::size_t c = next_.fetch_add(1);
      if (c >= n_chunks) break;
      try {
        fn(c);
      } catch (...) {
        std::lock_guard<std::mutex> lk(m_);
        if (!error_) error_ = std::current_exception();
      }
    }
    flag = false;
  }

  void ensure_workers(std::size_t n) {
    std::size_t gen = 0;
    {
      std::lock_guard<std::mutex> lk(m_);
      gen = generation_;
    }
    while (workers_.size() < n) {
      const std::size_t id = workers_.size();
      // The worker starts from the generation current now, so it cannot miss the job posted next.
      workers_.emplace_back([this, id, gen] { worker_loop(id, gen); });
    }
  }

  void worker_loop(std::size_t id, std::size_t seen) {
    for (;;) {
      const std::function<void(std::size_t)>* job = nullptr;
      std::size_t n_chunks = 0;
      // Regions often follow each other within microseconds (a tree grows level by level): a
      // worker that looks for the next one a little while before sleeping starts it without a
      // wake-up, which costs tens of microseconds on virtual machines. The state is read under
      // the mutex either way; the spin only saves the wait.
      spin_until([&] { return posted_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (id >= active_workers_ || job_ == nullptr) continue;  // not needed, or the job is closed
        job = job_;
        n_chunks = n_chunks_;
        ++joined_;
        joined_count_.store(joined_, std::memory_order_release);
      }
      work(*job, n_chunks);
      {
        std::lock_guard<std::mutex> lk(m_);
        ++done_;
        finished_.store(done_, std::memory_order_release);
      }
      done_cv_.notify_one();
    }
  }

  // Polls `ready` for up to kSpinMicros (pausing the core between polls); true when it held.
  // Never when the pool has more threads than the machine has cores: a spinning thread would
  // hold a core another thread of the pool needs.
  template <class Ready>
  bool spin_until(Ready ready) const {
    if (threads() > hardware_threads_) return ready();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
    for (;;) {
      if (ready()) return true;
      std::this_thread::yield();
      if (std::chrono::steady_clock::now() > deadline) return false;
    }
  }
  static constexpr int kSpinMicros = 50;

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
      posted_.store(generation_ + 1, std::memory_order_release);  // ends the workers' spin
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    std::lock_guard<std::mutex> lk(m_);
    stop_ = false;
  }

  std::atomic<std::size_t> n_threads_{1};
  std::size_t hardware_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::mutex m_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t n_chunks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::size_t done_ = 0;    // joined workers that finished the current job
  std::size_t joined_ = 0;  // workers that took the current job
  std::size_t active_workers_ = 0;
  std::size_t generation_ = 0;
  std::atomic<std::size_t> posted_{0};    // generation_, readable without the mutex
  std::atomic<std::size_t> finished_{0};  // done_, readable without the mutex
  std::atomic<std::size_t> joined_count_{0};  // joined_, readable without the mutex
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace detail

/// Number of threads parallel work may use (default: hardware threads).
inline std::size_t num_threads() noexcept { return detail::ThreadPool::instance().threads(); }

namespace detail {

// Resizing the pool waits for the running region to finish, and a body of that region can never
// finish while it waits: a deadlock. Refused from any body, whatever the thread count, so code
// that passes with one thread cannot hang with two.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_resize_in_region(const char* op) {
  throw_error(std::string(op) +
              ": called inside a parallel_for body; the thread pool cannot be resized while it runs that "
              "loop (it would deadlock). Set the thread count before the parallel loop starts");
}

}  // namespace detail

/// Most threads set_num_threads accepts (each is an OS thread the pool may start).
inline constexpr std::size_t kMaxThreads = 4096;

/// Sets the number of threads for all of grove's parallel work; n must be in [1, kMaxThreads].
/// Calling it inside a parallel_for body (in_parallel_region()) is an Error.
inline void set_num_threads(std::size_t n) {
  if (n == 0 || n > kMaxThreads)
    detail::throw_value_error("set_num_threads: n must be in [1, " + std::to_string(kMaxThreads) + "], got " +
                              std::to_string(n));
  if (detail::ThreadPool::in_parallel_region()) detail::throw_resize_in_region("set_num_threads");
  detail::ThreadPool::instance().set_threads(n);
}

/// True inside a parallel_for body (where nested loops run serially).
inline bool in_parallel_region() noexcept { return detail::ThreadPool::in_parallel_region(); }

/// Runs body(c) for each chunk index c in [0, n_chunks). Chunks are the unit of determinism:
/// a reduction that combines per-chunk results in chunk order gives the same bits for any
/// thread count.
inline void parallel_for_chunks(std::size_t n_chunks, const std::function<void(std::size_t)>& body) {
  detail::ThreadPool::instance().run(n_chunks, body);
}

/// Splits [begin, end) into chunks of at least `grain` indices and runs body(lo, hi) on each.
/// The chunking depends only on the range and grain, never on the thread count.
inline void parallel_for(std::size_t begin, std::size_t end, std::size_t grain,
                         const std::function<void(std::size_t, std::size_t)>& body) {
  if (end <= begin) return;
  if (grain == 0) grain = 1;
  const std::size_t n = end - begin;
  const std::size_t n_chunks = n / grain + (n % grain != 0);  // (n + grain - 1) / grain overflows for a huge grain
  if (n_chunks == 1) {
    body(begin, end);
    return;
  }
  parallel_for_chunks(n_chunks, [&](std::size_t c) {
    const std::size_t lo = begin + c * grain;
    body(lo, std::min(end, lo + grain));
  });
}

/// RAII: sets the thread count for a scope and restores the previous one. Like set_num_threads,
/// it is an Error inside a parallel_for body.
class ThreadCountGuard {
public:
  explicit ThreadCountGuard(std::size_t n) : old_(num_threads()) {
    if (in_parallel_region()) detail::throw_resize_in_region("ThreadCountGuard");
    set_num_threads(n);
  }
  ~ThreadCountGuard() { set_num_threads(old_); }
  ThreadCountGuard(const ThreadCountGuard&) = delete;
  ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

private:
  std::size_t old_;
};

}  // namespace grove

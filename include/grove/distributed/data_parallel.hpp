#pragma once
/// \file DataParallel: data-parallel SGD for nn modules. Rank 0's parameters are broadcast once;
/// after each backward on a rank's part of the global batch, gradients are averaged over the
/// ranks (weighted by rows, so the result is the gradient of the global batch's mean loss) with
/// one allreduce per bucket of parameters, not per tensor; every rank then takes the same
/// optimizer step, so the ranks keep identical parameters without further communication.
///
///   distributed::DataParallel<float> dp(comm, model.parameters());
///   dp.broadcast_parameters();
///   for (...) { opt.zero_grad(); loss(model(x_local), y_local).backward();
///               dp.average_gradients(x_local.shape(0)); opt.step(); }

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "grove/autograd/engine.hpp"
#include "grove/core/error.hpp"
#include "grove/distributed/communicator.hpp"
#include "grove/distributed/setup_check.hpp"
#include "grove/tensor/elementwise.hpp"
#include "grove/tensor/reduce.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::distributed {

/// Averages the gradients of one model's parameters over the ranks of a communicator.
template <class T>
class DataParallel {
public:
  /// `params`: the model's parameters (module.parameters()), the same shapes in the same order on
  /// every rank. Buckets hold up to `bucket_bytes` of gradients (a bigger tensor is one bucket).
  DataParallel(Communicator& comm, std::vector<Tensor<T>> params, std::size_t bucket_bytes = std::size_t{1} << 20)
      : comm_(comm), params_(std::move(params)) {
    if (bucket_bytes < sizeof(T))
      grove::detail::throw_value_error("DataParallel: bucket_bytes must be >= " + std::to_string(sizeof(T)) +
                                       ", got " + std::to_string(bucket_bytes));
    const std::size_t per_bucket = bucket_bytes / sizeof(T);
    std::size_t used = per_bucket;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (!params_[i].is_contiguous())
        grove::detail::throw_value_error("DataParallel: parameter " + std::to_string(i) + " is not contiguous");
      if (used + params_[i].size() > per_bucket && used > 0) {
        buckets_.push_back({i, i});
        used = 0;
      }
      buckets_.back().end = i + 1;
      used += params_[i].size();
    }
    if (buckets_.empty()) buckets_.push_back({0, 0});
  }

  /// Number of allreduce calls average_gradients makes.
  std::size_t buckets() const noexcept { return buckets_.size(); }

  /// Checks that every rank has the same parameter shapes (DistributedError naming a rank that
  /// differs), then gives every rank rank 0's parameter values.
  void broadcast_parameters() {
    std::vector<std::pair<std::string, std::string>> shapes{{"parameters", std::to_string(params_.size())}};
    for (std::size_t i = 0; i < params_.size(); ++i)
      shapes.emplace_back("parameter " + std::to_string(i) + " shape", to_string(params_[i].shape()));
    check_same_setup(comm_, "DataParallel::broadcast_parameters", shapes);
    for (const Bucket& b : buckets_) {
      std::vector<std::byte> bytes;
      if (comm_.rank() == 0)
        for (std::size_t i = b.begin; i < b.end; ++i) {
          const auto* p = reinterpret_cast<const std::byte*>(params_[i].data());
          bytes.insert(bytes.end(), p, p + params_[i].size() * sizeof(T));
        }
      comm_.broadcast(bytes, 0);
      std::size_t at = 0;
      for (std::size_t i = b.begin; i < b.end; ++i) {
        const std::size_t n = params_[i].size() * sizeof(T);
        if (n) std::memcpy(params_[i].data(), bytes.data() + at, n);
        at += n;
      }
    }
  }

  /// Call after backward() of the mean loss over this rank's `rows` rows of the global batch
  /// (0 allowed: this rank contributes nothing). Sets every gradient to
  /// sum_r rows_r * grad_r / sum_r rows_r, the gradient of the mean loss over the global batch,
  /// on every rank. Returns the global batch's row count (0: no rank had rows; gradients zero).
  std::size_t average_gradients(std::size_t rows) {
    const T w = static_cast<T>(rows);
    for (Tensor<T>& p : params_)
      if (!p.has_grad()) (p.sum() * T(0)).backward();  // a gradient buffer to receive the mean
    double total = 0.0;
    for (std::size_t bi = 0; bi < buckets_.size(); ++bi) {
      const Bucket& b = buckets_[bi];
      const bool last = bi + 1 == buckets_.size();
      buf_.clear();
      for (std::size_t i = b.begin; i < b.end; ++i) {
        const Tensor<T> g = params_[i].grad();
        const T* gp = g.data();
        for (std::size_t j = 0; j < g.size(); ++j) buf_.push_back(gp[j] * w);
      }
      if (last) buf_.push_back(w);  // the row count travels with the last bucket
      comm_.allreduce(std::span<T>(buf_));
      if (last) total = static_cast<double>(buf_.back());
      scatter(b, total, last);
    }
    return static_cast<std::size_t>(total);
  }

private:
  struct Bucket {
    std::size_t begin, end;  // parameters [begin, end)
  };

  // Writes the summed bucket back as means. Only the last bucket knows the total, so earlier
  // buckets are kept summed and divided once it arrives.
  void scatter(const Bucket& b, double total, bool last) {
    std::size_t at = 0;
    for (std::size_t i = b.begin; i < b.end; ++i) {
      Tensor<T> g = params_[i].grad();
      std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(at), buf_.begin() + static_cast<std::ptrdiff_t>(at + g.size()),
                g.data());
      at += g.size();
    }
    if (!last) return;
    const T divisor = static_cast<T>(std::max(total, 1.0));
    for (Tensor<T>& p : params_) {
      Tensor<T> g = p.grad();
      T* gp = g.data();
      for (std::size_t j = 0; j < g.size(); ++j) gp[j] /= divisor;
    }
  }

  Communicator& comm_;
  std::vector<Tensor<T>> params_;
  std::vector<Bucket> buckets_;
  std::vector<T> buf_;
};

}  // namespace grove::distributed

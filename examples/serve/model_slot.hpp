#pragma once
// ModelSlot: the model a server answers with, swapped whole on reload. A request takes a
// shared_ptr to the current LoadedModel and keeps it until it has answered, so a reload never
// pulls a model out from under a request in flight; the old model is freed by its last user.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>

#include <grove/serving/load_model.hpp>
#include <grove/serving/model.hpp>
#include <grove/serving/row_encoder.hpp>

namespace serve {

/// A model with the encoder for its schema and where it came from.
struct LoadedModel {
  std::shared_ptr<const grove::serving::Model> model;
  grove::serving::RowEncoder encoder;
  std::string path;
  std::chrono::system_clock::time_point loaded_at;
  std::uint64_t version = 1;  ///< 1 for the first model, +1 per successful reload
};

/// Loads `path` (any kind load_model reads, plus `extra`) with its encoder.
inline std::shared_ptr<const LoadedModel> load_model_file(const std::string& path,
                                                          std::span<const grove::serving::ModelKind> extra,
                                                          const grove::serving::RowEncoderOptions& enc_options,
                                                          std::uint64_t version) {
  std::shared_ptr<const grove::serving::Model> m = grove::serving::load_model(path, extra);
  grove::serving::RowEncoder enc(m->schema(), enc_options);
  return std::make_shared<const LoadedModel>(
      LoadedModel{std::move(m), std::move(enc), path, std::chrono::system_clock::now(), version});
}

/// Empty when `next` can replace `cur` without breaking clients (same task and the same feature
/// names and kinds in the same order; categories and classes may change); otherwise why not.
inline std::string incompatibility(const grove::serving::Model& cur, const grove::serving::Model& next) {
  if (cur.task() != next.task())
    return std::string("the task changes from ") + to_string(cur.task()) + " to " + to_string(next.task());
  const auto& a = cur.schema().features;
  const auto& b = next.schema().features;
  if (a.size() != b.size())
    return "the number of features changes from " + std::to_string(a.size()) + " to " + std::to_string(b.size());
  for (std::size_t j = 0; j < a.size(); ++j)
    if (a[j].name != b[j].name || a[j].kind != b[j].kind)
      return "feature " + std::to_string(j) + " changes from '" + a[j].name + "' to '" + b[j].name + "'" +
             (a[j].name == b[j].name ? " (numeric/categorical)" : "");
  return {};
}

/// The outcome of the last reload attempt.
struct ReloadStatus {
  std::uint64_t attempts = 0, failures = 0;
  bool last_ok = true;
  std::string last_error;  ///< empty after a successful reload
  std::chrono::system_clock::time_point last_attempt{};
};

class ModelSlot {
public:
  explicit ModelSlot(std::shared_ptr<const LoadedModel> first) : cur_(std::move(first)) {}

  /// The current model; hold it for the whole request.
  std::shared_ptr<const LoadedModel> get() const {
    std::lock_guard<std::mutex> lk(m_);
    return cur_;
  }
  void set(std::shared_ptr<const LoadedModel> next) {
    std::shared_ptr<const LoadedModel> old;
    {
      std::lock_guard<std::mutex> lk(m_);
      old = std::exchange(cur_, std::move(next));
    }
    // `old` is released here, outside the lock (possibly freeing a large model).
  }

  ReloadStatus status() const {
    std::lock_guard<std::mutex> lk(m_);
    return status_;
  }
  void record(bool ok, std::string error) {
    std::lock_guard<std::mutex> lk(m_);
    ++status_.attempts;
    status_.failures += ok ? 0 : 1;
    status_.last_ok = ok;
    status_.last_error = std::move(error);
    status_.last_attempt = std::chrono::system_clock::now();
  }

private:
  mutable std::mutex m_;
  std::shared_ptr<const LoadedModel> cur_;
  ReloadStatus status_;
};

}  // namespace serve

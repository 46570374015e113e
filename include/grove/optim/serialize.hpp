#pragma once
/// \file Optimizer and scheduler state in files, and checkpoints that hold a model, its
/// optimizer and (optionally) its scheduler together, so training stopped after epoch k and
/// resumed from the file continues bitwise as uninterrupted training would.
///
/// Files use grove's binary container (magic, version, checksum). Kinds:
///   "grove.optim.Optimizer" v1: the OptimizerState fields in order (name, dtype, lr, steps,
///       parameter sizes, options, counters, buffers);
///   "grove.optim.Scheduler" v1: the SchedulerState fields (name, options, values);
///   "grove.Checkpoint" v1: u64 epoch, the module's tensors (as nn::save writes them), the
///       optimizer state, u8 has_scheduler and the scheduler state.
/// Loading checks everything, including that the state fits the object it goes into, before
/// changing anything; every problem is a FormatError naming the file and byte offset.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/format.hpp"
#include "grove/io/binary.hpp"
#include "grove/nn/module.hpp"
#include "grove/nn/serialize.hpp"
#include "grove/optim/lr_scheduler.hpp"
#include "grove/optim/optimizer.hpp"

namespace grove::optim {

inline constexpr const char* kOptimizerKind = "grove.optim.Optimizer";
inline constexpr const char* kSchedulerKind = "grove.optim.Scheduler";
inline constexpr const char* kCheckpointKind = "grove.Checkpoint";

}  // namespace grove::optim

namespace grove::detail {

template <class T>
void write_optimizer_state(io::BinaryWriter& w, const optim::OptimizerState<T>& s) {
  w.write_string(s.name);
  w.write<std::uint8_t>(dtype_code<T>());
  w.write<double>(s.lr);
  w.write<std::uint64_t>(s.steps);
  w.write_vector(s.param_sizes);
  w.write<std::uint64_t>(s.options.size());
  for (const auto& [name, v] : s.options) {
    w.write_string(name);
    w.write<double>(v);
  }
  w.write<std::uint64_t>(s.counters.size());
  for (const auto& [name, v] : s.counters) {
    w.write_string(name);
    w.write_vector(v);
  }
  w.write<std::uint64_t>(s.buffers.size());
  for (const auto& [name, arrays] : s.buffers) {
    w.write_string(name);
    w.write<std::uint64_t>(arrays.size());
    for (const auto& a : arrays) w.write_vector(a);
  }
}

/// A count read from a file, checked against the bytes left (each item takes at least `min_bytes`).
inline std::size_t read_count(io::BinaryReader& r, const char* what, std::size_t min_bytes) {
  const auto n = r.read<std::uint64_t>();
  if (n > r.remaining() / min_bytes) r.fail(std::string(what) + " count " + std::to_string(n) + " is implausible");
  return static_cast<std::size_t>(n);
}

template <class T>
optim::OptimizerState<T> read_optimizer_state(io::BinaryReader& r) {
  optim::OptimizerState<T> s;
  s.name = r.read_string(256);
  const auto dtype = r.read<std::uint8_t>();
  if (dtype != dtype_code<T>())
    r.fail("optimizer state is " + std::string(dtype_name(dtype)) + " but the optimizer holds " +
           dtype_name(dtype_code<T>()));
  s.lr = r.read<double>();
  s.steps = r.read<std::uint64_t>();
  s.param_sizes = r.read_vector<std::uint64_t>();
  s.options.resize(read_count(r, "option", 16));
  for (auto& [name, v] : s.options) {
    name = r.read_string(256);
    v = r.read<double>();
  }
  s.counters.resize(read_count(r, "counter", 16));
  for (auto& [name, v] : s.counters) {
    name = r.read_string(256);
    v = r.read_vector<std::uint64_t>();
  }
  s.buffers.resize(read_count(r, "buffer", 16));
  for (auto& [name, arrays] : s.buffers) {
    name = r.read_string(256);
    arrays.resize(read_count(r, "array", 8));
    for (auto& a : arrays) {
      a = r.read_vector<T>();
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!std::isfinite(a[i]))
          r.fail("optimizer buffer '" + name + "' holds " + format_number(static_cast<double>(a[i])) + " at element " +
                 std::to_string(i));
    }
  }
  return s;
}

inline void write_scheduler_state(io::BinaryWriter& w, const optim::SchedulerState& s) {
  w.write_string(s.name);
  for (const auto* list : {&s.options, &s.values}) {
    w.write<std::uint64_t>(list->size());
    for (const auto& [name, v] : *list) {
      w.write_string(name);
      w.write<double>(v);
    }
  }
}

inline optim::SchedulerState read_scheduler_state(io::BinaryReader& r) {
  optim::SchedulerState s;
  s.name = r.read_string(256);
  for (auto* list : {&s.options, &s.values}) {
    list->resize(read_count(r, "scheduler field", 16));
    for (auto& [name, v] : *list) {
      name = r.read_string(256);
      v = r.read<double>();
    }
  }
  return s;
}

/// Reads an optimizer state and checks it fits `opt` (FormatError from `r` otherwise).
template <class T>
optim::OptimizerState<T> read_optimizer_for(io::BinaryReader& r, const optim::Optimizer<T>& opt) {
  optim::OptimizerState<T> s = read_optimizer_state<T>(r);
  const std::string problem = opt.incompatibility(s);
  if (!problem.empty()) r.fail(std::string(opt.name()) + " state does not fit: " + problem);
  return s;
}

inline optim::SchedulerState read_scheduler_for(io::BinaryReader& r, const optim::Scheduler& sched) {
  optim::SchedulerState s = read_scheduler_state(r);
  const std::string problem = sched.incompatibility(s);
  if (!problem.empty()) r.fail(std::string(sched.name()) + " state does not fit: " + problem);
  return s;
}

}  // namespace grove::detail

namespace grove::optim {

/// Writes an optimizer's state (learning rate, step counts, options, moments) to `path`.
template <class T>
void save(const Optimizer<T>& opt, const std::string& path) {
  io::BinaryWriter w;
  detail::write_optimizer_state(w, opt.state_dict());
  w.save(path, kOptimizerKind, 1);
}

/// Restores a state written by optim::save into an optimizer of the same kind, options and
/// parameter shapes; anything else is a FormatError and the optimizer is unchanged.
template <class T>
void load(Optimizer<T>& opt, const std::string& path) {
  io::BinaryReader r = io::BinaryReader::open(path, kOptimizerKind, 1);
  const OptimizerState<T> s = detail::read_optimizer_for(r, opt);
  r.expect_end();
  opt.restore(s);
}

/// Writes a scheduler's state (step count, base rate, plateau tracking) to `path`.
inline void save(const Scheduler& sched, const std::string& path) {
  io::BinaryWriter w;
  detail::write_scheduler_state(w, sched.state_dict());
  w.save(path, kSchedulerKind, 1);
}

/// Restores a state written by optim::save into a scheduler of the same kind and options.
inline void load(Scheduler& sched, const std::string& path) {
  io::BinaryReader r = io::BinaryReader::open(path, kSchedulerKind, 1);
  const SchedulerState s = detail::read_scheduler_for(r, sched);
  r.expect_end();
  sched.restore(s);
}

/// Writes one file holding the model's parameters and buffers, the optimizer's state, the
/// scheduler's state (when given) and the number of completed epochs.
template <class T>
void save_checkpoint(const std::string& path, const nn::Module<T>& model, const Optimizer<T>& opt,
                     const Scheduler* scheduler = nullptr, std::uint64_t epoch = 0) {
  io::BinaryWriter w;
  w.write<std::uint64_t>(epoch);
  detail::write_module_tensors(w, model);
  detail::write_optimizer_state(w, opt.state_dict());
  w.write<std::uint8_t>(scheduler ? 1 : 0);
  if (scheduler) detail::write_scheduler_state(w, scheduler->state_dict());
  w.save(path, kCheckpointKind, 1);
}

/// Restores a checkpoint written by save_checkpoint into the model, optimizer and scheduler
/// (given exactly when the checkpoint holds one) and returns its epoch count. All three are
/// checked before any is changed: a FormatError leaves every one of them as it was.
template <class T>
std::uint64_t load_checkpoint(const std::string& path, nn::Module<T>& model, Optimizer<T>& opt,
                              Scheduler* scheduler = nullptr) {
  io::BinaryReader r = io::BinaryReader::open(path, kCheckpointKind, 1);
  const auto epoch = r.read<std::uint64_t>();
  detail::PendingTensors<T> tensors = detail::read_module_tensors(r, model, true);
  const OptimizerState<T> os = detail::read_optimizer_for(r, opt);
  const auto has_scheduler = r.read<std::uint8_t>();
  if (has_scheduler > 1) r.fail("scheduler flag " + std::to_string(has_scheduler) + " is not 0 or 1");
  if ((has_scheduler == 1) != (scheduler != nullptr))
    r.fail(has_scheduler ? "the checkpoint holds a scheduler state but no scheduler was given"
                         : "a scheduler was given but the checkpoint holds none");
  SchedulerState ss;
  if (scheduler) ss = detail::read_scheduler_for(r, *scheduler);
  r.expect_end();
  tensors.apply();
  opt.restore(os);
  if (scheduler) scheduler->restore(ss);
  return epoch;
}

}  // namespace grove::optim

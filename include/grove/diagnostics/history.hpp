#pragma once
/// \file History: named per-step series (losses, metrics) recorded during training.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"

namespace grove::diag {

/// Named series of (step, value) pairs, kept in the order they were first logged.
class History {
public:
  /// One named series.
  struct Series {
    std::string name;
    std::vector<std::size_t> steps;
    std::vector<double> values;
  };

  /// Records `value` for series `name` at `step`.
  void log(std::size_t step, std::string_view name, double value) {
    Series* s = find(name);
    if (!s) {
      series_.push_back(Series{std::string(name), {}, {}});
      s = &series_.back();
    }
    s->steps.push_back(step);
    s->values.push_back(value);
  }

  /// True when a series of that name was logged.
  bool has(std::string_view name) const { return find(name) != nullptr; }

  /// Values of a series, in logging order (ValueError naming the known series if absent).
  const std::vector<double>& series(std::string_view name) const { return get(name).values; }

  /// Steps at which a series was logged.
  const std::vector<std::size_t>& steps(std::string_view name) const { return get(name).steps; }

  /// Every step any series was logged at, ascending, without repeats.
  std::vector<std::size_t> steps() const {
    std::vector<std::size_t> all;
    for (const auto& s : series_) all.insert(all.end(), s.steps.begin(), s.steps.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }

  /// Names of the series, in the order first logged.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& s : series_) out.push_back(s.name);
    return out;
  }

  /// All series.
  const std::vector<Series>& all() const noexcept { return series_; }

  bool empty() const noexcept { return series_.empty(); }
  void clear() noexcept { series_.clear(); }

private:
  Series* find(std::string_view name) {
    for (auto& s : series_)
      if (s.name == name) return &s;
    return nullptr;
  }
  const Series* find(std::string_view name) const {
    for (const auto& s : series_)
      if (s.name == name) return &s;
    return nullptr;
  }
  const Series& get(std::string_view name) const {
    if (const Series* s = find(name)) return *s;
    std::string known;
    for (const auto& s : series_) known += (known.empty() ? "" : ", ") + s.name;
    grove::detail::throw_value_error("History: no series '" + std::string(name) + "' (known: " +
                              (known.empty() ? std::string("none") : known) + ")");
  }

  std::vector<Series> series_;
};

}  // namespace grove::diag

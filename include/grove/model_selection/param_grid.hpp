#pragma once
/// \file ParamGrid and ParamDistributions: the space a search explores, described on a params
/// struct with member pointers. A grid is a list of (field, values) axes applied to a base
/// params struct; every combination is a candidate (the last axis varies fastest):
///   ParamGrid<P>{}.add(&P::max_depth, {3, 6}).add(&P::learning_rate, {0.05, 0.1})
/// Distributions draw each field independently for random search:
///   ParamDistributions<P>{}.add(&P::learning_rate, log_uniform(0.01, 0.3)).add(&P::max_depth, int_uniform(3, 8))

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/model_selection/params.hpp"

namespace grove::detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_axis_error(const char* op, const std::string& name,
                                                                     const std::string& msg) {
  throw_value_error(std::string(op) + ": " + name + " " + msg);
}

/// The axis name: the given one, else the field's name from P's field list.
template <class P, class V>
std::string axis_name(std::string name, V P::*member, const char* op) {
  if (member == nullptr) throw_value_error(std::string(op) + ": the field pointer is null");
  if (name.empty()) name = model_selection::param_name(member);
  if (name.empty())
    throw_value_error(std::string(op) +
                      ": this params type has no field list to name the field; give the name: "
                      "add(\"name\", &P::field, ...)");
  return name;
}

/// Byte offset of a field, to tell axes on the same field apart.
template <class P, class V>
std::ptrdiff_t field_offset(const P& probe, V P::*member) {
  return reinterpret_cast<const char*>(&(probe.*member)) - reinterpret_cast<const char*>(&probe);
}

/// A candidate's searched values as text, one per axis.
template <class Axis>
std::vector<std::string> axis_names(const std::vector<Axis>& axes) {
  std::vector<std::string> out;
  for (const Axis& a : axes) out.push_back(a.name);
  return out;
}

}  // namespace grove::detail

namespace grove::model_selection {

/// A grid of candidate params: axes of (field, values) over a base params struct.
template <class P>
class ParamGrid {
public:
  ParamGrid() = default;
  /// A grid whose candidates start from `base` (fields not on an axis keep its values).
  explicit ParamGrid(P base) : base_(std::move(base)) {}

  /// Adds an axis on field `member`, named from P's field list (see params.hpp).
  template <class V>
  ParamGrid& add(V P::*member, std::vector<V> values) {
    return add(std::string(), member, std::move(values));
  }

  /// Adds an axis named `name` on field `member`. Values must be non-empty, numbers finite,
  /// and the field not already an axis (ValueError naming the field otherwise).
  template <class V>
  ParamGrid& add(std::string name, V P::*member, std::vector<V> values) {
    constexpr const char* op = "ParamGrid.add";
    name = detail::axis_name(std::move(name), member, op);
    if (values.empty()) detail::throw_axis_error(op, name, "has no values");
    Axis axis{name, detail::field_offset(base_, member), values.size(), {}, {}};
    for (const V& v : values) {
      if constexpr (std::is_floating_point_v<V>) detail::check_finite(op, name, static_cast<double>(v));
      axis.texts.push_back(param_value_text(v));
    }
    for (const Axis& a : axes_)
      if (a.offset == axis.offset) detail::throw_axis_error(op, name, "is already an axis of this grid");
    axis.apply = [member, values = std::move(values)](P& p, std::size_t i) { p.*member = values[i]; };
    axes_.push_back(std::move(axis));
    return *this;
  }

  /// Number of candidates: the product of the axis sizes (0 without axes).
  std::size_t size() const {
    if (axes_.empty()) return 0;
    std::size_t n = 1;
    for (const Axis& a : axes_) n = detail::checked_mul(n, a.n, "ParamGrid.size");
    return n;
  }

  /// Candidate i (0 <= i < size()): the base with each axis at its value for i.
  P candidate(std::size_t i) const {
    P p = base_;
    for_each_index(i, [&](const Axis& a, std::size_t j) { a.apply(p, j); });
    return p;
  }

  /// The searched values of candidate i as text, in axis order.
  ParamList describe(std::size_t i) const {
    ParamList out;
    for_each_index(i, [&](const Axis& a, std::size_t j) { out.push_back({a.name, a.texts[j]}); });
    return out;
  }

  /// The axis names in the order they were added.
  std::vector<std::string> names() const { return detail::axis_names(axes_); }
  const P& base() const noexcept { return base_; }
  /// True when some axis is on field `member`.
  template <class V>
  bool has_axis(V P::*member) const {
    const std::ptrdiff_t off = detail::field_offset(base_, member);
    for (const Axis& a : axes_)
      if (a.offset == off) return true;
    return false;
  }

private:
  struct Axis {
    std::string name;
    std::ptrdiff_t offset;
    std::size_t n;
    std::function<void(P&, std::size_t)> apply;
    std::vector<std::string> texts;
  };

  // Mixed-radix digits of i, the last axis varying fastest.
  template <class F>
  void for_each_index(std::size_t i, F&& f) const {
    std::vector<std::size_t> digit(axes_.size());
    for (std::size_t a = axes_.size(); a-- > 0;) {
      digit[a] = i % axes_[a].n;
      i /= axes_[a].n;
    }
    for (std::size_t a = 0; a < axes_.size(); ++a) f(axes_[a], digit[a]);
  }

  P base_{};
  std::vector<Axis> axes_;
};

}  // namespace grove::model_selection

namespace grove::detail {
/// Keeps braced lists out of the distribution types, so add(&P::depth, {3, 6}) is a list of values.
struct DistributionKey {};
}  // namespace grove::detail

namespace grove::model_selection {

/// Uniform on [lo, hi) for a floating-point field (made by uniform(lo, hi)).
struct Uniform {
  double lo, hi;
  constexpr Uniform(double lo_, double hi_, detail::DistributionKey) noexcept : lo(lo_), hi(hi_) {}
};
/// Log-uniform on [lo, hi), 0 < lo < hi, for a floating-point field: learning rates, penalties.
struct LogUniform {
  double lo, hi;
  constexpr LogUniform(double lo_, double hi_, detail::DistributionKey) noexcept : lo(lo_), hi(hi_) {}
};
/// Uniform over the integers lo..hi (inclusive) for an integer field.
struct IntUniform {
  std::int64_t lo, hi;
  constexpr IntUniform(std::int64_t lo_, std::int64_t hi_, detail::DistributionKey) noexcept : lo(lo_), hi(hi_) {}
};

/// Uniform on [lo, hi).
inline Uniform uniform(double lo, double hi) { return {lo, hi, {}}; }
/// Log-uniform on [lo, hi).
inline LogUniform log_uniform(double lo, double hi) { return {lo, hi, {}}; }
/// Uniform over lo..hi inclusive.
inline IntUniform int_uniform(std::int64_t lo, std::int64_t hi) { return {lo, hi, {}}; }

/// Independent distributions of fields for random search: each candidate draws every field.
/// A list of values is a uniform choice among them. When every field is a list, candidates are
/// drawn without repetition (and the whole grid is used when it has at most n_iter points).
template <class P>
class ParamDistributions {
public:
  ParamDistributions() = default;
  explicit ParamDistributions(P base) : base_(std::move(base)) {}

  /// Field `member` ~ Uniform or LogUniform (floating-point fields).
  template <class V, class D>
    requires std::floating_point<V> && (std::same_as<D, Uniform> || std::same_as<D, LogUniform>)
  ParamDistributions& add(V P::*member, D dist) {
    return add(std::string(), member, dist);
  }
  template <class V, class D>
    requires std::floating_point<V> && (std::same_as<D, Uniform> || std::same_as<D, LogUniform>)
  ParamDistributions& add(std::string name, V P::*member, D dist) {
    constexpr bool log = std::same_as<D, LogUniform>;
    name = start(std::move(name), member);
    detail::check_finite(kOp, name + " lo", dist.lo);
    detail::check_finite(kOp, name + " hi", dist.hi);
    if (!(dist.lo < dist.hi) || (log && !(dist.lo > 0)))
      detail::throw_axis_error(kOp, name,
                               std::string(log ? "log_uniform" : "uniform") + "(lo, hi) needs " +
                                   (log ? "0 < lo < hi" : "lo < hi") + ", got (" + format_number(dist.lo) + ", " +
                                   format_number(dist.hi) + ")");
    push(name, member, 0, [member, dist](P& p, Rng& rng, std::size_t) {
      const double u = rng.uniform();
      const double v = log ? std::exp(std::log(dist.lo) + u * (std::log(dist.hi) - std::log(dist.lo)))
                           : dist.lo + u * (dist.hi - dist.lo);
      p.*member = static_cast<V>(v);
      return param_value_text(p.*member);
    });
    return *this;
  }

  /// Integer field `member` ~ IntUniform.
  template <class V>
    requires std::integral<V> && (!std::same_as<V, bool>)
  ParamDistributions& add(V P::*member, IntUniform dist) {
    return add(std::string(), member, dist);
  }
  template <class V>
    requires std::integral<V> && (!std::same_as<V, bool>)
  ParamDistributions& add(std::string name, V P::*member, IntUniform dist) {
    name = start(std::move(name), member);
    const auto lo_ok = static_cast<double>(dist.lo) >= static_cast<double>(std::numeric_limits<V>::lowest());
    const auto hi_ok = static_cast<double>(dist.hi) <= static_cast<double>(std::numeric_limits<V>::max());
    if (!(dist.lo <= dist.hi) || !lo_ok || !hi_ok)
      detail::throw_axis_error(kOp, name,
                               "int_uniform(lo, hi) needs lo <= hi within the field's type, got (" +
                                   std::to_string(dist.lo) + ", " + std::to_string(dist.hi) + ")");
    push(name, member, 0, [member, dist](P& p, Rng& rng, std::size_t) {
      const auto span = static_cast<std::uint64_t>(dist.hi - dist.lo) + 1;  // 0 means the full 2^64 range
      const std::uint64_t r = span == 0 ? rng.next_u64() : rng.below(span);
      p.*member = static_cast<V>(dist.lo + static_cast<std::int64_t>(r));
      return param_value_text(p.*member);
    });
    return *this;
  }

  /// Field `member` drawn uniformly from `values` (non-empty; numbers finite).
  template <class V>
  ParamDistributions& add(V P::*member, std::vector<V> values) {
    return add(std::string(), member, std::move(values));
  }
  template <class V>
  ParamDistributions& add(std::string name, V P::*member, std::vector<V> values) {
    name = start(std::move(name), member);
    if (values.empty()) detail::throw_axis_error(kOp, name, "has no values");
    if constexpr (std::is_floating_point_v<V>)
      for (const V& v : values) detail::check_finite(kOp, name, static_cast<double>(v));
    const std::size_t n = values.size();
    push(name, member, n, [member, values = std::move(values)](P& p, Rng& rng, std::size_t forced) {
      const std::size_t i = forced != kDraw ? forced : static_cast<std::size_t>(rng.below(values.size()));
      p.*member = values[i];
      return param_value_text(p.*member);
    });
    return *this;
  }

  /// Number of distributions.
  std::size_t size() const noexcept { return axes_.size(); }
  std::vector<std::string> names() const { return detail::axis_names(axes_); }
  const P& base() const noexcept { return base_; }
  template <class V>
  bool has_axis(V P::*member) const {
    const std::ptrdiff_t off = detail::field_offset(base_, member);
    for (const Axis& a : axes_)
      if (a.offset == off) return true;
    return false;
  }

  /// n candidates drawn with `seed` (fewer when every field is a list with fewer combinations),
  /// with their drawn values as text. The draws depend only on the seed.
  std::vector<std::pair<P, ParamList>> sample(std::size_t n, std::uint64_t seed) const {
    std::vector<std::pair<P, ParamList>> out;
    Rng rng(seed ^ 0xD157A1B5ULL);
    if (const std::size_t grid = discrete_size(); grid != 0) {
      // Every field is a list: draw distinct points of the grid (all of it when it is small).
      std::set<std::size_t> seen;
      while (out.size() < std::min(n, grid)) {
        const std::size_t idx = n >= grid ? out.size() : static_cast<std::size_t>(rng.below(grid));
        if (!seen.insert(idx).second) continue;
        out.push_back(draw(rng, idx));
      }
      return out;
    }
    for (std::size_t i = 0; i < n; ++i) out.push_back(draw(rng, kDraw));
    return out;
  }

private:
  static constexpr const char* kOp = "ParamDistributions.add";
  static constexpr std::size_t kDraw = std::numeric_limits<std::size_t>::max();

  struct Axis {
    std::string name;
    std::ptrdiff_t offset;
    std::size_t n_values;  // list size; 0 for a continuous or integer range
    std::function<std::string(P&, Rng&, std::size_t)> draw;
  };

  template <class V>
  std::string start(std::string name, V P::*member) {
    name = detail::axis_name(std::move(name), member, kOp);
    const std::ptrdiff_t off = detail::field_offset(base_, member);
    for (const Axis& a : axes_)
      if (a.offset == off) detail::throw_axis_error(kOp, name, "already has a distribution");
    return name;
  }

  template <class V, class F>
  void push(const std::string& name, V P::*member, std::size_t n_values, F draw) {
    axes_.push_back(Axis{name, detail::field_offset(base_, member), n_values, std::move(draw)});
  }

  // Product of the list sizes when every axis is a list (0 otherwise, or when it overflows).
  std::size_t discrete_size() const {
    std::size_t n = 1;
    for (const Axis& a : axes_) {
      if (a.n_values == 0 || !fits(n, a.n_values)) return 0;
      n *= a.n_values;
    }
    return axes_.empty() ? 0 : n;
  }
  static bool fits(std::size_t a, std::size_t b) {
    std::size_t out = 0;
    return !__builtin_mul_overflow(a, b, &out);
  }

  // One candidate: a grid index (mixed radix, last axis fastest) or kDraw for independent draws.
  std::pair<P, ParamList> draw(Rng& rng, std::size_t index) const {
    std::vector<std::size_t> digit(axes_.size(), kDraw);
    if (index != kDraw)
      for (std::size_t a = axes_.size(); a-- > 0;) {
        digit[a] = index % axes_[a].n_values;
        index /= axes_[a].n_values;
      }
    std::pair<P, ParamList> out{base_, {}};
    for (std::size_t a = 0; a < axes_.size(); ++a)
      out.second.push_back({axes_[a].name, axes_[a].draw(out.first, rng, digit[a])});
    return out;
  }

  P base_{};
  std::vector<Axis> axes_;
};

}  // namespace grove::model_selection

#pragma once
/// \file The allowed ranges nn and optim check their options against (core/check.hpp's
/// Interval), named once so every message spells a range the same way.

#include <limits>

#include "grove/core/check.hpp"

namespace grove::detail {

/// [0, inf): learning rates, decays, momenta.
inline constexpr Interval kNonNegative{0.0, std::numeric_limits<double>::infinity(), false, true};
/// (0, inf): epsilons that keep a denominator away from zero.
inline constexpr Interval kPositive{0.0, std::numeric_limits<double>::infinity(), true, true};
/// [0, 1): moving-average coefficients (Adam's betas).
inline constexpr Interval kUnitOpen{0.0, 1.0, false, true};
/// [0, 1]: probabilities.
inline constexpr Interval kUnit{0.0, 1.0, false, false};

}  // namespace grove::detail

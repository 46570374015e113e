#pragma once
/// \file Parametric learning-curve families (pow3, pow4, mmf4, wbl4, exp3, ilog2; the strong
/// models of the LCDB studies, Mohr, van Rijn et al. 2022) fitted to the validation error by
/// weighted least squares with the asymptote bounded, for projecting a curve to larger sizes.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"

namespace grove::diag {

/// A curve family, written for the error e (≥ 0, smaller is better) at n samples, u = n / n_ref:
/// every family is c + A·g(u; θ) with an asymptote c, a scale A ≥ 0 and a decreasing shape g.
enum class CurveFamily {
  Pow2,   ///< A·u^(−b)                           (power law, no floor: a line in log-log)
  Pow3,   ///< c + A·u^(−b)                       (power law with a floor)
  Pow4,   ///< c + A·(u + d)^(−b)                 (power law with a small-sample plateau)
  Mmf4,   ///< c + A·β / (β + u^d)                (Morgan–Mercer–Flodin)
  Wbl4,   ///< c + A·exp(−(β·u)^d)                (Weibull)
  Exp3,   ///< c + A·exp(−b·u)                    (exponential)
  Ilog2,  ///< c + A / ln(n)                      (inverse logarithm)
};

/// "pow3", "pow4", "mmf4", "wbl4", "exp3" or "ilog2".
inline const char* to_string(CurveFamily f) noexcept {
  switch (f) {
    case CurveFamily::Pow2: return "pow2";
    case CurveFamily::Pow3: return "pow3";
    case CurveFamily::Pow4: return "pow4";
    case CurveFamily::Mmf4: return "mmf4";
    case CurveFamily::Wbl4: return "wbl4";
    case CurveFamily::Exp3: return "exp3";
    case CurveFamily::Ilog2: return "ilog2";
  }
  return "pow3";
}

/// Every family, in declaration order.
inline std::vector<CurveFamily> all_curve_families() {
  return {CurveFamily::Pow2, CurveFamily::Pow3, CurveFamily::Pow4, CurveFamily::Mmf4,
          CurveFamily::Wbl4, CurveFamily::Exp3, CurveFamily::Ilog2};
}

/// Bounds of a curve fit: the asymptote c lies in [floor_lo, min(floor_hi, smallest error)].
struct CurveFitOptions {
  double floor_lo = 0.0;  ///< e.g. the training error at the largest size (the asymptote is above it)
  double floor_hi = std::numeric_limits<double>::infinity();
};

/// One fitted family. predict(n) is the fitted error; NaN when !ok.
struct CurveFit {
  CurveFamily family = CurveFamily::Pow3;
  bool ok = false;
  double c = std::numeric_limits<double>::quiet_NaN();  ///< asymptote (error as n → ∞)
  double A = std::numeric_limits<double>::quiet_NaN();  ///< scale
  std::array<double, 2> theta{};                        ///< shape parameters (b; or β, d; or b, d)
  double n_ref = 1;                                      ///< sizes are scaled by this (the largest)
  double rss = std::numeric_limits<double>::quiet_NaN(); ///< weighted residual sum of squares
  std::size_t points = 0;
  std::size_t parameters = 0;  ///< free parameters of the family (2, 3 or 4)

  /// The shape g at n (1 at the family's start, → 0 as n grows).
  double shape(double n) const {
    const double u = n / n_ref;
    switch (family) {
      case CurveFamily::Pow2:
      case CurveFamily::Pow3: return std::pow(u, -theta[0]);
      case CurveFamily::Pow4: return std::pow(u + theta[1], -theta[0]);
      case CurveFamily::Mmf4: return theta[0] / (theta[0] + std::pow(u, theta[1]));
      case CurveFamily::Wbl4: return std::exp(-std::pow(theta[0] * u, theta[1]));
      case CurveFamily::Exp3: return std::exp(-theta[0] * u);
      case CurveFamily::Ilog2: return 1.0 / std::log(std::max(n, 1.5));
    }
    return 0.0;
  }
  /// Fitted error at n samples.
  double predict(double n) const {
    if (!ok) return std::numeric_limits<double>::quiet_NaN();
    return c + A * shape(n);
  }
  /// Samples needed for the fitted error to reach `err`: +inf when err is at or below the
  /// asymptote, n_ref·1e-6 (effectively "already") when the curve is already below it at tiny n.
  double samples_for(double err) const {
    if (!ok || !std::isfinite(err)) return std::numeric_limits<double>::quiet_NaN();
    if (err <= c || A <= 0) return err >= c && A <= 0 ? 0.0 : std::numeric_limits<double>::infinity();
    // predict is non-increasing in n: bisection on log n between 1e-6·n_ref and 1e12·n_ref.
    double lo = std::log(n_ref * 1e-6), hi = std::log(n_ref * 1e12);
    if (predict(std::exp(hi)) > err) return std::numeric_limits<double>::infinity();
    if (predict(std::exp(lo)) <= err) return std::exp(lo);
    for (int it = 0; it < 200 && hi - lo > 1e-10; ++it) {
      const double mid = 0.5 * (lo + hi);
      (predict(std::exp(mid)) > err ? lo : hi) = mid;
    }
    return std::exp(hi);
  }
};

}  // namespace grove::diag

namespace grove::detail {

[[noreturn, gnu::cold]] inline void throw_curve_fit_error(const std::string& msg) {
  throw_value_error("fit_curve: " + msg);
}

/// The data of one fit and the exact bounded solve of the linear part (c, A) for a given θ.
struct CurveProblem {
  std::vector<double> n, e, w;
  double c_lo = 0, c_hi = 0;

  /// Weighted least squares of e ≈ c + A·g over A ≥ 0, c ∈ [c_lo, c_hi]: the unconstrained
  /// optimum when feasible, else the best optimum on the edges c = c_lo, c = c_hi, A = 0 (a
  /// convex quadratic in two variables attains its box minimum there).
  double solve_linear(const std::vector<double>& g, double& c, double& A) const {
    double sw = 0, sg = 0, se = 0, sgg = 0, sge = 0;
    for (std::size_t i = 0; i < e.size(); ++i) {
      sw += w[i], sg += w[i] * g[i], se += w[i] * e[i], sgg += w[i] * g[i] * g[i], sge += w[i] * g[i] * e[i];
    }
    auto cost = [&](double cc, double aa) {
      double s = 0;
      for (std::size_t i = 0; i < e.size(); ++i) {
        const double r = cc + aa * g[i] - e[i];
        s += w[i] * r * r;
      }
      return s;
    };
    const double det = sw * sgg - sg * sg;
    double best = std::numeric_limits<double>::infinity();
    if (det > 1e-14 * sw * sgg) {
      const double cc = (sgg * se - sg * sge) / det, aa = (sw * sge - sg * se) / det;
      if (aa >= 0 && cc >= c_lo && cc <= c_hi) {
        c = cc, A = aa;
        return cost(cc, aa);
      }
    }
    for (double cc : {c_lo, c_hi}) {
      const double aa = sgg > 0 ? std::max(0.0, (sge - cc * sg) / sgg) : 0.0;
      const double f = cost(cc, aa);
      if (f < best) best = f, c = cc, A = aa;
    }
    const double cc = std::clamp(se / sw, c_lo, c_hi);
    const double f = cost(cc, 0.0);
    if (f < best) best = f, c = cc, A = 0.0;
    return best;
  }
};

/// Grid ranges of θ per family, in log space where the parameter is a scale or an exponent.
struct ThetaBox {
  int dims = 0;
  std::array<double, 2> lo{}, hi{};
  std::array<bool, 2> log{};
  std::array<int, 2> steps{};
};

inline ThetaBox theta_box(diag::CurveFamily f) {
  switch (f) {
    case diag::CurveFamily::Pow2:
    case diag::CurveFamily::Pow3: return {1, {0.02, 0}, {3.0, 0}, {true, false}, {48, 1}};
    case diag::CurveFamily::Pow4: return {2, {0.02, 1e-4}, {4.0, 2.0}, {true, true}, {32, 16}};
    case diag::CurveFamily::Mmf4: return {2, {1e-4, 0.05}, {1e3, 4.0}, {true, true}, {28, 24}};
    case diag::CurveFamily::Wbl4: return {2, {1e-3, 0.05}, {1e4, 3.0}, {true, true}, {32, 20}};
    case diag::CurveFamily::Exp3: return {1, {1e-2, 0}, {1e4, 0}, {true, false}, {60, 1}};
    case diag::CurveFamily::Ilog2: return {0, {0, 0}, {0, 0}, {false, false}, {1, 1}};
  }
  return {};
}

}  // namespace grove::detail

namespace grove::diag {

/// Fits `family` to errors `err` at sizes `n` with `weights` (empty: equal) by separable least
/// squares: the shape θ by a grid and a pattern search, the asymptote c and scale A exactly for
/// each θ under c ∈ [floor_lo, min(floor_hi, min err)], A ≥ 0. Points with a non-finite error or
/// zero weight are skipped; fewer than 2 usable points (3 for four-parameter families would
/// overfit, but that is the caller's choice) give ok = false. ValueError on mismatched sizes,
/// n ≤ 0 or negative weights.
inline CurveFit fit_curve(CurveFamily family, const std::vector<double>& n, const std::vector<double>& err,
                          const std::vector<double>& weights = {}, const CurveFitOptions& options = {}) {
  if (n.size() != err.size())
    detail::throw_curve_fit_error(std::to_string(n.size()) + " sizes but " + std::to_string(err.size()) + " errors");
  if (!weights.empty() && weights.size() != n.size())
    detail::throw_curve_fit_error(std::to_string(n.size()) + " sizes but " + std::to_string(weights.size()) + " weights");
  detail::CurveProblem pr;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!(n[i] > 0) || !std::isfinite(n[i]))
      detail::throw_curve_fit_error("size " + std::to_string(i) + " is " + format_number(n[i]) + ", must be > 0");
    const double w = weights.empty() ? 1.0 : weights[i];
    if (!(w >= 0) || !std::isfinite(w))
      detail::throw_curve_fit_error("weight " + std::to_string(i) + " is " + format_number(w) + ", must be >= 0");
    if (!std::isfinite(err[i]) || w == 0) continue;
    pr.n.push_back(n[i]), pr.e.push_back(err[i]), pr.w.push_back(w);
  }
  CurveFit fit;
  fit.family = family;
  fit.points = pr.n.size();
  const detail::ThetaBox box = detail::theta_box(family);
  fit.parameters = 2 + static_cast<std::size_t>(box.dims) - (family == CurveFamily::Pow2 ? 1 : 0);
  if (fit.points < 2) return fit;
  fit.n_ref = *std::max_element(pr.n.begin(), pr.n.end());
  const double emin = *std::min_element(pr.e.begin(), pr.e.end());
  pr.c_hi = std::max(0.0, std::min(emin, options.floor_hi));
  pr.c_lo = std::isfinite(options.floor_lo) ? std::clamp(options.floor_lo, 0.0, pr.c_hi) : 0.0;
  if (family == CurveFamily::Pow2) pr.c_lo = pr.c_hi = 0.0;  // no floor by definition

  std::vector<double> g(pr.n.size());
  CurveFit trial = fit;
  trial.ok = true;
  auto evaluate = [&](const std::array<double, 2>& th, double& c, double& A) {
    trial.theta = th;
    for (std::size_t i = 0; i < pr.n.size(); ++i) g[i] = trial.shape(pr.n[i]);
    for (double v : g)
      if (!std::isfinite(v)) return std::numeric_limits<double>::infinity();
    return pr.solve_linear(g, c, A);
  };
  auto at = [&](int d, double t) {  // t in [0, 1] along dimension d
    return box.log[static_cast<std::size_t>(d)]
               ? std::exp(std::log(box.lo[static_cast<std::size_t>(d)]) +
                          t * (std::log(box.hi[static_cast<std::size_t>(d)]) - std::log(box.lo[static_cast<std::size_t>(d)])))
               : box.lo[static_cast<std::size_t>(d)] + t * (box.hi[static_cast<std::size_t>(d)] - box.lo[static_cast<std::size_t>(d)]);
  };

  // Grid over θ in the unit square (unit interval, or a single point for ilog2).
  std::array<double, 2> best_t{0.5, 0.5};
  double best = std::numeric_limits<double>::infinity(), bc = 0, bA = 0;
  const int s0 = box.dims >= 1 ? box.steps[0] : 1, s1 = box.dims >= 2 ? box.steps[1] : 1;
  for (int i = 0; i < s0; ++i)
    for (int j = 0; j < s1; ++j) {
      const std::array<double, 2> t{s0 > 1 ? i / double(s0 - 1) : 0.0, s1 > 1 ? j / double(s1 - 1) : 0.0};
      double c = 0, A = 0;
      const double f = evaluate({box.dims >= 1 ? at(0, t[0]) : 0.0, box.dims >= 2 ? at(1, t[1]) : 0.0}, c, A);
      if (f < best) best = f, best_t = t, bc = c, bA = A;
    }
  // Pattern search in the unit square from the best grid point, halving the step.
  for (double step = 0.5 / std::max(s0, s1); box.dims > 0 && step > 1e-7; step *= 0.5) {
    bool moved = true;
    for (int guard = 0; moved && guard < 100; ++guard) {
      moved = false;
      for (int d = 0; d < box.dims; ++d)
        for (double dir : {-1.0, 1.0}) {
          std::array<double, 2> t = best_t;
          t[static_cast<std::size_t>(d)] = std::clamp(t[static_cast<std::size_t>(d)] + dir * step, 0.0, 1.0);
          double c = 0, A = 0;
          const double f = evaluate({at(0, t[0]), box.dims >= 2 ? at(1, t[1]) : 0.0}, c, A);
          if (f < best - 1e-15 * (1 + best)) best = f, best_t = t, bc = c, bA = A, moved = true;
        }
    }
  }
  if (!std::isfinite(best)) return fit;
  fit.ok = true;
  fit.theta = {box.dims >= 1 ? at(0, best_t[0]) : 0.0, box.dims >= 2 ? at(1, best_t[1]) : 0.0};
  fit.c = bc;
  fit.A = bA;
  fit.rss = best;
  return fit;
}

}  // namespace grove::diag

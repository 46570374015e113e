#pragma once
/// \file fit_power_law: err(n) = a·n^(−b) + c fitted to a learning curve by weighted, bounded
/// Levenberg–Marquardt (Eigen), with parameter covariance, prediction intervals, local slope
/// and the sample size needed for a target error.

#include <Eigen/Cholesky>  // ldlt for the LM step
#include <Eigen/Core>
#include <Eigen/LU>        // FullPivLU for the parameter covariance

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"

namespace grove::diag {

}  // namespace grove::diag

namespace grove::detail {

/// Two-sided 95% Student-t quantile t(0.975, dof); dof = 0 gives +inf (no spread estimate).
inline double t_quantile_975(std::size_t dof) {
  static constexpr double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                     2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                     2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof == 0) return std::numeric_limits<double>::infinity();
  if (dof <= 30) return table[dof - 1];
  return 1.96 + 2.5 / static_cast<double>(dof);  // within 0.002 of the exact quantile beyond 30
}

}  // namespace grove::detail

namespace grove::diag {

/// A fitted err(n) = a·n^(−b) + c. Internally n is scaled by n_ref (the largest size) for
/// conditioning: err = a_s·(n/n_ref)^(−b) + c with a = a_s·n_ref^b.
struct PowerLawFit {
  bool ok = false;            ///< false when there were too few usable points
  std::string method = "none";  ///< "levenberg-marquardt", "log-log line (c = 0)" or "none"
  double a = std::numeric_limits<double>::quiet_NaN();
  double b = std::numeric_limits<double>::quiet_NaN();
  double c = std::numeric_limits<double>::quiet_NaN();
  double se_a = std::numeric_limits<double>::quiet_NaN();  ///< standard errors from the covariance
  double se_b = std::numeric_limits<double>::quiet_NaN();
  double se_c = std::numeric_limits<double>::quiet_NaN();
  std::size_t points = 0;     ///< points used
  std::size_t dof = 0;        ///< points minus free parameters
  double rss = std::numeric_limits<double>::quiet_NaN();  ///< weighted residual sum of squares
  double n_ref = 1;           ///< scale of n used inside the fit
  double a_scaled = std::numeric_limits<double>::quiet_NaN();
  std::array<double, 9> cov_scaled{};  ///< covariance of (a_scaled, b, c), row-major

  /// The fitted error at n.
  double predict(double n) const {
    if (!ok) return std::numeric_limits<double>::quiet_NaN();
    return a_scaled * std::pow(n / n_ref, -b) + c;
  }

  /// Standard error of predict(n) from the parameter covariance (delta method).
  double predict_se(double n) const {
    if (!ok) return std::numeric_limits<double>::quiet_NaN();
    const double u = n / n_ref, x = std::pow(u, -b);
    const double g[3] = {x, -a_scaled * std::log(u) * x, 1.0};
    double v = 0;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) v += g[i] * cov_scaled[static_cast<std::size_t>(i * 3 + j)] * g[j];
    return std::sqrt(std::max(0.0, v));
  }

  /// Approximate 95% confidence interval of the fitted curve at n (t quantile with `dof`).
  std::pair<double, double> interval(double n) const {
    const double p = predict(n), h = detail::t_quantile_975(dof) * predict_se(n);
    if (!std::isfinite(h)) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
    return {p - h, p + h};
  }

  /// d log(err) / d log(n) of the fitted curve at n (−b far from the floor, → 0 near it).
  double local_slope(double n) const {
    if (!ok) return std::numeric_limits<double>::quiet_NaN();
    const double t = a_scaled * std::pow(n / n_ref, -b);
    return t + c > 0 ? -b * t / (t + c) : std::numeric_limits<double>::quiet_NaN();
  }

  /// Samples needed for the fitted error to reach `err_target`: n* = (a / (err* − c))^(1/b);
  /// +inf when err_target is at or below the floor c ("not reachable").
  double samples_for(double err_target) const {
    if (!ok || !std::isfinite(err_target)) return std::numeric_limits<double>::quiet_NaN();
    if (err_target <= c) return std::numeric_limits<double>::infinity();
    return n_ref * std::pow(a_scaled / (err_target - c), 1.0 / b);
  }
};

}  // namespace grove::diag

namespace grove::detail {

[[noreturn, gnu::cold]] inline void throw_power_law_error(const std::string& msg) {
  grove::detail::throw_value_error("fit_power_law: " + msg);
}

struct PowerLawProblem {
  std::vector<double> u, e, w;  // scaled sizes, errors, weights (normalized to sum to m)
  double lo[3], hi[3];          // bounds of (a_scaled, b, c)

  double cost(const Eigen::Vector3d& p) const {
    double s = 0;
    for (std::size_t i = 0; i < u.size(); ++i) {
      const double r = p[0] * std::pow(u[i], -p[1]) + p[2] - e[i];
      s += w[i] * r * r;
    }
    return s;
  }
  void clip(Eigen::Vector3d& p) const {
    for (int j = 0; j < 3; ++j) p[j] = std::clamp(p[j], lo[j], hi[j]);
  }
  // Normal equations A = JᵀWJ and gradient g = JᵀW r at p.
  void normal(const Eigen::Vector3d& p, Eigen::Matrix3d& A, Eigen::Vector3d& g) const {
    A.setZero();
    g.setZero();
    for (std::size_t i = 0; i < u.size(); ++i) {
      const double x = std::pow(u[i], -p[1]);
      const Eigen::Vector3d J(x, -p[0] * std::log(u[i]) * x, 1.0);
      const double r = p[0] * x + p[2] - e[i];
      A.noalias() += w[i] * J * J.transpose();
      g += w[i] * r * J;
    }
  }
};

/// Projected Levenberg–Marquardt from p: parameters sitting on a bound with the gradient pushing
/// outward are frozen for the step; the step is clipped into the box.
inline Eigen::Vector3d lm_solve(const PowerLawProblem& pr, Eigen::Vector3d p) {
  pr.clip(p);
  double f = pr.cost(p), lambda = 1e-3;
  for (int it = 0; it < 300; ++it) {
    Eigen::Matrix3d A;
    Eigen::Vector3d g;
    pr.normal(p, A, g);
    bool free[3];
    for (int j = 0; j < 3; ++j) {
      const double span = pr.hi[j] - pr.lo[j];
      const bool at_lo = p[j] <= pr.lo[j] + 1e-12 * (1 + std::fabs(pr.lo[j])) && g[j] > 0;
      const bool at_hi = p[j] >= pr.hi[j] - 1e-12 * (1 + std::fabs(pr.hi[j])) && g[j] < 0;
      free[j] = span > 0 && !at_lo && !at_hi;
    }
    bool improved = false;
    while (lambda < 1e14) {
      Eigen::Matrix3d M = A;
      for (int j = 0; j < 3; ++j) {
        M(j, j) += lambda * std::max(A(j, j), 1e-12);
        if (!free[j]) {
          M.row(j).setZero();
          M.col(j).setZero();
          M(j, j) = 1;
        }
      }
      Eigen::Vector3d rhs = -g;
      for (int j = 0; j < 3; ++j)
        if (!free[j]) rhs[j] = 0;
      const Eigen::Vector3d step = M.ldlt().solve(rhs);
      Eigen::Vector3d q = p + step;
      pr.clip(q);
      const double fq = pr.cost(q);
      if (std::isfinite(fq) && fq < f) {
        const double rel = (f - fq) / std::max(f, 1e-300);
        const double move = (q - p).norm() / (1e-12 + p.norm());
        p = q;
        f = fq;
        lambda = std::max(lambda / 3, 1e-12);
        improved = true;
        if (rel < 1e-14 || move < 1e-12) return p;
        break;
      }
      lambda *= 4;
    }
    if (!improved) break;
  }
  return p;
}

}  // namespace grove::detail

namespace grove::diag {

/// Fits err(n) = a·n^(−b) + c (a > 0, b ∈ (0, 2], c ∈ [0, min err]) by weighted least squares.
/// `weights` (optional; empty = equal) say how much each point counts, e.g. larger n and
/// smaller fold spread weigh more. With 4 or more points: Levenberg–Marquardt from several
/// starts; with 2–3 points: a weighted line in log-log space with c = 0. `c_min` raises the
/// lower bound of c (e.g. to the training error, which the asymptote cannot undercut); it is
/// capped at min err. Points with a non-finite error or a zero weight are skipped. ValueError
/// on mismatched sizes, n ≤ 0 or negative weights.
inline PowerLawFit fit_power_law(const std::vector<double>& n, const std::vector<double>& err,
                                 const std::vector<double>& weights = {}, double c_min = 0.0) {
  if (n.size() != err.size())
    detail::throw_power_law_error(std::to_string(n.size()) + " sizes but " + std::to_string(err.size()) + " errors");
  if (!weights.empty() && weights.size() != n.size())
    detail::throw_power_law_error(std::to_string(n.size()) + " sizes but " + std::to_string(weights.size()) +
                                  " weights");
  std::vector<double> nn, ee, ww;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (!(n[i] > 0) || !std::isfinite(n[i]))
      detail::throw_power_law_error("size " + std::to_string(i) + " is " + std::to_string(n[i]) + ", must be > 0");
    const double w = weights.empty() ? 1.0 : weights[i];
    if (!(w >= 0) || !std::isfinite(w))
      detail::throw_power_law_error("weight " + std::to_string(i) + " is " + std::to_string(w) + ", must be >= 0");
    if (!std::isfinite(err[i]) || w == 0) continue;
    nn.push_back(n[i]);
    ee.push_back(err[i]);
    ww.push_back(w);
  }
  PowerLawFit fit;
  const std::size_t m = nn.size();
  fit.points = m;
  if (m < 2) return fit;
  fit.n_ref = *std::max_element(nn.begin(), nn.end());
  std::vector<double> u(m);
  for (std::size_t i = 0; i < m; ++i) u[i] = nn[i] / fit.n_ref;
  double wsum = 0;
  for (double w : ww) wsum += w;
  for (double& w : ww) w *= static_cast<double>(m) / wsum;
  const double emin = *std::min_element(ee.begin(), ee.end());
  constexpr double b_lo = 1e-4, b_hi = 2.0;

  if (m < 4) {
    // log e = alpha + beta·log u, b = −beta, c = 0; only positive errors have a logarithm.
    std::vector<double> X, Y, W;
    for (std::size_t i = 0; i < m; ++i)
      if (ee[i] > 0) X.push_back(std::log(u[i])), Y.push_back(std::log(ee[i])), W.push_back(ww[i]);
    const std::size_t k = X.size();
    if (k < 2) return fit;
    double sw = 0, sx = 0, sy = 0;
    for (std::size_t i = 0; i < k; ++i) sw += W[i], sx += W[i] * X[i], sy += W[i] * Y[i];
    const double mx = sx / sw, my = sy / sw;
    double sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < k; ++i) sxx += W[i] * (X[i] - mx) * (X[i] - mx), sxy += W[i] * (X[i] - mx) * (Y[i] - my);
    if (!(sxx > 0)) return fit;  // all sizes equal
    double beta = sxy / sxx;
    bool b_fixed = false;
    if (-beta < b_lo || -beta > b_hi) {
      beta = -std::clamp(-beta, b_lo, b_hi);
      b_fixed = true;
    }
    const double alpha = my - beta * mx;
    double rss = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const double r = Y[i] - alpha - beta * X[i];
      rss += W[i] * r * r;
    }
    const std::size_t n_free = b_fixed ? 1 : 2;
    fit.ok = true;
    fit.method = "log-log line (c = 0)";
    fit.a_scaled = std::exp(alpha);
    fit.b = -beta;
    fit.c = 0;
    fit.a = fit.a_scaled * std::pow(fit.n_ref, fit.b);
    fit.points = k;
    fit.dof = k > n_free ? k - n_free : 0;
    fit.rss = rss;
    const double s2 = fit.dof ? rss / static_cast<double>(fit.dof) : std::numeric_limits<double>::infinity();
    // Var(alpha at the mean) = s²/Σw, Var(beta) = s²/Sxx; alpha = my − beta·mx.
    const double var_beta = b_fixed ? 0.0 : s2 / sxx;
    const double var_alpha = s2 / sw + mx * mx * var_beta;
    const double cov_ab = -mx * var_beta;
    const double as = fit.a_scaled;
    auto& C = fit.cov_scaled;
    C.fill(0);
    if (std::isfinite(s2)) {
      C[0] = as * as * var_alpha;   // a_s = exp(alpha)
      C[1] = C[3] = -as * cov_ab;   // b = −beta
      C[4] = var_beta;
    } else {
      C[0] = C[4] = std::numeric_limits<double>::infinity();
    }
    fit.se_a = std::sqrt(C[0]) * std::pow(fit.n_ref, fit.b);
    fit.se_b = std::sqrt(C[4]);
    fit.se_c = 0;
    return fit;
  }

  const double c_hi = std::max(0.0, emin);
  const double c_lo = std::isfinite(c_min) ? std::clamp(c_min, 0.0, c_hi) : 0.0;
  detail::PowerLawProblem pr{u, ee, ww, {1e-300, b_lo, c_lo}, {std::numeric_limits<double>::infinity(), b_hi, c_hi}};
  Eigen::Vector3d best(0, 1, 0);
  double best_cost = std::numeric_limits<double>::infinity();
  // Starts: for each b on a grid, (a_s, c) from the weighted linear fit e ≈ a_s·u^(−b) + c.
  static constexpr double b_starts[] = {0.1, 0.25, 0.5, 0.8, 1.2, 1.8};
  for (double b0 : b_starts) {
    double s1 = 0, sx = 0, se = 0, sxx = 0, sxe = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const double x = std::pow(u[i], -b0);
      s1 += ww[i], sx += ww[i] * x, se += ww[i] * ee[i], sxx += ww[i] * x * x, sxe += ww[i] * x * ee[i];
    }
    const double det = s1 * sxx - sx * sx;
    // Unconstrained intercept, clipped into its bounds; then the slope given that intercept.
    const double c0 = std::clamp(det > 0 ? (sxx * se - sx * sxe) / det : 0.0, pr.lo[2], pr.hi[2]);
    const double a0 = std::max((sxe - c0 * sx) / sxx, 1e-12 * (std::fabs(emin) + 1));
    const Eigen::Vector3d p = detail::lm_solve(pr, Eigen::Vector3d(a0, b0, c0));
    const double f = pr.cost(p);
    if (f < best_cost) best_cost = f, best = p;
  }
  if (!std::isfinite(best_cost)) return fit;

  fit.ok = true;
  fit.method = "levenberg-marquardt";
  fit.a_scaled = best[0];
  fit.b = best[1];
  fit.c = best[2];
  fit.a = fit.a_scaled * std::pow(fit.n_ref, fit.b);
  fit.rss = best_cost;
  // Covariance s²·(JᵀWJ)⁻¹ over the parameters not pinned at a bound.
  Eigen::Matrix3d A;
  Eigen::Vector3d g;
  pr.normal(best, A, g);
  bool free[3];
  int n_free = 0;
  for (int j = 0; j < 3; ++j) {
    const double tol = 1e-9 * (1 + std::fabs(pr.hi[j] < 1e300 ? pr.hi[j] : best[j]));
    free[j] = pr.hi[j] > pr.lo[j] && best[j] > pr.lo[j] + tol && best[j] < pr.hi[j] - tol;
    n_free += free[j];
  }
  fit.dof = m > static_cast<std::size_t>(n_free) ? m - static_cast<std::size_t>(n_free) : 0;
  auto& C = fit.cov_scaled;
  C.fill(0);
  if (n_free > 0) {
    // The free block, padded with the identity to a fixed 3x3 (block-diagonal, so its inverse
    // holds the free block's inverse): fixed-size Eigen compiles far faster than a dynamic LU.
    Eigen::Matrix3d Af = Eigen::Matrix3d::Identity();
    double diag_product = 1.0;
    for (int r = 0; r < 3; ++r)
      if (free[r]) {
        for (int s = 0; s < 3; ++s)
          if (free[s]) Af(r, s) = A(r, s);
        diag_product *= std::fabs(A(r, r));
      }
    const double s2 = fit.dof ? best_cost / static_cast<double>(fit.dof) : std::numeric_limits<double>::infinity();
    Eigen::Matrix3d inv;
    bool invertible = false;
    Af.computeInverseWithCheck(inv, invertible, 0.0);
    // Singular relative to the scale of the diagonal (Hadamard: |det| <= product of the diagonal).
    invertible = invertible && diag_product > 0 && std::fabs(Af.determinant()) > 1e-12 * diag_product &&
                 inv.allFinite();
    if (invertible && std::isfinite(s2)) {
      for (int r = 0; r < 3; ++r)
        for (int s = 0; s < 3; ++s)
          if (free[r] && free[s]) C[static_cast<std::size_t>(r * 3 + s)] = s2 * inv(r, s);
    } else {
      for (int r = 0; r < 3; ++r)
        if (free[r]) C[static_cast<std::size_t>(r * 4)] = std::numeric_limits<double>::infinity();
    }
  }
  // se of a = a_s·n_ref^b by the delta method (a depends on a_s and b).
  const double nb = std::pow(fit.n_ref, fit.b), ln = std::log(fit.n_ref);
  const double var_a = nb * nb * (C[0] + 2 * fit.a_scaled * ln * C[1] + fit.a_scaled * fit.a_scaled * ln * ln * C[4]);
  fit.se_a = std::sqrt(std::max(0.0, var_a));
  fit.se_b = std::sqrt(C[4]);
  fit.se_c = std::sqrt(C[8]);
  return fit;
}

}  // namespace grove::diag

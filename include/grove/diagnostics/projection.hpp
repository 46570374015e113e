#pragma once
/// \file project_curve: where a learning curve goes with more data. Several curve families
/// (curve_models.hpp) fitted to the validation error, combined by a rule the curve-extrapolation
/// benchmark (benchmarks/curves) chose, 95% intervals from a fold jackknife, the spread across
/// families and the measurement noise, clipped to the score's range; an explicit "unreliable"
/// outcome that says why; the samples needed for a target score; the fit time at a size.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/diagnostics/curve_models.hpp"
#include "grove/diagnostics/learning_curve.hpp"

namespace grove::diag {

/// How the families' projections are combined.
enum class CombineRule {
  Average,             ///< equal-weight mean of the families' errors
  Median,              ///< median of the families' errors
  BestHoldout,         ///< the family that best predicts the upper half of the curve from the lower
  WeightedHoldout,     ///< families weighted by 1 / (holdout error² + noise²)
};

/// "average", "median", "best holdout" or "weighted holdout".
inline const char* to_string(CombineRule r) noexcept {
  switch (r) {
    case CombineRule::Average: return "average";
    case CombineRule::Median: return "median";
    case CombineRule::BestHoldout: return "best holdout";
    case CombineRule::WeightedHoldout: return "weighted holdout";
  }
  return "average";
}

/// Settings of project_curve. The defaults are the rule chosen on the benchmark's development
/// data sets (benchmarks/results/diagnostics.md).
struct ProjectionOptions {
  std::vector<CurveFamily> families = {CurveFamily::Pow2, CurveFamily::Pow3, CurveFamily::Pow4};
  CombineRule rule = CombineRule::WeightedHoldout;
  /// Anchors below this fraction of the largest size are left out of the fit (the smallest
  /// training sets often sit on a plateau no family describes well); at least min_points stay.
  double min_size_fraction = 0.125;
  /// Weight of a point ∝ (n / n_max)^size_weight / (se² + floor²).
  double size_weight = 1.0;
  /// Keep the asymptote above the training error at the largest size.
  bool floor_from_train = true;
  /// Model uncertainty that grows with the extrapolated change: this fraction of the projected
  /// gain over the last measured error is added (in quadrature) to the standard deviation.
  double gain_sd = 0.4;
  /// Multiplier of the combined standard deviation for the 95% interval; 2.5 with gain_sd 0.4
  /// covered 93% of the benchmark's development cases (1.96 covered 79%).
  double interval_z = 2.5;
  /// Fewer points than this: unreliable ("too few points").
  std::size_t min_points = 4;
  /// A curve whose log-log slope still grows steeper over the fitted anchors (curvature of a
  /// weighted quadratic in log n, t-statistic below −steepening_t) gets Projection::far_note: every
  /// family flattens from the last point on, so its far values are the least certain. It is
  /// trusted only up to trusted_size_steep × the largest size (Projection::reliable_at); the
  /// default, +inf, keeps the far values: on the curve benchmark the 10x projections of such
  /// curves were unbiased (median signed error −0.0007) and their 95% intervals covered 95%,
  /// while the last score, the stand-in for a withheld value, was off by 0.20.
  double steepening_t = 2.0;
  double trusted_size_steep = std::numeric_limits<double>::infinity();
};

/// A projected score at n samples with its 95% interval (clipped to the score's range).
struct ProjectedScore {
  double n = std::numeric_limits<double>::quiet_NaN();
  double score = std::numeric_limits<double>::quiet_NaN();
  double lo = std::numeric_limits<double>::quiet_NaN();
  double hi = std::numeric_limits<double>::quiet_NaN();
};

/// Samples needed for a target score: the central estimate and a 95% interval (+inf: not
/// reachable by adding data of the same kind, as far as the curve tells).
struct SamplesNeeded {
  double n = std::numeric_limits<double>::quiet_NaN();
  double lo = std::numeric_limits<double>::quiet_NaN();
  double hi = std::numeric_limits<double>::quiet_NaN();
};

/// The projection of one learning curve. at(n) gives the projected score and interval at any n
/// (also inside the curve, where it is the smoothed fit).
struct Projection {
  bool ok = false;        ///< at least one family fitted
  bool reliable = false;  ///< false: `reason` says why the numbers should not be trusted
  std::string reason;     ///< empty when reliable
  /// Largest size the projection is trusted at (+inf unless the curve is still steepening and
  /// ProjectionOptions::trusted_size_steep is finite); beyond it reliable_at(n) is false and
  /// far_reason says why.
  double trusted_size = std::numeric_limits<double>::infinity();
  std::string far_reason;
  /// A caveat on the far values (empty unless the curve is still steepening): the families
  /// flatten from the last point on, so the far values are the least certain.
  std::string far_note;
  CombineRule rule = CombineRule::Average;
  std::vector<CurveFit> fits;            ///< one per family, on the full curve
  std::vector<double> family_weights;    ///< weight of each fit in the combination (sums to 1)
  std::vector<double> holdout_errors;    ///< per family: mean |error| predicting the upper half
  std::vector<std::vector<CurveFit>> jackknife;  ///< [left-out fold][family]
  std::vector<std::vector<double>> jackknife_weights;
  double noise_se = 0;                    ///< fold standard error of the last mean (error units)
  double interval_z = 2.5;
  double gain_sd = 0.4;
  double largest_size = 0;
  double first_size = 0;  ///< smallest size the families were fitted on (see min_size_fraction)
  double last_error = std::numeric_limits<double>::quiet_NaN();  ///< observed at the largest size
  double error_cap = 1;                   ///< worst error an interval may reach (trivial model's, or the worst seen)
  bool greater_is_better = true;
  double optimum = 1;
  /// Fit time model t(n) = time_scale·(n / largest_size)^time_exponent (seconds), from the
  /// upper half of the curve's mean fit times; NaN when the curve has no fit times.
  double time_scale = std::numeric_limits<double>::quiet_NaN();
  double time_exponent = std::numeric_limits<double>::quiet_NaN();

  /// Whether the projected value at n can be trusted: reliable, and n within trusted_size.
  bool reliable_at(double n) const { return reliable && n <= trusted_size * (1 + 1e-9); }
  /// Why the value at n cannot be trusted (empty when it can).
  std::string reason_at(double n) const {
    if (!reliable) return reason.empty() ? std::string("no projection could be fitted") : reason;
    return reliable_at(n) ? std::string() : far_reason;
  }
  /// Combined error of the given fits with the given weights (median rule: weighted median).
  double combine(const std::vector<CurveFit>& f, const std::vector<double>& w, double n) const {
    if (rule == CombineRule::Median) {
      std::vector<double> v;
      for (std::size_t i = 0; i < f.size(); ++i)
        if (f[i].ok && w[i] > 0) v.push_back(f[i].predict(n));
      if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
      std::sort(v.begin(), v.end());
      const std::size_t h = v.size() / 2;
      return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
    }
    double s = 0, ws = 0;
    for (std::size_t i = 0; i < f.size(); ++i)
      if (f[i].ok && w[i] > 0) s += w[i] * f[i].predict(n), ws += w[i];
    return ws > 0 ? s / ws : std::numeric_limits<double>::quiet_NaN();
  }
  /// Projected error (distance from the optimum) at n.
  double error_at(double n) const {
    if (!ok) return std::numeric_limits<double>::quiet_NaN();
    return std::max(0.0, combine(fits, family_weights, n));
  }
  /// Standard deviation of the projected error at n: jackknife over folds, spread across the
  /// weighted families, the noise of a measured mean and gain_sd × the projected change since
  /// the last measured point, added in quadrature.
  double error_sd(double n) const {
    if (!ok) return std::numeric_limits<double>::quiet_NaN();
    const double mu = combine(fits, family_weights, n);
    double var_jk = 0;
    if (jackknife.size() >= 2) {
      std::vector<double> v;
      for (std::size_t j = 0; j < jackknife.size(); ++j) {
        const double e = combine(jackknife[j], jackknife_weights[j], n);
        if (std::isfinite(e)) v.push_back(e);
      }
      if (v.size() >= 2) {
        double m = 0;
        for (double x : v) m += x / static_cast<double>(v.size());
        for (double x : v) var_jk += (x - m) * (x - m);
        var_jk *= static_cast<double>(v.size() - 1) / static_cast<double>(v.size());
      }
    }
    double var_fam = 0, ws = 0;
    for (std::size_t i = 0; i < fits.size(); ++i)
      if (fits[i].ok && family_weights[i] > 0) {
        const double d = fits[i].predict(n) - mu;
        var_fam += family_weights[i] * d * d, ws += family_weights[i];
      }
    if (ws > 0) var_fam /= ws;
    const double g = std::isfinite(last_error) ? gain_sd * (mu - last_error) : 0.0;
    return std::sqrt(var_jk + var_fam + noise_se * noise_se + g * g);
  }
  /// The projected score at n with its 95% interval, clipped to [optimum, worst error].
  ProjectedScore at(double n) const {
    ProjectedScore p;
    p.n = n;
    if (!ok) return p;
    const double e = error_at(n), h = interval_z * error_sd(n);
    const double e_lo = std::clamp(e - h, 0.0, error_cap), e_hi = std::clamp(e + h, 0.0, error_cap);
    p.score = score(std::min(e, error_cap));
    p.lo = std::min(score(e_lo), score(e_hi));
    p.hi = std::max(score(e_lo), score(e_hi));
    return p;
  }
  /// Samples for `target_score` with its interval: where the central projection and the two
  /// interval edges cross the target, searched from the largest measured size on (a target the
  /// curve already meets needs no more data: the largest size), by bisection in log n; +inf
  /// beyond 10^6 × the largest size.
  SamplesNeeded samples_for(double target_score) const {
    SamplesNeeded s;
    if (!ok || !std::isfinite(target_score)) return s;
    const double target = greater_is_better ? optimum - target_score : target_score - optimum;
    auto cross = [&](auto err_of) {
      double lo = std::log(largest_size), hi = std::log(largest_size * 1e6);
      if (err_of(std::exp(hi)) > target) return std::numeric_limits<double>::infinity();
      if (err_of(std::exp(lo)) <= target) return std::exp(lo);
      for (int it = 0; it < 100 && hi - lo > 1e-9; ++it) {
        const double mid = 0.5 * (lo + hi);
        (err_of(std::exp(mid)) > target ? lo : hi) = mid;
      }
      return std::exp(hi);
    };
    s.n = cross([&](double n) { return error_at(n); });
    s.lo = cross([&](double n) { return std::max(0.0, error_at(n) - interval_z * error_sd(n)); });
    s.hi = cross([&](double n) { return error_at(n) + interval_z * error_sd(n); });
    return s;
  }
  /// Extrapolated fit time in seconds at n samples (NaN without fit times).
  double fit_seconds(double n) const {
    if (!std::isfinite(time_scale)) return std::numeric_limits<double>::quiet_NaN();
    return time_scale * std::pow(n / largest_size, time_exponent);
  }

private:
  double score(double err) const { return greater_is_better ? optimum - err : optimum + err; }
};

}  // namespace grove::diag

namespace grove::detail {

[[noreturn, gnu::cold]] inline void throw_projection_error(const std::string& msg) {
  throw_value_error("project_curve: " + msg);
}

/// Mean validation errors, their fold standard errors and per-fold errors of a curve.
struct CurveErrors {
  std::vector<double> n, err, se;
  std::vector<std::vector<double>> fold_err;  ///< [size][fold]; empty without per-fold scores
  double train_err_last = std::numeric_limits<double>::quiet_NaN();
};

inline std::vector<double> curve_weights(const CurveErrors& ce, const diag::ProjectionOptions& o) {
  const std::size_t m = ce.n.size();
  double mean_se = 0, mean_err = 0;
  for (std::size_t i = 0; i < m; ++i)
    mean_se += (std::isfinite(ce.se[i]) ? ce.se[i] : 0.0) / static_cast<double>(m),
        mean_err += std::fabs(ce.err[i]) / static_cast<double>(m);
  const double floor = std::max({0.25 * mean_se, 1e-3 * mean_err, 1e-9});
  std::vector<double> w(m);
  for (std::size_t i = 0; i < m; ++i) {
    const double s = std::isfinite(ce.se[i]) ? ce.se[i] : 0.0;
    w[i] = std::pow(ce.n[i] / ce.n.back(), o.size_weight) / (s * s + floor * floor);
  }
  return w;
}

/// The bend of a curve in log-log space: log err ≈ a + b·x + q·x² (x = log n, centred) fitted by
/// weighted least squares (weights from the fold noise of log err), with the t-statistic of q
/// (its standard error scaled up by the residuals when they exceed the noise) and the slope at
/// the first and last anchor. ok = false with fewer than 5 points or a non-positive error.
struct LogLogBend {
  bool ok = false;
  double t = 0, slope_first = 0, slope_last = 0;
};

inline LogLogBend loglog_bend(const CurveErrors& ce) {
  LogLogBend out;
  const std::size_t m = ce.n.size();
  if (m < 5) return out;
  std::vector<double> x(m), y(m), s(m), w(m);
  double s_mean = 0;
  for (std::size_t i = 0; i < m; ++i) {
    if (!(ce.err[i] > 0)) return out;
    x[i] = std::log(ce.n[i]), y[i] = std::log(ce.err[i]);
    s[i] = std::max(std::isfinite(ce.se[i]) ? ce.se[i] : 0.0, 1e-4) / ce.err[i];
    s_mean += s[i] / static_cast<double>(m);
  }
  double sw = 0, xm = 0;
  for (std::size_t i = 0; i < m; ++i) {
    w[i] = 1.0 / std::pow(std::max(s[i], 0.25 * s_mean), 2);
    sw += w[i], xm += w[i] * x[i];
  }
  xm /= sw;
  // Normal equations of the weighted quadratic (3×3, symmetric), solved by Cramer's rule.
  double M[3][3] = {}, r[3] = {};
  for (std::size_t i = 0; i < m; ++i) {
    const double u[3] = {1.0, x[i] - xm, (x[i] - xm) * (x[i] - xm)};
    for (int a = 0; a < 3; ++a) {
      r[a] += w[i] * u[a] * y[i];
      for (int b = 0; b < 3; ++b) M[a][b] += w[i] * u[a] * u[b];
    }
  }
  auto det3 = [](const double A[3][3]) {
    return A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
           A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
  };
  const double det = det3(M);
  if (!(std::fabs(det) > 1e-300)) return out;
  double beta[3];
  for (int c = 0; c < 3; ++c) {
    double Mc[3][3];
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) Mc[a][b] = b == c ? r[a] : M[a][b];
    beta[c] = det3(Mc) / det;
  }
  double chi2 = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const double d = x[i] - xm, res = y[i] - (beta[0] + beta[1] * d + beta[2] * d * d);
    chi2 += w[i] * res * res;
  }
  const double var_q = (M[0][0] * M[1][1] - M[0][1] * M[1][0]) / det * std::max(1.0, chi2 / static_cast<double>(m - 3));
  if (!(var_q > 0)) return out;
  out.ok = true;
  out.t = beta[2] / std::sqrt(var_q);
  out.slope_first = beta[1] + 2 * beta[2] * (x.front() - xm);
  out.slope_last = beta[1] + 2 * beta[2] * (x.back() - xm);
  return out;
}

/// The families fitted to (n, err) with weights w, and their combination weights.
inline void fit_families(const std::vector<double>& n, const std::vector<double>& err, const std::vector<double>& w,
                         double floor_lo, const diag::ProjectionOptions& o, double noise, std::vector<diag::CurveFit>& fits,
                         std::vector<double>& weights, std::vector<double>* holdout_out) {
  const std::size_t nf = o.families.size();
  fits.clear();
  for (diag::CurveFamily f : o.families) fits.push_back(fit_curve(f, n, err, w, {.floor_lo = floor_lo}));
  weights.assign(nf, 0.0);
  std::vector<double> hold(nf, std::numeric_limits<double>::quiet_NaN());
  if (o.rule == diag::CombineRule::BestHoldout || o.rule == diag::CombineRule::WeightedHoldout || holdout_out) {
    // Fit on the anchors up to half the largest size, score the prediction of the rest.
    std::vector<double> n1, e1, w1;
    const double half = 0.5 * n.back() * (1 + 1e-9);
    for (std::size_t i = 0; i < n.size(); ++i)
      if (n[i] <= half) n1.push_back(n[i]), e1.push_back(err[i]), w1.push_back(w[i]);
    if (n1.size() >= 3 && n1.size() < n.size())
      for (std::size_t f = 0; f < nf; ++f) {
        const diag::CurveFit h = fit_curve(o.families[f], n1, e1, w1, {.floor_lo = std::min(floor_lo, 0.0)});
        if (!h.ok) continue;
        double s = 0;
        std::size_t c = 0;
        for (std::size_t i = 0; i < n.size(); ++i)
          if (n[i] > half) s += std::fabs(h.predict(n[i]) - err[i]), ++c;
        hold[f] = s / static_cast<double>(c);
      }
  }
  if (holdout_out) *holdout_out = hold;
  bool any_hold = false;
  for (double h : hold) any_hold = any_hold || std::isfinite(h);
  if (o.rule == diag::CombineRule::BestHoldout && any_hold) {
    std::size_t best = nf;
    for (std::size_t f = 0; f < nf; ++f)
      if (fits[f].ok && std::isfinite(hold[f]) && (best == nf || hold[f] < hold[best])) best = f;
    if (best < nf) weights[best] = 1.0;
  } else if (o.rule == diag::CombineRule::WeightedHoldout && any_hold) {
    for (std::size_t f = 0; f < nf; ++f)
      if (fits[f].ok && std::isfinite(hold[f])) weights[f] = 1.0 / (hold[f] * hold[f] + noise * noise + 1e-12);
  } else {
    for (std::size_t f = 0; f < nf; ++f) weights[f] = fits[f].ok ? 1.0 : 0.0;
  }
  double s = 0;
  for (double x : weights) s += x;
  if (s <= 0)
    for (std::size_t f = 0; f < nf; ++f) weights[f] = fits[f].ok ? 1.0 : 0.0, s += weights[f];
  if (s > 0)
    for (double& x : weights) x /= s;
}

}  // namespace grove::detail

namespace grove::diag {

/// Projects `curve`: the families of `options` fitted to the mean validation error (weights from
/// the fold spread), combined by options.rule, with a jackknife over folds for the interval.
/// Unreliable (reliable = false, reason set) when the curve has too few points, when its
/// validation error rises with more data beyond the fold noise, or when the fits disagree with
/// the data by far more than the noise. ValueError when the curve's vectors disagree in length.
inline Projection project_curve(const LearningCurve& curve, const ProjectionOptions& options = {}) {
  const std::size_t m = curve.train_sizes.size();
  if (curve.val_mean.size() != m || curve.val_std.size() != m)
    detail::throw_projection_error("val_mean/val_std have " + std::to_string(curve.val_mean.size()) + "/" +
                                   std::to_string(curve.val_std.size()) + " values for " + std::to_string(m) +
                                   " train sizes");
  if (options.families.empty()) detail::throw_projection_error("options.families is empty");
  if (!(options.interval_z > 0)) detail::throw_projection_error("interval_z must be > 0, got " + format_number(options.interval_z));
  if (!(options.gain_sd >= 0)) detail::throw_projection_error("gain_sd must be >= 0, got " + format_number(options.gain_sd));
  if (!(options.steepening_t >= 0))
    detail::throw_projection_error("steepening_t must be >= 0, got " + format_number(options.steepening_t));
  if (!(options.trusted_size_steep >= 1))
    detail::throw_projection_error("trusted_size_steep must be >= 1, got " + format_number(options.trusted_size_steep));
  Projection p;
  p.rule = options.rule;
  p.interval_z = options.interval_z;
  p.gain_sd = options.gain_sd;
  p.greater_is_better = curve.greater_is_better;
  p.optimum = curve.optimum;
  if (m == 0) {
    p.reason = "the curve has no points";
    return p;
  }
  const double k = static_cast<double>(std::max<std::size_t>(curve.folds, 1));
  p.largest_size = static_cast<double>(curve.train_sizes.back());

  detail::CurveErrors all;
  const bool per_fold = curve.val_scores.size() == m && !curve.val_scores.empty() && curve.val_scores[0].size() >= 2;
  std::size_t kf = per_fold ? curve.val_scores[0].size() : 0;
  for (std::size_t i = 0; per_fold && i < m; ++i) kf = std::min(kf, curve.val_scores[i].size());
  for (std::size_t i = 0; i < m; ++i) {
    all.n.push_back(static_cast<double>(curve.train_sizes[i]));
    all.err.push_back(curve.error(curve.val_mean[i]));
    all.se.push_back(curve.val_std[i] / std::sqrt(k));
    if (per_fold) {
      all.fold_err.emplace_back();
      for (std::size_t f = 0; f < kf; ++f) all.fold_err.back().push_back(curve.error(curve.val_scores[i][f]));
    }
  }
  if (curve.train_mean.size() == m) all.train_err_last = curve.error(curve.train_mean.back());
  p.last_error = all.err.back();
  p.noise_se = std::isfinite(all.se.back()) ? all.se.back() : 0.0;
  double worst = 0;
  for (double e : all.err)
    if (std::isfinite(e)) worst = std::max(worst, e);
  p.error_cap = std::isfinite(curve.baseline_score) ? std::max(curve.error(curve.baseline_score), worst) : worst;
  if (!(p.error_cap > 0)) p.error_cap = std::max(1.0, worst);

  // Fit times: log t = log t_ref + p·log(n / n_max) over the upper half of the sizes.
  if (curve.fit_times.size() == m) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0, c = 0;
    for (std::size_t i = 0; i < m; ++i) {
      if (2 * curve.train_sizes[i] < curve.train_sizes.back() && m - i > 2) continue;
      double t = 0;
      for (double v : curve.fit_times[i]) t += v / static_cast<double>(std::max<std::size_t>(curve.fit_times[i].size(), 1));
      if (!(t > 0)) continue;
      const double x = std::log(all.n[i] / p.largest_size), y = std::log(t);
      sx += x, sy += y, sxx += x * x, sxy += x * y, ++c;
    }
    if (c >= 2 && c * sxx - sx * sx > 1e-12) {
      p.time_exponent = std::clamp((c * sxy - sx * sy) / (c * sxx - sx * sx), 0.0, 3.0);
      p.time_scale = std::exp((sy - p.time_exponent * sx) / c);
    } else if (c >= 1) {
      p.time_exponent = 1.0;
      p.time_scale = std::exp((sy - sx) / c);
    }
  }

  // The anchors used: finite errors, not below min_size_fraction of the largest (keep min_points).
  std::vector<std::size_t> use;
  for (std::size_t i = 0; i < m; ++i)
    if (std::isfinite(all.err[i])) use.push_back(i);
  while (use.size() > options.min_points &&
         all.n[use.front()] < options.min_size_fraction * p.largest_size)
    use.erase(use.begin());
  detail::CurveErrors ce;
  for (std::size_t i : use) {
    ce.n.push_back(all.n[i]), ce.err.push_back(all.err[i]), ce.se.push_back(all.se[i]);
    if (per_fold) ce.fold_err.push_back(all.fold_err[i]);
  }
  if (!ce.n.empty()) p.first_size = ce.n.front();
  const double floor_lo = options.floor_from_train && std::isfinite(all.train_err_last) ? all.train_err_last : 0.0;
  if (ce.n.size() < 2) {
    p.reason = "too few points on the curve (" + std::to_string(ce.n.size()) + "; need " +
               std::to_string(options.min_points) + ")";
    return p;
  }
  const std::vector<double> w = detail::curve_weights(ce, options);
  detail::fit_families(ce.n, ce.err, w, floor_lo, options, p.noise_se, p.fits, p.family_weights, &p.holdout_errors);
  for (const auto& f : p.fits) p.ok = p.ok || f.ok;
  if (!p.ok) {
    p.reason = "no curve family could be fitted";
    return p;
  }

  // Jackknife over folds: the whole procedure on the mean of the other folds.
  if (per_fold && kf >= 3) {
    p.jackknife.resize(kf);
    p.jackknife_weights.resize(kf);
    for (std::size_t j = 0; j < kf; ++j) {
      std::vector<double> ej(ce.n.size());
      for (std::size_t i = 0; i < ce.n.size(); ++i) {
        double s = 0;
        for (std::size_t f = 0; f < kf; ++f)
          if (f != j) s += ce.fold_err[i][f];
        ej[i] = s / static_cast<double>(kf - 1);
      }
      detail::fit_families(ce.n, ej, w, floor_lo, options, p.noise_se, p.jackknife[j], p.jackknife_weights[j], nullptr);
    }
  }

  // Reliability.
  p.reliable = true;
  if (ce.n.size() < options.min_points) {
    p.reliable = false;
    p.reason = "too few points on the curve (" + std::to_string(ce.n.size()) + "; need " +
               std::to_string(options.min_points) + ")";
    return p;
  }
  // A model below a trivial one is projected like any other curve: on the benchmark's development
  // curves those projections were twice as close as the last score, even where the model stays
  // below the trivial one at 10x (diagnose says so in words: Diagnosis::stays_below_trivial).
  const std::size_t L = ce.n.size() - 1;
  // Non-monotone: the error at the largest size is above the best error of the upper half of
  // the curve by more than twice the noise of a difference.
  std::size_t best = L;
  for (std::size_t i = 0; i < L; ++i)
    if (2 * ce.n[i] >= ce.n[L] && ce.err[i] < ce.err[best]) best = i;
  const double diff_se = std::sqrt(ce.se[best] * ce.se[best] + ce.se[L] * ce.se[L]);
  if (best != L && ce.err[L] - ce.err[best] > 2 * diff_se + 1e-3 * std::fabs(ce.err[best])) {
    p.reliable = false;
    p.reason = "the validation error rises with more data (from " + format_number(ce.err[best], 3) + " at n = " +
               format_number(ce.n[best]) + " to " + format_number(ce.err[L], 3) + " at n = " +
               format_number(ce.n[L]) + ")";
    return p;
  }
  // Too noisy: the combined fit misses the points by far more than their fold noise.
  double chi2 = 0;
  for (std::size_t i = 0; i < ce.n.size(); ++i) {
    const double r = p.combine(p.fits, p.family_weights, ce.n[i]) - ce.err[i];
    const double s = std::max(ce.se[i], 1e-3 * std::fabs(ce.err[i]) + 1e-9);
    chi2 += r * r / (s * s);
  }
  const double rms = std::sqrt(chi2 / static_cast<double>(ce.n.size()));
  if (rms > 4.0) {
    p.reliable = false;
    p.reason = "the curve is too irregular for its fold noise (fit residuals " + format_number(rms, 2) +
               " standard errors on average)";
    return p;
  }
  // Still steepening: the log-log slope grows over the fitted anchors (an accelerating curve,
  // typical of small training sets far above their floor). Every family flattens from the last
  // point on, so the far values are the least certain: a caveat, or a flag beyond
  // trusted_size_steep × the largest size when that is finite.
  const detail::LogLogBend bend = detail::loglog_bend(ce);
  if (bend.ok && bend.t < -options.steepening_t && bend.slope_last < 0) {
    const std::string steep = "the curve is still steepening (its log-log slope went from " +
                              format_number(bend.slope_first, 2) + " to " + format_number(bend.slope_last, 2) +
                              " between n = " + format_number(ce.n.front()) + " and " + format_number(ce.n.back()) +
                              ") while every curve family flattens from here";
    p.far_note = steep + ", so the far values are the least certain";
    if (std::isfinite(options.trusted_size_steep)) {
      p.trusted_size = options.trusted_size_steep * p.largest_size;
      p.far_reason = steep + ", so the value beyond " + format_number(p.trusted_size) +
                     " samples cannot be told from these points";
    }
  }
  return p;
}

}  // namespace grove::diag

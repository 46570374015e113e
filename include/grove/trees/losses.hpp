#pragma once
/// \file Boosting losses: gradients/hessians per row, base scores, and the loss values recorded
/// in the training history (rmse, mae, logloss, multiclass logloss, huber, pinball, half
/// poisson deviance).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/parallel.hpp"
#include "grove/trees/fields.hpp"
#include "grove/trees/weights.hpp"

namespace grove::trees {

/// Loss a gradient-boosting model minimizes.
enum class Loss : std::uint32_t {
  SquaredError = 0,   ///< regression; history records rmse
  AbsoluteError = 1,  ///< regression; leaves refit to the median residual; history records mae
  Logistic = 2,       ///< binary classification; history records logloss
  Softmax = 3,        ///< multiclass classification (one tree per class per round); multiclass logloss
  LogLoss = 4,        ///< classifier parameter: Logistic for two classes, Softmax above
  Huber = 5,          ///< regression: squared within huber_delta of the target, linear beyond; history records it
  Quantile = 6,       ///< regression: pinball loss at level `quantile`; leaves refit to the residuals' quantile
  Poisson = 7,        ///< regression on counts: margin = log of the mean; history records half the poisson deviance
};

/// What a loss needs besides the targets: the quantile level and the Huber threshold.
struct LossShape {
  double quantile = 0.5;
  double huber_delta = 1.0;
};

}  // namespace grove::trees

namespace grove::detail {

using trees::Loss;

template <>
struct EnumNames<Loss> {
  static constexpr std::string_view names[] = {"squared_error", "absolute_error", "logistic", "softmax",
                                               "log_loss",      "huber",          "quantile", "poisson"};
};

using trees::LossShape;

/// Poisson's hessian is exp(margin + this) (XGBoost's and LightGBM's max_delta_step 0.7): a
/// smaller first step where exp(margin) is still far from the targets keeps margins from
/// overshooting.
inline constexpr double kPoissonDeltaStep = 0.7;

/// Losses whose leaves are refit to a quantile of their residuals after growth (absolute error:
/// the median), and that level.
inline bool refits_leaves(Loss loss) noexcept { return loss == Loss::AbsoluteError || loss == Loss::Quantile; }
inline double refit_level(Loss loss, const LossShape& shape) noexcept {
  return loss == Loss::Quantile ? shape.quantile : 0.5;
}

inline constexpr std::size_t kLossBlock = 16384;

/// Loss of one row at margins m (K values); y is the target or class index.
inline double row_loss(Loss loss, std::size_t K, const double* m, float y, const LossShape& shape = {}) {
  switch (loss) {
    case Loss::Huber: {
      const double d = std::abs(m[0] - static_cast<double>(y)), t = shape.huber_delta;
      return d <= t ? 0.5 * d * d : t * (d - 0.5 * t);
    }
    case Loss::Quantile: {
      const double d = static_cast<double>(y) - m[0];
      return d >= 0.0 ? shape.quantile * d : (shape.quantile - 1.0) * d;
    }
    case Loss::Poisson: {
      const double t = static_cast<double>(y);
      return std::exp(m[0]) - t * m[0] + (t > 0.0 ? t * std::log(t) - t : 0.0);
    }
    case Loss::SquaredError: {
      const double d = m[0] - static_cast<double>(y);
      return d * d;
    }
    case Loss::AbsoluteError: return std::abs(m[0] - static_cast<double>(y));
    case Loss::Logistic: {
      const double z = m[0];
      return std::max(z, 0.0) - z * static_cast<double>(y) + std::log1p(std::exp(-std::abs(z)));
    }
    case Loss::Softmax: {
      double mx = m[0];
      for (std::size_t k = 1; k < K; ++k) mx = std::max(mx, m[k]);
      double s = 0.0;
      for (std::size_t k = 0; k < K; ++k) s += std::exp(m[k] - mx);
      return mx + std::log(s) - m[static_cast<std::size_t>(y)];
    }
    case Loss::LogLoss: break;  // a parameter value, resolved to Logistic or Softmax before training
  }
  return 0.0;
}

/// The reported value from the mean row loss (rmse takes the square root).
inline double finish_loss(Loss loss, double mean) { return loss == Loss::SquaredError ? std::sqrt(mean) : mean; }

/// The sum over rows [0, n) of block(lo, hi) (a block's own sum), taken per fixed block in
/// parallel and added in block order, so it does not depend on the thread count.
template <class Block>
double sum_in_blocks(std::size_t n, Block&& block) {
  const std::size_t blocks = (n + kLossBlock - 1) / kLossBlock;
  std::vector<double> part(blocks, 0.0);
  parallel_for_chunks(blocks, [&](std::size_t b) { part[b] = block(b * kLossBlock, std::min(n, (b + 1) * kLossBlock)); });
  double total = 0.0;
  for (double p : part) total += p;
  return total;
}

/// Sum of the row losses over n rows times their weights (null: 1).
inline double loss_sum(Loss loss, std::size_t K, const double* margin, const float* y, std::size_t n,
                       const double* weight = nullptr, const LossShape& shape = {}) {
  return sum_in_blocks(n, [&](std::size_t lo, std::size_t hi) {
    double s = 0.0;
    for (std::size_t i = lo; i < hi; ++i) s += row_weight(weight, i) * row_loss(loss, K, margin + i * K, y[i], shape);
    return s;
  });
}

/// (Weighted) mean loss over n rows (the recorded value: rmse for squared error).
inline double mean_loss(Loss loss, std::size_t K, const double* margin, const float* y, std::size_t n,
                        const double* weight = nullptr, const LossShape& shape = {}) {
  return finish_loss(loss, loss_sum(loss, K, margin, y, n, weight, shape) / total_weight(weight, n));
}

/// The weighted quantile at level q of values: the smallest value whose cumulative weight passes
/// q times the total, which for whole weights is the value a row-per-unit-weight list has at
/// index floor(q n) (what nth_element gives without weights; q = 0.5: the upper median), so a
/// weight of 2 equals a duplicate.
inline double weighted_quantile(std::vector<double> values, const std::vector<double>& weights, double q) {
  double total = 0.0;
  for (double w : weights) total += w;
  if (weights.empty() || !(total > 0.0)) {  // no weights, or a leaf of weightless rows
    const std::size_t at = std::min(values.size() - 1, static_cast<std::size_t>(q * static_cast<double>(values.size())));
    const auto it = values.begin() + static_cast<std::ptrdiff_t>(at);
    std::nth_element(values.begin(), it, values.end());
    return *it;
  }
  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  double run = 0.0;
  for (std::size_t i : order) {
    run += weights[i];
    if (run > q * total) return values[i];
  }
  return values[order.back()];
}

/// Logistic gradient and hessian of rows [lo, hi) into g_h (2 floats a row), times the row's
/// weight (null: 1); returns the weighted summed loss when `with_loss`. Branch-free in the sign
/// of the margin (a coin flip per row), which only selects the numerator: the same operations
/// as p = 1 / (1 + e) or e / (1 + e).
inline double logistic_block(const double* margin, const float* y, std::size_t lo, std::size_t hi, float* g_h,
                             bool with_loss, const double* weight) {
  double s = 0.0;
  for (std::size_t i = lo; i < hi; ++i) {
    const double z = margin[i], t = static_cast<double>(y[i]), w = row_weight(weight, i);
    const double e = std::exp(-std::abs(z));
    if (with_loss) s += w * (std::max(z, 0.0) - z * t + std::log1p(e));
    const double prob = (z >= 0.0 ? 1.0 : e) / (1.0 + e);
    g_h[2 * i] = static_cast<float>((prob - t) * w);
    g_h[2 * i + 1] = static_cast<float>(std::max(prob * (1.0 - prob), 1e-16) * w);
  }
  return s;
}

/// Writes (g, h) per row for each of the K outputs into stats[k] (2 floats a row), times the
/// row's weight, and returns the (weighted) mean loss at the current margins. Squared-error
/// gradients are multiplied by `scale` too (a power of two that keeps them in float range; see
/// statistic_scale).
inline double gradients(Loss loss, std::size_t K, const double* margin, const float* y, std::size_t n,
                        std::vector<std::vector<float>>& stats, bool with_loss = true, double scale = 1.0,
                        const double* weight = nullptr, const LossShape& shape = {}) {
  const double total = sum_in_blocks(n, [&](std::size_t lo, std::size_t hi) {
    if (loss == Loss::Logistic) return logistic_block(margin, y, lo, hi, stats[0].data(), with_loss, weight);
    double s = 0.0;
    std::vector<double> p(K);
    for (std::size_t i = lo; i < hi; ++i) {
      const double* m = margin + i * K;
      const double t = static_cast<double>(y[i]), w = row_weight(weight, i);
      switch (loss) {
        case Loss::SquaredError: {
          const double d = m[0] - t;
          s += w * (d * d);
          stats[0][2 * i] = static_cast<float>(d * scale * w);
          stats[0][2 * i + 1] = static_cast<float>(w);
          break;
        }
        case Loss::AbsoluteError: {
          const double d = m[0] - t;
          s += w * std::abs(d);
          stats[0][2 * i] = static_cast<float>((d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0)) * w);
          stats[0][2 * i + 1] = static_cast<float>(w);
          break;
        }
        case Loss::Softmax: {
          double mx = m[0];
          for (std::size_t k = 1; k < K; ++k) mx = std::max(mx, m[k]);
          double sum = 0.0;
          for (std::size_t k = 0; k < K; ++k) {
            p[k] = std::exp(m[k] - mx);
            sum += p[k];
          }
          const auto cls = static_cast<std::size_t>(y[i]);
          if (with_loss) s += w * (mx + std::log(sum) - m[cls]);
          for (std::size_t k = 0; k < K; ++k) {
            const double q = p[k] / sum;
            stats[k][2 * i] = static_cast<float>((q - (k == cls ? 1.0 : 0.0)) * w);
            stats[k][2 * i + 1] = static_cast<float>(std::max(q * (1.0 - q), 1e-16) * w);
          }
          break;
        }
        case Loss::Huber: {
          const double d = m[0] - t;
          s += w * row_loss(loss, K, m, y[i], shape);
          stats[0][2 * i] = static_cast<float>(std::clamp(d, -shape.huber_delta, shape.huber_delta) * w);
          stats[0][2 * i + 1] = static_cast<float>(w);
          break;
        }
        case Loss::Quantile: {
          const double d = m[0] - t;
          s += w * row_loss(loss, K, m, y[i], shape);
          stats[0][2 * i] = static_cast<float>((d > 0.0 ? 1.0 - shape.quantile : (d < 0.0 ? -shape.quantile : 0.0)) * w);
          stats[0][2 * i + 1] = static_cast<float>(w);
          break;
        }
        case Loss::Poisson: {
          if (with_loss) s += w * row_loss(loss, K, m, y[i], shape);
          stats[0][2 * i] = static_cast<float>((std::exp(m[0]) - t) * w);
          stats[0][2 * i + 1] = static_cast<float>(std::exp(m[0] + kPoissonDeltaStep) * w);
          break;
        }
        case Loss::Logistic:  // logistic_block
        case Loss::LogLoss: break;
      }
    }
    return s;
  });
  return finish_loss(loss, total / total_weight(weight, n));
}

/// What the starting margins of every loss but absolute error (a median) depend on, as sums
/// shards can add: the total row weight (the row count without weights), then the weighted sum
/// of targets (squared, logistic) or the weight of each class (softmax).
inline std::vector<double> base_score_sums(Loss loss, std::size_t K, const float* y, std::size_t n,
                                           const double* weight = nullptr) {
  std::vector<double> sums(loss == Loss::Softmax ? 1 + K : 2, 0.0);
  sums[0] = total_weight(weight, n);
  if (loss == Loss::Softmax) {
    for (std::size_t i = 0; i < n; ++i) sums[1 + static_cast<std::size_t>(y[i])] += row_weight(weight, i);
  } else {
    for (std::size_t i = 0; i < n; ++i) sums[1] += row_weight(weight, i) * static_cast<double>(y[i]);
  }
  return sums;
}

/// Starting margins from base_score_sums: mean (squared), log-odds (logistic), log priors (softmax).
inline std::vector<double> base_scores_from_sums(Loss loss, std::size_t K, const std::vector<double>& sums) {
  std::vector<double> base(K, 0.0);
  const double n = sums[0];
  switch (loss) {
    case Loss::SquaredError:
    case Loss::Huber: base[0] = sums[1] / n; break;
    case Loss::Poisson: base[0] = std::log(std::max(sums[1] / n, 1e-12)); break;
    case Loss::Logistic: {
      const double p = std::clamp(sums[1] / n, 1e-6, 1.0 - 1e-6);
      base[0] = std::log(p / (1.0 - p));
      break;
    }
    case Loss::Softmax:
      for (std::size_t k = 0; k < K; ++k) base[k] = std::log(std::max(sums[1 + k] / n, 1e-6));
      break;
    case Loss::AbsoluteError:
    case Loss::Quantile:
    case Loss::LogLoss: break;
  }
  return base;
}

/// Starting margins, weighted by the rows' weights (null: 1): mean (squared, huber), median
/// (absolute), the quantile (quantile), log of the mean (poisson), log-odds (logistic), log
/// priors (softmax).
inline std::vector<double> base_scores(Loss loss, std::size_t K, const float* y, std::size_t n,
                                       const double* weight = nullptr, const LossShape& shape = {}) {
  if (!refits_leaves(loss)) return base_scores_from_sums(loss, K, base_score_sums(loss, K, y, n, weight));
  return {weighted_quantile(std::vector<double>(y, y + n),
                            weight ? std::vector<double>(weight, weight + n) : std::vector<double>{},
                            refit_level(loss, shape))};
}

/// Targets the loss cannot fit: poisson needs counts (or rates) >= 0, not all 0.
/// (`whole`: y is every training target, not one shard's, so the all-zero case can be told.)
inline void check_loss_targets(Loss loss, const float* y, std::size_t n, std::string_view op, bool whole = true) {
  if (loss != Loss::Poisson) return;
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(y[i] >= 0.0f))
      throw_value_error(std::string(op) + ": loss poisson needs targets >= 0, got " +
                        format_number(static_cast<double>(y[i])) + " at row " + std::to_string(i));
    sum += static_cast<double>(y[i]);
  }
  if (whole && !(sum > 0.0)) throw_value_error(std::string(op) + ": loss poisson needs a target above 0; every target is 0");
}

}  // namespace grove::detail

#pragma once
/// \file Boosting losses: gradients/hessians per row, base scores, and the loss values recorded
/// in the training history (rmse, mae, logloss, multiclass logloss).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "grove/core/parallel.hpp"
#include "grove/trees/fields.hpp"

namespace grove::trees {

/// Loss a gradient-boosting model minimizes.
enum class Loss : std::uint32_t {
  SquaredError = 0,   ///< regression; history records rmse
  AbsoluteError = 1,  ///< regression; leaves refit to the median residual; history records mae
  Logistic = 2,       ///< binary classification; history records logloss
  Softmax = 3,        ///< multiclass classification (one tree per class per round); multiclass logloss
  LogLoss = 4,        ///< classifier parameter: Logistic for two classes, Softmax above
};

}  // namespace grove::trees

namespace grove::detail {

using trees::Loss;

template <>
struct EnumNames<Loss> {
  static constexpr std::string_view names[] = {"squared_error", "absolute_error", "logistic", "softmax", "log_loss"};
};

inline constexpr std::size_t kLossBlock = 16384;

/// Loss of one row at margins m (K values); y is the target or class index.
inline double row_loss(Loss loss, std::size_t K, const double* m, float y) {
  switch (loss) {
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

/// Sum of the row losses over n rows, summed per fixed block and the blocks in order
/// (thread-count independent).
inline double loss_sum(Loss loss, std::size_t K, const double* margin, const float* y, std::size_t n) {
  const std::size_t blocks = (n + kLossBlock - 1) / kLossBlock;
  std::vector<double> part(blocks, 0.0);
  parallel_for_chunks(blocks, [&](std::size_t b) {
    const std::size_t lo = b * kLossBlock, hi = std::min(n, lo + kLossBlock);
    double s = 0.0;
    for (std::size_t i = lo; i < hi; ++i) s += row_loss(loss, K, margin + i * K, y[i]);
    part[b] = s;
  });
  double total = 0.0;
  for (double p : part) total += p;
  return total;
}

/// Mean loss over n rows (the recorded value: rmse for squared error).
inline double mean_loss(Loss loss, std::size_t K, const double* margin, const float* y, std::size_t n) {
  return finish_loss(loss, loss_sum(loss, K, margin, y, n) / static_cast<double>(n));
}

/// Logistic gradient and hessian of rows [lo, hi) into g_h (2 floats a row); returns the summed
/// loss when `with_loss`. Branch-free in the sign of the margin (a coin flip per row), which
/// only selects the numerator: the same operations as p = 1 / (1 + e) or e / (1 + e).
inline double logistic_block(const double* margin, const float* y, std::size_t lo, std::size_t hi, float* g_h,
                             bool with_loss) {
  double s = 0.0;
  for (std::size_t i = lo; i < hi; ++i) {
    const double z = margin[i], t = static_cast<double>(y[i]);
    const double e = std::exp(-std::abs(z));
    if (with_loss) s += std::max(z, 0.0) - z * t + std::log1p(e);
    const double prob = (z >= 0.0 ? 1.0 : e) / (1.0 + e);
    g_h[2 * i] = static_cast<float>(prob - t);
    g_h[2 * i + 1] = static_cast<float>(std::max(prob * (1.0 - prob), 1e-16));
  }
  return s;
}

/// Writes (g, h) per row for each of the K outputs into stats[k] (2 floats a row) and returns
/// the mean loss at the current margins. Squared-error gradients are multiplied by `scale` (a
/// power of two that keeps them in float range; see statistic_scale).
inline double gradients(Loss loss, std::size_t K, const double* margin, const float* y, std::size_t n,
                        std::vector<std::vector<float>>& stats, bool with_loss = true, double scale = 1.0) {
  const std::size_t blocks = (n + kLossBlock - 1) / kLossBlock;
  std::vector<double> part(blocks, 0.0);
  parallel_for_chunks(blocks, [&](std::size_t b) {
    const std::size_t lo = b * kLossBlock, hi = std::min(n, lo + kLossBlock);
    if (loss == Loss::Logistic) {
      part[b] = logistic_block(margin, y, lo, hi, stats[0].data(), with_loss);
      return;
    }
    double s = 0.0;
    std::vector<double> p(K);
    for (std::size_t i = lo; i < hi; ++i) {
      const double* m = margin + i * K;
      const double t = static_cast<double>(y[i]);
      switch (loss) {
        case Loss::SquaredError: {
          const double d = m[0] - t;
          s += d * d;
          stats[0][2 * i] = static_cast<float>(d * scale);
          stats[0][2 * i + 1] = 1.0f;
          break;
        }
        case Loss::AbsoluteError: {
          const double d = m[0] - t;
          s += std::abs(d);
          stats[0][2 * i] = d > 0.0 ? 1.0f : (d < 0.0 ? -1.0f : 0.0f);
          stats[0][2 * i + 1] = 1.0f;
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
          if (with_loss) s += mx + std::log(sum) - m[cls];
          for (std::size_t k = 0; k < K; ++k) {
            const double q = p[k] / sum;
            stats[k][2 * i] = static_cast<float>(q - (k == cls ? 1.0 : 0.0));
            stats[k][2 * i + 1] = static_cast<float>(std::max(q * (1.0 - q), 1e-16));
          }
          break;
        }
        case Loss::Logistic:
        case Loss::LogLoss: break;
      }
    }
    part[b] = s;
  });
  double total = 0.0;
  for (double v : part) total += v;
  return finish_loss(loss, total / static_cast<double>(n));
}

/// What the starting margins of every loss but absolute error (a median) depend on, as sums
/// shards can add: the row count, then the sum of targets (squared, logistic) or the count of
/// each class (softmax).
inline std::vector<double> base_score_sums(Loss loss, std::size_t K, const float* y, std::size_t n) {
  std::vector<double> sums(loss == Loss::Softmax ? 1 + K : 2, 0.0);
  sums[0] = static_cast<double>(n);
  if (loss == Loss::Softmax) {
    for (std::size_t i = 0; i < n; ++i) sums[1 + static_cast<std::size_t>(y[i])] += 1.0;
  } else {
    for (std::size_t i = 0; i < n; ++i) sums[1] += static_cast<double>(y[i]);
  }
  return sums;
}

/// Starting margins from base_score_sums: mean (squared), log-odds (logistic), log priors (softmax).
inline std::vector<double> base_scores_from_sums(Loss loss, std::size_t K, const std::vector<double>& sums) {
  std::vector<double> base(K, 0.0);
  const double n = sums[0];
  switch (loss) {
    case Loss::SquaredError: base[0] = sums[1] / n; break;
    case Loss::Logistic: {
      const double p = std::clamp(sums[1] / n, 1e-6, 1.0 - 1e-6);
      base[0] = std::log(p / (1.0 - p));
      break;
    }
    case Loss::Softmax:
      for (std::size_t k = 0; k < K; ++k) base[k] = std::log(std::max(sums[1 + k] / n, 1e-6));
      break;
    case Loss::AbsoluteError:
    case Loss::LogLoss: break;
  }
  return base;
}

/// Starting margins: mean (squared), median (absolute), log-odds (logistic), log priors (softmax).
inline std::vector<double> base_scores(Loss loss, std::size_t K, const float* y, std::size_t n) {
  if (loss != Loss::AbsoluteError) return base_scores_from_sums(loss, K, base_score_sums(loss, K, y, n));
  std::vector<float> v(y, y + n);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2), v.end());
  return {static_cast<double>(v[n / 2])};
}

}  // namespace grove::detail

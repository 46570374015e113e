#pragma once
/// \file learning_curve: cross-validated train and validation scores of a model as a function of
/// the training-set size (scikit-learn's learning_curve semantics).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/data/kfold.hpp"
#include "grove/diagnostics/scoring.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::diag {

/// Settings of learning_curve (fields in the order DESIGN.md lists them).
struct LearningCurveOptions {
  /// Fractions of the largest training part when every value is in (0, 1]; otherwise absolute
  /// sample counts (whole numbers ≥ 1). Sorted and de-duplicated after conversion. Empty (the
  /// default): geometric anchors as in LCDB, ceil(16·2^(k/2)) from max(16, n/32) up to the
  /// largest training part n, plus n itself (about 11 sizes; the projection needs dense anchors
  /// near the end of the curve, and the small ones cost little).
  std::vector<double> train_sizes = {};
  std::size_t folds = 5;   ///< K of K-fold cross-validation, in [2, n]
  Scoring scoring = {};    ///< a name, a Scorer or a callable; default accuracy/r2 (see Scoring)
  std::uint64_t seed = 0;  ///< drives the fold assignment and the order of each training part
  bool stratify = false;   ///< stratified folds (y must hold class labels)
  bool shuffle = true;     ///< shuffle rows before splitting and before taking prefixes
};

/// Scores per training size: means and population standard deviations over the folds (as
/// scikit-learn's np.std), the raw per-fold scores and fit times, and how scores map to errors.
struct LearningCurve {
  std::vector<std::size_t> train_sizes;  ///< absolute sizes, ascending
  std::vector<double> train_mean, train_std, val_mean, val_std;
  std::vector<std::vector<double>> train_scores;  ///< [size][fold]
  std::vector<std::vector<double>> val_scores;    ///< [size][fold]
  std::vector<std::vector<double>> fit_times;     ///< seconds, [size][fold]
  std::string scoring = "score";
  bool greater_is_better = true;
  double optimum = 1.0;  ///< perfect score (see Scorer::optimum)
  /// Validation score of a trivial model (majority class, class priors or the training mean)
  /// fitted on each full training part, averaged over folds; NaN when the scorer is custom.
  double baseline_score = std::numeric_limits<double>::quiet_NaN();
  std::size_t n_samples = 0;
  std::size_t folds = 0;

  /// Error (≥ 0, smaller is better) of a score under this curve's scoring.
  double error(double score) const noexcept { return greater_is_better ? optimum - score : score - optimum; }
  /// Score of an error.
  double score(double err) const noexcept { return greater_is_better ? optimum - err : optimum + err; }
  /// Number of sizes.
  std::size_t size() const noexcept { return train_sizes.size(); }
};

/// An estimator made of callables, so anything trainable (an nn training loop, a closure over
/// a model held by shared_ptr) can go through learning_curve: fit(X, y) calls fit_fn, predict(X)
/// returns predict_fn(X), and predict_proba(X) exists when a third callable is given.
template <class Fit, class Predict, class Proba = void>
struct EstimatorAdapter {
  Fit fit_fn;
  Predict predict_fn;
  Proba proba_fn;
  template <class X, class Y>
  void fit(const X& x, const Y& y) { fit_fn(x, y); }
  template <class X>
  auto predict(const X& x) { return predict_fn(x); }
  template <class X>
  auto predict_proba(const X& x) { return proba_fn(x); }
};

/// The two-callable form (no predict_proba).
template <class Fit, class Predict>
struct EstimatorAdapter<Fit, Predict, void> {
  Fit fit_fn;
  Predict predict_fn;
  template <class X, class Y>
  void fit(const X& x, const Y& y) { fit_fn(x, y); }
  template <class X>
  auto predict(const X& x) { return predict_fn(x); }
};

/// An estimator from fit(X, y) and predict(X) callables.
template <class Fit, class Predict>
EstimatorAdapter<Fit, Predict> make_estimator(Fit fit, Predict predict) {
  return {std::move(fit), std::move(predict)};
}

/// An estimator from fit, predict and predict_proba callables (for probabilistic scorings).
template <class Fit, class Predict, class Proba>
EstimatorAdapter<Fit, Predict, Proba> make_estimator(Fit fit, Predict predict, Proba predict_proba) {
  return {std::move(fit), std::move(predict), std::move(predict_proba)};
}

}  // namespace grove::diag

namespace grove::detail {

inline std::string lc_num(double v) { return format_number(v, 6); }

[[noreturn, gnu::cold]] inline void throw_lc_error(const std::string& msg) {
  grove::detail::throw_value_error("learning_curve: " + msg);
}

/// Rows idx[0..count) of a contiguous tensor whose first axis indexes samples.
template <class T>
Tensor<T> take_rows(const Tensor<T>& t, const std::vector<std::size_t>& idx, std::size_t count) {
  const std::size_t rows = t.shape()[0];
  const std::size_t row = rows ? t.size() / rows : 0;
  std::vector<T> out(count * row);
  const T* src = t.data();
  for (std::size_t r = 0; r < count; ++r) std::copy(src + idx[r] * row, src + (idx[r] + 1) * row, out.begin() + static_cast<std::ptrdiff_t>(r * row));
  Shape shape = t.shape();
  shape[0] = count;
  return Tensor<T>::from_vector(std::move(out), shape);
}

template <class M>
decltype(auto) deref_model(M& m) {
  if constexpr (requires { *m; m.get(); }) return (*m);  // unique_ptr / shared_ptr
  else return (m);
}

template <class M, class TX>
concept HasPredictProba = requires(M& m, const Tensor<TX>& X) { m.predict_proba(X); };

/// Absolute training sizes from fractions or counts (see LearningCurveOptions::train_sizes).
inline std::vector<std::size_t> absolute_sizes(const std::vector<double>& sizes, std::size_t n_max) {
  if (sizes.empty()) {
    std::vector<std::size_t> out;
    const double from = std::max(16.0, static_cast<double>(n_max) / 32.0);
    for (int k = 0; k < 200; ++k) {
      const auto g = static_cast<std::size_t>(std::ceil(16.0 * std::pow(2.0, k / 2.0) - 1e-9));
      if (g >= n_max) break;
      if (static_cast<double>(g) >= from * (1 - 1e-12)) out.push_back(g);
    }
    out.push_back(n_max);
    return out;
  }
  bool fractions = true;
  for (double s : sizes) {
    if (!std::isfinite(s) || !(s > 0)) throw_lc_error("train_sizes must be > 0 and finite, got " + lc_num(s));
    if (s > 1) fractions = false;
  }
  std::vector<std::size_t> out;
  for (double s : sizes) {
    if (fractions) {
      // floor(fraction · n_max), at least 1, as scikit-learn's astype(int) then clip.
      out.push_back(std::clamp<std::size_t>(static_cast<std::size_t>(s * static_cast<double>(n_max)), 1, n_max));
    } else {
      if (s != std::floor(s) || s < 1)
        throw_lc_error("train_sizes mixes fractions and counts: " + lc_num(s) +
                       " is neither (all values in (0, 1] are fractions; otherwise each must be a whole count >= 1)");
      if (s > static_cast<double>(n_max))
        throw_lc_error("train size " + std::to_string(static_cast<std::size_t>(s)) +
                       " exceeds the largest training part (" + std::to_string(n_max) + " samples)");
      out.push_back(static_cast<std::size_t>(s));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

inline void mean_std(const std::vector<double>& v, double& mean, double& sd) {
  double s = 0;
  for (double x : v) s += x;
  mean = s / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  sd = std::sqrt(ss / static_cast<double>(v.size()));
}

/// Output of a trivial model fitted on the labels y_train, for the n_val validation rows.
inline Tensor<double> baseline_output(const diag::Scorer& sc, const std::vector<double>& y_train, std::size_t n_val,
                                      std::size_t n_classes) {
  if (sc.task == diag::Task::Regression) {
    double m = 0;
    for (double v : y_train) m += v;
    m /= static_cast<double>(y_train.size());
    return Tensor<double>::full(Shape{n_val}, m);
  }
  std::vector<double> counts(n_classes, 0.0);
  for (double v : y_train) counts[static_cast<std::size_t>(v)] += 1;
  if (sc.needs_proba) {
    // Laplace-smoothed class priors, so a class missing from the training part costs finite loss.
    std::vector<double> out(n_val * n_classes);
    const double total = static_cast<double>(y_train.size() + n_classes);
    for (std::size_t i = 0; i < n_val; ++i)
      for (std::size_t c = 0; c < n_classes; ++c) out[i * n_classes + c] = (counts[c] + 1) / total;
    return Tensor<double>::from_vector(std::move(out), Shape{n_val, n_classes});
  }
  const auto majority = static_cast<double>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  return Tensor<double>::full(Shape{n_val}, majority);
}

}  // namespace grove::detail

namespace grove::diag {

/// The splits learning_curve uses for `y` and `options`: data::KFold, or data::StratifiedKFold
/// when options.stratify, shuffled with options.seed; each training part is then put in the
/// order whose prefixes are the training subsets (its own shuffle per fold when options.shuffle).
template <class TY>
std::vector<data::Fold> learning_curve_splits(const Tensor<TY>& y, const LearningCurveOptions& options = {}) {
  const std::size_t n = y.dim() == 0 ? 0 : y.shape()[0];
  if (options.folds < 2 || options.folds > n)
    detail::throw_lc_error("folds must be in [2, " + std::to_string(n) + "] (the number of samples), got " +
                           std::to_string(options.folds));
  const data::KFoldOptions kopt{.shuffle = options.shuffle, .seed = options.seed};
  std::vector<data::Fold> splits;
  if (options.stratify) {
    if (y.dim() != 1 && !(y.dim() == 2 && y.shape()[1] == 1))
      detail::throw_lc_error("stratify needs y of shape [n] or [n,1], got " + to_string(y.shape()));
    splits = data::StratifiedKFold(options.folds, kopt).split(y);
  } else {
    splits = data::KFold(options.folds, kopt).split(n);
  }
  if (options.shuffle) {
    // Each fold's training order comes from its own stream: independent of the other folds.
    const Rng base(options.seed ^ 0x5EEDF01DULL);
    for (std::size_t f = 0; f < splits.size(); ++f) {
      Rng rng = base.stream(f);
      rng.shuffle(splits[f].train.begin(), splits[f].train.end());
    }
  }
  return splits;
}

/// Cross-validated learning curve. For each fold and each training size n, a fresh model from
/// make_model() is fitted on the first n rows of the fold's (shuffled) training part and scored
/// on those rows and on the fold's validation part. make_model returns an estimator (or a smart
/// pointer to one) with fit(X, y) and predict(X) (predict_proba(X) for probabilistic scorings).
/// X is [n, d], y has n rows. Bad options are a ValueError naming the option and its range.
template <class MakeModel, class TX, class TY>
LearningCurve learning_curve(MakeModel&& make_model, const Tensor<TX>& X, const Tensor<TY>& y,
                             const LearningCurveOptions& options = {}) {
  if (X.dim() != 2) detail::throw_lc_error("X must be 2-D [n, d], got shape " + to_string(X.shape()));
  const std::size_t n = X.shape()[0];
  if (y.dim() == 0 || y.shape()[0] != n)
    detail::throw_lc_error("X has " + std::to_string(n) + " rows but y has shape " + to_string(y.shape()));
  if (n < 2) detail::throw_lc_error("needs at least 2 samples, got " + std::to_string(n));

  using Model = std::remove_cvref_t<decltype(make_model())>;
  using Est = std::remove_cvref_t<decltype(detail::deref_model(std::declval<Model&>()))>;
  constexpr bool has_proba = detail::HasPredictProba<Est, TX>;
  const Scorer scorer = options.scoring.resolve(has_proba ? "accuracy" : "r2");
  if (scorer.needs_proba && !has_proba)
    detail::throw_lc_error("scoring '" + scorer.name + "' needs predict_proba, which the estimator does not have");

  const auto splits = learning_curve_splits(y, options);
  const std::size_t n_max = splits[0].train.size();
  const std::vector<std::size_t> sizes = detail::absolute_sizes(options.train_sizes, n_max);
  const Tensor<TX> Xc = X.contiguous();
  const Tensor<TY> yc = y.contiguous();
  const std::size_t k = splits.size();

  // Class count for the trivial baseline (labels validated only when a classification scorer needs them).
  std::size_t n_classes = 0;
  bool baseline_ok = scorer.task != Task::Any && (y.dim() == 1 || (y.dim() == 2 && y.shape()[1] == 1));
  if (baseline_ok && scorer.task == Task::Classification) {
    const TY* p = yc.data();
    for (std::size_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(p[i]);
      if (!(v >= 0) || v != std::floor(v) || v > 1e6) {
        baseline_ok = false;
        break;
      }
      n_classes = std::max(n_classes, static_cast<std::size_t>(v) + 1);
    }
  }

  LearningCurve lc;
  lc.train_sizes = sizes;
  lc.scoring = scorer.name;
  lc.greater_is_better = scorer.greater_is_better;
  lc.optimum = scorer.optimum;
  lc.n_samples = n;
  lc.folds = k;
  lc.train_scores.assign(sizes.size(), std::vector<double>(k));
  lc.val_scores.assign(sizes.size(), std::vector<double>(k));
  lc.fit_times.assign(sizes.size(), std::vector<double>(k));

  auto score_on = [&](auto& est, const Tensor<TX>& Xs, const Tensor<TY>& ys) {
    const Tensor<double> yd = ys.template to<double>();
    if constexpr (has_proba) {
      if (scorer.needs_proba) return scorer.fn(yd, est.predict_proba(Xs).template to<double>());
    }
    return scorer.fn(yd, est.predict(Xs).template to<double>());
  };

  double baseline_sum = 0;
  for (std::size_t f = 0; f < k; ++f) {
    const auto& sp = splits[f];
    const Tensor<TX> Xv = detail::take_rows(Xc, sp.validation, sp.validation.size());
    const Tensor<TY> yv = detail::take_rows(yc, sp.validation, sp.validation.size());
    for (std::size_t s = 0; s < sizes.size(); ++s) {
      const Tensor<TX> Xt = detail::take_rows(Xc, sp.train, sizes[s]);
      const Tensor<TY> yt = detail::take_rows(yc, sp.train, sizes[s]);
      Model model = make_model();
      auto& est = detail::deref_model(model);
      const auto t0 = std::chrono::steady_clock::now();
      est.fit(Xt, yt);
      lc.fit_times[s][f] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      lc.train_scores[s][f] = score_on(est, Xt, yt);
      lc.val_scores[s][f] = score_on(est, Xv, yv);
    }
    if (baseline_ok) {
      const Tensor<TY> ytr = detail::take_rows(yc, sp.train, sp.train.size());
      const auto ytr_v = ytr.template to<double>().to_vector();
      try {
        baseline_sum += scorer.fn(yv.template to<double>(), detail::baseline_output(scorer, ytr_v, yv.size(), n_classes));
      } catch (const grove::Error&) {
        baseline_ok = false;  // the reference is optional: a metric refusing a constant model only drops it
      }
    }
  }
  if (baseline_ok) lc.baseline_score = baseline_sum / static_cast<double>(k);

  for (std::size_t s = 0; s < sizes.size(); ++s) {
    double m, sd;
    detail::mean_std(lc.train_scores[s], m, sd);
    lc.train_mean.push_back(m), lc.train_std.push_back(sd);
    detail::mean_std(lc.val_scores[s], m, sd);
    lc.val_mean.push_back(m), lc.val_std.push_back(sd);
  }
  return lc;
}

}  // namespace grove::diag

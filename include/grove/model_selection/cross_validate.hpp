#pragma once
/// \file cross_validate: per-fold test (and train) scores, fit and score times of a model under
/// K-fold cross-validation (scikit-learn's cross_validate), parallel over folds on grove's pool.
/// Also the fold-evaluation engine the searches share.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/parallel.hpp"
#include "grove/core/progress.hpp"
#include "grove/data/dataset.hpp"
#include "grove/data/kfold.hpp"
#include "grove/diagnostics/scoring.hpp"
#include "grove/model_selection/estimator.hpp"
#include "grove/model_selection/scoring.hpp"
#include "grove/tensor/shape_ops.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::model_selection {

/// Settings of cross_validate (the first four in the order DESIGN.md lists them).
struct CrossValidateOptions {
  std::size_t folds = 5;            ///< K of K-fold, in [2, rows]
  Scorings scoring = {};            ///< one or several scorings (see Scorings); the first is test_scores
  bool stratify = false;            ///< stratified folds (y must hold class labels 0..k-1)
  std::uint64_t seed = 0;           ///< shuffles the rows before they are dealt to folds
  bool return_train_score = false;  ///< also score each fold's model on its training rows
  bool shuffle = true;              ///< shuffle rows before splitting (false: contiguous folds)
  /// Explicit folds (row indices); when given, folds/stratify/seed/shuffle are not used.
  std::vector<data::Fold> splits = {};
};

/// One scoring's per-fold scores.
struct ScoreSeries {
  std::string name;
  bool greater_is_better = true;
  std::vector<double> test;   ///< one per fold
  std::vector<double> train;  ///< one per fold; empty unless return_train_score
};

/// What cross_validate measured, fold by fold.
struct CrossValidation {
  std::vector<double> test_scores;   ///< the first scoring's score on each fold's held-out rows
  std::vector<double> train_scores;  ///< the first scoring on each fold's training rows (return_train_score)
  std::vector<double> fit_times;     ///< seconds to fit, per fold
  std::vector<double> score_times;   ///< seconds to predict and score, per fold
  std::vector<ScoreSeries> scores;   ///< every scoring, in the order given (scores[0] is test/train_scores)
  std::size_t n_samples = 0;
  std::size_t folds = 0;

  /// The series of scoring `name` (ValueError listing the names when absent).
  const ScoreSeries& scoring(std::string_view name) const {
    for (const ScoreSeries& s : scores)
      if (s.name == name) return s;
    std::string known;
    for (const ScoreSeries& s : scores) known += (known.empty() ? "" : ", ") + s.name;
    grove::detail::throw_value_error("CrossValidation.scoring: no scoring '" + std::string(name) + "' (have: " +
                                     known + ")");
  }
  /// Mean of test_scores.
  double mean_test_score() const noexcept { return mean(test_scores); }
  /// Population standard deviation of test_scores (numpy's std, as scikit-learn reports).
  double std_test_score() const noexcept { return stddev(test_scores); }
  /// Mean of train_scores (NaN when they were not computed).
  double mean_train_score() const noexcept { return mean(train_scores); }

  static double mean(const std::vector<double>& v) noexcept {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  }
  static double stddev(const std::vector<double>& v) noexcept {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    const double m = mean(v);
    double ss = 0;
    for (double x : v) ss += (x - m) * (x - m);
    return std::sqrt(ss / static_cast<double>(v.size()));
  }
};

}  // namespace grove::model_selection

namespace grove::detail {

/// What one fit-and-score job measured: a score per scorer on the held-out (and training) rows.
struct FoldOutcome {
  std::vector<double> test, train;
  double fit_time = 0, score_time = 0;
};

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Scores per scorer, predicting once for the label scorers and once for the probability ones.
template <class E, class TX, class TY>
std::vector<double> score_all(E& est, const std::vector<diag::Scorer>& scorers, const Tensor<TX>& X,
                              const Tensor<TY>& y) {
  const Tensor<double> yd = y.template to<double>();
  std::optional<Tensor<double>> pred, proba;
  std::vector<double> out;
  for (const diag::Scorer& s : scorers) {
    if constexpr (detail::HasPredictProba<E, TX>) {
      if (s.needs_proba) {
        if (!proba) proba = est.predict_proba(X).template to<double>();
        out.push_back(s.fn(yd, *proba));
        continue;
      }
    }
    if (!pred) pred = est.predict(X).template to<double>();
    out.push_back(s.fn(yd, *pred));
  }
  return out;
}

/// Fits `est` on rows `train` and scores it on rows `test` (and on `train` when asked).
template <class E, class TX, class TY>
FoldOutcome fit_and_score(E& est, const Tensor<TX>& X, const Tensor<TY>& y, const std::vector<std::size_t>& train,
                          const std::vector<std::size_t>& test, const std::vector<diag::Scorer>& scorers,
                          bool train_scores) {
  FoldOutcome out;
  {
    const Tensor<TX> Xt = data::take_rows(X, train);
    const Tensor<TY> yt = data::take_rows(y, train);
    const auto t0 = std::chrono::steady_clock::now();
    est.fit(Xt, yt);
    out.fit_time = seconds_since(t0);
    if (train_scores) {
      const auto t1 = std::chrono::steady_clock::now();
      out.train = score_all(est, scorers, Xt, yt);
      out.score_time += seconds_since(t1);
    }
  }
  const Tensor<TX> Xv = data::take_rows(X, test);
  const Tensor<TY> yv = data::take_rows(y, test);
  const auto t2 = std::chrono::steady_clock::now();
  out.test = score_all(est, scorers, Xv, yv);
  out.score_time += seconds_since(t2);
  return out;
}

/// The same exception type with `prefix` before its message (grove's errors); others unchanged.
[[noreturn, gnu::cold, gnu::noinline]] inline void rethrow_with_context(std::exception_ptr e,
                                                                         const std::string& prefix) {
  try {
    std::rethrow_exception(e);
  } catch (const ShapeError& x) {
    throw ShapeError(prefix + x.what());
  } catch (const ValueError& x) {
    throw ValueError(prefix + x.what());
  } catch (const FormatError& x) {
    throw FormatError(prefix + x.what());
  } catch (const Error& x) {
    throw Error(prefix + x.what());
  }
}

/// Runs job(i) for every i in [0, n) on grove's pool; a job's own parallel loops run serially
/// inside it, so regions never nest. Jobs are taken in index order; once one fails, later jobs
/// are skipped, and the lowest-numbered failure is rethrown with context(i) before its message,
/// the same one whatever the thread count. A progress line counts finished jobs.
template <class Job, class Context>
void run_jobs(std::size_t n, const std::string& label, Job&& job, Context&& context) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<std::size_t> first_failed{n};
  std::mutex progress_mutex;
  std::size_t done = 0;
  Progress progress(label, n);
  parallel_for_chunks(n, [&](std::size_t i) {
    if (i > first_failed.load()) return;
    try {
      job(i);
    } catch (...) {
      errors[i] = std::current_exception();
      std::size_t cur = first_failed.load();
      while (i < cur && !first_failed.compare_exchange_weak(cur, i)) {
      }
    }
    std::lock_guard<std::mutex> lock(progress_mutex);
    progress.update(++done);
  });
  progress.finish();
  for (std::size_t i = 0; i < n; ++i)
    if (errors[i]) rethrow_with_context(errors[i], context(i));
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_cv_shape(std::string_view op, const std::string& msg) {
  throw_shape_error(std::string(op) + ": " + msg);
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_split(std::string_view op, std::size_t fold,
                                                                    const std::string& msg) {
  throw_value_error(std::string(op) + ": splits[" + std::to_string(fold) + "] " + msg);
}

/// Checks X [n, d] and y [n] or [n, k] against each other; returns n.
template <class TX, class TY>
std::size_t check_xy(std::string_view op, const Tensor<TX>& X, const Tensor<TY>& y) {
  if (X.dim() != 2) throw_cv_shape(op, "X must be 2-D [n, d], got shape " + to_string(X.shape()));
  const std::size_t n = X.shape()[0];
  if (y.dim() == 0 || y.shape()[0] != n)
    throw_cv_shape(op, "X has " + std::to_string(n) + " rows but y has shape " + to_string(y.shape()));
  return n;
}

/// Checks explicit folds: indices below n, both parts non-empty.
inline void check_splits(std::string_view op, const std::vector<data::Fold>& splits, std::size_t n) {
  if (splits.size() < 2) throw_value_error(std::string(op) + ": splits must hold at least 2 folds, got " +
                                           std::to_string(splits.size()));
  for (std::size_t f = 0; f < splits.size(); ++f) {
    if (splits[f].train.empty() || splits[f].validation.empty())
      throw_bad_split(op, f, "has an empty train or validation part");
    for (const auto* part : {&splits[f].train, &splits[f].validation})
      for (std::size_t i : *part)
        if (i >= n) throw_bad_split(op, f, "holds row " + std::to_string(i) + ", X has " + std::to_string(n) + " rows");
  }
}

}  // namespace grove::detail

namespace grove::model_selection {

/// The folds cross_validate uses for `y` and `options` (so a caller can run them by hand):
/// options.splits when given, else data::StratifiedKFold (options.stratify) or data::KFold over
/// y's rows, shuffled with options.seed when options.shuffle. `op` names the caller in errors.
template <class TY>
std::vector<data::Fold> cross_validation_splits(const Tensor<TY>& y, const CrossValidateOptions& options = {},
                                                std::string_view op = "cross_validate") {
  const std::size_t n = y.dim() == 0 ? 0 : y.shape()[0];
  if (!options.splits.empty()) {
    detail::check_splits(op, options.splits, n);
    return options.splits;
  }
  detail::check_range(op, "folds", static_cast<double>(options.folds), Interval{2, static_cast<double>(n)});
  const data::KFoldOptions kopt{.shuffle = options.shuffle, .seed = options.seed};
  if (!options.stratify) return data::KFold(options.folds, kopt).split(n);
  if (y.dim() != 1 && !(y.dim() == 2 && y.shape()[1] == 1))
    detail::throw_value_error(std::string(op) + ": stratify needs y of shape [n] or [n,1], got " + to_string(y.shape()));
  return data::StratifiedKFold(options.folds, kopt).split(y.dim() == 1 ? y : y.reshape(Shape{n}));
}

}  // namespace grove::model_selection

namespace grove::detail {

/// Per-fold outcomes gathered into a CrossValidation.
inline model_selection::CrossValidation collect_folds(const std::vector<FoldOutcome>& outcomes,
                                                      const std::vector<diag::Scorer>& scorers, std::size_t n,
                                                      bool train_scores) {
  model_selection::CrossValidation cv;
  cv.n_samples = n;
  cv.folds = outcomes.size();
  for (const diag::Scorer& s : scorers) cv.scores.push_back({s.name, s.greater_is_better, {}, {}});
  for (const FoldOutcome& o : outcomes) {
    cv.fit_times.push_back(o.fit_time);
    cv.score_times.push_back(o.score_time);
    for (std::size_t s = 0; s < scorers.size(); ++s) {
      cv.scores[s].test.push_back(o.test[s]);
      if (train_scores) cv.scores[s].train.push_back(o.train[s]);
    }
  }
  cv.test_scores = cv.scores[0].test;
  cv.train_scores = cv.scores[0].train;
  return cv;
}

}  // namespace grove::detail

namespace grove::model_selection {

/// K-fold cross-validation of the model make_model() returns (an Estimator or a smart pointer
/// to one; a fresh model per fold, all made before any fitting, so make_model need not be
/// thread-safe). Folds run in parallel on grove's pool; each model's own parallel loops run
/// serially inside its fold, and the scores are the same for any thread count. Bad options are
/// a ValueError starting "cross_validate: " and naming the option and its range.
template <class MakeModel, class TX, class TY>
  requires std::invocable<MakeModel&> && Estimator<std::invoke_result_t<MakeModel&>, TX, TY>
CrossValidation cross_validate(MakeModel&& make_model, const Tensor<TX>& X, const Tensor<TY>& y,
                               const CrossValidateOptions& options = {}) {
  constexpr std::string_view op = "cross_validate";
  using Model = std::remove_cvref_t<std::invoke_result_t<MakeModel&>>;
  using E = EstimatorOf<Model>;
  const std::size_t n = detail::check_xy(op, X, y);
  const std::vector<data::Fold> splits = cross_validation_splits(y, options, op);
  const Tensor<TX> Xc = X.contiguous();
  const Tensor<TY> yc = y.contiguous();
  const std::size_t k = splits.size();
  std::vector<std::optional<Model>> models(k);
  for (std::size_t f = 0; f < k; ++f) models[f].emplace(make_model());
  const std::vector<diag::Scorer> scorers =
      options.scoring.resolve(op, has_predict_proba<E, TX>(estimator_ref(*models[0])));
  std::vector<detail::FoldOutcome> outcomes(k);
  detail::run_jobs(
      k, std::string(op),
      [&](std::size_t f) {
        E& est = estimator_ref(*models[f]);
        outcomes[f] = detail::fit_and_score(est, Xc, yc, splits[f].train, splits[f].validation, scorers,
                                            options.return_train_score);
        models[f].reset();  // free the fitted model now, not after every fold
      },
      [](std::size_t f) { return "cross_validate: fold " + std::to_string(f) + ": "; });
  return detail::collect_folds(outcomes, scorers, n, options.return_train_score);
}

/// cross_validate of unfitted copies of `model` (clone(model) per fold), as scikit-learn's
/// cross_validate(estimator, X, y).
template <class M, class TX, class TY>
  requires(!std::invocable<M&>) && Clonable<M> && Estimator<M, TX, TY>
CrossValidation cross_validate(const M& model, const Tensor<TX>& X, const Tensor<TY>& y,
                               const CrossValidateOptions& options = {}) {
  return cross_validate([&model] { return clone(model); }, X, y, options);
}

}  // namespace grove::model_selection

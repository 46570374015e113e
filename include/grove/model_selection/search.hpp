#pragma once
/// \file grid_search and random_search: cross-validated scores of candidate params (a
/// ParamGrid, or draws from ParamDistributions), optionally by successive halving, the best
/// refitted on all rows (scikit-learn's GridSearchCV, RandomizedSearchCV and their Halving
/// variants). Every (candidate, fold) fit runs in parallel on grove's pool, never nested.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/core/format.hpp"
#include "grove/core/rng.hpp"
#include "grove/data/kfold.hpp"
#include "grove/model_selection/cross_validate.hpp"
#include "grove/model_selection/estimator.hpp"
#include "grove/model_selection/param_grid.hpp"
#include "grove/model_selection/params.hpp"
#include "grove/model_selection/scoring.hpp"
#include "grove/tensor/tensor.hpp"

namespace grove::model_selection {

/// Successive halving: candidates start on a small resource; after each round the best
/// 1/factor go on with factor times the resource (scikit-learn's HalvingGridSearchCV).
template <class P>
struct Halving {
  double factor = 0;                   ///< 0: no halving; otherwise > 1 (3 is scikit-learn's default)
  std::size_t P::*resource = nullptr;  ///< nullptr: training rows per fold; else a count field (&P::n_estimators)
  /// First round's resource; 0: chosen so the last round uses about max_resources.
  std::size_t min_resources = 0;
  /// Largest resource; 0: the smallest fold's training rows, or the base params' value of the field.
  std::size_t max_resources = 0;
};

/// Settings of grid_search and random_search (fold fields as in CrossValidateOptions).
template <class P>
struct SearchOptions {
  std::size_t folds = 5;            ///< K of K-fold, in [2, rows]
  Scorings scoring = {};            ///< one or several; the first ranks the candidates
  bool stratify = false;            ///< stratified folds (class labels)
  std::uint64_t seed = 0;           ///< fold shuffle, random_search's draws, halving's row subsets
  bool return_train_score = false;  ///< also score on the training rows
  bool refit = true;                ///< fit the best candidate on all rows (best_estimator)
  std::size_t n_iter = 10;          ///< random_search: candidates drawn
  Halving<P> halving = {};          ///< successive halving (off unless halving.factor is set)
  bool shuffle = true;              ///< shuffle rows before splitting
  std::vector<data::Fold> splits = {};  ///< explicit folds (then folds/stratify/shuffle are not used)
};

/// One candidate's cross-validated evaluation (one per halving round it reached).
template <class P>
struct CandidateResult {
  std::size_t candidate = 0;  ///< index in the grid or the draws
  std::size_t iteration = 0;  ///< halving round (0 without halving)
  std::size_t resources = 0;  ///< rows per fold or the resource field's value this round (0 without halving)
  P params{};                 ///< the params fitted (with the round's resource)
  ParamList param_text;       ///< the searched fields as text, in axis order
  CrossValidation cv;         ///< per-fold scores and times
  double mean_test_score = 0;
  double std_test_score = 0;
  std::size_t rank = 0;  ///< 1 = best of its round (ties share a rank)
};

/// What a search found: every evaluation, the best candidate, the refitted best model.
template <class P, class Model>
struct SearchResult {
  std::vector<CandidateResult<P>> results;  ///< by round, then candidate index
  std::size_t best_index = 0;               ///< into results: rank 1 of the last round (lowest index on ties)
  P best_params{};
  double best_score = std::numeric_limits<double>::quiet_NaN();
  std::optional<Model> best_estimator;  ///< the best params fitted on all rows (options.refit)
  double refit_time = 0;                ///< seconds
  std::vector<std::string> scoring;     ///< scoring names; the first ranks
  bool greater_is_better = true;
  std::vector<std::string> param_names;  ///< the searched fields
  std::string resource;                  ///< "rows", a field name, or "" without halving
  std::size_t n_candidates = 0;
  std::size_t n_iterations = 1;
  std::size_t folds = 0;
  std::size_t n_samples = 0;

  const CandidateResult<P>& best() const { return results.at(best_index); }
};

}  // namespace grove::model_selection

namespace grove::detail {

/// One round of a search: the resource per candidate and how many go on after it.
struct SearchRound {
  std::size_t resources = 0;  // 0: full data and base params (no halving)
  std::size_t keep = 0;       // candidates that go on to the next round (0 in the last)
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_search_error(std::string_view op, const std::string& msg) {
  throw_value_error(std::string(op) + ": " + msg);
}

/// Rounds of successive halving for n candidates: first resource r0, then r0·f^i up to max_r;
/// as many rounds as it takes to get near one candidate or to reach max_r, whichever is fewer.
inline std::vector<SearchRound> halving_rounds(std::size_t n, double f, std::size_t r0, std::size_t max_r) {
  std::size_t needed = 1, possible = 1;
  for (double p = f; p <= static_cast<double>(n); p *= f) ++needed;
  for (double p = static_cast<double>(r0) * f; p <= static_cast<double>(max_r); p *= f) ++possible;
  const std::size_t rounds = std::min(needed, possible);
  std::vector<SearchRound> out(rounds);
  double alive = static_cast<double>(n), r = static_cast<double>(r0);
  for (std::size_t i = 0; i < rounds; ++i) {
    out[i].resources = std::min(max_r, static_cast<std::size_t>(r));
    alive = std::ceil(alive / f);
    out[i].keep = i + 1 < rounds ? static_cast<std::size_t>(alive) : 0;
    r *= f;
  }
  return out;
}

/// First-round resource when min_resources is 0 (scikit-learn's "exhaust"): the last round
/// ends near max_r, but never below `smallest`.
inline std::size_t exhaust_min_resources(std::size_t n, double f, std::size_t max_r, std::size_t smallest) {
  double p = 1;
  for (double q = f; q <= static_cast<double>(n); q *= f) p *= f;
  const auto r0 = static_cast<std::size_t>(static_cast<double>(max_r) / p);
  return std::min(max_r, std::max(smallest, std::max<std::size_t>(r0, 1)));
}

/// Ranks (1 = best, ties share the lower rank, NaN last) of `means` and the order best first.
inline std::vector<std::size_t> rank_order(const std::vector<double>& means, bool greater_is_better,
                                           std::vector<std::size_t>& rank) {
  std::vector<std::size_t> order(means.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](std::size_t i) {
    const double m = means[i];
    if (std::isnan(m)) return -std::numeric_limits<double>::infinity();
    return greater_is_better ? m : -m;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
  rank.assign(means.size(), 0);
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    const bool tie = pos > 0 && key(order[pos]) == key(order[pos - 1]);
    rank[order[pos]] = tie ? rank[order[pos - 1]] : pos + 1;
  }
  return order;
}

/// Per fold, the training rows in the order halving takes prefixes from: shuffled with `seed`,
/// and, for stratified folds, dealt class by class so every prefix keeps the class mix.
template <class TY>
std::vector<std::vector<std::size_t>> halving_row_orders(const std::vector<data::Fold>& splits, const Tensor<TY>& y,
                                                         bool stratify, std::uint64_t seed) {
  const Rng base(seed ^ 0x4A17C0DEULL);
  std::vector<std::vector<std::size_t>> orders;
  for (std::size_t f = 0; f < splits.size(); ++f) {
    std::vector<std::size_t> rows = splits[f].train;
    Rng rng = base.stream(f);
    rng.shuffle(rows.begin(), rows.end());
    if (stratify) {
      const TY* yv = y.data();
      std::vector<std::vector<std::size_t>> by_class;
      for (std::size_t r : rows) {
        const auto c = static_cast<std::size_t>(yv[r]);
        if (c >= by_class.size()) by_class.resize(c + 1);
        by_class[c].push_back(r);
      }
      // Deal: each class's next row goes where its share of the prefix says it is due.
      std::vector<std::size_t> taken(by_class.size(), 0);
      rows.clear();
      const double total = static_cast<double>(splits[f].train.size());
      while (rows.size() < splits[f].train.size()) {
        std::size_t pick = 0;
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t c = 0; c < by_class.size(); ++c) {
          if (taken[c] == by_class[c].size()) continue;
          const double due = static_cast<double>(taken[c] + 1) * total / static_cast<double>(by_class[c].size());
          if (due < best) best = due, pick = c;
        }
        rows.push_back(by_class[pick][taken[pick]++]);
      }
    }
    orders.push_back(std::move(rows));
  }
  return orders;
}

/// The first r rows of a halving order, ascending (the row order a normal fold gives the model).
inline std::vector<std::size_t> prefix_rows(const std::vector<std::size_t>& order, std::size_t r) {
  std::vector<std::size_t> rows(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(r, order.size())));
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// Number of classes in y for halving's smallest row count (1 when y is not class labels).
template <class TY>
std::size_t label_count(const Tensor<TY>& y) {
  std::size_t k = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double v = static_cast<double>(y.data()[i]);
    if (!(v >= 0) || v != std::floor(v) || v >= static_cast<double>(kMaxClasses)) return 1;
    k = std::max(k, static_cast<std::size_t>(v) + 1);
  }
  return std::max<std::size_t>(k, 1);
}

/// The search both grid_search and random_search run over a list of candidates.
template <class MakeModel, class P, class TX, class TY>
auto run_search(std::string_view op, MakeModel& make_model, const std::vector<P>& cands,
                const std::vector<model_selection::ParamList>& texts, std::vector<std::string> names, const P& base,
                const Tensor<TX>& X, const Tensor<TY>& y, const model_selection::SearchOptions<P>& o) {
  using namespace model_selection;
  using Model = std::remove_cvref_t<std::invoke_result_t<MakeModel&, const P&>>;
  using E = EstimatorOf<Model>;
  const std::size_t n = check_xy(op, X, y);
  const Tensor<TX> Xc = X.contiguous();
  const Tensor<TY> yc = y.contiguous();
  const CrossValidateOptions cvo{.folds = o.folds, .stratify = o.stratify, .seed = o.seed, .shuffle = o.shuffle,
                                 .splits = o.splits};
  const std::vector<data::Fold> splits = cross_validation_splits(y, cvo, op);
  const std::size_t k = splits.size(), N = cands.size();
  auto label = [&](std::size_t c) { return std::string(op) + ": candidate " + std::to_string(c) + " (" + to_string(texts[c]) + ")"; };
  // A value the model rejects fails here, before any fitting.
  std::optional<Model> probe;
  for (std::size_t c = 0; c < N; ++c) {
    try {
      if (c == 0) probe.emplace(make_model(cands[c]));
      else (void)make_model(cands[c]);
    } catch (...) {
      rethrow_with_context(std::current_exception(), label(c) + ": ");
    }
  }
  const std::vector<diag::Scorer> scorers = o.scoring.resolve(op, has_predict_proba<E, TX>(estimator_ref(*probe)));
  probe.reset();

  const Halving<P>& h = o.halving;
  std::vector<SearchRound> rounds{SearchRound{}};
  std::vector<std::vector<std::size_t>> orders;
  SearchResult<P, Model> res;
  if (h.factor != 0) {
    check_range(op, "halving.factor", h.factor, Interval{.lo = 1, .lo_open = true});
    std::size_t max_r = h.max_resources, smallest = 1;
    if (h.resource == nullptr) {
      std::size_t rows = n;
      for (const data::Fold& f : splits) rows = std::min(rows, f.train.size());
      if (max_r == 0 || max_r > rows) max_r = rows;
      smallest = 2 * k * (scorers[0].task == diag::Task::Classification ? label_count(yc) : 1);
      orders = halving_row_orders(splits, yc, o.stratify, o.seed);
      res.resource = "rows";
    } else {
      res.resource = param_name(h.resource);
      if (res.resource.empty()) res.resource = "resource";
      if (max_r == 0) max_r = base.*(h.resource);
    }
    if (max_r == 0) throw_search_error(op, "halving.max_resources is 0");
    const std::size_t r0 = h.min_resources ? h.min_resources : exhaust_min_resources(N, h.factor, max_r, smallest);
    if (r0 > max_r)
      throw_search_error(op, "halving.min_resources = " + std::to_string(r0) + " exceeds max_resources = " +
                                 std::to_string(max_r));
    rounds = halving_rounds(N, h.factor, r0, max_r);
  }

  std::vector<std::size_t> alive(N);
  for (std::size_t c = 0; c < N; ++c) alive[c] = c;
  std::size_t last_round_begin = 0;
  for (std::size_t it = 0; it < rounds.size(); ++it) {
    const SearchRound& round = rounds[it];
    const std::size_t jobs = alive.size() * k;
    std::vector<P> params(alive.size());
    std::vector<std::optional<Model>> models(jobs);
    for (std::size_t a = 0; a < alive.size(); ++a) {
      params[a] = cands[alive[a]];
      if (round.resources && h.resource) params[a].*(h.resource) = round.resources;
      for (std::size_t f = 0; f < k; ++f) models[a * k + f].emplace(make_model(params[a]));
    }
    std::vector<FoldOutcome> outcomes(jobs);
    const bool by_rows = round.resources && !h.resource;
    std::string progress_label(op);
    if (rounds.size() > 1) progress_label += " round " + std::to_string(it + 1) + "/" + std::to_string(rounds.size());
    run_jobs(
        jobs, progress_label,
        [&](std::size_t j) {
          const std::size_t f = j % k;
          E& est = estimator_ref(*models[j]);
          if (by_rows)
            outcomes[j] = fit_and_score(est, Xc, yc, prefix_rows(orders[f], round.resources), splits[f].validation,
                                        scorers, o.return_train_score);
          else
            outcomes[j] = fit_and_score(est, Xc, yc, splits[f].train, splits[f].validation, scorers, o.return_train_score);
          models[j].reset();
        },
        [&](std::size_t j) { return label(alive[j / k]) + ", fold " + std::to_string(j % k) + ": "; });

    last_round_begin = res.results.size();
    std::vector<double> means;
    for (std::size_t a = 0; a < alive.size(); ++a) {
      CandidateResult<P> r;
      r.candidate = alive[a];
      r.iteration = it;
      r.resources = round.resources;
      r.params = params[a];
      r.param_text = texts[alive[a]];
      const std::vector<FoldOutcome> mine(outcomes.begin() + static_cast<std::ptrdiff_t>(a * k),
                                          outcomes.begin() + static_cast<std::ptrdiff_t>((a + 1) * k));
      r.cv = collect_folds(mine, scorers, n, o.return_train_score);
      r.mean_test_score = r.cv.mean_test_score();
      r.std_test_score = r.cv.std_test_score();
      means.push_back(r.mean_test_score);
      res.results.push_back(std::move(r));
    }
    std::vector<std::size_t> rank;
    const std::vector<std::size_t> order = rank_order(means, scorers[0].greater_is_better, rank);
    for (std::size_t a = 0; a < alive.size(); ++a) res.results[last_round_begin + a].rank = rank[a];
    if (round.keep) {
      std::vector<std::size_t> next;
      for (std::size_t pos = 0; pos < round.keep && pos < order.size(); ++pos) next.push_back(alive[order[pos]]);
      std::sort(next.begin(), next.end());
      alive = std::move(next);
    } else {
      res.best_index = last_round_begin + order[0];
    }
  }

  const CandidateResult<P>& best = res.results[res.best_index];
  res.best_params = best.params;
  res.best_score = best.mean_test_score;
  for (const diag::Scorer& s : scorers) res.scoring.push_back(s.name);
  res.greater_is_better = scorers[0].greater_is_better;
  res.param_names = std::move(names);
  res.n_candidates = N;
  res.n_iterations = rounds.size();
  res.folds = k;
  res.n_samples = n;
  if (o.refit) {
    const auto t0 = std::chrono::steady_clock::now();
    res.best_estimator.emplace(make_model(res.best_params));
    estimator_ref(*res.best_estimator).fit(Xc, yc);
    res.refit_time = seconds_since(t0);
  }
  return res;
}

}  // namespace grove::detail

namespace grove::model_selection {

/// Cross-validated search over every candidate of `grid`: make_model(params) returns an
/// Estimator (or a smart pointer to one) for a params struct. All candidates are built once
/// before any fitting, so a value the model rejects fails fast ("grid_search: candidate 2
/// (learning_rate=1.5): ..."). Results are the same for any thread count.
template <class MakeModel, class P, class TX, class TY>
  requires std::invocable<MakeModel&, const P&> && Estimator<std::invoke_result_t<MakeModel&, const P&>, TX, TY>
auto grid_search(MakeModel&& make_model, const ParamGrid<P>& grid, const Tensor<TX>& X, const Tensor<TY>& y,
                 const SearchOptions<P>& options = {}) {
  constexpr std::string_view op = "grid_search";
  const std::size_t n = grid.size();
  if (n == 0)
    detail::throw_search_error(op, "the grid is empty (add an axis: ParamGrid<P>{}.add(&P::field, {values}))");
  if (options.halving.resource && grid.has_axis(options.halving.resource))
    detail::throw_search_error(op, "halving.resource is also a grid axis (the search sets it each round)");
  std::vector<P> cands;
  std::vector<ParamList> texts;
  for (std::size_t i = 0; i < n; ++i) cands.push_back(grid.candidate(i)), texts.push_back(grid.describe(i));
  return detail::run_search(op, make_model, cands, texts, grid.names(), grid.base(), X, y, options);
}

/// grid_search of Model(params): grid_search<trees::GradientBoostingClassifier>(grid, X, y, {...}).
template <class Model, class P, class TX, class TY>
  requires std::constructible_from<Model, const P&> && Estimator<Model, TX, TY>
SearchResult<P, Model> grid_search(const ParamGrid<P>& grid, const Tensor<TX>& X, const Tensor<TY>& y,
                                   const SearchOptions<P>& options = {}) {
  return grid_search([](const P& p) { return Model(p); }, grid, X, y, options);
}

/// Cross-validated search over options.n_iter candidates drawn from `distributions` with
/// options.seed (see ParamDistributions); otherwise as grid_search.
template <class MakeModel, class P, class TX, class TY>
  requires std::invocable<MakeModel&, const P&> && Estimator<std::invoke_result_t<MakeModel&, const P&>, TX, TY>
auto random_search(MakeModel&& make_model, const ParamDistributions<P>& distributions, const Tensor<TX>& X,
                   const Tensor<TY>& y, const SearchOptions<P>& options = {}) {
  constexpr std::string_view op = "random_search";
  if (distributions.size() == 0)
    detail::throw_search_error(op, "no distributions (add one: ParamDistributions<P>{}.add(&P::field, uniform(lo, hi)))");
  detail::check_range(op, "n_iter", static_cast<double>(options.n_iter), Interval{.lo = 1});
  if (options.halving.resource && distributions.has_axis(options.halving.resource))
    detail::throw_search_error(op, "halving.resource is also a searched field (the search sets it each round)");
  std::vector<P> cands;
  std::vector<ParamList> texts;
  for (auto& [p, t] : distributions.sample(options.n_iter, options.seed)) cands.push_back(p), texts.push_back(t);
  return detail::run_search(op, make_model, cands, texts, distributions.names(), distributions.base(), X, y, options);
}

/// random_search of Model(params).
template <class Model, class P, class TX, class TY>
  requires std::constructible_from<Model, const P&> && Estimator<Model, TX, TY>
SearchResult<P, Model> random_search(const ParamDistributions<P>& distributions, const Tensor<TX>& X,
                                     const Tensor<TY>& y, const SearchOptions<P>& options = {}) {
  return random_search([](const P& p) { return Model(p); }, distributions, X, y, options);
}

}  // namespace grove::model_selection

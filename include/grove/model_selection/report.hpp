#pragma once
/// \file Reports of cross_validate and the searches, like the diagnostics reports: print (an
/// aligned text table), to_csv / write_csv (one row per fold or per evaluated candidate, as
/// scikit-learn's cv_results_), to_json / write_json. Written with diagnostics' table and CSV/JSON
/// cell helpers and io::write_file.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "grove/core/format.hpp"
#include "grove/diagnostics/print.hpp"
#include "grove/diagnostics/report.hpp"
#include "grove/io/file.hpp"
#include "grove/model_selection/cross_validate.hpp"
#include "grove/model_selection/params.hpp"
#include "grove/model_selection/search.hpp"

namespace grove::detail {

inline std::string table_number(double v) { return std::isnan(v) ? std::string("n/a") : format_fixed(v, 4); }

/// {"test": {name: [...]}, "train": {...}, "fit_times": [...], "score_times": [...]} of one CV run.
inline std::string cv_json_body(const model_selection::CrossValidation& cv) {
  // Pieces appended one by one ("," + string trips GCC 12's -Wrestrict false positive).
  std::string test, train;
  auto add = [](std::string& out, const std::string& name, const std::vector<double>& v) {
    if (!out.empty()) out += ',';
    out += detail::json_string(name);
    out += ':';
    out += detail::json_array(v);
  };
  for (const auto& s : cv.scores) {
    add(test, s.name, s.test);
    if (!s.train.empty()) add(train, s.name, s.train);
  }
  return "\"test\":{" + test + "},\"train\":{" + train + "},\"fit_times\":" + detail::json_array(cv.fit_times) +
         ",\"score_times\":" + detail::json_array(cv.score_times);
}

inline std::string params_json(const model_selection::ParamList& params) {
  std::string s = "{";
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i) s += ',';
    s += detail::json_string(params[i].name);
    s += ':';
    s += detail::json_string(params[i].value);
  }
  return s + "}";
}

}  // namespace grove::detail

namespace grove::model_selection {

/// The folds as a table (one row per fold, then mean and std), one column per scoring.
inline void print(std::ostream& os, const CrossValidation& cv) {
  using detail::table_number;
  os << "cross_validate (" << cv.folds << "-fold, " << cv.n_samples << " samples)\n";
  std::vector<std::string> head{"fold"};
  for (const auto& s : cv.scores) {
    head.push_back("test " + s.name);
    if (!s.train.empty()) head.push_back("train " + s.name);
  }
  head.push_back("fit s");
  head.push_back("score s");
  std::vector<std::vector<std::string>> rows{head};
  auto row = [&](std::string label, auto value_of) {
    std::vector<std::string> r{std::move(label)};
    for (const auto& s : cv.scores) {
      r.push_back(table_number(value_of(s.test)));
      if (!s.train.empty()) r.push_back(table_number(value_of(s.train)));
    }
    r.push_back(format_fixed(value_of(cv.fit_times), 3));
    r.push_back(format_fixed(value_of(cv.score_times), 3));
    rows.push_back(std::move(r));
  };
  for (std::size_t f = 0; f < cv.folds; ++f)
    row(std::to_string(f), [f](const std::vector<double>& v) { return f < v.size() ? v[f] : std::nan(""); });
  row("mean", [](const std::vector<double>& v) { return CrossValidation::mean(v); });
  row("std", [](const std::vector<double>& v) { return CrossValidation::stddev(v); });
  detail::print_table(os, rows);
}

/// One row per fold: fold, test_<scoring>..., train_<scoring>..., fit_time, score_time.
inline std::string to_csv(const CrossValidation& cv) {
  namespace dd = grove::detail;
  std::string s = "fold";
  for (const auto& sc : cv.scores) (s += ",test_") += dd::csv_text(sc.name);
  for (const auto& sc : cv.scores)
    if (!sc.train.empty()) (s += ",train_") += dd::csv_text(sc.name);
  s += ",fit_time,score_time\n";
  auto at = [](const std::vector<double>& v, std::size_t i) { return i < v.size() ? v[i] : std::nan(""); };
  for (std::size_t f = 0; f < cv.folds; ++f) {
    s += std::to_string(f);
    for (const auto& sc : cv.scores) (s += ',') += dd::csv_number(at(sc.test, f));
    for (const auto& sc : cv.scores)
      if (!sc.train.empty()) (s += ',') += dd::csv_number(at(sc.train, f));
    (s += ',') += dd::csv_number(at(cv.fit_times, f));
    (s += ',') += dd::csv_number(at(cv.score_times, f));
    s += '\n';
  }
  return s;
}

/// {"n_samples", "folds", "scoring": [...], "test": {name: [per fold]}, "train", "fit_times", "score_times"}.
inline std::string to_json(const CrossValidation& cv) {
  namespace dd = grove::detail;
  std::string names;
  for (const auto& s : cv.scores) {
    if (!names.empty()) names += ',';
    names += dd::json_string(s.name);
  }
  return "{\"n_samples\":" + std::to_string(cv.n_samples) + ",\"folds\":" + std::to_string(cv.folds) +
         ",\"scoring\":[" + names + "]," + detail::cv_json_body(cv) + "}";
}

/// Writes to_csv(cv) to `path` atomically (IoError naming the path on failure).
inline void write_csv(const CrossValidation& cv, const std::string& path) {
  io::write_file(path, to_csv(cv), "write_csv");
}
/// Writes to_json(cv) to `path`.
inline void write_json(const CrossValidation& cv, const std::string& path) {
  io::write_file(path, to_json(cv) + "\n", "write_json");
}

/// The search as a table, best first (the last halving round first): rank, round and resource
/// with halving, the searched fields, mean and std of each test scoring, mean train score when
/// computed, mean fit time. `top` > 0 keeps that many rows. Ends with the best candidate.
template <class P, class M>
void print(std::ostream& os, const SearchResult<P, M>& r, std::size_t top = 0) {
  using detail::table_number;
  const bool halving = r.n_iterations > 1 || !r.resource.empty();
  os << "search (" << r.n_candidates << " candidates, " << r.folds << "-fold, " << r.n_samples << " samples";
  if (halving) os << ", successive halving on " << r.resource << " in " << r.n_iterations << " rounds";
  os << ")\n";
  std::vector<std::string> head{"rank"};
  if (halving) head.insert(head.end(), {"round", r.resource});
  head.insert(head.end(), r.param_names.begin(), r.param_names.end());
  for (const std::string& s : r.scoring) head.insert(head.end(), {s, "std"});
  const bool train = !r.results.empty() && !r.results[0].cv.train_scores.empty();
  if (train) head.push_back("train " + r.scoring[0]);
  head.push_back("fit s");
  std::vector<std::size_t> order(r.results.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = r.results[a];
    const auto& y = r.results[b];
    return x.iteration != y.iteration ? x.iteration > y.iteration : x.rank < y.rank;
  });
  if (top && order.size() > top) order.resize(top);
  std::vector<std::vector<std::string>> rows{head};
  for (std::size_t i : order) {
    const auto& c = r.results[i];
    std::vector<std::string> row{std::to_string(c.rank) + (i == r.best_index ? " *" : "")};
    if (halving) row.insert(row.end(), {std::to_string(c.iteration), std::to_string(c.resources)});
    for (const ParamText& p : c.param_text) row.push_back(p.value);
    for (const auto& s : c.cv.scores) row.insert(row.end(), {table_number(CrossValidation::mean(s.test)),
                                                               table_number(CrossValidation::stddev(s.test))});
    if (train) row.push_back(table_number(c.cv.mean_train_score()));
    row.push_back(format_fixed(CrossValidation::mean(c.cv.fit_times), 3));
    rows.push_back(std::move(row));
  }
  detail::print_table(os, rows);
  if (r.results.empty()) return;
  os << "best: " << to_string(r.best().param_text);
  if (halving) os << (r.best().param_text.empty() ? "" : ", ") << r.resource << "=" << r.best().resources;
  os << " (" << r.scoring[0] << " " << table_number(r.best_score) << ")\n";
}

/// One row per evaluation (scikit-learn's cv_results_): candidate, round, resources, the
/// searched fields, then per scoring mean_test/std_test (and mean_train), rank, the per-fold
/// test scores of the first scoring, mean fit and score times.
template <class P, class M>
std::string to_csv(const SearchResult<P, M>& r) {
  namespace dd = grove::detail;
  std::string s = "candidate,round,resources";
  for (const std::string& n : r.param_names) (s += ',') += dd::csv_text(n);
  for (const std::string& n : r.scoring) {
    (s += ",mean_test_") += dd::csv_text(n);
    (s += ",std_test_") += dd::csv_text(n);
    (s += ",mean_train_") += dd::csv_text(n);
  }
  s += ",rank";
  for (std::size_t f = 0; f < r.folds; ++f) (s += ",split") += std::to_string(f) + "_test";
  s += ",mean_fit_time,mean_score_time\n";
  for (const auto& c : r.results) {
    s += std::to_string(c.candidate) + "," + std::to_string(c.iteration) + "," + std::to_string(c.resources);
    for (const ParamText& p : c.param_text) (s += ',') += dd::csv_text(p.value);
    for (const auto& sc : c.cv.scores) {
      (s += ',') += dd::csv_number(CrossValidation::mean(sc.test));
      (s += ',') += dd::csv_number(CrossValidation::stddev(sc.test));
      (s += ',') += dd::csv_number(CrossValidation::mean(sc.train));
    }
    (s += ',') += std::to_string(c.rank);
    for (std::size_t f = 0; f < r.folds; ++f)
      (s += ',') += dd::csv_number(f < c.cv.test_scores.size() ? c.cv.test_scores[f] : std::nan(""));
    (s += ',') += dd::csv_number(CrossValidation::mean(c.cv.fit_times));
    (s += ',') += dd::csv_number(CrossValidation::mean(c.cv.score_times));
    s += '\n';
  }
  return s;
}

/// {"scoring", "greater_is_better", "resource", "n_candidates", "n_iterations", "folds",
///  "n_samples", "best_index", "best_params", "best_score", "refit_time", "results": [{candidate,
///  round, resources, params, rank, mean_test_score, std_test_score, test, train, fit_times,
///  score_times}]}.
template <class P, class M>
std::string to_json(const SearchResult<P, M>& r) {
  namespace dd = grove::detail;
  std::string names;
  for (const std::string& n : r.scoring) {
    if (!names.empty()) names += ',';
    names += dd::json_string(n);
  }
  std::string s = "{\"scoring\":[" + names + "],\"greater_is_better\":" + (r.greater_is_better ? "true" : "false") +
                  ",\"resource\":" + dd::json_string(r.resource) + ",\"n_candidates\":" +
                  std::to_string(r.n_candidates) + ",\"n_iterations\":" + std::to_string(r.n_iterations) +
                  ",\"folds\":" + std::to_string(r.folds) + ",\"n_samples\":" + std::to_string(r.n_samples) +
                  ",\"best_index\":" + std::to_string(r.best_index) + ",\"best_params\":" +
                  detail::params_json(r.results.empty() ? ParamList{} : r.best().param_text) +
                  ",\"best_score\":" + dd::json_number(r.best_score) + ",\"refit_time\":" +
                  dd::json_number(r.refit_time) + ",\"results\":[";
  for (std::size_t i = 0; i < r.results.size(); ++i) {
    const auto& c = r.results[i];
    s += (i ? ",{" : "{") + std::string("\"candidate\":") + std::to_string(c.candidate) +
         ",\"round\":" + std::to_string(c.iteration) + ",\"resources\":" + std::to_string(c.resources) +
         ",\"params\":" + detail::params_json(c.param_text) + ",\"rank\":" + std::to_string(c.rank) +
         ",\"mean_test_score\":" + dd::json_number(c.mean_test_score) + ",\"std_test_score\":" +
         dd::json_number(c.std_test_score) + "," + detail::cv_json_body(c.cv) + "}";
  }
  return s + "]}";
}

/// Writes to_csv(result) to `path`.
template <class P, class M>
void write_csv(const SearchResult<P, M>& r, const std::string& path) {
  io::write_file(path, to_csv(r), "write_csv");
}
/// Writes to_json(result) to `path`.
template <class P, class M>
void write_json(const SearchResult<P, M>& r, const std::string& path) {
  io::write_file(path, to_json(r) + "\n", "write_json");
}

}  // namespace grove::model_selection

// grove-pipeline: the production loop end to end, from a dataset to a rollout decision.
//
//   load (column kinds inferred) -> task (classification or regression) -> train / validation /
//   test split -> model selection by cross-validation (random forest, gradient boosting, MLP on
//   the same folds, each with early stopping) -> final fit with validation monitoring -> test
//   metrics -> learning curve: "does more data help, and how much?" -> rollout check (save with
//   the schema, reload as grove-serve does, identical predictions, latency against a budget) ->
//   summary with READY / NOT READY.
//
// Default input: Fashion-MNIST (Debian's dataset-fashion-mnist); any CSV with --csv/--target.
// Run with --help for the options and their defaults.

#include "pipeline/advice.hpp"
#include "pipeline/candidates.hpp"
#include "pipeline/data_stage.hpp"
#include "pipeline/options.hpp"
#include "pipeline/report.hpp"

#include <grove/core/error.hpp>
#include <grove/core/parallel.hpp>
#include <grove/core/progress.hpp>
#include <grove/core/rng.hpp>
#include <grove/data.hpp>
#include <grove/diagnostics.hpp>
#include <grove/io/file.hpp>
#include <grove/metrics.hpp>
#include <grove/model_selection/cross_validate.hpp>
#include <grove/serving/load_model.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using grove::Tensor;
using grove::data::Dataset;
using pipeline::fmt;
namespace ms = grove::model_selection;
using Clock = std::chrono::steady_clock;

/// Stage lines on stderr, shown under grove::Progress's rule (stderr is a terminal, or
/// GROVE_PROGRESS=1), so a piped run's stderr holds nothing but errors.
std::ostream& status() {
  static std::ostream null_stream(nullptr);
  static const bool on = grove::Progress::enabled_by_default();
  return on ? std::cerr : null_stream;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// A sample of m rows (stratified for classes; all rows when m is 0 or >= n).
Dataset<float> sample_rows(const Dataset<float>& ds, std::size_t m, bool stratify, grove::Rng& rng) {
  if (m == 0 || m >= ds.size()) return ds;
  return grove::data::train_test_split(ds, static_cast<double>(m) / static_cast<double>(ds.size()), rng,
                                       {.stratify = stratify})
      .test;
}

// --- 2. split --------------------------------------------------------------------------------

struct Split {
  Dataset<float> train, val, test;
  std::size_t rows_used = 0;
};

Split split_data(const pipeline::LoadedData& d, const pipeline::Options& o, grove::Rng& rng) {
  const bool strat = d.classification;
  const Dataset<float> ds = sample_rows(d.ds, o.max_rows, strat, rng);
  auto [rest, test] = grove::data::train_test_split(ds, o.test_fraction, rng, {.stratify = strat});
  auto [train, val] = grove::data::train_test_split(rest, o.val_fraction / (1.0 - o.test_fraction), rng, {.stratify = strat});
  return {std::move(train), std::move(val), std::move(test), ds.size()};
}

// --- 3. model selection ----------------------------------------------------------------------

struct CvRow {
  std::string name;
  double score = 0, score_sd = 0, second = 0, second_sd = 0, fit_s = 0, fit_sd = 0;
  std::size_t fits = 0, capped = 0;
};

struct Selection {
  std::vector<pipeline::Candidate> candidates;
  std::vector<CvRow> rows;
  std::size_t winner = 0, folds = 0, rows_used = 0;
  std::string metric, second_metric;  ///< "accuracy"/"log loss" or "R2"/"RMSE"
};

Selection select_model(std::vector<pipeline::Candidate> cands, const Dataset<float>& train, bool cls,
                       const pipeline::Options& o, grove::Rng& rng) {
  Selection s;
  s.candidates = std::move(cands);
  const Dataset<float> cv_data = sample_rows(train, o.cv_rows, cls, rng);
  const ms::CrossValidateOptions base{.folds = o.folds,
                                      .scoring = cls ? ms::Scorings{"accuracy", "neg_log_loss"}
                                                     : ms::Scorings{"r2", "neg_root_mean_squared_error"},
                                      .stratify = cls,
                                      .seed = o.seed};
  // The same folds for every candidate.
  ms::CrossValidateOptions opts = base;
  opts.splits = ms::cross_validation_splits(cv_data.y, base);
  s.folds = opts.splits.size();
  s.rows_used = cv_data.size();
  s.metric = cls ? "accuracy" : "R2";
  s.second_metric = cls ? "log loss" : "RMSE";
  for (const pipeline::Candidate& c : s.candidates) {
    status() << "      cross-validating the " << c.name << "...\n";
    const auto log = pipeline::stop_log(c.model);
    log->clear();
    const ms::CrossValidation cv = ms::cross_validate([&] { return c.model.clone(); }, cv_data.X, cv_data.y, opts);
    CvRow r{c.name};
    pipeline::mean_std(cv.test_scores, r.score, r.score_sd);
    std::vector<double> second = cv.scores[1].test;
    for (double& v : second) v = -v;  // neg_log_loss / neg_rmse back to the loss
    pipeline::mean_std(second, r.second, r.second_sd);
    pipeline::mean_std(cv.fit_times, r.fit_s, r.fit_sd);
    r.fits = log->fits();
    r.capped = log->capped();
    s.rows.push_back(r);
  }
  for (std::size_t i = 1; i < s.rows.size(); ++i)
    if (s.rows[i].score > s.rows[s.winner].score) s.winner = i;
  return s;
}

void print_selection(const Selection& s, const pipeline::Options& o, double seconds) {
  std::cout << "3. Model selection: " << s.folds << "-fold cross-validation on " << s.rows_used
            << " training rows (--cv-rows), the same folds for every candidate\n";
  std::vector<std::vector<std::string>> rows{{"model", s.metric, s.second_metric, "fit time (s)", "early stopping", ""}};
  for (std::size_t i = 0; i < s.rows.size(); ++i) {
    const CvRow& r = s.rows[i];
    const std::string es = r.capped ? fmt("hit its cap in %zu of %zu fits", r.capped, r.fits)
                                    : (s.candidates[i].key == "forest" ? "n/a" : "stopped by itself");
    rows.push_back({r.name, fmt("%.4f +/- %.4f", r.score, r.score_sd), fmt("%.4f +/- %.4f", r.second, r.second_sd),
                    fmt("%.3f +/- %.3f", r.fit_s, r.fit_sd), es, i == s.winner ? "<- winner" : ""});
  }
  pipeline::print_table(std::cout, rows, "   ");
  std::cout << "   budgets: forest " << o.trees << " trees; boosting <= " << o.rounds << " rounds (patience " << o.patience
            << ", 10% of each fold held out for it); MLP " << o.hidden << " hidden, <= " << o.epochs << " epochs"
            << fmt("   [%.1f s]\n\n", seconds);
}

void write_selection_csv(const Selection& s, const std::string& path) {
  std::string t = "model,score,score_std,second,second_std,fit_seconds_mean,fit_seconds_std,fits,fits_at_cap\n";
  for (const CvRow& r : s.rows)
    t += pipeline::csv_cell(r.name) + fmt(",%.6f,%.6f,%.6f,%.6f,%.4f,%.4f,%zu,%zu\n", r.score, r.score_sd, r.second,
                                          r.second_sd, r.fit_s, r.fit_sd, r.fits, r.capped);
  grove::io::write_file(path, t, "grove-pipeline");
}

// --- 4. final fit and test metrics ------------------------------------------------------------

struct Final {
  ms::AnyEstimator model;
  pipeline::StopInfo stop;
  bool val_loss_still_falling = false;
  Tensor<double> test_pred;
  double test_score = 0, baseline_score = 0;  ///< accuracy / R2
  pipeline::JsonObject metrics;
  double seconds = 0;
};

/// The final fit's validation loss was at its best in the last `patience` logged steps.
bool still_falling(const grove::diag::History* h, std::size_t patience) {
  if (!h || !h->has("val_loss")) return false;
  const std::vector<double> v = h->series("val_loss");
  if (v.size() < 2) return false;
  const std::size_t best = static_cast<std::size_t>(std::min_element(v.begin(), v.end()) - v.begin());
  return best + std::max<std::size_t>(patience, 1) >= v.size();
}

void print_confusion(const Tensor<std::int64_t>& cm, const std::vector<std::string>& names, const std::string& path) {
  const std::size_t k = names.size();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head{""};
  for (const auto& n : names) head.push_back(n);
  rows.push_back(head);
  for (std::size_t r = 0; r < k; ++r) {
    std::vector<std::string> row{names[r]};
    for (std::size_t c = 0; c < k; ++c) row.push_back(std::to_string(cm.data()[r * k + c]));
    rows.push_back(row);
  }
  if (k <= 20) pipeline::print_table(std::cout, rows, "     ", true);
  else std::cout << "     (" << k << " classes: see confusion_matrix.csv)\n";
  std::string t;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) t += ',';
      t += pipeline::csv_cell(row[c]);
    }
    t += '\n';
  }
  grove::io::write_file(path, t, "grove-pipeline");
}

Final final_fit(const pipeline::Candidate& c, const Split& sp, const Dataset<float>& ds, bool cls,
                const pipeline::Options& o) {
  Final f;
  f.model = c.model.clone();
  const auto t0 = Clock::now();
  f.model.fit(sp.train.X, sp.train.y, sp.val.X, sp.val.y);
  f.seconds = seconds_since(t0);
  f.stop = pipeline::stop_info(f.model);
  f.val_loss_still_falling = still_falling(f.model.history(), c.key == "mlp" ? 1 : std::max<std::size_t>(1, o.patience / 5));
  f.test_pred = f.model.predict(sp.test.X);
  const Tensor<double> yt = sp.test.y.to<double>();
  std::cout << "4. Final model: " << c.name << ", trained on " << sp.train.size() << " rows with validation monitoring ("
            << (f.stop.can_stop ? fmt("kept %zu of at most %zu %s%s", f.stop.kept, f.stop.cap, f.stop.unit.c_str(),
                                      f.stop.hit_cap() ? ": hit the cap" : "")
                                : fmt("%zu trees", f.stop.kept))
            << ")" << fmt("   [%.1f s]\n", f.seconds);
  if (cls) {
    const std::size_t k = ds.class_names.size();
    const Tensor<float> proba = f.model.predict_proba(sp.test.X);
    f.test_score = grove::metrics::accuracy(yt, f.test_pred);
    const double f1 = grove::metrics::f1(yt, f.test_pred), ll = grove::metrics::log_loss(yt, proba.to<double>());
    const std::vector<std::size_t> count = pipeline::class_counts(sp.train.y, k);
    const auto majority = static_cast<double>(std::max_element(count.begin(), count.end()) - count.begin());
    std::size_t hits = 0;
    for (std::size_t i = 0; i < sp.test.size(); ++i) hits += yt.data()[i] == majority;
    f.baseline_score = static_cast<double>(hits) / static_cast<double>(sp.test.size());
    std::cout << "   test (" << sp.test.size() << " rows never seen):"
              << fmt(" accuracy %.4f, macro F1 %.4f, log loss %.4f (majority-class baseline accuracy %.4f)\n",
                     f.test_score, f1, ll, f.baseline_score)
              << "   confusion matrix (rows: true class, columns: predicted):\n";
    print_confusion(grove::metrics::confusion_matrix(yt, f.test_pred, k), ds.class_names, o.out + "/confusion_matrix.csv");
    f.metrics.add("accuracy", f.test_score).add("macro_f1", f1).add("log_loss", ll).add("baseline_accuracy", f.baseline_score);
  } else {
    double mean = 0;
    for (std::size_t i = 0; i < sp.train.size(); ++i) mean += sp.train.y.data()[i];
    mean /= static_cast<double>(sp.train.size());
    const Tensor<double> base = Tensor<double>::full(grove::Shape{sp.test.size()}, mean);
    f.test_score = grove::metrics::r2(yt, f.test_pred);
    f.baseline_score = grove::metrics::r2(yt, base);
    const double rmse = grove::metrics::rmse(yt, f.test_pred), mae = grove::metrics::mae(yt, f.test_pred);
    const double b_rmse = grove::metrics::rmse(yt, base), b_mae = grove::metrics::mae(yt, base);
    std::cout << "   test (" << sp.test.size() << " rows never seen): R2 " << fmt("%.4f", f.test_score) << ", RMSE "
              << grove::format_number(rmse, 5) << ", MAE " << grove::format_number(mae, 5) << '\n'
              << "   baseline (predict the training mean " << grove::format_number(mean, 5) << "): R2 "
              << fmt("%.4f", f.baseline_score) << ", RMSE " << grove::format_number(b_rmse, 5) << ", MAE "
              << grove::format_number(b_mae, 5) << '\n'
              << "   predicted vs actual: " << o.out << "/predicted_vs_actual.svg\n";
    pipeline::write_predicted_vs_actual(o.out + "/predicted_vs_actual.svg",
                                        "Predicted vs actual: " + c.name + " (test R2 " + fmt("%.3f", f.test_score) + ")",
                                        yt.to_vector(), f.test_pred.to_vector(), mean);
    f.metrics.add("r2", f.test_score).add("rmse", rmse).add("mae", mae).add("baseline_r2", f.baseline_score)
        .add("baseline_rmse", b_rmse).add("baseline_mae", b_mae).add("baseline_mean", mean);
  }
  std::cout << '\n';
  return f;
}

// --- 5. learning curve and "does more data help?" ------------------------------------------------

struct Curve {
  grove::diag::LearningCurve curve;
  grove::diag::Diagnosis diag;
  double seconds = 0;
};

Curve learning_curve_stage(const pipeline::Candidate& c, const Split& sp, bool cls, const pipeline::Options& o,
                           grove::Rng& rng) {
  Curve r;
  const auto t0 = Clock::now();
  const Dataset<float> data = sample_rows(sp.train, o.curve_rows, cls, rng);
  r.curve = grove::diag::learning_curve([&] { return c.model.clone(); }, data.X, data.y,
                                        {.folds = o.folds, .scoring = cls ? "accuracy" : "r2", .seed = o.seed, .stratify = cls});
  const double now = r.curve.val_mean.empty() ? 0 : r.curve.val_mean.back();
  const double target = std::isfinite(o.target_score) ? o.target_score : std::min(r.curve.optimum, now + 0.01);
  r.diag = grove::diag::diagnose(r.curve, {.target_score = target, .model = c.kind});
  r.seconds = seconds_since(t0);
  grove::diag::write_svg(r.curve, o.out + "/learning_curve.svg",
                         {.title = "Learning curve: " + c.name + " (" + r.curve.scoring + ")", .diagnosis = &r.diag});
  grove::diag::write_csv(r.curve, o.out + "/learning_curve.csv");
  grove::diag::write_json(r.diag, o.out + "/diagnosis.json");

  const auto& d = r.diag;
  std::cout << "5. Does more data help? Learning curve of the " << c.name << " (" << r.curve.folds << "-fold CV on "
            << data.size() << " training rows, " << r.curve.size() << " sizes; --curve-rows)"
            << fmt("   [%.1f s]\n", r.seconds);
  std::vector<std::vector<std::string>> rows{{"train size", "train " + r.curve.scoring, "validation " + r.curve.scoring, "fit (s)"}};
  for (std::size_t s = 0; s < r.curve.size(); ++s) {
    double fm, fs;
    pipeline::mean_std(r.curve.fit_times[s], fm, fs);
    rows.push_back({std::to_string(r.curve.train_sizes[s]), fmt("%.4f +/- %.4f", r.curve.train_mean[s], r.curve.train_std[s]),
                    fmt("%.4f +/- %.4f", r.curve.val_mean[s], r.curve.val_std[s]), fmt("%.2f", fm)});
  }
  pipeline::print_table(std::cout, rows, "   ");
  const std::size_t n = d.largest_size;
  std::cout << "   verdict: " << grove::diag::to_string(d.verdict) << "; more data helps: " << (d.more_data_helps ? "yes" : "no")
            << (d.projection_reliable ? "" : " (projection unreliable: " + d.projection_note + ")") << '\n';
  if (std::isfinite(d.projected_val_score_2x))
    std::cout << fmt("   projected %s: %.4f now (%zu rows), %.4f [%.4f, %.4f] at 2x (%zu rows), %.4f [%.4f, %.4f] at 10x (%zu rows)\n",
                     r.curve.scoring.c_str(), d.val_score, n, d.projected_val_score_2x, d.projected_val_score_2x_lo,
                     d.projected_val_score_2x_hi, 2 * n, d.projected_val_score_10x, d.projected_val_score_10x_lo,
                     d.projected_val_score_10x_hi, 10 * n);
  if (std::isfinite(d.target_score)) {
    if (d.target_reachable && std::isfinite(d.samples_for_target))
      std::cout << fmt("   rows needed for %s %.4f: about %.0f [%.0f, ", r.curve.scoring.c_str(), d.target_score,
                       d.samples_for_target, d.samples_for_target_lo)
                << (std::isfinite(d.samples_for_target_hi) ? fmt("%.0f]", d.samples_for_target_hi)
                                                           : std::string("more than the curve can tell]"))
                << (std::isfinite(d.fit_seconds_for_target) ? fmt(", fit time about %.1f s", d.fit_seconds_for_target) : "")
                << '\n';
    else
      std::cout << fmt("   %s %.4f: not reached on the projected curve\n", r.curve.scoring.c_str(), d.target_score);
  }
  if (std::isfinite(d.fit_seconds_2x))
    std::cout << fmt("   cost: one fit takes %.2f s at %zu rows, about %.2f s at 2x and %.1f s at 10x\n", d.fit_seconds, n,
                     d.fit_seconds_2x, d.fit_seconds_10x);
  std::cout << "   chart: " << o.out << "/learning_curve.svg\n\n";
  return r;
}

// --- 6. rollout check ---------------------------------------------------------------------------

struct Rollout {
  bool identical = false, schema_saved = false;
  std::size_t row_mismatch = 0, n_single = 0, bytes = 0;
  double p50 = 0, p99 = 0, throughput = 0, seconds = 0;
  std::string kind, path;
};

/// A single-row prediction against the same row's batch prediction. A network's matrix products
/// sum in another order for one row than inside a batch (docs/DESIGN.md, "Batch vs single row"),
/// so a regressor's value may differ by a few float roundings of its output, which the target's
/// scale then multiplies: compare within 1e-4 of that scale (`scale`, the spread of the batch).
bool same_value(double a, double b, bool cls, double scale) {
  if (cls) return a == b;
  return a == b || std::fabs(a - b) <= 1e-4 * std::max({1.0, scale, std::fabs(b) * 1e-2});
}

double spread(const std::vector<double>& v) {
  double m = 0, ss = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(std::max<std::size_t>(1, v.size()));
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(std::max<std::size_t>(1, v.size())));
}

Rollout rollout_check(const Final& f, const Split& sp, const grove::data::Schema& schema, bool cls, const pipeline::Options& o) {
  Rollout r;
  const auto t0 = Clock::now();
  r.path = o.out + "/model.grove";
  f.model.save(r.path);
  r.bytes = static_cast<std::size_t>(std::filesystem::file_size(r.path));
  // Reloaded exactly as grove-serve and grove-predict load it.
  const std::shared_ptr<const grove::serving::Model> m = grove::serving::load_model(r.path);
  r.kind = m->kind();
  r.schema_saved = m->has_file_schema() && m->schema() == schema;
  const std::size_t n = sp.test.size(), d = sp.test.n_features();
  std::vector<double> batch(n);
  m->predict(std::span<const float>(sp.test.X.data(), n * d), batch);
  r.identical = std::memcmp(batch.data(), f.test_pred.data(), n * sizeof(double)) == 0;
  const double scale = cls ? 0.0 : spread(batch);
  r.n_single = std::min<std::size_t>(o.quick ? 300 : 2000, n * 4);
  std::vector<double> lat;
  lat.reserve(r.n_single);
  double one = 0;
  for (std::size_t i = 0; i < r.n_single + 50; ++i) {  // the first 50 calls warm up
    const std::size_t row = i % n;
    const auto tr = Clock::now();
    m->predict(std::span<const float>(sp.test.X.data() + row * d, d), std::span<double>(&one, 1));
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - tr).count();
    if (i < 50) continue;
    lat.push_back(us);
    r.row_mismatch += !same_value(one, batch[row], cls, scale);
  }
  r.p50 = pipeline::quantile(lat, 0.50);
  r.p99 = pipeline::quantile(lat, 0.99);
  std::size_t rows = 0;
  const auto tb = Clock::now();
  do {
    m->predict(std::span<const float>(sp.test.X.data(), n * d), batch);
    rows += n;
  } while (seconds_since(tb) < (o.quick ? 0.05 : 0.3));
  r.throughput = static_cast<double>(rows) / seconds_since(tb);
  r.seconds = seconds_since(t0);
  std::cout << "6. Rollout check: saved " << r.path << " (" << r.bytes << " bytes, " << r.kind
            << "), reloaded with grove::serving::load_model as grove-serve and grove-predict do\n"
            << "   schema saved with the model: "
            << (r.schema_saved ? "yes (grove-predict matches a new file's columns by name)"
                               : "no (this build's tree models keep none; grove-predict reads columns by position)")
            << "\n   predictions identical after reload: " << (r.identical && !r.row_mismatch ? "yes" : "NO") << " ("
            << n << " batch rows bitwise: " << (r.identical ? "same" : "DIFFERENT") << "; " << r.n_single
            << " single-row calls: " << r.row_mismatch << " differ)\n"
            << fmt("   single-row latency: p50 %.1f us, p99 %.1f us (budget %.0f us)\n", r.p50, r.p99, o.latency_budget_us)
            << fmt("   batch throughput: %.0f rows/s (batches of %zu rows, %zu threads)", r.throughput, n, grove::num_threads())
            << fmt("   [%.1f s]\n\n", r.seconds);
  return r;
}

// --- 7. summary ----------------------------------------------------------------------------------

pipeline::Evidence gather(const pipeline::LoadedData& d, const Selection& s, const Final& f, const Curve& c,
                          const Rollout& r, const pipeline::Options& o) {
  pipeline::Evidence e;
  e.classification = d.classification;
  e.metric = d.classification ? "accuracy" : "R2";
  e.test_score = f.test_score;
  e.baseline_score = f.baseline_score;
  e.stop = f.stop;
  e.val_loss_still_falling = f.val_loss_still_falling;
  e.kind = s.candidates[s.winner].kind;
  e.verdict = c.diag.verdict;
  e.train_score = c.diag.train_score;
  e.val_score = c.diag.val_score;
  e.more_data_helps = c.diag.more_data_helps;
  e.projection_reliable = c.diag.projection_reliable;
  e.projection_note = c.diag.projection_note;
  e.stays_below_trivial = c.diag.stays_below_trivial;
  e.projected_2x = c.diag.projected_val_score_2x;
  e.curve_rows = c.diag.largest_size;
  e.reproduced = r.identical && r.row_mismatch == 0;
  e.latency_p99_us = r.p99;
  e.latency_budget_us = o.latency_budget_us;
  return e;
}

void summary(const pipeline::LoadedData& d, const Split& sp, const Selection& s, const Final& f, const Curve& c,
             const Rollout& r, const pipeline::Options& o, double total) {
  const pipeline::Evidence e = gather(d, s, f, c, r, o);
  const pipeline::Decision dec = pipeline::decide(e);
  const std::string reason = pipeline::decision_reason(dec, e);
  const std::string& name = s.candidates[s.winner].name;
  const std::string quality =
      d.classification
          ? fmt("%.1f%% of held-out test rows classified correctly; always guessing the most common class: %.1f%%",
                100 * f.test_score, 100 * f.baseline_score)
          : fmt("R2 %.3f on held-out test rows (1 is perfect; predicting the training mean: %.3f)", f.test_score,
                f.baseline_score);
  std::cout << "==================================== SUMMARY ====================================\n"
            << "  Data           " << d.source << ", " << sp.rows_used << " rows used, "
            << (d.classification ? std::to_string(d.ds.class_names.size()) + " classes" : std::string("regression")) << "\n"
            << "  Chosen model   " << name
            << fmt(" (best of %zu by %zu-fold CV %s %.4f)\n", s.candidates.size(), s.folds, s.metric.c_str(), s.rows[s.winner].score)
            << "  Quality        " << quality << "\n"
            << "  Fit            " << dec.fit << "\n"
            << "  Next step      " << dec.next_step << "\n"
            << "  More data?     " << dec.more_data << "\n"
            << fmt("  Speed          %.1f us per single prediction (p99), %.0f predictions/s in batches\n", r.p99, r.throughput)
            << "  Decision       " << (dec.ready ? "READY" : "NOT READY") << " - " << reason << "\n"
            << "  Files          " << o.out << "/ (model.grove, summary.json, learning_curve.svg, history.svg, ...)\n"
            << fmt("  Run time       %.1f s\n", total)
            << "==================================================================================\n";

  std::vector<std::string> cv;
  for (const CvRow& row : s.rows)
    cv.push_back(pipeline::JsonObject{}
                     .add("model", row.name).add("score", row.score).add("score_std", row.score_sd)
                     .add("second", row.second).add("second_std", row.second_sd).add("fit_seconds", row.fit_s)
                     .add("fits", row.fits).add("fits_at_cap", row.capped).str());
  std::vector<std::string> notes;
  for (const auto& n : d.notes) notes.push_back(pipeline::json_quote(n));
  pipeline::JsonObject j;
  j.add("data", d.source).add("task", d.classification ? "classification" : "regression").add("task_reason", d.task_reason)
      .add("rows_total", d.ds.size()).add("rows_used", sp.rows_used).add("features", d.ds.n_features())
      .add("categorical_features", d.ds.categorical_features().size()).add("classes", d.ds.class_names.size())
      .raw("notes", pipeline::json_array(notes))
      .add("train_rows", sp.train.size()).add("validation_rows", sp.val.size()).add("test_rows", sp.test.size())
      .add("metric", s.metric).raw("model_selection", pipeline::json_array(cv)).add("chosen_model", name)
      .add("kept_steps", f.stop.kept).add("step_cap", f.stop.cap).add("hit_cap", f.stop.hit_cap())
      .raw("test", f.metrics.str()).add("test_score", f.test_score).add("baseline_score", f.baseline_score)
      .add("verdict", grove::diag::to_string(c.diag.verdict)).add("more_data_helps", c.diag.more_data_helps)
      .raw("diagnosis", grove::diag::to_json(c.diag))
      .add("fit", dec.fit).add("next_step", dec.next_step).add("more_data", dec.more_data)
      .add("model_file", r.path).add("model_kind", r.kind).add("model_bytes", r.bytes).add("schema_saved", r.schema_saved)
      .add("predictions_identical_after_reload", e.reproduced).add("latency_p50_us", r.p50).add("latency_p99_us", r.p99)
      .add("latency_budget_us", o.latency_budget_us).add("batch_rows_per_second", r.throughput)
      .add("ready", dec.ready).add("decision", dec.ready ? "READY" : "NOT READY").add("reason", reason)
      .add("seconds_total", total).add("seconds_final_fit", f.seconds).add("seconds_learning_curve", c.seconds)
      .add("seed", static_cast<std::size_t>(o.seed));
  grove::io::write_file(o.out + "/summary.json", j.str(), "grove-pipeline");
}

// --- the run -----------------------------------------------------------------------------------

pipeline::Budgets budgets(const pipeline::Options& o) {
  pipeline::Budgets b;
  b.trees = o.trees;
  b.rounds = o.rounds;
  b.patience = o.patience;
  b.seed = o.seed;
  b.mlp.hidden = {o.hidden};
  b.mlp.epochs = o.epochs;
  b.mlp.patience = std::max<std::size_t>(3, o.patience / 2);
  b.mlp.one_hot = o.one_hot;
  if (o.csv.empty()) {  // Fashion-MNIST: 784 features, 10 classes; sized for ~2 minutes on 2 cores
    b.learning_rate = 0.2;
    b.max_depth = 4;
    b.max_bins = 32;
    b.colsample = 0.3;
  }
  return b;
}

void print_data(const pipeline::LoadedData& d, const Split& sp, const pipeline::Options& o, double seconds) {
  const auto& ds = d.ds;
  const std::size_t cats = ds.categorical_features().size();
  std::cout << "1. Data: " << d.source << "\n   " << ds.size() << " rows x " << ds.n_features() << " features (" << cats
            << " categorical, " << ds.n_features() - cats << " numeric)";
  if (sp.rows_used < ds.size()) std::cout << "; using a sample of " << sp.rows_used << " rows (--max-rows)";
  std::cout << fmt("   [%.1f s]\n", seconds);
  if (cats && cats <= 12) {
    std::cout << "   categorical:";
    for (std::size_t j : ds.categorical_features())
      std::cout << " " << ds.feature_names[j] << " (" << ds.categories[j].size() << ")";
    std::cout << '\n';
  }
  for (const auto& n : d.notes) std::cout << "   note: " << n << '\n';
  for (const auto& name : pipeline::tree_columns(ds.schema(), 0).as_codes)
    std::cout << "   note: '" << name << "' has more than 255 categories: trees split it as ordered codes\n";
  std::cout << "2. Task: " << (d.classification ? "classification, " + std::to_string(ds.class_names.size()) + " classes" : std::string("regression"))
            << " (" << d.task_reason << (o.task.empty() && !o.csv.empty() ? "; --task overrides" : "") << ")\n"
            << "   split" << (d.classification ? " (stratified" : " (random") << ", seed " << o.seed << "): train "
            << sp.train.size() << ", validation " << sp.val.size() << ", test " << sp.test.size() << "\n\n";
}

int run(const pipeline::Options& o) {
  const auto t_start = Clock::now();
  if (o.threads > 0) grove::set_num_threads(o.threads);
  std::filesystem::create_directories(o.out);
  std::cout << "grove-pipeline: data -> task -> model selection -> training -> more data? -> rollout check\n"
            << "  threads " << grove::num_threads() << ", seed " << o.seed << ", output " << o.out << "/"
            << (o.quick ? "  [--quick: tiny settings]" : "") << "\n\n";
  status() << "[1/6] loading data...\n";
  auto t0 = Clock::now();
  const pipeline::LoadedData d = pipeline::load_data(o);
  grove::Rng rng(o.seed);
  const Split sp = split_data(d, o, rng);
  print_data(d, sp, o, seconds_since(t0));
  const grove::data::Schema schema = d.ds.schema();

  status() << "[2/6] model selection...\n";
  t0 = Clock::now();
  const pipeline::Budgets b = budgets(o);
  std::vector<pipeline::Candidate> cands = d.classification ? pipeline::make_candidates<true>(b, schema, o.models)
                                                            : pipeline::make_candidates<false>(b, schema, o.models);
  grove::Rng cv_rng = rng.stream(1);
  const Selection s = select_model(std::move(cands), sp.train, d.classification, o, cv_rng);
  print_selection(s, o, seconds_since(t0));
  write_selection_csv(s, o.out + "/cv_results.csv");
  const pipeline::Candidate& win = s.candidates[s.winner];

  status() << "[3/6] training the " << win.name << "...\n";
  const Final f = final_fit(win, sp, d.ds, d.classification, o);
  if (const grove::diag::History* h = f.model.history(); h && !h->names().empty()) {
    grove::diag::write_svg(*h, o.out + "/history.svg",
                           {.title = "Training history: " + win.name, .x_label = f.stop.unit, .y_label = "loss"});
    grove::diag::write_csv(*h, o.out + "/history.csv");
  }

  status() << "[4/6] learning curve of the " << win.name << "...\n";
  grove::Rng curve_rng = rng.stream(2);
  const Curve c = learning_curve_stage(win, sp, d.classification, o, curve_rng);

  status() << "[5/6] rollout check...\n";
  const Rollout r = rollout_check(f, sp, schema, d.classification, o);
  summary(d, sp, s, f, c, r, o, seconds_since(t_start));
  status() << "[6/6] done: " << o.out << "/summary.json\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const pipeline::Options o = pipeline::parse_options(argc, argv);
    if (o.help) {
      std::cout << pipeline::help_text();
      return 0;
    }
    return run(o);
  } catch (const pipeline::UsageError& e) {
    std::cerr << "grove-pipeline: usage: " << e.what() << "\n";
    return 2;
  } catch (const grove::Error& e) {
    std::cerr << "grove-pipeline: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {  // e.g. std::filesystem errors creating --out
    std::cerr << "grove-pipeline: error: " << e.what() << "\n";
    return 1;
  }
}

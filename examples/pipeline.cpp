// grove-pipeline: the production loop end to end, from a dataset to a rollout decision.
//
//   dataset -> stratified train / validation / test split -> model selection by k-fold CV
//   (random forest, gradient boosting, MLP) -> final fit with validation monitoring and early
//   stopping -> test metrics -> learning curve: "does more data help, and by how much?" ->
//   rollout check (save, reload, identical predictions, latency against a budget) -> summary.
//
// Default input: Fashion-MNIST (Debian's dataset-fashion-mnist); any CSV with --csv/--target.
// Run with --help for the options and their defaults.

#include "pipeline/models.hpp"
#include "pipeline/options.hpp"
#include "pipeline/report.hpp"

#include <grove/core/error.hpp>
#include <grove/core/parallel.hpp>
#include <grove/core/progress.hpp>
#include <grove/core/rng.hpp>
#include <grove/data.hpp>
#include <grove/data/idx.hpp>
#include <grove/diagnostics.hpp>
#include <grove/metrics.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using grove::Tensor;
using grove::data::Dataset;
using Clock = std::chrono::steady_clock;

/// Stage lines on stderr, shown under the same rule as grove::Progress (stderr is a terminal,
/// or GROVE_PROGRESS=1), so a piped run's stderr holds nothing but errors.
std::ostream& status() {
  static std::ostream null_stream(nullptr);
  static const bool on = grove::Progress::enabled_by_default();
  return on ? std::cerr : null_stream;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

[[noreturn]] void fail(const std::string& msg) { grove::detail::throw_value_error(msg); }

/// A stratified sample of m rows (all rows when m is 0 or >= n).
Dataset<float> stratified_sample(const Dataset<float>& ds, std::size_t m, grove::Rng& rng) {
  if (m == 0 || m >= ds.size()) return ds;
  const double fraction = static_cast<double>(m) / static_cast<double>(ds.size());
  return grove::data::subset(ds, grove::data::stratified_split_indices(ds.y, fraction, rng).test);
}

Dataset<float> concat_rows(const Dataset<float>& a, const Dataset<float>& b) {
  if (a.n_features() != b.n_features()) fail("Fashion-MNIST: train and test files have different image sizes");
  std::vector<float> x = a.X.to_vector(), y = a.y.to_vector();
  const auto xb = b.X.to_vector(), yb = b.y.to_vector();
  x.insert(x.end(), xb.begin(), xb.end());
  y.insert(y.end(), yb.begin(), yb.end());
  Dataset<float> out = a;
  out.X = Tensor<float>::from_vector(std::move(x), grove::Shape{a.size() + b.size(), a.n_features()});
  out.y = Tensor<float>::from_vector(std::move(y));
  return out;
}

/// Feature columns whose first 200 rows hold text that is not a number or a missing-value
/// marker: they are read as categories (ordinal codes) instead of failing as malformed numbers.
/// Lines with quotes are skipped here (load_csv parses them properly later).
std::vector<std::string> text_columns(const std::string& path, const std::string& target) {
  std::ifstream f(path);
  std::string line;
  if (!std::getline(f, line)) return {};
  auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream ls(l);
    while (std::getline(ls, cell, ',')) {
      const auto b = cell.find_first_not_of(" \t\r"), e = cell.find_last_not_of(" \t\r");
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    }
    return cells;
  };
  if (line.find('"') != std::string::npos) return {};
  const std::vector<std::string> names = split(line);
  std::vector<bool> text(names.size(), false);
  for (int row = 0; row < 200 && std::getline(f, line); ++row) {
    if (line.find('"') != std::string::npos) continue;
    const std::vector<std::string> cells = split(line);
    for (std::size_t c = 0; c < std::min(cells.size(), names.size()); ++c) {
      const std::string& v = cells[c];
      if (v.empty() || v == "NA" || v == "N/A" || v == "NaN" || v == "nan" || v == "NULL" || v == "null") continue;
      char* end = nullptr;
      std::strtod(v.c_str(), &end);
      if (end != v.c_str() + v.size()) text[c] = true;
    }
  }
  std::vector<std::string> out;
  for (std::size_t c = 0; c < names.size(); ++c)
    if (text[c] && names[c] != target && !names[c].empty()) out.push_back(names[c]);
  return out;
}

Dataset<float> load_data(const pipeline::Options& o, std::string& source) {
  if (!o.csv.empty()) {
    if (!std::filesystem::exists(o.csv)) fail("cannot open '" + o.csv + "': no such file");
    grove::data::CsvOptions co;
    co.target = o.target;
    co.target_kind = grove::data::TargetKind::Categorical;  // any target column is read as class labels
    for (const std::string& name : text_columns(o.csv, o.target)) co.categorical.push_back(name);
    Dataset<float> ds = grove::data::load_csv<float>(o.csv, co);
    source = o.csv + " (target '" + o.target + "')";
    if (!co.categorical.empty()) {
      source += "; text columns read as categories:";
      for (const auto& c : co.categorical) source += " '" + c.name + "'";
    }
    return ds;
  }
  const std::string dir = o.fashion_dir;
  auto path = [&](const char* name) {
    const std::string p = dir + "/" + name;
    if (!std::filesystem::exists(p))
      fail("Fashion-MNIST file '" + p + "' not found (install dataset-fashion-mnist, pass --fashion-dir, or use --csv)");
    return p;
  };
  Dataset<float> train = grove::data::load_idx<float>(path("train-images-idx3-ubyte.gz"), path("train-labels-idx1-ubyte.gz"));
  Dataset<float> test = grove::data::load_idx<float>(path("t10k-images-idx3-ubyte.gz"), path("t10k-labels-idx1-ubyte.gz"));
  Dataset<float> ds = concat_rows(train, test);
  ds.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  source = "Fashion-MNIST (" + dir + ", train + t10k)";
  return ds;
}

/// Checks that the data can go through a stratified three-way split and k-fold CV.
void check_dataset(const Dataset<float>& ds, const pipeline::Options& o) {
  const std::size_t k = ds.class_names.size();
  if (ds.size() < 20) fail("the data has " + std::to_string(ds.size()) + " rows; the pipeline needs at least 20");
  if (ds.n_features() == 0) fail("the data has no feature columns besides the target");
  if (k < 2) fail("target '" + o.target + "' has a single class; a classifier needs at least 2");
  if (k > 100)
    fail("target '" + o.target + "' has " + std::to_string(k) +
         " distinct values; grove-pipeline trains classifiers (at most 100 classes). Is it a numeric target?");
  std::vector<std::size_t> count(k, 0);
  for (std::size_t i = 0; i < ds.size(); ++i) ++count[static_cast<std::size_t>(ds.y.data()[i])];
  for (std::size_t c = 0; c < k; ++c)
    if (count[c] < 6)
      fail("class '" + ds.class_names[c] + "' has " + std::to_string(count[c]) +
           " rows; each class needs at least 6 for a stratified train/validation/test split");
}

struct CvResult {
  std::string name;
  double acc_mean = 0, acc_sd = 0, loss_mean = 0, loss_sd = 0, fit_mean = 0, fit_sd = 0;
};

std::string short_name(const std::string& s, std::size_t n = 7) { return s.size() <= n ? s : s.substr(0, n); }

}  // namespace

static int run(const pipeline::Options& o) {
  const auto t_start = Clock::now();
  if (o.threads > 0) grove::set_num_threads(o.threads);
  std::filesystem::create_directories(o.out);
  const std::string out = o.out;
  std::cout << "grove-pipeline: dataset -> model selection -> training -> diagnosis -> rollout check\n"
            << "  threads " << grove::num_threads() << ", seed " << o.seed << ", output " << out << "/"
            << (o.quick ? "  [--quick: tiny settings]" : "") << "\n\n";

  // 1. Data -------------------------------------------------------------------------------
  status() << "[1/6] loading data...\n";
  auto t0 = Clock::now();
  std::string source;
  Dataset<float> all = load_data(o, source);
  check_dataset(all, o);
  const std::size_t n_total = all.size(), k = all.class_names.size(), d = all.n_features();
  grove::Rng rng(o.seed);
  Dataset<float> ds = stratified_sample(all, o.max_rows, rng);
  all = {};
  const double t_load = seconds_since(t0);
  auto [rest, test] = grove::data::train_test_split(ds, o.test_fraction, rng, {.stratify = true});
  auto [train, val] = grove::data::train_test_split(rest, o.val_fraction / (1.0 - o.test_fraction), rng, {.stratify = true});
  std::cout << "1. Data: " << source << "\n"
            << "   " << n_total << " rows x " << d << " features, " << k << " classes";
  if (ds.size() < n_total) std::cout << "; using a stratified sample of " << ds.size() << " rows (--max-rows)";
  std::cout << "\n   split (stratified, seed " << o.seed << "): train " << train.size() << ", validation " << val.size()
            << ", test " << test.size() << pipeline::fmt("   [%.1f s]\n\n", t_load);

  // 2. Model selection ---------------------------------------------------------------------
  pipeline::Candidates cand;
  cand.forest.n_estimators = o.trees;
  cand.forest.seed = o.seed;
  cand.boosting.n_estimators = o.rounds;
  cand.boosting.seed = o.seed;
  cand.mlp.epochs = o.epochs;
  cand.mlp.hidden = {o.hidden};
  cand.mlp.seed = o.seed;
  cand.early_stopping_rounds = o.patience;
  std::vector<pipeline::Family> fams;
  for (auto& f : pipeline::families(cand))
    if (std::find(o.models.begin(), o.models.end(), f.key) != o.models.end()) fams.push_back(std::move(f));

  status() << "[2/6] model selection...\n";
  t0 = Clock::now();
  grove::Rng cv_rng = rng.stream(1);
  const Dataset<float> cv_data = stratified_sample(train, o.cv_rows, cv_rng);
  const auto folds = grove::data::StratifiedKFold(o.folds, {.shuffle = true, .seed = o.seed}).split(cv_data.y);
  std::vector<CvResult> cv;
  {
    for (const auto& fam : fams) {
      std::vector<double> acc, loss, fit_s;
      for (std::size_t fi = 0; fi < folds.size(); ++fi) {
        const auto& f = folds[fi];
        status() << "      " << fam.name << ", fold " << fi + 1 << "/" << folds.size() << '\n';
        const Tensor<float> Xt = grove::data::take_rows(cv_data.X, f.train), yt = grove::data::take_rows(cv_data.y, f.train);
        const Tensor<float> Xv = grove::data::take_rows(cv_data.X, f.validation),
                            yv = grove::data::take_rows(cv_data.y, f.validation);
        auto model = fam.make();
        const auto tf = Clock::now();
        model->fit(Xt, yt);
        fit_s.push_back(seconds_since(tf));
        acc.push_back(grove::metrics::accuracy(yv, model->predict(Xv)));
        loss.push_back(pipeline::mean_log_loss(model->predict_proba(Xv), yv));
      }
      CvResult r{fam.name};
      pipeline::mean_std(acc, r.acc_mean, r.acc_sd);
      pipeline::mean_std(loss, r.loss_mean, r.loss_sd);
      pipeline::mean_std(fit_s, r.fit_mean, r.fit_sd);
      cv.push_back(r);
    }
  }
  const double t_cv = seconds_since(t0);
  std::size_t win = 0;
  for (std::size_t i = 1; i < cv.size(); ++i)
    if (cv[i].acc_mean > cv[win].acc_mean) win = i;
  std::cout << "2. Model selection: " << folds.size() << "-fold stratified CV on " << cv_data.size()
            << " training rows (--cv-rows)\n";
  {
    std::vector<std::vector<std::string>> rows{{"model", "accuracy", "log loss", "fit time (s)", ""}};
    for (std::size_t i = 0; i < cv.size(); ++i)
      rows.push_back({cv[i].name, pipeline::fmt("%.4f +/- %.4f", cv[i].acc_mean, cv[i].acc_sd),
                      pipeline::fmt("%.4f +/- %.4f", cv[i].loss_mean, cv[i].loss_sd),
                      pipeline::fmt("%.2f +/- %.2f", cv[i].fit_mean, cv[i].fit_sd), i == win ? "<- winner" : ""});
    pipeline::print_table(std::cout, rows, "   ");
  }
  std::cout << "   settings: forest " << o.trees << " trees; boosting <= " << o.rounds << " rounds, depth "
            << cand.boosting.max_depth << "; MLP " << o.hidden << " hidden, <= " << o.epochs << " epochs"
            << pipeline::fmt("   [%.1f s]\n\n", t_cv);
  {
    std::ofstream f(out + "/cv_results.csv");
    f << "model,accuracy_mean,accuracy_std,log_loss_mean,log_loss_std,fit_seconds_mean,fit_seconds_std\n";
    for (const auto& r : cv)
      f << r.name << pipeline::fmt(",%.6f,%.6f,%.6f,%.6f,%.4f,%.4f\n", r.acc_mean, r.acc_sd, r.loss_mean, r.loss_sd,
                                   r.fit_mean, r.fit_sd);
  }

  // 3. Final training and test metrics ---------------------------------------------------------
  status() << "[3/6] training the " << fams[win].name << " on the full training part...\n";
  t0 = Clock::now();
  std::unique_ptr<pipeline::Classifier> model = fams[win].make();
  model->fit_monitored(train.X, train.y, val.X, val.y);
  const double t_fit = seconds_since(t0);
  const double val_acc = grove::metrics::accuracy(val.y, model->predict(val.X));
  const Tensor<std::int64_t> test_pred = model->predict(test.X);
  const Tensor<float> test_proba = model->predict_proba(test.X);
  const double test_acc = grove::metrics::accuracy(test.y, test_pred);
  const double test_f1 = grove::metrics::f1(test.y, test_pred);
  const double test_loss = grove::metrics::log_loss(test.y, test_proba);
  const Tensor<std::int64_t> cm = grove::metrics::confusion_matrix(test.y, test_pred, k);
  std::vector<std::size_t> class_count(k, 0);
  for (std::size_t i = 0; i < train.size(); ++i) ++class_count[static_cast<std::size_t>(train.y.data()[i])];
  const std::size_t majority = static_cast<std::size_t>(std::max_element(class_count.begin(), class_count.end()) - class_count.begin());
  std::size_t majority_hits = 0;
  for (std::size_t i = 0; i < test.size(); ++i) majority_hits += static_cast<std::size_t>(test.y.data()[i]) == majority;
  const double baseline_acc = static_cast<double>(majority_hits) / static_cast<double>(test.size());

  std::cout << "3. Final model: " << fams[win].name << ", trained on " << train.size() << " rows with validation "
            << "monitoring (" << model->stopping_note() << ")" << pipeline::fmt("   [%.1f s]\n", t_fit)
            << pipeline::fmt("   validation accuracy %.4f\n", val_acc) << "   test (" << test.size() << " rows never seen):"
            << pipeline::fmt(" accuracy %.4f, macro F1 %.4f, log loss %.4f (majority-class baseline accuracy %.4f)\n",
                             test_acc, test_f1, test_loss, baseline_acc)
            << "   confusion matrix (rows: true class, columns: predicted):\n";
  {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> head{""};
    for (std::size_t c = 0; c < k; ++c) head.push_back(short_name(ds.class_names[c]));
    rows.push_back(head);
    for (std::size_t r = 0; r < k; ++r) {
      std::vector<std::string> row{ds.class_names[r]};
      for (std::size_t c = 0; c < k; ++c) row.push_back(std::to_string(cm.data()[r * k + c]));
      rows.push_back(row);
    }
    if (k <= 20) pipeline::print_table(std::cout, rows, "     ");
    else std::cout << "     (" << k << " classes: see confusion_matrix.csv)\n";
    std::ofstream f(out + "/confusion_matrix.csv");
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (std::size_t c = 0; c < rows[r].size(); ++c)
        f << (c ? "," : "") << grove::detail::csv_text(r == 0 && c > 0 ? ds.class_names[c - 1] : rows[r][c]);
      f << '\n';
    }
  }
  std::cout << '\n';

  // 4. Diagnostics: learning curve, verdict, training history ------------------------------------
  status() << "[4/6] learning curve of the " << fams[win].name << "...\n";
  t0 = Clock::now();
  grove::Rng curve_rng = rng.stream(2);
  const Dataset<float> curve_data = stratified_sample(train, o.curve_rows, curve_rng);
  const grove::diag::LearningCurve curve = grove::diag::learning_curve(
      fams[win].make, curve_data.X, curve_data.y,
      {.train_sizes = {0.1, 0.25, 0.5, 0.75, 1.0}, .folds = o.folds, .scoring = "accuracy", .seed = o.seed, .stratify = true});
  const grove::diag::Diagnosis diag = grove::diag::diagnose(curve);
  const grove::diag::History& history = model->history();
  const bool has_history = history.has("train_loss") && history.has("val_loss") && history.series("val_loss").size() >= 2;
  grove::diag::Diagnosis hdiag;
  if (has_history) hdiag = grove::diag::diagnose(history, "train_loss", "val_loss");
  const double t_curve = seconds_since(t0);
  grove::diag::write_svg(curve, out + "/learning_curve.svg",
                         {.title = "Learning curve: " + fams[win].name + " (" + curve.scoring + ")", .diagnosis = &diag});
  grove::diag::write_csv(curve, out + "/learning_curve.csv");
  grove::diag::write_json(diag, out + "/diagnosis.json");
  if (!history.names().empty()) {
    grove::diag::write_svg(history, out + "/history.svg",
                           {.title = "Training history: " + fams[win].name + " (" + model->stopping_note() + ")",
                            .x_label = model->step_name(), .y_label = "log loss"});
    grove::diag::write_csv(history, out + "/history.csv");
  }

  std::cout << "4. Diagnostics: learning curve (" << curve.folds << "-fold CV, " << curve_data.size()
            << " training rows, --curve-rows)" << pipeline::fmt("   [%.1f s]\n", t_curve);
  {
    std::vector<std::vector<std::string>> rows{{"train size", "train accuracy", "validation accuracy", "fit (s)"}};
    for (std::size_t s = 0; s < curve.size(); ++s) {
      double fm, fs;
      pipeline::mean_std(curve.fit_times[s], fm, fs);
      rows.push_back({std::to_string(curve.train_sizes[s]), pipeline::fmt("%.4f +/- %.4f", curve.train_mean[s], curve.train_std[s]),
                      pipeline::fmt("%.4f +/- %.4f", curve.val_mean[s], curve.val_std[s]), pipeline::fmt("%.2f", fm)});
    }
    pipeline::print_table(std::cout, rows, "   ");
  }
  std::ostringstream diag_text;
  grove::diag::print(diag_text, diag);
  std::cout << "   verdict: " << grove::diag::to_string(diag.verdict) << "; more data helps: "
            << (diag.more_data_helps ? "yes" : "no") << '\n';
  const double gain_2x = diag.projected_val_score_2x - diag.val_score;
  if (std::isfinite(diag.projected_val_score_2x))
    std::cout << pipeline::fmt("   at 2x the data (%zu rows): projected validation accuracy %.4f [%.4f, %.4f], %+.4f vs now\n",
                               2 * diag.largest_size, diag.projected_val_score_2x, diag.projected_val_score_2x_lo,
                               diag.projected_val_score_2x_hi, gain_2x);
  std::cout << "   " << diag.summary << '\n';
  if (has_history)
    std::cout << "   training history: " << grove::diag::to_string(hdiag.verdict)
              << (hdiag.best_step ? pipeline::fmt(", best validation loss %.4f at step %zu", hdiag.best_value, *hdiag.best_step) : "")
              << "\n   " << hdiag.summary << '\n';
  std::cout << '\n';

  // 5. Rollout check -----------------------------------------------------------------------------
  status() << "[5/6] rollout check...\n";
  t0 = Clock::now();
  const std::string model_path = out + "/model.grove";
  model->save(model_path);
  const auto model_bytes = std::filesystem::file_size(model_path);
  const std::unique_ptr<pipeline::Classifier> loaded = model->load(model_path);
  const Tensor<float> proba2 = loaded->predict_proba(test.X);
  const Tensor<std::int64_t> pred2 = loaded->predict(test.X);
  const bool identical = proba2.shape() == test_proba.shape() &&
                         std::memcmp(proba2.data(), test_proba.data(), test_proba.size() * sizeof(float)) == 0 &&
                         std::memcmp(pred2.data(), test_pred.data(), test_pred.size() * sizeof(std::int64_t)) == 0;
  std::size_t row_mismatch = 0;
  const std::size_t n_lat = std::min<std::size_t>(o.quick ? 300 : 2000, test.size() * 4);
  std::vector<double> lat_us;
  lat_us.reserve(n_lat);
  volatile std::int64_t sink = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(50, n_lat); ++i)  // warm-up
    sink = sink + loaded->predict_row(std::span<const float>(test.X.data() + (i % test.size()) * d, d));
  for (std::size_t i = 0; i < n_lat; ++i) {
    const std::size_t r = i % test.size();
    const std::span<const float> row(test.X.data() + r * d, d);
    const auto tr = Clock::now();
    const std::int64_t c = loaded->predict_row(row);
    lat_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - tr).count());
    row_mismatch += c != test_pred.data()[r];
    sink = sink + c;
  }
  const double p50 = pipeline::quantile(lat_us, 0.50), p99 = pipeline::quantile(lat_us, 0.99);
  std::size_t batch_rows = 0;
  const auto tb = Clock::now();
  do {
    const Tensor<std::int64_t> p = loaded->predict(test.X);
    batch_rows += p.size();
  } while (seconds_since(tb) < (o.quick ? 0.05 : 0.3));
  const double throughput = static_cast<double>(batch_rows) / seconds_since(tb);
  const double t_roll = seconds_since(t0);

  std::vector<std::string> reasons;
  if (!identical || row_mismatch) reasons.push_back("the reloaded model does not reproduce the predictions");
  if (p99 > o.latency_budget_us)
    reasons.push_back(pipeline::fmt("single-row p99 latency %.1f us exceeds the %.0f us budget", p99, o.latency_budget_us));
  if (!(test_acc > baseline_acc))
    reasons.push_back(pipeline::fmt("test accuracy %.4f does not beat the majority-class baseline %.4f", test_acc, baseline_acc));
  const bool ready = reasons.empty();
  std::string reason;
  for (const auto& r : reasons) reason += (reason.empty() ? "" : "; ") + r;
  if (ready)
    reason = pipeline::fmt("predictions reproduced after reload, p99 %.1f us within the %.0f us budget, beats the baseline",
                           p99, o.latency_budget_us);

  std::cout << "5. Rollout check: saved " << model_path << " (" << model_bytes << " bytes), reloaded into a fresh object\n"
            << "   predictions identical after reload: " << (identical && !row_mismatch ? "yes" : "NO") << " ("
            << test.size() << " batch rows bitwise, " << n_lat << " single-row calls)\n"
            << pipeline::fmt("   single-row latency: p50 %.1f us, p99 %.1f us (budget %.0f us)\n", p50, p99, o.latency_budget_us)
            << pipeline::fmt("   batch throughput: %.0f rows/s (batches of %zu rows, %zu threads)\n", throughput, test.size(),
                             grove::num_threads())
            << "   => " << (ready ? "READY" : "NOT READY") << ": " << reason << pipeline::fmt("   [%.1f s]\n\n", t_roll);

  // 6. Summary ------------------------------------------------------------------------------------
  const double t_total = seconds_since(t_start);
  // "More data?" in product terms: the curve's own projection (2x its largest size) and the same
  // fitted power law evaluated at this training part's size and at twice that.
  const double n_train = static_cast<double>(train.size());
  const double acc_full = diag.fit.ok ? curve.score(diag.fit.predict(n_train)) : std::numeric_limits<double>::quiet_NaN();
  const double acc_full_2x = diag.fit.ok ? curve.score(diag.fit.predict(2 * n_train)) : std::numeric_limits<double>::quiet_NaN();
  std::string data_advice = diag.more_data_helps ? "yes" : "little";
  if (std::isfinite(gain_2x))
    data_advice += pipeline::fmt(": on the learning curve, %zu -> %zu rows moves accuracy %.1f%% -> %.1f%% (%+.1f points)",
                                 diag.largest_size, 2 * diag.largest_size, 100 * diag.val_score,
                                 100 * diag.projected_val_score_2x, 100 * gain_2x);
  else
    data_advice += ": the learning curve could not be extrapolated";
  if (std::isfinite(acc_full) && std::isfinite(acc_full_2x) && train.size() > diag.largest_size)
    data_advice += pipeline::fmt(";\n                 extrapolated: %.1f%% at this training size (%zu rows; test measured %.1f%%), "
                                 "%.1f%% at %zu rows (%+.1f points)",
                                 100 * acc_full, train.size(), 100 * test_acc, 100 * acc_full_2x, 2 * train.size(),
                                 100 * (acc_full_2x - acc_full));
  std::string fit_words = std::string(grove::diag::to_string(diag.verdict));
  if (diag.verdict == grove::diag::Verdict::Overfitting)
    fit_words += pipeline::fmt(" (%.1f%% on its training rows vs %.1f%% on held-out rows)", 100 * diag.train_score, 100 * diag.val_score);
  else if (diag.verdict == grove::diag::Verdict::Underfitting)
    fit_words += " (it does not even fit its training rows well: a bigger model would help)";
  if (has_history && hdiag.verdict == grove::diag::Verdict::Underfitting)
    fit_words += "; validation loss still falling at the end of training (raise --rounds / --epochs / --trees)";
  else if (has_history && hdiag.verdict == grove::diag::Verdict::Overfitting)
    fit_words += "; training went past its best validation step (early stopping kept the best)";
  std::cout << "==================================== SUMMARY ====================================\n"
            << "  Data           " << source << ", " << ds.size() << " rows used, " << k << " classes\n"
            << "  Chosen model   " << fams[win].name << pipeline::fmt(" (best of %zu by %zu-fold CV accuracy %.1f%%)\n", fams.size(), folds.size(), 100 * cv[win].acc_mean)
            << pipeline::fmt("  Quality        %.1f%% of held-out test rows classified correctly (macro F1 %.3f);\n", 100 * test_acc, test_f1)
            << pipeline::fmt("                 always guessing the most common class would get %.1f%%\n", 100 * baseline_acc)
            << "  Fit            " << fit_words << "\n"
            << "  More data?     " << data_advice << "\n"
            << pipeline::fmt("  Speed          %.1f us per single prediction (p99), %.0f predictions/s in batches\n", p99, throughput)
            << "  Decision       " << (ready ? "READY" : "NOT READY") << " - " << reason << "\n"
            << "  Files          " << out << "/ (model.grove, summary.json, learning_curve.svg, history.svg, ...)\n"
            << pipeline::fmt("  Run time       %.1f s\n", t_total)
            << "==================================================================================\n";

  pipeline::JsonObject cvj;
  std::string cv_array = "[";
  for (std::size_t i = 0; i < cv.size(); ++i) {
    pipeline::JsonObject r;
    r.add("model", cv[i].name).add("accuracy_mean", cv[i].acc_mean).add("accuracy_std", cv[i].acc_sd)
        .add("log_loss_mean", cv[i].loss_mean).add("log_loss_std", cv[i].loss_sd)
        .add("fit_seconds_mean", cv[i].fit_mean).add("fit_seconds_std", cv[i].fit_sd);
    cv_array += (i ? "," : "") + r.str();
  }
  cv_array += "]";
  pipeline::JsonObject j;
  j.add("data", source).add("rows_total", n_total).add("rows_used", ds.size()).add("features", d).add("classes", k)
      .add("train_rows", train.size()).add("validation_rows", val.size()).add("test_rows", test.size())
      .raw("model_selection", cv_array).add("chosen_model", fams[win].name).add("early_stopping", model->stopping_note())
      .add("validation_accuracy", val_acc).add("test_accuracy", test_acc).add("test_macro_f1", test_f1)
      .add("test_log_loss", test_loss).add("baseline_accuracy", baseline_acc)
      .add("verdict", grove::diag::to_string(diag.verdict)).add("more_data_helps", diag.more_data_helps)
      .add("projected_accuracy_2x", diag.projected_val_score_2x).add("projected_accuracy_full_train", acc_full).add("projected_accuracy_2x_full_train", acc_full_2x).add("learning_curve_accuracy", diag.val_score)
      .raw("diagnosis", grove::diag::to_json(diag))
      .add("predictions_identical_after_reload", identical && !row_mismatch).add("latency_p50_us", p50)
      .add("latency_p99_us", p99).add("latency_budget_us", o.latency_budget_us).add("batch_rows_per_second", throughput)
      .add("model_file", model_path).add("model_bytes", static_cast<std::size_t>(model_bytes))
      .add("ready", ready).add("decision", ready ? "READY" : "NOT READY").add("reason", reason)
      .add("seconds_total", t_total).add("seconds_cv", t_cv).add("seconds_final_fit", t_fit)
      .add("seconds_learning_curve", t_curve).add("seconds_rollout", t_roll).add("seed", static_cast<std::size_t>(o.seed));
  std::ofstream(out + "/summary.json") << j.str();
  status() << "[6/6] done: " << out << "/summary.json\n";
  return 0;
}

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

#pragma once
// Command-line options of grove-pipeline and its --help text.

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace pipeline {

struct Options {
  std::string csv;                                             ///< empty: Fashion-MNIST
  std::string target;                                          ///< target column of the CSV
  std::string task;              ///< "", "classification" or "regression" ("": detected from the target)
  bool one_hot = true;           ///< MLP: categorical columns one-hot (else their codes as numbers)
  std::string fashion_dir = "/usr/share/datasets/fashion-mnist";
  std::string out = "grove-out";
  std::size_t max_rows = 20000;  ///< stratified sample of the data used (0: all); default for Fashion-MNIST
  bool max_rows_given = false;
  double test_fraction = 0.2;
  double val_fraction = 0.1;     ///< of the whole data
  std::size_t folds = 3;
  std::size_t cv_rows = 3000;    ///< training rows used by model selection (0: all)
  std::size_t curve_rows = 4000; ///< training rows used by the learning curve (0: all)
  std::size_t trees = 60;        ///< random forest trees
  std::size_t rounds = 300;      ///< boosting rounds, at most (early stopping decides)
  std::size_t epochs = 30;       ///< MLP epochs, at most (early stopping decides)
  std::size_t hidden = 128;      ///< MLP hidden width
  std::size_t patience = 10;     ///< early-stopping patience in boosting rounds (MLP: half, at least 3)
  std::vector<std::string> models = {"forest", "boosting", "mlp"};  ///< candidate families
  double latency_budget_us = 1000;
  double target_score = std::numeric_limits<double>::quiet_NaN();  ///< rows-needed question (NaN: now + 0.01)
  std::uint64_t seed = 42;
  std::size_t threads = 0;       ///< 0: all hardware threads
  bool quick = false;
  bool help = false;
};

/// Thrown for a bad command line (exit code 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline const char* help_text() {
  return R"(grove-pipeline: from a dataset to a rollout decision, end to end.

  dataset -> stratified train/validation/test split -> model selection (k-fold CV of a random
  forest, gradient boosting and an MLP) -> final training with validation monitoring and early
  stopping -> test metrics -> learning curve and "does more data help?" -> rollout check
  (save, reload, identical predictions, latency against a budget) -> summary.

Usage: grove-pipeline [options]

Input (default: Fashion-MNIST from Debian's dataset-fashion-mnist, train + t10k files merged)
  --csv PATH               read a CSV file with a header row instead
  --target NAME            the CSV column to predict
  --task T                 classification or regression (default: detected from the target:
                           text, or at most 10 distinct whole numbers, is classification)
  --fashion-dir DIR        where the Fashion-MNIST *-ubyte.gz files are
                           (default /usr/share/datasets/fashion-mnist)
  --max-rows N             use a stratified sample of N rows (0 = all). Default 20000 for
                           Fashion-MNIST (of 70000, so the default run takes ~1-2 minutes on
                           2 cores), all rows for a CSV

Split (stratified, seeded)
  --test-fraction F        share of rows held out for the final test (default 0.2)
  --val-fraction F         share of rows for validation / early stopping (default 0.1)

Model selection (cross-validation on the training part)
  --models LIST            candidates, comma-separated from forest, boosting, mlp
                           (default all three)
  --folds K                folds (default 3)
  --cv-rows N              training rows used for CV, stratified sample (default 3000; 0 = all)
  --trees N                random forest trees (default 60)
  --rounds N               boosting rounds, at most (default 300; early stopping decides)
  --epochs N               MLP epochs, at most (default 30; early stopping decides)
  --hidden N               MLP hidden units (default 128)
  --patience N             early stopping: boosting rounds without a better validation loss
                           (default 10; the MLP waits half as many epochs, at least 3)
  --mlp-categorical E      how the MLP sees text columns: onehot (default) or codes

Diagnostics
  --curve-rows N           training rows for the learning curve (default 4000; 0 = all)
  --target-score S         "how many rows for this score?" (default: 0.01 above the curve's
                           last validation score)

Rollout
  --latency-budget-us US   single-row p99 latency budget in microseconds (default 1000)

General
  --out DIR                output directory (default ./grove-out): model.grove (with its
                           schema: grove-predict --model DIR/model.grove --csv NEW.csv scores
                           new files), summary.json, cv_results.csv, learning_curve.{svg,csv},
                           history.{svg,csv}, diagnosis.json, and confusion_matrix.csv
                           (classification) or predicted_vs_actual.svg (regression)
  --seed S                 seed of every random choice (default 42)
  --threads N              worker threads (default: all cores)
  --quick                  tiny settings for smoke tests (a few seconds on a small CSV)
  --help                   this text

Progress lines go to stderr when it is a terminal (GROVE_PROGRESS=1 forces them); results go to
stdout. Exit status: 0 done (READY or NOT READY), 1 error (one line on stderr), 2 bad usage.
)";
}

namespace cli {

inline std::size_t parse_count(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long x = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || *end != '\0' || errno != 0)
    throw UsageError(flag + " expects a whole number >= 0, got '" + v + "'");
  return static_cast<std::size_t>(x);
}

inline double parse_real(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(x == x)) throw UsageError(flag + " expects a number, got '" + v + "'");
  return x;
}

inline std::vector<std::string> parse_models(const std::string& v) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= v.size()) {
    const std::size_t comma = std::min(v.find(',', pos), v.size());
    const std::string m = v.substr(pos, comma - pos);
    if (m != "forest" && m != "boosting" && m != "mlp")
      throw UsageError("--models: unknown model '" + m + "' (choose from forest, boosting, mlp)");
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    pos = comma + 1;
  }
  return out;
}

}  // namespace cli

inline Options parse_options(int argc, char** argv) {
  Options o;
  bool trees = false, rounds = false, epochs = false, cv = false, curve = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") o.help = true;
    else if (a == "--quick") o.quick = true;
    else if (a == "--csv") o.csv = value();
    else if (a == "--target") o.target = value();
    else if (a == "--task") {
      o.task = value();
      if (o.task != "classification" && o.task != "regression")
        throw UsageError("--task must be classification or regression, got '" + o.task + "'");
    } else if (a == "--mlp-categorical") {
      const std::string v = value();
      if (v != "onehot" && v != "codes") throw UsageError("--mlp-categorical must be onehot or codes, got '" + v + "'");
      o.one_hot = v == "onehot";
    }
    else if (a == "--fashion-dir") o.fashion_dir = value();
    else if (a == "--out") o.out = value();
    else if (a == "--max-rows") o.max_rows = cli::parse_count(a, value()), o.max_rows_given = true;
    else if (a == "--test-fraction") o.test_fraction = cli::parse_real(a, value());
    else if (a == "--val-fraction") o.val_fraction = cli::parse_real(a, value());
    else if (a == "--models") o.models = cli::parse_models(value());
    else if (a == "--folds") o.folds = cli::parse_count(a, value());
    else if (a == "--cv-rows") o.cv_rows = cli::parse_count(a, value()), cv = true;
    else if (a == "--curve-rows") o.curve_rows = cli::parse_count(a, value()), curve = true;
    else if (a == "--trees") o.trees = cli::parse_count(a, value()), trees = true;
    else if (a == "--rounds") o.rounds = cli::parse_count(a, value()), rounds = true;
    else if (a == "--epochs") o.epochs = cli::parse_count(a, value()), epochs = true;
    else if (a == "--hidden") o.hidden = cli::parse_count(a, value());
    else if (a == "--patience") o.patience = cli::parse_count(a, value());
    else if (a == "--target-score") o.target_score = cli::parse_real(a, value());
    else if (a == "--latency-budget-us") o.latency_budget_us = cli::parse_real(a, value());
    else if (a == "--seed") o.seed = cli::parse_count(a, value());
    else if (a == "--threads") o.threads = cli::parse_count(a, value());
    else throw UsageError("unknown option '" + a + "' (see --help)");
  }
  if (o.help) return o;
  if (!o.csv.empty() && o.target.empty()) throw UsageError("--csv needs --target NAME (the column to predict)");
  if (o.csv.empty() && !o.target.empty()) throw UsageError("--target is only used with --csv PATH");
  if (o.csv.empty() && o.task == "regression") throw UsageError("--task regression needs --csv PATH (Fashion-MNIST is a classification task)");
  if (!o.csv.empty() && !o.max_rows_given) o.max_rows = 0;
  if (o.quick) {
    // Tiny settings: a smoke test, not a result. Explicit flags still win.
    if (!trees) o.trees = 10;
    if (!rounds) o.rounds = 40;
    if (!epochs) o.epochs = 10;
    if (!cv) o.cv_rows = 600;
    if (!curve) o.curve_rows = 600;
    if (!o.max_rows_given && o.csv.empty()) o.max_rows = 2000;
    o.hidden = std::min<std::size_t>(o.hidden, 32);
  }
  if (!(o.test_fraction > 0 && o.val_fraction > 0 && o.test_fraction + o.val_fraction < 0.9))
    throw UsageError("--test-fraction and --val-fraction must be > 0 and sum to less than 0.9");
  if (o.folds < 2 || o.folds > 20) throw UsageError("--folds must be in [2, 20]");
  if (o.trees == 0 || o.rounds == 0 || o.epochs == 0 || o.hidden == 0)
    throw UsageError("--trees, --rounds, --epochs and --hidden must be >= 1");
  if (o.patience == 0) throw UsageError("--patience must be >= 1");
  if (!(o.latency_budget_us > 0)) throw UsageError("--latency-budget-us must be > 0");
  return o;
}

}  // namespace pipeline

// grove side of the trees comparison (driven by trees_compare.py): reads the data set the
// script generated, trains grove's GradientBoostingClassifier or RandomForestClassifier on the
// first 80 % of rows, and prints one JSON line: fit time, test AUC/accuracy, batch and
// single-row prediction speed, peak memory. With an XGBoost model file it also times XGBoost's
// single-row C API call on the same rows.
#include <grove/trees.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

double xgb_single_row_us(const char* model_path, const float* rows, std::size_t n, std::size_t d, double* checksum,
                         double* cpu_us);

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of the whole process (all threads), to read through other jobs' load.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

double current_rss_mb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, rss = 0;
  f >> pages >> rss;
  return static_cast<double>(rss) * 4096.0 / (1024.0 * 1024.0);
}

// Rank-based AUC with ties averaged.
double auc(const std::vector<float>& score, const std::vector<float>& y) {
  std::vector<std::size_t> idx(score.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double rank_sum = 0, pos = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j < idx.size() && score[idx[j]] == score[idx[i]]) ++j;
    const double r = 0.5 * static_cast<double>(i + j + 1);  // average 1-based rank
    for (std::size_t k = i; k < j; ++k)
      if (y[idx[k]] > 0.5f) {
        rank_sum += r;
        pos += 1;
      }
    i = j;
  }
  const double neg = static_cast<double>(y.size()) - pos;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s boost|forest <data prefix> <rows> <features> <rounds|trees> <threads> [xgb model]\n",
                 argv[0]);
    return 2;
  }
  const std::string mode = argv[1], prefix = argv[2];
  const std::size_t n = std::stoul(argv[3]), d = std::stoul(argv[4]), iters = std::stoul(argv[5]);
  grove::set_num_threads(std::stoul(argv[6]));
  const std::size_t n_train = n * 8 / 10, n_test = n - n_train;
  // Read straight into the tensors, so peak memory counts only what a user would hold.
  grove::Tensor<float> Xtr(grove::Shape{n_train, d}), ytr(grove::Shape{n_train}), Xte(grove::Shape{n_test, d});
  std::vector<float> yte(n_test);
  {
    std::ifstream fx(prefix + ".X", std::ios::binary), fy(prefix + ".y", std::ios::binary);
    fx.read(reinterpret_cast<char*>(Xtr.data()), static_cast<std::streamsize>(n_train * d * sizeof(float)));
    fx.read(reinterpret_cast<char*>(Xte.data()), static_cast<std::streamsize>(n_test * d * sizeof(float)));
    fy.read(reinterpret_cast<char*>(ytr.data()), static_cast<std::streamsize>(n_train * sizeof(float)));
    fy.read(reinterpret_cast<char*>(yte.data()), static_cast<std::streamsize>(n_test * sizeof(float)));
    if (!fx || !fy) {
      std::fprintf(stderr, "cannot read %zu rows of %zu features from %s.X/.y\n", n, d, prefix.c_str());
      return 1;
    }
  }
  const double rss_before = current_rss_mb();

  if (mode == "boost") {
    grove::trees::GradientBoostingClassifier m({.n_estimators = iters, .learning_rate = 0.1, .max_depth = 6,
                                                .max_bins = 255, .l2 = 1.0, .min_child_weight = 1.0,
                                                .min_samples_leaf = 0});  // XGBoost bounds no rows
    const double c0 = cpu_seconds();
    const auto t0 = Clock::now();
    m.fit(Xtr, ytr);
    const double fit_s = seconds_since(t0);
    const double fit_cpu = cpu_seconds() - c0;
    const double peak = peak_rss_mb();
    // Batch prediction: best of three.
    double batch_s = 1e30;
    grove::Tensor<float> p;
    for (int r = 0; r < 3; ++r) {
      const auto t1 = Clock::now();
      p = m.predict_proba(Xte);
      batch_s = std::min(batch_s, seconds_since(t1));
    }
    std::vector<float> score(n_test);
    for (std::size_t i = 0; i < n_test; ++i) score[i] = p(i, 1);
    // Single-row latency over 20,000 test rows (median of 5 passes).
    const std::size_t lat_rows = std::min<std::size_t>(n_test, 20000);
    std::vector<double> passes, cpu_passes;
    double sink = 0;
    float out[2];
    for (int r = 0; r < 5; ++r) {
      const std::clock_t c2 = std::clock();
      const auto t2 = Clock::now();
      for (std::size_t i = 0; i < lat_rows; ++i) {
        m.predict_proba_row(std::span<const float>(Xte.data() + i * d, d), out);
        sink += out[1];
      }
      passes.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t2).count() / static_cast<double>(lat_rows));
      cpu_passes.push_back(1e6 * static_cast<double>(std::clock() - c2) / CLOCKS_PER_SEC / static_cast<double>(lat_rows));
    }
    std::sort(passes.begin(), passes.end());
    std::sort(cpu_passes.begin(), cpu_passes.end());
    std::printf("{\"side\": \"grove\", \"mode\": \"boost\", \"fit_s\": %.3f, \"fit_cpu_s\": %.3f, \"auc\": %.5f, "
                "\"batch_rows_per_s\": %.0f, \"row_us\": %.3f, \"row_cpu_us\": %.3f, \"peak_rss_mb\": %.1f, "
                "\"rss_before_fit_mb\": %.1f, \"sink\": %.3f",
                fit_s, fit_cpu, auc(score, yte), static_cast<double>(n_test) / batch_s, passes[2], cpu_passes[2], peak,
                rss_before, sink);
    if (argc > 7) {
      double checksum = 0, xgb_cpu = 0;
      const double xgb_us =
          xgb_single_row_us(argv[7], Xte.data(), std::min<std::size_t>(n_test, 5000), d, &checksum, &xgb_cpu);
      std::printf(", \"xgb_capi_row_us\": %.3f, \"xgb_capi_row_cpu_us\": %.3f, \"xgb_checksum\": %.3f", xgb_us, xgb_cpu,
                  checksum);
    }
    std::printf("}\n");
  } else if (mode == "forest") {
    grove::trees::RandomForestClassifier m({.n_estimators = iters, .seed = 0});
    const double c0 = cpu_seconds();
    const auto t0 = Clock::now();
    m.fit(Xtr, ytr);
    const double fit_s = seconds_since(t0);
    const double fit_cpu = cpu_seconds() - c0;
    const double peak = peak_rss_mb();
    const auto t1 = Clock::now();
    const grove::Tensor<std::int64_t> cls = m.predict(Xte);
    const double pred_s = seconds_since(t1);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < n_test; ++i) ok += cls(i) == static_cast<std::int64_t>(yte[i]) ? 1 : 0;
    std::printf("{\"side\": \"grove\", \"mode\": \"forest\", \"fit_s\": %.3f, \"fit_cpu_s\": %.3f, \"accuracy\": %.5f, "
                "\"predict_s\": %.3f, \"peak_rss_mb\": %.1f, \"rss_before_fit_mb\": %.1f}\n",
                fit_s, fit_cpu, static_cast<double>(ok) / static_cast<double>(n_test), pred_s, peak, rss_before);
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  return 0;
}

// XGBoost half of grove_compare_trees: single-row latency through XGBoost's C API, each row
// predicted from a fresh one-row DMatrix (XGBoost caches predictions per DMatrix).
#include <xgboost/c_api.h>

#include <chrono>
#include <ctime>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <limits>
#include <vector>

namespace {
void check(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "xgboost %s: %s\n", what, XGBGetLastError());
    std::exit(1);
  }
}
}  // namespace

/// Mean wall microseconds per single-row prediction over n rows (after a warm-up pass); also the
/// mean CPU microseconds and the sum of the predictions (so the work cannot be skipped).
double xgb_single_row_us(const char* model_path, const float* rows, std::size_t n, std::size_t d, double* checksum,
                         double* cpu_us) {
  BoosterHandle booster;
  check(XGBoosterCreate(nullptr, 0, &booster), "create");
  check(XGBoosterLoadModel(booster, model_path), "load");
  check(XGBoosterSetParam(booster, "nthread", "1"), "nthread");
  double sum = 0.0;
  auto one = [&](std::size_t i) {
    DMatrixHandle m;
    check(XGDMatrixCreateFromMat(rows + i * d, 1, d, std::numeric_limits<float>::quiet_NaN(), &m), "dmatrix");
    bst_ulong len = 0;
    const float* out = nullptr;
    check(XGBoosterPredict(booster, m, 0, 0, 0, &len, &out), "predict");
    sum += out[0];
    XGDMatrixFree(m);
  };
  for (std::size_t i = 0; i < std::min<std::size_t>(n, 100); ++i) one(i);
  sum = 0.0;
  const std::clock_t c0 = std::clock();
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) one(i);
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  *cpu_us = 1e6 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC / static_cast<double>(n);
  XGBoosterFree(booster);
  *checksum = sum;
  return us / static_cast<double>(n);
}

// grove side of grid_search_compare.py: a grid search of gradient boosting (12 candidates, the
// folds read from a file the scikit-learn side reads too), timed; prints one JSON line.
//   grove_compare_grid_search <path> <rows> <features> <threads> <rounds>
// reads <path>.X (float32 rows x features), <path>.y (float32 labels), <path>.folds (int32 fold
// of each row).
#include <grove/core/parallel.hpp>
#include <grove/data/kfold.hpp>
#include <grove/model_selection/search.hpp>
#include <grove/tensor/tensor.hpp>
#include <grove/trees/gradient_boosting.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

namespace {

template <class T>
std::vector<T> read_file(const std::string& path, std::size_t count) {
  std::vector<T> v(count);
  std::ifstream f(path, std::ios::binary);
  if (!f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(T))))
    throw std::runtime_error("cannot read " + std::to_string(count) + " values from " + path);
  return v;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s <path> <rows> <features> <threads> <rounds>\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const std::size_t n = std::stoul(argv[2]), d = std::stoul(argv[3]), threads = std::stoul(argv[4]);
  const std::size_t rounds = std::stoul(argv[5]);
  grove::set_num_threads(threads);
  const auto X = grove::Tensor<float>::from_vector(read_file<float>(path + ".X", n * d), grove::Shape{n, d});
  const auto y = grove::Tensor<float>::from_vector(read_file<float>(path + ".y", n), grove::Shape{n});
  const std::vector<std::int32_t> fold_of = read_file<std::int32_t>(path + ".folds", n);
  std::int32_t k = 0;
  for (std::int32_t f : fold_of) k = std::max(k, f + 1);
  std::vector<grove::data::Fold> splits(static_cast<std::size_t>(k));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t f = 0; f < splits.size(); ++f)
      (static_cast<std::size_t>(fold_of[i]) == f ? splits[f].validation : splits[f].train).push_back(i);

  using P = grove::trees::GradientBoostingClassifierParams;
  namespace ms = grove::model_selection;
  const auto grid = ms::ParamGrid<P>{{.n_estimators = rounds, .max_bins = 255}}
                        .add(&P::learning_rate, {0.05, 0.1, 0.2})
                        .add(&P::max_depth, {3, 6})
                        .add(&P::l2, {0.0, 1.0});
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const auto res = ms::grid_search<grove::trees::GradientBoostingClassifier>(
      grid, X, y, {.scoring = "accuracy", .refit = true, .splits = splits});
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - c0;

  std::string scores, best;
  for (const auto& r : res.results) scores += (scores.empty() ? "" : ",") + std::to_string(r.mean_test_score);
  for (const auto& p : res.best().param_text) best += (best.empty() ? "\"" : ",\"") + p.name + "\":" + p.value;
  std::printf("{\"side\":\"grove\",\"wall_s\":%.4f,\"cpu_s\":%.4f,\"refit_s\":%.4f,\"best_score\":%.6f,"
              "\"best_params\":{%s},\"mean_test_scores\":[%s]}\n",
              wall, cpu, res.refit_time, res.best_score, best.c_str(), scores.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "grove_compare_grid_search: %s\n", e.what());
  return 1;
}

// grove_load_batch: in-memory batch prediction throughput of a saved model through
// serving::Model (what grove-predict and grove-serve call), on the rows of a CSV, for the
// comparison with XGBoost's predict in run_load.py. Prints one JSON line.
//
//   grove_load_batch --model model.grove --csv score.csv [--repeat 3] [--threads 2]
// (score.csv holds the feature columns only.)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <grove/core/parallel.hpp>
#include <grove/data/csv.hpp>
#include <grove/serving/load_model.hpp>

int main(int argc, char** argv) {
  std::string model_path, csv;
  int repeat = 3;
  std::size_t threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--model") model_path = v;
    else if (a == "--csv") csv = v;
    else if (a == "--repeat") repeat = std::stoi(v);
    else if (a == "--threads") threads = std::stoul(v);
    else {
      std::cerr << "grove_load_batch: unknown option " << a << "\n";
      return 2;
    }
  }
  grove::set_num_threads(threads);
  const auto model = grove::serving::load_model(model_path);
  grove::data::CsvOptions opt;
  opt.target_kind = grove::data::TargetKind::None;
  const auto ds = grove::data::load_csv<float>(csv, opt);
  const std::size_t n = ds.size();
  std::vector<double> pred(n);
  std::vector<float> proba(n * model->n_classes());
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    model->predict_proba(std::span<const float>(ds.X.data(), ds.X.size()), proba);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("{\"rows\": %zu, \"seconds\": %.5f, \"rows_per_s\": %.1f, \"threads\": %zu}\n", n, best,
              static_cast<double>(n) / best, threads);
}

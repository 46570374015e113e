// grove_load_model: trains the model the load test serves (gradient boosting on a CSV, the same
// settings as the XGBoost side of run_load.py) and saves it with the CSV's schema.
//
//   grove_load_model --csv train.csv --target label --rounds 200 --depth 6 --out model.grove

#include <cstdlib>
#include <iostream>
#include <string>

#include <grove/data/csv.hpp>
#include <grove/trees/gradient_boosting.hpp>

int main(int argc, char** argv) {
  std::string csv, target = "label", out = "model.grove";
  std::size_t rounds = 200;
  int depth = 6;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--csv") csv = v;
    else if (a == "--target") target = v;
    else if (a == "--out") out = v;
    else if (a == "--rounds") rounds = std::stoul(v);
    else if (a == "--depth") depth = std::stoi(v);
    else {
      std::cerr << "grove_load_model: unknown option " << a << "\n";
      return 2;
    }
  }
  if (csv.empty()) {
    std::cerr << "usage: grove_load_model --csv FILE [--target label] [--rounds 200] [--depth 6] [--out model.grove]\n";
    return 2;
  }
  const auto ds = grove::data::load_csv<float>(csv, {.target = target});
  grove::trees::GradientBoostingClassifier m(
      {.n_estimators = rounds, .learning_rate = 0.1, .max_depth = depth, .max_bins = 255, .l2 = 1.0, .min_child_weight = 1.0,
       .min_samples_leaf = 0});  // XGBoost's settings: no row bound
  m.fit(ds);  // keeps the schema: grove-predict matches columns by name
  m.save(out);
  std::cout << "grove_load_model: " << rounds << " rounds, depth " << depth << ", " << ds.size() << " rows, "
            << ds.n_features() << " features -> " << out << "\n";
}

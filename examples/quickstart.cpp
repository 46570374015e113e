// The shortest useful grove program: load a CSV, split it, fit gradient-boosted trees with a
// validation set, print the test accuracy and what the training history says.
// Usage: grove-quickstart [data.csv target_column]   (no arguments: writes and uses a demo CSV; --help)
#include <grove/data.hpp>
#include <grove/metrics.hpp>
#include <grove/trees.hpp>
#include <grove/diagnostics.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

constexpr const char* kUsage =
    "usage: grove-quickstart [DATA.csv TARGET_COLUMN]\n"
    "Fits gradient-boosted trees on a CSV (stratified train/validation/test split, early stopping),\n"
    "prints the test accuracy and what the training history says. Without arguments it writes\n"
    "and uses a small demo file, quickstart.csv.\n"
    "  -h, --help   this text\n";

int main(int argc, char** argv) try {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::cerr << "grove-quickstart: unknown option '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (args.size() != 0 && args.size() != 2) {
    std::cerr << "grove-quickstart: expected no arguments or DATA.csv TARGET_COLUMN, got " << args.size() << "\n"
              << kUsage;
    return 2;
  }
  std::string path = args.empty() ? "quickstart.csv" : args[0], target = args.empty() ? "label" : args[1];
  if (args.empty()) {  // no CSV given: write a small one (two overlapping classes) so this runs as is
    grove::Rng rng(1);
    std::ofstream f(path);
    f << "x1,x2,label\n";
    for (int i = 0; i < 3000; ++i) f << rng.normal() + (i % 2) << ',' << rng.normal() << ',' << (i % 2 ? "yes" : "no") << '\n';
  }
  auto ds = grove::data::load_csv<float>(path, {.target = target, .target_kind = grove::data::TargetKind::Categorical});
  grove::Rng rng(42);
  auto [rest, test] = grove::data::train_test_split(ds, 0.2, rng, {.stratify = true});
  auto [train, val] = grove::data::train_test_split(rest, 0.2, rng, {.stratify = true});
  grove::trees::GradientBoostingClassifier model({.n_estimators = 300, .learning_rate = 0.1, .max_depth = 4, .early_stopping_rounds = 20});
  model.fit(train.X, train.y, {val.X, val.y});
  std::cout << "test accuracy: " << grove::metrics::accuracy(test.y, model.predict(test.X)) << "\n";
  grove::diag::print(std::cout, grove::diag::diagnose(model.history()));
} catch (const grove::Error& e) {
  std::cerr << "grove-quickstart: error: " << e.what() << '\n';
  return 1;
}

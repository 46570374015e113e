// The shortest useful grove program: load a CSV, split it, fit gradient-boosted trees with a
// validation set, print the test accuracy and what the training history says.
// Usage: grove-quickstart [data.csv target_column]   (no arguments: writes and uses a demo CSV)
#include <grove/data.hpp>
#include <grove/metrics.hpp>
#include <grove/trees.hpp>
#include <grove/diagnostics.hpp>

#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) try {
  std::string path = argc > 2 ? argv[1] : "quickstart.csv", target = argc > 2 ? argv[2] : "label";
  if (argc <= 2) {  // no CSV given: write a small one (two overlapping classes) so this runs as is
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

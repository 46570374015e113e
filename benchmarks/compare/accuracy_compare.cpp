// grove side of accuracy_compare.py: fits one tree model with given parameters on each fold of a
// CSV file and prints the held-out scores (accuracy or R^2) as one JSON line.
//   grove_compare_accuracy <csv> <target> <folds> <model> [name=value ...]
// <model> is gbc, gbr, rfc or rfr; <folds> holds the fold of each data row, one integer a line
// (the file the scikit-learn side uses too). The features load_csv infers as categorical are
// passed as categorical_features unless `categorical=none` is given.
#include <grove/data/csv.hpp>
#include <grove/data/dataset.hpp>
#include <grove/trees/gradient_boosting.hpp>
#include <grove/trees/params.hpp>
#include <grove/trees/random_forest.hpp>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::vector<std::size_t> read_folds(const std::string& path, std::size_t rows) {
  std::ifstream f(path);
  std::vector<std::size_t> fold_of;
  for (std::size_t k; f >> k;) fold_of.push_back(k);
  if (fold_of.size() != rows)
    throw std::runtime_error(path + " holds " + std::to_string(fold_of.size()) + " folds for " +
                             std::to_string(rows) + " rows");
  return fold_of;
}

template <class Model>
std::vector<double> cross_validate(const grove::data::Dataset<float>& ds, const std::vector<std::size_t>& fold_of,
                                   const std::vector<std::string>& settings) {
  typename Model::Params params;
  params.categorical_features = ds.categorical_features();
  for (const std::string& s : settings) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) throw std::runtime_error("expected name=value, got '" + s + "'");
    if (s.substr(0, eq) == "categorical") {
      if (s.substr(eq + 1) != "none") throw std::runtime_error("categorical= takes only 'none'");
      params.categorical_features.clear();
      continue;
    }
    grove::trees::set_param(params, s.substr(0, eq), s.substr(eq + 1));
  }
  std::size_t k = 0;
  for (std::size_t f : fold_of) k = std::max(k, f + 1);
  std::vector<double> scores;
  for (std::size_t fold = 0; fold < k; ++fold) {
    std::vector<std::size_t> train, test;
    for (std::size_t i = 0; i < fold_of.size(); ++i) (fold_of[i] == fold ? test : train).push_back(i);
    Model model(params);
    model.fit(grove::data::subset(ds, train));
    scores.push_back(model.score(grove::data::subset(ds, test)));
  }
  return scores;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s <csv> <target> <folds> <gbc|gbr|rfc|rfr> [name=value ...]\n", argv[0]);
    return 2;
  }
  const std::string model = argv[4];
  const bool classify = model == "gbc" || model == "rfc";
  grove::data::CsvOptions options{.target = std::string(argv[2])};
  options.target_kind = classify ? grove::data::TargetKind::Categorical : grove::data::TargetKind::Numeric;
  const auto ds = grove::data::load_csv<float>(argv[1], options);
  const auto fold_of = read_folds(argv[3], ds.size());
  const std::vector<std::string> settings(argv + 5, argv + argc);
  std::vector<double> scores;
  if (model == "gbc") scores = cross_validate<grove::trees::GradientBoostingClassifier>(ds, fold_of, settings);
  else if (model == "gbr") scores = cross_validate<grove::trees::GradientBoostingRegressor>(ds, fold_of, settings);
  else if (model == "rfc") scores = cross_validate<grove::trees::RandomForestClassifier>(ds, fold_of, settings);
  else if (model == "rfr") scores = cross_validate<grove::trees::RandomForestRegressor>(ds, fold_of, settings);
  else throw std::runtime_error("unknown model '" + model + "' (gbc, gbr, rfc, rfr)");

  std::string cats, list;
  for (std::size_t j : ds.categorical_features()) cats += (cats.empty() ? "\"" : ",\"") + ds.feature_names[j] + "\"";
  for (double s : scores) list += (list.empty() ? "" : ",") + std::to_string(s);
  std::printf("{\"rows\":%zu,\"features\":%zu,\"categorical\":[%s],\"scores\":[%s]}\n", ds.size(), ds.n_features(),
              cats.c_str(), list.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "grove_compare_accuracy: %s\n", e.what());
  return 1;
}

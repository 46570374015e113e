// Curve computation for the extrapolation benchmark (issue 19): cross-validated learning curves
// of grove's learners on real data sets, on LCDB-like geometric anchors ceil(16·2^(k/2)) plus the
// 10x points of the cut sizes, written to a long-format CSV. This is the expensive part; the
// projection study (curves_study) reads the CSV and refits nothing.
//
//   grove-curves --data DIR --out curves.csv [--datasets a,b] [--learners rf,gb,mlp] [--folds 5]
//                [--max-rows 12800] [--threads N] [--seed S]
//
// Each (data set, learner) pair is one diag::learning_curve call: K stratified folds of at most
// --max-rows rows, nested training prefixes inside each fold, every fold scored on its own
// validation part. A pair already present in --out is skipped (delete the file to recompute).
#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/data/csv.hpp>
#include <grove/data/idx.hpp>
#include <grove/data/loader.hpp>
#include <grove/data/scaler.hpp>
#include <grove/diagnostics/learning_curve.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/trees.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace grove;

namespace {

struct Args {
  std::string data = "build/curves/data";
  std::string out = "build/curves/curves.csv";
  std::string fashion = "/usr/share/datasets/fashion-mnist";
  // Development, the first round's held-out sets (now seen), the second round's fresh held-out sets.
  std::vector<std::string> datasets = {"letter", "satellite", "spam", "fertility", "shuttle", "arrests",
                                       "cps1988", "lending_club", "stackoverflow", "titanic", "wa_churn",
                                       "fashion_mnist", "digits", "churn", "cells", "ames",
                                       "concrete", "credit_data", "dna", "german_credit", "health_insurance",
                                       "hmda", "hpc_data", "vehicle", "vowel", "wvs"};
  std::vector<std::string> learners = {"rf", "gb", "mlp"};
  std::size_t folds = 5, max_rows = 12800, threads = 0;
  std::uint64_t seed = 7;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "grove-curves: %s\nusage: grove-curves [--data DIR] [--out CSV] [--fashion DIR] [--datasets a,b,...] "
               "[--learners rf,gb,mlp] [--folds K] [--max-rows N] [--threads N] [--seed S]\n",
               why.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      std::printf("grove-curves: learning curves of grove's learners on real data sets, for the extrapolation study\n"
                  "usage: grove-curves [--data DIR] [--out CSV] [--fashion DIR] [--datasets a,b,...] "
                  "[--learners rf,gb,mlp] [--folds K] [--max-rows N] [--threads N] [--seed S]\n");
      std::exit(0);
    }
    if (i + 1 >= argc) usage("missing value after " + k);
    const std::string v = argv[++i];
    try {
      if (k == "--data") a.data = v;
      else if (k == "--out") a.out = v;
      else if (k == "--fashion") a.fashion = v;
      else if (k == "--datasets") a.datasets = split_list(v);
      else if (k == "--learners") a.learners = split_list(v);
      else if (k == "--folds") a.folds = std::stoul(v);
      else if (k == "--max-rows") a.max_rows = std::stoul(v);
      else if (k == "--threads") a.threads = std::stoul(v);
      else if (k == "--seed") a.seed = std::stoull(v);
      else usage("unknown option " + k);
    } catch (const std::logic_error&) {
      usage("bad value '" + v + "' for " + k);
    }
  }
  return a;
}

struct Table {
  Tensor<float> X, y;
  bool classification = true;
};

/// At most max_rows rows drawn without replacement (seeded), in a shuffled order.
Table subsample(Table t, std::size_t max_rows, std::uint64_t seed) {
  const std::size_t n = t.X.shape()[0];
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = i;
  Rng rng(seed);
  rng.shuffle(idx.begin(), idx.end());
  idx.resize(std::min(n, max_rows));
  t.X = data::take_rows(t.X, idx);
  t.y = data::take_rows(t.y, idx);
  return t;
}

Table load(const Args& a, const std::string& name) {
  Table t;
  if (name == "fashion_mnist") {
    auto ds = data::load_idx<float>(a.fashion + "/train-images-idx3-ubyte.gz", a.fashion + "/train-labels-idx1-ubyte.gz");
    t.X = ds.X / 255.0f;
    t.y = ds.y;
  } else {
    auto ds = data::load_csv<float>(a.data + "/" + name + ".csv", {.target = "target"});
    t.X = ds.X;
    t.y = ds.y;
    t.classification = name != "ames" && name != "cps1988" && name != "concrete";
  }
  return t;
}

/// A one-hidden-layer MLP (64 ReLU units, Adam, batch 64) on standardized features (and, for
/// regression, a standardized target: a raw target of scale 100 defeats 300 Adam steps), trained
/// for at least 8 epochs and at least 300 steps (capped at 150 epochs) so small sets get enough steps.
struct Mlp {
  std::size_t d, out;
  bool classification;
  std::uint64_t seed;
  data::StandardScaler<float> scaler;
  nn::Sequential<float> model;
  float y_mean = 0, y_scale = 1;

  Mlp(std::size_t d_, std::size_t out_, bool cls, std::uint64_t s) : d(d_), out(out_), classification(cls), seed(s) {
    Rng rng(seed);
    model.add(nn::Linear<float>(d, 64, rng)).add(nn::ReLU()).add(nn::Linear<float>(64, out, rng));
  }
  void fit(const Tensor<float>& X, const Tensor<float>& y_raw) {
    const Tensor<float> Xs = scaler.fit_transform(X);
    optim::Adam<float> opt(model.parameters(), {.lr = 2e-3, .weight_decay = 1e-4});
    const std::size_t n = X.shape()[0], batches = (n + 63) / 64;
    const std::size_t epochs = std::clamp<std::size_t>((300 + batches - 1) / batches, 8, 150);
    Tensor<float> y = y_raw;
    if (!classification) {
      double m = 0, v = 0;
      for (std::size_t i = 0; i < n; ++i) m += y_raw.data()[i] / static_cast<double>(n);
      for (std::size_t i = 0; i < n; ++i) v += (y_raw.data()[i] - m) * (y_raw.data()[i] - m) / static_cast<double>(n);
      y_mean = static_cast<float>(m), y_scale = v > 0 ? static_cast<float>(std::sqrt(v)) : 1.0f;
      y = (y_raw - y_mean) / y_scale;
    }
    data::DataLoader loader(Xs, y, 64, {.shuffle = true, .seed = seed});
    model.train();
    for (std::size_t e = 0; e < epochs; ++e)
      for (auto& [xb, yb] : loader.epoch(e)) {
        opt.zero_grad();
        Tensor<float> loss = classification ? nn::cross_entropy(model(xb), yb)
                                            : nn::mse_loss(model(xb), yb.reshape(Shape{yb.shape()[0], 1}));
        loss.backward();
        opt.step();
      }
  }
  Tensor<float> forward(const Tensor<float>& X) {
    NoGradGuard no_grad;
    model.eval();
    return model(scaler.transform(X));
  }
  Tensor<float> predict(const Tensor<float>& X) {
    if (classification) return forward(X).argmax(1).to<float>();
    return forward(X).reshape(Shape{X.shape()[0]}) * y_scale + y_mean;
  }
};

/// A classifier told the class count: a small training prefix of an imbalanced set (lending_club,
/// 5% of one class) may miss a class entirely.
template <class Model>
struct WithClasses {
  Model model;
  std::size_t classes;
  void fit(const Tensor<float>& X, const Tensor<float>& y) { model.fit(X, y, {.n_classes = classes}); }
  auto predict(const Tensor<float>& X) const { return model.predict(X); }
};

/// LCDB anchors ceil(16·2^(k/2)) up to 4·(largest cut), plus 10·N for each cut N (powers of two
/// from 64 with 10·N within the training part). Returns {anchors, cuts}.
std::pair<std::vector<double>, std::vector<std::size_t>> anchors_for(std::size_t train_part) {
  std::vector<std::size_t> cuts;
  for (std::size_t c = 64; 10 * c <= train_part; c *= 2) cuts.push_back(c);
  std::set<std::size_t> s;
  const std::size_t top = cuts.empty() ? train_part : std::min(train_part, 4 * cuts.back());
  for (int k = 0;; ++k) {
    const auto g = static_cast<std::size_t>(std::ceil(16.0 * std::pow(2.0, k / 2.0) - 1e-9));
    if (g > top) break;
    s.insert(g);
  }
  for (std::size_t c : cuts) s.insert(10 * c);
  return {std::vector<double>(s.begin(), s.end()), cuts};
}

std::set<std::string> done_pairs(const std::string& path) {
  std::set<std::string> done;
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    const auto p1 = line.find(','), p2 = line.find(',', p1 + 1);
    if (p2 != std::string::npos) done.insert(line.substr(0, p2));
  }
  return done;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  if (args.threads) set_num_threads(args.threads);
  std::filesystem::create_directories(std::filesystem::path(args.out).parent_path().empty()
                                          ? std::filesystem::path(".")
                                          : std::filesystem::path(args.out).parent_path());
  const auto done = done_pairs(args.out);
  const bool fresh = !std::filesystem::exists(args.out) || std::filesystem::file_size(args.out) == 0;
  std::ofstream out(args.out, std::ios::app);
  if (fresh)
    out << "dataset,learner,scoring,baseline,n_rows,folds,cuts,train_size,fold,train_score,val_score,fit_time\n";
  try {
    for (const auto& name : args.datasets) {
      Table t = subsample(load(args, name), args.max_rows, args.seed);
      const std::size_t n = t.X.shape()[0], d = t.X.shape()[1];
      std::size_t classes = 0;
      if (t.classification)
        for (std::size_t i = 0; i < n; ++i) classes = std::max(classes, static_cast<std::size_t>(t.y.data()[i]) + 1);
      const std::size_t train_part = n - (n + args.folds - 1) / args.folds;
      const auto [anchors, cuts] = anchors_for(train_part);
      std::string cut_text;
      for (std::size_t c : cuts) {
        if (!cut_text.empty()) cut_text += ' ';
        cut_text += std::to_string(c);
      }
      for (const auto& learner : args.learners) {
        const std::string key = name + "," + learner;
        if (done.count(key)) {
          std::cout << key << ": cached\n";
          continue;
        }
        const diag::LearningCurveOptions opt{.train_sizes = anchors,
                                             .folds = args.folds,
                                             .scoring = t.classification ? "accuracy" : "r2",
                                             .seed = args.seed,
                                             .stratify = t.classification};
        const auto t0 = std::chrono::steady_clock::now();
        diag::LearningCurve lc;
        const std::uint64_t s = args.seed;
        if (learner == "rf") {
          if (t.classification)
            lc = diag::learning_curve(
                [&] {
                  return WithClasses<trees::RandomForestClassifier>{
                      trees::RandomForestClassifier({.n_estimators = 50, .seed = s}), classes};
                },
                t.X, t.y, opt);
          else
            lc = diag::learning_curve(
                [&] { return trees::RandomForestRegressor({.n_estimators = 50, .seed = s, .max_features = trees::MaxFeatures::sqrt()}); },
                t.X, t.y, opt);
        } else if (learner == "gb") {
          if (t.classification)
            lc = diag::learning_curve(
                [&] {
                  return WithClasses<trees::GradientBoostingClassifier>{
                      trees::GradientBoostingClassifier(
                          {.n_estimators = 60, .learning_rate = 0.15, .max_depth = 4, .max_bins = 64, .seed = s,
                           .min_samples_leaf = 0}),  // the settings the recorded curves were measured with
                      classes};
                },
                t.X, t.y, opt);
          else
            lc = diag::learning_curve(
                [&] {
                  return trees::GradientBoostingRegressor(
                      {.n_estimators = 100, .learning_rate = 0.1, .max_depth = 4, .max_bins = 64,
                       .min_child_weight = 1, .seed = s});  // the recorded curves' setting (the default is now 20)
                },
                t.X, t.y, opt);
        } else if (learner == "mlp") {
          lc = diag::learning_curve(
              [&] { return Mlp(d, t.classification ? classes : 1, t.classification, s); }, t.X, t.y, opt);
        } else {
          usage("unknown learner " + learner);
        }
        for (std::size_t i = 0; i < lc.train_sizes.size(); ++i)
          for (std::size_t f = 0; f < lc.folds; ++f) {
            char buf[512];
            std::snprintf(buf, sizeof buf, "%s,%s,%s,%.17g,%zu,%zu,%s,%zu,%zu,%.17g,%.17g,%.6g\n", name.c_str(),
                          learner.c_str(), lc.scoring.c_str(), lc.baseline_score, n, lc.folds, cut_text.c_str(),
                          lc.train_sizes[i], f, lc.train_scores[i][f], lc.val_scores[i][f], lc.fit_times[i][f]);
            out << buf;
          }
        out.flush();
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::cout << key << ": " << n << " rows, " << d << " features, " << lc.train_sizes.size() << " sizes up to "
                  << lc.train_sizes.back() << ", cuts " << cut_text << ", last val " << lc.val_mean.back() << " ("
                  << secs << " s)\n"
                  << std::flush;
      }
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "grove-curves: %s\n", e.what());
    return 1;
  }
  return 0;
}

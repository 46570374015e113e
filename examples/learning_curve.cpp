// Does more data help? Learning curves for a random forest and an MLP on a Fashion-MNIST subset
// (Debian's dataset-fashion-mnist; generated data when it is missing), each diagnosed in plain
// words and written as SVG/CSV/JSON; then one MLP training run with a validation History, early
// stopping (best weights restored) and the diagnosis of its loss curves.
//
//   grove-learning-curve                       # 3000 images, 3 folds, reports in the current directory
//   grove-learning-curve --n 6000 --folds 5 --out /tmp/lc
//
// Options: --data DIR, --n N (rows used), --folds K, --epochs E (MLP), --seed S, --threads N,
// --out DIR, --target SCORE (rows needed to reach it), --synthetic (use generated data even when
// Fashion-MNIST is installed), --help.
#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/data/idx.hpp>
#include <grove/data/loader.hpp>
#include <grove/diagnostics.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/trees.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

using namespace grove;

namespace {

struct Args {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::size_t n = 3000;
  std::size_t folds = 3;
  std::size_t epochs = 8;
  std::uint64_t seed = 1;
  std::size_t threads = 0;
  std::string out = ".";
  double target = 0.9;
  bool synthetic = false;
};

constexpr const char* kUsage =
    "usage: %s [--data DIR] [--n N] [--folds K] [--epochs E] [--seed S] [--threads N] [--out DIR] [--target SCORE] "
    "[--synthetic]\n";

[[noreturn]] void usage(const char* prog, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", prog, why.c_str());
  std::fprintf(stderr, kUsage, prog);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      std::printf("grove-learning-curve: does more data help? Learning curves of a random forest and an MLP on a\n"
                  "Fashion-MNIST subset, each diagnosed (projection to 2x/10x the data with 95%% intervals, rows\n"
                  "needed for --target, fit-time cost) and written as SVG/CSV/JSON; then an MLP training run with\n"
                  "early stopping and the diagnosis of its loss curves.\n");
      std::printf(kUsage, argv[0]);
      std::exit(0);
    }
    if (k == "--synthetic") {
      a.synthetic = true;
      continue;
    }
    if (i + 1 >= argc) usage(argv[0], "missing value after " + k);
    const std::string v = argv[++i];
    try {
      if (k == "--data") a.data = v;
      else if (k == "--n") a.n = std::stoul(v);
      else if (k == "--folds") a.folds = std::stoul(v);
      else if (k == "--epochs") a.epochs = std::stoul(v);
      else if (k == "--seed") a.seed = std::stoull(v);
      else if (k == "--threads") a.threads = std::stoul(v);
      else if (k == "--out") a.out = v;
      else if (k == "--target") a.target = std::stod(v);
      else usage(argv[0], "unknown option " + k);
    } catch (const std::logic_error&) {
      usage(argv[0], "bad value '" + v + "' for " + k);
    }
  }
  if (a.n < 100) usage(argv[0], "--n must be >= 100");
  if (a.folds < 2) usage(argv[0], "--folds must be >= 2");
  if (a.epochs == 0) usage(argv[0], "--epochs must be >= 1");
  return a;
}

/// The first n Fashion-MNIST training images scaled to [0, 1], or n generated rows: 10 classes,
/// 784 features, each class a noisy blurred template (so the task resembles images).
void load(const Args& a, Tensor<float>& X, Tensor<float>& y, std::string& source) {
  const std::string img = a.data + "/train-images-idx3-ubyte.gz", lab = a.data + "/train-labels-idx1-ubyte.gz";
  if (!a.synthetic && std::filesystem::exists(img) && std::filesystem::exists(lab)) {
    const auto ds = data::load_idx<float>(img, lab);
    const std::size_t n = std::min(a.n, ds.size()), d = ds.X.shape()[1];
    std::vector<float> xv(ds.X.data(), ds.X.data() + n * d), yv(ds.y.data(), ds.y.data() + n);
    for (float& v : xv) v /= 255.0f;
    X = Tensor<float>::from_vector(std::move(xv), Shape{n, d});
    y = Tensor<float>::from_vector(std::move(yv));
    source = "Fashion-MNIST (" + std::to_string(n) + " training images)";
    return;
  }
  Rng rng(a.seed + 17);
  const std::size_t d = 784, k = 10;
  std::vector<float> templ(k * d);
  for (float& v : templ) v = static_cast<float>(rng.uniform());
  std::vector<float> xv(a.n * d), yv(a.n);
  for (std::size_t i = 0; i < a.n; ++i) {
    const std::size_t c = static_cast<std::size_t>(rng.below(k));
    yv[i] = static_cast<float>(c);
    for (std::size_t j = 0; j < d; ++j)
      xv[i * d + j] = static_cast<float>(0.3 * templ[c * d + j] + 0.7 * rng.uniform());
  }
  X = Tensor<float>::from_vector(std::move(xv), Shape{a.n, d});
  y = Tensor<float>::from_vector(std::move(yv));
  source = "generated data (" + std::to_string(a.n) + " rows; Fashion-MNIST not found)";
}

/// An MLP 784-64-10 with its own optimizer state, trained for a fixed number of epochs.
struct Mlp {
  nn::Sequential<float> model;
  std::size_t epochs;
  std::uint64_t seed;

  Mlp(std::size_t d, std::size_t classes, std::size_t epochs_, std::uint64_t seed_) : epochs(epochs_), seed(seed_) {
    Rng rng(seed);
    model.add(nn::Linear<float>(d, 64, rng)).add(nn::ReLU()).add(nn::Linear<float>(64, classes, rng));
  }

  /// One epoch of Adam over shuffled mini-batches; returns the mean training loss.
  double train_epoch(optim::Optimizer<float>& opt, const Tensor<float>& X, const Tensor<float>& y, std::size_t epoch) {
    model.train();
    data::DataLoader loader(X, y, 64, {.shuffle = true, .seed = seed});
    double sum = 0;
    std::size_t seen = 0;
    for (auto& [xb, yb] : loader.epoch(epoch)) {
      opt.zero_grad();
      Tensor<float> loss = nn::cross_entropy(model(xb), yb);
      loss.backward();
      opt.step();
      sum += static_cast<double>(loss.item()) * static_cast<double>(xb.shape()[0]);
      seen += xb.shape()[0];
    }
    return sum / static_cast<double>(seen);
  }

  void fit(const Tensor<float>& X, const Tensor<float>& y) {
    optim::Adam<float> opt(model.parameters(), {.lr = 2e-3});
    for (std::size_t e = 0; e < epochs; ++e) train_epoch(opt, X, y, e);
  }

  Tensor<float> logits(const Tensor<float>& X) {
    NoGradGuard no_grad;
    model.eval();
    return model(X);
  }
  Tensor<float> predict_proba(const Tensor<float>& X) { return logits(X).softmax(1); }
  Tensor<std::int64_t> predict(const Tensor<float>& X) { return logits(X).argmax(1); }
  double loss(const Tensor<float>& X, const Tensor<float>& y) {
    NoGradGuard no_grad;
    model.eval();
    return static_cast<double>(nn::cross_entropy(model(X), y).item());
  }
};

void report(const std::string& name, const diag::LearningCurve& lc, const std::string& out, diag::ModelKind kind,
            double target) {
  const diag::Diagnosis d = diag::diagnose(lc, {.target_score = target, .model = kind});
  std::cout << "\n== " << name << " ==\n";
  diag::print(std::cout, lc);
  std::cout << '\n';
  diag::print(std::cout, d);
  const std::string base = out + "/" + name;
  diag::write_svg(lc, base + "_learning_curve.svg", {.title = name + ": learning curve", .diagnosis = &d});
  diag::write_csv(lc, base + "_learning_curve.csv");
  diag::write_json(d, base + "_diagnosis.json");
  std::cout << "wrote " << base << "_learning_curve.svg, .csv and " << base << "_diagnosis.json\n";
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  if (args.threads) set_num_threads(args.threads);
  try {
    std::filesystem::create_directories(args.out);
    Tensor<float> X, y;
    std::string source;
    load(args, X, y, source);
    const std::size_t d = X.shape()[1];
    std::cout << "data: " << source << ", " << d << " features; " << args.folds << "-fold learning curves, "
              << num_threads() << " threads\n";

    // Default sizes: geometric anchors (ratio sqrt 2) from n/32 to n, dense where the projection needs them.
    const diag::LearningCurveOptions lc_opt{.folds = args.folds, .seed = args.seed, .stratify = true};

    // A random forest: deep trees fit their training data almost perfectly.
    const auto forest = diag::learning_curve(
        [&] { return trees::RandomForestClassifier({.n_estimators = 40, .seed = args.seed}); }, X, y, lc_opt);
    report("random_forest", forest, args.out, diag::ModelKind::Forest, args.target);

    // An MLP trained for a fixed number of epochs on each subset.
    const auto mlp = diag::learning_curve([&] { return Mlp(d, 10, args.epochs, args.seed); }, X, y, lc_opt);
    report("mlp", mlp, args.out, diag::ModelKind::NeuralNet, args.target);

    // One longer MLP run on a small training part with a validation History and early stopping.
    const std::size_t n_train = std::min<std::size_t>(X.shape()[0] * 4 / 5, 1500), n_val = X.shape()[0] - n_train;
    const Tensor<float> Xt = X.slice(0, 0, n_train).contiguous(), yt = y.slice(0, 0, n_train).contiguous();
    const Tensor<float> Xv = X.slice(0, n_train, n_train + n_val).contiguous();
    const Tensor<float> yv = y.slice(0, n_train, n_train + n_val).contiguous();
    Mlp net(d, 10, 0, args.seed);
    optim::Adam<float> opt(net.model.parameters(), {.lr = 2e-3});
    diag::History history;
    diag::EarlyStopping stopper({.monitor = "val_loss", .patience = 8});
    std::size_t epoch = 0;
    for (; epoch < 60 && !stopper.should_stop(); ++epoch) {
      const double train_loss = net.train_epoch(opt, Xt, yt, epoch);
      history.log(epoch + 1, "train_loss", train_loss);
      history.log(epoch + 1, "val_loss", net.loss(Xv, yv));
      stopper.update(history, net.model);  // snapshots the weights at each new best
    }
    stopper.restore_best(net.model);
    std::cout << "\n== mlp training run (" << n_train << " train, " << n_val << " validation rows) ==\n"
              << "stopped after epoch " << epoch << "; best val_loss " << stopper.best_value() << " at epoch "
              << stopper.best_step() << " (weights restored: val_loss now " << net.loss(Xv, yv) << ")\n";
    const diag::Diagnosis hd =
        diag::diagnose(history, "train_loss", "val_loss", {.model = diag::ModelKind::NeuralNet});
    diag::print(std::cout, hd);
    diag::write_svg(history, args.out + "/mlp_history.svg",
                    {.title = "MLP training run", .stop_step = stopper.best_step(), .x_label = "epoch", .y_label = "cross-entropy"});
    diag::write_csv(history, args.out + "/mlp_history.csv");
    std::cout << "wrote " << args.out << "/mlp_history.svg and .csv\n";
  } catch (const Error& e) {
    std::fprintf(stderr, "learning_curve: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Trains an MLP 784-256-128-10 on Fashion-MNIST (Debian's dataset-fashion-mnist package),
// logs train/validation loss and accuracy per epoch into a diag::History, prints the test
// accuracy, saves the model, reloads it and checks the reloaded model predicts the same.
//
//   grove-fashion-mnist-mlp                      # Adam lr 1e-3, batch 128, 5 epochs
//   grove-fashion-mnist-mlp --epochs 15 --lr-schedule cosine --dropout 0.2
//
// Options: --data DIR, --epochs N, --batch N, --lr X, --lr-schedule none|cosine,
// --dropout P, --weight-decay W (switches to AdamW), --seed S, --threads N, --out PATH.
#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/core/progress.hpp>
#include <grove/data/idx.hpp>
#include <grove/data/loader.hpp>
#include <grove/data/scaler.hpp>
#include <grove/diagnostics/history.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace grove;

namespace {

struct Args {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::size_t epochs = 5;
  std::size_t batch = 128;
  double lr = 1e-3;
  std::string schedule = "none";
  double dropout = 0.0;
  double weight_decay = 0.0;
  std::uint64_t seed = 1;
  std::size_t threads = 0;
  std::string out = "fashion_mnist_mlp.grove";
};

constexpr const char* kUsage =
    "usage: grove-fashion-mnist-mlp [options]\n"
    "Trains an MLP 784-256-128-10 on Fashion-MNIST, prints per-epoch loss and accuracy and the test\n"
    "accuracy, saves the model, reloads it and checks the reloaded model predicts the same.\n"
    "  --data DIR                 Fashion-MNIST *-ubyte.gz files (default /usr/share/datasets/fashion-mnist)\n"
    "  --epochs N                 passes over the training set (default 5)\n"
    "  --batch N                  mini-batch size (default 128)\n"
    "  --lr X                     Adam learning rate (default 0.001)\n"
    "  --lr-schedule none|cosine  learning-rate schedule (default none)\n"
    "  --dropout P                dropout after each hidden layer (default 0)\n"
    "  --weight-decay W           decoupled weight decay; switches to AdamW (default 0)\n"
    "  --seed S                   initial weights and batch order (default 1)\n"
    "  --threads N                threads (default: all hardware threads)\n"
    "  --out PATH                 where the model is saved (default fashion_mnist_mlp.grove)\n"
    "  -h, --help                 this text\n";

[[noreturn]] void usage(const char*, const std::string& why) {
  std::fprintf(stderr, "grove-fashion-mnist-mlp: %s\n%s", why.c_str(), kUsage);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    static const std::vector<std::string> known = {"--data", "--epochs", "--batch", "--lr", "--lr-schedule",
                                                   "--dropout", "--weight-decay", "--seed", "--threads", "--out"};
    if (std::find(known.begin(), known.end(), k) == known.end()) usage(argv[0], "unknown option '" + k + "'");
    if (i + 1 >= argc) usage(argv[0], "missing value after " + k);
    const std::string v = argv[++i];
    try {
      if (k == "--data") a.data = v;
      else if (k == "--epochs") a.epochs = std::stoul(v);
      else if (k == "--batch") a.batch = std::stoul(v);
      else if (k == "--lr") a.lr = std::stod(v);
      else if (k == "--lr-schedule") a.schedule = v;
      else if (k == "--dropout") a.dropout = std::stod(v);
      else if (k == "--weight-decay") a.weight_decay = std::stod(v);
      else if (k == "--seed") a.seed = std::stoull(v);
      else if (k == "--threads") a.threads = std::stoul(v);
      else if (k == "--out") a.out = v;
      else usage(argv[0], "unknown option " + k);
    } catch (const std::logic_error&) {
      usage(argv[0], "bad value '" + v + "' for " + k);
    }
  }
  if (a.schedule != "none" && a.schedule != "cosine") usage(argv[0], "--lr-schedule must be none or cosine");
  if (a.epochs == 0 || a.batch == 0) usage(argv[0], "--epochs and --batch must be >= 1");
  return a;
}

nn::Sequential<float> make_model(Rng& rng, double dropout) {
  nn::Sequential<float> m;
  m.add(nn::Linear<float>(784, 256, rng)).add(nn::ReLU());
  if (dropout > 0) m.add(nn::Dropout<float>(dropout, rng));
  m.add(nn::Linear<float>(256, 128, rng)).add(nn::ReLU());
  if (dropout > 0) m.add(nn::Dropout<float>(dropout, rng));
  m.add(nn::Linear<float>(128, 10, rng));
  return m;
}

struct Eval {
  double loss = 0, accuracy = 0;
  std::vector<std::int64_t> predictions;
  std::vector<float> logits;
};

/// Loss, accuracy and predictions on a whole set, in eval mode, in chunks of 2000 rows.
Eval evaluate(nn::Module<float>& model, const Tensor<float>& X, const Tensor<float>& y) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  Eval e;
  const std::size_t n = X.shape()[0];
  double loss_sum = 0;
  std::size_t correct = 0;
  for (std::size_t lo = 0; lo < n; lo += 2000) {
    const std::size_t hi = std::min(n, lo + 2000);
    const Tensor<float> xb = X.slice(0, lo, hi).contiguous(), yb = y.slice(0, lo, hi).contiguous();
    const Tensor<float> out = model(xb);
    loss_sum += static_cast<double>(nn::cross_entropy(out, yb).item()) * static_cast<double>(hi - lo);
    const auto pred = out.argmax(1).to_vector();
    const auto lv = out.to_vector();
    e.logits.insert(e.logits.end(), lv.begin(), lv.end());
    for (std::size_t i = 0; i < pred.size(); ++i) {
      correct += static_cast<float>(pred[i]) == yb.data()[i];
      e.predictions.push_back(pred[i]);
    }
  }
  e.loss = loss_sum / static_cast<double>(n);
  e.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  model.train(was_training);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  if (args.threads) set_num_threads(args.threads);
  const std::string files[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                               "t10k-labels-idx1-ubyte.gz"};
  for (const auto& f : files)
    if (!std::filesystem::exists(args.data + "/" + f)) {
      std::fprintf(stderr,
                   "fashion_mnist_mlp: %s/%s not found (install Debian's dataset-fashion-mnist or pass --data DIR)\n",
                   args.data.c_str(), f.c_str());
      return 1;
    }

  try {
    auto train_all = data::load_idx<float>(args.data + "/" + files[0], args.data + "/" + files[1]);
    auto test = data::load_idx<float>(args.data + "/" + files[2], args.data + "/" + files[3]);
    // The last 5,000 training images are the validation set.
    const std::size_t n_all = train_all.X.shape()[0], n_val = 5000, n_train = n_all - n_val;
    Tensor<float> X_train = train_all.X.slice(0, 0, n_train).contiguous();
    Tensor<float> y_train = train_all.y.slice(0, 0, n_train).contiguous();
    Tensor<float> X_val = train_all.X.slice(0, n_train, n_all).contiguous();
    Tensor<float> y_val = train_all.y.slice(0, n_train, n_all).contiguous();
    data::StandardScaler<float> scaler;
    X_train = scaler.fit_transform(X_train);
    X_val = scaler.transform(X_val);
    const Tensor<float> X_test = scaler.transform(test.X);

    Rng rng(args.seed);
    nn::Sequential<float> model = make_model(rng, args.dropout);
    std::unique_ptr<optim::Optimizer<float>> opt;
    if (args.weight_decay > 0)
      opt = std::make_unique<optim::AdamW<float>>(model.parameters(),
                                                  optim::AdamWOptions{.lr = args.lr, .weight_decay = args.weight_decay});
    else
      opt = std::make_unique<optim::Adam<float>>(model.parameters(), optim::AdamOptions{.lr = args.lr});

    data::DataLoader loader(X_train, y_train, args.batch, {.shuffle = true, .seed = args.seed});
    const std::size_t steps_per_epoch = loader.size();
    std::unique_ptr<optim::CosineAnnealingLR> cosine;
    if (args.schedule == "cosine")
      cosine = std::make_unique<optim::CosineAnnealingLR>(*opt, args.epochs * steps_per_epoch);

    std::printf("Fashion-MNIST: %zu train, %zu validation, %zu test; MLP 784-256-128-10 (%zu parameters), %s lr %g, "
                "batch %zu, %zu epochs%s, %zu threads\n",
                n_train, n_val, X_test.shape()[0], model.n_parameters(), args.weight_decay > 0 ? "AdamW" : "Adam",
                args.lr, args.batch, args.epochs, args.schedule == "cosine" ? ", cosine schedule" : "",
                num_threads());
    diag::History history;
    double train_seconds = 0, train_cpu = 0;
    for (std::size_t epoch = 0; epoch < args.epochs; ++epoch) {
      Progress progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(args.epochs), steps_per_epoch);
      const auto t0 = std::chrono::steady_clock::now();
      const std::clock_t c0 = std::clock();
      double loss_sum = 0;
      std::size_t correct = 0, seen = 0, step = 0;
      for (auto& [xb, yb] : loader.epoch(epoch)) {
        opt->zero_grad();
        Tensor<float> logits = model(xb);
        Tensor<float> loss = nn::cross_entropy(logits, yb);
        if (!std::isfinite(loss.item())) {
          // Stop instead of training on garbage; AnomalyGuard would name the op that broke.
          std::fprintf(stderr,
                       "\ngrove-fashion-mnist-mlp: training diverged: loss is %f at epoch %zu step %zu; "
                       "lower --lr or run under grove::AnomalyGuard to find the op\n",
                       static_cast<double>(loss.item()), epoch + 1, step + 1);
          return 1;
        }
        loss.backward();
        opt->step();
        if (cosine) cosine->step();
        const std::size_t m = xb.shape()[0];
        loss_sum += static_cast<double>(loss.item()) * static_cast<double>(m);
        const auto pred = logits.argmax(1).to_vector();
        for (std::size_t i = 0; i < m; ++i) correct += static_cast<float>(pred[i]) == yb.data()[i];
        seen += m;
        char extra[48];
        std::snprintf(extra, sizeof extra, "loss %.4f", loss_sum / static_cast<double>(seen));
        progress.update(++step, extra);
      }
      progress.finish();
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;  // all threads' CPU time
      train_seconds += secs;
      train_cpu += cpu;
      const Eval val = evaluate(model, X_val, y_val);
      history.log(epoch + 1, "train_loss", loss_sum / static_cast<double>(seen));
      history.log(epoch + 1, "train_accuracy", static_cast<double>(correct) / static_cast<double>(seen));
      history.log(epoch + 1, "val_loss", val.loss);
      history.log(epoch + 1, "val_accuracy", val.accuracy);
      history.log(epoch + 1, "seconds", secs);
      std::printf("epoch %2zu  train loss %.4f acc %.4f   val loss %.4f acc %.4f   %.2f s (cpu %.2f s)\n", epoch + 1,
                  history.series("train_loss").back(), history.series("train_accuracy").back(), val.loss, val.accuracy,
                  secs, cpu);
      std::fflush(stdout);
    }

    const Eval result = evaluate(model, X_test, test.y);
    std::printf("test accuracy %.4f (loss %.4f); %.2f s per epoch of training (cpu %.2f s)\n", result.accuracy,
                result.loss, train_seconds / static_cast<double>(args.epochs),
                train_cpu / static_cast<double>(args.epochs));

    nn::save(model, args.out);
    Rng other(args.seed + 1000);
    nn::Sequential<float> reloaded = make_model(other, args.dropout);
    nn::load(reloaded, args.out);
    const Eval again = evaluate(reloaded, X_test, test.y);
    if (again.logits != result.logits || again.predictions != result.predictions) {
      std::fprintf(stderr, "fashion_mnist_mlp: the reloaded model from %s predicts differently\n", args.out.c_str());
      return 1;
    }
    std::printf("saved to %s; reloaded model gives identical outputs on all %zu test images\n", args.out.c_str(),
                X_test.shape()[0]);
  } catch (const Error& e) {
    std::fprintf(stderr, "fashion_mnist_mlp: %s\n", e.what());
    return 1;
  }
  return 0;
}

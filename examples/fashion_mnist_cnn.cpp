// Trains a small CNN on Fashion-MNIST (Debian's dataset-fashion-mnist package):
//   conv(1,32,3,p1)-ReLU-maxpool2-conv(32,64,3,p1)-ReLU-maxpool2-flatten-linear(3136,128)-ReLU-linear(128,10)
// with Adam, logs train/validation loss and accuracy per epoch into a diag::History (written as
// CSV and SVG, and read back by diag::diagnose), prints the test accuracy, and can checkpoint
// after every epoch and resume from a checkpoint (model, optimizer and schedule state), giving
// the same model as an uninterrupted run.
//
//   grove-fashion-mnist-cnn                                  # Adam lr 1e-3, batch 128, 5 epochs
//   grove-fashion-mnist-cnn --epochs 3 --checkpoint ckpt.grove
//   grove-fashion-mnist-cnn --epochs 5 --resume ckpt.grove   # continues at epoch 4
#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/core/progress.hpp>
#include <grove/data/idx.hpp>
#include <grove/data/loader.hpp>
#include <grove/diagnostics/diagnose.hpp>
#include <grove/diagnostics/history.hpp>
#include <grove/diagnostics/plot.hpp>
#include <grove/diagnostics/report.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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
  std::uint64_t seed = 1;
  std::size_t threads = 0;
  std::size_t limit = 0;
  std::string out = "fashion_mnist_cnn.grove";
  std::string history = "fashion_mnist_cnn_history";
  std::string checkpoint;
  std::string resume;
};

const char* kUsage =
    "usage: %s [options]\n"
    "Trains conv(1,32,3,p1)-relu-maxpool2-conv(32,64,3,p1)-relu-maxpool2-flatten-linear(3136,128)-relu-\n"
    "linear(128,10) on Fashion-MNIST with Adam and reports validation and test accuracy.\n"
    "  --data DIR          IDX files (default /usr/share/datasets/fashion-mnist)\n"
    "  --epochs N          epochs to train in total (default 5)\n"
    "  --batch N           mini-batch size (default 128)\n"
    "  --lr X              Adam learning rate (default 1e-3)\n"
    "  --lr-schedule S     none or cosine (per batch, down to 0 at the last step; default none)\n"
    "  --seed S            weights, dropout and shuffling (default 1)\n"
    "  --threads N         worker threads (default: all cores)\n"
    "  --limit N           train on the first N training images only (quick runs)\n"
    "  --out PATH          trained model file (default fashion_mnist_cnn.grove)\n"
    "  --history PREFIX    writes PREFIX.csv and PREFIX.svg (default fashion_mnist_cnn_history)\n"
    "  --checkpoint PATH   saves model + optimizer + schedule after every epoch\n"
    "  --resume PATH       continues from a checkpoint written with --checkpoint\n"
    "  --help              this text\n";

[[noreturn]] void usage(const char* prog, const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "%s: %s\n", prog, why.c_str());
  std::fprintf(why.empty() ? stdout : stderr, kUsage, prog);
  std::exit(why.empty() ? 0 : 2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") usage(argv[0], "");
    if (i + 1 >= argc) usage(argv[0], "missing value after " + k);
    const std::string v = argv[++i];
    try {
      if (k == "--data") a.data = v;
      else if (k == "--epochs") a.epochs = std::stoul(v);
      else if (k == "--batch") a.batch = std::stoul(v);
      else if (k == "--lr") a.lr = std::stod(v);
      else if (k == "--lr-schedule") a.schedule = v;
      else if (k == "--seed") a.seed = std::stoull(v);
      else if (k == "--threads") a.threads = std::stoul(v);
      else if (k == "--limit") a.limit = std::stoul(v);
      else if (k == "--out") a.out = v;
      else if (k == "--history") a.history = v;
      else if (k == "--checkpoint") a.checkpoint = v;
      else if (k == "--resume") a.resume = v;
      else usage(argv[0], "unknown option " + k);
    } catch (const std::logic_error&) {
      usage(argv[0], "bad value '" + v + "' for " + k);
    }
  }
  if (a.schedule != "none" && a.schedule != "cosine") usage(argv[0], "--lr-schedule must be none or cosine");
  if (a.epochs == 0 || a.batch == 0) usage(argv[0], "--epochs and --batch must be >= 1");
  return a;
}

nn::Sequential<float> make_model(Rng& rng) {
  return nn::Sequential<float>{nn::Conv2d<float>(1, 32, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                               nn::Conv2d<float>(32, 64, 3, rng, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
                               nn::Flatten(), nn::Linear<float>(3136, 128, rng), nn::ReLU(),
                               nn::Linear<float>(128, 10, rng)};
}

/// Images [n, 784] with raw pixels 0..255 -> [n, 1, 28, 28] scaled to mean 0, sd 1 with the
/// training set's pixel mean and standard deviation (one value for all pixels, as is usual
/// for images).
Tensor<float> as_images(const Tensor<float>& X, double mean, double sd) {
  std::vector<float> v = X.to_vector();
  for (float& p : v) p = static_cast<float>((p - mean) / sd);
  return Tensor<float>::from_vector(std::move(v), Shape{X.shape()[0], 1, 28, 28});
}

struct Eval {
  double loss = 0, accuracy = 0;
};

/// Loss and accuracy on a whole set, in eval mode, in chunks of 1000 images.
Eval evaluate(nn::Module<float>& model, const Tensor<float>& X, const Tensor<float>& y) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const std::size_t n = X.shape()[0];
  double loss_sum = 0;
  std::size_t correct = 0;
  for (std::size_t lo = 0; lo < n; lo += 1000) {
    const std::size_t hi = std::min(n, lo + 1000);
    const Tensor<float> xb = X.slice(0, lo, hi).contiguous(), yb = y.slice(0, lo, hi).contiguous();
    const Tensor<float> out = model(xb);
    loss_sum += static_cast<double>(nn::cross_entropy(out, yb).item()) * static_cast<double>(hi - lo);
    const auto pred = out.argmax(1).to_vector();
    for (std::size_t i = 0; i < pred.size(); ++i) correct += static_cast<float>(pred[i]) == yb.data()[i];
  }
  model.train(was_training);
  return {loss_sum / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n)};
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
                   "fashion_mnist_cnn: %s/%s not found (install Debian's dataset-fashion-mnist or pass --data DIR)\n",
                   args.data.c_str(), f.c_str());
      return 1;
    }

  try {
    auto train_all = data::load_idx<float>(args.data + "/" + files[0], args.data + "/" + files[1]);
    auto test = data::load_idx<float>(args.data + "/" + files[2], args.data + "/" + files[3]);
    // The last 5,000 training images are the validation set.
    const std::size_t n_all = train_all.X.shape()[0], n_val = 5000;
    const std::size_t n_train = args.limit ? std::min(args.limit, n_all - n_val) : n_all - n_val;
    const Tensor<float> raw_train = train_all.X.slice(0, 0, n_train).contiguous();
    double sum = 0, sum2 = 0;
    for (float p : raw_train.to_vector()) {
      sum += p;
      sum2 += static_cast<double>(p) * p;
    }
    const double cells = static_cast<double>(raw_train.size());
    const double mean = sum / cells, sd = std::sqrt(sum2 / cells - mean * mean);
    const Tensor<float> X_train = as_images(raw_train, mean, sd);
    const Tensor<float> y_train = train_all.y.slice(0, 0, n_train).contiguous();
    const Tensor<float> X_val = as_images(train_all.X.slice(0, n_all - n_val, n_all).contiguous(), mean, sd);
    const Tensor<float> y_val = train_all.y.slice(0, n_all - n_val, n_all).contiguous();
    const Tensor<float> X_test = as_images(test.X, mean, sd);

    Rng rng(args.seed);
    nn::Sequential<float> model = make_model(rng);
    optim::Adam<float> opt(model.parameters(), {.lr = args.lr});
    data::DataLoader loader(X_train, y_train, args.batch, {.shuffle = true, .seed = args.seed});
    const std::size_t steps_per_epoch = loader.size();
    std::unique_ptr<optim::CosineAnnealingLR> cosine;
    if (args.schedule == "cosine") cosine = std::make_unique<optim::CosineAnnealingLR>(opt, args.epochs * steps_per_epoch);

    std::size_t first_epoch = 0;
    if (!args.resume.empty()) {
      first_epoch = optim::load_checkpoint(args.resume, model, opt, cosine.get());
      std::printf("resumed from %s after epoch %zu\n", args.resume.c_str(), first_epoch);
    }
    std::printf("Fashion-MNIST: %zu train, %zu validation, %zu test images; CNN with %zu parameters, Adam lr %g, "
                "batch %zu, %zu epochs%s, seed %llu, %zu threads\n",
                n_train, n_val, X_test.shape()[0], model.n_parameters(), args.lr, args.batch, args.epochs,
                cosine ? ", cosine schedule" : "", static_cast<unsigned long long>(args.seed), num_threads());
    std::fflush(stdout);

    diag::History history;
    double train_seconds = 0, train_cpu = 0;
    for (std::size_t epoch = first_epoch; epoch < args.epochs; ++epoch) {
      Progress progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(args.epochs), steps_per_epoch);
      const auto t0 = std::chrono::steady_clock::now();
      const std::clock_t c0 = std::clock();
      double loss_sum = 0;
      std::size_t correct = 0, seen = 0, step = 0;
      for (auto& [xb, yb] : loader.epoch(epoch)) {
        opt.zero_grad();
        Tensor<float> logits = model(xb);
        Tensor<float> loss = nn::cross_entropy(logits, yb);
        if (!std::isfinite(loss.item())) {
          std::fprintf(stderr, "\ngrove-fashion-mnist-cnn: training diverged (loss %f at epoch %zu step %zu); lower --lr\n",
                       static_cast<double>(loss.item()), epoch + 1, step + 1);
          return 1;
        }
        loss.backward();
        opt.step();
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
      const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
      train_seconds += secs;
      train_cpu += cpu;
      const Eval val = evaluate(model, X_val, y_val);
      history.log(epoch + 1, "train_loss", loss_sum / static_cast<double>(seen));
      history.log(epoch + 1, "train_accuracy", static_cast<double>(correct) / static_cast<double>(seen));
      history.log(epoch + 1, "val_loss", val.loss);
      history.log(epoch + 1, "val_accuracy", val.accuracy);
      history.log(epoch + 1, "seconds", secs);
      std::printf("epoch %2zu  train loss %.4f acc %.4f   val loss %.4f acc %.4f   %.1f s (cpu %.1f s)\n", epoch + 1,
                  history.series("train_loss").back(), history.series("train_accuracy").back(), val.loss, val.accuracy,
                  secs, cpu);
      std::fflush(stdout);
      if (!args.checkpoint.empty()) optim::save_checkpoint(args.checkpoint, model, opt, cosine.get(), epoch + 1);
    }

    const Eval result = evaluate(model, X_test, test.y);
    const std::size_t trained = args.epochs - first_epoch;
    std::printf("test accuracy %.4f (loss %.4f)", result.accuracy, result.loss);
    if (trained) std::printf("; %.1f s per epoch (cpu %.1f s)", train_seconds / trained, train_cpu / trained);
    std::printf("\n");
    if (history.steps().size() >= 2) {
      diag::write_csv(history, args.history + ".csv");
      diag::write_svg(history, args.history + ".svg");
      const diag::Diagnosis d = diag::diagnose(history, "train_loss", "val_loss");
      std::printf("diagnosis (%s.csv): %s\n", args.history.c_str(), d.summary.c_str());
    }
    nn::save(model, args.out);
    std::printf("model saved to %s\n", args.out.c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "fashion_mnist_cnn: %s\n", e.what());
    return 1;
  }
  return 0;
}

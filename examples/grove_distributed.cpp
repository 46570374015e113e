// grove-distributed: train on a CSV file split over MPI ranks.
//
//   mpirun -np K grove-distributed --csv PATH --target NAME --model boosting|mlp --out DIR
//
// Rank r reads only data rows i with i % K == r (it streams past the others); rank 0 infers the
// schema from the head of the file and shares it. Boosting grows the same trees on every rank
// from histograms summed across ranks; the MLP trains data-parallel (gradients averaged each
// step). Rank 0 writes DIR/model.grove (boosting: a GradientBoostingClassifier/Regressor file)
// and prints the fit time, the bytes sent per tree or step, and the final training metric.
// Built with GROVE_WITH_MPI=ON. Run with --help for the options.

#include <grove/distributed.hpp>
#include <grove/metrics.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/tensor.hpp>
#include <grove/trees.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace grove;
using Clock = std::chrono::steady_clock;

const char* kUsage =
    "usage: mpirun -np K grove-distributed --csv PATH --target NAME --out DIR [options]\n"
    "\n"
    "Trains on a CSV file split over the MPI ranks: rank r reads data rows i with i % K == r.\n"
    "\n"
    "  --csv PATH            training data (header row; delimiter detected)\n"
    "  --target NAME         target column: text labels make a classifier, numbers a regressor\n"
    "  --out DIR             rank 0 writes DIR/model.grove (created if missing)\n"
    "  --model boosting|mlp  gradient boosting (default) or a data-parallel MLP\n"
    "  --rounds N            boosting rounds (default 100)\n"
    "  --max-depth N         boosting tree depth (default 6)\n"
    "  --learning-rate X     boosting shrinkage (default 0.1) / MLP Adam step (default 0.001)\n"
    "  --epochs N            MLP epochs (default 10)\n"
    "  --batch N             MLP global batch, split over the ranks (default 256)\n"
    "  --threads N           threads per rank (default 1: one rank per core)\n"
    "  --help                this text\n"
    "\n"
    "The schema (column kinds, categories, classes) is inferred by rank 0 from the first 64 MiB of\n"
    "the file; a class first seen later is reported with its line. The MLP standardizes features\n"
    "(and a numeric target) with the mean and deviation over all ranks (missing values become 0,\n"
    "the mean); its file holds the network's parameters only.\n";

struct Options {
  std::string csv, target, out, model = "boosting";
  std::size_t rounds = 100, max_depth = 6, epochs = 10, batch = 256, threads = 1;
  double learning_rate = -1.0;
  bool help = false;
};

std::size_t parse_count(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-' || v == 0)
    throw ValueError("grove-distributed: " + flag + " needs a positive integer, got '" + text + "'");
  return static_cast<std::size_t>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
      continue;
    }
    if (i + 1 >= argc) throw ValueError("grove-distributed: " + a + " needs a value (see --help)");
    const std::string v = argv[++i];
    if (a == "--csv") o.csv = v;
    else if (a == "--target") o.target = v;
    else if (a == "--out") o.out = v;
    else if (a == "--model") o.model = v;
    else if (a == "--rounds") o.rounds = parse_count(a, v);
    else if (a == "--max-depth") o.max_depth = parse_count(a, v);
    else if (a == "--epochs") o.epochs = parse_count(a, v);
    else if (a == "--batch") o.batch = parse_count(a, v);
    else if (a == "--threads") o.threads = parse_count(a, v);
    else if (a == "--learning-rate") {
      try {
        o.learning_rate = std::stod(v);
      } catch (const std::exception&) {
        o.learning_rate = -1.0;
      }
      if (!(o.learning_rate > 0.0)) throw ValueError("grove-distributed: --learning-rate needs a number > 0, got '" + v + "'");
    } else {
      throw ValueError("grove-distributed: unknown option '" + a + "' (see --help)");
    }
  }
  if (o.help) return o;
  if (o.csv.empty() || o.target.empty() || o.out.empty())
    throw ValueError("grove-distributed: --csv, --target and --out are required (see --help)");
  if (o.model != "boosting" && o.model != "mlp")
    throw ValueError("grove-distributed: --model must be boosting or mlp, got '" + o.model + "'");
  return o;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The mean of a per-rank value over the ranks.
double mean_over_ranks(distributed::Communicator& comm, double v) {
  double s[1] = {v};
  comm.allreduce(std::span<double>(s, 1));
  return s[0] / comm.size();
}

void print_line(distributed::Communicator& comm, const std::string& text) {
  if (comm.rank() == 0) std::cout << text << "\n";
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

template <class Model>
void run_boosting(distributed::Communicator& comm, const Options& o, const data::Schema& schema,
                  const distributed::CsvShard<float>& shard) {
  typename Model::Params p;
  p.n_estimators = o.rounds;
  p.max_depth = static_cast<int>(o.max_depth);
  if (o.learning_rate > 0.0) p.learning_rate = o.learning_rate;
  distributed::BoostingReport rep;
  comm.barrier();
  const auto t0 = Clock::now();
  const Model model = distributed::fit_boosting<Model>(comm, p, shard.X, shard.y, {.schema = schema, .report = &rep});
  const double fit_s = seconds_since(t0);
  std::size_t splits = 0;
  for (const auto& t : model.trees())
    for (std::size_t i = 0; i < t.nodes.size(); ++i) splits += t.is_leaf(i) ? 0 : 1;
  const double trees = static_cast<double>(rep.trees);
  const double bytes_per_tree = mean_over_ranks(comm, static_cast<double>(rep.training_bytes)) / trees;
  const double hist_per_tree = static_cast<double>(rep.histogram_values) * 8.0 / trees;
  const std::size_t d = shard.X.shape(1);
  const double naive_per_tree = static_cast<double>(splits) / static_cast<double>(model.trees().size()) * 2.0 *
                                static_cast<double>(d) * static_cast<double>(p.max_bins) * 16.0;
  if (comm.rank() == 0) {
    std::filesystem::create_directories(o.out);
    model.save((std::filesystem::path(o.out) / "model.grove").string());
  }
  print_line(comm, "model           " + std::string(Model::kClassifier ? "GradientBoostingClassifier" : "GradientBoostingRegressor"));
  print_line(comm, "ranks           " + std::to_string(comm.size()) + " (" + std::to_string(o.threads) + " thread(s) each)");
  print_line(comm, "rows x features " + std::to_string(rep.rows) + " x " + std::to_string(d));
  print_line(comm, "fit time        " + fixed(fit_s, 3) + " s (" + std::to_string(rep.trees) + " trees)");
  print_line(comm, "bin edges       " + fixed(mean_over_ranks(comm, double(rep.bin_edge_bytes)), 0) + " bytes sent per rank");
  print_line(comm, "bytes per tree  " + fixed(bytes_per_tree, 0) + " sent per rank; histograms summed " + fixed(hist_per_tree, 0) +
                       " bytes; naive allreduce (2 x features x bins x 16 per split) " + fixed(naive_per_tree, 0));
  std::string metric = "rmse";
  if constexpr (Model::kClassifier) metric = model.n_classes() > 2 ? "multiclass logloss" : "logloss";
  print_line(comm, "train " + metric + std::string(std::max<int>(1, 10 - int(metric.size())), ' ') + fixed(rep.train_loss, 6));
  print_line(comm, "saved           " + (std::filesystem::path(o.out) / "model.grove").string());
}

// Features standardized with the mean and deviation over all ranks; missing values become 0.
Tensor<float> standardized(distributed::Communicator& comm, const Tensor<float>& X) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  std::vector<double> s(3 * d, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t f = 0; f < d; ++f)
      if (const double x = X.data()[i * d + f]; !std::isnan(x)) s[f] += x, s[d + f] += x * x, s[2 * d + f] += 1.0;
  comm.allreduce(std::span<double>(s));
  std::vector<float> out(n * d);
  for (std::size_t f = 0; f < d; ++f) {
    const double c = std::max(s[2 * d + f], 1.0), mean = s[f] / c;
    const double sd = std::sqrt(std::max(s[d + f] / c - mean * mean, 0.0));
    for (std::size_t i = 0; i < n; ++i) {
      const double x = X.data()[i * d + f];
      out[i * d + f] = std::isnan(x) ? 0.0f : static_cast<float>((x - mean) / (sd > 0.0 ? sd : 1.0));
    }
  }
  return Tensor<float>::from_vector(std::move(out), Shape{n, d});
}

void run_mlp(distributed::Communicator& comm, const Options& o, const data::Schema& schema,
             const distributed::CsvShard<float>& shard) {
  const bool classify = schema.target_kind == data::TargetKind::Categorical;
  const std::size_t n = shard.X.shape(0), d = shard.X.shape(1);
  const std::size_t outputs = classify ? schema.class_names.size() : 1;
  const Tensor<float> X = standardized(comm, shard.X);
  // A regression target is standardized too (the printed mse is in those units).
  const Tensor<float> y = classify ? shard.y : standardized(comm, shard.y.reshape(Shape{n, 1})).reshape(Shape{n});
  std::int64_t counts[2] = {static_cast<std::int64_t>(n), static_cast<std::int64_t>(n)};
  comm.allreduce(std::span<std::int64_t>(counts, 1));
  comm.allreduce(std::span<std::int64_t>(counts + 1, 1), distributed::ReduceOp::Max);
  const auto K = static_cast<std::size_t>(comm.size());
  const std::size_t local_batch = std::max<std::size_t>(1, o.batch / K);
  const std::size_t steps = (static_cast<std::size_t>(counts[1]) + local_batch - 1) / local_batch;
  Rng rng(0);
  nn::Sequential<float> net{nn::Linear<float>(d, 64, rng), nn::ReLU<float>(), nn::Linear<float>(64, outputs, rng)};
  distributed::DataParallel<float> dp(comm, net.parameters());
  optim::Adam<float> opt(net.parameters(), {.lr = o.learning_rate > 0.0 ? o.learning_rate : 1e-3});
  auto loss_of = [&](const Tensor<float>& x, const Tensor<float>& y) {
    return classify ? nn::cross_entropy(net(x), y) : nn::mse_loss(net(x), y.reshape(Shape{y.size(), 1}));
  };
  comm.barrier();
  const auto t0 = Clock::now();
  dp.broadcast_parameters();
  const std::uint64_t bytes0 = comm.bytes_sent();
  std::size_t total_steps = 0;
  for (std::size_t e = 0; e < o.epochs; ++e) {
    for (std::size_t s = 0; s < steps; ++s, ++total_steps) {
      const std::size_t lo = std::min(n, s * local_batch), hi = std::min(n, lo + local_batch);
      opt.zero_grad();
      if (hi > lo) loss_of(X.slice(0, lo, hi).contiguous(), y.slice(0, lo, hi).contiguous()).backward();
      dp.average_gradients(hi - lo);
      opt.step();
    }
  }
  const double fit_s = seconds_since(t0);
  const double bytes_per_step = mean_over_ranks(comm, double(comm.bytes_sent() - bytes0)) / double(total_steps);
  double sums[2] = {0.0, static_cast<double>(n)};
  if (n > 0) {
    NoGradGuard no_grad;
    sums[0] = static_cast<double>(loss_of(X, y).item()) * static_cast<double>(n);
  }
  comm.allreduce(std::span<double>(sums, 2));
  if (comm.rank() == 0) {
    std::filesystem::create_directories(o.out);
    nn::save(net, (std::filesystem::path(o.out) / "model.grove").string());
  }
  print_line(comm, "model           MLP " + std::to_string(d) + "-64-" + std::to_string(outputs) + " (Adam, data-parallel)");
  print_line(comm, "ranks           " + std::to_string(comm.size()) + " (" + std::to_string(o.threads) + " thread(s) each)");
  print_line(comm, "rows x features " + std::to_string(counts[0]) + " x " + std::to_string(d));
  print_line(comm, "fit time        " + fixed(fit_s, 3) + " s (" + std::to_string(total_steps) + " steps, " +
                       std::to_string(dp.buckets()) + " allreduce bucket(s) a step)");
  print_line(comm, "bytes per step  " + fixed(bytes_per_step, 0) + " sent per rank");
  print_line(comm, std::string(classify ? "train cross-entropy " : "train mse (standardized target) ") + fixed(sums[0] / sums[1], 6));
  print_line(comm, "saved           " + (std::filesystem::path(o.out) / "model.grove").string());
}

int run(distributed::Communicator& comm, const Options& o) {
  set_num_threads(o.threads);
  const data::Schema schema = distributed::agree_csv_schema(comm, o.csv, {.target = o.target});
  if (schema.target_kind != data::TargetKind::Categorical && schema.target_kind != data::TargetKind::Numeric)
    throw ValueError("grove-distributed: target '" + o.target + "' was not read as classes or numbers");
  distributed::CsvShard<float> shard;
  distributed::on_every_rank(comm, "grove-distributed: reading " + o.csv,
                             [&] { shard = distributed::read_csv_shard<float>(o.csv, schema, comm.rank(), comm.size()); });
  if (o.model == "mlp")
    run_mlp(comm, o, schema, shard);
  else if (schema.target_kind == data::TargetKind::Categorical)
    run_boosting<trees::GradientBoostingClassifier>(comm, o, schema, shard);
  else
    run_boosting<trees::GradientBoostingRegressor>(comm, o, schema, shard);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  distributed::MpiSession mpi(argc, argv);
  distributed::MpiCommunicator comm;
  try {
    const Options o = parse(argc, argv);
    if (o.help) {
      if (comm.rank() == 0) std::cout << kUsage;
      return 0;
    }
    return run(comm, o);
  } catch (const distributed::DistributedError& e) {
    if (comm.rank() == 0) std::cerr << e.what() << "\n";  // every rank has the same message
    return 1;
  } catch (const std::exception& e) {
    // Options errors are the same on every rank; others are this rank's own.
    if (comm.rank() == 0 || std::string(e.what()).rfind("grove-distributed:", 0) != 0)
      std::cerr << (comm.size() > 1 ? "rank " + std::to_string(comm.rank()) + ": " : std::string()) << e.what() << "\n";
    return 1;
  }
}

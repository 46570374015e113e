// Distributed boosting benchmark: `mpirun -np K grove_bench_distributed [--rows N] [--features D]
// [--rounds R] [--depth H] [--bins B] [--threads T]`. Each rank generates its own rows (rows i with
// i % K == rank of one synthetic data set, so every K trains on the same union), then times
// distributed::fit_boosting. Prints one line of key=value pairs (rank 0): the fit time, and per
// tree the bytes each rank sent, the histogram bytes summed, and what a naive allreduce of both
// children's full histograms at every split would move (2 x features x bins x 16 bytes a split).
#include <grove/distributed.hpp>
#include <grove/trees.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace grove;

int main(int argc, char** argv) {
  distributed::MpiSession mpi(argc, argv);
  distributed::MpiCommunicator comm;
  std::size_t rows = 400000, d = 28, rounds = 50, depth = 6, bins = 255, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::size_t v = std::stoul(argv[i + 1]);
    if (a == "--rows") rows = v;
    else if (a == "--features") d = v;
    else if (a == "--rounds") rounds = v;
    else if (a == "--depth") depth = v;
    else if (a == "--bins") bins = v;
    else if (a == "--threads") threads = v;
    else {
      if (comm.rank() == 0) std::fprintf(stderr, "grove_bench_distributed: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  set_num_threads(threads);
  const auto K = static_cast<std::size_t>(comm.size()), r = static_cast<std::size_t>(comm.rank());
  std::vector<float> x, y;
  for (std::size_t i = r; i < rows; i += K) {
    Rng rng = Rng(7).stream(i);  // row i's values do not depend on K
    double s = 0.0;
    for (std::size_t f = 0; f < d; ++f) {
      const double v = rng.normal();
      x.push_back(static_cast<float>(v));
      if (f < 6) s += (f % 2 ? -1.0 : 1.0) * v * (f < 3 ? 1.0 : v);
    }
    y.push_back(s + 0.5 * rng.normal() > 0.0 ? 1.0f : 0.0f);
  }
  const std::size_t n = y.size();
  const Tensor<float> X = Tensor<float>::from_vector(std::move(x), Shape{n, d});
  const Tensor<float> Y = Tensor<float>::from_vector(std::move(y), Shape{n});
  trees::GradientBoostingClassifierParams p;
  p.n_estimators = rounds;
  p.max_depth = static_cast<int>(depth);
  p.max_bins = bins;
  distributed::BoostingReport rep;
  comm.barrier();
  const auto t0 = std::chrono::steady_clock::now();
  const auto model = distributed::fit_boosting<trees::GradientBoostingClassifier>(comm, p, X, Y, {.report = &rep});
  comm.barrier();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double sent[1] = {static_cast<double>(rep.training_bytes)};
  comm.allreduce(std::span<double>(sent, 1));
  std::size_t splits = 0;
  for (const auto& t : model.trees())
    for (std::size_t i = 0; i < t.nodes.size(); ++i) splits += t.is_leaf(i) ? 0 : 1;
  const double trees = static_cast<double>(model.trees().size());
  if (comm.rank() == 0)
    std::printf("ranks=%zu threads=%zu rows=%zu features=%zu bins=%zu rounds=%zu depth=%zu fit_s=%.4f trees=%zu "
                "splits_per_tree=%.1f bytes_sent_per_tree_per_rank=%.0f histogram_bytes_per_tree=%.0f "
                "naive_bytes_per_tree=%.0f bin_edge_bytes_per_rank=%llu train_logloss=%.6f\n",
                K, threads, rows, d, bins, rounds, depth, secs, model.trees().size(), double(splits) / trees,
                sent[0] / double(K) / trees, double(rep.histogram_values) * 8.0 / trees,
                double(splits) / trees * 2.0 * double(d) * double(bins) * 16.0,
                static_cast<unsigned long long>(rep.bin_edge_bytes), rep.train_loss);
  return 0;
}

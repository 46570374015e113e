// Where a boosting fit spends its CPU time, phase by phase, and how well two threads can share it.
//
// Drives the engine pieces as the boosting engine does (bin the data; per round: gradients, grow
// one tree, shrink its leaves and move the margins) and times each with the thread's CPU clock,
// which other jobs on a loaded machine do not inflate the way they do wall time. Every chunk of
// the grower's parallel regions is timed through a RegionRunner. From one single-threaded run
// it reports CPU time per phase, and replays the recorded chunks on T simulated threads taking
// chunks in order (as grove's pool does): the sum of the regions' spans plus the serial code is
// the fit time T threads would reach on a quiet machine, before thread wake-up costs (given as
// a per-region figure). Run with threads > 1 it also reports each thread's busy CPU time.
//
// Usage: grove_trees_phases <data prefix> <rows> <features> <rounds> [threads] [--check]
//   the data files are the ones benchmarks/compare/trees_compare.py writes (<prefix>.X, .y);
//   the first 80 % of rows train, as in the comparison. --check also fits
//   GradientBoostingClassifier and requires its trees to equal the driven ones bit for bit.
#include <grove/trees.hpp>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace grove;
using namespace grove::detail;

double thread_cpu() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

constexpr const char* kPhaseNames[] = {"root sums", "partition", "gather", "histograms+splits"};

// Records every region's chunk times, and each thread's busy time.
class TimingRunner : public RegionRunner {
public:
  struct Region {
    int phase;
    std::vector<double> chunks;
  };
  std::vector<Region> regions;
  std::map<std::thread::id, double> busy;
  std::mutex m;

  void run(GrowPhase phase, std::size_t n, const std::function<void(std::size_t)>& body) override {
    Region r{static_cast<int>(phase), std::vector<double>(n)};
    parallel_for_chunks(n, [&](std::size_t c) {
      const double t0 = thread_cpu();
      body(c);
      r.chunks[c] = thread_cpu() - t0;
      const std::lock_guard<std::mutex> lock(m);
      busy[std::this_thread::get_id()] += r.chunks[c];
    });
    regions.push_back(std::move(r));
  }
};

// The span of chunks taken in order by T threads, each taking the next chunk when free.
double span(const std::vector<double>& chunks, std::size_t T) {
  std::vector<double> free_at(T, 0.0);
  for (double c : chunks) *std::min_element(free_at.begin(), free_at.end()) += c;
  return *std::max_element(free_at.begin(), free_at.end());
}

// `total` seconds of work cut into `n` equal chunks (regions timed only as a whole).
std::vector<double> equal_chunks(double total, std::size_t n) {
  return std::vector<double>(n, total / static_cast<double>(std::max<std::size_t>(n, 1)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s <data prefix> <rows> <features> <rounds> [threads] [--check]\n", argv[0]);
    return 2;
  }
  const std::string prefix = argv[1];
  const std::size_t n_all = std::stoul(argv[2]), d = std::stoul(argv[3]), rounds = std::stoul(argv[4]);
  const std::size_t threads = argc > 5 ? std::stoul(argv[5]) : 1;
  const bool check = argc > 6 && std::strcmp(argv[6], "--check") == 0;
  set_num_threads(threads);
  const std::size_t n = n_all * 8 / 10;
  std::vector<float> X(n * d), y(n);
  {
    std::ifstream fx(prefix + ".X", std::ios::binary), fy(prefix + ".y", std::ios::binary);
    fx.read(reinterpret_cast<char*>(X.data()), static_cast<std::streamsize>(n * d * sizeof(float)));
    fy.read(reinterpret_cast<char*>(y.data()), static_cast<std::streamsize>(n * sizeof(float)));
    if (!fx || !fy) {
      std::fprintf(stderr, "cannot read %zu rows of %zu features from %s.X/.y\n", n, d, prefix.c_str());
      return 1;
    }
  }
  // The comparison's settings: 255 bins, depth 6, lr 0.1, l2 1, min_child_weight 1, no row bound.
  const trees::GradientBoostingClassifierParams params{.n_estimators = rounds, .learning_rate = 0.1, .max_depth = 6,
                                                       .max_bins = 255, .l2 = 1.0, .min_child_weight = 1.0,
                                                       .min_samples_leaf = 0};
  const BoostingConfig cfg = boosting_config(params);

  double t0 = thread_cpu();
  const trees::BinMapper mapper = trees::BinMapper::fit(X.data(), n, d, cfg.max_bins);
  const double t_edges = thread_cpu() - t0;
  t0 = thread_cpu();
  const trees::BinnedMatrix binned = trees::BinnedMatrix::build(mapper, X.data(), n, d);
  const double t_codes = thread_cpu() - t0;

  const std::vector<double> base = base_scores(Loss::Logistic, 1, y.data(), n);
  std::vector<double> margin(n, base[0]);
  std::vector<std::vector<float>> stats(1, std::vector<float>(2 * n));
  std::vector<std::uint32_t> all(n), rows, features(d);
  for (std::size_t i = 0; i < n; ++i) all[i] = static_cast<std::uint32_t>(i);
  for (std::size_t f = 0; f < d; ++f) features[f] = static_cast<std::uint32_t>(f);
  TreeGrower grower(mapper, binned, cfg.grower);
  TimingRunner runner;
  grower.set_region_runner(&runner);
  std::vector<TreeGrower::Leaf> leaves;
  std::vector<double> gain(d, 0.0);
  std::vector<trees::Tree> grown;
  double t_grad = 0, t_grow = 0, t_shrink = 0, t_copy = 0;
  std::vector<double> shrink_chunks;
  for (std::size_t r = 0; r < rounds; ++r) {
    t0 = thread_cpu();
    gradients(Loss::Logistic, 1, margin.data(), y.data(), n, stats, false);
    t_grad += thread_cpu() - t0;
    t0 = thread_cpu();
    rows = all;
    t_copy += thread_cpu() - t0;
    Rng rng = Rng(cfg.seed).stream(r);
    t0 = thread_cpu();
    trees::Tree tree = grower.grow(rows, stats[0].data(), features, rng, gain, leaves);
    t_grow += thread_cpu() - t0;
    t0 = thread_cpu();
    for (const TreeGrower::Leaf& lf : leaves) {
      const double c0 = thread_cpu();
      const auto node = static_cast<std::size_t>(lf.node);
      const float v = static_cast<float>(static_cast<double>(tree.nodes[node].threshold) * cfg.learning_rate);
      tree.set_leaf_values(node, &v);
      for (std::size_t i = lf.begin; i < lf.end; ++i) margin[rows[i]] += static_cast<double>(v);
      shrink_chunks.push_back(thread_cpu() - c0);
    }
    t_shrink += thread_cpu() - t0;
    if (check) grown.push_back(std::move(tree));
  }

  // CPU time per grower phase (chunks), and the grower's serial remainder.
  double phase_cpu[4] = {}, phase_span[4][3] = {};
  const std::size_t sim[3] = {1, 2, 4};
  std::size_t phase_regions[4] = {};
  for (const auto& reg : runner.regions) {
    for (double c : reg.chunks) phase_cpu[reg.phase] += c;
    for (int s = 0; s < 3; ++s) phase_span[reg.phase][s] += span(reg.chunks, sim[s]);
    ++phase_regions[reg.phase];
  }
  double chunk_total = 0;
  for (double c : phase_cpu) chunk_total += c;
  const double grow_serial = threads == 1 ? t_grow - chunk_total : 0.0;
  const std::size_t grad_blocks = (n + kLossBlock - 1) / kLossBlock;
  const std::size_t bin_tasks = ((n + (1 << 15) - 1) >> 15) * binned.n_groups();

  std::printf("grove boosting fit phases: %zu x %zu (train), %zu rounds, depth 6, 255 bins; %zu thread(s)\n", n, d,
              rounds, threads);
  std::printf("  %-22s %10s %8s %9s %12s %12s\n", "phase", "CPU s", "share", "regions", "span 2T (s)", "span 4T (s)");
  struct Row {
    const char* name;
    double cpu;
    std::size_t regions;
    double span2, span4;
  };
  std::vector<Row> table;
  table.push_back({"bin edges (quantiles)", t_edges, 1, span(equal_chunks(t_edges, d), 2), span(equal_chunks(t_edges, d), 4)});
  table.push_back({"bin codes", t_codes, 1, span(equal_chunks(t_codes, bin_tasks), 2), span(equal_chunks(t_codes, bin_tasks), 4)});
  table.push_back({"gradients", t_grad, rounds, rounds * span(equal_chunks(t_grad / static_cast<double>(rounds), grad_blocks), 2),
                   rounds * span(equal_chunks(t_grad / static_cast<double>(rounds), grad_blocks), 4)});
  for (int p = 0; p < 4; ++p)
    table.push_back({kPhaseNames[p], phase_cpu[p], phase_regions[p], phase_span[p][1], phase_span[p][2]});
  table.push_back({"grower serial code", grow_serial, 0, grow_serial, grow_serial});
  table.push_back({"row list copy", t_copy, 0, t_copy, t_copy});
  // Leaves of one tree in order on T threads (the engine's shrink is one region per tree).
  double shrink2 = 0, shrink4 = 0;
  {
    std::size_t k = 0;
    for (std::size_t r = 0; r < rounds; ++r) {
      const std::size_t per = shrink_chunks.size() / rounds;
      std::vector<double> one(shrink_chunks.begin() + static_cast<std::ptrdiff_t>(k),
                              shrink_chunks.begin() + static_cast<std::ptrdiff_t>(k + per));
      shrink2 += span(one, 2);
      shrink4 += span(one, 4);
      k += per;
    }
  }
  table.push_back({"shrink leaves, margins", t_shrink, rounds, shrink2, shrink4});
  double total = 0, total2 = 0, total4 = 0;
  std::size_t total_regions = 0;
  for (const Row& row : table) {
    total += row.cpu;
    total2 += row.span2;
    total4 += row.span4;
    total_regions += row.regions;
  }
  for (const Row& row : table)
    std::printf("  %-22s %10.3f %7.1f%% %9zu %12.3f %12.3f\n", row.name, row.cpu, 100.0 * row.cpu / total, row.regions,
                row.span2, row.span4);
  std::printf("  %-22s %10.3f %7.1f%% %9zu %12.3f %12.3f\n", "total", total, 100.0, total_regions, total2, total4);
  if (threads == 1) {
    std::printf("  replayed speedup: 2 threads %.2fx, 4 threads %.2fx (no wake-up cost)\n", total / total2, total / total4);
    for (double us : {5.0, 20.0})
      std::printf("  with %.0f us per parallel region: 2 threads %.2fx\n", us,
                  total / (total2 + 1e-6 * us * static_cast<double>(total_regions)));
  } else {
    std::printf("  busy CPU per thread in the grower's regions:");
    for (const auto& [id, b] : runner.busy) std::printf(" %.3f", b);
    std::printf(" s\n");
  }
  double loss = 0;
  for (std::size_t i = 0; i < n; ++i) loss += row_loss(Loss::Logistic, 1, &margin[i], y[i]);
  std::printf("  train logloss %.6f\n", loss / static_cast<double>(n));

  if (check) {
    Tensor<float> Xt = Tensor<float>::from_vector(X, Shape{n, d}), yt = Tensor<float>::from_vector(y, Shape{n});
    trees::GradientBoostingClassifier m(params);
    m.fit(Xt, yt);
    bool same = m.trees().size() == grown.size();
    for (std::size_t t = 0; same && t < grown.size(); ++t)
      same = m.trees()[t].nodes.size() == grown[t].nodes.size() &&
             std::memcmp(m.trees()[t].nodes.data(), grown[t].nodes.data(), grown[t].nodes.size() * sizeof(trees::TreeNode)) == 0;
    std::printf("  check: driven trees %s the model's\n", same ? "equal" : "DIFFER FROM");
    if (!same) return 1;
  }
  return 0;
}

// Data and metrics benchmarks: CSV parse throughput (numeric; with quoted categorical text, listed
// or inferred; in CsvReader batches with a schema) and the label/score metrics on 1e6 rows. The
// side-by-side run against pandas is benchmarks/compare/csv_pandas.py.
#include <grove/core/rng.hpp>
#include <grove/data/csv.hpp>
#include <grove/data/csv_reader.hpp>
#include <grove/metrics.hpp>

#include <benchmark/benchmark.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

namespace {

// Writes rows x 28 numbers (optionally with a quoted text column) to /tmp once per process.
std::string make_csv(bool with_text) {
  const std::string path = std::string("/tmp/grove_bench_data_") + (with_text ? "text" : "num") + ".csv";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return path;
  std::string line;
  for (int c = 0; c < 27; ++c) {
    line += 'f';
    line += std::to_string(c);
    line += ',';
  }
  line += with_text ? "city,y\n" : "y\n";
  std::fputs(line.c_str(), f);
  grove::Rng rng(5);
  char buf[32];
  for (int r = 0; r < 100000; ++r) {
    line.clear();
    for (int c = 0; c < 27; ++c) {
      auto res = std::to_chars(buf, buf + sizeof buf, static_cast<float>(rng.normal()), std::chars_format::general, 7);
      line.append(buf, res.ptr);
      line += ',';
    }
    if (with_text) line += rng.uniform() < 0.5 ? "\"Paris, FR\"," : "\"Lyon, FR\",";
    line += rng.uniform() < 0.3 ? "1\n" : "0\n";
    std::fwrite(line.data(), 1, line.size(), f);
  }
  std::fclose(f);
  return path;
}

std::size_t file_bytes(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return 0;
  std::fseek(f, 0, SEEK_END);
  const long n = std::ftell(f);
  std::fclose(f);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void BM_LoadCsvNumeric(benchmark::State& state) {
  static const std::string path = make_csv(false);
  for (auto _ : state) benchmark::DoNotOptimize(grove::data::load_csv<float>(path).X.data());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * file_bytes(path)));
}
BENCHMARK(BM_LoadCsvNumeric)->Unit(benchmark::kMillisecond);

void BM_LoadCsvQuotedCategorical(benchmark::State& state) {
  static const std::string path = make_csv(true);
  for (auto _ : state)
    benchmark::DoNotOptimize(grove::data::load_csv<float>(path, {.categorical = {"city"}}).X.data());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * file_bytes(path)));
}
BENCHMARK(BM_LoadCsvQuotedCategorical)->Unit(benchmark::kMillisecond);

// The same file with nothing listed: the text column's kind is inferred while streaming.
void BM_LoadCsvInferredCategorical(benchmark::State& state) {
  static const std::string path = make_csv(true);
  for (auto _ : state) benchmark::DoNotOptimize(grove::data::load_csv<float>(path).X.data());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * file_bytes(path)));
}
BENCHMARK(BM_LoadCsvInferredCategorical)->Unit(benchmark::kMillisecond);

// Scoring-style reading: the training schema, batches of 4096 rows.
void BM_CsvReaderBatches(benchmark::State& state) {
  static const std::string path = make_csv(true);
  static const grove::data::Schema schema = grove::data::load_csv<float>(path).schema();
  for (auto _ : state) {
    grove::data::CsvReader<float> reader(path, {.schema = schema});
    std::size_t rows = 0;
    while (auto batch = reader.next(4096)) rows += batch->size();
    benchmark::DoNotOptimize(rows);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * file_bytes(path)));
}
BENCHMARK(BM_CsvReaderBatches)->Unit(benchmark::kMillisecond);

constexpr std::size_t kRows = 1000000;

void BM_RocAucBinary(benchmark::State& state) {
  grove::Rng rng(1);
  std::vector<int> y(kRows);
  std::vector<float> s(kRows);
  for (std::size_t i = 0; i < kRows; ++i) {
    y[i] = rng.uniform() < 0.3;
    s[i] = static_cast<float>(rng.uniform() + 0.3 * y[i]);
  }
  const auto yt = grove::Tensor<int>::from_vector(y);
  const auto st = grove::Tensor<float>::from_vector(s);
  for (auto _ : state) benchmark::DoNotOptimize(grove::metrics::roc_auc(yt, st));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_RocAucBinary)->Unit(benchmark::kMillisecond);

void BM_F1Macro10Classes(benchmark::State& state) {
  grove::Rng rng(2);
  std::vector<std::int64_t> a(kRows), b(kRows);
  for (std::size_t i = 0; i < kRows; ++i) {
    a[i] = static_cast<std::int64_t>(rng.below(10));
    b[i] = rng.uniform() < 0.8 ? a[i] : static_cast<std::int64_t>(rng.below(10));
  }
  const auto yt = grove::Tensor<std::int64_t>::from_vector(a);
  const auto yp = grove::Tensor<std::int64_t>::from_vector(b);
  for (auto _ : state) benchmark::DoNotOptimize(grove::metrics::f1(yt, yp));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_F1Macro10Classes)->Unit(benchmark::kMillisecond);

}  // namespace

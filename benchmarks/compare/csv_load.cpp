// The grove side of the CSV comparison (driven by csv_pandas.py).
//   grove_compare_csv_load generate <path> <rows> <cols>   write a deterministic numeric CSV
//   grove_compare_csv_load load <path> float|double          parse it, print one JSON line
// Peak RSS is the process's ru_maxrss; "rss_before" is VmRSS just before load_csv, so the
// difference is what parsing cost.
#include <grove/core/rng.hpp>
#include <grove/data/csv.hpp>

#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

long vm_rss_kb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtol(line + 6, nullptr, 10);
  std::fclose(f);
  return kb;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int generate(const char* path, long rows, long cols) {
  std::FILE* f = std::fopen(path, "wb");
  if (!f) {
    std::perror(path);
    return 1;
  }
  std::string line;
  for (long c = 0; c + 1 < cols; ++c) {
    line += 'f';
    line += std::to_string(c);
    line += ',';
  }
  line += "target\n";
  std::fputs(line.c_str(), f);
  grove::Rng rng(2024);
  char buf[32];
  for (long r = 0; r < rows; ++r) {
    line.clear();
    for (long c = 0; c + 1 < cols; ++c) {
      // Mixed magnitudes, 7 significant digits: what float features written by a tool look like.
      const double v = rng.normal() * (c % 4 == 0 ? 1000.0 : 1.0);
      auto res = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v), std::chars_format::general, 7);
      line.append(buf, res.ptr);
      line += ',';
    }
    line += rng.uniform() < 0.3 ? "1\n" : "0\n";
    std::fwrite(line.data(), 1, line.size(), f);
  }
  std::fclose(f);
  return 0;
}

template <class T>
int load(const char* path) {
  const long before = vm_rss_kb();
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  const auto ds = grove::data::load_csv<T>(path);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - c0;
  double check = 0;  // touch the result so nothing is optimised away
  for (float v : ds.y.to_vector()) check += v;
  std::printf("{\"rows\": %zu, \"cols\": %zu, \"seconds\": %.4f, \"cpu_seconds\": %.4f, \"peak_rss_kb\": %ld, "
              "\"rss_before_kb\": %ld, \"y_sum\": %.1f}\n",
              ds.size(), ds.n_features() + 1, s, cpu, peak_rss_kb(), before, check);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "generate") == 0)
    return generate(argv[2], std::atol(argv[3]), std::atol(argv[4]));
  if (argc == 4 && std::strcmp(argv[1], "load") == 0) {
    if (std::strcmp(argv[3], "float") == 0) return load<float>(argv[2]);
    if (std::strcmp(argv[3], "double") == 0) return load<double>(argv[2]);
  }
  std::fprintf(stderr, "usage: %s generate <path> <rows> <cols> | load <path> float|double\n", argv[0]);
  return 2;
}

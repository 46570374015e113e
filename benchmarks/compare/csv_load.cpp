// The grove side of the CSV comparison (driven by csv_pandas.py).
//   grove_compare_csv_load generate <path> <rows> <cols>   write a deterministic numeric CSV
//   grove_compare_csv_load generate-mixed <path> <rows>      numbers, text categories, an id column
//   grove_compare_csv_load load <path> float|double          parse it (inferring column kinds), print one JSON line
// Peak RSS is the process's VmHWM; "rss_before" is VmRSS just before load_csv, so the
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

// A "Vm...:" line of /proc/self/status in kB (-1 when absent).
long proc_status_kb(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  const std::size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, key, n) == 0) kb = std::strtol(line + n, nullptr, 10);
  std::fclose(f);
  return kb;
}

long vm_rss_kb() { return proc_status_kb("VmRSS:"); }

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a process started from Python
// would report the interpreter's peak.
long peak_rss_kb() { return proc_status_kb("VmHWM:"); }

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

// 20 numeric columns, three text columns (50 cities, yes/no, 500 product codes), a unique id
// and a 0/1 target: what load_csv's inference meets in practice.
int generate_mixed(const char* path, long rows) {
  std::FILE* f = std::fopen(path, "wb");
  if (!f) {
    std::perror(path);
    return 1;
  }
  std::string line = "id,";
  for (int c = 0; c < 20; ++c) line += "f" + std::to_string(c) + ",";
  line += "city,member,product,target\n";
  std::fputs(line.c_str(), f);
  grove::Rng rng(2025);
  char buf[32];
  for (long r = 0; r < rows; ++r) {
    line = "C" + std::to_string(1000000 + r) + ",";
    for (int c = 0; c < 20; ++c) {
      auto res = std::to_chars(buf, buf + sizeof buf, static_cast<float>(rng.normal()), std::chars_format::general, 7);
      line.append(buf, res.ptr);
      line += ',';
    }
    line += "city" + std::to_string(rng.below(50)) + (rng.uniform() < 0.5 ? ",yes," : ",no,");
    line += "\"P-" + std::to_string(rng.below(500)) + "\",";
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
  std::printf("{\"rows\": %zu, \"cols\": %zu, \"dropped\": %zu, \"seconds\": %.4f, \"cpu_seconds\": %.4f, "
              "\"peak_rss_kb\": %ld, \"rss_before_kb\": %ld, \"y_sum\": %.1f}\n",
              ds.size(), ds.n_features() + 1, ds.dropped_columns.size(), s, cpu, peak_rss_kb(), before, check);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "generate") == 0)
    return generate(argv[2], std::atol(argv[3]), std::atol(argv[4]));
  if (argc == 4 && std::strcmp(argv[1], "generate-mixed") == 0) return generate_mixed(argv[2], std::atol(argv[3]));
  if (argc == 4 && std::strcmp(argv[1], "load") == 0) {
    if (std::strcmp(argv[3], "float") == 0) return load<float>(argv[2]);
    if (std::strcmp(argv[3], "double") == 0) return load<double>(argv[2]);
  }
  std::fprintf(stderr, "usage: %s generate <path> <rows> <cols> | generate-mixed <path> <rows> | load <path> float|double\n",
               argv[0]);
  return 2;
}

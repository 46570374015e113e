// Fuzzes load_csv and CsvReader: any file is either a Dataset whose parts agree or a grove::Error.
// The first two input bytes pick the options (including unusual delimiters, or none: detected);
// the rest is the file. A file that loads is loaded again with its own schema, whole and in
// CsvReader batches, and must give the same values: inference and schema loading cannot disagree.
#include <grove/data/csv.hpp>
#include <grove/data/csv_reader.hpp>

#include "fuzz_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

template <class T>
bool same(T a, T b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b);
}

// Shapes, names, kinds and codes of a loaded data set agree with each other.
void check_consistent(const grove::data::Dataset<float>& ds) {
  const std::size_t n = ds.size(), d = ds.n_features();
  if (ds.X.dim() != 2 || d != ds.feature_names.size() || d != ds.categories.size() || d != ds.feature_kinds.size())
    __builtin_trap();
  if (ds.has_target() != (ds.y.size() > 0) || (ds.has_target() && ds.y.shape()[0] != n)) __builtin_trap();
  for (std::size_t j = 0; j < d; ++j) {
    const bool cat = ds.feature_kinds[j] == grove::data::ColumnKind::Categorical;
    for (std::size_t i = 0; i < n; ++i) {
      const float v = ds.X(i, j);
      if (cat && v == v && !(v >= 0 && v < static_cast<float>(ds.categories[j].size()) && std::floor(v) == v))
        __builtin_trap();
    }
  }
  if (!ds.class_names.empty())
    for (std::size_t i = 0; i < ds.y.size(); ++i) {
      const float v = ds.y.data()[i];
      if (!(v >= 0 && v < static_cast<float>(ds.class_names.size()) && std::floor(v) == v)) __builtin_trap();
    }
}

void check_same(const grove::data::Dataset<float>& a, const grove::data::Dataset<float>& b) {
  if (a.X.shape() != b.X.shape() || a.y.shape() != b.y.shape() || a.categories != b.categories ||
      a.class_names != b.class_names)
    __builtin_trap();
  for (std::size_t i = 0; i < a.X.size(); ++i)
    if (!same(a.X.data()[i], b.X.data()[i])) __builtin_trap();
  for (std::size_t i = 0; i < a.y.size(); ++i)
    if (!same(a.y.data()[i], b.y.data()[i])) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0], more = data[1];
  const std::string path = grove_fuzz::write_input(data + 2, size - 2, ".csv");
  // Ordinary, unusual and invalid delimiters; '\0' asks for detection.
  static const char delimiters[] = {'\0', ',', ';', '\t', '|', ' ', ':', 'a', 'i', 'n', 'x', '.', '-', '"', '\n', '#'};
  grove::data::CsvOptions opt;
  opt.header = (mode & 1) != 0;
  opt.delimiter = delimiters[(mode >> 1) & 15];
  if (mode & 32) opt.target = grove::data::ColumnRef(0);
  if (mode & 64) opt.target_kind = grove::data::TargetKind::Categorical;
  if (mode & 128) opt.categorical = {grove::data::ColumnRef(-2)};
  if (more & 1) opt.numeric = {grove::data::ColumnRef(1)};
  if (more & 2) opt.drop = {grove::data::ColumnRef(2)};
  if (more & 4) opt.target_kind = grove::data::TargetKind::None;
  if (more & 8) opt.max_categories = 3;
  if (more & 16) opt.quote = '\'';
  if (more & 32) opt.bad_rows = grove::data::BadRows::Skip;
  grove::data::Dataset<float> ds;
  try {
    ds = grove::data::load_csv<float>(path, opt);
  } catch (const grove::Error&) {
    return 0;
  }
  check_consistent(ds);
  if (!ds.skipped_rows.empty()) return 0;  // a skipped row may have added a category: no exact reload
  // A schema matches columns by name, so a file with repeated names cannot be reloaded with one.
  // Dropped columns count too: their names are still in the header the reload reads.
  std::vector<std::string> names = ds.feature_names;
  if (ds.has_target()) names.push_back(ds.target_name);
  for (const auto& c : ds.dropped_columns) names.push_back(c.name);
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) return 0;
  // Load again with the schema: whole, and in batches. Both must reproduce the values.
  grove::data::CsvOptions again;
  again.header = opt.header;
  again.delimiter = opt.delimiter;
  again.quote = opt.quote;
  again.schema = ds.schema();
  if (again.schema->empty()) return 0;
  try {
    const auto re = grove::data::load_csv<float>(path, again);
    check_consistent(re);
    check_same(ds, re);
    grove::data::CsvReader<float> reader(path, again);
    std::size_t row = 0;
    const std::size_t d = ds.n_features();
    while (auto batch = reader.next(1 + more % 7)) {
      if (!batch->bad_rows.empty()) __builtin_trap();
      for (std::size_t i = 0; i < batch->size(); ++i, ++row) {
        for (std::size_t j = 0; j < d; ++j)
          if (row >= ds.size() || !same(batch->X(i, j), ds.X(row, j))) __builtin_trap();
        if (ds.has_target() && !same(batch->y(i), ds.y(row))) __builtin_trap();
      }
    }
    if (row != ds.size()) __builtin_trap();
  } catch (const grove::Error&) {
    __builtin_trap();  // the file loaded once; its own schema must load it again
  }
  return 0;
}

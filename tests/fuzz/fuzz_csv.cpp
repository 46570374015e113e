// Fuzzes load_csv: any file is either a Dataset whose shapes agree or a FormatError/ValueError.
// The first input byte picks the options, the rest is the file.
#include <grove/data/csv.hpp>

#include "fuzz_support.hpp"

#include <cmath>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string path = grove_fuzz::write_input(data + 1, size - 1, ".csv");
  grove::data::CsvOptions opt;
  opt.header = (mode & 1) != 0;
  opt.delimiter = (mode & 2) ? ';' : ',';
  if (mode & 4) opt.target = grove::data::ColumnRef(0);
  if (mode & 8) opt.target_kind = grove::data::TargetKind::Categorical;
  if (mode & 16) opt.categorical = {grove::data::ColumnRef(0)};
  try {
    auto ds = grove::data::load_csv<float>(path, opt);
    if (ds.X.dim() != 2 || ds.X.shape()[1] != ds.feature_names.size()) __builtin_trap();
    if (ds.has_target() && ds.y.shape()[0] != ds.X.shape()[0]) __builtin_trap();
  } catch (const grove::Error&) {
  }
  return 0;
}

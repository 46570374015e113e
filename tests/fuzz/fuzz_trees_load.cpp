// Fuzzes every tree model kind's load(): the first byte picks the kind, the rest is the file.
// Either a model comes back that predicts finite-shaped output on a probe row, or a FormatError.
#include <grove/trees.hpp>

#include "fuzz_support.hpp"

#include <cstdint>
#include <vector>

namespace {

template <class M>
void try_load(const std::string& path) {
  try {
    const M m = M::load(path);
    // A loaded model must be usable: predicting a row of the declared width cannot crash.
    const std::size_t d = m.n_features();
    std::vector<float> row(d, 0.5f);
    const auto X = grove::Tensor<float>::from_vector(row, grove::Shape{1, d});
    const auto p = m.predict(X);
    if (p.shape()[0] != 1) __builtin_trap();
  } catch (const grove::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string path = grove_fuzz::write_input(data + 1, size - 1, ".tree");
  using namespace grove::trees;
  switch (data[0] % 6) {
    case 0: try_load<DecisionTreeClassifier>(path); break;
    case 1: try_load<DecisionTreeRegressor>(path); break;
    case 2: try_load<RandomForestClassifier>(path); break;
    case 3: try_load<RandomForestRegressor>(path); break;
    case 4: try_load<GradientBoostingClassifier>(path); break;
    default: try_load<GradientBoostingRegressor>(path); break;
  }
  return 0;
}

#pragma once
/// \file Feature importance types: split gain (what training recorded), split counts and split
/// covers (read from the trees).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/tree.hpp"

namespace grove::trees {

/// What feature_importances measures.
enum class Importance : std::uint32_t {
  Gain = 0,   ///< split gain (impurity or loss decrease) per feature, normalized to sum to 1 (default)
  Split = 1,  ///< the number of splits on each feature over all trees (LightGBM's "split")
  Cover = 2,  ///< training weight through the splits on each feature, normalized to sum to 1 (XGBoost's total_cover)
};

/// feature_importances({.type = Importance::Split}).
struct ImportanceOptions {
  Importance type = Importance::Gain;
};

}  // namespace grove::trees

namespace grove::detail {

/// Per feature, the number of splits on it (by_cover: the covers of those splits, normalized).
/// Covers are needed for by_cover (models loaded from files before kind version 3 lack them).
inline std::vector<double> split_importance(const std::vector<trees::Tree>& trees, std::size_t d, bool by_cover,
                                            std::string_view op) {
  std::vector<double> out(d, 0.0);
  for (const trees::Tree& t : trees) {
    if (by_cover && t.cover.size() != t.nodes.size())
      throw_value_error(std::string(op) + ": cover importance needs node covers, which files written before kind "
                        "version 3 lack; fit the model again");
    for (std::size_t i = 0; i < t.nodes.size(); ++i)
      if (!t.is_leaf(i)) out[t.nodes[i].feature()] += by_cover ? static_cast<double>(t.cover[i]) : 1.0;
  }
  return by_cover ? normalized(out) : out;
}

}  // namespace grove::detail

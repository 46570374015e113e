#pragma once
/// \file serving::load_model: opens any model file grove writes (decision trees, random forests,
/// gradient boosting, networks saved with save_network) by the kind in its header, as a
/// serving::Model. Programs add kinds of their own (e.g. a model class of an application) with
/// extra ModelKind entries.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/io/model_file.hpp"
#include "grove/serving/model.hpp"
#include "grove/serving/network.hpp"
#include "grove/serving/tree_model.hpp"
#include "grove/trees/decision_tree.hpp"
#include "grove/trees/gradient_boosting.hpp"
#include "grove/trees/random_forest.hpp"

namespace grove::serving {

/// A kind of model file and how to load it.
struct ModelKind {
  std::string kind;  ///< the kind name in the file header
  std::function<std::shared_ptr<const Model>(const std::string& path)> load;
};

/// The kinds grove's own models write.
inline std::vector<ModelKind> builtin_model_kinds() {
  return {
      {detail::tree_kind<trees::GradientBoostingClassifier>(), &TreeAdapter<trees::GradientBoostingClassifier>::load},
      {detail::tree_kind<trees::GradientBoostingRegressor>(), &TreeAdapter<trees::GradientBoostingRegressor>::load},
      {detail::tree_kind<trees::RandomForestClassifier>(), &TreeAdapter<trees::RandomForestClassifier>::load},
      {detail::tree_kind<trees::RandomForestRegressor>(), &TreeAdapter<trees::RandomForestRegressor>::load},
      {detail::tree_kind<trees::DecisionTreeClassifier>(), &TreeAdapter<trees::DecisionTreeClassifier>::load},
      {detail::tree_kind<trees::DecisionTreeRegressor>(), &TreeAdapter<trees::DecisionTreeRegressor>::load},
      {kNetworkKind, [](const std::string& path) -> std::shared_ptr<const Model> { return Network::load(path); }},
  };
}

/// Loads the model file at `path`, whichever kind it holds among builtin_model_kinds() and
/// `extra`. A file that is not a grove model, is corrupted, or holds a kind none of them reads
/// is a FormatError naming the path and the problem (for an unknown kind: the kinds it reads).
inline std::shared_ptr<const Model> load_model(const std::string& path, std::span<const ModelKind> extra = {}) {
  const io::ModelFileHeader header = io::read_model_header(path);
  const std::vector<ModelKind> builtin = builtin_model_kinds();
  for (const std::span<const ModelKind> kinds : {extra, std::span<const ModelKind>(builtin)})
    for (const ModelKind& k : kinds)
      if (k.kind == header.kind) return k.load(path);
  std::string known;
  for (const std::span<const ModelKind> kinds : {std::span<const ModelKind>(builtin), extra})
    for (const ModelKind& k : kinds) known += (known.empty() ? "" : ", ") + k.kind;
  detail::throw_format_error("load_model: '" + path + "' holds a '" + header.kind +
                             "', which this program cannot load (it loads " + known + ")");
}

}  // namespace grove::serving

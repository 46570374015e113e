#pragma once
/// \file Distributed gradient boosting: each rank holds a shard of the rows; the ranks check
/// together that they run the same setup, agree on bin edges once, then grow the same trees:
/// per level the histograms of the children built from rows (the smaller of each pair) are
/// summed across ranks, the siblings derived by subtraction, and every rank scans identical
/// histograms. The result is an ordinary GradientBoostingClassifier / GradientBoostingRegressor
/// (save() writes the normal model file), equal to a single-process fit on the union of the rows
/// with the same bin edges up to float summation order, and bitwise repeatable at a rank count.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "grove/core/check.hpp"
#include "grove/core/error.hpp"
#include "grove/data/schema.hpp"
#include "grove/distributed/bin_edges.hpp"
#include "grove/distributed/communicator.hpp"
#include "grove/distributed/setup_check.hpp"
#include "grove/io/binary.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/binning.hpp"
#include "grove/trees/booster.hpp"
#include "grove/trees/boosting_run.hpp"
#include "grove/trees/gradient_boosting.hpp"
#include "grove/trees/input.hpp"
#include "grove/trees/losses.hpp"
#include "grove/trees/params.hpp"
#include "grove/trees/shard_reducer.hpp"
#include "grove/trees/training_set.hpp"

namespace grove::distributed {

/// What a distributed boosting fit measured (the same on every rank except the byte counts).
struct BoostingReport {
  std::size_t rows = 0;                 ///< training rows over all ranks
  std::size_t trees = 0;                ///< trees grown (early stopping may keep fewer)
  std::uint64_t bin_edge_bytes = 0;     ///< bytes this rank sent agreeing on bin edges
  std::uint64_t training_bytes = 0;     ///< bytes this rank sent growing the trees
  std::uint64_t histogram_values = 0;   ///< histogram doubles this rank summed (one level at a time)
  double train_loss = 0.0;              ///< final loss on all training rows (rmse, logloss, ...)
};

/// Options of fit_boosting besides the model's params.
struct BoostingOptions {
  const trees::BinMapper* bins = nullptr;  ///< edges to use (every rank the same); default: agree_bin_edges
  std::size_t summary_points = 4096;       ///< points a feature and rank in the bin-edge summaries
  data::Schema schema = {};                ///< saved with the model; every rank must pass the same
  BoostingReport* report = nullptr;        ///< filled when given
};

}  // namespace grove::distributed

namespace grove::detail {

/// The trees' ShardReducer over a Communicator (deterministic sums), counting what it sums.
class CommunicatorReducer final : public ShardReducer {
public:
  explicit CommunicatorReducer(distributed::Communicator& comm) : comm_(comm) {}
  void sum(double* values, std::size_t n) override {
    values_ += n;
    comm_.allreduce(std::span<double>(values, n));
  }
  void max(double* values, std::size_t n) override { comm_.allreduce(std::span<double>(values, n), distributed::ReduceOp::Max); }
  std::uint64_t values() const noexcept { return values_; }

private:
  distributed::Communicator& comm_;
  std::uint64_t values_ = 0;
};

/// Labels (classifiers: returns largest + 1 on this shard, which may lack classes, when
/// n_classes is 0) or targets of one shard into out.
template <bool Classifier, class TY>
std::size_t shard_targets(const Tensor<TY>& y, std::size_t rows, const std::string& op, std::size_t n_classes,
                          std::vector<float>& out) {
  if constexpr (Classifier) {
    if (n_classes > 0) {
      out = tree_labels(y, rows, op, n_classes).y;
      return n_classes;
    }
    const std::vector<double> v = target_values(y, rows, op);
    const ClassLabels labels = class_labels(v.data(), v.size(), op, "y", LabelOptions{});
    out.assign(labels.index.begin(), labels.index.end());
    return labels.n_classes;
  } else {
    out = regression_targets(y, rows, op);
    return 0;
  }
}

/// The setup every rank must share, as named text lines (setup_check.hpp compares them).
template <class P>
std::vector<std::pair<std::string, std::string>> boosting_setup(const P& params, std::size_t features, bool validation,
                                                                const data::Schema& schema) {
  std::vector<std::pair<std::string, std::string>> items{{"features", std::to_string(features)},
                                                         {"validation data", validation ? "given" : "none"}};
  for (auto& kv : trees::get_params(params)) items.emplace_back("param " + kv.first, kv.second);
  io::BinaryWriter w;
  data::write_schema(w, schema);
  items.emplace_back("schema", schema_digest(w.payload(), schema));
  return items;
}

/// As a single-process fit: classes 0..k-1 of the union each have rows, and k >= 2.
inline void check_classes(distributed::Communicator& comm, const std::string& op, const std::vector<float>& y,
                          std::size_t k) {
  if (k < 2) throw distributed::DistributedError(op + ": y holds a single class (0) over all ranks; a classifier needs at least two");
  std::vector<std::int64_t> counts(k, 0);
  for (float c : y) ++counts[static_cast<std::size_t>(c)];
  comm.allreduce(std::span<std::int64_t>(counts));
  for (std::size_t c = 0; c < k; ++c)
    if (counts[c] == 0)
      throw distributed::DistributedError(op + ": class " + std::to_string(c) + " has no rows on any rank (labels must be 0.." +
                                          std::to_string(k - 1) + " with every class present)");
}

/// The engine's loss over the training rows of every rank.
inline double sharded_loss(distributed::Communicator& comm, const Booster& engine, const TrainingSet& train) {
  std::vector<double> margin(train.rows() * engine.K);
  for (std::size_t i = 0; i < train.rows(); ++i) engine.raw(train.X.data() + i * train.features(), margin.data() + i * engine.K);
  double s[2] = {loss_sum(engine.loss, engine.K, margin.data(), train.y.data(), train.rows(), nullptr, engine.shape),
                 static_cast<double>(train.rows())};
  comm.allreduce(std::span<double>(s, 2));
  return finish_loss(engine.loss, s[0] / s[1]);
}

template <class Model, class TX, class TY>
Model fit_boosting_shard(distributed::Communicator& comm, const typename Model::Params& params, const Tensor<TX>& X,
                         const Tensor<TY>& y, const trees::ValidationSet<TX, TY>* val,
                         const distributed::BoostingOptions& options) {
  constexpr bool kClassifier = Model::kClassifier;
  const std::string op = "distributed::fit_boosting<" + std::string(Model::kName) + ">";
  // 1. Each rank checks its own shard; every rank learns of any failure.
  TrainingSet train, v;
  std::size_t k = 0;
  distributed::on_every_rank(comm, op, [&] {
    check_params(params, Model::kName);
    if (refits_leaves(params.loss)) throw_sharded_refit(op, params.loss);
    if (!params.categorical_features.empty())
      throw_value_error(op + ": categorical_features are not supported in distributed training yet");
    if constexpr (kClassifier)
      if (params.class_weight != trees::ClassWeight::none())
        throw_value_error(op + ": class_weight is not supported in distributed training yet");
    if (val && !val->weight.empty())
      throw_value_error(op + ": sample_weight is not supported in distributed training yet");
    train.X = float_matrix(X, op);
    if (train.features() == 0) throw_value_error(op + ": X has no features (shape " + to_string(X.shape()) + ")");
    k = shard_targets<kClassifier>(y, train.rows(), op, 0, train.y);
    if (val) {
      v.X = predict_matrix(val->X, train.features(), true, op + " (validation)");
      shard_targets<kClassifier>(val->y, v.rows(), op + " (validation)", 0, v.y);
    }
  });
  // 2. The ranks run the same setup (feature count, params, schema, validation) and hold rows.
  distributed::check_same_setup(comm, op, boosting_setup(params, train.features(), val != nullptr, options.schema));
  std::int64_t counts[3] = {static_cast<std::int64_t>(train.rows()), static_cast<std::int64_t>(v.rows()),
                            static_cast<std::int64_t>(k)};
  std::int64_t most[1] = {counts[2]};
  comm.allreduce(std::span<std::int64_t>(counts, 2));
  comm.allreduce(std::span<std::int64_t>(most, 1), distributed::ReduceOp::Max);
  if (counts[0] == 0) throw distributed::DistributedError(op + ": no rank has training rows");
  if (val && counts[1] == 0) throw distributed::DistributedError(op + ": no rank has validation rows");
  k = static_cast<std::size_t>(most[0]);
  if constexpr (kClassifier) check_classes(comm, op, train.y, k);
  if (kClassifier && val)  // validation labels must be classes of the training data
    distributed::on_every_rank(comm, op, [&] {
      shard_targets<kClassifier>(val->y, v.rows(), op + " (validation)", k, v.y);
    });
  // 3. Bin edges, then the trees; an error here on one rank alone aborts the group.
  const std::uint64_t bytes0 = comm.bytes_sent();
  const trees::BinMapper mapper = options.bins ? *options.bins
                                               : distributed::agree_bin_edges(comm, train.X.data(), train.rows(),
                                                                              train.features(), params.max_bins,
                                                                              options.summary_points);
  const std::uint64_t bytes1 = comm.bytes_sent();
  CommunicatorReducer reducer(comm);
  Booster engine = distributed::or_abort(comm, op, [&] {
    Booster b;
    b.configure(kClassifier ? k : 0, params.loss);
    BoostingConfig cfg = boosting_config(params);
    cfg.grower.reducer = &reducer;
    cfg.bins = &mapper;
    fit_engine(b, cfg, train, val ? &v : nullptr, Model::kName);
    return b;
  });
  const double train_loss = sharded_loss(comm, engine, train);  // a collective: every rank, report or not
  if (options.report) {
    distributed::BoostingReport& r = *options.report;
    r.rows = static_cast<std::size_t>(counts[0]);
    r.trees = engine.trees.size();
    r.bin_edge_bytes = bytes1 - bytes0;
    r.training_bytes = comm.bytes_sent() - bytes1;
    r.histogram_values = reducer.values();
    r.train_loss = train_loss;
  }
  return Model::from_engine(params, std::move(engine), options.schema);
}

}  // namespace grove::detail

namespace grove::distributed {

/// Fits a GradientBoostingClassifier or GradientBoostingRegressor on this rank's rows X, y
/// together with the other ranks of `comm` (every rank calls it with the same params; some may
/// hold zero rows). Returns the same model on every rank. A bad shard or a setup that differs
/// between ranks (features, params, schema) is a DistributedError on every rank naming the rank.
/// The losses absolute_error and quantile are not supported (a leaf's median or quantile needs every residual).
template <class Model, class TX, class TY>
Model fit_boosting(Communicator& comm, const typename Model::Params& params, const Tensor<TX>& X, const Tensor<TY>& y,
                   const BoostingOptions& options = {}) {
  return grove::detail::fit_boosting_shard<Model>(comm, params, X, y,
                                                  static_cast<const trees::ValidationSet<TX, TY>*>(nullptr), options);
}

/// Same, scoring this rank's validation rows every round (val_loss over all ranks' validation
/// rows: early_stopping_rounds works as in a single process). Every rank passes validation data
/// (zero rows allowed) or none does.
template <class Model, class TX, class TY>
Model fit_boosting(Communicator& comm, const typename Model::Params& params, const Tensor<TX>& X, const Tensor<TY>& y,
                   const trees::ValidationSet<TX, TY>& val, const BoostingOptions& options = {}) {
  return grove::detail::fit_boosting_shard<Model>(comm, params, X, y, &val, options);
}

}  // namespace grove::distributed

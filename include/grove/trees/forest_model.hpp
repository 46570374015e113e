#pragma once
/// \file The public surface shared by DecisionTree* and RandomForest* models (fit, predict,
/// predict_row, importances, save/load), written once over the forest engine.

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "grove/core/error.hpp"
#include "grove/core/parallel.hpp"
#include "grove/io/binary.hpp"
#include "grove/tensor/tensor.hpp"
#include "grove/trees/forest_core.hpp"
#include "grove/trees/input.hpp"

namespace grove::trees::detail {

/// Classification model over the forest engine. Derived supplies kName, kKind and
/// kHasEstimators; params map to the engine through forest_config / forest_params.
template <class Derived, class P>
class ForestClassifierModel {
public:
  using Params = P;

  explicit ForestClassifierModel(Params params) : params_(params) {
    check_forest_config(forest_config(params_), Derived::kName, Derived::kHasEstimators);
  }

  const Params& params() const noexcept { return params_; }

  /// Fits on X (n x d) and labels y (integers 0..k-1).
  template <class TX, class TY>
  Derived& fit(const Tensor<TX>& X, const Tensor<TY>& y) {
    const std::string op = std::string(Derived::kName) + ".fit";
    const Tensor<float> Xf = feature_matrix(X, op);
    std::size_t k = 0;
    const std::vector<std::int32_t> labels = class_labels(y, Xf.shape(0), op, k);
    f_.fit(forest_config(params_), Xf, &labels, nullptr, k, Derived::kName);
    return static_cast<Derived&>(*this);
  }

  std::size_t n_classes() const noexcept { return f_.n_classes; }
  std::size_t n_features() const noexcept { return f_.n_features; }
  /// The grown trees (flat node arrays), for inspection.
  const std::vector<Tree>& trees() const noexcept { return f_.trees; }

  /// Total impurity decrease per feature, normalized to sum to 1.
  std::vector<double> feature_importances() const {
    if (!f_.fitted) throw_not_fitted(std::string(Derived::kName) + ".feature_importances");
    return f_.importance;
  }

  /// Class of one row; allocation-free.
  std::int64_t predict_row(std::span<const float> x) const {
    check_row(x, ".predict_row");
    return f_.classify(x.data());
  }

  /// Class probabilities of one row into `out` (n_classes values); allocation-free.
  void predict_proba_row(std::span<const float> x, std::span<float> out) const {
    check_row(x, ".predict_proba_row");
    if (out.size() != f_.n_classes)
      throw_value_error(std::string(Derived::kName) + ".predict_proba_row: out has " + std::to_string(out.size()) +
                        " values, need " + std::to_string(f_.n_classes));
    f_.proba(x.data(), out.data());
  }

  template <class TX>
  Tensor<std::int64_t> predict(const Tensor<TX>& X) const {
    const Tensor<float> Xf = predict_matrix(X, f_.n_features, f_.fitted, std::string(Derived::kName) + ".predict");
    const std::size_t n = Xf.shape(0), d = f_.n_features;
    Tensor<std::int64_t> out(Shape{n});
    std::int64_t* o = out.data();
    const std::size_t k = f_.n_classes;
    if (k > 64) {  // classify() walks per class for many classes; keep that path
      const float* xd = Xf.data();
      parallel_for(0, n, 256, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) o[i] = f_.classify(xd + i * d);
      });
      return out;
    }
    block_sums(Xf, [&](std::size_t i, const double* s) {
      std::size_t best = 0;
      for (std::size_t c = 1; c < k; ++c)
        if (s[c] > s[best]) best = c;
      o[i] = static_cast<std::int64_t>(best);
    });
    return out;
  }

  template <class TX>
  Tensor<float> predict_proba(const Tensor<TX>& X) const {
    const Tensor<float> Xf = predict_matrix(X, f_.n_features, f_.fitted, std::string(Derived::kName) + ".predict_proba");
    const std::size_t n = Xf.shape(0), d = f_.n_features, k = f_.n_classes;
    Tensor<float> out(Shape{n, k});
    float* o = out.data();
    if (k > 64) {
      const float* xd = Xf.data();
      parallel_for(0, n, 256, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) f_.proba(xd + i * d, o + i * k);
      });
      return out;
    }
    const double inv = 1.0 / static_cast<double>(f_.trees.size());
    block_sums(Xf, [&](std::size_t i, const double* s) {
      for (std::size_t c = 0; c < k; ++c) o[i * k + c] = static_cast<float>(s[c] * inv);
    });
    return out;
  }

  void save(const std::string& path) const {
    if (!f_.fitted) throw_not_fitted(std::string(Derived::kName) + ".save");
    io::BinaryWriter w;
    write_forest_config(w, forest_config(params_));
    f_.write(w);
    w.save(path, Derived::kKind, 1);
  }

  static Derived load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, Derived::kKind, 1);
    const ForestConfig c = read_forest_config(r);
    try {
      check_forest_config(c, Derived::kName, Derived::kHasEstimators);
    } catch (const ValueError& e) {
      r.fail(e.what());
    }
    Derived m(forest_params<P>(c));
    m.f_.read(r, true);
    r.expect_end();
    return m;
  }

protected:
  // Runs emit(row, sums) for every row, summing the trees over blocks of rows in parallel.
  template <class Emit>
  void block_sums(const Tensor<float>& Xf, Emit emit) const {
    const std::size_t n = Xf.shape(0), d = f_.n_features, k = f_.n_outputs();
    // Deep forest trees are megabytes each: walk one with thousands of rows while it is cached.
    constexpr std::size_t kRows = 2048;
    const std::size_t blocks = (n + kRows - 1) / kRows;
    parallel_for(0, blocks, 1, [&](std::size_t lo, std::size_t hi) {
      std::vector<double> s(kRows * k);
      for (std::size_t b = lo; b < hi; ++b) {
        const std::size_t r0 = b * kRows, rows = std::min(kRows, n - r0);
        f_.accumulate_rows(Xf.data() + r0 * d, d, rows, s.data());
        for (std::size_t i = 0; i < rows; ++i) emit(r0 + i, s.data() + i * k);
      }
    });
  }

  void check_row(std::span<const float> x, const char* what) const {
    if (!f_.fitted) throw_not_fitted(std::string(Derived::kName) + what);
    if (x.size() != f_.n_features) throw_row_size(std::string(Derived::kName) + what, x.size(), f_.n_features);
  }

  Params params_;
  Forest f_;
};

/// Regression model over the forest engine.
template <class Derived, class P>
class ForestRegressorModel {
public:
  using Params = P;

  explicit ForestRegressorModel(Params params) : params_(params) {
    check_forest_config(forest_config(params_), Derived::kName, Derived::kHasEstimators);
  }

  const Params& params() const noexcept { return params_; }

  template <class TX, class TY>
  Derived& fit(const Tensor<TX>& X, const Tensor<TY>& y) {
    const std::string op = std::string(Derived::kName) + ".fit";
    const Tensor<float> Xf = feature_matrix(X, op);
    const std::vector<float> t = regression_targets(y, Xf.shape(0), op);
    f_.fit(forest_config(params_), Xf, nullptr, &t, 0, Derived::kName);
    return static_cast<Derived&>(*this);
  }

  std::size_t n_features() const noexcept { return f_.n_features; }
  const std::vector<Tree>& trees() const noexcept { return f_.trees; }

  std::vector<double> feature_importances() const {
    if (!f_.fitted) throw_not_fitted(std::string(Derived::kName) + ".feature_importances");
    return f_.importance;
  }

  /// Prediction for one row; allocation-free.
  float predict_row(std::span<const float> x) const {
    if (!f_.fitted) throw_not_fitted(std::string(Derived::kName) + ".predict_row");
    if (x.size() != f_.n_features) throw_row_size(std::string(Derived::kName) + ".predict_row", x.size(), f_.n_features);
    return static_cast<float>(f_.regress(x.data()));
  }

  template <class TX>
  Tensor<float> predict(const Tensor<TX>& X) const {
    const Tensor<float> Xf = predict_matrix(X, f_.n_features, f_.fitted, std::string(Derived::kName) + ".predict");
    const std::size_t n = Xf.shape(0), d = f_.n_features;
    (void)d;
    Tensor<float> out(Shape{n});
    float* o = out.data();
    const double count = static_cast<double>(f_.trees.size());
    constexpr std::size_t kRows = 2048;  // see block_sums
    const std::size_t blocks = (n + kRows - 1) / kRows;
    parallel_for(0, blocks, 1, [&](std::size_t lo, std::size_t hi) {
      std::vector<double> s(kRows);
      for (std::size_t b = lo; b < hi; ++b) {
        const std::size_t r0 = b * kRows, rows = std::min(kRows, n - r0);
        f_.accumulate_rows(Xf.data() + r0 * f_.n_features, f_.n_features, rows, s.data());
        for (std::size_t i = 0; i < rows; ++i) o[r0 + i] = static_cast<float>(s[i] / count);
      }
    });
    return out;
  }

  void save(const std::string& path) const {
    if (!f_.fitted) throw_not_fitted(std::string(Derived::kName) + ".save");
    io::BinaryWriter w;
    write_forest_config(w, forest_config(params_));
    f_.write(w);
    w.save(path, Derived::kKind, 1);
  }

  static Derived load(const std::string& path) {
    io::BinaryReader r = io::BinaryReader::open(path, Derived::kKind, 1);
    const ForestConfig c = read_forest_config(r);
    try {
      check_forest_config(c, Derived::kName, Derived::kHasEstimators);
    } catch (const ValueError& e) {
      r.fail(e.what());
    }
    Derived m(forest_params<P>(c));
    m.f_.read(r, false);
    r.expect_end();
    return m;
  }

protected:
  Params params_;
  Forest f_;
};

}  // namespace grove::trees::detail

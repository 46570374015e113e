#pragma once
// grove-pipeline's first stage: load the data (a CSV with inferred column kinds, or
// Fashion-MNIST), decide the task from the target, and refuse data the later stages cannot use
// with one clear sentence.

#include "options.hpp"
#include "report.hpp"

#include <grove/core/error.hpp>
#include <grove/data/csv.hpp>
#include <grove/data/dataset.hpp>
#include <grove/data/idx.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace pipeline {

/// The loaded data and what the pipeline decided about it.
struct LoadedData {
  grove::data::Dataset<float> ds;
  std::string source;               ///< where it came from, in words
  bool classification = true;
  std::string task_reason;          ///< why classification / regression
  std::vector<std::string> notes;   ///< dropped columns, skipped rows: one line each
};

[[noreturn]] inline void fail(const std::string& msg) { throw grove::ValueError(msg); }

/// Classification when the target is text, or holds at most 10 distinct whole numbers.
inline bool looks_like_classes(const grove::data::Dataset<float>& ds, std::string& reason) {
  if (!ds.class_names.empty()) {
    reason = "the target holds text";
    return true;
  }
  std::set<float> distinct;
  for (std::size_t i = 0; i < ds.y.size(); ++i) {
    const float v = ds.y.data()[i];
    if (v != std::floor(v)) {
      reason = "the target holds fractional numbers";
      return false;
    }
    distinct.insert(v);
    if (distinct.size() > 10) {
      reason = "the target holds more than 10 distinct numbers";
      return false;
    }
  }
  reason = "the target holds " + std::to_string(distinct.size()) + " distinct whole numbers";
  return true;
}

/// Loads the CSV with inferred column kinds. Rows whose only problem is a missing target are
/// left out (and counted); any other bad cell is the loader's error, with line and column.
inline grove::data::Dataset<float> load_table(const std::string& path, const std::string& target,
                                              grove::data::TargetKind kind, std::vector<std::string>& notes) {
  grove::data::CsvOptions co;
  co.target = target;
  co.target_kind = kind;
  co.bad_rows = grove::data::BadRows::Skip;
  grove::data::Dataset<float> ds = grove::data::load_csv<float>(path, co);
  std::size_t missing_target = 0;
  for (const grove::data::BadRow& r : ds.skipped_rows) {
    if (r.message.find("expected a target value, got a missing value") == std::string::npos) throw grove::FormatError(r.message);
    ++missing_target;
  }
  if (missing_target)
    notes.push_back(std::to_string(missing_target) + " rows without a value in '" + target + "' left out");
  return ds;
}

inline grove::data::Dataset<float> load_fashion(const std::string& dir) {
  auto path = [&](const char* name) {
    const std::string p = dir + "/" + name;
    if (!std::filesystem::exists(p))
      fail("Fashion-MNIST file '" + p + "' not found (install dataset-fashion-mnist, pass --fashion-dir, or use --csv)");
    return p;
  };
  grove::data::Dataset<float> a = grove::data::load_idx<float>(path("train-images-idx3-ubyte.gz"), path("train-labels-idx1-ubyte.gz"));
  const grove::data::Dataset<float> b = grove::data::load_idx<float>(path("t10k-images-idx3-ubyte.gz"), path("t10k-labels-idx1-ubyte.gz"));
  if (a.n_features() != b.n_features()) fail("Fashion-MNIST: train and test files have different image sizes");
  std::vector<float> x = a.X.to_vector(), y = a.y.to_vector();
  const std::vector<float> xb = b.X.to_vector(), yb = b.y.to_vector();
  x.insert(x.end(), xb.begin(), xb.end());
  y.insert(y.end(), yb.begin(), yb.end());
  const std::size_t n = a.size() + b.size(), d = a.n_features();
  a.X = grove::Tensor<float>::from_vector(std::move(x), grove::Shape{n, d});
  a.y = grove::Tensor<float>::from_vector(std::move(y), grove::Shape{n});
  a.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  a.target_name = "label";
  a.target_kind = grove::data::TargetKind::Categorical;
  return a;
}

/// Rows per class (labels 0..k-1).
inline std::vector<std::size_t> class_counts(const grove::Tensor<float>& y, std::size_t k) {
  std::vector<std::size_t> count(k, 0);
  for (std::size_t i = 0; i < y.size(); ++i) ++count[static_cast<std::size_t>(y.data()[i])];
  return count;
}

/// The checks every later stage relies on, each failing with one sentence.
inline void check_data(const LoadedData& d, const std::string& target) {
  const auto& ds = d.ds;
  if (ds.n_features() == 0) {
    std::string dropped;
    for (const auto& c : ds.dropped_columns) dropped += (dropped.empty() ? "" : ", ") + c.name;
    fail("no feature columns are left besides the target '" + target + "'" +
         (dropped.empty() ? std::string() : " (dropped: " + dropped + ")"));
  }
  if (ds.size() < 20) fail("the data has " + std::to_string(ds.size()) + " usable rows; the pipeline needs at least 20");
  if (!d.classification) {
    const auto [lo, hi] = std::minmax_element(ds.y.data(), ds.y.data() + ds.y.size());
    if (*lo == *hi) fail("target '" + target + "' is constant (every value is " + fmt("%g", *lo) + "): there is nothing to predict");
    return;
  }
  const std::size_t k = ds.class_names.size();
  if (k < 2) fail("target '" + target + "' has a single class ('" + (k ? ds.class_names[0] : "") + "'); a classifier needs at least 2");
  if (k > 100)
    fail("target '" + target + "' has " + std::to_string(k) +
         " classes; grove-pipeline handles at most 100 (is it an identifier, or a number: --task regression?)");
  const std::vector<std::size_t> count = class_counts(ds.y, k);
  for (std::size_t c = 0; c < k; ++c)
    if (count[c] < 6)
      fail("class '" + ds.class_names[c] + "' has " + std::to_string(count[c]) +
           " rows; each class needs at least 6 for a stratified train/validation/test split");
}

/// Stage 1: the data, the task and the notes on what was left out.
inline LoadedData load_data(const Options& o) {
  LoadedData d;
  if (o.csv.empty()) {
    d.ds = load_fashion(o.fashion_dir);
    d.source = "Fashion-MNIST (" + o.fashion_dir + ", train + t10k)";
    d.task_reason = "image classes";
    check_data(d, "label");
    return d;
  }
  if (!std::filesystem::exists(o.csv)) fail("cannot open '" + o.csv + "': no such file");
  using grove::data::TargetKind;
  const TargetKind first = o.task == "regression" ? TargetKind::Numeric : TargetKind::Auto;
  d.ds = load_table(o.csv, o.target, first, d.notes);
  if (o.task.empty()) {
    d.classification = looks_like_classes(d.ds, d.task_reason);
  } else {
    d.classification = o.task == "classification";
    d.task_reason = "--task " + o.task;
  }
  if (d.classification && d.ds.class_names.empty()) {
    d.notes.clear();
    d.ds = load_table(o.csv, o.target, TargetKind::Categorical, d.notes);  // numbers as class labels
  }
  d.source = o.csv + " (target '" + o.target + "')";
  for (const auto& c : d.ds.dropped_columns) d.notes.push_back("column '" + c.name + "' dropped: " + c.detail);
  check_data(d, o.target);
  return d;
}

}  // namespace pipeline

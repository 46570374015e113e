#pragma once
// score_csv: grove-predict's work as a function a test can call. Streams a CSV through a model
// with the model's schema (data::CsvReader: one batch in memory, whatever the file size) and
// writes one output row per input data row, in order: the prediction (class name, class index
// or value) and, when asked, one probability column per class. A bad input row (a cell that does
// not parse, a wrong field count) gets empty cells and is reported with its line and column.

#include <charconv>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <grove/core/error.hpp>
#include <grove/data/csv_options.hpp>
#include <grove/data/csv_reader.hpp>
#include <grove/data/schema.hpp>
#include <grove/serving/model.hpp>

namespace serve {

/// Settings of score_csv (grove-predict's flags).
struct ScoreOptions {
  std::string csv_path;
  bool proba = false;             ///< also write one probability column per class
  std::size_t batch_rows = 4096;  ///< rows per batch (memory: one batch)
  grove::data::UnseenCategory unseen_category = grove::data::UnseenCategory::Missing;
};

/// What score_csv did.
struct ScoreResult {
  std::size_t rows = 0;      ///< data rows written (good and bad)
  std::size_t bad_rows = 0;  ///< rows that could not be scored (empty cells in the output)
};

/// A CSV field, quoted when it holds a delimiter, a quote or a line break (RFC 4180).
inline std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// The shortest text that reads back as the same float ("0.3"); "nan", "inf" as load_csv reads them.
inline void append_float(std::string& out, float v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

/// The options that read a scoring file with `model`'s encoding: its schema without the target
/// (a target column in the file is ignored), or, for a model saved without a schema, every
/// column as a number by position.
inline grove::data::CsvOptions scoring_csv_options(const grove::serving::Model& model, const ScoreOptions& o) {
  grove::data::CsvOptions c;
  c.bad_rows = grove::data::BadRows::Skip;
  c.unseen_category = o.unseen_category;
  c.require_target = false;
  if (model.has_file_schema()) {
    grove::data::Schema s = model.schema();
    s.target.clear();
    s.target_kind = grove::data::TargetKind::None;
    s.class_names.clear();
    c.schema = std::move(s);
  } else {
    c.target_kind = grove::data::TargetKind::None;
  }
  return c;
}

/// Scores `o.csv_path` with `model` into `out` (CSV with a header row). `report` receives one
/// message per bad row. FormatError when the file cannot be read with the model's schema (a
/// missing column, no such file) or has the wrong number of columns for a model without one.
inline ScoreResult score_csv(const grove::serving::Model& model, const ScoreOptions& o, std::ostream& out,
                             const std::function<void(const std::string&)>& report) {
  grove::data::CsvReader<float> reader(o.csv_path, scoring_csv_options(model, o));
  const std::size_t d = model.n_features();
  if (reader.n_features() != d)
    throw grove::FormatError("grove-predict: '" + o.csv_path + "' has " + std::to_string(reader.n_features()) +
                             " feature columns, the model takes " + std::to_string(d) +
                             " (a model saved without a schema reads the columns by position)");
  const bool classifier = model.task() == grove::serving::Task::Classification;
  const bool proba = o.proba && classifier;
  const std::size_t k = model.n_classes();
  const auto& names = model.schema().class_names;
  auto label = [&](std::size_t c) { return names.empty() ? std::to_string(c) : csv_field(names[c]); };

  std::string line = "prediction";
  if (proba)
    for (std::size_t c = 0; c < k; ++c) line += "," + csv_field("proba_" + (names.empty() ? std::to_string(c) : names[c]));
  out << line << '\n';

  ScoreResult result;
  std::vector<double> pred;
  std::vector<float> probs;
  const std::string empty_row = proba ? std::string(k, ',') : std::string();
  while (auto batch = reader.next(o.batch_rows)) {
    const std::size_t n = batch->size();
    pred.resize(n);
    model.predict(std::span<const float>(batch->X.data(), n * d), pred);
    if (proba) {
      probs.resize(n * k);
      model.predict_proba(std::span<const float>(batch->X.data(), n * d), probs);
    }
    // Good rows and bad rows of this stretch of the file, merged back into file order.
    std::string text;
    std::size_t b = 0;
    for (std::size_t i = 0; i <= n; ++i) {
      const std::size_t at = i < n ? batch->lines[i] : static_cast<std::size_t>(-1);
      for (; b < batch->bad_rows.size() && batch->bad_rows[b].line < at; ++b) {
        report(batch->bad_rows[b].message);
        text += empty_row;
        text += '\n';
        ++result.bad_rows;
      }
      if (i == n) break;
      if (classifier) {
        text += label(static_cast<std::size_t>(pred[i]));
      } else {
        append_float(text, static_cast<float>(pred[i]));
      }
      for (std::size_t c = 0; proba && c < k; ++c) {
        text += ',';
        append_float(text, probs[i * k + c]);
      }
      text += '\n';
    }
    result.rows += n + batch->bad_rows.size();
    out << text;
  }
  out.flush();
  if (!out) throw grove::FormatError("grove-predict: writing the predictions failed");
  return result;
}

}  // namespace serve

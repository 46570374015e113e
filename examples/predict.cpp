// grove-predict: scores a CSV file with a saved grove model, streaming (constant memory in the
// number of rows), one output row per input data row in the same order.
//
//   grove-predict --model out/model.grove --csv new.csv --out predictions.csv --proba
//
// The work is serve::score_csv (examples/serve/batch_scorer.hpp), which the tests call directly.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <grove/serving/load_model.hpp>

#include "serve/batch_scorer.hpp"
#include "serve/cli.hpp"

namespace {

const char* help_text() {
  return R"(grove-predict: score a CSV file with a saved grove model.

Usage: grove-predict --model PATH --csv IN [--out OUT.csv] [--proba] [options]

  --model PATH         any model file grove writes (gradient boosting, random forest, decision
                       tree, a network saved with grove::serving::save_network, grove-pipeline's
                       model.grove)
  --csv IN             the rows to score: a CSV with a header row. Columns are matched to the
                       model's features by name (any order; extra columns, such as the target,
                       are ignored) and encoded exactly as the training file was. A model saved
                       without a schema reads every column as a number, by position.
  --out OUT            where the predictions go (default: standard output). Written to OUT.tmp
                       and renamed at the end, so OUT is never half-written.
  --proba              also write one probability column per class (classifiers)
  --unseen missing|error
                       a category the model never saw: a missing value (default) or a bad row
  --batch-rows N       rows per batch (default 4096; memory is one batch)
  --max-reported N     bad rows printed on stderr (default 20; all are counted)
  --help               this text

Output: a header row (prediction[,proba_<class>...]) and one row per input data row, in input
order: the class name (or class index for a model without class names) or the predicted value.
A row that cannot be scored (a cell that does not parse, a wrong number of fields) gets empty
cells and a message with its line and column on stderr.

Exit status: 0 every row scored; 3 some rows could not be scored (the output is complete
otherwise); 1 the model or the file cannot be read; 2 bad command line.
)";
}

struct PredictOptions {
  std::string model, out;
  serve::ScoreOptions score;
  std::size_t max_reported = 20;
  bool help = false;
};

PredictOptions parse(int argc, char** argv) {
  PredictOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw serve::UsageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") o.help = true;
    else if (a == "--model") o.model = value();
    else if (a == "--csv") o.score.csv_path = value();
    else if (a == "--out") o.out = value();
    else if (a == "--proba") o.score.proba = true;
    else if (a == "--batch-rows") o.score.batch_rows = serve::parse_count(a, value(), 1, std::size_t{1} << 24);
    else if (a == "--max-reported") o.max_reported = serve::parse_count(a, value(), 0, std::size_t{1} << 40);
    else if (a == "--unseen") {
      const std::string v = value();
      if (v == "missing") o.score.unseen_category = grove::data::UnseenCategory::Missing;
      else if (v == "error") o.score.unseen_category = grove::data::UnseenCategory::Error;
      else throw serve::UsageError("--unseen expects missing or error, got '" + v + "'");
    } else {
      throw serve::UsageError("unknown option '" + a + "' (see --help)");
    }
  }
  if (!o.help && (o.model.empty() || o.score.csv_path.empty()))
    throw serve::UsageError("--model PATH and --csv IN are required (see --help)");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  PredictOptions o;
  try {
    o = parse(argc, argv);
  } catch (const serve::UsageError& e) {
    std::cerr << "grove-predict: " << e.what() << "\n";
    return 2;
  }
  if (o.help) {
    std::cout << help_text();
    return 0;
  }
  std::shared_ptr<const grove::serving::Model> model;
  try {
    model = grove::serving::load_model(o.model);
  } catch (const std::exception& e) {
    std::cerr << "grove-predict: cannot load the model: " << e.what() << "\n";
    return 1;
  }
  const std::string tmp = o.out.empty() ? std::string() : o.out + ".tmp";
  std::ofstream file;
  if (!o.out.empty()) {
    file.open(tmp, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "grove-predict: cannot open '" << tmp << "' for writing\n";
      return 1;
    }
  }
  std::ostream& out = o.out.empty() ? std::cout : file;
  std::size_t reported = 0;
  serve::ScoreResult r;
  try {
    r = serve::score_csv(*model, o.score, out, [&](const std::string& message) {
      if (reported++ < o.max_reported) std::cerr << "grove-predict: bad row: " << message << "\n";
    });
    if (!o.out.empty()) {
      file.close();
      std::filesystem::rename(tmp, o.out);
    }
  } catch (const std::exception& e) {
    if (!o.out.empty()) {
      file.close();
      std::remove(tmp.c_str());
    }
    std::cerr << "grove-predict: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "grove-predict: scored " << r.rows - r.bad_rows << " of " << r.rows << " rows with "
            << model->kind() << (o.out.empty() ? std::string() : " into '" + o.out + "'") << "\n";
  if (r.bad_rows) {
    std::cerr << "grove-predict: " << r.bad_rows << " rows could not be scored (empty cells in the output)";
    if (r.bad_rows > o.max_reported) std::cerr << "; the first " << o.max_reported << " are listed above";
    std::cerr << "\n";
    return 3;
  }
  return 0;
}

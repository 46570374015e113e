// End-to-end test of examples/pipeline.cpp: runs the built grove-pipeline in --quick mode on small
// generated CSVs (classification with a text column, regression, integer class labels) and checks
// its exit status, report and output files (SVGs through xmllint when installed, JSON through a
// strict parser, CSV shapes); scores a new file with the saved model through grove-predict (the
// schema round trip: columns in another order, categories met in another order); pins the one-line
// errors for bad input; and checks that the summary's decision function never contradicts itself.
// The end-to-end cases are skipped (with a message) when the examples are not built.
#include <doctest/doctest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <utility>
#include <vector>

#include "grove/core/rng.hpp"
#include "pipeline/advice.hpp"
#include "pipeline/candidates.hpp"
#include "pipeline/report.hpp"

namespace fs = std::filesystem;

namespace {

fs::path tmp_dir() { return fs::path(GROVE_TEST_TMP_DIR) / "pipeline"; }

/// The programs: <build>/examples/grove-*, next to <build>/tests.
fs::path exe(const char* name) { return fs::path(GROVE_TEST_TMP_DIR) / ".." / ".." / "examples" / name; }

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

RunResult run_program(const char* program, const std::string& args, const std::string& tag) {
  const fs::path out = tmp_dir() / (tag + ".stdout"), err = tmp_dir() / (tag + ".stderr");
  const std::string cmd = "GROVE_PROGRESS=0 '" + exe(program).string() + "' " + args + " >'" + out.string() + "' 2>'" +
                          err.string() + "'";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

RunResult run(const std::string& args, const std::string& tag) { return run_program("grove-pipeline", args, tag); }

/// A three-class CSV: two informative features, one noise feature, a text feature, a text
/// target, a few missing cells. Classes sit around three centres, so a model beats chance clearly.
void write_csv(const fs::path& p, std::size_t n) {
  grove::Rng rng(7);
  std::ofstream f(p);
  f << "width,height,noise,habitat,species\n";
  const char* names[3] = {"alpha", "beta", "gamma"};
  const double cx[3] = {0, 3, 0}, cy[3] = {0, 0, 3};
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % 3;
    f << cx[c] + rng.normal() << ',';
    if (i % 37 == 5) f << "";  // a missing cell
    else f << cy[c] + rng.normal();
    f << ',' << rng.normal() << ',' << (rng.uniform() < 0.5 ? "north" : "south") << ',' << names[c] << '\n';
  }
}

/// A regression CSV: price = 3 size - 2 age + 5 [region = east] + noise, with a text column.
void write_regression_csv(const fs::path& p, std::size_t n) {
  grove::Rng rng(11);
  std::ofstream f(p);
  f << "size,age,region,price\n";
  const char* regions[3] = {"east", "west", "north"};
  for (std::size_t i = 0; i < n; ++i) {
    const double size = 10 * rng.uniform(), age = 5 * rng.uniform();
    const std::size_t r = static_cast<std::size_t>(rng.uniform() * 3) % 3;
    f << size << ',' << age << ',' << regions[r] << ',' << 3 * size - 2 * age + (r == 0 ? 5 : 0) + 0.3 * rng.normal() << '\n';
  }
}

// --- a strict little JSON parser (enough to check the summary parses and read its fields) ---
struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  double number = 0;
  bool boolean = false;
  std::string text;
  std::vector<Json> items;
  std::map<std::string, Json> fields;
};

class JsonParser {
public:
  explicit JsonParser(const std::string& s) : s_(s) {}
  bool parse(Json& out) {
    ok_ = true;
    out = value();
    ws();
    return ok_ && i_ == s_.size();
  }

private:
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  Json value() {
    Json v;
    ws();
    if (i_ >= s_.size()) return ok_ = false, v;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.kind = Json::Object;
      if (eat('}')) return v;
      do {
        ws();
        Json key = string_value();
        if (!eat(':')) return ok_ = false, v;
        v.fields[key.text] = value();
      } while (ok_ && eat(','));
      if (!eat('}')) ok_ = false;
    } else if (c == '[') {
      ++i_;
      v.kind = Json::Array;
      if (eat(']')) return v;
      do v.items.push_back(value());
      while (ok_ && eat(','));
      if (!eat(']')) ok_ = false;
    } else if (c == '"') {
      v = string_value();
    } else if (s_.compare(i_, 4, "true") == 0 || s_.compare(i_, 5, "false") == 0) {
      v.kind = Json::Bool;
      v.boolean = s_[i_] == 't';
      i_ += v.boolean ? 4 : 5;
    } else if (s_.compare(i_, 4, "null") == 0) {
      i_ += 4;
    } else {
      std::size_t used = 0;
      try {
        v.number = std::stod(s_.substr(i_, 40), &used);
      } catch (...) {
        ok_ = false;
      }
      if (used == 0 || !std::isfinite(v.number)) ok_ = false;
      v.kind = Json::Number;
      i_ += used;
    }
    return v;
  }
  Json string_value() {
    Json v;
    v.kind = Json::String;
    if (i_ >= s_.size() || s_[i_] != '"') return ok_ = false, v;
    for (++i_; i_ < s_.size() && s_[i_] != '"'; ++i_) {
      if (static_cast<unsigned char>(s_[i_]) < 0x20) return ok_ = false, v;
      if (s_[i_] == '\\') ++i_;
      v.text += s_[i_];
    }
    if (i_ >= s_.size()) ok_ = false;
    ++i_;
    return v;
  }
  const std::string& s_;
  std::size_t i_ = 0;
  bool ok_ = true;
};

bool xml_ok(const fs::path& p) {
  if (!fs::exists("/usr/bin/xmllint")) {
    const std::string s = read_file(p);
    return s.rfind("<?xml", 0) == 0 && s.find("</svg>") != std::string::npos;
  }
  return std::system(("/usr/bin/xmllint --noout '" + p.string() + "' 2>/dev/null").c_str()) == 0;
}

std::vector<std::vector<std::string>> read_csv_cells(const fs::path& p) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(p));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream ls(line);
    while (std::getline(ls, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

std::size_t count_lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

bool have(const char* program) {
  if (fs::exists(exe(program))) return true;
  MESSAGE("skipped: " << exe(program).string() << " is not built (GROVE_BUILD_EXAMPLES=OFF)");
  return false;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Json parse_json_file(const fs::path& p) {
  Json j;
  REQUIRE(JsonParser(read_file(p)).parse(j));
  REQUIRE(j.kind == Json::Object);
  return j;
}

}  // namespace

TEST_CASE("grove-pipeline --quick: classification with a text column, end to end, parseable outputs") {
  if (!have("grove-pipeline")) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "three_classes.csv", out = tmp_dir() / "out";
  write_csv(csv, 240);
  fs::remove_all(out);
  const RunResult r = run("--quick --csv '" + csv.string() + "' --target species --out '" + out.string() + "'", "ok");
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* s : {"1. Data:", "240 rows x 4 features (1 categorical, 3 numeric)", "categorical: habitat (2)",
                        "2. Task: classification, 3 classes (the target holds text; --task overrides)",
                        "3. Model selection: 3-fold cross-validation", "the same folds for every candidate",
                        "random forest", "gradient boosting", "MLP", "<- winner", "4. Final model", "confusion matrix",
                        "5. Does more data help?", "verdict:", "projected accuracy:", "6. Rollout check",
                        "schema saved with the model:", "predictions identical after reload: yes", "SUMMARY",
                        "Chosen model", "Fit            ", "Next step      ", "More data?     ", "Decision       "})
    CHECK_MESSAGE(contains(r.out, s), "missing in stdout: " << s);
  CHECK((contains(r.out, "Decision       READY - ") || contains(r.out, "Decision       NOT READY - ")));
  CHECK(r.err.empty());
  for (const char* f : {"model.grove", "summary.json", "diagnosis.json", "cv_results.csv", "confusion_matrix.csv",
                        "learning_curve.svg", "learning_curve.csv", "history.svg", "history.csv"})
    CHECK_MESSAGE(fs::exists(out / f), "missing output file " << f);
  CHECK(xml_ok(out / "learning_curve.svg"));
  CHECK(xml_ok(out / "history.svg"));

  Json summary = parse_json_file(out / "summary.json");
  auto& s = summary.fields;
  CHECK(s["task"].text == "classification");
  CHECK(s["rows_used"].number == 240);
  CHECK(s["classes"].number == 3);
  CHECK(s["categorical_features"].number == 1);
  CHECK(s["train_rows"].number + s["validation_rows"].number + s["test_rows"].number == 240);
  CHECK(s["model_selection"].items.size() == 3);
  const double acc = s["test_score"].number;
  CHECK(acc > 0.6);  // three well-separated classes: far above the 1/3 of guessing
  CHECK(acc <= 1.0);
  CHECK(s["test"].fields["accuracy"].number == acc);
  CHECK(s["baseline_score"].number < acc);
  CHECK(s["predictions_identical_after_reload"].boolean);
  CHECK(s["latency_p99_us"].number > 0);
  CHECK(s["latency_p99_us"].number >= s["latency_p50_us"].number);
  CHECK(s["decision"].text == (s["ready"].boolean ? "READY" : "NOT READY"));
  CHECK(s["diagnosis"].fields.count("verdict") == 1);
  CHECK(out / "model.grove" == fs::path(s["model_file"].text));
  CHECK(fs::file_size(out / "model.grove") == static_cast<std::uintmax_t>(s["model_bytes"].number));
  Json d;
  CHECK(JsonParser(read_file(out / "diagnosis.json")).parse(d));

  const auto cv = read_csv_cells(out / "cv_results.csv");
  REQUIRE(cv.size() == 4);
  CHECK(cv[0] == std::vector<std::string>{"model", "score", "score_std", "second", "second_std", "fit_seconds_mean",
                                          "fit_seconds_std", "fits", "fits_at_cap"});
  for (std::size_t i = 1; i < cv.size(); ++i) {
    CHECK(std::stod(cv[i][1]) >= 0.0);
    CHECK(std::stod(cv[i][1]) <= 1.0);
    CHECK(std::stod(cv[i][8]) <= std::stod(cv[i][7]));
  }
  CHECK(cv[1][7] == "3");  // the forest: one fit per fold
  const auto cm = read_csv_cells(out / "confusion_matrix.csv");
  REQUIRE(cm.size() == 4);  // header + 3 classes
  CHECK(cm[0] == std::vector<std::string>{"", "alpha", "beta", "gamma"});
  double total = 0;
  for (std::size_t r2 = 1; r2 < cm.size(); ++r2)
    for (std::size_t c = 1; c < cm[r2].size(); ++c) total += std::stod(cm[r2][c]);
  CHECK(total == s["test_rows"].number);
  CHECK(read_csv_cells(out / "learning_curve.csv").size() >= 6);  // header + the default anchors
}

TEST_CASE("grove-pipeline --quick: regression with R2, RMSE, MAE, the mean baseline and a predicted-vs-actual chart") {
  if (!have("grove-pipeline")) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "prices.csv", out = tmp_dir() / "out_reg";
  write_regression_csv(csv, 300);
  fs::remove_all(out);
  const RunResult r = run("--quick --csv '" + csv.string() + "' --target price --out '" + out.string() + "'", "reg");
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* s : {"2. Task: regression (the target holds fractional numbers; --task overrides)", "R2", "RMSE",
                        "baseline (predict the training mean", "predicted_vs_actual.svg", "projected r2:",
                        "predictions identical after reload: yes", "Decision       READY"})
    CHECK_MESSAGE(contains(r.out, s), "missing in stdout: " << s);
  CHECK(!contains(r.out, "confusion matrix"));
  CHECK(xml_ok(out / "predicted_vs_actual.svg"));
  CHECK(contains(read_file(out / "predicted_vs_actual.svg"), "predicted = actual"));
  Json summary = parse_json_file(out / "summary.json");
  auto& t = summary.fields["test"].fields;
  CHECK(summary.fields["task"].text == "regression");
  CHECK(t["r2"].number > 0.8);  // a near-linear target with little noise
  CHECK(t["baseline_r2"].number < 0.05);
  CHECK(t["rmse"].number < 0.5 * t["baseline_rmse"].number);
  CHECK(t["mae"].number < t["baseline_mae"].number);
  CHECK(t["mae"].number <= t["rmse"].number);
}

TEST_CASE("grove-pipeline: few whole numbers in the target are classes; --task overrides") {
  if (!have("grove-pipeline")) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "grades.csv";
  {
    grove::Rng rng(5);
    std::ofstream f(csv);
    f << "x,grade\n";
    for (int i = 0; i < 150; ++i) {
      const double x = rng.uniform();
      f << x << ',' << (x < 0.33 ? 1 : x < 0.66 ? 2 : 5) << '\n';
    }
  }
  const RunResult c = run("--quick --models forest --csv '" + csv.string() + "' --target grade --out '" +
                              (tmp_dir() / "out_grade_c").string() + "'", "grade_c");
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(contains(c.out, "2. Task: classification, 3 classes (the target holds 3 distinct whole numbers; --task overrides)"));
  CHECK(read_csv_cells(tmp_dir() / "out_grade_c" / "confusion_matrix.csv")[0] == std::vector<std::string>{"", "1", "2", "5"});
  const RunResult r = run("--quick --models forest --task regression --csv '" + csv.string() + "' --target grade --out '" +
                              (tmp_dir() / "out_grade_r").string() + "'", "grade_r");
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "2. Task: regression (--task regression)"));
}

TEST_CASE("grove-pipeline: the saved model scores a new file through grove-predict, schema and all") {
  if (!have("grove-pipeline") || !have("grove-predict")) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "train_schema.csv";
  write_csv(csv, 210);
  // The same rows with the columns in another order, the target gone, and a first row whose
  // category ('south') comes before 'north' in the file.
  const fs::path same = tmp_dir() / "score_same.csv", shuffled = tmp_dir() / "score_shuffled.csv";
  {
    std::istringstream in(read_file(csv));
    std::ofstream a(same), b(shuffled);
    std::string line;
    std::getline(in, line);
    a << "width,height,noise,habitat\n";
    b << "habitat,noise,height,width\n";
    std::vector<std::string> rows;
    while (std::getline(in, line)) rows.push_back(line);
    std::stable_partition(rows.begin(), rows.end(), [](const std::string& l) { return contains(l, ",south,"); });
    for (const std::string& l : rows) {
      std::vector<std::string> c;
      std::istringstream ls(l);
      for (std::string cell; std::getline(ls, cell, ',');) c.push_back(cell);
      a << c[0] << ',' << c[1] << ',' << c[2] << ',' << c[3] << '\n';
      b << c[3] << ',' << c[2] << ',' << c[1] << ',' << c[0] << '\n';
    }
  }
  for (const char* model : {"mlp", "boosting"}) {
    CAPTURE(model);
    const fs::path out = tmp_dir() / (std::string("out_schema_") + model);
    const RunResult r = run(std::string("--quick --models ") + model + " --csv '" + csv.string() +
                                "' --target species --out '" + out.string() + "'", std::string("schema_") + model);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    Json summary = parse_json_file(out / "summary.json");
    const fs::path p1 = out / "p_same.csv", p2 = out / "p_shuffled.csv";
    const RunResult a = run_program("grove-predict", "--model '" + (out / "model.grove").string() + "' --csv '" +
                                                         same.string() + "' --out '" + p1.string() + "'", "predict_same");
    INFO(a.err);
    REQUIRE(a.exit_code == 0);
    const auto pa = read_csv_cells(p1);
    REQUIRE(pa.size() == 211);  // header + one row per input row, in order
    CHECK(pa[0] == std::vector<std::string>{"prediction"});
    std::size_t named = 0;
    for (std::size_t i = 1; i < pa.size(); ++i) named += pa[i][0] == "alpha" || pa[i][0] == "beta" || pa[i][0] == "gamma";
    if (summary.fields["schema_saved"].boolean) {
      CHECK(named == 210);  // class names from the model's schema
      const RunResult b = run_program("grove-predict", "--model '" + (out / "model.grove").string() + "' --csv '" +
                                                           shuffled.string() + "' --out '" + p2.string() + "'", "predict_shuf");
      REQUIRE(b.exit_code == 0);
      CHECK(read_csv_cells(p2) == pa);  // columns matched by name, categories by their text
    }
  }
  // The MLP file always carries its schema (grove.serving.Network).
  CHECK(parse_json_file(tmp_dir() / "out_schema_mlp" / "summary.json").fields["schema_saved"].boolean);
  CHECK(parse_json_file(tmp_dir() / "out_schema_mlp" / "summary.json").fields["model_kind"].text == "grove.serving.Network");
}

TEST_CASE("grove-pipeline: a fixed seed gives the same model file for 1 and 2 threads") {
  if (!have("grove-pipeline")) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "three_classes_det.csv";
  write_csv(csv, 150);
  const std::string base = "--quick --seed 3 --csv '" + csv.string() + "' --target species --out '";
  const RunResult a = run(base + (tmp_dir() / "det1").string() + "' --threads 1", "det1");
  const RunResult b = run(base + (tmp_dir() / "det2").string() + "' --threads 2", "det2");
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(read_file(tmp_dir() / "det1" / "model.grove") == read_file(tmp_dir() / "det2" / "model.grove"));
  const auto cv1 = read_csv_cells(tmp_dir() / "det1" / "cv_results.csv");
  const auto cv2 = read_csv_cells(tmp_dir() / "det2" / "cv_results.csv");
  REQUIRE(cv1.size() == 4);
  REQUIRE(cv2.size() == 4);
  for (std::size_t i = 0; i < cv1.size(); ++i)
    for (std::size_t c = 0; c < 5; ++c) CHECK(cv1[i][c] == cv2[i][c]);  // scores, not fit times
}

TEST_CASE("grove-pipeline: rows without a target value are left out and counted") {
  if (!have("grove-pipeline")) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "missing_target.csv";
  write_csv(csv, 120);
  std::string text = read_file(csv);
  std::ofstream(csv) << text << "1.5,2.5,0.1,north,\n0.5,0.5,0.2,south,NA\n";
  const RunResult r = run("--quick --models forest --csv '" + csv.string() + "' --target species --out '" +
                              (tmp_dir() / "out_missing").string() + "'", "missing_target");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "   note: 2 rows without a value in 'species' left out\n"));
  CHECK(contains(r.out, "120 rows x 4 features"));
}

TEST_CASE("grove-pipeline: bad input gives one error line and a non-zero exit") {
  if (!have("grove-pipeline")) return;
  fs::create_directories(tmp_dir());
  const std::string out = " --out '" + (tmp_dir() / "err_out").string() + "'";
  auto csv_with = [](const std::string& name, const std::string& text) {
    const fs::path p = tmp_dir() / name;
    std::ofstream(p) << text;
    return p.string();
  };
  auto error_of = [&](const std::string& args, const std::string& tag) {
    const RunResult r = run("--quick " + args + out, tag);
    CHECK(r.exit_code == 1);
    CHECK(count_lines(r.err) == 1);
    CHECK(!contains(r.out, "SUMMARY"));
    return r.err;
  };

  SUBCASE("missing file") {
    const std::string e = error_of("--csv '" + (tmp_dir() / "nope.csv").string() + "' --target y", "missing");
    CHECK(e.rfind("grove-pipeline: error: cannot open '", 0) == 0);
    CHECK(contains(e, "nope.csv': no such file"));
  }
  SUBCASE("malformed CSV (a row with a missing field)") {
    const std::string e = error_of("--csv '" + csv_with("ragged.csv", "a,b,label\n1,2,x\n3,4,y\n5,6\n") + "' --target label", "ragged");
    CHECK(e.rfind("grove-pipeline: error: load_csv: '", 0) == 0);
    CHECK(contains(e, "line 4"));
  }
  SUBCASE("a number out of float range in a feature column") {
    std::string text = "a,b,label\n";
    for (int i = 0; i < 300; ++i) text += std::to_string(i) + ',' + (i == 250 ? "1e999" : std::to_string(i % 7)) + ',' + std::to_string(i % 2) + '\n';
    const std::string e = error_of("--csv '" + csv_with("range_feature.csv", text) + "' --target label", "range");
    CHECK(e.rfind("grove-pipeline: error: load_csv: '", 0) == 0);
    CHECK(contains(e, "line 252, column 2 ('b'): '1e999' is out of range for float"));
  }
  SUBCASE("unknown target") {
    const fs::path csv = tmp_dir() / "target.csv";
    write_csv(csv, 30);
    const std::string e = error_of("--csv '" + csv.string() + "' --target colour", "target");
    CHECK(e.rfind("grove-pipeline: error: ", 0) == 0);
    CHECK(contains(e, "colour"));
  }
  SUBCASE("too few rows of a class") {
    std::string text = "a,label\n";
    for (int i = 0; i < 40; ++i) text += std::to_string(i) + ',' + (i < 38 ? "common" : "rare") + '\n';
    CHECK(error_of("--csv '" + csv_with("rare.csv", text) + "' --target label", "rare") ==
          "grove-pipeline: error: class 'rare' has 2 rows; each class needs at least 6 for a stratified "
          "train/validation/test split\n");
  }
  SUBCASE("a single class") {
    std::string text = "a,label\n";
    for (int i = 0; i < 40; ++i) text += std::to_string(i) + ",same\n";
    CHECK(error_of("--csv '" + csv_with("one_class.csv", text) + "' --target label", "one_class") ==
          "grove-pipeline: error: target 'label' has a single class ('same'); a classifier needs at least 2\n");
  }
  SUBCASE("a constant regression target") {
    std::string text = "a,value\n";
    for (int i = 0; i < 40; ++i) text += std::to_string(i) + ",2.5\n";
    CHECK(error_of("--csv '" + csv_with("constant.csv", text) + "' --target value --task regression", "constant") ==
          "grove-pipeline: error: target 'value' is constant (every value is 2.5): there is nothing to predict\n");
  }
  SUBCASE("too few rows") {
    CHECK(error_of("--csv '" + csv_with("tiny.csv", "a,label\n1,x\n2,y\n3,x\n4,y\n") + "' --target label", "tiny") ==
          "grove-pipeline: error: the data has 4 usable rows; the pipeline needs at least 20\n");
  }
  SUBCASE("no feature column left (an identifier only)") {
    std::string text = "id,label\n";
    for (int i = 0; i < 40; ++i) text += "user" + std::to_string(i) + ',' + (i % 2 ? "a" : "b") + '\n';
    CHECK(error_of("--csv '" + csv_with("ids.csv", text) + "' --target label", "ids") ==
          "grove-pipeline: error: no feature columns are left besides the target 'label' (dropped: id)\n");
  }
  SUBCASE("--task regression on a text target") {
    const fs::path csv = tmp_dir() / "text_target.csv";
    write_csv(csv, 30);
    const std::string e = error_of("--csv '" + csv.string() + "' --target species --task regression", "text_target");
    CHECK(e.rfind("grove-pipeline: error: load_csv: '", 0) == 0);
    CHECK(contains(e, "'alpha'"));
  }
  SUBCASE("bad usage") {
    auto usage = [](const std::string& args, const std::string& tag) {
      const RunResult r = run(args, tag);
      CHECK(r.exit_code == 2);
      return r.err;
    };
    CHECK(usage("--frobnicate", "u1") == "grove-pipeline: usage: unknown option '--frobnicate' (see --help)\n");
    CHECK(usage("--csv x.csv", "u2") == "grove-pipeline: usage: --csv needs --target NAME (the column to predict)\n");
    CHECK(usage("--models forest,trees", "u3") ==
          "grove-pipeline: usage: --models: unknown model 'trees' (choose from forest, boosting, mlp)\n");
    CHECK(usage("--folds many", "u4") == "grove-pipeline: usage: --folds expects a whole number >= 0, got 'many'\n");
    CHECK(usage("--csv x.csv --target y --task ranking", "u5") ==
          "grove-pipeline: usage: --task must be classification or regression, got 'ranking'\n");
    CHECK(usage("--mlp-categorical embed", "u6") ==
          "grove-pipeline: usage: --mlp-categorical must be onehot or codes, got 'embed'\n");
  }
  SUBCASE("--help") {
    const RunResult r = run("--help", "help");
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Usage: grove-pipeline [options]"));
    CHECK(contains(r.out, "--task T"));
    CHECK(contains(r.out, "--latency-budget-us"));
    CHECK(r.err.empty());
  }
}

TEST_CASE("confusion-matrix headers wrap at word boundaries and never cut a class name") {
  CHECK(pipeline::wrap_words("Ankle boot", 8) == std::vector<std::string>{"Ankle", "boot"});
  CHECK(pipeline::wrap_words("T-shirt/top", 8) == std::vector<std::string>{"T-shirt/", "top"});
  CHECK(pipeline::wrap_words("Pullover", 5) == std::vector<std::string>{"Pullover"});
  CHECK(pipeline::wrap_words("Bag", 8) == std::vector<std::string>{"Bag"});
  std::ostringstream os;
  pipeline::print_table(os, {{"", "Pullover", "Ankle boot"}, {"Pullover", "12", "0"}, {"Ankle boot", "1", "30"}}, "", true);
  CHECK(os.str() ==
        "                      Ankle\n"
        "            Pullover   boot\n"
        "Pullover          12      0\n"
        "Ankle boot         1     30\n");
}

TEST_CASE("the summary's decision never contradicts itself") {
  using grove::diag::Verdict;
  std::size_t cases = 0;
  for (bool cls : {true, false})
    for (bool beats : {true, false})
      for (bool capped : {true, false})
        for (bool falling : {true, false})
          for (Verdict v : {Verdict::Underfitting, Verdict::Overfitting, Verdict::GoodFit, Verdict::Inconclusive})
            for (bool reliable : {true, false})
              for (bool helps : {true, false})
                for (bool below : {true, false})
                  for (bool nn : {true, false}) {
                    if (helps && !reliable) continue;  // diagnose: more_data_helps needs a reliable projection
                    if (below && (helps || !reliable)) continue;  // ... and a model that beats the trivial one by 10x
                    pipeline::Evidence e;
                    e.classification = cls;
                    e.metric = cls ? "accuracy" : "R2";
                    e.test_score = 0.8;
                    e.baseline_score = beats ? 0.3 : 0.9;
                    e.stop = {capped ? 100u : 40u, 100, nn ? "epochs" : "rounds", true};
                    e.val_loss_still_falling = falling;
                    e.kind = nn ? grove::diag::ModelKind::NeuralNet
                                : cls ? grove::diag::ModelKind::Forest : grove::diag::ModelKind::Boosting;
                    e.verdict = v;
                    e.train_score = 0.99;
                    e.val_score = 0.8;
                    e.more_data_helps = helps;
                    e.projection_reliable = reliable;
                    e.projection_note = "too few points";
                    e.stays_below_trivial = below;
                    e.projected_2x = helps ? 0.83 : 0.801;
                    e.curve_rows = 1000;
                    e.latency_p99_us = 10;
                    const pipeline::Decision d = pipeline::decide(e);
                    const std::string all = d.fit + " | " + d.next_step + " | " + d.more_data;
                    CAPTURE(all);
                    ++cases;
                    // More steps is advised only when training hit its cap while still improving,
                    // and then the model is not called overfitting or told to regularize.
                    CHECK((d.lever == pipeline::Lever::MoreSteps) == (beats && capped && falling));
                    CHECK(contains(all, "raise --") == (d.lever == pipeline::Lever::MoreSteps));
                    if (d.lever == pipeline::Lever::MoreSteps) {
                      CHECK(!contains(all, "overfit"));
                      CHECK(!contains(all, "variance"));
                      CHECK(!contains(all, "regularize"));
                      CHECK(contains(d.next_step, nn ? "--epochs" : "--rounds"));
                    }
                    // "More data" as a lever iff the projection says it helps; the data line agrees.
                    CHECK((d.lever == pipeline::Lever::MoreData) == (beats && !(capped && falling) && helps &&
                                                                     v != Verdict::Underfitting));
                    CHECK(d.more_data.rfind(helps ? "yes:" : !reliable ? "unknown:" : below ? "no:" : "little:", 0) == 0);
                    if (d.lever == pipeline::Lever::Regularize) CHECK(!helps);
                    // Advice fits the model kind: trees never hear about weight decay, nets about depth.
                    CHECK(!contains(all, nn ? "shallower trees" : "weight decay"));
                    if (e.kind == grove::diag::ModelKind::Forest) CHECK(!contains(all, "min_child_weight"));
                    // READY iff it beats the baseline here (reproduced, within the latency budget).
                    CHECK(d.ready == beats);
                    CHECK((d.lever == pipeline::Lever::CheckData) == !beats);
                  }
  CHECK(cases == 2 * 2 * 2 * 2 * 4 * 4 * 2);
}

TEST_CASE("tree candidates split a categorical column natively up to 255 categories, beyond as codes") {
  grove::data::Schema schema;
  auto column = [](const std::string& name, std::size_t k) {
    grove::data::Column c;
    c.name = name;
    c.kind = grove::data::ColumnKind::Categorical;
    for (std::size_t i = 0; i < k; ++i) c.categories.push_back("c" + std::to_string(i));
    return c;
  };
  grove::data::Column number;
  number.name = "x";
  schema.features = {number, column("zip", 70), column("name", 300), column("colour", 3)};
  const pipeline::TreeColumns tc = pipeline::tree_columns(schema, 64);
  CHECK(tc.categorical == std::vector<std::size_t>{1, 3});
  CHECK(tc.max_bins == 70);
  CHECK(tc.as_codes == std::vector<std::string>{"name"});
  CHECK(pipeline::tree_columns(schema, 128).max_bins == 128);
}

// End-to-end test of examples/pipeline.cpp: runs the built grove-pipeline in --quick mode on a
// small generated CSV and checks its exit status, summary text and output files (SVGs through
// xmllint when installed, JSON through a strict parser, CSV shapes), then the error paths: a
// missing file, a malformed CSV, an unknown target and a bad flag each give one error line and
// a non-zero exit. Skipped (with a message) when the examples are not built.
#include <doctest/doctest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>
#include <memory>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "grove/core/rng.hpp"

namespace fs = std::filesystem;

namespace {

fs::path tmp_dir() { return fs::path(GROVE_TEST_TMP_DIR) / "pipeline"; }

/// The grove-pipeline program: <build>/examples/grove-pipeline, next to <build>/tests.
fs::path pipeline_exe() { return fs::path(GROVE_TEST_TMP_DIR) / ".." / ".." / "examples" / "grove-pipeline"; }

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

RunResult run(const std::string& args, const std::string& tag) {
  const fs::path out = tmp_dir() / (tag + ".stdout"), err = tmp_dir() / (tag + ".stderr");
  const std::string cmd = "GROVE_PROGRESS=0 '" + pipeline_exe().string() + "' " + args + " >'" + out.string() +
                          "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

/// A three-class CSV: two informative features, one noise feature, a text feature (read as
/// categories), a text target, a few missing cells. Classes sit around three centres, so a model should beat chance clearly.
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

bool have_pipeline() {
  if (fs::exists(pipeline_exe())) return true;
  MESSAGE("skipped: " << pipeline_exe().string() << " is not built (GROVE_BUILD_EXAMPLES=OFF)");
  return false;
}

}  // namespace

TEST_CASE("grove-pipeline --quick runs end to end on a small CSV and writes parseable outputs") {
  if (!have_pipeline()) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "three_classes.csv", out = tmp_dir() / "out";
  write_csv(csv, 240);
  fs::remove_all(out);

  const RunResult r = run("--quick --csv '" + csv.string() + "' --target species --out '" + out.string() + "'", "ok");
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  // Every stage reports, and the summary block closes the run.
  for (const char* s : {"1. Data:", "240 rows x 4 features, 3 classes",
                        "text columns read as categories: 'habitat'", "2. Model selection", "random forest",
                        "gradient boosting", "MLP", "<- winner", "3. Final model", "confusion matrix",
                        "4. Diagnostics", "verdict:", "5. Rollout check", "predictions identical after reload: yes",
                        "SUMMARY", "Chosen model", "More data?", "Decision"})
    CHECK_MESSAGE(r.out.find(s) != std::string::npos, "missing in stdout: " << s);
  CHECK((r.out.find("=> READY") != std::string::npos || r.out.find("=> NOT READY") != std::string::npos));
  CHECK(r.err.find("error") == std::string::npos);

  // Files exist and parse.
  for (const char* f : {"model.grove", "summary.json", "diagnosis.json", "cv_results.csv", "confusion_matrix.csv",
                        "learning_curve.svg", "learning_curve.csv", "history.svg", "history.csv"})
    CHECK_MESSAGE(fs::exists(out / f), "missing output file " << f);
  CHECK(xml_ok(out / "learning_curve.svg"));
  CHECK(xml_ok(out / "history.svg"));

  Json summary;
  REQUIRE(JsonParser(read_file(out / "summary.json")).parse(summary));
  REQUIRE(summary.kind == Json::Object);
  auto& s = summary.fields;
  CHECK(s["rows_used"].number == 240);
  CHECK(s["classes"].number == 3);
  CHECK(s["train_rows"].number + s["validation_rows"].number + s["test_rows"].number == 240);
  CHECK(s["model_selection"].items.size() == 3);
  const double acc = s["test_accuracy"].number;
  CHECK(acc > 0.6);  // three well-separated classes: far above the 1/3 of guessing
  CHECK(acc <= 1.0);
  CHECK(s["baseline_accuracy"].number < acc);
  CHECK(s["predictions_identical_after_reload"].kind == Json::Bool);
  CHECK(s["predictions_identical_after_reload"].boolean);
  CHECK(s["latency_p99_us"].number > 0);
  CHECK(s["latency_p99_us"].number >= s["latency_p50_us"].number);
  CHECK(s["decision"].text == (s["ready"].boolean ? "READY" : "NOT READY"));
  CHECK(s["diagnosis"].kind == Json::Object);
  CHECK(s["diagnosis"].fields.count("verdict") == 1);
  CHECK(out / "model.grove" == fs::path(s["model_file"].text));
  CHECK(fs::file_size(out / "model.grove") == static_cast<std::uintmax_t>(s["model_bytes"].number));
  Json d;
  CHECK(JsonParser(read_file(out / "diagnosis.json")).parse(d));

  const auto cv = read_csv_cells(out / "cv_results.csv");
  REQUIRE(cv.size() == 4);
  for (const auto& row : cv) CHECK(row.size() == 7);
  for (std::size_t i = 1; i < cv.size(); ++i) {
    const double a = std::stod(cv[i][1]);
    CHECK(a >= 0.0);
    CHECK(a <= 1.0);
  }
  const auto cm = read_csv_cells(out / "confusion_matrix.csv");
  REQUIRE(cm.size() == 4);  // header + 3 classes
  CHECK(cm[0] == std::vector<std::string>{"", "alpha", "beta", "gamma"});
  double total = 0;
  for (std::size_t r2 = 1; r2 < cm.size(); ++r2)
    for (std::size_t c = 1; c < cm[r2].size(); ++c) total += std::stod(cm[r2][c]);
  CHECK(total == s["test_rows"].number);
  CHECK(read_csv_cells(out / "learning_curve.csv").size() == 6);  // header + 5 sizes
}

TEST_CASE("grove-pipeline: the forest and the MLP pass the final fit and the rollout check too") {
  if (!have_pipeline()) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "three_classes_models.csv";
  write_csv(csv, 180);
  for (const auto& [key, name] : {std::pair<std::string, std::string>{"forest", "random forest"}, {"mlp", "MLP"}}) {
    CAPTURE(key);
    const fs::path out = tmp_dir() / ("out_" + key);
    fs::remove_all(out);
    const RunResult r = run("--quick --models " + key + " --csv '" + csv.string() + "' --target species --out '" +
                                out.string() + "'",
                            "model_" + key);
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Chosen model   " + name + " (best of 1 by 3-fold CV") != std::string::npos);
    CHECK(r.out.find("predictions identical after reload: yes") != std::string::npos);
    CHECK(xml_ok(out / "history.svg"));
    Json summary;
    REQUIRE(JsonParser(read_file(out / "summary.json")).parse(summary));
    CHECK(summary.fields["chosen_model"].text == name);
    CHECK(summary.fields["model_selection"].items.size() == 1);
    CHECK(summary.fields["test_accuracy"].number > 0.5);
    // The history has both curves, one row per logged step.
    const auto h = read_csv_cells(out / "history.csv");
    REQUIRE(h.size() >= 3);
    CHECK(h[0] == std::vector<std::string>{"step", "train_loss", "val_loss"});
  }
}

TEST_CASE("grove-pipeline: a fixed seed gives the same model file for 1 and 2 threads") {
  if (!have_pipeline()) return;
  fs::create_directories(tmp_dir());
  const fs::path csv = tmp_dir() / "three_classes_det.csv";
  write_csv(csv, 150);
  const std::string base = "--quick --seed 3 --csv '" + csv.string() + "' --target species --out '";
  const RunResult a = run(base + (tmp_dir() / "det1").string() + "' --threads 1", "det1");
  const RunResult b = run(base + (tmp_dir() / "det2").string() + "' --threads 2", "det2");
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(read_file(tmp_dir() / "det1" / "model.grove") == read_file(tmp_dir() / "det2" / "model.grove"));
  // Scores (not the fit times) of model selection agree too.
  const auto cv1 = read_csv_cells(tmp_dir() / "det1" / "cv_results.csv");
  const auto cv2 = read_csv_cells(tmp_dir() / "det2" / "cv_results.csv");
  REQUIRE(cv1.size() == 4);
  REQUIRE(cv2.size() == 4);
  for (std::size_t i = 0; i < cv1.size(); ++i)
    for (std::size_t c = 0; c < 5; ++c) CHECK(cv1[i][c] == cv2[i][c]);
}

TEST_CASE("grove-pipeline: bad input gives one error line and a non-zero exit") {
  if (!have_pipeline()) return;
  fs::create_directories(tmp_dir());
  const std::string out = " --out '" + (tmp_dir() / "err_out").string() + "'";

  SUBCASE("missing file") {
    const RunResult r = run("--quick --csv '" + (tmp_dir() / "nope.csv").string() + "' --target y" + out, "missing");
    CHECK(r.exit_code == 1);
    CHECK(count_lines(r.err) == 1);
    CHECK(r.err.rfind("grove-pipeline: error: cannot open '", 0) == 0);
    CHECK(r.err.find("nope.csv': no such file") != std::string::npos);
    CHECK(r.out.find("SUMMARY") == std::string::npos);
  }
  SUBCASE("malformed CSV (a row with a missing field)") {
    const fs::path bad = tmp_dir() / "ragged.csv";
    std::ofstream(bad) << "a,b,label\n1,2,x\n3,4,y\n5,6\n";
    const RunResult r = run("--quick --csv '" + bad.string() + "' --target label" + out, "ragged");
    CHECK(r.exit_code == 1);
    CHECK(count_lines(r.err) == 1);
    CHECK(r.err.rfind("grove-pipeline: error: load_csv: '", 0) == 0);
    CHECK(r.err.find("line 4") != std::string::npos);
  }
  SUBCASE("a number out of float range in a feature column") {
    const fs::path bad = tmp_dir() / "range_feature.csv";
    std::ofstream f(bad);
    f << "a,b,label\n";
    for (int i = 0; i < 300; ++i) f << i << ',' << (i == 250 ? "1e999" : std::to_string(i % 7)) << ',' << i % 2 << '\n';
    f.close();
    const RunResult r = run("--quick --csv '" + bad.string() + "' --target label" + out, "text");
    CHECK(r.exit_code == 1);
    CHECK(count_lines(r.err) == 1);
    CHECK(r.err.rfind("grove-pipeline: error: load_csv: '", 0) == 0);
    CHECK(r.err.find("line 252, column 2 ('b'): '1e999' is out of range for float") != std::string::npos);
  }
  SUBCASE("unknown target") {
    const fs::path csv = tmp_dir() / "target.csv";
    write_csv(csv, 30);
    const RunResult r = run("--quick --csv '" + csv.string() + "' --target colour" + out, "target");
    CHECK(r.exit_code == 1);
    CHECK(count_lines(r.err) == 1);
    CHECK(r.err.rfind("grove-pipeline: error: ", 0) == 0);
    CHECK(r.err.find("colour") != std::string::npos);
  }
  SUBCASE("too few rows of a class") {
    const fs::path csv = tmp_dir() / "rare.csv";
    std::ofstream f(csv);
    f << "a,label\n";
    for (int i = 0; i < 40; ++i) f << i << ',' << (i < 38 ? "common" : "rare") << '\n';
    f.close();
    const RunResult r = run("--quick --csv '" + csv.string() + "' --target label" + out, "rare");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "grove-pipeline: error: class 'rare' has 2 rows; each class needs at least 6 for a stratified "
                   "train/validation/test split\n");
  }
  SUBCASE("bad usage") {
    const RunResult r = run("--frobnicate", "usage");
    CHECK(r.exit_code == 2);
    CHECK(r.err == "grove-pipeline: usage: unknown option '--frobnicate' (see --help)\n");
    const RunResult r2 = run("--csv x.csv", "usage2");
    CHECK(r2.exit_code == 2);
    CHECK(r2.err == "grove-pipeline: usage: --csv needs --target NAME (the column to predict)\n");
    const RunResult r4 = run("--models forest,trees", "usage4");
    CHECK(r4.exit_code == 2);
    CHECK(r4.err == "grove-pipeline: usage: --models: unknown model 'trees' (choose from forest, boosting, mlp)\n");
    const RunResult r3 = run("--folds many", "usage3");
    CHECK(r3.exit_code == 2);
    CHECK(r3.err == "grove-pipeline: usage: --folds expects a whole number >= 0, got 'many'\n");
  }
  SUBCASE("--help") {
    const RunResult r = run("--help", "help");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Usage: grove-pipeline [options]") != std::string::npos);
    CHECK(r.out.find("--latency-budget-us") != std::string::npos);
    CHECK(r.err.empty());
  }
}

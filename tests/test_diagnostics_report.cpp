// Tests for the diagnostics reports: text tables, CSV, JSON (checked by a JSON parser) and SVG
// charts (checked by xmllint and for their series).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "grove/diagnostics.hpp"

using namespace grove;
using namespace grove::diag;

namespace {

std::string tmp_path(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/" + name; }

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// True when xmllint accepts the file (or xmllint is not installed).
bool xml_ok(const std::string& path) {
  if (!std::filesystem::exists("/usr/bin/xmllint")) return true;
  return std::system(("/usr/bin/xmllint --noout '" + path + "' 2>/dev/null").c_str()) == 0;
}

// True when Python's strict JSON parser accepts the text (or python3 is not installed).
bool json_ok(const std::string& text, const std::string& name) {
  if (!std::filesystem::exists("/usr/bin/python3")) return true;
  const std::string path = tmp_path(name);
  std::ofstream(path, std::ios::binary) << text;
  const std::string cmd = "/usr/bin/python3 -c \"import json,sys; json.load(open(sys.argv[1]), "
                          "parse_constant=lambda c: sys.exit(1))\" '" + path + "' 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

LearningCurve sample_curve() {
  LearningCurve c;
  c.train_sizes = {50, 100, 200, 400};
  c.train_mean = {1.0, 1.0, 0.99, 0.99};
  c.train_std = {0.0, 0.0, 0.005, 0.004};
  c.val_mean = {0.62, 0.7, 0.76, 0.8};
  c.val_std = {0.03, 0.025, 0.02, 0.02};
  c.train_scores = {{1, 1, 1}, {1, 1, 1}, {0.99, 0.985, 0.995}, {0.99, 0.986, 0.994}};
  c.val_scores = {{0.6, 0.62, 0.64}, {0.68, 0.7, 0.72}, {0.74, 0.76, 0.78}, {0.78, 0.8, 0.82}};
  c.fit_times = {{0.1, 0.1, 0.1}, {0.2, 0.2, 0.2}, {0.4, 0.4, 0.4}, {0.8, 0.8, 0.8}};
  c.scoring = "accuracy";
  c.folds = 3;
  c.n_samples = 600;
  c.baseline_score = 0.5;
  return c;
}

History sample_history() {
  History h;
  for (std::size_t t = 0; t <= 60; ++t) {
    const double td = static_cast<double>(t);
    h.log(t, "train_loss", 1.0 / (1.0 + 0.1 * td));
    h.log(t, "val_loss", 0.4 + 0.0004 * (td - 30) * (td - 30));
  }
  return h;
}

}  // namespace

TEST_CASE("print: aligned tables for a curve, a diagnosis and a history") {
  const LearningCurve c = sample_curve();
  std::ostringstream os;
  print(os, c);
  const std::string s = os.str();
  CHECK(s.rfind("learning curve (accuracy, 3-fold, 600 samples)\n", 0) == 0);
  CHECK(s.find("trivial baseline (validation): 0.5000") != std::string::npos);
  // Every line of the table has the same width (right-aligned number columns).
  std::istringstream in(s);
  std::string line;
  std::getline(in, line);  // title
  std::vector<std::string> table;
  while (std::getline(in, line) && line.rfind("trivial", 0) != 0) table.push_back(line);
  REQUIRE(table.size() == 6);  // header, rule, 4 rows
  for (const auto& l : table) CHECK(l.size() == table[0].size());
  CHECK(table[0].rfind("train size", 0) == 0);
  CHECK(table[5] == "400         0.9900     0.0040      0.8000   0.0200  0.1900  0.800");

  const Diagnosis d = diagnose(c);
  std::ostringstream od;
  print(od, d);
  const std::string t = od.str();
  CHECK(t.rfind("diagnosis (learning curve, accuracy): overfitting\n", 0) == 0);
  CHECK(t.find("more data helps") != std::string::npos);
  CHECK(t.find("projected score at 2x") != std::string::npos);
  CHECK(t.find("curve families (weight)") != std::string::npos);
  std::istringstream ind(t);
  while (std::getline(ind, line)) CHECK(line.size() <= 100);  // summary wrapped

  std::ostringstream oh;
  History h;
  h.log(0, "loss", 1.5);
  h.log(1, "loss", 1.25);
  h.log(1, "val_loss", 1.375);
  print(oh, h);
  CHECK(oh.str() == "step  loss  val_loss\n--------------------\n0      1.5\n1     1.25     1.375\n");

  std::ostringstream ohd;
  print(ohd, diagnose(sample_history()));
  CHECK(ohd.str().find("best step (early stop)") != std::string::npos);
  CHECK(ohd.str().find("30 (0.4)") != std::string::npos);
}

TEST_CASE("to_json produces strict JSON with escaped strings and null for NaN") {
  LearningCurve c = sample_curve();
  c.scoring = "my \"score\"\n\\";
  c.baseline_score = std::numeric_limits<double>::quiet_NaN();
  const std::string j = to_json(c);
  CHECK(j.find("\"scoring\":\"my \\\"score\\\"\\n\\\\\"") != std::string::npos);
  CHECK(j.find("\"baseline_score\":null") != std::string::npos);
  CHECK(j.find("\"train_sizes\":[50,100,200,400]") != std::string::npos);
  CHECK(j.find("\"val_scores\":[[0.6,0.62,0.64]") != std::string::npos);
  CHECK(json_ok(j, "curve.json"));

  const Diagnosis d = diagnose(c, {.target_score = 0.99});
  const std::string jd = to_json(d);
  CHECK(jd.find("\"verdict\":\"overfitting\"") != std::string::npos);
  CHECK(jd.find("\"samples_for_target\":null") != std::string::npos);  // +inf: not reachable
  CHECK(jd.find("\"target_reachable\":false") != std::string::npos);
  CHECK(jd.find("\"best_step\":null") != std::string::npos);
  CHECK(jd.find("\"fit\":{\"ok\":true,\"method\":\"levenberg-marquardt\"") != std::string::npos);
  CHECK(json_ok(jd, "diagnosis.json"));

  const Diagnosis dh = diagnose(sample_history());
  const std::string jh = to_json(dh);
  CHECK(jh.find("\"best_step\":30") != std::string::npos);
  CHECK(jh.find("\"source\":\"history\"") != std::string::npos);
  CHECK(json_ok(jh, "diagnosis_history.json"));

  History h;
  h.log(3, "a\\b", std::numeric_limits<double>::infinity());
  h.log(4, "a\\b", 0.5);
  CHECK(to_json(h) == "{\"series\":[{\"name\":\"a\\\\b\",\"steps\":[3,4],\"values\":[null,0.5]}]}");
  CHECK(json_ok(to_json(h), "history.json"));
  CHECK(json_ok(to_json(History{}), "history_empty.json"));

  const std::string path = tmp_path("diag_written.json");
  write_json(d, path);
  CHECK(read_file(path) == jd + "\n");
}

TEST_CASE("the JSON check itself rejects NaN and broken JSON") {
  if (!std::filesystem::exists("/usr/bin/python3")) return;
  CHECK_FALSE(json_ok("{\"a\":NaN}", "bad1.json"));
  CHECK_FALSE(json_ok("{\"a\":[1,}", "bad2.json"));
}

TEST_CASE("write_csv: curves and histories, NaN as empty cells, failures name the path") {
  LearningCurve c;
  c.train_sizes = {10, 20};
  c.train_mean = {1, 0.5};
  c.train_std = {0, 0.25};
  c.val_mean = {0.25, std::numeric_limits<double>::quiet_NaN()};
  c.val_std = {0.125, 0};
  c.val_scores = {{0.25, 0.25}, {0.5, 0.5}};
  c.train_scores = {{1, 1}, {0.25, 0.75}};
  c.fit_times = {{1, 3}, {2, 2}};
  CHECK(to_csv(c) ==
        "train_size,train_mean,train_std,val_mean,val_std,fit_time_mean,train_fold0,train_fold1,val_fold0,val_fold1\n"
        "10,1,0,0.25,0.125,2,1,1,0.25,0.25\n"
        "20,0.5,0.25,,0,2,0.25,0.75,0.5,0.5\n");
  const std::string path = tmp_path("curve.csv");
  write_csv(c, path);
  CHECK(read_file(path) == to_csv(c));

  History h;
  h.log(0, "loss", 1);
  h.log(2, "loss", 0.5);
  h.log(2, "val, loss", 0.75);
  CHECK(to_csv(h) == "step,loss,\"val, loss\"\n0,1,\n2,0.5,0.75\n");
  write_csv(h, tmp_path("history.csv"));
  CHECK(read_file(tmp_path("history.csv")) == to_csv(h));
  CHECK_THROWS_WITH_AS(write_csv(h, "/nonexistent-dir/h.csv"), "write_csv: cannot write '/nonexistent-dir/h.csv': No such file or directory",
                       IoError);
}

TEST_CASE("write_svg(curve): valid XML with both series, bands, fit, legend and log axis") {
  const LearningCurve c = sample_curve();
  const std::string path = tmp_path("learning_curve.svg");
  write_svg(c, path, {.title = "k-NN <demo>", .log_x = true});
  const std::string s = read_file(path);
  CHECK(xml_ok(path));
  CHECK(s.find("data-label=\"train\"") != std::string::npos);
  CHECK(s.find("data-label=\"validation\"") != std::string::npos);
  CHECK(s.find("class=\"band\" data-label=\"train ± 1 std\"") != std::string::npos);
  CHECK(s.find("class=\"band\" data-label=\"validation ± 1 std\"") != std::string::npos);
  CHECK(s.find("class=\"series\" data-label=\"projection (") != std::string::npos);
  CHECK(s.find("class=\"edge-note\" data-label=\"trivial baseline ") != std::string::npos);
  CHECK(s.find(">2x: ") != std::string::npos);
  CHECK(s.find(">10x: ") != std::string::npos);
  CHECK(s.find(">training samples (log scale)</text>") != std::string::npos);
  CHECK(s.find(">accuracy (higher is better)</text>") != std::string::npos);
  CHECK(s.find(">k-NN &lt;demo&gt;</text>") != std::string::npos);
  CHECK(s.find("class=\"legend\"") != std::string::npos);

  // Without the fit overlay, and with a diagnosis supplied by the caller.
  const std::string plain = to_svg(c, {.show_fit = false});
  CHECK(plain.find("projection") == std::string::npos);
  const Diagnosis d = diagnose(c);
  const std::string with = to_svg(c, {.diagnosis = &d});
  CHECK(with.find(">2x: " + grove::detail::fmt(d.projected_val_score_2x, 3) + " [" +
                  grove::detail::fmt(d.projected_val_score_2x_lo, 3) + ", " + grove::detail::fmt(d.projected_val_score_2x_hi, 3) + "]") != std::string::npos);
}

TEST_CASE("to_svg(curve): log axis only when the drawn sizes span more than a decade; y fitted to the data") {
  LearningCurve c = sample_curve();  // sizes 50..400: less than a decade
  c.baseline_score = 0.1;            // far below the curve: marked at the edge, the axis not stretched
  const std::string s = to_svg(c, {.show_fit = false});
  CHECK(s.find("(log scale)") == std::string::npos);
  CHECK(s.find(">trivial baseline 0.1 (below)</text>") != std::string::npos);
  CHECK(s.find(">0.2</text>") == std::string::npos);  // no tick near the baseline
  // With the projection drawn out to 10x (4,000) the axis spans 80x: log.
  CHECK(to_svg(c).find(">training samples (log scale)</text>") != std::string::npos);
  CHECK(to_svg(c, {.log_x = false}).find("(log scale)") == std::string::npos);
  c.train_sizes = {20, 50, 100, 400};
  CHECK(to_svg(c, {.show_fit = false}).find(">training samples (log scale)</text>") != std::string::npos);
  CHECK(to_svg(c, {.log_x = false}).find("(log scale)") == std::string::npos);
}

TEST_CASE("write_svg(history): loss curves with the early-stopping point marked") {
  const History h = sample_history();
  const std::string path = tmp_path("history.svg");
  write_svg(h, path);
  const std::string s = read_file(path);
  CHECK(xml_ok(path));
  CHECK(s.find("data-label=\"train_loss\"") != std::string::npos);
  CHECK(s.find("data-label=\"val_loss\"") != std::string::npos);
  CHECK(s.find(">best: step 30</text>") != std::string::npos);  // no stop_step: the best step, not a stop
  CHECK(s.find("early stop") == std::string::npos);
  CHECK(s.find(">best val_loss 0.4</text>") != std::string::npos);

  // Two validation series share the validation colour: the second one is dashed.
  History two = h;
  for (std::size_t t = 0; t < h.series("val_loss").size(); ++t) two.log(t, "val_accuracy", 0.5);
  const std::string shared = to_svg(two);
  const auto dashed = [&](const std::string& label) {
    const std::size_t at = shared.find("data-label=\"" + label + "\"");
    REQUIRE(at != std::string::npos);
    const std::size_t end = shared.find("</g>", at);  // the series' group: its path and markers
    return shared.substr(at, end - at).find("stroke-dasharray") != std::string::npos;
  };
  CHECK_FALSE(dashed("val_loss"));
  CHECK(dashed("val_accuracy"));
  CHECK_FALSE(dashed("train_loss"));

  EarlyStopping es({.monitor = "val_loss", .patience = 5});
  for (std::size_t t = 0; t <= 60 && !es.should_stop(); ++t) es.update(t, h.series("val_loss")[t]);
  const std::string explicit_stop = to_svg(h, {.series = {"val_loss"}, .stop_step = es.best_step(), .log_y = true});
  CHECK(explicit_stop.find("data-label=\"train_loss\"") == std::string::npos);
  CHECK(explicit_stop.find(">early stop: step 30</text>") != std::string::npos);
  CHECK(explicit_stop.find("(log scale)") != std::string::npos);

  CHECK_THROWS_WITH_AS(to_svg(h, {.series = {"acc"}}), "History: no series 'acc' (known: train_loss, val_loss)",
                       ValueError);
  CHECK_THROWS_WITH_AS(write_svg(h, "/nonexistent-dir/h.svg"),
                       "write_svg: cannot write '/nonexistent-dir/h.svg': No such file or directory", IoError);
}

// grove-predict: serve::score_csv (examples/serve/batch_scorer.hpp) on CSVs with the model's
// schema, columns in another order, extra columns, bad rows (reported with line and column, empty
// in the output, order kept), batches of any size giving the same output; then the program
// itself (exit codes, --out written whole or not at all).
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "grove/serving.hpp"
#include "grove/trees.hpp"

#include "serve/batch_scorer.hpp"
#include "test_serve_fixtures.hpp"

namespace fs = std::filesystem;

namespace {

fs::path dir() { return serve_test::tmp_dir("predict"); }

struct Scored {
  std::string csv;
  std::vector<std::string> reports;
  serve::ScoreResult result;
};

Scored score(const grove::serving::Model& m, const fs::path& csv, bool proba = false, std::size_t batch = 4096) {
  Scored s;
  std::ostringstream out;
  serve::ScoreOptions o;
  o.csv_path = csv.string();
  o.proba = proba;
  o.batch_rows = batch;
  s.result = serve::score_csv(m, o, out, [&](const std::string& r) { s.reports.push_back(r); });
  s.csv = out.str();
  return s;
}

/// Class names the model predicts for rows X.
std::vector<std::string> classes_of(const grove::serving::Model& m, const std::vector<float>& X) {
  std::vector<double> p(X.size() / m.n_features());
  m.predict(X, p);
  std::vector<std::string> out;
  for (double c : p) out.push_back(m.schema().class_names.at(static_cast<std::size_t>(c)));
  return out;
}

std::string float_text(float v) {
  std::string s;
  serve::append_float(s, v);
  return s;
}

}  // namespace

TEST_CASE("score_csv: columns by name in any order, the target ignored, bad rows empty and reported") {
  const fs::path model = dir() / "net.grove";
  serve_test::write_flower_network(model, 21);
  const auto m = grove::serving::load_model(model.string());
  const fs::path csv = dir() / "new.csv";
  serve_test::write_bytes(csv,
                          "id,colour,species,width,length\n"
                          "1,red,setosa,2,1.5\n"
                          "2,blue,,0.5,4\n"          // an empty target: ignored
                          "3,green,virginica,abc,5\n"  // line 4: bad number
                          "4,purple,unknown,1,3\n"     // an unseen category and an unseen class: scored
                          "5,red,setosa,1\n"           // line 6: a field short
                          "6,\"red\",x,,2\n");         // a missing width: scored
  const Scored s = score(*m, csv);
  const float nan = std::nanf("");
  const auto want = classes_of(*m, {1.5f, 2, 2, 4, 0.5f, 0, 3, 1, nan, 2, nan, 2});
  CHECK(s.csv == "prediction\n" + want[0] + "\n" + want[1] + "\n\n" + want[2] + "\n\n" + want[3] + "\n");
  CHECK(s.result.rows == 6);
  CHECK(s.result.bad_rows == 2);
  REQUIRE(s.reports.size() == 2);
  CHECK(s.reports[0].rfind("CsvReader: '" + csv.string() + "' line 4, column 4", 0) == 0);
  CHECK(s.reports[0].find("expected a number, got 'abc'") != std::string::npos);
  CHECK(s.reports[1].rfind("CsvReader: '" + csv.string() + "' line 6, column ", 0) == 0);
  CHECK(s.reports[1].find("expected 5 fields (as in the header), got 4") != std::string::npos);

  // The same output, whatever the batch size (rows and bad rows meet across batch boundaries).
  for (std::size_t batch : {1, 2, 3}) CHECK(score(*m, csv, false, batch).csv == s.csv);

  // With probabilities: one column per class, bad rows empty.
  const Scored p = score(*m, csv, true, 2);
  std::vector<float> proba(3);
  m->predict_proba(std::vector<float>{1.5f, 2, 2}, proba);
  std::istringstream lines(p.csv);
  std::string header, first, second, third;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  std::getline(lines, third);
  CHECK(header == "prediction,proba_setosa,proba_versicolor,proba_virginica");
  CHECK(first == want[0] + "," + float_text(proba[0]) + "," + float_text(proba[1]) + "," + float_text(proba[2]));
  CHECK(third == ",,,");
}

TEST_CASE("score_csv: a missing feature column is an error naming it") {
  const fs::path model = dir() / "net_missing.grove";
  serve_test::write_flower_network(model);
  const auto m = grove::serving::load_model(model.string());
  const fs::path csv = dir() / "no_width.csv";
  serve_test::write_bytes(csv, "length,colour\n1,red\n");
  std::ostringstream out;
  serve::ScoreOptions o;
  o.csv_path = csv.string();
  try {
    serve::score_csv(*m, o, out, [](const std::string&) {});
    FAIL("no error");
  } catch (const grove::FormatError& e) {
    CHECK(std::string(e.what()).find("'width'") != std::string::npos);
  }
  o.csv_path = (dir() / "absent.csv").string();
  CHECK_THROWS_AS(serve::score_csv(*m, o, out, [](const std::string&) {}), grove::FormatError);
}

TEST_CASE("score_csv: class names that need quoting, regressors and models without a schema") {
  // A class name with a comma and a quote is written as an RFC 4180 field.
  grove::serving::NetworkSpec spec = serve_test::flower_network_spec();
  spec.schema.class_names = {"a,b", "say \"hi\"", "plain"};
  grove::Rng rng(2);
  grove::nn::Sequential<float> net = grove::serving::make_network(spec, rng);
  const fs::path quoted = dir() / "quoted.grove";
  grove::serving::save_network(quoted.string(), spec, net);
  const auto mq = grove::serving::load_model(quoted.string());
  const fs::path csv = dir() / "rows.csv";
  serve_test::write_bytes(csv, "length,width,colour\n0,0,blue\n6,3,red\n1,2,green\n");
  const Scored q = score(*mq, csv, true);
  const auto names = classes_of(*mq, {0, 0, 0, 6, 3, 2, 1, 2, 1});
  const std::string header = "prediction,\"proba_a,b\",\"proba_say \"\"hi\"\"\",proba_plain\n";
  REQUIRE(q.csv.rfind(header, 0) == 0);
  std::istringstream rows(q.csv.substr(header.size()));
  for (const auto& n : names) {
    std::string line;
    std::getline(rows, line);
    CHECK(line.rfind(serve::csv_field(n) + ",", 0) == 0);
  }
  CHECK(serve::csv_field("a,b") == "\"a,b\"");
  CHECK(serve::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(serve::csv_field("line\nbreak") == "\"line\nbreak\"");
  CHECK(serve::csv_field("plain") == "plain");

  // A regressor without a schema: columns by position, values as the shortest float text.
  const auto [X, y] = serve_test::flower_data(150, 4);
  grove::trees::GradientBoostingRegressor r({.n_estimators = 10, .max_depth = 3});
  r.fit(X, y);
  const fs::path reg = dir() / "reg.grove";
  r.save(reg.string());
  const auto mr = grove::serving::load_model(reg.string());
  const fs::path nums = dir() / "nums.csv";
  serve_test::write_bytes(nums, "a,b,c\n1,2,0\n4,0.5,2\n");
  const Scored s = score(*mr, nums, true);  // --proba is ignored for a regressor
  CHECK(s.csv == "prediction\n" + float_text(r.predict_row(std::vector<float>{1, 2, 0})) + "\n" +
                     float_text(r.predict_row(std::vector<float>{4, 0.5f, 2})) + "\n");
  if (!mr->has_file_schema()) {
    const fs::path wide = dir() / "wide.csv";
    serve_test::write_bytes(wide, "a,b,c,d\n1,2,0,1\n");
    std::ostringstream out;
    serve::ScoreOptions o;
    o.csv_path = wide.string();
    CHECK_THROWS_WITH_AS(serve::score_csv(*mr, o, out, [](const std::string&) {}),
                         ("grove-predict: '" + wide.string() +
                          "' has 4 feature columns, the model takes 3 (a model saved without a schema reads the "
                          "columns by position)")
                             .c_str(),
                         grove::FormatError);
  }
}

// --- the program ----------------------------------------------------------------------------------

namespace {

fs::path predict_exe() { return fs::path(GROVE_TEST_TMP_DIR) / ".." / ".." / "examples" / "grove-predict"; }

struct Run {
  int code = -1;
  std::string out, err;
};

Run run(const std::string& args) {
  const fs::path out = dir() / "run.stdout", err = dir() / "run.stderr";
  const std::string cmd = "'" + predict_exe().string() + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, serve_test::read_bytes(out), serve_test::read_bytes(err)};
}

}  // namespace

TEST_CASE("the grove-predict program: output file, exit codes, bad rows on stderr") {
  if (!fs::exists(predict_exe())) {
    MESSAGE("grove-predict is not built (examples off); skipping the program test");
    return;
  }
  const fs::path model = dir() / "prog.grove", csv = dir() / "prog.csv", out = dir() / "prog_out.csv";
  serve_test::write_flower_network(model, 8);
  serve_test::write_bytes(csv, "length,width,colour\n1,2,red\n2,x,blue\n3,1,green\n");
  const auto m = grove::serving::load_model(model.string());
  const std::string expected = score(*m, csv, true).csv;

  fs::remove(out);
  Run r = run("--model '" + model.string() + "' --csv '" + csv.string() + "' --out '" + out.string() + "' --proba");
  CHECK(r.code == 3);
  // The program is built for this CPU (-march=native), the test portably: probabilities may
  // differ in the last bits (fused multiply-adds), so they are compared numerically.
  const auto cells = [](const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      rows.emplace_back();
      std::istringstream fields(line + ",");
      for (std::string f; std::getline(fields, f, ',');) rows.back().push_back(f);
    }
    return rows;
  };
  const auto got = cells(serve_test::read_bytes(out)), want = cells(expected);
  REQUIRE(got.size() == want.size());
  CHECK(got[0] == want[0]);
  for (std::size_t i = 0; i < got.size(); ++i) {
    REQUIRE(got[i].size() == want[i].size());
    CHECK(got[i][0] == want[i][0]);
    for (std::size_t c = 1; i > 0 && c < got[i].size(); ++c)
      CHECK((got[i][c].empty() ? -1.0 : std::stod(got[i][c])) ==
            doctest::Approx(want[i][c].empty() ? -1.0 : std::stod(want[i][c])).epsilon(1e-5));
  }
  CHECK_FALSE(fs::exists(out.string() + ".tmp"));
  CHECK(r.err.find("grove-predict: bad row: CsvReader: '" + csv.string() + "' line 3, column 2") != std::string::npos);
  CHECK(r.err.find("grove-predict: scored 2 of 3 rows with grove.serving.Network into '" + out.string() + "'\n") !=
        std::string::npos);
  CHECK(r.err.find("grove-predict: 1 rows could not be scored (empty cells in the output)\n") != std::string::npos);

  // Standard output, every row good: exit 0.
  serve_test::write_bytes(csv, "length,width,colour\n1,2,red\n");
  r = run("--model '" + model.string() + "' --csv '" + csv.string() + "'");
  CHECK(r.code == 0);
  CHECK(r.out == "prediction\n" + classes_of(*m, {1, 2, 2})[0] + "\n");

  // A file that cannot be read: exit 1, and --out is not created.
  fs::remove(out);
  r = run("--model '" + model.string() + "' --csv '" + (dir() / "absent.csv").string() + "' --out '" + out.string() + "'");
  CHECK(r.code == 1);
  CHECK(r.err.rfind("grove-predict: ", 0) == 0);
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(out.string() + ".tmp"));

  r = run("--model '" + (dir() / "absent.grove").string() + "' --csv '" + csv.string() + "'");
  CHECK(r.code == 1);
  CHECK(r.err == "grove-predict: cannot load the model: read_model_header: '" + (dir() / "absent.grove").string() +
                     "': cannot open: No such file or directory\n");
  r = run("--csv x.csv");
  CHECK(r.code == 2);
  CHECK(r.err == "grove-predict: --model PATH and --csv IN are required (see --help)\n");
  r = run("--model m --csv x --batch-rows 0");
  CHECK(r.code == 2);
  CHECK(r.err == "grove-predict: --batch-rows expects an integer in [1, 16777216], got '0'\n");
}

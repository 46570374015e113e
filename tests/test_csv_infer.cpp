// load_csv column inference: kinds, drops and their reasons, overrides, category order, target
// encoding, delimiter detection, and the real and messy fixtures in tests/data/csv.
#include <grove/data/csv.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace grove;
using data::ColumnKind;
using data::DropReason;
using data::load_csv;
using data::TargetKind;

namespace {

std::string tmp_path(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/csv_infer_" + name; }
std::string fixture(const std::string& name) { return std::string(GROVE_TEST_DATA_DIR) + "/csv/" + name; }

std::string write_file(const std::string& name, const std::string& content) {
  const std::string path = tmp_path(name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(content.data(), 1, content.size(), f) == content.size());
  std::fclose(f);
  return path;
}

std::string at(const std::string& path, int line, int col) {
  return "load_csv: '" + path + "' line " + std::to_string(line) + ", column " + std::to_string(col);
}

std::vector<std::string> dropped_names(const data::Dataset<double>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds.dropped_columns) out.push_back(d.name);
  return out;
}

}  // namespace

TEST_CASE("the messy fixture: every inferred kind and every drop reason, whatever the delimiter") {
  for (const char* name : {"messy.csv", "messy_semicolon.csv", "messy_tab.tsv"}) {
    CAPTURE(name);
    const auto ds = load_csv<double>(fixture(name), {.target = "churn"});
    REQUIRE(ds.X.shape() == Shape{40, 7});
    CHECK(ds.feature_names == std::vector<std::string>{"age", "city", "member", "zip", "plan_code", "income", "status"});
    CHECK(ds.categorical_features() == std::vector<std::size_t>{1, 2, 6});
    CHECK(ds.feature_kinds == std::vector<ColumnKind>{ColumnKind::Numeric, ColumnKind::Categorical,
                                                      ColumnKind::Categorical, ColumnKind::Numeric,
                                                      ColumnKind::Numeric, ColumnKind::Numeric,
                                                      ColumnKind::Categorical});
    // Quoted delimiters and UTF-8 survive; categories are sorted bytewise.
    CHECK(ds.categories[1] == std::vector<std::string>{"Berlin", "Lyon", "New York, NY", "Paris", "Z\xC3\xBCrich"});
    CHECK(ds.categories[2] == std::vector<std::string>{"no", "yes"});  // a boolean-like column
    // Numbers and text mixed: numbers are named by their shortest text and sort before letters.
    CHECK(ds.categories[6] == std::vector<std::string>{"1", "2", "3", "unknown"});
    CHECK(ds.class_names == std::vector<std::string>{"left", "stayed"});
    CHECK(ds.target_name == "churn");
    CHECK(ds.target_kind == TargetKind::Categorical);
    // Row 1: age 27, Paris, yes, zip 2134, plan 2, income 31237.1, status 2, stayed.
    CHECK(ds.X(0, 0) == 27);
    CHECK(ds.X(0, 1) == 3);
    CHECK(ds.X(0, 2) == 1);
    CHECK(ds.X(0, 3) == 2134);
    CHECK(ds.X(0, 5) == 31237.1);
    CHECK(ds.X(0, 6) == 1);
    CHECK(ds.y(0) == 1);
    CHECK(ds.X(3, 3) == 2134);  // "02134" is the number 2134 in a numeric column
    // Missing values in several spellings: rows 8, 16, 24, 32, 40 hold NA, "", N/A, null, NaN.
    for (std::size_t r : {7u, 15u, 23u, 31u, 39u}) CHECK(std::isnan(ds.X(r, 0)));
    CHECK(std::isnan(ds.X(10, 1)));  // city "NA"
    CHECK(std::isnan(ds.X(12, 5)));  // income ""
    REQUIRE(ds.dropped_columns.size() == 5);
    CHECK(ds.dropped_columns[0] == data::DroppedColumn{"row", 0, DropReason::Identifier,
                                                       "identifier: the row number (1, 2, ...)"});
    CHECK(ds.dropped_columns[1] ==
          data::DroppedColumn{"customer_id", 1, DropReason::Identifier,
                              "identifier or free text: 40 distinct values in 40 non-missing cells"});
    CHECK(ds.dropped_columns[2].name == "name");
    CHECK(ds.dropped_columns[3] ==
          data::DroppedColumn{"note", 9, DropReason::Identifier,
                              "identifier or free text: 29 distinct values in 40 non-missing cells"});
    CHECK(ds.dropped_columns[4] == data::DroppedColumn{"empty", 10, DropReason::AllMissing, "every value is missing"});
  }
}

TEST_CASE("overrides: categorical keeps every spelling, numeric, drop, columns") {
  const auto path = fixture("messy.csv");
  const auto cat = load_csv<double>(path, {.target = "churn", .categorical = {"zip", "plan_code", "row"}});
  const auto j_zip = 4u;  // row, age, city, member, zip, ...
  REQUIRE(cat.feature_names[j_zip] == "zip");
  // Forced categorical: "02134" and "2134" stay apart, sorted by value then text.
  CHECK(cat.categories[j_zip] == std::vector<std::string>{"02134", "2134", "10001", "75001"});
  CHECK(cat.X(0, j_zip) == 1);  // "2134"
  CHECK(cat.X(3, j_zip) == 0);  // "02134"
  CHECK(cat.categories[5] == std::vector<std::string>{"1", "2", "3"});
  CHECK(cat.feature_names[0] == "row");  // a forced column is never dropped as an identifier
  CHECK(cat.categories[0].size() == 40);
  CHECK(dropped_names(cat) == std::vector<std::string>{"customer_id", "name", "note", "empty"});

  // Forced numeric keeps an identifier-looking column; drop and columns select.
  const auto num = load_csv<double>(path, {.target = "churn", .numeric = {"row"}, .drop = {"age", "city"}});
  CHECK(num.feature_names == std::vector<std::string>{"row", "member", "zip", "plan_code", "income", "status"});
  CHECK(num.dropped_columns[2] == data::DroppedColumn{"age", 3, DropReason::Requested, "listed in drop"});
  const auto picked = load_csv<double>(path, {.target = "churn", .columns = {"status", "age", "churn"}});
  CHECK(picked.feature_names == std::vector<std::string>{"status", "age"});  // in the order listed
  CHECK(picked.X.shape() == Shape{40, 2});
  REQUIRE(picked.dropped_columns.size() == 10);
  CHECK(picked.dropped_columns[0] == data::DroppedColumn{"row", 0, DropReason::NotSelected, "not listed in columns"});
  // The text in an all-text column listed as numeric is an error with line and column.
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.target = "churn", .numeric = {"city"}}),
                       (at(path, 2, 5) + " ('city'): expected a number, got 'Paris' (the column is listed in "
                                         "'numeric')").c_str(),
                       FormatError);
}

TEST_CASE("override errors: unknown columns, conflicts, the target in drop") {
  const auto path = write_file("conflict.csv", "a,b,y\n1,x,0\n2,y,1\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.drop = {"q"}}),
                       ("load_csv: '" + path + "': drop column 'q' not found; columns are 'a', 'b', 'y'").c_str(),
                       FormatError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.numeric = {5}}),
                       ("load_csv: '" + path + "': numeric column index 5 out of range for 3 columns").c_str(),
                       FormatError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.columns = {"zz"}}),
                       ("load_csv: '" + path + "': columns column 'zz' not found; columns are 'a', 'b', 'y'").c_str(),
                       FormatError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.categorical = {"a"}, .numeric = {0}}),
                       "load_csv: column 'a' is listed in both categorical and numeric", ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.drop = {"y"}}), "load_csv: the target column 'y' is listed in drop",
                       ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.columns = {"a", "a"}}), "load_csv: column 'a' is listed twice in columns",
                       ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.categorical = {"y"}, .target_kind = TargetKind::Numeric}),
                       "load_csv: the target column 'y' is listed in categorical but target_kind is Numeric",
                       ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.max_category_share = 0.0}),
                       "load_csv: max_category_share must be in (0, 1], got 0", ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.max_categories = 0}),
                       "load_csv: max_categories must be in [1, 16777216], got 0", ValueError);
}

TEST_CASE("identifier rules: distinct share, the category cap, small columns kept, row numbers") {
  std::string content = "id,half,code,,y\n";
  for (int i = 0; i < 60; ++i) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string temporaries.
    content += 'u';
    content += std::to_string(i);
    content += ",h";
    content += std::to_string(i / 2);
    content += ",c";
    content += std::to_string(i % 20);
    content += ',';
    content += std::to_string(i);
    content += ',';
    content += std::to_string(i % 2);
    content += '\n';
  }
  const auto path = write_file("ids.csv", content);
  const auto ds = load_csv<double>(path);
  // id: 60 distinct in 60 (dropped); half: 30 distinct in 60 = 0.5, not above the share (kept);
  // code: 20 distinct (kept); a blank-named 0, 1, 2, ...: a row index (dropped).
  CHECK(ds.feature_names == std::vector<std::string>{"half", "code"});
  CHECK(dropped_names(ds) == std::vector<std::string>{"id", ""});
  CHECK(ds.dropped_columns[1].detail == "identifier: the row number (0, 1, ...)");
  // A lower share or cap drops more; a higher share keeps the id.
  CHECK(dropped_names(load_csv<double>(path, {.max_category_share = 0.4})) ==
        std::vector<std::string>{"id", "half", ""});
  const auto capped = load_csv<double>(path, {.max_categories = 25});
  CHECK(capped.feature_names == std::vector<std::string>{"code"});
  CHECK(capped.dropped_columns[1].detail == "identifier or free text: more than 25 distinct values");
  CHECK(load_csv<double>(path, {.max_category_share = 1.0}).feature_names ==
        std::vector<std::string>{"id", "half", "code"});
  // Fewer than 17 distinct values are always kept, even when every value differs.
  const auto small = write_file("small_ids.csv", "name,y\nann,1\nbob,2\ncleo,3\n");
  CHECK(load_csv<double>(small).categories[0] == std::vector<std::string>{"ann", "bob", "cleo"});
  // A short sequence (under 16 rows) is not taken for a row number; nor is a feature with another name.
  const auto short_seq = write_file("short_seq.csv", "index,y\n1,5\n2,6\n3,7\n");
  CHECK(load_csv<double>(short_seq).feature_names == std::vector<std::string>{"index"});
  std::string counting = "step,y\n";
  for (int i = 0; i < 40; ++i) counting += std::to_string(i) + ",1\n";
  CHECK(load_csv<double>(write_file("counting.csv", counting)).feature_names == std::vector<std::string>{"step"});
}

TEST_CASE("a column turns categorical at its first text cell, wherever it is") {
  // The text comes after 1500 numbers: the numbers already read are renamed, not lost.
  std::string content = "v,Unnamed: 0,y\n";
  for (int i = 0; i < 1500; ++i) content += std::to_string(i % 3) + ".0," + std::to_string(i) + ",1\n";
  content += "other,1500,2\n";
  const auto path = write_file("late_text.csv", content);
  const auto ds = load_csv<double>(path);
  CHECK(ds.categorical_features() == std::vector<std::size_t>{0});
  CHECK(ds.categories[0] == std::vector<std::string>{"0", "1", "2", "other"});  // "1.0" -> "1"
  CHECK(ds.X(0, 0) == 0);
  CHECK(ds.X(4, 0) == 1);
  CHECK(ds.X(1500, 0) == 3);
  // "Unnamed: 0" counts 0, 1, 2, ...: pandas' index, dropped.
  CHECK(dropped_names(ds) == std::vector<std::string>{"Unnamed: 0"});
  // More distinct numbers than max_categories before the text: an identifier / free text column.
  std::string many = "v,y\n";
  for (int i = 0; i < 1100; ++i) many += std::to_string(i * 3 + 7) + ",1\n";
  many += "n/a?,0\n";
  const auto many_path = write_file("many_then_text.csv", many);
  const auto m = load_csv<double>(many_path);
  CHECK(m.n_features() == 0);
  REQUIRE(m.dropped_columns.size() == 1);
  CHECK(m.dropped_columns[0].detail == "identifier or free text: more than 1024 distinct values");
}

TEST_CASE("a NaN spelling after the text is missing, as before it, and the schema reload agrees") {
  // "-NaN" is not in na_values but parses to NaN: missing in a numeric cell, and also once the
  // column has turned to categories (it used to become a category "-nan" that its own schema,
  // reading "-NaN", could not find: found by the CSV fuzzer).
  const auto path = write_file("nan_after_text.csv", "a,b,y\n2,-nan,0\n2,1,0\nabc,2,1\n-NaN,3,0\nnan(1),4,1\n");
  const auto ds = load_csv<float>(path);
  CHECK(ds.categorical_features() == std::vector<std::size_t>{0});
  CHECK(ds.categories[0] == std::vector<std::string>{"2", "abc"});
  CHECK(ds.X(0, 0) == 0);
  CHECK(ds.X(2, 0) == 1);
  CHECK(std::isnan(ds.X(3, 0)));
  CHECK(std::isnan(ds.X(4, 0)));
  CHECK(std::isnan(ds.X(0, 1)));
  data::CsvOptions again;
  again.schema = ds.schema();
  const auto re = load_csv<float>(path, again);
  REQUIRE(re.X.shape() == ds.X.shape());
  for (std::size_t i = 0; i < ds.size(); ++i)
    for (std::size_t j = 0; j < ds.n_features(); ++j)
      CHECK((re.X(i, j) == ds.X(i, j) || (std::isnan(re.X(i, j)) && std::isnan(ds.X(i, j)))));
}

TEST_CASE("category codes do not depend on row order") {
  const auto a = write_file("order_a.csv", "c,y\nred,1\nblue,2\ngreen,3\n10,4\n9,5\n");
  const auto b = write_file("order_b.csv", "c,y\n9,5\ngreen,3\n10,4\nred,1\nblue,2\n");
  const auto da = load_csv<double>(a), db = load_csv<double>(b);
  CHECK(da.categories[0] == std::vector<std::string>{"10", "9", "blue", "green", "red"});  // text: bytewise
  CHECK(db.categories == da.categories);
  CHECK(da.X(0, 0) == 4);
  CHECK(db.X(3, 0) == 4);
  // All numbers: by value.
  const auto nums = write_file("order_nums.csv", "c,y\n10,1\n9,2\n-1.5,3\n");
  CHECK(load_csv<double>(nums, {.categorical = {"c"}}).categories[0] == std::vector<std::string>{"-1.5", "9", "10"});
}

TEST_CASE("target encoding: numbers stay numeric, text becomes classes, Categorical sorts by value") {
  const auto codes = write_file("codes.csv", "x,y\n1,1\n2,2\n3,3\n4,5\n5,6\n6,7\n");
  const auto reg = load_csv<double>(codes);
  CHECK(reg.target_kind == TargetKind::Numeric);
  CHECK(reg.class_names.empty());
  CHECK(reg.y.to_vector() == std::vector<double>{1, 2, 3, 5, 6, 7});  // labels 1..7 with a gap stay numbers
  const auto cls = load_csv<double>(codes, {.target_kind = TargetKind::Categorical});
  CHECK(cls.class_names == std::vector<std::string>{"1", "2", "3", "5", "6", "7"});
  CHECK(cls.y.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5});
  // A text value after numbers turns the target into classes (numbers by their shortest text).
  const auto mixed = write_file("mixed_target.csv", "x,y\n1,1.0\n2,2\n3,none\n4,1\n");
  const auto m = load_csv<double>(mixed);
  CHECK(m.class_names == std::vector<std::string>{"1", "2", "none"});
  CHECK(m.y.to_vector() == std::vector<double>{0, 1, 2, 0});
  CHECK(m.schema().target_kind == TargetKind::Categorical);
  // Too many classes for a mixed column: a numeric target with one bad cell.
  std::string reg_bad = "x,y\n";
  for (int i = 0; i < 1100; ++i) reg_bad += "1," + std::to_string(i) + ".5\n";
  reg_bad += "1,oops\n";
  const auto bad = write_file("reg_bad.csv", reg_bad);
  CHECK_THROWS_WITH_AS(load_csv<double>(bad),
                       (at(bad, 1102, 2) + " ('y'): expected a number, got 'oops' (the target's other values are "
                                           "numbers, more than 1024 distinct: set target_kind = "
                                           "TargetKind::Categorical to read them as classes)").c_str(),
                       FormatError);
}

TEST_CASE("out-of-range numbers: the same FormatError in a feature and in the target") {
  const auto feature = write_file("oor_feature.csv", "a,y\n1,1\n1e400,2\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(feature),
                       (at(feature, 3, 1) + " ('a'): '1e400' is out of range for double").c_str(), FormatError);
  // As the first target value too (it used to make the target categorical).
  const auto target = write_file("oor_target.csv", "a,y\n1,-1e400\n2,1\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(target),
                       (at(target, 2, 2) + " ('y'): '-1e400' is out of range for double").c_str(), FormatError);
  // Also after a column turned categorical (the rule does not depend on where the text is).
  const auto late = write_file("oor_late.csv", "a,y\nx,1\n1e999,2\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(late), (at(late, 3, 1) + " ('a'): '1e999' is out of range for double").c_str(),
                       FormatError);
  // A categorical column keeps such text as a category; tiny numbers round to zero.
  CHECK(load_csv<double>(late, {.categorical = {"a"}}).categories[0] == std::vector<std::string>{"1e999", "x"});
  const auto tiny = write_file("oor_tiny.csv", "a,y\n1e-400,1\n");
  CHECK(load_csv<double>(tiny).X(0, 0) == 0.0);
}

TEST_CASE("delimiter detection: comma, semicolon, tab, pipe; quoted delimiters do not count") {
  const auto semi = write_file("semi.csv", "a;b;y\n\"1,5\";2;x\n3;4;y\n");
  const auto ds = load_csv<double>(semi);
  CHECK(ds.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(ds.categories[0] == std::vector<std::string>{"1,5", "3"});
  const auto tab = write_file("tab.tsv", "a\tb\ty\n1\t2\t3\n");
  CHECK(load_csv<double>(tab).X.to_vector() == std::vector<double>{1, 2});
  const auto pipe = write_file("pipe.txt", "a|b|y\n1|2|3\n4|5|6\n");
  CHECK(load_csv<double>(pipe).y.to_vector() == std::vector<double>{3, 6});
  // Commas inside quotes outnumber the semicolons, yet ';' is the one that splits every line evenly.
  const auto quoted = write_file("quoted_commas.csv", "t;y\n\"a,b,c,d\";1\n\"e,f\";2\n");
  CHECK(load_csv<double>(quoted).categories[0] == std::vector<std::string>{"a,b,c,d", "e,f"});
  // One column: nothing to detect, the file is a lone target.
  const auto single = write_file("single.csv", "y\n1\n2\n");
  CHECK(load_csv<double>(single).X.shape() == Shape{2, 0});
  // Detection sees through a byte order mark.
  const auto bom = write_file("bom.csv", "\xEF\xBB\xBF" "a;y\n1;2\n");
  CHECK(load_csv<double>(bom).feature_names == std::vector<std::string>{"a"});
}

TEST_CASE("a given delimiter that cannot be right is an error naming the likely one") {
  // A ';' file read with ',' must never load as 0 features and a text target.
  const auto semi = write_file("semi_wrong.csv", "a;b;c;y\n1,5;2;3;0\n2,5;3;4;1\n3,5;4;5;0\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(semi, {.delimiter = ','}),
                       ("load_csv: '" + semi + "': with delimiter ',' the header is a single column, but ';' splits "
                                               "each of the first 4 lines into 4 fields; pass delimiter = ';' (or "
                                               "leave delimiter unset to detect it)").c_str(),
                       FormatError);
  const auto tab = write_file("tab_wrong.tsv", "a\tb\ty\n1\t2\t3\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(tab, {.header = false, .delimiter = ';'}),
                       ("load_csv: '" + tab + "': with delimiter ';' the first row is a single column, but tab "
                                              "splits each of the first 2 lines into 3 fields; pass delimiter = tab "
                                              "(or leave delimiter unset to detect it)").c_str(),
                       FormatError);
  // A genuine one-column file read with ',' is fine.
  const auto one = write_file("one_col.csv", "y\n1\n2\n");
  CHECK(load_csv<double>(one, {.delimiter = ','}).size() == 2);
}

TEST_CASE("header names and text cells are trimmed; tab is kept when it is the delimiter") {
  const auto path = write_file("trim.csv", " a , b ,y\n x ,1, 2\n\ty\t,3,4\n");
  const auto ds = load_csv<double>(path, {.target = "y"});
  CHECK(ds.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(ds.categories[0] == std::vector<std::string>{"x", "y"});
  CHECK(ds.target_name == "y");
}

TEST_CASE("penguins (palmerpenguins, CC0): species as the target, NA cells, text features") {
  const auto ds = load_csv<double>(fixture("penguins.csv"), {.target = "species"});
  CHECK(ds.X.shape() == Shape{344, 7});
  CHECK(ds.feature_names == std::vector<std::string>{"island", "bill_length_mm", "bill_depth_mm",
                                                     "flipper_length_mm", "body_mass_g", "sex", "year"});
  CHECK(ds.categorical_features() == std::vector<std::size_t>{0, 5});
  CHECK(ds.categories[0] == std::vector<std::string>{"Biscoe", "Dream", "Torgersen"});
  CHECK(ds.categories[5] == std::vector<std::string>{"female", "male"});
  CHECK(ds.class_names == std::vector<std::string>{"Adelie", "Chinstrap", "Gentoo"});
  CHECK(ds.dropped_columns.empty());
  std::size_t missing_sex = 0, missing_bill = 0;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    missing_sex += std::isnan(ds.X(i, 5));
    missing_bill += std::isnan(ds.X(i, 1));
  }
  CHECK(missing_sex == 11);
  CHECK(missing_bill == 2);
  CHECK(ds.X(0, 1) == 39.1);
  CHECK(ds.y(0) == 0);
  CHECK(ds.y(343) == 1);  // the last row is a Chinstrap
}

TEST_CASE("diamonds (ggplot2, MIT), 400 rows: a regression target, ordered text factors") {
  const auto ds = load_csv<float>(fixture("diamonds_400.csv"), {.target = "price"});
  CHECK(ds.X.shape() == Shape{400, 9});
  CHECK(ds.target_kind == TargetKind::Numeric);
  CHECK(ds.class_names.empty());
  CHECK(ds.categorical_features() == std::vector<std::size_t>{1, 2, 3});
  CHECK(ds.categories[1] == std::vector<std::string>{"Fair", "Good", "Ideal", "Premium", "Very Good"});
  CHECK(ds.categories[2] == std::vector<std::string>{"D", "E", "F", "G", "H", "I", "J"});
  CHECK(ds.y(0) == 2762.0f);
  CHECK(ds.schema().target_kind == TargetKind::Numeric);
}

TEST_CASE("the committed real CSVs load with inferred kinds (benchmarks/data/real)") {
  const std::string dir = std::string(GROVE_TEST_DATA_DIR) + "/../../benchmarks/data/real/";
  struct Expect {
    const char* file;
    const char* target;
    std::size_t rows, features, categorical;
    TargetKind kind;
  };
  for (const Expect& e : {Expect{"penguins.csv", "species", 344, 7, 2, TargetKind::Categorical},
                          Expect{"attrition.csv", "Attrition", 1470, 30, 14, TargetKind::Categorical},
                          Expect{"credit_data.csv", "Status", 4454, 13, 4, TargetKind::Categorical},
                          Expect{"sacramento.csv", "price", 932, 8, 3, TargetKind::Numeric},
                          Expect{"car_prices.csv", "Price", 804, 17, 0, TargetKind::Numeric}}) {
    CAPTURE(e.file);
    const auto ds = load_csv<float>(dir + e.file, {.target = e.target});
    CHECK(ds.size() == e.rows);
    CHECK(ds.n_features() == e.features);
    CHECK(ds.categorical_features().size() == e.categorical);
    CHECK(ds.target_kind == e.kind);
    CHECK(ds.dropped_columns.empty());
  }
}

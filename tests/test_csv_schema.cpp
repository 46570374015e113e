// Loading with a training file's Schema (same codes in another file), the schema's round trip
// through a model file, and CsvReader batches with bad rows skipped and reported.
#include <grove/data/csv.hpp>
#include <grove/data/csv_reader.hpp>
#include <grove/io/binary.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace grove;
using data::ColumnKind;
using data::load_csv;
using data::TargetKind;

namespace {

std::string tmp_path(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/csv_schema_" + name; }
std::string fixture(const std::string& name) { return std::string(GROVE_TEST_DATA_DIR) + "/csv/" + name; }

std::string write_file(const std::string& name, const std::string& content) {
  const std::string path = tmp_path(name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(content.data(), 1, content.size(), f) == content.size());
  std::fclose(f);
  return path;
}

std::string at(const std::string& op, const std::string& path, int line, int col) {
  return op + ": '" + path + "' line " + std::to_string(line) + ", column " + std::to_string(col);
}

data::Dataset<double> train_set() {
  return load_csv<double>(fixture("train.csv"), {.target = "label", .categorical = {"grade"}});
}

}  // namespace

TEST_CASE("Dataset::schema describes the training file") {
  const auto train = train_set();
  const data::Schema s = train.schema();
  REQUIRE(s.features.size() == 4);
  CHECK(s.features[0] == data::Column{"colour", ColumnKind::Categorical, {"blue", "green", "red"}});
  CHECK(s.features[1] == data::Column{"size", ColumnKind::Categorical, {"large", "small"}});
  CHECK(s.features[2] == data::Column{"weight", ColumnKind::Numeric, {}});
  CHECK(s.features[3] == data::Column{"grade", ColumnKind::Categorical, {"1", "2", "3", "5"}});
  CHECK(s.target == "label");
  CHECK(s.target_kind == TargetKind::Categorical);
  CHECK(s.class_names == std::vector<std::string>{"bird", "cat", "dog"});
  CHECK(s.categorical_features() == train.categorical_features());
  CHECK(train.categorical_features() == std::vector<std::size_t>{0, 1, 3});
  CHECK(std::isnan(train.X(7, 0)));  // an empty colour cell
}

TEST_CASE("a test file with other column order, an extra column and unseen categories gets the training codes") {
  const auto train = train_set();
  const auto test = load_csv<double>(fixture("test.csv"), {.schema = train.schema()});
  CHECK(test.feature_names == train.feature_names);  // the schema's order, not the file's
  CHECK(test.categories == train.categories);        // all training categories, not just those present
  CHECK(test.class_names == train.class_names);
  REQUIRE(test.X.shape() == Shape{5, 4});
  // dog,x1,2.0,5,blue,large
  CHECK(test.X(0, 0) == 0);    // blue
  CHECK(test.X(0, 1) == 0);    // large
  CHECK(test.X(0, 2) == 2.0);
  CHECK(test.X(0, 3) == 3);    // grade "5"
  CHECK(test.y(0) == 2);       // dog
  CHECK(std::isnan(test.X(1, 0)));  // purple: unseen -> missing
  CHECK(test.y(1) == 1);            // cat
  CHECK(std::isnan(test.X(2, 2)));  // NA
  CHECK(test.X(2, 0) == 2);         // red
  CHECK(std::isnan(test.X(4, 3)));  // grade 4: unseen
  CHECK(test.X(4, 0) == 1);         // green
  REQUIRE(test.dropped_columns.size() == 1);
  CHECK(test.dropped_columns[0] == data::DroppedColumn{"extra", 1, data::DropReason::NotInSchema, "not in the schema"});
  CHECK(test.schema() == train.schema());
  // The training file itself reloads to identical data through its schema.
  const auto again = load_csv<double>(fixture("train.csv"), {.schema = train.schema()});
  CHECK(again.X.to_vector().size() == train.X.to_vector().size());
  for (std::size_t i = 0; i < train.X.size(); ++i) {
    const double a = train.X.data()[i], b = again.X.data()[i];
    CHECK((a == b || (std::isnan(a) && std::isnan(b))));
  }
  CHECK(again.y.to_vector() == train.y.to_vector());
}

TEST_CASE("numbers in a schema's categorical column match by value when their spelling differs") {
  const auto train = write_file("num_cat_train.csv", "code,y\n1,a\n2,b\n10,a\n");
  const auto s = load_csv<double>(train, {.categorical = {"code"}}).schema();
  CHECK(s.features[0].categories == std::vector<std::string>{"1", "2", "10"});
  const auto test = write_file("num_cat_test.csv", "code,y\n10.0,a\n01,b\n2,b\n3,a\n");
  const auto ds = load_csv<double>(test, {.schema = s});
  CHECK(ds.X(0, 0) == 2);  // "10.0" -> "10"
  CHECK(ds.X(1, 0) == 0);  // "01" -> "1"
  CHECK(ds.X(2, 0) == 1);
  CHECK(std::isnan(ds.X(3, 0)));
}

TEST_CASE("schema errors: unseen class, unseen category on request, missing columns, options") {
  const auto train = train_set();
  const auto s = train.schema();
  const auto unseen_class = fixture("test_unseen_class.csv");
  CHECK_THROWS_WITH_AS(load_csv<double>(unseen_class, {.schema = s}),
                       (at("load_csv", unseen_class, 3, 5) +
                        " ('label'): unseen class 'fish': the schema has 3 classes ('bird', 'cat', 'dog')").c_str(),
                       FormatError);
  const auto test = fixture("test.csv");
  CHECK_THROWS_WITH_AS(load_csv<double>(test, {.schema = s, .unseen_category = data::UnseenCategory::Error}),
                       (at("load_csv", test, 3, 5) +
                        " ('colour'): unseen category 'purple': the schema has 3 categories for this column ('blue', "
                        "'green', 'red')").c_str(),
                       FormatError);
  const auto missing = fixture("test_missing_column.csv");
  CHECK_THROWS_WITH_AS(load_csv<double>(missing, {.schema = s}),
                       ("load_csv: '" + missing + "': column 'size' of the schema is missing; columns are 'colour', "
                                                  "'weight', 'grade', 'label'").c_str(),
                       FormatError);
  const auto no_target = fixture("test_no_target.csv");
  CHECK_THROWS_WITH_AS(load_csv<double>(no_target, {.schema = s}),
                       ("load_csv: '" + no_target + "': target column 'label' of the schema is missing (set "
                                                    "require_target = false, or target_kind = TargetKind::None, to "
                                                    "load without it); columns are 'colour', 'size', 'weight', "
                                                    "'grade'").c_str(),
                       FormatError);
  CHECK_THROWS_WITH_AS(load_csv<double>(test, {.categorical = {"colour"}, .schema = s}),
                       "load_csv: a schema fixes every column; do not combine .schema with categorical, numeric, drop "
                       "or columns",
                       ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(test, {.target = "label", .schema = s}),
                       "load_csv: a schema names the target ('label'); do not combine .schema with .target",
                       ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(test, {.target_kind = TargetKind::Numeric, .schema = s}),
                       "load_csv: with a schema, target_kind must be Auto (the schema's) or None (no target)",
                       ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(test, {.schema = data::Schema{}}),
                       "load_csv: the schema is empty (no feature columns, no target)", ValueError);
}

TEST_CASE("scoring files without a target: require_target = false or TargetKind::None") {
  const auto s = train_set().schema();
  const auto no_target = load_csv<double>(fixture("test_no_target.csv"), {.schema = s, .require_target = false});
  CHECK(no_target.X.shape() == Shape{5, 4});
  CHECK_FALSE(no_target.has_target());
  CHECK(no_target.target_kind == TargetKind::None);
  // With None a present target column is not read.
  const auto ignored = load_csv<double>(fixture("test.csv"), {.target_kind = TargetKind::None, .schema = s});
  CHECK(ignored.y.shape() == Shape{0});
  CHECK(ignored.X.to_vector().size() == 20);
  CHECK(ignored.dropped_columns.size() == 1);  // "extra"; the target column is simply not read
  // The same for files loaded without a schema: a by-name target that is absent is fine when not required.
  const auto plain = load_csv<double>(fixture("test_no_target.csv"), {.target = "label", .require_target = false});
  CHECK(plain.n_features() == 4);
  CHECK(plain.y.size() == 0);
}

TEST_CASE("a target column with an empty header name travels in the schema too") {
  const auto path = write_file("empty_name.csv", "a,\n1,x\n2,y\n");
  const auto ds = load_csv<double>(path);
  CHECK(ds.target_name.empty());
  CHECK(ds.class_names == std::vector<std::string>{"x", "y"});
  const auto again = load_csv<double>(path, {.schema = ds.schema()});
  CHECK(again.y.to_vector() == std::vector<double>{0, 1});
  CHECK(again.dropped_columns.empty());
}

TEST_CASE("a numeric target in the schema means regression") {
  const auto train = load_csv<double>(fixture("diamonds_400.csv"), {.target = "price"});
  const auto s = train.schema();
  CHECK(s.target_kind == TargetKind::Numeric);
  const auto test = write_file("diamonds_test.csv",
                               "price,carat,cut,color,clarity,depth,table,x,y,z\n"
                               "500,0.3,Ideal,E,SI1,61.5,55,4.3,4.35,2.68\n"
                               "abc,0.3,Ideal,E,SI1,61.5,55,4.3,4.35,2.68\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(test, {.schema = s}),
                       (at("load_csv", test, 3, 1) + " ('price'): expected a number, got 'abc'").c_str(), FormatError);
  const auto ok = load_csv<double>(test, {.schema = s, .bad_rows = data::BadRows::Skip});
  CHECK(ok.y.to_vector() == std::vector<double>{500});
  CHECK(ok.X(0, 1) == 2);  // cut "Ideal"
  REQUIRE(ok.skipped_rows.size() == 1);
  CHECK(ok.skipped_rows[0].line == 3);
}

TEST_CASE("a schema survives a model file: write_schema / read_schema, then load with it") {
  const auto train = train_set();
  const std::string path = tmp_path("schema.bin");
  {
    io::BinaryWriter w;
    data::write_schema(w, train.schema());
    w.save(path, "schema", 1);
  }
  io::BinaryReader r = io::BinaryReader::open(path, "schema", 1);
  const data::Schema back = data::read_schema(r);
  CHECK(back == train.schema());
  const auto test = load_csv<double>(fixture("test.csv"), {.schema = back});
  CHECK(test.X(0, 0) == 0);
}

TEST_CASE("CsvReader: batches equal load_csv with the same schema, in file order") {
  const auto train = load_csv<double>(fixture("penguins.csv"), {.target = "species"});
  const auto s = train.schema();
  const auto whole = load_csv<double>(fixture("penguins.csv"), {.schema = s});
  data::CsvReader<double> reader(fixture("penguins.csv"), {.schema = s});
  CHECK(reader.schema() == s);
  CHECK(reader.n_features() == 7);
  std::size_t rows = 0, batches = 0;
  while (auto batch = reader.next(100)) {
    ++batches;
    CHECK(batch->X.shape()[1] == 7);
    for (std::size_t i = 0; i < batch->size(); ++i) {
      CHECK(batch->lines[i] == rows + i + 2);  // header on line 1
      CHECK(batch->y(i) == whole.y(rows + i));
      for (std::size_t j = 0; j < 7; ++j) {
        const double a = batch->X(i, j), b = whole.X(rows + i, j);
        CHECK((a == b || (std::isnan(a) && std::isnan(b))));
      }
    }
    CHECK(batch->first_line() == rows + 2);
    rows += batch->size();
  }
  CHECK(rows == 344);
  CHECK(batches == 4);
  CHECK_FALSE(reader.next(100).has_value());  // stays exhausted
  CHECK_THROWS_WITH_AS(reader.next(0), "CsvReader::next: max_rows must be >= 1, got 0", ValueError);
}

TEST_CASE("CsvReader: bad rows are skipped and reported with line and column, or thrown") {
  const auto s = train_set().schema();
  const auto path = fixture("bad_rows.csv");
  data::CsvReader<float> reader(path, {.schema = s, .bad_rows = data::BadRows::Skip});
  auto batch = reader.next(4);
  REQUIRE(batch.has_value());
  CHECK(batch->lines == std::vector<std::size_t>{2});
  REQUIRE(batch->bad_rows.size() == 3);
  CHECK(batch->bad_rows[0] ==
        data::BadRow{3, 5, at("CsvReader", path, 3, 5) + " ('label'): expected 5 fields (as in the header), got 4"});
  CHECK(batch->bad_rows[1] == data::BadRow{4, 3,
                                           at("CsvReader", path, 4, 3) +
                                               " ('weight'): expected a number, got 'abc' (the schema says the "
                                               "column is numeric)"});
  CHECK(batch->bad_rows[2].line == 5);
  CHECK(batch->bad_rows[2].column == 6);
  auto rest = reader.next(100);
  REQUIRE(rest.has_value());
  CHECK(rest->lines == std::vector<std::size_t>{8});
  CHECK(rest->y.to_vector() == std::vector<float>{0});  // bird
  REQUIRE(rest->bad_rows.size() == 2);
  CHECK(rest->bad_rows[0].message ==
        at("CsvReader", path, 6, 5) + " ('label'): unseen class 'fish': the schema has 3 classes ('bird', 'cat', 'dog')");
  CHECK(rest->bad_rows[1].message == at("CsvReader", path, 7, 5) + " ('label'): expected a target value, got a missing value");
  CHECK_FALSE(reader.next(100).has_value());
  // The default throws at the first bad row.
  data::CsvReader<float> strict(path, {.schema = s});
  CHECK_THROWS_WITH_AS(strict.next(100),
                       (at("CsvReader", path, 3, 5) + " ('label'): expected 5 fields (as in the header), got 4").c_str(),
                       FormatError);
  // load_csv skips the same rows.
  const auto ds = load_csv<float>(path, {.schema = s, .bad_rows = data::BadRows::Skip});
  CHECK(ds.size() == 2);
  CHECK(ds.skipped_rows.size() == 5);
}

TEST_CASE("CsvReader without a schema reads numbers only") {
  const auto path = write_file("reader_numeric.csv", "a,b,y\n1,2,3\n4,5,6\n7,8,9\n");
  data::CsvReader<double> reader(path, {.target = "y"});
  CHECK(reader.schema().feature_names() == std::vector<std::string>{"a", "b"});
  CHECK(reader.schema().target_kind == TargetKind::Numeric);
  auto b = reader.next(2);
  REQUIRE(b.has_value());
  CHECK(b->X.to_vector() == std::vector<double>{1, 2, 4, 5});
  CHECK(b->y.to_vector() == std::vector<double>{3, 6});
  b = reader.next(2);
  REQUIRE(b.has_value());
  CHECK(b->X.to_vector() == std::vector<double>{7, 8});
  CHECK_FALSE(reader.next(2).has_value());
  const auto text = write_file("reader_text.csv", "a,y\n1,2\nx,3\n");
  data::CsvReader<double> strict(text);
  CHECK_THROWS_WITH_AS(strict.next(10),
                       (at("CsvReader", text, 3, 1) + " ('a'): expected a number, got 'x' (CsvReader without a schema "
                                                      "reads numbers only)").c_str(),
                       FormatError);
  CHECK_THROWS_WITH_AS(data::CsvReader<double>(text, {.categorical = {"a"}}),
                       "CsvReader: categorical columns need a schema (their codes come from the training file); pass "
                       ".schema",
                       ValueError);
  CHECK_THROWS_WITH_AS(data::CsvReader<double>(text, {.target_kind = TargetKind::Categorical}),
                       "CsvReader: a categorical target needs a schema (its class codes come from the training file); "
                       "pass .schema",
                       ValueError);
}

TEST_CASE("CsvReader: a long file in full batches, rows in order") {
  std::string content = "a,b,y\n";
  for (int i = 0; i < 50000; ++i) {
    content += std::to_string(i);
    content += ',';
    content += std::to_string(i % 7);
    content += ",1\n";
  }
  const auto path = write_file("reader_long.csv", content);
  data::CsvReader<float> reader(path);
  std::size_t rows = 0, batches = 0;
  bool in_order = true;
  while (auto batch = reader.next(4096)) {
    ++batches;
    CHECK(batch->size() == std::min<std::size_t>(4096, 50000 - rows));
    for (std::size_t i = 0; i < batch->size(); ++i) {
      in_order = in_order && batch->X(i, 0) == static_cast<float>(rows + i) &&
                 batch->X(i, 1) == static_cast<float>((rows + i) % 7);
    }
    rows += batch->size();
  }
  CHECK(in_order);
  CHECK(rows == 50000);
  CHECK(batches == 13);
}

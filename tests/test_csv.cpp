// CSV loading: RFC 4180 parsing, missing values, encodings, streaming, and every error message.
#include <grove/data/csv.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using namespace grove;
using data::load_csv;

namespace {

std::string tmp_path(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/csv_" + name; }

// Writes `content` byte for byte and returns the path.
std::string write_file(const std::string& name, const std::string& content) {
  const std::string path = tmp_path(name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(std::fwrite(content.data(), 1, content.size(), f) == content.size());
  std::fclose(f);
  return path;
}

template <class T>
std::vector<T> values(const Tensor<T>& t) {
  return t.to_vector();
}

// Message prefix for a cell: "load_csv: '<path>' line L, column C".
std::string at(const std::string& path, int line, int col) {
  return "load_csv: '" + path + "' line " + std::to_string(line) + ", column " + std::to_string(col);
}

}  // namespace

TEST_CASE("numeric CSV with a header; the target defaults to the last column") {
  const auto path = write_file("basic.csv", "a,b,y\n1,2,0\n3,4.5,1\n-1e3,0.25,2\n");
  const auto ds = load_csv<double>(path);
  CHECK(ds.X.shape() == Shape{3, 2});
  CHECK(values(ds.X) == std::vector<double>{1, 2, 3, 4.5, -1000, 0.25});
  CHECK(values(ds.y) == std::vector<double>{0, 1, 2});
  CHECK(ds.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(ds.class_names.empty());
  CHECK(ds.size() == 3);
  CHECK(ds.n_features() == 2);
  CHECK(ds.categories == std::vector<std::vector<std::string>>(2));
  const auto f = load_csv<float>(path);
  CHECK(values(f.X) == std::vector<float>{1, 2, 3, 4.5f, -1000, 0.25f});
}

TEST_CASE("target by name, by index and by negative index") {
  const auto path = write_file("target.csv", "a,t,b\n1,10,2\n3,30,4\n");
  const auto by_name = load_csv<double>(path, {.target = "t"});
  CHECK(values(by_name.y) == std::vector<double>{10, 30});
  CHECK(values(by_name.X) == std::vector<double>{1, 2, 3, 4});
  CHECK(by_name.feature_names == std::vector<std::string>{"a", "b"});
  const auto by_index = load_csv<double>(path, {.target = 0});
  CHECK(values(by_index.y) == std::vector<double>{1, 3});
  CHECK(values(by_index.X) == std::vector<double>{10, 2, 30, 4});
  const auto from_end = load_csv<double>(path, {.target = -2});
  CHECK(values(from_end.y) == std::vector<double>{10, 30});
}

TEST_CASE("no header: names are column indices; other delimiters") {
  const auto path = write_file("noheader.csv", "1;2;3\n4;5;6\n");
  const auto ds = load_csv<double>(path, {.header = false, .delimiter = ';'});
  CHECK(ds.X.shape() == Shape{2, 2});
  CHECK(values(ds.X) == std::vector<double>{1, 2, 4, 5});
  CHECK(values(ds.y) == std::vector<double>{3, 6});
  CHECK(ds.feature_names == std::vector<std::string>{"0", "1"});
  const auto by_index_name = load_csv<double>(path, {.target = "1", .header = false, .delimiter = ';'});
  CHECK(values(by_index_name.y) == std::vector<double>{2, 5});

  const auto tsv = write_file("tabs.tsv", "x\ty\n 1.5 \t2\n\t3\n");
  const auto t = load_csv<double>(tsv, {.delimiter = '\t'});
  CHECK(t.X(0, 0) == 1.5);  // surrounding spaces are trimmed
  CHECK(std::isnan(t.X(1, 0)));
  CHECK(values(t.y) == std::vector<double>{2, 3});
}

TEST_CASE("RFC 4180 quoting: delimiters, doubled quotes and line breaks inside fields") {
  const auto path = write_file("quoted.csv",
                               "name,\"x, y\",target\n"
                               "\"Smith, J\",\"1.5\",a\n"
                               "\"say \"\"hi\"\"\",2,\"b\"\n"
                               "\"two\nlines\",3,a\n"
                               "\"\",4,\"\"\"q\"\"\"\n");
  const auto ds = load_csv<double>(path, {.categorical = {"name"}});
  CHECK(ds.feature_names == std::vector<std::string>{"name", "x, y"});
  REQUIRE(ds.categories.size() == 2);
  // Sorted categories; the empty quoted string is a missing value.
  CHECK(ds.categories[0] == std::vector<std::string>{"Smith, J", "say \"hi\"", "two\nlines"});
  CHECK(ds.categories[1].empty());
  CHECK(ds.X(0, 0) == 0);
  CHECK(ds.X(1, 0) == 1);
  CHECK(ds.X(2, 0) == 2);
  CHECK(std::isnan(ds.X(3, 0)));
  CHECK(ds.X(0, 1) == 1.5);  // a quoted number is a number
  CHECK(ds.class_names == std::vector<std::string>{"\"q\"", "a", "b"});
  CHECK(values(ds.y) == std::vector<double>{1, 2, 1, 0});
}

TEST_CASE("CRLF and LF line endings, a missing final newline, blank lines, a byte order mark") {
  const auto crlf = write_file("crlf.csv", "\xEF\xBB\xBF" "a,y\r\n1,2\r\n\r\n3,4\r\n5,6");
  const auto ds = load_csv<double>(crlf);
  CHECK(ds.feature_names == std::vector<std::string>{"a"});
  CHECK(values(ds.X) == std::vector<double>{1, 3, 5});
  CHECK(values(ds.y) == std::vector<double>{2, 4, 6});
  const auto mixed = write_file("mixed.csv", "a,y\n1,2\r\n3,4\n\n");
  CHECK(values(load_csv<double>(mixed).y) == std::vector<double>{2, 4});
}

TEST_CASE("the flowers fixture: CRLF, quoted header, categorical feature, string target") {
  const auto ds = load_csv<float>(std::string(GROVE_TEST_DATA_DIR) + "/csv/flowers.csv",
                                  {.target = "species", .categorical = {"colour, main"}});
  CHECK(ds.X.shape() == Shape{5, 3});
  CHECK(ds.feature_names == std::vector<std::string>{"sepal length", "sepal width", "colour, main"});
  CHECK(ds.categories[2] == std::vector<std::string>{"blue", "green", "red"});
  CHECK(ds.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
  CHECK(values(ds.y) == std::vector<float>{0, 1, 2, 0, 1});
  CHECK(ds.X(0, 2) == 2);  // red
  CHECK(ds.X(1, 2) == 0);  // blue
  CHECK(std::isnan(ds.X(3, 2)));
  CHECK(std::isnan(ds.X(2, 1)));
  CHECK(ds.X(4, 0) == 6.4f);
}

TEST_CASE("missing values: empty cells, NA strings, custom na_values") {
  const auto path = write_file("na.csv", "a,b,c,y\n,NA,NaN,1\nnan,N/A,null,2\n-999,?,inf,3\n1, 2 ,3,4\n");
  const auto ds = load_csv<double>(path, {.na_values = {"", "NA", "N/A", "nan", "null", "?", "-999"}});
  const auto x = values(ds.X);
  REQUIRE(x.size() == 12);
  for (std::size_t i = 0; i < 8; ++i) CHECK(std::isnan(x[i]));
  CHECK(std::isinf(x[8]));
  CHECK(std::vector<double>(x.begin() + 9, x.end()) == std::vector<double>{1, 2, 3});
  CHECK(ds.categorical_features().empty());
  // Without "?" in the list it is text: the column is inferred categorical; listed as numeric it is an error.
  const auto text = load_csv<double>(path, {.na_values = {""}});
  CHECK(text.categorical_features() == std::vector<std::size_t>{1, 2});
  CHECK(text.categories[1] == std::vector<std::string>{"2", "?", "N/A", "NA"});
  CHECK(text.categories[2] == std::vector<std::string>{"3", "inf", "null"});  // "NaN" parses: still missing
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.na_values = {""}, .numeric = {"b"}}),
                       (at(path, 2, 2) + " ('b'): expected a number, got 'NA' (the column is listed in "
                                         "'numeric')").c_str(),
                       FormatError);
}

TEST_CASE("numbers: signs, exponents, spaces, out-of-range values") {
  const auto path = write_file("numbers.csv", "a,b,c,y\n+1.5, -2 ,1e-3,0\n.5,5.,1e40,1\n-0,1E2,1e-50,0\n");
  const auto d = load_csv<double>(path);
  CHECK(values(d.X) == std::vector<double>{1.5, -2, 1e-3, 0.5, 5, 1e40, 0, 100, 1e-50});
  // Beyond float's range is an error (never a silent infinity); below it rounds to 0.
  CHECK_THROWS_WITH_AS(load_csv<float>(path),
                       (at(path, 3, 3) + " ('c'): '1e40' is out of range for float (load_csv<double> reads "
                                         "it)").c_str(),
                       FormatError);
  const auto tiny = write_file("tiny.csv", "a,y\n1e-50,1\n-1e-60,2\n");
  const auto f = load_csv<float>(tiny);
  CHECK(f.X(0, 0) == 0.0f);
  CHECK(f.X(1, 0) == 0.0f);
  CHECK(std::signbit(f.X(1, 0)));
}

TEST_CASE("label-encoded target: sorted class names, auto detection and explicit kinds") {
  const auto path = write_file("labels.csv", "x,label\n1,dog\n2,cat\n3,dog\n4,bird\n");
  const auto ds = load_csv<double>(path);
  CHECK(ds.class_names == std::vector<std::string>{"bird", "cat", "dog"});
  CHECK(values(ds.y) == std::vector<double>{2, 1, 2, 0});
  // Numeric-looking labels can be forced to classes (sorted as text).
  const auto num = write_file("numlabels.csv", "x,label\n1,10\n2,9\n3,10\n");
  const auto as_class = load_csv<double>(num, {.target_kind = data::TargetKind::Categorical});
  CHECK(as_class.class_names == std::vector<std::string>{"9", "10"});  // numbers sort by value
  CHECK(values(as_class.y) == std::vector<double>{1, 0, 1});
  CHECK(values(load_csv<double>(num).y) == std::vector<double>{10, 9, 10});
  // Listing the target as categorical also label-encodes it.
  CHECK(load_csv<double>(num, {.categorical = {"label"}}).class_names == std::vector<std::string>{"9", "10"});
}

TEST_CASE("TargetKind::None keeps every column as a feature") {
  const auto path = write_file("notarget.csv", "a,b\n1,2\n3,4\n");
  const auto ds = load_csv<double>(path, {.target_kind = data::TargetKind::None});
  CHECK(ds.X.shape() == Shape{2, 2});
  CHECK(ds.y.shape() == Shape{0});
  CHECK_FALSE(ds.has_target());
  CHECK(ds.feature_names == std::vector<std::string>{"a", "b"});
}

TEST_CASE("streaming across block boundaries, including a record longer than a block") {
  // ~3 MB: many blocks; quoted multi-line fields land on block boundaries somewhere.
  std::string content = "id,note,v\n";
  double expected_sum = 0;
  const int rows = 60000;
  for (int i = 0; i < rows; ++i) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string temporaries.
    content += std::to_string(i);
    if (i % 7 == 0) {
      content += ",\"multi\nline, ";
      content += std::to_string(i % 5);
      content += '"';
    } else {
      content += ",n";
      content += std::to_string(i % 3);
    }
    content += ',';
    content += std::to_string(i * 0.5);
    content += i % 2 ? "\r\n" : "\n";
    expected_sum += i * 0.5;
  }
  content += "-1,\"" + std::string(2500000, 'z') + "\",0.5\n";  // one 2.5 MB field
  content += "-2,\"a\",0.25\n";
  expected_sum += 0.75;
  const auto path = write_file("big.csv", content);
  const auto ds = load_csv<double>(path, {.categorical = {"note"}});
  REQUIRE(ds.size() == static_cast<std::size_t>(rows + 2));
  double sum = 0;
  for (double v : values(ds.y)) sum += v;
  CHECK(sum == expected_sum);
  CHECK(ds.X(rows - 1, 0) == rows - 1);
  CHECK(ds.categories[1].size() == 5 + 3 + 2);
  CHECK(ds.categories[1].back() == std::string(2500000, 'z'));
  // Line numbers keep counting through quoted line breaks: a bad value after them is found.
  content.replace(content.size() - 4, 1, "x");  // "-2,\"a\",0x25\n"
  const auto bad = write_file("big_bad.csv", content);
  const int last_line = 1 + rows + rows / 7 + 1 + 1 + 1;  // header, rows, extra lines, long row, last row
  CHECK_THROWS_WITH_AS(load_csv<double>(bad, {.categorical = {"note"}}),
                       (at(bad, last_line, 3) + " ('v'): expected a number, got '0x25' (the target's other "
                                                "values are numbers, more than 1024 distinct: set target_kind = "
                                                "TargetKind::Categorical to read them as classes)").c_str(),
                       FormatError);
}

TEST_CASE("errors: files") {
  const auto missing = tmp_path("does_not_exist.csv");
  CHECK_THROWS_WITH_AS(load_csv<double>(missing),
                       ("load_csv: cannot open '" + missing + "': No such file or directory").c_str(), FormatError);
  const auto empty = write_file("empty.csv", "");
  CHECK_THROWS_WITH_AS(load_csv<double>(empty),
                       ("load_csv: '" + empty + "': the file is empty: expected a header row").c_str(), FormatError);
  const auto blank = write_file("blank.csv", "\n\r\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(blank, {.header = false}),
                       ("load_csv: '" + blank + "': the file is empty: expected a data row").c_str(), FormatError);
  const auto header_only = write_file("header_only.csv", "a,b,y\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(header_only),
                       ("load_csv: '" + header_only + "' line 2: expected a data row after the header, got the end "
                                                      "of the file").c_str(),
                       FormatError);
}

TEST_CASE("errors: ragged rows name the line and the first missing or extra column") {
  const auto short_row = write_file("short.csv", "a,b,y\n1,2,3\n4,5\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(short_row),
                       (at(short_row, 3, 3) + " ('y'): expected 3 fields (as in the header), got 2").c_str(),
                       FormatError);
  const auto long_row = write_file("long.csv", "1,2,3\n4,5,6,7\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(long_row, {.header = false}),
                       (at(long_row, 2, 4) + ": expected 3 fields (as in the first row), got 4").c_str(), FormatError);
  // The line of a record is where it starts, even after a multi-line quoted field.
  const auto after_quote = write_file("after_quote.csv", "a,b,y\n\"x\ny\",1,2\n1,2\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(after_quote, {.categorical = {"a"}}),
                       (at(after_quote, 4, 3) + " ('y'): expected 3 fields (as in the header), got 2").c_str(),
                       FormatError);
}

TEST_CASE("errors: quoting") {
  const auto open_quote = write_file("open_quote.csv", "a,b,y\n1,2,3\n4,\"5,6\n7,8,9\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(open_quote),
                       (at(open_quote, 3, 2) + " ('b'): expected a closing quote before the end of the file (the "
                                               "quoted field starts here)").c_str(),
                       FormatError);
  const auto after_close = write_file("after_close.csv", "a,b,y\n1,\"2\"x,3\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(after_close),
                       (at(after_close, 2, 2) + " ('b'): expected ',' or the end of the line after a closing quote, "
                                                "got 'x'").c_str(),
                       FormatError);
}

TEST_CASE("errors: values") {
  const auto text = write_file("text.csv", "a,b,y\n1,2,3\n4,abc,6\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(text, {.numeric = {"b"}}),
                       (at(text, 3, 2) + " ('b'): expected a number, got 'abc' (the column is listed in "
                                         "'numeric')").c_str(),
                       FormatError);
  const auto partial = write_file("partial.csv", "1,2,3\n4,5.5.5,6\n");
  CHECK_THROWS_WITH_AS(load_csv<float>(partial, {.header = false, .numeric = {1}}),
                       (at(partial, 2, 2) + ": expected a number, got '5.5.5' (the column is listed in "
                                            "'numeric')").c_str(),
                       FormatError);
  const auto target_na = write_file("target_na.csv", "a,y\n1,2\n3,NA\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(target_na),
                       (at(target_na, 3, 2) + " ('y'): expected a target value, got a missing value").c_str(),
                       FormatError);
  const auto class_na = write_file("class_na.csv", "a,y\n1,cat\n3,\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(class_na),
                       (at(class_na, 3, 2) + " ('y'): expected a target value, got a missing value").c_str(),
                       FormatError);
  const auto nan_target = write_file("nan_target.csv", "a,y\n1,2\n3,NaN\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(nan_target),
                       (at(nan_target, 3, 2) + " ('y'): expected a target value, got a missing value").c_str(),
                       FormatError);
  const auto num_target = write_file("num_target.csv", "a,y\n1,2\n3,dog\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(num_target, {.target_kind = data::TargetKind::Numeric}),
                       (at(num_target, 3, 2) + " ('y'): expected a number, got 'dog'").c_str(), FormatError);
}

TEST_CASE("errors: columns that do not exist") {
  const auto path = write_file("cols.csv", "a,b,y\n1,2,3\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.target = "z"}),
                       ("load_csv: '" + path + "': target column 'z' not found; columns are 'a', 'b', 'y'").c_str(),
                       FormatError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.target = 3}),
                       ("load_csv: '" + path + "': target column index 3 out of range for 3 columns").c_str(),
                       FormatError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.categorical = {"q"}}),
                       ("load_csv: '" + path + "': categorical column 'q' not found; columns are 'a', 'b', 'y'").c_str(),
                       FormatError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.target = "a", .header = false}),
                       ("load_csv: '" + path + "': target column 'a' given by name, but the file has no header "
                                               "(header = false); use an index 0..2").c_str(),
                       FormatError);
  // A wide file lists the first 30 names and the count.
  std::string wide_header, wide_row, wide_names;
  for (int c = 0; c < 40; ++c) {
    wide_header += (c ? ",c" : "c") + std::to_string(c);
    wide_row += c ? ",1" : "1";
    if (c < 30) wide_names += (c ? ", 'c" : "'c") + std::to_string(c) + "'";
  }
  const auto wide = write_file("wide.csv", wide_header + "\n" + wide_row + "\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(wide, {.target = "label"}),
                       ("load_csv: '" + wide + "': target column 'label' not found; columns are " + wide_names +
                        ", ... (40 columns)").c_str(),
                       FormatError);
  const auto dup = write_file("dup.csv", "a,a,y\n1,2,3\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(dup, {.target = "a"}),
                       ("load_csv: '" + dup + "': target column 'a' is ambiguous: columns 1 and 2 have that name").c_str(),
                       FormatError);
}

TEST_CASE("errors: bad options are ValueErrors") {
  const auto path = write_file("opts.csv", "a,y\n1,2\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.delimiter = '\n'}),
                       "load_csv: delimiter must not be a line break, got code 10", ValueError);
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.delimiter = '"'}),
                       "load_csv: delimiter and quote must differ, both are '\"'", ValueError);
}

TEST_CASE("random bytes from a CSV-ish alphabet either parse or raise FormatError") {
  // A cheap fuzz pass (run under ASan in CI): no crash, no other exception type, whatever the input.
  const char alphabet[] = {',', '"', '\n', '\r', '1', '.', 'a', ' ', 'N', 'A', '-', 'e'};
  std::uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state >> 33);
  };
  int parsed = 0, rejected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string content;
    const std::size_t len = next() % 40;
    for (std::size_t i = 0; i < len; ++i) content += alphabet[next() % sizeof alphabet];
    const auto path = write_file("fuzz.csv", content);
    try {
      const auto ds = load_csv<float>(path, {.header = trial % 2 == 0, .categorical = {0}});
      CHECK(ds.X.shape()[0] == ds.y.shape()[0]);
      ++parsed;
    } catch (const FormatError&) {
      ++rejected;
    }
  }
  CHECK(parsed > 0);
  CHECK(rejected > 0);
}

TEST_CASE("delimiters that can be part of a number are rejected; the parser never reads past a delimiter") {
  const auto path = write_file("dots.csv", "a.b\n1.5.2\n");
  // With '.' as the delimiter "1.5.2" is three fields, not 1.5 and 2: such delimiters are refused.
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.delimiter = '.'}),
                       "load_csv: delimiter '.' cannot be told apart from a number (digits, '.', '+', '-', 'e' and "
                       "'E' are not allowed)",
                       ValueError);
  for (char c : {'-', '+', 'e', 'E', '0', '7'}) {
    CAPTURE(c);
    CHECK_THROWS_AS(load_csv<double>(path, {.delimiter = c}), ValueError);
  }
  CHECK_THROWS_WITH_AS(load_csv<double>(path, {.quote = '1'}),
                       "load_csv: quote must not be a line break, NUL, a digit, '.', '+', '-', 'e' or 'E', got code 49",
                       ValueError);
  // A letter delimiter is allowed, and "nan" / "inf" cannot swallow it: "nana1" is the fields n, n, 1.
  const auto letters = write_file("letters.csv", "xay\nnana1\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(letters, {.delimiter = 'a'}),
                       (at(letters, 2, 3) + ": expected 2 fields (as in the header), got 3").c_str(),
                       FormatError);
  // "inf" followed by the delimiter 'i': the fields are "", "nf", "5", not inf and 5.
  const auto inf = write_file("letter_i.csv", "aib\n3i4\ninfi5\n");
  CHECK_THROWS_WITH_AS(load_csv<double>(inf, {.delimiter = 'i'}),
                       (at(inf, 3, 3) + ": expected 2 fields (as in the header), got 3").c_str(), FormatError);
  const auto ok = write_file("letter_ok.csv", "axb\n3x4\n-1.5e3x5\n");
  CHECK(load_csv<double>(ok, {.delimiter = 'x'}).X.to_vector() == std::vector<double>{3, -1500});
}

// Tests for io/svg.hpp: escaping, primitives, ticks, the line chart, and XML validity (xmllint).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "grove/io/svg.hpp"

using grove::io::nice_ticks;
using grove::io::SvgDocument;
using grove::io::SvgPlot;
using grove::io::xml_escape;

namespace {

std::string tmp_path(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/" + name; }

bool have_xmllint() { return std::filesystem::exists("/usr/bin/xmllint"); }

// True when xmllint accepts the file (or xmllint is not installed).
bool xml_ok(const std::string& path) {
  if (!have_xmllint()) return true;
  return std::system(("/usr/bin/xmllint --noout '" + path + "' 2>/dev/null").c_str()) == 0;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("xml_escape replaces markup characters and drops forbidden control characters") {
  CHECK(xml_escape("a<b & c>\"d\" 'e'") == "a&lt;b &amp; c&gt;&quot;d&quot; &apos;e&apos;");
  CHECK(xml_escape(std::string("x\x01y\tz\n", 6)) == "xy\tz\n");
  CHECK(xml_escape("plain µ text") == "plain µ text");
}

TEST_CASE("SvgDocument writes primitives with escaped text and rejects bad sizes") {
  SvgDocument doc(200, 100);
  doc.line(0, 0, 10.5, 20.25, {.stroke = "#000", .stroke_width = 2});
  doc.text(5, 6, "R&D <loss>", {.size = 10, .anchor = "middle"});
  doc.begin_group("series", "val \"loss\"");
  doc.polyline({{0, 0}, {1, 2}, {3, 4}}, {.stroke = "red"});
  doc.end_group();
  doc.polyline({{1, 1}}, {.stroke = "red"});  // a single point draws nothing
  const std::string s = doc.str();
  CHECK(s.find("<line x1=\"0\" y1=\"0\" x2=\"10.5\" y2=\"20.25\" stroke=\"#000\"") != std::string::npos);
  CHECK(s.find(">R&amp;D &lt;loss&gt;</text>") != std::string::npos);
  CHECK(s.find("data-label=\"val &quot;loss&quot;\"") != std::string::npos);
  CHECK(count(s, "<polyline") == 1);
  CHECK(s.find("points=\"0,0 1,2 3,4\"") != std::string::npos);
  CHECK(s.rfind("</svg>\n") == s.size() - 7);

  CHECK_THROWS_WITH_AS(SvgDocument(0, 10), "SvgDocument: size must be positive and finite, got 0 x 10",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(doc.end_group(), "SvgDocument::end_group: no open group", grove::ValueError);

  const std::string path = tmp_path("svg_doc.svg");
  doc.save(path);
  CHECK(xml_ok(path));
  CHECK_THROWS_WITH_AS(doc.save("/nonexistent-dir/x.svg"),
                       "SvgDocument::save: cannot write '/nonexistent-dir/x.svg': No such file or directory", grove::IoError);
}

TEST_CASE("the xmllint check itself rejects malformed XML") {
  if (!have_xmllint()) return;
  const std::string path = tmp_path("svg_bad.svg");
  std::ofstream(path) << "<svg><g></svg>";
  CHECK_FALSE(xml_ok(path));
}

TEST_CASE("nice_ticks: 1-2-5 steps on linear axes, decades on log axes") {
  const auto t = nice_ticks(0, 1, false, 5);
  REQUIRE(t.size() == 6);
  for (std::size_t i = 0; i < t.size(); ++i) CHECK(t[i] == doctest::Approx(0.2 * static_cast<double>(i)));
  const auto t2 = nice_ticks(-3, 47, false, 6);
  CHECK(t2 == std::vector<double>{0, 10, 20, 30, 40});
  const auto lg = nice_ticks(10, 1000, true, 6);
  CHECK(lg == std::vector<double>{10, 20, 50, 100, 200, 500, 1000});
  const auto wide = nice_ticks(1, 1e6, true, 7);
  CHECK(wide == std::vector<double>{1, 10, 100, 1000, 1e4, 1e5, 1e6});
  CHECK(nice_ticks(1, 0, false).empty());
  CHECK(nice_ticks(0, 10, true).empty());  // log axis needs lo > 0
}

TEST_CASE("SvgPlot draws lines, bands, markers, legend and splits lines at NaN") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  SvgPlot plot({.title = "Loss & <accuracy>", .x_label = "epoch", .y_label = "loss"});
  plot.line("train", {1, 2, 3, 4, 5}, {1.0, 0.8, nan, 0.5, 0.4});
  plot.line("val", {1, 2, 3, 4, 5}, {1.1, 0.9, 0.85, 0.8, 0.82}, {.color = "#ff7f0e", .dash = "4 2"});
  plot.band("val ± std", {1, 2, 3, 4, 5}, {1.0, 0.8, 0.8, 0.7, 0.7}, {1.2, 1.0, 0.9, 0.9, 0.95}, "#ff7f0e");
  plot.vline(4, "early stop");
  plot.marker(4, 0.8, "best");
  const std::string s = plot.to_string();
  CHECK(count(s, "<polyline") == 3);  // train split in two by the NaN, plus val
  CHECK(count(s, "<polygon") == 1);
  CHECK(s.find("data-label=\"train\"") != std::string::npos);
  CHECK(s.find("data-label=\"val\"") != std::string::npos);
  CHECK(s.find("class=\"legend\"") != std::string::npos);
  CHECK(s.find(">val ± std</text>") != std::string::npos);
  CHECK(s.find(">Loss &amp; &lt;accuracy&gt;</text>") != std::string::npos);
  CHECK(s.find(">epoch</text>") != std::string::npos);
  CHECK(s.find("stroke-dasharray=\"4 2\"") != std::string::npos);
  CHECK(s.find(">early stop</text>") != std::string::npos);
  CHECK(s.find("paint-order=\"stroke\">best</text>") != std::string::npos);  // haloed label over the lines

  // Every polyline vertex lies inside the canvas.
  // (Plain string search: <regex> trips GCC 12's -Wmaybe-uninitialized under ASan.)
  const std::string key = "points=\"";
  for (std::size_t p = s.find(key); p != std::string::npos; p = s.find(key, p + 1)) {
    const std::size_t b = p + key.size(), e = s.find('"', b);
    std::istringstream in(s.substr(b, e - b));
    std::string pair;
    while (in >> pair) {
      const double x = std::stod(pair.substr(0, pair.find(','))), y = std::stod(pair.substr(pair.find(',') + 1));
      CHECK(x >= 0);
      CHECK(x <= 760);
      CHECK(y >= 0);
      CHECK(y <= 480);
    }
  }
  const std::string path = tmp_path("svg_plot.svg");
  plot.save(path);
  CHECK(xml_ok(path));
}

TEST_CASE("SvgPlot log axes skip non-positive values and label the scale") {
  SvgPlot plot({.x_label = "samples", .log_x = true});
  plot.line("err", {0, 10, 100, 1000}, {0.5, 0.4, 0.3, 0.2});
  const std::string s = plot.to_string();
  CHECK(s.find(">samples (log scale)</text>") != std::string::npos);
  CHECK(s.find(">100</text>") != std::string::npos);
  CHECK(count(s, "<circle") == 4);  // 3 points (x = 0 is not drawable on a log axis) + the legend's sample
}

TEST_CASE("SvgPlot validates its input") {
  CHECK_THROWS_WITH_AS(SvgPlot({.width = 50}), "SvgPlot: size must be at least 200 x 150, got 50 x 480",
                       grove::ValueError);
  SvgPlot plot;
  CHECK_THROWS_WITH_AS(plot.line("a", {1, 2}, {1}), "SvgPlot::line: series 'a' has 2 x values but 1 y values",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(plot.band("b", {1, 2}, {1, 2}, {1}, "red"),
                       "SvgPlot::band: series 'b' has 2 x values but 1 y values", grove::ValueError);
  CHECK_THROWS_WITH_AS(plot.set_y_range(1, 1), "SvgPlot::set_y_range: need finite lo < hi, got [1, 1]",
                       grove::ValueError);
  // An empty plot still renders valid axes.
  const std::string path = tmp_path("svg_empty.svg");
  plot.save(path);
  CHECK(xml_ok(path));
}

TEST_CASE("SvgPlot puts the legend under the plot and marks far values at the edge") {
  // 760 x 480 with a title: top 44; one legend row: bottom margin 78, plot area ends at y = 402.
  SvgPlot plot({.title = "t"});
  plot.line("a", {1, 2, 3}, {0.5, 0.6, 0.7});
  plot.line("b", {1, 2, 3}, {0.4, 0.5, 0.6});
  plot.set_y_range(0.35, 0.75);
  plot.edge_note(0.1, "baseline 0.1");  // below the range: a triangle at the bottom edge
  plot.edge_note(0.55, "reference");    // inside: a dashed line across
  const std::string s = plot.to_string();
  const auto legend = s.find("<g class=\"legend\">");
  REQUIRE(legend != std::string::npos);
  CHECK(s.find("<text x=\"104\" y=\"460\"", legend) != std::string::npos);  // first entry, below y = 402
  CHECK(s.find(">baseline 0.1 (below)</text>") != std::string::npos);
  CHECK(s.find(">reference</text>") != std::string::npos);
  CHECK(count(s, "class=\"edge-note\"") == 2);
  CHECK(s.find("stroke-dasharray=\"3 3\"") != std::string::npos);
}

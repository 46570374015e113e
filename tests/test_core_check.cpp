// core/check.hpp and core/format.hpp: the one range check, size arithmetic, allocation budget,
// class-label reader and number formatter; data/schema.hpp round trip through the container.
#include <grove/core/check.hpp>
#include <grove/core/format.hpp>
#include <grove/data/schema.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace grove;

TEST_CASE("format_number: shortest round trip, fixed digits, special values") {
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(1e-8) == "1e-08");
  CHECK(format_number(-3.0) == "-3");
  CHECK(format_number(2000000.0) == "2000000");  // whole numbers below 2^53 in full
  CHECK(format_number(1e12) == "1000000000000");
  CHECK(format_number(-0.0) == "-0");
  CHECK(format_number(1e20) == "1e+20");
  CHECK(format_number(std::nan("")) == "nan");
  CHECK(format_number(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(format_number(0.123456, 3) == "0.123");
  CHECK(format_number(1234567.0, 2) == "1.2e+06");
  CHECK(format_fixed(0.5, 3) == "0.500");
  CHECK(format_fixed(std::numeric_limits<double>::max(), 2).size() > 300);
}

TEST_CASE("check_range: one message style, open and closed ends, NaN always fails") {
  CHECK_NOTHROW(detail::check_range("op", "p", 0.0, {.lo = 0, .hi = 1}));
  CHECK_THROWS_WITH_AS(detail::check_range("op", "p", 0.0, {.lo = 0, .hi = 1, .lo_open = true}),
                       "op: p must be in (0, 1], got 0", ValueError);
  CHECK_THROWS_WITH_AS(detail::check_range("GradientBoosting", "l2", 1e-8 - 1.0, {.lo = 0}),
                       "GradientBoosting: l2 must be in [0, inf), got -0.99999999", ValueError);
  CHECK_THROWS_WITH_AS(detail::check_range("op", "eps", std::nan(""), {.lo = 0, .lo_open = true}),
                       "op: eps must be in (0, inf), got nan", ValueError);
  CHECK_THROWS_WITH_AS(detail::check_finite("op", "base_score", std::numeric_limits<double>::infinity()),
                       "op: base_score must be finite, got inf", ValueError);
}

TEST_CASE("checked size arithmetic and the allocation budget") {
  CHECK(detail::checked_mul(3, 4, "op") == 12);
  const std::size_t big = (std::size_t{1} << 63) + 1;
  CHECK_THROWS_WITH_AS(detail::checked_mul(big, 2, "Tensor::zeros"),
                       "Tensor::zeros: size 9223372036854775809 x 2 overflows", ValueError);
  CHECK_THROWS_AS(detail::checked_add(std::numeric_limits<std::size_t>::max(), 1, "op"), ValueError);
  const std::size_t old = set_allocation_limit(1000);
  CHECK(allocation_limit() == 1000);
  CHECK(detail::fits_allocation(125, 8));
  CHECK_FALSE(detail::fits_allocation(126, 8));
  CHECK_FALSE(detail::fits_allocation(big, 4));  // overflow is never "fits"
  CHECK_THROWS_WITH_AS(detail::check_allocation("load_idx", "pixels", 200, 8),
                       "load_idx: pixels needs 200 x 8 bytes, more than the allocation limit of 1000 bytes",
                       ValueError);
  set_allocation_limit(old);
}

TEST_CASE("class_labels: integers 0..k-1, one limit, empty classes named") {
  const std::vector<double> ok = {0, 2, 1, 2};
  const auto labels = detail::class_labels(ok.data(), ok.size(), "fit", "y");
  CHECK(labels.n_classes == 3);
  CHECK(labels.index == std::vector<std::int32_t>{0, 2, 1, 2});

  const std::vector<double> frac = {0, 1.5};
  CHECK_THROWS_WITH_AS(detail::class_labels(frac.data(), frac.size(), "fit", "y"),
                       "fit: y[1] = 1.5 is not a class label (expected an integer in 0..65535)", ValueError);
  const std::vector<float> neg = {0.f, -1.f};
  CHECK_THROWS_WITH_AS(detail::class_labels(neg.data(), neg.size(), "fit", "y", {.n_classes = 3}),
                       "fit: y[1] = -1 is not a class label (expected an integer in 0..2)", ValueError);
  const std::vector<int> huge = {0, 65536};
  CHECK_THROWS_AS(detail::class_labels(huge.data(), huge.size(), "fit", "y"), ValueError);

  // Labels 1,2,3,5 leave classes 0 and 4 empty: a phantom class is an error, not a silent extra output.
  const std::vector<int> gaps = {1, 2, 3, 5};
  CHECK_THROWS_WITH_AS(detail::class_labels(gaps.data(), gaps.size(), "fit", "y", {.require_all_present = true}),
                       "fit: class 0 has no rows in y (labels must be 0..5 with every class present; re-encode the "
                       "labels or pass the class count)",
                       ValueError);
  // With a known class count (from a schema) an absent class is fine.
  CHECK(detail::class_labels(gaps.data(), gaps.size(), "fit", "y", {.n_classes = 6}).n_classes == 6);
}

TEST_CASE("Schema: writes and reads back through the binary container") {
  data::Schema s;
  s.features = {{"age", data::ColumnKind::Numeric, {}},
                {"home", data::ColumnKind::Categorical, {"mortgage", "own", "rent"}}};
  s.target = "default";
  s.target_kind = data::TargetKind::Categorical;
  s.class_names = {"no", "yes"};
  CHECK(s.categorical_features() == std::vector<std::size_t>{1});
  CHECK(s.feature_names() == std::vector<std::string>{"age", "home"});

  io::BinaryWriter w;
  data::write_schema(w, s);
  io::BinaryReader r(w.finish("schema-test", 1), "memory", "schema-test", 1);
  CHECK(data::read_schema(r) == s);
  r.expect_end();

  // A count larger than the bytes left is refused before anything is allocated.
  io::BinaryWriter bad;
  bad.write<std::uint64_t>(std::uint64_t{1} << 40);
  io::BinaryReader rb(bad.finish("schema-test", 1), "memory", "schema-test", 1);
  CHECK_THROWS_WITH_AS(data::read_schema(rb),
                       "load: 'memory' at byte 47: schema: feature count 1099511627776 is implausible", FormatError);
}

// data::load_idx: MNIST-format files, plain and gzip, and every malformed-file case.
#include <grove/core/check.hpp>
#include <grove/data/idx.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
#include <zlib.h>
#endif

using namespace grove;

namespace {

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/idx_" + name; }

void put_u32(std::vector<unsigned char>& b, std::uint32_t v) {
  b.push_back(static_cast<unsigned char>(v >> 24));
  b.push_back(static_cast<unsigned char>(v >> 16));
  b.push_back(static_cast<unsigned char>(v >> 8));
  b.push_back(static_cast<unsigned char>(v));
}

std::vector<unsigned char> images_bytes(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  std::vector<unsigned char> b;
  put_u32(b, 2051);
  put_u32(b, n);
  put_u32(b, rows);
  put_u32(b, cols);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) b.push_back(static_cast<unsigned char>((i * 7 + 3) % 256));
  return b;
}

std::vector<unsigned char> labels_bytes(const std::vector<unsigned char>& labels) {
  std::vector<unsigned char> b;
  put_u32(b, 2049);
  put_u32(b, static_cast<std::uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

std::string write(const std::string& name, const std::vector<unsigned char>& bytes) {
  const std::string path = tmp(name);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
std::string write_gz(const std::string& name, const std::vector<unsigned char>& bytes) {
  const std::string path = tmp(name);
  gzFile gz = gzopen(path.c_str(), "wb");
  REQUIRE(gz != nullptr);
  REQUIRE(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(gz);
  return path;
}
#endif

}  // namespace

TEST_CASE("load_idx reads a plain IDX pair into X [n, rows*cols] and y") {
  const auto img = write("img", images_bytes(3, 2, 2));
  const auto lab = write("lab", labels_bytes({2, 0, 1}));
  auto ds = data::load_idx<float>(img, lab);
  REQUIRE(ds.X.shape() == Shape{3, 4});
  REQUIRE(ds.y.shape() == Shape{3});
  for (std::size_t i = 0; i < 12; ++i) CHECK(ds.X.data()[i] == static_cast<float>((i * 7 + 3) % 256));
  CHECK(ds.y.to_vector() == std::vector<float>{2, 0, 1});
  CHECK(ds.feature_names == std::vector<std::string>{"pixel_0_0", "pixel_0_1", "pixel_1_0", "pixel_1_1"});
  CHECK(ds.class_names == std::vector<std::string>{"0", "1", "2"});

  auto dd = data::load_idx<double>(img, lab);
  CHECK(dd.X(2, 3) == 80.0);  // element 11: (11*7+3) % 256
}

#if defined(GROVE_HAVE_ZLIB) && GROVE_HAVE_ZLIB
TEST_CASE("load_idx reads gzip files to the same values as plain ones") {
  const auto img_bytes = images_bytes(5, 3, 4);
  const auto lab_bytes = labels_bytes({9, 8, 0, 1, 9});
  auto plain = data::load_idx<float>(write("img5", img_bytes), write("lab5", lab_bytes));
  auto gz = data::load_idx<float>(write_gz("img5.gz", img_bytes), write_gz("lab5.gz", lab_bytes));
  CHECK(gz.X.shape() == Shape{5, 12});
  CHECK(gz.X.to_vector() == plain.X.to_vector());
  CHECK(gz.y.to_vector() == plain.y.to_vector());
  CHECK(gz.class_names.size() == 10);
  // Mixed: gzip images with plain labels.
  auto mixed = data::load_idx<float>(tmp("img5.gz"), tmp("lab5"));
  CHECK(mixed.X.to_vector() == plain.X.to_vector());
}

TEST_CASE("load_idx: malformed gzip files are FormatErrors") {
  auto img_bytes = images_bytes(4, 2, 2);
  // A gzip file cut short: the decompressed stream ends inside the pixel data.
  const auto full = write_gz("trunc_full.gz", img_bytes);
  std::ifstream in(full, std::ios::binary);
  std::vector<unsigned char> gzbytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gzbytes.resize(gzbytes.size() / 2);
  const auto cut = write("trunc_cut.gz", gzbytes);
  const auto lab = write("lab4", labels_bytes({0, 1, 2, 3}));
  CHECK_THROWS_AS(data::load_idx<float>(cut, lab), FormatError);
  // A truncated gzip of a header claiming far more data.
  auto small = images_bytes(4, 2, 2);
  small[7] = 100;  // n = 100 images
  const auto lying = write_gz("lying.gz", small);
  CHECK_THROWS_WITH_AS(data::load_idx<float>(lying, lab),
                       ("load_idx: '" + lying + "' at byte 32: truncated: header declares 400 data bytes after byte "
                        "16, the file holds 16").c_str(),
                       FormatError);
}
#endif

TEST_CASE("load_idx without zlib rejects gzip files with a clear message") {
  const std::vector<unsigned char> fake_gz = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
  const auto gz = write("nozlib.gz", fake_gz);
  const auto lab = write("lab1", labels_bytes({0}));
  CHECK_THROWS_WITH_AS(grove::detail::load_idx_impl<float>(gz, lab, /*allow_gzip=*/false),
                       ("load_idx: '" + gz +
                        "' is gzip-compressed but grove was built without zlib support (install zlib1g-dev and "
                        "reconfigure, or gunzip the file)")
                           .c_str(),
                       FormatError);
}

TEST_CASE("load_idx: every malformed plain file is a FormatError naming path and byte offset") {
  const auto good_img = write("good_img", images_bytes(2, 2, 2));
  const auto good_lab = write("good_lab", labels_bytes({1, 0}));

  SUBCASE("missing file") {
    const auto missing = tmp("does_not_exist");
    CHECK_THROWS_WITH_AS(data::load_idx<float>(missing, good_lab), ("load_idx: cannot open '" + missing + "'").c_str(),
                         FormatError);
  }
  SUBCASE("labels given as images: bad magic") {
    CHECK_THROWS_WITH_AS(data::load_idx<float>(good_lab, good_img),
                         ("load_idx: '" + good_lab +
                          "' at byte 0: bad magic 2049 (0x00000801), expected 2051 for an IDX image file")
                             .c_str(),
                         FormatError);
  }
  SUBCASE("bad label magic") {
    CHECK_THROWS_WITH_AS(data::load_idx<float>(good_img, good_img),
                         ("load_idx: '" + good_img +
                          "' at byte 0: bad magic 2051 (0x00000803), expected 2049 for an IDX label file")
                             .c_str(),
                         FormatError);
  }
  SUBCASE("empty file") {
    const auto empty = write("empty", {});
    CHECK_THROWS_WITH_AS(data::load_idx<float>(empty, good_lab),
                         ("load_idx: '" + empty + "' at byte 0: truncated: magic number needs 4 bytes, only 0 remain")
                             .c_str(),
                         FormatError);
  }
  SUBCASE("header cut inside the dimensions") {
    auto b = images_bytes(2, 2, 2);
    b.resize(10);
    const auto p = write("cut_header", b);
    CHECK_THROWS_WITH_AS(data::load_idx<float>(p, good_lab),
                         ("load_idx: '" + p + "' at byte 8: truncated: dimension needs 4 bytes, only 2 remain").c_str(),
                         FormatError);
  }
  SUBCASE("pixel data cut short") {
    auto b = images_bytes(2, 2, 2);
    b.resize(b.size() - 3);
    const auto p = write("cut_data", b);
    CHECK_THROWS_WITH_AS(data::load_idx<float>(p, good_lab),
                         ("load_idx: '" + p +
                          "' at byte 21: truncated: header declares 8 data bytes after byte 16, the file holds 5")
                             .c_str(),
                         FormatError);
  }
  SUBCASE("trailing bytes") {
    auto b = labels_bytes({1, 0});
    b.push_back(7);
    const auto p = write("trailing", b);
    CHECK_THROWS_WITH_AS(data::load_idx<float>(good_img, p),
                         ("load_idx: '" + p + "' at byte 10: trailing bytes after the 2 data bytes the header declares")
                             .c_str(),
                         FormatError);
  }
  SUBCASE("counts disagree") {
    const auto p = write("three_labels", labels_bytes({1, 0, 2}));
    CHECK_THROWS_WITH_AS(data::load_idx<float>(good_img, p),
                         ("load_idx: '" + good_img + "' holds 2 images but '" + p + "' holds 3 labels").c_str(),
                         FormatError);
  }
  SUBCASE("a header claiming 10^12 pixels fails before allocating them") {
    std::vector<unsigned char> b;
    put_u32(b, 2051);
    put_u32(b, 1000000);
    put_u32(b, 1000);
    put_u32(b, 1000);
    b.insert(b.end(), 64, 0);
    const auto p = write("huge", b);
    CHECK_THROWS_WITH_AS(data::load_idx<float>(p, good_lab),
                         ("load_idx: '" + p +
                          "' at byte 80: truncated: header declares 1000000000000 data bytes after byte 16, the file "
                          "holds 64")
                             .c_str(),
                         FormatError);
  }
  SUBCASE("zero rows") {
    auto b = images_bytes(2, 2, 2);
    b[11] = 0;
    const auto p = write("zero_rows", b);
    CHECK_THROWS_WITH_AS(data::load_idx<float>(p, good_lab),
                         ("load_idx: '" + p + "' at byte 8: dimension 1 is 0").c_str(), FormatError);
  }
  SUBCASE("dimensions that overflow 64 bits") {
    std::vector<unsigned char> b;
    put_u32(b, 2051);
    put_u32(b, 0xffffffffu);
    put_u32(b, 0xffffffffu);
    put_u32(b, 0xffffffffu);
    const auto p = write("overflow", b);
    CHECK_THROWS_WITH_AS(data::load_idx<float>(p, good_lab),
                         ("load_idx: '" + p + "' at byte 16: the dimensions overflow a 64-bit element count").c_str(),
                         FormatError);
  }
}

TEST_CASE("load_idx accepts an empty data set") {
  const auto img = write("img0", images_bytes(0, 28, 28));
  const auto lab = write("lab0", labels_bytes({}));
  auto ds = data::load_idx<float>(img, lab);
  CHECK(ds.X.shape() == Shape{0, 784});
  CHECK(ds.y.size() == 0);
  CHECK(ds.class_names.empty());
}

TEST_CASE("load_idx: sizes from a header are checked before any allocation") {
  const auto lab0 = write("lab_empty", labels_bytes({}));
  auto header_only = [](std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
    std::vector<unsigned char> b;
    put_u32(b, 2051);
    put_u32(b, n);
    put_u32(b, rows);
    put_u32(b, cols);
    return b;
  };
  // 24 bytes: 0 images of 65535 x 65535 (4.3e9 feature names) and 0 of 4096 x 4096 (0.5 GB of names).
  const auto huge = write("zero_huge", header_only(0, 65535, 65535));
  CHECK_THROWS_WITH_AS(data::load_idx<float>(huge, lab0),
                       ("load_idx: '" + huge + "' at byte 16: the header declares 0 images of 4294836225 values; an "
                                               "empty file cannot vouch for more than 65536 values per image").c_str(),
                       FormatError);
  const auto big = write("zero_big", header_only(0, 4096, 4096));
  CHECK_THROWS_AS(data::load_idx<float>(big, lab0), FormatError);
  // 0 images of 256 x 256 is still an (empty) data set.
  const auto ok = data::load_idx<float>(write("zero_ok", header_only(0, 256, 256)), lab0);
  CHECK(ok.X.shape() == Shape{0, 65536});
  CHECK(ok.feature_names.size() == 65536);
  // A plain file must hold exactly what its header declares: checked against its size first.
  const auto lying = write("lying_plain", header_only(3, 65535, 65535));
  CHECK_THROWS_WITH_AS(data::load_idx<float>(lying, lab0),
                       ("load_idx: '" + lying + "' at byte 16: truncated: header declares 12884508675 data bytes "
                                                "after byte 16, the file holds 0").c_str(),
                       FormatError);
  // The allocation limit caps what a header may ask for, as values or as names.
  const auto img = write("budget_img", images_bytes(2, 28, 28));
  const auto lab = write("budget_lab", labels_bytes({0, 1}));
  const std::size_t old = set_allocation_limit(4000);
  CHECK_THROWS_WITH_AS(data::load_idx<float>(img, lab),
                       ("load_idx: '" + img + "' at byte 16: the header declares 2 images of 784 values, more than "
                                              "the allocation limit of 4000 bytes allows").c_str(),
                       FormatError);
  set_allocation_limit(old);
  CHECK(data::load_idx<float>(img, lab).X.shape() == Shape{2, 784});
}

// io/file.hpp (the one atomic file writer) and io/binary.hpp (the container) round trips and
// failures.
#include <grove/io/binary.hpp>
#include <grove/io/file.hpp>

#include <doctest/doctest.h>

#include <dirent.h>
#include <sys/resource.h>

#include <csignal>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace grove;

namespace {

std::string tmp_dir() { return std::string(GROVE_TEST_TMP_DIR); }

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Names in `dir` starting with `prefix` (to see leftover temporary files).
std::set<std::string> entries(const std::string& dir, const std::string& prefix) {
  std::set<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.rfind(prefix, 0) == 0) out.insert(name);
    }
    closedir(d);
  }
  return out;
}

}  // namespace

TEST_CASE("write_file: writes text and bytes, replaces an old file, leaves no temporary file") {
  const std::string path = tmp_dir() + "/io_write_a.txt";
  io::write_file(path, std::string_view("first version, longer than the second"));
  CHECK(read_text(path) == "first version, longer than the second");
  const std::vector<unsigned char> bytes = {0, 1, 2, 255, 'x'};
  io::write_file(path, bytes);
  CHECK(read_text(path) == std::string("\0\1\2\377x", 5));
  io::write_file(path, std::string_view());
  CHECK(read_text(path).empty());
  CHECK(entries(tmp_dir(), "io_write_a.txt") == std::set<std::string>{"io_write_a.txt"});
}

TEST_CASE("write_file: a failed write is an IoError naming the op, the path and the reason") {
  CHECK_THROWS_WITH_AS(io::write_file("/nonexistent-dir/m.bin", std::string_view("x"), "save"),
                       "save: cannot write '/nonexistent-dir/m.bin': No such file or directory", IoError);
  CHECK_THROWS_AS(io::write_file("/nonexistent-dir/m.bin", std::string_view("x")), Error);
  // A directory cannot be replaced by a file.
  CHECK_THROWS_WITH_AS(io::write_file(tmp_dir(), std::string_view("x"), "write_csv"),
                       ("write_csv: cannot write '" + tmp_dir() + "': Is a directory").c_str(), IoError);
  // A full disk (Linux's /dev/full) is reported too; devices are written in place, never replaced.
  CHECK_THROWS_WITH_AS(io::write_file("/dev/full", std::string_view("x"), "save"),
                       "save: cannot write '/dev/full': No space left on device", IoError);
  CHECK_NOTHROW(io::write_file("/dev/null", std::string_view("discarded")));
}

TEST_CASE("write_file: a write that fails midway keeps the previous file and no temporary file") {
  const std::string path = tmp_dir() + "/io_keep.txt";
  io::write_file(path, std::string_view("good model"));
  // A file-size limit makes the write fail after the temporary file was created (EFBIG).
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit small = old;
  small.rlim_cur = 1000;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  const std::string big(100000, 'x');
  CHECK_THROWS_WITH_AS(io::write_file(path, big, "save"), ("save: cannot write '" + path + "': File too large").c_str(),
                       IoError);
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK(read_text(path) == "good model");
  CHECK(entries(tmp_dir(), "io_keep.txt") == std::set<std::string>{"io_keep.txt"});
}

TEST_CASE("write_file: concurrent writers of one path leave one complete version") {
  const std::string path = tmp_dir() + "/io_race.txt";
  std::vector<std::string> versions;
  for (int t = 0; t < 8; ++t) versions.push_back(std::string(20000 + 1000 * static_cast<std::size_t>(t), char('a' + t)));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) io::write_file(path, versions[static_cast<std::size_t>(t)]);
    });
  for (auto& th : threads) th.join();
  const std::string got = read_text(path);
  CHECK(std::find(versions.begin(), versions.end(), got) != versions.end());
  CHECK(entries(tmp_dir(), "io_race.txt") == std::set<std::string>{"io_race.txt"});
}

TEST_CASE("BinaryWriter::save: round trip, and failures are IoError naming the path") {
  io::BinaryWriter w;
  w.write<std::uint32_t>(42);
  w.write_string("name");
  w.write_vector(std::vector<double>{1.5, -2.0});
  const std::string path = tmp_dir() + "/io_container.bin";
  w.save(path, "grove.test.Io", 3);
  auto r = io::BinaryReader::open(path, "grove.test.Io", 3);
  CHECK(r.kind_version() == 3);
  CHECK(r.read<std::uint32_t>() == 42);
  CHECK(r.read_string() == "name");
  CHECK(r.read_vector<double>() == std::vector<double>{1.5, -2.0});
  CHECK(r.at_end());
  CHECK_THROWS_WITH_AS(w.save("/nonexistent-dir/model.bin", "grove.test.Io", 3),
                       "save: cannot write '/nonexistent-dir/model.bin': No such file or directory", IoError);
}

TEST_CASE("BinaryReader::open: a file that never ends stops at the allocation limit") {
  const std::size_t old = set_allocation_limit(std::size_t{1} << 20);
  CHECK_THROWS_WITH_AS(io::BinaryReader::open("/dev/zero", "grove.test.Io", 1),
                       "load: '/dev/zero' holds more bytes than the allocation limit of 1048576", FormatError);
  set_allocation_limit(old);
  CHECK_THROWS_WITH_AS(io::BinaryReader::open(tmp_dir(), "grove.test.Io", 1),
                       doctest::Contains("not a grove model file (bad magic)"), FormatError);
}

// nn::save / nn::load: bitwise round trips and every bad file is a FormatError naming the problem.
#include <grove/autograd.hpp>
#include <grove/io/binary.hpp>
#include <grove/nn.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace grove;

namespace {

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/nn_" + name; }

template <class T>
nn::Sequential<T> make_mlp(std::uint64_t seed, std::size_t hidden = 8) {
  Rng rng(seed);
  return nn::Sequential<T>{nn::Linear<T>(4, hidden, rng), nn::ReLU(), nn::LayerNorm<T>(hidden),
                           nn::Linear<T>(hidden, 3, rng)};
}

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<unsigned char>& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

template <class T>
std::vector<std::vector<T>> snapshot(const nn::Module<T>& m) {
  std::vector<std::vector<T>> out;
  for (const auto& p : m.parameters()) out.push_back(p.to_vector());
  return out;
}

}  // namespace

TEST_CASE("save/load round trip is bitwise, float and double; predictions agree exactly") {
  auto a = make_mlp<float>(1);
  Rng rng(5);
  // Give LayerNorm non-default values so every parameter carries information.
  for (auto& p : a.parameters()) {
    auto d = Tensor<float>::randn(p.shape(), rng);
    std::copy(d.data(), d.data() + d.size(), p.data());
  }
  nn::save(a, tmp("f.bin"));
  auto b = make_mlp<float>(2);
  CHECK(snapshot(a) != snapshot(b));
  nn::load(b, tmp("f.bin"));
  CHECK(snapshot(a) == snapshot(b));
  auto x = Tensor<float>::randn(Shape{5, 4}, rng);
  CHECK(a(x).to_vector() == b(x).to_vector());
  // Saving the loaded model reproduces the file byte for byte.
  nn::save(b, tmp("f2.bin"));
  CHECK(read_bytes(tmp("f.bin")) == read_bytes(tmp("f2.bin")));

  auto da = make_mlp<double>(3);
  nn::save(da, tmp("d.bin"));
  auto db = make_mlp<double>(4);
  nn::load(db, tmp("d.bin"));
  CHECK(snapshot(da) == snapshot(db));
}

TEST_CASE("load rejects every bad file with a FormatError and leaves the module unchanged") {
  auto model = make_mlp<float>(1);
  nn::save(model, tmp("good.bin"));
  const auto good = read_bytes(tmp("good.bin"));
  auto target = make_mlp<float>(9);
  const auto before = snapshot(target);

  SUBCASE("missing file") {
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("absent.bin")), ("load: cannot open '" + tmp("absent.bin") + "'").c_str(),
                         FormatError);
  }
  SUBCASE("truncated") {
    auto b = good;
    b.resize(b.size() - 100);
    write_bytes(tmp("trunc.bin"), b);
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("trunc.bin")),
                         doctest::Contains("truncated or padded: header says"), FormatError);
  }
  SUBCASE("cut inside the header") {
    auto b = good;
    b.resize(10);
    write_bytes(tmp("cut.bin"), b);
    CHECK_THROWS_AS(nn::load(target, tmp("cut.bin")), FormatError);
  }
  SUBCASE("one flipped byte in the payload") {
    auto b = good;
    b[b.size() / 2] ^= 0x10;
    write_bytes(tmp("flip.bin"), b);
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("flip.bin")), doctest::Contains("checksum mismatch: the file is corrupted"),
                         FormatError);
  }
  SUBCASE("not a grove file") {
    write_bytes(tmp("text.bin"), std::vector<unsigned char>{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("text.bin")), doctest::Contains("not a grove model file (bad magic)"),
                         FormatError);
  }
  SUBCASE("a file of another kind") {
    io::BinaryWriter w;
    w.write<std::uint64_t>(0);
    w.save(tmp("tree.bin"), "grove.trees.DecisionTree", 1);
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("tree.bin")),
                         ("load: '" + tmp("tree.bin") +
                          "' at byte 52: file holds a 'grove.trees.DecisionTree', expected a 'grove.nn.Module'")
                             .c_str(),
                         FormatError);
  }
  SUBCASE("shape mismatch") {
    auto wide = make_mlp<float>(1, 16);
    CHECK_THROWS_WITH_AS(nn::load(wide, tmp("good.bin")),
                         doctest::Contains("parameter '0.weight' has shape [8,4] in the file but [16,4] in the module"),
                         FormatError);
  }
  SUBCASE("a parameter the module lacks") {
    Rng rng(0);
    nn::Sequential<float> small{nn::Linear<float>(4, 8, rng)};
    CHECK_THROWS_WITH_AS(nn::load(small, tmp("good.bin")),
                         doctest::Contains("the file has parameter '2.weight' that the module does not have"),
                         FormatError);
  }
  SUBCASE("a parameter missing from the file") {
    Rng rng(0);
    nn::Sequential<float> small{nn::Linear<float>(4, 8, rng)};
    nn::save(small, tmp("small.bin"));
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("small.bin")),
                         doctest::Contains("the module's parameter '2.weight' is missing from the file"), FormatError);
  }
  SUBCASE("float file into a double module") {
    auto d = make_mlp<double>(1);
    CHECK_THROWS_WITH_AS(nn::load(d, tmp("good.bin")),
                         doctest::Contains("parameter '0.weight' is float32 in the file but the module holds float64"),
                         FormatError);
  }
  SUBCASE("a well-formed container with inconsistent contents") {
    auto craft = [](auto body) {
      io::BinaryWriter w;
      body(w);
      w.save(tmp("craft.bin"), nn::kModuleKind, nn::kModuleKindVersion);
    };
    // The same name twice.
    craft([](io::BinaryWriter& w) {
      w.write<std::uint64_t>(2);
      for (int i = 0; i < 2; ++i) {
        w.write_string("2.bias");
        w.write<std::uint8_t>(1);
        w.write<std::uint32_t>(1);
        w.write<std::uint64_t>(8);
        w.write_vector(std::vector<float>(8, 0.0f));
      }
    });
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")), doctest::Contains("parameter '2.bias' appears twice"),
                         FormatError);
    // Fewer values than the shape needs.
    craft([](io::BinaryWriter& w) {
      w.write<std::uint64_t>(1);
      w.write_string("2.bias");
      w.write<std::uint8_t>(1);
      w.write<std::uint32_t>(1);
      w.write<std::uint64_t>(8);
      w.write_vector(std::vector<float>(5, 0.0f));
    });
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")),
                         doctest::Contains("parameter '2.bias' holds 5 values, its shape [8] needs 8"), FormatError);
    // An absurd dimension count.
    craft([](io::BinaryWriter& w) {
      w.write<std::uint64_t>(1);
      w.write_string("2.bias");
      w.write<std::uint8_t>(1);
      w.write<std::uint32_t>(1000);
    });
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")),
                         doctest::Contains("parameter '2.bias' claims 1000 dimensions (at most 8)"), FormatError);
    // An unknown dtype code.
    craft([](io::BinaryWriter& w) {
      w.write<std::uint64_t>(1);
      w.write_string("0.weight");
      w.write<std::uint8_t>(7);
    });
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")),
                         doctest::Contains("parameter '0.weight' is unknown in the file but the module holds float32"),
                         FormatError);
    // A parameter count larger than the file.
    craft([](io::BinaryWriter& w) { w.write<std::uint64_t>(1ULL << 40); });
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")),
                         doctest::Contains("parameter count 1099511627776 exceeds the bytes present"), FormatError);
    // Trailing bytes after the last parameter.
    auto small_model = make_mlp<float>(1);
    craft([&](io::BinaryWriter& w) {
      const auto params = small_model.named_parameters();
      w.write<std::uint64_t>(params.size());
      for (const auto& [name, p] : params) {
        w.write_string(name);
        w.write<std::uint8_t>(1);
        w.write<std::uint32_t>(static_cast<std::uint32_t>(p.dim()));
        for (std::size_t d = 0; d < p.dim(); ++d) w.write<std::uint64_t>(p.shape()[d]);
        w.write_vector(p.to_vector());
      }
      w.write<std::uint8_t>(0);  // no schema
      w.write<std::uint32_t>(0xdeadbeef);
    });
    CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")), doctest::Contains("4 unexpected trailing bytes in payload"),
                         FormatError);
  }
  // Whatever failed, the module kept its parameters.
  CHECK(snapshot(target) == before);
}

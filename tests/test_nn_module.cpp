// nn Module machinery: buffers, the default describe(), in-memory state_dict /
// load_state_dict, Dropout's resumable generator, operator<< for tensors, and model files that
// carry a data::Schema (old files without one still load; corrupt ones are FormatErrors).
#include <grove/autograd.hpp>
#include <grove/io/binary.hpp>
#include <grove/nn.hpp>
#include <grove/tensor/print.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace grove;

namespace {

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/nn_module_" + name; }

/// A custom module written the way a user would: no describe() override.
struct Scaler : nn::Module<double> {
  Tensor<double> scale, count;
  Scaler() {
    scale = register_parameter("scale", Tensor<double>::ones(Shape{3}));
    count = register_buffer("count", Tensor<double>::zeros(Shape{1}));
  }
  Tensor<double> forward(const Tensor<double>& x) override {
    count.data()[0] += 1;
    return x * scale;
  }
};

struct Net : nn::Module<double> {
  std::shared_ptr<Scaler> inner = std::make_shared<Scaler>();
  Net() { register_module("inner", inner); }
  Tensor<double> forward(const Tensor<double>& x) override { return (*inner)(x); }
};

template <class T>
std::string str(const Tensor<T>& t) {
  std::ostringstream os;
  os << t;
  return os.str();
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
bool same_state(const nn::StateDict<T>& a, const nn::StateDict<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !(a[i].second.shape() == b[i].second.shape()) ||
        a[i].second.to_vector() != b[i].second.to_vector())
      return false;
  return true;
}

}  // namespace

TEST_CASE("a custom module needs no describe(); buffers are named like parameters and not trained") {
  Net net;
  CHECK(net.describe() == "Module(\n  (inner): Module(scale=[3], count=[1])\n)");
  CHECK(Scaler().describe() == "Module(scale=[3], count=[1])");
  const auto buffers = net.named_buffers();
  REQUIRE(buffers.size() == 1);
  CHECK(buffers[0].first == "inner.count");
  CHECK_FALSE(buffers[0].second.requires_grad());
  CHECK(net.parameters().size() == 1);  // buffers are not parameters
  net(Tensor<double>::ones(Shape{2, 3}));
  net(Tensor<double>::ones(Shape{2, 3}));
  CHECK(net.inner->count.item() == 2.0);
  struct Clash : nn::Module<double> {
    Clash() {
      register_parameter("w", Tensor<double>::ones(Shape{1}));
      register_buffer("w", Tensor<double>::ones(Shape{1}));
    }
    Tensor<double> forward(const Tensor<double>& x) override { return x; }
  };
  CHECK_THROWS_WITH_AS(Clash(), "Module: name 'w' is empty, contains '.', or is already registered", ValueError);
}

TEST_CASE("state_dict copies parameters and buffers; load_state_dict restores them and checks names and shapes") {
  Rng rng(1);
  nn::Sequential<double> model{nn::Linear<double>(3, 4, rng), nn::BatchNorm1d<double>(4), nn::ReLU(),
                               nn::Linear<double>(4, 2, rng)};
  const auto state = model.state_dict();
  std::vector<std::string> names;
  for (const auto& [n, t] : state) names.push_back(n);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias",
                                          "1.running_mean", "1.running_var"});
  // The copies do not move with the model.
  const auto before = state[0].second.to_vector();
  model.parameters()[0].data()[0] += 1.0;
  model(Tensor<double>::randn(Shape{5, 3}, rng));  // updates the running statistics
  CHECK(state[0].second.to_vector() == before);
  CHECK(state[6].second.to_vector() == std::vector<double>(4, 0.0));
  model.load_state_dict(state);
  CHECK(model.parameters()[0].to_vector() == before);
  CHECK(model.named_buffers()[0].second.to_vector() == std::vector<double>(4, 0.0));

  auto missing = state;
  missing.pop_back();
  CHECK_THROWS_WITH_AS(model.load_state_dict(missing), "load_state_dict: the module's '1.running_var' is missing from the state",
                       ValueError);
  auto extra = state;
  extra.emplace_back("9.weight", Tensor<double>::ones(Shape{1}));
  CHECK_THROWS_WITH_AS(model.load_state_dict(extra), "load_state_dict: the state has '9.weight', which the module does not have",
                       ValueError);
  auto wrong = state;
  wrong[1].second = Tensor<double>::ones(Shape{5});
  CHECK_THROWS_WITH_AS(model.load_state_dict(wrong), "load_state_dict: '0.bias' is [5] in the state but [4] in the module",
                       ShapeError);
  auto twice = state;
  twice.push_back(state[0]);
  CHECK_THROWS_WITH_AS(model.load_state_dict(twice), "load_state_dict: '0.weight' appears twice in the state", ValueError);
  // A failed load changed nothing.
  CHECK(model.parameters()[1].to_vector() == state[1].second.to_vector());
}

TEST_CASE("Dropout draws mask k from stream k of its seed; the generator is a buffer, so a restored model continues") {
  nn::Dropout<double> a(0.5, 7);
  CHECK(a.named_buffers().size() == 1);
  CHECK(a.seed() == 7);
  const auto x = Tensor<double>::ones(Shape{64});
  const auto m0 = a(x).to_vector();
  const auto state = a.state_dict();  // after one mask
  const auto m1 = a(x).to_vector();
  CHECK(a.masks_drawn() == 2);
  nn::Dropout<double> b(0.5, 99);
  b.load_state_dict(state);
  CHECK(b.seed() == 7);
  CHECK(b(x).to_vector() == m1);
  CHECK(m0 != m1);
  // Eval draws nothing.
  a.eval();
  a(x);
  CHECK(a.masks_drawn() == 2);
  // Seeds and counts beyond 2^24 survive in float buffers (16-bit words).
  nn::Dropout<float> big(0.1, 0xFEDCBA9876543210ULL);
  CHECK(big.seed() == 0xFEDCBA9876543210ULL);
}

TEST_CASE("operator<< prints values, shape and dtype like PyTorch, summarizing large tensors") {
  CHECK(str(Tensor<float>::from_vector({1.5f, -2.25f, 3.0f, 4.0f}, Shape{2, 2})) ==
        "tensor([[ 1.5000, -2.2500],\n        [ 3.0000,  4.0000]], shape=[2,2], dtype=float32)");
  CHECK(str(Tensor<double>::from_vector({1, 2, 3})) == "tensor([1., 2., 3.], shape=[3], dtype=float64)");
  CHECK(str(Tensor<double>::from_vector({1e-5, 1.0})) == "tensor([1.0000e-05, 1.0000e+00], shape=[2], dtype=float64)");
  CHECK(str(Tensor<std::int64_t>::from_vector({-3, 10})) == "tensor([-3, 10], shape=[2], dtype=int64)");
  CHECK(str(Tensor<std::uint8_t>::from_vector({7})) == "tensor([7], shape=[1], dtype=uint8)");
  CHECK(str(Tensor<float>::full(Shape{}, 0.5f)) == "tensor(0.5000, shape=[], dtype=float32)");
  CHECK(str(Tensor<float>::zeros(Shape{0, 3})) == "tensor([], shape=[0,3], dtype=float32)");
  CHECK(str(Tensor<double>::from_vector({std::nan(""), 1.5, -std::numeric_limits<double>::infinity()})) ==
        "tensor([   nan, 1.5000,   -inf], shape=[3], dtype=float64)");
  auto p = Tensor<double>::from_vector({0.5});
  p.requires_grad(true);
  CHECK(str(p) == "tensor([0.5000], shape=[1], dtype=float64, requires_grad=true)");
  // 3-D: blank lines between matrices.
  CHECK(str(Tensor<int>::arange(8).reshape(Shape{2, 2, 2})) ==
        "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], shape=[2,2,2], dtype=int32)");
  // More than 1000 elements: three items at each edge of each axis (PyTorch 1.13's output,
  // shape and dtype appended). Whole numbers spanning more than 1000x print in scientific form.
  CHECK(str(Tensor<double>::arange(2000)) ==
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03], shape=[2000], dtype=float64)");
  CHECK(str(Tensor<float>::arange(1200).reshape(Shape{40, 30})) ==
        "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.7000e+01, 2.8000e+01,\n"
        "         2.9000e+01],\n"
        "        [3.0000e+01, 3.1000e+01, 3.2000e+01,  ..., 5.7000e+01, 5.8000e+01,\n"
        "         5.9000e+01],\n"
        "        [6.0000e+01, 6.1000e+01, 6.2000e+01,  ..., 8.7000e+01, 8.8000e+01,\n"
        "         8.9000e+01],\n"
        "        ...,\n"
        "        [1.1100e+03, 1.1110e+03, 1.1120e+03,  ..., 1.1370e+03, 1.1380e+03,\n"
        "         1.1390e+03],\n"
        "        [1.1400e+03, 1.1410e+03, 1.1420e+03,  ..., 1.1670e+03, 1.1680e+03,\n"
        "         1.1690e+03],\n"
        "        [1.1700e+03, 1.1710e+03, 1.1720e+03,  ..., 1.1970e+03, 1.1980e+03,\n"
        "         1.1990e+03]], shape=[40,30], dtype=float32)");
  CHECK(str(Tensor<double>::arange(1500) + 1000.0) ==
        "tensor([1000., 1001., 1002.,  ..., 2497., 2498., 2499.], shape=[1500], dtype=float64)");
  // Long rows wrap at 80 columns, as PyTorch wraps them.
  CHECK(str(Tensor<double>::arange(20) * 0.5) ==
        "tensor([0.0000, 0.5000, 1.0000, 1.5000, 2.0000, 2.5000, 3.0000, 3.5000, 4.0000,\n"
        "        4.5000, 5.0000, 5.5000, 6.0000, 6.5000, 7.0000, 7.5000, 8.0000, 8.5000,\n"
        "        9.0000, 9.5000], shape=[20], dtype=float64)");
}

TEST_CASE("nn::save carries a data::Schema; load_schema reads it; files without one still load") {
  Rng rng(2);
  nn::Sequential<float> model{nn::Linear<float>(2, 3, rng), nn::BatchNorm1d<float>(3), nn::Linear<float>(3, 2, rng)};
  data::Schema schema;
  schema.features = {{"age", data::ColumnKind::Numeric, {}}, {"city", data::ColumnKind::Categorical, {"Oslo", "Rome"}}};
  schema.target = "churn";
  schema.target_kind = data::TargetKind::Categorical;
  schema.class_names = {"no", "yes"};
  nn::save(model, tmp("schema.bin"), {.schema = schema});
  CHECK(nn::load_schema(tmp("schema.bin")) == schema);
  nn::Sequential<float> other{nn::Linear<float>(2, 3, rng), nn::BatchNorm1d<float>(3), nn::Linear<float>(3, 2, rng)};
  nn::load(other, tmp("schema.bin"));
  CHECK(same_state(other.state_dict(), model.state_dict()));
  // Without a schema: load_schema returns an empty one.
  nn::save(model, tmp("plain.bin"));
  CHECK(nn::load_schema(tmp("plain.bin")).empty());
  CHECK(read_bytes(tmp("plain.bin")).size() < read_bytes(tmp("schema.bin")).size());

  // A version-1 file (parameters only, no buffers, no schema flag), as grove wrote before.
  nn::Sequential<float> v1model{nn::Linear<float>(2, 3, rng), nn::Dropout<float>(0.2, 5)};
  io::BinaryWriter w;
  const auto params = v1model.named_parameters();
  w.write<std::uint64_t>(params.size());
  for (const auto& [name, p] : params) {
    w.write_string(name);
    w.write<std::uint8_t>(1);
    w.write<std::uint32_t>(static_cast<std::uint32_t>(p.dim()));
    for (std::size_t d = 0; d < p.dim(); ++d) w.write<std::uint64_t>(p.shape()[d]);
    w.write_vector(p.to_vector());
  }
  w.save(tmp("v1.bin"), nn::kModuleKind, 1);
  nn::Sequential<float> fresh{nn::Linear<float>(2, 3, rng), nn::Dropout<float>(0.2, 9)};
  nn::load(fresh, tmp("v1.bin"));
  CHECK(fresh.parameters()[0].to_vector() == v1model.parameters()[0].to_vector());
  CHECK(dynamic_cast<nn::Dropout<float>&>(fresh[1]).seed() == 9);  // buffers absent from v1 keep their values
  CHECK(nn::load_schema(tmp("v1.bin")).empty());

  // A version-2 file must hold the buffers.
  nn::Sequential<float> no_bn{nn::Linear<float>(2, 3, rng), nn::Linear<float>(3, 2, rng)};
  nn::save(no_bn, tmp("nobn.bin"));
  nn::Sequential<float> with_bn{nn::Linear<float>(2, 3, rng), nn::Linear<float>(3, 2, rng)};
  with_bn.add(nn::BatchNorm1d<float>(2));
  CHECK_THROWS_WITH_AS(nn::load(with_bn, tmp("nobn.bin")),
                       doctest::Contains("the module's parameter '2.weight' is missing from the file"), FormatError);
}

TEST_CASE("corrupt schemas and non-finite values in model files are FormatErrors; the module is unchanged") {
  Rng rng(3);
  nn::Sequential<float> model{nn::Linear<float>(2, 2, rng)};
  data::Schema schema;
  schema.features = {{"x", data::ColumnKind::Numeric, {}}, {"y", data::ColumnKind::Numeric, {}}};
  schema.target = "t";
  schema.target_kind = data::TargetKind::Numeric;
  nn::save(model, tmp("good.bin"), {.schema = schema});
  const auto good = read_bytes(tmp("good.bin"));
  nn::Sequential<float> target{nn::Linear<float>(2, 2, rng)};
  const auto before = target.state_dict();

  // Rewrites a payload and re-checksums it, as a structure-aware fuzzer would.
  auto craft = [](auto body) {
    io::BinaryWriter w;
    body(w);
    w.save(tmp("craft.bin"), nn::kModuleKind, nn::kModuleKindVersion);
  };
  auto entries = [&](io::BinaryWriter& w, float poison) {
    const auto params = model.named_parameters();
    w.write<std::uint64_t>(params.size());
    for (const auto& [name, p] : params) {
      w.write_string(name);
      w.write<std::uint8_t>(1);
      w.write<std::uint32_t>(static_cast<std::uint32_t>(p.dim()));
      for (std::size_t d = 0; d < p.dim(); ++d) w.write<std::uint64_t>(p.shape()[d]);
      auto v = p.to_vector();
      v.back() = poison;
      w.write_vector(v);
    }
  };
  craft([&](io::BinaryWriter& w) {
    entries(w, std::numeric_limits<float>::quiet_NaN());
    w.write<std::uint8_t>(0);
  });
  CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")), doctest::Contains("parameter '0.weight' holds nan at element 3"),
                       FormatError);
  craft([&](io::BinaryWriter& w) {
    entries(w, 1.0f);
    w.write<std::uint8_t>(2);
  });
  CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")), doctest::Contains("schema flag 2 is not 0 or 1"), FormatError);
  CHECK_THROWS_WITH_AS(nn::load_schema(tmp("craft.bin")), doctest::Contains("schema flag 2 is not 0 or 1"), FormatError);
  craft([&](io::BinaryWriter& w) {
    entries(w, 1.0f);
    w.write<std::uint8_t>(1);
    w.write<std::uint64_t>(1ULL << 40);  // feature count
  });
  CHECK_THROWS_WITH_AS(nn::load(target, tmp("craft.bin")), doctest::Contains("schema: feature count 1099511627776 is implausible"),
                       FormatError);
  CHECK_THROWS_AS(nn::load_schema(tmp("craft.bin")), FormatError);
  // Every single-byte truncation of the good file is a FormatError, never a crash.
  for (std::size_t cut = 0; cut < good.size(); cut += 7) {
    write_bytes(tmp("cut.bin"), std::vector<unsigned char>(good.begin(), good.begin() + static_cast<long>(cut)));
    CHECK_THROWS_AS(nn::load(target, tmp("cut.bin")), FormatError);
    CHECK_THROWS_AS(nn::load_schema(tmp("cut.bin")), FormatError);
  }
  CHECK(same_state(target.state_dict(), before));
}

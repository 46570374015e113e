// Checked sizes: every entry point that builds a shape from input refuses element counts that
// overflow size_t (ShapeError naming the op and the shape) and tensors larger than the allocation
// limit (ValueError), before anything is allocated. Before these checks, [2^63+1, 2] "had 2
// elements": zeros/from_vector/reshape accepted it and element access wrote past the buffer.
#include <grove/tensor.hpp>

#include <doctest/doctest.h>

#include <Eigen/Core>
#include <xtensor/xbroadcast.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <cstdint>
#include <string>
#include <vector>

using namespace grove;

namespace {

constexpr std::size_t kHuge = (std::size_t{1} << 63) + 1;  // [kHuge, 2] wraps to 2 elements
const std::string kHugeShape = "[9223372036854775809,2]";

std::string overflow_message(const std::string& op, const std::string& shape = kHugeShape) {
  return op + ": shape " + shape + " has more elements than fit in size_t";
}

// Restores the allocation limit when a test ends, whatever happens.
struct LimitGuard {
  explicit LimitGuard(std::size_t bytes) : old(set_allocation_limit(bytes)) {}
  ~LimitGuard() { set_allocation_limit(old); }
  std::size_t old;
};

}  // namespace

TEST_CASE("Shape::numel: an overflowing product is a ShapeError; a zero extent means 0 elements") {
  CHECK_THROWS_WITH_AS((void)Shape({kHuge, 2}).numel(), overflow_message("Shape::numel").c_str(), ShapeError);
  CHECK_THROWS_AS((void)Shape({std::size_t{1} << 32, std::size_t{1} << 32}).numel(), ShapeError);
  CHECK(Shape({kHuge, 0}).numel() == 0);
  CHECK(Shape({0, kHuge, kHuge}).numel() == 0);
  CHECK(Shape({std::size_t{1} << 31, std::size_t{1} << 32}).numel() == std::size_t{1} << 63);
}

TEST_CASE("factories: [2^63+1, 2] is a ShapeError naming the factory") {
  Rng rng(1);
  const Shape huge{kHuge, 2};
  CHECK_THROWS_WITH_AS(Tensor<float>::zeros(huge), overflow_message("Tensor::zeros").c_str(), ShapeError);
  CHECK_THROWS_WITH_AS(Tensor<float>::ones(huge), overflow_message("Tensor::ones").c_str(), ShapeError);
  CHECK_THROWS_WITH_AS(Tensor<double>::full(huge, 2.0), overflow_message("Tensor::full").c_str(), ShapeError);
  CHECK_THROWS_WITH_AS(Tensor<float>::randn(huge, rng), overflow_message("Tensor::randn").c_str(), ShapeError);
  CHECK_THROWS_WITH_AS(Tensor<float>::uniform(huge, 0, 1, rng), overflow_message("Tensor::uniform").c_str(),
                       ShapeError);
  CHECK_THROWS_WITH_AS(Tensor<std::int64_t>{huge}, overflow_message("Tensor").c_str(), ShapeError);
  CHECK_THROWS_WITH_AS(Tensor<float>::from_vector({1.0f, 2.0f}, huge), overflow_message("from_vector").c_str(),
                       ShapeError);
  // Friends: three extents, and a product that wraps to exactly 0.
  CHECK_THROWS_AS(Tensor<float>::zeros(Shape{std::size_t{1} << 32, std::size_t{1} << 32, 3}), ShapeError);
  CHECK_THROWS_AS(Tensor<float>::from_vector({}, Shape{std::size_t{1} << 32, std::size_t{1} << 32}), ShapeError);
  // Zero-size tensors with huge other extents are fine: they hold no elements.
  const auto empty = Tensor<float>::zeros(Shape{kHuge, 0});
  CHECK(empty.size() == 0);
  CHECK(empty.shape() == Shape{kHuge, 0});
}

TEST_CASE("factories: a shape beyond the allocation limit is a ValueError before allocating") {
  volatile std::size_t n = std::size_t{1} << 62;  // runtime value: GCC would flag the loop otherwise
  CHECK_THROWS_WITH_AS(Tensor<float>::arange(n),
                       doctest::Contains("Tensor::arange: shape [4611686018427387904] needs 4611686018427387904 x 4 "
                                         "bytes, more than the allocation limit of"),
                       ValueError);
  // 2^62 doubles overflow the byte count: never "fits".
  CHECK_THROWS_AS(Tensor<double>::zeros(Shape{std::size_t{1} << 62}), ValueError);
  LimitGuard limit(4000);
  CHECK(Tensor<float>::zeros(Shape{1000}).size() == 1000);
  CHECK_THROWS_WITH_AS(Tensor<float>::zeros(Shape{1001}),
                       "Tensor::zeros: shape [1001] needs 1001 x 4 bytes, more than the allocation limit of 4000 bytes",
                       ValueError);
}

TEST_CASE("reshape: a target shape whose count wraps around is refused, not accepted as 2 elements") {
  const auto x = Tensor<float>::from_vector({1.0f, 2.0f}, Shape{2});
  CHECK_THROWS_WITH_AS(x.reshape(Shape{kHuge, 2}), overflow_message("reshape").c_str(), ShapeError);
  CHECK_THROWS_WITH_AS(reshape(x, Shape{kHuge, 2}), overflow_message("reshape").c_str(), ShapeError);
  CHECK(x.reshape(Shape{1, 2}).shape() == Shape{1, 2});
}

TEST_CASE("broadcasting: a result whose count overflows is a ShapeError; a huge one exceeds the limit") {
  CHECK_THROWS_WITH_AS(broadcast_shapes(Shape{4294967297, 1}, Shape{1, 4294967297}, "add"),
                       "add: broadcasting [4294967297,1] and [1,4294967297] gives [4294967297,4294967297], which "
                       "has more elements than fit in size_t",
                       ShapeError);
  CHECK(broadcast_shapes(Shape{kHuge, 1, 0}, Shape{1, kHuge, 0}, "add") == Shape{kHuge, kHuge, 0});
  const auto a = Tensor<float>::zeros(Shape{1000, 1});
  const auto b = Tensor<float>::zeros(Shape{1, 1000});
  LimitGuard limit(1000000);
  CHECK_THROWS_WITH_AS(a + b,
                       "add: shape [1000,1000] needs 1000000 x 4 bytes, more than the allocation limit of 1000000 bytes",
                       ValueError);
  CHECK_THROWS_WITH_AS(a * b, doctest::Contains("mul: shape [1000,1000] needs"), ValueError);
}

TEST_CASE("matmul: empty operands whose product is huge are a ShapeError") {
  const auto a = Tensor<float>::zeros(Shape{kHuge, 0});
  const auto b = Tensor<float>::zeros(Shape{0, 2});
  CHECK_THROWS_WITH_AS(matmul(a, b),
                       "matmul: [9223372036854775809,0] x [0,2] gives [9223372036854775809,2], which has more "
                       "elements than fit in size_t",
                       ShapeError);
  const auto c = Tensor<float>::zeros(Shape{4294967297, 0});
  const auto d = Tensor<float>::zeros(Shape{0, 4294967297});
  CHECK_THROWS_AS(matmul(c, d), ShapeError);
  // [n,0] x [0,m] is an n x m matrix of zeros when it fits.
  const auto z = matmul(Tensor<float>::zeros(Shape{3, 0}), Tensor<float>::zeros(Shape{0, 2}));
  CHECK(z.to_vector() == std::vector<float>(6, 0.0f));
  LimitGuard limit(1000);
  CHECK_THROWS_WITH_AS(matmul(Tensor<float>::zeros(Shape{100, 0}), Tensor<float>::zeros(Shape{0, 100})),
                       "matmul: shape [100,100] needs 10000 x 4 bytes, more than the allocation limit of 1000 bytes",
                       ValueError);
}

TEST_CASE("concat: extents whose sum overflows are a ShapeError") {
  const auto a = Tensor<float>::zeros(Shape{0, std::size_t{1} << 63});
  CHECK_THROWS_WITH_AS(concat({a, a}, 1),
                       "concat: the extents along axis 1 ([0,9223372036854775808], [0,9223372036854775808], ...) "
                       "overflow size_t",
                       ShapeError);
  CHECK(concat({a, Tensor<float>::zeros(Shape{0, 5})}, 1).shape() == Shape{0, (std::size_t{1} << 63) + 5});
}

TEST_CASE("index ops: outputs larger than the allocation limit fail before allocating") {
  const auto x = Tensor<float>::zeros(Shape{1, 1000});
  const auto idx = Tensor<std::int64_t>::zeros(Shape{2000});
  const auto g = Tensor<std::int32_t>::zeros(Shape{1, 300000});
  LimitGuard limit(1000000);
  CHECK_THROWS_WITH_AS(index_select(x, 0, idx),
                       "index_select: shape [2000,1000] needs 2000000 x 4 bytes, more than the allocation limit of "
                       "1000000 bytes",
                       ValueError);
  CHECK_THROWS_WITH_AS(gather(Tensor<float>::zeros(Shape{1, 3}), 1, g), doctest::Contains("gather: shape [1,300000] needs"),
                       ValueError);
  // Index values are checked too: huge, negative, fractional and NaN indices name the op.
  const auto f = Tensor<double>::from_vector({1e300}, Shape{1});
  CHECK_THROWS_WITH_AS(index_select(x, 1, f), "index_select: index 1e+300 out of range for axis 1 of extent 1000",
                       ValueError);
  const auto nan_index = Tensor<double>::from_vector({std::nan("")}, Shape{1});
  CHECK_THROWS_WITH_AS(index_select(x, 1, nan_index), "index_select: index nan out of range for axis 1 of extent 1000",
                       ValueError);
}

TEST_CASE("interop: Eigen and xtensor sources with overflowing shapes are refused before evaluation") {
  float storage[16] = {};
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>> m(storage, Eigen::Index{1} << 62, 8);
  CHECK_THROWS_WITH_AS(from_eigen(m), overflow_message("from_eigen", "[4611686018427387904,8]").c_str(), ShapeError);
  // A lazy broadcast carries the overflowing shape without xtensor computing strides over it (an adaptor would
  // overflow inside xtensor itself).
  const std::vector<std::size_t> shape = {kHuge, 2};
  const auto a = xt::broadcast(0.0f, shape);
  CHECK_THROWS_WITH_AS(from_xtensor(a), overflow_message("from_xtensor").c_str(), ShapeError);
  // Sane sources still convert.
  Eigen::Matrix<float, 2, 3, Eigen::RowMajor> small;
  small << 1, 2, 3, 4, 5, 6;
  CHECK(from_eigen(small).to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("element access stays inside the buffer") {
  auto t = Tensor<float>::zeros(Shape{2, 3});
  t(1, 2) = 5.0f;
  CHECK(t.to_vector()[5] == 5.0f);
  CHECK_THROWS_WITH_AS(t(2, 0), "operator(): index 2 out of range for axis 0 of extent 2", ValueError);
  CHECK_THROWS_WITH_AS(t(0, -4), "operator(): index -4 out of range for axis 1 of extent 3", ValueError);
  CHECK_THROWS_WITH_AS(t(0), "operator(): 1 indices for a tensor of shape [2,3]", ValueError);
  auto e = Tensor<float>::zeros(Shape{kHuge, 0});
  CHECK_THROWS_WITH_AS(e(0, 0), "operator(): index 0 out of range for axis 1 of extent 0", ValueError);
}

TEST_CASE("degenerate inputs: zero-size extents in broadcasting, concat, reductions and products") {
  // These walked rows with `index % extent` for an extent of 0: SIGFPE before the fix.
  const auto empty = Tensor<float>::zeros(Shape{0, 3});
  const auto c = concat({empty, Tensor<float>::ones(Shape{2, 3}), empty}, 0);
  CHECK(c.shape() == Shape{2, 3});
  CHECK(c.to_vector() == std::vector<float>(6, 1.0f));
  const auto b = Tensor<float>::ones(Shape{2, 1, 3});
  const auto sum = empty + b;
  CHECK(sum.shape() == Shape{2, 0, 3});
  CHECK(sum.size() == 0);
  CHECK((b * Tensor<float>::zeros(Shape{0, 1})).shape() == Shape{2, 0, 3});
  auto x = Tensor<double>::zeros(Shape{0, 4});
  x.requires_grad(true);
  auto w = Tensor<double>::ones(Shape{1, 4});
  w.requires_grad(true);
  (x * w).sum().backward();  // the broadcast gradient of w sums over 0 rows
  CHECK(w.grad().to_vector() == std::vector<double>(4, 0.0));
  CHECK(Tensor<float>::zeros(Shape{0}).sum().item() == 0.0f);
  CHECK(std::isnan(Tensor<float>::zeros(Shape{0}).mean().item()));
  CHECK(empty.sum(0).to_vector() == std::vector<float>(3, 0.0f));
  CHECK(empty.sum(1).shape() == Shape{0});
  CHECK_THROWS_WITH_AS(empty.max(0), "max: cannot reduce axis 0 of extent 0 in shape [0,3]", ValueError);
  CHECK(softmax(empty, 1).shape() == Shape{0, 3});
  CHECK(softmax(Tensor<float>::zeros(Shape{3, 0}), 1).shape() == Shape{3, 0});
  CHECK(matmul(empty, Tensor<float>::ones(Shape{3, 2})).shape() == Shape{0, 2});
  // A batch of 0 broadcast against a 2-D operand is 0 batches (it was 1, read from an empty buffer).
  CHECK(matmul(Tensor<float>::zeros(Shape{0, 2, 3}), Tensor<float>::ones(Shape{3, 2})).shape() == Shape{0, 2, 2});
  CHECK(matmul(Tensor<float>::ones(Shape{2, 3}), Tensor<float>::zeros(Shape{0, 3, 4})).shape() == Shape{0, 2, 4});
  CHECK(empty.transpose().shape() == Shape{3, 0});
  CHECK(empty.reshape(Shape{3, 0, 5}).size() == 0);
  CHECK(index_select(empty, 1, Tensor<std::int64_t>::zeros(Shape{2})).shape() == Shape{0, 2});
  CHECK_THROWS_WITH_AS(index_select(empty, 0, Tensor<std::int64_t>::zeros(Shape{1})),
                       "index_select: index 0 out of range for axis 0 of extent 0", ValueError);
  CHECK_THROWS_WITH_AS(normalize_axis(std::numeric_limits<long>::min(), 2, "sum"),
                       "sum: axis -9223372036854775808 out of range for a 2-d tensor (allowed [-2, 1])", ValueError);
}

TEST_CASE("Tensor::uniform: bounds must be finite and ordered") {
  Rng rng(3);
  CHECK_THROWS_WITH_AS(Tensor<float>::uniform({2}, 0.0, std::nan(""), rng), "Tensor::uniform: hi must be finite, got nan",
                       ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>::uniform({2}, -std::numeric_limits<double>::infinity(), 1.0, rng),
                       "Tensor::uniform: lo must be finite, got -inf", ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>::uniform({2}, 1.0, 0.5, rng), "Tensor::uniform: hi must be in [1, inf), got 0.5",
                       ValueError);
  CHECK(Tensor<float>::uniform({3}, 2.0, 2.0, rng).to_vector() == std::vector<float>(3, 2.0f));
}

TEST_CASE("to<integer>: NaN, infinities and out-of-range values are a ValueError, not undefined behaviour") {
  const auto x = Tensor<double>::from_vector({1.9, -2.5, 1e300}, Shape{3});
  CHECK_THROWS_WITH_AS(x.to<std::int32_t>(),
                       "to: element 2 = 1e+300 does not fit the target type (range [-2147483648, 2147483647])",
                       ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>::from_vector({std::nanf("")}, Shape{1}).to<std::int64_t>(),
                       doctest::Contains("to: element 0 = nan does not fit the target type"), ValueError);
  CHECK_THROWS_AS(Tensor<double>::from_vector({-1.0}, Shape{1}).to<std::uint8_t>(), ValueError);
  CHECK_THROWS_AS(Tensor<double>::from_vector({2147483648.0}, Shape{1}).to<std::int32_t>(), ValueError);
  CHECK(Tensor<double>::from_vector({1.9, -2.5, 2147483647.5}, Shape{3}).to<std::int32_t>().to_vector() ==
        std::vector<std::int32_t>{1, -2, 2147483647});
  CHECK(Tensor<double>::from_vector({-0.5, 255.9}, Shape{2}).to<std::uint8_t>().to_vector() ==
        std::vector<std::uint8_t>{0, 255});
  CHECK(Tensor<double>::from_vector({-9223372036854775808.0}, Shape{1}).to<std::int64_t>().item() ==
        std::numeric_limits<std::int64_t>::min());
}

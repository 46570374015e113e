// Forward values of tensor ops against hand-computed references, broadcasting, views, and the
// errors bad input raises.
#include <grove/tensor.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using grove::Shape;
using grove::Tensor;
using TD = Tensor<double>;
using TF = Tensor<float>;

namespace {
TD vec(std::vector<double> v, const Shape& s) { return TD::from_vector(std::move(v), s); }
void check_values(const TD& t, const std::vector<double>& want, double tol = 1e-12) {
  const std::vector<double> got = t.to_vector();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(tol));
}
}  // namespace

TEST_CASE("binary ops: same shape, broadcasting and scalars") {
  const TD a = vec({1, 2, 3, 4, 5, 6}, {2, 3});
  const TD row = vec({10, 20, 30}, {3});
  const TD col = vec({100, 200}, {2, 1});
  check_values(a + a, {2, 4, 6, 8, 10, 12});
  check_values(a + row, {11, 22, 33, 14, 25, 36});
  check_values(a - col, {-99, -98, -97, -196, -195, -194});
  check_values(row * col, {1000, 2000, 3000, 2000, 4000, 6000});
  CHECK((row * col).shape() == Shape{2, 3});
  check_values(a / row, {0.1, 0.1, 0.1, 0.4, 0.25, 0.2});
  check_values(a + 1.0, {2, 3, 4, 5, 6, 7});
  check_values(1.0 - a, {0, -1, -2, -3, -4, -5});
  check_values(a * 2.0, {2, 4, 6, 8, 10, 12});
  check_values(2.0 * a, {2, 4, 6, 8, 10, 12});
  check_values(a / 2.0, {0.5, 1, 1.5, 2, 2.5, 3});
  check_values(6.0 / a, {6, 3, 2, 1.5, 1.2, 1});
  check_values(-a, {-1, -2, -3, -4, -5, -6});
  check_values(grove::add(a, a) - grove::mul(a, a) + grove::div(a, a) - grove::sub(a, a), {2, 1, -2, -7, -14, -23});
  // 0-d and one-element operands broadcast against anything.
  const TD s = a.sum();
  CHECK(s.dim() == 0);
  check_values(a - s, {-20, -19, -18, -17, -16, -15});
  // Broadcasting a [3,1,2] against a [4,1]: result [3,4,2].
  const TD x = TD::arange(6).reshape({3, 1, 2});
  const TD y = TD::arange(4).reshape({4, 1});
  const TD z = x + y;
  CHECK(z.shape() == Shape{3, 4, 2});
  CHECK(z(2, 3, 1) == 5 + 3);
  CHECK(z(1, 0, 0) == 2);
}

TEST_CASE("binary ops on strided views and large tensors") {
  const TD a = TD::arange(12).reshape({3, 4});
  const TD at = a.transpose();  // [4,3] view
  CHECK_FALSE(at.is_contiguous());
  const TD sum = at + at;
  CHECK(sum(3, 2) == 2 * a(2, 3));
  const TD mixed = at + TD::ones({4, 3});
  CHECK(mixed(1, 2) == a(2, 1) + 1);
  // Big enough to take the parallel path; check against a plain loop, for 1 and 2 threads.
  const std::size_t n = (std::size_t{1} << 19) + 3;
  grove::Rng rng(3);
  const TF u = TF::randn({n}, rng), v = TF::randn({n}, rng);
  std::vector<float> ref(n);
  for (std::size_t i = 0; i < n; ++i) ref[i] = u.data()[i] * v.data()[i];
  for (std::size_t threads : {1, 2}) {
    grove::ThreadCountGuard g(threads);
    CHECK((u * v).to_vector() == ref);
    CHECK(grove::relu(u).to_vector()[5] == std::max(0.0f, u.data()[5]));
  }
}

TEST_CASE("unary math and activations") {
  const TD x = vec({-2, -0.5, 0.5, 3}, {4});
  std::vector<double> e, sg, th, ge;
  for (double v : x.to_vector()) {
    e.push_back(std::exp(v));
    sg.push_back(1 / (1 + std::exp(-v)));
    th.push_back(std::tanh(v));
    ge.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
  }
  check_values(grove::exp(x), e);
  check_values(x.exp().log(), x.to_vector());
  check_values(grove::abs(x), {2, 0.5, 0.5, 3});
  check_values(grove::abs(x).sqrt(), {std::sqrt(2.0), std::sqrt(0.5), std::sqrt(0.5), std::sqrt(3.0)});
  check_values(grove::pow(x, 2.0), {4, 0.25, 0.25, 9});
  check_values(x.abs().pow(0.5), grove::abs(x).sqrt().to_vector());
  check_values(grove::relu(x), {0, 0, 0.5, 3});
  check_values(x.sigmoid(), sg);
  check_values(grove::tanh(x), th);
  check_values(x.gelu(), ge);
  // sigmoid saturates without overflow.
  const TF big = TF::from_vector({-1000.0f, 1000.0f});
  const std::vector<float> sb = grove::sigmoid(big).to_vector();
  CHECK(sb[0] == doctest::Approx(0.0));
  CHECK(sb[1] == doctest::Approx(1.0));
}

TEST_CASE("softmax and log_softmax are stable for large inputs") {
  const TD x = vec({1, 2, 3, 1000, 1001, 1002}, {2, 3});
  const double z = std::exp(-2.0) + std::exp(-1.0) + 1.0;
  const std::vector<double> p = {std::exp(-2.0) / z, std::exp(-1.0) / z, 1 / z};
  check_values(grove::softmax(x, 1), {p[0], p[1], p[2], p[0], p[1], p[2]});
  const double lz = std::log(z);
  check_values(x.log_softmax(-1), {-2 - lz, -1 - lz, -lz, -2 - lz, -1 - lz, -lz});
  // Along axis 0: columns are (1, 1000), ... -> first entry ~ e^-999.
  const TD s0 = grove::softmax(x, 0);
  CHECK(s0(1, 0) == doctest::Approx(1.0));
  CHECK(s0(0, 0) >= 0.0);
  CHECK(std::isfinite(grove::log_softmax(x, 0)(0, 0)));
  CHECK(grove::log_softmax(x, 0)(0, 0) == doctest::Approx(-999.0));
  const TF xf = TF::from_vector({88.0f, 89.0f, -1e4f}, {1, 3});
  const std::vector<float> lf = grove::log_softmax(xf).to_vector();
  for (float v : lf) CHECK(std::isfinite(v));
  CHECK(grove::softmax(xf).sum().item() == doctest::Approx(1.0));
}

TEST_CASE("reductions over each axis") {
  const TD a = TD::arange(24).reshape({2, 3, 4});
  CHECK(a.sum().item() == 276);
  CHECK(grove::mean(a).item() == doctest::Approx(11.5));
  const TD s0 = a.sum(0), s1 = a.sum(1), s2 = grove::sum(a, -1, true);
  CHECK(s0.shape() == Shape{3, 4});
  CHECK(s1.shape() == Shape{2, 4});
  CHECK(s2.shape() == Shape{2, 3, 1});
  CHECK(s0(1, 2) == 6 + 18);
  CHECK(s1(1, 3) == 15 + 19 + 23);
  CHECK(s2(1, 2, 0) == 20 + 21 + 22 + 23);
  CHECK(a.mean(1)(0, 0) == doctest::Approx(4.0));
  CHECK(a.mean(2, true).shape() == Shape{2, 3, 1});
  const TD m = vec({3, 9, 1, 9, 4, -2}, {2, 3});
  check_values(m.max(1), {9, 9});
  check_values(grove::max(m, 0), {9, 9, 1});
  CHECK(m.max(0, true).shape() == Shape{1, 3});
  const Tensor<std::int64_t> am = m.argmax(1);
  CHECK(am.to_vector() == std::vector<std::int64_t>{1, 0});  // first maximum wins
  CHECK(grove::argmax(m, 0).to_vector() == std::vector<std::int64_t>{1, 0, 0});
  const TD nan = vec({1, std::numeric_limits<double>::quiet_NaN(), 2}, {3});
  CHECK(std::isnan(nan.max(0).item()));
  // A large sum is reduced per chunk in a fixed order: bitwise equal for 1 and 2 threads.
  grove::Rng rng(5);
  const TF big = TF::randn({(std::size_t{1} << 19) + 11}, rng);
  float s_one = 0, s_two = 0;
  {
    grove::ThreadCountGuard g(1);
    s_one = big.sum().item();
  }
  {
    grove::ThreadCountGuard g(2);
    s_two = big.sum().item();
  }
  CHECK(s_one == s_two);
  double ref = 0;
  for (float v : big.to_vector()) ref += v;
  CHECK(s_one == doctest::Approx(ref).epsilon(1e-4));
}

TEST_CASE("matmul: 2-D, transposed views, batched and shared operands") {
  const TD a = vec({1, 2, 3, 4, 5, 6}, {2, 3});
  const TD b = vec({7, 8, 9, 10, 11, 12}, {3, 2});
  check_values(grove::matmul(a, b), {58, 64, 139, 154});
  // a.transpose() is a column-major view: no copy needed, same result as a dense transpose.
  check_values(a.transpose().matmul(a), {17, 22, 27, 22, 29, 36, 27, 36, 45});
  check_values(grove::matmul(b.transpose(), a.transpose()), {58, 139, 64, 154});
  const TD batch = TD::arange(12).reshape({2, 2, 3});
  const TD c = grove::matmul(batch, b);  // shared 2-D right operand
  CHECK(c.shape() == Shape{2, 2, 2});
  CHECK(c(1, 0, 1) == 6 * 8 + 7 * 10 + 8 * 12);
  const TD d = grove::matmul(batch, batch.transpose());  // [2,2,3] x [2,3,2]
  CHECK(d(1, 1, 0) == 9 * 6 + 10 * 7 + 11 * 8);
  const TD e = grove::matmul(a, TD::arange(12).reshape({2, 3, 2}));  // shared left operand
  CHECK(e.shape() == Shape{2, 2, 2});
  CHECK(e(1, 1, 1) == 4 * 7 + 5 * 9 + 6 * 11);
  // Large product (parallel row chunks) vs a naive loop, 1 and 2 threads bitwise equal.
  grove::Rng rng(9);
  const TF x = TF::randn({300, 130}, rng), w = TF::randn({130, 120}, rng);
  TF r1, r2;
  {
    grove::ThreadCountGuard g(1);
    r1 = grove::matmul(x, w);
  }
  {
    grove::ThreadCountGuard g(2);
    r2 = grove::matmul(x, w);
  }
  CHECK(r1.to_vector() == r2.to_vector());
  double ref = 0;
  for (std::size_t k = 0; k < 130; ++k) ref += double(x(299, k)) * double(w(k, 119));
  CHECK(r1(299, 119) == doctest::Approx(ref).epsilon(1e-4));
}

TEST_CASE("shape ops: views, reshape, slice, concat") {
  TD a = TD::arange(6).reshape({2, 3});
  const TD t = a.transpose();
  CHECK(t.shape() == Shape{3, 2});
  CHECK(t.shares_storage(a));
  CHECK(t(2, 1) == 5);
  const TD r = a.reshape({3, 2});
  CHECK(r.shares_storage(a));  // contiguous: a view
  const TD rt = t.reshape({6});  // not contiguous: a copy in row-major order of t
  CHECK(rt.to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
  const TD s = a.slice(1, 1, 3);
  CHECK(s.shape() == Shape{2, 2});
  CHECK(s.shares_storage(a));
  CHECK(s.to_vector() == std::vector<double>{1, 2, 4, 5});
  a(1, 2) = 50;  // views see writes
  CHECK(s(1, 1) == 50);
  CHECK(grove::slice(a, 0, 1, 1).size() == 0);
  const TD c = grove::concat({a, TD::full({1, 3}, 7)}, 0);
  CHECK(c.shape() == Shape{3, 3});
  CHECK(c.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 50, 7, 7, 7});
  const TD c1 = grove::concat({a, a.slice(1, 0, 1)}, -1);
  CHECK(c1.shape() == Shape{2, 4});
  CHECK(c1(1, 3) == 3);
  CHECK(grove::transpose(TD::arange(24).reshape({2, 3, 4}), 0, 2).shape() == Shape{4, 3, 2});
}

TEST_CASE("index_select and gather") {
  const TD table = TD::arange(12).reshape({4, 3});
  const Tensor<std::int64_t> ids = Tensor<std::int64_t>::from_vector({3, 0, 3});
  const TD rows = grove::index_select(table, 0, ids);
  CHECK(rows.shape() == Shape{3, 3});
  CHECK(rows.to_vector() == std::vector<double>{9, 10, 11, 0, 1, 2, 9, 10, 11});
  CHECK(grove::index_select(table, 1, Tensor<int>::from_vector({2})).to_vector() == std::vector<double>{2, 5, 8, 11});
  const TD logp = vec({-1, -2, -3, -4, -5, -6}, {2, 3});
  const Tensor<float> targets = Tensor<float>::from_vector({2.0f, 0.0f}, {2, 1});  // any arithmetic type
  CHECK(grove::gather(logp, 1, targets).to_vector() == std::vector<double>{-3, -4});
}

TEST_CASE("errors name the op and the offending values") {
  const TD a = TD::zeros({2, 3}), b = TD::zeros({4, 5});
  CHECK_THROWS_WITH_AS(grove::matmul(a, b), "matmul: [2,3] x [4,5]", grove::ShapeError);
  CHECK_THROWS_WITH_AS(grove::matmul(TD::zeros({3}), a), "matmul: [3] x [2,3] (operands must be 2-D or 3-D)",
                       grove::ShapeError);
  CHECK_THROWS_WITH_AS(grove::matmul(TD::zeros({2, 2, 3}), TD::zeros({3, 3, 4})),
                       "matmul: [2,2,3] x [3,3,4] (batch sizes differ)", grove::ShapeError);
  CHECK_THROWS_WITH_AS(a + b, "add: cannot broadcast [2,3] and [4,5]", grove::ShapeError);
  CHECK_THROWS_WITH_AS(a * TD::zeros({2}), "mul: cannot broadcast [2,3] and [2]", grove::ShapeError);
  CHECK_THROWS_WITH_AS(a - b, "sub: cannot broadcast [2,3] and [4,5]", grove::ShapeError);
  CHECK_THROWS_WITH_AS(a / b, "div: cannot broadcast [2,3] and [4,5]", grove::ShapeError);
  CHECK_THROWS_WITH_AS(a.sum(2), "sum: axis 2 out of range for a 2-d tensor (allowed [-2, 1])", grove::ValueError);
  CHECK_THROWS_WITH_AS(a.mean(-3), "mean: axis -3 out of range for a 2-d tensor (allowed [-2, 1])",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(a.max(5), "max: axis 5 out of range for a 2-d tensor (allowed [-2, 1])", grove::ValueError);
  CHECK_THROWS_WITH_AS(a.argmax(2), "argmax: axis 2 out of range for a 2-d tensor (allowed [-2, 1])",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(TD::zeros({2, 0}).max(1), "max: cannot reduce axis 1 of extent 0 in shape [2,0]",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(a.softmax(2), "softmax: axis 2 out of range for a 2-d tensor (allowed [-2, 1])",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(a.log_softmax(-3), "log_softmax: axis -3 out of range for a 2-d tensor (allowed [-2, 1])",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(a.reshape({4}), "reshape: cannot reshape [2,3] (6 elements) into [4] (4 elements)",
                       grove::ShapeError);
  CHECK_THROWS_WITH_AS(a.slice(1, 2, 4), "slice: range [2, 4) out of bounds for axis 1 of extent 3 (shape [2,3])",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(a.slice(0, 2, 1), "slice: range [2, 1) out of bounds for axis 0 of extent 2 (shape [2,3])",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(a.slice(2, 0, 1), "slice: axis 2 out of range for a 2-d tensor (allowed [-2, 1])",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(TD::zeros({3}).transpose(), "transpose: needs at least 2 dimensions, got shape [3]",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(a.transpose(0, 2), "transpose: axis 2 out of range for a 2-d tensor (allowed [-2, 1])",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(grove::concat({a, b}, 0), "concat: [2,3] and [4,5] differ outside axis 0", grove::ShapeError);
  CHECK_THROWS_WITH_AS(grove::concat({a, TD::zeros({2, 3, 1})}, 0), "concat: [2,3] and [2,3,1] differ outside axis 0",
                       grove::ShapeError);
  CHECK_THROWS_WITH_AS(grove::concat(std::vector<TD>{}, 0), "concat: needs at least one tensor, got none",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(grove::concat({a}, 3), "concat: axis 3 out of range for a 2-d tensor (allowed [-2, 1])",
                       grove::ValueError);
  const Tensor<int> bad = Tensor<int>::from_vector({0, 4});
  CHECK_THROWS_WITH_AS(grove::index_select(a, 1, bad), "index_select: index 4 out of range for axis 1 of extent 3",
                       grove::ValueError);
  CHECK_THROWS_WITH_AS(grove::index_select(a, 0, Tensor<int>::from_vector({-1})),
                       "index_select: index -1 out of range for axis 0 of extent 2", grove::ValueError);
  CHECK_THROWS_WITH_AS(grove::index_select(a, 0, Tensor<int>::zeros({1, 1})),
                       "index_select: indices must be 1-D, got shape [1,1]", grove::ShapeError);
  CHECK_THROWS_WITH_AS(grove::gather(a, 1, Tensor<double>::from_vector({0.5, 1}, {2, 1})),
                       "gather: index 0.5 out of range for axis 1 of extent 3", grove::ValueError);
  CHECK_THROWS_WITH_AS(grove::gather(a, 1, Tensor<int>::zeros({3, 1})),
                       "gather: index of shape [3,1] does not match [2,3] outside axis 1", grove::ShapeError);
}

// Bitwise determinism: the same seed gives the same bits at any thread count, wherever the
// allocator placed the data, and (for position-independent kernels) wherever an element sits in
// a tensor. CI also builds this program with -march=native (preset `native`), where SIMD math
// differs from scalar math by an ulp and position dependence would show.
#include <grove/autograd.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/tensor.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

using namespace grove;

namespace {

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// X of [n, d] viewed at `offset_rows` rows into a larger buffer: same values, another address
// (an odd row width puts it off any SIMD alignment).
Tensor<float> at_offset(const Tensor<float>& X, std::size_t offset_rows) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  std::vector<float> v(offset_rows * d, -7.0f);
  const auto x = X.to_vector();
  v.insert(v.end(), x.begin(), x.end());
  const auto big = Tensor<float>::from_vector(std::move(v), Shape{offset_rows + n, d});
  return big.slice(0, offset_rows, offset_rows + n);
}

struct Trained {
  std::vector<float> params;
  std::vector<float> losses;
};

// An MLP with every kind of op in training: Linear (GEMM), tanh, relu, sigmoid, LayerNorm,
// cross-entropy (log_softmax, gather, mean), Adam.
Trained train_mlp(std::size_t threads, std::size_t offset_rows, std::size_t heap_noise) {
  ThreadCountGuard guard(threads);
  // Shift the heap so tensors land at other addresses than in the previous run.
  std::vector<std::unique_ptr<char[]>> noise;
  for (std::size_t i = 0; i < heap_noise; ++i) noise.emplace_back(new char[16 * i + 8]);
  Rng rng(2024);
  nn::Sequential<float> m{nn::Linear<float>(13, 48, rng), nn::Tanh(),          nn::LayerNorm<float>(48),
                          nn::Linear<float>(48, 40, rng), nn::ReLU(),          nn::Linear<float>(40, 24, rng),
                          nn::Sigmoid(),                  nn::Linear<float>(24, 5, rng)};
  const std::size_t n = 301;  // not a multiple of any SIMD width
  const auto X = at_offset(Tensor<float>::randn({n, 13}, rng), offset_rows);
  std::vector<float> yv(n);
  for (auto& v : yv) v = static_cast<float>(rng.below(5));
  const auto y = Tensor<float>::from_vector(yv, Shape{n});
  optim::Adam<float> opt(m.parameters(), {.lr = 5e-3});
  Trained out;
  for (int step = 0; step < 12; ++step) {
    opt.zero_grad();
    const auto loss = nn::cross_entropy(m.forward(X), y);
    out.losses.push_back(loss.item());
    loss.backward();
    opt.step();
  }
  for (const auto& p : m.parameters())
    for (float v : p.to_vector()) out.params.push_back(v);
  return out;
}

}  // namespace

TEST_CASE("determinism: MLP training is bitwise identical at 1, 2, 3 and 8 threads and any data address") {
  const Trained ref = train_mlp(1, 0, 0);
  REQUIRE(ref.losses.back() < ref.losses.front());  // it trains
  for (const std::size_t threads : {2u, 3u, 8u, 1u}) {
    for (const std::size_t offset : {0u, 1u, 3u}) {
      CAPTURE(threads);
      CAPTURE(offset);
      const Trained run = train_mlp(threads, offset, 3 + threads + offset);
      CHECK(same_bits(run.losses, ref.losses));
      CHECK(same_bits(run.params, ref.params));
    }
  }
}

TEST_CASE("determinism: vector math gives an element the same bits wherever it sits") {
  Rng rng(5);
  const std::size_t n = 1000;  // blocks of 256 and a ragged tail
  const auto x = Tensor<float>::uniform({n}, -4.0, 4.0, rng);
  const auto pos = Tensor<float>::uniform({n}, 0.1, 9.0, rng);
  using F = Tensor<float> (*)(const Tensor<float>&);
  const F fns[] = {[](const Tensor<float>& t) { return exp(t); },     [](const Tensor<float>& t) { return tanh(t); },
                   [](const Tensor<float>& t) { return sigmoid(t); }, [](const Tensor<float>& t) { return gelu(t); },
                   [](const Tensor<float>& t) { return pow(t, 1.7); }};
  for (std::size_t f = 0; f < std::size(fns); ++f) {
    CAPTURE(f);
    const auto whole = fns[f](f == 4 ? pos : x).to_vector();
    bool same = true;
    for (std::size_t i = 0; i < n; ++i) {
      // One element alone (the scalar tail of a plain SIMD loop) and inside a short odd-length slice.
      const auto& src = f == 4 ? pos : x;
      const float alone = fns[f](src.slice(0, i, i + 1)).item();
      const std::size_t lo = i >= 5 ? i - 5 : 0;
      const float in_slice = fns[f](src.slice(0, lo, std::min(n, i + 2))).to_vector()[i - lo];
      same = same && std::memcmp(&alone, &whole[i], 4) == 0 && std::memcmp(&in_slice, &whole[i], 4) == 0;
    }
    CHECK(same);
  }
  const auto xd = Tensor<double>::uniform({n}, 0.1, 3.0, rng);
  const auto logs = log(xd).to_vector();
  bool same = true;
  for (std::size_t i = 0; i < n; ++i) same = same && log(xd.slice(0, i, i + 1)).item() == logs[i];
  CHECK(same);
}

TEST_CASE("determinism: gradients of vector math do not depend on position either") {
  Rng rng(6);
  const auto x0 = Tensor<double>::uniform({300}, -2.0, 2.0, rng);
  const auto grads = [](const Tensor<double>& x0, std::size_t lo, std::size_t hi) {
    auto x = x0.slice(0, lo, hi).contiguous().detach();
    x.requires_grad(true);
    (tanh(x) * sigmoid(x) + exp(x)).sum().backward();
    return x.grad().to_vector();
  };
  const auto whole = grads(x0, 0, 300);
  bool same = true;
  for (std::size_t i = 0; i < 300; i += 7) same = same && grads(x0, i, i + 1)[0] == whole[i];
  CHECK(same);
}

TEST_CASE("determinism: sums do not depend on the data's address") {
  Rng rng(7);
  std::vector<float> v(5000);
  for (auto& e : v) e = static_cast<float>(rng.normal());
  const auto x = Tensor<float>::from_vector(v, Shape{5000});
  const float ref = x.sum().item();
  for (std::size_t shift = 1; shift < 16; ++shift) {
    std::vector<float> w(shift, 123.0f);
    w.insert(w.end(), v.begin(), v.end());
    const auto big = Tensor<float>::from_vector(w, Shape{w.size()});
    const float got = big.slice(0, shift, shift + 5000).sum().item();
    CHECK(std::memcmp(&got, &ref, 4) == 0);
  }
  // Row sums of a batch equal the sums of the rows taken alone.
  const auto X = Tensor<float>::randn({37, 29}, rng);
  const auto rows = X.sum(1).to_vector();
  bool same = true;
  for (std::size_t i = 0; i < 37; ++i) same = same && X.slice(0, i, i + 1).sum().item() == rows[i];
  CHECK(same);
}

TEST_CASE("batch vs single row: row-wise ops agree bitwise; products within the dot-product rounding bound") {
  Rng rng(8);
  const std::size_t n = 33, d = 19, k = 7;
  const auto X = Tensor<float>::randn({n, d}, rng);
  const auto W = Tensor<float>::randn({d, k}, rng);
  // Elementwise, softmax and reductions along a row: bitwise.
  const auto batch = softmax(tanh(X) * 2.0f, 1).to_vector();
  bool same = true;
  for (std::size_t i = 0; i < n; ++i) {
    const auto row = softmax(tanh(X.slice(0, i, i + 1)) * 2.0f, 1).to_vector();
    same = same && std::memcmp(row.data(), batch.data() + i * d, d * sizeof(float)) == 0;
  }
  CHECK(same);
  // A matrix product: the GEMM's blocking depends on the number of rows, so a row of a batch and
  // the row alone may round differently; both are within |err| <= 2 d u sum_j |x_j w_j| of exact.
  const auto Y = matmul(X, W).to_vector();
  const auto xv = X.to_vector(), wv = W.to_vector();
  const double u = std::numeric_limits<float>::epsilon() / 2;
  bool bounded = true;
  for (std::size_t i = 0; i < n; ++i) {
    const auto y1 = matmul(X.slice(0, i, i + 1), W).to_vector();
    for (std::size_t j = 0; j < k; ++j) {
      double mag = 0;
      for (std::size_t t = 0; t < d; ++t) mag += std::abs(double(xv[i * d + t]) * double(wv[t * k + j]));
      bounded = bounded && std::abs(double(Y[i * k + j]) - double(y1[j])) <= 2.0 * double(d) * u * mag;
    }
  }
  CHECK(bounded);
}

TEST_CASE("batch vs single row: nn::linear (the MLP's layer) stays within the dot-product rounding bound") {
  Rng rng(9);
  const std::size_t n = 45, d = 37, k = 11;
  const auto X = Tensor<float>::randn({n, d}, rng);
  const auto W = Tensor<float>::randn({k, d}, rng);
  const auto b = Tensor<float>::randn({k}, rng);
  NoGradGuard no_grad;
  const auto Y = nn::linear(X, W, &b).to_vector();
  const auto xv = X.to_vector(), wv = W.to_vector(), bv = b.to_vector();
  const double u = std::numeric_limits<float>::epsilon() / 2;
  bool bounded = true;
  std::size_t differing = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto y1 = nn::linear(X.slice(0, i, i + 1), W, &b).to_vector();
    for (std::size_t j = 0; j < k; ++j) {
      double mag = std::abs(double(bv[j]));
      for (std::size_t t = 0; t < d; ++t) mag += std::abs(double(xv[i * d + t]) * double(wv[j * d + t]));
      const double diff = std::abs(double(Y[i * k + j]) - double(y1[j]));
      bounded = bounded && diff <= 2.0 * double(d + 1) * u * mag;
      differing += diff != 0.0;
    }
  }
  CHECK(bounded);
  MESSAGE("batch and single-row outputs differ in " << differing << " of " << n * k << " entries");
}

// An outside program using grove through its installed or vendored CMake package: a core utility,
// a tensor with autograd, an nn module and a tree model. Exits non-zero if anything is off.
#include <grove/grove.hpp>

#include <cmath>
#include <cstdio>

int main() {
  using namespace grove;
  Rng rng(42);
  const auto first = rng.next_u64();
  if (Rng(42).next_u64() != first) return 1;
  try {
    set_num_threads(0);
    return 2;
  } catch (const ValueError&) {
  }

  // Tensor + autograd: d/dx sum(x * x) = 2x.
  auto x = Tensor<double>::from_vector({1.0, -2.0, 3.0}, Shape{3});
  x.requires_grad(true);
  (x * x).sum().backward();
  if (x.grad().to_vector() != std::vector<double>{2.0, -4.0, 6.0}) return 3;

  // nn: a Linear layer maps [4, 3] to [4, 2].
  nn::Linear<float> layer(3, 2, rng);
  auto out = layer(Tensor<float>::ones(Shape{4, 3}));
  if (!(out.shape() == Shape{4, 2})) return 4;

  // trees: boosting fits y = 2 * x0 closely.
  std::vector<float> xs, ys;
  for (int i = 0; i < 200; ++i) {
    const float v = static_cast<float>(i) / 20.0f;
    xs.push_back(v);
    ys.push_back(2.0f * v);
  }
  auto X = Tensor<float>::from_vector(xs, Shape{200, 1});
  auto y = Tensor<float>::from_vector(ys, Shape{200});
  trees::GradientBoostingRegressor model({.n_estimators = 50, .learning_rate = 0.3, .max_depth = 3});
  model.fit(X, y);
  const float probe[1] = {5.0f};
  if (std::fabs(model.predict_row(probe) - 10.0f) > 0.5f) return 5;

  std::printf("grove consumer ok\n");
  return 0;
}

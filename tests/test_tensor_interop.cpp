// Eigen and xtensor interop, both ways, and zero-copy views.
#include <grove/tensor.hpp>
#include <grove/tensor/eigen.hpp>
#include <grove/tensor/xtensor.hpp>

#include <doctest/doctest.h>

#include <vector>

#include <xtensor/xview.hpp>

using grove::Shape;
using TD = grove::Tensor<double>;
using TF = grove::Tensor<float>;

TEST_CASE("Eigen: from_eigen / to_eigen round trip, any storage order") {
  Eigen::MatrixXd col_major(2, 3);  // Eigen's default column-major layout
  col_major << 1, 2, 3, 4, 5, 6;
  const TD t = grove::from_eigen(col_major);
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(t(1, 0) == 4);
  const grove::EigenMatrix<double> back = grove::to_eigen(t);
  CHECK(back == col_major);
  // An expression and a vector.
  const TF v = grove::from_eigen(Eigen::VectorXf::LinSpaced(4, 0.0f, 3.0f));
  CHECK(v.shape() == Shape{4, 1});
  CHECK(v(3, 0) == 3.0f);
  // A transposed view converts by value.
  const grove::EigenMatrix<double> tt = grove::to_eigen(t.transpose());
  CHECK(tt.rows() == 3);
  CHECK(tt(2, 1) == 6);
  CHECK_THROWS_WITH_AS(grove::to_eigen(TD::zeros({2, 3, 4})), "to_eigen: needs a 2-D tensor, got shape [2,3,4]",
                       grove::ShapeError);
}

TEST_CASE("Eigen: eigen_map views a 2-D tensor without copying") {
  TD t = TD::arange(12).reshape({3, 4});
  grove::EigenMap<double> m = grove::eigen_map(t);
  CHECK(m.data() == t.data());
  CHECK(m(2, 1) == 9);
  m(0, 0) = 42;  // writes go to the tensor
  CHECK(t(0, 0) == 42);
  // A column slice has strided rows: still a view.
  TD cols = t.slice(1, 1, 3);
  grove::EigenMap<double> mc = grove::eigen_map(cols);
  CHECK(mc.rows() == 3);
  CHECK(mc.cols() == 2);
  CHECK(mc(2, 1) == 10);
  mc(1, 0) = -5;
  CHECK(t(1, 1) == -5);
  const TD& ct = t;
  const grove::ConstEigenMap<double> cm = grove::eigen_map(ct);
  CHECK((cm * cm.transpose())(0, 0) == doctest::Approx(42.0 * 42 + 1 + 4 + 9));
  TD tr = t.transpose();
  CHECK_THROWS_WITH_AS(grove::eigen_map(tr),
                       "eigen_map: tensor of shape [4,3] has column stride 4 (e.g. a transposed view); call "
                       "contiguous() first",
                       grove::ValueError);
  TD three = TD::zeros({1, 2, 3});
  CHECK_THROWS_WITH_AS(grove::eigen_map(three), "eigen_map: needs a 2-D tensor, got shape [1,2,3]", grove::ShapeError);
}

TEST_CASE("xtensor: from_xtensor / to_xtensor round trip and views") {
  const xt::xarray<double> a = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
  const TD t = grove::from_xtensor(a);
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t(1, 2) == 6);
  // An expression (a strided view) is evaluated.
  const TD col = grove::from_xtensor(xt::view(a, xt::all(), 1));
  CHECK(col.to_vector() == std::vector<double>{2, 5});
  const auto back = grove::to_xtensor(t);
  CHECK(back == a);
  const auto bt = grove::to_xtensor(t.transpose());
  CHECK(bt.shape()[0] == 3);
  CHECK(bt(2, 1) == 6);
  // 3-D and 0-d shapes survive.
  const TF cube = TF::arange(24).reshape({2, 3, 4});
  const auto xc = grove::to_xtensor(cube);
  CHECK(xc.dimension() == 3);
  CHECK(xc(1, 2, 3) == 23.0f);
  CHECK(grove::from_xtensor(xc).to_vector() == cube.to_vector());
  CHECK(grove::to_xtensor(cube.sum()).dimension() == 0);
  // Zero-copy adaptor over a strided view.
  TD m = TD::arange(6).reshape({2, 3});
  TD mt = m.transpose();
  auto v = grove::xtensor_view(mt);
  CHECK(v(2, 1) == 5);
  v(0, 1) = 30;
  CHECK(m(1, 0) == 30);
}

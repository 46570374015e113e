// Metrics: classification, probabilistic and regression scores on hand-computed cases.
#include <grove/metrics.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace grove;
using doctest::Approx;

namespace {
template <class T>
Tensor<T> vec(std::vector<T> v) {
  return Tensor<T>::from_vector(std::move(v));
}
Tensor<double> mat(std::vector<double> v, std::size_t rows, std::size_t cols) {
  return Tensor<double>::from_vector(std::move(v), Shape{rows, cols});
}
// Pairwise Mann–Whitney count, independent of the rank-based implementation.
double brute_auc(const std::vector<int>& y, const std::vector<double>& s) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    for (std::size_t j = 0; j < y.size(); ++j)
      if (y[i] == 1 && y[j] == 0) {
        pairs += 1;
        wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
  return wins / pairs;
}
}  // namespace

TEST_CASE("accuracy and confusion_matrix on a 3-class case") {
  const auto yt = vec<int>({0, 1, 2, 2, 1});
  const auto yp = vec<int>({0, 2, 2, 2, 1});
  CHECK(metrics::accuracy(yt, yp) == Approx(0.8));
  const auto cm = metrics::confusion_matrix(yt, yp);
  CHECK(cm.shape() == Shape{3, 3});
  CHECK(cm.to_vector() == std::vector<std::int64_t>{1, 0, 0, 0, 1, 1, 0, 0, 2});
  // An explicit class count adds an empty row/column.
  const auto cm4 = metrics::confusion_matrix(yt, yp, 4);
  CHECK(cm4.shape() == Shape{4, 4});
  CHECK(cm4(3, 3) == 0);
  CHECK(cm4(2, 2) == 2);
}

TEST_CASE("labels may be any arithmetic type holding 0..k-1") {
  CHECK(metrics::accuracy(vec<float>({0, 1, 1}), vec<std::int64_t>({0, 1, 0})) == Approx(2.0 / 3));
  CHECK(metrics::accuracy(vec<std::uint8_t>({2, 1}), vec<double>({2, 1})) == 1.0);
  // [n,1] columns are accepted as vectors.
  CHECK(metrics::accuracy(Tensor<int>::from_vector({1, 0}, Shape{2, 1}), vec<int>({1, 1})) == 0.5);
}

TEST_CASE("precision, recall and f1: per class and averaged") {
  const auto yt = vec<int>({0, 1, 2, 2, 1});
  const auto yp = vec<int>({0, 2, 2, 2, 1});
  const auto p = metrics::precision_per_class(yt, yp);
  REQUIRE(p.size() == 3);
  CHECK(p[0] == Approx(1.0));
  CHECK(p[1] == Approx(1.0));
  CHECK(p[2] == Approx(2.0 / 3));
  const auto r = metrics::recall_per_class(yt, yp);
  CHECK(r[0] == Approx(1.0));
  CHECK(r[1] == Approx(0.5));
  CHECK(r[2] == Approx(1.0));
  const auto f = metrics::f1_per_class(yt, yp);
  CHECK(f[0] == Approx(1.0));
  CHECK(f[1] == Approx(2.0 / 3));
  CHECK(f[2] == Approx(0.8));
  CHECK(metrics::precision(yt, yp) == Approx(8.0 / 9));
  CHECK(metrics::recall(yt, yp) == Approx(5.0 / 6));
  CHECK(metrics::f1(yt, yp) == Approx((1.0 + 2.0 / 3 + 0.8) / 3));
  CHECK(metrics::f1(yt, yp, metrics::Average::Micro) == Approx(0.8));
  // Weighted recall equals accuracy.
  CHECK(metrics::recall(yt, yp, metrics::Average::Weighted) == Approx(0.8));
  CHECK(metrics::precision(yt, yp, metrics::Average::Weighted) == Approx((1 * 1.0 + 2 * 1.0 + 2 * (2.0 / 3)) / 5));
}

TEST_CASE("binary average scores class 1") {
  const auto yt = vec<int>({0, 1, 1, 0, 1});
  const auto yp = vec<int>({0, 1, 0, 1, 1});  // tp 2, fp 1, fn 1
  CHECK(metrics::precision(yt, yp, metrics::Average::Binary) == Approx(2.0 / 3));
  CHECK(metrics::recall(yt, yp, metrics::Average::Binary) == Approx(2.0 / 3));
  CHECK(metrics::f1(yt, yp, metrics::Average::Binary) == Approx(2.0 / 3));
  // No predicted positives: precision is undefined and counts 0.
  CHECK(metrics::precision(yt, vec<int>({0, 0, 0, 0, 0}), metrics::Average::Binary) == 0.0);
  CHECK_THROWS_WITH_AS(metrics::f1(vec<int>({0, 2}), vec<int>({0, 1}), metrics::Average::Binary),
                       "f1: Average::Binary needs labels 0 and 1, got labels up to 2", ValueError);
}

TEST_CASE("macro averages only the classes that occur") {
  const auto y = vec<int>({0, 0, 2});
  CHECK(metrics::f1(y, y) == 1.0);  // class 1 is absent from both and does not count as 0
  const auto f = metrics::f1_per_class(y, y);
  CHECK(f == std::vector<double>{1.0, 0.0, 1.0});
}

TEST_CASE("perfect and worst classification") {
  const auto y = vec<int>({0, 1, 1, 0});
  const auto flipped = vec<int>({1, 0, 0, 1});
  CHECK(metrics::accuracy(y, y) == 1.0);
  CHECK(metrics::accuracy(y, flipped) == 0.0);
  CHECK(metrics::f1(y, y) == 1.0);
  CHECK(metrics::f1(y, flipped) == 0.0);
  CHECK(metrics::precision(y, flipped) == 0.0);
}

TEST_CASE("label and length errors") {
  CHECK_THROWS_WITH_AS(metrics::accuracy(vec<int>({0, 1, 1}), vec<int>({0, 1})),
                       "accuracy: y_true has 3 elements, y_pred has 2", ValueError);
  CHECK_THROWS_WITH_AS(metrics::accuracy(vec<int>({}), vec<int>({})), "accuracy: y_true is empty", ValueError);
  CHECK_THROWS_WITH_AS(metrics::accuracy(vec<double>({0, 2.5}), vec<int>({0, 1})),
                       "accuracy: y_true[1] = 2.5 is not a class label (expected an integer in 0..65535)",
                       ValueError);
  CHECK_THROWS_WITH_AS(metrics::f1(vec<int>({0, 1}), vec<int>({-1, 1})),
                       "f1: y_pred[0] = -1 is not a class label (expected an integer in 0..65535)", ValueError);
  CHECK_THROWS_WITH_AS(metrics::recall(vec<float>({0, std::nanf("")}), vec<int>({0, 1})),
                       "recall: y_true[1] = nan is not a class label (expected an integer in 0..65535)",
                       ValueError);
  CHECK_THROWS_WITH_AS(metrics::confusion_matrix(vec<int>({0, 3}), vec<int>({0, 1}), 3),
                       "confusion_matrix: y_true[1] = 3 is not a class label (expected an integer in 0..2)",
                       ValueError);
  CHECK_THROWS_WITH_AS(metrics::accuracy(Tensor<int>::zeros(Shape{2, 3}), vec<int>({0, 1})),
                       "accuracy: y_true must be a vector ([n] or [n,1]), got shape [2,3]", ValueError);
  CHECK_THROWS_WITH_AS(metrics::precision_per_class(vec<int>({1}), vec<int>({2000000})),
                       "precision_per_class: y_pred[0] = 2000000 is not a class label (expected an integer in "
                       "0..65535)",
                       ValueError);
}

TEST_CASE("log_loss: binary vector and n x k probabilities") {
  CHECK(metrics::log_loss(vec<int>({1, 0}), vec<double>({0.8, 0.3})) ==
        Approx(-(std::log(0.8) + std::log(0.7)) / 2));
  CHECK(metrics::log_loss(vec<int>({1, 0}), Tensor<float>::from_vector({0.8f, 0.3f}, Shape{2, 1})) ==
        Approx(-(std::log(0.8) + std::log(0.7)) / 2).epsilon(1e-6));
  CHECK(metrics::log_loss(vec<int>({0, 2}), mat({0.7, 0.2, 0.1, 0.1, 0.3, 0.6}, 2, 3)) ==
        Approx(-(std::log(0.7) + std::log(0.6)) / 2));
  // Perfect predictions cost ~eps; certain misses are clipped to -log(eps) instead of infinity.
  CHECK(metrics::log_loss(vec<int>({1, 0}), vec<double>({1.0, 0.0})) == Approx(0.0).epsilon(1e-12));
  CHECK(metrics::log_loss(vec<int>({1, 0}), vec<double>({0.0, 1.0})) == Approx(-std::log(1e-15)));
  CHECK(metrics::log_loss(vec<int>({1}), vec<double>({0.0}), 1e-7) == Approx(-std::log(1e-7)));
}

TEST_CASE("log_loss errors") {
  CHECK_THROWS_WITH_AS(metrics::log_loss(vec<int>({1, 0}), vec<double>({1.5, 0.2})),
                       "log_loss: probability 1.5 at [0] is outside [0, 1]", ValueError);
  CHECK_THROWS_WITH_AS(metrics::log_loss(vec<int>({1, 0}), mat({0.5, 0.5, std::nan(""), 0.5}, 2, 2)),
                       "log_loss: probability nan at [1,0] is outside [0, 1]", ValueError);
  CHECK_THROWS_WITH_AS(metrics::log_loss(vec<int>({2, 0}), vec<double>({0.5, 0.2})),
                       "log_loss: y_true[0] = 2 is not a class label (expected an integer in 0..1)", ValueError);
  CHECK_THROWS_WITH_AS(metrics::log_loss(vec<int>({1, 0, 1}), vec<double>({0.5, 0.2})),
                       "log_loss: y_true has 3 elements, probs rows has 2", ValueError);
  CHECK_THROWS_WITH_AS(metrics::log_loss(vec<int>({1}), vec<double>({0.5}), 0.0),
                       "log_loss: eps must be in (0, 0.5), got 0", ValueError);
}

TEST_CASE("roc_auc: binary, with ties counted as Mann–Whitney") {
  CHECK(metrics::roc_auc(vec<int>({0, 0, 1, 1}), vec<double>({0.1, 0.4, 0.35, 0.8})) == Approx(0.75));
  // Pairs (pos, neg): (0.5,0.5) tie = 1/2, the other three are wins: 3.5 / 4.
  CHECK(metrics::roc_auc(vec<int>({0, 1, 0, 1}), vec<double>({0.5, 0.5, 0.2, 0.9})) == Approx(0.875));
  CHECK(metrics::roc_auc(vec<int>({0, 1, 0, 1}), vec<float>({0.3f, 0.3f, 0.3f, 0.3f})) == Approx(0.5));
  CHECK(metrics::roc_auc(vec<int>({0, 0, 1}), vec<double>({0.1, 0.2, 0.9})) == 1.0);
  CHECK(metrics::roc_auc(vec<int>({0, 0, 1}), vec<double>({0.8, 0.9, 0.1})) == 0.0);
  // A larger case with many ties agrees with the pairwise count.
  std::vector<int> y;
  std::vector<double> s;
  for (int i = 0; i < 200; ++i) {
    y.push_back((i * 7 + i / 3) % 3 == 0 ? 1 : 0);
    s.push_back(static_cast<double>((i * 13) % 17) / 4.0);
  }
  CHECK(metrics::roc_auc(vec<int>(y), vec<double>(s)) == Approx(brute_auc(y, s)).epsilon(1e-12));
}

TEST_CASE("roc_auc: multiclass one-vs-rest macro") {
  // Class 0 and 1 are ranked perfectly; class 2 has positives {0.4, 0.3} and negatives {0.1, 0.3}: 3.5/4.
  const auto y = vec<int>({0, 1, 2, 2});
  const auto s = mat({0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.3, 0.3, 0.4, 0.5, 0.2, 0.3}, 4, 3);
  CHECK(metrics::roc_auc(y, s) == Approx((1.0 + 1.0 + 0.875) / 3));
  CHECK_THROWS_WITH_AS(metrics::roc_auc(vec<int>({0, 1, 1, 0}), mat(std::vector<double>(12, 0.3), 4, 3)),
                       "roc_auc: class 2 has 0 of 4 samples; AUC needs both positives and negatives", ValueError);
}

TEST_CASE("roc_auc errors") {
  CHECK_THROWS_WITH_AS(metrics::roc_auc(vec<int>({1, 1}), vec<double>({0.1, 0.2})),
                       "roc_auc: class 1 has 2 of 2 samples; AUC needs both positives and negatives", ValueError);
  CHECK_THROWS_WITH_AS(metrics::roc_auc(vec<int>({0, 1}), vec<double>({0.1, std::nan("")})),
                       "roc_auc: scores[1] = nan is not finite", ValueError);
  CHECK_THROWS_WITH_AS(metrics::roc_auc(vec<int>({0, 2}), vec<double>({0.1, 0.2})),
                       "roc_auc: y_true[1] = 2 is not a class label (expected an integer in 0..1)", ValueError);
  CHECK_THROWS_WITH_AS(metrics::roc_auc(vec<int>({0, 1}), vec<double>({0.1, 0.2, 0.3})),
                       "roc_auc: y_true has 2 elements, scores rows has 3", ValueError);
}

TEST_CASE("regression metrics") {
  const auto yt = vec<double>({3, -0.5, 2, 7});
  const auto yp = vec<float>({2.5f, 0.0f, 2.0f, 8.0f});
  CHECK(metrics::mse(yt, yp) == Approx(0.375));
  CHECK(metrics::rmse(yt, yp) == Approx(std::sqrt(0.375)));
  CHECK(metrics::mae(yt, yp) == Approx(0.5));
  // SS_tot = 29.1875 (mean 2.875), SS_res = 1.5.
  CHECK(metrics::r2(yt, yp) == Approx(1.0 - 1.5 / 29.1875));
  CHECK(metrics::r2(yt, yt) == 1.0);
  CHECK(metrics::rmse(yt, yt) == 0.0);
  // Predicting the mean scores 0; reversing the order is worse than that.
  CHECK(metrics::r2(vec<double>({1, 2, 3}), vec<double>({2, 2, 2})) == Approx(0.0));
  CHECK(metrics::r2(vec<double>({1, 2, 3}), vec<double>({3, 2, 1})) == Approx(-3.0));
}

TEST_CASE("r2 of a constant target follows scikit-learn") {
  CHECK(metrics::r2(vec<double>({0.1, 0.1, 0.1}), vec<double>({0.1, 0.1, 0.1})) == 1.0);
  CHECK(metrics::r2(vec<double>({0.1, 0.1, 0.1}), vec<double>({0.1, 0.1, 0.2})) == 0.0);
  CHECK(metrics::r2(vec<int>({5}), vec<int>({5})) == 1.0);
}

TEST_CASE("regression errors") {
  CHECK_THROWS_WITH_AS(metrics::rmse(vec<double>({1, 2}), vec<double>({1})),
                       "rmse: y_true has 2 elements, y_pred has 1", ValueError);
  CHECK_THROWS_WITH_AS(metrics::mae(vec<double>({1, 2}), vec<double>({1, std::numeric_limits<double>::infinity()})),
                       "mae: y_pred[1] = inf is not finite", ValueError);
  CHECK_THROWS_WITH_AS(metrics::r2(vec<double>({std::nan("")}), vec<double>({1})),
                       "r2: y_true[0] = nan is not finite", ValueError);
  CHECK_THROWS_WITH_AS(metrics::mse(vec<double>({}), vec<double>({})), "mse: y_true is empty", ValueError);
}

TEST_CASE("degenerate inputs: huge labels, empty probability columns, extreme values") {
  // Labels use core's one reader and limit: a stray huge label is refused, not a 10^12-cell matrix.
  CHECK_THROWS_WITH_AS(metrics::confusion_matrix(vec<std::int64_t>({0, 1000000000000}), vec<std::int64_t>({0, 1})),
                       "confusion_matrix: y_true[1] = 1000000000000 is not a class label (expected an integer in "
                       "0..65535)",
                       ValueError);
  // Within the class limit the k x k matrix is still checked against the allocation limit.
  const std::size_t old = set_allocation_limit(1000000);
  CHECK_THROWS_WITH_AS(metrics::confusion_matrix(vec<int>({0, 60000}), vec<int>({0, 1})),
                       "confusion_matrix: a 60001 x 60001 matrix needs 3600120001 x 8 bytes, more than the "
                       "allocation limit of 1000000 bytes",
                       ValueError);
  set_allocation_limit(old);
  CHECK(metrics::confusion_matrix(vec<int>({0, 2}), vec<int>({2, 2})).to_vector() ==
        std::vector<std::int64_t>{0, 0, 1, 0, 0, 0, 0, 0, 1});
  // [n,0] probabilities: no column to read (before: labels were read as column indices past the row).
  CHECK_THROWS_WITH_AS(metrics::log_loss(vec<int>({0, 3}), mat({}, 2, 0)),
                       "log_loss: probabilities must be [n] (binary), [n,1] (binary) or [n,k] with k >= 2, got shape "
                       "[2,0]",
                       ValueError);
  CHECK_THROWS_WITH_AS(metrics::log_loss(vec<int>({0}), vec<double>({0.5}), std::nan("")),
                       "log_loss: eps must be in (0, 0.5), got nan", ValueError);
  CHECK_THROWS_WITH_AS(metrics::roc_auc(vec<int>({0, 1}), mat({}, 2, 0)), "roc_auc: scores has 0 columns", ValueError);
  // Infinite scores still rank; NaN scores and labels are refused.
  CHECK(metrics::roc_auc(vec<int>({0, 1, 0, 1}),
                         vec<double>({-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
                                      0.2, 0.7})) == 1.0);
  CHECK_THROWS_WITH_AS(metrics::roc_auc(vec<double>({0, std::nan("")}), vec<double>({0.1, 0.2})),
                       "roc_auc: y_true[1] = nan is not a class label (expected an integer in 0..1)", ValueError);
  // r2 of values near DBL_MAX: the squares would overflow to inf/inf = nan without scaling.
  const double big = 1e300;
  CHECK(metrics::r2(vec<double>({big, -big, 0.5 * big}), vec<double>({big, -big, 0.5 * big})) == 1.0);
  const double r = metrics::r2(vec<double>({big, -big, 0.5 * big}), vec<double>({0.9 * big, -big, 0.5 * big}));
  CHECK(std::isfinite(r));
  CHECK(r == Approx(1.0 - 0.01 / (13.0 / 6.0)));  // scaled: y = [1, -1, 0.5], mean 1/6
}

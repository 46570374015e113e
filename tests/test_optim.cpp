// optim: every optimizer against reference trajectories, schedulers, clip_grad_norm, validation.
#include <grove/autograd.hpp>
#include <grove/nn/linear.hpp>
#include <grove/nn/loss.hpp>
#include <grove/optim.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <vector>

using namespace grove;

namespace {

using Ref = std::vector<std::vector<double>>;

// Reference trajectories pinned from PyTorch 1.13 (python3-torch on this machine, float64):
// p0 = [0.5, -1, 2, 0], loss = 3 * mse_loss(p, [1, 0.5, -1.5, 0.25]) + 0.1 * sum(p^3), five
// steps, p recorded after each step. The generating script is in the comment at the end.
const Ref kRef_sgd = {{0.5675, -0.805, 1.355, 0.037500000000000006},
 {0.6227133125, -0.6286907500000001, 0.87166925, 0.06933281250000001},
 {0.6676731595380583, -0.4712446992740669, 0.49312464405813305, 0.0962886794583252},
 {0.7041485621683236, -0.33222014138077405, 0.1868607900120893, 0.11906723224582158},
 {0.7336515219149635, -0.2106982268438298, -0.06721583713504242, 0.13828183723510792}};
const Ref kRef_sgd_momentum_dampening = {{0.5675, -0.805, 1.355, 0.037500000000000006},
 {0.66689931875, -0.506083525, 0.4361684749999999, 0.09353296875000001},
 {0.7819944284279164, -0.13679845859480488, -0.5980726890852605, 0.16020796216514308},
 {0.8956287911451717, 0.262028949138573, -1.6311036141780657, 0.22910462179746854},
 {0.992013524958367, 0.6445187338651429, -2.602936046276773, 0.29220336269551905}};
const Ref kRef_sgd_nesterov_wd = {{0.617, -0.64, 0.8210000000000001, 0.0675},
 {0.735899794, -0.22055839999999996, -0.26865721400000014, 0.1399214625},
 {0.8321045033063009, 0.17937418917822986, -1.1763441802202492, 0.20374268161642053},
 {0.8937703661094837, 0.49635566894140026, -1.905599404722032, 0.25103398412774947},
 {0.9204030570874924, 0.6961682996643525, -2.491087864554165, 0.27918592770899986}};
const Ref kRef_adam = {{0.5999999985185185, -0.9000000005128205, 1.9000000001550388, 0.0999999973333334},
 {0.6979848500420641, -0.8001571399885045, 1.800132484734248, 0.19557425965009884},
 {0.7911196909228057, -0.7006051394416626, 1.7004890667631611, 0.27867557473824867},
 {0.8747890484105814, -0.601503460935122, 1.601163288905257, 0.3373448795162467},
 {0.942895850902893, -0.5030409768287651, 1.5022501448043362, 0.3648819106169075}};
const Ref kRef_adam_l2 = {{0.549999920000128, -0.950000024390232, 1.9500000075187958, 0.049999866667022226},
 {0.599389855823953, -0.9000704546954056, 1.900058936936195, 0.0990034978497897},
 {0.6475857496350939, -0.8502629301236138, 1.8502161422315457, 0.14590498060712626},
 {0.6938364749720356, -0.8006322670098203, 1.8005104607412858, 0.1891521893601904},
 {0.7372111894146083, -0.7512361305137235, 1.7509797801369955, 0.2267755766257753}};
const Ref kRef_adam_amsgrad = {{0.5999999985185185, -0.9000000005128205, 1.9000000001550388, 0.0999999973333334},
 {0.6979848500420641, -0.8001571399885045, 1.800132484734248, 0.19557425965009884},
 {0.7911196909228057, -0.7006051394416626, 1.7004890667631611, 0.27867557473824867},
 {0.8747890484105814, -0.601503460935122, 1.601163288905257, 0.3373448795162467},
 {0.942895850902893, -0.5030409768287651, 1.5022501448043362, 0.3648819106169075}};
const Ref kRef_adamw = {{0.5899999985185185, -0.8800000005128205, 1.8600000001550387, 0.0999999973333334},
 {0.6765355223409217, -0.7625984662326861, 1.7229988684301085, 0.19357425970343217},
 {0.7576058740898642, -0.6479135074960394, 1.5890700088782874, 0.2731729072854057},
 {0.8302114262795192, -0.5360934609002058, 1.4582846918665693, 0.3280544363203708},
 {0.8904812422637214, -0.4273199092403408, 1.3307110566410842, 0.3524797042138357}};
const Ref kRef_rmsprop = {{0.5999999851851874, -0.9000000051282049, 1.9000000015503877, 0.09999997333334039},
 {0.6590958179114709, -0.8308557328669343, 1.830618237808182, 0.1511321274614216},
 {0.700884799921179, -0.7752200006052754, 1.7745675454567882, 0.18224995297425858},
 {0.7324029980025963, -0.72760596129802, 1.7263926207275582, 0.2021123768137324},
 {0.756913527098287, -0.6854608401681315, 1.683559271470025, 0.21497953626326605}};
const Ref kRef_rmsprop_centered = {{0.5333333315555556, -0.9666666672086721, 1.9666666668337511, 0.03333333037037064},
 {0.5741479454100211, -0.9247104578677053, 1.9246802503896718, 0.07353527881155411},
 {0.6140964537182824, -0.881656225444505, 1.8815389940917586, 0.1117092223288823},
 {0.650479633972041, -0.8397087845616605, 1.8394274153088568, 0.14474062599799964},
 {0.682605389851944, -0.7992322251155255, 1.7986930655669142, 0.17167901941303676}};
const Ref kRef_adagrad = {{0.5999999999851852, -0.9000000000051283, 1.9000000000015504, 0.09999999997333335},
 {0.6589025592388625, -0.831037264753067, 1.8307992547458034, 0.15094249373570812},
 {0.7004388157790067, -0.7756915767527173, 1.7750390824412041, 0.1818749583529187},
 {0.7316963136751674, -0.7284477826002566, 1.7272369891497918, 0.20161243677334445},
 {0.7559662851050942, -0.6867374323812886, 1.6848440205865753, 0.2144242157812764}};
const Ref kRef_adagrad_decay = {{0.5813250060684624, -0.9022978369617662, 1.9002253650972585, 0.06425294052070873},
 {0.6308980114363333, -0.8374734560285401, 1.83440337200822, 0.10435698745116544},
 {0.6655546416136789, -0.7875953209583038, 1.7837126813042536, 0.13192388899856491},
 {0.691334411408005, -0.7467266907167321, 1.7420798531567867, 0.15181861094908422},
 {0.711218883636368, -0.7120270956325154, 1.7066310350910763, 0.166617757816553}};
const Ref kRef_ams = {{0.7999999955555557, -0.7000000015384615, 1.7000000004651161, 0.2999999920000002},
 {1.0049836096744882, -0.3938383218762387, 1.395029138962232, 0.42144311800138534},
 {1.0773326979079034, -0.09712479306789223, 1.0879995476341249, 0.38297762261454216},
 {1.048299299067939, 0.1702417485872983, 0.7930288550263171, 0.2771864075721162},
 {0.9652440449371074, 0.3986790056275462, 0.5155431261502268, 0.1785504290647048}};
const Ref kRef_noams = {{0.7999999955555557, -0.7000000015384615, 1.7000000004651161, 0.2999999920000002},
 {1.0827427360070518, -0.3938383218762387, 1.395029138962232, 0.4602961256365173},
 {1.124594008243925, -0.07416057295841283, 1.0814453045608927, 0.40326400285908687},
 {1.0540505517120644, 0.27145695171180256, 0.755231485978898, 0.27884604087887815},
 {0.9298762515998047, 0.6605811910024548, 0.41173412791662267, 0.1243331912443433}};

const std::vector<double> kP0 = {0.5, -1.0, 2.0, 0.0};
const std::vector<double> kTarget = {1.0, 0.5, -1.5, 0.25};

Tensor<double> loss_of(const Tensor<double>& p) {
  const auto target = Tensor<double>::from_vector(kTarget);
  return nn::mse_loss(p, target) * 3.0 + p.pow(3.0).sum() * 0.1;
}

/// The gradient of loss_of at p, written out: 6/4 (p - t) + 0.3 p^2.
std::vector<double> grad_of(const std::vector<double>& p) {
  std::vector<double> g(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) g[i] = 1.5 * (p[i] - kTarget[i]) + 0.3 * p[i] * p[i];
  return g;
}

template <class Opt, class Options>
void check_trajectory(const Ref& ref, Options options, double tol = 1e-12) {
  auto p = Tensor<double>::from_vector(kP0);
  p.requires_grad(true);
  Opt opt({p}, options);
  for (std::size_t s = 0; s < ref.size(); ++s) {
    opt.zero_grad();
    loss_of(p).backward();
    opt.step();
    for (std::size_t i = 0; i < 4; ++i) {
      INFO("step " << s + 1 << ", element " << i);
      CHECK(p.data()[i] == doctest::Approx(ref[s][i]).epsilon(tol).scale(1.0));
    }
  }
  CHECK(opt.steps() == ref.size());
}

}  // namespace

TEST_CASE("SGD matches PyTorch: plain, momentum with dampening, Nesterov with weight decay") {
  check_trajectory<optim::SGD<double>>(kRef_sgd, optim::SGDOptions{.lr = 0.1});
  check_trajectory<optim::SGD<double>>(kRef_sgd_momentum_dampening,
                                       optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.3});
  check_trajectory<optim::SGD<double>>(
      kRef_sgd_nesterov_wd, optim::SGDOptions{.lr = 0.1, .momentum = 0.8, .nesterov = true, .weight_decay = 0.05});
}

TEST_CASE("SGD with Nesterov momentum follows the published formula step by step") {
  const double lr = 0.1, mu = 0.8, wd = 0.05;
  auto p = Tensor<double>::from_vector(kP0);
  p.requires_grad(true);
  optim::SGD<double> opt({p}, {.lr = lr, .momentum = mu, .nesterov = true, .weight_decay = wd});
  std::vector<double> q = kP0, b(4, 0.0);
  for (int s = 0; s < 3; ++s) {
    opt.zero_grad();
    loss_of(p).backward();
    opt.step();
    const auto g = grad_of(q);
    for (std::size_t i = 0; i < 4; ++i) {
      const double d = g[i] + wd * q[i];
      b[i] = s == 0 ? d : mu * b[i] + d;  // the first step copies d into the buffer
      q[i] -= lr * (d + mu * b[i]);
      CHECK(p.data()[i] == doctest::Approx(q[i]).epsilon(1e-13));
    }
  }
}

TEST_CASE("Adam and AdamW match PyTorch (bias correction, L2 and decoupled decay, amsgrad)") {
  check_trajectory<optim::Adam<double>>(kRef_adam, optim::AdamOptions{.lr = 0.1});
  check_trajectory<optim::Adam<double>>(
      kRef_adam_l2, optim::AdamOptions{.lr = 0.05, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.1});
  check_trajectory<optim::Adam<double>>(kRef_ams, optim::AdamOptions{.lr = 0.3, .beta2 = 0.5, .amsgrad = true});
  check_trajectory<optim::Adam<double>>(kRef_noams, optim::AdamOptions{.lr = 0.3, .beta2 = 0.5});
  check_trajectory<optim::AdamW<double>>(kRef_adamw, optim::AdamWOptions{.lr = 0.1, .weight_decay = 0.2});
}

TEST_CASE("Adam's first step is lr * g / (|g| + eps) once bias is corrected; AdamW shrinks first") {
  const double lr = 0.1, eps = 1e-8, wd = 0.2;
  const auto g = grad_of(kP0);
  for (bool decoupled : {false, true}) {
    auto p = Tensor<double>::from_vector(kP0);
    p.requires_grad(true);
    std::unique_ptr<optim::Optimizer<double>> opt;
    if (decoupled)
      opt = std::make_unique<optim::AdamW<double>>(std::vector<Tensor<double>>{p},
                                                   optim::AdamWOptions{.lr = lr, .weight_decay = wd});
    else
      opt = std::make_unique<optim::Adam<double>>(std::vector<Tensor<double>>{p}, optim::AdamOptions{.lr = lr});
    loss_of(p).backward();
    opt->step();
    for (std::size_t i = 0; i < 4; ++i) {
      // m1 = (1-b1) g, v1 = (1-b2) g^2; corrected: m = g, v = g^2, so the step is lr g / (|g| + eps).
      const double start = decoupled ? kP0[i] * (1 - lr * wd) : kP0[i];
      CHECK(p.data()[i] == doctest::Approx(start - lr * g[i] / (std::abs(g[i]) + eps)).epsilon(1e-12));
    }
  }
}

TEST_CASE("RMSprop and Adagrad match PyTorch") {
  check_trajectory<optim::RMSprop<double>>(kRef_rmsprop, optim::RMSpropOptions{.lr = 0.01});
  check_trajectory<optim::RMSprop<double>>(
      kRef_rmsprop_centered,
      optim::RMSpropOptions{.lr = 0.01, .alpha = 0.9, .weight_decay = 0.1, .momentum = 0.5, .centered = true});
  check_trajectory<optim::Adagrad<double>>(kRef_adagrad, optim::AdagradOptions{.lr = 0.1});
  check_trajectory<optim::Adagrad<double>>(
      kRef_adagrad_decay,
      optim::AdagradOptions{.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.1, .initial_accumulator_value = 0.2});
}

TEST_CASE("float optimizers track the double trajectory") {
  auto p = Tensor<float>::from_vector({0.5f, -1.0f, 2.0f, 0.0f});
  p.requires_grad(true);
  optim::Adam<float> opt({p}, {.lr = 0.1});
  const auto target = Tensor<float>::from_vector({1.0f, 0.5f, -1.5f, 0.25f});
  for (int s = 0; s < 5; ++s) {
    opt.zero_grad();
    (nn::mse_loss(p, target) * 3.0f + p.pow(3.0).sum() * 0.1f).backward();
    opt.step();
  }
  for (std::size_t i = 0; i < 4; ++i) CHECK(p.data()[i] == doctest::Approx(kRef_adam[4][i]).epsilon(1e-5));
}

TEST_CASE("optimizers skip parameters without a gradient; zero_grad, lr and set_lr") {
  auto a = Tensor<double>::from_vector({1.0, 2.0});
  auto b = Tensor<double>::from_vector({3.0});
  a.requires_grad(true);
  b.requires_grad(true);
  optim::SGD<double> opt({a, b}, {.lr = 0.5});
  (a * a).sum().backward();  // only a gets a gradient
  opt.step();
  CHECK(a.to_vector() == std::vector<double>{0.0, 0.0});  // 1 - 0.5 * 2, 2 - 0.5 * 4
  CHECK(b.to_vector() == std::vector<double>{3.0});
  CHECK_FALSE(b.has_grad());
  opt.zero_grad();
  CHECK(a.grad().to_vector() == std::vector<double>{0.0, 0.0});
  CHECK(opt.lr() == 0.5);
  opt.set_lr(0.25);
  CHECK(opt.lr() == 0.25);
  CHECK_THROWS_WITH_AS(opt.set_lr(-1), "SGD: lr must be in [0, inf), got -1", ValueError);
}

TEST_CASE("optimizer options are validated with the option name and value") {
  auto p = Tensor<double>::from_vector({1.0});
  p.requires_grad(true);
  std::vector<Tensor<double>> ps{p};
  CHECK_THROWS_WITH_AS(optim::SGD<double>({}, {}), "SGD: got an empty parameter list", ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD<double>({Tensor<double>::from_vector({1.0})}, {}),
                       "SGD: parameter 0 of shape [1] must be a contiguous leaf tensor with requires_grad(true)",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD<double>(ps, {.lr = -0.1}), "SGD: lr must be in [0, inf), got -0.1",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD<double>(ps, {.momentum = -1}), "SGD: momentum must be in [0, inf), got -1",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD<double>(ps, {.nesterov = true}),
                       "SGD: nesterov needs momentum > 0 and dampening = 0, got momentum 0 and dampening 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD<double>(ps, {.dampening = 2}), "SGD: dampening must be in [0, 1], got 2",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<double>(ps, {.beta1 = 1.0}), "Adam: beta1 must be in [0, 1), got 1",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::AdamW<double>(ps, {.beta2 = -0.5}), "AdamW: beta2 must be in [0, 1), got -0.5",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<double>(ps, {.eps = std::nan("")}), "Adam: eps must be in (0, inf), got nan",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::RMSprop<double>(ps, {.alpha = 1.5}), "RMSprop: alpha must be in [0, 1], got 1.5",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::Adagrad<double>(ps, {.lr_decay = -1}),
                       "Adagrad: lr_decay must be in [0, inf), got -1", ValueError);
}

// Learning rates after 0, 1, 2, ... scheduler steps, pinned from PyTorch 1.13 with base lr 0.1.
TEST_CASE("StepLR, CosineAnnealingLR and LinearWarmup follow PyTorch's schedules") {
  auto p = Tensor<double>::from_vector({1.0});
  p.requires_grad(true);
  auto run = [&](auto make, const std::vector<double>& want) {
    optim::SGD<double> opt({p}, {.lr = 0.1});
    auto sched = make(opt);
    for (std::size_t e = 0; e < want.size(); ++e) {
      INFO("epoch " << e);
      CHECK(opt.lr() == doctest::Approx(want[e]).epsilon(1e-14));
      CHECK(sched.last_lr() == opt.lr());
      sched.step();
    }
    CHECK(sched.base_lr() == 0.1);
  };
  run([](auto& o) { return optim::StepLR(o, 2, 0.5); }, {0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125});
  run([](auto& o) { return optim::CosineAnnealingLR(o, 4, 0.01); },
      {0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01, 0.023180194846605363,
       0.05500000000000002});
  run([](auto& o) { return optim::LinearWarmup(o, 4, 0.25); },
      {0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.10000000000000002,
       0.10000000000000002, 0.10000000000000002});
  optim::SGD<double> opt({p}, {.lr = 0.1});
  CHECK_THROWS_WITH_AS(optim::StepLR(opt, 0), "StepLR: step_size must be >= 1, got 0", ValueError);
  CHECK_THROWS_WITH_AS(optim::CosineAnnealingLR(opt, 0), "CosineAnnealingLR: t_max must be >= 1, got 0", ValueError);
  CHECK_THROWS_WITH_AS(optim::LinearWarmup(opt, 3, 1.5), "LinearWarmup: start_factor must be in (0, 1], got 1.5",
                       ValueError);
}

TEST_CASE("ReduceLROnPlateau follows PyTorch (patience, cooldown, min mode)") {
  auto p = Tensor<double>::from_vector({1.0});
  p.requires_grad(true);
  optim::SGD<double> opt({p}, {.lr = 0.1});
  optim::ReduceLROnPlateau sched(opt, {.factor = 0.5, .patience = 1, .cooldown = 1});
  const std::vector<double> metric = {1.0, 0.9, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.5, 0.6, 0.7, 0.8};
  // PyTorch 1.13's learning rates after each step(metric).
  const std::vector<double> want = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125};
  for (std::size_t e = 0; e < metric.size(); ++e) {
    sched.step(metric[e]);
    INFO("epoch " << e);
    CHECK(opt.lr() == doctest::Approx(want[e]).epsilon(1e-14));
  }
  CHECK(sched.best() == 0.5);
  // Max mode with min_lr: accuracy that stalls; the rate stops at min_lr.
  optim::SGD<double> opt2({p}, {.lr = 1.0});
  optim::ReduceLROnPlateau up(opt2, {.mode = optim::PlateauOptions::Mode::Max, .factor = 0.1, .patience = 0,
                                     .min_lr = 0.05});
  CHECK_FALSE(up.step(0.5));
  CHECK(up.step(0.5));
  CHECK(opt2.lr() == doctest::Approx(0.1));
  CHECK(up.step(0.4));
  CHECK(opt2.lr() == doctest::Approx(0.05));
  CHECK_FALSE(up.step(0.3));  // already at min_lr
  CHECK(opt2.lr() == doctest::Approx(0.05));
  CHECK_THROWS_WITH_AS(optim::ReduceLROnPlateau(opt2, {.factor = 1.0}),
                       "ReduceLROnPlateau: factor must be in (0, 1), got 1", ValueError);
}

TEST_CASE("clip_grad_norm returns the norm before clipping and rescales like PyTorch") {
  auto a = Tensor<double>::from_vector({3.0, 4.0});
  auto b = Tensor<double>::from_vector({12.0});
  auto c = Tensor<double>::from_vector({7.0});  // no gradient: ignored
  for (auto* t : {&a, &b, &c}) t->requires_grad(true);
  auto set_grads = [&] {
    a.zero_grad();
    b.zero_grad();
    ((a * Tensor<double>::from_vector({1.5, 2.0})).sum() + (b * b).sum() * 0.5).backward();  // grads [1.5,2], [12]
  };
  set_grads();
  CHECK(a.grad().to_vector() == std::vector<double>{1.5, 2.0});
  const double norm = optim::clip_grad_norm<double>({a, b, c}, 6.5);
  CHECK(norm == doctest::Approx(std::sqrt(1.5 * 1.5 + 4 + 144)));
  const double coef = 6.5 / (norm + 1e-6);
  CHECK(a.grad().to_vector()[1] == doctest::Approx(2.0 * coef).epsilon(1e-15));
  CHECK(b.grad().to_vector()[0] == doctest::Approx(12.0 * coef).epsilon(1e-15));
  // PyTorch 1.13: grads [3,4] and [12] clipped to 6.5 give 13.0 and 12 * 6.5 / (13 + 1e-6).
  a.zero_grad();
  b.zero_grad();
  ((a * Tensor<double>::from_vector({3.0, 4.0})).sum() + (b * b).sum() * 0.5).backward();
  CHECK(optim::clip_grad_norm<double>({a, b}, 6.5) == 13.0);
  CHECK(b.grad().to_vector()[0] == doctest::Approx(5.999999538461575).epsilon(1e-15));
  // Below the threshold nothing changes; the infinity norm is the largest magnitude.
  set_grads();
  CHECK(optim::clip_grad_norm<double>({a, b}, 100.0) == doctest::Approx(std::sqrt(150.25)));
  CHECK(b.grad().to_vector()[0] == 12.0);
  CHECK(optim::clip_grad_norm<double>({a, b}, 6.0, INFINITY) == 12.0);
  CHECK(b.grad().to_vector()[0] == doctest::Approx(6.0 * 12.0 / (12.0 + 1e-6)));
  CHECK_THROWS_WITH_AS(optim::clip_grad_norm<double>({a}, -1.0), "clip_grad_norm: max_norm must be in [0, inf), got -1",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::clip_grad_norm<double>({a}, 1.0, 0.0), "clip_grad_norm: norm_type must be in (0, inf), got 0",
                       ValueError);
}

TEST_CASE("an optimizer step is bitwise identical for 1 and 2 threads") {
  auto train = [](std::size_t threads) {
    ThreadCountGuard guard(threads);
    Rng rng(3);
    nn::Linear<float> layer(600, 300, rng);
    auto x = Tensor<float>::randn(Shape{8, 600}, rng);
    optim::Adam<float> opt(layer.parameters(), {.lr = 1e-2});
    for (int s = 0; s < 3; ++s) {
      opt.zero_grad();
      layer(x).pow(2.0).mean().backward();
      opt.step();
    }
    return layer.weight().to_vector();
  };
  CHECK(train(1) == train(2));
}

/* Reference generator (run with /usr/bin/python3, torch 1.13):
import torch
torch.set_default_dtype(torch.float64)
target = torch.tensor([1.0, 0.5, -1.5, 0.25])
def run(make, steps=5):
    p = torch.tensor([0.5, -1.0, 2.0, 0.0], requires_grad=True)
    opt = make([p]); out = []
    for s in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(p, target) * 3.0 + (p ** 3).sum() * 0.1
        loss.backward(); opt.step(); out.append(p.detach().tolist())
    return out
run(lambda ps: torch.optim.Adam(ps, lr=0.1)), ... (one call per kRef_* above, same options)
*/

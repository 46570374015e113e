// optim state: every optimizer and every scheduler can be saved and restored (in memory, in a
// file, in a checkpoint with the model), and training stopped after epoch k and resumed from
// the checkpoint ends bitwise where uninterrupted training ends. Incompatible or corrupt state
// is rejected with the difference named; options out of range are rejected at construction.
#include <grove/autograd.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

using namespace grove;

namespace {

std::string tmp(const std::string& name) { return std::string(GROVE_TEST_TMP_DIR) + "/optim_state_" + name; }

/// A model with every kind of state: parameters, BatchNorm buffers, a Dropout generator.
nn::Sequential<float> make_model(std::uint64_t seed) {
  Rng rng(seed);
  return nn::Sequential<float>{nn::Linear<float>(4, 16, rng), nn::BatchNorm1d<float>(16), nn::ReLU(),
                               nn::Dropout<float>(0.2, rng), nn::Linear<float>(16, 3, rng)};
}

using MakeOpt = std::function<std::unique_ptr<optim::Optimizer<float>>(std::vector<Tensor<float>>)>;
using MakeSched = std::function<std::unique_ptr<optim::Scheduler>(optim::Optimizer<float>&)>;

struct Data {
  Tensor<float> X, y;
};

Data make_data() {
  Rng rng(99);
  const std::size_t n = 96;
  auto X = Tensor<float>::randn(Shape{n, 4}, rng);
  std::vector<float> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<float>((X(i, 0) + X(i, 1) > 0) + (X(i, 2) > 0.5f));
  return {X, Tensor<float>::from_vector(y)};
}

/// One epoch: batches of 32 in an order drawn from Rng(epoch); the scheduler steps once per
/// epoch (ReduceLROnPlateau with the epoch's mean loss).
void train_epoch(std::size_t epoch, nn::Module<float>& model, optim::Optimizer<float>& opt, optim::Scheduler* sched,
                 const Data& d) {
  Rng rng(1000 + epoch);
  const auto order = rng.permutation(d.X.shape()[0]);
  double total = 0;
  for (std::size_t lo = 0; lo < order.size(); lo += 32) {
    std::vector<float> xb, yb;
    for (std::size_t i = lo; i < lo + 32; ++i) {
      for (std::size_t j = 0; j < 4; ++j) xb.push_back(d.X(order[i], j));
      yb.push_back(d.y(order[i]));
    }
    opt.zero_grad();
    auto loss = nn::cross_entropy(model(Tensor<float>::from_vector(xb, Shape{32, 4})), Tensor<float>::from_vector(yb));
    loss.backward();
    opt.step();
    total += loss.item();
  }
  if (auto* plateau = dynamic_cast<optim::ReduceLROnPlateau*>(sched))
    plateau->step(epoch % 3 == 0 ? 10.0 : total);  // a bad epoch now and then moves its counters
  else if (auto* lr = dynamic_cast<optim::LrScheduler*>(sched))
    lr->step();
}

std::vector<std::vector<float>> everything(const nn::Module<float>& m, const optim::Optimizer<float>& opt) {
  std::vector<std::vector<float>> out;
  for (const auto& [name, t] : m.state_dict()) out.push_back(t.to_vector());
  for (const auto& [name, arrays] : opt.state_dict().buffers)
    for (const auto& a : arrays) out.push_back(a);
  out.push_back({static_cast<float>(opt.lr())});
  return out;
}

}  // namespace

TEST_CASE("resuming from a checkpoint after epoch k is bitwise identical, for every optimizer and scheduler") {
  const Data d = make_data();
  const std::vector<std::pair<const char*, MakeOpt>> optimizers = {
      {"SGD", [](auto p) { return std::make_unique<optim::SGD<float>>(p, optim::SGDOptions{.lr = 0.05}); }},
      {"SGD nesterov", [](auto p) {
         return std::make_unique<optim::SGD<float>>(
             p, optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-3});
       }},
      {"SGD dampening", [](auto p) {
         return std::make_unique<optim::SGD<float>>(p, optim::SGDOptions{.lr = 0.05, .momentum = 0.5, .dampening = 0.2});
       }},
      {"Adam", [](auto p) { return std::make_unique<optim::Adam<float>>(p, optim::AdamOptions{.lr = 0.01}); }},
      {"Adam amsgrad", [](auto p) {
         return std::make_unique<optim::Adam<float>>(p, optim::AdamOptions{.lr = 0.01, .weight_decay = 0.01, .amsgrad = true});
       }},
      {"AdamW", [](auto p) { return std::make_unique<optim::AdamW<float>>(p, optim::AdamWOptions{.lr = 0.01}); }},
      {"RMSprop", [](auto p) {
         return std::make_unique<optim::RMSprop<float>>(p, optim::RMSpropOptions{.lr = 0.005, .momentum = 0.5, .centered = true});
       }},
      {"Adagrad", [](auto p) {
         return std::make_unique<optim::Adagrad<float>>(p, optim::AdagradOptions{.lr = 0.05, .lr_decay = 0.01});
       }},
  };
  const std::vector<std::pair<const char*, MakeSched>> schedulers = {
      {"none", [](auto&) { return std::unique_ptr<optim::Scheduler>(); }},
      {"StepLR", [](auto& o) { return std::make_unique<optim::StepLR>(o, 2, 0.5); }},
      {"CosineAnnealingLR", [](auto& o) { return std::make_unique<optim::CosineAnnealingLR>(o, 5, 1e-4); }},
      {"LinearWarmup", [](auto& o) { return std::make_unique<optim::LinearWarmup>(o, 3, 0.1); }},
      {"ReduceLROnPlateau", [](auto& o) {
         return std::make_unique<optim::ReduceLROnPlateau>(o, optim::PlateauOptions{.factor = 0.5, .patience = 0, .cooldown = 1});
       }},
  };
  const std::size_t epochs = 5, stop_after = 2;
  for (const auto& [opt_name, make_opt] : optimizers) {
    for (const auto& [sched_name, make_sched] : schedulers) {
      INFO(opt_name << " with " << sched_name);
      // Uninterrupted.
      auto model = make_model(1);
      auto opt = make_opt(model.parameters());
      auto sched = make_sched(*opt);
      for (std::size_t e = 0; e < epochs; ++e) train_epoch(e, model, *opt, sched.get(), d);
      const auto want = everything(model, *opt);

      // Stopped after `stop_after` epochs, saved, and resumed in fresh objects.
      {
        auto m1 = make_model(1);
        auto o1 = make_opt(m1.parameters());
        auto s1 = make_sched(*o1);
        for (std::size_t e = 0; e < stop_after; ++e) train_epoch(e, m1, *o1, s1.get(), d);
        optim::save_checkpoint(tmp("ckpt.bin"), m1, *o1, s1.get(), stop_after);
      }
      auto m2 = make_model(77);  // other initial weights and dropout seed: all overwritten
      auto o2 = make_opt(m2.parameters());
      auto s2 = make_sched(*o2);
      const std::uint64_t done = optim::load_checkpoint(tmp("ckpt.bin"), m2, *o2, s2.get());
      CHECK(done == stop_after);
      for (std::size_t e = done; e < epochs; ++e) train_epoch(e, m2, *o2, s2.get(), d);
      CHECK(everything(m2, *o2) == want);
      CHECK(o2->steps() == opt->steps());
      if (sched) CHECK(s2->state_dict() == sched->state_dict());
    }
  }
}

TEST_CASE("optimizer and scheduler state round trips: in memory and through separate files") {
  const Data d = make_data();
  auto model = make_model(2);
  optim::Adam<float> opt(model.parameters(), {.lr = 0.01, .amsgrad = true});
  optim::ReduceLROnPlateau sched(opt, {.patience = 0});
  train_epoch(0, model, opt, &sched, d);
  train_epoch(1, model, opt, &sched, d);
  const auto os = opt.state_dict();
  CHECK(os.name == "Adam");
  CHECK(os.steps == 6);
  REQUIRE(os.counters.size() == 1);
  CHECK(os.counters[0].first == "step");
  CHECK(os.counters[0].second == std::vector<std::uint64_t>(model.parameters().size(), 6));
  std::vector<std::string> buffers;
  for (const auto& [name, a] : os.buffers) buffers.push_back(name);
  CHECK(buffers == std::vector<std::string>{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"});

  auto other_model = make_model(2);
  optim::Adam<float> other(other_model.parameters(), {.lr = 0.01, .amsgrad = true});
  other.load_state_dict(os);
  CHECK(other.state_dict() == os);
  optim::save(opt, tmp("adam.bin"));
  optim::Adam<float> from_file(other_model.parameters(), {.lr = 0.01, .amsgrad = true});
  optim::load(from_file, tmp("adam.bin"));
  CHECK(from_file.state_dict() == os);

  optim::save(sched, tmp("plateau.bin"));
  optim::ReduceLROnPlateau sched2(from_file, {.patience = 0});
  optim::load(sched2, tmp("plateau.bin"));
  CHECK(sched2.state_dict() == sched.state_dict());
  CHECK(sched2.best() == sched.best());
  CHECK(sched2.epoch() == 2);

  // Restoring an epoch-indexed scheduler also sets the optimizer's rate for that step, so the
  // order of restoring optimizer and scheduler does not matter.
  optim::SGD<float> sgd(model.parameters(), {.lr = 0.1});
  optim::StepLR step(sgd, 1, 0.5);
  step.step();
  step.step();
  const auto st = step.state_dict();
  optim::SGD<float> sgd2(model.parameters(), {.lr = 0.1});
  optim::StepLR step2(sgd2, 1, 0.5);
  step2.load_state_dict(st);
  CHECK(sgd2.lr() == 0.025);
  CHECK(step2.epoch() == 2);
}

TEST_CASE("incompatible states are rejected with the difference named, and nothing changes") {
  auto model = make_model(3);
  optim::Adam<float> adam(model.parameters(), {.lr = 0.01});
  optim::SGD<float> sgd(model.parameters(), {.lr = 0.01, .momentum = 0.9});
  const auto adam_state = adam.state_dict();
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(adam_state), "SGD: load_state_dict: the state is from Adam, not SGD",
                       ValueError);
  optim::Adam<float> other_betas(model.parameters(), {.lr = 0.01, .beta2 = 0.99});
  CHECK_THROWS_WITH_AS(other_betas.load_state_dict(adam_state),
                       "Adam: load_state_dict: option beta2 is 0.999 in the state but 0.99 here", ValueError);
  optim::Adam<float> fewer({model.parameters()[0]}, {.lr = 0.01});
  CHECK_THROWS_WITH_AS(fewer.load_state_dict(adam_state),
                       "Adam: load_state_dict: the state has 6 parameters, this optimizer 1", ValueError);
  auto bad = adam_state;
  bad.buffers[1].second[0].pop_back();
  CHECK_THROWS_WITH_AS(adam.load_state_dict(bad),
                       "Adam: load_state_dict: buffers 'exp_avg_sq' of parameter 0 hold 63 values, the parameter has 64",
                       ValueError);
  bad = adam_state;
  bad.lr = std::nan("");
  CHECK_THROWS_WITH_AS(adam.load_state_dict(bad), "Adam: load_state_dict: learning rate nan is not in [0, inf)", ValueError);
  optim::StepLR step(sgd, 2);
  optim::CosineAnnealingLR cosine(sgd, 10);
  CHECK_THROWS_WITH_AS(step.load_state_dict(cosine.state_dict()),
                       "StepLR: load_state_dict: the state is from CosineAnnealingLR, not StepLR", ValueError);
  optim::StepLR step3(sgd, 3);
  CHECK_THROWS_WITH_AS(step.load_state_dict(step3.state_dict()),
                       "StepLR: load_state_dict: option step_size is 3 in the state but 2 here", ValueError);
  CHECK(sgd.state_dict().steps == 0);

  // Files: the same problems are FormatErrors naming the file.
  optim::save(adam, tmp("adam.bin"));
  CHECK_THROWS_WITH_AS(optim::load(other_betas, tmp("adam.bin")),
                       doctest::Contains("Adam state does not fit: option beta2 is 0.999 in the state but 0.99 here"),
                       FormatError);
  CHECK_THROWS_WITH_AS(optim::load(sgd, tmp("adam.bin")),
                       doctest::Contains("SGD state does not fit: the state is from Adam, not SGD"), FormatError);
  optim::Adam<double> adam_double({Tensor<double>::zeros(Shape{1}).requires_grad(true)});
  CHECK_THROWS_WITH_AS(optim::load(adam_double, tmp("adam.bin")),
                       doctest::Contains("optimizer state is float32 but the optimizer holds float64"), FormatError);
  CHECK_THROWS_WITH_AS(optim::load(step, tmp("adam.bin")),
                       doctest::Contains("file holds a 'grove.optim.Optimizer', expected a 'grove.optim.Scheduler'"),
                       FormatError);
  // Checkpoints: a scheduler must be given exactly when the file holds one.
  optim::save_checkpoint(tmp("ckpt.bin"), model, adam);
  CHECK_THROWS_WITH_AS(optim::load_checkpoint(tmp("ckpt.bin"), model, adam, &step),
                       doctest::Contains("a scheduler was given but the checkpoint holds none"), FormatError);
  auto wrong_model = make_model(3);
  Rng rng(1);
  wrong_model.add(nn::Linear<float>(3, 2, rng));
  CHECK_THROWS_WITH_AS(optim::load_checkpoint(tmp("ckpt.bin"), wrong_model, adam),
                       doctest::Contains("the module's parameter '5.weight' is missing from the file"), FormatError);
}

TEST_CASE("corrupt optimizer files and checkpoints are FormatErrors that change nothing") {
  const Data d = make_data();
  auto model = make_model(4);
  optim::RMSprop<float> opt(model.parameters(), {.lr = 0.01, .momentum = 0.3});
  optim::CosineAnnealingLR sched(opt, 4);
  train_epoch(0, model, opt, &sched, d);
  optim::save_checkpoint(tmp("good.bin"), model, opt, &sched, 1);
  std::ifstream f(tmp("good.bin"), std::ios::binary);
  const std::vector<unsigned char> good{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  auto target = make_model(5);
  optim::RMSprop<float> topt(target.parameters(), {.lr = 0.01, .momentum = 0.3});
  optim::CosineAnnealingLR tsched(topt, 4);
  const auto before = everything(target, topt);
  auto write = [](const std::string& path, const std::vector<unsigned char>& b) {
    std::ofstream o(path, std::ios::binary | std::ios::trunc);
    o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  };
  for (std::size_t cut = 0; cut < good.size(); cut += 37) {
    write(tmp("cut.bin"), std::vector<unsigned char>(good.begin(), good.begin() + static_cast<long>(cut)));
    CHECK_THROWS_AS(optim::load_checkpoint(tmp("cut.bin"), target, topt, &tsched), FormatError);
  }
  auto flipped = good;
  flipped[flipped.size() / 2] ^= 0x20;
  write(tmp("flip.bin"), flipped);
  CHECK_THROWS_WITH_AS(optim::load_checkpoint(tmp("flip.bin"), target, topt, &tsched),
                       doctest::Contains("checksum mismatch"), FormatError);
  // A well-formed checkpoint whose optimizer moments hold NaN.
  auto state = opt.state_dict();
  state.buffers[0].second[0][0] = std::numeric_limits<float>::quiet_NaN();
  io::BinaryWriter w;
  w.write<std::uint64_t>(1);
  detail::write_module_tensors(w, model);
  detail::write_optimizer_state(w, state);
  w.write<std::uint8_t>(0);
  w.save(tmp("nan.bin"), optim::kCheckpointKind, 1);
  CHECK_THROWS_WITH_AS(optim::load_checkpoint(tmp("nan.bin"), target, topt),
                       doctest::Contains("optimizer buffer 'square_avg' holds nan at element 0"), FormatError);
  CHECK(everything(target, topt) == before);
  CHECK(tsched.epoch() == 0);
  // And the good file loads.
  CHECK(optim::load_checkpoint(tmp("good.bin"), target, topt, &tsched) == 1);
  CHECK(tsched.epoch() == 1);
}

TEST_CASE("options out of range are rejected at the boundary; Adam with eps > 0 and a zero gradient stays finite") {
  auto p = Tensor<double>::from_vector({1.0, -2.0});
  p.requires_grad(true);
  const std::vector<Tensor<double>> ps{p};
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  // Zero gradients with eps = 0 would give 0 / 0: eps must be positive in every adaptive method.
  CHECK_THROWS_WITH_AS(optim::Adam<double>(ps, {.eps = 0}), "Adam: eps must be in (0, inf), got 0", ValueError);
  CHECK_THROWS_WITH_AS(optim::AdamW<double>(ps, {.eps = -1e-8}), "AdamW: eps must be in (0, inf), got -1e-08", ValueError);
  CHECK_THROWS_WITH_AS(optim::RMSprop<double>(ps, {.eps = 0}), "RMSprop: eps must be in (0, inf), got 0", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adagrad<double>(ps, {.eps = 0}), "Adagrad: eps must be in (0, inf), got 0", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<double>(ps, {.eps = inf}), "Adam: eps must be in (0, inf), got inf", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<double>(ps, {.lr = nan}), "Adam: lr must be in [0, inf), got nan", ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD<double>(ps, {.lr = inf}), "SGD: lr must be in [0, inf), got inf", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<double>(ps, {.beta1 = -0.1}), "Adam: beta1 must be in [0, 1), got -0.1", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam<double>(ps, {.weight_decay = nan}), "Adam: weight_decay must be in [0, inf), got nan",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::RMSprop<double>(ps, {.momentum = -0.5}), "RMSprop: momentum must be in [0, inf), got -0.5",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::RMSprop<double>(ps, {.weight_decay = -1}),
                       "RMSprop: weight_decay must be in [0, inf), got -1", ValueError);
  CHECK_THROWS_WITH_AS(optim::Adagrad<double>(ps, {.initial_accumulator_value = -1}),
                       "Adagrad: initial_accumulator_value must be in [0, inf), got -1", ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD<double>(ps, {.weight_decay = -1}), "SGD: weight_decay must be in [0, inf), got -1",
                       ValueError);
  optim::SGD<double> sgd(ps, {.lr = 0.1});
  CHECK_THROWS_WITH_AS(optim::StepLR(sgd, 1, -0.5), "StepLR: gamma must be in [0, inf), got -0.5", ValueError);
  CHECK_THROWS_WITH_AS(optim::CosineAnnealingLR(sgd, 5, nan), "CosineAnnealingLR: eta_min must be in [0, inf), got nan",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::LinearWarmup(sgd, 5, 0.0), "LinearWarmup: start_factor must be in (0, 1], got 0", ValueError);
  CHECK_THROWS_WITH_AS(optim::ReduceLROnPlateau(sgd, {.factor = 0.0}), "ReduceLROnPlateau: factor must be in (0, 1), got 0",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::ReduceLROnPlateau(sgd, {.threshold = -1}),
                       "ReduceLROnPlateau: threshold must be in [0, inf), got -1", ValueError);
  CHECK_THROWS_WITH_AS(optim::ReduceLROnPlateau(sgd, {.min_lr = inf}), "ReduceLROnPlateau: min_lr must be in [0, inf), got inf",
                       ValueError);
  CHECK_THROWS_WITH_AS(optim::ReduceLROnPlateau(sgd, {.eps = -1}), "ReduceLROnPlateau: eps must be in [0, inf), got -1",
                       ValueError);
  // The smallest allowed eps with a gradient that is exactly zero: parameters do not move.
  for (auto make : std::vector<std::function<std::unique_ptr<optim::Optimizer<double>>()>>{
           [&] { return std::make_unique<optim::Adam<double>>(ps, optim::AdamOptions{.eps = 1e-300}); },
           [&] { return std::make_unique<optim::RMSprop<double>>(ps, optim::RMSpropOptions{.eps = 1e-300}); },
           [&] { return std::make_unique<optim::Adagrad<double>>(ps, optim::AdagradOptions{.eps = 1e-300}); }}) {
    auto opt = make();
    for (int s = 0; s < 3; ++s) {
      opt->zero_grad();
      (p * 0.0).sum().backward();
      opt->step();
    }
    CHECK(p.to_vector() == std::vector<double>{1.0, -2.0});
  }
}

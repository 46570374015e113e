// A tiny denoising diffusion model (DDPM, Ho et al. 2020) on a 2-D "two moons" dataset,
// trained with grove's autograd, nn and optim; it shows the autograd is general.
//
//   forward process  x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps,  cosine schedule, T steps
//   model            MLP(x_t, sinusoidal embedding of t) -> predicted eps
//   loss             mean squared error between eps and the prediction (Adam)
//   sampling         ancestral: x_T ~ N(0, I), then x_{t-1} from the model's posterior mean
//                    plus sigma_t z, sigma_t^2 = beta_t (1 - abar_{t-1}) / (1 - abar_t)
//
// At the end it prints how close the samples are to the data: the energy distance to a
// held-out set of real points and the mean nearest-neighbour distances in both directions,
// next to the same numbers for fresh real data (the floor) and for plain Gaussian noise (what
// an untrained model gives). It writes diffusion_2d.svg: data | samples | loss curve.
//
// Usage: grove-diffusion-2d [--steps N] [--out FILE.svg] [--seed S] [--threads N]
// (default 6000 steps, one thread: the matrices are small, so a second thread costs more in
// hand-offs than it saves)

#include <grove/autograd.hpp>
#include <grove/core/parallel.hpp>
#include <grove/core/rng.hpp>
#include <grove/nn.hpp>
#include <grove/optim.hpp>
#include <grove/tensor.hpp>
// After nn.hpp: io/binary.hpp (pulled in by nn) must be parsed before io/svg.hpp declares
// grove::io::detail, or binary.hpp's unqualified detail:: calls no longer find grove::detail.
#include <grove/io/svg.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

namespace {

using grove::Tensor;
using Points = std::vector<std::pair<double, double>>;

constexpr std::size_t kT = 100;       // diffusion steps
constexpr std::size_t kEmbed = 16;    // sinusoidal timestep features
constexpr std::size_t kHidden = 128;

/// Two interleaving half circles with a little Gaussian noise, scaled to roughly unit variance.
Points two_moons(std::size_t n, grove::Rng& rng) {
  Points p(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = std::numbers::pi * rng.uniform();
    double x, y;
    if (i % 2 == 0) x = std::cos(a), y = std::sin(a);
    else x = 1.0 - std::cos(a), y = 0.5 - std::sin(a);
    x += 0.06 * rng.normal();
    y += 0.06 * rng.normal();
    p[i] = {(x - 0.5) / 0.87, (y - 0.25) / 0.5};  // centred, about unit spread
  }
  return p;
}

/// The cosine schedule (Nichol & Dhariwal 2021): abar(t) = cos^2(((t/T) + s) / (1 + s) * pi/2).
struct Schedule {
  std::vector<double> beta, alpha, abar;  // index 1..T (0 unused; abar[0] = 1)
  Schedule() : beta(kT + 1), alpha(kT + 1), abar(kT + 1) {
    auto f = [](double t) {
      const double s = 0.008;
      const double c = std::cos((t / kT + s) / (1 + s) * std::numbers::pi / 2);
      return c * c;
    };
    abar[0] = 1;
    for (std::size_t t = 1; t <= kT; ++t) {
      beta[t] = std::min(0.999, 1 - f(static_cast<double>(t)) / f(static_cast<double>(t - 1)));
      alpha[t] = 1 - beta[t];
      abar[t] = abar[t - 1] * alpha[t];
    }
  }
};

/// Model input for a batch: the point followed by sin/cos features of the timestep.
void put_input(float* row, double x, double y, std::size_t t) {
  row[0] = static_cast<float>(x);
  row[1] = static_cast<float>(y);
  for (std::size_t k = 0; k < kEmbed / 2; ++k) {
    const double freq = std::pow(100.0, -static_cast<double>(k) / (kEmbed / 2 - 1));  // 1 .. 1/100
    row[2 + 2 * k] = static_cast<float>(std::sin(static_cast<double>(t) * freq));
    row[3 + 2 * k] = static_cast<float>(std::cos(static_cast<double>(t) * freq));
  }
}

double dist(const std::pair<double, double>& a, const std::pair<double, double>& b) {
  return std::hypot(a.first - b.first, a.second - b.second);
}

/// Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (0 iff the distributions agree).
double energy_distance(const Points& a, const Points& b) {
  auto mean_d = [](const Points& p, const Points& q) {
    double s = 0;
    for (const auto& u : p)
      for (const auto& v : q) s += dist(u, v);
    return s / static_cast<double>(p.size() * q.size());
  };
  return 2 * mean_d(a, b) - mean_d(a, a) - mean_d(b, b);
}

/// Mean distance from each point of `from` to its nearest neighbour in `to`.
double mean_nn(const Points& from, const Points& to) {
  double s = 0;
  for (const auto& u : from) {
    double best = 1e300;
    for (const auto& v : to) best = std::min(best, dist(u, v));
    s += best;
  }
  return s / static_cast<double>(from.size());
}

/// Scatter plot of points into the panel at (x0, y0) of size w x h, data range [-2.5, 2.5]^2.
void scatter(grove::io::SvgDocument& doc, const Points& p, double x0, double y0, double w, double h,
             const std::string& color, const std::string& title) {
  doc.rect(x0, y0, w, h, {.stroke = "#999", .fill = "#fff", .stroke_width = 1});
  doc.text(x0 + w / 2, y0 - 10, title, {.size = 15, .anchor = "middle"});
  for (const auto& [x, y] : p) {
    const double px = x0 + (x + 2.5) / 5.0 * w, py = y0 + (2.5 - y) / 5.0 * h;
    if (px > x0 && px < x0 + w && py > y0 && py < y0 + h) doc.circle(px, py, 1.6, {.stroke = "", .fill = color, .opacity = 0.6});
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t steps = 6000;
  std::string out = "diffusion_2d.svg";
  std::uint64_t seed = 1;
  std::size_t threads = 1;
  constexpr const char* usage =
      "usage: grove-diffusion-2d [--steps N] [--out FILE.svg] [--seed S] [--threads N]\n"
      "Trains a small denoising diffusion model on 2-D two-moons data and draws samples to an SVG.\n"
      "  --steps N        training steps (default 6000)\n"
      "  --out FILE.svg   the plot (default diffusion_2d.svg)\n"
      "  --seed S         data, weights and sampling (default 1)\n"
      "  --threads N      threads (default 1)\n"
      "  -h, --help       this text\n";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else if (a == "--steps" && has_value) {
      steps = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--out" && has_value) {
      out = argv[++i];
    } else if (a == "--seed" && has_value) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--threads" && has_value) {
      threads = std::strtoul(argv[++i], nullptr, 10);
    } else {
      const bool known = a == "--steps" || a == "--out" || a == "--seed" || a == "--threads";
      std::fprintf(stderr, "grove-diffusion-2d: %s '%s'\n%s", known ? "missing value after" : "unknown option",
                   a.c_str(), usage);
      return 2;
    }
  }
  if (steps == 0 || threads == 0) {
    std::fprintf(stderr, "grove-diffusion-2d: --steps and --threads must be >= 1\n");
    return 2;
  }
  grove::set_num_threads(threads);
  const auto t0 = std::chrono::steady_clock::now();
  grove::Rng rng(seed);
  const Points train = two_moons(4000, rng), held_out = two_moons(1000, rng);
  const Schedule sch;

  grove::nn::Sequential<float> net{grove::nn::Linear<float>(2 + kEmbed, kHidden, rng), grove::nn::GELU(),
                                   grove::nn::Linear<float>(kHidden, kHidden, rng), grove::nn::GELU(),
                                   grove::nn::Linear<float>(kHidden, kHidden, rng), grove::nn::GELU(),
                                   grove::nn::Linear<float>(kHidden, 2, rng)};
  grove::optim::Adam<float> opt(net.parameters(), {.lr = 2e-3});
  grove::optim::CosineAnnealingLR lr_schedule(opt, steps, 1e-4);

  // Training: a random timestep and noise per example; predict the noise.
  const std::size_t batch = 256, d_in = 2 + kEmbed;
  std::vector<float> xin(batch * d_in), eps(batch * 2);
  std::vector<double> losses;
  for (std::size_t step = 0; step < steps; ++step) {
    for (std::size_t b = 0; b < batch; ++b) {
      const auto& [x0, y0] = train[rng.below(train.size())];
      const std::size_t t = 1 + rng.below(kT);
      const double e1 = rng.normal(), e2 = rng.normal();
      const double sa = std::sqrt(sch.abar[t]), sb = std::sqrt(1 - sch.abar[t]);
      put_input(&xin[b * d_in], sa * x0 + sb * e1, sa * y0 + sb * e2, t);
      eps[2 * b] = static_cast<float>(e1);
      eps[2 * b + 1] = static_cast<float>(e2);
    }
    opt.zero_grad();
    Tensor<float> loss = grove::nn::mse_loss(net(Tensor<float>::from_vector(xin, grove::Shape{batch, d_in})),
                                             Tensor<float>::from_vector(eps, grove::Shape{batch, 2}));
    loss.backward();
    opt.step();
    lr_schedule.step();
    losses.push_back(loss.item());
    if ((step + 1) % 1000 == 0) {
      double m = 0;
      for (std::size_t i = losses.size() - 1000; i < losses.size(); ++i) m += losses[i] / 1000;
      std::fprintf(stderr, "step %zu/%zu  loss (mean of last 1000) %.4f\n", step + 1, steps, m);
    }
  }
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Ancestral sampling of n points, all chains in one batch.
  const std::size_t n = held_out.size();
  Points samples(n), gaussian(n);
  for (std::size_t i = 0; i < n; ++i) {
    samples[i] = {rng.normal(), rng.normal()};
    gaussian[i] = {rng.normal(), rng.normal()};
  }
  {
    grove::NoGradGuard no_grad;
    net.eval();
    std::vector<float> in(n * d_in);
    for (std::size_t t = kT; t >= 1; --t) {
      for (std::size_t i = 0; i < n; ++i) put_input(&in[i * d_in], samples[i].first, samples[i].second, t);
      const Tensor<float> e = net(Tensor<float>::from_vector(in, grove::Shape{n, d_in}));
      const double coef = sch.beta[t] / std::sqrt(1 - sch.abar[t]);
      const double sigma = t > 1 ? std::sqrt(sch.beta[t] * (1 - sch.abar[t - 1]) / (1 - sch.abar[t])) : 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        auto& [x, y] = samples[i];
        x = (x - coef * e.data()[2 * i]) / std::sqrt(sch.alpha[t]) + sigma * rng.normal();
        y = (y - coef * e.data()[2 * i + 1]) / std::sqrt(sch.alpha[t]) + sigma * rng.normal();
      }
    }
  }
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // How close are the samples to the data? Compare with fresh data (the floor) and noise.
  const Points reference = two_moons(n, rng);  // another independent draw of real data
  const Points train_sub(train.begin(), train.begin() + static_cast<std::ptrdiff_t>(n));
  const double ed_model = energy_distance(samples, held_out), ed_real = energy_distance(reference, held_out),
               ed_gauss = energy_distance(gaussian, held_out);
  const double nn_model = mean_nn(samples, train_sub), nn_real = mean_nn(reference, train_sub),
               nn_gauss = mean_nn(gaussian, train_sub);
  const double cov_model = mean_nn(held_out, samples), cov_real = mean_nn(held_out, reference),
               cov_gauss = mean_nn(held_out, gaussian);

  std::printf("DDPM on two moons: T = %zu (cosine schedule), MLP 18-%zu-%zu-%zu-2 (GELU), %zu Adam steps of %zu, %zu thread%s\n",
              kT, kHidden, kHidden, kHidden, steps, batch, threads, threads > 1 ? "s" : "");
  std::printf("training %.1f s, sampling %zu points %.1f s, final loss (mean of last 500 steps) %.4f\n\n", train_s, n,
              total_s - train_s, [&] {
                double m = 0;
                const std::size_t k = std::min<std::size_t>(500, losses.size());
                for (std::size_t i = losses.size() - k; i < losses.size(); ++i) m += losses[i] / static_cast<double>(k);
                return m;
              }());
  std::printf("%-34s %12s %12s %12s\n", "criterion (smaller = closer)", "model", "real data", "N(0, I)");
  std::printf("%-34s %12.4f %12.4f %12.4f\n", "energy distance to held-out data", ed_model, ed_real, ed_gauss);
  std::printf("%-34s %12.4f %12.4f %12.4f\n", "mean NN distance, point -> data", nn_model, nn_real, nn_gauss);
  std::printf("%-34s %12.4f %12.4f %12.4f\n", "mean NN distance, held-out -> pts", cov_model, cov_real, cov_gauss);
  std::printf("\nratio model / real data: NN distance %.2f, coverage %.2f (1 = indistinguishable at this sample size);"
              "\nGaussian noise / real data: NN distance %.2f, coverage %.2f\n",
              nn_model / nn_real, cov_model / cov_real, nn_gauss / nn_real, cov_gauss / cov_real);

  // Figure: data | samples | loss curve.
  grove::io::SvgDocument doc(1260, 460);
  doc.text(630, 24, "DDPM on two moons with grove (T = 100, cosine schedule)", {.size = 17, .anchor = "middle", .weight = "bold"});
  scatter(doc, held_out, 30, 60, 360, 360, "#1f77b4", "data (held out)");
  scatter(doc, samples, 440, 60, 360, 360, "#d62728", "generated samples");
  char note[160];
  std::snprintf(note, sizeof note, "energy distance %.4f (real data %.4f, Gaussian %.4f)", ed_model, ed_real, ed_gauss);
  doc.text(620, 445, note, {.size = 12, .anchor = "middle"});
  // Loss curve: mean over windows of 50 steps, log scale.
  const double lx = 880, ly = 60, lw = 350, lh = 360;
  doc.rect(lx, ly, lw, lh, {.stroke = "#999", .fill = "#fff", .stroke_width = 1});
  doc.text(lx + lw / 2, ly - 10, "training loss (MSE on the noise)", {.size = 15, .anchor = "middle"});
  std::vector<double> smooth;
  for (std::size_t i = 0; i + 50 <= losses.size(); i += 50) {
    double m = 0;
    for (std::size_t j = i; j < i + 50; ++j) m += losses[j] / 50;
    smooth.push_back(m);
  }
  if (smooth.size() >= 2) {
    double lo = *std::min_element(smooth.begin(), smooth.end()), hi = *std::max_element(smooth.begin(), smooth.end());
    lo = std::log10(lo) - 0.02, hi = std::log10(hi) + 0.02;
    Points pts;
    for (std::size_t i = 0; i < smooth.size(); ++i)
      pts.push_back({lx + lw * static_cast<double>(i) / static_cast<double>(smooth.size() - 1),
                     ly + lh * (hi - std::log10(smooth[i])) / (hi - lo)});
    doc.polyline(pts, {.stroke = "#2ca02c", .fill = "", .stroke_width = 2});
    char lbl[64];
    std::snprintf(lbl, sizeof lbl, "%.3f", std::pow(10.0, hi));
    doc.text(lx + 4, ly + 14, lbl, {.size = 11});
    std::snprintf(lbl, sizeof lbl, "%.3f", std::pow(10.0, lo));
    doc.text(lx + 4, ly + lh - 4, lbl, {.size = 11});
    std::snprintf(lbl, sizeof lbl, "step %zu", steps);
    doc.text(lx + lw - 4, ly + lh + 16, lbl, {.size = 11, .anchor = "end"});
    doc.text(lx, ly + lh + 16, "step 0   (y: log scale)", {.size = 11});
  }
  doc.save(out);
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

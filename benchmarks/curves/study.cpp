// The curve-extrapolation study (issue 19), LCDB protocol: each cached learning curve (written by
// grove-curves) is cut at N (powers of two from 64); the anchors up to N are projected to 2N, 4N
// and 10N and compared with the scores measured there on the same folds. Methods: "last score"
// (no change), plain pow3 (one power law with a floor), grove's power law before issue 19, and
// grove's projection (project_curve defaults); with --variants, the candidate rules too.
//
//   grove-curves-study --curves build/curves/curves.csv [--cases cases.csv] [--variants]
//                      [--old a,b,...] [--fresh a,b,...] [--hide-fresh]
//
// Three groups of data sets, reported separately: development (the rule and the interval scale
// were chosen on them), "old held-out" (held out in the first round, seen since) and "fresh
// held-out" (never looked at while the rule was chosen; --hide-fresh leaves them out entirely,
// which is how the rule was developed).
#include <grove/diagnostics/diagnose.hpp>
#include <grove/diagnostics/plot.hpp>
#include <grove/diagnostics/power_law.hpp>
#include <grove/diagnostics/projection.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace grove;

namespace {

struct Args {
  std::string curves = "build/curves/curves.csv";
  std::string cases;
  bool variants = false;
  std::string debug;  // dataset/learner/N: print the fits of that case
  std::string svg;    // directory: one chart per curve cut at its largest N (with the truths beyond)
  std::set<std::string> old = {"fashion_mnist", "digits", "churn", "cells", "ames"};
  std::set<std::string> fresh = {"concrete", "credit_data", "dna", "german_credit", "health_insurance",
                                 "hmda", "hpc_data", "vehicle", "vowel", "wvs"};
  bool hide_fresh = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "grove-curves-study: %s\nusage: grove-curves-study [--curves CSV] [--cases OUT.csv] [--variants] "
               "[--old a,b,...] [--fresh a,b,...] [--hide-fresh]\n",
               why.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      std::printf("grove-curves-study: projections of cached learning curves against the measured scores\n"
                  "usage: grove-curves-study [--curves CSV] [--cases OUT.csv] [--variants] [--old a,b,...] [--fresh a,b,...]\n"
                  "                          [--hide-fresh] [--svg DIR]\n"
                  "                          [--debug DATASET/LEARNER/N]\n");
      std::exit(0);
    }
    if (k == "--variants" || k == "--hide-fresh") {
      (k == "--variants" ? a.variants : a.hide_fresh) = true;
      continue;
    }
    if (i + 1 >= argc) usage("missing value after " + k);
    const std::string v = argv[++i];
    if (k == "--curves") a.curves = v;
    else if (k == "--debug") a.debug = v;
    else if (k == "--svg") a.svg = v;
    else if (k == "--cases") a.cases = v;
    else if (k == "--old" || k == "--fresh") {
      auto& set = k == "--old" ? a.old : a.fresh;
      set.clear();
      std::stringstream ss(v);
      for (std::string s; std::getline(ss, s, ',');) set.insert(s);
    } else usage("unknown option " + k);
  }
  return a;
}

struct Curve {
  std::string dataset, learner;
  diag::LearningCurve lc;  // every anchor
  std::vector<std::size_t> cuts;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, sep);) out.push_back(x);
  return out;
}

std::vector<Curve> read_curves(const std::string& path) {
  std::ifstream f(path);
  if (!f) usage("cannot read " + path + " (run grove-curves first)");
  std::string line;
  std::getline(f, line);
  std::map<std::string, Curve> by_key;
  std::map<std::string, std::map<std::size_t, std::map<std::size_t, std::array<double, 3>>>> cells;
  std::vector<std::string> order;
  while (std::getline(f, line)) {
    const auto c = split(line, ',');
    if (c.size() < 12) continue;
    const std::string key = c[0] + "/" + c[1];
    if (!by_key.count(key)) {
      Curve cv;
      cv.dataset = c[0], cv.learner = c[1];
      const diag::Scorer sc = diag::make_scorer(c[2]);
      cv.lc.scoring = sc.name, cv.lc.greater_is_better = sc.greater_is_better, cv.lc.optimum = sc.optimum;
      cv.lc.baseline_score = c[3].empty() ? std::nan("") : std::stod(c[3]);
      cv.lc.n_samples = std::stoul(c[4]);
      cv.lc.folds = std::stoul(c[5]);
      for (const auto& s : split(c[6], ' '))
        if (!s.empty()) cv.cuts.push_back(std::stoul(s));
      by_key[key] = cv;
      order.push_back(key);
    }
    cells[key][std::stoul(c[7])][std::stoul(c[8])] = {std::stod(c[9]), std::stod(c[10]), std::stod(c[11])};
  }
  std::vector<Curve> out;
  for (const auto& key : order) {
    Curve cv = by_key[key];
    for (const auto& [n, folds] : cells[key]) {
      cv.lc.train_sizes.push_back(n);
      std::vector<double> tr, va, ft;
      for (const auto& [fold, v] : folds) tr.push_back(v[0]), va.push_back(v[1]), ft.push_back(v[2]);
      auto ms = [](const std::vector<double>& v, double& m, double& s) {
        m = 0;
        for (double x : v) m += x / static_cast<double>(v.size());
        s = 0;
        for (double x : v) s += (x - m) * (x - m) / static_cast<double>(v.size());
        s = std::sqrt(s);
      };
      double m, s;
      ms(tr, m, s);
      cv.lc.train_mean.push_back(m), cv.lc.train_std.push_back(s);
      ms(va, m, s);
      cv.lc.val_mean.push_back(m), cv.lc.val_std.push_back(s);
      cv.lc.train_scores.push_back(tr), cv.lc.val_scores.push_back(va), cv.lc.fit_times.push_back(ft);
    }
    out.push_back(std::move(cv));
  }
  return out;
}

bool on_grid(std::size_t n) {
  for (int k = 0; k < 80; ++k) {
    const auto g = static_cast<std::size_t>(std::ceil(16.0 * std::pow(2.0, k / 2.0) - 1e-9));
    if (g == n) return true;
    if (g > n) return false;
  }
  return false;
}

/// The curve restricted to the grid anchors up to `cut`.
diag::LearningCurve truncate(const diag::LearningCurve& lc, std::size_t cut) {
  diag::LearningCurve t = lc;
  t.train_sizes.clear(), t.train_mean.clear(), t.train_std.clear(), t.val_mean.clear(), t.val_std.clear();
  t.train_scores.clear(), t.val_scores.clear(), t.fit_times.clear();
  for (std::size_t i = 0; i < lc.train_sizes.size(); ++i)
    if (lc.train_sizes[i] <= cut && on_grid(lc.train_sizes[i])) {
      t.train_sizes.push_back(lc.train_sizes[i]);
      t.train_mean.push_back(lc.train_mean[i]), t.train_std.push_back(lc.train_std[i]);
      t.val_mean.push_back(lc.val_mean[i]), t.val_std.push_back(lc.val_std[i]);
      t.train_scores.push_back(lc.train_scores[i]), t.val_scores.push_back(lc.val_scores[i]);
      t.fit_times.push_back(lc.fit_times[i]);
    }
  return t;
}

double value_at(const diag::LearningCurve& lc, std::size_t n, const std::vector<double>& v) {
  for (std::size_t i = 0; i < lc.train_sizes.size(); ++i)
    if (lc.train_sizes[i] == n) return v[i];
  return std::nan("");
}

constexpr int kHorizons[3] = {2, 4, 10};

/// One projected case: a curve cut at N, a horizon, the truth and each method's projection.
struct Case {
  std::string dataset, learner;
  std::size_t cut = 0;
  int horizon = 0;
  std::string group;  // "development", "old held-out" or "fresh held-out"
  double truth = 0, last = 0, pow3 = 0, before = 0, grove = 0, lo = 0, hi = 0, sd = 0;
  double truth_time = 0, projected_time = 0;
  bool reliable = true;        // the whole projection
  bool reliable_here = true;   // the projection at this horizon (Projection::reliable_at)
  std::string reason;          // why not (reason_at), or the 10x caveat (Projection::far_note)
  std::vector<double> variants;
};

struct Variant {
  std::string name;
  diag::ProjectionOptions options;
};

std::vector<Variant> variant_list() {
  using diag::CombineRule;
  using diag::CurveFamily;
  std::vector<Variant> v;
  for (CurveFamily f : diag::all_curve_families()) v.push_back({std::string("only ") + diag::to_string(f), {.families = {f}}});
  const std::vector<CurveFamily> four = {CurveFamily::Pow3, CurveFamily::Pow4, CurveFamily::Mmf4, CurveFamily::Wbl4};
  for (CombineRule r : {CombineRule::Average, CombineRule::Median, CombineRule::BestHoldout, CombineRule::WeightedHoldout})
    v.push_back({std::string("4 fam ") + diag::to_string(r), {.families = four, .rule = r}});
  v.push_back({"all fam average", {.families = diag::all_curve_families(), .rule = CombineRule::Average}});
  v.push_back({"all fam weighted", {.families = diag::all_curve_families(), .rule = CombineRule::WeightedHoldout}});
  v.push_back({"4 fam avg, no train floor", {.families = four, .rule = CombineRule::Average, .floor_from_train = false}});
  v.push_back({"4 fam avg, n >= N/16", {.families = four, .rule = CombineRule::Average, .min_size_fraction = 1.0 / 16}});
  v.push_back({"4 fam avg, n >= N/8", {.families = four, .rule = CombineRule::Average, .min_size_fraction = 1.0 / 8}});
  v.push_back({"4 fam avg, size weight 1", {.families = four, .rule = CombineRule::Average, .size_weight = 1.0}});
  for (double sw : {1.0, 2.0})
    for (double frac : {0.0, 1.0 / 16, 1.0 / 8})
      for (CombineRule r : {CombineRule::Average, CombineRule::Median, CombineRule::WeightedHoldout}) {
        char name[96];
        std::snprintf(name, sizeof name, "sw%.0f frac%.3f %s", sw, frac, diag::to_string(r));
        v.push_back({name, {.families = four, .rule = r, .min_size_fraction = frac, .size_weight = sw}});
        std::snprintf(name, sizeof name, "sw%.0f frac%.3f %s pow3+pow4", sw, frac, diag::to_string(r));
        v.push_back({name, {.families = {CurveFamily::Pow3, CurveFamily::Pow4}, .rule = r, .min_size_fraction = frac, .size_weight = sw}});
      }
  for (double frac : {0.0, 1.0 / 8, 1.0 / 4})
    for (double sw : {0.0, 1.0})
      for (CombineRule r : {CombineRule::Average, CombineRule::WeightedHoldout, CombineRule::BestHoldout}) {
        char name[96];
        std::snprintf(name, sizeof name, "P2 sw%.0f frac%.3f %s pow2+pow3+pow4", sw, frac, diag::to_string(r));
        v.push_back({name, {.families = {CurveFamily::Pow2, CurveFamily::Pow3, CurveFamily::Pow4}, .rule = r, .min_size_fraction = frac, .size_weight = sw}});
        std::snprintf(name, sizeof name, "P2 sw%.0f frac%.3f %s pow2+pow4+mmf4", sw, frac, diag::to_string(r));
        v.push_back({name, {.families = {CurveFamily::Pow2, CurveFamily::Pow4, CurveFamily::Mmf4}, .rule = r, .min_size_fraction = frac, .size_weight = sw}});
        std::snprintf(name, sizeof name, "P2 sw%.0f frac%.3f %s all", sw, frac, diag::to_string(r));
        v.push_back({name, {.families = diag::all_curve_families(), .rule = r, .min_size_fraction = frac, .size_weight = sw}});
        std::snprintf(name, sizeof name, "P2 sw%.0f frac%.3f %s pow2", sw, frac, diag::to_string(r));
        v.push_back({name, {.families = {CurveFamily::Pow2}, .rule = r, .min_size_fraction = frac, .size_weight = sw}});
      }
  v.push_back({"sw1 only pow3", {.families = {CurveFamily::Pow3}, .size_weight = 1.0}});
  v.push_back({"sw1 only pow4", {.families = {CurveFamily::Pow4}, .size_weight = 1.0}});
  v.push_back({"sw1 only mmf4", {.families = {CurveFamily::Mmf4}, .size_weight = 1.0}});
  v.push_back({"sw1 only wbl4", {.families = {CurveFamily::Wbl4}, .size_weight = 1.0}});
  v.push_back({"pow3+pow4+mmf4 avg", {.families = {CurveFamily::Pow3, CurveFamily::Pow4, CurveFamily::Mmf4}}});
  v.push_back({"pow4+mmf4+wbl4 avg", {.families = {CurveFamily::Pow4, CurveFamily::Mmf4, CurveFamily::Wbl4}}});
  return v;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double t = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - t) + v[i + 1] * t : v[i];
}

std::string f4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  const auto curves = read_curves(args.curves);
  const auto variants = args.variants ? variant_list() : std::vector<Variant>{};
  std::vector<Case> cases;
  for (const auto& cv : curves) {
    if (args.hide_fresh && args.fresh.count(cv.dataset)) continue;
    for (std::size_t cut : cv.cuts) {
      const diag::LearningCurve t = truncate(cv.lc, cut);
      const diag::Projection pr = diag::project_curve(t);
      const diag::Diagnosis dg = diag::diagnose(t);
      if (!args.svg.empty() && cut == cv.cuts.back()) {
        diag::write_svg(t, args.svg + "/" + cv.dataset + "_" + cv.learner + ".svg",
                        {.title = cv.dataset + " / " + cv.learner + ": cut at " + std::to_string(cut), .diagnosis = &dg});
      }
      if (args.debug == cv.dataset + "/" + cv.learner + "/" + std::to_string(cut)) {
        for (std::size_t i = 0; i < t.size(); ++i)
          std::printf("n %zu err %.4f se %.4f train_err %.4f\n", t.train_sizes[i], t.error(t.val_mean[i]),
                      t.val_std[i] / std::sqrt(double(t.folds)), t.error(t.train_mean[i]));
        for (std::size_t f = 0; f < pr.fits.size(); ++f)
          std::printf("%s ok %d c %.4f A %.4f theta %.4g %.4g rss %.4g hold %.4f w %.3f  at 10x %.4f\n",
                      diag::to_string(pr.fits[f].family), pr.fits[f].ok, pr.fits[f].c, pr.fits[f].A, pr.fits[f].theta[0],
                      pr.fits[f].theta[1], pr.fits[f].rss, pr.holdout_errors[f], pr.family_weights[f],
                      pr.fits[f].predict(10.0 * double(cut)));
      }
      const diag::Projection p3 = diag::project_curve(
          t, {.families = {diag::CurveFamily::Pow3}, .rule = diag::CombineRule::Average, .min_size_fraction = 0, .size_weight = 0});
      // grove before issue 19: weighted pow3 by fit_power_law, training-error floor, n-weighted.
      std::vector<double> n, e, w;
      const double k = static_cast<double>(t.folds);
      for (std::size_t i = 0; i < t.size(); ++i) {
        n.push_back(static_cast<double>(t.train_sizes[i]));
        e.push_back(t.error(t.val_mean[i]));
        const double se = std::max(t.val_std[i] / std::sqrt(k), 1e-4);
        w.push_back((n.back() / static_cast<double>(cut)) / (se * se));
      }
      const diag::PowerLawFit before = diag::fit_power_law(n, e, w, t.error(t.train_mean.back()));
      std::vector<diag::Projection> vp;
      for (const auto& v : variants) vp.push_back(diag::project_curve(t, v.options));
      for (int h : kHorizons) {
        const std::size_t nn = cut * static_cast<std::size_t>(h);
        Case c;
        c.dataset = cv.dataset, c.learner = cv.learner, c.cut = cut, c.horizon = h;
        c.group = args.fresh.count(cv.dataset) ? "fresh held-out" : args.old.count(cv.dataset) ? "old held-out" : "development";
        c.truth = value_at(cv.lc, nn, cv.lc.val_mean);
        if (std::isnan(c.truth)) continue;
        c.last = t.val_mean.back();
        const auto g = pr.at(static_cast<double>(nn));
        c.grove = g.score, c.lo = g.lo, c.hi = g.hi, c.sd = pr.error_sd(static_cast<double>(nn));
        c.reliable = pr.reliable, c.reliable_here = pr.reliable_at(static_cast<double>(nn));
        c.reason = pr.reason_at(static_cast<double>(nn));
        if (c.reliable_here && h == 10 && !pr.far_note.empty()) c.reason = "10x caveat: " + pr.far_note;
        if (c.reliable_here && h == 10 && dg.stays_below_trivial)
          c.reason += (c.reason.empty() ? "" : "; ") + std::string("below a trivial model, also at 10x: more data called no help");
        c.pow3 = p3.at(static_cast<double>(nn)).score;
        c.before = t.score(before.predict(static_cast<double>(nn)));
        double tt = 0;
        const auto& ft = cv.lc.fit_times;
        for (std::size_t i = 0; i < cv.lc.train_sizes.size(); ++i)
          if (cv.lc.train_sizes[i] == nn)
            for (double x : ft[i]) tt += x / static_cast<double>(ft[i].size());
        c.truth_time = tt;
        c.projected_time = pr.fit_seconds(static_cast<double>(nn));
        for (const auto& p : vp) c.variants.push_back(p.at(static_cast<double>(nn)).score);
        cases.push_back(c);
      }
    }
  }

  if (!args.cases.empty()) {
    std::ofstream f(args.cases);
    f << "dataset,learner,n,horizon,group,truth,last,pow3,grove_before,grove,lo,hi,sd,reliable,reliable_here,reason";
    for (const auto& v : variants) f << ",\"" << v.name << '"';
    f << "\n";
    for (const auto& c : cases) {
      f << c.dataset << ',' << c.learner << ',' << c.cut << ',' << c.horizon << ',' << c.group << ',' << c.truth
        << ',' << c.last << ',' << c.pow3 << ',' << c.before << ',' << c.grove << ',' << c.lo << ',' << c.hi << ','
        << c.sd << ',' << c.reliable << ',' << c.reliable_here << ",\"" << c.reason << '"';
      for (double v : c.variants) f << ',' << v;
      f << "\n";
    }
  }

  // Summary: per group (all / development / old held-out / fresh held-out) and horizon. "grove,
  // all cases" scores every case, with the last measured score standing in where grove flags the
  // value at that horizon as unreliable; "unflagged" scores grove where it does not.
  const char* groups[] = {"all", "development", "old held-out", "fresh held-out"};
  std::map<std::string, std::set<std::string>> sets;
  std::set<std::string> learners;
  for (const auto& c : cases) sets[c.group].insert(c.dataset), sets["all"].insert(c.dataset), learners.insert(c.learner);
  std::cout << "cases: " << cases.size() << " (curve x cut x horizon) from " << sets["all"].size() << " data sets ("
            << sets["development"].size() << " development, " << sets["old held-out"].size() << " old held-out, "
            << sets["fresh held-out"].size() << " fresh held-out) and " << learners.size() << " learners\n\n";
  std::cout << "| group | horizon | cases | last: median / p90 | pow3: median / p90 | grove before: median / p90 | "
               "grove, all cases: median / p90 / max | grove / last | flagged | grove, unflagged: median / p90 / max | "
               "95% coverage |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const char* g : groups)
    for (int h : kHorizons) {
      std::vector<double> el, e3, eb, ea, eu;
      std::size_t cov = 0, flagged = 0;
      for (const auto& c : cases) {
        if ((std::string(g) != "all" && c.group != g) || c.horizon != h) continue;
        el.push_back(std::fabs(c.last - c.truth));
        e3.push_back(std::fabs(c.pow3 - c.truth));
        eb.push_back(std::fabs(c.before - c.truth));
        ea.push_back(std::fabs((c.reliable_here ? c.grove : c.last) - c.truth));
        if (c.reliable_here) eu.push_back(std::fabs(c.grove - c.truth));
        cov += c.truth >= c.lo && c.truth <= c.hi;
        flagged += !c.reliable_here;
      }
      if (ea.empty()) continue;
      const double ma = quantile(ea, 0.5), ml = quantile(el, 0.5);
      std::cout << "| " << g << " | " << h << "x | " << ea.size() << " | " << f4(ml) << " / " << f4(quantile(el, 0.9))
                << " | " << f4(quantile(e3, 0.5)) << " / " << f4(quantile(e3, 0.9)) << " | " << f4(quantile(eb, 0.5))
                << " / " << f4(quantile(eb, 0.9)) << " | " << f4(ma) << " / " << f4(quantile(ea, 0.9)) << " / "
                << f4(quantile(ea, 1.0)) << " | " << f4(ml > 0 ? ma / ml : std::nan("")) << " | " << flagged << " | "
                << f4(quantile(eu, 0.5)) << " / " << f4(quantile(eu, 0.9)) << " / " << f4(quantile(eu, 1.0)) << " | "
                << f4(static_cast<double>(cov) / static_cast<double>(ea.size())) << " |\n";
    }

  // Interval calibration: the z that would give 95% coverage on the development cases.
  {
    std::vector<double> zs;
    for (const auto& c : cases)
      if (c.group == "development" && c.sd > 0) zs.push_back(std::fabs(c.grove - c.truth) / c.sd);
    std::cout << "\nz needed for 95% on development cases (score error / interval sd): " << f4(quantile(zs, 0.95))
              << " (90%: " << f4(quantile(zs, 0.90)) << ")\n";
  }
  // Fit-time extrapolation: ratio projected / measured at each horizon.
  {
    std::cout << "\nfit time at 10x, projected / measured (median, p10, p90): ";
    std::vector<double> r;
    for (const auto& c : cases)
      if (c.horizon == 10 && c.truth_time > 0 && std::isfinite(c.projected_time)) r.push_back(c.projected_time / c.truth_time);
    std::cout << f4(quantile(r, 0.5)) << ", " << f4(quantile(r, 0.1)) << ", " << f4(quantile(r, 0.9)) << "\n";
  }
  // Per curve and cut at 10x (the table in benchmarks/results/diagnostics.md).
  std::cout << "\n| data set | learner | N | measured 2N / 4N / 10N | last | pow3 10N | grove 10N [95%] | note |\n"
               "|---|---|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    if (c.horizon != 10) continue;
    double t2 = std::nan(""), t4 = std::nan("");
    for (const auto& o : cases)
      if (o.dataset == c.dataset && o.learner == c.learner && o.cut == c.cut)
        (o.horizon == 2 ? t2 : o.horizon == 4 ? t4 : t2) = o.horizon == 10 ? t2 : o.truth;
    std::cout << "| " << c.dataset << (c.group == "development" ? "" : " (" + c.group + ")") << " | " << c.learner << " | " << c.cut << " | "
              << f4(t2) << " / " << f4(t4) << " / " << f4(c.truth) << " | " << f4(c.last) << " | " << f4(c.pow3) << " | "
              << f4(c.grove) << " [" << f4(c.lo) << ", " << f4(c.hi) << "] | "
              << (c.reliable ? (c.reliable_here ? c.reason : "10x unreliable: " + c.reason) : "unreliable: " + c.reason) << " |\n";
  }

  if (args.variants) {
    std::cout << "\nvariants (development cases only): median / p90 / max abs error per horizon\n";
    for (std::size_t v = 0; v < variants.size(); ++v) {
      std::cout << "  " << variants[v].name;
      for (int h : kHorizons) {
        std::vector<double> e;
        for (const auto& c : cases)
          if (c.group == "development" && c.horizon == h) e.push_back(std::fabs(c.variants[v] - c.truth));
        std::cout << "  " << h << "x " << f4(quantile(e, 0.5)) << "/" << f4(quantile(e, 0.9)) << "/" << f4(quantile(e, 1.0));
      }
      std::cout << "\n";
    }
  }
  return 0;
}

#!/usr/bin/python3
"""grove's gradient boosting vs XGBoost (hist) and scikit-learn's HistGradientBoosting, and
grove's random forest vs scikit-learn's, side by side on the same data, in one run.

Generates a deterministic binary classification set (HIGGS-like: 28 float features, a nonlinear
score, label noise) per size, then runs each library in its own process (so peak memory is per
library) on the first 80 % of rows, scoring the last 20 %:

  boosting: 200 rounds, depth 6, learning rate 0.1, 255 bins, lambda 1, min_child_weight 1
            grove GradientBoostingClassifier; XGBoost tree_method=hist; scikit-learn
            HistGradientBoostingClassifier(early_stopping=False, max_depth=6, no leaf limit,
            min_samples_leaf=1, l2_regularization=1)
  forest:   100 trees, sqrt features, Gini, bootstrap (grove vs scikit-learn)
  prediction: batch rows/s and single-row latency (grove predict_proba_row vs XGBoost's C API on
            a fresh one-row DMatrix)

Timings are only valid on a quiet machine: before every timed run the script waits (up to
--wait seconds) for the 1-minute load average to drop below --max-load (0.3) and refuses to go
on otherwise. Our own runs raise it, so expect pauses of a minute or two between runs.
--ignore-load runs anyway (for smoke tests) and marks every figure as not valid. For each size
and thread count the libraries run alternately (grove, XGBoost, scikit-learn; the order rotates
each repetition), and medians and ratios are reported.

Usage: trees_compare.py <build dir with grove_compare_trees> [--sizes 200000,1000000]
       [--threads 1,2] [--rounds 200] [--repeat 3] [--only boost|forest] [--ignore-load]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

D = 28
SIDES = ("grove", "xgboost", "sklearn")


def make_data(n, seed, path):
    """Deterministic data: X ~ N(0,1) float32 (a few correlated columns), y from a nonlinear score."""
    if os.path.exists(path + ".X") and os.path.getsize(path + ".X") == n * D * 4:
        return
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, D), dtype=np.float32)
    X[:, 20:24] += 0.5 * X[:, 0:4]
    s = (0.3 * X[:, :8].sum(axis=1) + 0.8 * X[:, 8] * X[:, 9] + 0.6 * np.sin(2 * X[:, 10])
         - 0.4 * X[:, 12] ** 2 + 0.5 * np.abs(X[:, 13]) * X[:, 14] + 0.3 * np.maximum(X[:, 15], 0)
         + rng.standard_normal(n))
    y = (s > 0).astype(np.float32)
    X.tofile(path + ".X")
    y.tofile(path + ".y")


def load(path, n):
    X = np.fromfile(path + ".X", dtype=np.float32).reshape(n, D)
    y = np.fromfile(path + ".y", dtype=np.float32)
    k = n * 8 // 10
    return X[:k], y[:k], X[k:], y[k:]


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def auc(score, y):
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(y, score))


def timed_fit(fit):
    c0, t0 = time.process_time(), time.perf_counter()
    result = fit()
    return result, time.perf_counter() - t0, time.process_time() - c0


def batch_rate(predict, Xte):
    best = 1e30
    for _ in range(3):
        t1 = time.perf_counter()
        p = predict(Xte)
        best = min(best, time.perf_counter() - t1)
    return p, len(Xte) / best


def peer_xgb(path, n, rounds, threads, model_out):
    import xgboost as xgb
    Xtr, ytr, Xte, yte = load(path, n)
    before = rss_mb()
    params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "max_bin": 255, "lambda": 1.0,
              "min_child_weight": 1.0, "objective": "binary:logistic", "nthread": threads}
    booster, fit_s, fit_cpu = timed_fit(
        lambda: xgb.train(params, xgb.DMatrix(Xtr, label=ytr, nthread=threads), rounds))
    peak = peak_mb()
    p, rate = batch_rate(booster.inplace_predict, Xte)  # inplace: no per-DMatrix cache
    booster.save_model(model_out)
    return {"fit_s": fit_s, "fit_cpu_s": fit_cpu, "auc": auc(p, yte), "batch_rows_per_s": rate,
            "peak_rss_mb": peak, "rss_before_fit_mb": before}


def peer_sklearn_hgb(path, n, rounds, threads):
    from sklearn.ensemble import HistGradientBoostingClassifier
    Xtr, ytr, Xte, yte = load(path, n)
    before = rss_mb()
    # Threads come from OMP_NUM_THREADS (set by the driver).
    m = HistGradientBoostingClassifier(max_iter=rounds, learning_rate=0.1, max_depth=6, max_leaf_nodes=None,
                                       max_bins=255, l2_regularization=1.0, min_samples_leaf=1,
                                       early_stopping=False, random_state=0)
    _, fit_s, fit_cpu = timed_fit(lambda: m.fit(Xtr, ytr))
    peak = peak_mb()
    p, rate = batch_rate(m.predict_proba, Xte)
    return {"fit_s": fit_s, "fit_cpu_s": fit_cpu, "auc": auc(p[:, 1], yte), "batch_rows_per_s": rate,
            "peak_rss_mb": peak, "rss_before_fit_mb": before}


def peer_sklearn_forest(path, n, trees, threads):
    from sklearn.ensemble import RandomForestClassifier
    Xtr, ytr, Xte, yte = load(path, n)
    before = rss_mb()
    m = RandomForestClassifier(n_estimators=trees, n_jobs=threads, random_state=0)
    _, fit_s, fit_cpu = timed_fit(lambda: m.fit(Xtr, ytr))
    peak = peak_mb()
    t1 = time.perf_counter()
    pred = m.predict(Xte)
    return {"fit_s": fit_s, "fit_cpu_s": fit_cpu, "accuracy": float((pred == yte).mean()),
            "predict_s": time.perf_counter() - t1, "peak_rss_mb": peak, "rss_before_fit_mb": before}


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class Quiet:
    """Waits for the 1-minute load average to drop below max_load before each timed run."""

    def __init__(self, max_load, wait, ignore):
        self.max_load, self.wait, self.ignore, self.loaded_runs = max_load, wait, ignore, 0

    def check(self, what):
        deadline = time.time() + self.wait
        while True:
            load = load_average()
            if load < self.max_load:
                return
            if self.ignore:
                self.loaded_runs += 1
                print(f"  [load {load:.2f} >= {self.max_load} before {what}: running anyway (--ignore-load)]",
                      flush=True)
                return
            if time.time() > deadline:
                sys.exit(f"trees_compare: the 1-minute load average is {load:.2f} (>= {self.max_load}) before {what} "
                         f"after waiting {self.wait} s; timings on a busy machine are not comparable. Stop other "
                         "work, or pass --ignore-load for a smoke test whose figures are not valid.")
            time.sleep(5)


def run_json(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def medians(runs):
    return {k: median([r[k] for r in runs]) for k in runs[0] if isinstance(runs[0][k], (int, float))}


def env_for(threads):
    return dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1", GROVE_PROGRESS="0")


def boost_case(a, exe, me, quiet, n, threads):
    path = os.path.join(a.data_dir, f"grove_trees_{n}")
    make_data(n, 42, path)
    model = path + ".xgb.json"
    if os.path.exists(model):
        os.remove(model)  # written by this run's first XGBoost fit, before grove's first run uses it
    env = env_for(threads)
    cmds = {
        "grove": [exe, "boost", path, str(n), str(D), str(a.rounds), str(threads), model],
        "xgboost": me + ["--peer", "xgb", "--args", path, str(n), str(a.rounds), str(threads), model],
        "sklearn": me + ["--peer", "hgb", "--args", path, str(n), str(a.rounds), str(threads)],
    }
    runs = {s: [] for s in SIDES}
    for rep in range(a.repeat):
        order = SIDES[rep % 3:] + SIDES[:rep % 3]
        if not os.path.exists(model):  # grove's run times XGBoost's C API on XGBoost's model
            order = ("xgboost",) + tuple(s for s in order if s != "xgboost")
        for side in order:
            quiet.check(f"{side}, {n} rows, {threads} thread(s)")
            runs[side].append(run_json(cmds[side], env))
    m = {s: medians(runs[s]) for s in SIDES}
    g, x, k = m["grove"], m["xgboost"], m["sklearn"]
    print(f"\nBoosting: {n} x {D} (80/20), {a.rounds} rounds, depth 6, lr 0.1, 255 bins, lambda 1; "
          f"{threads} thread(s); medians of {a.repeat}")
    print(f"  {'':24}{'grove':>11}{'xgboost':>11}{'sklearn':>11}{'g/xgb':>9}{'g/skl':>9}")
    for key, label, fmt in (("fit_s", "fit time (s)", ".2f"), ("fit_cpu_s", "fit CPU time (s)", ".2f"),
                            ("batch_rows_per_s", "batch predict rows/s", ".0f"), ("peak_rss_mb", "peak RSS (MB)", ".0f")):
        print(f"  {label:24}{g[key]:11{fmt}}{x[key]:11{fmt}}{k[key]:11{fmt}}{g[key] / x[key]:8.2f}x{g[key] / k[key]:8.2f}x")
    print(f"  {'test AUC':24}{g['auc']:11.5f}{x['auc']:11.5f}{k['auc']:11.5f}{g['auc'] - x['auc']:+9.5f}"
          f"{g['auc'] - k['auc']:+9.5f}")
    print(f"  {'single row (us)':24}{g['row_us']:11.3f}{g['xgb_capi_row_us']:11.3f}{'':>11}"
          f"{g['row_us'] / g['xgb_capi_row_us']:8.3f}x")
    print(f"  {'single row CPU (us)':24}{g['row_cpu_us']:11.3f}{g['xgb_capi_row_cpu_us']:11.3f}")
    for s in SIDES:
        print(f"  fit times {s}: " + ", ".join(f"{r['fit_s']:.2f}" for r in runs[s]))
    return {"n": n, "threads": threads, "grove": g, "xgboost": x, "sklearn": k}


def forest_case(a, exe, me, quiet, threads):
    n = a.forest_rows
    path = os.path.join(a.data_dir, f"grove_trees_{n}_forest")
    make_data(n, 7, path)
    env = env_for(threads)
    g_runs, s_runs = [], []
    for rep in range(a.repeat):
        for side in (("grove", "sklearn") if rep % 2 == 0 else ("sklearn", "grove")):
            quiet.check(f"forest {side}, {threads} thread(s)")
            if side == "grove":
                g_runs.append(run_json([exe, "forest", path, str(n), str(D), str(a.trees), str(threads)], env))
            else:
                s_runs.append(run_json(me + ["--peer", "forest", "--args", path, str(n), str(a.trees), str(threads)], env))
    g, s = medians(g_runs), medians(s_runs)
    print(f"\nRandom forest: {n} x {D} (80/20), {a.trees} trees, sqrt features, Gini, bootstrap; {threads} thread(s)")
    print(f"  {'':22}{'grove':>12}{'sklearn':>12}{'ratio':>10}")
    print(f"  {'fit time (s)':22}{g['fit_s']:12.2f}{s['fit_s']:12.2f}{g['fit_s'] / s['fit_s']:10.2f}x")
    print(f"  {'fit CPU time (s)':22}{g['fit_cpu_s']:12.2f}{s['fit_cpu_s']:12.2f}{g['fit_cpu_s'] / s['fit_cpu_s']:10.2f}x")
    print(f"  {'test accuracy':22}{g['accuracy']:12.4f}{s['accuracy']:12.4f}{100 * (g['accuracy'] - s['accuracy']):+9.2f}pt")
    print(f"  {'predict time (s)':22}{g['predict_s']:12.3f}{s['predict_s']:12.3f}{g['predict_s'] / s['predict_s']:10.2f}x")
    print(f"  {'peak RSS (MB)':22}{g['peak_rss_mb']:12.0f}{s['peak_rss_mb']:12.0f}")


def summary(results, quiet):
    print("\nSummary (issue 13 targets: fit <= 0.7x XGBoost, |AUC - XGBoost| <= 0.002, single row <= 2 us)")
    print(f"  {'rows':>8}{'thr':>4}{'grove s':>9}{'xgb s':>8}{'skl s':>8}{'g/xgb':>7}{'g/skl':>7}"
          f"{'dAUC':>9}{'row us':>8}{'MB g/x/s':>16}  verdict")
    for r in results:
        g, x, k = r["grove"], r["xgboost"], r["sklearn"]
        ratio, dauc = g["fit_s"] / x["fit_s"], g["auc"] - x["auc"]
        ok = ratio <= 0.7 and abs(dauc) <= 0.002 and g["row_us"] <= 2.0
        mem = f"{g['peak_rss_mb']:.0f}/{x['peak_rss_mb']:.0f}/{k['peak_rss_mb']:.0f}"
        print(f"  {r['n']:>8}{r['threads']:>4}{g['fit_s']:9.2f}{x['fit_s']:8.2f}{k['fit_s']:8.2f}{ratio:7.2f}"
              f"{g['fit_s'] / k['fit_s']:7.2f}{dauc:+9.5f}{g['row_us']:8.3f}{mem:>16}  {'met' if ok else 'NOT met'}")
    if quiet.loaded_runs:
        print(f"\n  NOT VALID: {quiet.loaded_runs} run(s) started with the load average above the limit "
              "(--ignore-load); quote no figure from this output.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir", nargs="?")
    ap.add_argument("--sizes", default="200000,1000000", help="boosting data sizes (rows, before the 80/20 split)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--forest-rows", type=int, default=200_000)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--only", choices=["boost", "forest"], default="boost",
                    help="boost (default: the issue's comparison) or forest")
    ap.add_argument("--max-load", type=float, default=0.3)
    ap.add_argument("--wait", type=int, default=600, help="seconds to wait for a quiet machine before refusing")
    ap.add_argument("--ignore-load", action="store_true", help="smoke test: run on a busy machine, figures not valid")
    ap.add_argument("--data-dir", default="/tmp")
    ap.add_argument("--peer", help=argparse.SUPPRESS)
    ap.add_argument("--args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.peer:
        x = a.args
        if a.peer == "xgb":
            out = peer_xgb(x[0], int(x[1]), int(x[2]), int(x[3]), x[4])
        elif a.peer == "hgb":
            out = peer_sklearn_hgb(x[0], int(x[1]), int(x[2]), int(x[3]))
        else:
            out = peer_sklearn_forest(x[0], int(x[1]), int(x[2]), int(x[3]))
        print(json.dumps(out))
        return

    exe = os.path.join(a.build_dir, "benchmarks", "compare", "grove_compare_trees")
    me = [sys.executable, os.path.abspath(__file__)]
    quiet = Quiet(a.max_load, a.wait, a.ignore_load)
    threads = [int(t) for t in a.threads.split(",")]
    print(f"threads {threads}, repeat {a.repeat} (libraries alternated; medians); load limit {a.max_load}")
    if a.only == "forest":
        for t in threads:
            forest_case(a, exe, me, quiet, t)
    else:
        results = [boost_case(a, exe, me, quiet, int(n), t) for n in a.sizes.split(",") for t in threads]
        summary(results, quiet)
    if quiet.loaded_runs:
        print("\nNOT VALID: runs started on a loaded machine (--ignore-load).")


if __name__ == "__main__":
    main()

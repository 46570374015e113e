#!/usr/bin/python3
"""grove's trees vs XGBoost (hist) and scikit-learn, side by side on the same data.

Generates a deterministic binary classification set (HIGGS-like: 28 float features, a
nonlinear score, label noise), writes it once, then runs each side in its own process (so peak
memory is per library) on the first 80 % of rows, scoring the last 20 %:

  boosting: 200 rounds, depth 6, learning rate 0.1, 255 bins, lambda 1, min_child_weight 1
            grove GradientBoostingClassifier vs XGBoost tree_method=hist
  forest:   100 trees, sqrt features, Gini, bootstrap
            grove RandomForestClassifier vs sklearn RandomForestClassifier
  prediction: batch rows/s (XGBoost inplace_predict) and single-row latency (grove
            predict_proba_row vs XGBoost's C API on a fresh one-row DMatrix)

Usage: trees_compare.py <build dir with grove_compare_trees> [--boost-rows N] [--forest-rows N]
       [--rounds R] [--trees T] [--threads 2] [--repeat K] [--only boost|forest]
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


def peer_xgb(path, n, rounds, threads, model_out):
    import xgboost as xgb
    Xtr, ytr, Xte, yte = load(path, n)
    before = rss_mb()
    params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "max_bin": 255, "lambda": 1.0,
              "min_child_weight": 1.0, "objective": "binary:logistic", "nthread": threads}
    c0, t0 = time.process_time(), time.perf_counter()
    dtrain = xgb.DMatrix(Xtr, label=ytr, nthread=threads)
    booster = xgb.train(params, dtrain, rounds)
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_mb()
    best = 1e30
    for _ in range(3):
        t1 = time.perf_counter()
        p = booster.inplace_predict(Xte)
        best = min(best, time.perf_counter() - t1)
    booster.save_model(model_out)
    return {"side": "xgboost", "mode": "boost", "fit_s": fit_s, "fit_cpu_s": fit_cpu, "auc": auc(p, yte),
            "batch_rows_per_s": len(Xte) / best, "peak_rss_mb": peak, "rss_before_fit_mb": before}


def peer_sklearn(path, n, trees, threads):
    from sklearn.ensemble import RandomForestClassifier
    Xtr, ytr, Xte, yte = load(path, n)
    before = rss_mb()
    m = RandomForestClassifier(n_estimators=trees, n_jobs=threads, random_state=0)
    c0, t0 = time.process_time(), time.perf_counter()
    m.fit(Xtr, ytr)
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_mb()
    t1 = time.perf_counter()
    pred = m.predict(Xte)
    pred_s = time.perf_counter() - t1
    return {"side": "sklearn", "mode": "forest", "fit_s": fit_s, "fit_cpu_s": fit_cpu, "accuracy": float((pred == yte).mean()),
            "predict_s": pred_s, "peak_rss_mb": peak, "rss_before_fit_mb": before}


def run(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir", nargs="?")
    ap.add_argument("--boost-rows", type=int, default=1_000_000)
    ap.add_argument("--forest-rows", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", choices=["boost", "forest"])
    ap.add_argument("--data-dir", default="/tmp")
    ap.add_argument("--peer", help=argparse.SUPPRESS)
    ap.add_argument("--args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.peer == "xgb":
        print(json.dumps(peer_xgb(a.args[0], int(a.args[1]), int(a.args[2]), int(a.args[3]), a.args[4])))
        return
    if a.peer == "sklearn":
        print(json.dumps(peer_sklearn(a.args[0], int(a.args[1]), int(a.args[2]), int(a.args[3]))))
        return

    exe = os.path.join(a.build_dir, "benchmarks", "compare", "grove_compare_trees")
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS="1", GROVE_PROGRESS="0")
    me = [sys.executable, os.path.abspath(__file__)]
    print(f"threads={a.threads}  repeat={a.repeat} (A/B alternated; medians)")

    if a.only in (None, "boost"):
        path = os.path.join(a.data_dir, f"grove_trees_{a.boost_rows}")
        make_data(a.boost_rows, 42, path)
        model = path + ".xgb.json"
        g_runs, x_runs = [], []
        for _ in range(a.repeat):
            x_runs.append(run(me + ["--peer", "xgb", "--args", path, str(a.boost_rows), str(a.rounds),
                                    str(a.threads), model], env))
            g_runs.append(run([exe, "boost", path, str(a.boost_rows), str(D), str(a.rounds), str(a.threads), model], env))
        g = {k: median([r[k] for r in g_runs]) for k in g_runs[0] if k not in ("side", "mode")}
        x = {k: median([r[k] for r in x_runs]) for k in x_runs[0] if k not in ("side", "mode")}
        print(f"\nBoosting: {a.boost_rows} x {D} (80/20), {a.rounds} rounds, depth 6, lr 0.1, 255 bins")
        print(f"  {'':22}{'grove':>12}{'xgboost':>12}{'ratio':>10}")
        print(f"  {'fit time (s)':22}{g['fit_s']:12.2f}{x['fit_s']:12.2f}{g['fit_s'] / x['fit_s']:10.2f}x")
        print(f"  {'fit CPU time (s)':22}{g['fit_cpu_s']:12.2f}{x['fit_cpu_s']:12.2f}{g['fit_cpu_s'] / x['fit_cpu_s']:10.2f}x")
        print(f"  {'test AUC':22}{g['auc']:12.5f}{x['auc']:12.5f}{g['auc'] - x['auc']:+10.5f}")
        print(f"  {'batch predict rows/s':22}{g['batch_rows_per_s']:12.0f}{x['batch_rows_per_s']:12.0f}"
              f"{g['batch_rows_per_s'] / x['batch_rows_per_s']:10.2f}x")
        print(f"  {'single row (us)':22}{g['row_us']:12.3f}{g['xgb_capi_row_us']:12.3f}"
              f"{g['row_us'] / g['xgb_capi_row_us']:10.3f}x")
        print(f"  {'single row CPU (us)':22}{g['row_cpu_us']:12.3f}{g['xgb_capi_row_cpu_us']:12.3f}"
              f"{g['row_cpu_us'] / g['xgb_capi_row_cpu_us']:10.3f}x")
        print(f"  {'peak RSS (MB)':22}{g['peak_rss_mb']:12.0f}{x['peak_rss_mb']:12.0f}"
              f"{g['peak_rss_mb'] / x['peak_rss_mb']:10.2f}x")
        print(f"  {'RSS before fit (MB)':22}{g['rss_before_fit_mb']:12.0f}{x['rss_before_fit_mb']:12.0f}")
        print(f"  {'peak - before (MB)':22}{g['peak_rss_mb'] - g['rss_before_fit_mb']:12.0f}"
              f"{x['peak_rss_mb'] - x['rss_before_fit_mb']:12.0f}")
        print("  fit times per run: grove " + ", ".join(f"{r['fit_s']:.2f}" for r in g_runs) +
              "; xgboost " + ", ".join(f"{r['fit_s']:.2f}" for r in x_runs))

    if a.only in (None, "forest"):
        path = os.path.join(a.data_dir, f"grove_trees_{a.forest_rows}")
        make_data(a.forest_rows, 7, path)
        g_runs, s_runs = [], []
        for _ in range(a.repeat):
            s_runs.append(run(me + ["--peer", "sklearn", "--args", path, str(a.forest_rows), str(a.trees),
                                    str(a.threads)], env))
            g_runs.append(run([exe, "forest", path, str(a.forest_rows), str(D), str(a.trees), str(a.threads)], env))
        g = {k: median([r[k] for r in g_runs]) for k in g_runs[0] if k not in ("side", "mode")}
        s = {k: median([r[k] for r in s_runs]) for k in s_runs[0] if k not in ("side", "mode")}
        print(f"\nRandom forest: {a.forest_rows} x {D} (80/20), {a.trees} trees, sqrt features, Gini, bootstrap")
        print(f"  {'':22}{'grove':>12}{'sklearn':>12}{'ratio':>10}")
        print(f"  {'fit time (s)':22}{g['fit_s']:12.2f}{s['fit_s']:12.2f}{g['fit_s'] / s['fit_s']:10.2f}x")
        print(f"  {'fit CPU time (s)':22}{g['fit_cpu_s']:12.2f}{s['fit_cpu_s']:12.2f}{g['fit_cpu_s'] / s['fit_cpu_s']:10.2f}x")
        print(f"  {'test accuracy':22}{g['accuracy']:12.4f}{s['accuracy']:12.4f}"
              f"{100 * (g['accuracy'] - s['accuracy']):+9.2f}pt")
        print(f"  {'predict time (s)':22}{g['predict_s']:12.3f}{s['predict_s']:12.3f}{g['predict_s'] / s['predict_s']:10.2f}x")
        print(f"  {'peak RSS (MB)':22}{g['peak_rss_mb']:12.0f}{s['peak_rss_mb']:12.0f}")
        print("  fit times per run: grove " + ", ".join(f"{r['fit_s']:.2f}" for r in g_runs) +
              "; sklearn " + ", ".join(f"{r['fit_s']:.2f}" for r in s_runs))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""grove's grid_search vs scikit-learn's GridSearchCV, same data, same folds, same run.

A grid of 12 gradient-boosting candidates (learning_rate {0.05, 0.1, 0.2} x max_depth {3, 6} x
L2 {0, 1}; ROUNDS rounds, 255 bins, no early stopping) scored by 5-fold accuracy, the best
refitted on all rows:
  grove: model_selection::grid_search over trees::GradientBoostingClassifier (every
         (candidate, fold) fit is a job on grove's pool)
  scikit-learn: GridSearchCV(HistGradientBoostingClassifier(max_leaf_nodes=None,
         early_stopping=False), cv=PredefinedSplit(folds)); its parallelism is HGB's OpenMP
         threads (n_jobs=1), or with --sklearn-jobs the candidates over joblib processes (OMP 1).
The data (HIGGS-like, 28 float features, as trees_compare.py) and the fold of every row
(StratifiedKFold, shuffled, seed 0) are written once to files both sides read. Each side runs in
its own process, alternating grove/sklearn (ABBA order); before every timed pair the 1-minute load
average must be below 0.3, or the script refuses (--allow-load runs anyway, for a smoke test,
and marks the figures NOT TIMINGS). Leaf constraints stay at each library's default (grove
min_child_weight 1 on the hessian and min_samples_leaf 20 estimated rows, HGB min_samples_leaf 20).

Usage: grid_search_compare.py <build dir> [--rows 20000] [--rounds 100] [--threads 2]
       [--repeat 3] [--sklearn-jobs] [--data-dir /tmp] [--allow-load]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

D = 28
FOLDS = 5


def make_data(n, seed, path):
    """Deterministic data and folds (written once per size)."""
    if not (os.path.exists(path + ".X") and os.path.getsize(path + ".X") == n * D * 4):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, D), dtype=np.float32)
        X[:, 20:24] += 0.5 * X[:, 0:4]
        s = (0.3 * X[:, :8].sum(axis=1) + 0.8 * X[:, 8] * X[:, 9] + 0.6 * np.sin(2 * X[:, 10])
             - 0.4 * X[:, 12] ** 2 + 0.5 * np.abs(X[:, 13]) * X[:, 14] + 0.3 * np.maximum(X[:, 15], 0)
             + rng.standard_normal(n))
        X.tofile(path + ".X")
        (s > 0).astype(np.float32).tofile(path + ".y")
    from sklearn.model_selection import StratifiedKFold
    y = np.fromfile(path + ".y", dtype=np.float32)
    fold = np.zeros(n, dtype=np.int32)
    for f, (_, test) in enumerate(StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros(n), y)):
        fold[test] = f
    fold.tofile(path + ".folds")


def peer_sklearn(path, n, threads, rounds, jobs):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GridSearchCV, PredefinedSplit
    X = np.fromfile(path + ".X", dtype=np.float32).reshape(n, D)
    y = np.fromfile(path + ".y", dtype=np.float32)
    fold = np.fromfile(path + ".folds", dtype=np.int32)
    est = HistGradientBoostingClassifier(max_iter=rounds, max_bins=255, max_leaf_nodes=None, early_stopping=False,
                                         random_state=0)
    grid = {"learning_rate": [0.05, 0.1, 0.2], "max_depth": [3, 6], "l2_regularization": [0.0, 1.0]}
    search = GridSearchCV(est, grid, scoring="accuracy", cv=PredefinedSplit(fold), refit=True,
                          n_jobs=threads if jobs else 1)
    c0, t0 = time.process_time(), time.perf_counter()
    search.fit(X, y)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # Same candidate order as grove's grid (learning_rate, then max_depth, then L2 fastest).
    params = search.cv_results_["params"]
    key = lambda p: (p["learning_rate"], p["max_depth"], p["l2_regularization"])
    order = sorted(range(len(params)), key=lambda i: key(params[i]))
    means = [float(search.cv_results_["mean_test_score"][i]) for i in order]
    b = search.best_params_
    return {"side": "sklearn", "wall_s": wall, "cpu_s": cpu, "refit_s": float(search.refit_time_),
            "best_score": float(search.best_score_),
            "best_params": {"learning_rate": b["learning_rate"], "max_depth": b["max_depth"], "l2": b["l2_regularization"]},
            "mean_test_scores": means}


def load_1min():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def run(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir", nargs="?")
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sklearn-jobs", action="store_true", help="scikit-learn parallel over candidates (n_jobs), OMP 1")
    ap.add_argument("--data-dir", default="/tmp")
    ap.add_argument("--allow-load", action="store_true", help="run on a loaded machine (figures are not timings)")
    ap.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.peer:
        p, n, t, r, jobs = a.args
        print(json.dumps(peer_sklearn(p, int(n), int(t), int(r), jobs == "1")))
        return

    exe = os.path.join(a.build_dir, "benchmarks", "compare", "grove_compare_grid_search")
    path = os.path.join(a.data_dir, f"grove_grid_{a.rows}")
    make_data(a.rows, 42, path)
    omp = "1" if a.sklearn_jobs else str(a.threads)
    env = dict(os.environ, OMP_NUM_THREADS=omp, OPENBLAS_NUM_THREADS="1", GROVE_PROGRESS="0")
    me = [sys.executable, os.path.abspath(__file__), "--peer", "--args", path, str(a.rows), str(a.threads),
          str(a.rounds), "1" if a.sklearn_jobs else "0"]
    grove_cmd = [exe, path, str(a.rows), str(D), str(a.threads), str(a.rounds)]
    mode = f"n_jobs={a.threads}, OMP 1" if a.sklearn_jobs else f"n_jobs=1, OMP {a.threads}"
    print(f"grid search: 12 candidates x {FOLDS} folds + refit, {a.rows} x {D}, {a.rounds} rounds, 255 bins; "
          f"grove {a.threads} threads; scikit-learn {mode}; repeat {a.repeat} (ABBA, medians)")

    g_runs, s_runs, loads = [], [], []
    for i in range(a.repeat):
        load = load_1min()
        loads.append(load)
        if load >= 0.3 and not a.allow_load:
            sys.exit(f"refusing to time: 1-minute load average {load:.2f} >= 0.3 (quiet the machine, or "
                     "--allow-load for a smoke test whose figures are not timings)")
        first_grove = i % 2 == 0
        for side in (("grove", "sklearn") if first_grove else ("sklearn", "grove")):
            if side == "grove":
                g_runs.append(run(grove_cmd, env))
            else:
                s_runs.append(run(me, env))

    g_wall, s_wall = median([r["wall_s"] for r in g_runs]), median([r["wall_s"] for r in s_runs])
    g_cpu, s_cpu = median([r["cpu_s"] for r in g_runs]), median([r["cpu_s"] for r in s_runs])
    g, s = g_runs[0], s_runs[0]
    print(f"  {'':24}{'grove':>12}{'sklearn':>12}{'ratio':>10}")
    print(f"  {'wall time (s)':24}{g_wall:12.2f}{s_wall:12.2f}{g_wall / s_wall:10.2f}x")
    print(f"  {'CPU time (s)':24}{g_cpu:12.2f}{s_cpu:12.2f}{g_cpu / s_cpu:10.2f}x")
    print(f"  {'best mean accuracy':24}{g['best_score']:12.4f}{s['best_score']:12.4f}"
          f"{100 * (g['best_score'] - s['best_score']):+9.2f}pt")
    print(f"  best params: grove {g['best_params']}; sklearn {s['best_params']}")
    print("  mean accuracy per candidate (lr, depth, l2 order): grove " +
          " ".join(f"{v:.4f}" for v in g["mean_test_scores"]) + "; sklearn " +
          " ".join(f"{v:.4f}" for v in s["mean_test_scores"]))
    print("  wall times per run: grove " + ", ".join(f"{r['wall_s']:.2f}" for r in g_runs) +
          "; sklearn " + ", ".join(f"{r['wall_s']:.2f}" for r in s_runs))
    print(f"  1-minute load before each pair: " + ", ".join(f"{l:.2f}" for l in loads))
    if any(l >= 0.3 for l in loads):
        print("  NOT TIMINGS: the machine was loaded (--allow-load); only the scores are meaningful")


if __name__ == "__main__":
    main()

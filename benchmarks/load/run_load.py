#!/usr/bin/python3
"""Load test of grove-serve, and batch scoring against XGBoost, on 127.0.0.1 only.

1. Data: a deterministic binary classification set (28 float features f0..f27, a nonlinear
   score with noise, column "label"), written as train.csv and score.csv.
2. Models: grove gradient boosting (grove_load_model) and XGBoost hist with the same settings
   (rounds, depth 6, eta 0.1, 255 bins, lambda 1, min_child_weight 1), both on train.csv.
3. Serving: grove-serve on a free port; single-row requests ({"instances": [[28 values]]},
   1000 distinct rows cycled) from 1, 4 and 16 concurrent keep-alive connections
   (grove_load_client, closed loop, after a warm-up). Reports throughput, p50/p99/p99.9/max,
   errors, and the server's RSS before and after (no growth expected over 100k requests).
4. Batch scoring, alternating grove and XGBoost (2 threads each), best of --repeat:
   in-memory predict (grove serving::Model.predict_proba vs XGBoost inplace_predict) and file to
   file (grove-predict CSV -> CSV vs pandas read_csv + XGBoost predict + to_csv).

Timed work runs only when the 1-minute load average is below 0.3 (checked before each timed
run and pair); otherwise the script refuses, unless --smoke (tiny sizes, to check that it runs;
its figures mean nothing).

Usage (from the repository root, after building grove-serve, grove-predict, grove_load_client,
grove_load_model, grove_load_batch in build/release):
  /usr/bin/python3 benchmarks/load/run_load.py build/release [--requests 100000] [--rows 200000]
  /usr/bin/python3 benchmarks/load/run_load.py build/release --smoke
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

D = 28
LOAD_LIMIT = 0.3


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def require_quiet(smoke, what):
    """Waits up to 3 minutes for a quiet machine (the previous run's own load decays), then refuses
    to time `what` on a busy one (the figures would be wrong)."""
    load = loadavg()
    deadline = time.time() + 180
    while load >= LOAD_LIMIT and not smoke and time.time() < deadline:
        time.sleep(5)
        load = loadavg()
    if load >= LOAD_LIMIT and not smoke:
        sys.exit(f"run_load.py: 1-minute load average {load:.2f} >= {LOAD_LIMIT} before {what}; "
                 "refusing to take timings on a busy machine (run it on a quiet one, or --smoke to check it runs)")
    return load


def make_data(n, seed, path, with_label=True):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, D), dtype=np.float32)
    X[:, 20:24] += 0.5 * X[:, 0:4]
    s = (0.3 * X[:, :8].sum(axis=1) + 0.8 * X[:, 8] * X[:, 9] + 0.6 * np.sin(2 * X[:, 10])
         - 0.4 * X[:, 12] ** 2 + 0.5 * np.abs(X[:, 13]) * X[:, 14] + rng.standard_normal(n))
    y = (s > 0).astype(np.int32)
    # Rows to score have no label (a model saved without a schema reads columns by position).
    with open(path, "w") as f:
        f.write(",".join(f"f{j}" for j in range(D)) + (",label\n" if with_label else "\n"))
        for i in range(n):
            f.write(",".join(f"{v:.6g}" for v in X[i]) + (f",{y[i]}\n" if with_label else "\n"))
    return X, y


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def start_server(build, model, workdir):
    log_path = os.path.join(workdir, "serve.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([os.path.join(build, "examples", "grove-serve"), "--model", model, "--host", "127.0.0.1",
                             "--port", "0", "--threads", "32", "--stats-interval", "0"],
                            stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(500):
        with open(log_path) as f:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", f.read())
        if m:
            return proc, int(m.group(1)), log_path
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    sys.exit("run_load.py: grove-serve did not start:\n" + open(log_path).read())


def run_client(build, port, bodies, connections, requests, warmup):
    out = subprocess.run([os.path.join(build, "benchmarks", "load", "grove_load_client"), "--port", str(port),
                          "--connections", str(connections), "--requests", str(requests), "--warmup", str(warmup),
                          "--bodies", bodies], capture_output=True, text=True, timeout=1800)
    if not out.stdout.strip():
        sys.exit("run_load.py: grove_load_client failed:\n" + out.stderr)
    return json.loads(out.stdout)


def timed(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"run_load.py: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", help="build directory (e.g. build/release)")
    ap.add_argument("--requests", type=int, default=100000, help="requests per connection setting")
    ap.add_argument("--connections", default="1,4,16")
    ap.add_argument("--train-rows", type=int, default=50000)
    ap.add_argument("--rows", type=int, default=200000, help="rows scored in the batch comparison")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, no load check: verifies the script runs")
    a = ap.parse_args()
    if a.smoke:
        a.requests, a.train_rows, a.rows, a.rounds, a.repeat = 2000, 3000, 5000, 20, 1
        print("SMOKE RUN: sizes are tiny and the load average is not checked; the figures mean nothing.")
    build = os.path.abspath(a.build)
    workdir = a.workdir or tempfile.mkdtemp(prefix="grove-load-")
    os.makedirs(workdir, exist_ok=True)
    train_csv, score_csv = os.path.join(workdir, "train.csv"), os.path.join(workdir, "score.csv")
    Xtr, ytr = make_data(a.train_rows, 1, train_csv)
    Xs, _ = make_data(a.rows, 2, score_csv, with_label=False)
    bodies = os.path.join(workdir, "bodies.txt")
    with open(bodies, "w") as f:
        for i in range(min(1000, a.rows)):
            f.write(json.dumps({"instances": [[float(f"{v:.6g}") for v in Xs[i]]]}) + "\n")

    # Models, same settings on both sides.
    model = os.path.join(workdir, "model.grove")
    subprocess.run([os.path.join(build, "benchmarks", "load", "grove_load_model"), "--csv", train_csv, "--rounds",
                    str(a.rounds), "--depth", "6", "--out", model], check=True, capture_output=True)
    import xgboost as xgb
    import pandas as pd
    booster = xgb.train({"tree_method": "hist", "max_depth": 6, "eta": 0.1, "max_bin": 255, "lambda": 1.0,
                         "min_child_weight": 1.0, "objective": "binary:logistic", "nthread": 2},
                        xgb.DMatrix(Xtr, label=ytr), num_boost_round=a.rounds)
    xgb_model = os.path.join(workdir, "model.xgb.json")
    booster.save_model(xgb_model)

    print(f"workdir {workdir}; model: {a.rounds} rounds, depth 6, {D} features; load average {loadavg():.2f}")

    # 1. Single-row requests over HTTP.
    proc, port, log_path = start_server(build, model, workdir)
    try:
        run_client(build, port, bodies, 4, max(1000, a.requests // 20), 0)  # allocator and caches warm
        rss_before = rss_kb(proc.pid)
        rows = []
        for c in [int(x) for x in a.connections.split(",")]:
            load = require_quiet(a.smoke, f"the {c}-connection run")
            r = run_client(build, port, bodies, c, a.requests, min(2000, a.requests // 10))
            r["load"] = load
            r["rss_kb_after"] = rss_kb(proc.pid)
            rows.append(r)
        rss_after = rss_kb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "killed"
    print("\n### Single-row requests (grove-serve, 127.0.0.1, keep-alive, closed loop)\n")
    print("| connections | requests | errors | throughput (req/s) | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['connections']} | {r['requests']} | {r['errors']} | {r['throughput']:.0f} | {r['p50_us'] / 1000:.3f} | "
              f"{r['p99_us'] / 1000:.3f} | {r['p999_us'] / 1000:.3f} | {r['max_us'] / 1000:.3f} | {r['load']:.2f} |")
    total = sum(r["requests"] for r in rows)
    print(f"\nserver RSS: {rss_before / 1024:.1f} MB after warm-up, {rss_after / 1024:.1f} MB after {total} more requests "
          f"({(rss_after - rss_before) / 1024:+.1f} MB); per run: "
          + ", ".join(f"{r['rss_kb_after'] / 1024:.1f}" for r in rows) + f" MB; grove-serve exit status {code}")
    p99_4 = [r["p99_us"] for r in rows if r["connections"] == 4]
    errors = sum(r["errors"] + r["warmup_errors"] for r in rows)
    if p99_4:
        print(f"target: 0 errors (got {errors}), p99 <= 1 ms at 4 connections (got {p99_4[0] / 1000:.3f} ms): "
              + ("MET" if errors == 0 and p99_4[0] <= 1000 else "NOT MET"))

    # 2. Batch scoring, grove and XGBoost alternating.
    Xdf = pd.read_csv(score_csv)
    X = Xdf.to_numpy(dtype=np.float32)
    bst = xgb.Booster(model_file=xgb_model)
    bst.set_param({"nthread": 2})
    g_mem, x_mem, g_file, x_file = [], [], [], []
    out_g, out_x = os.path.join(workdir, "pred_grove.csv"), os.path.join(workdir, "pred_xgb.csv")
    xgb_script = ("import sys, pandas as pd, xgboost as xgb\n"
                  "b = xgb.Booster(model_file=sys.argv[1]); b.set_param({'nthread': 2})\n"
                  "X = pd.read_csv(sys.argv[2]).to_numpy(dtype='float32')\n"
                  "p = b.inplace_predict(X)\n"
                  "pd.DataFrame({'prediction': (p > 0.5).astype(int), 'proba_1': p}).to_csv(sys.argv[3], index=False)\n")
    for _ in range(a.repeat):
        require_quiet(a.smoke, "a batch pair")
        out = subprocess.run([os.path.join(build, "benchmarks", "load", "grove_load_batch"), "--model", model, "--csv",
                              score_csv, "--repeat", "3", "--threads", "2"], capture_output=True, text=True, check=True)
        g_mem.append(json.loads(out.stdout)["seconds"])
        best = 1e30
        for _ in range(3):
            t0 = time.perf_counter()
            bst.inplace_predict(X)  # a fresh call each time: no DMatrix prediction cache
            best = min(best, time.perf_counter() - t0)
        x_mem.append(best)
        require_quiet(a.smoke, "a file-to-file pair")
        g_file.append(timed([os.path.join(build, "examples", "grove-predict"), "--model", model, "--csv", score_csv,
                             "--out", out_g, "--proba"]))
        x_file.append(timed(["/usr/bin/python3", "-c", xgb_script, xgb_model, score_csv, out_x]))
    n = a.rows
    gm, xm, gf, xf = min(g_mem), min(x_mem), min(g_file), min(x_file)
    print(f"\n### Batch scoring, {n} rows x {D} features, {a.rounds} trees depth 6, 2 threads (best of {a.repeat})\n")
    print("| what | grove | XGBoost | grove / XGBoost time |")
    print("|---|---|---|---|")
    print(f"| in-memory predict (rows/s) | {n / gm:,.0f} | {n / xm:,.0f} | {gm / xm:.2f} |")
    print(f"| CSV file -> predictions CSV (rows/s, whole program) | {n / gf:,.0f} | {n / xf:,.0f} | {gf / xf:.2f} |")
    pg = pd.read_csv(out_g)
    px = pd.read_csv(out_x)
    agree = float((pg["prediction"].to_numpy() == px["prediction"].to_numpy()).mean())
    print(f"\nclass agreement grove vs XGBoost on the scored rows: {agree:.4f} (two models trained alike, not identical)")
    if a.smoke:
        print("\nSMOKE RUN: the script works; these figures mean nothing.")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""grove's load_csv vs pandas.read_csv on the same generated numeric CSV, in one run.

Usage (from the repository root, after building grove_compare_csv_load):
  /usr/bin/python3 benchmarks/compare/csv_pandas.py \
      --grove build/release/benchmarks/compare/grove_compare_csv_load [--rows 1000000] [--cols 28] [--rounds 3] \
      [--mixed]

The CSV (header + rows x cols numbers, last column a 0/1 target) is written once by
`grove_compare_csv_load generate` into /tmp and reused. With --mixed the file holds an id column,
20 numeric columns, three text columns and a 0/1 target (`generate-mixed`): grove infers the column
kinds (and drops the id), pandas infers its dtypes (object for text).

Timings are only taken on a quiet machine: before each timed pair the 1-minute load average must be
below 0.3, otherwise the script stops (--allow-busy runs anyway for a smoke test, and marks the
output NOT A FIGURE). Each round runs every configuration once,
alternating grove and pandas, each in a fresh process. Reported per configuration (medians):
wall seconds of the parse, CPU seconds (user+sys) of the parse, MB/s (file bytes / wall), and peak
RSS of the process, with the growth during the parse ("parse RSS" = peak - RSS just before the
call) compared with the size of the parsed numbers (rows x cols x sizeof(dtype)).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

PANDAS_SNIPPET = r"""
import json, resource, sys, time
import numpy as np
import pandas as pd
def status_kb(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
def vm_rss_kb():
    return status_kb('VmRSS:')
path, dtype, mixed = sys.argv[1], sys.argv[2], sys.argv[3] == 'mixed'
if dtype == 'float32':
    # The mixed file's text columns stay text; its numeric columns are read as float32.
    dtype = {f'f{i}': np.float32 for i in range(20)} if mixed else np.float32
else:
    dtype = None
before = vm_rss_kb()
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
df = pd.read_csv(path, dtype=dtype, engine='c')
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(json.dumps({'rows': df.shape[0], 'cols': df.shape[1], 'seconds': wall, 'cpu_seconds': cpu,
                  'peak_rss_kb': status_kb('VmHWM:'), 'rss_before_kb': before,
                  'y_sum': float(df.iloc[:, -1].sum())}))
"""


def load_average():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


def require_quiet(allow_busy):
    load = load_average()
    if load >= 0.3 and not allow_busy:
        sys.exit(f'the machine is busy (1-minute load average {load:.2f} >= 0.3): no timings taken')
    return load < 0.3


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--grove', required=True, help='path to grove_compare_csv_load')
    ap.add_argument('--rows', type=int, default=1_000_000)
    ap.add_argument('--cols', type=int, default=28)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--csv', default=None, help='CSV path (default /tmp/grove_csv_<rows>x<cols>.csv)')
    ap.add_argument('--mixed', action='store_true', help='a file with an id, text and numeric columns')
    ap.add_argument('--allow-busy', action='store_true', help='run on a busy machine (smoke test, not a figure)')
    args = ap.parse_args()

    if args.mixed:
        args.cols = 25  # id, 20 numbers, 3 text columns, target
        path = args.csv or f'/tmp/grove_csv_mixed_{args.rows}.csv'
        generate = [args.grove, 'generate-mixed', path, str(args.rows)]
    else:
        path = args.csv or f'/tmp/grove_csv_{args.rows}x{args.cols}.csv'
        generate = [args.grove, 'generate', path, str(args.rows), str(args.cols)]
    if not os.path.exists(path):
        print(f'generating {path} ...', file=sys.stderr)
        subprocess.run(generate, check=True)
    size_mb = os.path.getsize(path) / 1e6

    kind = 'mixed' if args.mixed else 'plain'
    import pandas  # noqa: F401  (fail early with a clear error if pandas is missing)
    configs = [
        ('grove load_csv<float>', 4, [args.grove, 'load', path, 'float']),
        ('pandas read_csv (float64)', 8, [sys.executable, '-c', PANDAS_SNIPPET, path, 'default', kind]),
        ('grove load_csv<double>', 8, [args.grove, 'load', path, 'double']),
        ('pandas read_csv (float32)', 4, [sys.executable, '-c', PANDAS_SNIPPET, path, 'float32', kind]),
    ]
    results = {name: [] for name, _, _ in configs}
    sums = set()
    quiet = True
    for r in range(args.rounds):
        for k, (name, _, cmd) in enumerate(configs):
            if k % 2 == 0:  # each grove/pandas pair starts on a quiet machine
                quiet = require_quiet(args.allow_busy) and quiet
            res = run(cmd)
            # grove drops the mixed file's id column (recorded in Dataset::dropped_columns).
            expected_cols = args.cols - res.get('dropped', 0)
            assert res['rows'] == args.rows and res['cols'] == expected_cols, res
            sums.add(round(res['y_sum']))
            results[name].append(res)
            print(f'round {r + 1}: {name}: {res["seconds"]:.3f} s wall, {res["cpu_seconds"]:.3f} s cpu, '
                  f'peak {res["peak_rss_kb"] / 1024:.0f} MB', file=sys.stderr)
    assert len(sums) == 1, f'the parsers disagree on the target column: {sums}'

    if not quiet:
        print('NOT A FIGURE: the machine was busy (run on a quiet machine without --allow-busy)')
    print(f'file: {path}, {size_mb:.1f} MB, {args.rows} rows x {args.cols} columns; '
          f'medians of {args.rounds} alternating rounds')
    print(f'{"configuration":28} {"wall s":>7} {"cpu s":>7} {"MB/s":>7} {"peak MB":>8} {"parse MB":>9} '
          f'{"data MB":>8} {"parse/data":>10}')
    med = {}
    for name, width, _ in configs:
        rs = results[name]
        wall = statistics.median(x['seconds'] for x in rs)
        cpu = statistics.median(x['cpu_seconds'] for x in rs)
        peak = statistics.median(x['peak_rss_kb'] for x in rs) / 1024
        grew = statistics.median(x['peak_rss_kb'] - x['rss_before_kb'] for x in rs) / 1024
        data_mb = args.rows * args.cols * width / 2**20
        med[name] = (wall, cpu)
        print(f'{name:28} {wall:7.3f} {cpu:7.3f} {size_mb / wall:7.1f} {peak:8.0f} {grew:9.0f} {data_mb:8.0f} '
              f'{grew / data_mb:10.2f}')
    for g, p in (('grove load_csv<float>', 'pandas read_csv (float32)'),
                 ('grove load_csv<float>', 'pandas read_csv (float64)'),
                 ('grove load_csv<double>', 'pandas read_csv (float64)')):
        print(f'speed-up {g} vs {p}: wall {med[p][0] / med[g][0]:.2f}x, cpu {med[p][1] / med[g][1]:.2f}x')


if __name__ == '__main__':
    main()

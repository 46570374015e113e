#!/usr/bin/env bash
# The curve-extrapolation benchmark in one command (not a timed test; accuracy figures only):
#   benchmarks/curves/run.sh [BUILD_DIR]        (default build/release, configured with the release preset)
# 1. exports the real tables (export_data.sh) into build/curves/data unless present;
# 2. computes the learning curves once (grove-curves, ~10 min on 2 cores; cached in
#    build/curves/curves.csv: delete it to recompute);
# 3. runs the projection study (grove-curves-study, seconds) and writes
#    build/curves/study.md (tables), build/curves/cases.csv (every case) and build/curves/charts/
#    (one chart per curve, cut at its largest N).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
out=$root/build/curves
mkdir -p "$out"
[ -f "$out/data/wvs.csv" ] || "$root/benchmarks/curves/export_data.sh" "$out/data"
cmake --build "$build" --target grove-curves grove-curves-study -j2
"$build/benchmarks/curves/grove-curves" --data "$out/data" --out "$out/curves.csv" --threads 2
mkdir -p "$out/charts"
"$build/benchmarks/curves/grove-curves-study" --curves "$out/curves.csv" --cases "$out/cases.csv" --svg "$out/charts" | tee "$out/study.md"

#!/usr/bin/env bash
# Distributed boosting: speed-up of mpirun -np 2 over -np 1 (one thread per rank) on a CPU-bound
# case, bytes per tree against a naive allreduce, and a paper estimate for 16 machines.
#
#   benchmarks/distributed/run.sh [BUILD_DIR] [--bytes] [-- bench options]
#
# BUILD_DIR (default build/release) must be configured with -DGROVE_WITH_MPI=ON and have
# grove_bench_distributed built. Timed pairs (np 1 then np 2, alternating, PAIRS times) run only
# when the 1-minute load average is below 0.3; the script refuses otherwise. --bytes runs each
# rank count once and reports bytes only (valid on a loaded machine: bytes do not depend on load).
# Bench options default to --rows 400000 --features 28 --rounds 50 --depth 6 --bins 255.
set -euo pipefail
BUILD=build/release
BYTES_ONLY=0
PAIRS=${PAIRS:-3}
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bytes) BYTES_ONLY=1 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) BUILD=$1 ;;
  esac
  shift
done
BENCH=$BUILD/benchmarks/distributed/grove_bench_distributed
[ -x "$BENCH" ] || { echo "run.sh: $BENCH not built (configure with -DGROVE_WITH_MPI=ON, build grove_bench_distributed)" >&2; exit 2; }
ARGS=(--rows 400000 --features 28 --rounds 50 --depth 6 --bins 255 "${EXTRA[@]}")
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --bind-to none)

run() { "${MPIRUN[@]}" -np "$1" "$BENCH" --threads 1 "${ARGS[@]}"; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
quiet() {
  local load; load=$(cut -d' ' -f1 "${LOADAVG_FILE:-/proc/loadavg}")  # LOADAVG_FILE: only to test this script
  awk -v l="$load" 'BEGIN { exit !(l < 0.3) }' || { echo "run.sh: load average $load >= 0.3; refusing to time (use --bytes for byte counts)" >&2; exit 3; }
}

if [ "$BYTES_ONLY" = 1 ]; then
  for np in 1 2 3; do run $np; done
  exit 0
fi

T1=() T2=()
for i in $(seq "$PAIRS"); do
  quiet; a=$(run 1); echo "$a"
  quiet; b=$(run 2); echo "$b"
  T1+=("$(field fit_s "$a")"); T2+=("$(field fit_s "$b")")
  L2=$b
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m1=$(median "${T1[@]}"); m2=$(median "${T2[@]}")
trees=$(field trees "$L2"); hist=$(field histogram_bytes_per_tree "$L2"); naive=$(field naive_bytes_per_tree "$L2")
sent=$(field bytes_sent_per_tree_per_rank "$L2")
awk -v t1="$m1" -v t2="$m2" -v trees="$trees" -v hist="$hist" -v naive="$naive" -v sent="$sent" -v depth=6 'BEGIN {
  s2 = t1 / t2
  printf "median fit: np1 %.3f s, np2 %.3f s; speed-up %.2fx (target >= 1.6x)\n", t1, t2, s2
  printf "bytes per tree: %.0f sent per rank at np 2; histograms summed %.0f; naive allreduce %.0f (%.1fx more)\n", sent, hist, naive, naive / hist
  # Paper estimate for 16 machines: the np 2 run gives the part that does not shrink with ranks
  # (replicated split scans, collectives on one host): f = 2 t2 / t1 - 1 (Amdahl with 2 ranks).
  # Network: 10 Gbit/s (1.25e9 B/s) and 50 us a collective step; each rank sends 2 (K-1)/K of
  # the histogram bytes a tree; ~3 collectives a level, each about log2(16) = 4 steps deep.
  f = 2 * t2 / t1 - 1; if (f < 0) f = 0; if (f > 1) f = 1
  per_tree = t1 / trees
  K = 16; bytes = 2 * (K - 1) / K * hist
  comm = bytes / 1.25e9 + 3 * depth * 4 * 50e-6
  t16 = per_tree * (f + (1 - f) / K) + comm
  printf "16-machine estimate: per tree %.4f s compute at np1, serial share %.2f, %.0f bytes a rank (%.4f s at 10 Gbit/s + latency) -> %.4f s a tree, speed-up %.1fx (%.0f%% efficiency)\n", per_tree, f, bytes, comm, t16, per_tree / t16, 100 * per_tree / t16 / K
}'

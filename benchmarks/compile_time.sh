#!/usr/bin/env bash
# Measures how long g++ takes to compile a translation unit that includes one grove header
# (each module header and the umbrella), -O2 -std=c++20, median of N runs. Usage:
#   benchmarks/compile_time.sh [runs]      (from the repository root)
set -euo pipefail
runs=${1:-3}
cxx=${CXX:-g++}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="-std=c++20 -O2 -I$root/include -I/usr/include/eigen3 -DGROVE_HAVE_ZLIB=1"
printf '%-28s %10s\n' "header" "seconds"
baseline() { printf '#include <vector>\n#include <string>\nint main() { std::vector<std::string> v{"a"}; return (int)v.size() - 1; }\n'; }
measure() {  # $1: label, stdin: source
  cat > "$tmp/tu.cpp"
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    $cxx $flags -c "$tmp/tu.cpp" -o "$tmp/tu.o"
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  printf '%-28s %10.2f\n' "$1" "$median"
}
baseline | measure "(std <vector>,<string> only)"
for h in "$root"/include/grove/*.hpp; do
  name=grove/${h##*/}
  [ "$name" = grove/distributed.hpp ] && continue  # needs MPI's headers (mpicxx); optional module
  printf '#include <%s>\nint main() { return 0; }\n' "$name" | measure "$name"
done

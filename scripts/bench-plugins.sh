#!/usr/bin/env bash
# Benchmark: the cost of the plugin API when no plugin is loaded. Builds
# `bohr` at BASE (default: where HEAD left main, a revision without the
# change to measure)
# and at the working tree, then times both on guest/bin/<arch>/bench under
# the JIT, alternating, RUNS times each, and prints the median times and
# their ratio (1.00 means no cost). A last row shows what one plugin costs
# (`--trace counters`: a callback per instruction) over 50M instructions.
# Not a test: it prints figures.
#
#   scripts/bench-plugins.sh [BASE] [ARCH...]     (default: merge-base riscv64)
#
# PROFILE=dev builds the test profile instead of release (the emulator is
# optimised there too, and it builds much faster).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE="${1:-$(git merge-base HEAD main)}"
shift || true
ARCHES=("${@:-riscv64}")
RUNS="${RUNS:-5}"
PROFILE="${PROFILE:-release}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

build() { # build DIR TARGET_DIR -> path of bohr
  local flag=() sub=debug
  if [ "$PROFILE" = release ]; then flag=(--release); sub=release; fi
  (cd "$1" && CARGO_TARGET_DIR="$2" cargo build -q "${flag[@]}")
  echo "$2/$sub/bohr"
}

mkdir "$TMP/base"
git archive "$BASE" | tar -x -C "$TMP/base"
# The base build keeps its own target directory, so reruns reuse it.
OLD="$(build "$TMP/base" "$PWD/target/bench-base")"
NEW="$(build . "$PWD/target")"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
secs() { # secs CMD... -> wall seconds
  local s e
  # The status does not matter (--max-insns exits 124).
  s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
  echo "$e - $s" | bc
}

printf '%-10s %-28s %10s %10s %7s\n' arch run base new ratio
for arch in "${ARCHES[@]}"; do
  prog="guest/bin/$arch/bench"
  : >"$TMP/old"; : >"$TMP/new"
  for _ in $(seq "$RUNS"); do
    secs "$OLD" exec --arch "$arch" --engine jit "$prog" >>"$TMP/old"
    secs "$NEW" exec --arch "$arch" --engine jit "$prog" >>"$TMP/new"
  done
  o=$(median <"$TMP/old"); n=$(median <"$TMP/new")
  printf '%-10s %-28s %10.3f %10.3f %7.2f\n' "$arch" "no plugin" "$o" "$n" "$(echo "$n / $o" | bc -l)"
  : >"$TMP/new"; : >"$TMP/traced"
  for _ in $(seq "$RUNS"); do
    secs "$NEW" exec --arch "$arch" --engine jit --max-insns 50000000 "$prog" >>"$TMP/new"
    secs "$NEW" exec --arch "$arch" --engine jit --max-insns 50000000 --trace counters "$prog" >>"$TMP/traced"
  done
  n=$(median <"$TMP/new"); t=$(median <"$TMP/traced")
  printf '%-10s %-28s %10.3f %10.3f %7.2f\n' "$arch" "counters, 50M insns (vs none)" "$n" "$t" "$(echo "$t / $n" | bc -l)"
done

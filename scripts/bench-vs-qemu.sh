#!/usr/bin/env bash
# Benchmark: Bohr's JIT against qemu-<arch>-static on the same guest binary,
# in the same run, on the same machine. Not a test: it prints figures.
#
#   scripts/bench-vs-qemu.sh [ARCH...]     (default: every arch with a frontend)
#
# For each arch it times guest/bin/<arch>/bench (long run: compute bound),
# guest/bin/<arch>/fpbench where the arch has one (floating point: n-body,
# matrix multiply, Newton iterations, a float kernel) and `strings` over a
# 1 MiB generated file (short run: compile cost dominates), alternating bohr and qemu run by run, RUNS times each, and
# prints the median times, the median of the per-pair ratios bohr/qemu,
# Bohr's guest MIPS and the JIT's compile cost per guest instruction.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-5}"
cargo build --release -q
BOHR="$PWD/target/release/bohr"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# 1 MiB of deterministic bytes with some printable runs.
python3 - "$TMP/input.bin" <<'PY'
import sys
x = 0x12345678
out = bytearray()
while len(out) < 1 << 20:
    x ^= (x << 13) & 0xffffffff; x ^= x >> 17; x ^= (x << 5) & 0xffffffff
    out += bytes([x & 0xff]) if x % 7 else b"PENGUIN_MTD_MAGIC_831\n"
open(sys.argv[1], "wb").write(out[: 1 << 20])
PY

qemu_for() {
  case "$1" in
    riscv64) echo qemu-riscv64-static ;; aarch64) echo qemu-aarch64-static ;;
    powerpc64) echo qemu-ppc64-static ;; mipsel) echo qemu-mipsel-static ;;
    mipseb) echo qemu-mips-static ;; armel) echo qemu-arm-static ;;
  esac
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Wall seconds of one run of the command line "$1", output discarded.
wall() {
  local s e
  s=$EPOCHREALTIME
  sh -c "$1" >/dev/null 2>&1
  e=$EPOCHREALTIME
  awk -v s="$s" -v e="$e" 'BEGIN {printf "%.6f\n", e - s}'
}

# time_pair BOHR_CMD QEMU_CMD -> prints "median_bohr median_qemu median_ratio".
# The two alternate, one run each in turn after a warm-up of each, and the
# ratio is the median of the ratios of those pairs: on a shared machine whose
# load drifts, each pair sees the same load, where back-to-back batches of
# each command would not.
time_pair() {
  local bcmd="$1" qcmd="$2" b q
  : >"$TMP/b"; : >"$TMP/q"; : >"$TMP/r"
  wall "$bcmd" >/dev/null; wall "$qcmd" >/dev/null
  for _ in $(seq "$RUNS"); do
    b=$(wall "$bcmd"); q=$(wall "$qcmd")
    echo "$b" >>"$TMP/b"; echo "$q" >>"$TMP/q"
    awk -v b="$b" -v q="$q" 'BEGIN {print b / q}' >>"$TMP/r"
  done
  echo "$(median <"$TMP/b") $(median <"$TMP/q") $(median <"$TMP/r")"
}

if [ "$#" -gt 0 ]; then ARCHES=("$@"); else
  ARCHES=(); for a in riscv64 aarch64 powerpc64 mipsel mipseb armel; do
    "$BOHR" exec --arch "$a" guest/bin/$a/true >/dev/null 2>&1 && ARCHES+=("$a"); done
fi

printf '%-10s %-8s %9s %9s %7s %10s %14s\n' arch run bohr_s qemu_s ratio bohr_MIPS compile_us/insn
for arch in "${ARCHES[@]}"; do
  qemu="$(qemu_for "$arch")"
  if ! command -v "$qemu" >/dev/null; then echo "$arch: $qemu not found, skipped"; continue; fi
  runs="bench"
  [ -x "guest/bin/$arch/fpbench" ] && runs="$runs fpbench"
  for run in $runs strings; do
    case "$run" in
      strings) args="guest/bin/$arch/strings $TMP/input.bin" ;;
      *) args="guest/bin/$arch/$run" ;;
    esac
    # The outputs must agree before the times mean anything.
    if [ "$run" != strings ] && [ "$("$BOHR" exec --arch "$arch" --engine jit $args)" != "$("$qemu" $args)" ]; then
      echo "$arch $run: output differs from $qemu"; exit 1
    fi
    read -r tb tq r < <(time_pair "$BOHR exec --arch $arch --engine jit $args" "$qemu $args")
    stats="$("$BOHR" exec --arch "$arch" --engine jit --stats $args 2>&1 >/dev/null)"
    insns=$(echo "$stats" | awk -F': ' '/^guest instructions/ {print $2}')
    cost=$(echo "$stats" | awk '/^compile cost/ {print $3}')
    mips=$(awk -v i="$insns" -v t="$tb" 'BEGIN {printf "%.0f", i / t / 1e6}')
    ratio=$(awk -v r="$r" 'BEGIN {printf "%.2f", r}')
    printf '%-10s %-8s %9.3f %9.3f %7s %10s %14s\n' "$arch" "$run" "$tb" "$tq" "$ratio" "$mips" "${cost:-n/a}"
  done
done

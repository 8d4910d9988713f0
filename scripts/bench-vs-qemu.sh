#!/usr/bin/env bash
# Benchmark: Bohr's JIT against qemu-<arch>-static on the same guest binary,
# in the same run, on the same machine. Not a test: it prints figures.
#
#   scripts/bench-vs-qemu.sh [ARCH...]     (default: every arch with a frontend)
#
# ITEMS (environment, default "bench fpbench strings strings8 bbstrings bbgrep
# strbench cell cellpipe matrix")
# picks what runs:
# - bench, fpbench: guest/bin/<arch>/bench (long run: compute bound) and
#   guest/bin/<arch>/fpbench where the arch has one (floating point);
# - strings, strings8: `strings` over a 1 MiB and an 8 MiB generated file
#   (short runs of branchy byte-at-a-time code, one process);
# - bbstrings, bbgrep: the two busy processes of the read-back cell below,
#   one at a time, on the busybox image's own dynamically linked busybox
#   (`bohr exec -L ROOT` against `qemu-<arch>-static -L ROOT`): `strings`
#   over the cell's 1 MiB flash and `grep PENGUIN_MTD_MAGIC` over what
#   `strings` printed;
# - strbench: guest/libc-tests/bin/<arch>/strbench, a static glibc program
#   that spends its time in the C library's strlen, memchr, strchr, memcpy,
#   memcmp and memset (on aarch64 glibc's Advanced SIMD routines);
# - cell: one busybox MTD read-back cell of matrices/firmware.toml
#   (`bohr run --cell ARCH/busybox/guest/host/mtd_readback`: four guest
#   processes, `sh -c 'cat /dev/mtd0 | strings | grep …'`) against the same
#   `sh -c` of the same busybox under qemu-<arch>-static: the guest's own
#   shell, run in a copy of the image's root tree (`chroot`), whose forks
#   and `execve`s of guest programs go to QEMU through a binfmt_misc
#   handler this script registers for the run and removes after (needs
#   root; skipped, with the reason, where it cannot);
# - cellpipe: the same cell against the three applets alone under QEMU, in
#   a pipeline the host's shell builds (no guest shell on QEMU's side: what
#   `cell` measured before it could run the guest's `sh`);
# - matrix: the whole firmware matrix at `--jobs 2` against the read-back
#   pipeline of each of its cells under QEMU, two at a time (`xargs -P2`).
# The cell and matrix items need the busybox images
# (scripts/busybox-rootfs.sh).
#
# Bohr's caches (decoded rootfs images and compiled code, see the README)
# are warm after the warm-up run, as they are for a user running a program
# or a matrix again; set BOHR_CACHE_DIR=off to measure decoding the image
# and compiling every region in every run (code is still shared within one).
#
# Bohr and QEMU alternate run by run, RUNS times each; it prints the median
# times, the median of the per-pair ratios bohr/qemu, the ratio of the two
# minimums (each side's least disturbed run: on a host whose speed swings
# from run to run, a second view of the same comparison), Bohr's guest MIPS
# and the JIT's compile cost per guest instruction (one-process items).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-5}"
ITEMS="${ITEMS:-bench fpbench strings strings8 bbstrings bbgrep strbench cell cellpipe matrix}"
cargo build --release -q
BOHR="$PWD/target/release/bohr"

# The binfmt_misc name of QEMU's handler for an arch (its entry under
# /usr/share/binfmts, which Debian's qemu-user-static installs).
binfmt_for() {
  case "$1" in
    riscv64) echo qemu-riscv64 ;; aarch64) echo qemu-aarch64 ;;
    powerpc64) echo qemu-ppc64 ;; mipsel) echo qemu-mipsel ;;
    mipseb) echo qemu-mips ;; armel) echo qemu-arm ;;
  esac
}

# Make guest programs of `arch` run under `qemu` when executed: a
# binfmt_misc entry `bohr-bench-ARCH` with QEMU's magic and mask and the
# fix-binary flag (the kernel opens QEMU now, so it need not be inside a
# chroot). Fails where it cannot (not root, no binfmt_misc), with the
# reason in `binfmt_why`. Entries made here are removed at exit.
BINFMT=/proc/sys/fs/binfmt_misc
registered=()
mounted_binfmt=""
binfmt_register() {
  local arch="$1" qemu="$2" spec name
  spec="/usr/share/binfmts/$(binfmt_for "$arch")"
  name="bohr-bench-$arch"
  # One a run that was killed left behind is taken over, and removed.
  if [ -e "$BINFMT/$name" ]; then registered+=("$name"); return 0; fi
  if [ "$(id -u)" -ne 0 ]; then binfmt_why="not root"; return 1; fi
  if [ ! -e "$BINFMT/register" ]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT" 2>/dev/null || { binfmt_why="no binfmt_misc"; return 1; }
    mounted_binfmt=1
  fi
  [ -r "$spec" ] || { binfmt_why="no $spec"; return 1; }
  local magic mask offset
  magic=$(awk '$1 == "magic" {print $2}' "$spec")
  mask=$(awk '$1 == "mask" {print $2}' "$spec")
  offset=$(awk '$1 == "offset" {print $2}' "$spec")
  printf ':%s:M:%s:%s:%s:%s:F' "$name" "${offset:-0}" "$magic" "$mask" "$(command -v "$qemu")" \
    >"$BINFMT/register" 2>/dev/null || { binfmt_why="binfmt_misc refused $name"; return 1; }
  registered+=("$name")
}
binfmt_cleanup() {
  local n
  for n in "${registered[@]}"; do echo -1 >"$BINFMT/$n" 2>/dev/null || true; done
  [ -n "$mounted_binfmt" ] && umount "$BINFMT" 2>/dev/null || true
}

TMP="$(mktemp -d)"
trap 'binfmt_cleanup; rm -rf "$TMP"' EXIT

# 1 MiB and 8 MiB of deterministic bytes with some printable runs.
python3 - "$TMP/input.bin" "$TMP/input8.bin" <<'PY'
import sys
for path, size in ((sys.argv[1], 1 << 20), (sys.argv[2], 8 << 20)):
    x = 0x12345678
    out = bytearray()
    while len(out) < size:
        x ^= (x << 13) & 0xffffffff; x ^= x >> 17; x ^= (x << 5) & 0xffffffff
        out += bytes([x & 0xff]) if x % 7 else b"PENGUIN_MTD_MAGIC_831\n"
    open(path, "wb").write(out[:size])
PY
# The firmware matrix's flash for QEMU: 1 MiB of random bytes with the
# magic string at 0x1000 (Bohr fills its MTD from the cell's seed).
python3 - "$TMP/mtd.bin" <<'PY'
import random, sys
r = random.Random(831)
b = bytearray(r.getrandbits(8) for _ in range(1 << 20))
m = b"PENGUIN_MTD_MAGIC_831"
b[0x1000:0x1000 + len(m)] = m
open(sys.argv[1], "wb").write(b)
PY

want() { case " $ITEMS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

qemu_for() {
  case "$1" in
    riscv64) echo qemu-riscv64-static ;; aarch64) echo qemu-aarch64-static ;;
    powerpc64) echo qemu-ppc64-static ;; mipsel) echo qemu-mipsel-static ;;
    mipseb) echo qemu-mips-static ;; armel) echo qemu-arm-static ;;
  esac
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
minimum() { sort -g | head -n 1; }

# Wall seconds of one run of the command line "$1", output discarded.
wall() {
  local s e
  s=$EPOCHREALTIME
  sh -c "$1" >/dev/null 2>&1
  e=$EPOCHREALTIME
  awk -v s="$s" -v e="$e" 'BEGIN {printf "%.6f\n", e - s}'
}

# time_pair BOHR_CMD QEMU_CMD -> prints "median_bohr median_qemu median_ratio
# min_ratio".
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
  echo "$(median <"$TMP/b") $(median <"$TMP/q") $(median <"$TMP/r")" \
    "$(awk -v b="$(minimum <"$TMP/b")" -v q="$(minimum <"$TMP/q")" 'BEGIN {print b / q}')"
}

if [ "$#" -gt 0 ]; then ARCHES=("$@"); else
  ARCHES=(); for a in riscv64 aarch64 powerpc64 mipsel mipseb armel; do
    "$BOHR" exec --arch "$a" guest/bin/$a/true >/dev/null 2>&1 && ARCHES+=("$a"); done
fi

# The busybox root tree of an arch (dynamic build), empty when missing.
busybox_root() {
  local r="target/busybox-rootfs/$1/dynamic/root"
  [ -x "$r/bin/busybox" ] && echo "$PWD/$r"
}

# The read-back pipeline of one cell under QEMU: the host's shell, three
# QEMU processes of the guest's busybox, its libraries from the root tree.
qemu_pipeline() {
  local qemu="$1" root="$2"
  echo "QEMU_LD_PREFIX=$root $qemu $root/bin/busybox cat $TMP/mtd.bin" \
    "| QEMU_LD_PREFIX=$root $qemu $root/bin/busybox strings" \
    "| QEMU_LD_PREFIX=$root $qemu $root/bin/busybox grep PENGUIN_MTD_MAGIC"
}

# The read-back cell's command line under QEMU with the guest's own shell:
# a copy of the root tree with the flash at /mtd.bin, entered by `chroot`,
# every guest process under QEMU (binfmt_misc), at most 64 of them.
qemu_guest_shell() {
  local arch="$1" root="$2" tree="$TMP/root-$1"
  if [ ! -d "$tree" ]; then
    cp -a "$root" "$tree"
    cp "$TMP/mtd.bin" "$tree/mtd.bin"
  fi
  echo "prlimit --nproc=64 chroot $tree /bin/sh -c 'cat /mtd.bin | strings | grep PENGUIN_MTD_MAGIC'"
}

printf '%-10s %-8s %9s %9s %7s %9s %10s %14s\n' arch run bohr_s qemu_s ratio min_ratio bohr_MIPS compile_us/insn
for arch in "${ARCHES[@]}"; do
  qemu="$(qemu_for "$arch")"
  if ! command -v "$qemu" >/dev/null; then echo "$arch: $qemu not found, skipped"; continue; fi
  runs=""
  want bench && runs="$runs bench"
  want fpbench && [ -x "guest/bin/$arch/fpbench" ] && runs="$runs fpbench"
  want strings && runs="$runs strings"
  want strings8 && runs="$runs strings8"
  root="$(busybox_root "$arch")"
  if [ -n "$root" ]; then
    want bbstrings && runs="$runs bbstrings"
    want bbgrep && runs="$runs bbgrep"
  fi
  want strbench && [ -x "guest/libc-tests/bin/$arch/strbench" ] && runs="$runs strbench"
  for run in $runs; do
    # Dynamically linked guests find their libraries under -L.
    lib=""
    case "$run" in
      strings) args="guest/bin/$arch/strings $TMP/input.bin" ;;
      strings8) args="guest/bin/$arch/strings $TMP/input8.bin" ;;
      bbstrings) lib="-L $root"; args="$root/bin/busybox strings $TMP/mtd.bin" ;;
      bbgrep) lib="-L $root"; args="$root/bin/busybox grep PENGUIN_MTD_MAGIC $TMP/mtd.strings" ;;
      strbench) args="guest/libc-tests/bin/$arch/strbench" ;;
      *) args="guest/bin/$arch/$run" ;;
    esac
    if [ "$run" = bbgrep ] && [ ! -s "$TMP/mtd.strings" ]; then
      QEMU_LD_PREFIX="$root" "$qemu" "$root/bin/busybox" strings "$TMP/mtd.bin" >"$TMP/mtd.strings"
    fi
    # The outputs must agree before the times mean anything.
    if [ "$("$BOHR" exec --arch "$arch" --engine jit $lib $args | cksum)" != "$("$qemu" $lib $args | cksum)" ]; then
      echo "$arch $run: output differs from $qemu"; exit 1
    fi
    read -r tb tq r rm < <(time_pair "$BOHR exec --arch $arch --engine jit $lib $args" "$qemu $lib $args")
    stats="$("$BOHR" exec --arch "$arch" --engine jit --stats $lib $args 2>&1 >/dev/null)"
    insns=$(echo "$stats" | awk -F': ' '/^guest instructions/ {print $2}')
    cost=$(echo "$stats" | awk '/^compile cost/ {print $3}')
    mips=$(awk -v i="$insns" -v t="$tb" 'BEGIN {printf "%.0f", i / t / 1e6}')
    ratio=$(awk -v r="$r" 'BEGIN {printf "%.2f", r}')
    printf '%-10s %-8s %9.3f %9.3f %7s %9.2f %10s %14s\n' "$arch" "$run" "$tb" "$tq" "$ratio" "$rm" "$mips" "${cost:-n/a}"
  done
  if want cell || want cellpipe; then
    if [ -z "$root" ]; then echo "$arch cell: no busybox image, skipped"; continue; fi
    cell="$arch/busybox/guest/host/mtd_readback"
    if ! "$BOHR" run matrices/firmware.toml --cell "$cell" >/dev/null 2>&1; then
      echo "$arch cell: $cell fails under bohr"; exit 1
    fi
  fi
  if want cell; then
    if binfmt_register "$arch" "$qemu"; then
      gsh="$(qemu_guest_shell "$arch" "$root")"
      if [ "$(sh -c "$gsh")" != PENGUIN_MTD_MAGIC_831 ]; then
        echo "$arch cell: the guest's shell fails under $qemu"; exit 1
      fi
      read -r tb tq r rm < <(time_pair "$BOHR run matrices/firmware.toml --cell $cell" "$gsh")
      printf '%-10s %-8s %9.3f %9.3f %7.2f %9.2f %10s %14s\n' "$arch" cell "$tb" "$tq" "$r" "$rm" - -
    else
      echo "$arch cell: the guest's shell cannot run under QEMU here ($binfmt_why), skipped"
    fi
  fi
  if want cellpipe; then
    if [ "$(sh -c "$(qemu_pipeline "$qemu" "$root")")" != PENGUIN_MTD_MAGIC_831 ]; then
      echo "$arch cellpipe: the pipeline fails under $qemu"; exit 1
    fi
    read -r tb tq r rm < <(time_pair "$BOHR run matrices/firmware.toml --cell $cell" \
      "$(qemu_pipeline "$qemu" "$root")")
    printf '%-10s %-8s %9.3f %9.3f %7.2f %9.2f %10s %14s\n' "$arch" cellpipe "$tb" "$tq" "$r" "$rm" - -
  fi
done

if want matrix; then
  # One QEMU pipeline per cell of the matrix (the cells of arches without an
  # image or a QEMU are left out of both sides).
  : >"$TMP/pipes"
  cells=()
  for arch in "${ARCHES[@]}"; do
    qemu="$(qemu_for "$arch")"; root="$(busybox_root "$arch")"
    command -v "$qemu" >/dev/null && [ -n "$root" ] || continue
    cells+=(--filter "arch=$arch")
    n=$("$BOHR" list matrices/firmware.toml --format text | grep -c "^$arch/")
    for _ in $(seq "$n"); do qemu_pipeline "$qemu" "$root" >>"$TMP/pipes"; done
  done
  if [ "${#cells[@]}" -gt 0 ]; then
    n=$(wc -l <"$TMP/pipes")
    read -r tb tq r rm < <(time_pair "$BOHR run matrices/firmware.toml --jobs 2 ${cells[*]}" \
      "tr '\\n' '\\0' <$TMP/pipes | xargs -0 -P2 -n1 sh -c")
    printf '%-10s %-8s %9.3f %9.3f %7.2f %9.2f %10s %14s\n' "all($n)" matrix "$tb" "$tq" "$r" "$rm" - -
  fi
fi

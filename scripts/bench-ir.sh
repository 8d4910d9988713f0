#!/usr/bin/env bash
# Benchmark by host instructions: how many x86-64 instructions Bohr itself
# retires (valgrind's callgrind counts them) for a few short runs, the kind
# a firmware matrix is made of. Not a test: it prints figures.
#
#   scripts/bench-ir.sh [ARCH...]      (default: mipsel armel)
#
# Why a second benchmark beside scripts/bench-vs-qemu.sh: wall time on a
# shared or virtual host swings by a third from one minute to the next
# (its speed varies, freed memory goes back to the hypervisor), which hides
# any change under 10 %. The count of instructions retired is the same in
# every run of the same build (within 0.01 %), so a change of 1 % to the
# cold path or the compiled code shows, and the per-function breakdown
# (callgrind_annotate FILE) says where. It is a proxy: an instruction
# count ignores cache misses, page faults and how much runs in parallel,
# so figures against QEMU still come from bench-vs-qemu.sh.
#
# Runs, each one process of `bohr` with one thread (`--lanes 0`; compiled
# code is produced in the foreground, BOHR_JIT_BACKGROUND=0, so nothing
# depends on another thread's timing):
# - start:   `bohr sh` running the busybox image's own `sh -c true` (the
#            serial start of every cell: image, loader, shell);
# - grep:    busybox `grep` over the read-back cell's `strings` output,
#            one guest process;
# - cell:    the busybox MTD read-back cell of matrices/firmware.toml.
# Each is counted once the code store holds this build's compiled code for
# it, as it does for a user running a matrix again (see `count`). The
# compiled code is the one Cranelift makes for valgrind's virtual CPU
# (fewer instruction set extensions than most hosts), so its share is
# close to, not equal to, a native run's. Only 32-bit guests: a 64-bit
# guest's address space reservation is larger than valgrind lets a
# program map.
#
# Needs valgrind (installed from Debian's packages when missing) and the
# busybox images (scripts/busybox-rootfs.sh). OUT (default target/bench-ir)
# keeps each run's callgrind file.
#
# JIT_MIX=1 also breaks the grep run's compiled code down: one more run
# with per-instruction counts (`--dump-instr=yes`) and each region's
# machine code dumped (`BOHR_PERF_MAP=code`), then the host instructions
# of compiled code by kind (stores to and loads from `CpuState`, guest
# memory, the entry that finds a region's block, the fuel, frames,
# branches...), the region entries, and the busiest regions. Compiled code
# is x86-64 here; the kinds are read off its disassembly (objdump).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends valgrind
fi
cargo build --release -q
BOHR="$PWD/target/release/bohr"
OUT="${OUT:-target/bench-ir}"
mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
ARCHES=("$@")
[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(mipsel armel)

echo true >"$TMP/true.sh"
echo 'grep PENGUIN_MTD_MAGIC /s.txt' >"$TMP/grep.sh"

# The read-back cell's `strings` output, as grep's input: the printable
# runs of 1 MiB of random bytes with the magic string at 0x1000 (the
# matrix fills its flash from the cell's seed; grep's work depends only on
# the shape of the text, not on which bytes).
python3 - "$TMP/s.txt" <<'PY'
import random, re, sys
r = random.Random(831)
b = bytearray(r.getrandbits(8) for _ in range(1 << 20))
m = b"PENGUIN_MTD_MAGIC_831"
b[0x1000:0x1000 + len(m)] = m
runs = re.findall(rb"[\x20-\x7e\t]{4,}", bytes(b))
open(sys.argv[1], "wb").write(b"\n".join(runs) + b"\n")
PY

# Host instructions of one run of `bohr ARGS...` under callgrind, once the
# code store is warm for it: the store keeps code per host CPU's features,
# and valgrind's virtual CPU reports fewer than the host's, so only runs
# under valgrind fill it (after a rebuild it took two); runs repeat until
# one counts within 0.1 % of the run before it (at most five).
count() {
  local name="$1"; shift
  local prev=0 ir=0
  for _ in 1 2 3 4 5; do
    BOHR_JIT_BACKGROUND=0 valgrind --tool=callgrind --smc-check=all-non-file \
      --callgrind-out-file="$OUT/$name.callgrind" "$BOHR" "$@" >/dev/null 2>"$TMP/log" || {
      echo "$name: bohr $* failed under valgrind" >&2; cat "$TMP/log" >&2; exit 1
    }
    ir=$(grep -o 'refs: *[0-9,]*' "$TMP/log" | tr -d ', ' | cut -d: -f2)
    if [ "$prev" -gt 0 ] && [ $(( (prev > ir ? prev - ir : ir - prev) * 1000 )) -le "$ir" ]; then
      break
    fi
    prev=$ir
  done
  echo "$ir"
}

# The compiled code of one more run of `bohr ARGS...`, by kind (JIT_MIX).
jit_mix() {
  local arch="$1"; shift
  local cg="$OUT/$arch-grep-instr.callgrind"
  BOHR_PERF_MAP=code BOHR_JIT_BACKGROUND=0 valgrind --tool=callgrind --dump-instr=yes \
    --smc-check=all-non-file --callgrind-out-file="$cg" "$BOHR" "$@" >/dev/null 2>"$TMP/log"
  local pid
  pid=$(grep -m1 -o '^==[0-9]*==' "$TMP/log" | tr -d '=')
  python3 - "$cg" "$pid" <<'PY'
import collections, os, re, subprocess, sys
cg, pid = sys.argv[1], int(sys.argv[2])
# Self cost of every instruction address (callgrind's compressed format).
cost, pos, skip = collections.Counter(), 0, False
def val(tok, prev):
    if tok == '*':
        return prev
    if tok[0] in '+-':
        d = int(tok[1:], 0)
        return prev + d if tok[0] == '+' else prev - d
    return int(tok, 0)
for line in open(cg):
    if not line or not (line[0].isdigit() or line[0] in '+-*'):
        skip = skip or line.startswith('calls=')
        continue
    parts = line.split()
    pos = val(parts[0], pos)
    if skip:
        skip = False
        continue
    cost[pos] += int(parts[-1])
regions = []
for line in open(f'/tmp/perf-{pid}.map'):
    start, size, name = line.split(None, 2)
    regions.append((int(start, 16), int(size, 16), name.strip()))
kinds, per_region, entries, total = collections.Counter(), [], 0, 0
for start, size, name in regions:
    path = f'/tmp/perf-{pid}-{start:x}.bin'
    if not os.path.exists(path):
        continue
    dis = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64',
                          f'--adjust-vma={start:#x}', path], capture_output=True, text=True).stdout
    insns = [(int(m[1], 16), m[2].strip()) for m in
             re.finditer(r'^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*\t(.*)$', dis, re.M)]
    # The entry: from the function's start to the first indirect jump or
    # return (the search for the block, or the exit when none matches).
    entry_end = next((a for a, t in insns if t.startswith(('ret', 'jmp    *'))), start)
    entries += cost.get(start, 0)
    here = 0
    for a, t in insns:
        c = cost.get(a, 0)
        if not c:
            continue
        here += c
        if a <= entry_end:
            k = 'entry (find the block)'
        elif re.match(r'(push|pop)\s+%rbp|mov\s+%(rsp,%rbp|rbp,%rsp)', t):
            k = 'frame'
        elif 'r15' in t:
            k = 'fuel (pinned r15)'
        elif '(%rdi)' in t:
            k = 'CpuState store' if re.search(r',-?(0x[0-9a-f]+)?\(%rdi\)$', t) else 'CpuState load'
        elif '(%rsp)' in t:
            k = 'stack'
        elif re.search(r'\(%r\w+,%r\w+', t):
            k = 'guest memory'
        elif re.match(r'mov\s+%e(\w\w),%e\1$|mov\s+%r(\d+)d,%r\2d$', t):
            k = 'zero-extending move'
        elif t.startswith(('j', 'call')):
            k = 'branch'
        elif t.startswith(('cmp', 'test')):
            k = 'compare'
        elif t.startswith('mov'):
            k = 'register move'
        else:
            k = 'other ALU'
        kinds[k] += c
    total += here
    per_region.append((here, name))
all_insns = sum(cost.values())
print(f'  compiled code: {total:,} of {all_insns:,} host instructions; '
      f'{entries:,} region entries')
for k, c in kinds.most_common():
    print(f'    {100 * c / max(total, 1):5.1f} %  {k}')
for c, name in sorted(per_region, reverse=True)[:5]:
    print(f'    {100 * c / max(total, 1):5.1f} %  {name}')
PY
  rm -f "/tmp/perf-$pid.map" /tmp/perf-"$pid"-*.bin
}

printf '%-8s %-6s %16s %14s\n' arch run host_insns guest_insns
for arch in "${ARCHES[@]}"; do
  img="target/busybox-rootfs/$arch/dynamic/rootfs.squashfs"
  if [ ! -f "$img" ]; then echo "$arch: no busybox image (scripts/busybox-rootfs.sh), skipped"; continue; fi
  sh_run=(sh --lanes 0 --arch "$arch" -L "$img" --shell guest)
  for run in start grep cell; do
    case "$run" in
      start) args=("${sh_run[@]}" "$TMP/true.sh") ;;
      grep) args=("${sh_run[@]}" --file "/s.txt=$TMP/s.txt" "$TMP/grep.sh") ;;
      cell) args=(run matrices/firmware.toml --cell "$arch/busybox/guest/host/mtd_readback" --lanes 0) ;;
    esac
    ir=$(count "$arch-$run" "${args[@]}")
    # Guest instructions: `bohr sh` reports them on stderr (in the counted
    # run's log), `bohr run` in the cell's snapshot.
    if [ "$run" = cell ]; then
      snap="matrices/snapshots/firmware/${arch}__busybox__guest__host__mtd_readback.snap"
      guest=$(grep -m1 -o 'insns: [0-9]*' "$snap" | cut -d' ' -f2 || true)
    else
      guest=$(grep -o '; [0-9]* instructions,' "$TMP/log" | head -1 | cut -d' ' -f2 || true)
    fi
    printf '%-8s %-6s %16s %14s\n' "$arch" "$run" "$(printf "%'d" "$ir")" "${guest:--}"
    if [ "$run" = grep ] && [ -n "${JIT_MIX:-}" ]; then jit_mix "$arch" "${args[@]}"; fi
  done
done
echo "callgrind files: $OUT (callgrind_annotate FILE for the breakdown)"

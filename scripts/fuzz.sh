#!/usr/bin/env bash
# The fuzz campaign (not part of `cargo test`, which runs each target's
# quick pass): every fuzz target for SECONDS each (or EXECS executions),
# then the interp-vs-JIT differential for SEQUENCES generated sequences per
# arch. Prints, per target, executions, features (the coverage proxy the
# target names: `bohr-fuzz list`), corpus size and findings, and per arch
# the sequences run and how many differed. Findings' shrunk inputs go to
# target/fuzz-findings/<target>/; copy one into fuzz/regressions/<target>/
# once fixed, and every later quick pass runs it.
#
#   scripts/fuzz.sh [SECONDS]          (default 60 per target)
#
# Environment: EXECS=N (per target, instead of time), SEQUENCES=N
# (differential, per arch; default 1000000; 0 skips it), TARGETS="a b"
# (default all), ARCHES="riscv64 ..." (default all six), SEED=S, START=I
# (first differential sequence, to continue a campaign in chunks).
# Runs under `nice`; random guest code only ever runs inside Bohr.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-60}"
SEQUENCES="${SEQUENCES:-1000000}"
cargo build -q -p bohr-fuzz
FUZZ="$PWD/target/debug/bohr-fuzz"
# The differential in the release profile: the test profile runs
# Cranelift's verifier on every compiled block (debug assertions), which
# costs most of its compile time; the engines' results do not depend on it.
if [ "$SEQUENCES" != 0 ]; then cargo build -q --release -p bohr-fuzz; fi
FUZZ_RELEASE="$PWD/target/release/bohr-fuzz"

args=(--seed "${SEED:-0}")
if [ -n "${EXECS:-}" ]; then args+=(--execs "$EXECS"); else args+=(--seconds "$SECONDS_PER_TARGET"); fi
for t in ${TARGETS:-}; do args+=(--target "$t"); done

status=0
start=$(date +%s)
nice -n 10 "$FUZZ" run "${args[@]}" || status=1
if [ "$SEQUENCES" != 0 ]; then
  dargs=(--sequences "$SEQUENCES" --start "${START:-0}")
  for a in ${ARCHES:-}; do dargs+=(--arch "$a"); done
  nice -n 10 "$FUZZ_RELEASE" differential "${dargs[@]}" || status=1
fi
echo "campaign time: $(( $(date +%s) - start )) s"
exit $status

#!/bin/sh
# Rebuild the selfcheck test program next to this script with Debian's
# aarch64 cross compiler (package gcc-aarch64-linux-gnu). Atomics are
# inlined (no libgcc helpers) so that the program links without a libc.
set -eu
cd "$(dirname "$0")"
aarch64-linux-gnu-gcc -O2 -static -nostdlib -ffreestanding -mgeneral-regs-only \
	-mno-outline-atomics -fno-stack-protector -fno-asynchronous-unwind-tables -fno-ident \
	-Wl,--build-id=none -Wl,-z,max-page-size=4096 -o selfcheck selfcheck.c

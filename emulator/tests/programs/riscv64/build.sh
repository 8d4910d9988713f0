#!/bin/sh
# Rebuild the selfcheck test program next to this script with Debian's
# riscv64 cross compiler (package gcc-riscv64-linux-gnu). RV64IMAC, so the
# compiler emits compressed instructions and no floating point; nothing
# needs libgcc, so the program links without a libc.
set -eu
cd "$(dirname "$0")"
riscv64-linux-gnu-gcc -O2 -static -nostdlib -ffreestanding -march=rv64imac -mabi=lp64 \
	-fno-tree-loop-distribute-patterns -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-ident -Wall -Wextra -Wl,--build-id=none -Wl,-z,max-page-size=4096 -o selfcheck selfcheck.c

#!/bin/sh
# Rebuild the elfv1 test program next to this script with Debian's
# powerpc64 cross compiler (package gcc-powerpc64-linux-gnu).
set -eu
cd "$(dirname "$0")"
powerpc64-linux-gnu-gcc -O2 -static -nostdlib -ffreestanding -mabi=elfv1 -msoft-float \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-ident \
	-Wl,--build-id=none -Wl,-z,max-page-size=4096 -o elfv1 elfv1.c

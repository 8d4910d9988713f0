#!/bin/sh
# Rebuild the selfcheck test program next to this script with Debian's
# armel cross compiler (package gcc-arm-linux-gnueabi): ARM state, ARMv7
# with the integer divide instructions, soft-float, linked against libgcc
# only (64-bit division helpers); and selfcheck-thumb, the same source in
# Thumb-2 state (libgcc stays ARM code, so its calls interwork).
set -eu
cd "$(dirname "$0")"
arm-linux-gnueabi-gcc -O2 -static -nostdlib -ffreestanding -marm -march=armv7ve -mfloat-abi=soft \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-ident \
	-Wl,--build-id=none -Wl,-z,max-page-size=4096 -o selfcheck selfcheck.c -lgcc
arm-linux-gnueabi-gcc -O2 -static -nostdlib -ffreestanding -mthumb -march=armv7ve -mfloat-abi=soft \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-ident \
	-Wl,--build-id=none -Wl,-z,max-page-size=4096 -o selfcheck-thumb selfcheck.c -lgcc

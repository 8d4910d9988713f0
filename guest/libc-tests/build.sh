#!/bin/sh
# Build the glibc test programs for every architecture, static and dynamic,
# with Debian's cross compilers and C libraries (gcc-<triple> and
# libc6-dev-<arch>-cross).
# Usage: guest/libc-tests/build.sh [OUTDIR]
#   (default: guest/libc-tests/bin; writes OUTDIR/<arch>/{libctest,sigtest}-{static,dynamic})
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/bin}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$here"

export LC_ALL=C
unset GCC_EXEC_PREFIX COMPILER_PATH LIBRARY_PATH CPATH C_INCLUDE_PATH || true

FLAGS="-std=gnu11 -O2 -D_FILE_OFFSET_BITS=64 -Wall -Wextra -Werror -fno-ident -ffile-prefix-map=$here=.
       -Wl,--build-id=none -s"

for arch in riscv64 aarch64 powerpc64 mipsel mipseb armel; do
	case $arch in
	riscv64) cc=riscv64-linux-gnu-gcc ;;
	aarch64) cc=aarch64-linux-gnu-gcc ;;
	powerpc64) cc=powerpc64-linux-gnu-gcc ;;
	mipsel) cc=mipsel-linux-gnu-gcc ;;
	mipseb) cc=mips-linux-gnu-gcc ;;
	armel) cc=arm-linux-gnueabi-gcc ;;
	esac
	mkdir -p "$out/$arch"
	# shellcheck disable=SC2086
	$cc $FLAGS -static -o "$out/$arch/libctest-static" src/libctest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -o "$out/$arch/libctest-dynamic" src/libctest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -static -o "$out/$arch/sigtest-static" src/sigtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -o "$out/$arch/sigtest-dynamic" src/sigtest.c
	echo "built $arch"
done

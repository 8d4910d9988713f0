#!/bin/sh
# Build the glibc test programs for every architecture, static and dynamic,
# with Debian's cross compilers and C libraries (gcc-<triple> and
# libc6-dev-<arch>-cross), and the freestanding kernel and signal probes on Bohr's guest
# libc (../libc, with the flags of ../build.sh).
# Usage: guest/libc-tests/build.sh [OUTDIR]
#   (default: guest/libc-tests/bin; writes OUTDIR/<arch>/{libctest,sigtest}-{static,dynamic}
#   and OUTDIR/<arch>/{kprobe,sigprobe})
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

# The probe links no C library, so it needs no FP on any arch.
PROBE="-std=gnu99 -O2 -static -nostdlib -ffreestanding -fno-builtin
       -fno-pie -no-pie -fno-stack-protector -fno-asynchronous-unwind-tables
       -fno-unwind-tables -fno-ident -fno-tree-loop-distribute-patterns
       -ffunction-sections -fdata-sections -ffile-prefix-map=$here=.
       -Wall -Wextra -Werror -I../libc
       -Wl,-e,_start -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noexecstack"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

for arch in riscv64 aarch64 powerpc64 mipsel mipseb armel; do
	libs=
	case $arch in
	riscv64)
		cc=riscv64-linux-gnu-gcc; adir=riscv64
		pflags="-march=rv64imac -mabi=lp64" ;;
	aarch64)
		cc=aarch64-linux-gnu-gcc; adir=aarch64
		pflags="-mgeneral-regs-only" ;;
	powerpc64)
		cc=powerpc64-linux-gnu-gcc; adir=powerpc64
		pflags="-mabi=elfv1 -msoft-float -mtraceback=no -Wl,-z,max-page-size=4096" ;;
	mipsel)
		cc=mipsel-linux-gnu-gcc; adir=mips
		pflags="-march=mips32r2 -mabi=32 -msoft-float -mno-abicalls -fno-pic" ;;
	mipseb)
		cc=mips-linux-gnu-gcc; adir=mips
		pflags="-march=mips32r2 -mabi=32 -msoft-float -mno-abicalls -fno-pic" ;;
	armel)
		cc=arm-linux-gnueabi-gcc; adir=arm
		pflags="-marm -mfloat-abi=soft"
		libs=-lgcc ;;
	esac
	mkdir -p "$out/$arch"
	# shellcheck disable=SC2086
	$cc $FLAGS -static -o "$out/$arch/libctest-static" src/libctest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -o "$out/$arch/libctest-dynamic" src/libctest.c
	# One object per source, under fixed names, so that the link is the
	# same on every run.
	obj=$tmp/$arch
	mkdir -p "$obj"
	pf="$PROBE $pflags -I../libc/arch/$adir"
	# shellcheck disable=SC2086
	$cc $pf -c -o "$obj/start.o" "../libc/arch/$adir/start.S"
	# shellcheck disable=SC2086
	$cc $pf -c -o "$obj/libc.o" ../libc/libc.c
	# shellcheck disable=SC2086
	$cc $pf -c -o "$obj/kprobe.o" src/kprobe.c
	# shellcheck disable=SC2086
	$cc $pf -o "$out/$arch/kprobe" "$obj/start.o" "$obj/kprobe.o" "$obj/libc.o" $libs
	# shellcheck disable=SC2086
	$cc $pf -c -o "$obj/sigprobe.o" src/sigprobe.c
	# shellcheck disable=SC2086
	$cc $pf -o "$out/$arch/sigprobe" "$obj/start.o" "$obj/sigprobe.o" "$obj/libc.o" $libs
	# shellcheck disable=SC2086
	$cc $FLAGS -static -o "$out/$arch/sigtest-static" src/sigtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -o "$out/$arch/sigtest-dynamic" src/sigtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -pthread -static -o "$out/$arch/threadtest-static" src/threadtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -pthread -o "$out/$arch/threadtest-dynamic" src/threadtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -pthread -static -o "$out/$arch/deadlock" src/deadlock.c
	echo "built $arch"
done

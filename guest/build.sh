#!/bin/sh
# Rebuild every guest program for every architecture, deterministically.
# Usage: guest/build.sh [OUTDIR]    (default: guest/bin; writes OUTDIR/<arch>/<prog>)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/bin}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$here"

export LC_ALL=C
unset GCC_EXEC_PREFIX COMPILER_PATH LIBRARY_PATH CPATH C_INCLUDE_PATH || true

ARCHES="riscv64 aarch64 powerpc64 mipsel mipseb armel"
PROGS="cat strings grep echo head wc od hexdump cmp dd sha256sum yes true false
       bench mtdinfo badbuf smc segv illegal spin mmapbomb forkbomb"
FPPROGS="fpbench"

libc=libc werror=
# shellcheck source=toolchain.sh
. "$here/toolchain.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

for arch in $ARCHES; do
	guest_arch "$arch"
	cflags="$FREESTANDING $flags -Ilibc/arch/$adir"
	obj=$tmp/$arch
	mkdir -p "$obj" "$out/$arch"
	# shellcheck disable=SC2086
	$cc $cflags -c -o "$obj/start.o" "libc/arch/$adir/start.S"
	# shellcheck disable=SC2086
	$cc $cflags -c -o "$obj/libc.o" libc/libc.c
	# shellcheck disable=SC2086
	$cc $cflags -c -o "$obj/hash.o" libc/hash.c
	for prog in $PROGS; do
		# shellcheck disable=SC2086
		$cc $cflags -c -o "$obj/$prog.o" "src/$prog.c"
		# shellcheck disable=SC2086
		$cc $cflags -o "$out/$arch/$prog" "$obj/start.o" "$obj/$prog.o" \
			"$obj/libc.o" "$obj/hash.o" $libs
	done
	# Programs that need hardware floating point, where the guest has it:
	# a second build of the library for the hard-float ABI.
	fpflags=
	case $arch in
	riscv64) fpflags="$FREESTANDING -march=rv64gc -mabi=lp64d -Ilibc/arch/$adir" ;;
	aarch64) fpflags="$FREESTANDING -Ilibc/arch/$adir" ;;
	powerpc64)
		fpflags="$FREESTANDING -mabi=elfv1 -mhard-float -mtraceback=no -Wl,-z,max-page-size=4096 -Ilibc/arch/$adir" ;;
	mipsel | mipseb)
		fpflags="$FREESTANDING -march=mips32r2 -mabi=32 -mhard-float -mfp32 -mno-abicalls -fno-pic -Ilibc/arch/$adir" ;;
	esac
	if [ -n "$fpflags" ]; then
		mkdir -p "$obj/fp"
		# shellcheck disable=SC2086
		$cc $fpflags -c -o "$obj/fp/start.o" "libc/arch/$adir/start.S"
		# shellcheck disable=SC2086
		$cc $fpflags -c -o "$obj/fp/libc.o" libc/libc.c
		# shellcheck disable=SC2086
		$cc $fpflags -c -o "$obj/fp/hash.o" libc/hash.c
		for prog in $FPPROGS; do
			# shellcheck disable=SC2086
			$cc $fpflags -c -o "$obj/fp/$prog.o" "src/$prog.c"
			# shellcheck disable=SC2086
			$cc $fpflags -o "$out/$arch/$prog" "$obj/fp/start.o" "$obj/fp/$prog.o" \
				"$obj/fp/libc.o" "$obj/fp/hash.o"
		done
	fi
	# mips: fpmode once per o32 FP ABI (FP32, FPXX, FP64), each on a
	# library built for the same ABI.
	case $arch in
	mipsel | mipseb)
		for fp in 32 xx 64; do
			mflags="$FREESTANDING -march=mips32r2 -mabi=32 -mhard-float -mfp$fp -mno-abicalls -fno-pic -Ilibc/arch/$adir"
			mkdir -p "$obj/fp$fp"
			# shellcheck disable=SC2086
			$cc $mflags -c -o "$obj/fp$fp/start.o" "libc/arch/$adir/start.S"
			# shellcheck disable=SC2086
			$cc $mflags -c -o "$obj/fp$fp/libc.o" libc/libc.c
			# shellcheck disable=SC2086
			$cc $mflags -c -o "$obj/fp$fp/hash.o" libc/hash.c
			# shellcheck disable=SC2086
			$cc $mflags -c -o "$obj/fp$fp/fpmode.o" src/fpmode.c
			# shellcheck disable=SC2086
			$cc $mflags -o "$out/$arch/fpmode$fp" "$obj/fp$fp/start.o" "$obj/fp$fp/fpmode.o" \
				"$obj/fp$fp/libc.o" "$obj/fp$fp/hash.o" -lgcc
		done ;;
	esac
	echo "built $arch"
done

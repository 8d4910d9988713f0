#!/bin/sh
# Build the glibc test programs for every architecture, static and dynamic,
# with Debian's cross compilers and C libraries (gcc-<triple> and
# libc6-dev-<arch>-cross), and the freestanding kernel and signal probes on Bohr's guest
# libc (../libc, with the flags of ../toolchain.sh).
# Usage: guest/libc-tests/build.sh [OUTDIR]
#   (default: guest/libc-tests/bin; writes OUTDIR/<arch>/{libctest,sigtest,memtest}-{static,dynamic},
#   OUTDIR/<arch>/{kprobe,sigprobe,sigthread,strbench}, and for armel the Thumb-2 builds
#   OUTDIR/armel/{libctest,sigtest}-thumb-{static,dynamic})
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

# The probes link no C library, so they need no FP on any arch.
libc=../libc werror=-Werror
# shellcheck source=../toolchain.sh
. "$here/../toolchain.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

for arch in riscv64 aarch64 powerpc64 mipsel mipseb armel; do
	guest_arch "$arch"
	mkdir -p "$out/$arch"
	# shellcheck disable=SC2086
	$cc $FLAGS -static -o "$out/$arch/libctest-static" src/libctest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -o "$out/$arch/libctest-dynamic" src/libctest.c
	# One object per source, under fixed names, so that the link is the
	# same on every run.
	obj=$tmp/$arch
	mkdir -p "$obj"
	pf="$FREESTANDING $flags -I../libc/arch/$adir"
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
	$cc $FLAGS -static -o "$out/$arch/sigtest-static" src/sigtest.c -lm
	# shellcheck disable=SC2086
	$cc $FLAGS -o "$out/$arch/sigtest-dynamic" src/sigtest.c -lm
	if [ "$arch" = armel ]; then
		# The same programs in Thumb-2 state; the C library stays ARM code,
		# so every call into it interworks.
		for prog in libctest sigtest; do
			# shellcheck disable=SC2086
			$cc $FLAGS -mthumb -march=armv7-a -static -o "$out/$arch/$prog-thumb-static" src/$prog.c -lm
			# shellcheck disable=SC2086
			$cc $FLAGS -mthumb -march=armv7-a -o "$out/$arch/$prog-thumb-dynamic" src/$prog.c -lm
		done
	fi
	# shellcheck disable=SC2086
	$cc $FLAGS -pthread -static -o "$out/$arch/threadtest-static" src/threadtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -pthread -o "$out/$arch/threadtest-dynamic" src/threadtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -pthread -static -o "$out/$arch/deadlock" src/deadlock.c
	# shellcheck disable=SC2086
	$cc $FLAGS -pthread -static -o "$out/$arch/sigthread" src/sigthread.c
	# shellcheck disable=SC2086
	$cc $FLAGS -static -o "$out/$arch/memtest-static" src/memtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -o "$out/$arch/memtest-dynamic" src/memtest.c
	# shellcheck disable=SC2086
	$cc $FLAGS -static -o "$out/$arch/strbench" src/strbench.c
	echo "built $arch"
done

# Sourced (not run) by guest/build.sh and guest/libc-tests/build.sh: the one
# place that says which Debian cross compiler builds each guest arch and with
# which flags a freestanding program on Bohr's guest libc is compiled.
#
# Before sourcing, set `here` (the sourcing script's directory, mapped to `.`
# in debug paths), `libc` (the guest libc's directory from there) and
# `werror` (empty, or -Werror).

# Flags of every freestanding guest program.
FREESTANDING="-std=gnu99 -O2 -static -nostdlib -ffreestanding -fno-builtin
       -fno-pie -no-pie -fno-stack-protector -fno-asynchronous-unwind-tables
       -fno-unwind-tables -fno-ident -fno-tree-loop-distribute-patterns
       -ffunction-sections -fdata-sections -ffile-prefix-map=$here=.
       -Wall -Wextra $werror -I$libc
       -Wl,-e,_start -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noexecstack"

# guest_arch ARCH: sets `cc` (the cross compiler), `adir` (the arch's
# directory under libc/arch), `flags` (its soft-float ABI flags) and `libs`
# (what a program links beside the guest libc).
guest_arch() {
	libs=
	case $1 in
	riscv64)
		cc=riscv64-linux-gnu-gcc; adir=riscv64
		flags="-march=rv64imac -mabi=lp64" ;;
	aarch64)
		cc=aarch64-linux-gnu-gcc; adir=aarch64
		flags="-mgeneral-regs-only" ;;
	powerpc64)
		cc=powerpc64-linux-gnu-gcc; adir=powerpc64
		flags="-mabi=elfv1 -msoft-float -mtraceback=no -Wl,-z,max-page-size=4096" ;;
	mipsel | mipseb)
		cc=mips-linux-gnu-gcc; adir=mips
		[ "$1" = mipsel ] && cc=mipsel-linux-gnu-gcc
		flags="-march=mips32r2 -mabi=32 -msoft-float -mno-abicalls -fno-pic" ;;
	armel)
		cc=arm-linux-gnueabi-gcc; adir=arm
		flags="-marm -mfloat-abi=soft"
		libs=-lgcc ;;
	*)
		echo "unknown guest arch $1" >&2
		return 1 ;;
	esac
}

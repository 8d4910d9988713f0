#!/usr/bin/env bash
# Builds Lua from Debian's source package (`apt-get source lua5.4`), a
# third-party C program, as a static glibc executable with each Debian
# cross compiler, for tests/lua_static.rs to run under Bohr and QEMU:
#
#   target/lua-static/<arch>/lua
#
# A build is reused while the source package version and this script are
# unchanged (`.stamp`). Needs root (or sudo) once, to add a deb-src entry
# when the host has none.
#
# Usage: scripts/lua-static.sh [ARCH...]   (default: powerpc64 mipseb mipsel aarch64)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/debian-source.sh
. scripts/debian-source.sh
ARCHES=("$@")
[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(powerpc64 mipseb mipsel aarch64)
# aarch64 is built at -O3, so GCC vectorises Lua's loops with Advanced SIMD.
declare -A OPT=([aarch64]=-O3)

OUT=target/lua-static

src=$(debian_source lua5.4 "$OUT/src")
version=$(basename "$src")
script_sum=$(sha256sum "$0" | cut -d' ' -f1)

for arch in "${ARCHES[@]}"; do
  triple=${TRIPLE[$arch]:?unknown arch $arch}
  dir=$OUT/$arch
  stamp="$version $script_sum"
  if [ -x "$dir/lua" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
    continue
  fi
  mkdir -p "$dir/include"
  # Debian's luaconf.h names the multiarch directory from a generated
  # header (debian/rules writes it).
  printf '#define DEB_HOST_MULTIARCH "%s"\n' "$triple" > "$dir/include/lua5.4-deb-multiarch.h"
  # The interpreter: every core and library file but the compiler's main.
  files=$(ls "$src"/src/*.c | grep -v '/luac\.c$')
  # shellcheck disable=SC2086
  "$triple-gcc" "${OPT[$arch]:--O2}" -std=gnu99 -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -static \
    -I"$dir/include" -o "$dir/lua.part" $files -lm
  mv "$dir/lua.part" "$dir/lua"
  echo "$stamp" > "$dir/.stamp"
  echo "lua ($version) for $arch: $dir/lua"
done

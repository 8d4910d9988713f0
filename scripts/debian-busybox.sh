#!/usr/bin/env bash
# Fetches Debian's own statically linked busybox (the `busybox-static`
# package, built by Debian, not by Bohr) for each given Debian arch and
# unpacks it to target/debian-busybox/<debian-arch>/busybox, for the tests
# that run a static glibc program someone else compiled
# (tests/debian_busybox.rs). Never committed; reused while present.
#
# The package index is kept under target/, so the host's apt
# configuration (its architectures included) is left alone.
#
# Usage: scripts/debian-busybox.sh [DEBIAN-ARCH...]   (default: armel mipsel)
set -euo pipefail
cd "$(dirname "$0")/.."

ARCHES=("$@")
[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(armel mipsel)
for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "debian-busybox.sh: $tool is missing" >&2; exit 2; }
done

for arch in "${ARCHES[@]}"; do
  out="target/debian-busybox/$arch"
  [ -x "$out/busybox" ] && continue
  rm -rf "$out"
  mkdir -p "$out/apt/lists/partial" "$out/apt/cache/archives/partial"
  apt=(apt-get -q -o "Dir::State::Lists=$PWD/$out/apt/lists" -o "Dir::Cache=$PWD/$out/apt/cache"
       -o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
  "${apt[@]}" update >/dev/null
  # apt-get download writes to the current directory.
  (cd "$out/apt" && "${apt[@]}" download "busybox-static:$arch" >/dev/null 2>&1)
  deb=$(ls "$out"/apt/busybox-static_*.deb)
  dpkg-deb -x "$deb" "$out/extract"
  dpkg-deb -f "$deb" Version >"$out/version"
  install -m 0755 "$out/extract/bin/busybox" "$out/busybox"
  rm -rf "$out/extract" "$out/apt"
  echo "debian-busybox: busybox-static $(cat "$out/version") for $arch"
done

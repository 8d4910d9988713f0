#!/usr/bin/env bash
# Fetches Debian's own `busybox-static` binary package for each Debian
# architecture named (default: mipsel): a program built by Debian, not by
# this repository's scripts, that tests/debian_busybox.rs runs under Bohr
# and QEMU.
#
#   target/debian-busybox/<debian arch>/busybox
#
# A binary already there is reused. Adds the foreign dpkg architecture
# once (root or sudo, then `apt-get update`). The binary is never
# committed.
#
# Usage: scripts/debian-busybox.sh [DEBIAN_ARCH...]
set -euo pipefail
cd "$(dirname "$0")/.."

ARCHES=("$@")
[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(mipsel)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

for arch in "${ARCHES[@]}"; do
  out=target/debian-busybox/$arch
  [ -x "$out/busybox" ] && continue
  if ! dpkg --print-foreign-architectures | grep -qx "$arch" \
     && [ "$(dpkg --print-architecture)" != "$arch" ]; then
    $SUDO dpkg --add-architecture "$arch"
    $SUDO apt-get update -qq
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # apt downloads as the _apt user: a directory it may write.
  chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -qq "busybox-static:$arch")
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/root"
  mkdir -p "$out"
  cp "$tmp/root/bin/busybox" "$out/busybox.part"
  mv "$out/busybox.part" "$out/busybox"
  rm -rf "$tmp"
  trap - EXIT
  echo "debian busybox: $out/busybox"
done

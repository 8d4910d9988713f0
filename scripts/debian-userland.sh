#!/usr/bin/env bash
# Fetches real Debian binary packages for guest arches (programs Debian
# built, not Bohr's tests) and unpacks them, for tests/debian_exec.rs:
#
#   target/debian-userland/<arch>/   each package unpacked with dpkg-deb -x
#                                    (usr/bin/xz, lib/<triple>/liblzma.so.5)
#
# Today: xz-utils and its library liblzma5 (xz -T uses pthreads, installs
# SIGINT/SIGTERM/SIGHUP/SIGPIPE handlers and blocks them with
# pthread_sigmask around its threads). The C library comes from the cross
# libc (/usr/<triple>), as for the other glibc tests. An arch is fetched
# again when the versions apt offers change. Needs root (or sudo) once
# per Debian arch, to add it to dpkg's foreign architectures and read its
# package lists. The binaries are never committed.
#
# Usage: scripts/debian-userland.sh [ARCH...]   (default: aarch64 armel mipsel)
set -euo pipefail
cd "$(dirname "$0")/.."

# Bohr arch name -> Debian arch.
declare -A DEBARCH=([aarch64]=arm64 [armel]=armel [mipsel]=mipsel)
PACKAGES=(xz-utils liblzma5)
ARCHES=("$@")
[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(aarch64 armel mipsel)

OUT=target/debian-userland
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Every arch dpkg must know, then one look at the package lists.
for arch in "${ARCHES[@]}"; do
  deb="${DEBARCH[$arch]:-}"
  if [ -z "$deb" ]; then echo "debian-userland: unknown arch $arch" >&2; exit 2; fi
  if ! dpkg --print-foreign-architectures | grep -qx "$deb" \
     && [ "$(dpkg --print-architecture)" != "$deb" ]; then
    $SUDO dpkg --add-architecture "$deb"
  fi
done
for arch in "${ARCHES[@]}"; do
  if ! apt-cache show "xz-utils:${DEBARCH[$arch]}" >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    break
  fi
done

for arch in "${ARCHES[@]}"; do
  deb="${DEBARCH[$arch]}"
  wanted=()
  for p in "${PACKAGES[@]}"; do
    v=$(apt-cache policy "$p:$deb" | sed -n 's/^  Candidate: //p')
    if [ -z "$v" ] || [ "$v" = "(none)" ]; then
      echo "debian-userland: no $p for $deb" >&2; exit 1
    fi
    wanted+=("$p:$deb=$v")
  done
  d="$OUT/$arch"
  stamp=$(printf '%s\n' "${wanted[@]}")
  if [ -f "$d/.stamp" ] && [ "$(cat "$d/.stamp")" = "$stamp" ]; then
    echo "debian-userland: $arch up to date"
    continue
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq "${wanted[@]}" 2>/dev/null)
  rm -rf "$d" && mkdir -p "$d"
  for f in "$tmp"/*.deb; do
    dpkg-deb -x "$f" "$d"
  done
  rm -rf "$tmp"
  printf '%s\n' "$stamp" > "$d/.stamp"
  echo "debian-userland: $arch: ${wanted[*]}"
done

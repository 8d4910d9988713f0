#!/usr/bin/env bash
# Builds the busybox test userland from Debian's source package, with each
# Debian cross compiler, statically and dynamically linked, and assembles
# one small firmware-like root filesystem per arch and linkage, written in
# every image format Bohr reads:
#
#   target/busybox-rootfs/<arch>/<static|dynamic>/
#     root/               the tree (busybox, applet links, /etc, /dev, /proc,
#                         /tmp, /sys; the dynamic one with the loader and libc
#                         from /usr/<triple>)
#     rootfs.tar rootfs.tar.gz rootfs.tar.xz rootfs.cpio rootfs.cpio.gz
#     rootfs.squashfs
#
# The busybox config (scripts/busybox.config) holds only the applets the
# tests use, so one arch builds in well under a minute. A build is reused
# while the source package version and the config are unchanged, and a
# rootfs while its build and this script are. Needs root (or sudo) once,
# to add a deb-src entry.
#
# Usage: scripts/busybox-rootfs.sh [ARCH...]   (default: every arch)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/debian-source.sh
. scripts/debian-source.sh
ARCHES=("$@")
[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(riscv64 aarch64 powerpc64 mipsel mipseb armel)

OUT=target/busybox-rootfs
CONFIG=scripts/busybox.config
JOBS=$(nproc 2>/dev/null || echo 2)

# The source tree, once.
src=$(debian_source busybox "$OUT/src")
build_stamp() {
  printf '%s\n' "$(basename "$src")" "$1" "$(sha256sum "$CONFIG" | cut -d' ' -f1)"
}
stamp_of() {
  printf '%s\n' "$(build_stamp "$1")" "$(sha256sum "$0" | cut -d' ' -f1)"
}

# The .config for one triple and linkage: allnoconfig plus the fragment.
configure() { # build-dir triple static(y|n)
  local b=$1 triple=$2 static=$3
  { cat "$CONFIG"
    echo "CONFIG_CROSS_COMPILER_PREFIX=\"$triple-\""
    if [ "$static" = y ]; then echo CONFIG_STATIC=y; else echo '# CONFIG_STATIC is not set'; fi
  } > "$b/fragment"
  # Busybox's kconfig does not keep KCONFIG_ALLCONFIG's values through
  # allnoconfig, so set them over its output and let oldconfig resolve the
  # options they make visible (at their defaults).
  make -s -C "$src" O="$PWD/$b" allnoconfig >/dev/null
  local names
  names=$(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\1/p; s/^# \(CONFIG_[A-Z0-9_]*\) is not set/\1/p' "$b/fragment")
  grep -v -w -F -f <(echo "$names") "$b/.config" > "$b/.config.base" || true
  grep -v '^#' "$b/fragment" | grep . > "$b/.config.frag" || true
  grep '^# CONFIG_' "$b/fragment" >> "$b/.config.frag" || true
  cat "$b/.config.base" "$b/.config.frag" > "$b/.config"
  (yes "" || true) | make -s -C "$src" O="$PWD/$b" oldconfig >/dev/null 2>&1
  # A wrong option name in the fragment would silently build without it.
  while read -r want; do
    grep -qxF "$want" "$b/.config" || { echo "busybox-rootfs: $want did not take" >&2; exit 1; }
  done < <(grep '^CONFIG_.*=y$' "$b/fragment")
}

# Copy one ELF's shared libraries to /lib, and the loader to the path it
# names (with a link in /lib when that is elsewhere, as Debian has it),
# from the cross libc.
copy_libs() { # root triple elf
  local root=$1 triple=$2 elf=$3 sys=/usr/$2 lib interp
  interp=$("$triple-readelf" -l "$elf" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  [ -n "$interp" ] || return 0
  mkdir -p "$root/lib" "$root$(dirname "$interp")"
  cp -L "$(find "$sys"/lib* -name "$(basename "$interp")" | head -n1)" "$root/lib/$(basename "$interp")"
  # Relative, so it resolves under `qemu -L` too (QEMU lets the host
  # follow links).
  [ "$(dirname "$interp")" = /lib ] || ln -sf "../lib/$(basename "$interp")" "$root$interp"
  for lib in $("$triple-readelf" -d "$elf" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    [ -e "$root/lib/$lib" ] || cp -L "$(find "$sys"/lib* -name "$lib" | head -n1)" "$root/lib/$lib"
  done
}

pack() { # dir root
  local d=$1 root=$2
  # One timestamp for every entry, so the directory itself reads as the
  # same image as the archives made from it.
  find "$root" -exec touch -h -d @946684800 {} +
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@946684800 \
      -C "$root" -cf "$d/rootfs.tar" .
  gzip -n -9 -c "$d/rootfs.tar" > "$d/rootfs.tar.gz"
  xz -T1 -c "$d/rootfs.tar" > "$d/rootfs.tar.xz"
  (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) \
      > "$d/rootfs.cpio"
  gzip -n -9 -c "$d/rootfs.cpio" > "$d/rootfs.cpio.gz"
  mksquashfs "$root" "$d/rootfs.squashfs" -quiet -noappend -all-root \
      -mkfs-time 946684800 -all-time 946684800 -comp xz >/dev/null
}

for arch in "${ARCHES[@]}"; do
  triple="${TRIPLE[$arch]:-}"
  if [ -z "$triple" ]; then echo "busybox-rootfs: unknown arch $arch" >&2; exit 2; fi
  for link in static dynamic; do
    d="$OUT/$arch/$link"
    if [ -f "$d/.stamp" ] && [ "$(cat "$d/.stamp")" = "$(stamp_of "$triple-$link")" ]; then
      echo "busybox-rootfs: $arch $link up to date"
      continue
    fi
    started=$SECONDS
    b="$OUT/build/$arch-$link"
    rm -rf "$d" && mkdir -p "$d"
    if ! [ -f "$b/.built" ] || [ "$(cat "$b/.built")" != "$(build_stamp "$triple-$link")" ]; then
      rm -rf "$b" && mkdir -p "$b"
      configure "$b" "$triple" "$([ $link = static ] && echo y || echo n)"
      make -s -C "$src" O="$PWD/$b" -j"$JOBS" busybox busybox.links >"$b/build.log" 2>&1 \
        || { tail -n 30 "$b/build.log" >&2; echo "busybox-rootfs: $arch $link: build failed" >&2; exit 1; }
      build_stamp "$triple-$link" > "$b/.built"
    fi
    root="$d/root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root}
    install -m 0755 "$b/busybox" "$root/bin/busybox"
    # Applet links as `make install` makes them, relative like Debian's.
    while read -r applet; do
      [ "$applet" = /bin/busybox ] && continue
      mkdir -p "$root$(dirname "$applet")"
      ln -sf /bin/busybox "$root$applet"
    done < "$b/busybox.links"
    [ $link = dynamic ] && copy_libs "$root" "$triple" "$b/busybox"
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
    printf 'root:x:0:\n' > "$root/etc/group"
    printf 'busybox-rootfs\n' > "$root/etc/hostname"
    chmod 1777 "$root/tmp"
    chmod 0700 "$root/root"
    pack "$d" "$root"
    stamp_of "$triple-$link" > "$d/.stamp"
    echo "busybox-rootfs: $arch $link done in $((SECONDS - started))s ($d)"
  done
done

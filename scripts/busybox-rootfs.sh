#!/usr/bin/env bash
# Builds the busybox test userland: one small firmware-like root filesystem
# per guest arch, written as a directory and as tar.gz, cpio (newc, an
# initramfs) and squashfs images, under target/busybox-rootfs/<arch>/.
#
# The static busybox comes from Debian's prebuilt `busybox-static:<arch>`
# package (the same source package, built by Debian with its own cross
# toolchain), downloaded with `apt-get download`. Arches whose package is
# not in the configured Debian release are skipped with a notice.
#
# Outputs are reused while the downloaded package is unchanged. Usage:
#   scripts/busybox-rootfs.sh [ARCH...]   (default: every arch below)
set -euo pipefail
cd "$(dirname "$0")/.."

# Bohr arch name -> Debian arch name.
declare -A DEB=([aarch64]=arm64 [mipsel]=mipsel [riscv64]=riscv64 \
                [mipseb]=mips [powerpc64]=ppc64 [armel]=armel)
ARCHES=("$@")
[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(aarch64 mipsel riscv64 mipseb powerpc64 armel)

OUT=target/busybox-rootfs
mkdir -p "$OUT/debs"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

for arch in "${ARCHES[@]}"; do
  deb_arch="${DEB[$arch]:-}"
  if [ -z "$deb_arch" ]; then echo "busybox-rootfs: unknown arch $arch" >&2; exit 2; fi
  dir="$OUT/$arch"
  if ! dpkg --print-foreign-architectures | grep -qx "$deb_arch" \
     && [ "$deb_arch" != "$(dpkg --print-architecture)" ]; then
    $SUDO dpkg --add-architecture "$deb_arch"
    $SUDO apt-get update -qq || true
  fi
  deb=$(ls "$OUT/debs"/busybox-static_*_"$deb_arch".deb 2>/dev/null | head -n1 || true)
  if [ -z "$deb" ]; then
    if ! (cd "$OUT/debs" && apt-get download -qq "busybox-static:$deb_arch" >/dev/null 2>&1); then
      echo "busybox-rootfs: skipping $arch: no busybox-static:$deb_arch in this Debian release" >&2
      continue
    fi
    deb=$(ls "$OUT/debs"/busybox-static_*_"$deb_arch".deb | head -n1)
  fi
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$(basename "$deb")" ]; then
    echo "busybox-rootfs: $arch up to date"
    continue
  fi
  rm -rf "$dir" && mkdir -p "$dir/pkg"
  dpkg-deb -x "$deb" "$dir/pkg"
  root="$dir/root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,tmp,sys}
  cp "$dir/pkg/bin/busybox" "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  # Applet links as `busybox --install -s` makes them; the list is
  # busybox's own (`busybox --list-full`), run under QEMU.
  list=$(prlimit --nproc=64 "qemu-${DEB[$arch]/arm64/aarch64}-static" "$root/bin/busybox" --list-full 2>/dev/null \
         || prlimit --nproc=64 "qemu-$arch-static" "$root/bin/busybox" --list-full)
  for applet in $list; do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$root/$(dirname "$applet")"
    ln -sf /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\n' > "$root/etc/group"
  printf 'busybox-rootfs\n' > "$root/etc/hostname"
  chmod 1777 "$root/tmp"
  # Every image format the reader supports, from the same tree.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
      -C "$root" -czf "$dir/rootfs.tar.gz" .
  (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) \
      > "$dir/rootfs.cpio"
  mksquashfs "$root" "$dir/rootfs.squashfs" -quiet -noappend -all-root \
      -mkfs-time 0 -all-time 0 -comp gzip >/dev/null
  rm -rf "$dir/pkg"
  basename "$deb" > "$dir/.stamp"
  echo "busybox-rootfs: $arch done ($dir)"
done

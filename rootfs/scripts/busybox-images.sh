#!/usr/bin/env bash
# Builds a small firmware-like root filesystem around Debian's static
# busybox for one arch (default armel), and packs it the ways firmware
# ships it: a directory, tar.gz, newc cpio.gz (initramfs) and squashfs
# (xz). The bohr-rootfs tests read all four and expect one tree.
#
#   busybox-images.sh OUTDIR [ARCH]
#
# Needs root (device nodes, owners), apt-get and dpkg-deb, cpio, gzip and
# mksquashfs; qemu-<arch>-static, if present, lists busybox's applets
# (otherwise a fixed set of applets is linked). The package index is kept
# in OUTDIR, so the host's apt configuration is left alone. Reuses OUTDIR
# when it was built by this script version for the same arch.
set -euo pipefail

out=${1:?usage: busybox-images.sh OUTDIR [ARCH]}
arch=${2:-armel}
version=1
stamp="$out/stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version $arch" ]; then
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "busybox-images.sh: needs root (device nodes, owners)" >&2; exit 2; }
for tool in apt-get dpkg-deb cpio gzip mksquashfs; do
  command -v "$tool" >/dev/null || { echo "busybox-images.sh: $tool is missing" >&2; exit 2; }
done

rm -rf "$out"
mkdir -p "$out/apt/lists/partial" "$out/apt/cache/archives/partial"
apt=(apt-get -q -o "Dir::State::Lists=$out/apt/lists" -o "Dir::Cache=$out/apt/cache"
     -o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
"${apt[@]}" update >/dev/null
(cd "$out/apt" && "${apt[@]}" download busybox-static 2>/dev/null >/dev/null)
deb=$(ls "$out"/apt/busybox-static_*.deb)
dpkg-deb -x "$deb" "$out/extract"

root="$out/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,run,var}
install -m 0755 "$out/extract/bin/busybox" "$root/bin/busybox"

case "$arch" in
  armel|armhf) qemu=qemu-arm-static ;;
  arm64) qemu=qemu-aarch64-static ;;
  mipsel) qemu=qemu-mipsel-static ;;
  mips64el) qemu=qemu-mips64el-static ;;
  ppc64el) qemu=qemu-ppc64le-static ;;
  riscv64) qemu=qemu-riscv64-static ;;
  s390x) qemu=qemu-s390x-static ;;
  i386|amd64) qemu=env ;;
  *) qemu=none ;;
esac
if command -v "$qemu" >/dev/null && applets=$("$qemu" "$root/bin/busybox" --list-full 2>/dev/null); then
  :
else
  applets=$(printf '%s\n' bin/sh bin/cat bin/ls bin/grep bin/dd bin/sed bin/sleep bin/date bin/kill \
    usr/bin/strings usr/bin/head usr/bin/tail usr/bin/wc usr/bin/sort usr/bin/uniq usr/bin/od \
    usr/bin/hexdump usr/bin/awk usr/bin/tr usr/bin/cut usr/bin/find usr/bin/xargs usr/bin/md5sum \
    usr/bin/sha256sum)
fi
while read -r applet; do
  [ -n "$applet" ] && [ "$applet" != bin/busybox ] || continue
  mkdir -p "$root/$(dirname "$applet")"
  ln -sf /bin/busybox "$root/$applet"
done <<<"$applets"

printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\ndaemon:x:1:\ntty:x:5:\n' >"$root/etc/group"
printf '::sysinit:/etc/init.d/rcS\n::respawn:-/bin/sh\n' >"$root/etc/inittab"
printf 'proc /proc proc defaults 0 0\ntmpfs /tmp tmpfs defaults 0 0\n' >"$root/etc/fstab"
mkdir -p "$root/etc/init.d"
printf '#!/bin/sh\nmount -a\n' >"$root/etc/init.d/rcS"
chmod 0755 "$root/etc/init.d/rcS"
chmod 0600 "$root/etc/passwd"
ln -s /proc/mounts "$root/etc/mtab"
ln -s ../run "$root/var/run"
mknod -m 0600 "$root/dev/console" c 5 1
mknod -m 0666 "$root/dev/null" c 1 3
mknod -m 0600 "$root/dev/mtd0" c 90 0
mknod -m 0600 "$root/dev/mtdblock0" b 31 0
chown 0:5 "$root/dev/console"
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
# One fixed time for everything, so every packing holds the same tree.
find "$root" -depth -exec touch -h -d @1700000000 {} +

tar -C "$root" --numeric-owner -cf - . | gzip -9n >"$out/busybox.tar.gz"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9n) >"$out/busybox.cpio.gz"
mksquashfs "$root" "$out/busybox.sqfs" -comp xz -noappend -quiet -no-progress >/dev/null
echo "$version $arch" >"$stamp"

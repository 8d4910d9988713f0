# Sourced by the scripts that build third-party programs from Debian's
# source packages with the Debian cross compilers (busybox-rootfs.sh,
# lua-static.sh): the arch-to-triple table and the one way to fetch a
# source package.

# Bohr arch name -> Debian cross triple.
declare -A TRIPLE=([riscv64]=riscv64-linux-gnu [aarch64]=aarch64-linux-gnu
                   [powerpc64]=powerpc64-linux-gnu [mipsel]=mipsel-linux-gnu
                   [mipseb]=mips-linux-gnu [armel]=arm-linux-gnueabi)

# debian_source PACKAGE DIR: the unpacked source tree of PACKAGE under DIR
# (printed, without a trailing slash), fetched once with `apt-get source`.
# Adds a deb-src entry for the release the host runs when apt has none
# (root or sudo).
debian_source() {
  local pkg=$1 dir=$2 src sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  mkdir -p "$dir"
  src=$(ls -d "$dir/$pkg"-*/ 2>/dev/null | head -n1 || true)
  if [ -z "$src" ]; then
    if ! apt-get source --print-uris "$pkg" >/dev/null 2>&1; then
      local VERSION_CODENAME
      . /etc/os-release
      printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "${VERSION_CODENAME:-bookworm}" | $sudo tee /etc/apt/sources.list.d/bohr-deb-src.sources >/dev/null
      $sudo apt-get update -qq >&2
    fi
    (cd "$dir" && apt-get source -qq "$pkg" >/dev/null 2>&1)
    src=$(ls -d "$dir/$pkg"-*/ | head -n1)
  fi
  printf '%s\n' "${src%/}"
}

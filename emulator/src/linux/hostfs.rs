//! The guest file system of `bohr exec`: the host's files, read-only, under
//! a writable in-memory layer ([`Overlay`]), as under `qemu-<arch>-static`.
//! With a rootfs (`--rootfs DIR`, `-L DIR`), absolute guest paths resolve
//! under DIR first and then on the host, as QEMU's `-L` does; the ELF
//! interpreter is found the same way.

use std::path::PathBuf;
use std::rc::Rc;

use super::limits::DiskQuota;
use super::lower::{HostTree, LowerFs};
use super::overlay::Overlay;

/// The file system for `bohr exec`: `rootfs` (if any) over the host's `/`,
/// both read-only, under an in-memory upper layer whose bytes count
/// against `quota`. `seed` feeds `/dev/urandom`.
pub fn host_fs(rootfs: Option<PathBuf>, seed: u64, quota: Rc<DiskQuota>) -> Overlay {
    let mut lowers: Vec<Rc<dyn LowerFs>> = Vec::new();
    if let Some(r) = rootfs {
        lowers.push(Rc::new(HostTree::new(r)));
    }
    lowers.push(Rc::new(HostTree::new("/")));
    Overlay::with_quota(lowers, seed, quota)
}

/// [`host_fs`] with a rootfs image file (tar, cpio, squashfs) as the
/// first layer instead of a directory.
pub fn image_host_fs(image: bohr_rootfs::Image, seed: u64, quota: Rc<DiskQuota>) -> Overlay {
    let lowers: Vec<Rc<dyn LowerFs>> =
        vec![Rc::new(super::imagefs::ImageFs::new(image)), Rc::new(HostTree::new("/"))];
    Overlay::with_quota(lowers, seed, quota)
}

//! Read-only lower layers of the guest file system: the [`LowerFs`] trait
//! (lookup, read, readdir, readlink, stat) and its host-directory form,
//! [`HostTree`]. The writable [`overlay`](super::overlay) sits on top of a
//! stack of them; a rootfs image reader can become one by implementing the
//! trait.
//!
//! Paths reaching a lower layer are absolute, normalised guest paths with
//! no symlink left to follow except, possibly, the last component: the
//! kernel resolves symlinks itself, so a layer never follows one.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Arc;

use super::abi::{FileStat, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG};
use super::errno::Errno;
use super::file::{DirEntry, path_ino};
use crate::mem::FilePages;

/// One read-only layer.
pub trait LowerFs {
    /// `lstat` of `path` (a final symlink is not followed).
    fn stat(&self, path: &[u8]) -> Result<FileStat, Errno>;
    /// Read regular file `path` from `offset`.
    fn read(&self, path: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Entries of directory `path`, without `.` and `..`, sorted by name.
    fn readdir(&self, path: &[u8]) -> Result<Vec<DirEntry>, Errno>;
    /// Target of symlink `path`.
    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno>;
    /// The bytes of regular file `path` as host file pages, when they can
    /// never change, for private mappings to map instead of copying (see
    /// `mem::FilePages`); `None` where a layer cannot promise that.
    fn file_pages(&self, _path: &[u8]) -> Option<Arc<FilePages>> {
        None
    }
    /// The bytes of regular file `path`, when they can never change and
    /// the layer holds them (see `FileObject::contents`).
    fn contents(&self, _path: &[u8]) -> Option<bohr_rootfs::FileData> {
        None
    }
}

/// A host directory seen as the guest's `/` (read-only). Owners, times
/// and device numbers are normalised so nothing host-specific shows.
#[derive(Debug, Clone)]
pub struct HostTree {
    root: PathBuf,
}

/// The `DT_*` type of a mode.
pub fn dt_kind(mode: u32) -> u8 {
    match mode & 0o170000 {
        S_IFDIR => 4,
        S_IFREG => 8,
        S_IFLNK => 10,
        S_IFCHR => 2,
        S_IFIFO => 1,
        _ => 0,
    }
}

fn io_errno(e: &std::io::Error) -> Errno {
    match e.kind() {
        std::io::ErrorKind::NotFound => Errno::ENOENT,
        std::io::ErrorKind::PermissionDenied => Errno::EACCES,
        _ => match e.raw_os_error() {
            Some(20) => Errno::ENOTDIR,
            Some(21) => Errno::EISDIR,
            Some(36) => Errno::ENAMETOOLONG,
            Some(40) => Errno::ELOOP,
            _ => Errno::EIO,
        },
    }
}

impl HostTree {
    pub fn new(root: impl Into<PathBuf>) -> HostTree {
        HostTree { root: root.into() }
    }

    fn host(&self, path: &[u8]) -> PathBuf {
        let rel = path.strip_prefix(b"/").unwrap_or(path);
        self.root.join(std::ffi::OsStr::from_bytes(rel))
    }
}

impl LowerFs for HostTree {
    fn stat(&self, path: &[u8]) -> Result<FileStat, Errno> {
        let m = std::fs::symlink_metadata(self.host(path)).map_err(|e| io_errno(&e))?;
        let ft = m.file_type();
        let kind = if ft.is_dir() {
            S_IFDIR
        } else if ft.is_symlink() {
            S_IFLNK
        } else if ft.is_char_device() {
            S_IFCHR
        } else if ft.is_fifo() {
            S_IFIFO
        } else {
            S_IFREG
        };
        Ok(FileStat {
            dev: 1,
            ino: path_ino(path),
            mode: kind | (m.mode() & 0o7777),
            nlink: if ft.is_dir() { 2 } else { 1 },
            rdev: 0,
            size: if ft.is_dir() { 4096 } else { m.len() },
            blksize: 4096,
            time: 0,
        })
    }

    fn read(&self, path: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::open(self.host(path)).map_err(|e| io_errno(&e))?;
        f.read_at(buf, offset).map_err(|e| io_errno(&e))
    }

    fn readdir(&self, path: &[u8]) -> Result<Vec<DirEntry>, Errno> {
        let rd = std::fs::read_dir(self.host(path)).map_err(|e| io_errno(&e))?;
        let mut out: Vec<DirEntry> = rd
            .filter_map(|e| e.ok())
            .map(|e| {
                let name = e.file_name().as_bytes().to_vec();
                let kind = match e.file_type() {
                    Ok(t) if t.is_dir() => 4,
                    Ok(t) if t.is_symlink() => 10,
                    Ok(t) if t.is_char_device() => 2,
                    Ok(t) if t.is_fifo() => 1,
                    _ => 8,
                };
                let mut full = path.to_vec();
                if full != b"/" {
                    full.push(b'/');
                }
                full.extend_from_slice(&name);
                DirEntry { ino: path_ino(&full), kind, name }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let t = std::fs::read_link(self.host(path)).map_err(|e| match io_errno(&e) {
            Errno::EIO => Errno::EINVAL,
            e => e,
        })?;
        Ok(t.as_os_str().as_bytes().to_vec())
    }
}

//! The host's file system, read-only, for `bohr exec`: guest paths are host
//! paths, as under `qemu-*-static`. `/dev/null` and `/dev/zero` are Bohr's
//! own so that output never depends on host devices.

use std::os::unix::ffi::OsStrExt;

use super::FileSystem;
use super::abi::OpenFlags;
use super::errno::Errno;
use super::file::{DevNull, DevZero, FileObject, HostDir, HostFile, path_ino};

/// Read-only view of the host's files.
#[derive(Debug, Default)]
pub struct HostFs;

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

impl FileSystem for HostFs {
    fn open(
        &mut self,
        path: &[u8],
        flags: OpenFlags,
        _mode: u32,
    ) -> Result<Box<dyn FileObject>, Errno> {
        match path {
            b"/dev/null" => return Ok(Box::new(DevNull)),
            b"/dev/zero" => return Ok(Box::new(DevZero)),
            _ => {}
        }
        let host = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
        let meta = std::fs::metadata(host).map_err(|e| io_errno(&e));
        if flags.writable() || flags.create || flags.trunc {
            return Err(match meta {
                Err(Errno::ENOENT) if !flags.create => Errno::ENOENT,
                Ok(m) if m.is_dir() => Errno::EISDIR,
                _ => Errno::EROFS,
            });
        }
        let meta = meta?;
        let ino = path_ino(path);
        if meta.is_dir() {
            return Ok(Box::new(HostDir { path: host.to_path_buf(), ino }));
        }
        if flags.directory {
            return Err(Errno::ENOTDIR);
        }
        let file = std::fs::File::open(host).map_err(|e| io_errno(&e))?;
        Ok(Box::new(HostFile { file, ino }))
    }

    fn unlink(&mut self, path: &[u8], _dir: bool) -> Result<(), Errno> {
        let host = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
        match std::fs::symlink_metadata(host) {
            Err(e) => Err(io_errno(&e)),
            Ok(_) => Err(Errno::EROFS),
        }
    }
}

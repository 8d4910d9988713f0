//! A root filesystem already extracted to a host directory. Symlinks are
//! read, never followed; entries are visited in name order; files sharing
//! a host `(dev, ino)` are hard links of one inode. Owners, modes and times
//! are the host's (extract as root, or under fakeroot, to keep the image's).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::RootfsError;
use crate::tree::{BuildId, Builder, Meta, NewKind};
use crate::{Format, Limits};

/// Linux's `major()` and `minor()` of a host `dev_t`.
fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

fn meta_of(m: &fs::Metadata) -> Meta {
    Meta { perm: m.mode() & 0o7777, uid: m.uid(), gid: m.gid(), mtime: m.mtime() }
}

pub(crate) fn read(root: &Path, limits: Limits) -> Result<crate::tree::Tree, RootfsError> {
    let mut builder = Builder::new(root, Format::Directory, limits);
    let io_err = |at: &Path, source: io::Error| RootfsError::Io {
        file: root.to_path_buf(),
        at: Some(at.to_path_buf()),
        source,
    };
    let root_meta = fs::metadata(root).map_err(|e| io_err(root, e))?;
    builder.add(b"", NewKind::Dir, meta_of(&root_meta))?;
    let mut links: BTreeMap<(u64, u64), BuildId> = BTreeMap::new();
    // (host directory, path inside the image)
    let mut stack: Vec<(PathBuf, Vec<u8>)> = vec![(root.to_path_buf(), Vec::new())];
    while let Some((dir, image_dir)) = stack.pop() {
        let mut names: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| io_err(&dir, e))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(|e| io_err(&dir, e))?;
        names.sort();
        let mut subdirs = Vec::new();
        for name in names {
            let host = dir.join(&name);
            let mut image_path = image_dir.clone();
            image_path.push(b'/');
            image_path.extend_from_slice(name.as_bytes());
            let m = fs::symlink_metadata(&host).map_err(|e| io_err(&host, e))?;
            let t = m.file_type();
            if !t.is_dir()
                && m.nlink() > 1
                && let Some(&id) = links.get(&(m.dev(), m.ino()))
            {
                builder.link(&image_path, id)?;
                continue;
            }
            let kind = if t.is_dir() {
                subdirs.push((host.clone(), image_path.clone()));
                NewKind::Dir
            } else if t.is_file() {
                if m.len() > builder.bytes_left() {
                    return Err(RootfsError::TooLarge {
                        file: root.to_path_buf(),
                        limit: builder.limits().max_bytes,
                    });
                }
                let mut data = Vec::with_capacity(m.len() as usize);
                // Read no more than was counted, even if the file grows meanwhile.
                fs::File::open(&host)
                    .and_then(|f| f.take(m.len()).read_to_end(&mut data))
                    .map_err(|e| io_err(&host, e))?;
                builder.charge_bytes(data.len() as u64)?;
                NewKind::File(Arc::from(data))
            } else if t.is_symlink() {
                let target = fs::read_link(&host).map_err(|e| io_err(&host, e))?;
                let target = target.as_os_str().as_bytes().to_vec();
                builder.charge_bytes(target.len() as u64)?;
                NewKind::Symlink(target)
            } else if t.is_char_device() || t.is_block_device() {
                let (major, minor) = split_dev(m.rdev());
                if t.is_char_device() {
                    NewKind::CharDevice { major, minor }
                } else {
                    NewKind::BlockDevice { major, minor }
                }
            } else if t.is_fifo() {
                NewKind::Fifo
            } else if t.is_socket() {
                NewKind::Socket
            } else {
                return Err(RootfsError::BadEntry {
                    file: root.to_path_buf(),
                    entry: crate::tree::shown(&image_path),
                    reason: "unknown file type".into(),
                });
            };
            let id = builder.add(&image_path, kind, meta_of(&m))?;
            if !t.is_dir() && m.nlink() > 1 {
                links.insert((m.dev(), m.ino()), id);
            }
        }
        // Reverse, so the stack yields subdirectories in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(builder.finish())
}

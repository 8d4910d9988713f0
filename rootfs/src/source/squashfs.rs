//! Squashfs 4.0 images (little-endian; gzip, xz, lzo, lz4 or zstd), read
//! with `backhand`.
//!
//! `backhand` lists every name with its inode's contents but not the inode
//! number, so hard links are recovered from what a hard-linked inode looks
//! like: mksquashfs stores it once, as an extended file inode with a link
//! count above one, so names whose extended inodes are equal in every field
//! and header are grouped, up to that link count per inode. Two distinct
//! hard-link groups identical in contents, owner, mode, time and link
//! count would be indistinguishable to any reader of the image.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use backhand::{BackhandError, FilesystemReader, InnerNode, NodeHeader, SquashfsFileReader};

use crate::error::RootfsError;
use crate::tree::{BuildId, Builder, Meta, NewKind};
use crate::{Format, Limits};

/// Linux's `new_decode_dev`: squashfs stores device numbers this way.
fn split_dev(dev: u32) -> (u32, u32) {
    ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

fn error(path: &Path, e: BackhandError) -> RootfsError {
    let file = path.to_path_buf();
    let format = "squashfs".to_string();
    match e {
        BackhandError::StdIo(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            RootfsError::Truncated { file, format, detail: e.to_string() }
        }
        BackhandError::UnsupportedCompression(what) => {
            RootfsError::UnsupportedCompression { file, what }
        }
        BackhandError::UnsupportedSquashfsVersion(major, minor) => RootfsError::UnsupportedFormat {
            file,
            what: format!("squashfs version {major}.{minor} (only 4.0 is read)"),
        },
        other => RootfsError::Corrupt { file, format, detail: other.to_string() },
    }
}

pub(crate) fn read(
    path: &Path,
    file: File,
    limits: Limits,
) -> Result<crate::tree::Tree, RootfsError> {
    // `backhand` is a parser of untrusted bytes; should it panic on some
    // input, the image is reported corrupt instead of taking the run down.
    panic::catch_unwind(AssertUnwindSafe(|| read_inner(path, file, limits))).unwrap_or_else(|_| {
        Err(RootfsError::Corrupt {
            file: path.to_path_buf(),
            format: "squashfs".into(),
            detail: "the squashfs reader gave up on an inconsistent structure".into(),
        })
    })
}

fn read_inner(path: &Path, file: File, limits: Limits) -> Result<crate::tree::Tree, RootfsError> {
    let fs = FilesystemReader::from_reader(BufReader::new(file)).map_err(|e| error(path, e))?;
    let mut builder = Builder::new(path, Format::Squashfs, limits);
    // (inode, header, the node it became, names still expected)
    let mut linked: Vec<(&backhand::v4::inode::ExtendedFile, NodeHeader, BuildId, u32)> =
        Vec::new();
    for node in fs.files() {
        let name = node.fullpath.as_os_str().as_bytes();
        let h = node.header;
        let meta = Meta {
            perm: u32::from(h.permissions),
            uid: h.uid,
            gid: h.gid,
            mtime: i64::from(h.mtime),
        };
        let kind = match &node.inner {
            InnerNode::Dir(_) => NewKind::Dir,
            InnerNode::File(f) => {
                if let SquashfsFileReader::Extended(ext) = f
                    && ext.link_count > 1
                    && let Some(slot) = linked
                        .iter_mut()
                        .find(|(e, hh, _, left)| *left > 0 && *e == ext && *hh == h)
                {
                    slot.3 -= 1;
                    builder.link(name, slot.2)?;
                    continue;
                }
                let size = f.file_len() as u64;
                if size > builder.bytes_left() {
                    return Err(RootfsError::TooLarge {
                        file: path.to_path_buf(),
                        limit: builder.limits().max_bytes,
                    });
                }
                let mut data = Vec::new();
                fs.file(f)
                    .reader_checked()
                    .map_err(|e| error(path, e))?
                    .take(size)
                    .read_to_end(&mut data)
                    .map_err(|e| error(path, BackhandError::StdIo(e)))?;
                if data.len() as u64 != size {
                    return Err(RootfsError::Truncated {
                        file: path.to_path_buf(),
                        format: "squashfs".into(),
                        detail: format!(
                            "file `{}` declares {size} bytes, its blocks hold {}",
                            node.fullpath.display(),
                            data.len()
                        ),
                    });
                }
                builder.charge_bytes(size)?;
                let id = builder.add(name, NewKind::File(Arc::from(data)), meta)?;
                if let SquashfsFileReader::Extended(ext) = f
                    && ext.link_count > 1
                {
                    linked.push((ext, h, id, ext.link_count - 1));
                }
                continue;
            }
            InnerNode::Symlink(s) => {
                let target = s.link.as_os_str().as_bytes().to_vec();
                builder.charge_bytes(target.len() as u64)?;
                NewKind::Symlink(target)
            }
            InnerNode::CharacterDevice(d) => {
                let (major, minor) = split_dev(d.device_number);
                NewKind::CharDevice { major, minor }
            }
            InnerNode::BlockDevice(d) => {
                let (major, minor) = split_dev(d.device_number);
                NewKind::BlockDevice { major, minor }
            }
            InnerNode::NamedPipe => NewKind::Fifo,
            InnerNode::Socket => NewKind::Socket,
        };
        builder.add(name, kind, meta)?;
    }
    Ok(builder.finish())
}

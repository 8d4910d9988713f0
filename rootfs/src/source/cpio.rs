//! newc cpio archives (`070701`, and `070702` with checksums), the format
//! of Linux initramfs images, read with the `cpio` crate from an already
//! decompressed and capped stream.
//!
//! Like the kernel's initramfs unpacker, several archives may follow one
//! another, with zero padding between them. Names sharing one `(dev, ino)`
//! with a link count above one are hard links of one inode; the archive
//! stores their bytes with one of the names (GNU cpio: the last). Each
//! archive must end with its `TRAILER!!!` entry.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use crate::detect::CapState;
use crate::error::RootfsError;
use crate::source::stream_error;
use crate::tree::{BuildId, Builder, Meta, NewKind, PATH_MAX};
use crate::{Format, Limits};

pub(crate) fn read(
    path: &Path,
    stream: impl Read,
    cap: CapState,
    format: Format,
    limits: Limits,
) -> Result<crate::tree::Tree, RootfsError> {
    let mut builder = Builder::new(path, format, limits);
    let mut input = BufReader::new(stream);
    let fail = |e: io::Error| stream_error(path, format, &cap, e);
    let truncated = |detail: String| RootfsError::Truncated {
        file: path.to_path_buf(),
        format: format.to_string(),
        detail,
    };
    let mut links: BTreeMap<(u32, u32, u32), BuildId> = BTreeMap::new();
    loop {
        // One archive: entries up to the trailer.
        loop {
            let mut reader = match cpio::newc::Reader::new(&mut input) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(truncated(format!("the archive ends before its trailer: {e}")));
                }
                Err(e) => return Err(fail(e)),
            };
            let entry = reader.entry().clone();
            if entry.is_trailer() {
                reader.finish().map_err(fail)?;
                break;
            }
            let name = entry.name().as_bytes().to_vec();
            if name.len() > PATH_MAX + 2 {
                return Err(RootfsError::BadEntry {
                    file: path.to_path_buf(),
                    entry: crate::tree::shown(entry.name().as_bytes()),
                    reason: format!("path longer than {PATH_MAX} bytes"),
                });
            }
            let size = u64::from(entry.file_size());
            if size > builder.bytes_left().min(cap.limit()) {
                return Err(RootfsError::TooLarge { file: path.to_path_buf(), limit: cap.limit() });
            }
            let mut data = Vec::new();
            (&mut reader).take(size).read_to_end(&mut data).map_err(fail)?;
            if data.len() as u64 != size {
                return Err(truncated(format!(
                    "entry `{}` declares {size} bytes, the archive ends after {}",
                    entry.name(),
                    data.len()
                )));
            }
            reader.finish().map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    truncated(format!("the archive ends in the padding after `{}`", entry.name()))
                } else {
                    fail(e)
                }
            })?;
            add_entry(&mut builder, &mut links, &entry, data)?;
        }
        // Zero padding, then either the end or another archive.
        loop {
            let buf = input.fill_buf().map_err(fail)?;
            if buf.is_empty() {
                return Ok(builder.finish());
            }
            let zeros = buf.iter().take_while(|&&b| b == 0).count();
            if zeros == 0 {
                break;
            }
            input.consume(zeros);
        }
        let next = input.fill_buf().map_err(fail)?;
        if !crate::detect::is_cpio_newc(next) && next.len() >= 6 {
            return Err(RootfsError::UnsupportedFormat {
                file: path.to_path_buf(),
                what: "data other than another newc archive follows the cpio trailer \
                       (a compressed initramfs segment is not read)"
                    .into(),
            });
        }
    }
}

fn add_entry(
    builder: &mut Builder,
    links: &mut BTreeMap<(u32, u32, u32), BuildId>,
    entry: &cpio::newc::Entry,
    data: Vec<u8>,
) -> Result<(), RootfsError> {
    let name = entry.name().as_bytes();
    let file = builder.file().to_path_buf();
    let bad = |reason: String| RootfsError::BadEntry {
        file: file.clone(),
        entry: entry.name().to_string(),
        reason,
    };
    let mode = entry.mode();
    let meta = Meta {
        perm: mode & 0o7777,
        uid: entry.uid(),
        gid: entry.gid(),
        mtime: i64::from(entry.mtime()),
    };
    let no_data = |what: &str| {
        if data.is_empty() {
            Ok(())
        } else {
            Err(bad(format!("a {what} entry carries {} bytes of data", data.len())))
        }
    };
    let kind = match mode & 0o170000 {
        0o100000 => NewKind::File(Arc::from(data)),
        0o040000 => {
            no_data("directory")?;
            NewKind::Dir
        }
        0o120000 => {
            if data.is_empty() {
                return Err(bad("a symlink without a target".into()));
            }
            NewKind::Symlink(data)
        }
        0o020000 => {
            no_data("device")?;
            NewKind::CharDevice { major: entry.rdev_major(), minor: entry.rdev_minor() }
        }
        0o060000 => {
            no_data("device")?;
            NewKind::BlockDevice { major: entry.rdev_major(), minor: entry.rdev_minor() }
        }
        0o010000 => {
            no_data("fifo")?;
            NewKind::Fifo
        }
        0o140000 => {
            no_data("socket")?;
            NewKind::Socket
        }
        other => return Err(bad(format!("unknown file type bits {other:#o} in mode {mode:#o}"))),
    };
    let key = (entry.dev_major(), entry.dev_minor(), entry.ino());
    let linked = entry.nlink() > 1 && !matches!(kind, NewKind::Dir);
    if linked && let Some(&id) = links.get(&key) {
        builder.link(name, id)?;
        if let NewKind::File(data) = kind
            && !data.is_empty()
        {
            builder.set_contents(name, id, data)?;
        }
        return Ok(());
    }
    let id = builder.add(name, kind, meta)?;
    if linked {
        links.insert(key, id);
    }
    Ok(())
}

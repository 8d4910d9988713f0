//! Tar archives (ustar, GNU and pax, as the `tar` crate reads them), from
//! an already decompressed and capped stream.
//!
//! Pax records override the header's uid, gid and mtime. Hard links name
//! an entry that came earlier. The archive must end with its end-of-archive
//! block: an archive cut at an entry boundary is still truncated. After
//! that block the rest of the stream is read through, so a compressed
//! stream's own checksum is verified too.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use tar::EntryType;

use crate::detect::CapState;
use crate::error::RootfsError;
use crate::source::stream_error;
use crate::tree::{Builder, Meta, NewKind};
use crate::{Format, Limits};

pub(crate) fn read(
    path: &Path,
    stream: impl Read,
    cap: CapState,
    format: Format,
    limits: Limits,
) -> Result<crate::tree::Tree, RootfsError> {
    let mut builder = Builder::new(path, format, limits);
    let mut archive = tar::Archive::new(stream);
    let fail = |e: io::Error| stream_error(path, format, &cap, e);
    {
        let entries = archive.entries().map_err(fail)?;
        for entry in entries {
            let mut entry = entry.map_err(fail)?;
            add_entry(&mut builder, &mut entry, format, &cap)?;
        }
    }
    if cap.hit_eof() {
        return Err(RootfsError::Truncated {
            file: path.to_path_buf(),
            format: format.to_string(),
            detail: "the archive ends without its end-of-archive block".into(),
        });
    }
    // Read what follows the end marker (record padding) to its end, so the
    // decompressor checks its trailer; bytes there are counted by the cap.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(fail)?;
    Ok(builder.finish())
}

fn add_entry<R: Read>(
    builder: &mut Builder,
    entry: &mut tar::Entry<'_, R>,
    format: Format,
    cap: &CapState,
) -> Result<(), RootfsError> {
    let file = builder.file().to_path_buf();
    let name = entry.path_bytes().into_owned();
    let bad = |reason: String| RootfsError::BadEntry {
        file: file.clone(),
        entry: crate::tree::shown(&name),
        reason,
    };
    let header = entry.header();
    let num = |v: io::Result<u64>, what: &str| v.map_err(|e| bad(format!("bad {what} field: {e}")));
    let mut meta = Meta {
        perm: num(header.mode().map(u64::from), "mode")? as u32,
        uid: u32::try_from(num(header.uid(), "uid")?)
            .map_err(|_| bad("uid does not fit 32 bits".into()))?,
        gid: u32::try_from(num(header.gid(), "gid")?)
            .map_err(|_| bad("gid does not fit 32 bits".into()))?,
        mtime: i64::try_from(num(header.mtime(), "mtime")?).unwrap_or(i64::MAX),
    };
    let entry_type = header.entry_type();
    let device = |h: &tar::Header| -> Result<(u32, u32), RootfsError> {
        let major = h.device_major().map_err(|e| bad(format!("bad device major: {e}")))?;
        let minor = h.device_minor().map_err(|e| bad(format!("bad device minor: {e}")))?;
        match (major, minor) {
            (Some(major), Some(minor)) => Ok((major, minor)),
            _ => Err(bad("a device entry without device numbers (not a ustar header)".into())),
        }
    };
    let link_name = entry.link_name_bytes().map(|l| l.into_owned());
    let kind = match entry_type {
        // Pre-POSIX archives mark a directory by a trailing slash alone.
        EntryType::Regular if name.ends_with(b"/") && entry.size() == 0 => Some(NewKind::Dir),
        EntryType::Regular | EntryType::Continuous => None,
        EntryType::Directory => Some(NewKind::Dir),
        EntryType::Symlink => match &link_name {
            Some(target) if !target.is_empty() => Some(NewKind::Symlink(target.clone())),
            _ => return Err(bad("a symlink without a target".into())),
        },
        EntryType::Char => {
            let (major, minor) = device(entry.header())?;
            Some(NewKind::CharDevice { major, minor })
        }
        EntryType::Block => {
            let (major, minor) = device(entry.header())?;
            Some(NewKind::BlockDevice { major, minor })
        }
        EntryType::Fifo => Some(NewKind::Fifo),
        EntryType::Link => {
            let Some(target) = link_name else {
                return Err(bad("a hard link without a target".into()));
            };
            let Some(id) = builder.find(&target)? else {
                return Err(bad(format!(
                    "a hard link to `{}`, which the archive has not listed before it",
                    crate::tree::shown(&target)
                )));
            };
            if builder.is_dir(id) {
                return Err(bad("a hard link to a directory".into()));
            }
            return builder.link(&name, id);
        }
        // Global pax headers carry defaults for later entries, not a file.
        EntryType::XGlobalHeader => return Ok(()),
        other => return Err(bad(format!("unsupported tar entry type {:?}", other))),
    };
    if let Some(pax) = entry.pax_extensions().map_err(|e| stream_error(&file, format, cap, e))? {
        for ext in pax {
            let ext = ext.map_err(|e| bad(format!("bad pax record: {e}")))?;
            let value = ext.value_bytes();
            let parse_u32 = |what: &str| -> Result<u32, RootfsError> {
                std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad(format!("bad pax {what} `{}`", crate::tree::shown(value))))
            };
            match ext.key_bytes() {
                b"uid" => meta.uid = parse_u32("uid")?,
                b"gid" => meta.gid = parse_u32("gid")?,
                // Fractional seconds are dropped: the tree keeps whole seconds.
                b"mtime" => {
                    let text = std::str::from_utf8(value).unwrap_or("");
                    let whole = text.split('.').next().unwrap_or("");
                    meta.mtime = whole.parse().map_err(|_| {
                        bad(format!("bad pax mtime `{}`", crate::tree::shown(value)))
                    })?;
                }
                _ => {}
            }
        }
    }
    let kind = match kind {
        Some(kind) => kind,
        None => {
            let size = entry.size();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(|e| stream_error(&file, format, cap, e))?;
            if data.len() as u64 != size {
                return Err(RootfsError::Truncated {
                    file: file.clone(),
                    format: format.to_string(),
                    detail: format!(
                        "entry `{}` declares {size} bytes, the archive ends after {}",
                        crate::tree::shown(&name),
                        data.len()
                    ),
                });
            }
            NewKind::File(Arc::from(data))
        }
    };
    builder.add(&name, kind, meta)?;
    Ok(())
}

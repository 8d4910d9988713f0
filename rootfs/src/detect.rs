//! Recognising an image by its magic bytes, unwrapping gzip or xz around a
//! tar or cpio archive, and capping how many bytes a decompressed stream
//! may yield ([`Capped`]), so a compression bomb fails with
//! [`RootfsError::TooLarge`] instead of filling the host's memory.

use std::cell::Cell;
use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;

use crate::error::RootfsError;
use crate::{Compression, Format};

/// What the first bytes of an image file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outer {
    Gzip,
    Xz,
    Squashfs,
    /// A tar or cpio archive without compression: decided on the archive's own magic.
    Archive,
}

/// Magic numbers of formats this crate does not read, so the error can say
/// what the file is. Offsets are from the start of the file.
const UNSUPPORTED_FORMATS: &[(usize, &[u8], &str)] = &[
    (0, b"sqsh", "big-endian squashfs (only little-endian squashfs 4.0 is read)"),
    (0, b"070707", "cpio in the old portable (odc) format (only newc is read)"),
    (0, b"\xc7\x71", "cpio in the old binary format (only newc is read)"),
    (0, b"\x71\xc7", "cpio in the old binary format (only newc is read)"),
    (0, b"\x45\x3d\xcd\x28", "cramfs"),
    (0, b"\x28\xcd\x3d\x45", "cramfs"),
    (0, b"\x85\x19", "jffs2"),
    (0, b"\x19\x85", "jffs2"),
    (0, b"UBI#", "UBI"),
    (0, b"\x31\x18\x10\x06", "UBIFS"),
    (0, b"PK\x03\x04", "zip"),
    (0, b"\x7fELF", "an ELF executable, not a file system image"),
    (1080, b"\x53\xef", "ext2/3/4"),
];

const UNSUPPORTED_COMPRESSIONS: &[(&[u8], &str)] = &[
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"\x02\x21\x4c\x18", "lz4 (legacy)"),
    (b"\x89LZO", "lzop"),
    (b"\x5d\x00\x00", "lzma"),
    (b"\x1f\x9d", "compress (.Z)"),
];

pub(crate) fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(b"\x1f\x8b")
}

pub(crate) fn is_xz(head: &[u8]) -> bool {
    head.starts_with(b"\xfd7zXZ\x00")
}

pub(crate) fn is_cpio_newc(head: &[u8]) -> bool {
    head.starts_with(b"070701") || head.starts_with(b"070702")
}

/// A tar header: the ustar magic, or failing that (v7 archives) a valid
/// header checksum.
pub(crate) fn is_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    let stored = std::str::from_utf8(&head[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let sum: u32 = head[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) })
        .sum();
    stored == Some(sum) && head[0] != 0
}

/// Classifies an image file from its first bytes (`head` holds up to 2 KiB).
pub(crate) fn classify(file: &Path, head: &[u8]) -> Result<Outer, RootfsError> {
    if is_gzip(head) {
        return Ok(Outer::Gzip);
    }
    if is_xz(head) {
        return Ok(Outer::Xz);
    }
    if head.starts_with(b"hsqs") {
        return Ok(Outer::Squashfs);
    }
    if is_cpio_newc(head) || is_tar(head) {
        return Ok(Outer::Archive);
    }
    unsupported(file, head, false)
}

/// The error for bytes that are no archive we read, naming what they are
/// when the magic is known. `inner` says the bytes came out of a
/// decompressor.
pub(crate) fn unsupported<T>(file: &Path, head: &[u8], inner: bool) -> Result<T, RootfsError> {
    for (magic, name) in UNSUPPORTED_COMPRESSIONS {
        if head.starts_with(magic) {
            let what = if inner {
                format!("{name} inside another compression")
            } else {
                (*name).to_string()
            };
            return Err(RootfsError::UnsupportedCompression { file: file.to_path_buf(), what });
        }
    }
    for (offset, magic, name) in UNSUPPORTED_FORMATS {
        if head.get(*offset..offset + magic.len()) == Some(*magic) {
            return Err(RootfsError::UnsupportedFormat {
                file: file.to_path_buf(),
                what: (*name).to_string(),
            });
        }
    }
    let what = if head.is_empty() {
        "the file is empty".to_string()
    } else if inner {
        "the decompressed data is neither a tar nor a newc cpio archive".to_string()
    } else {
        "not a tar, newc cpio or squashfs image, nor gzip or xz around one".to_string()
    };
    Err(RootfsError::UnsupportedFormat { file: file.to_path_buf(), what })
}

/// The marker error [`Capped`] returns past its cap.
#[derive(Debug)]
pub(crate) struct CapExceeded;

impl std::fmt::Display for CapExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed size cap exceeded")
    }
}

impl std::error::Error for CapExceeded {}

/// Shared view of a [`Capped`] reader's state, kept by the format reader
/// after the stream itself moved into a parser.
#[derive(Debug, Clone, Default)]
pub(crate) struct CapState {
    limit: u64,
    tripped: Rc<Cell<bool>>,
    hit_eof: Rc<Cell<bool>>,
}

impl CapState {
    /// The cap, in bytes.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// Whether the cap was reached (whatever error the parser reported then).
    pub(crate) fn tripped(&self) -> bool {
        self.tripped.get()
    }

    /// Whether the stream has reported its end.
    pub(crate) fn hit_eof(&self) -> bool {
        self.hit_eof.get()
    }
}

/// A reader that fails once more than `cap` bytes have come through.
pub(crate) struct Capped<R> {
    inner: R,
    left: u64,
    state: CapState,
}

impl<R: Read> Capped<R> {
    pub(crate) fn new(inner: R, cap: u64) -> (Capped<R>, CapState) {
        let state = CapState { limit: cap, ..CapState::default() };
        (Capped { inner, left: cap, state: state.clone() }, state)
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Ask for one byte more than allowed, so reaching the cap exactly is
        // not mistaken for exceeding it.
        let want =
            buf.len().min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.state.hit_eof.set(true);
            return Ok(0);
        }
        if n as u64 > self.left {
            self.state.tripped.set(true);
            return Err(io::Error::other(CapExceeded));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Most memory the xz decoder may use: enough for any preset (`xz -9e`
/// needs 65 MiB), not for a crafted header asking for gigabytes.
const XZ_MEMLIMIT: u64 = 256 << 20;

/// Opens the decompressor for `outer` over `raw`.
pub(crate) fn decompress<'r>(
    outer: Outer,
    raw: impl Read + 'r,
) -> Result<(Box<dyn Read + 'r>, Compression), io::Error> {
    Ok(match outer {
        Outer::Gzip => (Box::new(flate2::read::MultiGzDecoder::new(raw)), Compression::Gzip),
        Outer::Xz => {
            // Concatenated xz streams, as `cat a.xz b.xz` makes, decode as one.
            let stream = liblzma::stream::Stream::new_stream_decoder(
                XZ_MEMLIMIT,
                liblzma::stream::CONCATENATED,
            )?;
            (Box::new(liblzma::read::XzDecoder::new_stream(raw, stream)), Compression::Xz)
        }
        Outer::Archive | Outer::Squashfs => (Box::new(raw), Compression::None),
    })
}

/// Reads up to `n` bytes (fewer only at end of stream).
pub(crate) fn read_head(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// The archive format for a decompressed stream's first bytes.
pub(crate) fn archive_format(
    file: &Path,
    head: &[u8],
    compression: Compression,
) -> Result<Format, RootfsError> {
    if is_cpio_newc(head) {
        Ok(Format::Cpio(compression))
    } else if is_tar(head) {
        Ok(Format::Tar(compression))
    } else {
        unsupported(file, head, compression != Compression::None)
    }
}

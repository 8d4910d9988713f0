//! Errors: [`RootfsError`] for an image that cannot be read (naming the
//! image file and the reason), and [`LookupError`] for a path lookup inside
//! a good image, one variant per errno the Linux kernel layer returns.

use std::io;
use std::path::PathBuf;

/// Why an image could not be read. Every variant names the image file;
/// entry-level variants also name the entry inside it.
#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    /// The image path does not exist.
    #[error("{file}: no such file or directory")]
    Missing { file: PathBuf },
    /// The host refused a read (permissions, I/O error, ...).
    #[error("{file}: cannot read{}: {source}", at.as_ref().map(|p| format!(" `{}`", p.display())).unwrap_or_default())]
    Io {
        file: PathBuf,
        /// The file inside a directory image that failed, if not the image itself.
        at: Option<PathBuf>,
        #[source]
        source: io::Error,
    },
    /// The bytes are no image format this crate reads.
    #[error("{file}: unsupported image format: {what}")]
    UnsupportedFormat { file: PathBuf, what: String },
    /// The image is compressed with something this crate does not decompress.
    #[error("{file}: unsupported compression: {what}")]
    UnsupportedCompression { file: PathBuf, what: String },
    /// The image ends before its format says it does. `format` names the
    /// layer that noticed (`tar.gz`, `gzip`, `squashfs`, ...).
    #[error("{file}: truncated {format} image: {detail}")]
    Truncated { file: PathBuf, format: String, detail: String },
    /// The image's structure or compressed data is damaged.
    #[error("{file}: corrupt {format} image: {detail}")]
    Corrupt { file: PathBuf, format: String, detail: String },
    /// One entry cannot be placed in the tree: its path leaves the root, is
    /// too long, or its type is not a file system object.
    #[error("{file}: entry `{entry}`: {reason}")]
    BadEntry { file: PathBuf, entry: String, reason: String },
    /// An entry contradicts an earlier one at the same path (or uses an
    /// earlier non-directory as a directory).
    #[error("{file}: entry `{entry}` conflicts with an earlier entry: {reason}")]
    Conflict { file: PathBuf, entry: String, reason: String },
    /// Resolving a symlink in the image takes more than 40 hops.
    #[error(
        "{file}: symlink `{link}` never resolves: more than 40 links in a row (a symlink loop)"
    )]
    SymlinkLoop { file: PathBuf, link: String },
    /// Checking that the image's symlinks resolve took more path steps than
    /// an image of its size may ask for: links built to make every lookup
    /// walk thousands of components.
    #[error(
        "{file}: resolving the image's symlinks takes more than {limit} path steps \
         (reached at `{link}`); links that long or that deeply chained are refused"
    )]
    SymlinksTooComplex { file: PathBuf, link: String, limit: u64 },
    /// The image decompresses to more than the configured cap.
    #[error(
        "{file}: more than {limit} bytes of decompressed data; the cap guards the host \
         against compression bombs (raise `Limits::max_bytes` for a larger image)"
    )]
    TooLarge { file: PathBuf, limit: u64 },
    /// The image holds more entries than the configured cap.
    #[error("{file}: more than {limit} entries (raise `Limits::max_entries` for a larger image)")]
    TooManyEntries { file: PathBuf, limit: u64 },
}

impl RootfsError {
    /// The image file the error is about.
    pub fn file(&self) -> &std::path::Path {
        match self {
            RootfsError::Missing { file }
            | RootfsError::Io { file, .. }
            | RootfsError::UnsupportedFormat { file, .. }
            | RootfsError::UnsupportedCompression { file, .. }
            | RootfsError::Truncated { file, .. }
            | RootfsError::Corrupt { file, .. }
            | RootfsError::BadEntry { file, .. }
            | RootfsError::Conflict { file, .. }
            | RootfsError::SymlinkLoop { file, .. }
            | RootfsError::SymlinksTooComplex { file, .. }
            | RootfsError::TooLarge { file, .. }
            | RootfsError::TooManyEntries { file, .. } => file,
        }
    }
}

/// Why a lookup or an access inside an image failed. Each variant is one
/// Linux errno; the kernel layer maps it to the guest arch's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum LookupError {
    /// `ENOENT`: a component does not exist, or the path is empty.
    #[error("no such file or directory (ENOENT)")]
    NotFound,
    /// `ENOTDIR`: a non-final component, or a path with a trailing slash,
    /// names something that is not a directory.
    #[error("not a directory (ENOTDIR)")]
    NotADirectory,
    /// `ELOOP`: more than [`crate::MAX_SYMLINK_HOPS`] symlinks were followed.
    #[error("too many levels of symbolic links (ELOOP)")]
    Loop,
    /// `ENAMETOOLONG`: the path or one component is longer than Linux allows.
    #[error("file name too long (ENAMETOOLONG)")]
    NameTooLong,
    /// `EISDIR`: file contents were asked of a directory.
    #[error("is a directory (EISDIR)")]
    IsADirectory,
    /// `EINVAL`: a link target was asked of something that is not a symlink.
    #[error("not a symbolic link (EINVAL)")]
    NotASymlink,
    /// File contents were asked of a device, fifo, socket or unfollowed
    /// symlink, which store no bytes in an image; the VFS decides what
    /// opening them means.
    #[error("not a regular file")]
    NotARegularFile,
}

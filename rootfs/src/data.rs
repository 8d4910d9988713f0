//! A regular file's bytes as an image holds them: in memory (read from an
//! image, shared between the image's users), or a range of an image cache
//! entry mapped read-only from disk (`cache`), whose pages the host shares
//! with its page cache instead of copying them into fresh memory.
//!
//! A mapped file whose bytes lie on whole pages of the entry (they start
//! on a page, and zeros follow them to the end of their last) also names
//! that host file and offset ([`FileData::host_file`]): the kernel's VFS
//! maps programs and libraries from it directly (`mem::FilePages`) rather
//! than copying them into a memory file first.
//!
//! Entries are only ever replaced whole (written aside and renamed) or
//! removed, never changed in place, so the bytes of a mapped entry do not
//! change while a run holds it (see the module doc of `cache`).

use std::fmt;
use std::fs::File;
use std::ops::Deref;
use std::sync::Arc;

/// A regular file's bytes; cloning shares them.
#[derive(Clone)]
pub struct FileData(Repr);

#[derive(Clone)]
enum Repr {
    Memory(Arc<[u8]>),
    /// `pages`: the bytes start on a page of the entry and zeros follow
    /// them to the end of their last page.
    Mapped {
        entry: Arc<MappedEntry>,
        start: usize,
        len: usize,
        pages: bool,
    },
}

/// An image cache entry mapped from disk, with the open file behind it.
pub(crate) struct MappedEntry {
    file: File,
    map: memmap2::Mmap,
}

/// The host's page size as far as mapping file bytes goes: a range of an
/// entry starting at a multiple of it can be mapped on its own.
pub(crate) const HOST_PAGE: usize = 4096;

impl MappedEntry {
    /// Map `file` whole, read-only.
    pub(crate) fn map(file: File) -> std::io::Result<MappedEntry> {
        // SAFETY: the mapping is read-only. The cache writes an
        // entry aside and renames it into place, and drops entries by
        // removing their names, so the file under this descriptor is never
        // written or truncated while it is mapped (see `cache`).
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(MappedEntry { file, map })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }
}

impl FileData {
    /// The bytes of `entry` at `start..start + len` (which the caller has
    /// checked lie inside it); `pages` when they start on a page of it and
    /// the caller has checked that zeros follow them to the end of their
    /// last page.
    pub(crate) fn mapped(
        entry: &Arc<MappedEntry>,
        start: usize,
        len: usize,
        pages: bool,
    ) -> FileData {
        debug_assert!(start.checked_add(len).is_some_and(|end| end <= entry.map.len()));
        debug_assert!(!pages || start.is_multiple_of(HOST_PAGE));
        FileData(Repr::Mapped { entry: entry.clone(), start, len, pages })
    }

    /// The host file holding these bytes and their offset in it, when they
    /// lie on whole pages of an entry mapped from it: a private mapping of
    /// that file from there shows these bytes, then zeros to the end of
    /// their last page, as a mapping of the file itself would (the cache
    /// pads them so).
    pub fn host_file(&self) -> Option<(&File, u64)> {
        match &self.0 {
            Repr::Mapped { entry, start, pages: true, .. } => Some((&entry.file, *start as u64)),
            _ => None,
        }
    }
}

impl Deref for FileData {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Repr::Memory(bytes) => bytes,
            Repr::Mapped { entry, start, len, .. } => &entry.map[*start..*start + *len],
        }
    }
}

impl AsRef<[u8]> for FileData {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl From<Arc<[u8]>> for FileData {
    fn from(bytes: Arc<[u8]>) -> FileData {
        FileData(Repr::Memory(bytes))
    }
}

impl From<&[u8]> for FileData {
    fn from(bytes: &[u8]) -> FileData {
        FileData(Repr::Memory(Arc::from(bytes)))
    }
}

impl PartialEq for FileData {
    fn eq(&self, other: &FileData) -> bool {
        **self == **other
    }
}

impl Eq for FileData {}

impl fmt::Debug for FileData {
    // The bytes themselves would flood a tree's debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if matches!(self.0, Repr::Mapped { .. }) { "mapped" } else { "in memory" };
        write!(f, "FileData({} bytes, {how})", self.len())
    }
}

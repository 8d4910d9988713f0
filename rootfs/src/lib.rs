//! Firmware root filesystem images, read once into an immutable tree.
//!
//! [`Image::open`] reads a directory, a tar archive (plain, gzip or xz), a
//! newc cpio archive (plain, gzip or xz: an initramfs) or a squashfs image
//! (gzip, xz, lzo, lz4 or zstd), recognised by magic bytes, never by file
//! name. The result is one [`Image`]: a flat inode table whose regular
//! files share their bytes ([`FileData`]), cheap to clone and safe to share
//! between threads, so a run reads each image once and every cell uses it.
//! The kernel's VFS uses it as the read-only lower layer under each cell's
//! writable layer; the runner calls [`validate`] before any cell runs.
//!
//! Paths are bytes, as in Linux. Lookups resolve symlinks inside the image
//! only: an absolute target starts at the image root, `..` at the root stays
//! there, and more than [`MAX_SYMLINK_HOPS`] links give [`LookupError::Loop`].
//!
//! ```no_run
//! use bohr_rootfs::{Follow, Image};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let image = Image::open("firmware/rootfs.squashfs")?;
//! let sh = image.lookup("/bin/sh", Follow::Final)?; // busybox, via its applet link
//! let elf = image.read_file(sh)?; // shared bytes, no copy
//! let stat = image.stat(sh);
//! assert_eq!(stat.size, elf.len() as u64);
//! for entry in image.read_dir(image.lookup("/etc", Follow::Final)?)? {
//!     println!("{}", String::from_utf8_lossy(entry.name()));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Modules: `tree` (the inode table and the builder every reader feeds),
//! `lookup` (path resolution), `detect` (magic bytes, decompression and the
//! size cap), `source` (one reader per format), `validate` (the matrix-side
//! check), `cache` (decoded images kept between runs) and `data` (a file's
//! bytes, in memory or mapped from the cache). Those marked
//! `#[warn(missing_docs)]` document every public item, and clippy's
//! `-D warnings` keeps it so.

#[warn(missing_docs)]
mod cache;
pub mod cache_files;
#[warn(missing_docs)]
mod data;
#[warn(missing_docs)]
mod detect;
mod error;
#[warn(missing_docs)]
mod lookup;
#[warn(missing_docs)]
mod source;
mod tree;
#[warn(missing_docs)]
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub use cache::ImageCache;
pub use cache_files::cache_root_from_env;
pub use data::FileData;
pub use error::{LookupError, RootfsError};
pub use tree::{DirEntry, FileType, Inode, InodeId, Meta, NAME_MAX, NodeKind, PATH_MAX};
pub use validate::{ImageSet, validate};

/// Most symlinks one lookup follows before failing with `ELOOP` (Linux's
/// `MAXSYMLINKS`).
pub const MAX_SYMLINK_HOPS: u32 = 40;

/// Path component steps every image may spend on checking its symlinks
/// when opened, besides [`SYMLINK_CHECK_STEPS_PER_LINK`] per symlink. Real
/// images use a few steps per link.
pub const SYMLINK_CHECK_BASE_STEPS: u64 = 4_000_000;
/// Path component steps each symlink adds to the check's budget.
pub const SYMLINK_CHECK_STEPS_PER_LINK: u64 = 64;

/// Caps that keep a hostile or broken image from exhausting the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes read: the decompressed archive stream for tar and cpio,
    /// file contents and link targets for directories and squashfs.
    /// Default [`Limits::DEFAULT_MAX_BYTES`] (1 GiB).
    pub max_bytes: u64,
    /// Most entries (files, directories, links, implied directories).
    /// Default [`Limits::DEFAULT_MAX_ENTRIES`] (one million).
    pub max_entries: u64,
}

impl Limits {
    pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
    pub const DEFAULT_MAX_ENTRIES: u64 = 1_000_000;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_bytes: Limits::DEFAULT_MAX_BYTES, max_entries: Limits::DEFAULT_MAX_ENTRIES }
    }
}

/// The image format an [`Image`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Directory,
    Tar(Compression),
    Cpio(Compression),
    Squashfs,
}

/// The compression wrapped around a tar or cpio archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    None,
    Gzip,
    Xz,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, c) = match self {
            Format::Directory => return f.write_str("directory"),
            Format::Squashfs => return f.write_str("squashfs"),
            Format::Tar(c) => ("tar", c),
            Format::Cpio(c) => ("cpio", c),
        };
        match c {
            Compression::None => f.write_str(name),
            Compression::Gzip => write!(f, "{name}.gz"),
            Compression::Xz => write!(f, "{name}.xz"),
        }
    }
}

/// Whether a lookup follows a symlink named by the final component.
/// Intermediate symlinks are always followed, and so is a final one when
/// the path ends in `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// `stat`, `open` without `O_NOFOLLOW`.
    Final,
    /// `lstat`, `readlink`, `unlink`.
    NoFinal,
}

/// What `stat` reports for an inode, independent of the image's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stat {
    pub ino: u64,
    pub file_type: FileType,
    /// File type bits and permissions together, as `st_mode`.
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    /// Contents length for files, target length for symlinks, 4096 for
    /// directories, 0 otherwise.
    pub size: u64,
    /// Device numbers of a character or block device, else 0.
    pub rdev_major: u32,
    pub rdev_minor: u32,
    /// Seconds since the Unix epoch, as the image records it.
    pub mtime: i64,
}

/// The cache [`Image::open`] and [`Image::open_with_limits`] use: none
/// until a program sets one, so a library user (and every test) decodes
/// afresh unless it asks otherwise.
static PROCESS_CACHE: OnceLock<ImageCache> = OnceLock::new();

impl ImageCache {
    /// Make `cache` the one [`Image::open`] uses in this process; only the
    /// first call takes effect.
    pub fn set_for_process(cache: ImageCache) {
        let _ = PROCESS_CACHE.set(cache);
    }
}

/// A read root filesystem. Cloning shares it.
#[derive(Clone)]
pub struct Image {
    inner: Arc<ImageInner>,
}

impl fmt::Debug for Image {
    // The tree itself would print every file's bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("source", &self.inner.source)
            .field("format", &self.format())
            .field("inodes", &self.inode_count())
            .finish()
    }
}

struct ImageInner {
    source: PathBuf,
    tree: tree::Tree,
}

impl Image {
    /// Reads the image at `path` with the default [`Limits`].
    pub fn open(path: impl AsRef<Path>) -> Result<Image, RootfsError> {
        Image::open_with_limits(path, Limits::default())
    }

    /// Reads the image at `path`, failing past `limits`, through the
    /// process's cache of decoded images if one was set
    /// ([`ImageCache::set_for_process`]).
    pub fn open_with_limits(path: impl AsRef<Path>, limits: Limits) -> Result<Image, RootfsError> {
        Image::open_cached(path, limits, PROCESS_CACHE.get())
    }

    /// Reads the image at `path`, failing past `limits`; a compressed
    /// image file decoded before under the same limits comes from `cache`
    /// instead, and one decoded now is kept there (see [`ImageCache`]).
    /// The image is the same either way.
    pub fn open_cached(
        path: impl AsRef<Path>,
        limits: Limits,
        cache: Option<&ImageCache>,
    ) -> Result<Image, RootfsError> {
        let path = path.as_ref();
        let key = match cache {
            Some(c) if path.is_file() => c.key_of_file(path, limits).ok().flatten().map(|k| (c, k)),
            _ => None,
        };
        if let Some(tree) = key.as_ref().and_then(|(c, k)| c.load(k)) {
            return Image::finish(path, tree);
        }
        let tree = source::read(path, limits)?;
        if let Some((c, k)) = key {
            c.store(&k, &tree);
        }
        Image::finish(path, tree)
    }

    /// Reads an image file's bytes from memory (a tar, cpio or squashfs
    /// image, compressed or not; not a directory). `name` stands for the
    /// file in errors and [`Image::source`].
    pub fn from_bytes(
        name: impl AsRef<Path>,
        bytes: &[u8],
        limits: Limits,
    ) -> Result<Image, RootfsError> {
        let name = name.as_ref();
        let tree = source::read_stream(name, std::io::Cursor::new(bytes), limits)?;
        Image::finish(name, tree)
    }

    fn finish(source: &Path, tree: tree::Tree) -> Result<Image, RootfsError> {
        let image = Image { inner: Arc::new(ImageInner { source: source.to_path_buf(), tree }) };
        image.check_symlinks()?;
        Ok(image)
    }

    /// Every symlink must resolve without a loop (dangling ones are fine:
    /// firmware often links to files made at boot). The walks share a step
    /// budget of [`SYMLINK_CHECK_BASE_STEPS`] plus
    /// [`SYMLINK_CHECK_STEPS_PER_LINK`] per link.
    fn check_symlinks(&self) -> Result<(), RootfsError> {
        let links = self
            .inner
            .tree
            .inodes
            .iter()
            .filter(|i| matches!(i.kind(), NodeKind::Symlink(_)))
            .count() as u64;
        let limit = SYMLINK_CHECK_BASE_STEPS + SYMLINK_CHECK_STEPS_PER_LINK * links;
        let mut budget = limit;
        let mut stack = vec![(self.root(), Vec::new())];
        while let Some((dir, path)) = stack.pop() {
            for entry in self.read_dir(dir).unwrap_or(&[]) {
                let mut child_path = path.clone();
                child_path.push(b'/');
                child_path.extend_from_slice(entry.name());
                match self.inode(entry.inode()).kind() {
                    NodeKind::Dir { .. } => stack.push((entry.inode(), child_path)),
                    NodeKind::Symlink(_) => {
                        let link = || crate::tree::shown(&child_path);
                        match lookup::resolve_counted(
                            self,
                            dir,
                            entry.name(),
                            Follow::Final,
                            &mut budget,
                        ) {
                            Err(lookup::Stop::Lookup(LookupError::Loop)) => {
                                return Err(RootfsError::SymlinkLoop {
                                    file: self.inner.source.clone(),
                                    link: link(),
                                });
                            }
                            Err(lookup::Stop::OutOfSteps) => {
                                return Err(RootfsError::SymlinksTooComplex {
                                    file: self.inner.source.clone(),
                                    link: link(),
                                    limit,
                                });
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The path the image was opened from.
    pub fn source(&self) -> &Path {
        &self.inner.source
    }

    pub fn format(&self) -> Format {
        self.inner.tree.format
    }

    /// The root directory.
    pub fn root(&self) -> InodeId {
        InodeId(0)
    }

    /// Number of inodes (hard links counted once).
    pub fn inode_count(&self) -> usize {
        self.inner.tree.inodes.len()
    }

    /// The inode `id` names. `id` must come from this image.
    pub fn inode(&self, id: InodeId) -> &Inode {
        &self.inner.tree.inodes[id.index()]
    }

    /// Resolves `path` from the root (a relative path starts there too).
    pub fn lookup(&self, path: impl AsRef<[u8]>, follow: Follow) -> Result<InodeId, LookupError> {
        lookup::resolve(self, self.root(), path.as_ref(), follow)
    }

    /// Resolves `path` from directory `dir` if relative (from the root if
    /// absolute), as `openat` does.
    pub fn lookup_at(
        &self,
        dir: InodeId,
        path: impl AsRef<[u8]>,
        follow: Follow,
    ) -> Result<InodeId, LookupError> {
        lookup::resolve(self, dir, path.as_ref(), follow)
    }

    /// One name in one directory, no symlink followed: `Ok(None)` if absent.
    pub fn child(&self, dir: InodeId, name: &[u8]) -> Result<Option<InodeId>, LookupError> {
        let entries = self.read_dir(dir)?;
        Ok(entries.binary_search_by(|e| e.name().cmp(name)).ok().map(|i| entries[i].inode()))
    }

    /// A directory's parent (the root's is the root).
    pub fn parent(&self, dir: InodeId) -> Result<InodeId, LookupError> {
        match self.inode(dir).kind() {
            NodeKind::Dir { parent, .. } => Ok(*parent),
            _ => Err(LookupError::NotADirectory),
        }
    }

    /// A directory's entries, sorted by name; `.` and `..` are not stored.
    pub fn read_dir(&self, dir: InodeId) -> Result<&[DirEntry], LookupError> {
        match self.inode(dir).kind() {
            NodeKind::Dir { entries, .. } => Ok(entries),
            _ => Err(LookupError::NotADirectory),
        }
    }

    /// A regular file's bytes, shared.
    pub fn read_file(&self, file: InodeId) -> Result<&FileData, LookupError> {
        match self.inode(file).kind() {
            NodeKind::File(data) => Ok(data),
            NodeKind::Dir { .. } => Err(LookupError::IsADirectory),
            _ => Err(LookupError::NotARegularFile),
        }
    }

    /// A symlink's target, as stored.
    pub fn read_link(&self, link: InodeId) -> Result<&[u8], LookupError> {
        match self.inode(link).kind() {
            NodeKind::Symlink(target) => Ok(target),
            _ => Err(LookupError::NotASymlink),
        }
    }

    pub fn stat(&self, id: InodeId) -> Stat {
        let inode = self.inode(id);
        let file_type = inode.file_type();
        let (size, rdev_major, rdev_minor) = match inode.kind() {
            NodeKind::File(data) => (data.len() as u64, 0, 0),
            NodeKind::Dir { .. } => (4096, 0, 0),
            NodeKind::Symlink(t) => (t.len() as u64, 0, 0),
            NodeKind::CharDevice { major, minor } | NodeKind::BlockDevice { major, minor } => {
                (0, *major, *minor)
            }
            NodeKind::Fifo | NodeKind::Socket => (0, 0, 0),
        };
        let meta = inode.meta();
        Stat {
            ino: id.ino(),
            file_type,
            mode: file_type.mode_bits() | meta.perm,
            nlink: inode.nlink(),
            uid: meta.uid,
            gid: meta.gid,
            size,
            rdev_major,
            rdev_minor,
            mtime: meta.mtime,
        }
    }

    /// Looks up `path` and stats it.
    pub fn stat_path(&self, path: impl AsRef<[u8]>, follow: Follow) -> Result<Stat, LookupError> {
        Ok(self.stat(self.lookup(path, follow)?))
    }

    /// Total bytes of regular file contents (hard links counted once).
    pub fn file_bytes(&self) -> u64 {
        self.inner
            .tree
            .inodes
            .iter()
            .map(|i| match i.kind() {
                NodeKind::File(d) => d.len() as u64,
                _ => 0,
            })
            .sum()
    }
}

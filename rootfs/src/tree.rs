//! The in-memory tree every image format is read into: [`Inode`]s in one
//! flat table, directories holding sorted `(name, InodeId)` entries.
//!
//! Format readers feed a [`Builder`] entry by entry, in whatever order the
//! archive lists them; the builder creates missing parent directories,
//! rejects entries that leave the root or contradict earlier ones, and
//! [`Builder::finish`] freezes the result. Freezing renumbers inodes from
//! the root, each directory's entries in name order before its
//! subdirectories' (also in name order), and counts links from the
//! directory entries themselves, so the same tree gives the same inode
//! numbers and link counts whatever format it came in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::data::FileData;
use crate::error::RootfsError;
use crate::{Format, Limits};

/// Longest path, in bytes, an entry may have (Linux's `PATH_MAX` less the NUL).
pub const PATH_MAX: usize = 4095;
/// Longest name of one path component (Linux's `NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// An entry path or name as error messages show it: lossy UTF-8, and cut
/// short past a few hundred bytes (a crafted archive may carry megabytes).
pub(crate) fn shown(bytes: &[u8]) -> String {
    const SHOWN: usize = 300;
    if bytes.len() > SHOWN {
        format!("{}… ({} bytes)", String::from_utf8_lossy(&bytes[..SHOWN]), bytes.len())
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Index of an inode in its [`crate::Image`]. Only meaningful for the image
/// that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InodeId(pub(crate) u32);

impl InodeId {
    /// The inode number `stat` reports: the root is 1, the rest follow in
    /// the tree's fixed order (see the module doc).
    pub fn ino(self) -> u64 {
        u64::from(self.0) + 1
    }

    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// One directory entry: a name (bytes, no `/` or NUL) and the inode it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub(crate) name: Box<[u8]>,
    pub(crate) inode: InodeId,
}

impl DirEntry {
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    pub fn inode(&self) -> InodeId {
        self.inode
    }
}

/// What an inode is, with the data of its kind.
#[derive(Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A regular file; the bytes are shared, never copied, between users.
    File(FileData),
    /// A directory: entries sorted by name (bytewise), and its parent (the
    /// root is its own parent).
    Dir {
        entries: Box<[DirEntry]>,
        parent: InodeId,
    },
    /// A symbolic link and its target, as stored.
    Symlink(Box<[u8]>),
    CharDevice {
        major: u32,
        minor: u32,
    },
    BlockDevice {
        major: u32,
        minor: u32,
    },
    Fifo,
    Socket,
}

impl std::fmt::Debug for NodeKind {
    // A file prints its length, not its bytes; a link its target as text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeKind::File(data) => write!(f, "File({} bytes)", data.len()),
            NodeKind::Dir { entries, parent } => {
                write!(f, "Dir({} entries, parent {})", entries.len(), parent.ino())
            }
            NodeKind::Symlink(target) => write!(f, "Symlink({:?})", shown(target)),
            NodeKind::CharDevice { major, minor } => write!(f, "CharDevice({major}:{minor})"),
            NodeKind::BlockDevice { major, minor } => write!(f, "BlockDevice({major}:{minor})"),
            NodeKind::Fifo => f.write_str("Fifo"),
            NodeKind::Socket => f.write_str("Socket"),
        }
    }
}

/// The file type part of a mode, as `stat` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    /// The `S_IFMT` bits of this type.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Fifo => 0o010000,
            FileType::CharDevice => 0o020000,
            FileType::Directory => 0o040000,
            FileType::BlockDevice => 0o060000,
            FileType::Regular => 0o100000,
            FileType::Symlink => 0o120000,
            FileType::Socket => 0o140000,
        }
    }
}

/// Owner, permissions and time of an inode, as the image records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Meta {
    /// Permission bits with setuid, setgid and sticky (`mode & 0o7777`).
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    /// Seconds since the Unix epoch (may be negative).
    pub mtime: i64,
}

impl Meta {
    /// What a directory the image implies but never lists gets: `0755`,
    /// owned by root, at the epoch.
    pub const IMPLIED_DIR: Meta = Meta { perm: 0o755, uid: 0, gid: 0, mtime: 0 };
}

/// One inode of a frozen tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inode {
    pub(crate) kind: NodeKind,
    pub(crate) meta: Meta,
    pub(crate) nlink: u32,
}

impl Inode {
    pub fn kind(&self) -> &NodeKind {
        &self.kind
    }

    pub fn meta(&self) -> Meta {
        self.meta
    }

    /// Hard links: directory entries naming a non-directory, or 2 plus the
    /// number of subdirectories for a directory, as Linux counts.
    pub fn nlink(&self) -> u32 {
        self.nlink
    }

    pub fn file_type(&self) -> FileType {
        match self.kind {
            NodeKind::File(_) => FileType::Regular,
            NodeKind::Dir { .. } => FileType::Directory,
            NodeKind::Symlink(_) => FileType::Symlink,
            NodeKind::CharDevice { .. } => FileType::CharDevice,
            NodeKind::BlockDevice { .. } => FileType::BlockDevice,
            NodeKind::Fifo => FileType::Fifo,
            NodeKind::Socket => FileType::Socket,
        }
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.kind, NodeKind::Dir { .. })
    }
}

/// What a format reader hands the builder for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NewKind {
    File(Arc<[u8]>),
    Dir,
    Symlink(Vec<u8>),
    CharDevice { major: u32, minor: u32 },
    BlockDevice { major: u32, minor: u32 },
    Fifo,
    Socket,
}

#[derive(Debug)]
enum BKind {
    Leaf(NewKind),
    Dir(BTreeMap<Vec<u8>, usize>),
}

#[derive(Debug)]
struct BNode {
    kind: BKind,
    meta: Meta,
    /// A directory created because a deeper entry needed it; the first
    /// explicit entry for it sets its metadata.
    implied: bool,
}

/// Collects entries into a tree; see the module doc.
pub(crate) struct Builder {
    file: PathBuf,
    format: Format,
    nodes: Vec<BNode>,
    limits: Limits,
    entries: u64,
    bytes: u64,
}

/// Builder node handle (an index before freezing).
pub(crate) type BuildId = usize;

impl Builder {
    pub(crate) fn new(file: &Path, format: Format, limits: Limits) -> Builder {
        let root =
            BNode { kind: BKind::Dir(BTreeMap::new()), meta: Meta::IMPLIED_DIR, implied: true };
        Builder {
            file: file.to_path_buf(),
            format,
            nodes: vec![root],
            limits,
            entries: 0,
            bytes: 0,
        }
    }

    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Counts `n` bytes (file contents, or metadata a reader will
    /// decompress) against [`Limits::max_bytes`]; readers whose
    /// decompressed stream is already capped do not call it.
    pub(crate) fn charge_bytes(&mut self, n: u64) -> Result<(), RootfsError> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.max_bytes {
            return Err(RootfsError::TooLarge {
                file: self.file.clone(),
                limit: self.limits.max_bytes,
            });
        }
        Ok(())
    }

    /// Bytes still allowed by [`Builder::charge_bytes`].
    pub(crate) fn bytes_left(&self) -> u64 {
        self.limits.max_bytes.saturating_sub(self.bytes)
    }

    fn bad(&self, path: &[u8], reason: impl Into<String>) -> RootfsError {
        RootfsError::BadEntry { file: self.file.clone(), entry: shown(path), reason: reason.into() }
    }

    fn conflict(&self, path: &[u8], reason: impl Into<String>) -> RootfsError {
        RootfsError::Conflict { file: self.file.clone(), entry: shown(path), reason: reason.into() }
    }

    fn count_entry(&mut self) -> Result<(), RootfsError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(RootfsError::TooManyEntries {
                file: self.file.clone(),
                limit: self.limits.max_entries,
            });
        }
        Ok(())
    }

    /// Splits an archive path into components: leading `/` and `./` and
    /// inner `.` are dropped (archives write `./bin/sh`, `/bin/sh` and
    /// `bin/sh` alike); `..` is refused, since an entry may not name
    /// anything through its parent, least of all outside the root.
    fn components<'p>(&self, path: &'p [u8]) -> Result<Vec<&'p [u8]>, RootfsError> {
        if path.len() > PATH_MAX {
            return Err(self.bad(path, format!("path longer than {PATH_MAX} bytes")));
        }
        if path.contains(&0) {
            return Err(self.bad(path, "path contains a NUL byte"));
        }
        let mut out = Vec::new();
        for c in path.split(|&b| b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => {
                    return Err(self
                        .bad(path, "path has a `..` component, which could leave the image root"));
                }
                _ if c.len() > NAME_MAX => {
                    return Err(
                        self.bad(path, format!("a component is longer than {NAME_MAX} bytes"))
                    );
                }
                _ => out.push(c),
            }
        }
        Ok(out)
    }

    /// Walks to the directory that will hold the last component, creating
    /// implied directories on the way. Returns it and the last name, or
    /// `None` for the root itself.
    fn parent_of<'p>(
        &mut self,
        path: &'p [u8],
    ) -> Result<Option<(BuildId, &'p [u8])>, RootfsError> {
        let comps = self.components(path)?;
        let Some((last, dirs)) = comps.split_last() else { return Ok(None) };
        let mut cur = 0;
        for c in dirs {
            let next = match &self.nodes[cur].kind {
                BKind::Dir(entries) => entries.get(*c).copied(),
                BKind::Leaf(_) => unreachable!("walk only descends into directories"),
            };
            cur = match next {
                Some(id) if matches!(self.nodes[id].kind, BKind::Dir(_)) => id,
                Some(_) => {
                    return Err(self.conflict(
                        path,
                        format!(
                            "`{}` is not a directory in the image, so nothing can be inside it",
                            shown(c)
                        ),
                    ));
                }
                None => {
                    self.count_entry()?;
                    let id = self.nodes.len();
                    self.nodes.push(BNode {
                        kind: BKind::Dir(BTreeMap::new()),
                        meta: Meta::IMPLIED_DIR,
                        implied: true,
                    });
                    self.dir_entries(cur).insert(c.to_vec(), id);
                    id
                }
            };
        }
        Ok(Some((cur, last)))
    }

    fn dir_entries(&mut self, id: BuildId) -> &mut BTreeMap<Vec<u8>, usize> {
        match &mut self.nodes[id].kind {
            BKind::Dir(entries) => entries,
            BKind::Leaf(_) => unreachable!("only directories hold entries"),
        }
    }

    /// Adds one entry at `path`. A repeated directory takes the later
    /// entry's metadata; any other repeated entry is accepted only if it
    /// says exactly the same thing.
    pub(crate) fn add(
        &mut self,
        path: &[u8],
        kind: NewKind,
        meta: Meta,
    ) -> Result<BuildId, RootfsError> {
        self.count_entry()?;
        let meta = Meta { perm: meta.perm & 0o7777, ..meta };
        let Some((parent, name)) = self.parent_of(path)? else {
            // The root itself (`.`, `./`, `/`).
            if kind != NewKind::Dir {
                return Err(self.conflict(path, "the image root must be a directory"));
            }
            return self.redeclare_dir(0, meta);
        };
        if let Some(&existing) = match &self.nodes[parent].kind {
            BKind::Dir(e) => e.get(name),
            BKind::Leaf(_) => None,
        } {
            return match (&self.nodes[existing].kind, &kind) {
                (BKind::Dir(_), NewKind::Dir) => self.redeclare_dir(existing, meta),
                (BKind::Leaf(old), new) if old == new && self.nodes[existing].meta == meta => {
                    Ok(existing)
                }
                _ => {
                    Err(self
                        .conflict(path, "the same path is declared twice with different contents"))
                }
            };
        }
        let id = self.nodes.len();
        let kind = match kind {
            NewKind::Dir => BKind::Dir(BTreeMap::new()),
            leaf => BKind::Leaf(leaf),
        };
        self.nodes.push(BNode { kind, meta, implied: false });
        self.dir_entries(parent).insert(name.to_vec(), id);
        Ok(id)
    }

    /// A directory listed again: its metadata becomes the later entry's,
    /// as the kernel's initramfs unpacker and tar do (concatenated
    /// initramfs archives each list `.`, with their own times).
    fn redeclare_dir(&mut self, id: BuildId, meta: Meta) -> Result<BuildId, RootfsError> {
        let node = &mut self.nodes[id];
        node.meta = meta;
        node.implied = false;
        Ok(id)
    }

    /// Adds a hard link at `path` to the inode `target` (never a directory).
    pub(crate) fn link(&mut self, path: &[u8], target: BuildId) -> Result<(), RootfsError> {
        self.count_entry()?;
        if matches!(self.nodes[target].kind, BKind::Dir(_)) {
            return Err(self.bad(path, "a hard link to a directory"));
        }
        let Some((parent, name)) = self.parent_of(path)? else {
            return Err(self.conflict(path, "the image root cannot be a hard link"));
        };
        match self.dir_entries(parent).get(name).copied() {
            Some(existing) if existing == target => Ok(()),
            Some(_) => Err(self.conflict(path, "a hard link over an existing entry")),
            None => {
                self.dir_entries(parent).insert(name.to_vec(), target);
                Ok(())
            }
        }
    }

    /// The inode at `path` as already added, without following symlinks
    /// (tar hard links name their target this way).
    pub(crate) fn find(&self, path: &[u8]) -> Result<Option<BuildId>, RootfsError> {
        let mut cur = 0;
        for c in self.components(path)? {
            cur = match &self.nodes[cur].kind {
                BKind::Dir(entries) => match entries.get(c) {
                    Some(&id) => id,
                    None => return Ok(None),
                },
                BKind::Leaf(_) => return Ok(None),
            };
        }
        Ok(Some(cur))
    }

    pub(crate) fn is_dir(&self, id: BuildId) -> bool {
        matches!(self.nodes[id].kind, BKind::Dir(_))
    }

    /// Replaces the contents of a regular file added earlier (cpio stores a
    /// hard-linked file's bytes with only one of its names).
    pub(crate) fn set_contents(
        &mut self,
        path: &[u8],
        id: BuildId,
        data: Arc<[u8]>,
    ) -> Result<(), RootfsError> {
        match &mut self.nodes[id].kind {
            BKind::Leaf(NewKind::File(old)) if old.is_empty() || *old == data => {
                *old = data;
                Ok(())
            }
            BKind::Leaf(NewKind::File(_)) => {
                Err(self.conflict(path, "hard-linked names carry different contents"))
            }
            _ => Err(self.conflict(path, "a hard link between entries of different types")),
        }
    }

    /// Freezes the tree: see the module doc for numbering and link counts.
    pub(crate) fn finish(self) -> Tree {
        // Depth-first, name-sorted, explicit stack (archives may nest deeply).
        let mut new_id: Vec<Option<u32>> = vec![None; self.nodes.len()];
        let mut order: Vec<usize> = Vec::new();
        let mut links: Vec<u32> = vec![0; self.nodes.len()];
        let mut stack = vec![0usize];
        new_id[0] = Some(0);
        order.push(0);
        while let Some(id) = stack.pop() {
            if let BKind::Dir(entries) = &self.nodes[id].kind {
                // Push children in reverse so the smallest name is numbered
                // next; numbering happens on first sight.
                let mut pending = Vec::new();
                for &child in entries.values() {
                    links[child] += 1;
                    if new_id[child].is_none() {
                        new_id[child] = Some(order.len() as u32);
                        order.push(child);
                        if matches!(self.nodes[child].kind, BKind::Dir(_)) {
                            pending.push(child);
                        }
                    }
                }
                stack.extend(pending.into_iter().rev());
            }
        }
        // The loop above numbers a directory's entries before descending
        // into its subdirectories: one fixed order per tree.
        let is_dir: Vec<bool> =
            self.nodes.iter().map(|n| matches!(n.kind, BKind::Dir(_))).collect();
        let mut parents: Vec<u32> = vec![0; self.nodes.len()];
        for (id, node) in self.nodes.iter().enumerate() {
            if let BKind::Dir(entries) = &node.kind {
                for &child in entries.values() {
                    if matches!(self.nodes[child].kind, BKind::Dir(_)) {
                        parents[child] = new_id[id].unwrap_or(0);
                    }
                }
            }
        }
        let mut nodes: Vec<Option<BNode>> = self.nodes.into_iter().map(Some).collect();
        let mut inodes = Vec::with_capacity(order.len());
        for &old in &order {
            let node =
                nodes[old].take().unwrap_or_else(|| unreachable!("each node is numbered once"));
            let (kind, nlink) = match node.kind {
                BKind::Dir(entries) => {
                    let mut subdirs = 0u32;
                    let entries: Box<[DirEntry]> = entries
                        .into_iter()
                        .map(|(name, child)| {
                            if is_dir[child] {
                                subdirs += 1;
                            }
                            DirEntry {
                                name: name.into_boxed_slice(),
                                inode: InodeId(new_id[child].unwrap_or(0)),
                            }
                        })
                        .collect();
                    (NodeKind::Dir { entries, parent: InodeId(parents[old]) }, 2 + subdirs)
                }
                BKind::Leaf(leaf) => (
                    match leaf {
                        NewKind::File(data) => NodeKind::File(data.into()),
                        NewKind::Symlink(t) => NodeKind::Symlink(t.into_boxed_slice()),
                        NewKind::CharDevice { major, minor } => {
                            NodeKind::CharDevice { major, minor }
                        }
                        NewKind::BlockDevice { major, minor } => {
                            NodeKind::BlockDevice { major, minor }
                        }
                        NewKind::Fifo => NodeKind::Fifo,
                        NewKind::Socket => NodeKind::Socket,
                        NewKind::Dir => unreachable!("directories are BKind::Dir"),
                    },
                    links[old],
                ),
            };
            inodes.push(Inode { kind, meta: node.meta, nlink });
        }
        Tree { inodes: inodes.into_boxed_slice(), format: self.format }
    }
}

/// A frozen tree: the inode table, root first.
#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) inodes: Box<[Inode]>,
    pub(crate) format: Format,
}

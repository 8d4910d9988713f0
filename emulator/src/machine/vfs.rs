//! The machine's file system: an in-memory tree that the kernel reaches
//! through [`FileSystem`] (via [`VfsHandle`]) and the shell reaches
//! directly (to find programs and open redirections).
//!
//! Contents:
//! - `/bin/*`: the cell arch's embedded programs, then the caller's files
//!   (which may override them);
//! - `/dev/null`, `/dev/zero`, `/dev/console` (writes go to the script's
//!   captured stderr, reads see end of file), `/dev/mtd0..N`;
//! - `/proc/mtd`, in the format Linux prints;
//! - `/tmp`, the only writable directory (anything else is `EROFS`), whose
//!   bytes count against the world's [`DiskQuota`] (`ENOSPC` beyond);
//! - any other file the caller adds, read-only, parents created as needed.
//!
//! Paths reaching this module are absolute and normalised by the kernel.
//! Nodes live in a `BTreeMap` keyed by path, so listings come out sorted
//! and nothing depends on hash order. Inode numbers are hashes of paths.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use super::mtd::{MtdDevice, MtdFile};
use crate::linux::abi::{FileStat, OpenFlags, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG};
use crate::linux::errno::Errno;
use crate::linux::file::{DevNull, DevZero, DirEntry, DirSnapshot, FileObject, IoResult, path_ino};
use crate::linux::imagefs::ImageFs;
use crate::linux::limits::DiskQuota;
use crate::linux::lower::LowerFs;
use crate::linux::overlay::Overlay;
use crate::linux::{FileBytes, FileSystem};

/// Default cap on each captured output stream.
pub const CAPTURE_LIMIT: usize = 32 << 20;
/// File times: the virtual clock's epoch (2000-01-01T00:00:00Z).
const EPOCH_SECS: u64 = 946_684_800;

/// A captured output stream (the script's stdout or stderr). Past its
/// limit, bytes are counted and dropped; [`Capture::finish`] then appends
/// a note saying how many.
#[derive(Debug)]
pub struct Capture {
    data: Vec<u8>,
    limit: usize,
    dropped: u64,
}

pub type CaptureRef = Rc<RefCell<Capture>>;

impl Capture {
    pub fn new_ref(limit: usize) -> CaptureRef {
        Rc::new(RefCell::new(Capture { data: Vec::new(), limit, dropped: 0 }))
    }

    pub fn push(&mut self, bytes: &[u8]) {
        let room = self.limit.saturating_sub(self.data.len());
        let take = room.min(bytes.len());
        self.data.extend_from_slice(&bytes[..take]);
        self.dropped += (bytes.len() - take) as u64;
    }

    /// The bytes, plus a note if some were dropped.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.data);
        if self.dropped > 0 {
            let note = format!(
                "\n[bohr: output truncated after {} bytes; {} more bytes dropped]\n",
                out.len(),
                self.dropped
            );
            out.extend_from_slice(note.as_bytes());
        }
        out
    }
}

/// A descriptor writing into a [`Capture`]. It looks like a pipe, as a
/// harness capturing output would make it.
pub struct CaptureFile {
    pub cap: CaptureRef,
    pub ino: u64,
}

impl FileObject for CaptureFile {
    fn read(&mut self, _buf: &mut [u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn write(&mut self, data: &[u8]) -> IoResult {
        self.cap.borrow_mut().push(data);
        Ok(data.len())
    }
    fn stat(&self) -> FileStat {
        FileStat {
            dev: 0xc,
            ino: self.ino,
            mode: S_IFIFO | 0o600,
            nlink: 1,
            blksize: 4096,
            ..Default::default()
        }
    }
}

/// `/dev/console`: output joins the script's stderr.
struct ConsoleFile {
    cap: CaptureRef,
}

impl FileObject for ConsoleFile {
    fn read(&mut self, _buf: &mut [u8]) -> IoResult {
        Ok(0)
    }
    fn write(&mut self, data: &[u8]) -> IoResult {
        self.cap.borrow_mut().push(data);
        Ok(data.len())
    }
    fn stat(&self) -> FileStat {
        char_stat(path_ino(b"/dev/console"), 5, 1)
    }
}

/// `stat` of a character device `major:minor`.
pub(super) fn char_stat(ino: u64, major: u64, minor: u64) -> FileStat {
    // Linux's new_encode_dev.
    let rdev = (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12);
    FileStat {
        dev: 5,
        ino,
        mode: S_IFCHR | 0o600,
        nlink: 1,
        rdev,
        blksize: 4096,
        time: EPOCH_SECS,
        ..Default::default()
    }
}

/// Contents of a writable file; its size counts against the `/tmp` quota
/// until the last reference (directory entry or open file) goes.
struct TmpData {
    bytes: Vec<u8>,
    usage: Rc<DiskQuota>,
}

impl Drop for TmpData {
    fn drop(&mut self) {
        self.usage.shrink(self.bytes.len() as u64);
    }
}

/// Bytes of a regular file.
#[derive(Clone)]
enum Data {
    /// Embedded programs.
    Static(&'static [u8]),
    /// Caller-provided files and generated `/proc` text.
    Shared(Arc<Vec<u8>>),
    /// Files under `/tmp`.
    Mutable(Rc<RefCell<TmpData>>),
}

impl Data {
    fn with<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T {
        match self {
            Data::Static(b) => f(b),
            Data::Shared(b) => f(b),
            Data::Mutable(d) => f(&d.borrow().bytes),
        }
    }
}

enum Node {
    Dir { writable: bool },
    File { data: Data, executable: bool },
    Null,
    Zero,
    Console,
    Mtd(usize),
    ProcMtd,
}

/// Where Bohr's embedded tools are reachable in a cell with a rootfs (the
/// rootfs keeps its own `/bin`).
pub const TOOLS_DIR: &str = "/bohr/bin";
/// The directory above [`TOOLS_DIR`], Bohr's too (a mount point over the
/// rootfs, as `/dev` is).
const TOOLS_PARENT: &str = "/bohr";

/// The file system of one machine.
pub struct Vfs {
    nodes: BTreeMap<Vec<u8>, Node>,
    /// A firmware root filesystem under this cell's writable layer: every
    /// path outside [`Vfs::owns`] lives there.
    rootfs: Option<Overlay>,
    mtds: Vec<Rc<MtdDevice>>,
    console: CaptureRef,
    usage: Rc<DiskQuota>,
}

/// Why the caller's files cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("guest file `{path}`: {why}")]
pub struct VfsError {
    pub path: String,
    pub why: &'static str,
}

fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&c| c == b'/') {
        Some(0) | None => b"/",
        Some(i) => &path[..i],
    }
}

fn base_name(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&c| c == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// Is `path` absolute and normalised (no empty, `.` or `..` components)?
fn is_clean(path: &[u8]) -> bool {
    path.len() > 1
        && path[0] == b'/'
        && path[1..].split(|&c| c == b'/').all(|c| !c.is_empty() && c != b"." && c != b"..")
}

impl Vfs {
    /// A tree with `programs` in `/bin`, the devices, and then `files`.
    pub fn new(
        programs: impl Iterator<Item = (&'static str, &'static [u8])>,
        files: &[crate::machine::GuestFile],
        mtds: Vec<Rc<MtdDevice>>,
        console: CaptureRef,
        quota: Rc<DiskQuota>,
    ) -> Result<Vfs, VfsError> {
        let mut v = Vfs { nodes: BTreeMap::new(), rootfs: None, mtds, console, usage: quota };
        for dir in ["/", "/bin", "/dev", "/proc"] {
            v.nodes.insert(dir.as_bytes().to_vec(), Node::Dir { writable: false });
        }
        v.nodes.insert(b"/tmp".to_vec(), Node::Dir { writable: true });
        for (name, elf) in programs {
            let path = format!("/bin/{name}").into_bytes();
            v.nodes.insert(path, Node::File { data: Data::Static(elf), executable: true });
        }
        v.nodes.insert(b"/dev/null".to_vec(), Node::Null);
        v.nodes.insert(b"/dev/zero".to_vec(), Node::Zero);
        v.nodes.insert(b"/dev/console".to_vec(), Node::Console);
        for i in 0..v.mtds.len() {
            v.nodes.insert(format!("/dev/mtd{i}").into_bytes(), Node::Mtd(i));
        }
        v.nodes.insert(b"/proc/mtd".to_vec(), Node::ProcMtd);
        for f in files {
            v.add_file(f)?;
        }
        Ok(v)
    }

    /// A tree whose `/` is `image` (read-only) under a writable in-memory
    /// layer of this cell's own. Bohr's `/dev` and `/proc` are mounted over
    /// the image's, as a kernel mounts devtmpfs and procfs, and the
    /// embedded `programs` sit in [`TOOLS_DIR`]. `files` are written into
    /// the writable layer.
    pub fn with_rootfs(
        image: bohr_rootfs::Image,
        seed: u64,
        programs: impl Iterator<Item = (&'static str, &'static [u8])>,
        files: &[crate::machine::GuestFile],
        mtds: Vec<Rc<MtdDevice>>,
        console: CaptureRef,
        quota: Rc<DiskQuota>,
    ) -> Result<Vfs, VfsError> {
        let mut v = Vfs::new(std::iter::empty(), &[], mtds, console, quota.clone())?;
        v.nodes.remove(b"/".as_slice());
        v.nodes.remove(b"/bin".as_slice());
        v.nodes.remove(b"/tmp".as_slice());
        v.nodes.insert(TOOLS_PARENT.as_bytes().to_vec(), Node::Dir { writable: false });
        v.nodes.insert(TOOLS_DIR.as_bytes().to_vec(), Node::Dir { writable: false });
        for (name, elf) in programs {
            let path = format!("{TOOLS_DIR}/{name}").into_bytes();
            v.nodes.insert(path, Node::File { data: Data::Static(elf), executable: true });
        }
        let lower: Rc<dyn LowerFs> = Rc::new(ImageFs::new(image));
        let mut overlay = Overlay::with_quota(vec![lower], seed, quota);
        for f in files {
            let err = |why| VfsError { path: f.path.clone(), why };
            let path = f.path.as_bytes();
            if !is_clean(path) {
                return Err(err("the path must be absolute and normalised"));
            }
            if Vfs::owns(path) {
                return Err(err("/dev, /proc and the tools directory hold only Bohr's files"));
            }
            let mut end = 0;
            while let Some(i) = path[end + 1..].iter().position(|&c| c == b'/') {
                end += 1 + i;
                match overlay.mkdir(&path[..end], 0o755) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(_) => return Err(err("a parent directory cannot be made")),
                }
            }
            let flags = OpenFlags { access: 1, create: true, trunc: true, ..Default::default() };
            let mode = if f.executable { 0o755 } else { 0o644 };
            let mut obj =
                overlay.open(path, flags, mode).map_err(|_| err("it cannot be written"))?;
            let written = obj.write(&f.data);
            obj.close();
            if written != Ok(f.data.len()) {
                return Err(err("it does not fit in the writable layer"));
            }
        }
        v.rootfs = Some(overlay);
        Ok(v)
    }

    /// Paths Bohr itself serves over a rootfs: `/dev`, `/proc` and the
    /// tools directory.
    fn owns(path: &[u8]) -> bool {
        [b"/dev".as_slice(), b"/proc", TOOLS_PARENT.as_bytes()]
            .iter()
            .any(|d| path.starts_with(d) && (path.len() == d.len() || path[d.len()] == b'/'))
    }

    /// The rootfs layer `path` belongs to, if any.
    fn rootfs_for(&mut self, path: &[u8]) -> Option<&mut Overlay> {
        if Vfs::owns(path) { None } else { self.rootfs.as_mut() }
    }

    fn add_file(&mut self, f: &crate::machine::GuestFile) -> Result<(), VfsError> {
        let err = |why| VfsError { path: f.path.clone(), why };
        let path = f.path.as_bytes();
        if !is_clean(path) {
            return Err(err("the path must be absolute and normalised"));
        }
        if path.starts_with(b"/dev/") || path.starts_with(b"/proc/") {
            return Err(err("/dev and /proc hold only Bohr's devices"));
        }
        // Create missing parents (read-only, like the rest of the tree).
        let mut ancestors = Vec::new();
        let mut p = parent(path);
        while p != b"/" {
            ancestors.push(p.to_vec());
            p = parent(p);
        }
        for a in ancestors.into_iter().rev() {
            match self.nodes.get(&a) {
                Some(Node::Dir { .. }) => {}
                Some(_) => return Err(err("a parent directory is a file")),
                None => {
                    self.nodes.insert(a, Node::Dir { writable: false });
                }
            }
        }
        if matches!(self.nodes.get(path), Some(Node::Dir { .. })) {
            return Err(err("it is a directory"));
        }
        let writable_dir =
            matches!(self.nodes.get(parent(path)), Some(Node::Dir { writable: true }));
        let data = if writable_dir {
            self.usage.grow(f.data.len() as u64).map_err(|_| VfsError {
                path: f.path.clone(),
                why: "it does not fit in the writable layer's quota",
            })?;
            Data::Mutable(Rc::new(RefCell::new(TmpData {
                bytes: f.data.as_ref().clone(),
                usage: self.usage.clone(),
            })))
        } else {
            Data::Shared(f.data.clone())
        };
        self.nodes.insert(path.to_vec(), Node::File { data, executable: f.executable });
        Ok(())
    }

    /// Check the parents of `path`: each must exist and be a directory.
    fn check_parents(&self, path: &[u8]) -> Result<(), Errno> {
        let mut end = 0;
        while let Some(i) = path[end + 1..].iter().position(|&c| c == b'/') {
            end += 1 + i;
            match self.nodes.get(&path[..end]) {
                Some(Node::Dir { .. }) => {}
                Some(_) => return Err(Errno::ENOTDIR),
                None => return Err(Errno::ENOENT),
            }
        }
        Ok(())
    }

    fn lookup(&self, path: &[u8]) -> Result<&Node, Errno> {
        if path.len() > 4096 {
            return Err(Errno::ENAMETOOLONG);
        }
        self.check_parents(path)?;
        self.nodes.get(path).ok_or(Errno::ENOENT)
    }

    /// Sorted entries of directory `dir` (with `.` and `..`).
    fn entries(&self, dir: &[u8]) -> Vec<DirEntry> {
        let mut prefix = dir.to_vec();
        if prefix != b"/" {
            prefix.push(b'/');
        }
        let mut out = vec![
            DirEntry { ino: path_ino(dir), kind: 4, name: b".".to_vec() },
            DirEntry { ino: path_ino(parent(dir)), kind: 4, name: b"..".to_vec() },
        ];
        for (path, node) in self.nodes.range(prefix.clone()..) {
            if !path.starts_with(&prefix) {
                break;
            }
            let name = &path[prefix.len()..];
            if name.is_empty() || name.contains(&b'/') {
                continue;
            }
            let kind = match node {
                Node::Dir { .. } => 4,
                Node::File { .. } | Node::ProcMtd => 8,
                _ => 2,
            };
            out.push(DirEntry { ino: path_ino(path), kind, name: name.to_vec() });
        }
        out
    }

    /// The image of the program at `path`: `ENOENT` if there is none,
    /// `EACCES` if it is not an executable regular file.
    pub fn program(&mut self, path: &[u8]) -> Result<FileBytes, Errno> {
        if let Some(fs) = self.rootfs_for(path) {
            let abs = crate::linux::resolve_guest_path(fs, path)?;
            if fs.lstat(&abs)?.mode & 0o111 == 0 {
                return Err(Errno::EACCES);
            }
            return crate::linux::read_guest_file(fs, &abs);
        }
        match self.lookup(path)? {
            Node::File { data, executable: true } => Ok(FileBytes::Read(data.with(|b| b.to_vec()))),
            _ => Err(Errno::EACCES),
        }
    }

    /// Whether `/` is a firmware root filesystem.
    pub fn has_rootfs(&self) -> bool {
        self.rootfs.is_some()
    }

    pub fn is_dir(&mut self, path: &[u8]) -> bool {
        if let Some(fs) = self.rootfs_for(path) {
            return crate::linux::resolve_guest_path(fs, path)
                .and_then(|abs| fs.lstat(&abs))
                .is_ok_and(|st| st.mode & S_IFMT == S_IFDIR);
        }
        matches!(self.lookup(path), Ok(Node::Dir { .. }))
    }

    fn open(
        &mut self,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
    ) -> Result<Box<dyn FileObject>, Errno> {
        let ino = path_ino(path);
        let created = self.lookup(path).is_err();
        match self.lookup(path) {
            Ok(_) => {}
            Err(Errno::ENOENT) if flags.create => {
                self.check_parents(path)?;
                if base_name(path).len() > 255 {
                    return Err(Errno::ENAMETOOLONG);
                }
                match self.nodes.get(parent(path)) {
                    Some(Node::Dir { writable: true }) => {}
                    Some(Node::Dir { writable: false }) => return Err(Errno::EROFS),
                    _ => return Err(Errno::ENOENT),
                }
                let data = Data::Mutable(Rc::new(RefCell::new(TmpData {
                    bytes: Vec::new(),
                    usage: self.usage.clone(),
                })));
                let executable = mode & 0o111 != 0;
                self.nodes.insert(path.to_vec(), Node::File { data, executable });
            }
            Err(e) => return Err(e),
        }
        let node = self.nodes.get(path).expect("looked up or created above");
        if flags.create && flags.excl && !created {
            return Err(Errno::EEXIST);
        }
        let wants_write = flags.writable() || flags.trunc;
        if flags.directory && !matches!(node, Node::Dir { .. }) {
            return Err(Errno::ENOTDIR);
        }
        let object: Box<dyn FileObject> = match node {
            Node::Dir { .. } => {
                if flags.writable() {
                    return Err(Errno::EISDIR);
                }
                Box::new(DirSnapshot {
                    st: FileStat {
                        dev: 1,
                        ino,
                        mode: S_IFDIR | 0o755,
                        nlink: 2,
                        blksize: 4096,
                        time: EPOCH_SECS,
                        ..Default::default()
                    },
                    entries: self.entries(path),
                })
            }
            Node::File { data, executable } => {
                let writable = matches!(data, Data::Mutable(_));
                if wants_write && !writable {
                    return Err(Errno::EROFS);
                }
                if flags.trunc
                    && flags.writable()
                    && let Data::Mutable(d) = data
                {
                    let mut d = d.borrow_mut();
                    d.usage.shrink(d.bytes.len() as u64);
                    d.bytes.clear();
                }
                let perm = if *executable { 0o755 } else { 0o644 };
                Box::new(MemFile {
                    data: data.clone(),
                    pos: 0,
                    append: flags.append,
                    ino,
                    mode: S_IFREG | if writable { perm } else { perm & 0o555 },
                    proc_file: false,
                })
            }
            Node::Null => Box::new(DevNull),
            Node::Zero => Box::new(DevZero),
            Node::Console => Box::new(ConsoleFile { cap: self.console.clone() }),
            Node::Mtd(i) => {
                if wants_write {
                    return Err(Errno::EROFS);
                }
                Box::new(MtdFile::new(self.mtds[*i].clone()))
            }
            Node::ProcMtd => {
                if wants_write {
                    return Err(Errno::EACCES);
                }
                Box::new(MemFile {
                    data: Data::Shared(Arc::new(proc_mtd(&self.mtds))),
                    pos: 0,
                    append: false,
                    ino,
                    mode: S_IFREG | 0o444,
                    proc_file: true,
                })
            }
        };
        Ok(object)
    }

    fn unlink(&mut self, path: &[u8], dir: bool) -> Result<(), Errno> {
        let node = self.lookup(path)?;
        match (node, dir) {
            (Node::Dir { .. }, false) => return Err(Errno::EISDIR),
            (Node::Dir { .. }, true) if self.entries(path).len() > 2 => {
                return Err(Errno::ENOTEMPTY);
            }
            (Node::Dir { .. }, true) => {}
            (_, true) => return Err(Errno::ENOTDIR),
            _ => {}
        }
        if path == b"/"
            || !matches!(self.nodes.get(parent(path)), Some(Node::Dir { writable: true }))
        {
            return Err(Errno::EROFS);
        }
        self.nodes.remove(path);
        Ok(())
    }
}

/// `/proc/mtd` as Linux prints it (drivers/mtd/mtdcore.c).
pub fn proc_mtd(mtds: &[Rc<MtdDevice>]) -> Vec<u8> {
    let mut s = String::from("dev:    size   erasesize  name\n");
    for (i, m) in mtds.iter().enumerate() {
        s.push_str(&format!("mtd{i}: {:08x} {:08x} \"{}\"\n", m.size(), m.erasesize, m.name));
    }
    s.into_bytes()
}

/// The kernel's view of a shared [`Vfs`].
pub struct VfsHandle(pub Rc<RefCell<Vfs>>);

impl FileSystem for VfsHandle {
    fn open(
        &mut self,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
    ) -> Result<Box<dyn FileObject>, Errno> {
        let mut v = self.0.borrow_mut();
        match v.rootfs_for(path) {
            Some(fs) => fs.open(path, flags, mode),
            None => v.open(path, flags, mode),
        }
    }
    fn unlink(&mut self, path: &[u8], dir: bool) -> Result<(), Errno> {
        let mut v = self.0.borrow_mut();
        match v.rootfs_for(path) {
            Some(fs) => fs.unlink(path, dir),
            None => v.unlink(path, dir),
        }
    }
    // Without a rootfs these are the trait's defaults (the tree has no
    // symlinks and only `/tmp` is writable, by `open`).
    fn lstat(&mut self, path: &[u8]) -> Result<FileStat, Errno> {
        let mut v = self.0.borrow_mut();
        match v.rootfs_for(path) {
            Some(fs) => fs.lstat(path),
            None => {
                drop(v);
                let flags = OpenFlags { path: true, ..Default::default() };
                let mut obj = self.open(path, flags, 0)?;
                let st = obj.stat();
                obj.close();
                Ok(st)
            }
        }
    }
    fn readlink(&mut self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let mut v = self.0.borrow_mut();
        match v.rootfs_for(path) {
            Some(fs) => fs.readlink(path),
            None => {
                drop(v);
                self.lstat(path)?;
                Err(Errno::EINVAL)
            }
        }
    }
    fn mkdir(&mut self, path: &[u8], mode: u32) -> Result<(), Errno> {
        let mut v = self.0.borrow_mut();
        match v.rootfs_for(path) {
            Some(fs) => fs.mkdir(path, mode),
            None => {
                drop(v);
                self.lstat(path).map_or(Err(Errno::EROFS), |_| Err(Errno::EEXIST))
            }
        }
    }
    fn symlink(&mut self, target: &[u8], path: &[u8]) -> Result<(), Errno> {
        let mut v = self.0.borrow_mut();
        match v.rootfs_for(path) {
            Some(fs) => fs.symlink(target, path),
            None => {
                drop(v);
                self.lstat(path).map_or(Err(Errno::EROFS), |_| Err(Errno::EEXIST))
            }
        }
    }
    fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        let mut v = self.0.borrow_mut();
        match (Vfs::owns(from) || Vfs::owns(to), v.rootfs.as_mut()) {
            (false, Some(fs)) => fs.rename(from, to),
            (true, Some(_)) => Err(Errno::EXDEV),
            (_, None) => {
                drop(v);
                self.lstat(from).and(Err(Errno::EROFS))
            }
        }
    }
    fn link(&mut self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        let mut v = self.0.borrow_mut();
        match (Vfs::owns(from) || Vfs::owns(to), v.rootfs.as_mut()) {
            (false, Some(fs)) => fs.link(from, to),
            (true, Some(_)) => Err(Errno::EXDEV),
            (_, None) => {
                drop(v);
                self.lstat(from).and(Err(Errno::EROFS))
            }
        }
    }
    fn chmod(&mut self, path: &[u8], mode: u32) -> Result<(), Errno> {
        let mut v = self.0.borrow_mut();
        match v.rootfs_for(path) {
            Some(fs) => fs.chmod(path, mode),
            None => {
                drop(v);
                self.lstat(path).and(Err(Errno::EROFS))
            }
        }
    }
}

/// An open regular file.
struct MemFile {
    data: Data,
    pos: u64,
    append: bool,
    ino: u64,
    mode: u32,
    /// `/proc` files report size 0, as on Linux.
    proc_file: bool,
}

impl MemFile {
    fn len(&self) -> u64 {
        self.data.with(|b| b.len() as u64)
    }
}

impl FileObject for MemFile {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        let n = self.pread(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn pread(&mut self, buf: &mut [u8], offset: u64) -> IoResult {
        Ok(self.data.with(|b| {
            let start = offset.min(b.len() as u64) as usize;
            let n = buf.len().min(b.len() - start);
            buf[..n].copy_from_slice(&b[start..start + n]);
            n
        }))
    }

    fn write(&mut self, data: &[u8]) -> IoResult {
        let Data::Mutable(d) = &self.data else {
            return Err(Errno::EBADF);
        };
        let mut d = d.borrow_mut();
        if self.append {
            self.pos = d.bytes.len() as u64;
        }
        let end = self.pos.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        let grow = end.saturating_sub(d.bytes.len() as u64);
        d.usage.grow(grow)?;
        if grow > 0 {
            d.bytes.resize(end as usize, 0);
        }
        let start = self.pos as usize;
        d.bytes[start..start + data.len()].copy_from_slice(data);
        self.pos = end;
        Ok(data.len())
    }

    fn seek(&mut self, offset: i64, whence: u32) -> Result<u64, Errno> {
        let base = match whence {
            0 => 0,
            1 => self.pos as i64,
            2 => self.len() as i64,
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(offset).filter(|&p| p >= 0).ok_or(Errno::EINVAL)?;
        self.pos = new as u64;
        Ok(self.pos)
    }

    fn stat(&self) -> FileStat {
        FileStat {
            dev: 1,
            ino: self.ino,
            mode: self.mode,
            nlink: 1,
            size: if self.proc_file { 0 } else { self.len() },
            blksize: 4096,
            time: EPOCH_SECS,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vfs() -> Vfs {
        let progs = [("cat", &b"\x7fELFcat"[..]), ("true", &b"\x7fELFtrue"[..])];
        let files = vec![crate::machine::GuestFile {
            path: "/etc/motd".into(),
            data: Arc::new(b"hello\n".to_vec()),
            executable: false,
        }];
        let quota = DiskQuota::new(crate::linux::limits::DEFAULT_DISK);
        Vfs::new(progs.into_iter(), &files, Vec::new(), Capture::new_ref(1024), quota).unwrap()
    }

    fn ro() -> OpenFlags {
        OpenFlags::default()
    }

    fn names(v: &Vfs, dir: &str) -> Vec<String> {
        v.entries(dir.as_bytes()).into_iter().map(|e| String::from_utf8(e.name).unwrap()).collect()
    }

    #[test]
    fn tree_has_programs_devices_and_files() {
        let mut v = vfs();
        assert_eq!(names(&v, "/"), [".", "..", "bin", "dev", "etc", "proc", "tmp"]);
        assert_eq!(names(&v, "/bin"), [".", "..", "cat", "true"]);
        assert_eq!(names(&v, "/dev"), [".", "..", "console", "null", "zero"]);
        assert_eq!(&*v.program(b"/bin/cat").unwrap(), b"\x7fELFcat");
        assert_eq!(v.program(b"/bin/nope").err(), Some(Errno::ENOENT));
        assert_eq!(v.program(b"/etc/motd").err(), Some(Errno::EACCES));
        assert_eq!(v.program(b"/bin").err(), Some(Errno::EACCES));
        assert_eq!(v.program(b"/etc/motd/x").err(), Some(Errno::ENOTDIR));
    }

    #[test]
    fn open_flags_give_linux_errnos() {
        let mut v = vfs();
        let wo = OpenFlags { access: 1, ..ro() };
        let create = OpenFlags { access: 1, create: true, ..ro() };
        let excl = OpenFlags { excl: true, ..create };
        assert_eq!(v.open(b"/etc/motd", wo, 0).err(), Some(Errno::EROFS));
        assert_eq!(v.open(b"/etc/new", create, 0o644).err(), Some(Errno::EROFS));
        assert_eq!(v.open(b"/nope/new", create, 0o644).err(), Some(Errno::ENOENT));
        assert_eq!(v.open(b"/tmp", wo, 0).err(), Some(Errno::EISDIR));
        let dir_only = OpenFlags { directory: true, ..ro() };
        assert_eq!(v.open(b"/etc/motd", dir_only, 0).err(), Some(Errno::ENOTDIR));
        assert!(v.open(b"/tmp/a", excl, 0o644).is_ok());
        assert_eq!(v.open(b"/tmp/a", excl, 0o644).err(), Some(Errno::EEXIST));
        assert_eq!(v.unlink(b"/tmp", true).err(), Some(Errno::ENOTEMPTY));
        assert_eq!(v.unlink(b"/tmp/a", true).err(), Some(Errno::ENOTDIR));
        assert_eq!(v.unlink(b"/bin/cat", false).err(), Some(Errno::EROFS));
        assert_eq!(v.unlink(b"/tmp", false).err(), Some(Errno::EISDIR));
        v.unlink(b"/tmp/a", false).unwrap();
        assert_eq!(v.unlink(b"/tmp/a", false).err(), Some(Errno::ENOENT));
    }

    #[test]
    fn tmp_files_write_append_truncate_and_count_quota() {
        let mut v = vfs();
        let create = OpenFlags { access: 2, create: true, ..ro() };
        let mut f = v.open(b"/tmp/f", create, 0o644).unwrap();
        assert_eq!(f.write(b"hello").unwrap(), 5);
        assert_eq!(f.seek(1, 0).unwrap(), 1);
        assert_eq!(f.write(b"E").unwrap(), 1);
        assert_eq!(f.seek(0, 2).unwrap(), 5);
        let mut buf = [0u8; 8];
        assert_eq!(f.pread(&mut buf, 0).unwrap(), 5);
        assert_eq!(&buf[..5], b"hEllo");
        let mut app = v.open(b"/tmp/f", OpenFlags { access: 1, append: true, ..ro() }, 0).unwrap();
        app.write(b"!").unwrap();
        assert_eq!(f.stat().size, 6);
        assert_eq!(v.usage.used(), 6);
        let trunc = OpenFlags { access: 1, trunc: true, ..ro() };
        drop(v.open(b"/tmp/f", trunc, 0).unwrap());
        assert_eq!(f.stat().size, 0);
        assert_eq!(v.usage.used(), 0);
        // `f` is still at offset 5: writing there leaves a hole of zeros.
        f.write(b"abc").unwrap();
        assert_eq!(f.stat().size, 8);
        f.seek(0, 0).unwrap();
        let mut all = [9u8; 8];
        assert_eq!(f.read(&mut all).unwrap(), 8);
        assert_eq!(&all, b"\0\0\0\0\0abc");
        v.unlink(b"/tmp/f", false).unwrap();
        // Still open: the bytes live on until the last reference goes.
        assert_eq!(v.usage.used(), 8);
        drop((f, app));
        assert_eq!(v.usage.used(), 0);
    }

    #[test]
    fn an_image_lends_a_program_its_bytes_until_it_is_written() {
        let dir = std::env::temp_dir().join(format!("bohr-vfs-lend-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/prog"), b"\x7fELFprog").unwrap();
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(dir.join("bin/prog"), mode).unwrap();
        let image = bohr_rootfs::Image::open(&dir).unwrap();
        let quota = DiskQuota::new(crate::linux::limits::DEFAULT_DISK);
        let console = Capture::new_ref(1024);
        let empty = std::iter::empty();
        let v = Vfs::with_rootfs(image, 1, empty, &[], Vec::new(), console, quota).unwrap();
        let v = Rc::new(RefCell::new(v));
        let lent = v.borrow_mut().program(b"/bin/prog").unwrap();
        assert!(matches!(lent, FileBytes::Image(_)), "the image's bytes, not a copy");
        assert_eq!(&*lent, b"\x7fELFprog");
        // Written, the file has bytes of its own layer: read, and new.
        let mut handle = VfsHandle(v.clone());
        let mut f = handle.open(b"/bin/prog", OpenFlags { access: 1, ..ro() }, 0).unwrap();
        f.pwrite(b"ELF!", 1).unwrap();
        f.close();
        let read = v.borrow_mut().program(b"/bin/prog").unwrap();
        assert!(matches!(read, FileBytes::Read(_)));
        assert_eq!(&*read, b"\x7fELF!rog");
        assert_eq!(&*lent, b"\x7fELFprog", "what was lent stays as it was");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn capture_drops_past_its_limit_and_says_so() {
        let c = Capture::new_ref(4);
        c.borrow_mut().push(b"abcdef");
        assert_eq!(
            c.borrow_mut().finish(),
            b"abcd\n[bohr: output truncated after 4 bytes; 2 more bytes dropped]\n"
        );
    }
}

//! The writable guest file system of `bohr exec`: a per-run in-memory upper
//! layer over a stack of read-only [`LowerFs`] layers (the `--rootfs`
//! directory, then the host's `/`). Writes, new files, directories,
//! symlinks, renames and deletions all stay in memory: nothing a guest
//! does ever writes a host file.
//!
//! A path is looked up in the upper layer first; a deleted lower path is
//! hidden by a whiteout, and a directory re-created over a deleted one is
//! opaque (its lower contents stay hidden). Writing to a lower file copies
//! it up first. Upper data counts against the world's [`DiskQuota`]
//! (`ENOSPC` past it; [`super::limits::DEFAULT_DISK`] unless the caller
//! gives one).
//! `/dev`, `/proc` and `/sys` never come from a lower layer: Bohr serves
//! its own devices (`/dev/null`, `/dev/zero`, `/dev/urandom`, ...) and a few
//! fixed `/proc` files, so nothing of the host shows through. `/etc/passwd`
//! and `/etc/group` name only root when no lower layer has them.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::abi::{FileStat, OpenFlags, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use super::errno::Errno;
use super::file::{
    DevNull, DevRandom, DevZero, DirEntry, DirSnapshot, FileObject, IoResult, path_ino,
};
use super::limits::DiskQuota;
use super::lower::LowerFs;
use super::{FileSystem, SplitMix64};

type Bytes = Rc<RefCell<Vec<u8>>>;

#[derive(Clone)]
enum Upper {
    /// `opaque`: hides whatever a lower layer has under it.
    Dir {
        mode: u32,
        opaque: bool,
    },
    File {
        data: Bytes,
        mode: u32,
    },
    Symlink(Vec<u8>),
}

/// Where a path was found.
enum Found {
    Upper(Upper),
    Lower(usize, FileStat),
    Device(Device),
    /// A fixed file or directory of [`SYNTHETIC`] or [`FALLBACK`].
    Synthetic(Option<&'static [u8]>),
}

/// Directories whose contents are Bohr's alone.
const PRIVATE: [&[u8]; 3] = [b"/dev", b"/proc", b"/sys"];

/// What `/dev`, `/proc` and `/sys` hold besides the devices: directories
/// (`None`) and fixed files. `/proc/self` is the kernel's (`procfs`).
const SYNTHETIC: &[(&[u8], Option<&[u8]>)] = &[
    (b"/dev", None),
    (b"/proc", None),
    (b"/proc/cpuinfo", Some(b"processor\t: 0\n\n")),
    (
        b"/proc/meminfo",
        Some(b"MemTotal:        1048576 kB\nMemFree:          524288 kB\nMemAvailable:     524288 kB\n"),
    ),
    (b"/proc/mounts", Some(b"rootfs / rootfs rw 0 0\nproc /proc proc rw 0 0\n")),
    (b"/sys", None),
];

/// Files served when no lower layer has them.
const FALLBACK: &[(&[u8], &[u8])] =
    &[(b"/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"), (b"/etc/group", b"root:x:0:\n")];

/// Is `path` one of [`PRIVATE`] or inside one?
fn private(path: &[u8]) -> bool {
    PRIVATE.iter().any(|p| path == *p || (path.starts_with(p) && path.get(p.len()) == Some(&b'/')))
}

#[derive(Clone, Copy)]
enum Device {
    Null,
    Zero,
    Urandom,
    Tty,
}

fn device(path: &[u8]) -> Option<Device> {
    Some(match path {
        b"/dev/null" => Device::Null,
        b"/dev/zero" => Device::Zero,
        b"/dev/urandom" | b"/dev/random" => Device::Urandom,
        b"/dev/tty" => Device::Tty,
        _ => return None,
    })
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

fn child(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if p != b"/" {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// A writable in-memory layer over read-only layers.
pub struct Overlay {
    upper: BTreeMap<Vec<u8>, Upper>,
    whiteouts: BTreeSet<Vec<u8>>,
    lowers: Vec<Rc<dyn LowerFs>>,
    usage: Rc<DiskQuota>,
    rng: SplitMix64,
}

impl Overlay {
    /// `lowers`, first match wins; `seed` feeds `/dev/urandom`. Upper
    /// data gets a quota of its own of [`super::limits::DEFAULT_DISK`].
    pub fn new(lowers: Vec<Rc<dyn LowerFs>>, seed: u64) -> Overlay {
        Overlay::with_quota(lowers, seed, DiskQuota::new(super::limits::DEFAULT_DISK))
    }

    /// [`Overlay::new`] whose upper data counts against `quota`.
    pub fn with_quota(lowers: Vec<Rc<dyn LowerFs>>, seed: u64, quota: Rc<DiskQuota>) -> Overlay {
        Overlay {
            upper: BTreeMap::new(),
            whiteouts: BTreeSet::new(),
            lowers,
            usage: quota,
            rng: SplitMix64(seed ^ 0x7572_616e_646f_6d00),
        }
    }

    /// Is `path` hidden from the lower layers by a whiteout or an opaque
    /// upper directory at it or above it?
    fn hidden(&self, path: &[u8]) -> bool {
        let mut p = path;
        loop {
            if self.whiteouts.contains(p) {
                return true;
            }
            if p != path && matches!(self.upper.get(p), Some(Upper::Dir { opaque: true, .. })) {
                return true;
            }
            if p == b"/" {
                return false;
            }
            p = parent(p);
        }
    }

    fn find(&self, path: &[u8]) -> Result<Found, Errno> {
        if path.len() > 4096 {
            return Err(Errno::ENAMETOOLONG);
        }
        if let Some(d) = device(path) {
            return Ok(Found::Device(d));
        }
        if let Some(u) = self.upper.get(path) {
            return Ok(Found::Upper(u.clone()));
        }
        if private(path) {
            return SYNTHETIC
                .iter()
                .find(|(p, _)| *p == path)
                .map(|&(_, d)| Found::Synthetic(d))
                .ok_or(Errno::ENOENT);
        }
        if self.hidden(path) {
            return Err(Errno::ENOENT);
        }
        let mut last = Errno::ENOENT;
        for (i, l) in self.lowers.iter().enumerate() {
            match l.stat(path) {
                Ok(st) => return Ok(Found::Lower(i, st)),
                Err(e) => last = e,
            }
        }
        if let Some(&(_, d)) = FALLBACK.iter().find(|(p, _)| *p == path) {
            return Ok(Found::Synthetic(Some(d)));
        }
        Err(if last == Errno::ENOTDIR { Errno::ENOTDIR } else { Errno::ENOENT })
    }

    fn stat_of(&self, path: &[u8], f: &Found) -> FileStat {
        let ino = path_ino(path);
        match f {
            Found::Lower(_, st) => *st,
            Found::Upper(Upper::Dir { mode, .. }) => dir_stat(ino, *mode),
            Found::Upper(Upper::File { data, mode }) => FileStat {
                dev: 1,
                ino,
                mode: S_IFREG | mode,
                nlink: 1,
                size: data.borrow().len() as u64,
                blksize: 4096,
                ..Default::default()
            },
            Found::Upper(Upper::Symlink(t)) => FileStat {
                dev: 1,
                ino,
                mode: S_IFLNK | 0o777,
                nlink: 1,
                size: t.len() as u64,
                blksize: 4096,
                ..Default::default()
            },
            Found::Synthetic(None) => FileStat { dev: 3, ..dir_stat(ino, 0o555) },
            Found::Synthetic(Some(d)) => FileStat {
                dev: 3,
                ino,
                mode: S_IFREG | 0o444,
                nlink: 1,
                // /proc files report size 0, as on Linux.
                size: if path.starts_with(b"/proc/") { 0 } else { d.len() as u64 },
                blksize: 4096,
                ..Default::default()
            },
            Found::Device(d) => device_object(*d, SplitMix64(0)).map_or(
                FileStat { ino, mode: S_IFCHR | 0o666, nlink: 1, ..Default::default() },
                |o| o.stat(),
            ),
        }
    }

    fn is_dir(&self, path: &[u8]) -> Result<bool, Errno> {
        let f = self.find(path)?;
        Ok(self.stat_of(path, &f).mode & S_IFMT == S_IFDIR)
    }

    /// The parent of a path about to be created must be a directory.
    fn check_parent(&self, path: &[u8]) -> Result<(), Errno> {
        if base_name(path).len() > 255 {
            return Err(Errno::ENAMETOOLONG);
        }
        if !self.is_dir(parent(path))? {
            return Err(Errno::ENOTDIR);
        }
        if path.starts_with(b"/proc/") || path.starts_with(b"/dev/") {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    /// Entries of directory `path`, merged and sorted, with `.` and `..`.
    fn entries(&self, path: &[u8]) -> Vec<DirEntry> {
        let mut merged: BTreeMap<Vec<u8>, DirEntry> = BTreeMap::new();
        let opaque = matches!(self.upper.get(path), Some(Upper::Dir { opaque: true, .. }));
        if private(path) {
            let prefix = child(path, b"");
            for (p, d) in SYNTHETIC {
                if let Some(name) = p.strip_prefix(prefix.as_slice())
                    && !name.contains(&b'/')
                {
                    let kind = if d.is_some() { 8 } else { 4 };
                    merged.insert(
                        name.to_vec(),
                        DirEntry { ino: path_ino(p), kind, name: name.to_vec() },
                    );
                }
            }
        } else if !opaque && !self.hidden(path) {
            for l in self.lowers.iter().rev() {
                if let Ok(es) = l.readdir(path) {
                    for e in es {
                        merged.insert(e.name.clone(), e);
                    }
                }
            }
        }
        merged.retain(|name, _| !self.whiteouts.contains(&child(path, name)));
        let prefix = child(path, b"");
        for (p, u) in self.upper.range(prefix.clone()..) {
            if !p.starts_with(&prefix) {
                break;
            }
            let name = &p[prefix.len()..];
            if name.is_empty() || name.contains(&b'/') {
                continue;
            }
            let kind = match u {
                Upper::Dir { .. } => 4,
                Upper::File { .. } => 8,
                Upper::Symlink(_) => 10,
            };
            merged.insert(name.to_vec(), DirEntry { ino: path_ino(p), kind, name: name.to_vec() });
        }
        let mut out = vec![
            DirEntry { ino: path_ino(path), kind: 4, name: b".".to_vec() },
            DirEntry { ino: path_ino(parent(path)), kind: 4, name: b"..".to_vec() },
        ];
        out.extend(merged.into_values());
        out
    }

    /// Copy a lower regular file up, returning its upper data.
    fn copy_up(&mut self, path: &[u8], layer: usize, st: &FileStat) -> Result<Bytes, Errno> {
        self.usage.grow(st.size)?;
        let mut bytes = vec![0u8; st.size as usize];
        let mut off = 0;
        while off < bytes.len() {
            let n = match self.lowers[layer].read(path, off as u64, &mut bytes[off..]) {
                Ok(n) => n,
                Err(e) => {
                    self.usage.shrink(st.size);
                    return Err(e);
                }
            };
            if n == 0 {
                break;
            }
            off += n;
        }
        self.usage.shrink(st.size - off as u64);
        bytes.truncate(off);
        let data = Rc::new(RefCell::new(bytes));
        self.upper
            .insert(path.to_vec(), Upper::File { data: data.clone(), mode: st.mode & 0o7777 });
        Ok(data)
    }

    /// Remove `path` from view: drop it from the upper layer and hide any
    /// lower copy.
    fn remove(&mut self, path: &[u8]) {
        if let Some(Upper::File { data, .. }) = self.upper.remove(path)
            && Rc::strong_count(&data) == 1
        {
            self.usage.shrink(data.borrow().len() as u64);
        }
        if self.lowers.iter().any(|l| l.stat(path).is_ok()) {
            self.whiteouts.insert(path.to_vec());
        }
    }

    /// Add `node` at `path` (which must not exist), clearing a whiteout.
    fn create(&mut self, path: &[u8], node: Upper) {
        let was_hidden = self.whiteouts.remove(path);
        let node = match node {
            Upper::Dir { mode, .. } => Upper::Dir { mode, opaque: was_hidden },
            n => n,
        };
        self.upper.insert(path.to_vec(), node);
    }
}

fn dir_stat(ino: u64, mode: u32) -> FileStat {
    FileStat {
        dev: 1,
        ino,
        mode: S_IFDIR | mode,
        nlink: 2,
        size: 4096,
        blksize: 4096,
        ..Default::default()
    }
}

fn device_object(d: Device, rng: SplitMix64) -> Result<Box<dyn FileObject>, Errno> {
    Ok(match d {
        Device::Null => Box::new(DevNull),
        Device::Zero => Box::new(DevZero),
        Device::Urandom => Box::new(DevRandom { rng }),
        // A run has no controlling terminal.
        Device::Tty => return Err(Errno::ENXIO),
    })
}

impl FileSystem for Overlay {
    fn open(
        &mut self,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
    ) -> Result<Box<dyn FileObject>, Errno> {
        let ino = path_ino(path);
        let found = match self.find(path) {
            Ok(f) => {
                if flags.create && flags.excl {
                    return Err(Errno::EEXIST);
                }
                f
            }
            Err(Errno::ENOENT) if flags.create => {
                self.check_parent(path)?;
                let data = Rc::new(RefCell::new(Vec::new()));
                self.create(path, Upper::File { data: data.clone(), mode: mode & 0o7777 });
                Found::Upper(Upper::File { data, mode: mode & 0o7777 })
            }
            Err(e) => return Err(e),
        };
        let st = self.stat_of(path, &found);
        let wants_write = flags.writable() || flags.trunc;
        match st.mode & S_IFMT {
            S_IFDIR => {
                if flags.writable() {
                    return Err(Errno::EISDIR);
                }
                return Ok(Box::new(DirSnapshot { st, entries: self.entries(path) }));
            }
            S_IFLNK if flags.path => return Ok(Box::new(PathObject { st })),
            S_IFLNK => return Err(Errno::ELOOP),
            _ if flags.directory => return Err(Errno::ENOTDIR),
            _ if flags.path => return Ok(Box::new(PathObject { st })),
            _ => {}
        }
        let data = match found {
            Found::Synthetic(d) => {
                if wants_write {
                    return Err(Errno::EACCES);
                }
                let data = d.unwrap_or_default().to_vec();
                return Ok(Box::new(super::procfs::ProcFile { data, pos: 0, st }));
            }
            Found::Device(d) => {
                let rng = SplitMix64(self.rng.next_u64());
                return device_object(d, rng);
            }
            Found::Upper(Upper::File { data, .. }) => data,
            Found::Lower(layer, st) if wants_write => {
                if st.mode & S_IFMT != S_IFREG {
                    return Err(Errno::EACCES);
                }
                self.copy_up(path, layer, &st)?
            }
            Found::Lower(layer, st) => {
                return Ok(Box::new(LowerFile {
                    lower: self.lowers[layer].clone(),
                    path: path.to_vec(),
                    pos: 0,
                    st,
                }));
            }
            Found::Upper(_) => return Err(Errno::EACCES),
        };
        if flags.trunc && flags.writable() {
            let mut d = data.borrow_mut();
            self.usage.shrink(d.len() as u64);
            d.clear();
        }
        Ok(Box::new(UpperFile {
            data,
            pos: 0,
            append: flags.append,
            ino,
            mode: st.mode,
            usage: self.usage.clone(),
        }))
    }

    fn unlink(&mut self, path: &[u8], dir: bool) -> Result<(), Errno> {
        let found = self.find(path)?;
        let is_dir = self.stat_of(path, &found).mode & S_IFMT == S_IFDIR;
        match (is_dir, dir) {
            (true, false) => return Err(Errno::EISDIR),
            (false, true) => return Err(Errno::ENOTDIR),
            (true, true) if self.entries(path).len() > 2 => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        if path == b"/" || matches!(found, Found::Device(_) | Found::Synthetic(_)) {
            return Err(Errno::EBUSY);
        }
        self.remove(path);
        Ok(())
    }

    fn lstat(&mut self, path: &[u8]) -> Result<FileStat, Errno> {
        let f = self.find(path)?;
        Ok(self.stat_of(path, &f))
    }

    fn readlink(&mut self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        match self.find(path)? {
            Found::Upper(Upper::Symlink(t)) => Ok(t),
            Found::Lower(i, st) if st.mode & S_IFMT == S_IFLNK => self.lowers[i].readlink(path),
            _ => Err(Errno::EINVAL),
        }
    }

    fn mkdir(&mut self, path: &[u8], mode: u32) -> Result<(), Errno> {
        if self.find(path).is_ok() {
            return Err(Errno::EEXIST);
        }
        self.check_parent(path)?;
        self.create(path, Upper::Dir { mode: mode & 0o7777, opaque: false });
        Ok(())
    }

    fn symlink(&mut self, target: &[u8], path: &[u8]) -> Result<(), Errno> {
        if self.find(path).is_ok() {
            return Err(Errno::EEXIST);
        }
        self.check_parent(path)?;
        self.create(path, Upper::Symlink(target.to_vec()));
        Ok(())
    }

    fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        let found = self.find(from)?;
        if from == to {
            return Ok(());
        }
        if to.starts_with(from) && to.get(from.len()) == Some(&b'/') {
            return Err(Errno::EINVAL);
        }
        let node = match found {
            Found::Upper(u) => u,
            Found::Lower(layer, st) => match st.mode & S_IFMT {
                S_IFREG => {
                    let data = self.copy_up(from, layer, &st)?;
                    Upper::File { data, mode: st.mode & 0o7777 }
                }
                S_IFLNK => Upper::Symlink(self.lowers[layer].readlink(from)?),
                // Moving a lower directory would copy a whole tree.
                _ => return Err(Errno::EXDEV),
            },
            Found::Device(_) | Found::Synthetic(_) => return Err(Errno::EXDEV),
        };
        if matches!(node, Upper::Dir { .. }) {
            // Move the subtree's upper entries along; lower ones cannot move.
            let prefix = child(from, b"");
            let lower_children = !self.hidden(from)
                && self.lowers.iter().any(|l| l.readdir(from).is_ok_and(|e| !e.is_empty()));
            if lower_children {
                return Err(Errno::EXDEV);
            }
            let moved: Vec<Vec<u8>> = self
                .upper
                .range(prefix.clone()..)
                .map(|(k, _)| k.clone())
                .take_while(|k| k.starts_with(&prefix))
                .collect();
            for k in moved {
                let v = self.upper.remove(&k).expect("listed above");
                let mut nk = to.to_vec();
                nk.extend_from_slice(&k[from.len()..]);
                self.upper.insert(nk, v);
            }
        }
        if let Ok(existing) = self.find(to) {
            let dst_dir = self.stat_of(to, &existing).mode & S_IFMT == S_IFDIR;
            let src_dir = matches!(node, Upper::Dir { .. });
            match (src_dir, dst_dir) {
                (false, true) => return Err(Errno::EISDIR),
                (true, false) => return Err(Errno::ENOTDIR),
                (true, true) if self.entries(to).len() > 2 => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            self.remove(to);
        } else {
            self.check_parent(to)?;
        }
        // The source leaves the view; its data, if a file, now lives at `to`.
        self.upper.remove(from);
        if self.lowers.iter().any(|l| l.stat(from).is_ok()) {
            self.whiteouts.insert(from.to_vec());
        }
        self.create(to, node);
        Ok(())
    }

    fn link(&mut self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        if self.find(to).is_ok() {
            return Err(Errno::EEXIST);
        }
        let node = match self.find(from)? {
            Found::Upper(u @ Upper::File { .. }) | Found::Upper(u @ Upper::Symlink(_)) => u,
            Found::Lower(layer, st) if st.mode & S_IFMT == S_IFREG => {
                let data = self.copy_up(from, layer, &st)?;
                Upper::File { data, mode: st.mode & 0o7777 }
            }
            _ => return Err(Errno::EPERM),
        };
        self.check_parent(to)?;
        self.create(to, node);
        Ok(())
    }

    fn chmod(&mut self, path: &[u8], mode: u32) -> Result<(), Errno> {
        let mode = mode & 0o7777;
        match self.find(path)? {
            Found::Upper(Upper::Dir { opaque, .. }) => {
                self.upper.insert(path.to_vec(), Upper::Dir { mode, opaque });
            }
            Found::Upper(Upper::File { data, .. }) => {
                self.upper.insert(path.to_vec(), Upper::File { data, mode });
            }
            Found::Upper(Upper::Symlink(_)) | Found::Device(_) | Found::Synthetic(_) => {}
            Found::Lower(layer, st) => match st.mode & S_IFMT {
                S_IFREG => {
                    let data = self.copy_up(path, layer, &st)?;
                    self.upper.insert(path.to_vec(), Upper::File { data, mode });
                }
                S_IFDIR => {
                    self.upper.insert(path.to_vec(), Upper::Dir { mode, opaque: false });
                }
                _ => {}
            },
        }
        Ok(())
    }
}

/// A regular file of the upper layer.
struct UpperFile {
    data: Bytes,
    pos: u64,
    append: bool,
    ino: u64,
    mode: u32,
    usage: Rc<DiskQuota>,
}

impl FileObject for UpperFile {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        let n = self.pread(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> IoResult {
        let d = self.data.borrow();
        let start = offset.min(d.len() as u64) as usize;
        let n = buf.len().min(d.len() - start);
        buf[..n].copy_from_slice(&d[start..start + n]);
        Ok(n)
    }
    fn write(&mut self, data: &[u8]) -> IoResult {
        if self.append {
            self.pos = self.data.borrow().len() as u64;
        }
        let n = self.pwrite(data, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
    fn pwrite(&mut self, data: &[u8], offset: u64) -> IoResult {
        let mut d = self.data.borrow_mut();
        let end = offset.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        let grow = end.saturating_sub(d.len() as u64);
        self.usage.grow(grow)?;
        if grow > 0 {
            d.resize(end as usize, 0);
        }
        d[offset as usize..end as usize].copy_from_slice(data);
        Ok(data.len())
    }
    fn truncate(&mut self, len: u64) -> Result<(), Errno> {
        let mut d = self.data.borrow_mut();
        let old = d.len() as u64;
        if len > old {
            // Linux's tmpfs says EFBIG, not ENOSPC, for a truncate past it.
            self.usage.grow(len - old).map_err(|_| Errno::EFBIG)?;
        } else {
            self.usage.shrink(old - len);
        }
        d.resize(len as usize, 0);
        Ok(())
    }
    fn seek(&mut self, offset: i64, whence: u32) -> Result<u64, Errno> {
        self.pos = seek_to(self.pos, self.data.borrow().len() as u64, offset, whence)?;
        Ok(self.pos)
    }
    fn stat(&self) -> FileStat {
        FileStat {
            dev: 1,
            ino: self.ino,
            mode: self.mode,
            nlink: 1,
            size: self.data.borrow().len() as u64,
            blksize: 4096,
            ..Default::default()
        }
    }
}

/// A regular file read from a lower layer.
struct LowerFile {
    lower: Rc<dyn LowerFs>,
    path: Vec<u8>,
    pos: u64,
    st: FileStat,
}

impl FileObject for LowerFile {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        let n = self.pread(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> IoResult {
        self.lower.read(&self.path, offset, buf)
    }
    fn file_pages(&mut self) -> Option<std::sync::Arc<crate::mem::FilePages>> {
        self.lower.file_pages(&self.path)
    }
    fn contents(&mut self) -> Option<bohr_rootfs::FileData> {
        self.lower.contents(&self.path)
    }
    fn write(&mut self, _data: &[u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn seek(&mut self, offset: i64, whence: u32) -> Result<u64, Errno> {
        self.pos = seek_to(self.pos, self.st.size, offset, whence)?;
        Ok(self.pos)
    }
    fn stat(&self) -> FileStat {
        self.st
    }
}

/// The new position of a seek.
pub fn seek_to(pos: u64, size: u64, offset: i64, whence: u32) -> Result<u64, Errno> {
    let base = match whence {
        0 => 0,
        1 => pos as i64,
        2 => size as i64,
        _ => return Err(Errno::EINVAL),
    };
    let new = base.checked_add(offset).filter(|&p| p >= 0).ok_or(Errno::EINVAL)?;
    Ok(new as u64)
}

/// An `O_PATH` handle (or a symlink opened with `O_PATH|O_NOFOLLOW`).
struct PathObject {
    st: FileStat,
}

impl FileObject for PathObject {
    fn read(&mut self, _buf: &mut [u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn write(&mut self, _data: &[u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> FileStat {
        self.st
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lower layer made of a fixed list of files and directories.
    struct Fixed(BTreeMap<Vec<u8>, Option<Vec<u8>>>);

    impl LowerFs for Fixed {
        fn stat(&self, path: &[u8]) -> Result<FileStat, Errno> {
            match self.0.get(path) {
                Some(None) => Ok(dir_stat(path_ino(path), 0o755)),
                Some(Some(d)) => Ok(FileStat {
                    ino: path_ino(path),
                    mode: S_IFREG | 0o644,
                    size: d.len() as u64,
                    ..Default::default()
                }),
                None => Err(Errno::ENOENT),
            }
        }
        fn read(&self, path: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
            let d = self.0.get(path).and_then(|d| d.as_ref()).ok_or(Errno::EISDIR)?;
            let s = (offset as usize).min(d.len());
            let n = buf.len().min(d.len() - s);
            buf[..n].copy_from_slice(&d[s..s + n]);
            Ok(n)
        }
        fn readdir(&self, path: &[u8]) -> Result<Vec<DirEntry>, Errno> {
            let prefix = child(path, b"");
            Ok(self
                .0
                .iter()
                .filter(|(k, _)| {
                    k.starts_with(&prefix)
                        && !k[prefix.len()..].contains(&b'/')
                        && k.len() > prefix.len()
                })
                .map(|(k, v)| DirEntry {
                    ino: path_ino(k),
                    kind: if v.is_some() { 8 } else { 4 },
                    name: k[prefix.len()..].to_vec(),
                })
                .collect())
        }
        fn readlink(&self, _path: &[u8]) -> Result<Vec<u8>, Errno> {
            Err(Errno::EINVAL)
        }
    }

    fn overlay() -> Overlay {
        let mut m = BTreeMap::new();
        m.insert(b"/".to_vec(), None);
        m.insert(b"/etc".to_vec(), None);
        m.insert(b"/etc/hosts".to_vec(), Some(b"lower".to_vec()));
        Overlay::new(vec![Rc::new(Fixed(m))], 1)
    }

    fn names(o: &Overlay, dir: &[u8]) -> Vec<String> {
        o.entries(dir).iter().map(|e| String::from_utf8_lossy(&e.name).into_owned()).collect()
    }

    fn read_all(o: &mut Overlay, path: &[u8]) -> Vec<u8> {
        let mut f = o.open(path, OpenFlags::default(), 0).unwrap();
        let mut buf = vec![0; 64];
        let n = f.read(&mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    #[test]
    fn writes_copy_up_and_never_reach_the_lower_layer() {
        let mut o = overlay();
        let w = OpenFlags { access: 1, trunc: true, ..Default::default() };
        o.open(b"/etc/hosts", w, 0).unwrap().write(b"upper").unwrap();
        assert_eq!(read_all(&mut o, b"/etc/hosts"), b"upper");
        assert_eq!(o.lowers[0].read(b"/etc/hosts", 0, &mut [0; 8]), Ok(5));
    }

    #[test]
    fn deletions_hide_lower_files_and_recreated_dirs_are_opaque() {
        let mut o = overlay();
        o.unlink(b"/etc/hosts", false).unwrap();
        assert_eq!(names(&o, b"/etc"), [".", ".."]);
        assert!(o.open(b"/etc/hosts", OpenFlags::default(), 0).is_err());
        o.unlink(b"/etc", true).unwrap();
        o.mkdir(b"/etc", 0o755).unwrap();
        assert_eq!(names(&o, b"/etc"), [".", ".."]);
        o.symlink(b"target", b"/etc/l").unwrap();
        assert_eq!(o.readlink(b"/etc/l").unwrap(), b"target");
        assert_eq!(names(&o, b"/etc"), [".", "..", "l"]);
    }

    #[test]
    fn proc_and_dev_are_never_the_lower_layers() {
        let mut m = BTreeMap::new();
        m.insert(b"/".to_vec(), None);
        m.insert(b"/proc".to_vec(), None);
        m.insert(b"/proc/version".to_vec(), Some(b"host".to_vec()));
        let mut o = Overlay::new(vec![Rc::new(Fixed(m))], 1);
        assert_eq!(o.lstat(b"/proc/version"), Err(Errno::ENOENT));
        assert_eq!(names(&o, b"/proc"), [".", "..", "cpuinfo", "meminfo", "mounts"]);
        assert_eq!(read_all(&mut o, b"/etc/passwd"), b"root:x:0:0:root:/root:/bin/sh\n");
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        o.open(b"/dev/urandom", OpenFlags::default(), 0).unwrap().read(&mut a).unwrap();
        assert!(o.open(b"/dev/tty", OpenFlags::default(), 0).is_err());
        let mut again = overlay();
        again.open(b"/dev/urandom", OpenFlags::default(), 0).unwrap().read(&mut b).unwrap();
        assert_eq!(a, b, "the same seed gives the same bytes");
    }

    #[test]
    fn rename_moves_files_and_leaves_a_whiteout() {
        let mut o = overlay();
        o.rename(b"/etc/hosts", b"/hosts").unwrap();
        assert_eq!(read_all(&mut o, b"/hosts"), b"lower");
        assert_eq!(o.lstat(b"/etc/hosts"), Err(Errno::ENOENT));
        assert_eq!(names(&o, b"/"), [".", "..", "etc", "hosts"]);
    }
}

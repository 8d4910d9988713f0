//! `MAP_SHARED` of regular files: one shared object per mapped file, and
//! the file system wrapper that keeps `read`/`write` coherent with it.
//!
//! The first `MAP_SHARED` mapping of a file makes a [`SharedMem`] (a host
//! memory file, see `mem::shared`) holding the file's bytes from offset 0
//! to the end of the mapping; later mappings of the same file, in any
//! process of the world, map the same object (growing it when they reach
//! further), so stores through one are seen through all. While the object
//! exists it is the file's data for the bytes it covers:
//! - [`CoherentFs`] wraps the world's file system, and every regular file
//!   opened through it is a [`CoherentFile`]: `read`/`pread` take the
//!   covered bytes from the object, and `write`/`pwrite` write both the
//!   file and the object, so a write shows in the mappings at once and a
//!   store to a mapping shows in the next `read`;
//! - `ftruncate` and `O_TRUNC` zero the object past the new end, so a file
//!   grown again reads zeros there, as on Linux.
//!
//! Once no mapping is left (the last one unmapped, or its process gone or
//! exec'd), [`SharedFiles::flush`] writes the object's bytes back into the
//! file through a descriptor that mapped it for writing, and drops it. The
//! kernel calls it after every mapping call, `execve` and process exit, so
//! the file itself is up to date whenever nothing maps it. `msync` has
//! nothing to do: the object is the file's data already.
//!
//! A file is found by its device and inode. Unlinking a mapped file
//! detaches its object from the name (the mappings and the descriptors
//! that had it keep it, as on Linux, and the bytes go back into the
//! unlinked file); renaming one moves the object to the new name.
//! Deviations from Linux: pages of a mapping past the end of the file
//! read as zeros and take stores (Linux raises `SIGBUS`), and stores there
//! never reach the file; a descriptor opened before a rename of the file
//! and first used for I/O after it misses the object. Everything here is
//! ordered by device and inode, never by host addresses.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use super::FileSystem;
use super::abi::{FileStat, OpenFlags, S_IFMT, S_IFREG};
use super::errno::Errno;
use super::file::{DirEntry, FileObject, FileRef, IoResult};
use crate::mem::{PAGE_SIZE, SharedMem};

/// Bytes copied per step when filling an object from its file or writing
/// it back.
const CHUNK: usize = 64 << 10;

/// The shared object of one mapped file.
pub struct FileShare {
    mem: RefCell<Option<Arc<SharedMem>>>,
    /// A descriptor that mapped the file (to fill new pages from).
    source: RefCell<Option<FileRef>>,
    /// A descriptor open for writing that mapped the file (to write the
    /// bytes back with); `None` when every mapping was read-only.
    writer: RefCell<Option<FileRef>>,
}

impl FileShare {
    /// The object, while it exists.
    pub fn mem(&self) -> Option<Arc<SharedMem>> {
        self.mem.borrow().clone()
    }
}

/// Every mapped file of a world, by `(dev, ino)`.
#[derive(Default)]
pub struct SharedFiles {
    by_file: BTreeMap<(u64, u64), Rc<FileShare>>,
    /// Objects of mapped files unlinked or replaced since, in that order.
    detached: Vec<Rc<FileShare>>,
}

pub type SharedFilesRef = Rc<RefCell<SharedFiles>>;

fn key(st: &FileStat) -> (u64, u64) {
    (st.dev, st.ino)
}

impl SharedFiles {
    fn lookup(&self, k: (u64, u64)) -> Option<Rc<FileShare>> {
        self.by_file.get(&k).cloned()
    }

    /// Is any file mapped shared?
    pub fn is_empty(&self) -> bool {
        self.by_file.is_empty() && self.detached.is_empty()
    }

    /// The file at `k` went away (unlink, or replaced by a rename): its
    /// object stays with its mappings and descriptors only.
    fn detach(&mut self, k: (u64, u64)) {
        if let Some(s) = self.by_file.remove(&k) {
            self.detached.push(s);
        }
    }

    fn find(&self, mem: &Arc<SharedMem>) -> Option<Rc<FileShare>> {
        self.by_file
            .values()
            .chain(&self.detached)
            .find(|s| s.mem.borrow().as_ref().is_some_and(|m| Arc::ptr_eq(m, mem)))
            .cloned()
    }
}

// The registry is borrowed only briefly below: reading and writing the
// files goes through `CoherentFile`, which looks the registry up itself.

/// The object of the file `file` (opened as `st`), made or grown so that
/// it covers the file's first `pages` pages; new pages hold the file's
/// bytes. `make` builds a new, empty object of a given size.
pub fn map_file(
    files: &SharedFilesRef,
    file: &FileRef,
    st: &FileStat,
    pages: u64,
    make: impl FnOnce(u64) -> Result<Arc<SharedMem>, Errno>,
) -> Result<Arc<SharedMem>, Errno> {
    let k = key(st);
    let existing = files.borrow().lookup(k).filter(|s| s.mem.borrow().is_some());
    let share = match existing {
        Some(s) => s,
        None => {
            let bytes = file_bytes(file, 0, pages)?;
            let mem = make(pages)?;
            mem.write(0, &bytes);
            let share = Rc::new(FileShare {
                mem: RefCell::new(Some(mem)),
                source: RefCell::new(Some(file.clone())),
                writer: RefCell::new(None),
            });
            let mut reg = files.borrow_mut();
            if let Some(old) = reg.by_file.insert(k, share.clone()) {
                // A flushed object not yet swept.
                reg.detached.push(old);
            }
            share
        }
    };
    if file.borrow().flags.writable() && share.writer.borrow().is_none() {
        *share.writer.borrow_mut() = Some(file.clone());
    }
    let mem = share.mem().ok_or(Errno::ENOMEM)?;
    grow_file_object(&share, &mem, pages)?;
    Ok(mem)
}

/// Make `mem` (an object of this world) cover `pages` pages: a file's
/// object fills the new pages from its file, an anonymous one reads zeros.
pub fn grow(files: &SharedFilesRef, mem: &Arc<SharedMem>, pages: u64) -> Result<(), Errno> {
    let share = files.borrow().find(mem);
    match share {
        Some(share) => grow_file_object(&share, mem, pages),
        None => mem.grow(pages).map_err(|_| Errno::ENOMEM),
    }
}

/// Write back and drop every object that no mapping uses any more (see
/// the module docs). An object whose writer is busy stays for the next
/// call.
pub fn flush(files: &SharedFilesRef) {
    let unused =
        |s: &Rc<FileShare>| s.mem.borrow().as_ref().is_none_or(|m| Arc::strong_count(m) == 1);
    let candidates: Vec<Rc<FileShare>> = {
        let reg = files.borrow();
        reg.by_file.values().chain(&reg.detached).filter(|s| unused(s)).cloned().collect()
    };
    if candidates.is_empty() {
        return;
    }
    let done: Vec<Rc<FileShare>> = candidates.into_iter().filter(|s| write_back(s)).collect();
    let mut reg = files.borrow_mut();
    let gone = |s: &Rc<FileShare>| done.iter().any(|d| Rc::ptr_eq(d, s));
    reg.by_file.retain(|_, s| !gone(s));
    reg.detached.retain(|s| !gone(s));
}

/// Grow the object of `share` to `pages`, filling the new pages from its
/// file.
fn grow_file_object(share: &FileShare, mem: &Arc<SharedMem>, pages: u64) -> Result<(), Errno> {
    let old = mem.pages();
    if pages <= old {
        return Ok(());
    }
    let source = share.source.borrow().clone();
    // Read before growing: the file's reads take the object's bytes for
    // the pages it covers, and the new ones must come from the file.
    let bytes = match &source {
        Some(f) => file_bytes(f, old, pages)?,
        None => Vec::new(),
    };
    mem.grow(pages).map_err(|_| Errno::ENOMEM)?;
    mem.write(old * PAGE_SIZE, &bytes);
    Ok(())
}

/// The file's bytes of pages `[first, last)` (fewer at its end).
fn file_bytes(file: &FileRef, first: u64, last: u64) -> Result<Vec<u8>, Errno> {
    let mut f = file.try_borrow_mut().map_err(|_| Errno::EBUSY)?;
    let obj = f.object.as_mut();
    let (start, end) = (first * PAGE_SIZE, last * PAGE_SIZE);
    let size = obj.stat().size.min(end);
    let mut out = vec![0u8; size.saturating_sub(start) as usize];
    let mut done = 0;
    while done < out.len() {
        let n = obj.pread(&mut out[done..], start + done as u64).map_err(|_| Errno::EACCES)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    out.truncate(done);
    Ok(out)
}

/// Write the bytes of `share`'s object back into its file (up to the
/// file's size) and drop the object. False, with nothing changed, when
/// the writer is busy.
fn write_back(share: &FileShare) -> bool {
    let writer = share.writer.borrow().clone();
    let mem = share.mem.borrow().clone();
    if let (Some(w), Some(mem)) = (writer, mem) {
        let Ok(mut f) = w.try_borrow_mut() else {
            return false;
        };
        // Detach first, so the file's own write does not copy the bytes
        // back into the object.
        *share.mem.borrow_mut() = None;
        let obj = f.object.as_mut();
        let size = obj.stat().size.min(mem.pages() * PAGE_SIZE);
        let mut buf = vec![0u8; CHUNK];
        let mut at = 0;
        while at < size {
            let n = ((size - at) as usize).min(CHUNK);
            mem.read(at, &mut buf[..n]);
            if obj.pwrite(&buf[..n], at).is_err() {
                break;
            }
            at += n as u64;
        }
    }
    // Break the cycle descriptor → file → share → descriptor.
    *share.mem.borrow_mut() = None;
    share.source.borrow_mut().take();
    share.writer.borrow_mut().take();
    true
}

/// The world's file system with coherent shared mappings (module docs).
pub struct CoherentFs {
    inner: Box<dyn FileSystem>,
    files: SharedFilesRef,
}

impl CoherentFs {
    pub fn new(inner: Box<dyn FileSystem>, files: SharedFilesRef) -> CoherentFs {
        CoherentFs { inner, files }
    }

    fn key_of(&mut self, path: &[u8]) -> Option<(u64, u64)> {
        if self.files.borrow().by_file.is_empty() {
            return None;
        }
        self.inner.lstat(path).ok().map(|st| key(&st))
    }
}

impl FileSystem for CoherentFs {
    fn open(
        &mut self,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
    ) -> Result<Box<dyn FileObject>, Errno> {
        let inner = self.inner.open(path, flags, mode)?;
        let st = inner.stat();
        if flags.path || st.mode & S_IFMT != S_IFREG {
            return Ok(inner);
        }
        let file = CoherentFile { inner, files: self.files.clone(), share: None };
        if flags.trunc
            && let Some(share) = file.share_now()
            && let Some(mem) = share.mem()
        {
            zero_from(&mem, st.size);
        }
        Ok(Box::new(file))
    }
    fn unlink(&mut self, path: &[u8], dir: bool) -> Result<(), Errno> {
        let k = self.key_of(path);
        self.inner.unlink(path, dir)?;
        if let Some(k) = k {
            self.files.borrow_mut().detach(k);
        }
        Ok(())
    }
    fn lstat(&mut self, path: &[u8]) -> Result<FileStat, Errno> {
        self.inner.lstat(path)
    }
    fn readlink(&mut self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        self.inner.readlink(path)
    }
    fn mkdir(&mut self, path: &[u8], mode: u32) -> Result<(), Errno> {
        self.inner.mkdir(path, mode)
    }
    fn symlink(&mut self, target: &[u8], path: &[u8]) -> Result<(), Errno> {
        self.inner.symlink(target, path)
    }
    fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        let (k_from, k_to) = (self.key_of(from), self.key_of(to));
        self.inner.rename(from, to)?;
        let k_new = self.key_of(to);
        let mut files = self.files.borrow_mut();
        if let Some(k) = k_to
            && Some(k) != k_from
        {
            files.detach(k);
        }
        if let (Some(old), Some(new)) = (k_from, k_new)
            && old != new
            && let Some(s) = files.by_file.remove(&old)
        {
            files.detach(new);
            files.by_file.insert(new, s);
        }
        Ok(())
    }
    fn link(&mut self, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        self.inner.link(from, to)
    }
    fn chmod(&mut self, path: &[u8], mode: u32) -> Result<(), Errno> {
        self.inner.chmod(path, mode)
    }
}

/// Zero `mem` from byte `from` to its end.
fn zero_from(mem: &SharedMem, from: u64) {
    let end = mem.pages() * PAGE_SIZE;
    let zeros = vec![0u8; CHUNK];
    let mut at = from;
    while at < end {
        let n = ((end - at) as usize).min(CHUNK);
        mem.write(at, &zeros[..n]);
        at += n as u64;
    }
}

/// A regular file of a [`CoherentFs`] (module docs).
pub struct CoherentFile {
    inner: Box<dyn FileObject>,
    files: SharedFilesRef,
    /// The file's object, once looked up.
    share: Option<Rc<FileShare>>,
}

impl CoherentFile {
    /// The file's shared object, if it has one now.
    fn share_now(&self) -> Option<Rc<FileShare>> {
        if let Some(s) = &self.share
            && s.mem.borrow().is_some()
        {
            return Some(s.clone());
        }
        let files = self.files.borrow();
        if files.by_file.is_empty() {
            return None;
        }
        files.lookup(key(&self.inner.stat()))
    }

    fn mem(&mut self) -> Option<Arc<SharedMem>> {
        let share = self.share_now();
        self.share = share.clone();
        share?.mem()
    }

    /// Replace the file's bytes at `offset` in `buf[..n]` by the object's.
    fn overlay(&mut self, buf: &mut [u8], offset: u64, n: usize) {
        if let Some(mem) = self.mem() {
            let covered = (mem.pages() * PAGE_SIZE).saturating_sub(offset).min(n as u64) as usize;
            if covered > 0 {
                mem.read(offset, &mut buf[..covered]);
            }
        }
    }
}

impl FileObject for CoherentFile {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        if self.mem().is_none() {
            return self.inner.read(buf);
        }
        let at = self.inner.seek(0, 1)?;
        let n = self.inner.read(buf)?;
        self.overlay(buf, at, n);
        Ok(n)
    }
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> IoResult {
        let n = self.inner.pread(buf, offset)?;
        self.overlay(buf, offset, n);
        Ok(n)
    }
    fn file_pages(&mut self) -> Option<Arc<crate::mem::FilePages>> {
        // A shared object holds the file's current bytes, which may differ.
        if self.mem().is_some() {
            return None;
        }
        self.inner.file_pages()
    }
    fn contents(&mut self) -> Option<bohr_rootfs::FileData> {
        if self.mem().is_some() {
            return None;
        }
        self.inner.contents()
    }
    fn write(&mut self, data: &[u8]) -> IoResult {
        let n = self.inner.write(data)?;
        if let Some(mem) = self.mem() {
            let end = self.inner.seek(0, 1)?;
            mem.write(end - n as u64, &data[..n]);
        }
        Ok(n)
    }
    fn pwrite(&mut self, data: &[u8], offset: u64) -> IoResult {
        let n = self.inner.pwrite(data, offset)?;
        if let Some(mem) = self.mem() {
            mem.write(offset, &data[..n]);
        }
        Ok(n)
    }
    fn truncate(&mut self, len: u64) -> Result<(), Errno> {
        self.inner.truncate(len)?;
        if let Some(mem) = self.mem() {
            zero_from(&mem, len);
        }
        Ok(())
    }
    fn bytes_ready(&self) -> Option<usize> {
        self.inner.bytes_ready()
    }
    fn poll_events(&self) -> Option<u16> {
        self.inner.poll_events()
    }
    fn seek(&mut self, offset: i64, whence: u32) -> Result<u64, Errno> {
        self.inner.seek(offset, whence)
    }
    fn stat(&self) -> FileStat {
        self.inner.stat()
    }
    fn entries(&mut self) -> Result<Vec<DirEntry>, Errno> {
        self.inner.entries()
    }
    fn is_tty(&self) -> bool {
        self.inner.is_tty()
    }
    fn ioctl(&mut self, arch: crate::arch::Arch, request: u64) -> Result<Vec<u8>, Errno> {
        self.inner.ioctl(arch, request)
    }
    fn close(&mut self) {
        self.inner.close()
    }
    fn delivers_via_write_path(&self) -> bool {
        self.inner.delivers_via_write_path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::file::open_file;
    use crate::linux::lower::HostTree;
    use crate::linux::overlay::Overlay;

    /// An empty root (the host's `/`, read-only, under the in-memory
    /// layer) with the file system wrapped.
    fn fs(files: &SharedFilesRef) -> CoherentFs {
        let lower = Rc::new(HostTree::new("/"));
        CoherentFs::new(Box::new(Overlay::new(vec![lower], 0)), files.clone())
    }

    fn rw() -> OpenFlags {
        OpenFlags { access: 2, create: true, ..Default::default() }
    }

    #[test]
    fn a_mapped_file_is_coherent_with_read_and_write_and_written_back() {
        let files = SharedFilesRef::default();
        let mut fs = fs(&files);
        let obj = fs.open(b"/tmp/bohr-shared-test", rw(), 0o644).unwrap();
        let file = open_file(obj, rw(), b"/tmp/bohr-shared-test".to_vec());
        file.borrow_mut().object.pwrite(&[b'a'; 5000], 0).unwrap();
        let st = file.borrow().object.stat();
        let mem =
            map_file(&files, &file, &st, 2, |n| Ok(SharedMem::new(n, 1, None).unwrap())).unwrap();
        let mut b = [0u8; 3];
        mem.read(4998, &mut b);
        assert_eq!(&b, b"aa\0", "the object holds the file, zeros past its end");
        // A store to the object shows in reads of any descriptor.
        mem.write(10, b"xyz");
        let mut other = fs.open(b"/tmp/bohr-shared-test", OpenFlags::default(), 0).unwrap();
        assert_eq!(other.pread(&mut b, 10), Ok(3));
        assert_eq!(&b, b"xyz");
        // A write shows in the object.
        other.close();
        file.borrow_mut().object.pwrite(b"WRT", 100).unwrap();
        mem.read(100, &mut b);
        assert_eq!(&b, b"WRT");
        // A truncation zeros the object past the new end.
        file.borrow_mut().object.truncate(4096).unwrap();
        file.borrow_mut().object.truncate(5000).unwrap();
        mem.read(4096, &mut b);
        assert_eq!(&b, b"\0\0\0");
        // Still mapped: nothing is flushed.
        flush(&files);
        assert!(!files.borrow().is_empty());
        drop(mem);
        flush(&files);
        assert!(files.borrow().is_empty());
        assert_eq!(Rc::strong_count(&file), 1, "the registry let the descriptor go");
        let mut again = fs.open(b"/tmp/bohr-shared-test", OpenFlags::default(), 0).unwrap();
        assert_eq!(again.pread(&mut b, 10), Ok(3));
        assert_eq!(&b, b"xyz", "written back into the file");
    }

    #[test]
    fn an_unlinked_mapped_file_keeps_its_object_and_a_new_one_gets_its_own() {
        let files = SharedFilesRef::default();
        let mut fs = fs(&files);
        let obj = fs.open(b"/tmp/bohr-shared-test", rw(), 0o644).unwrap();
        let file = open_file(obj, rw(), b"/tmp/bohr-shared-test".to_vec());
        file.borrow_mut().object.pwrite(b"old", 0).unwrap();
        let st = file.borrow().object.stat();
        let mem =
            map_file(&files, &file, &st, 1, |n| Ok(SharedMem::new(n, 1, None).unwrap())).unwrap();
        fs.unlink(b"/tmp/bohr-shared-test", false).unwrap();
        let mut new = fs.open(b"/tmp/bohr-shared-test", rw(), 0o644).unwrap();
        new.pwrite(b"new", 0).unwrap();
        let mut b = [0u8; 3];
        mem.read(0, &mut b);
        assert_eq!(&b, b"old", "the new file is another file");
        assert_eq!(new.pread(&mut b, 0), Ok(3));
        assert_eq!(&b, b"new");
        drop(mem);
        flush(&files);
        assert!(files.borrow().is_empty());
    }
}

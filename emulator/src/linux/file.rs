//! Open files: the `FileObject` trait that every kind of file implements
//! (host stdio and host files here; pipes in `pipe`; the machine's devices
//! and in-memory files in `machine::vfs`), the shared `OpenFile`
//! description, and the per-process `FdTable`.

use std::cell::RefCell;
use std::io::{Read, Seek, SeekFrom, Write};
use std::rc::Rc;

use super::abi::{FileStat, OpenFlags, S_IFCHR, S_IFDIR, S_IFIFO, S_IFREG};
use super::errno::Errno;

/// Result of a read or write: bytes transferred.
pub type IoResult = Result<usize, Errno>;

/// A directory entry for `getdents64`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    /// `DT_*` type: 2 chr, 4 dir, 8 reg, 1 fifo.
    pub kind: u8,
    pub name: Vec<u8>,
}

/// Behaviour of one kind of file. Blocking files return `Err(EAGAIN)` when
/// they would block; the scheduler parks the caller and retries.
pub trait FileObject {
    fn read(&mut self, buf: &mut [u8]) -> IoResult;
    fn write(&mut self, data: &[u8]) -> IoResult;
    fn pread(&mut self, _buf: &mut [u8], _offset: u64) -> IoResult {
        Err(Errno::ESPIPE)
    }
    /// Write at `offset` without moving the file position.
    fn pwrite(&mut self, _data: &[u8], _offset: u64) -> IoResult {
        Err(Errno::ESPIPE)
    }
    /// Set the size (`ftruncate`).
    fn truncate(&mut self, _len: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }
    /// Bytes a read would return now (`FIONREAD`); `None` when the file
    /// has no such notion (`ENOTTY`).
    fn bytes_ready(&self) -> Option<usize> {
        None
    }
    /// `poll` events ready now (`POLLIN` 1, `POLLOUT` 4, `POLLHUP` 0x10);
    /// `None` for files that are always ready both ways.
    fn poll_events(&self) -> Option<u16> {
        None
    }
    /// `whence`: 0 SEEK_SET, 1 SEEK_CUR, 2 SEEK_END.
    fn seek(&mut self, _offset: i64, _whence: u32) -> Result<u64, Errno> {
        Err(Errno::ESPIPE)
    }
    fn stat(&self) -> FileStat;
    /// All entries of a directory, in a deterministic order.
    fn entries(&mut self) -> Result<Vec<DirEntry>, Errno> {
        Err(Errno::ENOTDIR)
    }
    fn is_tty(&self) -> bool {
        false
    }
    /// A device `ioctl`: returns the bytes to copy out to the argument
    /// pointer (empty for none). Ordinary files are not terminals.
    fn ioctl(&mut self, _arch: crate::arch::Arch, _request: u64) -> Result<Vec<u8>, Errno> {
        Err(Errno::ENOTTY)
    }
    /// Called when the last descriptor referring to it closes.
    fn close(&mut self) {}
    /// True for devices whose `read()` data reaches the guest buffer through
    /// the machine's write path (MTD flash) instead of `copy_to_user`.
    fn delivers_via_write_path(&self) -> bool {
        false
    }
    /// The file's bytes as host file pages that never change, for a
    /// private mapping to map rather than copy (see `mem::FilePages`).
    fn file_pages(&mut self) -> Option<std::sync::Arc<crate::mem::FilePages>> {
        None
    }
    /// The file's whole bytes when they never change and a layer can lend
    /// them (an image's file), for reading a program without a copy.
    fn contents(&mut self) -> Option<bohr_rootfs::FileData> {
        None
    }
}

/// An open file description, shared by duplicated descriptors.
pub struct OpenFile {
    pub object: Box<dyn FileObject>,
    pub flags: OpenFlags,
    /// Position in `entries()` for `getdents64`.
    pub dir_pos: usize,
    /// Absolute guest path it was opened by, for `openat` relative to it.
    pub path: Vec<u8>,
}

pub type FileRef = Rc<RefCell<OpenFile>>;

pub fn open_file(object: Box<dyn FileObject>, flags: OpenFlags, path: Vec<u8>) -> FileRef {
    Rc::new(RefCell::new(OpenFile { object, flags, dir_pos: 0, path }))
}

/// A process's descriptor table. A fork copies it (the descriptions stay
/// shared); `execve` closes the descriptors marked close-on-exec.
#[derive(Default, Clone)]
pub struct FdTable {
    fds: Vec<Option<FileRef>>,
    cloexec: std::collections::BTreeSet<usize>,
}

/// Highest descriptor count per process (RLIMIT_NOFILE).
pub const MAX_FDS: usize = 1024;

impl FdTable {
    pub fn get(&self, fd: u64) -> Result<FileRef, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get(i))
            .and_then(|f| f.clone())
            .ok_or(Errno::EBADF)
    }

    /// Install at the lowest free descriptor at or above `min`.
    pub fn install_from(&mut self, min: usize, file: FileRef) -> Result<u64, Errno> {
        let free = (min..MAX_FDS).find(|&i| self.fds.get(i).is_none_or(|f| f.is_none()));
        let i = free.ok_or(Errno::EMFILE)?;
        if self.fds.len() <= i {
            self.fds.resize(i + 1, None);
        }
        self.fds[i] = Some(file);
        self.cloexec.remove(&i);
        Ok(i as u64)
    }

    /// `FD_CLOEXEC` of `fd`.
    pub fn cloexec(&self, fd: u64) -> bool {
        usize::try_from(fd).is_ok_and(|i| self.cloexec.contains(&i))
    }

    pub fn set_cloexec(&mut self, fd: u64, on: bool) -> Result<(), Errno> {
        self.get(fd)?;
        let i = fd as usize;
        if on {
            self.cloexec.insert(i);
        } else {
            self.cloexec.remove(&i);
        }
        Ok(())
    }

    /// Close every close-on-exec descriptor (`execve`), in order.
    pub fn close_on_exec(&mut self) {
        for i in std::mem::take(&mut self.cloexec) {
            if let Some(f) = self.fds.get_mut(i).and_then(|f| f.take()) {
                release(f);
            }
        }
    }

    pub fn install(&mut self, file: FileRef) -> Result<u64, Errno> {
        self.install_from(0, file)
    }

    /// Put `file` at exactly `fd`, closing what was there.
    pub fn install_at(&mut self, fd: u64, file: FileRef) -> Result<(), Errno> {
        let i = usize::try_from(fd).ok().filter(|&i| i < MAX_FDS).ok_or(Errno::EBADF)?;
        if self.fds.len() <= i {
            self.fds.resize(i + 1, None);
        }
        self.cloexec.remove(&i);
        if let Some(old) = self.fds[i].replace(file) {
            release(old);
        }
        Ok(())
    }

    pub fn close(&mut self, fd: u64) -> Result<(), Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let f = self.fds.get_mut(i).and_then(|f| f.take()).ok_or(Errno::EBADF)?;
        self.cloexec.remove(&i);
        release(f);
        Ok(())
    }

    /// Close every descriptor (process exit), in descriptor order.
    pub fn close_all(&mut self) {
        self.cloexec.clear();
        for f in std::mem::take(&mut self.fds).into_iter().flatten() {
            release(f);
        }
    }
}

/// Drop one reference; the last one closes the file object.
fn release(f: FileRef) {
    if Rc::strong_count(&f) == 1 {
        f.borrow_mut().object.close();
    }
}

/// A stable inode number for a path (FNV-1a), so `fstat` is deterministic.
pub fn path_ino(path: &[u8]) -> u64 {
    path.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

// ----- host-backed files (for `bohr exec`) -------------------------------

/// The host's stdin.
pub struct HostStdin {
    /// Whether the host's stdin is a terminal (see [`host_stream_stat`]).
    pub terminal: bool,
}
/// The host's stdout or stderr.
pub struct HostOutput {
    pub stderr: bool,
    /// Whether the host's stream is a terminal (see [`host_stream_stat`]).
    pub terminal: bool,
}

/// What `fstat` shows of a host stream: a pseudo-terminal's character
/// device when the host's stream is a terminal, so that a guest's C
/// library buffers lines as it would on Linux; otherwise a pipe, which is
/// how the stream behaves (no seek), so the guest buffers in blocks as it
/// would with its output redirected under qemu-user. (Shown as a terminal
/// whatever the host had, a redirected `strings` made one host `write`
/// per line.)
fn host_stream_stat(ino: u64, terminal: bool) -> FileStat {
    if terminal {
        return char_stat(ino);
    }
    FileStat { dev: 5, ino, mode: S_IFIFO | 0o600, nlink: 1, blksize: 4096, ..Default::default() }
}

fn char_stat(ino: u64) -> FileStat {
    FileStat {
        dev: 5,
        ino,
        mode: S_IFCHR | 0o620,
        nlink: 1,
        rdev: 0x8800,
        blksize: 1024,
        ..Default::default()
    }
}

impl FileObject for HostStdin {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        std::io::stdin().lock().read(buf).map_err(|_| Errno::EIO)
    }
    fn write(&mut self, _data: &[u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> FileStat {
        host_stream_stat(1, self.terminal)
    }
}

impl FileObject for HostOutput {
    fn read(&mut self, _buf: &mut [u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn write(&mut self, data: &[u8]) -> IoResult {
        // Straight to the descriptor, as one `write` when the host takes it
        // whole: std's stdout buffers lines, which split each guest write
        // at its last newline into two. Holding the lock (and flushing
        // what Bohr itself printed) keeps the order with Bohr's messages.
        let r = if self.stderr {
            let mut e = std::io::stderr().lock();
            e.flush().and_then(|_| raw_host_stream(2).write_all(data))
        } else {
            let mut o = std::io::stdout().lock();
            o.flush().and_then(|_| raw_host_stream(1).write_all(data))
        };
        match r {
            Ok(()) => Ok(data.len()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Errno::EPIPE),
            Err(_) => Err(Errno::EIO),
        }
    }
    fn stat(&self) -> FileStat {
        host_stream_stat(2 + self.stderr as u64, self.terminal)
    }
}

/// The host's stdout (1) or stderr (2) as a `File` that never closes it.
fn raw_host_stream(fd: i32) -> std::mem::ManuallyDrop<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: descriptors 1 and 2 stay open for the whole process (std
    // never closes them), and `ManuallyDrop` keeps this `File` from
    // closing its descriptor when it goes away.
    std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// A host file opened read-only.
pub struct HostFile {
    pub file: std::fs::File,
    pub ino: u64,
}

impl FileObject for HostFile {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        self.file
            .read(buf)
            .map_err(|e| if e.raw_os_error() == Some(21) { Errno::EISDIR } else { Errno::EIO })
    }
    fn write(&mut self, _data: &[u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> IoResult {
        use std::os::unix::fs::FileExt;
        self.file.read_at(buf, offset).map_err(|_| Errno::EIO)
    }
    fn seek(&mut self, offset: i64, whence: u32) -> Result<u64, Errno> {
        let pos = match whence {
            0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::EINVAL)?),
            1 => SeekFrom::Current(offset),
            2 => SeekFrom::End(offset),
            _ => return Err(Errno::EINVAL),
        };
        self.file.seek(pos).map_err(|_| Errno::EINVAL)
    }
    fn stat(&self) -> FileStat {
        let size = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        FileStat {
            dev: 1,
            ino: self.ino,
            mode: S_IFREG | 0o444,
            nlink: 1,
            size,
            blksize: 4096,
            ..Default::default()
        }
    }
}

/// A host directory opened read-only; entries sorted by name.
pub struct HostDir {
    pub path: std::path::PathBuf,
    pub ino: u64,
}

impl FileObject for HostDir {
    fn read(&mut self, _buf: &mut [u8]) -> IoResult {
        Err(Errno::EISDIR)
    }
    fn write(&mut self, _data: &[u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> FileStat {
        FileStat {
            dev: 1,
            ino: self.ino,
            mode: S_IFDIR | 0o555,
            nlink: 2,
            blksize: 4096,
            ..Default::default()
        }
    }
    fn entries(&mut self) -> Result<Vec<DirEntry>, Errno> {
        use std::os::unix::ffi::OsStrExt;
        let rd = std::fs::read_dir(&self.path).map_err(|_| Errno::EIO)?;
        let mut out: Vec<DirEntry> = rd
            .filter_map(|e| e.ok())
            .map(|e| {
                let name = e.file_name().as_bytes().to_vec();
                let kind = match e.file_type() {
                    Ok(t) if t.is_dir() => 4,
                    _ => 8,
                };
                DirEntry { ino: path_ino(&name), kind, name }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        let mut all = vec![
            DirEntry { ino: self.ino, kind: 4, name: b".".to_vec() },
            DirEntry { ino: 1, kind: 4, name: b"..".to_vec() },
        ];
        all.extend(out);
        Ok(all)
    }
}

/// An open directory: a snapshot of its entries at `open` (every file
/// system serves directories this way).
pub struct DirSnapshot {
    pub st: FileStat,
    pub entries: Vec<DirEntry>,
}

impl FileObject for DirSnapshot {
    fn read(&mut self, _buf: &mut [u8]) -> IoResult {
        Err(Errno::EISDIR)
    }
    fn write(&mut self, _data: &[u8]) -> IoResult {
        Err(Errno::EBADF)
    }
    fn seek(&mut self, offset: i64, whence: u32) -> Result<u64, Errno> {
        // Only rewinding is meaningful for a snapshot.
        if whence == 0 && offset == 0 { Ok(0) } else { Err(Errno::EINVAL) }
    }
    fn stat(&self) -> FileStat {
        self.st
    }
    fn entries(&mut self) -> Result<Vec<DirEntry>, Errno> {
        Ok(self.entries.clone())
    }
}

/// `/dev/null`.
pub struct DevNull;

impl FileObject for DevNull {
    fn read(&mut self, _buf: &mut [u8]) -> IoResult {
        Ok(0)
    }
    fn write(&mut self, data: &[u8]) -> IoResult {
        Ok(data.len())
    }
    fn stat(&self) -> FileStat {
        FileStat { rdev: 0x103, ..char_stat(4) }
    }
}

/// `/dev/urandom` and `/dev/random`: bytes from the run's seed.
pub struct DevRandom {
    pub rng: super::SplitMix64,
}

impl FileObject for DevRandom {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        self.rng.fill(buf);
        Ok(buf.len())
    }
    fn write(&mut self, data: &[u8]) -> IoResult {
        Ok(data.len())
    }
    fn stat(&self) -> FileStat {
        // urandom is char device 1:9.
        FileStat { rdev: 0x109, ..char_stat(9) }
    }
}

/// `/dev/zero`.
pub struct DevZero;

impl FileObject for DevZero {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        buf.fill(0);
        Ok(buf.len())
    }
    fn write(&mut self, data: &[u8]) -> IoResult {
        Ok(data.len())
    }
    fn stat(&self) -> FileStat {
        FileStat { rdev: 0x105, ..char_stat(5) }
    }
}

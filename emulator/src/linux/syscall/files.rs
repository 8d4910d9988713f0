//! Files: descriptors and I/O, opening and the stat family, directories,
//! links and renames, permissions and times, polling, and the working
//! directory. Paths go through `path` (symlinks are followed there); the
//! file system behind them is the caller's (`Kernel::fs`).

use super::time::{read_timespec, sleep_for};
use super::uaccess::Ctx;
use super::{AT_FDCWD, Fail, MAX_IO, R};
use crate::arch::Sysno;
use crate::linux::abi::{self, FileStat, OpenFlags, S_IFDIR, S_IFIFO, S_IFMT};
use crate::linux::arch::linux_abi;
use crate::linux::errno::Errno;
use crate::linux::file::open_file;
use crate::linux::pipe::new_pipe;
use crate::linux::procfs::{self, ProcFile, ProcNode};
use crate::linux::writepath;
use crate::mem::Access as MemAccess;

const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
const AT_SYMLINK_FOLLOW: u64 = 0x400;
const AT_EMPTY_PATH: u64 = 0x1000;
/// `X_OK` of `access`.
const X_OK: u64 = 1;
/// `STATX_BASIC_STATS`: every field `statx` fills.
const STATX_BASIC_STATS: u32 = 0x7ff;
/// What a pipe reports for `F_GETPIPE_SZ`.
const PIPE_SIZE: u64 = crate::linux::pipe::PIPE_CAPACITY as u64;

pub(super) fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    match s {
        Read => sys_read(c, c.arg(0), c.arg(1), c.arg(2), None),
        Pread64 => {
            // 32-bit arches pass the 64-bit offset in an aligned register pair.
            let off = if c.wide() { c.arg(3) } else { c.arg_u64(4) };
            sys_read(c, c.arg(0), c.arg(1), c.arg(2), Some(off))
        }
        Write => sys_write(c, c.arg(0), c.arg(1), c.arg(2)),
        Pwrite64 => {
            let off = if c.wide() { c.arg(3) } else { c.arg_u64(4) };
            write_segment(c, c.arg(0), c.arg(1), c.arg(2), Some(off))
        }
        Readv | Writev => sys_iov(c, s == Readv, None),
        Preadv | Pwritev => {
            // The offset comes as two longs, low then high, on every arch.
            let off = if c.wide() { c.arg(3) } else { (c.arg(4) << 32) | c.arg(3) };
            sys_iov(c, s == Preadv, Some(off))
        }
        Pipe2 => sys_pipe2(c),
        Open => {
            let path = c.path(c.arg(0))?;
            sys_open(c, AT_FDCWD, &path, c.arg(1), c.arg(2))
        }
        Openat => {
            let path = c.path(c.arg(1))?;
            sys_open(c, c.arg_int(0), &path, c.arg(2), c.arg(3))
        }
        Close => {
            c.p.fds.close(c.arg(0))?;
            Ok(0)
        }
        Lseek => {
            let f = c.p.fds.get(c.arg(0))?;
            let r = f.borrow_mut().object.seek(c.arg_signed(1), c.arg(2) as u32)?;
            if !c.wide() && r > i32::MAX as u64 {
                return Err(Errno::EOVERFLOW.into());
            }
            Ok(r)
        }
        Llseek => {
            let off = ((c.arg(1) << 32) | (c.arg(2) & 0xffff_ffff)) as i64;
            let f = c.p.fds.get(c.arg(0))?;
            let r = f.borrow_mut().object.seek(off, c.arg(4) as u32)?;
            c.put_u64s(c.arg(3), &[r])?;
            Ok(0)
        }
        Getdents64 => sys_getdents64(c),
        Fstat | Fstat64 => {
            let st = c.p.fds.get(c.arg(0))?.borrow().object.stat();
            put_stat(c, c.arg(1), &st)
        }
        Stat | Stat64 | Lstat | Lstat64 => {
            let path = c.path(c.arg(0))?;
            let nofollow = matches!(s, Lstat | Lstat64);
            let st = stat_at(c, AT_FDCWD, &path, if nofollow { AT_SYMLINK_NOFOLLOW } else { 0 })?;
            put_stat(c, c.arg(1), &st)
        }
        Newfstatat | Fstatat64 => {
            let path = c.path(c.arg(1))?;
            let st = stat_at(c, c.arg_int(0), &path, c.arg(3))?;
            put_stat(c, c.arg(2), &st)
        }
        Statx => {
            let path = c.path(c.arg(1))?;
            let st = stat_at(c, c.arg_int(0), &path, c.arg(2))?;
            let data = encode_statx(c, &st);
            c.put(c.arg(4), &data)?;
            Ok(0)
        }
        Ioctl => sys_ioctl(c),
        Fcntl | Fcntl64 => sys_fcntl(c),
        Dup => {
            let f = c.p.fds.get(c.arg(0))?;
            Ok(c.p.fds.install(f)?)
        }
        Dup2 | Dup3 => {
            let f = c.p.fds.get(c.arg(0))?;
            if c.arg(0) == c.arg(1) {
                return if s == Dup3 { Err(Errno::EINVAL.into()) } else { Ok(c.arg(1)) };
            }
            c.p.fds.install_at(c.arg(1), f)?;
            if s == Dup3 {
                let cloexec = OpenFlags::decode(c.p.arch, c.arg(2)).cloexec;
                c.p.fds.set_cloexec(c.arg(1), cloexec)?;
            }
            Ok(c.arg(1))
        }
        Unlink | Rmdir => {
            let path = c.path(c.arg(0))?;
            let abs = c.lookup(AT_FDCWD, &path, false)?;
            c.k.fs.unlink(&abs, s == Rmdir)?;
            Ok(0)
        }
        Unlinkat => {
            let path = c.path(c.arg(1))?;
            let abs = c.lookup(c.arg_int(0), &path, false)?;
            c.k.fs.unlink(&abs, c.arg(2) & AT_REMOVEDIR != 0)?;
            Ok(0)
        }
        Mkdir | Mkdirat => {
            let (dirfd, p, mode) = if s == Mkdir {
                (AT_FDCWD, c.arg(0), c.arg(1))
            } else {
                (c.arg_int(0), c.arg(1), c.arg(2))
            };
            let path = c.path(p)?;
            let abs = c.lookup(dirfd, &path, false)?;
            let mode = (mode as u32) & 0o7777 & !c.p.umask;
            c.k.fs.mkdir(&abs, mode)?;
            Ok(0)
        }
        Access => {
            let path = c.path(c.arg(0))?;
            sys_access(c, AT_FDCWD, &path, c.arg(1), 0)
        }
        Faccessat => {
            let path = c.path(c.arg(1))?;
            sys_access(c, c.arg_int(0), &path, c.arg(2), 0)
        }
        Faccessat2 => {
            let path = c.path(c.arg(1))?;
            sys_access(c, c.arg_int(0), &path, c.arg(2), c.arg(3))
        }
        Readlink => {
            let path = c.path(c.arg(0))?;
            sys_readlink(c, AT_FDCWD, &path, c.arg(1), c.arg(2))
        }
        Readlinkat => {
            let path = c.path(c.arg(1))?;
            sys_readlink(c, c.arg_int(0), &path, c.arg(2), c.arg(3))
        }
        Symlink | Symlinkat => {
            let target = c.path(c.arg(0))?;
            let (dirfd, p) =
                if s == Symlink { (AT_FDCWD, c.arg(1)) } else { (c.arg_int(1), c.arg(2)) };
            let path = c.path(p)?;
            if target.is_empty() {
                return Err(Errno::ENOENT.into());
            }
            let abs = c.lookup(dirfd, &path, false)?;
            c.k.fs.symlink(&target, &abs)?;
            Ok(0)
        }
        Link | Linkat => {
            let (ofd, op, nfd, np, flags) = if s == Link {
                (AT_FDCWD, c.arg(0), AT_FDCWD, c.arg(1), 0)
            } else {
                (c.arg_int(0), c.arg(1), c.arg_int(2), c.arg(3), c.arg(4))
            };
            let (old, new) = (c.path(op)?, c.path(np)?);
            let from = c.lookup(ofd, &old, flags & AT_SYMLINK_FOLLOW != 0)?;
            let to = c.lookup(nfd, &new, false)?;
            c.k.fs.link(&from, &to)?;
            Ok(0)
        }
        Rename | Renameat | Renameat2 => {
            let (ofd, op, nfd, np, flags) = match s {
                Rename => (AT_FDCWD, c.arg(0), AT_FDCWD, c.arg(1), 0),
                Renameat => (c.arg_int(0), c.arg(1), c.arg_int(2), c.arg(3), 0),
                _ => (c.arg_int(0), c.arg(1), c.arg_int(2), c.arg(3), c.arg(4)),
            };
            let (old, new) = (c.path(op)?, c.path(np)?);
            let from = c.lookup(ofd, &old, false)?;
            let to = c.lookup(nfd, &new, false)?;
            match flags {
                0 => {}
                // RENAME_NOREPLACE
                1 => {
                    if c.lstat_abs(&to).is_ok() {
                        return Err(Errno::EEXIST.into());
                    }
                }
                _ => return Err(Errno::EINVAL.into()),
            }
            c.k.fs.rename(&from, &to)?;
            Ok(0)
        }
        Chmod | Fchmodat => {
            let (dirfd, p, mode) = if s == Chmod {
                (AT_FDCWD, c.arg(0), c.arg(1))
            } else {
                (c.arg_int(0), c.arg(1), c.arg(2))
            };
            let path = c.path(p)?;
            let abs = c.lookup(dirfd, &path, true)?;
            c.k.fs.chmod(&abs, mode as u32)?;
            Ok(0)
        }
        Fchmod => {
            let path = c.p.fds.get(c.arg(0))?.borrow().path.clone();
            c.k.fs.chmod(&path, c.arg(1) as u32)?;
            Ok(0)
        }
        // Everything belongs to root and stays so; a change of owner is
        // accepted, as root's would be, for files that exist.
        Fchown => {
            c.p.fds.get(c.arg(0))?;
            Ok(0)
        }
        Fchownat => {
            let path = c.path(c.arg(1))?;
            stat_at(c, c.arg_int(0), &path, c.arg(4))?;
            Ok(0)
        }
        // File times are the fixed epoch; setting them is accepted.
        Utimensat => {
            if c.arg(1) == 0 {
                c.p.fds.get(c.arg(0))?;
            } else {
                let path = c.path(c.arg(1))?;
                stat_at(c, c.arg_int(0), &path, c.arg(3))?;
            }
            Ok(0)
        }
        Ftruncate | Ftruncate64 => {
            let len = if s == Ftruncate64 && !c.wide() { c.arg_u64(2) } else { c.arg(1) };
            let f = c.p.fds.get(c.arg(0))?;
            if !f.borrow().flags.writable() {
                return Err(Errno::EINVAL.into());
            }
            f.borrow_mut().object.truncate(len)?;
            Ok(0)
        }
        Truncate | Truncate64 => {
            let path = c.path(c.arg(0))?;
            let len = if s == Truncate64 && !c.wide() { c.arg_u64(2) } else { c.arg(1) };
            let abs = c.lookup(AT_FDCWD, &path, true)?;
            let mut obj = c.k.fs.open(&abs, OpenFlags { access: 1, ..Default::default() }, 0)?;
            let r = obj.truncate(len);
            obj.close();
            r?;
            Ok(0)
        }
        Fsync | Fdatasync => {
            c.p.fds.get(c.arg(0))?;
            Ok(0)
        }
        Fadvise64 => {
            // Advice about the page cache, which Bohr has none of: only
            // the checks. The advice is the fourth argument, arm's second
            // (`arm_fadvise64_64`), and on mips o32 the seventh, on the
            // stack, which the kernel does not read (so it is not checked
            // there).
            let st = c.p.fds.get(c.arg(0))?.borrow().object.stat();
            if st.mode & S_IFMT == S_IFIFO {
                return Err(Errno::ESPIPE.into());
            }
            let advice = match c.p.arch {
                crate::arch::Arch::Armel => Some(c.arg(1)),
                a if a.is_64bit() => Some(c.arg(3)),
                _ => None,
            };
            // POSIX_FADV_NORMAL .. POSIX_FADV_NOREUSE.
            if advice.is_some_and(|a| a > 5) {
                return Err(Errno::EINVAL.into());
            }
            Ok(0)
        }
        Sendfile | Sendfile64 => {
            let (out, inp, offp, count) = (c.arg(0), c.arg(1), c.arg(2), c.arg(3));
            let wide_off = s == Sendfile64 || c.wide();
            let off = if offp == 0 {
                None
            } else if wide_off {
                Some(c.get_u64(offp)?)
            } else {
                Some(c.get_word(offp)?)
            };
            let n = transfer(c, inp, off, out, None, count)?;
            if let Some(o) = off {
                if wide_off { c.put_u64s(offp, &[o + n])? } else { c.put_words(offp, &[o + n])? }
            }
            Ok(n)
        }
        CopyFileRange => {
            let (fin, pin, fout, pout, len) = (c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg(4));
            if c.arg(5) != 0 {
                return Err(Errno::EINVAL.into());
            }
            let oin = if pin == 0 { None } else { Some(c.get_u64(pin)?) };
            let oout = if pout == 0 { None } else { Some(c.get_u64(pout)?) };
            let n = transfer(c, fin, oin, fout, oout, len)?;
            if let Some(o) = oin {
                c.put_u64s(pin, &[o + n])?;
            }
            if let Some(o) = oout {
                c.put_u64s(pout, &[o + n])?;
            }
            Ok(n)
        }
        Poll => {
            let ms = c.arg_int(2);
            let timeout = (ms >= 0).then(|| ms as u64 * 1_000_000);
            sys_poll(c, timeout)
        }
        Ppoll | PpollTime64 => {
            let timeout = if c.arg(2) == 0 {
                None
            } else {
                Some(read_timespec(c, c.arg(2), s == PpollTime64)?)
            };
            sys_poll(c, timeout)
        }
        Newselect => {
            let timeout = if c.arg(4) == 0 {
                None
            } else {
                let w = c.word_size();
                let (sec, usec) = (c.get_word(c.arg(4))?, c.get_word(c.arg(4) + w)?);
                Some(sec.saturating_mul(1_000_000_000).saturating_add(usec.saturating_mul(1000)))
            };
            sys_select(c, timeout)
        }
        Pselect6 | Pselect6Time64 => {
            let timeout = if c.arg(4) == 0 {
                None
            } else {
                Some(read_timespec(c, c.arg(4), s == Pselect6Time64)?)
            };
            sys_select(c, timeout)
        }
        Getcwd => {
            let mut cwd = c.p.cwd.clone();
            cwd.push(0);
            if (c.arg(1) as usize) < cwd.len() {
                return Err(Errno::ERANGE.into());
            }
            c.put(c.arg(0), &cwd)?;
            Ok(cwd.len() as u64)
        }
        Chdir => {
            let path = c.path(c.arg(0))?;
            let abs = c.lookup(AT_FDCWD, &path, true)?;
            let st = c.lstat_abs(&abs)?;
            if st.mode & S_IFMT != S_IFDIR {
                return Err(Errno::ENOTDIR.into());
            }
            c.p.cwd = abs;
            Ok(0)
        }
        Fchdir => {
            let f = c.p.fds.get(c.arg(0))?;
            let f = f.borrow();
            if f.object.stat().mode & S_IFMT != S_IFDIR {
                return Err(Errno::ENOTDIR.into());
            }
            c.p.cwd = f.path.clone();
            Ok(0)
        }
        Umask => {
            let old = c.p.umask;
            c.p.umask = c.arg(0) as u32 & 0o777;
            Ok(old as u64)
        }
        _ => Err(Errno::ENOSYS.into()),
    }
}

fn put_stat(c: &mut Ctx, buf: u64, st: &FileStat) -> R {
    let data = abi::encode_stat(c.p.arch, st);
    c.put(buf, &data)?;
    Ok(0)
}

/// The stat of `path` relative to `dirfd` with the `AT_*` `flags` of the
/// `*at` calls (`AT_SYMLINK_NOFOLLOW`, `AT_EMPTY_PATH`).
fn stat_at(c: &mut Ctx, dirfd: i64, path: &[u8], flags: u64) -> Result<FileStat, Fail> {
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == AT_FDCWD {
            let cwd = c.p.cwd.clone();
            return Ok(c.lstat_abs(&cwd)?);
        }
        return Ok(c.p.fds.get(dirfd as u64)?.borrow().object.stat());
    }
    let abs = c.lookup(dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    Ok(c.lstat_abs(&abs)?)
}

/// `struct statx` (`include/uapi/linux/stat.h`), the same on every arch.
fn encode_statx(c: &Ctx, st: &FileStat) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let dev_major = (st.dev >> 8) & 0xfff;
    let dev_minor = (st.dev & 0xff) | ((st.dev >> 12) & !0xff);
    let rdev_major = (st.rdev >> 8) & 0xfff;
    let rdev_minor = (st.rdev & 0xff) | ((st.rdev >> 12) & !0xff);
    out.extend(c.encode(STATX_BASIC_STATS as u64, 4));
    out.extend(c.encode(st.blksize as u64, 4));
    out.extend(c.encode(0, 8)); // attributes
    out.extend(c.encode(st.nlink as u64, 4));
    out.extend(c.encode(0, 4)); // uid
    out.extend(c.encode(0, 4)); // gid
    out.extend(c.encode(st.mode as u64, 2));
    out.extend(c.encode(0, 2));
    out.extend(c.encode(st.ino, 8));
    out.extend(c.encode(st.size, 8));
    out.extend(c.encode(st.size.div_ceil(512), 8));
    out.extend(c.encode(0, 8)); // attributes_mask
    for _ in 0..4 {
        // atime, btime, ctime, mtime: { i64 sec; u32 nsec; i32 pad }
        out.extend(c.encode(st.time, 8));
        out.extend(c.encode(0, 8));
    }
    for v in [rdev_major, rdev_minor, dev_major, dev_minor] {
        out.extend(c.encode(v, 4));
    }
    out.resize(256, 0);
    out
}

fn sys_open(c: &mut Ctx, dirfd: i64, path: &[u8], raw_flags: u64, mode: u64) -> R {
    let flags = OpenFlags::decode(c.p.arch, raw_flags);
    // O_CREAT|O_EXCL never follows a final symlink: it fails with EEXIST.
    let follow = !(flags.nofollow || flags.create && flags.excl);
    let abs = c.lookup(dirfd, path, follow)?;
    if let Some(node) = procfs::lookup(c.k, c.p, &abs) {
        let st = node.stat(&abs);
        let obj: Box<dyn crate::linux::FileObject> = match node {
            ProcNode::File(data) => Box::new(ProcFile { data, pos: 0, st }),
            ProcNode::Link(_) if flags.path => Box::new(ProcFile { data: Vec::new(), pos: 0, st }),
            ProcNode::Link(_) => return Err(Errno::ELOOP.into()),
            ProcNode::Dir => return Err(Errno::ENOTSUP.into()),
        };
        if flags.writable() {
            return Err(Errno::EACCES.into());
        }
        return install(c, open_file(obj, flags, abs), flags.cloexec);
    }
    let mode = (mode as u32) & 0o7777 & !c.p.umask;
    let obj = c.k.fs.open(&abs, flags, mode)?;
    if flags.directory && obj.stat().mode & S_IFMT != S_IFDIR {
        return Err(Errno::ENOTDIR.into());
    }
    install(c, open_file(obj, flags, abs), flags.cloexec)
}

/// Install `file` at the lowest free descriptor, close-on-exec or not.
fn install(c: &mut Ctx, file: crate::linux::FileRef, cloexec: bool) -> R {
    let fd = c.p.fds.install(file)?;
    c.p.fds.set_cloexec(fd, cloexec)?;
    Ok(fd)
}

fn sys_access(c: &mut Ctx, dirfd: i64, path: &[u8], mode: u64, flags: u64) -> R {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL.into());
    }
    let st = stat_at(c, dirfd, path, flags)?;
    // Root passes every check but execute, which needs some x bit on
    // anything that is not a directory.
    if mode & X_OK != 0 && st.mode & S_IFMT != S_IFDIR && st.mode & 0o111 == 0 {
        return Err(Errno::EACCES.into());
    }
    Ok(0)
}

fn sys_readlink(c: &mut Ctx, dirfd: i64, path: &[u8], buf: u64, size: u64) -> R {
    if (size as i64) <= 0 {
        return Err(Errno::EINVAL.into());
    }
    let abs = if path.is_empty() {
        // An O_PATH descriptor of a symlink (AT_EMPTY_PATH is implied).
        c.p.fds.get(dirfd as u64)?.borrow().path.clone()
    } else {
        c.lookup(dirfd, path, false)?
    };
    let target = c.readlink_abs(&abs)?;
    let n = target.len().min(size as usize);
    c.put(buf, &target[..n])?;
    Ok(n as u64)
}

fn sys_ioctl(c: &mut Ctx) -> R {
    let f = c.p.fds.get(c.arg(0))?;
    // The kernel's `cmd` is an `unsigned int`.
    let request = c.arg(1) & 0xffff_ffff;
    let tty = linux_abi(c.p.arch).tty;
    if request == tty.fionread {
        let n = f.borrow().object.bytes_ready().ok_or(Errno::ENOTTY)?;
        c.put_u32s(c.arg(2), &[n.min(i32::MAX as usize) as u32])?;
        return Ok(0);
    }
    let reply = f.borrow_mut().object.ioctl(c.p.arch, request)?;
    if !reply.is_empty() {
        c.put(c.arg(2), &reply)?;
    }
    Ok(0)
}

fn sys_fcntl(c: &mut Ctx) -> R {
    let fd = c.arg(0);
    let f = c.p.fds.get(fd)?;
    let cmd = c.arg(1);
    let locks = linux_abi(c.p.arch).fcntl_locks;
    if let Some(i) = locks.iter().position(|&l| l == cmd) {
        // Locks always succeed: one process holds them all. F_GETLK (the
        // first of each group of three) answers "unlocked".
        if i % 3 == 0 {
            c.put(c.arg(2), &c.encode(2, 2))?; // l_type = F_UNLCK
        }
        return Ok(0);
    }
    match cmd {
        // F_DUPFD, F_DUPFD_CLOEXEC
        0 | 1030 => {
            let new = c.p.fds.install_from(c.arg(2) as usize, f)?;
            c.p.fds.set_cloexec(new, cmd == 1030)?;
            Ok(new)
        }
        1 => Ok(c.p.fds.cloexec(fd) as u64), // F_GETFD
        2 => {
            // F_SETFD: FD_CLOEXEC is the only flag.
            c.p.fds.set_cloexec(fd, c.arg(2) & 1 != 0)?;
            Ok(0)
        }
        3 => Ok(f.borrow().flags.encode_status(c.p.arch)), // F_GETFL
        4 => {
            // F_SETFL: only O_APPEND and O_NONBLOCK can change.
            let new = OpenFlags::decode(c.p.arch, c.arg(2));
            let mut f = f.borrow_mut();
            f.flags.append = new.append;
            f.flags.nonblock = new.nonblock;
            Ok(0)
        }
        // F_SETPIPE_SZ, F_GETPIPE_SZ
        1031 | 1032 => {
            if f.borrow().object.stat().mode & S_IFMT != S_IFIFO {
                return Err(Errno::EBADF.into());
            }
            Ok(PIPE_SIZE)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

/// Copy up to `count` bytes from one descriptor to another (`sendfile`,
/// `copy_file_range`), at explicit offsets or the file positions.
fn transfer(
    c: &mut Ctx,
    fd_in: u64,
    off_in: Option<u64>,
    fd_out: u64,
    off_out: Option<u64>,
    count: u64,
) -> R {
    let fin = c.p.fds.get(fd_in)?;
    let fout = c.p.fds.get(fd_out)?;
    if !fin.borrow().flags.readable() || !fout.borrow().flags.writable() {
        return Err(Errno::EBADF.into());
    }
    let read = |tmp: &mut [u8]| read_object(&fin, tmp, off_in);
    read_through(c, count.min(MAX_IO) as usize, read, |c, data| {
        let w = match off_out {
            Some(o) => fout.borrow_mut().object.pwrite(data, o),
            None => fout.borrow_mut().object.write(data),
        }?;
        c.k.io_progress += 1;
        c.p.output_hash.write(&data[..w]);
        Ok(w as u64)
    })
}

/// Ready `poll` events of descriptor `fd` (`POLLNVAL` 0x20 if closed).
fn ready_events(c: &Ctx, fd: i64) -> u16 {
    if fd < 0 {
        return 0;
    }
    match c.p.fds.get(fd as u64) {
        // Regular files, devices and terminals are always ready.
        Ok(f) => f.borrow().object.poll_events().unwrap_or(0x1 | 0x4),
        Err(_) => 0x20,
    }
}

/// What a poll that found nothing ready does: return 0 at once for a zero
/// timeout, block (to be retried) otherwise. Alone (`bohr exec`), with
/// nobody to make a descriptor ready, a finite timeout passes in virtual
/// time and the call returns 0.
fn nothing_ready(c: &mut Ctx, timeout: Option<u64>) -> R {
    match timeout {
        Some(0) => Ok(0),
        Some(ns) if !c.k.shared_clock => {
            sleep_for(c, ns)?;
            Ok(0)
        }
        _ => Err(Fail::Block),
    }
}

fn sys_poll(c: &mut Ctx, timeout: Option<u64>) -> R {
    let (fds, nfds) = (c.arg(0), c.arg(1));
    if nfds > crate::linux::file::MAX_FDS as u64 {
        return Err(Errno::EINVAL.into());
    }
    let raw = c.get(fds, nfds as usize * 8)?;
    let mut out = raw.clone();
    let mut ready = 0u64;
    for i in 0..nfds as usize {
        let e = &raw[i * 8..i * 8 + 8];
        let fd = c.decode(&e[..4]) as u32 as i32 as i64;
        let events = c.decode(&e[4..6]) as u16;
        let avail = ready_events(c, fd);
        // POLLERR, POLLHUP and POLLNVAL are reported whether asked or not.
        let revents = avail & (events | 0x8 | 0x10 | 0x20);
        if revents != 0 {
            ready += 1;
        }
        out[i * 8 + 6..i * 8 + 8].copy_from_slice(&c.encode(revents as u64, 2));
    }
    if ready == 0 {
        return nothing_ready(c, timeout);
    }
    c.put(fds, &out)?;
    Ok(ready)
}

fn sys_select(c: &mut Ctx, timeout: Option<u64>) -> R {
    let nfds = c.arg_int(0);
    if !(0..=crate::linux::file::MAX_FDS as i64).contains(&nfds) {
        return Err(Errno::EINVAL.into());
    }
    let w = c.word_size() as usize;
    let bytes = (nfds as usize).div_ceil(w * 8) * w;
    let mut sets = Vec::new();
    for (i, want) in [(1usize, 0x1u16 | 0x10), (2, 0x4 | 0x8), (3, 0)] {
        let addr = c.arg(i);
        let bits = if addr == 0 { None } else { Some(c.get(addr, bytes)?) };
        sets.push((addr, bits, want));
    }
    let mut ready = 0u64;
    let mut results = Vec::new();
    for (addr, bits, want) in &sets {
        let Some(bits) = bits else {
            results.push(None);
            continue;
        };
        let mut out = vec![0u8; bits.len()];
        for fd in 0..nfds as usize {
            let (word, bit) = (fd / (w * 8), fd % (w * 8));
            let byte = if c.big() { word * w + (w - 1 - bit / 8) } else { word * w + bit / 8 };
            if bits[byte] & (1 << (bit % 8)) == 0 {
                continue;
            }
            let avail = ready_events(c, fd as i64);
            if avail & 0x20 != 0 {
                return Err(Errno::EBADF.into());
            }
            if avail & want != 0 {
                out[byte] |= 1 << (bit % 8);
                ready += 1;
            }
        }
        results.push(Some((*addr, out)));
    }
    if ready == 0 {
        return nothing_ready(c, timeout);
    }
    for (addr, out) in results.into_iter().flatten() {
        c.put(addr, &out)?;
    }
    Ok(ready)
}

fn sys_read(c: &mut Ctx, fd: u64, buf: u64, count: u64, offset: Option<u64>) -> R {
    let f = c.p.fds.get(fd)?;
    if !f.borrow().flags.readable() || f.borrow().flags.path {
        return Err(Errno::EBADF.into());
    }
    let count = count.min(MAX_IO);
    if count == 0 {
        return Ok(0);
    }
    let via_write_path = f.borrow().object.delivers_via_write_path();
    if !via_write_path {
        // Check the buffer before consuming input, so EFAULT loses nothing.
        c.p.mem.check_access(buf, count, MemAccess::Write)?;
    }
    let read = |tmp: &mut [u8]| read_object(&f, tmp, offset);
    read_through(c, count as usize, read, |c, data| {
        c.k.io_progress += 1;
        if via_write_path {
            writepath::deliver(c.k, c.p, buf, data)?;
        } else {
            c.put(buf, data)?;
        }
        Ok(data.len() as u64)
    })
}

/// Read from the open file `f` into `buf`, at `offset` or its position;
/// a read that would block blocks unless the file is non-blocking.
fn read_object(
    f: &crate::linux::FileRef,
    buf: &mut [u8],
    offset: Option<u64>,
) -> Result<usize, Fail> {
    let r = match offset {
        Some(off) => f.borrow_mut().object.pread(buf, off),
        None => f.borrow_mut().object.read(buf),
    };
    match r {
        Err(Errno::EAGAIN) if !f.borrow().flags.nonblock => Err(Fail::Block),
        r => Ok(r?),
    }
}

/// Read at most `count` bytes with `read` into the kernel's scratch buffer
/// (`Kernel::io_scratch`, grown as needed and never zeroed again: only the
/// bytes `read` returns are looked at) and hand them to `then`.
fn read_through(
    c: &mut Ctx,
    count: usize,
    read: impl FnOnce(&mut [u8]) -> Result<usize, Fail>,
    then: impl FnOnce(&mut Ctx, &[u8]) -> R,
) -> R {
    let mut tmp = std::mem::take(&mut c.k.io_scratch);
    if tmp.len() < count {
        tmp.resize(count, 0);
    }
    let r = match read(&mut tmp[..count]) {
        Ok(n) => then(c, &tmp[..n.min(count)]),
        Err(e) => Err(e),
    };
    c.k.io_scratch = tmp;
    r
}

/// `write`. On a blocking pipe it transfers everything before returning,
/// as Linux does: a partial transfer blocks, and the retry goes on from
/// `write_progress`.
fn sys_write(c: &mut Ctx, fd: u64, buf: u64, count: u64) -> R {
    let r = write_blocking(c, fd, buf, count);
    if !matches!(r, Err(Fail::Block)) {
        c.p.write_progress = 0;
    }
    r
}

fn write_blocking(c: &mut Ctx, fd: u64, buf: u64, count: u64) -> R {
    let f = c.p.fds.get(fd)?;
    if !f.borrow().flags.writable() {
        return Err(Errno::EBADF.into());
    }
    let count = count.min(MAX_IO);
    let done = c.p.write_progress.min(count);
    let data = c.get(buf.wrapping_add(done), (count - done) as usize)?;
    let r = f.borrow_mut().object.write(&data);
    let blocking = !f.borrow().flags.nonblock;
    match r {
        Ok(n) => {
            if n > 0 {
                c.k.io_progress += 1;
                c.p.output_hash.write(&data[..n]);
            }
            let total = done + n as u64;
            let is_fifo = f.borrow().object.stat().mode & S_IFMT == S_IFIFO;
            if total < count && blocking && is_fifo {
                c.p.write_progress = total;
                return Err(Fail::Block);
            }
            Ok(total)
        }
        Err(Errno::EAGAIN) if blocking => {
            c.p.write_progress = done;
            Err(Fail::Block)
        }
        Err(_) if done > 0 => Ok(done),
        Err(e) => Err(e.into()),
    }
}

/// One `writev` segment: takes what the file accepts now, never keeping
/// partial state (a blocked `writev` restarts from its first segment).
fn write_segment(c: &mut Ctx, fd: u64, buf: u64, count: u64, offset: Option<u64>) -> R {
    let f = c.p.fds.get(fd)?;
    if !f.borrow().flags.writable() {
        return Err(Errno::EBADF.into());
    }
    let data = c.get(buf, count.min(MAX_IO) as usize)?;
    let r = match offset {
        Some(off) => f.borrow_mut().object.pwrite(&data, off),
        None => f.borrow_mut().object.write(&data),
    };
    match r {
        Err(Errno::EAGAIN) if !f.borrow().flags.nonblock => Err(Fail::Block),
        r => {
            let n = r?;
            if n > 0 {
                c.k.io_progress += 1;
                c.p.output_hash.write(&data[..n]);
            }
            Ok(n as u64)
        }
    }
}

fn sys_pipe2(c: &mut Ctx) -> R {
    let flags = OpenFlags::decode(c.p.arch, c.arg(1));
    let ino = c.k.alloc_ino();
    let (r, w) = new_pipe(ino);
    let name = format!("pipe:[{ino}]").into_bytes();
    let ro = OpenFlags { access: 0, nonblock: flags.nonblock, ..Default::default() };
    let wo = OpenFlags { access: 1, nonblock: flags.nonblock, ..Default::default() };
    let rfd = c.p.fds.install(open_file(Box::new(r), ro, name.clone()))?;
    let wfd = match c.p.fds.install(open_file(Box::new(w), wo, name)) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = c.p.fds.close(rfd);
            return Err(e.into());
        }
    };
    if flags.cloexec {
        c.p.fds.set_cloexec(rfd, true)?;
        c.p.fds.set_cloexec(wfd, true)?;
    }
    let mut data = c.encode(rfd, 4);
    data.extend(c.encode(wfd, 4));
    if let Err(e) = c.put(c.arg(0), &data) {
        let _ = c.p.fds.close(rfd);
        let _ = c.p.fds.close(wfd);
        return Err(e);
    }
    c.k.io_progress += 1;
    Ok(0)
}

fn sys_iov(c: &mut Ctx, read: bool, mut offset: Option<u64>) -> R {
    let (fd, iov, cnt) = (c.arg(0), c.arg(1), c.arg(2));
    if cnt > 1024 {
        return Err(Errno::EINVAL.into());
    }
    let w = c.word_size();
    let mut total = 0u64;
    for i in 0..cnt {
        let base = c.get_word(iov + i * 2 * w)?;
        let len = c.get_word(iov + i * 2 * w + w)?;
        if len == 0 {
            continue;
        }
        let r = if read {
            sys_read(c, fd, base, len, offset)
        } else {
            write_segment(c, fd, base, len, offset)
        };
        match r {
            Ok(n) => {
                total += n;
                offset = offset.map(|o| o + n);
                if n < len {
                    break;
                }
            }
            // A later segment failing still reports what was transferred.
            Err(Fail::Errno(_)) | Err(Fail::Block) if total > 0 => break,
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

fn sys_getdents64(c: &mut Ctx) -> R {
    let (fd, dirp, count) = (c.arg(0), c.arg(1), c.arg(2).min(MAX_IO) as usize);
    let f = c.p.fds.get(fd)?;
    let entries = f.borrow_mut().object.entries()?;
    let start = f.borrow().dir_pos;
    let mut out = Vec::new();
    let mut pos = start;
    for e in entries.iter().skip(start) {
        let reclen = (19 + e.name.len() + 1).div_ceil(8) * 8;
        if out.len() + reclen > count {
            if out.is_empty() {
                return Err(Errno::EINVAL.into());
            }
            break;
        }
        let mut rec = Vec::with_capacity(reclen);
        rec.extend(c.encode(e.ino, 8));
        rec.extend(c.encode(pos as u64 + 1, 8));
        rec.extend(c.encode(reclen as u64, 2));
        rec.push(e.kind);
        rec.extend_from_slice(&e.name);
        rec.resize(reclen, 0);
        out.extend(rec);
        pos += 1;
    }
    c.put(dirp, &out)?;
    f.borrow_mut().dir_pos = pos;
    Ok(out.len() as u64)
}

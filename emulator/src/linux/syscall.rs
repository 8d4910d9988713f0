//! System-call dispatch: reads the arguments through the arch's
//! `SyscallAbi`, runs the call on the process and kernel, and writes the
//! result back with the arch's error convention.
//!
//! Guest memory is always accessed with the checked accessors
//! (`copy_from_user`/`copy_to_user`): a bad pointer is EFAULT, never a
//! host fault. Unknown calls return ENOSYS and record an event.

use super::abi::{self, OpenFlags};
use super::errno::Errno;
use super::file::open_file;
use super::pipe::new_pipe;
use super::{ExitStatus, Kernel, Process, writepath};
use crate::arch::{ErrorConvention, Sysno};
use crate::events::Event;
use crate::ir::Endian;
use crate::mem::{Access, PAGE_MASK, PAGE_SIZE, Perms};

/// What the process does after a system call.
pub(super) enum Outcome {
    Continue,
    /// Retry the call later (I/O would block).
    Block,
    Exit(ExitStatus),
}

type SysResult = Result<u64, Errno>;

const AT_FDCWD: i64 = -100;
const AT_EMPTY_PATH: u64 = 0x1000;
const AT_REMOVEDIR: u64 = 0x200;
/// Virtual wall clock starts at 2000-01-01T00:00:00Z.
const EPOCH_SECS: u64 = 946_684_800;
/// Largest single read or write, so a guest cannot make the host allocate
/// without bound. Linux also returns short counts for large transfers.
const MAX_IO: u64 = 1 << 20;
const MAX_PATH: usize = 4096;

/// Per-call view of the process with argument and memory helpers.
struct Ctx<'a> {
    k: &'a mut Kernel,
    p: &'a mut Process,
    args: [u64; 6],
}

/// Internal result: an errno, "would block", or "exit now".
enum Fail {
    Errno(Errno),
    Block,
    Exit(ExitStatus),
}

impl From<Errno> for Fail {
    fn from(e: Errno) -> Self {
        Fail::Errno(e)
    }
}

impl From<crate::mem::MemFault> for Fail {
    fn from(_: crate::mem::MemFault) -> Self {
        Fail::Errno(Errno::EFAULT)
    }
}

type R = Result<u64, Fail>;

impl Ctx<'_> {
    fn wide(&self) -> bool {
        self.p.arch.is_64bit()
    }

    fn big(&self) -> bool {
        self.p.arch.endian() == Endian::Big
    }

    /// Argument `i` as an unsigned machine word.
    fn arg(&self, i: usize) -> u64 {
        self.args[i]
    }

    /// Argument `i` as a signed `int`/`long` (sign-extended on 32-bit arches).
    fn arg_signed(&self, i: usize) -> i64 {
        if self.wide() { self.args[i] as i64 } else { self.args[i] as u32 as i32 as i64 }
    }

    /// Argument `i` as a C `int`.
    fn arg_int(&self, i: usize) -> i64 {
        self.args[i] as u32 as i32 as i64
    }

    fn word_size(&self) -> u64 {
        if self.wide() { 8 } else { 4 }
    }

    fn encode(&self, v: u64, n: usize) -> Vec<u8> {
        let b = v.to_le_bytes();
        if self.big() { b[..n].iter().rev().copied().collect() } else { b[..n].to_vec() }
    }

    fn decode(&self, b: &[u8]) -> u64 {
        let mut v = 0u64;
        if self.big() {
            for &x in b {
                v = (v << 8) | x as u64;
            }
        } else {
            for &x in b.iter().rev() {
                v = (v << 8) | x as u64;
            }
        }
        v
    }

    fn put(&mut self, addr: u64, data: &[u8]) -> Result<(), Fail> {
        self.p.mem.write_checked(addr, data)?;
        Ok(())
    }

    fn get(&self, addr: u64, len: usize) -> Result<Vec<u8>, Fail> {
        let mut buf = vec![0; len];
        self.p.mem.read_checked(addr, &mut buf)?;
        Ok(buf)
    }

    /// Write machine words (`long`).
    fn put_words(&mut self, addr: u64, words: &[u64]) -> Result<(), Fail> {
        let n = self.word_size() as usize;
        let data: Vec<u8> = words.iter().flat_map(|&w| self.encode(w, n)).collect();
        self.put(addr, &data)
    }

    fn put_u64s(&mut self, addr: u64, vals: &[u64]) -> Result<(), Fail> {
        let data: Vec<u8> = vals.iter().flat_map(|&w| self.encode(w, 8)).collect();
        self.put(addr, &data)
    }

    fn get_word(&self, addr: u64) -> Result<u64, Fail> {
        let n = self.word_size() as usize;
        Ok(self.decode(&self.get(addr, n)?))
    }

    fn path(&self, addr: u64) -> Result<Vec<u8>, Fail> {
        let s = self.p.mem.read_cstr(addr, MAX_PATH + 1)?;
        if s.len() > MAX_PATH {
            return Err(Errno::ENAMETOOLONG.into());
        }
        Ok(s)
    }

    /// Absolute, normalised path for `path` relative to `dirfd`.
    fn resolve(&self, dirfd: i64, path: &[u8]) -> Result<Vec<u8>, Fail> {
        if path.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        let base = if path[0] == b'/' {
            Vec::new()
        } else if dirfd == AT_FDCWD {
            self.p.cwd.clone()
        } else {
            let f = self.p.fds.get(dirfd as u64)?;
            let f = f.borrow();
            if f.object.stat().mode & abi::S_IFDIR == 0 {
                return Err(Errno::ENOTDIR.into());
            }
            f.path.clone()
        };
        Ok(normalize(&base, path))
    }
}

/// Join `base` and `path` and fold `.`, `..` and repeated slashes.
pub fn normalize(base: &[u8], path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let full: Vec<u8> = if path.first() == Some(&b'/') {
        path.to_vec()
    } else {
        let mut v = base.to_vec();
        v.push(b'/');
        v.extend_from_slice(path);
        v
    };
    for comp in full.split(|&c| c == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(full.len());
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// Handle the system call the process stopped at.
pub(super) fn dispatch(k: &mut Kernel, p: &mut Process, retry: bool) -> Outcome {
    let abi = p.frontend.syscall_abi();
    let nr = p.cpu.regs[abi.number.0 as usize];
    let mut args = [0u64; 6];
    for (i, slot) in abi.args.iter().enumerate() {
        args[i] = p.cpu.regs[slot.0 as usize];
    }
    if let Some(off) = abi.stack_args_offset {
        // mips o32: arguments 5 and 6 live on the caller's stack.
        let sp = p.cpu.regs[p.frontend.stack_pointer().0 as usize];
        for (i, arg) in args.iter_mut().enumerate().skip(abi.args.len()) {
            let mut b = [0u8; 4];
            if p.mem
                .read_checked(sp.wrapping_add(off + 4 * (i - abi.args.len()) as u64), &mut b)
                .is_ok()
            {
                *arg = if p.arch.endian() == Endian::Big {
                    u32::from_be_bytes(b) as u64
                } else {
                    u32::from_le_bytes(b) as u64
                };
            }
        }
    }
    if !p.arch.is_64bit() {
        for a in &mut args {
            *a &= 0xffff_ffff;
        }
    }
    let sysno = abi.lookup(nr);
    let name = || sysno.map(|s| s.name());
    if !retry && let Some(h) = &k.plugins {
        let e = crate::plugin::SyscallEntry { pid: p.pid, number: nr, name: name(), args };
        h.borrow_mut().syscall_entry(&e);
    }
    let mut ctx = Ctx { k, p, args };
    let result = match sysno {
        Some(s) => run(&mut ctx, s),
        None => Err(Fail::Errno(Errno::ENOSYS)),
    };
    let result: SysResult = match result {
        Ok(v) => Ok(v),
        Err(Fail::Errno(e)) => {
            if e == Errno::ENOSYS && !matches!(sysno, Some(Sysno::RtSigreturn)) {
                let pc = ctx.p.cpu.pc;
                ctx.k.events.push(Event::UnsupportedSyscall {
                    pid: ctx.p.pid,
                    pc,
                    number: nr,
                    name: sysno.map(|s| s.name()),
                });
            }
            Err(e)
        }
        Err(Fail::Block) => return Outcome::Block,
        Err(Fail::Exit(s)) => return Outcome::Exit(s),
    };
    if let Some(h) = &k.plugins {
        let e = crate::plugin::SyscallExit { pid: p.pid, number: nr, name: name(), result };
        h.borrow_mut().syscall_exit(&e);
    }
    set_result(p, result);
    Outcome::Continue
}

/// Write a result with the arch's error convention.
fn set_result(p: &mut Process, r: SysResult) {
    let abi = p.frontend.syscall_abi();
    let mask = if p.arch.is_64bit() { u64::MAX } else { 0xffff_ffff };
    let (value, failed) = match r {
        Ok(v) => (v & mask, false),
        Err(e) => (e.for_arch(p.arch), true),
    };
    match abi.error {
        ErrorConvention::NegativeErrno => {
            p.cpu.regs[abi.ret.0 as usize] =
                if failed { value.wrapping_neg() & mask } else { value };
        }
        ErrorConvention::FlagSlot { flag } => {
            p.cpu.regs[abi.ret.0 as usize] = value;
            p.cpu.regs[flag.0 as usize] = failed as u64;
        }
        ErrorConvention::FlagBit { cr, bit } => {
            p.cpu.regs[abi.ret.0 as usize] = value;
            let c = &mut p.cpu.regs[cr.0 as usize];
            *c = if failed { *c | (1 << bit) } else { *c & !(1 << bit) };
        }
    }
}

fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    match s {
        Read => sys_read(c, c.arg(0), c.arg(1), c.arg(2), None),
        Pread64 => {
            // 32-bit arches pass the 64-bit offset in an aligned register pair.
            let off = if c.wide() { c.arg(3) } else { pair(c, 4) };
            sys_read(c, c.arg(0), c.arg(1), c.arg(2), Some(off))
        }
        Write => sys_write(c, c.arg(0), c.arg(1), c.arg(2)),
        Readv | Writev => sys_iov(c, s == Readv),
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
            let data = abi::encode_stat(c.p.arch, &st);
            c.put(c.arg(1), &data)?;
            Ok(0)
        }
        Stat => {
            let path = c.path(c.arg(0))?;
            stat_path(c, AT_FDCWD, &path, c.arg(1), 0)
        }
        Newfstatat | Fstatat64 => {
            let path = c.path(c.arg(1))?;
            stat_path(c, c.arg_int(0), &path, c.arg(2), c.arg(3))
        }
        Ioctl => {
            let f = c.p.fds.get(c.arg(0))?;
            // The kernel's `cmd` is an `unsigned int`.
            let reply = f.borrow_mut().object.ioctl(c.p.arch, c.arg(1) & 0xffff_ffff)?;
            if !reply.is_empty() {
                c.put(c.arg(2), &reply)?;
            }
            Ok(0)
        }
        Fcntl | Fcntl64 => {
            let fd = c.arg(0);
            let f = c.p.fds.get(fd)?;
            match c.arg(1) {
                0 | 1030 => Ok(c.p.fds.install_from(c.arg(2) as usize, f)?), // F_DUPFD(_CLOEXEC)
                1 | 2 => Ok(0),                                              // F_GETFD/F_SETFD
                3 => Ok(f.borrow().flags.encode_status(c.p.arch)),           // F_GETFL
                4 => {
                    // F_SETFL: only O_APPEND and O_NONBLOCK can change.
                    let new = OpenFlags::decode(c.p.arch, c.arg(2));
                    let mut f = f.borrow_mut();
                    f.flags.append = new.append;
                    f.flags.nonblock = new.nonblock;
                    Ok(0)
                }
                _ => Err(Errno::EINVAL.into()),
            }
        }
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
            Ok(c.arg(1))
        }
        Unlink => {
            let path = c.path(c.arg(0))?;
            let abs = c.resolve(AT_FDCWD, &path)?;
            c.k.fs.unlink(&abs, false)?;
            Ok(0)
        }
        Unlinkat => {
            let path = c.path(c.arg(1))?;
            let abs = c.resolve(c.arg_int(0), &path)?;
            c.k.fs.unlink(&abs, c.arg(2) & AT_REMOVEDIR != 0)?;
            Ok(0)
        }
        Faccessat => {
            let path = c.path(c.arg(1))?;
            let abs = c.resolve(c.arg_int(0), &path)?;
            let mut obj = c.k.fs.open(&abs, OpenFlags::default(), 0)?;
            obj.close();
            Ok(0)
        }
        Readlinkat => Err(Errno::EINVAL.into()),
        Getcwd => {
            let mut cwd = c.p.cwd.clone();
            cwd.push(0);
            if (c.arg(1) as usize) < cwd.len() {
                return Err(Errno::ERANGE.into());
            }
            c.put(c.arg(0), &cwd)?;
            Ok(cwd.len() as u64)
        }
        Exit | ExitGroup => Err(Fail::Exit(ExitStatus::Exited(c.arg(0) as u8))),
        Brk => Ok(c.p.mem.set_brk(c.arg(0))),
        Mmap => {
            let off = c.arg(5);
            sys_mmap(c, off)
        }
        Mmap2 => {
            let off = c.arg(5).checked_mul(PAGE_SIZE).ok_or(Errno::EINVAL)?;
            sys_mmap(c, off)
        }
        Munmap => {
            if c.arg(0) & !PAGE_MASK != 0 {
                return Err(Errno::EINVAL.into());
            }
            c.p.mem.unmap(c.arg(0), c.arg(1)).map_err(|_| Errno::EINVAL)?;
            Ok(0)
        }
        Mprotect => {
            let len = c.arg(1);
            if len == 0 {
                return Ok(0);
            }
            c.p.mem.protect(c.arg(0), len, Perms::from_prot(c.arg(2))).map_err(|e| match e {
                crate::mem::MapError::Invalid => Errno::EINVAL,
                crate::mem::MapError::NoMemory => Errno::ENOMEM,
            })?;
            Ok(0)
        }
        Mremap => Err(Errno::ENOMEM.into()),
        Madvise | SetRobustList | RiscvFlushIcache | CacheFlush => Ok(0),
        SchedYield => {
            c.p.yield_now = true;
            Ok(0)
        }
        Getpid | Gettid | SetTidAddress => Ok(c.p.pid as u64),
        Getppid => Ok(1),
        Getuid | Geteuid | Getgid | Getegid => Ok(0),
        Uname => {
            let mut buf = vec![0u8; 65 * 6];
            let fields: [&[u8]; 6] = [
                b"Linux",
                b"bohr",
                b"6.1.0",
                b"#1 SMP PREEMPT bohr",
                abi::uname_machine(c.p.arch).as_bytes(),
                b"(none)",
            ];
            for (i, f) in fields.iter().enumerate() {
                buf[i * 65..i * 65 + f.len()].copy_from_slice(f);
            }
            c.put(c.arg(0), &buf)?;
            Ok(0)
        }
        Prlimit64 => {
            if c.arg(3) != 0 {
                let (cur, max) = rlimit(c.arg(1));
                c.put_u64s(c.arg(3), &[cur, max])?;
            }
            Ok(0)
        }
        Getrlimit => {
            let (cur, max) = rlimit(c.arg(0));
            let clip = |v: u64| if c.wide() { v } else { v.min(0xffff_ffff) };
            c.put_words(c.arg(1), &[clip(cur), clip(max)])?;
            Ok(0)
        }
        ClockGettime => {
            let ns = clock_ns(c, c.arg(0))?;
            c.put_words(c.arg(1), &[ns / 1_000_000_000, ns % 1_000_000_000])?;
            Ok(0)
        }
        ClockGetres => {
            clock_ns(c, c.arg(0))?;
            if c.arg(1) != 0 {
                c.put_words(c.arg(1), &[0, 1])?;
            }
            Ok(0)
        }
        Gettimeofday => {
            if c.arg(0) != 0 {
                let ns = clock_ns(c, 0)?;
                c.put_words(c.arg(0), &[ns / 1_000_000_000, (ns % 1_000_000_000) / 1000])?;
            }
            if c.arg(1) != 0 {
                c.put(c.arg(1), &[0; 8])?;
            }
            Ok(0)
        }
        Nanosleep => sleep(c, c.arg(0)),
        ClockNanosleep => {
            if c.arg(1) & 1 != 0 {
                // TIMER_ABSTIME: sleep until the given time on that clock.
                let target = read_timespec(c, c.arg(2))?;
                let now = clock_ns(c, c.arg(0))?;
                sleep_for(c, target.saturating_sub(now))
            } else {
                sleep(c, c.arg(2))
            }
        }
        Getrandom => {
            let len = c.arg(1).min(MAX_IO) as usize;
            c.p.mem.check_access(c.arg(0), len as u64, Access::Write)?;
            let mut buf = vec![0u8; len];
            c.p.rng.fill(&mut buf);
            c.put(c.arg(0), &buf)?;
            Ok(len as u64)
        }
        RtSigaction => {
            if c.arg(2) != 0 {
                let size = match c.p.arch {
                    a if a.is_64bit() => 32,
                    crate::arch::Arch::Armel => 20,
                    _ => 24,
                };
                c.put(c.arg(2), &vec![0; size])?;
            }
            Ok(0)
        }
        RtSigprocmask => {
            if c.arg(2) != 0 {
                let n = (c.arg(3) as usize).clamp(4, 128);
                c.put(c.arg(2), &vec![0; n])?;
            }
            Ok(0)
        }
        Sigaltstack => {
            if c.arg(1) != 0 {
                let n = 3 * c.word_size() as usize;
                c.put(c.arg(1), &vec![0; n])?;
            }
            Ok(0)
        }
        Kill | Tkill | Tgkill => {
            let (target, sig) = match s {
                Tgkill => (c.arg_int(1), c.arg_int(2)),
                _ => (c.arg_int(0), c.arg_int(1)),
            };
            if target != c.p.pid as i64 && target != 0 {
                return Err(Errno::ESRCH.into());
            }
            match sig {
                0 => Ok(0),
                1..=64 => Err(Fail::Exit(ExitStatus::Signaled(sig as u32))),
                _ => Err(Errno::EINVAL.into()),
            }
        }
        Futex => match c.arg(1) & 0x7f {
            1 => Ok(0), // FUTEX_WAKE: nobody else to wake in one thread
            _ => Err(Errno::ENOSYS.into()),
        },
        SetTls | SetThreadArea => {
            let tp = c.arg(0);
            c.p.frontend.set_thread_pointer(&mut c.p.cpu, tp);
            Ok(0)
        }
        RtSigreturn | Pwrite64 => Err(Errno::ENOSYS.into()),
    }
}

/// A 64-bit value passed in registers `i` and `i+1` on a 32-bit arch.
fn pair(c: &Ctx, i: usize) -> u64 {
    let (a, b) = (c.arg(i) & 0xffff_ffff, c.arg(i + 1) & 0xffff_ffff);
    if c.big() { (a << 32) | b } else { (b << 32) | a }
}

fn rlimit(resource: u64) -> (u64, u64) {
    match resource {
        3 => (8 << 20, u64::MAX), // RLIMIT_STACK
        7 => (1024, 1024),        // RLIMIT_NOFILE
        _ => (u64::MAX, u64::MAX),
    }
}

/// Virtual time in ns on clock `clk`.
fn clock_ns(c: &Ctx, clk: u64) -> Result<u64, Fail> {
    let v = c.p.cpu.vclock_ns();
    match clk {
        0 | 8 | 11 => Ok(v.wrapping_add(EPOCH_SECS * 1_000_000_000)), // REALTIME(_ALARM), TAI
        1 | 4 | 7 | 9 => Ok(v), // MONOTONIC(_RAW), BOOTTIME(_ALARM)
        2 | 3 | 5 | 6 => Ok(c.p.cpu.icount), // CPU-time clocks
        _ => Err(Errno::EINVAL.into()),
    }
}

fn read_timespec(c: &Ctx, addr: u64) -> Result<u64, Fail> {
    let w = c.word_size();
    let sec = c.get_word(addr)?;
    let nsec = c.get_word(addr + w)?;
    let (sec, nsec) =
        if c.wide() { (sec as i64, nsec as i64) } else { (sec as i32 as i64, nsec as i32 as i64) };
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL.into());
    }
    Ok((sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64))
}

/// Sleeping advances the virtual clock; it never waits on the host.
fn sleep(c: &mut Ctx, req: u64) -> R {
    if c.p.sleep_until.is_some() {
        // A retry: the deadline was fixed when the sleep began.
        return sleep_for(c, 0);
    }
    let ns = read_timespec(c, req)?;
    sleep_for(c, ns)
}

/// Sleep `ns` virtual nanoseconds. Alone, the process moves its own clock.
/// On a machine it blocks until the shared clock reaches the deadline; the
/// scheduler runs others meanwhile, or jumps the clock when all sleep.
fn sleep_for(c: &mut Ctx, ns: u64) -> R {
    if !c.k.shared_clock {
        c.p.cpu.vclock_bias = c.p.cpu.vclock_bias.saturating_add(ns);
        return Ok(0);
    }
    let now = c.p.cpu.vclock_ns();
    let deadline = *c.p.sleep_until.get_or_insert(now.saturating_add(ns));
    if now >= deadline {
        c.p.sleep_until = None;
        Ok(0)
    } else {
        Err(Fail::Block)
    }
}

fn sys_read(c: &mut Ctx, fd: u64, buf: u64, count: u64, offset: Option<u64>) -> R {
    let f = c.p.fds.get(fd)?;
    if !f.borrow().flags.readable() {
        return Err(Errno::EBADF.into());
    }
    let count = count.min(MAX_IO);
    if count == 0 {
        return Ok(0);
    }
    let via_write_path = f.borrow().object.delivers_via_write_path();
    if !via_write_path {
        // Check the buffer before consuming input, so EFAULT loses nothing.
        c.p.mem.check_access(buf, count, Access::Write)?;
    }
    let mut tmp = vec![0u8; count as usize];
    let r = match offset {
        Some(off) => f.borrow_mut().object.pread(&mut tmp, off),
        None => f.borrow_mut().object.read(&mut tmp),
    };
    let n = match r {
        Err(Errno::EAGAIN) if !f.borrow().flags.nonblock => return Err(Fail::Block),
        r => r?,
    };
    c.k.io_progress += 1;
    if via_write_path {
        writepath::deliver(c.k, c.p, buf, &tmp[..n])?;
    } else {
        c.put(buf, &tmp[..n])?;
    }
    Ok(n as u64)
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
            let is_fifo = f.borrow().object.stat().mode & 0o170000 == abi::S_IFIFO;
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
        // SIGPIPE's default action kills the writer.
        Err(Errno::EPIPE) => Err(Fail::Exit(ExitStatus::Signaled(13))),
        Err(_) if done > 0 => Ok(done),
        Err(e) => Err(e.into()),
    }
}

/// One `writev` segment: takes what the file accepts now, never keeping
/// partial state (a blocked `writev` restarts from its first segment).
fn write_segment(c: &mut Ctx, fd: u64, buf: u64, count: u64) -> R {
    let f = c.p.fds.get(fd)?;
    if !f.borrow().flags.writable() {
        return Err(Errno::EBADF.into());
    }
    let data = c.get(buf, count.min(MAX_IO) as usize)?;
    let r = f.borrow_mut().object.write(&data);
    match r {
        Err(Errno::EAGAIN) if !f.borrow().flags.nonblock => Err(Fail::Block),
        Err(Errno::EPIPE) => Err(Fail::Exit(ExitStatus::Signaled(13))),
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

fn sys_iov(c: &mut Ctx, read: bool) -> R {
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
        let r =
            if read { sys_read(c, fd, base, len, None) } else { write_segment(c, fd, base, len) };
        match r {
            Ok(n) => {
                total += n;
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

fn sys_open(c: &mut Ctx, dirfd: i64, path: &[u8], raw_flags: u64, mode: u64) -> R {
    let flags = OpenFlags::decode(c.p.arch, raw_flags);
    let abs = c.resolve(dirfd, path)?;
    let obj = c.k.fs.open(&abs, flags, mode as u32)?;
    if flags.directory && obj.stat().mode & abi::S_IFDIR == 0 {
        return Err(Errno::ENOTDIR.into());
    }
    Ok(c.p.fds.install(open_file(obj, flags, abs))?)
}

fn stat_path(c: &mut Ctx, dirfd: i64, path: &[u8], buf: u64, flags: u64) -> R {
    let st = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        c.p.fds.get(dirfd as u64)?.borrow().object.stat()
    } else {
        let abs = c.resolve(dirfd, path)?;
        let mut obj = c.k.fs.open(&abs, OpenFlags::default(), 0)?;
        let st = obj.stat();
        obj.close();
        st
    };
    let data = abi::encode_stat(c.p.arch, &st);
    c.put(buf, &data)?;
    Ok(0)
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

fn sys_mmap(c: &mut Ctx, offset: u64) -> R {
    let (addr, len, prot, flags, fd) = (c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg_int(4));
    if len == 0 || offset & !PAGE_MASK != 0 {
        return Err(Errno::EINVAL.into());
    }
    let len_pages = len.checked_add(PAGE_SIZE - 1).ok_or(Errno::ENOMEM)? & PAGE_MASK;
    let anonymous = flags & abi::map_anonymous(c.p.arch) != 0;
    if flags & (abi::MAP_SHARED | abi::MAP_PRIVATE) == 0 {
        return Err(Errno::EINVAL.into());
    }
    let file = if anonymous { None } else { Some(c.p.fds.get(fd as u64)?) };
    let perms = Perms::from_prot(prot);
    let at = if flags & abi::MAP_FIXED != 0 {
        if addr & !PAGE_MASK != 0 {
            return Err(Errno::EINVAL.into());
        }
        addr
    } else if flags & abi::MAP_FIXED_NOREPLACE != 0 {
        if addr & !PAGE_MASK != 0 {
            return Err(Errno::EINVAL.into());
        }
        if c.p.mem.any_mapped(addr, len_pages) {
            return Err(Errno::EEXIST.into());
        }
        addr
    } else {
        c.p.mem.find_free(len_pages, addr).ok_or(Errno::ENOMEM)?
    };
    c.p.mem.map_fixed(at, len_pages, perms).map_err(|e| match e {
        crate::mem::MapError::Invalid => Errno::EINVAL,
        crate::mem::MapError::NoMemory => Errno::ENOMEM,
    })?;
    if let Some(f) = file {
        // Private file mappings are a copy of the file's bytes.
        let mut data = vec![0u8; len.min(MAX_IO * 64) as usize];
        let n = f.borrow_mut().object.pread(&mut data, offset).map_err(|_| Errno::EACCES)?;
        c.p.mem.write_debug(at, &data[..n]).map_err(|_| Errno::EFAULT)?;
    }
    Ok(at)
}

//! System-call dispatch: reads the arguments through the arch's
//! `SyscallAbi`, runs the call on the process and kernel, and writes the
//! result back with the arch's error convention.
//!
//! The handlers are grouped by what they touch: [`files`] (descriptors,
//! paths, directories, polling), [`memory`] (the address space),
//! [`process`] (identity, limits, signals, randomness) and [`time`]
//! (virtual clocks and sleeping). [`uaccess`] reads arguments and guest
//! memory, [`path`] resolves paths and symlinks. Unknown calls return
//! ENOSYS and record an event.

mod files;
mod futex;
mod memory;
pub(super) mod path;
mod process;
mod signals;
mod spawn;
mod time;
mod uaccess;

use super::errno::Errno;
use super::{ExitStatus, Kernel, Process};
use crate::arch::{ErrorConvention, Sysno};
use crate::events::Event;
use crate::ir::Endian;
pub use path::normalize;
pub use process::default_rlimits;
use uaccess::Ctx;

/// What the process does after a system call.
pub(super) enum Outcome {
    Continue,
    /// Retry the call later (I/O would block).
    Block,
    Exit(ExitStatus),
    /// The calling thread exited; another thread of the group is now the
    /// running one.
    ThreadExit,
}

type SysResult = Result<u64, Errno>;

const AT_FDCWD: i64 = -100;
/// Largest single read or write, so a guest cannot make the host allocate
/// without bound. Linux also returns short counts for large transfers.
const MAX_IO: u64 = 1 << 20;
const MAX_PATH: usize = 4096;

/// Internal result: an errno, "would block", "exit now", or "a new
/// image replaced the caller" (`execve`: no result to write back).
enum Fail {
    Errno(Errno),
    Block,
    Exit(ExitStatus),
    /// `exit` of one thread of several (already carried out).
    ThreadExit,
    Exec,
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

/// Calls that fail with ENOSYS on purpose, as a Linux built without them
/// does: no event, since the guest is expected to fall back.
fn silent_enosys(s: Option<Sysno>) -> bool {
    matches!(s, Some(Sysno::RtSigreturn | Sysno::Sigreturn | Sysno::Rseq))
}

/// Handle the system call the process stopped at.
pub(super) fn dispatch(k: &mut Kernel, p: &mut Process, retry: bool) -> Outcome {
    let outcome = match crate::timeline::now() {
        None => dispatch_call(k, p, retry),
        Some(started) => {
            let sysno = p.frontend.syscall_abi().call_in(&p.cpu);
            let pid = p.pid;
            let outcome = dispatch_call(k, p, retry);
            let name = sysno.map_or_else(|| "unknown".to_string(), |s| s.name());
            crate::timeline::span_of(crate::timeline::Kind::Syscall, pid, name, Some(started));
            outcome
        }
    };
    // A call that blocked changed nothing another's retry could see, or
    // it moved data and counted that in `io_progress`.
    if !matches!(outcome, Outcome::Block) {
        k.changes += 1;
    }
    outcome
}

/// [`dispatch`], whether or not the timeline records it.
fn dispatch_call(k: &mut Kernel, p: &mut Process, retry: bool) -> Outcome {
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
    if let Some(rt @ (Sysno::RtSigreturn | Sysno::Sigreturn)) = sysno
        && p.signals_sigreturn(k, rt == Sysno::RtSigreturn)
    {
        // The restored context is the result: nothing is written back.
        return Outcome::Continue;
    }
    let mut ctx = Ctx { k, p, args };
    let result = match sysno {
        Some(s) => run(&mut ctx, s),
        None => Err(Fail::Errno(Errno::ENOSYS)),
    };
    let result: SysResult = match result {
        Ok(v) => Ok(v),
        Err(Fail::Errno(Errno::EPIPE)) => {
            // A write to a pipe without readers also raises SIGPIPE (its
            // default action kills the writer).
            ctx.p.raise(crate::linux::signal::SIGPIPE, crate::linux::signal::code::SI_USER);
            Err(Errno::EPIPE)
        }
        Err(Fail::Errno(e)) => {
            if e == Errno::ENOSYS && !silent_enosys(sysno) {
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
        Err(Fail::ThreadExit) => return Outcome::ThreadExit,
        Err(Fail::Exec) => return Outcome::Continue,
    };
    if let Some(h) = &k.plugins {
        let e = crate::plugin::SyscallExit { pid: p.pid, number: nr, name: name(), result };
        h.borrow_mut().syscall_exit(&e);
    }
    set_result(p, result);
    Outcome::Continue
}

/// Fail the call the process stopped at with `e` (a signal interrupted it).
pub(super) fn set_errno(p: &mut Process, e: Errno) {
    set_result(p, Err(e));
}

/// Complete the call the process stopped at with `v` (a futex wait that a
/// wake released just as a signal arrived).
pub(super) fn set_ok(p: &mut Process, v: u64) {
    set_result(p, Ok(v));
}

/// Write a result with the arch's error convention.
fn set_result(p: &mut Process, r: SysResult) {
    set_result_cpu(p.frontend, &mut p.cpu, r);
}

/// Write a result into `cpu` (a new thread's registers, say).
fn set_result_cpu(
    frontend: &dyn crate::arch::Frontend,
    cpu: &mut crate::cpu::CpuState,
    r: SysResult,
) {
    let abi = frontend.syscall_abi();
    let arch = frontend.arch();
    let mask = if arch.is_64bit() { u64::MAX } else { 0xffff_ffff };
    let (value, failed) = match r {
        Ok(v) => (v & mask, false),
        Err(e) => (e.for_arch(arch), true),
    };
    match abi.error {
        ErrorConvention::NegativeErrno => {
            cpu.regs[abi.ret.0 as usize] = if failed { value.wrapping_neg() & mask } else { value };
        }
        ErrorConvention::FlagSlot { flag } => {
            cpu.regs[abi.ret.0 as usize] = value;
            cpu.regs[flag.0 as usize] = failed as u64;
        }
        ErrorConvention::FlagBit { cr, bit } => {
            cpu.regs[abi.ret.0 as usize] = value;
            let c = &mut cpu.regs[cr.0 as usize];
            *c = if failed { *c | (1 << bit) } else { *c & !(1 << bit) };
        }
    }
}

fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    match s {
        Read | Pread64 | Write | Pwrite64 | Readv | Writev | Preadv | Pwritev | Pipe2 | Open
        | Openat | Close | Lseek | Llseek | Getdents64 | Fstat | Fstat64 | Stat | Stat64
        | Lstat | Lstat64 | Newfstatat | Fstatat64 | Statx | Ioctl | Fcntl | Fcntl64 | Dup
        | Dup2 | Dup3 | Unlink | Unlinkat | Rmdir | Mkdir | Mkdirat | Faccessat | Faccessat2
        | Access | Readlink | Readlinkat | Symlink | Symlinkat | Link | Linkat | Rename
        | Renameat | Renameat2 | Chmod | Fchmod | Fchmodat | Fchown | Fchownat | Utimensat
        | Ftruncate | Ftruncate64 | Truncate | Truncate64 | Fsync | Fdatasync | Fadvise64
        | Sendfile | Sendfile64 | CopyFileRange | Poll | Ppoll | PpollTime64 | Newselect
        | Pselect6 | Pselect6Time64 | Getcwd | Chdir | Fchdir | Umask => files::run(c, s),
        Brk | Mmap | Mmap2 | Munmap | Mprotect | Mremap | Madvise | Msync => memory::run(c, s),
        ClockGettime | ClockGettime64 | ClockGetres | ClockGetresTime64 | Gettimeofday | Time
        | Nanosleep | ClockNanosleep | ClockNanosleepTime64 | Times | Getrusage => time::run(c, s),
        RtSigaction | RtSigprocmask | RtSigpending | RtSigsuspend | RtSigtimedwait
        | RtSigtimedwaitTime64 | RtSigqueueinfo | Sigaltstack | Kill | Tkill | Tgkill | Pause
        | Alarm | Setitimer | Getitimer => signals::run(c, s),
        Futex | FutexTime64 | Gettid | SetTidAddress | SetRobustList | GetRobustList => {
            futex::run(c, s)
        }
        TimerCreate | TimerSettime | TimerSettime64 | TimerGettime | TimerGettime64
        | TimerGetoverrun | TimerDelete => time::run(c, s),
        Clone | Clone3 | Fork | Vfork | Execve | Execveat | Wait4 | Waitid => spawn::run(c, s),
        _ => process::run(c, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::overlay::Overlay;
    use crate::linux::{FdTable, ProcessConfig};

    /// Every entry of every arch's syscall table reaches a handler: a call
    /// with all-zero arguments may fail, but never with the ENOSYS event
    /// of an unhandled call, except the calls that fail so on purpose
    /// ([`silent_enosys`], which records no event either way).
    #[test]
    fn every_syscall_table_entry_has_a_handler() {
        let bins = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest/bin");
        let mut unhandled = Vec::new();
        let mut calls = 0;
        for arch in crate::arch::supported_arches() {
            let frontend = crate::arch::frontend_for(arch).expect("a supported arch");
            let image = std::fs::read(bins.join(arch.name()).join("false")).expect("guest/bin");
            let engine: crate::linux::EngineFactory = std::rc::Rc::new(|f, _| {
                crate::engine_for(crate::engine::EngineKind::Interp, f, 64, 0)
            });
            let cfg = ProcessConfig { arch, engine };
            let abi = frontend.syscall_abi();
            for &(nr, s) in abi.table {
                // A fresh world per call: nothing one call does (exit,
                // fork, a signal) reaches the next.
                let mut k = Kernel::new(Box::new(Overlay::new(Vec::new(), 0)), 1);
                let argv = [b"false".to_vec()];
                let mut p = Process::spawn(&cfg, &mut k, 1, &image, b"/bin/false", &argv, &[], {
                    FdTable::default()
                })
                .expect("spawn");
                p.cpu.regs[abi.number.0 as usize] = nr as u64;
                for slot in abi.args {
                    p.cpu.regs[slot.0 as usize] = 0;
                }
                let _ = dispatch(&mut k, &mut p, false);
                calls += 1;
                if k.events.iter().any(|e| matches!(e, Event::UnsupportedSyscall { .. })) {
                    unhandled.push(format!("{arch}: {nr} ({})", s.name()));
                }
            }
        }
        assert!(calls > 600, "only {calls} table entries");
        assert!(unhandled.is_empty(), "table entries without a handler: {unhandled:?}");
    }
}

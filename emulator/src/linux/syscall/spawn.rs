//! Process creation and reaping: `fork`, `vfork` and `clone`/`clone3` in
//! the forms glibc uses for `fork` and `posix_spawn`, `execve`/`execveat`
//! of static, dynamic and `#!` programs, and `wait4`/`waitid` (exits,
//! and with `WUNTRACED`/`WSTOPPED` and `WCONTINUED` stops and continues).
//!
//! A thread (`CLONE_THREAD`, with `CLONE_VM` and `CLONE_SIGHAND`, as
//! glibc's `pthread_create` asks) joins the caller's group: it shares the
//! address space, its translations, descriptors and dispositions, and has
//! its own registers, TLS pointer, signal mask and pending signals (see
//! `linux::thread`). Any other child is a process with a copy of its
//! parent's memory, even for `CLONE_VM`: glibc's `posix_spawn` child only
//! runs until it execs, so a copy behaves the same except that an exec
//! failure it reports through shared memory is not seen (the child still
//! exits 127). New processes go to `Kernel::spawned`; the caller
//! schedules them.

use super::uaccess::Ctx;
use super::{AT_FDCWD, Fail, R, set_result, set_result_cpu};
use crate::arch::Sysno;
use crate::cpu::CpuState;
use crate::linux::arch::linux_abi;
use crate::linux::errno::Errno;
use crate::linux::{ChildInfo, ExitStatus, HostError, Process, SplitMix64};
use crate::mem::CopyError;
use crate::types::StreamHash;

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_THREAD: u64 = 0x1_0000;
const CLONE_SYSVSEM: u64 = 0x4_0000;
/// Flags a thread can honour (glibc's `pthread_create` passes all of
/// them but `CLONE_VFORK`).
const THREAD_SUPPORTED: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_SETTID
    | CLONE_CHILD_CLEARTID;
/// Flags a process copy can honour.
const SUPPORTED: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_VFORK
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID
    | CLONE_SETTLS;
/// Most argv plus envp entries `execve` takes, and their total size.
const MAX_ARGS: usize = 4096;
const MAX_ARG_BYTES: usize = 1 << 20;
/// `#!` interpreters followed before `ELOOP`, as in Linux.
const MAX_INTERP_DEPTH: usize = 4;

pub(super) fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    match s {
        Fork => do_clone(c, 0, c.abi_sigchld(), 0, 0, 0, 0),
        Vfork => do_clone(c, CLONE_VM | CLONE_VFORK, c.abi_sigchld(), 0, 0, 0, 0),
        Clone => {
            let flags = c.arg(0);
            let (ptid, tls, ctid) = if linux_abi(c.p.arch).clone_backwards {
                (c.arg(2), c.arg(3), c.arg(4))
            } else {
                (c.arg(2), c.arg(4), c.arg(3))
            };
            do_clone(c, flags & !0xff, flags & 0xff, c.arg(1), ptid, ctid, tls)
        }
        Clone3 => {
            // struct clone_args: flags, pidfd, child_tid, parent_tid,
            // exit_signal, stack, stack_size, tls (u64 each).
            let size = c.arg(1);
            if size < 64 {
                return Err(Errno::EINVAL.into());
            }
            let a = c.arg(0);
            let word = |i: u64| c.get_u64(a + 8 * i);
            let (flags, ctid, ptid, sig) = (word(0)?, word(2)?, word(3)?, word(4)?);
            let (stack, stack_size, tls) = (word(5)?, word(6)?, word(7)?);
            let sp = if stack == 0 { 0 } else { stack.wrapping_add(stack_size) };
            do_clone(c, flags, sig, sp, ptid, ctid, tls)
        }
        Execve => {
            let path = c.path(c.arg(0))?;
            let (argv, envp) = (c.arg(1), c.arg(2));
            sys_execve(c, AT_FDCWD, &path, argv, envp, 0)
        }
        Execveat => {
            let path = c.path(c.arg(1))?;
            let (argv, envp) = (c.arg(2), c.arg(3));
            sys_execve(c, c.arg_int(0), &path, argv, envp, c.arg(4))
        }
        Wait4 => sys_wait4(c),
        Waitid => sys_waitid(c),
        _ => Err(Errno::ENOSYS.into()),
    }
}

impl Ctx<'_> {
    fn abi_sigchld(&self) -> u64 {
        u64::from(linux_abi(self.p.arch).signal.numbers.sigchld)
    }
}

fn do_clone(
    c: &mut Ctx,
    flags: u64,
    _exit_signal: u64,
    sp: u64,
    ptid: u64,
    ctid: u64,
    tls: u64,
) -> R {
    if flags & CLONE_THREAD != 0 {
        return clone_thread(c, flags, sp, ptid, ctid, tls);
    }
    if flags & !SUPPORTED != 0 {
        return Err(Errno::ENOSYS.into());
    }
    c.k.start_task()?;
    let mem = match c.p.mem.fork_copy() {
        Ok(mem) => mem,
        Err(e) => {
            c.k.limits.end_task();
            if let CopyError::Reserve(why) = e {
                // The host, not the guest, failed: the world stops and
                // reports it (see `Kernel::host_error`).
                let why = why.to_string();
                c.k.host_error.get_or_insert(HostError::Reserve { pid: c.p.pid, why });
            }
            return Err(Errno::ENOMEM.into());
        }
    };
    let pid = c.k.alloc_pid();
    let mut cpu: CpuState = c.p.cpu.clone();
    let sp_slot = c.p.frontend.stack_pointer();
    if sp != 0 {
        cpu.regs[sp_slot.0 as usize] = sp;
    }
    if flags & CLONE_SETTLS != 0 {
        c.p.frontend.set_thread_pointer(&mut cpu, tls);
    }
    let engine = (c.p.engine_factory)(c.p.frontend, pid);
    let mut child = Process {
        pid,
        arch: c.p.arch,
        frontend: c.p.frontend,
        cpu,
        mem,
        engine,
        fds: c.p.fds.clone(),
        rng: SplitMix64(c.p.rng.next_u64() ^ pid as u64),
        exit: None,
        name: c.p.name.clone(),
        cwd: c.p.cwd.clone(),
        sleep_until: None,
        pending_syscall: false,
        blocked_at: None,
        write_progress: 0,
        yield_now: false,
        portal_len: 0,
        output_hash: StreamHash::default(),
        exe: c.p.exe.clone(),
        cmdline: c.p.cmdline.clone(),
        ppid: c.p.pid,
        pgid: c.p.pgid,
        sid: c.p.sid,
        umask: c.p.umask,
        rlimits: c.p.rlimits,
        engine_factory: c.p.engine_factory.clone(),
        signals: c.p.signals.forked(),
        // Only the calling thread lives on in the child.
        tid: pid,
        threads: Vec::new(),
        exited_insns: 0,
        timeout_at: None,
        clear_child_tid: if flags & CLONE_CHILD_CLEARTID != 0 { ctid } else { 0 },
        robust_list: c.p.robust_list,
        futex_wait: None,
        futex_queue: Vec::new(),
        futex_woken: std::collections::BTreeSet::new(),
        timers: Vec::new(),
        deferred_signals: Vec::new(),
        compute_streak: 0,
    };
    // The portal mapping, if any, was copied with the memory.
    child.portal_len = c.p.portal_len;
    let tid = c.encode(pid as u64, 4);
    if flags & CLONE_PARENT_SETTID != 0 {
        c.put(ptid, &tid)?;
        let _ = child.mem.write_checked(ptid, &tid);
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        let _ = child.mem.write_checked(ctid, &tid);
    }
    set_result(&mut child, Ok(0));
    let info =
        ChildInfo { ppid: c.p.pid, pgid: c.p.pgid, status: None, stopped: None, continued: false };
    c.k.children.insert(pid, info);
    child.publish_maps(c.k);
    c.k.spawned.push(child);
    Ok(pid as u64)
}

/// `clone(CLONE_THREAD | ...)`: a new thread of the caller's group.
fn clone_thread(c: &mut Ctx, flags: u64, sp: u64, ptid: u64, ctid: u64, tls: u64) -> R {
    // Linux's rules: a thread shares the handlers, which needs the
    // address space.
    if flags & CLONE_SIGHAND == 0 || flags & CLONE_VM == 0 {
        return Err(Errno::EINVAL.into());
    }
    if flags & !THREAD_SUPPORTED != 0 {
        return Err(Errno::ENOSYS.into());
    }
    if c.k.threads >= crate::linux::thread::MAX_THREADS_PER_CELL {
        return Err(Errno::EAGAIN.into());
    }
    let tid = c.k.alloc_pid();
    let tid_bytes = c.encode(tid as u64, 4);
    if flags & CLONE_PARENT_SETTID != 0 {
        c.put(ptid, &tid_bytes)?;
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        c.put(ctid, &tid_bytes)?;
    }
    let mut cpu: CpuState = c.p.cpu.clone();
    // The new thread's clock reads the caller's; its own count starts at
    // zero, so the group's total counts every instruction once.
    cpu.vclock_bias = c.p.cpu.vclock_ns();
    cpu.icount = 0;
    if sp != 0 {
        cpu.regs[c.p.frontend.stack_pointer().0 as usize] = sp;
    }
    if flags & CLONE_SETTLS != 0 {
        c.p.frontend.set_thread_pointer(&mut cpu, tls);
    }
    c.p.frontend.clear_reservation(&mut cpu);
    set_result_cpu(c.p.frontend, &mut cpu, Ok(0));
    let clear = if flags & CLONE_CHILD_CLEARTID != 0 { ctid } else { 0 };
    c.p.add_thread(tid, cpu, clear);
    c.k.threads += 1;
    c.k.thread_groups.insert(tid, c.p.pid);
    Ok(tid as u64)
}

/// A NULL-terminated array of string pointers in guest memory.
fn string_array(c: &Ctx, addr: u64, total: &mut usize) -> Result<Vec<Vec<u8>>, Fail> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let w = c.word_size();
    for i in 0.. {
        if out.len() >= MAX_ARGS {
            return Err(Errno::E2BIG.into());
        }
        let p = c.get_word(addr + i * w)?;
        if p == 0 {
            break;
        }
        let s = c.p.mem.read_cstr(p, MAX_ARG_BYTES)?;
        *total += s.len() + 1;
        if *total > MAX_ARG_BYTES {
            return Err(Errno::E2BIG.into());
        }
        out.push(s);
    }
    Ok(out)
}

fn sys_execve(c: &mut Ctx, dirfd: i64, path: &[u8], argv: u64, envp: u64, flags: u64) -> R {
    const AT_EMPTY_PATH: u64 = 0x1000;
    let mut total = 0;
    let mut args = string_array(c, argv, &mut total)?;
    let env = string_array(c, envp, &mut total)?;
    let mut abs = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        c.p.fds.get(dirfd as u64)?.borrow().path.clone()
    } else {
        c.lookup(dirfd, path, true)?
    };
    let mut image = read_program(c, &abs)?;
    let mut depth = 0;
    while image.starts_with(b"#!") {
        depth += 1;
        if depth > MAX_INTERP_DEPTH {
            return Err(Errno::ELOOP.into());
        }
        // "#!interp [one argument]", on the first line, at most 256 bytes.
        let line_end = image.iter().position(|&b| b == b'\n').unwrap_or(image.len()).min(256);
        let line: Vec<u8> = image[2..line_end].to_vec();
        let line = line.trim_ascii();
        let (interp, arg) = match line.iter().position(|b| b.is_ascii_whitespace()) {
            Some(i) => (line[..i].to_vec(), Some(line[i..].trim_ascii().to_vec())),
            None => (line.to_vec(), None),
        };
        if interp.is_empty() {
            return Err(Errno::ENOEXEC.into());
        }
        let mut new_args = vec![interp.clone()];
        new_args.extend(arg.filter(|a| !a.is_empty()));
        new_args.push(abs.clone());
        new_args.extend(args.into_iter().skip(1));
        args = new_args;
        abs = c.lookup(AT_FDCWD, &interp, true)?;
        image = read_program(c, &abs)?;
    }
    if !image.starts_with(b"\x7fELF") {
        return Err(Errno::ENOEXEC.into());
    }
    c.p.exec_image(c.k, &image, &abs, &args, &env).map_err(|e| match e {
        crate::linux::SpawnError::Limit(errno) => errno,
        // Program and interpreter FP ABIs leave no FPU mode (mips).
        crate::linux::SpawnError::Load(crate::loader::LoadError::FpAbi(_)) => Errno::ELIBBAD,
        e => {
            if let Some(h) = e.host_error(c.p.pid) {
                c.k.host_error.get_or_insert(h);
            }
            Errno::ENOEXEC
        }
    })?;
    c.p.fds.close_on_exec();
    c.p.signals.exec();
    Err(Fail::Exec)
}

/// The bytes of an executable regular file.
fn read_program(c: &mut Ctx, abs: &[u8]) -> Result<crate::linux::FileBytes, Fail> {
    let st = c.lstat_abs(abs)?;
    if st.mode & crate::linux::abi::S_IFMT != crate::linux::abi::S_IFREG {
        return Err(Errno::EACCES.into());
    }
    if st.mode & 0o111 == 0 {
        return Err(Errno::EACCES.into());
    }
    Ok(crate::linux::read_guest_file(c.k.fs.as_mut(), abs)?)
}

/// Which children a `wait` selector matches.
fn matches(c: &Ctx, sel: i64, child: &ChildInfo, pid: u32) -> bool {
    child.ppid == c.p.pid
        && match sel {
            -1 => true,
            0 => child.pgid == c.p.pgid,
            s if s > 0 => pid as i64 == s,
            s => child.pgid as i64 == -s,
        }
}

/// What `wait4`/`waitid` reports about a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WaitEvent {
    Exited(ExitStatus),
    /// Stopped by this signal.
    Stopped(u32),
    Continued,
}

const WNOHANG: u64 = 1;
/// `WUNTRACED` of `wait4`, `WSTOPPED` of `waitid`.
const WUNTRACED: u64 = 2;
const WEXITED: u64 = 4;
const WCONTINUED: u64 = 8;
const WNOWAIT: u64 = 0x0100_0000;

/// The first (lowest pid) matching child with something to report that
/// `options` asks for (an exit before a stop before a continue, as
/// Linux's `wait_consider_task` looks); `Err(ECHILD)` when nothing
/// matches at all; `Ok(None)` while the matches have nothing to report.
fn find_event(c: &Ctx, sel: i64, options: u64) -> Result<Option<(u32, WaitEvent)>, Fail> {
    let mut any = false;
    for (&pid, info) in &c.k.children {
        if matches(c, sel, info, pid) {
            any = true;
            match info.status {
                Some(st) if options & WEXITED != 0 => {
                    return Ok(Some((pid, WaitEvent::Exited(st))));
                }
                Some(_) => continue,
                None => {}
            }
            if let Some(sig) = info.stopped.filter(|_| options & WUNTRACED != 0) {
                return Ok(Some((pid, WaitEvent::Stopped(sig))));
            }
            if info.continued && options & WCONTINUED != 0 {
                return Ok(Some((pid, WaitEvent::Continued)));
            }
        }
    }
    if any { Ok(None) } else { Err(Errno::ECHILD.into()) }
}

/// Consume a reported event: a reaped zombie goes, a stop or continue is
/// reported once.
fn consume(c: &mut Ctx, pid: u32, ev: WaitEvent) {
    match ev {
        WaitEvent::Exited(_) => {
            c.k.children.remove(&pid);
        }
        WaitEvent::Stopped(_) => {
            if let Some(ch) = c.k.children.get_mut(&pid) {
                ch.stopped = None;
            }
        }
        WaitEvent::Continued => {
            if let Some(ch) = c.k.children.get_mut(&pid) {
                ch.continued = false;
            }
        }
    }
}

fn sys_wait4(c: &mut Ctx) -> R {
    let (sel, status, options) = (c.arg_int(0), c.arg(1), c.arg(2));
    // wait4 always reports exits.
    match find_event(c, sel, options | WEXITED)? {
        Some((pid, ev)) => {
            if status != 0 {
                let v = match ev {
                    WaitEvent::Exited(ExitStatus::Exited(code)) => (code as u64) << 8,
                    WaitEvent::Exited(ExitStatus::Signaled(sig)) => sig as u64,
                    WaitEvent::Stopped(sig) => ((sig as u64) << 8) | 0x7f,
                    WaitEvent::Continued => 0xffff,
                };
                c.put_u32s(status, &[v as u32])?;
            }
            if c.arg(3) != 0 {
                // struct rusage: all zero (18 longs).
                let zeros = vec![0u8; 18 * c.word_size() as usize];
                c.put(c.arg(3), &zeros)?;
            }
            consume(c, pid, ev);
            Ok(pid as u64)
        }
        None if options & WNOHANG != 0 => Ok(0),
        None => Err(Fail::Block),
    }
}

fn sys_waitid(c: &mut Ctx) -> R {
    let (idtype, id, infop, options) = (c.arg(0), c.arg_int(1), c.arg(2), c.arg(3));
    if options & (WEXITED | WUNTRACED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL.into());
    }
    let sel = match idtype {
        0 => -1,           // P_ALL
        1 if id > 0 => id, // P_PID
        2 => -id.max(0),   // P_PGID (0: the caller's group)
        _ => return Err(Errno::EINVAL.into()),
    };
    let found = match find_event(c, sel, options)? {
        Some(z) => Some(z),
        None if options & WNOHANG != 0 => None,
        None => return Err(Fail::Block),
    };
    if infop != 0 {
        // siginfo_t: signo, errno, code (mips: signo, code, errno), then
        // on 64-bit arches 4 bytes of padding, then pid, uid, status.
        let mut info = vec![0u8; 128];
        if let Some((pid, ev)) = found {
            let abi = linux_abi(c.p.arch);
            use crate::linux::signal::code;
            let (code, status) = match ev {
                WaitEvent::Exited(ExitStatus::Exited(v)) => (code::CLD_EXITED, v as u64),
                WaitEvent::Exited(ExitStatus::Signaled(s)) => (code::CLD_KILLED, s as u64),
                WaitEvent::Stopped(s) => (code::CLD_STOPPED, s as u64),
                WaitEvent::Continued => {
                    (code::CLD_CONTINUED, u64::from(abi.signal.numbers.sigcont))
                }
            };
            let code = code as u64;
            let (second, third) = if abi.signal.siginfo_code_first { (code, 0) } else { (0, code) };
            let mut head = c.encode(u64::from(abi.signal.numbers.sigchld), 4);
            head.extend(c.encode(second, 4));
            head.extend(c.encode(third, 4));
            if c.wide() {
                head.extend([0; 4]);
            }
            head.extend(c.encode(pid as u64, 4));
            head.extend(c.encode(0, 4));
            head.extend(c.encode(status, 4));
            info[..head.len()].copy_from_slice(&head);
        }
        c.put(infop, &info)?;
    }
    if let Some((pid, ev)) = found
        && options & WNOWAIT == 0
    {
        consume(c, pid, ev);
    }
    Ok(0)
}

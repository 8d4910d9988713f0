//! Signal and timer system calls: `rt_sigaction`, `rt_sigprocmask`,
//! `rt_sigpending`, `rt_sigsuspend`, `rt_sigtimedwait`, `sigaltstack`,
//! `kill`/`tkill`/`tgkill`/`rt_sigqueueinfo`, `alarm`, `setitimer`,
//! `getitimer` and `pause`. The state they change and the delivery live in
//! `linux::signal`; `rt_sigreturn` is dispatched directly (it writes no
//! result). Timers count virtual time, never host time.

use super::uaccess::Ctx;
use super::{Fail, R};
use crate::arch::Sysno;
use crate::linux::arch::linux_abi;
use crate::linux::errno::Errno;
use crate::linux::signal::{
    AltStack, NSIG, SIG_IGN, SS_DISABLE, SS_ONSTACK, SigAction, SigInfo, bit, code, unblockable,
};

/// `MINSIGSTKSZ` (2048 on every arch Bohr runs).
const MINSIGSTKSZ: u64 = 2048;

pub(super) fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    let abi = linux_abi(c.p.arch).signal;
    match s {
        RtSigaction => {
            let sig = c.arg(0) as u32;
            if c.arg(3) != abi.sigset_bytes || sig == 0 || sig > NSIG {
                return Err(Errno::EINVAL.into());
            }
            if c.arg(1) != 0 && unblockable(abi) & bit(sig) != 0 {
                return Err(Errno::EINVAL.into());
            }
            let l = abi.sigaction;
            let fw = if l.flags_u32 { 4 } else { c.word_size() as usize };
            let new = if c.arg(1) != 0 {
                let a = c.arg(1);
                Some(SigAction {
                    handler: c.get_word(a + l.handler)?,
                    flags: c.decode(&c.get(a + l.flags, fw)?),
                    restorer: match l.restorer {
                        Some(r) => c.get_word(a + r)?,
                        None => 0,
                    },
                    mask: get_sigset(c, a + l.mask)?,
                })
            } else {
                None
            };
            let old = c.p.signals.action(sig);
            if c.arg(2) != 0 {
                let a = c.arg(2);
                c.put_words(a + l.handler, &[old.handler])?;
                let f = c.encode(old.flags, fw);
                c.put(a + l.flags, &f)?;
                if let Some(r) = l.restorer {
                    c.put_words(a + r, &[old.restorer])?;
                }
                put_sigset(c, a + l.mask, old.mask)?;
            }
            if let Some(mut new) = new {
                new.mask &= !unblockable(abi);
                c.p.signals.actions[(sig - 1) as usize] = new;
                if new.handler == SIG_IGN {
                    // Discarded from every thread and the group, as Linux
                    // flushes them.
                    c.p.flush_signal(sig);
                }
            }
            Ok(0)
        }
        RtSigprocmask => {
            if c.arg(3) != abi.sigset_bytes {
                return Err(Errno::EINVAL.into());
            }
            let old = c.p.signals.mask;
            if c.arg(1) != 0 {
                let set = get_sigset(c, c.arg(1))?;
                let how = c.arg(0);
                // SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK: 1, 2, 3 on mips.
                let base = if c.p.arch.is_64bit() || abi.sa.siginfo != 8 { 0 } else { 1 };
                let new = match how.wrapping_sub(base) {
                    0 => old | set,
                    1 => old & !set,
                    2 => set,
                    _ => return Err(Errno::EINVAL.into()),
                };
                c.p.signals.mask = new & !unblockable(abi);
            }
            if c.arg(2) != 0 {
                put_sigset(c, c.arg(2), old)?;
            }
            Ok(0)
        }
        RtSigpending => {
            if c.arg(1) > abi.sigset_bytes {
                return Err(Errno::EINVAL.into());
            }
            // The thread's own and the group's, as far as blocked (an
            // unblocked one is delivered on the way out).
            let set = c.p.signals.pending_set() & c.p.signals.mask;
            put_sigset(c, c.arg(0), set)?;
            Ok(0)
        }
        RtSigsuspend => {
            if c.p.signals.suspend_saved.is_none() {
                if c.arg(1) != abi.sigset_bytes {
                    return Err(Errno::EINVAL.into());
                }
                let set = get_sigset(c, c.arg(0))?;
                c.p.signals.suspend_saved = Some(c.p.signals.mask);
                c.p.signals.mask = set & !unblockable(abi);
            }
            // Until a signal is delivered (it ends the call with EINTR).
            Err(Fail::Block)
        }
        Pause => Err(Fail::Block),
        RtSigtimedwait | RtSigtimedwaitTime64 => {
            if c.arg(3) != abi.sigset_bytes {
                return Err(Errno::EINVAL.into());
            }
            let set = get_sigset(c, c.arg(0))? & !unblockable(abi);
            if let Some(info) = c.p.signals.take_from(set) {
                c.p.sleep_until = None;
                if c.arg(1) != 0 {
                    put_siginfo(c, c.arg(1), &info)?;
                }
                return Ok(info.signo as u64);
            }
            if c.arg(2) != 0 {
                if c.p.sleep_until.is_none() {
                    let ns = super::time::read_timespec(c, c.arg(2), s == RtSigtimedwaitTime64)?;
                    c.p.sleep_until = Some(c.p.cpu.vclock_ns().saturating_add(ns));
                }
                if c.p.sleep_until.is_some_and(|d| d <= c.p.cpu.vclock_ns()) {
                    c.p.sleep_until = None;
                    return Err(Errno::EAGAIN.into());
                }
            }
            Err(Fail::Block)
        }
        Sigaltstack => {
            // stack_t: ss_sp, ss_flags (int), ss_size; mips has ss_size
            // before ss_flags.
            let w = c.word_size();
            let (flags_off, size_off) = if abi.stack_size_first { (2 * w, w) } else { (w, 2 * w) };
            let sp = c.p.cpu.regs[c.p.frontend.stack_pointer().0 as usize];
            let old = c.p.signals.altstack;
            let on = c.p.on_altstack(sp);
            if c.arg(0) != 0 {
                let a = c.arg(0);
                let new_sp = c.get_word(a)?;
                let flags = c.decode(&c.get(a + flags_off, 4)?) as u32;
                let size = c.get_word(a + size_off)?;
                if on {
                    return Err(Errno::EPERM.into());
                }
                // SS_AUTODISARM (1 << 31) may accompany 0 or SS_ONSTACK.
                let mode = flags & !(1 << 31);
                c.p.signals.altstack = match mode {
                    SS_DISABLE => AltStack { sp: 0, size: 0, flags: SS_DISABLE },
                    0 | SS_ONSTACK => {
                        if size < MINSIGSTKSZ {
                            return Err(Errno::ENOMEM.into());
                        }
                        AltStack { sp: new_sp, size, flags: flags & (1 << 31) }
                    }
                    _ => return Err(Errno::EINVAL.into()),
                };
            }
            if c.arg(1) != 0 {
                let a = c.arg(1);
                let flags = if old.size == 0 {
                    SS_DISABLE
                } else if on {
                    SS_ONSTACK
                } else {
                    old.flags
                };
                c.put_words(a, &[old.sp])?;
                c.put_u32s(a + flags_off, &[flags])?;
                c.put_words(a + size_off, &[old.size])?;
            }
            Ok(0)
        }
        Kill | Tkill | Tgkill | RtSigqueueinfo => send_signal(c, s),
        Alarm => {
            let left = arm_alarm(c, c.arg(0).saturating_mul(1_000_000_000), 0);
            // Remaining seconds, rounded to the nearest, at least 1.
            Ok(left.map_or(0, |ns| ((ns + 500_000_000) / 1_000_000_000).max(1)))
        }
        Setitimer => {
            if c.arg(0) != 0 {
                // Only ITIMER_REAL: the virtual and profiling timers
                // count CPU time, which Bohr does not model per signal.
                return Err(Errno::EINVAL.into());
            }
            let w = c.word_size();
            let (iv, val) = if c.arg(1) != 0 {
                let a = c.arg(1);
                let read = |c: &Ctx, off: u64| -> Result<u64, Fail> {
                    let s = c.get_word(a + off)?;
                    let us = c.get_word(a + off + w)?;
                    if us >= 1_000_000 {
                        return Err(Errno::EINVAL.into());
                    }
                    Ok(s.saturating_mul(1_000_000_000).saturating_add(us * 1000))
                };
                (read(c, 0)?, read(c, 2 * w)?)
            } else {
                (0, 0)
            };
            let old_iv = c.p.signals.alarm_interval;
            let left = if c.arg(1) != 0 { arm_alarm(c, val, iv) } else { alarm_left(c) };
            if c.arg(2) != 0 {
                put_itimerval(c, c.arg(2), old_iv, left.unwrap_or(0))?;
            }
            Ok(0)
        }
        Getitimer => {
            if c.arg(0) != 0 {
                return Err(Errno::EINVAL.into());
            }
            let left = alarm_left(c).unwrap_or(0);
            let iv = c.p.signals.alarm_interval;
            put_itimerval(c, c.arg(1), iv, left)?;
            Ok(0)
        }
        _ => Err(Errno::ENOSYS.into()),
    }
}

/// `kill`, `tkill`, `tgkill`, `rt_sigqueueinfo`.
fn send_signal(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    let abi = linux_abi(c.p.arch).signal;
    let (target, sig) = match s {
        Tgkill => (c.arg_int(1), c.arg_int(2)),
        _ => (c.arg_int(0), c.arg_int(1)),
    };
    if sig < 0 || sig > NSIG as i64 {
        return Err(Errno::EINVAL.into());
    }
    let me = c.p.pid;
    if matches!(s, Tkill | Tgkill) {
        // Thread-directed: the tid must be alive, and for tgkill in the
        // group named (ESRCH otherwise, as Linux's `do_tkill`).
        if target <= 0 || (s == Tgkill && c.arg_int(0) <= 0) {
            return Err(Errno::EINVAL.into());
        }
        let tid = target as u32;
        let group = group_of(c, tid).ok_or(Errno::ESRCH)?;
        if s == Tgkill && c.arg_int(0) != group as i64 {
            return Err(Errno::ESRCH.into());
        }
        if sig != 0 {
            let info =
                SigInfo { signo: sig as u32, code: code::SI_TKILL, pid: me, ..Default::default() };
            if group == me {
                c.p.send_thread(tid, info);
                c.p.report_continue(c.k);
            } else {
                c.k.thread_outbox.push((tid, info));
            }
        }
        return Ok(0);
    }
    // Who receives it: the caller and the live processes it forked (the
    // ones the kernel knows), by pid (any thread's tid names its
    // process), group or all.
    let target = match c.k.thread_groups.get(&(target.max(0) as u32)) {
        Some(&g) => g as i64,
        None => target,
    };
    let group = match target {
        0 if s == Kill => Some(c.p.pgid),
        t if t < -1 && s == Kill => Some((-t) as u32),
        _ => None,
    };
    let hits = |pid: u32, pgid: u32| match (s, target) {
        (Kill, -1) => true,
        _ if group.is_some() => group == Some(pgid),
        _ => pid as i64 == target,
    };
    let mut targets: Vec<u32> =
        c.k.children
            .iter()
            .filter(|(pid, ch)| ch.status.is_none() && **pid != me && hits(**pid, ch.pgid))
            .map(|(pid, _)| *pid)
            .collect();
    let to_self = hits(me, c.p.pgid);
    if targets.is_empty() && !to_self {
        return Err(Errno::ESRCH.into());
    }
    if sig == 0 {
        return Ok(0);
    }
    let code = match s {
        Kill => code::SI_USER,
        _ => {
            // rt_sigqueueinfo: the caller's si_code, which may not pose as
            // the kernel's.
            let ci = if abi.siginfo_code_first { 4 } else { 8 };
            let code = c.decode(&c.get(c.arg(2) + ci, 4)?) as u32 as i32;
            if code >= 0 {
                return Err(Errno::EPERM.into());
            }
            code
        }
    };
    let info = SigInfo { signo: sig as u32, code, pid: me, uid: 0, ..Default::default() };
    for t in targets.drain(..) {
        c.k.signal_outbox.push((t, info));
    }
    if to_self {
        c.p.send_process(info);
        c.p.report_continue(c.k);
    }
    Ok(0)
}

/// The process (thread group) of live thread `tid`: the caller's, a
/// thread created by `clone`, or a live process the kernel knows.
fn group_of(c: &Ctx, tid: u32) -> Option<u32> {
    if c.p.thread_ids().contains(&tid) {
        return Some(c.p.pid);
    }
    if let Some(&g) = c.k.thread_groups.get(&tid) {
        return Some(g);
    }
    c.k.children.get(&tid).filter(|ch| ch.status.is_none()).map(|_| tid)
}

/// Time left on the alarm, if armed.
fn alarm_left(c: &Ctx) -> Option<u64> {
    let now = c.p.cpu.vclock_ns();
    c.p.signals.alarm_at.map(|at| at.saturating_sub(now).max(1))
}

/// Arm (or with `ns == 0` disarm) `ITIMER_REAL`; returns what was left.
fn arm_alarm(c: &mut Ctx, ns: u64, interval: u64) -> Option<u64> {
    let left = alarm_left(c);
    let now = c.p.cpu.vclock_ns();
    c.p.signals.alarm_at = (ns > 0).then(|| now.saturating_add(ns));
    c.p.signals.alarm_interval = if ns > 0 { interval } else { 0 };
    left
}

fn put_itimerval(c: &mut Ctx, addr: u64, iv: u64, val: u64) -> Result<(), Fail> {
    let tv = |ns: u64| [ns / 1_000_000_000, (ns % 1_000_000_000) / 1000];
    let (a, b) = (tv(iv), tv(val));
    c.put_words(addr, &[a[0], a[1], b[0], b[1]])
}

/// Read a `sigset_t` (its first 64 signals) at `addr`.
fn get_sigset(c: &Ctx, addr: u64) -> Result<u64, Fail> {
    if c.wide() {
        return c.get_u64(addr);
    }
    let lo = c.decode(&c.get(addr, 4)?);
    let hi = c.decode(&c.get(addr + 4, 4)?);
    Ok(lo | (hi << 32))
}

/// Write a `sigset_t` of the arch's size (signals past 64 clear).
fn put_sigset(c: &mut Ctx, addr: u64, set: u64) -> Result<(), Fail> {
    let n = linux_abi(c.p.arch).signal.sigset_bytes as usize;
    let mut out = if c.wide() {
        c.encode(set, 8)
    } else {
        let mut v = c.encode(set & 0xffff_ffff, 4);
        v.extend(c.encode(set >> 32, 4));
        v
    };
    out.resize(n, 0);
    c.put(addr, &out)
}

fn put_siginfo(c: &mut Ctx, addr: u64, info: &SigInfo) -> Result<(), Fail> {
    let abi = linux_abi(c.p.arch).signal;
    let mut w = crate::linux::signal::FrameWriter::new(c.p, 128);
    crate::linux::signal::write_siginfo(&mut w, abi, 0, info);
    c.put(addr, &w.buf)
}

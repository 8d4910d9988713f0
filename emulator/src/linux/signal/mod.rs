//! Signals: the per-process dispositions, mask, pending queues, alternate
//! stack and `alarm` timer ([`SigState`]), delivery, and job control's
//! stop and continue.
//!
//! Signals are numbered as the guest's arch numbers them (mips differs);
//! the per-arch facts (numbers, `struct sigaction`, `SA_*` bits, siginfo
//! and frame layouts, trampoline code) come from `linux::arch`. The
//! system calls that change this state live in `syscall::signals`; the
//! process's run loop (`Process::run`) calls [`Process::signal_point`] at
//! its deterministic delivery points: before it runs guest code, after
//! every system call and when a blocked call is retried. A synchronous
//! fault is delivered at the faulting instruction, which re-runs when the
//! handler returns. Nothing here reads host time: the `alarm` deadline is
//! virtual nanoseconds, and the run loop never lets the engine run past it.
//!
//! As in Linux, a thread-directed signal (`tkill`, a fault) waits in its
//! thread's queue and a process-directed one (`kill`, timers, `SIGCHLD`)
//! in the group's shared queue ([`SigState::shared`]), where the first
//! thread to reach a delivery point without blocking it takes it: one
//! that every thread blocks stays there until some thread unblocks it.
//!
//! A stop signal whose action is the default stops the whole group
//! (`Process::stopped`): no thread runs until `SIGCONT` or `SIGKILL`
//! arrives. The parent learns of a stop and of a continue through
//! `wait4`/`waitid` (`ChildInfo`) and a `SIGCHLD` with `CLD_STOPPED` or
//! `CLD_CONTINUED`, unless its `SIGCHLD` action has `SA_NOCLDSTOP`. A
//! stopped process names its stop signal in a deadlock report.
//!
//! Frames are written by the per-arch builders ([`riscv64`], [`aarch64`],
//! [`powerpc64`], [`mips`], [`armel`]); an arch without one yet gives a caught signal
//! its default action.

mod aarch64;
mod armel;
mod mips;
mod powerpc64;
mod riscv64;

use super::arch::{FrameKind, SignalAbi, linux_abi};
use super::{Errno, ExitStatus, Kernel, Process, RunState};
use crate::arch::Sysno;
use crate::ir::Endian;
use crate::mem::{PAGE_SIZE, Perms};

/// Highest signal number Bohr tracks (`_NSIG` of the 64-signal arches;
/// mips's signals 65–128 are refused with `EINVAL`).
pub const NSIG: u32 = 64;
pub const SIGKILL: u32 = 9;
pub const SIGSEGV: u32 = 11;
pub const SIGPIPE: u32 = 13;
pub const SIGALRM: u32 = 14;

/// `SA_NOCLDSTOP`: bit 0 of `sa_flags` on every arch.
pub const SA_NOCLDSTOP: u64 = 1;

/// `SIG_DFL` and `SIG_IGN` handler values.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// `si_code` values (`include/uapi/asm-generic/siginfo.h`).
pub mod code {
    pub const SI_USER: i32 = 0;
    pub const SI_KERNEL: i32 = 0x80;
    pub const SI_TKILL: i32 = -6;
    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
    pub const ILL_ILLOPC: i32 = 1;
    pub const TRAP_BRKPT: i32 = 1;
    pub const FPE_INTDIV: i32 = 1;
    pub const FPE_FLTDIV: i32 = 3;
    pub const FPE_FLTOVF: i32 = 4;
    pub const FPE_FLTUND: i32 = 5;
    pub const FPE_FLTRES: i32 = 6;
    pub const FPE_FLTINV: i32 = 7;
    pub const FPE_FLTUNK: i32 = 14;
    pub const CLD_EXITED: i32 = 1;
    pub const CLD_KILLED: i32 = 2;
    pub const CLD_STOPPED: i32 = 5;
    pub const CLD_CONTINUED: i32 = 6;
}

/// What a floating-point `prctl` did ([`Process::fp_prctl`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FpPrctl {
    /// Set: the call returns 0.
    Done,
    /// A query whose answer goes to the `unsigned int` at the second
    /// argument; the call returns 0.
    Store(u64),
    /// A query that returns its answer.
    Return(u64),
}

/// One disposition (`struct k_sigaction`), with the flags as the guest
/// passed them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// What a pending signal carries into its `siginfo_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u32,
    pub code: i32,
    /// Sender (`kill`, `SIGCHLD`).
    pub pid: u32,
    pub uid: u32,
    /// Faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP).
    pub addr: Option<u64>,
    /// `SIGCHLD`'s `si_status`.
    pub status: Option<i32>,
    /// A POSIX timer's id and overrun count (`SI_TIMER`).
    pub timer: Option<(u32, u32)>,
    /// `si_value` (a timer's `sigev_value`).
    pub value: Option<u64>,
}

/// `sigaltstack` state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    /// `SS_AUTODISARM` and friends as set; 0 when enabled.
    pub flags: u32,
}

pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;

/// Per-process signal state.
#[derive(Clone, Debug, Default)]
pub struct SigState {
    /// Index `n - 1` for signal `n`.
    pub actions: Vec<SigAction>,
    /// Blocked signals: bit `n - 1` for signal `n`.
    pub mask: u64,
    /// The running thread's pending signals in the order they were
    /// raised; a standard signal (below 32) is pending at most once,
    /// real-time ones queue.
    pub pending: Vec<SigInfo>,
    /// The group's pending process-directed signals, queued the same way
    /// (Linux's `shared_pending`); any thread that does not block one may
    /// take it.
    pub shared: Vec<SigInfo>,
    pub altstack: AltStack,
    /// Virtual-time deadline of `alarm`/`ITIMER_REAL`, and its reload
    /// interval (0: one-shot).
    pub alarm_at: Option<u64>,
    pub alarm_interval: u64,
    /// The mask to restore after `rt_sigsuspend` (it goes into the frame
    /// of the signal that ends the suspension).
    pub suspend_saved: Option<u64>,
    /// The group is stopped, by this signal: none of its threads runs.
    pub stopped: Option<u32>,
    /// A `SIGCONT` continued the group and its parent has not been told.
    pub continued: bool,
}

impl SigState {
    pub fn new() -> Self {
        SigState { actions: vec![SigAction::default(); NSIG as usize], ..Default::default() }
    }

    /// A `fork` child's state: dispositions, mask and alternate stack are
    /// inherited; pending signals and the alarm are not.
    pub fn forked(&self) -> SigState {
        SigState {
            actions: self.actions.clone(),
            mask: self.mask,
            altstack: self.altstack,
            ..SigState::new()
        }
    }

    /// `execve`: caught signals return to their default action (ignored
    /// ones stay ignored), the alternate stack goes; the mask, pending
    /// signals and the alarm stay.
    pub fn exec(&mut self) {
        for a in &mut self.actions {
            let ignored = a.handler == SIG_IGN;
            *a = SigAction {
                handler: if ignored { SIG_IGN } else { SIG_DFL },
                ..Default::default()
            };
        }
        self.altstack = AltStack::default();
        self.suspend_saved = None;
    }

    pub fn action(&self, sig: u32) -> SigAction {
        self.actions[(sig - 1) as usize]
    }

    /// Queue `info` on the running thread (a standard signal already
    /// pending is not queued again).
    pub fn post(&mut self, info: SigInfo) {
        post_to(&mut self.pending, info);
    }

    /// Queue `info` on the group.
    pub fn post_shared(&mut self, info: SigInfo) {
        post_to(&mut self.shared, info);
    }

    /// The signals pending for the running thread (its own and the
    /// group's), as a mask.
    pub fn pending_set(&self) -> u64 {
        self.pending.iter().chain(&self.shared).fold(0, |m, p| m | bit(p.signo))
    }

    /// Is a signal pending that the running thread would take now?
    pub(crate) fn has_deliverable(&self) -> bool {
        next_unblocked(&self.pending, self.mask).is_some()
            || next_unblocked(&self.shared, self.mask).is_some()
    }

    /// Take the pending signal to deliver next: the thread's own first,
    /// then the group's; in each the lowest-numbered unblocked one,
    /// earliest raised first (as Linux's `dequeue_signal` picks).
    fn take_deliverable(&mut self) -> Option<SigInfo> {
        if let Some(i) = next_unblocked(&self.pending, self.mask) {
            return Some(self.pending.remove(i));
        }
        let i = next_unblocked(&self.shared, self.mask)?;
        Some(self.shared.remove(i))
    }

    /// Take the first pending signal in `set` (`rt_sigtimedwait`): the
    /// thread's own first, then the group's.
    pub fn take_from(&mut self, set: u64) -> Option<SigInfo> {
        if let Some(i) = self.pending.iter().position(|p| set & bit(p.signo) != 0) {
            return Some(self.pending.remove(i));
        }
        let i = self.shared.iter().position(|p| set & bit(p.signo) != 0)?;
        Some(self.shared.remove(i))
    }
}

/// Queue `info` on `queue` (a standard signal already there is not
/// queued again).
fn post_to(queue: &mut Vec<SigInfo>, info: SigInfo) {
    if info.signo == 0 || info.signo > NSIG {
        return;
    }
    if info.signo < 32 && queue.iter().any(|p| p.signo == info.signo) {
        return;
    }
    queue.push(info);
}

/// Index of the lowest-numbered signal of `queue` not in `mask`, the
/// earliest raised first.
fn next_unblocked(queue: &[SigInfo], mask: u64) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, p) in queue.iter().enumerate() {
        if mask & bit(p.signo) != 0 {
            continue;
        }
        if best.is_none_or(|b| p.signo < queue[b].signo) {
            best = Some(i);
        }
    }
    best
}

/// `SIGCHLD`'s siginfo for a child that ended with `status`.
pub fn child_exit_info(arch: crate::arch::Arch, pid: u32, status: ExitStatus) -> SigInfo {
    let (code, st) = match status {
        ExitStatus::Exited(c) => (code::CLD_EXITED, c as i32),
        ExitStatus::Signaled(s) => (code::CLD_KILLED, s as i32),
    };
    let signo = linux_abi(arch).signal.numbers.sigchld;
    SigInfo { signo, code, pid, status: Some(st), ..Default::default() }
}

/// `SIGCHLD`'s siginfo for a child that stopped (`CLD_STOPPED`, with the
/// stop signal) or continued (`CLD_CONTINUED`, with `SIGCONT`).
pub fn child_stop_info(arch: crate::arch::Arch, pid: u32, stop: Option<u32>) -> SigInfo {
    let n = &linux_abi(arch).signal.numbers;
    let (code, st) = match stop {
        Some(sig) => (code::CLD_STOPPED, sig as i32),
        None => (code::CLD_CONTINUED, n.sigcont as i32),
    };
    SigInfo { signo: n.sigchld, code, pid, status: Some(st), ..Default::default() }
}

/// How many slices of its own code in a row a process may run with signals
/// from other processes held back (see [`route`]): the longest chain of
/// slices that may run ahead of their turn (`machine::lanes`). At the
/// default quantum that is 640,000 instructions, well under a Linux
/// scheduler tick of a real core. It was 8: a lane then stopped every 8
/// slices until the world had taken them all, and the riscv64 read-back
/// cell with one lane took 67.4 ms against 62.2 with 64 (medians of 11).
pub const DEFER_SLICES: u64 = 64;

/// Hand the kernel's outgoing signals to their target processes (those
/// not among `procs` have exited: the signal is dropped, as Linux drops a
/// signal to a process that is gone). A process-directed signal names
/// its group by pid; a thread-directed one names its thread by tid.
///
/// A process between slices in its own code ([`Process::in_compute`])
/// gets them later, as if they had come while it ran: after the first
/// engine run of a later slice that did not use its whole fuel (a system
/// call, a fault), or that ends a run of [`DEFER_SLICES`] slices in a row
/// that did ([`Process::after_first_run`]). Nothing another process does
/// can then change those runs, which is what lets them run ahead of their
/// turn on another host thread (`machine::lanes`); the rule holds with
/// lanes or without, so results never depend on them.
pub fn route<'a>(kernel: &mut Kernel, procs: impl IntoIterator<Item = &'a mut Process>) {
    if !kernel.has_outgoing_signals() {
        return;
    }
    let out = std::mem::take(&mut kernel.signal_outbox);
    let to_threads = std::mem::take(&mut kernel.thread_outbox);
    for p in procs {
        if p.exit.is_some() {
            continue;
        }
        let defer = p.in_compute();
        for (target, info) in &out {
            if *target == p.pid && !p.parent_declines(info) {
                if defer {
                    p.deferred_signals.push((None, *info));
                } else {
                    p.send_process(*info);
                }
            }
        }
        for (tid, info) in &to_threads {
            if p.thread_ids().contains(tid) {
                if defer {
                    p.deferred_signals.push((Some(*tid), *info));
                } else {
                    p.send_thread(*tid, *info);
                }
            }
        }
        // A SIGCONT shows at once in the parent's `wait4`.
        p.report_continue(kernel);
    }
}

/// The mask bit of signal `sig`.
pub const fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can be neither caught nor blocked.
pub fn unblockable(abi: &SignalAbi) -> u64 {
    bit(SIGKILL) | bit(abi.numbers.sigstop)
}

/// The default action of a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    Ignore,
    /// `SIGSTOP`, `SIGTSTP`, `SIGTTIN`, `SIGTTOU`: stop the process.
    Stop,
    /// `SIGCONT`: continue a stopped process (which happens when it is
    /// sent); ignored when it is delivered.
    Continue,
}

pub fn default_action(abi: &SignalAbi, sig: u32) -> DefaultAction {
    let n = &abi.numbers;
    if sig == n.sigchld || sig == n.sigurg || sig == n.sigwinch {
        DefaultAction::Ignore
    } else if is_stop_signal(abi, sig) {
        DefaultAction::Stop
    } else if sig == n.sigcont {
        DefaultAction::Continue
    } else {
        DefaultAction::Terminate
    }
}

/// The name of stop signal `sig`, for a deadlock report.
pub fn stop_signal_name(abi: &SignalAbi, sig: u32) -> &'static str {
    let n = &abi.numbers;
    match sig {
        s if s == n.sigstop => "SIGSTOP",
        s if s == n.sigtstp => "SIGTSTP",
        s if s == n.sigttin => "SIGTTIN",
        s if s == n.sigttou => "SIGTTOU",
        _ => "a stop signal",
    }
}

/// `SIGSTOP`, `SIGTSTP`, `SIGTTIN` or `SIGTTOU`.
pub fn is_stop_signal(abi: &SignalAbi, sig: u32) -> bool {
    let n = &abi.numbers;
    [n.sigstop, n.sigtstp, n.sigttin, n.sigttou].contains(&sig)
}

/// Guest address of the signal trampoline page, per word size: the page
/// just below the write-path portal, above the top-down mmap area.
pub const fn trampoline_base(is_64bit: bool) -> u64 {
    super::portal_base(is_64bit) - PAGE_SIZE
}

/// What a frame builder needs besides the process: the arch's signal
/// facts, the action, the siginfo and the mask the frame saves.
#[derive(Clone, Copy)]
pub(crate) struct Delivery<'a> {
    pub abi: &'a SignalAbi,
    pub act: &'a SigAction,
    pub info: &'a SigInfo,
    pub old_mask: u64,
}

/// Guest-memory writer for frames: the arch's byte order and word size.
pub(crate) struct FrameWriter {
    pub big: bool,
    pub wide: bool,
    pub buf: Vec<u8>,
}

impl FrameWriter {
    pub fn new(p: &Process, len: usize) -> Self {
        FrameWriter {
            big: p.arch.endian() == Endian::Big,
            wide: p.arch.is_64bit(),
            buf: vec![0; len],
        }
    }

    pub fn put(&mut self, off: u64, v: u64, n: usize) {
        let b = v.to_le_bytes();
        let dst = &mut self.buf[off as usize..off as usize + n];
        if self.big {
            for (i, x) in b[..n].iter().rev().enumerate() {
                dst[i] = *x;
            }
        } else {
            dst.copy_from_slice(&b[..n]);
        }
    }

    pub fn word(&mut self, off: u64, v: u64) {
        self.put(off, v, if self.wide { 8 } else { 4 });
    }

    /// A `sigset_t`'s first 64 signals as `unsigned long` words (two on a
    /// 32-bit arch, the low one first).
    pub fn sigset(&mut self, off: u64, set: u64) {
        if self.wide {
            self.put(off, set, 8);
        } else {
            self.put(off, set & 0xffff_ffff, 4);
            self.put(off + 4, set >> 32, 4);
        }
    }
}

/// Write `uc_stack` at `off` as `__save_altstack` does: the alternate
/// stack, with `ss_flags` as seen from `sp`.
pub(crate) fn write_uc_stack(w: &mut FrameWriter, p: &Process, off: u64, sp: u64) {
    let ws = if w.wide { 8 } else { 4 };
    let alt = p.signals.altstack;
    let (flags_off, size_off) =
        if linux_abi(p.arch).signal.stack_size_first { (2 * ws, ws) } else { (ws, 2 * ws) };
    w.word(off, alt.sp);
    w.put(off + flags_off, p.altstack_flags(sp) as u64, 4);
    w.word(off + size_off, alt.size);
}

/// Read the first 64 signals of the `sigset_t` at `addr`.
pub(crate) fn get_sigset(p: &Process, addr: u64) -> Option<u64> {
    if p.arch.is_64bit() {
        get(p, addr, 8)
    } else {
        Some(get(p, addr, 4)? | (get(p, addr + 4, 4)? << 32))
    }
}

/// Read `n` bytes at `addr` as one value in the guest's byte order.
pub(crate) fn get(p: &Process, addr: u64, n: usize) -> Option<u64> {
    let mut b = [0u8; 8];
    p.mem.read_checked(addr, &mut b[..n]).ok()?;
    let mut v = 0u64;
    if p.arch.endian() == Endian::Big {
        for &x in &b[..n] {
            v = (v << 8) | x as u64;
        }
    } else {
        for &x in b[..n].iter().rev() {
            v = (v << 8) | x as u64;
        }
    }
    Some(v)
}

/// Write `info` as a `siginfo_t` (128 bytes) at `off` of `w`.
pub(crate) fn write_siginfo(w: &mut FrameWriter, abi: &SignalAbi, off: u64, info: &SigInfo) {
    w.put(off, info.signo as u64, 4);
    let (code_off, errno_off) = if abi.siginfo_code_first { (4, 8) } else { (8, 4) };
    w.put(off + code_off, info.code as u32 as u64, 4);
    w.put(off + errno_off, 0, 4);
    // The union starts after the three ints, aligned to a pointer.
    let u = off + if w.wide { 16 } else { 12 };
    if let Some(a) = info.addr {
        w.word(u, a);
        return;
    }
    if let Some((id, overrun)) = info.timer {
        // _timer: si_tid, si_overrun, si_sigval.
        w.put(u, id as u64, 4);
        w.put(u + 4, overrun as u64, 4);
        w.word(u + 8, info.value.unwrap_or(0));
        return;
    }
    if info.code <= 0 || info.status.is_some() {
        w.put(u, info.pid as u64, 4);
        w.put(u + 4, info.uid as u64, 4);
        if let Some(st) = info.status {
            w.put(u + 8, st as u32 as u64, 4);
        }
    }
}

impl Process {
    /// The earliest virtual time at which this process must run again for
    /// a timer: its sleep deadline or, while it sleeps or blocks, its
    /// `alarm` deadline. The machine jumps the clock to it when nobody can
    /// run.
    pub fn wake_time(&self) -> Option<u64> {
        if self.signals.stopped.is_some() {
            // Only a signal sent by another process continues it.
            return None;
        }
        let timers = [self.signals.alarm_at, self.next_timer()].into_iter().flatten().min();
        let timer = timers.filter(|_| self.pending_syscall);
        [self.sleep_until, self.timeout_at, timer].into_iter().flatten().min()
    }

    /// Does the running thread sleep (`nanosleep`, `clock_nanosleep`) past
    /// the virtual time `clock`? The schedulers skip such a thread until
    /// its deadline, unless a signal it would take is pending: then it runs
    /// now, so the signal interrupts the sleep at once, as Linux wakes a
    /// sleeper. Ignored signals are discarded when sent, so they never
    /// wake it.
    pub fn asleep_at(&self, clock: u64) -> bool {
        self.sleep_until.is_some()
            && self.wake_time().is_some_and(|d| d > clock)
            && !self.signals.has_deliverable()
    }

    /// Instructions the engine may run before the `alarm` or a POSIX
    /// timer fires.
    pub(super) fn fuel_until_alarm(&self, fuel: u64) -> u64 {
        match [self.signals.alarm_at, self.next_timer()].into_iter().flatten().min() {
            Some(at) => fuel.min(at.saturating_sub(self.cpu.vclock_ns()).max(1)),
            None => fuel,
        }
    }

    /// Raise `sig` on the running thread from the kernel (`SIGPIPE`, a
    /// SIGSEGV for an unreadable frame).
    pub fn raise(&mut self, sig: u32, code: i32) {
        self.signals.post(SigInfo { signo: sig, code, ..Default::default() });
    }

    /// Queue a thread-directed signal on the running thread.
    pub fn send(&mut self, info: SigInfo) {
        if self.prepare_signal(info.signo) {
            self.signals.post(info);
        }
    }

    /// Queue a process-directed signal on the group's shared queue.
    pub fn send_process(&mut self, info: SigInfo) {
        if self.prepare_signal(info.signo) {
            self.signals.post_shared(info);
        }
    }

    /// What sending `sig` does at once, whatever thread takes it (Linux's
    /// `prepare_signal`): a stop signal discards pending `SIGCONT`s;
    /// `SIGCONT` discards pending stop signals and continues a stopped
    /// group; `SIGKILL` wakes a stopped group so that it dies. False when
    /// the signal is ignored and so discarded.
    fn prepare_signal(&mut self, sig: u32) -> bool {
        let abi = linux_abi(self.arch).signal;
        if is_stop_signal(abi, sig) {
            self.flush_signal(abi.numbers.sigcont);
        } else if sig == abi.numbers.sigcont {
            let n = &abi.numbers;
            for s in [n.sigstop, n.sigtstp, n.sigttin, n.sigttou] {
                self.flush_signal(s);
            }
            if self.signals.stopped.take().is_some() {
                self.signals.continued = true;
            }
        } else if sig == SIGKILL {
            self.signals.stopped = None;
        }
        if sig == SIGKILL {
            return true;
        }
        let act = self.signals.action(sig);
        let default_ignored =
            matches!(default_action(abi, sig), DefaultAction::Ignore | DefaultAction::Continue);
        !(act.handler == SIG_IGN || (act.handler == SIG_DFL && default_ignored))
    }

    /// Drop every pending `sig`, of every thread and of the group.
    pub(crate) fn flush_signal(&mut self, sig: u32) {
        self.signals.pending.retain(|p| p.signo != sig);
        self.signals.shared.retain(|p| p.signo != sig);
        for t in &mut self.threads {
            t.sigpending.retain(|p| p.signo != sig);
        }
    }

    /// Does this process's `SIGCHLD` action decline `info`? `SA_NOCLDSTOP`
    /// declines the stop and continue notices of its children.
    pub(crate) fn parent_declines(&self, info: &SigInfo) -> bool {
        let sigchld = linux_abi(self.arch).signal.numbers.sigchld;
        info.signo == sigchld
            && matches!(info.code, code::CLD_STOPPED | code::CLD_CONTINUED)
            && self.signals.action(sigchld).flags & SA_NOCLDSTOP != 0
    }

    /// Stop the group for `sig`: tell the parent (`wait4`'s `WUNTRACED`,
    /// a `SIGCHLD` with `CLD_STOPPED`).
    fn stop(&mut self, kernel: &mut Kernel, sig: u32) {
        self.signals.stopped = Some(sig);
        self.signals.continued = false;
        // A change the scheduler must not take for a lack of progress.
        kernel.io_progress += 1;
        if let Some(c) = kernel.children.get_mut(&self.pid) {
            c.stopped = Some(sig);
            c.continued = false;
            if c.ppid != 0 {
                let info = child_stop_info(self.arch, self.pid, Some(sig));
                kernel.signal_outbox.push((c.ppid, info));
            }
        }
    }

    /// If a `SIGCONT` continued the group, tell the parent (`wait4`'s
    /// `WCONTINUED`, a `SIGCHLD` with `CLD_CONTINUED`).
    pub fn report_continue(&mut self, kernel: &mut Kernel) {
        if !std::mem::take(&mut self.signals.continued) {
            return;
        }
        kernel.io_progress += 1;
        if let Some(c) = kernel.children.get_mut(&self.pid) {
            c.stopped = None;
            c.continued = true;
            if c.ppid != 0 {
                let info = child_stop_info(self.arch, self.pid, None);
                kernel.signal_outbox.push((c.ppid, info));
            }
        }
    }

    /// Fire the `alarm` and the POSIX timers whose deadlines have passed.
    fn check_alarm(&mut self) {
        if let Some(at) = self.signals.alarm_at
            && self.cpu.vclock_ns() >= at
        {
            let iv = self.signals.alarm_interval;
            self.signals.alarm_at = if iv > 0 { Some(at + iv) } else { None };
            self.send_process(SigInfo {
                signo: SIGALRM,
                code: code::SI_KERNEL,
                ..Default::default()
            });
        }
        if !self.timers.is_empty() {
            self.fire_timers();
        }
    }

    /// Between slices in the middle of its own code: a single thread, not
    /// in a system call, stopped, asleep or exited. Its next slice begins
    /// with an engine run (see [`route`]).
    pub fn in_compute(&self) -> bool {
        self.threads.is_empty()
            && self.exit.is_none()
            && !self.pending_syscall
            && self.signals.stopped.is_none()
            && self.sleep_until.is_none()
            && self.futex_wait.is_none()
    }

    /// Has the process code of its own to run, now or at its next turn (a
    /// thread not waiting in a system call, asleep or stopped)? A process
    /// of several threads counts as busy.
    pub fn has_own_work(&self) -> bool {
        self.exit.is_none() && (!self.threads.is_empty() || self.in_compute())
    }

    /// After a slice's first engine run, `whole` when the slice began in
    /// the process's own code and the run used all its fuel: count such
    /// slices in a row, and send the signals [`route`] held back when the
    /// count reaches a multiple of [`DEFER_SLICES`] or the run was not one
    /// of them.
    pub(crate) fn after_first_run(&mut self, kernel: &mut Kernel, whole: bool) {
        self.compute_streak = if whole { self.compute_streak + 1 } else { 0 };
        if self.compute_streak.is_multiple_of(DEFER_SLICES) {
            self.accept_deferred_signals(kernel);
        }
    }

    /// Send the signals [`route`] held back (see there).
    pub(crate) fn accept_deferred_signals(&mut self, kernel: &mut Kernel) {
        if self.deferred_signals.is_empty() {
            return;
        }
        for (tid, info) in std::mem::take(&mut self.deferred_signals) {
            match tid {
                None => self.send_process(info),
                Some(tid) => {
                    self.send_thread(tid, info);
                }
            }
        }
        self.report_continue(kernel);
    }

    /// Whether this process's next slice may run ahead of its turn (see
    /// `machine::lanes`): it is in its own code ([`Process::in_compute`]),
    /// takes no signal and has no timer at its start, so that slice begins
    /// with an engine run of the slice's whole fuel, and no other process
    /// shares its memory (`MAP_SHARED`).
    pub fn can_run_ahead(&self) -> bool {
        self.in_compute() && self.undisturbed() && !self.mem.has_shared_ranges()
    }

    /// Would nothing but the running thread's own code or call act at its
    /// next turn: no signal to take, no continue to report, no `alarm`,
    /// POSIX timer or futex deadline, no `sched_yield` ending the slice?
    pub(crate) fn undisturbed(&self) -> bool {
        !self.signals.has_deliverable()
            && !self.signals.continued
            && self.signals.alarm_at.is_none()
            && self.timers.is_empty()
            && self.timeout_at.is_none()
            && !self.yield_now
    }

    /// Start the next slices' engine runs, of `fuel` each, ahead (see
    /// `machine::lanes`): as many as may run before signals held back
    /// would be sent ([`DEFER_SLICES`]). How many it started (at most):
    /// 0 when the engine cannot.
    pub fn start_ahead(&mut self, fuel: u64) -> u64 {
        let slices = DEFER_SLICES - self.compute_streak % DEFER_SLICES;
        if self.engine.start_ahead(&self.cpu, &mut self.mem, fuel, slices) { slices } else { 0 }
    }

    /// Is a signal pending that would be delivered now?
    pub fn signal_deliverable(&mut self) -> bool {
        self.check_alarm();
        self.signals.has_deliverable()
    }

    /// A delivery point. Ends a blocked system call that a deliverable
    /// signal interrupts (with `EINTR`, or restarting it under
    /// `SA_RESTART`), then delivers every deliverable signal: its handler's
    /// frame is pushed, or its default action taken. `Some` when the
    /// process ended.
    pub(super) fn signal_point(&mut self, kernel: &mut Kernel) -> Option<RunState> {
        self.report_continue(kernel);
        self.check_alarm();
        let abi = linux_abi(self.arch).signal;
        loop {
            if self.signals.stopped.is_some() {
                return Some(RunState::Blocked);
            }
            let info = self.signals.take_deliverable()?;
            let act = self.signals.action(info.signo);
            if act.handler == SIG_DFL && default_action(abi, info.signo) == DefaultAction::Stop {
                // A blocked call stays pending: it goes on after SIGCONT,
                // since no handler ran.
                self.stop(kernel, info.signo);
                return Some(RunState::Blocked);
            }
            if self.pending_syscall {
                self.interrupt_syscall(info.signo);
            }
            if let Some(s) = self.deliver(kernel, info) {
                return Some(RunState::Exited(self.terminate(kernel, s)));
            }
        }
    }

    /// End the blocked system call for signal `sig`: restart it when the
    /// handler has `SA_RESTART` and the call is one Linux restarts
    /// (`ERESTARTSYS`), else fail it with `EINTR`.
    fn interrupt_syscall(&mut self, sig: u32) {
        self.pending_syscall = false;
        self.write_progress = 0;
        if self.futex_wait.take().is_some() {
            self.timeout_at = None;
            let tid = self.tid;
            self.futex_queue.retain(|w| w.tid != tid);
            if self.futex_woken.remove(&tid) {
                // Woken before the signal came: the wait succeeded, and
                // the wake is not lost.
                super::syscall::set_ok(self, 0);
                return;
            }
        }
        let abi = self.frontend.syscall_abi();
        let sabi = linux_abi(self.arch).signal;
        let nr = self.cpu.regs[abi.number.0 as usize];
        let sysno = abi.lookup(nr);
        let act = self.signals.action(sig);
        let restartable = matches!(
            sysno,
            Some(
                Sysno::Read
                    | Sysno::Readv
                    | Sysno::Write
                    | Sysno::Writev
                    | Sysno::Pread64
                    | Sysno::Pwrite64
                    | Sysno::Wait4
                    | Sysno::Waitid
                    | Sysno::Openat
                    | Sysno::Open
                    | Sysno::Ioctl
            )
        );
        let handled = act.handler != SIG_DFL && act.handler != SIG_IGN;
        if restartable && (!handled || act.flags & sabi.sa.restart != 0) {
            // Run the system-call instruction again; its registers are
            // untouched, since a blocked call writes no result.
            let len = if self.cpu.pc & 1 != 0 {
                sabi.syscall_insn_len_odd_pc
            } else {
                sabi.syscall_insn_len
            };
            self.cpu.pc = self.cpu.pc.wrapping_sub(len);
            self.sleep_until = None;
            return;
        }
        if matches!(sysno, Some(Sysno::Nanosleep | Sysno::ClockNanosleep))
            && let Some(deadline) = self.sleep_until
        {
            // The unslept time goes to `rem` (relative sleeps only).
            let left = deadline.saturating_sub(self.cpu.vclock_ns());
            let (flags, rem) = if sysno == Some(Sysno::Nanosleep) {
                (0, self.cpu.regs[abi.args[1].0 as usize])
            } else {
                (self.cpu.regs[abi.args[1].0 as usize], self.cpu.regs[abi.args[3].0 as usize])
            };
            if flags & 1 == 0 && rem != 0 {
                let mut w = FrameWriter::new(self, 2 * if self.arch.is_64bit() { 8 } else { 4 });
                let ws = if w.wide { 8 } else { 4 };
                w.word(0, left / 1_000_000_000);
                w.word(ws, left % 1_000_000_000);
                let _ = self.mem.write_checked(rem, &w.buf);
            }
        }
        self.sleep_until = None;
        super::syscall::set_errno(self, super::Errno::EINTR);
    }

    /// Deliver one signal; `Some` with the exit status when it kills.
    pub(super) fn deliver(&mut self, kernel: &mut Kernel, info: SigInfo) -> Option<ExitStatus> {
        let abi = linux_abi(self.arch).signal;
        let sig = info.signo;
        let act = self.signals.action(sig);
        let old_mask = self.signals.suspend_saved.take().unwrap_or(self.signals.mask);
        match act.handler {
            SIG_IGN => return None,
            SIG_DFL => {
                return match default_action(abi, sig) {
                    DefaultAction::Terminate => Some(ExitStatus::Signaled(sig)),
                    _ => None,
                };
            }
            _ => {}
        }
        self.ensure_trampoline();
        let d = Delivery { abi, act: &act, info: &info, old_mask };
        let pushed = match abi.frame {
            FrameKind::Riscv64 => riscv64::push_frame(self, &d),
            FrameKind::Aarch64 => aarch64::push_frame(self, &d),
            FrameKind::Powerpc64 => powerpc64::push_frame(self, &d),
            FrameKind::MipsO32 => mips::push_frame(self, &d),
            FrameKind::Armel => armel::push_frame(self, &d),
            FrameKind::Unsupported => Err(()),
        };
        if pushed.is_err() {
            // No room for the frame (or no frame builder): Linux forces
            // SIGSEGV, which kills.
            kernel.events.push(crate::events::Event::GuestFault {
                pid: self.pid,
                signal: sig,
                addr: self.cpu.regs[self.frontend.stack_pointer().0 as usize],
                pc: self.cpu.pc,
                access: "signal frame",
            });
            return Some(ExitStatus::Signaled(if abi.frame == FrameKind::Unsupported {
                sig
            } else {
                SIGSEGV
            }));
        }
        let mut block = act.mask;
        if act.flags & abi.sa.nodefer == 0 {
            block |= bit(sig);
        }
        self.signals.mask = (old_mask | block) & !unblockable(abi);
        if act.flags & abi.sa.resethand != 0 {
            self.signals.actions[(sig - 1) as usize] = SigAction::default();
        }
        None
    }

    /// Map the trampoline page (or repair it if the guest changed it).
    fn ensure_trampoline(&mut self) {
        let abi = linux_abi(self.arch).signal;
        let base = trampoline_base(self.arch.is_64bit());
        let mut w = FrameWriter::new(self, 4 * abi.trampoline.len());
        for (i, insn) in abi.trampoline.iter().enumerate() {
            w.put(4 * i as u64, *insn as u64, 4);
        }
        let mut current = vec![0u8; w.buf.len()];
        if self.mem.perms(base) == Some(Perms::RX)
            && self.mem.read_debug(base, &mut current).is_ok()
            && current == w.buf
        {
            return;
        }
        // Named as ARM Linux names its page of sigreturn code.
        let name = crate::mem::Backing::Kernel("[sigpage]");
        if self.mem.map_backed(base, PAGE_SIZE, Perms::RX, name).is_ok() {
            let _ = self.mem.write_debug(base, &w.buf);
        }
    }

    /// The stack a handler's frame goes on: the alternate stack when the
    /// action asks for it and the thread is not already on it.
    pub(crate) fn frame_stack(&self, act: &SigAction, sp: u64) -> u64 {
        let abi = linux_abi(self.arch).signal;
        let alt = self.signals.altstack;
        if act.flags & abi.sa.onstack != 0
            && alt.flags & SS_DISABLE == 0
            && alt.size != 0
            && !self.on_altstack(sp)
        {
            return alt.sp.wrapping_add(alt.size);
        }
        sp
    }

    pub(crate) fn on_altstack(&self, sp: u64) -> bool {
        let alt = self.signals.altstack;
        alt.size != 0 && sp > alt.sp && sp.wrapping_sub(alt.sp) <= alt.size
    }

    /// `uc_stack.ss_flags` as `__save_altstack` writes it.
    pub(crate) fn altstack_flags(&self, sp: u64) -> u32 {
        let alt = self.signals.altstack;
        if alt.size == 0 {
            SS_DISABLE
        } else if self.on_altstack(sp) {
            SS_ONSTACK
        } else {
            alt.flags
        }
    }

    /// `rt_sigreturn` (or, when not `rt`, the old `sigreturn` of mips and
    /// arm, whose frames have no siginfo): restore the context of the frame
    /// at the stack pointer. `Err` when the frame is unreadable (Linux then
    /// kills with SIGSEGV).
    pub(super) fn sigreturn(&mut self, rt: bool) -> Result<(), ()> {
        let abi = linux_abi(self.arch).signal;
        let mask = match abi.frame {
            FrameKind::Riscv64 => riscv64::restore_frame(self)?,
            FrameKind::Aarch64 => aarch64::restore_frame(self)?,
            FrameKind::Powerpc64 => powerpc64::restore_frame(self)?,
            FrameKind::MipsO32 => mips::restore_frame(self, rt)?,
            FrameKind::Armel => armel::restore_frame(self, rt)?,
            FrameKind::Unsupported => return Err(()),
        };
        self.signals.mask = mask & !unblockable(abi);
        Ok(())
    }

    /// The floating-point `prctl` options of the arch: `PR_GET_FPEXC` (11)
    /// and `PR_SET_FPEXC` (12) on powerpc64, `PR_SET_FP_MODE` (45) and
    /// `PR_GET_FP_MODE` (46) on mips. `None` for an option the arch does
    /// not have (the call fails with EINVAL, as Linux's defaults do);
    /// `Some(Err(errno))` for a bad argument; `Some(Ok(_))` for a set, or
    /// a query's answer.
    pub(super) fn fp_prctl(&mut self, option: u64, arg: u64) -> Option<Result<FpPrctl, Errno>> {
        use crate::arch::mips::fpmode::{self, PR_GET_FP_MODE, PR_SET_FP_MODE};
        match (linux_abi(self.arch).signal.frame, option) {
            (FrameKind::Powerpc64, 11) => Some(Ok(FpPrctl::Store(powerpc64::get_fpexc(&self.cpu)))),
            (FrameKind::Powerpc64, 12) => Some(if powerpc64::set_fpexc(&mut self.cpu, arg) {
                Ok(FpPrctl::Done)
            } else {
                Err(Errno::EINVAL)
            }),
            (FrameKind::MipsO32, PR_GET_FP_MODE) => {
                Some(Ok(FpPrctl::Return(self.frontend.mode() as u64)))
            }
            (FrameKind::MipsO32, PR_SET_FP_MODE) => {
                let from = self.frontend.mode();
                Some(match fpmode::check_set(from, arg) {
                    Err(fpmode::Unsupported) => Err(Errno::ENOTSUP),
                    Ok(None) => Ok(FpPrctl::Done),
                    Ok(Some(to)) => {
                        self.switch_mode(to, |cpu| fpmode::convert(cpu, from, to));
                        Ok(FpPrctl::Done)
                    }
                })
            }
            _ => None,
        }
    }

    /// Run in execution mode `mode` (see `arch::Frontend::mode`) from now
    /// on, every thread of the group: `convert` rewrites each thread's
    /// registers for it, and every translation goes.
    fn switch_mode(&mut self, mode: u32, convert: impl Fn(&mut crate::cpu::CpuState)) {
        let Some(frontend) = crate::arch::frontend_for_mode(self.arch, mode) else { return };
        convert(&mut self.cpu);
        for t in &mut self.threads {
            convert(&mut t.cpu);
        }
        self.frontend = frontend;
        self.engine.set_frontend(frontend);
    }

    /// The `rt_sigreturn` (`rt`) or `sigreturn` system call; false on an
    /// arch without frames (the call then fails with ENOSYS). An
    /// unreadable frame raises a SIGSEGV that kills, as on Linux.
    pub(super) fn signals_sigreturn(&mut self, _kernel: &mut Kernel, rt: bool) -> bool {
        let abi = linux_abi(self.arch).signal;
        if abi.frame == FrameKind::Unsupported {
            return false;
        }
        if self.sigreturn(rt).is_err() {
            self.signals.actions[(SIGSEGV - 1) as usize] = SigAction::default();
            self.signals.mask &= !bit(SIGSEGV);
            self.raise(SIGSEGV, code::SI_KERNEL);
        }
        true
    }

    /// A trap instruction or undecodable instruction to its handler (see
    /// [`Process::fault_to_handler`]); `si_addr` is the pc.
    pub(super) fn trap_to_handler(
        &mut self,
        kernel: &mut Kernel,
        kind: crate::ir::TrapKind,
    ) -> Option<Option<RunState>> {
        use crate::ir::TrapKind;
        // The instruction's address: without armel's Thumb and IT bits.
        let pc = self.frontend.fetch_addr(self.cpu.pc);
        let abi = linux_abi(self.arch).signal;
        let trap = |t: super::arch::TrapSiginfo| (5, t.code, t.addr_is_pc.then_some(pc));
        let (signo, code, addr) = match kind {
            TrapKind::IllegalInstruction { .. } => (4, abi.illegal_code, Some(pc)),
            TrapKind::Breakpoint => trap(abi.breakpoint),
            TrapKind::TrapInstruction | TrapKind::ClockWait => trap(abi.trap_insn),
            TrapKind::ArithmeticTrap => (8, code::FPE_INTDIV, Some(pc)),
            TrapKind::FpException => {
                let c = match abi.frame {
                    FrameKind::Powerpc64 => powerpc64::fpe_code(&self.cpu),
                    FrameKind::MipsO32 => mips::fpe_code(&self.cpu),
                    _ => code::FPE_FLTUNK,
                };
                (8, c, Some(pc))
            }
            TrapKind::FetchFault { addr } => {
                let c =
                    if self.mem.is_mapped(addr) { code::SEGV_ACCERR } else { code::SEGV_MAPERR };
                (SIGSEGV, c, Some(addr))
            }
        };
        let info = SigInfo { signo, code, addr, ..Default::default() };
        let state = self.fault_to_handler(kernel, info)?;
        if let Some(h) = &kernel.plugins {
            let e = crate::plugin::FaultEvent {
                pid: self.pid,
                pc,
                signal: signo,
                addr,
                access: "trap",
                handled: true,
            };
            h.borrow_mut().fault(&e);
        }
        Some(state)
    }

    /// Deliver a synchronous fault to its handler. `None` when the fault
    /// must kill as before (no handler, or the signal is blocked or
    /// ignored: Linux forces the default then); `Some(state)` when a
    /// handler took it (`Exited` only if its frame could not be pushed).
    pub(super) fn fault_to_handler(
        &mut self,
        kernel: &mut Kernel,
        info: SigInfo,
    ) -> Option<Option<RunState>> {
        let act = self.signals.action(info.signo);
        if act.handler == SIG_DFL
            || act.handler == SIG_IGN
            || self.signals.mask & bit(info.signo) != 0
        {
            return None;
        }
        Some(self.deliver(kernel, info).map(|s| RunState::Exited(self.terminate(kernel, s))))
    }
}

//! Threads: the per-thread half of a [`Process`] and the switch between
//! threads of one address space, the thread cap of a cell, and what a
//! blocked thread waits on (for the deadlock report).
//!
//! A `Process` is a thread group. Its address space, engine (and so every
//! translation and JIT region), descriptors, dispositions and timers are
//! one per group; the running thread's registers, signal mask, pending
//! signals, alternate stack and blocked-call state sit in the `Process`'s
//! own fields, and the other threads' are parked in [`ThreadCtx`]s.
//! [`Process::switch_to`] exchanges them, so the rest of the kernel, which
//! only ever looks at the running thread, needs no change. Whoever
//! schedules (the machine's world, `bohr exec`) picks a thread by tid,
//! switches to it and runs the process; tids come from the kernel's pid
//! counter, so a tid never names two entities in a cell.
//!
//! A switch drops the incoming thread's LL/SC reservation (see
//! `Frontend::clear_reservation`): another thread may have stored to the
//! reserved address meanwhile, and the engines' store-conditionals compare
//! addresses, not values (powerpc64 also compares the value).

use super::signal::{AltStack, SigInfo};
use super::{Kernel, Process};
use crate::arch::Sysno;
use crate::cpu::CpuState;

/// Most threads (beyond each process's first) alive at once in one cell
/// (one `Kernel`): `clone(CLONE_THREAD)` past it fails with `EAGAIN`, as
/// Linux's `threads-max` does, so a guest cannot exhaust the host.
pub const MAX_THREADS_PER_CELL: usize = 256;

/// The parked state of a thread that is not running.
#[derive(Clone, Debug)]
pub struct ThreadCtx {
    pub tid: u32,
    pub cpu: CpuState,
    pub sleep_until: Option<u64>,
    pub timeout_at: Option<u64>,
    pub pending_syscall: bool,
    pub write_progress: u64,
    pub yield_now: bool,
    pub sigmask: u64,
    pub sigpending: Vec<SigInfo>,
    pub altstack: AltStack,
    pub suspend_saved: Option<u64>,
    pub clear_child_tid: u64,
    pub robust_list: (u64, u64),
    pub futex_wait: Option<FutexWait>,
}

/// A `FUTEX_WAIT` in progress: the thread is queued on `addr` with
/// `bitset` until a wake or its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutexWait {
    pub addr: u64,
    pub bitset: u32,
}

/// A queued futex waiter, in the group's FIFO (`Process::futex_queue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutexWaiter {
    pub tid: u32,
    pub addr: u64,
    pub bitset: u32,
}

/// What a blocked thread waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// `futex` wait on this address.
    Futex { addr: u64 },
    /// A read of descriptor `fd` (a pipe with no data, say).
    Read { fd: u64 },
    /// A write to descriptor `fd` (a full pipe).
    Write { fd: u64 },
    /// `wait4`/`waitid` for children (the selector as passed).
    Child { selector: i64 },
    /// `pause`, `rt_sigsuspend` or `rt_sigtimedwait` without a timeout.
    Signal,
    /// Another blocking call, by name.
    Syscall { name: String },
    /// The whole process is stopped by this signal and waits for
    /// `SIGCONT`.
    Stopped { signal: &'static str },
}

impl std::fmt::Display for WaitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitReason::Futex { addr } => write!(f, "futex {addr:#x}"),
            WaitReason::Read { fd } => write!(f, "read of fd {fd}"),
            WaitReason::Write { fd } => write!(f, "write to fd {fd}"),
            WaitReason::Child { selector } => write!(f, "wait for child {selector}"),
            WaitReason::Signal => write!(f, "a signal"),
            WaitReason::Syscall { name } => write!(f, "{name}"),
            WaitReason::Stopped { signal } => write!(f, "SIGCONT (stopped by {signal})"),
        }
    }
}

/// One thread of a deadlocked cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedThread {
    pub pid: u32,
    pub tid: u32,
    /// The program (argv[0]).
    pub name: String,
    pub pc: u64,
    pub wait: WaitReason,
}

impl std::fmt::Display for BlockedThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} tid {} ({}) at pc {:#x} waits on {}",
            self.pid, self.tid, self.name, self.pc, self.wait
        )
    }
}

impl Process {
    /// Exchange the running thread's state with `t`'s.
    fn exchange(&mut self, t: &mut ThreadCtx) {
        use std::mem::swap;
        swap(&mut self.tid, &mut t.tid);
        swap(&mut self.cpu, &mut t.cpu);
        swap(&mut self.sleep_until, &mut t.sleep_until);
        swap(&mut self.timeout_at, &mut t.timeout_at);
        swap(&mut self.pending_syscall, &mut t.pending_syscall);
        swap(&mut self.write_progress, &mut t.write_progress);
        swap(&mut self.yield_now, &mut t.yield_now);
        swap(&mut self.signals.mask, &mut t.sigmask);
        swap(&mut self.signals.pending, &mut t.sigpending);
        swap(&mut self.signals.altstack, &mut t.altstack);
        swap(&mut self.signals.suspend_saved, &mut t.suspend_saved);
        swap(&mut self.clear_child_tid, &mut t.clear_child_tid);
        swap(&mut self.robust_list, &mut t.robust_list);
        swap(&mut self.futex_wait, &mut t.futex_wait);
    }

    /// Make thread `tid` the running one; false when the group has no
    /// such thread.
    pub fn switch_to(&mut self, tid: u32) -> bool {
        if tid == self.tid {
            return true;
        }
        let Some(i) = self.threads.iter().position(|t| t.tid == tid) else {
            return false;
        };
        let mut t = self.threads.remove(i);
        self.exchange(&mut t);
        let at = self.threads.partition_point(|q| q.tid < t.tid);
        self.threads.insert(at, t);
        self.frontend.clear_reservation(&mut self.cpu);
        true
    }

    /// Every thread's tid, ascending.
    pub fn thread_ids(&self) -> Vec<u32> {
        self.each_thread_id().collect()
    }

    /// [`Process::thread_ids`] without a vector: by ascending tid.
    pub fn each_thread_id(&self) -> impl Iterator<Item = u32> + '_ {
        let at = self.threads.partition_point(|t| t.tid < self.tid);
        let (lo, hi) = self.threads.split_at(at);
        lo.iter().map(|t| t.tid).chain(std::iter::once(self.tid)).chain(hi.iter().map(|t| t.tid))
    }

    /// Instructions retired by every thread of the group, exited ones too.
    pub fn total_insns(&self) -> u64 {
        self.cpu.icount + self.threads.iter().map(|t| t.cpu.icount).sum::<u64>() + self.exited_insns
    }

    /// Add a new thread (`clone` with `CLONE_THREAD`) that starts from
    /// `cpu`; it runs when the scheduler picks its tid.
    pub(super) fn add_thread(&mut self, tid: u32, cpu: CpuState, clear_child_tid: u64) {
        let t = ThreadCtx {
            tid,
            cpu,
            sleep_until: None,
            timeout_at: None,
            pending_syscall: false,
            write_progress: 0,
            yield_now: false,
            sigmask: self.signals.mask,
            sigpending: Vec::new(),
            // A thread that shares the address space starts without the
            // creator's alternate stack, as on Linux.
            altstack: AltStack::default(),
            suspend_saved: None,
            clear_child_tid,
            robust_list: (0, 0),
            futex_wait: None,
        };
        let at = self.threads.partition_point(|q| q.tid < tid);
        self.threads.insert(at, t);
    }

    /// `exit` of the running thread while others remain: clear and wake
    /// its `clear_child_tid` word (what `pthread_join` waits on), drop its
    /// state and make the lowest remaining tid the running thread.
    pub(super) fn exit_thread(&mut self, kernel: &mut Kernel) {
        if self.clear_child_tid != 0 {
            let zero = self.encode_u32(0);
            if self.mem.write_checked(self.clear_child_tid, &zero).is_ok() {
                self.futex_wake(self.clear_child_tid, 1, u32::MAX);
            }
        }
        self.futex_queue.retain(|w| w.tid != self.tid);
        self.exited_insns += self.cpu.icount;
        let mut next = self.threads.remove(0);
        self.exchange(&mut next);
        self.frontend.clear_reservation(&mut self.cpu);
        kernel.threads = kernel.threads.saturating_sub(1);
        kernel.thread_groups.remove(&next.tid);
        kernel.io_progress += 1;
    }

    /// The group ended (`exit_group`, a fatal signal, `execve`): every
    /// other thread goes with it.
    pub(super) fn drop_threads(&mut self, kernel: &mut Kernel) {
        kernel.threads = kernel.threads.saturating_sub(self.threads.len());
        let pid = self.pid;
        kernel.thread_groups.retain(|_, g| *g != pid);
        for t in self.threads.drain(..) {
            self.exited_insns += t.cpu.icount;
        }
        self.futex_queue.clear();
        self.futex_woken.clear();
    }

    /// Wake up to `n` waiters on `addr` whose bitset meets `bitset`, in
    /// the order they started waiting; the number woken.
    pub(super) fn futex_wake(&mut self, addr: u64, n: u64, bitset: u32) -> u64 {
        let mut woken = 0;
        let mut i = 0;
        while i < self.futex_queue.len() && woken < n {
            let w = self.futex_queue[i];
            if w.addr == addr && w.bitset & bitset != 0 {
                self.futex_queue.remove(i);
                self.futex_woken.insert(w.tid);
                woken += 1;
            } else {
                i += 1;
            }
        }
        woken
    }

    /// A register value as a signed `long` of the arch.
    fn signed(&self, v: u64) -> i64 {
        if self.arch.is_64bit() { v as i64 } else { v as u32 as i32 as i64 }
    }

    /// The running thread's `u32` in guest byte order.
    pub(super) fn encode_u32(&self, v: u32) -> [u8; 4] {
        if self.arch.endian() == crate::ir::Endian::Big { v.to_be_bytes() } else { v.to_le_bytes() }
    }

    /// Queue a thread-directed signal (`tkill`, `tgkill`) on thread `tid`;
    /// false when the group has no such thread.
    pub fn send_thread(&mut self, tid: u32, info: SigInfo) -> bool {
        if tid == self.tid {
            self.send(info);
            return true;
        }
        let cur = self.tid;
        if !self.switch_to(tid) {
            return false;
        }
        self.send(info);
        self.switch_to(cur);
        true
    }

    /// Earliest timer deadline of any thread of the group (sleeps, futex
    /// timeouts, `alarm` and POSIX timers while every thread waits).
    pub fn group_wake_time(&self) -> Option<u64> {
        if self.signals.stopped.is_some() {
            return None;
        }
        let mut best = self.wake_time();
        for t in &self.threads {
            for d in [t.sleep_until, t.timeout_at].into_iter().flatten() {
                best = Some(best.map_or(d, |b: u64| b.min(d)));
            }
        }
        best
    }

    /// Every thread of the group, for a deadlock report: which call each
    /// one is blocked in.
    pub fn blocked_threads(&self) -> Vec<BlockedThread> {
        let mut out = vec![self.blocked_thread(self.tid, &self.cpu, self.futex_wait)];
        for t in &self.threads {
            out.push(self.blocked_thread(t.tid, &t.cpu, t.futex_wait));
        }
        out.sort_by_key(|b| b.tid);
        out
    }

    fn blocked_thread(&self, tid: u32, cpu: &CpuState, futex: Option<FutexWait>) -> BlockedThread {
        let abi = self.frontend.syscall_abi();
        let arg = |i: usize| cpu.regs[abi.args[i].0 as usize];
        if let Some(sig) = self.signals.stopped {
            let sabi = super::arch::linux_abi(self.arch).signal;
            let wait = WaitReason::Stopped { signal: super::signal::stop_signal_name(sabi, sig) };
            return BlockedThread { pid: self.pid, tid, name: self.name.clone(), pc: cpu.pc, wait };
        }
        let wait = match (futex, abi.call_in(cpu)) {
            (Some(f), _) => WaitReason::Futex { addr: f.addr },
            (None, Some(Sysno::Read | Sysno::Readv | Sysno::Pread64)) => {
                WaitReason::Read { fd: arg(0) }
            }
            (None, Some(Sysno::Write | Sysno::Writev | Sysno::Pwrite64)) => {
                WaitReason::Write { fd: arg(0) }
            }
            (None, Some(Sysno::Wait4)) => WaitReason::Child { selector: self.signed(arg(0)) },
            (None, Some(Sysno::Waitid)) => WaitReason::Child { selector: self.signed(arg(1)) },
            (
                None,
                Some(
                    Sysno::Pause
                    | Sysno::RtSigsuspend
                    | Sysno::RtSigtimedwait
                    | Sysno::RtSigtimedwaitTime64,
                ),
            ) => WaitReason::Signal,
            (None, Some(s)) => WaitReason::Syscall { name: s.name() },
            (None, None) => WaitReason::Syscall { name: "unknown".into() },
        };
        BlockedThread { pid: self.pid, tid, name: self.name.clone(), pc: cpu.pc, wait }
    }
}

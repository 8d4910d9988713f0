//! One guest world: the kernel, the VFS, the processes and the loop that
//! runs them. The shell (`shell`) starts processes here and asks the world
//! to run until they have all exited.
//!
//! The loop is deterministic. It offers the CPU in the scheduler's order,
//! thread by thread (a thread is scheduled exactly as a process is, by its
//! tid); a thread that is asleep (deadline after the clock) is skipped,
//! and a blocked one retries its system call, which costs no instruction.
//! A retry that could only find what the last one found (nothing it waits
//! on has changed, `Process::retry_would_block`) is not made: its turn is
//! counted as the retry's would be. A shell in `wait4` and a writer to a
//! full pipe otherwise retry at every turn of a long pipeline.
//! The first thread that makes progress (retires instructions, moves data,
//! wakes a futex or exits) ends the decision. When nobody can make
//! progress, the clock jumps to the earliest timer (a sleep, a futex
//! timeout, an alarm or POSIX timer), or, without one, the run stops as
//! deadlocked, naming every blocked thread and what it waits on.
//!
//! Time: one machine-wide virtual clock in nanoseconds, advanced by every
//! retired instruction (one instruction, one nanosecond) and by those
//! jumps. Before each slice the process's `vclock_bias` is set so that its
//! `icount + vclock_bias` reads the machine clock.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::lanes::{LaneSpec, Lanes};
use super::sched::Scheduler;
use super::vfs::{CaptureRef, Vfs};
use super::{Fnv64, MachineConfig, Placement, ProcessStats, RunControl, Stopped};
use crate::events::Event;
use crate::linux::file::FdTable;
use crate::linux::{Kernel, Process, ProcessConfig, RunState, SpawnError};
use crate::timeline::{self, Kind};

/// Totals of engine statistics over processes.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineTotals {
    pub blocks_translated: u64,
    pub blocks_compiled: u64,
    pub compile_us: u64,
    pub regions_shared: u64,
}

pub struct World {
    pub kernel: Kernel,
    pub vfs: Rc<RefCell<Vfs>>,
    pub stdout: CaptureRef,
    pub stderr: CaptureRef,
    pcfg: ProcessConfig,
    max_insns: u64,
    cancel: Option<Arc<AtomicBool>>,
    /// Running processes, by ascending pid.
    live: Vec<Process>,
    /// Every process ever started, by pid, with its output hash.
    stats: Vec<(ProcessStats, u64)>,
    clock: u64,
    insns: u64,
    sched: Scheduler,
    pub engines: EngineTotals,
    /// Kept from one scheduling decision to the next, not to allocate
    /// them per time slice: `(tid, index into live)` by ascending tid,
    /// the tids alone, and the scheduler's order of them.
    ents: Vec<(u32, usize)>,
    tids: Vec<u32>,
    order: Vec<usize>,
    /// The lanes processes may move to and run ahead on (see `lanes`).
    lanes: Option<Rc<Lanes>>,
    /// Processes moved to a lane, by pid, with how many of the turns they
    /// ran in a row ended in a system call (see [`World::place`]).
    quiet_turns: Vec<(u32, u32)>,
    /// The scheduler's quantum: every slice's fuel without chaos.
    quantum: u64,
    slices_ahead: u64,
    /// Engines moved to a lane, and back (see [`World::place`]).
    moves: (u64, u64),
    placement: Placement,
    /// Blocked calls are not retried while nothing they wait on changed
    /// (see `Process::retry_would_block`).
    skip_retries: bool,
    retries_skipped: u64,
}

impl World {
    pub fn new(
        cfg: &MachineConfig,
        kernel: Kernel,
        vfs: Rc<RefCell<Vfs>>,
        stdout: CaptureRef,
        stderr: CaptureRef,
        ctl: &RunControl,
    ) -> World {
        // Lanes need a fuel known before a slice's turn (no chaos) and
        // engines without plugins (whose hosts live on this thread).
        let lanes = (ctl.lanes > 0 && !cfg.chaos && kernel.plugins.is_none())
            .then(|| {
                let spec = LaneSpec {
                    sharing: crate::engine::sharing(),
                    background_compile: crate::engine::background_compile(),
                };
                // Without threads the run goes on alone, only slower.
                Lanes::start(spec, ctl.lanes).ok()
            })
            .flatten();
        // Every new image (or forked copy) starts on this thread; what
        // runs long enough on its own moves to a lane (`place`).
        let engine =
            super::engine_factory(cfg.engine, cfg.max_block_insns.max(1), cfg.jit_threshold);
        World {
            kernel,
            vfs,
            stdout,
            stderr,
            pcfg: ProcessConfig { arch: cfg.arch, engine },
            lanes,
            quiet_turns: Vec::new(),
            quantum: cfg.quantum.max(1),
            slices_ahead: 0,
            moves: (0, 0),
            placement: ctl.placement.unwrap_or_default(),
            skip_retries: !ctl.retry_every_turn,
            retries_skipped: 0,
            max_insns: cfg.max_insns,
            cancel: ctl.cancel.clone(),
            live: Vec::new(),
            stats: Vec::new(),
            clock: 0,
            insns: 0,
            sched: Scheduler::new(cfg.quantum, cfg.chaos, cfg.seed),
            engines: EngineTotals::default(),
            ents: Vec::new(),
            tids: Vec::new(),
            order: Vec::new(),
        }
    }

    /// Start a process; it runs at the next [`World::run`].
    pub fn spawn(
        &mut self,
        image: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        fds: FdTable,
        cwd: &[u8],
    ) -> Result<u32, SpawnError> {
        let pid = self.kernel.alloc_pid();
        let arg0 = argv.first().map_or(&b""[..], |a| a.as_slice());
        let exe = crate::linux::normalize(cwd, arg0);
        let spawned =
            Process::spawn(&self.pcfg, &mut self.kernel, pid, image, &exe, argv, envp, fds);
        self.kernel.report_limits(pid);
        let mut p = spawned.inspect_err(|e| {
            if let Some(h) = e.host_error(pid) {
                self.kernel.host_error.get_or_insert(h);
            }
        })?;
        p.cwd = cwd.to_vec();
        self.admit(p);
        Ok(pid)
    }

    /// Add a new process (started by the shell or forked by a guest) to
    /// the run queue, in pid order.
    fn admit(&mut self, mut p: Process) {
        self.kernel.changes += 1;
        if let Some(h) = &self.kernel.plugins {
            p.instrument(h);
        }
        let (pid, name) = (p.pid, p.name.clone());
        self.stats.push((ProcessStats { pid, name, insns: 0, status: None }, 0));
        let at = self.live.partition_point(|q| q.pid < pid);
        self.live.insert(at, p);
    }

    /// Shell-style status of an exited process.
    pub fn status(&self, pid: u32) -> Option<i32> {
        self.stats.iter().find(|(s, _)| s.pid == pid).and_then(|(s, _)| s.status)
    }

    pub fn insns(&self) -> u64 {
        self.insns
    }

    pub fn schedule_hash(&self) -> u64 {
        self.sched.schedule_hash()
    }

    pub fn switches(&self) -> u64 {
        self.sched.switches()
    }

    /// Slices started ahead of their turn (see `lanes`).
    pub fn slices_ahead(&self) -> u64 {
        self.slices_ahead
    }

    /// Engines moved to a lane, and back to this thread, so far.
    pub fn moves(&self) -> (u64, u64) {
        self.moves
    }

    /// Turns of blocked calls counted without a retry.
    pub fn retries_skipped(&self) -> u64 {
        self.retries_skipped
    }

    /// Per-process statistics (running ones included, with status `None`)
    /// and each process's output hash, by pid.
    pub fn process_stats(&self) -> Vec<(ProcessStats, u64)> {
        let mut out = self.stats.clone();
        for p in &self.live {
            if let Some(entry) = out.iter_mut().find(|(s, _)| s.pid == p.pid) {
                entry.0.insns = p.total_insns();
                entry.1 = p.output_hash.finish();
            }
        }
        out
    }

    /// Add the engine statistics of running processes (at the end of a
    /// stopped run).
    pub fn collect_live_engines(&mut self) {
        for p in &self.live {
            add_engine(&mut self.engines, p);
        }
    }

    fn finish(&mut self, idx: usize) {
        let p = self.live.remove(idx);
        self.quiet_turns.retain(|e| e.0 != p.pid);
        add_engine(&mut self.engines, &p);
        for tid in p.thread_ids() {
            self.sched.remove(tid);
        }
        self.sched.remove(p.pid);
        if let Some(entry) = self.stats.iter_mut().find(|(s, _)| s.pid == p.pid) {
            entry.0.insns = p.total_insns();
            entry.0.status = p.exit.map(|s| s.shell_code());
            entry.1 = p.output_hash.finish();
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Run until every process has exited.
    pub fn run(&mut self) -> Result<(), Stopped> {
        while !self.live.is_empty() {
            // A host failure ends the run at once; `run_script` reports it
            // as the error it is, whatever stop this loop gives.
            if self.cancelled() || self.kernel.host_error.is_some() {
                let p = &self.live[0];
                return Err(Stopped::Cancelled { pid: p.pid, pc: p.cpu.pc });
            }
            if self.insns >= self.max_insns {
                let p = &self.live[0];
                return Err(self.limit_reached(p.pid, p.cpu.pc));
            }
            // Every thread of every process, by ascending tid.
            let mut ents = std::mem::take(&mut self.ents);
            ents.clear();
            for (i, p) in self.live.iter().enumerate() {
                ents.extend(p.each_thread_id().map(|t| (t, i)));
            }
            ents.sort_unstable();
            self.tids.clear();
            self.tids.extend(ents.iter().map(|e| e.0));
            let mut order = std::mem::take(&mut self.order);
            self.sched.order_into(&self.tids, &mut order);
            self.ents = ents;
            let mut progressed = false;
            for &k in &order {
                let (tid, idx) = self.ents[k];
                let clock = self.clock;
                let p = &mut self.live[idx];
                p.switch_to(tid);
                if p.asleep_at(clock) {
                    continue;
                }
                let fuel = self.sched.slice().min(self.max_insns.saturating_sub(self.insns));
                if self.lanes.is_some() {
                    self.place(idx);
                    self.start_ahead(idx);
                }
                let p = &mut self.live[idx];
                if self.skip_retries && p.retry_would_block(&self.kernel) {
                    // The turn the retry would have taken: no instruction
                    // ran, and nothing moved (see `retry_would_block`). A
                    // limit reached outside any call is still reported by
                    // this turn, as the retry would have.
                    p.cpu.vclock_bias = clock.wrapping_sub(p.cpu.icount);
                    self.kernel.report_limits(p.pid);
                    self.retries_skipped += 1;
                    self.sched.ran(tid, 0);
                    crate::linux::signal::route(&mut self.kernel, self.live.iter_mut());
                    continue;
                }
                let io_before = self.kernel.io_progress;
                let p = &mut self.live[idx];
                p.cpu.vclock_bias = clock.wrapping_sub(p.cpu.icount);
                let total_before = p.total_insns();
                let t = timeline::now();
                let state = p.run(&mut self.kernel, fuel);
                let kind = if p.engine.lane() == 0 { Kind::Turn } else { Kind::LaneTurn };
                timeline::span(kind, p.pid, t);
                // Over the group: a thread that exited has handed the
                // registers to another.
                let ran = p.total_insns() - total_before;
                let (pid, pc, streak) = (p.pid, p.cpu.pc, p.compute_streak);
                if kind == Kind::LaneTurn {
                    self.note_turn(pid, ran, streak);
                }
                self.insns += ran;
                self.clock += ran;
                self.sched.ran(tid, ran);
                let exited = matches!(state, RunState::Exited(_));
                if exited {
                    self.finish(idx);
                }
                let forked = !self.kernel.spawned.is_empty();
                for child in std::mem::take(&mut self.kernel.spawned) {
                    self.admit(child);
                }
                crate::linux::signal::route(&mut self.kernel, self.live.iter_mut());
                if self.insns >= self.max_insns && !exited {
                    return Err(self.limit_reached(pid, pc));
                }
                if exited || forked || ran > 0 || self.kernel.io_progress != io_before {
                    progressed = true;
                    break;
                }
            }
            self.order = order;
            if !progressed {
                let next_wake = self.live.iter().filter_map(|p| p.group_wake_time()).min();
                match next_wake {
                    Some(t) => self.clock = self.clock.max(t),
                    None => {
                        let p = &self.live[0];
                        let threads = self.live.iter().flat_map(|p| p.blocked_threads()).collect();
                        return Err(Stopped::Deadlock { pid: p.pid, pc: p.cpu.pc, threads });
                    }
                }
            }
        }
        Ok(())
    }

    /// Start the next slice of other processes on their lanes while the
    /// process at `running` takes its slice here (see `lanes`): those on a
    /// lane that is free and not `running`'s, whose next slice may run
    /// ahead, in round-robin order after `running`.
    fn start_ahead(&mut self, running: usize) {
        // Every slice until the last of theirs must run its whole quantum,
        // as theirs do: far enough from the instruction limit that, with
        // that many slices for every thread and for many new ones, the
        // limit cannot cut one.
        let threads = self.ents.len() as u64;
        let room = self.max_insns.saturating_sub(self.insns);
        if room / self.quantum < (threads + 256) * crate::linux::signal::DEFER_SLICES {
            return;
        }
        let lane = self.live[running].engine.lane();
        let n = self.live.len();
        for step in 1..n {
            let p = &mut self.live[(running + step) % n];
            let l = p.engine.lane();
            if l != 0 && l != lane && p.engine.can_start_ahead() && p.can_run_ahead() {
                self.slices_ahead += p.start_ahead(self.quantum);
            }
        }
    }

    /// Where the process at `idx` takes its turn from now on (see
    /// `lanes`): its engine moves between this thread and a lane
    /// (`Engine::export`), which changes what runs where, never what runs.
    /// - A process here that ran `lane_streak` whole slices of its own
    ///   code in a row, and can run ahead, moves to a lane no process is
    ///   on, while another process here has code of its own to run: the
    ///   two then compute side by side. Every process starts here, so one
    ///   that mostly makes system calls (a shell, a `cat` between two
    ///   pipes) never pays a lane's round trip for each.
    /// - A process on a lane comes back once `quiet_turns` of the turns
    ///   it ran in a row ended in a system call (`note_turn`): such a
    ///   process cannot run ahead, and each of its calls costs a round trip
    ///   the world waits for. Turns a blocked call only waits in cost
    ///   nothing there and do not count.
    fn place(&mut self, idx: usize) {
        let Some(lanes) = &self.lanes else { return };
        let p = &self.live[idx];
        let lane = p.engine.lane();
        if lane == 0 {
            let busy_here = self
                .live
                .iter()
                .enumerate()
                .any(|(i, q)| i != idx && q.engine.lane() == 0 && q.has_own_work());
            if p.compute_streak < self.placement.lane_streak || !p.can_run_ahead() || !busy_here {
                return;
            }
            let taken = |l: usize| self.live.iter().any(|q| q.engine.lane() == l);
            let Some(to) = (1..=lanes.count()).find(|&l| !taken(l)) else { return };
            let (lanes, pid) = (lanes.clone(), p.pid);
            let p = &mut self.live[idx];
            if let Some(moved) = p.engine.export() {
                p.engine = lanes.adopt(to, pid, moved);
                // An `execve` on the lane left the image before on it.
                self.quiet_turns.retain(|e| e.0 != pid);
                self.quiet_turns.push((pid, 0));
                self.moves.0 += 1;
            }
            return;
        }
        let pid = p.pid;
        let quiet = self.placement.quiet_turns;
        let Some(at) = self.quiet_turns.iter().position(|e| e.0 == pid && e.1 >= quiet) else {
            return;
        };
        let p = &mut self.live[idx];
        if let Some(moved) = p.engine.export() {
            p.engine = moved.adopt();
            self.quiet_turns.swap_remove(at);
            self.moves.1 += 1;
        }
    }

    /// Count, for a process on a lane, whether the turn it just took ran
    /// and ended in a system call (see [`World::place`]).
    fn note_turn(&mut self, pid: u32, ran: u64, streak: u64) {
        if ran == 0 {
            return;
        }
        if let Some(e) = self.quiet_turns.iter_mut().find(|e| e.0 == pid) {
            e.1 = if streak == 0 { e.1 + 1 } else { 0 };
        }
    }

    fn limit_reached(&mut self, pid: u32, pc: u64) -> Stopped {
        self.kernel.events.push(Event::InstructionLimit { pid, pc, insns: self.insns });
        Stopped::InstructionLimit { pid, pc }
    }

    /// Hash of everything guest-visible about the run so far.
    pub fn fingerprint_into(&self, h: &mut Fnv64) {
        h.write_u64(self.insns);
        h.write_u64(self.clock);
        h.write_u64(self.sched.schedule_hash());
        let stats = self.process_stats();
        h.write_u64(stats.len() as u64);
        for (s, out) in &stats {
            h.write_u64(s.pid as u64);
            h.write_field(s.name.as_bytes());
            h.write_u64(s.insns);
            h.write_u64(s.status.map_or(u64::MAX, |c| c as u64));
            h.write_u64(*out);
        }
    }
}

fn add_engine(t: &mut EngineTotals, p: &Process) {
    let s = p.engine.stats();
    t.blocks_translated += s.blocks_translated;
    t.blocks_compiled += s.blocks_compiled;
    t.compile_us += s.compile_us;
    t.regions_shared += s.regions_shared;
}

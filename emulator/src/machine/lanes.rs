//! Lanes: host threads that run the engines of some of a world's
//! processes, so that one process's compute runs while the world runs
//! another's time slice ("running ahead"). Guest time still passes only in
//! the world's loop (`world`), one slice after another in the scheduler's
//! order; what a lane adds is that a process's next slices, up to
//! `signal::DEFER_SLICES` of them while each is one engine run of its
//! whole quantum (a chain), may already be done when their turns come.
//!
//! Why the result is exactly the one-thread result:
//! - A process runs ahead only when its next slice must begin with a plain
//!   engine run of a full quantum: a single thread, in no system call, not
//!   stopped or asleep, no signal it would take now, no timer, and far from
//!   the world's instruction limit (`Process::can_run_ahead`).
//! - An engine run reads and writes only the thread's registers and its
//!   own address space, and a process with a `MAP_SHARED` range never runs
//!   ahead. No other process can change either before its turn: other
//!   processes reach it only through signals, and a signal sent to a
//!   process busy in its own code waits until the chain it may be in is
//!   over, with or without lanes (`signal::route`).
//! - The one input the world sets only at the slice's start is the virtual
//!   clock. An instruction that reads it traps while the thread runs ahead
//!   (`ir::AHEAD`) at the start of its own block, and the rest of the run
//!   happens at its turn, with the clock known.
//! - At its turn, a slice's start (pc, instruction count) and fuel are
//!   compared with what its run started from; they cannot differ, and a
//!   difference is a bug that stops the run loudly rather than a wrong
//!   result.
//!
//! Every process starts on the world's thread (a program's start, the
//! dynamic loader, makes a system call every few thousand instructions,
//! and on a lane each would cost a round trip). Its engine moves to a lane
//! once it runs long stretches of its own code while another process on
//! the world's thread has code to run too, and back once its turns end in
//! system calls (`World::place`): `Engine::export` takes the engine's
//! state out, `Lanes::adopt` makes it an engine on the lane again, and
//! what it does next is what it would have done where it was. A lane with
//! no process sleeps; one with processes polls (`recv_spinning`).
//!
//! The engine of a lane's process lives on that lane (adopted, run and
//! dropped or exported there, so the thread's code cache, which the
//! engines of a thread share, is only ever touched by its own thread;
//! lifted blocks are shared by every thread, see `interp::shared`). The
//! process keeps a [`LaneEngine`] that forwards every call; its address
//! space moves to the lane for each run or chain (a vacant one holds its
//! place) and back. Lane 0 is the world's own thread, which runs its
//! processes' engines directly. A lane serves the world's requests between
//! the slices of a chain, and a world's thread keeps its lanes, caches
//! warm, for its next world.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::affinity;
use crate::arch::Frontend;
use crate::cpu::CpuState;
use crate::engine::{Engine, EngineStats, Moved, StopReason};
use crate::ir::{AHEAD, Block, TrapKind};
use crate::mem::AddressSpace;
use crate::timeline;

/// The engine switches of the thread that made the lanes, for the engines
/// that move to them (each thread has its own, see `engine::set_sharing`).
#[derive(Clone, Copy, Debug)]
pub struct LaneSpec {
    pub sharing: bool,
    pub background_compile: bool,
}

/// One engine run: the thread's registers and address space travel to the
/// lane and back.
struct Work {
    cpu: CpuState,
    mem: AddressSpace,
    fuel: u64,
    stop: StopReason,
}

/// One slice's engine run of a chain run ahead. The address space comes
/// back with the chain's last part.
struct Part {
    cpu: CpuState,
    stop: StopReason,
    mem: Option<AddressSpace>,
    /// What the run invalidated, taken out of the address space (which
    /// stays on the lane) for the world to log in its turn.
    invalidations: Vec<(u64, u64)>,
    /// The engine's statistics before the run.
    before: EngineStats,
}

enum Request {
    /// A world starts using the lane, with these engine settings, held to
    /// this host core while it does (see `affinity`).
    Start(LaneSpec, Option<usize>),
    /// The world is done with the lane: drop what is left of it, and say
    /// so.
    Done,
    /// An engine that moved here from another thread (see
    /// `Engine::export`), by id, for guest process `pid` (the timeline's
    /// label).
    Adopt(u32, u32, Box<dyn Moved>),
    /// Take engine `id` out to move it to another thread.
    Export(u32),
    Run(u32, Box<Work>),
    /// Run a chain of slices ahead (see [`Running`]).
    Ahead(Box<Running>),
    Flush(u32),
    SetFrontend(u32, &'static dyn Frontend),
    Stats(u32),
    Dump(u32),
    Drop(u32),
}

enum Reply {
    Done,
    Ran(Box<Work>),
    Ahead(u32, Box<Part>),
    Stats(EngineStats),
    Blocks(Vec<Block>),
    Exported(Option<Box<dyn Moved>>),
}

/// How a waiting side polls before it sleeps: a time slice takes about
/// ten microseconds, and waking a sleeping thread took tens of them on the
/// machine measured. It spins for `SPIN`, then yields between polls (so
/// that the thread it waits for gets the core when threads outnumber
/// cores), and sleeps once nothing came for `POLL`: a lane whose process
/// waits on a pipe stays awake across the other processes' slices.
const SPIN: Duration = Duration::from_micros(20);
const POLL: Duration = Duration::from_millis(50);

/// Receive, polling for a while first.
fn recv_spinning<T>(rx: &Receiver<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        match rx.try_recv() {
            Ok(v) => return Some(v),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        let waited = start.elapsed();
        if waited < SPIN {
            std::hint::spin_loop();
        } else if waited < POLL {
            std::thread::yield_now();
        } else {
            return rx.recv().ok();
        }
    }
}

/// A chain running ahead on its lane: slices of `fuel` one after another,
/// while each uses its whole fuel, `slices_left` more at most.
struct Running {
    id: u32,
    cpu: CpuState,
    mem: AddressSpace,
    fuel: u64,
    slices_left: u64,
}

fn lane_main(rx: Receiver<Request>, tx: Sender<Reply>) {
    let mut engines: Vec<Option<Box<dyn Engine>>> = Vec::new();
    // The guest process of each engine, for the timeline.
    let mut pids: Vec<u32> = Vec::new();
    let mut running: Option<Box<Running>> = None;
    let mut _hold: Option<affinity::Hold> = None;
    loop {
        // Requests go first: a run the world waits for must not wait
        // behind a chain, which goes on between them.
        let req = match &running {
            Some(_) => match rx.try_recv() {
                Ok(r) => Some(r),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return,
            },
            // A lane with no process has nothing the world could be
            // waiting for, only a new engine to come, whose request needs
            // no reply: it sleeps at once. Polling would keep its core in
            // the host process's address space, where every change of the
            // world's mappings then interrupts it to flush its TLB.
            None if engines.iter().all(Option::is_none) => match rx.recv() {
                Ok(r) => Some(r),
                Err(_) => return,
            },
            None => match recv_spinning(&rx) {
                Some(r) => Some(r),
                None => return,
            },
        };
        let Some(req) = req else {
            let Some(mut r) = running.take() else { continue };
            let t = timeline::now();
            let e = engine(&mut engines, r.id);
            let before = e.stats();
            let stop = e.run(&mut r.cpu, &mut r.mem, r.fuel);
            let invalidations = r.mem.take_invalidations();
            r.slices_left -= 1;
            let cpu = r.cpu.clone();
            let last = stop != StopReason::FuelExhausted || r.slices_left == 0;
            let (mem, id) = (None, r.id);
            let mut part = Part { cpu, stop, mem, invalidations, before };
            if last {
                part.mem = Some(r.mem);
            } else {
                running = Some(r);
            }
            timeline::span(timeline::Kind::Ahead, pids[id as usize], t);
            if tx.send(Reply::Ahead(id, Box::new(part))).is_err() {
                return;
            }
            continue;
        };
        let reply = match req {
            Request::Start(s, core) => {
                _hold = core.and_then(affinity::Hold::new);
                crate::engine::set_sharing(s.sharing);
                crate::engine::set_background_compile(s.background_compile);
                None
            }
            Request::Done => {
                // The world is over: its processes are gone, and so are
                // their engines; the thread's caches stay for the next.
                running = None;
                engines.clear();
                _hold = None;
                Some(Reply::Done)
            }
            Request::Adopt(id, pid, moved) => {
                let id = id as usize;
                if engines.len() <= id {
                    engines.resize_with(id + 1, || None);
                    pids.resize(id + 1, 0);
                }
                engines[id] = Some(moved.adopt());
                pids[id] = pid;
                None
            }
            Request::Export(id) => Some(Reply::Exported(engine(&mut engines, id).export())),
            Request::Drop(id) => {
                // A process that goes away with slices still ahead (the
                // run stopped before their turn) drops them too.
                if running.as_ref().is_some_and(|r| r.id == id) {
                    running = None;
                }
                engines[id as usize] = None;
                None
            }
            Request::Run(id, mut w) => {
                let t = timeline::now();
                let e = engine(&mut engines, id);
                w.stop = e.run(&mut w.cpu, &mut w.mem, w.fuel);
                timeline::span(timeline::Kind::Run, pids[id as usize], t);
                Some(Reply::Ran(w))
            }
            Request::Ahead(r) => {
                running = Some(r);
                None
            }
            Request::Flush(id) => {
                engine(&mut engines, id).flush();
                None
            }
            Request::SetFrontend(id, f) => {
                engine(&mut engines, id).set_frontend(f);
                None
            }
            Request::Stats(id) => Some(Reply::Stats(engine(&mut engines, id).stats())),
            Request::Dump(id) => Some(Reply::Blocks(engine(&mut engines, id).dump_blocks())),
        };
        if let Some(reply) = reply
            && tx.send(reply).is_err()
        {
            return;
        }
    }
}

fn engine(engines: &mut [Option<Box<dyn Engine>>], id: u32) -> &mut Box<dyn Engine> {
    engines
        .get_mut(id as usize)
        .and_then(|e| e.as_mut())
        .unwrap_or_else(|| unreachable!("lane engine {id} used after it was dropped"))
}

/// The world's side of one lane.
struct Lane {
    tx: Option<Sender<Request>>,
    rx: Receiver<Reply>,
    thread: Option<JoinHandle<()>>,
    next_id: Cell<u32>,
    /// Parts of chains run ahead that came back before their turn, in
    /// order.
    parts: RefCell<std::collections::VecDeque<(u32, Box<Part>)>>,
    /// A chain runs ahead on this lane (until its last part is taken); a
    /// lane runs one process ahead at a time.
    ahead: Cell<bool>,
}

impl Lane {
    /// The world's side of a started lane thread, before any engine.
    fn new(tx: Sender<Request>, rx: Receiver<Reply>, thread: JoinHandle<()>) -> Lane {
        Lane {
            tx: Some(tx),
            rx,
            thread: Some(thread),
            next_id: Cell::new(0),
            parts: RefCell::new(std::collections::VecDeque::new()),
            ahead: Cell::new(false),
        }
    }

    fn send(&self, req: Request) {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(req).is_ok());
        if !sent {
            lane_died();
        }
    }

    /// Wait for the reply to the one request waiting for one, keeping the
    /// parts run ahead that come back first.
    fn reply(&self) -> Reply {
        let t = timeline::now();
        loop {
            match recv_spinning(&self.rx) {
                Some(Reply::Ahead(id, part)) => self.parts.borrow_mut().push_back((id, part)),
                Some(r) => {
                    timeline::span(timeline::Kind::Wait, 0, t);
                    return r;
                }
                None => lane_died(),
            }
        }
    }

    /// Wait until engine `id`'s next part has come back.
    fn wait_part(&self, id: u32) -> usize {
        let t = timeline::now();
        loop {
            if let Some(at) = self.parts.borrow().iter().position(|p| p.0 == id) {
                timeline::span(timeline::Kind::Wait, 0, t);
                return at;
            }
            match recv_spinning(&self.rx) {
                Some(Reply::Ahead(i, part)) => self.parts.borrow_mut().push_back((i, part)),
                Some(_) => unreachable!("a lane replied to a request nobody waits for"),
                None => lane_died(),
            }
        }
    }

    /// Take engine `id`'s next part, waiting for it.
    fn take_part(&self, id: u32) -> Box<Part> {
        let at = self.wait_part(id);
        let (_, part) = self.parts.borrow_mut().remove(at).expect("a part just found");
        if part.mem.is_some() {
            self.ahead.set(false);
        }
        part
    }
}

/// A lane's thread ended early, which only a panic does: carry it on here,
/// where the run's own panic handling reports it.
fn lane_died() -> ! {
    panic!("an engine lane's thread panicked; its report is above")
}

/// A lane's thread and its two channels, between worlds. Dropping it
/// closes the channel, and the idle lane's thread then ends.
struct LaneThread {
    tx: Sender<Request>,
    rx: Receiver<Reply>,
    thread: JoinHandle<()>,
}

thread_local! {
    /// Lanes of this thread's finished worlds, kept for its next ones: a
    /// lane's thread-local code cache then serves every cell this thread
    /// runs, as the thread's own does.
    static IDLE: RefCell<Vec<LaneThread>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Lane {
    fn drop(&mut self) {
        let (Some(tx), Some(thread)) = (self.tx.take(), self.thread.take()) else { return };
        // Wait until the lane has dropped this world's engines (and any
        // slices still ahead), then keep it. A lane that does not answer
        // has ended (it panicked): closing its channel joins it.
        if tx.send(Request::Done).is_ok() {
            loop {
                match self.rx.recv() {
                    Ok(Reply::Done) => {
                        let rx = std::mem::replace(&mut self.rx, mpsc::channel().1);
                        let idle = LaneThread { tx, rx, thread };
                        // During thread teardown the pool may be gone; the
                        // lane then ends with its channel.
                        let _ = IDLE.try_with(|p| p.borrow_mut().push(idle));
                        return;
                    }
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
        }
        drop(tx);
        // A lane that panicked while running a chain no turn would take
        // (the world had stopped) ran the engine wrong all the same: fail
        // the world, unless it is failing already.
        if thread.join().is_err() && !std::thread::panicking() {
            lane_died();
        }
    }
}

/// A world's lanes (lane 0, the world's own thread, is not among them).
pub struct Lanes {
    lanes: Vec<Lane>,
    /// The host cores the world's thread and its lanes are held to; let go
    /// of after the lanes (which leave theirs when the world is done).
    _cores: Option<affinity::Claim>,
}

impl Lanes {
    /// Start `count` lanes. Fails only when the host cannot start a thread.
    pub fn start(spec: LaneSpec, count: usize) -> std::io::Result<Rc<Lanes>> {
        let cores = affinity::Claim::new(count + 1);
        let mut lanes = Vec::with_capacity(count);
        for n in 1..=count {
            let idle = IDLE.with(|p| p.borrow_mut().pop());
            let LaneThread { tx, rx, thread } = match idle {
                Some(t) => t,
                None => {
                    let (tx, lane_rx) = mpsc::channel();
                    let (lane_tx, rx) = mpsc::channel();
                    let thread = std::thread::Builder::new()
                        .name(format!("bohr-lane-{n}"))
                        .spawn(move || lane_main(lane_rx, lane_tx))?;
                    LaneThread { tx, rx, thread }
                }
            };
            let core = cores.as_ref().and_then(|c| c.lane_core(n));
            if tx.send(Request::Start(spec, core)).is_err() {
                continue;
            }
            lanes.push(Lane::new(tx, rx, thread));
        }
        Ok(Rc::new(Lanes { lanes, _cores: cores }))
    }

    /// How many lanes there are (the world's thread not counted).
    pub fn count(&self) -> usize {
        self.lanes.len()
    }

    /// Process `pid`'s engine, taken out of the world's thread
    /// (`Engine::export`), going on on `lane` (1-based).
    pub fn adopt(self: &Rc<Self>, lane: usize, pid: u32, moved: Box<dyn Moved>) -> Box<dyn Engine> {
        let l = &self.lanes[lane - 1];
        let id = l.next_id.get();
        l.next_id.set(id + 1);
        l.send(Request::Adopt(id, pid, moved));
        Box::new(LaneEngine { lanes: self.clone(), lane, id, spare: None, chain: None })
    }
}

/// A chain of slices running ahead, until its last part is taken: its
/// fuel, and where its next part starts.
struct Chain {
    fuel: u64,
    pc: u64,
    icount: u64,
}

/// A process's engine that lives on a lane (module docs).
pub struct LaneEngine {
    lanes: Rc<Lanes>,
    /// 1-based: lane 0 is the world's thread.
    lane: usize,
    id: u32,
    /// Holds the process's place while its address space is on the lane.
    spare: Option<AddressSpace>,
    chain: Option<Chain>,
}

impl LaneEngine {
    fn l(&self) -> &Lane {
        &self.lanes.lanes[self.lane - 1]
    }

    /// Swap the vacant stand-in into `mem`, returning the real space.
    fn take_space(&mut self, mem: &mut AddressSpace) -> Option<AddressSpace> {
        let spare = match self.spare.take() {
            Some(s) => s,
            None => mem.vacant().ok()?,
        };
        Some(std::mem::replace(mem, spare))
    }

    /// Put the real space back, keeping the stand-in for next time.
    fn restore_space(&mut self, mem: &mut AddressSpace, real: AddressSpace) {
        self.spare = Some(std::mem::replace(mem, real));
    }

    /// An engine run on the lane, waited for.
    fn run_on_lane(&mut self, cpu: &mut CpuState, mem: &mut AddressSpace, fuel: u64) -> StopReason {
        let Some(real) = self.take_space(mem) else {
            // Not even a few pages of address space for the stand-in: the
            // host's failure, not the guest's.
            panic!("cannot reserve host address space for an engine lane");
        };
        let cpu_in = cpu.clone();
        let work = Box::new(Work { cpu: cpu_in, mem: real, fuel, stop: StopReason::FuelExhausted });
        self.l().send(Request::Run(self.id, work));
        let Reply::Ran(w) = self.l().reply() else {
            unreachable!("a lane answered a run with something else")
        };
        let w = *w;
        *cpu = w.cpu;
        self.restore_space(mem, w.mem);
        w.stop
    }

    /// Take the chain's next part: the run's registers (with the slice's
    /// own clock bias) and stop; the address space is back in `mem` when
    /// that was the last part.
    fn take_part(&mut self, cpu: &mut CpuState, mem: &mut AddressSpace) -> StopReason {
        let part = self.l().take_part(self.id);
        let Part { cpu: ran, stop, mem: real, invalidations, .. } = *part;
        let bias = cpu.vclock_bias;
        *cpu = ran;
        cpu.vclock_bias = bias;
        cpu.regs[AHEAD.0 as usize] = 0;
        if let Some(real) = real {
            self.restore_space(mem, real);
            self.chain = None;
        }
        mem.restore_invalidations(invalidations);
        stop
    }
}

impl Engine for LaneEngine {
    fn run(&mut self, cpu: &mut CpuState, mem: &mut AddressSpace, fuel: u64) -> StopReason {
        let Some(chain) = &self.chain else {
            return self.run_on_lane(cpu, mem, fuel);
        };
        // Every run of a chain starts where the one before it ended, with
        // the chain's fuel: the turn's own fuel cannot differ.
        if (chain.fuel, chain.pc, chain.icount) != (fuel, cpu.pc, cpu.icount) {
            panic!(
                "a slice run ahead (pc {:#x}, {} instructions, fuel {}) came to its turn elsewhere (pc {:#x}, {} instructions, fuel {fuel})",
                chain.pc, chain.icount, chain.fuel, cpu.pc, cpu.icount
            );
        }
        let start = cpu.icount;
        let stop = self.take_part(cpu, mem);
        if let Some(c) = &mut self.chain {
            (c.pc, c.icount) = (cpu.pc, cpu.icount);
        }
        if stop != StopReason::Trap(TrapKind::ClockWait) {
            return stop;
        }
        // The run stopped before an instruction that reads the clock (at
        // the start of its block); the clock is known now, so go on.
        let used = cpu.icount - start;
        if used >= fuel {
            return StopReason::FuelExhausted;
        }
        self.run_on_lane(cpu, mem, fuel - used)
    }

    fn flush(&mut self) {
        self.l().send(Request::Flush(self.id));
    }

    fn set_frontend(&mut self, frontend: &'static dyn Frontend) {
        self.l().send(Request::SetFrontend(self.id, frontend));
    }

    fn set_plugins(&mut self, _plugins: crate::plugin::PluginHandle) {
        // Worlds with plugins start no lanes (`World::new`).
        unreachable!("plugins on an engine lane")
    }

    fn stats(&self) -> EngineStats {
        if self.chain.is_some() {
            // Runs ahead that no turn took yet (the run may stop before
            // theirs) have not happened: report the engine as it was
            // before the first of them.
            let l = self.l();
            let at = l.wait_part(self.id);
            return l.parts.borrow()[at].1.before;
        }
        self.l().send(Request::Stats(self.id));
        match self.l().reply() {
            Reply::Stats(s) => s,
            _ => unreachable!("a lane answered a stats request with something else"),
        }
    }

    fn dump_blocks(&self) -> Vec<Block> {
        self.l().send(Request::Dump(self.id));
        match self.l().reply() {
            Reply::Blocks(b) => b,
            _ => unreachable!("a lane answered a dump request with something else"),
        }
    }

    fn start_ahead(
        &mut self,
        cpu: &CpuState,
        mem: &mut AddressSpace,
        fuel: u64,
        slices: u64,
    ) -> bool {
        if !self.can_start_ahead() || slices == 0 {
            return false;
        }
        let Some(real) = self.take_space(mem) else { return false };
        let mut run = cpu.clone();
        run.regs[AHEAD.0 as usize] = 1;
        let r = Running { id: self.id, cpu: run, mem: real, fuel, slices_left: slices };
        self.l().send(Request::Ahead(Box::new(r)));
        self.l().ahead.set(true);
        self.chain = Some(Chain { fuel, pc: cpu.pc, icount: cpu.icount });
        true
    }

    fn can_start_ahead(&self) -> bool {
        self.chain.is_none() && !self.l().ahead.get()
    }

    fn export(&mut self) -> Option<Box<dyn Moved>> {
        // Slices ahead hold the address space on the lane.
        if self.chain.is_some() {
            return None;
        }
        self.l().send(Request::Export(self.id));
        match self.l().reply() {
            Reply::Exported(moved) => moved,
            _ => unreachable!("a lane answered an export with something else"),
        }
    }

    fn lane(&self) -> usize {
        self.lane
    }
}

impl Drop for LaneEngine {
    fn drop(&mut self) {
        // Slices still ahead (the run stopped before their turn) own the
        // real address space; the lane drops them with the engine. A lane
        // that is gone has dropped its engines already, and a drop must
        // not panic.
        if let Some(tx) = &self.l().tx {
            let _ = tx.send(Request::Drop(self.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lane_that_panicked_fails_its_world_when_dropped() {
        let (tx, lane_rx) = mpsc::channel::<Request>();
        let (lane_tx, rx) = mpsc::channel::<Reply>();
        // A lane that dies as a chain's slice would, taking its ends of
        // the channels with it.
        let thread = std::thread::spawn(move || {
            let _ends = (lane_rx, lane_tx);
            panic!("a lane's engine went wrong (expected by this test)");
        });
        while !thread.is_finished() {
            std::thread::yield_now();
        }
        let lane = Lane::new(tx, rx, thread);
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(lane)));
        let payload = dropped.expect_err("the lane's panic went unreported");
        let message = payload.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(message.contains("engine lane"), "{message}");
    }
}

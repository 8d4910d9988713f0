//! Instrumentation: plugins in the spirit of QEMU's TCG plugin API, made so
//! that they cannot corrupt the run they observe.
//!
//! Who talks to whom:
//! - The machine (`machine`) or `bohr exec` builds a [`PluginHost`] holding
//!   [`Plugin`]s and hands the shared [`PluginHandle`] to the kernel
//!   (`linux::Kernel::plugins`) and to every process's engine
//!   (`engine::Engine::set_plugins`).
//! - The translation step (`engine::translate`) asks the host which
//!   instructions and memory accesses of a fresh block the plugins want to
//!   see ([`PluginHost::plan_block`]) and inserts one `ir::Op::Hook` per
//!   callback. Nothing is inserted where nobody asked, so with no plugin
//!   the IR, and therefore the compiled code, is what it is without
//!   instrumentation.
//! - Engines execute a hook op by calling [`run_hook`] (the interpreter
//!   directly, the JIT through `jit::runtime::jit_hook`). Everything a
//!   memory callback sees (address, value, size, direction) is passed with
//!   the op; the host keeps no per-CPU callback pointer that could outlive
//!   its block.
//! - The kernel reports system calls, host-side writes into guest memory
//!   (the write paths), faults and process start and exit.
//!
//! Reset: any callback may call [`Cx::request_reset`]. The request only sets
//! a flag. A running block leaves at its next instruction boundary, and
//! the engine's dispatch loop ([`EnginePlugins::safe_point`]) then drops
//! the hook table, bumps the host's epoch and flushes its translations, so
//! that every block is translated (and instrumented) again. Other
//! processes' engines see the new epoch at their next dispatch and flush
//! before running anything. A reset is never applied under a running
//! block, which is what went wrong in QEMU issue #1381.
//!
//! Observation never changes the run: hooks read temporaries, never write
//! guest state, retire nothing and consume no fuel, and leaving a block
//! early only splits the same instructions over more blocks.
//!
//! Dependencies: `ir` and `arch` (capstone text through
//! `arch::disassemble`), plus two leaf value types in event fields
//! (`types::Errno`, `types::WritePath`).
//!
//! Built-in plugins: [`execlog`] (one line per executed instruction,
//! disassembled by capstone), [`counters`] (instructions and blocks per
//! process), [`memlog`] (every memory access), [`coverage`] (executed
//! block start pcs) and [`trace`] (a structured record for `bohr diff`).

pub mod counters;
pub mod coverage;
pub mod execlog;
pub mod memlog;
pub mod trace;

#[cfg(test)]
mod tests;

use std::any::Any;
use std::cell::RefCell;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use crate::arch::Arch;
use crate::ir::{Block, Endian, Op};
use crate::types::Errno;
use crate::types::WritePath;

/// The host shared by a machine's kernel and engines.
pub type PluginHandle = Rc<RefCell<PluginHost>>;

/// One guest instruction of a block being translated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsnInfo {
    pub pc: u64,
    /// The instruction's bytes, in memory order.
    pub bytes: Vec<u8>,
    /// The execution mode it was translated in (`Frontend::mode`: the
    /// mips FPU mode), which its disassembly follows.
    pub mode: u32,
}

impl InsnInfo {
    /// The instruction word as the guest reads it (its bytes in the arch's
    /// byte order), as QEMU's execlog prints it.
    pub fn opcode(&self, arch: Arch) -> u64 {
        opcode(arch, &self.bytes)
    }

    /// Capstone's text for the instruction, or `(bad)` when capstone
    /// cannot decode it.
    pub fn disasm(&self, arch: Arch) -> String {
        crate::arch::frontend_for_mode(arch, self.mode)
            .and_then(|f| f.disassemble(self.pc, &self.bytes))
            .map_or_else(|| "(bad)".to_string(), |(t, _)| t)
    }
}

/// `bytes` (memory order, at most 8) as a number in `arch`'s byte order.
pub fn opcode(arch: Arch, bytes: &[u8]) -> u64 {
    let b = &bytes[..bytes.len().min(8)];
    match arch.endian() {
        Endian::Big => b.iter().fold(0, |v, &x| (v << 8) | x as u64),
        Endian::Little => b.iter().rev().fold(0, |v, &x| (v << 8) | x as u64),
    }
}

/// Capstone's text for the instruction at `pc`, or `(bad)`.
pub fn disasm(arch: Arch, pc: u64, bytes: &[u8]) -> String {
    crate::arch::disassemble(arch, pc, bytes).map_or_else(|| "(bad)".to_string(), |(t, _)| t)
}

/// A block offered to [`Plugin::translate`].
#[derive(Debug)]
pub struct BlockInfo<'a> {
    pub arch: Arch,
    /// Guest pc of the first instruction.
    pub pc: u64,
    pub insns: &'a [InsnInfo],
}

/// What the plugins ask for in one block: per instruction, execution
/// callbacks and memory-access callbacks, each with the plugin's own data
/// word, which comes back in the events.
#[derive(Debug, Default)]
pub struct Plan {
    /// `(instruction index, data)`.
    insn: Vec<(usize, u64)>,
    mem: Vec<(usize, u64)>,
}

impl Plan {
    /// Call [`Plugin::insn`] each time instruction `index` starts.
    pub fn on_insn(&mut self, index: usize, data: u64) {
        self.insn.push((index, data));
    }

    /// Call [`Plugin::mem`] after each memory access of instruction `index`.
    pub fn on_mem(&mut self, index: usize, data: u64) {
        self.mem.push((index, data));
    }
}

/// An instruction started executing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsnEvent {
    pub pid: u32,
    pub pc: u64,
    /// The data word given to [`Plan::on_insn`].
    pub data: u64,
}

/// A guest load or store completed (a faulting access reports nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemEvent {
    pub pid: u32,
    /// The instruction that made the access.
    pub pc: u64,
    pub data: u64,
    pub addr: u64,
    /// The value loaded or stored, as the guest sees it (`size` bytes).
    pub value: u64,
    pub size: u32,
    pub store: bool,
}

/// A system call is entered (once per call, not per retry of a blocked one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallEntry {
    pub pid: u32,
    /// The guest's number for it.
    pub number: u64,
    /// Bohr's name for it, `None` when unknown (ENOSYS).
    pub name: Option<String>,
    pub args: [u64; 6],
}

/// A system call returned to the guest (calls that end the process do not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallExit {
    pub pid: u32,
    pub number: u64,
    pub name: Option<String>,
    pub result: Result<u64, Errno>,
}

/// A host-side write of device bytes into guest memory (the `host` and
/// `checked` write paths; `portal` writes through guest stores, which the
/// memory callbacks see).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostWrite {
    pub pid: u32,
    pub addr: u64,
    pub len: u64,
    pub path: WritePath,
    /// The write failed (EFAULT) and changed nothing.
    pub failed: bool,
    /// It landed on a page holding code (translated or executable).
    pub hit_code: bool,
    /// It landed on a page the guest cannot write.
    pub hit_readonly: bool,
}

/// A guest fault or trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultEvent {
    pub pid: u32,
    pub pc: u64,
    /// The signal it raises (SIGSEGV, SIGILL, ...).
    pub signal: u32,
    /// The faulting address, for memory faults.
    pub addr: Option<u64>,
    /// "read", "write", "exec", or "trap".
    pub access: &'static str,
    /// The kernel handled it (a portal copy stub's fault becomes EFAULT)
    /// instead of delivering the signal.
    pub handled: bool,
}

/// A process was started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessStart {
    pub pid: u32,
    /// argv[0].
    pub name: String,
}

/// A process ended, with its shell-style status (code or 128 + signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessExit {
    pub pid: u32,
    pub status: i32,
}

/// What a callback may do besides observing.
#[derive(Debug)]
pub struct Cx {
    pid: u32,
    reset: bool,
}

impl Cx {
    /// The process the callback is about.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Flush every translation and instrument again. Takes effect at the
    /// next safe point, never under a running block; the current
    /// instruction completes first.
    pub fn request_reset(&mut self) {
        self.reset = true;
    }
}

/// An instrumentation plugin. Every method has an empty default.
///
/// Callbacks observe: they get copies of guest values and cannot reach
/// guest state, so they cannot change the run.
pub trait Plugin: 'static {
    /// A block was translated: choose its callbacks in `plan`. Called again
    /// for every block after a reset. The JIT translates ahead along direct
    /// jumps, so translations are not executions: count executions with
    /// [`Plan::on_insn`].
    fn translate(&mut self, _cx: &mut Cx, _block: &BlockInfo, _plan: &mut Plan) {}
    fn insn(&mut self, _cx: &mut Cx, _e: &InsnEvent) {}
    fn mem(&mut self, _cx: &mut Cx, _e: &MemEvent) {}
    fn syscall_entry(&mut self, _cx: &mut Cx, _e: &SyscallEntry) {}
    fn syscall_exit(&mut self, _cx: &mut Cx, _e: &SyscallExit) {}
    fn host_write(&mut self, _cx: &mut Cx, _e: &HostWrite) {}
    fn fault(&mut self, _cx: &mut Cx, _e: &FaultEvent) {}
    fn process_start(&mut self, _cx: &mut Cx, _e: &ProcessStart) {}
    fn process_exit(&mut self, _cx: &mut Cx, _e: &ProcessExit) {}
    /// The run is over (or was stopped): flush buffered output.
    fn finish(&mut self) {}
}

/// A plugin that can be handed back to its owner by type.
trait AnyPlugin: Plugin {
    fn as_plugin(&mut self) -> &mut dyn Plugin;
    fn as_any(&mut self) -> &mut dyn Any;
}

impl<T: Plugin> AnyPlugin for T {
    fn as_plugin(&mut self) -> &mut dyn Plugin {
        self
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

/// Index of a plugin in its host, typed so [`PluginHost::get`] returns it.
#[derive(Debug)]
pub struct PluginId<P> {
    index: usize,
    _plugin: std::marker::PhantomData<fn() -> P>,
}

impl<P> Clone for PluginId<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for PluginId<P> {}

/// One registered callback: the target of an `ir::Op::Hook`'s id.
#[derive(Clone, Copy, Debug)]
struct HookEntry {
    plugin: u32,
    data: u64,
}

/// The hooks one block asked for, per instruction index (translate.rs
/// inserts them).
#[derive(Debug, Default)]
pub struct Placement {
    /// Hook ids to call when instruction `i` starts.
    pub insn: Vec<Vec<u32>>,
    /// Hook ids to call after each memory access of instruction `i`.
    pub mem: Vec<Vec<u32>>,
}

impl Placement {
    pub fn is_empty(&self) -> bool {
        self.insn.iter().all(Vec::is_empty) && self.mem.iter().all(Vec::is_empty)
    }
}

/// The arguments of one memory-access hook call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub addr: u64,
    /// Raw value; [`run_hook`] masks it to `size` bytes.
    pub value: u64,
    pub size: u32,
    pub store: bool,
}

/// The plugins of one machine, their hook table and the reset state.
#[derive(Default)]
pub struct PluginHost {
    plugins: Vec<Box<dyn AnyPlugin>>,
    /// Hook id → callback, valid for the current epoch only.
    hooks: Vec<HookEntry>,
    /// The process whose engine is running (set by `linux::Process::run`).
    pid: u32,
    reset_requested: bool,
    /// Bumped by every applied reset; engines flush when theirs differs.
    epoch: u64,
    resets: u64,
    /// A panic caught at the JIT's `extern "C"` boundary, resumed at the
    /// next safe point.
    panic: Option<Box<dyn Any + Send>>,
    /// Memory-callback state: set only while a memory callback runs. The
    /// engines assert after every block (debug builds) that none is left.
    in_mem_callback: bool,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("plugins", &self.plugins.len())
            .field("hooks", &self.hooks.len())
            .field("epoch", &self.epoch)
            .finish()
    }
}

impl PluginHost {
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a plugin; callbacks run in registration order.
    pub fn add<P: Plugin>(&mut self, plugin: P) -> PluginId<P> {
        self.plugins.push(Box::new(plugin));
        PluginId { index: self.plugins.len() - 1, _plugin: std::marker::PhantomData }
    }

    /// The plugin registered as `id`.
    pub fn get<P: Plugin>(&mut self, id: PluginId<P>) -> &mut P {
        // `PluginId<P>` is only made by `add::<P>`, which stored a `P` at
        // that index, and plugins are never removed: the invariant holds.
        self.plugins[id.index].as_any().downcast_mut::<P>().expect("plugin id matches its type")
    }

    pub fn into_handle(self) -> PluginHandle {
        Rc::new(RefCell::new(self))
    }

    /// Resets applied so far.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Registered hooks (of the current epoch).
    pub fn hook_count(&self) -> usize {
        self.hooks.len()
    }

    /// Whether a reset was requested and not applied yet.
    pub fn reset_pending(&self) -> bool {
        self.reset_requested
    }

    /// Set the process whose code runs next.
    pub fn set_pid(&mut self, pid: u32) {
        self.pid = pid;
    }

    /// Offer every plugin a call; collects reset requests.
    fn each(&mut self, pid: u32, mut f: impl FnMut(&mut dyn Plugin, &mut Cx)) {
        let mut cx = Cx { pid, reset: false };
        for p in &mut self.plugins {
            f(p.as_plugin(), &mut cx);
        }
        self.reset_requested |= cx.reset;
    }

    /// Ask the plugins about a fresh block; register the hooks they want.
    pub fn plan_block(&mut self, arch: Arch, block: &Block, insns: &[InsnInfo]) -> Placement {
        let mut placement =
            Placement { insn: vec![Vec::new(); insns.len()], mem: vec![Vec::new(); insns.len()] };
        let info = BlockInfo { arch, pc: block.pc, insns };
        let mut cx = Cx { pid: self.pid, reset: false };
        for (i, p) in self.plugins.iter_mut().enumerate() {
            let mut plan = Plan::default();
            p.as_plugin().translate(&mut cx, &info, &mut plan);
            for (lists, wanted) in
                [(&mut placement.insn, plan.insn), (&mut placement.mem, plan.mem)]
            {
                for (index, data) in wanted {
                    // A plugin naming an instruction the block does not
                    // have gets nothing for it.
                    if let Some(list) = lists.get_mut(index) {
                        list.push(self.hooks.len() as u32);
                        self.hooks.push(HookEntry { plugin: i as u32, data });
                    }
                }
            }
        }
        self.reset_requested |= cx.reset;
        placement
    }

    pub fn syscall_entry(&mut self, e: &SyscallEntry) {
        self.each(e.pid, |p, cx| p.syscall_entry(cx, e));
    }

    pub fn syscall_exit(&mut self, e: &SyscallExit) {
        self.each(e.pid, |p, cx| p.syscall_exit(cx, e));
    }

    pub fn host_write(&mut self, e: &HostWrite) {
        self.each(e.pid, |p, cx| p.host_write(cx, e));
    }

    pub fn fault(&mut self, e: &FaultEvent) {
        self.each(e.pid, |p, cx| p.fault(cx, e));
    }

    pub fn process_start(&mut self, e: &ProcessStart) {
        self.each(e.pid, |p, cx| p.process_start(cx, e));
    }

    pub fn process_exit(&mut self, e: &ProcessExit) {
        self.each(e.pid, |p, cx| p.process_exit(cx, e));
    }

    /// Tell every plugin the run is over.
    pub fn finish(&mut self) {
        for p in &mut self.plugins {
            p.as_plugin().finish();
        }
    }

    /// Run hook `id`; true when a callback requested a reset.
    fn call(&mut self, id: u32, pc: u64, access: Option<Access>) -> bool {
        // Blocks holding ids of an older epoch are flushed before they can
        // run again, so an unknown id is an engine bug.
        let entry = *self.hooks.get(id as usize).expect("hook id of the current epoch");
        let mut cx = Cx { pid: self.pid, reset: false };
        let plugin = self.plugins[entry.plugin as usize].as_plugin();
        match access {
            None => plugin.insn(&mut cx, &InsnEvent { pid: self.pid, pc, data: entry.data }),
            Some(a) => {
                self.in_mem_callback = true;
                let mask = if a.size >= 8 { u64::MAX } else { (1u64 << (8 * a.size)) - 1 };
                let e = MemEvent {
                    pid: self.pid,
                    pc,
                    data: entry.data,
                    addr: a.addr,
                    value: a.value & mask,
                    size: a.size,
                    store: a.store,
                };
                plugin.mem(&mut cx, &e);
                self.in_mem_callback = false;
            }
        }
        self.reset_requested |= cx.reset;
        cx.reset
    }

    /// Apply a requested reset: forget every hook and start a new epoch.
    fn apply_reset(&mut self) {
        self.reset_requested = false;
        self.hooks.clear();
        self.epoch += 1;
        self.resets += 1;
    }
}

/// Execute an `ir::Op::Hook`. Returns true when the block must leave at
/// the next instruction boundary (a reset was requested).
pub fn run_hook(host: &RefCell<PluginHost>, id: u32, pc: u64, access: Option<Access>) -> bool {
    host.borrow_mut().call(id, pc, access)
}

/// [`run_hook`] for a caller that must not unwind (the JIT's `extern "C"`
/// helper): a panic is kept and resumed at the engine's next safe point,
/// and the block is told to leave.
pub fn run_hook_catching(
    host: &RefCell<PluginHost>,
    id: u32,
    pc: u64,
    access: Option<Access>,
) -> bool {
    match std::panic::catch_unwind(AssertUnwindSafe(|| run_hook(host, id, pc, access))) {
        Ok(reset) => reset,
        Err(payload) => {
            // The borrow taken by `run_hook` was released while unwinding.
            let mut h = host.borrow_mut();
            h.in_mem_callback = false;
            h.panic = Some(payload);
            true
        }
    }
}

/// An engine's link to the plugin host: which epoch its translations were
/// instrumented for.
#[derive(Default)]
pub struct EnginePlugins {
    host: Option<PluginHandle>,
    epoch: u64,
}

impl EnginePlugins {
    /// Instrument from now on; the engine flushes at its next safe point.
    pub fn attach(&mut self, host: PluginHandle) {
        self.host = Some(host);
        self.epoch = u64::MAX;
    }

    #[inline]
    pub fn host(&self) -> Option<&RefCell<PluginHost>> {
        self.host.as_deref()
    }

    /// The host for compiled code (null without plugins). Valid as long as
    /// this engine holds its handle.
    pub fn as_ptr(&self) -> *const RefCell<PluginHost> {
        self.host.as_ref().map_or(std::ptr::null(), Rc::as_ptr)
    }

    /// Called by the dispatch loop between blocks, where no block runs.
    /// Applies a requested reset and returns true when the engine must
    /// flush its translations before running on. Resumes a callback's
    /// panic caught at the JIT boundary.
    #[inline]
    pub fn safe_point(&mut self) -> bool {
        match &self.host {
            None => false,
            Some(h) => {
                let mut h = h.borrow_mut();
                if let Some(payload) = h.panic.take() {
                    drop(h);
                    std::panic::resume_unwind(payload);
                }
                if h.reset_requested {
                    h.apply_reset();
                }
                let stale = h.epoch != self.epoch;
                self.epoch = h.epoch;
                stale
            }
        }
    }

    /// Debug builds: after every block, no memory-callback state is left.
    #[inline]
    pub fn after_block(&self) {
        #[cfg(debug_assertions)]
        if let Some(h) = &self.host {
            assert!(!h.borrow().in_mem_callback, "memory-callback state left after a block");
        }
    }
}

/// Whether `block` holds instrumentation (for tests and `--dump-ir`).
pub fn is_instrumented(block: &Block) -> bool {
    block.ops.iter().any(|op| matches!(op, Op::Hook { .. }))
}

/// Where a text-producing plugin writes: a host writer (a file, stderr)
/// or memory (tests, `bohr diff`). The first write error is kept and
/// stops further output, so a full disk never disturbs the run.
pub enum Sink {
    Memory(Vec<u8>),
    Writer(Box<dyn std::io::Write>),
}

impl Sink {
    /// A buffered sink writing to host stderr.
    pub fn stderr() -> Sink {
        Sink::Writer(Box::new(std::io::BufWriter::new(std::io::stderr())))
    }

    /// A buffered sink writing to a new file at `path`, or to stderr.
    pub fn file_or_stderr(path: Option<&std::path::Path>) -> std::io::Result<Sink> {
        Ok(match path {
            Some(p) => Sink::Writer(Box::new(std::io::BufWriter::new(std::fs::File::create(p)?))),
            None => Sink::stderr(),
        })
    }

    pub fn write_line(&mut self, line: &str, error: &mut Option<std::io::Error>) {
        if error.is_some() {
            return;
        }
        match self {
            Sink::Memory(v) => {
                v.extend_from_slice(line.as_bytes());
                v.push(b'\n');
            }
            Sink::Writer(w) => {
                if let Err(e) = writeln!(w, "{line}") {
                    *error = Some(e);
                }
            }
        }
    }

    pub fn flush(&mut self, error: &mut Option<std::io::Error>) {
        if let (Sink::Writer(w), None) = (self, &error)
            && let Err(e) = w.flush()
        {
            *error = Some(e);
        }
    }

    /// What was written to a memory sink (empty for a writer).
    pub fn contents(&self) -> &[u8] {
        match self {
            Sink::Memory(v) => v,
            Sink::Writer(_) => &[],
        }
    }
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sink::Memory(v) => write!(f, "Sink::Memory({} bytes)", v.len()),
            Sink::Writer(_) => f.write_str("Sink::Writer"),
        }
    }
}

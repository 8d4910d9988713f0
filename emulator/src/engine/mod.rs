//! What every execution engine shares: the stop reasons it reports to the
//! kernel, block translation from guest memory, and the block cache with
//! per-page invalidation.
//!
//! Engines (`interp`, `jit`) sit between the frontends (which they call
//! through [`translate`]) and the kernel (which calls them through
//! [`Engine::run`]).

mod cache;
mod translate;

pub use cache::BlockCache;
pub use translate::{Witness, translate, translate_instrumented, translate_witnessed};

use std::cell::Cell;

use crate::cpu::CpuState;
use crate::ir::TrapKind;
use crate::mem::{AddressSpace, MemFault};

/// A per-thread engine switch: set for the thread, else on unless the
/// environment sets its variable to `0` (read once). Switches change when
/// work is done, never its result: measuring and testing aids.
struct Switch {
    var: &'static str,
    default: std::sync::OnceLock<bool>,
    index: usize,
}

thread_local! {
    /// What this thread set each [`Switch`] to, by index; unset: the
    /// switch's default.
    static SET: [Cell<Option<bool>>; 2] = const { [Cell::new(None), Cell::new(None)] };
}

impl Switch {
    const fn new(var: &'static str, index: usize) -> Self {
        Switch { var, default: std::sync::OnceLock::new(), index }
    }

    fn set(&self, on: bool) {
        SET.with(|s| s[self.index].set(Some(on)));
    }

    fn get(&self) -> bool {
        SET.with(|s| s[self.index].get()).unwrap_or_else(|| {
            *self.default.get_or_init(|| std::env::var_os(self.var).is_none_or(|v| v != "0"))
        })
    }
}

/// See [`set_sharing`]; `BOHR_JIT_SHARE=0` turns it off by default.
static SHARING: Switch = Switch::new("BOHR_JIT_SHARE", 0);
/// See [`set_background_compile`]; `BOHR_JIT_BACKGROUND=0` turns it off
/// by default.
static BACKGROUND: Switch = Switch::new("BOHR_JIT_BACKGROUND", 1);

/// Whether engines of this thread share work from now on (the default):
/// compiled code with the thread's other engines, lifted blocks with
/// every engine of the host process; or each lift and compile alone.
/// Sharing changes when work is done, never its result.
pub fn set_sharing(on: bool) {
    SHARING.set(on);
}

/// Whether this thread's engines share work (see [`set_sharing`]).
pub fn sharing() -> bool {
    SHARING.get()
}

/// Whether the JIT engines of this thread hand Cranelift's work to
/// compile threads and run a block cold until its region is ready (the
/// default), or compile on the spot. Like sharing, it changes when code
/// is compiled, never what any instruction does: a runner that already
/// keeps every core busy turns it off.
pub fn set_background_compile(on: bool) {
    BACKGROUND.set(on);
}

/// Whether this thread's JIT compiles in the background (see
/// [`set_background_compile`]).
pub fn background_compile() -> bool {
    BACKGROUND.get()
}

/// Default cap on instructions per block.
pub const DEFAULT_MAX_BLOCK_INSNS: u32 = 64;

/// Why an engine returned to its caller. In every case `cpu.pc` is where
/// execution resumes (or where the fault happened) and `cpu.icount` counts
/// exactly the instructions that retired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A system call instruction retired; `cpu.pc` is the instruction after it.
    Syscall,
    /// A trap instruction or undecodable instruction at `cpu.pc`.
    Trap(TrapKind),
    /// A guest memory access (or fetch) faulted in the instruction at `cpu.pc`.
    Fault(MemFault),
    /// The fuel given to `run` is used up; `cpu.pc` is the next instruction.
    FuelExhausted,
}

/// Counters every engine keeps, for `--stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Blocks lifted to IR.
    pub blocks_translated: u64,
    /// Blocks compiled to native code (JIT only).
    pub blocks_compiled: u64,
    /// Guest instructions in those blocks (JIT only).
    pub insns_compiled: u64,
    /// Guest instructions retired by compiled code (JIT only); the rest
    /// of a run's instructions ran in the interpreter.
    pub insns_run_compiled: u64,
    /// Microseconds spent compiling (JIT only). Not deterministic: never
    /// reaches guest-visible state or fingerprints.
    pub compile_us: u64,
    /// Block lookups that found a cached translation.
    pub cache_hits: u64,
    /// Block lookups that had to translate.
    pub cache_misses: u64,
    /// Blocks discarded because their code was overwritten.
    pub blocks_invalidated: u64,
    /// Direct memory accesses of compiled code that faulted and ran again
    /// on the slow path (JIT only).
    pub direct_faults: u64,
    /// Regions found compiled in the shared code cache instead of being
    /// compiled again (JIT only; counted in `blocks_compiled` too). Depends
    /// on what else the thread ran: never reaches guest-visible state or
    /// fingerprints.
    pub regions_shared: u64,
}

/// An execution engine for one process.
pub trait Engine {
    /// Execute guest code from `cpu.pc` until a stop, retiring at most
    /// `fuel` instructions.
    fn run(&mut self, cpu: &mut CpuState, mem: &mut AddressSpace, fuel: u64) -> StopReason;

    /// Discard every translation (for example after a plugin reset).
    fn flush(&mut self);

    /// Translate with `frontend` from now on (a process switched modes,
    /// see `arch::Frontend::mode`), discarding every translation made so
    /// far: none of them may run in the new mode.
    fn set_frontend(&mut self, frontend: &'static dyn crate::arch::Frontend);

    /// Instrument with `plugins` from now on: translations get the hooks
    /// the plugins ask for, and a plugin's reset request is applied at the
    /// dispatch loop (see `plugin`).
    fn set_plugins(&mut self, plugins: crate::plugin::PluginHandle);

    /// The engine's counters so far (see [`EngineStats`]).
    fn stats(&self) -> EngineStats;

    /// Guest pcs of the cached blocks, for `--dump-ir` and tests.
    fn dump_blocks(&self) -> Vec<crate::ir::Block> {
        Vec::new()
    }

    /// Start the process's next `run`s now, on another host thread, before
    /// their turn (see `machine::lanes`): from `cpu` on `mem`, up to
    /// `slices` runs of `fuel` each while each uses its whole fuel. The
    /// engine keeps `mem` meanwhile, leaving a vacant space in its place,
    /// and gives it back with the last of those `run`s, which must each
    /// come with the state the one before ended in and the same fuel.
    /// False (and nothing done) where the engine cannot: an engine on the
    /// caller's thread never can.
    fn start_ahead(
        &mut self,
        _cpu: &CpuState,
        _mem: &mut AddressSpace,
        _fuel: u64,
        _slices: u64,
    ) -> bool {
        false
    }

    /// Whether a [`Engine::start_ahead`] could start now: the engine runs
    /// on another host thread, and that thread runs nothing else ahead.
    fn can_start_ahead(&self) -> bool {
        false
    }

    /// Which host thread runs this engine: 0 for the caller's own, else
    /// the lane's number.
    fn lane(&self) -> usize {
        0
    }

    /// Take everything the engine knows out of it, to go on as the same
    /// engine on another host thread ([`Moved::adopt`] there); the engine
    /// is left empty, to be dropped. `None` (and nothing taken) where it
    /// cannot move now: an engine with plugins (their host lives on this
    /// thread), or one with slices running ahead on its lane.
    fn export(&mut self) -> Option<Box<dyn Moved>> {
        None
    }
}

/// An engine's state on its way to another host thread (see
/// [`Engine::export`]). What the engine does next, and every count it
/// keeps, are the same as if it had not moved.
pub trait Moved: Send {
    /// The engine again, on the calling thread.
    fn adopt(self: Box<Self>) -> Box<dyn Engine>;
}

/// Which engine runs a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum EngineKind {
    /// The reference interpreter.
    Interp,
    /// The tiered Cranelift JIT.
    #[default]
    Jit,
}

impl EngineKind {
    /// The engine's name as matrices, flags and reports spell it.
    pub const fn name(self) -> &'static str {
        match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
        }
    }
}

impl std::str::FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "interp" => Ok(EngineKind::Interp),
            "jit" => Ok(EngineKind::Jit),
            _ => Err(format!("unknown engine `{s}` (expected interp or jit)")),
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

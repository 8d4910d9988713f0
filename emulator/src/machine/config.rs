//! The machine's public API types: what a cell asks for
//! ([`MachineConfig`]) and what it gets back ([`Outcome`]). The runner sees
//! only these and [`super::run_script`].

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::arch::Arch;
use crate::engine::EngineKind;
use crate::events::Event;
pub use crate::linux::limits::{LimitStats, Limits};
pub use crate::types::{Fnv64, WritePath};

/// Which shell runs a cell's script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ShellKind {
    /// Bohr's host-side shell: every command is a guest process.
    #[default]
    Bohr,
    /// The guest's own `/bin/sh -c SCRIPT` from the rootfs: every fork,
    /// exec and pipe happens inside the guest.
    Guest,
}

impl ShellKind {
    pub const ALL: [ShellKind; 2] = [ShellKind::Bohr, ShellKind::Guest];

    pub const fn name(self) -> &'static str {
        match self {
            ShellKind::Bohr => "bohr",
            ShellKind::Guest => "guest",
        }
    }
}

impl std::str::FromStr for ShellKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ShellKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown shell `{s}` (expected bohr or guest)"))
    }
}

impl std::fmt::Display for ShellKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Initial content of an MTD device before `writes` are applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MtdFill {
    /// Erased flash: every byte 0xff.
    Erased,
    Zero,
    /// Deterministic pseudo-random bytes from the cell seed and device name.
    Random,
    /// Bytes from a host file (shorter files are padded with 0xff).
    Bytes(Arc<Vec<u8>>),
}

/// One emulated MTD flash device, `/dev/mtdN` in declaration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtdSpec {
    pub name: String,
    pub size: u64,
    pub erasesize: u64,
    pub fill: MtdFill,
    /// `(offset, bytes)` written over the fill, in order.
    pub writes: Vec<(u64, Vec<u8>)>,
}

/// An extra file placed in the guest VFS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestFile {
    /// Absolute guest path, e.g. `/etc/config` or `/bin/tool`.
    pub path: String,
    pub data: Arc<Vec<u8>>,
    /// Executable (programs under `/bin`).
    pub executable: bool,
}

/// Everything that defines one guest world. Equal configs and scripts give
/// equal outcomes, bit for bit.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    pub arch: Arch,
    pub engine: EngineKind,
    pub write_path: WritePath,
    /// Scheduler quantum in guest instructions.
    pub quantum: u64,
    pub seed: u64,
    /// Jitter quanta and priorities from the seed (rr-style chaos mode).
    pub chaos: bool,
    /// Total guest instructions before the cell is stopped as timed out.
    pub max_insns: u64,
    pub max_block_insns: u32,
    /// Bytes per write-path chunk of an MTD read.
    pub mtd_chunk: u32,
    /// Executions before the JIT compiles a block.
    pub jit_threshold: u32,
    pub mtds: Vec<MtdSpec>,
    pub files: Vec<GuestFile>,
    /// Guest environment, in order.
    pub env: Vec<(String, String)>,
    /// A firmware root filesystem as `/` (read-only, under this cell's own
    /// writable layer). `None`: Bohr's embedded userland.
    pub rootfs: Option<bohr_rootfs::Image>,
    /// Which shell runs the script ([`ShellKind::Guest`] needs a rootfs).
    pub shell: ShellKind,
    /// Memory, task and file-layer limits of the world.
    pub limits: Limits,
}

impl MachineConfig {
    pub fn new(arch: Arch) -> Self {
        MachineConfig {
            arch,
            engine: EngineKind::Jit,
            write_path: WritePath::Host,
            quantum: 10_000,
            seed: 0,
            chaos: false,
            max_insns: 500_000_000,
            max_block_insns: crate::engine::DEFAULT_MAX_BLOCK_INSNS,
            mtd_chunk: 4096,
            jit_threshold: crate::jit::DEFAULT_THRESHOLD,
            mtds: Vec::new(),
            files: Vec::new(),
            env: Vec::new(),
            rootfs: None,
            shell: ShellKind::Bohr,
            limits: Limits::default(),
        }
    }
}

/// Host-side controls of a run that never affect guest behaviour.
#[derive(Clone, Debug, Default)]
pub struct RunControl {
    /// Set by the runner (for example on a wall-clock timeout); the machine
    /// checks it between quanta and stops with [`Stopped::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
    /// Host threads besides the run's own that run processes' compute ahead
    /// of their turn (see `machine::lanes`); 0 runs everything on the
    /// run's thread. Results are the same for every value.
    pub lanes: usize,
    /// Retry every blocked call at each of its turns, even when nothing it
    /// waits on can have changed since it last blocked (see
    /// `Process::retry_would_block`). The results are the same, only
    /// slower: for tests that check that skipping those retries changes
    /// nothing.
    pub retry_every_turn: bool,
    /// When processes move between the world's thread and a lane; `None`:
    /// [`Placement`]'s defaults. The results are the same, only the host
    /// threads differ: for tests that move engines often.
    pub placement: Option<Placement>,
}

/// When a process's engine moves between the world's thread and a lane
/// (see `World::place`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Whole slices of its own code in a row after which a process moves
    /// to a free lane, while another process on the world's thread has
    /// code of its own to run.
    pub lane_streak: u64,
    /// Turns in a row that ran and ended in a system call after which a
    /// process on a lane comes back.
    pub quiet_turns: u32,
}

impl Default for Placement {
    /// Long enough that a program's start (the dynamic loader, a system
    /// call every few thousand instructions) stays on the world's thread,
    /// short against a busy process's life.
    fn default() -> Self {
        Placement { lane_streak: 32, quiet_turns: 16 }
    }
}

/// Why a run stopped before the script finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// `max_insns` guest instructions ran. `pc` of the process running then.
    InstructionLimit { pid: u32, pc: u64 },
    /// The host cancelled the run (wall timeout).
    Cancelled { pid: u32, pc: u64 },
    /// Every thread of every process waits for something that can never
    /// come (a read of a pipe whose only writer is the reader itself, a
    /// futex nobody will wake, a join of a thread that waits itself) and no
    /// timer is pending: on Linux the cell would hang. `pc` of the lowest
    /// pid's running thread; `threads` names each blocked thread and what
    /// it waits on, by ascending pid and tid.
    Deadlock { pid: u32, pc: u64, threads: Vec<crate::linux::thread::BlockedThread> },
}

impl Stopped {
    /// For a deadlock, each blocked thread and what it waits on, one per
    /// line, each line starting with `prefix`; empty otherwise.
    pub fn blocked_lines(&self, prefix: &str) -> String {
        match self {
            Stopped::Deadlock { threads, .. } => {
                threads.iter().map(|t| format!("{prefix}{t}\n")).collect()
            }
            _ => String::new(),
        }
    }
}

/// Per-process statistics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessStats {
    pub pid: u32,
    /// argv[0].
    pub name: String,
    pub insns: u64,
    /// Shell-style status (code or 128+signal); `None` if still running.
    pub status: Option<i32>,
}

/// Machine-wide statistics. `compile_us` and `wall_ms` are host timings and
/// are never part of the fingerprint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MachineStats {
    pub insns: u64,
    pub blocks_translated: u64,
    pub blocks_compiled: u64,
    pub compile_us: u64,
    /// Regions the JIT found compiled in its thread's shared code cache
    /// (see `jit`): depends on what the thread ran before, so, like the
    /// host timings, never part of the fingerprint.
    pub regions_shared: u64,
    pub wall_ms: u64,
    /// Scheduling decisions that switched to another process.
    pub context_switches: u64,
    /// Hash of the schedule: which process ran how many instructions, in
    /// order. Equal runs have equal schedules; chaos seeds change it.
    pub schedule_hash: u64,
    /// Slices whose engine runs started ahead of their turn on a lane (see
    /// `lanes`): depends on the lanes, so never part of the fingerprint.
    pub slices_ahead: u64,
    /// Processes whose engine moved to a lane, and back to the world's
    /// thread (see `World::place`): depends on the lanes, so never part of
    /// the fingerprint.
    pub moves_to_lanes: u64,
    pub moves_back: u64,
    /// Turns of blocked calls that were counted without retrying the call,
    /// since nothing it waits on had changed (see
    /// [`RunControl::retry_every_turn`]): host-side work saved, so never
    /// part of the fingerprint.
    pub retries_skipped: u64,
}

/// The result of running a script on a machine.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The script's exit status (shell-style).
    pub exit_code: i32,
    pub stopped: Option<Stopped>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub events: Vec<Event>,
    pub processes: Vec<ProcessStats>,
    pub stats: MachineStats,
    /// Hash over every process's instruction count and output, the exit
    /// status and the events: equal fingerprints mean equal runs.
    pub fingerprint: u64,
    /// The world's limits and the peaks it reached (deterministic; a
    /// refused request also shows as an `Event::LimitReached`).
    pub limits: LimitStats,
}

/// Why a [`MachineConfig`] cannot be built into a machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("shell = \"guest\" needs a rootfs with /bin/sh")]
    GuestShellWithoutRootfs,
    #[error("architecture {0} has no frontend yet")]
    NoFrontend(Arch),
    #[error("the portal write path is not available on {0}: its frontend has no copy stub")]
    NoPortalStub(Arch),
    #[error("quantum must be at least 1 instruction")]
    ZeroQuantum,
    #[error("mtd_chunk {chunk} must be between 1 and {max} bytes")]
    MtdChunk { chunk: u32, max: u64 },
    #[error(transparent)]
    Mtd(#[from] super::mtd::MtdError),
    #[error(transparent)]
    Vfs(#[from] super::vfs::VfsError),
}

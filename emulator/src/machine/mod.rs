//! The guest machine: one guest world per matrix cell.
//!
//! Holds the processes, the VFS, pipes, MTD devices and the deterministic
//! scheduler, and runs a guest script on them. The runner talks to it only
//! through [`MachineConfig`], [`parse_script`], [`run_script`] and
//! [`Outcome`].
//!
//! Parts: `config` (the public types), `vfs` (files and devices), `mtd`
//! (flash contents and `/dev/mtdN`), `programs` (the embedded `/bin`),
//! `sched` (scheduling policy), `world` (processes and the run loop),
//! `lanes` (host threads that run processes ahead) and `affinity` (the
//! host cores a world with lanes holds its threads to).
//! The script language lives in `shell` below; system calls, pipes and
//! the write paths in `crate::linux`.
//!
//! Streams: the script's stdout and stderr are captured in full (up to
//! `vfs::CAPTURE_LIMIT` bytes each; past it the stream ends with a note of
//! how much was dropped). Writes to `/dev/console` join stderr. Commands
//! read `/dev/null` unless redirected.

mod affinity;
mod config;
pub mod lanes;
pub mod mtd;
pub mod programs;
pub mod sched;
pub mod shell;
pub mod vfs;
pub mod world;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

pub use config::*;

use crate::events::Event;
use crate::linux::Kernel;
use crate::linux::limits::WorldLimits;
use shell::{Ending, Shell};
use vfs::{CAPTURE_LIMIT, Capture, Vfs, VfsHandle};
use world::World;

/// The engine factory a machine or `bohr exec` hands the kernel: every
/// process gets a fresh engine of `kind` for its frontend.
pub fn engine_factory(
    kind: crate::engine::EngineKind,
    max_block_insns: u32,
    jit_threshold: u32,
) -> crate::linux::EngineFactory {
    std::rc::Rc::new(move |frontend, _pid| {
        crate::engine_for(kind, frontend, max_block_insns, jit_threshold)
    })
}

/// Why a script cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// The script uses syntax the shell does not support, or is malformed.
    #[error("{file}:{line}:{col}: {message}")]
    Syntax { file: String, line: u32, col: u32, message: String },
    /// The machine configuration cannot be built (bad MTD spec, guest file,
    /// unsupported arch or write path).
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The host failed under the guest (a reservation refused, a file
    /// unreadable): an error of Bohr's, never a guest result.
    #[error("host error: {0}")]
    Host(#[from] crate::linux::HostError),
}

/// Check a script's syntax without running anything.
pub fn parse_script(script_name: &str, script: &str) -> Result<(), ScriptError> {
    parse(script_name, script).map(|_| ())
}

fn parse(script_name: &str, script: &str) -> Result<shell::ast::Script, ScriptError> {
    shell::parse(script).map_err(|e| ScriptError::Syntax {
        file: script_name.to_string(),
        line: e.pos.line,
        col: e.pos.col,
        message: e.message,
    })
}

/// Does the fingerprint include `e`? Invalidated translations are the
/// engine's own bookkeeping: the JIT translates ahead along direct jumps,
/// so which pages held translations, and how many, differ between engines
/// for the same guest run. Equal guest runs must have equal fingerprints.
fn in_fingerprint(e: &Event) -> bool {
    !matches!(e, Event::BlocksInvalidated { .. })
}

/// The one command Bohr's shell runs for a guest-shell cell: `/bin/sh -c`
/// with the script as a single-quoted word, so it reaches the guest byte
/// for byte.
fn guest_shell_command(script: &str) -> String {
    format!("/bin/sh -c '{}'\n", script.replace('\'', "'\\''"))
}

/// Exit status reported when the machine stopped the script (the
/// `timeout` convention).
pub const STOPPED_EXIT_CODE: i32 = 124;

/// Run `script` on a fresh machine built from `cfg`.
///
/// Errors are returned before any guest code runs. Everything in the
/// [`Outcome`] except `stats.compile_us`, `stats.regions_shared` and
/// `stats.wall_ms` is a pure
/// function of `cfg` and the script. Both engines give the same outcome
/// except for engine statistics (`blocks_translated`, `blocks_compiled`)
/// and `BlocksInvalidated` events, none of which enter the fingerprint.
pub fn run_script(
    cfg: &MachineConfig,
    script_name: &str,
    script: &str,
    ctl: &RunControl,
) -> Result<Outcome, ScriptError> {
    run_script_instrumented(cfg, script_name, script, ctl, None)
}

/// [`run_script`] with every process instrumented by `plugins`. The
/// outcome is the one `run_script` gives: observation does not change the
/// run. The plugins are told when the run is over (`Plugin::finish`).
pub fn run_script_instrumented(
    cfg: &MachineConfig,
    script_name: &str,
    script: &str,
    ctl: &RunControl,
    plugins: Option<crate::plugin::PluginHandle>,
) -> Result<Outcome, ScriptError> {
    let started = Instant::now();
    let ast = match cfg.shell {
        ShellKind::Bohr => parse(script_name, script)?,
        // Bohr's shell runs one command, the guest's shell, which parses
        // the script itself.
        ShellKind::Guest => {
            if cfg.rootfs.is_none() {
                return Err(ConfigError::GuestShellWithoutRootfs.into());
            }
            parse(script_name, &guest_shell_command(script))?
        }
    };
    let frontend = crate::arch::frontend_for(cfg.arch).ok_or(ConfigError::NoFrontend(cfg.arch))?;
    if cfg.write_path == WritePath::Portal && frontend.portal_copy_stub().is_none() {
        return Err(ConfigError::NoPortalStub(cfg.arch).into());
    }
    if cfg.quantum == 0 {
        return Err(ConfigError::ZeroQuantum.into());
    }
    if cfg.mtd_chunk == 0 || u64::from(cfg.mtd_chunk) > crate::linux::writepath_max_chunk() {
        return Err(ConfigError::MtdChunk {
            chunk: cfg.mtd_chunk,
            max: crate::linux::writepath_max_chunk(),
        }
        .into());
    }
    let mut mtds = Vec::with_capacity(cfg.mtds.len());
    for (i, spec) in cfg.mtds.iter().enumerate() {
        mtds.push(Rc::new(mtd::MtdDevice::build(i, spec, cfg.seed).map_err(ConfigError::Mtd)?));
    }
    let stdout = Capture::new_ref(CAPTURE_LIMIT);
    let stderr = Capture::new_ref(CAPTURE_LIMIT);
    let programs = programs::programs_for(cfg.arch);
    let limits = WorldLimits::new(cfg.limits);
    let quota = limits.disk.clone();
    let vfs = match &cfg.rootfs {
        Some(image) => Vfs::with_rootfs(
            image.clone(),
            cfg.seed,
            programs,
            &cfg.files,
            mtds,
            stderr.clone(),
            quota,
        ),
        None => Vfs::new(programs, &cfg.files, mtds, stderr.clone(), quota),
    }
    .map_err(ConfigError::Vfs)?;
    let vfs = Rc::new(RefCell::new(vfs));

    let mut kernel = Kernel::new(Box::new(VfsHandle(vfs.clone())), cfg.seed);
    kernel.limits = limits;
    kernel.write_path = cfg.write_path;
    kernel.mtd_chunk = u64::from(cfg.mtd_chunk);
    kernel.shared_clock = true;
    kernel.plugins = plugins.clone();
    let mut world = World::new(cfg, kernel, vfs, stdout.clone(), stderr.clone(), ctl);

    let ending = Shell::new(&mut world, &cfg.env).run(&ast);
    if let Some(e) = world.kernel.host_error.take() {
        return Err(ScriptError::Host(e));
    }
    let (exit_code, stopped) = match ending {
        Ending::Exited(code) => (code, None),
        Ending::Stopped(s) => {
            world.collect_live_engines();
            (STOPPED_EXIT_CODE, Some(s))
        }
    };
    if let Some(h) = &plugins {
        h.borrow_mut().finish();
    }
    let processes: Vec<ProcessStats> = world.process_stats().into_iter().map(|(s, _)| s).collect();
    let mut h = Fnv64::default();
    h.write_u64(exit_code as i64 as u64);
    match &stopped {
        None => h.write_u64(0),
        Some(Stopped::InstructionLimit { pid, pc }) => {
            h.write_u64(1);
            h.write_u64(*pid as u64);
            h.write_u64(*pc);
        }
        Some(Stopped::Cancelled { pid, pc }) => {
            h.write_u64(2);
            h.write_u64(*pid as u64);
            h.write_u64(*pc);
        }
        Some(Stopped::Deadlock { pid, pc, threads }) => {
            h.write_u64(3);
            h.write_u64(*pid as u64);
            h.write_u64(*pc);
            for t in threads {
                h.write_field(t.to_string().as_bytes());
            }
        }
    }
    let stdout = stdout.borrow_mut().finish();
    let stderr = stderr.borrow_mut().finish();
    h.write_field(&stdout);
    h.write_field(&stderr);
    let events: Vec<Event> = std::mem::take(&mut world.kernel.events);
    let hashed: Vec<&Event> = events.iter().filter(|e| in_fingerprint(e)).collect();
    h.write_u64(hashed.len() as u64);
    for e in hashed {
        h.write_field(e.to_string().as_bytes());
    }
    world.fingerprint_into(&mut h);
    let stats = MachineStats {
        insns: world.insns(),
        blocks_translated: world.engines.blocks_translated,
        blocks_compiled: world.engines.blocks_compiled,
        compile_us: world.engines.compile_us,
        regions_shared: world.engines.regions_shared,
        wall_ms: started.elapsed().as_millis() as u64,
        context_switches: world.switches(),
        schedule_hash: world.schedule_hash(),
        slices_ahead: world.slices_ahead(),
        moves_to_lanes: world.moves().0,
        moves_back: world.moves().1,
        retries_skipped: world.retries_skipped(),
    };
    Ok(Outcome {
        exit_code,
        stopped,
        stdout,
        stderr,
        events,
        processes,
        stats,
        fingerprint: h.finish(),
        limits: world.kernel.limits.stats(),
    })
}

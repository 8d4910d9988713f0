//! Running selected cells: seeds, parallel scheduling on rayon, isolation
//! (panics, instruction limits, wall timeouts), expectation and snapshot
//! checks, and the per-cell results the reports render.
//!
//! Results are collected by job index, never by completion order, so the
//! report is the same whatever `--jobs` is.

pub mod executor;
pub mod expect;
mod panic;
pub mod seed;
pub mod snapshot;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use bohr_emu::machine::{MachineConfig, MachineStats, Outcome, RunControl, ShellKind, Stopped};

use crate::errors::{CellConfigError, RunError};
use crate::events::{Event, Reporter};
use crate::matrix::diag::{ConfigError, Diag};
use crate::matrix::select::Partition;
use crate::matrix::{Cell, DebugHook, Matrix, format_duration};
use crate::results::SkipReason;
use executor::Executor;
pub use expect::Failure;
use snapshot::{Store, Verdict};

/// Lanes of each running cell (`--lanes`, see `bohr_emu::machine::lanes`):
/// host threads, besides the cell's own, that run its busy processes'
/// code ahead of their turn. Results are the same for any count; only the
/// time changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lanes {
    /// One lane for each cell when the host has two cores for every cell
    /// running at once (a single cell, a short selection, `--jobs`
    /// below half the cores) and compiled code is kept across runs, else
    /// none. One, not more: it is what was measured to pay on a two-core
    /// host (see the README's Performance section); more are for
    /// `--lanes N` to ask. Without the code store every run compiles all
    /// its code, and a lane made the riscv64 read-back cell slower (210
    /// against 252-268 ms, medians of 7).
    Auto,
    /// This many lanes for every cell.
    Fixed(usize),
}

/// The most lanes a cell may ask for.
pub const MAX_LANES: usize = 8;

impl Lanes {
    /// Parse `--lanes`: `auto` or a count up to [`MAX_LANES`].
    pub fn parse(s: &str) -> Result<Lanes, String> {
        if s == "auto" {
            return Ok(Lanes::Auto);
        }
        match s.parse::<usize>() {
            Ok(n) if n <= MAX_LANES => Ok(Lanes::Fixed(n)),
            _ => Err(format!("invalid lane count `{s}` (expected auto or 0 to {MAX_LANES})")),
        }
    }

    /// The lanes of each cell when `in_flight` cells run at once on a
    /// host with `cores` cores, with compiled code kept across runs or
    /// not (`stored`).
    pub fn resolve(self, cores: usize, in_flight: usize, stored: bool) -> usize {
        match self {
            Lanes::Fixed(n) => n,
            Lanes::Auto => usize::from(stored && cores >= 2 * in_flight.max(1)),
        }
    }
}

/// The host's cores, as far as this process may use them (at least 1).
pub fn host_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (`--jobs`).
    pub jobs: usize,
    /// Lanes per running cell (`--lanes`).
    pub lanes: Lanes,
    /// Runs per cell (`--repeat`), at least 1.
    pub repeat: u32,
    /// `--seed`: overrides every cell's base seed.
    pub seed: Option<u64>,
    /// `--schedule-seed`: run once with chaos scheduling from this seed,
    /// as a later run of `--repeat` does.
    pub schedule_seed: Option<u64>,
    /// Stop scheduling new runs after the first run that does not pass.
    pub fail_fast: bool,
    /// `--retries`: attempts of a failing run again, with the same seed.
    pub retries: u32,
    /// Accept snapshot changes in place.
    pub update_snapshots: bool,
    /// Memory budget of a cell whose matrix names none (see
    /// `crate::limits`); `None`: the host's default for `jobs`.
    pub memory: Option<u64>,
    /// Polled for an interrupting signal (`interrupt::received` in `bohr
    /// run`): once it answers, no run starts and running ones are
    /// cancelled.
    pub interrupted: fn() -> Option<i32>,
}

fn never() -> Option<i32> {
    None
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 1,
            lanes: Lanes::Auto,
            repeat: 1,
            seed: None,
            schedule_seed: None,
            fail_fast: false,
            retries: 0,
            update_snapshots: false,
            memory: None,
            interrupted: never,
        }
    }
}

pub use crate::results::{CellReport, CellStatus, Report, RunRecord, Status};

/// Check every script the selected cells run with Bohr's shell, before any
/// cell runs. (A guest-shell cell's script is the guest shell's to parse.)
pub fn check_scripts(m: &Matrix, cells: &[&Cell], exec: &dyn Executor) -> Result<(), ConfigError> {
    let mut names: Vec<&str> = cells
        .iter()
        .filter(|c| c.settings.shell == ShellKind::Bohr)
        .map(|c| c.settings.script.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut diags = Vec::new();
    for n in names {
        let Some(script) = m.scripts.get(n) else {
            diags.push(Diag::file(m.display_path(), format!("script `{n}` was not loaded")));
            continue;
        };
        if let Err(e) = exec.check(&script.name, &script.text) {
            diags.push(Diag::file(
                script.path.display().to_string(),
                format!("invalid guest script (used by {}): {e}", m.display_path()),
            ));
        }
    }
    if diags.is_empty() { Ok(()) } else { Err(ConfigError { diags }) }
}

/// The machine configuration of a cell at a seed.
pub fn machine_config(m: &Matrix, cell: &Cell, seed: u64) -> MachineConfig {
    let s = &cell.settings;
    let mut c = MachineConfig::new(s.arch);
    c.engine = s.engine;
    c.write_path = s.write_path;
    c.quantum = s.quantum;
    c.seed = seed;
    c.chaos = s.chaos;
    c.max_insns = s.max_insns;
    c.max_block_insns = s.max_block_insns;
    c.mtd_chunk = s.mtd_chunk;
    c.jit_threshold = s.jit_threshold;
    c.limits.memory = s.memory.unwrap_or_else(|| crate::limits::default_memory(1));
    c.limits.max_tasks = s.max_tasks;
    c.limits.disk = s.disk;
    c.mtds = m.mtds.clone();
    c.files = m.files.clone();
    c.env = s.env.clone();
    c.shell = s.shell;
    c
}

/// The machine configuration of one run. A perturbed run (a later run of
/// `--repeat`, or `--schedule-seed`) varies only the schedule: chaos
/// scheduling from `seed`, while what defines the test, the MTD contents,
/// still comes from the cell's base seed.
pub fn run_config(
    m: &Matrix,
    cell: &Cell,
    base: u64,
    seed: u64,
    perturbed: bool,
) -> Result<MachineConfig, crate::errors::CellConfigError> {
    let mut c = machine_config(m, cell, seed);
    c.rootfs = crate::matrix::rootfs::image_of(m, cell).map_err(CellConfigError::Rootfs)?;
    if perturbed {
        c.chaos = true;
        for (i, spec) in c.mtds.iter_mut().enumerate() {
            if spec.fill == bohr_emu::machine::MtdFill::Random {
                let dev = bohr_emu::machine::mtd::MtdDevice::build(i, spec, base)?;
                spec.fill = bohr_emu::machine::MtdFill::Bytes(Arc::new(dev.contents()));
                // `build` applied them.
                spec.writes.clear();
            }
        }
    }
    Ok(c)
}

struct Ctx<'a> {
    matrix: &'a Matrix,
    exec: &'a dyn Executor,
    events: &'a dyn Reporter,
    store: Store,
    /// Stored snapshot bodies, read before any cell runs so a run never
    /// races another run's update of the same file.
    stored: Vec<Option<String>>,
    stop: AtomicBool,
    fail_fast: bool,
    retries: u32,
    interrupted: fn() -> Option<i32>,
    /// Memory budget of cells whose matrix names none.
    memory: u64,
    /// Set once the interruption has been announced.
    announced: AtomicBool,
    /// Lanes of each cell's machine.
    lanes: usize,
}

/// Run `cells` (already selected) and collect their results. Emits
/// `RunStarted`, then `CellStarted`/`CellFinished` per run, then
/// `RunFinished` with the report it returns.
pub fn run<'m>(
    m: &'m Matrix,
    cells: &[&'m Cell],
    opts: &Options,
    exec: &dyn Executor,
    events: &dyn Reporter,
    partition: Option<Partition>,
) -> Result<Report<'m>, RunError> {
    let repeat = opts.repeat.max(1);
    let store = Store::new(m, opts.update_snapshots);
    let stored =
        cells.iter().map(|c| if c.expect.snapshot { store.load(c) } else { None }).collect();
    let bases: Vec<u64> =
        cells.iter().map(|c| seed::base_seed(c.settings.seed, opts.seed)).collect();
    let jobs: Vec<(usize, u32)> =
        (0..cells.len()).flat_map(|i| (0..repeat).map(move |r| (i, r))).collect();
    let cores = host_cores();
    let in_flight = opts.jobs.max(1).min(jobs.len());
    let ctx = Ctx {
        matrix: m,
        exec,
        events,
        store,
        stored,
        stop: AtomicBool::new(false),
        fail_fast: opts.fail_fast,
        retries: opts.retries,
        interrupted: opts.interrupted,
        memory: opts.memory.unwrap_or_else(|| crate::limits::default_memory(opts.jobs)),
        announced: AtomicBool::new(false),
        lanes: opts.lanes.resolve(cores, in_flight, bohr_emu::jit::store::persisting()),
    };
    // Compile threads pay only where cells leave a core idle (see
    // `bohr_emu::engine::set_background_compile`). A lane does not count:
    // with a lane and compile threads, the aarch64 read-back cell took
    // 79.9 ms, with a lane and compiling on the spot 82.8 (medians of 11).
    let background = in_flight < cores;
    // No more threads than runs: a thread that never gets a cell still
    // costs its start.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(in_flight.max(1))
        .thread_name(|i| format!("bohr-cell-{i}"))
        .start_handler(move |_| {
            if !background {
                bohr_emu::engine::set_background_compile(false);
            }
        })
        .build()
        .map_err(|source| RunError::Pool { jobs: opts.jobs, source })?;
    events.handle(&Event::RunStarted { matrix: m, cells: cells.len(), jobs: jobs.len(), repeat });
    let records: Vec<RunRecord> = pool.install(|| {
        jobs.par_iter()
            .enumerate()
            .with_max_len(1)
            .map(|(job, &(i, r))| {
                let (seed, perturbed) = seed::job_seed(bases[i], r, opts.schedule_seed);
                let spec = JobSpec { job, index: i, run: r, base: bases[i], seed, perturbed };
                run_job(&ctx, cells[i], spec)
            })
            .collect()
    });

    let mut reports: Vec<CellReport> = cells
        .iter()
        .zip(&bases)
        .map(|(c, &b)| CellReport { cell: c, base_seed: b, runs: Vec::new() })
        .collect();
    for ((i, _), rec) in jobs.iter().zip(records) {
        reports[*i].runs.push(rec);
    }
    if opts.update_snapshots {
        // Later runs could not see run 0's accepted body while running;
        // compare them with it now.
        for rep in &mut reports {
            recheck_repeats_against_first(rep);
        }
    }
    let report = Report {
        matrix: m,
        cells: reports,
        repeat,
        cli_seed: opts.seed,
        partition,
        interrupted: (opts.interrupted)(),
    };
    events.handle(&Event::RunFinished { report: &report });
    Ok(report)
}

fn recheck_repeats_against_first(rep: &mut CellReport) {
    let Some(first) = rep.runs.first().and_then(|r| r.body.clone()) else { return };
    let reference = snapshot::normalise(&first);
    for r in rep.runs.iter_mut().skip(1) {
        let Some(body) = &r.body else { continue };
        let now = snapshot::normalise(body);
        if now == reference {
            r.snapshot = Some(Verdict::Matched);
        } else {
            r.failures.push(Failure::with_detail(
                "snapshot differs from the first run's (accepted) snapshot",
                snapshot::diff(&reference, &now),
            ));
            r.snapshot = Some(Verdict::Mismatch { diff: snapshot::diff(&reference, &now) });
            if r.status == Status::Pass {
                r.status = Status::Fail;
            }
        }
    }
}

/// Whether the run was interrupted; announces it once.
fn check_interrupt(ctx: &Ctx) -> bool {
    let Some(signal) = (ctx.interrupted)() else { return false };
    if !ctx.announced.swap(true, Ordering::SeqCst) {
        ctx.events.handle(&Event::Interrupted { signal });
    }
    true
}

/// Where one run sits in the schedule and which seeds it takes.
#[derive(Clone, Copy, Debug)]
struct JobSpec {
    /// Position in the schedule (cell index × repeat + run).
    job: usize,
    /// The cell's index in the selection.
    index: usize,
    run: u32,
    base: u64,
    seed: u64,
    perturbed: bool,
}

fn run_job(ctx: &Ctx, cell: &Cell, spec: JobSpec) -> RunRecord {
    let JobSpec { job, index, run, base, seed, perturbed } = spec;
    let skip = if check_interrupt(ctx) {
        Some(SkipReason::Interrupted)
    } else if ctx.stop.load(Ordering::Relaxed) {
        Some(SkipReason::FailFast)
    } else {
        None
    };
    if let Some(why) = skip {
        let mut rec = RunRecord::skipped(run, seed, why);
        rec.perturbed = perturbed;
        ctx.events.handle(&Event::CellFinished { cell, record: &rec, job, base_seed: base });
        return rec;
    }
    ctx.events.handle(&Event::CellStarted { cell, run, job });
    let mut rec = attempt(ctx, index, cell, run, base, seed, perturbed);
    // `--retries`: the same run again, with the same seed.
    while !matches!(rec.status, Status::Pass | Status::Skipped)
        && rec.retries.len() < ctx.retries as usize
        && (ctx.interrupted)().is_none()
    {
        let again = attempt(ctx, index, cell, run, base, seed, perturbed);
        rec.retries.push(again.status);
        if again.status == Status::Pass {
            break;
        }
    }
    if !rec.retries.is_empty() && rec.retries.iter().all(|s| *s == rec.status) {
        rec.failures.push(Failure::new(format!(
            "failed the same way on {} with the same seed: the run is deterministic, so \
             retrying cannot make it pass",
            if rec.retries.len() == 1 {
                "1 retry".to_string()
            } else {
                format!("{} retries", rec.retries.len())
            }
        )));
    }
    if ctx.fail_fast && !rec.passed_eventually() && rec.status != Status::Skipped {
        ctx.stop.store(true, Ordering::Relaxed);
    }
    ctx.events.handle(&Event::CellFinished { cell, record: &rec, job, base_seed: base });
    rec
}

/// One attempt at one run: the machine under a watchdog, then the checks.
fn attempt(
    ctx: &Ctx,
    index: usize,
    cell: &Cell,
    run: u32,
    base: u64,
    seed: u64,
    perturbed: bool,
) -> RunRecord {
    let started = Instant::now();
    let cancel = Arc::new(AtomicBool::new(false));
    let ctl = RunControl { cancel: Some(cancel.clone()), lanes: ctx.lanes, ..Default::default() };
    let (done_tx, done_rx) = mpsc::channel::<()>();
    // A watchdog thread per running cell sets the cancel flag the machine
    // polls between quanta: at the wall timeout, or at an interruption.
    // If no thread can be started the cell still runs, bounded by
    // `max_insns` alone.
    let timeout = cell.settings.timeout;
    let interrupted = ctx.interrupted;
    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let cancel = cancel.clone();
        let timed_out = timed_out.clone();
        std::thread::Builder::new()
            .name("bohr-watchdog".into())
            .spawn(move || {
                let deadline = timeout.map(|t| Instant::now() + t);
                loop {
                    let slice = Duration::from_millis(50);
                    let wait = deadline
                        .map_or(slice, |d| d.saturating_duration_since(Instant::now()).min(slice));
                    match done_rx.recv_timeout(wait) {
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    if interrupted().is_some() {
                        cancel.store(true, Ordering::Relaxed);
                        return;
                    }
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        timed_out.store(true, Ordering::Relaxed);
                        cancel.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            })
            .ok()
    };
    let result = panic::catch(|| execute(ctx, cell, seed, base, perturbed, &ctl, &cancel));
    drop(done_tx);
    if let Some(w) = watchdog {
        // The watchdog only waits on a channel; it cannot panic.
        let _ = w.join();
    }
    let cancelled = timed_out.load(Ordering::Relaxed);
    let mut rec = match result {
        Err(msg) => error_record(run, seed, "the cell panicked", msg),
        Ok(Err(msg)) => error_record(run, seed, "the machine failed", msg),
        Ok(Ok(o)) if cancel.load(Ordering::Relaxed) && !cancelled => {
            // Cancelled by an interruption, not by its own timeout: it has
            // no result.
            drop(o);
            RunRecord::skipped(run, seed, SkipReason::Interrupted)
        }
        Ok(Ok(o)) => evaluate(ctx, index, cell, run, seed, o, cancelled),
    };
    rec.wall = started.elapsed();
    rec.perturbed = perturbed;
    rec
}
fn error_record(run: u32, seed: u64, what: &str, msg: String) -> RunRecord {
    RunRecord {
        run,
        seed,
        perturbed: false,
        retries: Vec::new(),
        status: Status::Error,
        failures: vec![if msg.contains('\n') {
            Failure::with_detail(format!("{what}: {}", first_line(&msg)), msg)
        } else {
            Failure::new(format!("{what}: {msg}"))
        }],
        outcome: None,
        body: None,
        snapshot: None,
        wall: Duration::ZERO,
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn execute(
    ctx: &Ctx,
    cell: &Cell,
    seed: u64,
    base: u64,
    perturbed: bool,
    ctl: &RunControl,
    cancel: &AtomicBool,
) -> Result<Outcome, String> {
    match cell.settings.debug_hook {
        Some(DebugHook::Panic) => panic!("debug_hook: deliberate panic in cell {}", cell.id),
        Some(DebugHook::Hang) => {
            while !cancel.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(Outcome {
                exit_code: 0,
                stopped: Some(Stopped::Cancelled { pid: 1, pc: 0 }),
                stdout: Vec::new(),
                stderr: Vec::new(),
                events: Vec::new(),
                processes: Vec::new(),
                stats: MachineStats::default(),
                fingerprint: 0,
                limits: Default::default(),
            })
        }
        None => {
            let script = ctx
                .matrix
                .scripts
                .get(&cell.settings.script)
                .ok_or_else(|| format!("script `{}` was not loaded", cell.settings.script))?;
            let mut cfg =
                run_config(ctx.matrix, cell, base, seed, perturbed).map_err(|e| e.to_string())?;
            if cell.settings.memory.is_none() {
                cfg.limits.memory = ctx.memory;
            }
            ctx.exec.run(&cfg, &script.name, &script.text, ctl).map_err(|e| e.to_string())
        }
    }
}

fn evaluate(
    ctx: &Ctx,
    index: usize,
    cell: &Cell,
    run: u32,
    seed: u64,
    o: Outcome,
    cancelled: bool,
) -> RunRecord {
    let mut rec = RunRecord {
        run,
        seed,
        perturbed: false,
        retries: Vec::new(),
        status: Status::Pass,
        failures: Vec::new(),
        outcome: None,
        body: None,
        snapshot: None,
        wall: Duration::ZERO,
    };
    if let Some(stopped) = o.stopped.clone() {
        let msg = match stopped {
            Stopped::InstructionLimit { pid, pc } => format!(
                "timed out: instruction limit of {} reached at pc {pc:#x} (pid {pid})",
                cell.settings.max_insns
            ),
            Stopped::Cancelled { pid, pc } => {
                let t = cell.settings.timeout.map_or_else(|| "?".to_string(), format_duration);
                let why = if cancelled { "wall timeout" } else { "cancelled" };
                format!("timed out: {why} of {t} reached at pc {pc:#x} (pid {pid})")
            }
            // On Linux this cell would hang forever; report it like a
            // timeout, but say why.
            Stopped::Deadlock { pid, pc, .. } => format!(
                "timed out: deadlock, every thread waits for something that cannot come \
                 (pid {pid} at pc {pc:#x}); blocked:\n{}",
                stopped.blocked_lines("  ")
            ),
        };
        rec.status = Status::Timeout;
        rec.failures.push(match stopped {
            Stopped::Cancelled { .. } => Failure::with_detail(
                msg,
                "a wall-clock timeout depends on host speed, so a replay stops elsewhere; \
                 set `max_insns` for a deterministic limit",
            ),
            _ => Failure::new(msg),
        });
        rec.outcome = Some(o);
        return rec;
    }
    rec.failures = expect::check(&cell.expect, &o);
    if cell.expect.snapshot {
        match ctx.matrix.scripts.get(&cell.settings.script) {
            Some(script) => {
                let body = snapshot::body(script, &o);
                let v = ctx.store.verdict(&body, ctx.stored[index].as_deref());
                if let Some(f) = snapshot_failure(ctx, cell, &v) {
                    rec.failures.push(f);
                }
                rec.snapshot = Some(v);
                rec.body = Some(body);
            }
            None => {
                rec.status = Status::Error;
                rec.failures.push(Failure::new(format!(
                    "script `{}` was not loaded",
                    cell.settings.script
                )));
            }
        }
    }
    if rec.status == Status::Pass && !rec.failures.is_empty() {
        rec.status = Status::Fail;
    }
    rec.outcome = Some(o);
    rec
}

fn snapshot_failure(ctx: &Ctx, cell: &Cell, v: &Verdict) -> Option<Failure> {
    let path = ctx.store.path(cell);
    let shown = crate::paths::relative(&path);
    // Whether a `.snap.new` is left for review is known only once the
    // snapshot writer has run; it says so after the run.
    let accept = "rerun with --update-snapshots to accept it";
    match v {
        Verdict::Matched | Verdict::Updated => None,
        Verdict::Mismatch { diff } => Some(Failure::with_detail(
            format!("snapshot differs from {shown}"),
            format!("{diff}\n{accept}"),
        )),
        Verdict::Missing => {
            Some(Failure::with_detail(format!("no stored snapshot {shown}"), accept.to_string()))
        }
    }
}

#[cfg(test)]
mod lanes_tests {
    use super::{Lanes, MAX_LANES};

    #[test]
    fn lane_counts_parse_as_auto_or_a_bounded_number() {
        assert_eq!(Lanes::parse("auto"), Ok(Lanes::Auto));
        assert_eq!(Lanes::parse("0"), Ok(Lanes::Fixed(0)));
        assert_eq!(Lanes::parse("8"), Ok(Lanes::Fixed(MAX_LANES)));
        for bad in ["9", "-1", "", "Auto", "1.5"] {
            let e = Lanes::parse(bad).expect_err(bad);
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
    }

    #[test]
    fn auto_gives_a_lane_only_where_each_running_cell_has_two_cores() {
        // (cores, cells at once) -> lanes
        for (cores, in_flight, lanes) in [
            (1, 1, 0),
            (2, 1, 1),
            (2, 2, 0),
            (3, 2, 0),
            (4, 2, 1),
            (16, 1, 1),
            (16, 9, 0),
            (2, 0, 1),
        ] {
            let got = Lanes::Auto.resolve(cores, in_flight, true);
            assert_eq!(got, lanes, "{cores} cores, {in_flight}");
            assert_eq!(Lanes::Auto.resolve(cores, in_flight, false), 0, "no code store");
        }
        assert_eq!(Lanes::Fixed(3).resolve(1, 8, false), 3, "a count asked for is kept");
    }
}

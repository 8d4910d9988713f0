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

use bohr_emu::machine::{MachineConfig, MachineStats, Outcome, RunControl, Stopped};

use crate::matrix::diag::{ConfigError, Diag};
use crate::matrix::select::Partition;
use crate::matrix::{Cell, DebugHook, Matrix, format_duration};
use crate::report::progress::Progress;
use executor::Executor;
use expect::Failure;
use snapshot::{Store, Verdict};

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (`--jobs`).
    pub jobs: usize,
    /// Runs per cell (`--repeat`), at least 1.
    pub repeat: u32,
    /// `--seed`: overrides every cell's base seed.
    pub seed: Option<u64>,
    /// Stop scheduling new runs after the first run that does not pass.
    pub fail_fast: bool,
    /// Accept snapshot changes in place.
    pub update_snapshots: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { jobs: 1, repeat: 1, seed: None, fail_fast: false, update_snapshots: false }
    }
}

/// Result of one run of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    /// An expectation or the snapshot did not hold.
    Fail,
    /// The cell could not be run (panic, machine error).
    Error,
    /// Stopped at `max_insns` or the wall `timeout`.
    Timeout,
    /// Not run because of `--fail-fast`.
    Skipped,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Timeout => "timeout",
            Status::Skipped => "skipped",
        }
    }
}

/// One run of one cell.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// Index in `0..repeat`.
    pub run: u32,
    /// The effective seed (what `--seed` must be to replay this run).
    pub seed: u64,
    pub status: Status,
    /// Why it did not pass, most important first.
    pub failures: Vec<Failure>,
    pub outcome: Option<Outcome>,
    /// The snapshot body, when the cell has `snapshot = true`.
    pub body: Option<String>,
    pub snapshot: Option<Verdict>,
    /// Host wall time. Only progress lines and JUnit `time` show it.
    pub wall: Duration,
}

impl RunRecord {
    fn skipped(run: u32, seed: u64) -> RunRecord {
        RunRecord {
            run,
            seed,
            status: Status::Skipped,
            failures: vec![Failure::new("not run: --fail-fast stopped the run after a failure")],
            outcome: None,
            body: None,
            snapshot: None,
            wall: Duration::ZERO,
        }
    }
}

/// A cell's overall result across its runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellStatus {
    Pass,
    Fail,
    Error,
    Timeout,
    /// Some runs passed and some did not.
    Flaky,
    Skipped,
}

impl CellStatus {
    pub fn name(self) -> &'static str {
        match self {
            CellStatus::Pass => "pass",
            CellStatus::Fail => "fail",
            CellStatus::Error => "error",
            CellStatus::Timeout => "timeout",
            CellStatus::Flaky => "flaky",
            CellStatus::Skipped => "skipped",
        }
    }

    /// Grid symbol.
    pub fn symbol(self) -> char {
        match self {
            CellStatus::Pass => '✓',
            CellStatus::Fail => '✗',
            CellStatus::Error => 'E',
            CellStatus::Timeout => 'T',
            CellStatus::Flaky => '~',
            CellStatus::Skipped => '-',
        }
    }

    pub fn is_ok(self) -> bool {
        self == CellStatus::Pass
    }
}

/// All runs of one cell.
#[derive(Clone, Debug)]
pub struct CellReport<'m> {
    pub cell: &'m Cell,
    pub base_seed: u64,
    pub runs: Vec<RunRecord>,
}

impl CellReport<'_> {
    pub fn status(&self) -> CellStatus {
        let ran: Vec<&RunRecord> =
            self.runs.iter().filter(|r| r.status != Status::Skipped).collect();
        if ran.is_empty() {
            return CellStatus::Skipped;
        }
        let passed = ran.iter().filter(|r| r.status == Status::Pass).count();
        if passed == ran.len() {
            return CellStatus::Pass;
        }
        if passed > 0 {
            return CellStatus::Flaky;
        }
        match ran[0].status {
            Status::Error => CellStatus::Error,
            Status::Timeout => CellStatus::Timeout,
            _ => CellStatus::Fail,
        }
    }

    pub fn executed(&self) -> usize {
        self.runs.iter().filter(|r| r.status != Status::Skipped).count()
    }

    pub fn passed(&self) -> usize {
        self.runs.iter().filter(|r| r.status == Status::Pass).count()
    }

    /// Runs that did not pass (and ran).
    pub fn failing(&self) -> impl Iterator<Item = &RunRecord> {
        self.runs.iter().filter(|r| !matches!(r.status, Status::Pass | Status::Skipped))
    }

    pub fn wall(&self) -> Duration {
        self.runs.iter().map(|r| r.wall).sum()
    }
}

/// Everything a run produced, in matrix order.
#[derive(Clone, Debug)]
pub struct Report<'m> {
    pub matrix: &'m Matrix,
    pub cells: Vec<CellReport<'m>>,
    pub repeat: u32,
    pub cli_seed: Option<u64>,
    pub partition: Option<Partition>,
}

impl Report<'_> {
    /// 0 when every cell passed, else 1.
    pub fn exit_code(&self) -> i32 {
        if self.cells.iter().all(|c| c.status().is_ok()) { 0 } else { 1 }
    }

    pub fn count(&self, s: CellStatus) -> usize {
        self.cells.iter().filter(|c| c.status() == s).count()
    }
}

/// Check every script the selected cells use, before any cell runs.
pub fn check_scripts(m: &Matrix, cells: &[&Cell], exec: &dyn Executor) -> Result<(), ConfigError> {
    let mut names: Vec<&str> = cells.iter().map(|c| c.settings.script.as_str()).collect();
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
    c.mtds = m.mtds.clone();
    c.files = m.files.clone();
    c.env = s.env.clone();
    c
}

struct Ctx<'a> {
    matrix: &'a Matrix,
    exec: &'a dyn Executor,
    progress: &'a Progress,
    store: Store,
    /// Stored snapshot bodies, read before any cell runs so a run never
    /// races another run's update of the same file.
    stored: Vec<Option<String>>,
    stop: AtomicBool,
    fail_fast: bool,
}

/// Run `cells` (already selected) and collect their results.
pub fn run<'m>(
    m: &'m Matrix,
    cells: &[&'m Cell],
    opts: &Options,
    exec: &dyn Executor,
    progress: &Progress,
    partition: Option<Partition>,
) -> Result<Report<'m>, String> {
    let repeat = opts.repeat.max(1);
    let store = Store::new(m, opts.update_snapshots);
    let stored =
        cells.iter().map(|c| if c.expect.snapshot { store.load(c) } else { None }).collect();
    let ctx = Ctx {
        matrix: m,
        exec,
        progress,
        store,
        stored,
        stop: AtomicBool::new(false),
        fail_fast: opts.fail_fast,
    };
    let bases: Vec<u64> =
        cells.iter().map(|c| seed::base_seed(c.settings.seed, opts.seed)).collect();
    let jobs: Vec<(usize, u32)> =
        (0..cells.len()).flat_map(|i| (0..repeat).map(move |r| (i, r))).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .thread_name(|i| format!("bohr-cell-{i}"))
        .build()
        .map_err(|e| format!("cannot start {} worker threads: {e}", opts.jobs))?;
    let records: Vec<RunRecord> = pool.install(|| {
        jobs.par_iter()
            .with_max_len(1)
            .map(|&(i, r)| run_job(&ctx, i, cells[i], r, seed::run_seed(bases[i], r)))
            .collect()
    });
    progress.finish();

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
    Ok(Report { matrix: m, cells: reports, repeat, cli_seed: opts.seed, partition })
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
            r.snapshot =
                Some(Verdict::Mismatch { diff: snapshot::diff(&reference, &now), pending: None });
            if r.status == Status::Pass {
                r.status = Status::Fail;
            }
        }
    }
}

fn run_job(ctx: &Ctx, index: usize, cell: &Cell, run: u32, seed: u64) -> RunRecord {
    if ctx.stop.load(Ordering::Relaxed) {
        let rec = RunRecord::skipped(run, seed);
        ctx.progress.finished(cell, &rec);
        return rec;
    }
    ctx.progress.started(cell, run);
    let started = Instant::now();
    let cancel = Arc::new(AtomicBool::new(false));
    let ctl = RunControl { cancel: Some(cancel.clone()) };
    let (done_tx, done_rx) = mpsc::channel::<()>();
    // A watchdog thread per timed cell sets the cancel flag the machine
    // polls between quanta. If no thread can be started the cell still runs,
    // bounded by `max_insns` alone.
    let watchdog = cell.settings.timeout.and_then(|t| {
        let cancel = cancel.clone();
        std::thread::Builder::new()
            .name("bohr-watchdog".into())
            .spawn(move || {
                if done_rx.recv_timeout(t) == Err(mpsc::RecvTimeoutError::Timeout) {
                    cancel.store(true, Ordering::Relaxed);
                }
            })
            .ok()
    });
    let result = panic::catch(|| execute(ctx, cell, seed, &ctl, &cancel));
    drop(done_tx);
    if let Some(w) = watchdog {
        // The watchdog only waits on a channel; it cannot panic.
        let _ = w.join();
    }
    let cancelled = cancel.load(Ordering::Relaxed);
    let mut rec = match result {
        Err(msg) => error_record(run, seed, "the cell panicked", msg),
        Ok(Err(msg)) => error_record(run, seed, "the machine failed", msg),
        Ok(Ok(o)) => evaluate(ctx, index, cell, run, seed, o, cancelled),
    };
    rec.wall = started.elapsed();
    if ctx.fail_fast && rec.status != Status::Pass {
        ctx.stop.store(true, Ordering::Relaxed);
    }
    ctx.progress.finished(cell, &rec);
    rec
}

fn error_record(run: u32, seed: u64, what: &str, msg: String) -> RunRecord {
    RunRecord {
        run,
        seed,
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
            })
        }
        None => {
            let script = ctx
                .matrix
                .scripts
                .get(&cell.settings.script)
                .ok_or_else(|| format!("script `{}` was not loaded", cell.settings.script))?;
            let cfg = machine_config(ctx.matrix, cell, seed);
            ctx.exec.run(&cfg, &script.name, &script.text, ctl)
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
        status: Status::Pass,
        failures: Vec::new(),
        outcome: None,
        body: None,
        snapshot: None,
        wall: Duration::ZERO,
    };
    if let Some(stopped) = o.stopped {
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
            Stopped::Deadlock { pid, pc } => format!(
                "timed out: deadlock, every process waits for I/O that cannot come \
                 (pid {pid} at pc {pc:#x})"
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
                let verdict = snapshot_verdict(ctx, index, cell, run, seed, &o, &body);
                match verdict {
                    Ok(v) => {
                        if let Some(f) = snapshot_failure(ctx, cell, &v) {
                            rec.failures.push(f);
                        }
                        rec.snapshot = Some(v);
                    }
                    Err(e) => {
                        rec.status = Status::Error;
                        rec.failures.insert(0, Failure::new(e));
                    }
                }
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

fn snapshot_verdict(
    ctx: &Ctx,
    index: usize,
    cell: &Cell,
    run: u32,
    seed: u64,
    o: &Outcome,
    body: &str,
) -> Result<Verdict, String> {
    let stored = ctx.stored[index].as_deref();
    if run == 0 {
        // Only the first run of a cell writes snapshot files.
        let info = snapshot::info(cell, seed, o);
        return ctx.store.assert(cell, body, &info, stored);
    }
    let now = snapshot::normalise(body);
    Ok(match stored {
        Some(old) if old == now => Verdict::Matched,
        // Compared with run 0 after all runs when updating.
        _ if ctx.store.update => Verdict::Updated,
        Some(old) => Verdict::Mismatch { diff: snapshot::diff(old, &now), pending: None },
        None => Verdict::Missing { pending: None },
    })
}

fn snapshot_failure(ctx: &Ctx, cell: &Cell, v: &Verdict) -> Option<Failure> {
    let path = ctx.store.path(cell);
    let shown = crate::report::relative(&path);
    let review = |pending: &Option<std::path::PathBuf>| match pending {
        Some(p) => format!(
            "\nnew snapshot left at {} (review with `cargo insta review`, or rerun with \
             --update-snapshots)",
            crate::report::relative(p)
        ),
        None => "\nrerun with --update-snapshots to accept it".to_string(),
    };
    match v {
        Verdict::Matched | Verdict::Updated => None,
        Verdict::Mismatch { diff, pending } => Some(Failure::with_detail(
            format!("snapshot differs from {shown}"),
            format!("{diff}{}", review(pending)),
        )),
        Verdict::Missing { pending } => Some(Failure::with_detail(
            format!("no stored snapshot {shown}"),
            review(pending).trim_start().to_string(),
        )),
    }
}

#[cfg(test)]
mod tests;

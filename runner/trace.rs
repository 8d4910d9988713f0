//! `bohr trace` and `bohr diff`: run matrix cells with instrumentation
//! (`bohr_emu::plugin`).
//!
//! - `trace` runs one cell with the execlog and counters plugins. The
//!   execlog goes to a file or stderr; stdout gets the cell's outcome, its
//!   fingerprint (equal to the untraced run's: observation does not change
//!   the run) and the per-process counters.
//! - `diff` runs two cells with the trace recorder, aligns their records
//!   process by process and reports the first divergence: the first
//!   differing instruction, memory value, system call, system-call result
//!   or event, with execlog context from both sides.
//!
//! Exit status: 0 (trace: the cell met its expectations; diff: no
//! divergence), 1 (trace: it did not; diff: the cells diverge), 2 for bad
//! arguments or matrices.

use std::io::Write as _;
use std::path::PathBuf;

use bohr_emu::machine::{Outcome, RunControl, Stopped, run_script_instrumented};
use bohr_emu::plugin::counters::Counters;
use bohr_emu::plugin::execlog::{ExecLog, ExecLogOptions};
use bohr_emu::plugin::trace::{Recorder, Trace, context, divergences};
use bohr_emu::plugin::{PluginHandle, PluginHost, Sink};

use crate::matrix::select::{Selection, select};
use crate::matrix::{self, Cell, Matrix};
use crate::run::{expect, run_config, seed};

/// Arguments of `bohr trace`.
#[derive(clap::Args, Debug, Clone)]
pub struct TraceArgs {
    /// The matrix file.
    pub matrix: PathBuf,
    /// The cell to run (its exact ID, or a glob matching exactly one cell).
    #[arg(long, value_name = "ID")]
    pub cell: String,
    /// Write the execlog to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub execlog: Option<PathBuf>,
    /// First instruction (per process, from 0) to log.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub from: u64,
    /// Stop logging at this instruction (per process, exclusive).
    #[arg(long, value_name = "M")]
    pub to: Option<u64>,
    /// Log only this process.
    #[arg(long, value_name = "P")]
    pub pid: Option<u32>,
    /// Log only instructions with LO <= pc < HI (decimal or 0x hex).
    #[arg(long, value_name = "LO:HI", value_parser = parse_pc_range)]
    pub pc_range: Option<(u64, u64)>,
    /// Seed of the cell, overriding the matrix (as `bohr run --seed`).
    #[arg(long, value_parser = crate::commands::parse_seed)]
    pub seed: Option<u64>,
    /// Chaos scheduling from this seed, as a later run of `bohr run
    /// --repeat` (as `bohr run --schedule-seed`).
    #[arg(long, value_name = "S", value_parser = crate::commands::parse_seed)]
    pub schedule_seed: Option<u64>,
}

/// Arguments of `bohr diff`.
#[derive(clap::Args, Debug, Clone)]
pub struct DiffArgs {
    /// The matrix file.
    pub matrix: PathBuf,
    /// The first cell (ID).
    pub cell_a: String,
    /// The second cell (ID).
    pub cell_b: String,
    /// Lines of execlog context from each side.
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub context: usize,
    /// Record at most this many items (instructions, system calls,
    /// events) per cell; past it the comparison covers what was recorded.
    #[arg(long, value_name = "N", default_value_t = 5_000_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub limit: u64,
    /// Seed of both cells, overriding the matrix.
    #[arg(long, value_parser = crate::commands::parse_seed)]
    pub seed: Option<u64>,
    /// Chaos scheduling from this seed for both cells (as `bohr run
    /// --schedule-seed`).
    #[arg(long, value_name = "S", value_parser = crate::commands::parse_seed)]
    pub schedule_seed: Option<u64>,
}

/// Parse `LO:HI`.
pub fn parse_pc_range(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("invalid pc range `{s}` (expected LO:HI, e.g. 0x10000:0x20000)");
    let (lo, hi) = s.split_once(':').ok_or_else(bad)?;
    let lo = crate::units::parse_u64(lo).map_err(|_| bad())?;
    let hi = crate::units::parse_u64(hi).map_err(|_| bad())?;
    if lo >= hi {
        return Err(format!("invalid pc range `{s}`: LO must be below HI"));
    }
    Ok((lo, hi))
}

pub use crate::errors::TraceError;

fn load(path: &std::path::Path) -> Result<Matrix, TraceError> {
    matrix::load(&crate::commands::resolve_matrix(path)).map_err(TraceError::Config)
}

/// The one cell `pattern` names.
fn one_cell<'m>(m: &'m Matrix, pattern: &str) -> Result<&'m Cell, TraceError> {
    let sel = Selection { cells: vec![pattern.to_string()], ..Default::default() };
    let cells = select(m, &sel).map_err(TraceError::Config)?;
    match cells.as_slice() {
        [c] => Ok(c),
        _ => Err(TraceError::Ambiguous {
            pattern: pattern.to_string(),
            count: cells.len(),
            ids: cells.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// The seeds of a traced run: `--seed` and `--schedule-seed`.
#[derive(Clone, Copy, Debug)]
struct Seeds {
    seed: Option<u64>,
    schedule: Option<u64>,
}

/// Run `cell` at its base seed (perturbed by a schedule seed, if given)
/// with `plugins`, exactly as `bohr run` would.
fn run_cell(
    m: &Matrix,
    cell: &Cell,
    seeds: Seeds,
    plugins: PluginHandle,
) -> Result<Outcome, TraceError> {
    let run_err = |message: String| TraceError::Run { cell: cell.id.clone(), message };
    let base = seed::base_seed(cell.settings.seed, seeds.seed);
    let (machine_seed, perturbed) = seed::job_seed(base, 0, seeds.schedule);
    let cfg =
        run_config(m, cell, base, machine_seed, perturbed).map_err(|e| run_err(e.to_string()))?;
    let script = m
        .scripts
        .get(&cell.settings.script)
        .ok_or_else(|| run_err(format!("script `{}` was not loaded", cell.settings.script)))?;
    run_script_instrumented(&cfg, &script.name, &script.text, &RunControl::default(), Some(plugins))
        .map_err(|e| run_err(e.to_string()))
}

/// `exit E, N instructions, fingerprint F`.
fn summary(o: &Outcome) -> String {
    let stopped = match &o.stopped {
        Some(Stopped::InstructionLimit { pid, pc }) => {
            format!(" (stopped: instruction limit, pid {pid} at pc {pc:#x})")
        }
        Some(Stopped::Cancelled { pid, pc }) => {
            format!(" (stopped: cancelled, pid {pid} at pc {pc:#x})")
        }
        Some(s @ Stopped::Deadlock { pid, pc, .. }) => {
            let who = s.blocked_lines("").trim_end().replace('\n', "; ");
            format!(" (stopped: deadlock, pid {pid} at pc {pc:#x}: {who})")
        }
        None => String::new(),
    };
    format!(
        "exit {}{stopped}, {} instructions, fingerprint {:#018x}",
        o.exit_code, o.stats.insns, o.fingerprint
    )
}

/// `bohr trace`; returns the exit status.
pub fn trace(a: &TraceArgs) -> Result<i32, TraceError> {
    if let Some(to) = a.to
        && a.from >= to
    {
        return Err(TraceError::Range { from: a.from, to });
    }
    let m = load(&a.matrix)?;
    let cell = one_cell(&m, &a.cell)?;
    matrix::rootfs::open_images(&m, &[cell]).map_err(TraceError::Config)?;
    let dest = a.execlog.as_ref().map_or("stderr".into(), |p| p.display().to_string());
    let sink = Sink::file_or_stderr(a.execlog.as_deref())
        .map_err(|source| TraceError::Create { path: dest.clone(), source })?;
    let opts = ExecLogOptions { pid: a.pid, pc_range: a.pc_range, from: a.from, to: a.to };
    let mut host = PluginHost::new();
    let log = host.add(ExecLog::new(opts, sink));
    let counters = host.add(Counters::default());
    let host = host.into_handle();
    let o = run_cell(&m, cell, Seeds { seed: a.seed, schedule: a.schedule_seed }, host.clone())?;
    let mut host = host.borrow_mut();
    let log = host.get(log);
    if let Some(e) = log.error() {
        let path = a.execlog.as_ref().map_or("stderr".into(), |p| p.display().to_string());
        return Err(TraceError::Write {
            path,
            source: std::io::Error::new(e.kind(), e.to_string()),
        });
    }
    let lines = log.lines();
    let mut out = format!("cell {}\n{}\n", cell.id, summary(&o));
    for p in &o.processes {
        let c = host.get(counters).counts().get(&p.pid).copied().unwrap_or_default();
        out.push_str(&format!(
            "pid {} {}: {} instructions, {} blocks executed\n",
            p.pid, p.name, c.insns, c.blocks
        ));
    }
    out.push_str(&format!("execlog: {lines} lines to {dest}\n"));
    let failures = expect::check(&cell.expect, &o);
    for f in &failures {
        out.push_str(&format!("expectation failed: {}\n", f.message));
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
    Ok(if failures.is_empty() { 0 } else { 1 })
}

fn record(
    m: &Matrix,
    cell: &Cell,
    seeds: Seeds,
    limit: usize,
) -> Result<(Outcome, Trace), TraceError> {
    let mut host = PluginHost::new();
    let id = host.add(Recorder::new(limit));
    let host = host.into_handle();
    let o = run_cell(m, cell, seeds, host.clone())?;
    let trace = std::mem::replace(host.borrow_mut().get(id), Recorder::new(0)).into_trace();
    Ok((o, trace))
}

/// The report of `bohr diff` for two recorded cells; `None` when they
/// agree.
pub fn render_diff((ida, a): (&str, &Trace), (idb, b): (&str, &Trace), k: usize) -> Option<String> {
    let all = divergences(a, b);
    let d = all.first()?;
    let side = |t: &Trace, item: Option<&bohr_emu::plugin::trace::Item>| {
        item.map_or_else(|| format!("(process {} has nothing more)", d.pid), |i| t.render(d.pid, i))
    };
    let mut s = format!("first divergence: pid {}, item {}: {}\n", d.pid, d.index, d.what);
    s.push_str(&format!("  A: {}\n  B: {}\n", side(a, d.a), side(b, d.b)));
    if d.what == "memory value" {
        s.push_str(&format!("  {}\n", d.detail));
    }
    for (id, t, item) in [(ida, a, d.a), (idb, b, d.b)] {
        s.push_str(&format!("context {id}:\n"));
        let lines = context(t, d.pid, d.index, k);
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            let mark = if i + 1 == n && item.is_some() { ">" } else { " " };
            s.push_str(&format!("{mark} {line}\n"));
        }
    }
    if all.len() > 1 {
        let rest: Vec<String> = all[1..]
            .iter()
            .map(|d| format!("pid {} (item {}: {})", d.pid, d.index, d.what))
            .collect();
        s.push_str(&format!("later divergences: {}\n", rest.join(", ")));
    }
    Some(s)
}

/// `bohr diff`; returns the exit status.
pub fn diff(a: &DiffArgs) -> Result<i32, TraceError> {
    let m = load(&a.matrix)?;
    let ca = one_cell(&m, &a.cell_a)?;
    let cb = one_cell(&m, &a.cell_b)?;
    matrix::rootfs::open_images(&m, &[ca, cb]).map_err(TraceError::Config)?;
    let limit = usize::try_from(a.limit).unwrap_or(usize::MAX);
    let seeds = Seeds { seed: a.seed, schedule: a.schedule_seed };
    let (oa, ta) = record(&m, ca, seeds, limit)?;
    let (ob, tb) = record(&m, cb, seeds, limit)?;
    let mut out = format!("A {}: {}\nB {}: {}\n", ca.id, summary(&oa), cb.id, summary(&ob));
    for (id, t) in [(&ca.id, &ta), (&cb.id, &tb)] {
        if t.truncated {
            out.push_str(&format!(
                "note: the record of {id} stopped at {} items (--limit)\n",
                a.limit
            ));
        }
    }
    let code = match render_diff((&ca.id, &ta), (&cb.id, &tb), a.context) {
        Some(report) => {
            out.push_str(&report);
            1
        }
        None if ta.truncated || tb.truncated => {
            out.push_str(&format!(
                "no divergence in what was recorded; raise --limit (now {}) to compare further\n",
                a.limit
            ));
            0
        }
        None => {
            out.push_str("no divergence: every process did the same instructions, memory accesses, system calls and events\n");
            0
        }
    };
    print!("{out}");
    let _ = std::io::stdout().flush();
    Ok(code)
}

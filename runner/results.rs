//! What a run produced, as data: the status and record of each run of a
//! cell, a cell's result across its runs, and the whole run's report in
//! matrix order. The scheduler (`run`) fills these in and sends them in
//! `events`; the reports (`report`) render them. Nothing here runs cells
//! or prints.

use std::time::Duration;

use bohr_emu::machine::Outcome;

use crate::matrix::select::Partition;
use crate::matrix::{Cell, Matrix};

/// One unmet expectation (or another reason a run did not pass).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub detail: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), detail: None }
    }

    pub fn with_detail(message: impl Into<String>, detail: impl Into<String>) -> Failure {
        Failure { message: message.into(), detail: Some(detail.into()) }
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
    /// The effective machine seed. Replayed with `--seed` when the run was
    /// not perturbed, else with `--schedule-seed` (and the cell's base
    /// seed as `--seed`).
    pub seed: u64,
    /// Whether this run perturbed the schedule (see `run::seed::job_seed`).
    pub perturbed: bool,
    /// Statuses of `--retries` attempts after this (failing) first attempt.
    pub retries: Vec<Status>,
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
    /// Passed, at once or on a retry.
    pub fn passed_eventually(&self) -> bool {
        self.status == Status::Pass || self.retries.contains(&Status::Pass)
    }

    /// A run that never started, and why.
    pub fn skipped(run: u32, seed: u64, why: SkipReason) -> RunRecord {
        RunRecord {
            run,
            seed,
            perturbed: false,
            retries: Vec::new(),
            status: Status::Skipped,
            failures: vec![Failure::new(why.message())],
            outcome: None,
            body: None,
            snapshot: None,
            wall: Duration::ZERO,
        }
    }
}

/// Why a run did not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// `--fail-fast` stopped the run after a failure.
    FailFast,
    /// The run was interrupted (SIGINT or SIGTERM).
    Interrupted,
}

impl SkipReason {
    pub fn message(self) -> &'static str {
        match self {
            SkipReason::FailFast => "not run: --fail-fast stopped the run after a failure",
            SkipReason::Interrupted => "not run: the run was interrupted",
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
        // A run that failed and then passed on a retry with the same seed
        // depends on the host (a wall timeout, say): flaky, as nextest
        // reports it.
        if ran.iter().all(|r| r.passed_eventually()) {
            return CellStatus::Flaky;
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
    /// The signal that interrupted the run, if one did.
    pub interrupted: Option<i32>,
}

impl Report<'_> {
    /// 0 when every cell passed, 128 + signal when interrupted, else 1.
    pub fn exit_code(&self) -> i32 {
        if let Some(sig) = self.interrupted {
            return 128 + sig;
        }
        if self.cells.iter().all(|c| c.status().is_ok()) { 0 } else { 1 }
    }

    pub fn count(&self, s: CellStatus) -> usize {
        self.cells.iter().filter(|c| c.status() == s).count()
    }
}

/// The result of checking one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Matched,
    /// Differed or was missing, and was written in place.
    Updated,
    /// Differs from the stored snapshot; `diff` is unified.
    Mismatch {
        diff: String,
    },
    /// No stored snapshot.
    Missing,
}

//! Events of a `bohr run`, as nextest's reporter events: the scheduler
//! (`run`) emits them and never prints; every output consumes them
//! through the [`Reporter`] trait. Live consumers (progress, the JSON
//! message stream) act on `CellStarted`/`CellFinished`; the end-of-run
//! reports (text and grid, JUnit, GitHub annotations and step summary)
//! act on `RunFinished`, which carries the whole report in matrix order.
//!
//! Events about running cells arrive in completion order, from worker
//! threads; anything written from them that must be deterministic
//! reorders by `job` (see [`InOrder`]).

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::matrix::{Cell, Matrix};
use crate::results::{Report, RunRecord};

/// One thing that happened during a run.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a, 'm> {
    /// Before any cell starts: `jobs` runs in all (cells × repeat).
    RunStarted { matrix: &'m Matrix, cells: usize, jobs: usize, repeat: u32 },
    /// A run of a cell started on a worker.
    CellStarted { cell: &'m Cell, run: u32, job: usize },
    /// A run of a cell finished, or was skipped. `job` is its position in
    /// the deterministic schedule (cell index × repeat + run).
    CellFinished { cell: &'m Cell, record: &'a RunRecord, job: usize, base_seed: u64 },
    /// A SIGINT or SIGTERM arrived: no new run starts.
    Interrupted { signal: i32 },
    /// Every run finished (or was skipped).
    RunFinished { report: &'a Report<'m> },
}

/// Something that consumes run events. Called from worker threads.
pub trait Reporter: Sync {
    fn handle(&self, event: &Event<'_, '_>);
}

/// Several reporters, called in order for each event.
pub struct Fanout<'r>(pub Vec<&'r dyn Reporter>);

impl Reporter for Fanout<'_> {
    fn handle(&self, event: &Event<'_, '_>) {
        for r in &self.0 {
            r.handle(event);
        }
    }
}

/// A reporter that ignores everything (for tests and library callers).
pub struct Silent;

impl Reporter for Silent {
    fn handle(&self, _event: &Event<'_, '_>) {}
}

/// Releases items keyed by job index in schedule order, as soon as every
/// earlier job has been released: a live stream whose order never
/// depends on thread timing.
#[derive(Debug, Default)]
pub struct InOrder<T> {
    state: Mutex<(usize, BTreeMap<usize, T>)>,
}

impl<T> InOrder<T> {
    pub fn new() -> InOrder<T> {
        InOrder { state: Mutex::new((0, BTreeMap::new())) }
    }

    /// Add job `job`'s item; `emit` gets every item now releasable, in
    /// order (called with the lock held, so emissions never interleave).
    pub fn push(&self, job: usize, item: T, mut emit: impl FnMut(T)) {
        let Ok(mut st) = self.state.lock() else { return };
        let (next, pending) = &mut *st;
        pending.insert(job, item);
        while let Some(x) = pending.remove(next) {
            emit(x);
            *next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_releases_in_schedule_order() {
        let q = InOrder::new();
        let mut out = Vec::new();
        for j in [2, 0, 3, 1, 4] {
            q.push(j, j, |x| out.push(x));
        }
        assert_eq!(out, [0, 1, 2, 3, 4]);
    }
}

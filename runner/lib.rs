//! The `bohr` runner library: command-line interface, matrices, cell
//! scheduling and reports. It drives `bohr-emu` and never the reverse.
//!
//! Inside, dependencies go one way: `units`, `errors`, `paths`,
//! `sanitize`, `limits` ← `mtd` ← `matrix` ← `results` and `events` ← `run` (which
//! emits the events) and `report` (whose reporters consume them; neither
//! imports the other) ← `commands` ← `cli`; `timeline` (the
//! `BOHR_TIMELINE` trace) serves `cli` alone.
//!
//! Modules marked `#[warn(missing_docs)]` document every public item, and
//! clippy's `-D warnings` keeps it so.

pub mod cli;
pub mod commands;
pub mod errors;
pub mod events;
pub mod exec;
#[warn(missing_docs)]
pub mod interrupt;
#[warn(missing_docs)]
pub mod limits;
pub mod list;
pub mod matrix;
#[warn(missing_docs)]
pub mod mtd;
#[warn(missing_docs)]
pub mod paths;
#[warn(missing_docs)]
pub mod report;
#[warn(missing_docs)]
pub mod repro;
pub mod results;
#[warn(missing_docs)]
pub mod run;
#[cfg(test)]
mod run_report_tests;
#[warn(missing_docs)]
pub mod sanitize;
pub mod sh;
#[warn(missing_docs)]
pub mod timeline;
#[warn(missing_docs)]
pub mod trace;
#[warn(missing_docs)]
pub mod units;

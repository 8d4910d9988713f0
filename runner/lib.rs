//! The `bohr` runner library: command-line interface, matrices, cell
//! scheduling and reports. It drives `bohr-emu` and never the reverse.
//!
//! Inside, dependencies go one way: `units`, `errors`, `paths`,
//! `sanitize`, `limits` ← `mtd` ← `matrix` ← `results` and `events` ← `run` (which
//! emits the events) and `report` (whose reporters consume them; neither
//! imports the other) ← `commands` ← `cli`.

pub mod cli;
pub mod commands;
pub mod errors;
pub mod events;
pub mod exec;
pub mod interrupt;
pub mod limits;
pub mod list;
pub mod matrix;
pub mod mtd;
pub mod paths;
pub mod report;
pub mod repro;
pub mod results;
pub mod run;
#[cfg(test)]
mod run_report_tests;
pub mod sanitize;
pub mod sh;
pub mod trace;
pub mod units;

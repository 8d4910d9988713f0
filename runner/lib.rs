//! The `bohr` runner library: command-line interface, matrices, cell
//! scheduling and reports. It drives `bohr-emu` and never the reverse.
//!
//! Inside, dependencies go one way: `units`, `errors`, `paths`,
//! `sanitize`, `limits` ← `mtd` ← `matrix` ← `run` (which emits `events`) ←
//! `report` (which consumes them) ← `commands` ← `cli`.

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
pub mod sanitize;
pub mod sh;
pub mod trace;
pub mod units;

//! The `bohr` runner library: command-line interface, matrices, cell
//! scheduling and reports. It drives `bohr-emu` and never the reverse.

pub mod cli;
pub mod commands;
pub mod exec;
pub mod list;
pub mod matrix;
pub mod report;
pub mod run;
pub mod sh;
pub mod trace;

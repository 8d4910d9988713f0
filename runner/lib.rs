//! The `bohr` runner library: command-line interface and, later, matrices,
//! cell scheduling and reports. It drives `bohr-emu` and never the reverse.

pub mod cli;
pub mod exec;
pub mod sh;

//! The guest machine: one guest world per matrix cell.
//!
//! Holds the processes, the VFS, pipes, MTD devices and the deterministic
//! scheduler, and runs a guest script on them. The runner talks to it only
//! through [`MachineConfig`], [`run_script`] and [`Outcome`].

mod config;

pub use config::*;

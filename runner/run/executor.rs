//! What runs a cell: the [`Executor`] trait and its production
//! implementation on `bohr_emu::machine`. The trait exists so the runner's
//! scheduling, isolation and reporting can be tested with fake outcomes,
//! independently of the emulator.

use bohr_emu::machine::{MachineConfig, Outcome, RunControl, ScriptError};

/// Runs guest scripts on a machine.
pub trait Executor: Sync {
    /// Check a script's syntax before any cell runs. The error reads
    /// `NAME:LINE:COL: message`.
    fn check(&self, name: &str, script: &str) -> Result<(), ScriptError>;

    /// Run `script` on a machine built from `cfg`.
    fn run(
        &self,
        cfg: &MachineConfig,
        name: &str,
        script: &str,
        ctl: &RunControl,
    ) -> Result<Outcome, ScriptError>;
}

/// The real machine: `bohr_emu::machine::run_script`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MachineExecutor;

impl Executor for MachineExecutor {
    fn check(&self, name: &str, script: &str) -> Result<(), ScriptError> {
        bohr_emu::machine::parse_script(name, script)
    }

    fn run(
        &self,
        cfg: &MachineConfig,
        name: &str,
        script: &str,
        ctl: &RunControl,
    ) -> Result<Outcome, ScriptError> {
        bohr_emu::machine::run_script(cfg, name, script, ctl)
    }
}

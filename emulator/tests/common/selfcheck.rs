//! The runner shared by the tests of the self-checking programs under
//! `tests/programs/<arch>/`, each built independently of the guest
//! userland and committed as a binary.
//!
//! Such a program, run as `NAME one two`, prints `NAME: one two`, then one
//! line per check (`ok CHECK`, or `FAIL CHECK` with what it got), then
//! `NAME: all checks passed` if none failed, and exits with the number of
//! failed checks. A test lists the checks its program makes, in order, and
//! [`Program::run`] demands every one of them by name.

use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{GuestFile, MachineConfig, RunControl, run_script};

/// A committed self-checking program.
pub struct Program {
    pub arch: Arch,
    /// Path of the binary.
    pub path: &'static str,
    /// Its name in `/bin`, which it also starts its own lines with.
    pub name: &'static str,
    /// The checks it makes, in order.
    pub checks: &'static [&'static str],
}

impl Program {
    fn expected_stdout(&self) -> String {
        let mut s = format!("{}: one two\n", self.name);
        for c in self.checks {
            s.push_str(&format!("ok {c}\n"));
        }
        s.push_str(&format!("{}: all checks passed\n", self.name));
        s
    }

    /// Runs the program as `NAME one two` under `engine` and demands that
    /// every check passes and that it exits 0.
    pub fn run(&self, engine: EngineKind) {
        let elf = std::fs::read(self.path).expect("the committed test program is readable");
        let mut cfg = MachineConfig::new(self.arch);
        cfg.engine = engine;
        cfg.files.push(GuestFile {
            path: format!("/bin/{}", self.name),
            data: Arc::new(elf),
            executable: true,
        });
        let script = format!("{} one two", self.name);
        let outcome =
            run_script(&cfg, &format!("{}.sh", self.name), &script, &RunControl::default())
                .expect("the script is valid");
        let stdout = String::from_utf8_lossy(&outcome.stdout);
        assert_eq!(
            stdout,
            self.expected_stdout(),
            "{engine}: stderr {}",
            String::from_utf8_lossy(&outcome.stderr)
        );
        assert_eq!(outcome.exit_code, 0, "{engine}");
        assert_eq!(outcome.stopped, None, "{engine}");
    }
}

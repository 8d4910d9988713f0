//! Runs every case of `guest/cases.toml` under `bohr exec`, for every
//! architecture that has a frontend, under both engines. The expectations
//! are the same ones the qemu-user test checks, so this is Bohr against
//! `qemu-<arch>-static` by construction.
//!
//! `bench` (about 4·10⁹ guest instructions) runs under the interpreter for
//! riscv64 only, to keep the suite's time bounded; the JIT runs it for every
//! architecture.

#[path = "common/guest_cases.rs"]
mod guest_cases;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn launcher(engine: &'static str) -> guest_cases::Launcher {
    guest_cases::Launcher {
        name: "bohr".to_string(),
        command: Box::new(move |arch: &str, prog: &Path, args: &[String]| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_bohr"));
            c.args(["exec", "--arch", arch, "--engine", engine]).arg(prog).args(args);
            c
        }),
        timeout: Duration::from_secs(600),
    }
}

fn supported() -> Vec<String> {
    bohr_emu::arch::supported_arches().iter().map(|a| a.name().to_string()).collect()
}

fn run(engine: &'static str, keep: impl Fn(&str, &guest_cases::Case) -> bool) {
    let root = guest_cases::repo_root();
    let cases = guest_cases::load_cases(&root);
    let arches = supported();
    let mut failures = Vec::new();
    let mut runs = 0;
    for arch in &arches {
        let selected: Vec<guest_cases::Case> =
            cases.iter().filter(|c| keep(arch, c)).cloned().collect();
        runs += selected.iter().filter(|c| c.applies_to(arch)).count();
        failures.extend(guest_cases::run_all(
            &root,
            &[arch.as_str()],
            &selected,
            &launcher(engine),
        ));
    }
    assert!(runs > 0, "no case ran");
    assert!(
        failures.is_empty(),
        "{} of {runs} case runs failed under --engine {engine}:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn is_bench(case: &guest_cases::Case) -> bool {
    case.stages().iter().any(|s| s[0] == "bench")
}

#[test]
fn guest_cases_under_interp() {
    run("interp", |_, c| !is_bench(c));
}

/// Apart from the other interpreter cases, so the two run side by side:
/// this one is most of the file's time.
#[test]
fn bench_under_interp_on_riscv64() {
    run("interp", |arch, c| is_bench(c) && arch == "riscv64");
}

#[test]
fn guest_cases_under_jit() {
    run("jit", |_, _| true);
}

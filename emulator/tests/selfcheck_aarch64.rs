//! A statically linked aarch64 program built independently of the guest
//! userland (`tests/programs/aarch64/selfcheck.c`, compiled with
//! `-O2 -static -nostdlib -ffreestanding -mgeneral-regs-only`) runs
//! correctly under both engines.
//!
//! The program checks itself: every line it prints compares a result with
//! a value worked out by hand or in Python (the stack and auxv the loader
//! built, compiler-generated 128-bit arithmetic, division, bit counting,
//! bitfields, a jump table, calls through pointers, exclusive and LSE
//! atomics, flags read through `nzcv`, system registers, the counter, and
//! system-call errors), and it exits with the number of failed checks. The
//! same binary passes under qemu-aarch64. This test demands every check by
//! name.

use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{GuestFile, MachineConfig, RunControl, run_script};

const PROGRAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs/aarch64/selfcheck");

/// The checks the program makes, in order.
const CHECKS: &[&str] = &[
    "stack aligned",
    "argc",
    "argv terminated",
    "auxv pagesz",
    "auxv entry",
    "auxv random present",
    "umulh",
    "mul low",
    "smulh",
    "smulh min",
    "adc high",
    "adc low",
    "sbc high",
    "sbc low",
    "extr",
    "udiv",
    "urem",
    "sdiv",
    "srem",
    "udiv by zero",
    "sdiv min by -1",
    "udiv 32",
    "clz",
    "ctz",
    "clrsb",
    "clz 32",
    "popcount",
    "rbit",
    "rev",
    "rev w",
    "rev16",
    "ror",
    "bitfield a",
    "bitfield b",
    "bitfield c",
    "bitfield d",
    "jump table",
    "call add",
    "call sub",
    "call mul",
    "call div",
    "recursion",
    "signed loads",
    "copy",
    "ccmp",
    "csel low",
    "csel high",
    "csel mid",
    "nzcv eq",
    "nzcv lt",
    "nzcv overflow",
    "nzcv add32 carry",
    "nzcv add32 overflow",
    "fetch add",
    "after fetch add",
    "compare exchange",
    "failed exchange",
    "failed exchange reads",
    "fetch add 32",
    "stxr without ldxr",
    "stxr after clrex",
    "exclusive left memory",
    "ldadd",
    "swp",
    "cas hit",
    "cas miss",
    "after cas",
    "ldumax",
    "after ldumax",
    "tpidr_el0",
    "counter advances",
    "counter frequency set",
    "bad fd",
    "missing file",
    "getpid",
    "mmap",
    "mmap memory",
    "munmap",
];

fn expected_stdout() -> String {
    let mut s = String::from("selfcheck: one two\n");
    for c in CHECKS {
        s.push_str(&format!("ok {c}\n"));
    }
    s.push_str("selfcheck: all checks passed\n");
    s
}

fn run(engine: EngineKind) {
    let elf = std::fs::read(PROGRAM).expect("the committed test program is readable");
    let mut cfg = MachineConfig::new(Arch::Aarch64);
    cfg.engine = engine;
    cfg.files.push(GuestFile {
        path: "/bin/selfcheck".into(),
        data: Arc::new(elf),
        executable: true,
    });
    let outcome = run_script(&cfg, "selfcheck.sh", "selfcheck one two", &RunControl::default())
        .expect("the script is valid");
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    assert_eq!(
        stdout,
        expected_stdout(),
        "{engine}: stderr {}",
        String::from_utf8_lossy(&outcome.stderr)
    );
    assert_eq!(outcome.exit_code, 0, "{engine}");
    assert_eq!(outcome.stopped, None, "{engine}");
}

#[test]
fn selfcheck_program_interp() {
    run(EngineKind::Interp);
}

#[test]
fn selfcheck_program_jit() {
    run(EngineKind::Jit);
}

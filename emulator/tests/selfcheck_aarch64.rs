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

#[path = "common/selfcheck.rs"]
mod selfcheck;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use selfcheck::Program;

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

const SELFCHECK: Program =
    Program { arch: Arch::Aarch64, path: PROGRAM, name: "selfcheck", checks: CHECKS };

#[test]
fn selfcheck_program_interp() {
    SELFCHECK.run(EngineKind::Interp);
}

#[test]
fn selfcheck_program_jit() {
    SELFCHECK.run(EngineKind::Jit);
}

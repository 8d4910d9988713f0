//! Differential tests: the JIT against the reference interpreter.
//!
//! For every architecture with a frontend, random instruction sequences
//! are generated from the decoder's own encoding tables (an encoding's
//! fixed bits, random operand bits), run from the same random register
//! state under both engines, and compared: every state slot, pc,
//! instruction count, stop reason and the data memory. The JIT runs twice:
//! as configured by default (direct memory accesses where the host has
//! them) and with every access through the software TLB, the path of hosts
//! without direct accesses. Random registers make many accesses fault.
//! Runs are seeded; a failure names the seed and the sequence so it can be
//! replayed. The generator and the comparison are
//! `bohr_emu::testing::random`'s, which the fuzz campaign runs for 10⁶
//! sequences per arch and more (`scripts/fuzz.sh`). A riscv64 floating-point run draws only F/D instructions and
//! starts from special float values and valid rounding modes, so the
//! float ops' lowering (flags included) is compared densely; an aarch64
//! run does the same with the SIMD&FP encoding groups, and an armel one runs
//! Thumb code (IT blocks included) in Thumb state.

use bohr_emu::arch::{Arch, frontend_for};
use bohr_emu::testing::random::{Differential, Engine, Generator};

/// Compare the engines on `sequences` random sequences (see
/// [`Generator::new`] for `looped` and `only`).
fn differential(arch: Arch, sequences: usize, looped: bool) {
    differential_over(arch, sequences, looped, None);
}

fn differential_over(arch: Arch, sequences: usize, looped: bool, only: Option<fn(&str) -> bool>) {
    run(Generator::new(arch, looped, only), sequences);
}

/// Compare the engines on `sequences` sequences of `generator`.
fn run(generator: Generator, sequences: usize) {
    let (arch, looped) = (generator.arch, generator.looped());
    let mut engines = Differential::new(arch);
    let mut failures = Vec::new();
    let mut went_around = 0;
    let mut retired = 0;
    for index in 0..sequences as u64 {
        let seq = generator.sequence(generator.seed(index));
        match engines.check(&seq) {
            // More instructions than the sequence holds: the loop went around.
            Ok(a) => {
                went_around += (a.icount > seq.names.len() as u64 + 1) as usize;
                retired += a.icount;
            }
            Err(e) => failures.push(e),
        }
    }
    // Exact fuel and faulting accesses leave some instructions to the
    // interpreter by design; a JIT that left it most of them would compare
    // the interpreter with itself.
    for (engine, st) in engines.stats().into_iter().filter(|(e, _)| *e != Engine::Interp) {
        let run = st.insns_run_compiled;
        eprintln!("{arch} {engine:?}: {run} of {retired} instructions ran compiled");
        assert!(run * 4 >= retired, "{arch} {engine:?}: only {run} of {retired} ran compiled");
    }
    if looped {
        eprintln!("{arch}: {went_around} of {sequences} looped sequences went around");
        assert!(
            went_around * 20 >= sequences,
            "{arch}: only {went_around} of {sequences} looped sequences went around"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {sequences} sequences differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn jit_matches_interpreter_on_random_code() {
    let arches: Vec<Arch> = Arch::ALL.into_iter().filter(|&a| frontend_for(a).is_some()).collect();
    assert!(!arches.is_empty());
    for arch in arches {
        differential(arch, 400, false);
    }
}

/// riscv64 F and D instructions only (loads, stores, computation and
/// the FP CSRs), compressed forms included.
fn is_riscv_fp(name: &str) -> bool {
    (name.starts_with('f') && !name.starts_with("fence"))
        || name.starts_with("c.f")
        || name.starts_with("csr")
}

#[test]
fn jit_matches_interpreter_on_random_riscv64_fp() {
    differential_over(Arch::Riscv64, 1500, false, Some(is_riscv_fp));
    differential_over(Arch::Riscv64, 400, true, Some(is_riscv_fp));
}

#[test]
fn jit_matches_interpreter_on_random_loops() {
    let arches: Vec<Arch> = Arch::ALL.into_iter().filter(|&a| frontend_for(a).is_some()).collect();
    assert!(!arches.is_empty());
    for arch in arches {
        differential(arch, 400, true);
    }
}

/// armel in Thumb state: 16-bit Thumb and Thumb-2 from the manual's
/// encoding groups, IT blocks included (`it` has a row of its own), as
/// straight-line code and as loops.
#[test]
fn jit_matches_interpreter_on_random_thumb() {
    run(Generator::thumb(false), 1200);
    run(Generator::thumb(true), 600);
}

/// aarch64 SIMD&FP encoding groups only (loads, stores and data
/// processing; see `SimdGroup`).
fn is_aarch64_simd(name: &str) -> bool {
    name.starts_with("simd_") || name.starts_with("fp_")
}

#[test]
fn jit_matches_interpreter_on_random_aarch64_simd() {
    // Straight-line only: random words of these groups are mostly
    // unallocated or fault on random addresses, so few loops go around.
    differential_over(Arch::Aarch64, 2000, false, Some(is_aarch64_simd));
}

//! The interp-vs-JIT differential's long mode: millions of generated
//! sequences per arch (`bohr_emu::testing::random`, the generator of
//! `emulator/tests/differential.rs`), in rotation between straight-line
//! sequences, loops and, on riscv64 and aarch64, the floating-point and
//! SIMD encoding groups, on armel Thumb code (straight and looped). One
//! [`Differential`] keeps its engines, JIT modules and address spaces for
//! the whole run; sequences run in batches
//! of a code page ([`Differential::check_batch`]), each batch compared
//! between the interpreter and one of the JIT's two configurations (direct
//! memory accesses, or the software TLB only), in turn.

use std::time::Instant;

use bohr_emu::arch::Arch;
use bohr_emu::testing::random::{BATCH, Differential, Engine, Generator, Sequence};

/// What a long run did on one arch.
#[derive(Clone, Debug, Default)]
pub struct ArchReport {
    pub sequences: u64,
    pub looped: u64,
    /// Looped sequences that went around at least once.
    pub went_around: u64,
    pub failures: Vec<String>,
    pub seconds: f64,
    /// Each engine's counters, one line each.
    pub engines: Vec<String>,
}

fn is_riscv_fp(name: &str) -> bool {
    (name.starts_with('f') && !name.starts_with("fence"))
        || name.starts_with("c.f")
        || name.starts_with("csr")
}

fn is_aarch64_simd(name: &str) -> bool {
    name.starts_with("simd_") || name.starts_with("fp_")
}

/// The generators of `arch`, in rotation.
fn shapes(arch: Arch) -> Vec<Generator> {
    let mut g = vec![Generator::new(arch, false, None), Generator::new(arch, true, None)];
    match arch {
        Arch::Riscv64 => g.push(Generator::new(arch, false, Some(is_riscv_fp))),
        Arch::Aarch64 => g.push(Generator::new(arch, false, Some(is_aarch64_simd))),
        Arch::Armel => g.extend([Generator::thumb(false), Generator::thumb(true)]),
        _ => {}
    }
    g
}

/// Run sequences `start..start + count` of `arch`'s rotation; stop early
/// after `max_failures` differing ones. `progress` hears the count every
/// 100,000 sequences.
pub fn run(
    arch: Arch,
    start: u64,
    count: u64,
    max_failures: usize,
    progress: &mut dyn FnMut(u64),
) -> ArchReport {
    let started = Instant::now();
    let shapes = shapes(arch);
    let mut engines = Differential::new(arch);
    let mut r = ArchReport::default();
    let n = shapes.len() as u64;
    let mut i = start;
    let mut batch_number = 0u64;
    while i < start + count && r.failures.len() < max_failures {
        let k = (start + count - i).min(BATCH as u64);
        let seqs: Vec<Sequence> = (i..i + k)
            .map(|j| {
                let g = &shapes[(j % n) as usize];
                g.sequence(g.seed(j / n))
            })
            .collect();
        // The JIT's two configurations take turns, batch by batch.
        let jit = if batch_number.is_multiple_of(2) { Engine::Jit } else { Engine::JitTlbOnly };
        batch_number += 1;
        for (seq, result) in seqs.iter().zip(engines.check_batch(&seqs, &[jit])) {
            r.sequences += 1;
            match result {
                Ok(a) => {
                    if seq.looped {
                        r.looped += 1;
                        r.went_around += (a.icount > seq.names.len() as u64 + 1) as u64;
                    }
                }
                Err(e) => r.failures.push(e),
            }
            if r.sequences.is_multiple_of(100_000) {
                progress(r.sequences);
            }
        }
        i += k;
    }
    r.seconds = started.elapsed().as_secs_f64();
    for (e, s) in engines.stats() {
        r.engines.push(format!(
            "{e:?}: {} blocks translated, {} compiled ({} insns), {} ms compiling, {} insns run compiled",
            s.blocks_translated,
            s.blocks_compiled,
            s.insns_compiled,
            s.compile_us / 1000,
            s.insns_run_compiled
        ));
    }
    r
}

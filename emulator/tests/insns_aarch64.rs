//! Data-driven aarch64 instruction tests.
//!
//! Runs `tests/insns/aarch64.ins` (its header documents the line syntax)
//! through the shared runner in `common/insfile.rs`, with the reference
//! interpreter and again with the JIT engine so both engines are held to
//! the same data. `tests/insns/aarch64_random.ins` adds random
//! data-processing words on random register states, checked the same way.

#[path = "common/insfile.rs"]
mod insfile;

use bohr_emu::arch::Arch;
use bohr_emu::arch::aarch64::decode::{self, Decoded};
use bohr_emu::arch::aarch64::disasm::disassemble;
use bohr_emu::arch::aarch64::regs::{FLAGS, MONITOR, NAMES, NO_MONITOR};
use bohr_emu::engine::EngineKind;
use insfile::ArchSpec;

fn spec() -> ArchSpec {
    spec_for(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/aarch64.ins"))
}

/// The random cases cover no table entry on purpose: the curated file does.
fn random_spec() -> ArchSpec {
    let mut spec = spec_for(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/aarch64_random.ins"));
    spec.encodings.clear();
    spec
}

fn spec_for(file: &'static str) -> ArchSpec {
    // The flags are checked as the architectural bits, not the slots'
    // internal forms.
    let regs = NAMES
        .iter()
        .enumerate()
        .map(|(slot, &name)| {
            let flag = FLAGS.iter().find(|(s, _)| s.0 as usize == slot).map(|&(_, n)| n);
            (flag.unwrap_or(name), if slot == MONITOR.0 as usize { NO_MONITOR } else { 0 })
        })
        .collect();
    ArchSpec {
        arch: Arch::Aarch64,
        file,
        regs,
        insn_len: |_| 4,
        encoding_name: |bytes| match decode::decode(bytes) {
            Decoded::Insn(i) => Some(i.name),
            _ => None,
        },
        encodings: decode::encodings().map(|e| e.name).collect(),
        disassemble,
        pc_state: 0,
    }
}

#[test]
fn aarch64_instructions_interp() {
    insfile::run_file(&spec(), EngineKind::Interp);
}

#[test]
fn aarch64_instructions_jit() {
    insfile::run_file(&spec(), EngineKind::Jit);
}

#[test]
fn aarch64_random_cases_interp() {
    insfile::run_file(&random_spec(), EngineKind::Interp);
}

#[test]
fn aarch64_random_cases_jit() {
    insfile::run_file(&random_spec(), EngineKind::Jit);
}

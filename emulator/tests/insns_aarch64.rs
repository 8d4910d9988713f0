//! Data-driven aarch64 instruction tests.
//!
//! Runs `tests/insns/aarch64.ins` (its header documents the line syntax)
//! through the shared runner in `common/insfile.rs`, with the reference
//! interpreter and again with the JIT engine so both engines are held to
//! the same data.

#[path = "common/insfile.rs"]
mod insfile;

use bohr_emu::arch::Arch;
use bohr_emu::arch::aarch64::decode::{self, Decoded};
use bohr_emu::arch::aarch64::disasm::disassemble;
use bohr_emu::arch::aarch64::regs::{MONITOR, NAMES, NO_MONITOR};
use bohr_emu::engine::EngineKind;
use insfile::ArchSpec;

fn spec() -> ArchSpec {
    let regs = NAMES
        .iter()
        .enumerate()
        .map(|(slot, &name)| (name, if slot == MONITOR.0 as usize { NO_MONITOR } else { 0 }))
        .collect();
    ArchSpec {
        arch: Arch::Aarch64,
        file: concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/aarch64.ins"),
        regs,
        insn_len: |_| 4,
        encoding_name: |bytes| match decode::decode(bytes) {
            Decoded::Insn(i) => Some(i.name),
            _ => None,
        },
        encodings: decode::encodings().map(|e| e.name).collect(),
        disassemble,
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

//! Data-driven powerpc64 instruction tests.
//!
//! Runs `tests/insns/powerpc64.ins` (its header documents the line syntax
//! and how the expectations were obtained) through the shared runner in
//! `common/insfile.rs`, with the reference interpreter and again with the
//! JIT engine so both engines are held to the same data.

#[path = "common/insfile.rs"]
mod insfile;

use bohr_emu::arch::Arch;
use bohr_emu::arch::powerpc64::decode::{self, Decoded};
use bohr_emu::arch::powerpc64::disasm::disassemble;
use bohr_emu::arch::powerpc64::regs::{self, NO_RESERVATION};
use bohr_emu::engine::EngineKind;
use insfile::ArchSpec;

fn spec() -> ArchSpec {
    // The scratch slots of the FP lifter are not architectural.
    let regs = regs::all_names()
        .filter(|n| !n.starts_with("fp_"))
        .map(|n| (n, if n == "reservation" { NO_RESERVATION } else { 0 }))
        .collect();
    ArchSpec {
        arch: Arch::Powerpc64,
        file: concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/powerpc64.ins"),
        regs,
        // Every instruction is one 4-byte word.
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
fn powerpc64_instructions_interp() {
    insfile::run_file(&spec(), EngineKind::Interp);
}

#[test]
fn powerpc64_instructions_jit() {
    insfile::run_file(&spec(), EngineKind::Jit);
}

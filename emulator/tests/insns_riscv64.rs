//! Data-driven riscv64 instruction tests.
//!
//! Runs `tests/insns/riscv64.ins` (its header documents the line syntax)
//! through the shared runner in `common/insfile.rs`, with the reference
//! interpreter and again with the JIT engine so both engines are held to
//! the same data.

#[path = "common/insfile.rs"]
mod insfile;

use bohr_emu::arch::Arch;
use bohr_emu::arch::riscv64::decode::{self, Decoded};
use bohr_emu::arch::riscv64::disasm::disassemble;
use bohr_emu::arch::riscv64::regs::{FNAMES, NAMES, NO_RESERVATION};
use bohr_emu::engine::EngineKind;
use insfile::ArchSpec;

fn spec() -> ArchSpec {
    let mut regs: Vec<(&'static str, u64)> = NAMES.iter().map(|&n| (n, 0)).collect();
    regs.push(("reservation", NO_RESERVATION));
    regs.extend(FNAMES.iter().map(|&n| (n, 0)));
    regs.push(("frm", 0));
    regs.push(("fflags", 0));
    ArchSpec {
        arch: Arch::Riscv64,
        file: concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/riscv64.ins"),
        regs,
        insn_len: |bytes| decode::insn_len(bytes[0]) as usize,
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
fn riscv64_instructions_interp() {
    insfile::run_file(&spec(), EngineKind::Interp);
}

#[test]
fn riscv64_instructions_jit() {
    insfile::run_file(&spec(), EngineKind::Jit);
}

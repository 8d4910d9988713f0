//! Data-driven MIPS32 instruction tests, both byte orders.
//!
//! Runs `tests/insns/mipsel.ins` and `tests/insns/mipseb.ins` (their header
//! documents the line syntax, including the delay-slot cases) through the
//! shared runner in `common/insfile.rs`, with the reference interpreter and
//! again with the JIT engine so both engines are held to the same data.

#[path = "common/insfile.rs"]
mod insfile;

use bohr_emu::arch::Arch;
use bohr_emu::arch::mips::decode::{self, Decoded};
use bohr_emu::arch::mips::disasm::disassemble;
use bohr_emu::arch::mips::regs::{NAMES, NO_RESERVATION, SPECIAL_NAMES};
use bohr_emu::engine::EngineKind;
use bohr_emu::ir::Endian;
use insfile::ArchSpec;

fn name_of(bytes: &[u8], endian: Endian) -> Option<&'static str> {
    match decode::decode_word(decode::word_from(bytes, endian)?) {
        Decoded::Insn(i) => Some(i.name),
        Decoded::Illegal => None,
    }
}

fn spec(arch: Arch) -> ArchSpec {
    let mut regs: Vec<(&'static str, u64)> = NAMES.iter().map(|&n| (n, 0)).collect();
    for &n in &SPECIAL_NAMES {
        regs.push((n, if n == "reservation" { NO_RESERVATION } else { 0 }));
    }
    let little = arch == Arch::Mipsel;
    ArchSpec {
        arch,
        file: if little {
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/mipsel.ins")
        } else {
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/mipseb.ins")
        },
        regs,
        insn_len: |_| 4,
        encoding_name: if little {
            |b| name_of(b, Endian::Little)
        } else {
            |b| name_of(b, Endian::Big)
        },
        encodings: decode::encodings().map(|e| e.name).collect(),
        disassemble: if little {
            |pc, b| disassemble(Endian::Little, pc, b)
        } else {
            |pc, b| disassemble(Endian::Big, pc, b)
        },
    }
}

#[test]
fn mipsel_instructions_interp() {
    insfile::run_file(&spec(Arch::Mipsel), EngineKind::Interp);
}

#[test]
fn mipsel_instructions_jit() {
    insfile::run_file(&spec(Arch::Mipsel), EngineKind::Jit);
}

#[test]
fn mipseb_instructions_interp() {
    insfile::run_file(&spec(Arch::Mipseb), EngineKind::Interp);
}

#[test]
fn mipseb_instructions_jit() {
    insfile::run_file(&spec(Arch::Mipseb), EngineKind::Jit);
}

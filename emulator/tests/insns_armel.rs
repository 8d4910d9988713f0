//! Data-driven armel (A32) instruction tests.
//!
//! Runs `tests/insns/armel.ins` (its header documents the line syntax)
//! through the shared runner in `common/insfile.rs`, with the reference
//! interpreter and again with the JIT engine so both engines are held to
//! the same data. `tests/insns/armel_random.ins` adds random ALU words
//! under random conditions on random register states, with expectations
//! from qemu-arm (see `scripts/gen-armel-random-ins.py`).

#[path = "common/insfile.rs"]
mod insfile;

use bohr_emu::arch::Arch;
use bohr_emu::arch::arm::decode::{self, Decoded};
use bohr_emu::arch::arm::disasm::disassemble;
use bohr_emu::arch::arm::regs::{NAMES, NO_RESERVATION, SPECIAL_NAMES};
use bohr_emu::arch::arm::thumb;
use bohr_emu::engine::EngineKind;
use insfile::ArchSpec;

fn spec_for(file: &'static str) -> ArchSpec {
    let mut regs: Vec<(&'static str, u64)> = NAMES.iter().map(|&n| (n, 0)).collect();
    for &n in &SPECIAL_NAMES {
        regs.push((n, if n == "reservation" { NO_RESERVATION } else { 0 }));
    }
    ArchSpec {
        arch: Arch::Armel,
        file,
        regs,
        insn_len: |_| 4,
        encoding_name: |bytes| match decode::word_from(bytes).map(decode::decode_word) {
            Some(Decoded::Insn(i)) => Some(i.name),
            _ => None,
        },
        encodings: decode::encodings().map(|e| e.name).collect(),
        disassemble,
        pc_state: 0,
    }
}

const RANDOM_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/armel_random.ins");

/// The curated file must exercise every table row the random file does
/// not: together they cover the whole table.
fn spec() -> ArchSpec {
    let mut spec = spec_for(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/armel.ins"));
    let random = std::fs::read_to_string(RANDOM_FILE).expect("random cases are readable");
    let mut hit = std::collections::BTreeSet::new();
    for line in random.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('|').collect();
        if fields.len() == 4 && !fields[3].contains("trap=") {
            let bytes: Vec<u8> = fields[0]
                .split_whitespace()
                .filter_map(|b| u8::from_str_radix(b, 16).ok())
                .collect();
            if let Some(name) = (spec.encoding_name)(&bytes) {
                hit.insert(name);
            }
        }
    }
    spec.encodings.retain(|n| !hit.contains(n));
    spec
}

/// The random cases need not cover every table entry: the curated file
/// does.
fn random_spec() -> ArchSpec {
    let mut spec = spec_for(RANDOM_FILE);
    spec.encodings.clear();
    spec
}

#[test]
fn armel_instructions_interp() {
    insfile::run_file(&spec(), EngineKind::Interp);
}

#[test]
fn armel_instructions_jit() {
    insfile::run_file(&spec(), EngineKind::Jit);
}

#[test]
fn armel_random_cases_interp() {
    insfile::run_file(&random_spec(), EngineKind::Interp);
}

#[test]
fn armel_random_cases_jit() {
    insfile::run_file(&random_spec(), EngineKind::Jit);
}

/// The Thumb cases: code runs in Thumb state (pc bit 0 set).
fn thumb_spec() -> ArchSpec {
    let mut spec = spec_for(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/armel_thumb.ins"));
    spec.insn_len = thumb::insn_len;
    spec.encoding_name = |_| None;
    spec.encodings.clear();
    spec.pc_state = 1;
    spec
}

#[test]
fn armel_thumb_instructions_interp() {
    insfile::run_file(&thumb_spec(), EngineKind::Interp);
}

#[test]
fn armel_thumb_instructions_jit() {
    insfile::run_file(&thumb_spec(), EngineKind::Jit);
}

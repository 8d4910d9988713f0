//! MIPS32 disassembly for traces, `--dump-ir` and the instruction tests.
//!
//! A thin wrapper over capstone (MIPS32 mode, either byte order; with
//! `FR=1`, the instructions only that mode runs go through capstone's
//! MIPS64 mode, the one that knows 64-bit FP registers). It is an
//! independent decoder: the instruction tests compare its text with the
//! expected mnemonic of each case, which catches test bytes that do not
//! encode what their line claims. Nothing else in the mips frontend touches
//! capstone.

use std::cell::RefCell;

use capstone::arch::mips::ArchMode;
use capstone::arch::{BuildsCapstone, BuildsCapstoneEndian};
use capstone::{Capstone, Endian as CsEndian};

use crate::ir::Endian;

fn build(mode: ArchMode, endian: CsEndian) -> Option<Capstone> {
    Capstone::new().mips().mode(mode).endian(endian).build().ok()
}

thread_local! {
    // Building a capstone handle is comparatively costly and the handle is
    // not `Sync`, so each thread keeps one per byte order and mode.
    static CS_LE: RefCell<Option<Capstone>> =
        RefCell::new(build(ArchMode::Mips32, CsEndian::Little));
    static CS_BE: RefCell<Option<Capstone>> = RefCell::new(build(ArchMode::Mips32, CsEndian::Big));
    static CS64_LE: RefCell<Option<Capstone>> =
        RefCell::new(build(ArchMode::Mips64, CsEndian::Little));
    static CS64_BE: RefCell<Option<Capstone>> =
        RefCell::new(build(ArchMode::Mips64, CsEndian::Big));
}

/// Disassemble the first instruction of `bytes`, located at `pc`, in byte
/// order `endian`, for an FPU with `FR=1` if `fr1`. Returns its text
/// (`"mnemonic operands"`) and length, or `None` if capstone cannot
/// decode it.
pub fn disassemble(endian: Endian, fr1: bool, pc: u64, bytes: &[u8]) -> Option<(String, usize)> {
    let run = |cs: &RefCell<Option<Capstone>>| {
        let cs = cs.borrow();
        let cs = cs.as_ref()?;
        let insns = cs.disasm_count(bytes, pc, 1).ok()?;
        let insn = insns.iter().next()?;
        let mnemonic = insn.mnemonic().unwrap_or("");
        let text = match insn.op_str() {
            Some(ops) if !ops.is_empty() => format!("{mnemonic} {ops}"),
            _ => mnemonic.to_string(),
        };
        Some((text, insn.len()))
    };
    let wide = fr1
        && matches!(
            super::decode::word_from(bytes, endian).map(super::decode::decode_word),
            Some(super::decode::Decoded::Insn(i)) if i.fr1
        );
    match (endian, wide) {
        (Endian::Little, false) => CS_LE.with(run),
        (Endian::Big, false) => CS_BE.with(run),
        (Endian::Little, true) => CS64_LE.with(run),
        (Endian::Big, true) => CS64_BE.with(run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disassembles_both_byte_orders() {
        // addu v0, a0, a1
        let le = disassemble(Endian::Little, false, 0x1000, &[0x21, 0x10, 0x85, 0x00]).unwrap();
        let be = disassemble(Endian::Big, false, 0x1000, &[0x00, 0x85, 0x10, 0x21]).unwrap();
        assert_eq!(le, be);
        assert_eq!(le.1, 4);
        assert!(le.0.starts_with("addu"), "{}", le.0);
    }

    #[test]
    fn fr1_forms_show_with_fr1() {
        // add.d $f1, $f0, $f0: an odd double.
        let w = [0x46, 0x20, 0x00, 0x40];
        assert_eq!(disassemble(Endian::Big, false, 0, &w), None);
        let (text, _) = disassemble(Endian::Big, true, 0, &w).unwrap();
        assert_eq!(text, "add.d $f1, $f0, $f0");
        // daddu stays unknown to a MIPS32 core in either mode.
        let daddu = [0x00, 0x85, 0x10, 0x2d];
        assert_eq!(disassemble(Endian::Big, true, 0, &daddu), None);
    }
}

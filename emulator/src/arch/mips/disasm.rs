//! MIPS32 disassembly for traces, `--dump-ir` and the instruction tests.
//!
//! A thin wrapper over capstone (MIPS32 mode, either byte order). It is an
//! independent decoder: the instruction tests compare its text with the
//! expected mnemonic of each case, which catches test bytes that do not
//! encode what their line claims. Nothing else in the mips frontend touches
//! capstone.

use std::cell::RefCell;

use capstone::arch::mips::ArchMode;
use capstone::arch::{BuildsCapstone, BuildsCapstoneEndian};
use capstone::{Capstone, Endian as CsEndian};

use crate::ir::Endian;

fn build(endian: CsEndian) -> Option<Capstone> {
    Capstone::new().mips().mode(ArchMode::Mips32).endian(endian).build().ok()
}

thread_local! {
    // Building a capstone handle is comparatively costly and the handle is
    // not `Sync`, so each thread keeps one per byte order.
    static CS_LE: RefCell<Option<Capstone>> = RefCell::new(build(CsEndian::Little));
    static CS_BE: RefCell<Option<Capstone>> = RefCell::new(build(CsEndian::Big));
}

/// Disassemble the first instruction of `bytes`, located at `pc`, in byte
/// order `endian`. Returns its text (`"mnemonic operands"`) and length, or
/// `None` if capstone cannot decode it.
pub fn disassemble(endian: Endian, pc: u64, bytes: &[u8]) -> Option<(String, usize)> {
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
    match endian {
        Endian::Little => CS_LE.with(run),
        Endian::Big => CS_BE.with(run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disassembles_both_byte_orders() {
        // addu v0, a0, a1
        let le = disassemble(Endian::Little, 0x1000, &[0x21, 0x10, 0x85, 0x00]).unwrap();
        let be = disassemble(Endian::Big, 0x1000, &[0x00, 0x85, 0x10, 0x21]).unwrap();
        assert_eq!(le, be);
        assert_eq!(le.1, 4);
        assert!(le.0.starts_with("addu"), "{}", le.0);
    }
}

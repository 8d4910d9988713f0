//! powerpc64 disassembly for traces, `--dump-ir` and the instruction tests.
//!
//! A thin wrapper over capstone in big-endian 64-bit PowerPC mode. It is an
//! independent decoder: the instruction tests compare its text with the
//! expected mnemonic of each case, which catches test bytes that do not
//! encode what their line claims. Nothing else in the powerpc64 frontend
//! touches capstone.

use std::cell::RefCell;

use capstone::arch::ppc::ArchMode;
use capstone::arch::{BuildsCapstone, BuildsCapstoneEndian};
use capstone::{Capstone, Endian};

thread_local! {
    // Building a capstone handle is comparatively costly and the handle is
    // not `Sync`, so each thread keeps one.
    static CS: RefCell<Option<Capstone>> = RefCell::new(
        Capstone::new().ppc().mode(ArchMode::Mode64).endian(Endian::Big).build().ok(),
    );
}

/// Disassemble the first instruction of `bytes` (memory order), located at
/// `pc`. Returns its text (`"mnemonic operands"`) and length, or `None` if
/// capstone cannot decode it.
pub fn disassemble(pc: u64, bytes: &[u8]) -> Option<(String, usize)> {
    CS.with(|cs| {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disassembles_big_endian_words() {
        // addi r3, r1, -8
        let (text, len) = disassemble(0x1000, &[0x38, 0x61, 0xff, 0xf8]).unwrap();
        assert_eq!(len, 4);
        assert!(text.starts_with("addi"), "{text}");
        let (text, _) = disassemble(0x1000, &[0x4e, 0x80, 0x00, 0x20]).unwrap();
        assert_eq!(text, "blr");
    }
}

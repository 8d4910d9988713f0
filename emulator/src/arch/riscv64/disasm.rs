//! riscv64 disassembly for traces, `--dump-ir` and the instruction tests.
//!
//! A thin wrapper over capstone (RV64GC mode). It is an independent decoder:
//! the instruction tests compare its text with the expected mnemonic of each
//! case, which catches test bytes that do not encode what their line claims.
//! Nothing else in the riscv64 frontend touches capstone.

use std::cell::RefCell;

use capstone::arch::riscv::{ArchExtraMode, ArchMode};
use capstone::arch::{BuildsCapstone, BuildsCapstoneEndian, BuildsCapstoneExtraMode};
use capstone::{Capstone, Endian};

thread_local! {
    // Building a capstone handle is comparatively costly and the handle is
    // not `Sync`, so each thread keeps one.
    static CS: RefCell<Option<Capstone>> = RefCell::new(
        Capstone::new()
            .riscv()
            .mode(ArchMode::RiscV64)
            .extra_mode([ArchExtraMode::RiscVC].into_iter())
            .endian(Endian::Little)
            .build()
            .ok(),
    );
}

/// Disassemble the first instruction of `bytes`, located at `pc`. Returns
/// its text (`"mnemonic operands"`) and length, or `None` if capstone cannot
/// decode it.
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
    fn disassembles_base_and_compressed() {
        let (text, len) = disassemble(0x1000, &[0x33, 0x05, 0xb5, 0x00]).unwrap();
        assert_eq!((text.as_str(), len), ("add a0, a0, a1", 4));
        let (_, len) = disassemble(0x1000, &[0x05, 0x05]).unwrap();
        assert_eq!(len, 2);
    }
}

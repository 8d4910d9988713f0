//! aarch64 disassembly for traces, `--dump-ir` and the instruction tests.
//!
//! A thin wrapper over capstone (ARM64 mode). It is an independent decoder:
//! the instruction tests compare its text with the expected mnemonic of each
//! case, which catches test bytes that do not encode what their line claims.
//! Nothing else in the aarch64 frontend touches capstone.

use std::cell::RefCell;

use capstone::arch::arm64::ArchMode;
use capstone::arch::{BuildsCapstone, BuildsCapstoneEndian};
use capstone::{Capstone, Endian};

thread_local! {
    // Building a capstone handle is comparatively costly and the handle is
    // not `Sync`, so each thread keeps one.
    static CS: RefCell<Option<Capstone>> = RefCell::new(
        Capstone::new().arm64().mode(ArchMode::Arm).endian(Endian::Little).build().ok(),
    );
}

/// Disassemble the instruction at the start of `bytes`, located at `pc`.
/// Returns its text (`"mnemonic operands"`) and length (always 4), or
/// `None` if capstone cannot decode it.
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
    fn disassembles_a64() {
        let (text, len) = disassemble(0x1000, &0x8b02_0020u32.to_le_bytes()).unwrap();
        assert_eq!((text.as_str(), len), ("add x0, x1, x2", 4));
        let (text, _) = disassemble(0x1000, &0xd65f_03c0u32.to_le_bytes()).unwrap();
        assert_eq!(text, "ret");
    }
}

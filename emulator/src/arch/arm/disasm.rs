//! A32 disassembly for traces, `--dump-ir` and the instruction tests.
//!
//! A thin wrapper over capstone (ARM mode, little-endian). It is an
//! independent decoder: the instruction tests compare its text with the
//! expected mnemonic of each case. Nothing else in the arm frontend
//! touches capstone.

use std::cell::RefCell;

use capstone::Capstone;
use capstone::arch::BuildsCapstone;
use capstone::arch::arm::ArchMode;

fn build() -> Option<Capstone> {
    Capstone::new().arm().mode(ArchMode::Arm).build().ok()
}

thread_local! {
    // Building a capstone handle is comparatively costly and the handle is
    // not `Sync`, so each thread keeps one.
    static CS: RefCell<Option<Capstone>> = RefCell::new(build());
}

/// Disassemble the first instruction of `bytes`, located at `pc`. Returns
/// its text (`"mnemonic operands"`) and length, or `None` if capstone
/// cannot decode it.
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
    fn disassembles_arm_state() {
        // add r0, r1, r2
        let (text, len) = disassemble(0x1000, &[0x02, 0x00, 0x81, 0xe0]).unwrap();
        assert_eq!(len, 4);
        assert_eq!(text, "add r0, r1, r2");
    }
}

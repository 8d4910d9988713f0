//! A32 and Thumb disassembly for traces, `--dump-ir` and the instruction
//! tests.
//!
//! A thin wrapper over capstone (little-endian), in ARM mode, or in Thumb
//! mode when bit 0 of the pc says the code runs in Thumb state. It is an
//! independent decoder: the instruction tests compare its text with the
//! expected mnemonic of each case. Nothing else in the arm frontend
//! touches capstone.

use std::cell::RefCell;

use capstone::Capstone;
use capstone::arch::BuildsCapstone;
use capstone::arch::arm::ArchMode;

fn build(mode: ArchMode) -> Option<Capstone> {
    Capstone::new().arm().mode(mode).build().ok()
}

thread_local! {
    // Building a capstone handle is comparatively costly and the handle is
    // not `Sync`, so each thread keeps one per state.
    static CS: RefCell<Option<Capstone>> = RefCell::new(build(ArchMode::Arm));
    static THUMB: RefCell<Option<Capstone>> = RefCell::new(build(ArchMode::Thumb));
}

/// Disassemble the first instruction of `bytes`, located at `pc` (Thumb
/// state when bit 0 is set; bits above 31 are ignored). Returns its text
/// (`"mnemonic operands"`) and length, or `None` if capstone cannot decode
/// it.
pub fn disassemble(pc: u64, bytes: &[u8]) -> Option<(String, usize)> {
    let handle = if pc & 1 != 0 { &THUMB } else { &CS };
    let pc = pc & 0xffff_fffe;
    handle.with(|cs| {
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

    #[test]
    fn disassembles_thumb_state() {
        // adds r0, r1, r2 ; bl (32-bit)
        let (text, len) = disassemble(0x1001, &[0x88, 0x18]).unwrap();
        assert_eq!((text.as_str(), len), ("adds r0, r1, r2", 2));
        let (text, len) = disassemble(0x1001, &[0x00, 0xf0, 0x00, 0xf8]).unwrap();
        assert_eq!((text.as_str(), len), ("bl #0x1004", 4));
    }
}

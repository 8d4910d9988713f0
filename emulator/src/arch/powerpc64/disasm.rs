//! powerpc64 disassembly for traces, `--dump-ir` and the instruction tests.
//!
//! A thin wrapper over capstone in big-endian 64-bit PowerPC mode. It is an
//! independent decoder: the instruction tests compare its text with the
//! expected mnemonic of each case, which catches test bytes that do not
//! encode what their line claims. Nothing else in the powerpc64 frontend
//! touches capstone.
//!
//! Capstone 5 does not know the overflow-enabled XO forms (`addo`,
//! `subfeo.`, `divwuo`, ...). For those words it is asked about the same
//! word with OE clear, and the `o` is added to its mnemonic, so the
//! operands still come from capstone.

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
    capstone_text(pc, bytes).or_else(|| {
        let word = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
        if word >> 26 != 31 || word & OE == 0 {
            return None;
        }
        let (text, len) = capstone_text(pc, &(word & !OE).to_be_bytes())?;
        let (mnemonic, operands) = text.split_once(' ').unwrap_or((&text, ""));
        let with_o = match mnemonic.strip_suffix('.') {
            Some(base) => format!("{base}o."),
            None => format!("{mnemonic}o"),
        };
        Some((format!("{with_o} {operands}").trim_end().to_string(), len))
    })
}

/// The OE bit of an XO-form word.
const OE: u32 = 0x400;

fn capstone_text(pc: u64, bytes: &[u8]) -> Option<(String, usize)> {
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

    #[test]
    fn overflow_forms_get_their_o() {
        // addo. r3, r4, r5 and nego r3, r4
        let (text, _) = disassemble(0x1000, &0x7c64_2e15u32.to_be_bytes()).unwrap();
        assert_eq!(text, "addo. r3, r4, r5");
        let (text, _) = disassemble(0x1000, &0x7c64_04d0u32.to_be_bytes()).unwrap();
        assert_eq!(text, "nego r3, r4");
        // Not an XO form: no fallback.
        assert_eq!(disassemble(0x1000, &[0, 0, 0, 0]), None);
    }
}

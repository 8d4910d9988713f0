//! powerpc64 copy stub of the `portal` write path (see `arch::PortalStub`).
//!
//! The kernel maps these words read-only and executable in the portal page
//! and runs them with r3 = source (the staged chunk), r4 = destination (the
//! guest's `read()` buffer) and r5 = length. Doublewords first, then bytes;
//! a fault anywhere aborts the copy. It clobbers r0, r3–r6 and CR0, which
//! the kernel restores afterwards.

use super::regs::{R3, R4, R5};
use crate::arch::{PORTAL_DONE_SYSCALL, PortalStub, stub_code};
use crate::ir::Endian;

/// The stub as instruction words. Branch targets are offsets from the
/// start of the stub (the second column).
const WORDS: [u32; 18] = [
    0x2825_0008, // 0x00: cmpldi r5, 8
    0x4180_001c, // 0x04: blt    0x20            ; fewer than 8 left: bytes
    0xe8c3_0000, // 0x08: ld     r6, 0(r3)
    0xf8c4_0000, // 0x0c: std    r6, 0(r4)
    0x3863_0008, // 0x10: addi   r3, r3, 8
    0x3884_0008, // 0x14: addi   r4, r4, 8
    0x38a5_fff8, // 0x18: addi   r5, r5, -8
    0x4bff_ffe4, // 0x1c: b      0x00
    0x2825_0000, // 0x20: cmpldi r5, 0
    0x4182_001c, // 0x24: beq    0x40
    0x88c3_0000, // 0x28: lbz    r6, 0(r3)
    0x98c4_0000, // 0x2c: stb    r6, 0(r4)
    0x3863_0001, // 0x30: addi   r3, r3, 1
    0x3884_0001, // 0x34: addi   r4, r4, 1
    0x38a5_ffff, // 0x38: addi   r5, r5, -1
    0x4bff_ffe4, // 0x3c: b      0x20
    0x3800_07ff, // 0x40: li     r0, PORTAL_DONE_SYSCALL
    0x4400_0002, // 0x44: sc
];

// The `li r0` immediate above must be the reserved number.
const _: () = assert!(WORDS[16] & 0xffff == PORTAL_DONE_SYSCALL as u32);

/// Big-endian bytes of [`WORDS`].
const CODE: [u8; 4 * WORDS.len()] = stub_code(&WORDS, Endian::Big);

pub static STUB: PortalStub = PortalStub { code: &CODE, src: R3, dst: R4, len: R5 };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::powerpc64::disasm::disassemble;

    /// Capstone, an independent decoder, agrees with the comments above.
    #[test]
    fn stub_disassembles_as_documented() {
        let expected = [
            "cmpldi r5, 8",
            "blt 0x20",
            "ld r6, 0(r3)",
            "std r6, 0(r4)",
            "addi r3, r3, 8",
            "addi r4, r4, 8",
            "addi r5, r5, -8",
            "b 0",
            "cmpldi r5, 0",
            "beq 0x40",
            "lbz r6, 0(r3)",
            "stb r6, 0(r4)",
            "addi r3, r3, 1",
            "addi r4, r4, 1",
            "addi r5, r5, -1",
            "b 0x20",
            "li r0, 0x7ff",
            "sc",
        ];
        let mut text = Vec::new();
        for i in 0..WORDS.len() {
            let pc = 4 * i as u64;
            let (t, len) = disassemble(pc, &CODE[4 * i..]).expect("capstone decodes the stub");
            assert_eq!(len, 4);
            text.push(t);
        }
        assert_eq!(text, expected);
    }
}

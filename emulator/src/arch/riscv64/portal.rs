//! riscv64 copy stub of the `portal` write path (see `arch::PortalStub`).
//!
//! The kernel (`linux::writepath`) maps these words read-only and
//! executable in the portal page and runs them with a0 = source (the staged
//! chunk), a1 = destination (the guest's `read()` buffer) and a2 = length.
//! Doublewords first, then bytes; a fault anywhere aborts the copy. It
//! clobbers t0, t1, a0–a2 and a7, which the kernel restores afterwards.

use super::regs::{A0, A1, A2};
use crate::arch::{PORTAL_DONE_SYSCALL, PortalStub, stub_code};
use crate::ir::Endian;

/// The stub as instruction words. Branch offsets are relative to each
/// instruction's own address (the second column).
const WORDS: [u32; 17] = [
    0x0080_0313, // 0x00: addi t1, zero, 8
    0x0066_6e63, // 0x04: bltu a2, t1, 0x20       ; fewer than 8 left: bytes
    0x0005_3283, // 0x08: ld   t0, 0(a0)
    0x0055_b023, // 0x0c: sd   t0, 0(a1)
    0x0085_0513, // 0x10: addi a0, a0, 8
    0x0085_8593, // 0x14: addi a1, a1, 8
    0xff86_0613, // 0x18: addi a2, a2, -8
    0xfe9f_f06f, // 0x1c: j    0x04
    0x0006_0e63, // 0x20: beq  a2, zero, 0x3c
    0x0005_4283, // 0x24: lbu  t0, 0(a0)
    0x0055_8023, // 0x28: sb   t0, 0(a1)
    0x0015_0513, // 0x2c: addi a0, a0, 1
    0x0015_8593, // 0x30: addi a1, a1, 1
    0xfff6_0613, // 0x34: addi a2, a2, -1
    0xfe9f_f06f, // 0x38: j    0x20
    0x7ff0_0893, // 0x3c: addi a7, zero, PORTAL_DONE_SYSCALL
    0x0000_0073, // 0x40: ecall
];

// The `li a7` immediate above must be the reserved number.
const _: () = assert!(WORDS[15] >> 20 == PORTAL_DONE_SYSCALL as u32);

/// Little-endian bytes of [`WORDS`].
const CODE: [u8; 4 * WORDS.len()] = stub_code(&WORDS, Endian::Little);

pub static STUB: PortalStub = PortalStub { code: &CODE, src: A0, dst: A1, len: A2 };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::riscv64::disasm::disassemble;

    /// Capstone, an independent decoder, agrees with the comments above.
    /// It prints branch offsets relative to the branch: 0x04 + 0x1c = 0x20,
    /// 0x1c - 0x18 = 0x04, 0x20 + 0x1c = 0x3c, 0x38 - 0x18 = 0x20.
    #[test]
    fn stub_disassembles_as_documented() {
        let expected = [
            "addi t1, zero, 8",
            "bltu a2, t1, 0x1c",
            "ld t0, 0(a0)",
            "sd t0, 0(a1)",
            "addi a0, a0, 8",
            "addi a1, a1, 8",
            "addi a2, a2, -8",
            "j -0x18",
            "beqz a2, 0x1c",
            "lbu t0, 0(a0)",
            "sb t0, 0(a1)",
            "addi a0, a0, 1",
            "addi a1, a1, 1",
            "addi a2, a2, -1",
            "j -0x18",
            "addi a7, zero, 0x7ff",
            "ecall",
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

//! aarch64 copy stub of the `portal` write path (see `arch::PortalStub`).
//!
//! The kernel (`linux::writepath`) maps these words read-only and
//! executable in the portal page and runs them with x0 = source (the staged
//! chunk), x1 = destination (the guest's `read()` buffer) and x2 = length.
//! Doublewords first, then bytes, with post-indexed loads and stores, so a
//! faulting access leaves its base register as it was; a fault anywhere
//! aborts the copy. It clobbers x0–x3, x8 and the flags, which the kernel
//! restores afterwards.

use super::regs::{X0, X1, X2};
use crate::arch::{PORTAL_DONE_SYSCALL, PortalStub, stub_code};
use crate::ir::Endian;

/// The stub as instruction words, with each word's offset in the stub.
const WORDS: [u32; 13] = [
    0xf100_205f, // 0x00: cmp  x2, #8
    0x5400_00a3, // 0x04: b.lo 0x18              ; fewer than 8 left: bytes
    0xf840_8403, // 0x08: ldr  x3, [x0], #8
    0xf800_8423, // 0x0c: str  x3, [x1], #8
    0xd100_2042, // 0x10: sub  x2, x2, #8
    0x17ff_fffb, // 0x14: b    0x00
    0xb400_00a2, // 0x18: cbz  x2, 0x2c
    0x3840_1403, // 0x1c: ldrb w3, [x0], #1
    0x3800_1423, // 0x20: strb w3, [x1], #1
    0xd100_0442, // 0x24: sub  x2, x2, #1
    0x17ff_fffc, // 0x28: b    0x18
    0xd280_ffe8, // 0x2c: mov  x8, #PORTAL_DONE_SYSCALL
    0xd400_0001, // 0x30: svc  #0
];

// The `movz x8` immediate above must be the reserved number.
const _: () = assert!((WORDS[11] >> 5) & 0xffff == PORTAL_DONE_SYSCALL as u32);

/// Little-endian bytes of [`WORDS`].
const CODE: [u8; 4 * WORDS.len()] = stub_code(&WORDS, Endian::Little);

pub static STUB: PortalStub = PortalStub { code: &CODE, src: X0, dst: X1, len: X2 };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::arch::aarch64::disasm::disassemble;
    use crate::engine::StopReason;
    use crate::testing::Harness;

    /// Capstone, an independent decoder, agrees with the comments above.
    #[test]
    fn stub_disassembles_as_documented() {
        let expected = [
            "cmp x2, #8",
            "b.lo #0x18",
            "ldr x3, [x0], #8",
            "str x3, [x1], #8",
            "sub x2, x2, #8",
            "b #0",
            "cbz x2, #0x2c",
            "ldrb w3, [x0], #1",
            "strb w3, [x1], #1",
            "sub x2, x2, #1",
            "b #0x18",
            "mov x8, #0x7ff",
            "svc #0",
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

    /// Run the stub the way the kernel does and check the copy, for lengths
    /// that exercise both loops and their boundaries.
    #[test]
    fn stub_copies_every_length() {
        const CODE_AT: u64 = 0x7000_0000;
        const SRC: u64 = 0x1000_0000;
        const DST: u64 = 0x2000_0000;
        let data: Vec<u8> = (0..40u8).map(|b| b.wrapping_mul(37).wrapping_add(1)).collect();
        for len in [0usize, 1, 7, 8, 9, 16, 23, 40] {
            let mut h = Harness::new(Arch::Aarch64);
            h.map_code(CODE_AT, STUB.code);
            h.map_data(SRC, &data);
            h.map_data(DST, &[0u8; 48]);
            h.cpu.regs[STUB.src.0 as usize] = SRC;
            h.cpu.regs[STUB.dst.0 as usize] = DST;
            h.cpu.regs[STUB.len.0 as usize] = len as u64;
            let stop = h.step(10_000);
            assert_eq!(stop, StopReason::Syscall, "len {len}");
            assert_eq!(h.pc(), CODE_AT + STUB.code.len() as u64, "len {len}");
            assert_eq!(h.reg("x8"), PORTAL_DONE_SYSCALL);
            let got = h.read_mem(DST, 48).expect("destination is mapped");
            assert_eq!(&got[..len], &data[..len], "len {len}");
            assert!(got[len..].iter().all(|&b| b == 0), "len {len}: copied too much");
        }
    }

    #[test]
    fn a_faulting_destination_stops_the_stub() {
        let mut h = Harness::new(Arch::Aarch64);
        h.map_code(0x7000_0000, STUB.code);
        h.map_data(0x1000_0000, &[1u8; 16]);
        h.cpu.regs[STUB.src.0 as usize] = 0x1000_0000;
        h.cpu.regs[STUB.dst.0 as usize] = 0x3000_0000;
        h.cpu.regs[STUB.len.0 as usize] = 16;
        assert!(matches!(h.step(10_000), StopReason::Fault(f) if f.addr == 0x3000_0000));
    }
}

//! MIPS32 copy stubs of the `portal` write path (see `arch::PortalStub`),
//! one per byte order.
//!
//! The kernel (`linux::writepath`) maps these words read-only and
//! executable in the portal page and runs them with a0 = source (the staged
//! chunk, word-aligned), a1 = destination (the guest's `read()` buffer, any
//! alignment) and a2 = length. Words first, stored with an `swl`/`swr` pair
//! so an unaligned destination needs no fix-up, then bytes; a fault
//! anywhere aborts the copy. The two byte orders differ only in which end
//! of the destination word `swl` and `swr` address. Delay slots hold either
//! a nop or the pointer increment that must happen on the loop's way back.
//! It clobbers t0, t1, v0 and a0–a2, which the kernel restores afterwards.

use super::regs::{A0, A1, A2};
use crate::arch::{PORTAL_DONE_SYSCALL, PortalStub, stub_code};
use crate::ir::Endian;

const LEN: usize = 20;

/// The stub as instruction words, with each word's offset in the stub.
/// Branch targets are stub offsets.
const fn words(endian: Endian) -> [u32; LEN] {
    // swl t0, N(a1) / swr t0, N(a1): the most significant byte of the word
    // goes to the lowest address on big-endian, the highest on little.
    let (swl, swr) = match endian {
        Endian::Big => (0xa8a8_0000, 0xb8a8_0003),
        Endian::Little => (0xa8a8_0003, 0xb8a8_0000),
    };
    [
        0x2cc9_0004, // 0x00: sltiu t1, a2, 4
        0x1520_0008, // 0x04: bnez  t1, 0x28       ; fewer than 4 left: bytes
        0x0000_0000, // 0x08:  nop
        0x8c88_0000, // 0x0c: lw    t0, 0(a0)
        swl,         // 0x10: swl   t0, 0 or 3(a1)
        swr,         // 0x14: swr   t0, 3 or 0(a1)
        0x2484_0004, // 0x18: addiu a0, a0, 4
        0x24c6_fffc, // 0x1c: addiu a2, a2, -4
        0x1000_fff7, // 0x20: b     0x00
        0x24a5_0004, // 0x24:  addiu a1, a1, 4
        0x10c0_0007, // 0x28: beqz  a2, 0x48
        0x0000_0000, // 0x2c:  nop
        0x9088_0000, // 0x30: lbu   t0, 0(a0)
        0xa0a8_0000, // 0x34: sb    t0, 0(a1)
        0x2484_0001, // 0x38: addiu a0, a0, 1
        0x24c6_ffff, // 0x3c: addiu a2, a2, -1
        0x1000_fff9, // 0x40: b     0x28
        0x24a5_0001, // 0x44:  addiu a1, a1, 1
        0x2402_07ff, // 0x48: addiu v0, zero, PORTAL_DONE_SYSCALL
        0x0000_000c, // 0x4c: syscall
    ]
}

// The `addiu v0` immediate above must be the reserved number.
const _: () = assert!(words(Endian::Little)[18] & 0xffff == PORTAL_DONE_SYSCALL as u32);

/// [`words`] in memory order.
const CODE_LE: [u8; 4 * LEN] = stub_code(&words(Endian::Little), Endian::Little);
const CODE_BE: [u8; 4 * LEN] = stub_code(&words(Endian::Big), Endian::Big);

pub static STUB_LE: PortalStub = PortalStub { code: &CODE_LE, src: A0, dst: A1, len: A2 };
pub static STUB_BE: PortalStub = PortalStub { code: &CODE_BE, src: A0, dst: A1, len: A2 };

/// The stub for a byte order.
pub fn stub(endian: Endian) -> &'static PortalStub {
    match endian {
        Endian::Little => &STUB_LE,
        Endian::Big => &STUB_BE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::arch::mips::disasm::disassemble;
    use crate::engine::{EngineKind, StopReason};
    use crate::testing::Harness;

    /// Capstone, an independent decoder, agrees with the comments above.
    #[test]
    fn stub_disassembles_as_documented() {
        for endian in [Endian::Little, Endian::Big] {
            let (swl, swr) = match endian {
                Endian::Big => ("swl $t0, ($a1)", "swr $t0, 3($a1)"),
                Endian::Little => ("swl $t0, 3($a1)", "swr $t0, ($a1)"),
            };
            let expected = [
                "sltiu $t1, $a2, 4",
                "bnez $t1, 0x28",
                "nop",
                "lw $t0, ($a0)",
                swl,
                swr,
                "addiu $a0, $a0, 4",
                "addiu $a2, $a2, -4",
                "b 0",
                "addiu $a1, $a1, 4",
                "beqz $a2, 0x48",
                "nop",
                "lbu $t0, ($a0)",
                "sb $t0, ($a1)",
                "addiu $a0, $a0, 1",
                "addiu $a2, $a2, -1",
                "b 0x28",
                "addiu $a1, $a1, 1",
                "addiu $v0, $zero, 0x7ff",
                "syscall",
            ];
            let code = stub(endian).code;
            let text: Vec<String> = (0..LEN)
                .map(|i| {
                    let (t, len) = disassemble(endian, false, 4 * i as u64, &code[4 * i..])
                        .expect("capstone decodes the stub");
                    assert_eq!(len, 4);
                    t
                })
                .collect();
            assert_eq!(text, expected, "{endian:?}");
        }
    }

    /// The stub copies every length to every destination alignment and
    /// ends with the done call right after its last byte.
    #[test]
    fn stub_copies_to_any_alignment() {
        const BASE: u64 = 0x7800_0000;
        const SRC: u64 = 0x1000_0000;
        const DST: u64 = 0x2000_0000;
        let data: Vec<u8> = (0..23u8).map(|n| n.wrapping_mul(37).wrapping_add(1)).collect();
        for (arch, endian) in [(Arch::Mipsel, Endian::Little), (Arch::Mipseb, Endian::Big)] {
            for kind in [EngineKind::Interp, EngineKind::Jit] {
                for len in [0, 1, 3, 4, 5, 8, 23] {
                    for align in 0..4 {
                        let mut h = Harness::with_engine(arch, kind);
                        let s = stub(endian);
                        h.map_code(BASE, s.code);
                        h.map_data(SRC, &data);
                        h.map_data(DST, &[0xee; 32]);
                        h.cpu.regs[s.src.0 as usize] = SRC;
                        h.cpu.regs[s.dst.0 as usize] = DST + align;
                        h.cpu.regs[s.len.0 as usize] = len as u64;
                        assert_eq!(h.step(10_000), StopReason::Syscall, "{arch} {kind}");
                        assert_eq!(h.pc(), BASE + s.code.len() as u64);
                        assert_eq!(h.reg("v0"), PORTAL_DONE_SYSCALL);
                        let got = h.read_mem(DST, 32).expect("mapped");
                        let a = align as usize;
                        assert!(got[..a].iter().all(|&b| b == 0xee), "{arch} {kind} {len} {a}");
                        assert_eq!(&got[a..a + len], &data[..len], "{arch} {kind} {len} {a}");
                        assert!(got[a + len..].iter().all(|&b| b == 0xee), "{arch} {kind}");
                    }
                }
            }
        }
    }
}

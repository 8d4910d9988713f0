//! The A32 copy stub of the `portal` write path (see `arch::PortalStub`).
//!
//! The kernel (`linux::writepath`) maps these words read-only and
//! executable in the portal page and runs them with r0 = source (the
//! staged chunk, word-aligned), r1 = destination (the guest's `read()`
//! buffer, any alignment: ARMv7 user mode allows unaligned word stores)
//! and r2 = length. Words first, then bytes; a fault anywhere aborts the
//! copy. It clobbers r0–r3 and r7, which the kernel restores afterwards.

use super::regs::{R0, R1, R2};
use crate::arch::{PORTAL_DONE_SYSCALL, PortalStub, stub_code};
use crate::ir::Endian;

const LEN: usize = 15;

const WORDS: [u32; LEN] = [
    0xe252_2004, // 0x00: subs  r2, r2, #4
    0x3a00_0003, // 0x04: bcc   0x18          ; fewer than 4 left: bytes
    0xe490_3004, // 0x08: ldr   r3, [r0], #4
    0xe481_3004, // 0x0c: str   r3, [r1], #4
    0xe252_2004, // 0x10: subs  r2, r2, #4
    0x2aff_fffb, // 0x14: bcs   0x08
    0xe292_2004, // 0x18: adds  r2, r2, #4
    0x0a00_0003, // 0x1c: beq   0x30
    0xe4d0_3001, // 0x20: ldrb  r3, [r0], #1
    0xe4c1_3001, // 0x24: strb  r3, [r1], #1
    0xe252_2001, // 0x28: subs  r2, r2, #1
    0x1aff_fffb, // 0x2c: bne   0x20
    0xe3a0_7b02, // 0x30: mov   r7, #0x800
    0xe247_7001, // 0x34: sub   r7, r7, #1   ; PORTAL_DONE_SYSCALL
    0xef00_0000, // 0x38: svc   #0
];

const _: () = assert!(0x800 - 1 == PORTAL_DONE_SYSCALL, "the stub's syscall number");

/// [`WORDS`] in memory order (little-endian).
const CODE: [u8; 4 * LEN] = stub_code(&WORDS, Endian::Little);

pub static STUB: PortalStub = PortalStub { code: &CODE, src: R0, dst: R1, len: R2 };

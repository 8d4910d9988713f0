//! riscv64 state slots: x0–x31 in slots 0–31, plus the LR/SC reservation.

use crate::ir::Slot;

/// Slot of integer register `x{n}`. `x0` has a slot, but lifters never
/// write it and read it as constant zero.
pub const fn x(n: u32) -> Slot {
    Slot(n as u16)
}

pub const RA: Slot = x(1);
pub const SP: Slot = x(2);
pub const GP: Slot = x(3);
pub const TP: Slot = x(4);
pub const A0: Slot = x(10);
pub const A1: Slot = x(11);
pub const A2: Slot = x(12);
pub const A3: Slot = x(13);
pub const A4: Slot = x(14);
pub const A5: Slot = x(15);
pub const A7: Slot = x(17);

/// Address reserved by the last `lr.w`/`lr.d`, or [`NO_RESERVATION`].
pub const RESERVATION: Slot = Slot(32);
/// Value of [`RESERVATION`] when no reservation is held. Never equal to an
/// aligned address, so a store-conditional against it always fails.
pub const NO_RESERVATION: u64 = u64::MAX;

/// ABI names of x0–x31.
pub const NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

pub fn slot_name(slot: Slot) -> Option<&'static str> {
    match slot.0 {
        n @ 0..=31 => Some(NAMES[n as usize]),
        32 => Some("reservation"),
        _ => None,
    }
}

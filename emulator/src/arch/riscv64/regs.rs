//! riscv64 state slots: x0–x31 in slots 0–31, the LR/SC reservation,
//! f0–f31 (64 bits each, f32 values NaN-boxed) and `fcsr` as its two
//! fields `frm` and `fflags`.

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

/// Slot of floating-point register `f{n}`.
pub const fn f(n: u32) -> Slot {
    Slot(33 + n as u16)
}

/// `frm`, the dynamic rounding mode (0–7 as written; 5–7 are reserved and
/// make instructions that use them illegal).
pub const FRM: Slot = Slot(65);
/// `fflags`, the accrued exception flags (NV DZ OF UF NX, bits 4–0: the
/// IR's own flag encoding, see `ir::float::flags`).
pub const FFLAGS: Slot = Slot(66);

/// ABI names of f0–f31.
pub const FNAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

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
        n @ 33..=64 => Some(FNAMES[n as usize - 33]),
        65 => Some("frm"),
        66 => Some("fflags"),
        _ => None,
    }
}

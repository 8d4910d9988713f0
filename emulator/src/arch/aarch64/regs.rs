//! aarch64 state slots: x0–x30, sp, the four NZCV flags (one slot each, so
//! a compiler can keep them in host registers), the thread pointer, the
//! exclusive monitor and the two floating-point control registers that
//! integer code may still read and write.
//!
//! Encoding 31 means `sp` or `xzr` depending on the instruction; `xzr` has
//! no slot (the lifter reads it as 0 and drops writes to it).

use crate::ir::Slot;

/// Slot of general-purpose register `x{n}`, `n` in 0..=30.
pub const fn x(n: u32) -> Slot {
    Slot(n as u16)
}

pub const X0: Slot = x(0);
pub const X1: Slot = x(1);
pub const X2: Slot = x(2);
pub const X3: Slot = x(3);
pub const X4: Slot = x(4);
pub const X5: Slot = x(5);
pub const X8: Slot = x(8);
/// The link register.
pub const LR: Slot = x(30);
pub const SP: Slot = Slot(31);

/// Negative flag (0 or 1).
pub const N: Slot = Slot(32);
/// Zero flag (0 or 1).
pub const Z: Slot = Slot(33);
/// Carry flag (0 or 1).
pub const C: Slot = Slot(34);
/// Overflow flag (0 or 1).
pub const V: Slot = Slot(35);

/// `tpidr_el0`, the user thread pointer.
pub const TPIDR_EL0: Slot = Slot(36);

/// Address marked by the last load-exclusive, or [`NO_MONITOR`]: the local
/// exclusive monitor of a single-core machine.
pub const MONITOR: Slot = Slot(37);
/// Value of [`MONITOR`] in the open state. Never a valid aligned address,
/// so a store-exclusive against it always fails.
pub const NO_MONITOR: u64 = u64::MAX;

/// `fpcr`, kept only so that integer code reading and writing it sees its
/// own writes; nothing consults it.
pub const FPCR: Slot = Slot(38);
/// `fpsr`, likewise.
pub const FPSR: Slot = Slot(39);

/// Bits of `fpcr` that writes can change (as on QEMU's `max` CPU: AHP, DN,
/// FZ, RMode, Stride, FZ16, Len; the trap enables read as zero).
pub const FPCR_WRITABLE: u64 = 0x07ff_0000;
/// Bits of `fpsr` that writes can change: N, Z, C, V, QC and the
/// cumulative exception flags.
pub const FPSR_WRITABLE: u64 = 0xf800_009f;

/// Names of slots 0..=39 as the test files and traces spell them.
pub const NAMES: [&str; 40] = [
    "x0",
    "x1",
    "x2",
    "x3",
    "x4",
    "x5",
    "x6",
    "x7",
    "x8",
    "x9",
    "x10",
    "x11",
    "x12",
    "x13",
    "x14",
    "x15",
    "x16",
    "x17",
    "x18",
    "x19",
    "x20",
    "x21",
    "x22",
    "x23",
    "x24",
    "x25",
    "x26",
    "x27",
    "x28",
    "x29",
    "x30",
    "sp",
    "n",
    "z",
    "c",
    "v",
    "tpidr_el0",
    "monitor",
    "fpcr",
    "fpsr",
];

pub fn slot_name(slot: Slot) -> Option<&'static str> {
    NAMES.get(slot.0 as usize).copied()
}

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

// The flags live in the forms the lifter produces most cheaply, as QEMU
// keeps them: a flag-setting instruction stores its result (and its
// overflow word) as they are, and only readers of a flag derive it.
// [`flag`] and [`set_flag`] convert to and from the architectural bits.

/// N is bit 63 of this slot (a 32-bit result is stored sign-extended).
pub const N: Slot = Slot(32);
/// Z is set exactly when this slot is zero (it holds the result).
pub const Z: Slot = Slot(33);
/// Carry flag (0 or 1).
pub const C: Slot = Slot(34);
/// V is bit 63 of this slot.
pub const V: Slot = Slot(35);

/// The flag slots and the names of the architectural flags they hold.
pub const FLAGS: [(Slot, &str); 4] = [(N, "n"), (Z, "z"), (C, "c"), (V, "v")];

/// The architectural flag (`"n"`, `"z"`, `"c"` or `"v"`, as 0 or 1) held in
/// `regs`, or `None` for another name.
pub fn flag(regs: &[u64], name: &str) -> Option<u64> {
    Some(match name {
        "n" => regs[N.0 as usize] >> 63,
        "z" => (regs[Z.0 as usize] == 0) as u64,
        "c" => regs[C.0 as usize] & 1,
        "v" => regs[V.0 as usize] >> 63,
        _ => return None,
    })
}

/// Set architectural flag `name` to `bit` (0 or 1) in `regs`; false for
/// another name.
pub fn set_flag(regs: &mut [u64], name: &str, bit: u64) -> bool {
    let bit = bit & 1;
    let (slot, value) = match name {
        "n" => (N, bit << 63),
        "z" => (Z, bit ^ 1),
        "c" => (C, bit),
        "v" => (V, bit << 63),
        _ => return false,
    };
    regs[slot.0 as usize] = value;
    true
}

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
    "nf",
    "zf",
    "cf",
    "vf",
    "tpidr_el0",
    "monitor",
    "fpcr",
    "fpsr",
];

pub fn slot_name(slot: Slot) -> Option<&'static str> {
    NAMES.get(slot.0 as usize).copied()
}

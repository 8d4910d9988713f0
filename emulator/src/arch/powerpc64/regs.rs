//! powerpc64 state slots and their names.
//!
//! Layout (one 64-bit slot each):
//! - r0–r31 in slots 0–31;
//! - LR, CTR;
//! - XER split into SO, OV and CA (each 0 or 1) and the byte count, so the
//!   carry and overflow forms write single slots instead of masking XER;
//! - CR as eight 4-bit fields (`cr0`–`cr7`), each holding LT=8, GT=4,
//!   EQ=2, SO=1, so compares and record forms write one slot;
//! - the `lwarx`/`stwcx.` reservation: address, loaded value and width;
//! - VRSAVE, which user code may move to and from;
//! - f0–f31 (raw double bits), `FPSCR` (its low 32 bits, the IBM bits
//!   32–63) and two scratch slots for the flags of the FP op being lifted.
//!
//! Talks to: `lift` (reads and writes the slots), `abi` (syscall slots),
//! and whoever prints slots by name (traces, instruction tests).

use crate::ir::Slot;

/// Slot of general-purpose register `r{n}`.
pub const fn r(n: u32) -> Slot {
    Slot(n as u16)
}

pub const SP: Slot = r(1);
pub const TOC: Slot = r(2);
pub const R0: Slot = r(0);
pub const R3: Slot = r(3);
pub const R4: Slot = r(4);
pub const R5: Slot = r(5);
pub const R6: Slot = r(6);
pub const R7: Slot = r(7);
pub const R8: Slot = r(8);
/// The ABI's thread pointer.
pub const TP: Slot = r(13);

pub const LR: Slot = Slot(32);
pub const CTR: Slot = Slot(33);
/// XER summary overflow, 0 or 1.
pub const SO: Slot = Slot(34);
/// XER overflow, 0 or 1.
pub const OV: Slot = Slot(35);
/// XER carry, 0 or 1.
pub const CA: Slot = Slot(36);
/// XER byte count (bits 57:63), the only other XER field with a meaning.
pub const XER_BC: Slot = Slot(37);

/// Slot of CR field `n` (0–7), holding its four bits in the low nibble.
pub const fn cr(n: u32) -> Slot {
    Slot(38 + n as u16)
}

/// Bits of a CR field value.
pub const CR_LT: u64 = 8;
pub const CR_GT: u64 = 4;
pub const CR_EQ: u64 = 2;
pub const CR_SO: u64 = 1;

/// Address reserved by the last `l*arx`, or [`NO_RESERVATION`].
pub const RESERVATION: Slot = Slot(46);
/// Value the reserving load read (zero-extended).
pub const RESERVATION_VAL: Slot = Slot(47);
/// Width in bytes of the reserving load.
pub const RESERVATION_LEN: Slot = Slot(48);
/// Value of [`RESERVATION`] when no reservation is held. Never an aligned
/// address, so a store-conditional against it always fails.
pub const NO_RESERVATION: u64 = u64::MAX;

pub const VRSAVE: Slot = Slot(49);

/// One past the last slot this frontend uses.
pub const NUM_SLOTS_USED: u16 = 50;

/// Slot of FP register `f{n}`.
pub const fn f(n: u32) -> Slot {
    Slot(NUM_SLOTS_USED + n as u16)
}

/// `FPSCR`: IBM bits 32–63 as bits 31–0 (FX is bit 31, RN bits 1–0).
pub const FPSCR: Slot = Slot(NUM_SLOTS_USED + 32);
/// Exception flags (IR encoding) of the FP op being lifted; cleared
/// before it. Not architectural state.
pub const FP_EXC: Slot = Slot(NUM_SLOTS_USED + 33);
/// Flags of internal steps that must not reach `FPSCR`. Not
/// architectural state.
pub const FP_DISCARD: Slot = Slot(NUM_SLOTS_USED + 34);
/// The floating-point exception mode `MSR[FE0,FE1]` as
/// `prctl(PR_SET_FPEXC)` sets it (0 disabled, 3 precise): nonzero makes
/// enabled `FPSCR` exceptions trap.
pub const FE_MODE: Slot = Slot(NUM_SLOTS_USED + 35);

/// Names of f0–f31 and the FP control slots, in slot order from f0.
pub const FP_NAMES: [&str; 36] = [
    "f0",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "f6",
    "f7",
    "f8",
    "f9",
    "f10",
    "f11",
    "f12",
    "f13",
    "f14",
    "f15",
    "f16",
    "f17",
    "f18",
    "f19",
    "f20",
    "f21",
    "f22",
    "f23",
    "f24",
    "f25",
    "f26",
    "f27",
    "f28",
    "f29",
    "f30",
    "f31",
    "fpscr",
    "fp_exc",
    "fp_discard",
    "fe_mode",
];

/// Names of r0–r31, as capstone prints them.
pub const GPR_NAMES: [&str; 32] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22", "r23", "r24", "r25", "r26", "r27",
    "r28", "r29", "r30", "r31",
];

/// Names of slots 32 and up, in slot order.
pub const SPECIAL_NAMES: [&str; (NUM_SLOTS_USED - 32) as usize] = [
    "lr",
    "ctr",
    "so",
    "ov",
    "ca",
    "xer_bc",
    "cr0",
    "cr1",
    "cr2",
    "cr3",
    "cr4",
    "cr5",
    "cr6",
    "cr7",
    "reservation",
    "reservation_val",
    "reservation_len",
    "vrsave",
];

pub fn slot_name(slot: Slot) -> Option<&'static str> {
    match slot.0 {
        n @ 0..=31 => Some(GPR_NAMES[n as usize]),
        n @ 32..NUM_SLOTS_USED => Some(SPECIAL_NAMES[(n - 32) as usize]),
        n if ((n - NUM_SLOTS_USED) as usize) < FP_NAMES.len() => {
            Some(FP_NAMES[(n - NUM_SLOTS_USED) as usize])
        }
        _ => None,
    }
}

/// Every named slot, in slot order.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    GPR_NAMES.iter().chain(SPECIAL_NAMES.iter()).chain(FP_NAMES.iter()).copied()
}

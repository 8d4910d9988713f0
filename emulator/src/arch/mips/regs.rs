//! MIPS32 state slots: r0–r31 in slots 0–31, then HI, LO, the LL/SC
//! reservation, the UserLocal (TLS) register and the pending delay-slot
//! branch, then the FPU: f0–f31, `FCSR` and a scratch slot for the flags
//! of the current FP operation. Every slot holds a 32-bit value
//! zero-extended to 64 bits, except the FPU registers with `FR=1`, which
//! hold 64 bits.
//!
//! Used by `lift` (which owns the meaning of [`DELAY`]), `abi` and the
//! frontend's `init_registers`.

use crate::ir::Slot;

/// Slot of general register `$n`. `$zero` has a slot, but lifters never
/// write it and read it as constant zero.
pub const fn r(n: u32) -> Slot {
    Slot(n as u16)
}

pub const V0: Slot = r(2);
pub const V1: Slot = r(3);
pub const A0: Slot = r(4);
pub const A1: Slot = r(5);
pub const A2: Slot = r(6);
pub const A3: Slot = r(7);
pub const T0: Slot = r(8);
pub const GP: Slot = r(28);
pub const SP: Slot = r(29);
pub const RA: Slot = r(31);

/// The multiply/divide unit's result registers.
pub const HI: Slot = Slot(32);
pub const LO: Slot = Slot(33);

/// Address reserved by the last `ll`, or [`NO_RESERVATION`].
pub const RESERVATION: Slot = Slot(34);
/// Value of [`RESERVATION`] when no reservation is held. Never a 32-bit
/// address, so an `sc` against it always fails.
pub const NO_RESERVATION: u64 = u64::MAX;

/// UserLocal: the TLS pointer that `rdhwr $29` reads and `set_thread_area`
/// writes.
pub const ULR: Slot = Slot(35);

/// The branch whose delay slot executes next, when a block boundary (the
/// block cap, a page end, the fuel limit or a fault) separated it from its
/// slot: [`DELAY_PENDING`] | target, or 0 when no branch is pending. See
/// `lift` for the protocol.
pub const DELAY: Slot = Slot(36);
/// Tag bit of a pending [`DELAY`] value; above every 32-bit target, so a
/// pending branch to address 0 is still nonzero.
pub const DELAY_PENDING: u64 = 1 << 32;

/// Slot of FPU register `$f{n}`. With `FR=0` each register holds 32 bits
/// and a double lives in an even/odd pair, the low word in the even
/// register; with `FR=1` each holds 64 bits (see `fpmode`).
pub const fn f(n: u32) -> Slot {
    Slot(37 + n as u16)
}

/// `FCSR` (`$31` of the FPU control registers) as the hardware lays it
/// out: rounding mode (1:0), flags (6:2), enables (11:7), cause (17:12),
/// FCC0 (23), FS (24), FCC1–7 (31:25).
pub const FCSR: Slot = Slot(69);
/// The exception flags (IR encoding) of the FP operation being lifted,
/// cleared before it; `lift_fp` turns them into `FCSR` cause and flags.
/// Not architectural state.
pub const FP_EXC: Slot = Slot(70);

/// Names of f0–f31.
pub const FNAMES: [&str; 32] = [
    "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14",
    "f15", "f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "f25", "f26", "f27",
    "f28", "f29", "f30", "f31",
];

/// Register names as capstone prints them (without the `$`).
pub const NAMES: [&str; 32] = [
    "zero", "at", "v0", "v1", "a0", "a1", "a2", "a3", "t0", "t1", "t2", "t3", "t4", "t5", "t6",
    "t7", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "t8", "t9", "k0", "k1", "gp", "sp", "fp",
    "ra",
];

/// Names of the special slots, in slot order from [`HI`].
pub const SPECIAL_NAMES: [&str; 5] = ["hi", "lo", "reservation", "ulr", "delay"];

pub fn slot_name(slot: Slot) -> Option<&'static str> {
    match slot.0 {
        n @ 0..=31 => Some(NAMES[n as usize]),
        n @ 32..=36 => Some(SPECIAL_NAMES[n as usize - 32]),
        n @ 37..=68 => Some(FNAMES[n as usize - 37]),
        69 => Some("fcsr"),
        70 => Some("fp_exc"),
        _ => None,
    }
}

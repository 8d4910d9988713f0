//! ARM state slots: r0–r14 in slots 0–14 (slot 15 is unused: the pc lives
//! in `CpuState::pc`), then the flags N, Z, C and V (in the forms the
//! lifter produces most cheaply, see [`flag`]) and Q (0 or 1), the GE bits, the TLS register `TPIDRURO`, the exclusive monitor, the
//! lifter's scratch for the next pc. The Thumb bit (CPSR.T) is bit 0 of
//! the pc and the IT state sits in the pc's state bits ([`IT_SHIFT`]), so
//! both are part of every block's key. Every slot holds a 32-bit value
//! zero-extended to 64 bits, except the monitor when it holds
//! [`NO_RESERVATION`].
//!
//! Used by `lift`, `abi`, `portal` and the frontend's register setup.

use crate::ir::Slot;

/// Slot of general register `rN` (0–14).
pub const fn r(n: u32) -> Slot {
    Slot(n as u16)
}

pub const R0: Slot = r(0);
pub const R1: Slot = r(1);
pub const R2: Slot = r(2);
pub const R3: Slot = r(3);
pub const R4: Slot = r(4);
pub const R5: Slot = r(5);
pub const R7: Slot = r(7);
pub const SP: Slot = r(13);
pub const LR: Slot = r(14);

// The condition flags live as QEMU keeps them: a flag-setting instruction
// stores its 32-bit result (and its overflow word) as they are, and only a
// reader of a flag derives it, so the common `subs`/`cmp` + branch costs
// no flag conversions. [`flag`] and [`set_flag`] convert to and from the
// architectural bits.

/// N is bit 31 of this slot (it holds the result).
pub const NF: Slot = Slot(16);
/// Z is set exactly when this slot is zero (it holds the result).
pub const ZF: Slot = Slot(17);
/// Carry flag (0 or 1).
pub const CF: Slot = Slot(18);
/// V is bit 31 of this slot.
pub const VF: Slot = Slot(19);

/// The flag slots, the names of the architectural flags they hold and
/// their CPSR bits.
pub const FLAGS: [(Slot, &str, u32); 4] =
    [(NF, "n", 31), (ZF, "z", 30), (CF, "c", 29), (VF, "v", 28)];

/// The architectural flag (`"n"`, `"z"`, `"c"` or `"v"`, as 0 or 1) held in
/// `regs`, or `None` for another name.
pub fn flag(regs: &[u64], name: &str) -> Option<u64> {
    Some(match name {
        "n" => (regs[NF.0 as usize] >> 31) & 1,
        "z" => ((regs[ZF.0 as usize] & 0xffff_ffff) == 0) as u64,
        "c" => regs[CF.0 as usize] & 1,
        "v" => (regs[VF.0 as usize] >> 31) & 1,
        _ => return None,
    })
}

/// Set architectural flag `name` to `bit` (0 or 1) in `regs`; false for
/// another name.
pub fn set_flag(regs: &mut [u64], name: &str, bit: u64) -> bool {
    let bit = bit & 1;
    let (slot, value) = match name {
        "n" => (NF, bit << 31),
        "z" => (ZF, bit ^ 1),
        "c" => (CF, bit),
        "v" => (VF, bit << 31),
        _ => return false,
    };
    regs[slot.0 as usize] = value;
    true
}
/// The sticky saturation flag, 0 or 1.
pub const QF: Slot = Slot(20);
/// APSR.GE in bits 3:0.
pub const GE: Slot = Slot(21);
/// `TPIDRURO`: the TLS pointer that `mrc p15, 0, rX, c13, c0, 3` reads and
/// `set_tls` writes.
pub const TLS: Slot = Slot(22);
/// Address held by the exclusive monitor after `ldrex`, or
/// [`NO_RESERVATION`].
pub const RESERVATION: Slot = Slot(23);
/// Value of [`RESERVATION`] when the monitor is open. Never a 32-bit
/// address, so a `strex` against it always fails.
pub const NO_RESERVATION: u64 = u64::MAX;
/// Scratch: the pc a conditional instruction that writes the pc continues
/// at. Meaningful only inside one instruction.
pub const NEXT_PC: Slot = Slot(24);
/// Where the IT block state (CPSR.IT in the manual's ITSTATE order: the
/// base condition in bits 7:5, the mask in 4:0) of a Thumb instruction
/// lives: pc bits 55:48 (state bits, see `arch::PC_STATE_SHIFT`), 0
/// outside an IT block. Keeping it in the pc makes it part of the block
/// key, so a block can start inside an IT block (after a block cut, a
/// system call, a signal return) and is lifted with its state known.
pub const IT_SHIFT: u32 = crate::arch::PC_STATE_SHIFT;

/// Register names as capstone prints them.
pub const NAMES: [&str; 15] =
    ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "sb", "sl", "fp", "ip", "sp", "lr"];

/// Names of the special slots, in slot order from [`NF`].
pub const SPECIAL_NAMES: [&str; 9] =
    ["n", "z", "c", "v", "q", "ge", "tls", "reservation", "next_pc"];

pub fn slot_name(slot: Slot) -> Option<&'static str> {
    match slot.0 {
        n @ 0..=14 => Some(NAMES[n as usize]),
        n @ 16..=24 => Some(SPECIAL_NAMES[n as usize - 16]),
        _ => None,
    }
}

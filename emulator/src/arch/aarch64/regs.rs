//! aarch64 state slots: x0–x30, sp, the four NZCV flags (one slot each, so
//! a compiler can keep them in host registers), the thread pointer, the
//! exclusive monitor, the floating-point control and status registers, and
//! the 32 128-bit SIMD&FP registers `v0`–`v31` as two slots each.
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

/// `fpcr`: the rounding mode (RMode, bits 23:22) and `DN` (bit 25) steer
/// floating point; the other writable bits are kept so reads see writes.
pub const FPCR: Slot = Slot(38);
/// `fpsr` without its cumulative exception flags (those live in
/// [`FP_FLAGS`]): N, Z, C, V and QC.
pub const FPSR: Slot = Slot(39);
/// The cumulative exception flags IOC, DZC, OFC, UFC, IXC and IDC of
/// `fpsr`, in the IR's encoding (`ir::float::flags`), which
/// floating-point ops OR into. `mrs`/`msr fpsr` convert with
/// [`fpsr_flags_swap`].
pub const FP_FLAGS: Slot = Slot(40);

/// Bits of `fpcr` that writes can change (as on QEMU's `max` CPU: AHP, DN,
/// FZ, RMode, Stride, FZ16, Len; the trap enables read as zero).
pub const FPCR_WRITABLE: u64 = 0x07ff_0000;
/// Bits of `fpsr` that writes can change: N, Z, C, V, QC and the
/// cumulative exception flags.
pub const FPSR_WRITABLE: u64 = 0xf800_009f;
/// The cumulative exception flags of `fpsr` that [`FP_FLAGS`] holds.
pub const FPSR_CUMULATIVE: u64 = 0x9f;
/// `fpsr.QC`, the saturation flag.
pub const FPSR_QC: u64 = 1 << 27;
/// `fpcr.DN`: NaN results are the default NaN.
pub const FPCR_DN: u64 = 1 << 25;
/// `fpcr.FZ`: flush subnormal operands and results to zero
/// (`ir::float::FLUSH_TO_ZERO`); `FZ16` only matters to half-precision
/// arithmetic, which is not implemented.
pub const FPCR_FZ: u64 = 1 << 24;

/// Each cumulative flag's bit in the IR's encoding and in `fpsr`: IOC,
/// DZC, OFC, UFC, IXC (fpsr bits 0..=4) are the IR's INVALID..INEXACT
/// (bits 4..=0), and IDC (fpsr bit 7) is INPUT_DENORMAL (bit 5).
pub const FPSR_FLAG_BITS: [(u32, u32); 6] = [(0, 4), (1, 3), (2, 2), (3, 1), (4, 0), (5, 7)];

/// Converts flags between the IR's encoding and `fpsr`'s, either way
/// (each pair of [`FPSR_FLAG_BITS`] swaps).
pub const fn fpsr_flags_swap(f: u64) -> u64 {
    let mut r = 0;
    let mut i = 0;
    while i < FPSR_FLAG_BITS.len() {
        let (x, y) = FPSR_FLAG_BITS[i];
        r |= ((f >> x) & 1) << y | ((f >> y) & 1) << x;
        i += 1;
    }
    r
}

/// First slot of the vector registers.
const V_BASE: u16 = 41;

/// Slot of the low (`half` 0) or high (`half` 1) 64 bits of `v{n}`.
pub const fn v(n: u32, half: u32) -> Slot {
    Slot(V_BASE + 2 * n as u16 + half as u16)
}

/// Slots with architectural names (see [`NAMES`]).
pub const NUM_SLOTS_USED: usize = V_BASE as usize + 64;

/// Exception flags of intermediate steps that the architecture performs
/// without flags (the exact scaling of a fixed-point conversion): written,
/// never read, and not guest-visible.
pub const FP_SCRATCH_FLAGS: Slot = Slot(NUM_SLOTS_USED as u16);

/// Names of the slots as the test files and traces spell them; `v{n}.d0`
/// and `v{n}.d1` are the low and high halves of `v{n}`.
pub const NAMES: [&str; NUM_SLOTS_USED] = [
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
    "fp_flags",
    "v0.d0",
    "v0.d1",
    "v1.d0",
    "v1.d1",
    "v2.d0",
    "v2.d1",
    "v3.d0",
    "v3.d1",
    "v4.d0",
    "v4.d1",
    "v5.d0",
    "v5.d1",
    "v6.d0",
    "v6.d1",
    "v7.d0",
    "v7.d1",
    "v8.d0",
    "v8.d1",
    "v9.d0",
    "v9.d1",
    "v10.d0",
    "v10.d1",
    "v11.d0",
    "v11.d1",
    "v12.d0",
    "v12.d1",
    "v13.d0",
    "v13.d1",
    "v14.d0",
    "v14.d1",
    "v15.d0",
    "v15.d1",
    "v16.d0",
    "v16.d1",
    "v17.d0",
    "v17.d1",
    "v18.d0",
    "v18.d1",
    "v19.d0",
    "v19.d1",
    "v20.d0",
    "v20.d1",
    "v21.d0",
    "v21.d1",
    "v22.d0",
    "v22.d1",
    "v23.d0",
    "v23.d1",
    "v24.d0",
    "v24.d1",
    "v25.d0",
    "v25.d1",
    "v26.d0",
    "v26.d1",
    "v27.d0",
    "v27.d1",
    "v28.d0",
    "v28.d1",
    "v29.d0",
    "v29.d1",
    "v30.d0",
    "v30.d1",
    "v31.d0",
    "v31.d1",
];

pub fn slot_name(slot: Slot) -> Option<&'static str> {
    NAMES.get(slot.0 as usize).copied()
}

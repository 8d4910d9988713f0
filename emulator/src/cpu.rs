//! Guest CPU state: one `#[repr(C)]` struct shared by every engine.
//!
//! Frontends decide what each slot of `regs` means (see each arch's `regs`
//! module); engines only see slots. The JIT addresses fields by the byte
//! offsets in [`offsets`], which are the single definition it may rely on.

/// Number of 64-bit state slots. Large enough for every supported ISA's
/// integer registers plus its special registers (flags, HI/LO, LR, CTR, ...)
/// and its floating-point and vector registers (aarch64's 32 × 128 bits).
pub const NUM_SLOTS: usize = 128;

/// Architectural state of one guest thread.
#[repr(C)]
#[derive(Clone, PartialEq, Eq)]
pub struct CpuState {
    /// Guest state slots, indexed by `ir::Slot`.
    pub regs: [u64; NUM_SLOTS],
    /// Guest program counter of the next instruction to execute.
    pub pc: u64,
    /// Guest instructions retired so far.
    pub icount: u64,
    /// Virtual nanoseconds = `icount + vclock_bias`. The kernel raises the
    /// bias when time passes without instructions (for example `nanosleep`),
    /// so the clock never reads the host.
    pub vclock_bias: u64,
}

impl Default for CpuState {
    fn default() -> Self {
        CpuState { regs: [0; NUM_SLOTS], pc: 0, icount: 0, vclock_bias: 0 }
    }
}

impl CpuState {
    /// Virtual time in nanoseconds.
    pub fn vclock_ns(&self) -> u64 {
        self.icount.wrapping_add(self.vclock_bias)
    }
}

impl std::fmt::Debug for CpuState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nonzero: Vec<(usize, u64)> =
            self.regs.iter().copied().enumerate().filter(|&(_, v)| v != 0).collect();
        f.debug_struct("CpuState")
            .field("pc", &format_args!("{:#x}", self.pc))
            .field("icount", &self.icount)
            .field("nonzero_regs", &nonzero)
            .finish()
    }
}

/// Byte offsets of `CpuState` fields, for generated code.
pub mod offsets {
    use super::CpuState;
    use std::mem::offset_of;

    pub const REGS: i32 = offset_of!(CpuState, regs) as i32;
    pub const PC: i32 = offset_of!(CpuState, pc) as i32;
    pub const ICOUNT: i32 = offset_of!(CpuState, icount) as i32;
    pub const VCLOCK_BIAS: i32 = offset_of!(CpuState, vclock_bias) as i32;

    /// Offset of state slot `slot`.
    pub const fn slot(slot: u16) -> i32 {
        REGS + 8 * slot as i32
    }
}

//! The IR: a small, guest-neutral micro-op language.
//!
//! Frontends (`arch::*`) lift guest instructions into [`Block`]s; engines
//! (`interp`, and later `jit`) execute them. Nothing here knows about a
//! particular ISA, and nothing here is interpreter-only: every op has a fixed,
//! total semantics over 64-bit values so that a compiler can lower it.
//!
//! Shape of a block:
//! - a run of guest instructions, each starting with an [`Op::Insn`] marker
//!   (pc, length) and followed by its ops;
//! - ops read and write guest state [`Slot`]s and 64-bit [`Temp`]oraries;
//! - control flow inside a block is forward-only ([`Op::BranchIf`] to a
//!   [`Label`] defined later), so a block never loops and its instruction
//!   count is an upper bound known before it runs;
//! - a block ends in an explicit [`Exit`], and may leave early through
//!   [`Op::ExitIf`].
//!
//! Retirement rule (shared by both engines and relied on for exact fuel):
//! an instruction retires when the next marker is reached or when the block
//! leaves through `ExitIf`, `Jump`, `JumpIndirect` or `Syscall` after it.
//! A `Trap` exit or a memory fault does not retire the instruction that
//! raised it.

mod builder;
mod display;
pub mod float;
pub mod vector;

pub use builder::{BlockBuilder, Checkpoint, validate};
pub use float::{FpFormat, FpInsn, FpOp, FpRules, RoundingMode};
pub use vector::{VecInsn, VecOp};

/// Pc bits at and above this one are execution state, never address bits
/// (every guest address is below 2^48): armel keeps its IT block state
/// there, so it is part of the block key. Page bookkeeping ignores them.
pub const PC_STATE_SHIFT: u32 = 48;

/// The address part of a pc (see [`PC_STATE_SHIFT`]).
pub const fn pc_address(pc: u64) -> u64 {
    pc & ((1 << PC_STATE_SHIFT) - 1)
}

/// A guest state slot: an index into `CpuState::regs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub u16);

/// The last slot, which no arch's registers use: nonzero while a thread's
/// compute runs ahead of its turn (see `machine::lanes`). The machine clock
/// at such a time is not known yet, so an instruction that reads it traps
/// with [`TrapKind::ClockWait`] instead, before it retires.
/// (The last of `cpu::NUM_SLOTS`, 128; a test keeps the two in step.)
pub const AHEAD: Slot = Slot(127);

/// A 64-bit temporary, local to one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Temp(pub u32);

/// A forward branch target inside one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub u32);

/// Access width of a load or store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    W8,
    W16,
    W32,
    W64,
}

impl Width {
    pub const fn bytes(self) -> u32 {
        match self {
            Width::W8 => 1,
            Width::W16 => 2,
            Width::W32 => 4,
            Width::W64 => 8,
        }
    }

    pub const fn bits(self) -> u32 {
        self.bytes() * 8
    }
}

/// Byte order of a memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    Little,
    Big,
}

/// Two-operand operations. All are total on 64-bit values.
///
/// - Shift and rotate amounts are taken modulo 64.
/// - `DivU(a, 0) = 0`, `RemU(a, 0) = a`, `DivS(MIN, -1) = MIN`,
///   `RemS(MIN, -1) = 0`, `DivS(a, 0) = 0`, `RemS(a, 0) = a`. Frontends whose
///   ISA defines other results (riscv64 returns all ones) add a `Select`.
/// - Comparisons produce 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// High 64 bits of the unsigned 128-bit product.
    MulHiU,
    /// High 64 bits of the signed 128-bit product.
    MulHiS,
    /// High 64 bits of signed(a) × unsigned(b).
    MulHiSU,
    DivU,
    DivS,
    RemU,
    RemS,
    And,
    Or,
    Xor,
    Shl,
    ShrU,
    ShrS,
    RotL,
    RotR,
    Eq,
    Ne,
    LtU,
    LtS,
    LeU,
    LeS,
}

/// One-operand operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    Neg,
    /// Count leading zeros of the 64-bit value (64 for zero).
    Clz,
    /// Count trailing zeros of the 64-bit value (64 for zero).
    Ctz,
    Popcnt,
    /// Reverse the bytes of the low 16 bits; the result is zero-extended.
    Bswap16,
    /// Reverse the bytes of the low 32 bits; the result is zero-extended.
    Bswap32,
    Bswap64,
    Sext8,
    Sext16,
    Sext32,
    Zext8,
    Zext16,
    Zext32,
}

/// Counters derived from the deterministic virtual clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    /// Guest instructions retired before this instruction.
    Insns,
    /// Virtual nanoseconds at this instruction (see `cpu::CpuState::vclock_bias`).
    VirtualNs,
}

/// Why a block stops with a trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// Undecodable or unsupported instruction; carries its raw bytes
    /// (little-endian packed, `len` of them valid).
    IllegalInstruction { bytes: u32, len: u8 },
    /// A breakpoint instruction (`ebreak`, `brk`): SIGTRAP.
    Breakpoint,
    /// A conditional trap instruction that fired (`tw`, `teq`): SIGTRAP.
    TrapInstruction,
    /// An integer arithmetic exception: a trapping add overflowed (mips
    /// `add`), or a trap or break instruction's code marks overflow or
    /// division by zero: SIGFPE.
    ArithmeticTrap,
    /// A floating-point instruction raised an exception its FP status
    /// register enables (powerpc64 in precise mode, mips): SIGFPE, with the
    /// `si_code` the kernel reads from that register.
    FpException,
    /// Instruction fetch from an address that is not executable.
    FetchFault { addr: u64 },
    /// An instruction that reads the virtual clock, reached while the
    /// [`AHEAD`] slot is set: not a guest trap; the machine runs it again
    /// once the clock is known.
    ClockWait,
}

/// Trap kinds as guest signals, shared by kernels and reports.
pub fn trap_signal(kind: TrapKind) -> u32 {
    match kind {
        TrapKind::IllegalInstruction { .. } => 4, // SIGILL
        TrapKind::Breakpoint | TrapKind::TrapInstruction => 5, // SIGTRAP
        TrapKind::ArithmeticTrap | TrapKind::FpException => 8, // SIGFPE
        TrapKind::FetchFault { .. } => 11,        // SIGSEGV
        // Never the guest's: only a thread running ahead meets it.
        TrapKind::ClockWait => 5, // SIGTRAP
    }
}

/// How a block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exit {
    /// Continue at a known pc. Engines may chain to it directly.
    Jump(u64),
    /// Continue at the pc held in a temporary.
    JumpIndirect(Temp),
    /// The instruction was a system call; after the kernel handles it the
    /// guest continues at `next_pc`.
    Syscall { next_pc: u64 },
    /// Raise a trap at the instruction at `pc`; it does not retire.
    Trap { kind: TrapKind, pc: u64 },
}

/// One micro-op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Start of a guest instruction.
    Insn {
        pc: u64,
        len: u8,
    },
    Const {
        dst: Temp,
        value: u64,
    },
    Get {
        dst: Temp,
        slot: Slot,
    },
    Set {
        slot: Slot,
        src: Temp,
    },
    Bin {
        op: BinOp,
        dst: Temp,
        a: Temp,
        b: Temp,
    },
    Un {
        op: UnOp,
        dst: Temp,
        src: Temp,
    },
    /// `dst = if cond != 0 { if_true } else { if_false }`.
    Select {
        dst: Temp,
        cond: Temp,
        if_true: Temp,
        if_false: Temp,
    },
    Load {
        dst: Temp,
        addr: Temp,
        width: Width,
        signed: bool,
        endian: Endian,
    },
    Store {
        addr: Temp,
        src: Temp,
        width: Width,
        endian: Endian,
    },
    Counter {
        dst: Temp,
        counter: Counter,
    },
    /// Forward branch inside the block when `cond != 0`.
    BranchIf {
        cond: Temp,
        target: Label,
    },
    /// Definition point of a label; must come after every branch to it.
    Label(Label),
    /// Leave the block when `cond != 0`; the current instruction retires.
    ExitIf {
        cond: Temp,
        exit: Exit,
    },
    /// Call instrumentation callback `id` of the plugin host (`plugin`) for
    /// the instruction at `pc`; with `mem`, for one memory access of it.
    /// Only the translation step inserts it, and only where a plugin asked,
    /// so blocks translated without plugins never contain it. It changes
    /// no guest state and retires nothing; when the callback requests a
    /// reset, the block leaves at the next instruction boundary.
    Hook {
        id: u32,
        pc: u64,
        mem: Option<MemHook>,
    },
    /// A floating-point operation (see [`float`]): `dst = op(a, b, c)`
    /// under the rounding mode numbered `rm` (a [`RoundingMode`]; a fixed
    /// mode is a constant), ORing the exception flags it raises into
    /// `flags`. Operands the op does not read are ignored.
    Fp {
        insn: FpInsn,
        dst: Temp,
        a: Temp,
        b: Temp,
        c: Temp,
        rm: Temp,
        flags: Slot,
    },
    /// A vector op on 64-bit chunks (see [`vector`]): `dst = op(a, b, c)`.
    /// Operands the op does not read are ignored.
    Vec {
        insn: VecInsn,
        dst: Temp,
        a: Temp,
        b: Temp,
        c: Temp,
    },
}

impl Op {
    /// The temporary this op writes, if any.
    pub fn temp_written(&self) -> Option<Temp> {
        match *self {
            Op::Const { dst, .. }
            | Op::Get { dst, .. }
            | Op::Counter { dst, .. }
            | Op::Bin { dst, .. }
            | Op::Un { dst, .. }
            | Op::Select { dst, .. }
            | Op::Load { dst, .. }
            | Op::Fp { dst, .. }
            | Op::Vec { dst, .. } => Some(dst),
            Op::Insn { .. }
            | Op::Set { .. }
            | Op::Store { .. }
            | Op::BranchIf { .. }
            | Op::Label(_)
            | Op::ExitIf { .. }
            | Op::Hook { .. } => None,
        }
    }

    /// The temporaries this op reads, at most five (the rest `None`).
    pub fn temps_read(&self) -> [Option<Temp>; 5] {
        let n = None;
        match *self {
            Op::Set { src, .. } | Op::Un { src, .. } => [Some(src), n, n, n, n],
            Op::Bin { a, b, .. } => [Some(a), Some(b), n, n, n],
            Op::Select { cond, if_true, if_false, .. } => {
                [Some(cond), Some(if_true), Some(if_false), n, n]
            }
            Op::Load { addr, .. } => [Some(addr), n, n, n, n],
            Op::Store { addr, src, .. } => [Some(addr), Some(src), n, n, n],
            Op::BranchIf { cond, .. } => [Some(cond), n, n, n, n],
            Op::ExitIf { cond, exit } => {
                let target = match exit {
                    Exit::JumpIndirect(t) => Some(t),
                    _ => None,
                };
                [Some(cond), target, n, n, n]
            }
            Op::Hook { mem: Some(m), .. } => [Some(m.addr), Some(m.value), n, n, n],
            Op::Fp { a, b, c, rm, .. } => [Some(a), Some(b), Some(c), Some(rm), n],
            Op::Vec { a, b, c, .. } => [Some(a), Some(b), Some(c), n, n],
            Op::Insn { .. }
            | Op::Const { .. }
            | Op::Get { .. }
            | Op::Counter { .. }
            | Op::Label(_)
            | Op::Hook { mem: None, .. } => [n; 5],
        }
    }
}

/// The arguments of a memory-access [`Op::Hook`]: everything the callback
/// sees travels with the op, so no callback state outlives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemHook {
    /// The accessed guest address.
    pub addr: Temp,
    /// The value loaded (after extension) or stored.
    pub value: Temp,
    pub width: Width,
    pub store: bool,
}

/// A translated run of guest instructions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    /// Guest pc of the first instruction.
    pub pc: u64,
    pub ops: Vec<Op>,
    pub exit: Exit,
    /// Number of temporaries used (`Temp(0..num_temps)`).
    pub num_temps: u32,
    /// Number of labels used (`Label(0..num_labels)`).
    pub num_labels: u32,
    /// Number of guest instructions (markers) in the block.
    pub insn_count: u32,
    /// Guest bytes covered: `pc..pc + byte_len`. May end on the next page
    /// only when the last instruction straddles a page boundary.
    pub byte_len: u32,
}

impl Block {
    /// First and last guest page (by page number) this block's bytes touch.
    /// The pc's state bits (a Thumb IT state, say) are no address: a block
    /// that starts inside an IT block lies on the page of its address.
    pub fn page_span(&self, page_shift: u32) -> (u64, u64) {
        let at = pc_address(self.pc);
        let first = at >> page_shift;
        let last = (at + self.byte_len.max(1) as u64 - 1) >> page_shift;
        (first, last)
    }
}

/// Evaluate a [`BinOp`]. Both engines use this definition: the interpreter
/// calls it directly and the JIT's lowering is tested against it.
// Always inlined: each interpreter step that combines values gets its own
// jump on `op`, which the host predicts far better than one shared call.
#[inline(always)]
pub fn eval_bin(op: BinOp, a: u64, b: u64) -> u64 {
    match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::MulHiU => ((a as u128 * b as u128) >> 64) as u64,
        BinOp::MulHiS => ((a as i64 as i128 * b as i64 as i128) >> 64) as u64,
        BinOp::MulHiSU => ((a as i64 as i128).wrapping_mul(b as i128) >> 64) as u64,
        BinOp::DivU => a.checked_div(b).unwrap_or(0),
        BinOp::RemU => a.checked_rem(b).unwrap_or(a),
        BinOp::DivS => {
            if b == 0 {
                0
            } else {
                (a as i64).wrapping_div(b as i64) as u64
            }
        }
        BinOp::RemS => {
            if b == 0 {
                a
            } else {
                (a as i64).wrapping_rem(b as i64) as u64
            }
        }
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => a << (b & 63),
        BinOp::ShrU => a >> (b & 63),
        BinOp::ShrS => ((a as i64) >> (b & 63)) as u64,
        BinOp::RotL => a.rotate_left((b & 63) as u32),
        BinOp::RotR => a.rotate_right((b & 63) as u32),
        BinOp::Eq => (a == b) as u64,
        BinOp::Ne => (a != b) as u64,
        BinOp::LtU => (a < b) as u64,
        BinOp::LtS => ((a as i64) < (b as i64)) as u64,
        BinOp::LeU => (a <= b) as u64,
        BinOp::LeS => ((a as i64) <= (b as i64)) as u64,
    }
}

/// Evaluate a [`UnOp`].
#[inline]
pub fn eval_un(op: UnOp, a: u64) -> u64 {
    match op {
        UnOp::Not => !a,
        UnOp::Neg => a.wrapping_neg(),
        UnOp::Clz => a.leading_zeros() as u64,
        UnOp::Ctz => a.trailing_zeros() as u64,
        UnOp::Popcnt => a.count_ones() as u64,
        UnOp::Bswap16 => (a as u16).swap_bytes() as u64,
        UnOp::Bswap32 => (a as u32).swap_bytes() as u64,
        UnOp::Bswap64 => a.swap_bytes(),
        UnOp::Sext8 => a as i8 as i64 as u64,
        UnOp::Sext16 => a as i16 as i64 as u64,
        UnOp::Sext32 => a as i32 as i64 as u64,
        UnOp::Zext8 => a as u8 as u64,
        UnOp::Zext16 => a as u16 as u64,
        UnOp::Zext32 => a as u32 as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ahead_slot_is_the_last_one() {
        assert_eq!(AHEAD.0 as usize, crate::cpu::NUM_SLOTS - 1);
    }

    #[test]
    fn division_is_total() {
        assert_eq!(eval_bin(BinOp::DivU, 7, 0), 0);
        assert_eq!(eval_bin(BinOp::RemU, 7, 0), 7);
        assert_eq!(eval_bin(BinOp::DivS, i64::MIN as u64, u64::MAX), i64::MIN as u64);
        assert_eq!(eval_bin(BinOp::RemS, i64::MIN as u64, u64::MAX), 0);
        assert_eq!(eval_bin(BinOp::DivS, (-7i64) as u64, 2), (-3i64) as u64);
        assert_eq!(eval_bin(BinOp::RemS, (-7i64) as u64, 2), (-1i64) as u64);
    }

    #[test]
    fn shifts_take_amount_mod_64() {
        assert_eq!(eval_bin(BinOp::Shl, 1, 64), 1);
        assert_eq!(eval_bin(BinOp::Shl, 1, 63), 1 << 63);
        assert_eq!(eval_bin(BinOp::ShrS, 1 << 63, 63), u64::MAX);
    }

    #[test]
    fn mulhi_variants() {
        assert_eq!(eval_bin(BinOp::MulHiU, u64::MAX, u64::MAX), u64::MAX - 1);
        assert_eq!(eval_bin(BinOp::MulHiS, u64::MAX, u64::MAX), 0);
        // -1 * (2^64 - 1) = -(2^64 - 1): high half is all ones.
        assert_eq!(eval_bin(BinOp::MulHiSU, u64::MAX, u64::MAX), u64::MAX);
    }
}

//! Arm condition codes (the same 4-bit field in A32, T32 and A64) right
//! after a compare: shared by the `arm` and `aarch64` lifters.
//!
//! A `cmp` and the conditional branch or select after it are the commonest
//! pair in Arm code. Computed from the flag slots, a condition such as
//! `hi` (C set and Z clear) is several dependent operations; on the flags
//! of a plain subtraction `a - b` it is one comparison of `a` and `b`,
//! which compiled code fuses with its branch. The lifters still write all
//! four flags (later blocks read them); only the condition's own value
//! takes the short path.
//!
//! The lifter remembers the subtraction from one instruction to the next
//! (see `compare_note`): each lifter forgets it wherever it writes the
//! flags otherwise, and does not remember a compare that may be skipped,
//! such as a conditional A32 instruction.

use super::compare_note::CompareNote;
use crate::ir::{BinOp, BlockBuilder, Temp, UnOp};

/// The operands of the subtraction `a - b` whose flags are the current
/// ones; zero-extended 32-bit values unless `wide` (A64's 64-bit forms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SubFlags {
    pub a: Temp,
    pub b: Temp,
    pub wide: bool,
}

impl SubFlags {
    /// Remember these as the flags' origin for the rest of the block.
    pub fn remember(self, bb: &mut BlockBuilder) {
        CompareNote { a: self.a, b: self.b, tag: u8::from(self.wide) }.remember(bb);
    }

    /// The flags were written some other way.
    pub fn forget(bb: &mut BlockBuilder) {
        CompareNote::forget(bb);
    }

    /// The remembered origin of the current flags, if any.
    pub fn recall(bb: &BlockBuilder) -> Option<SubFlags> {
        CompareNote::recall(bb).map(|n| SubFlags { a: n.a, b: n.b, wide: n.tag != 0 })
    }

    /// Condition `cond` as 0 or 1, as one comparison of the operands;
    /// `None` for those that look at the result's sign or overflow alone
    /// (`mi`, `pl`, `vs`, `vc`) and for `al`/`nv`, which the lifter
    /// evaluates from the flags.
    pub fn cond(self, bb: &mut BlockBuilder, cond: u32) -> Option<Temp> {
        // The comparison, whether it takes `b, a` (swapped), whether it is
        // signed.
        let (op, swap, signed) = match (cond >> 1, cond & 1 == 0) {
            (0, true) => (BinOp::Eq, false, false),   // eq
            (0, false) => (BinOp::Ne, false, false),  // ne
            (1, true) => (BinOp::LeU, true, false),   // cs: no borrow, b <= a
            (1, false) => (BinOp::LtU, false, false), // cc
            (4, true) => (BinOp::LtU, true, false),   // hi: C and not Z, b < a
            (4, false) => (BinOp::LeU, false, false), // ls
            (5, true) => (BinOp::LeS, true, true),    // ge: N == V, b <= a
            (5, false) => (BinOp::LtS, false, true),  // lt
            (6, true) => (BinOp::LtS, true, true),    // gt: not Z and N == V, b < a
            (6, false) => (BinOp::LeS, false, true),  // le
            _ => return None,
        };
        let (a, b) = if signed && !self.wide {
            (bb.un(UnOp::Sext32, self.a), bb.un(UnOp::Sext32, self.b))
        } else {
            (self.a, self.b)
        };
        Some(if swap { bb.bin(op, b, a) } else { bb.bin(op, a, b) })
    }
}

/// Whether condition `cond` holds on the flags of `a - b` (32 bits unless
/// `wide`), from the Arm ARM's definitions of N, Z, C, V and of the
/// conditions: the reference the tests below check the lifters against.
#[cfg(test)]
fn holds_after_compare(wide: bool, a: u64, b: u64, cond: u32) -> bool {
    let (n, z, c, v) = if wide {
        let r = a.wrapping_sub(b);
        (r >> 63 == 1, r == 0, a >= b, ((a ^ b) & (a ^ r)) >> 63 == 1)
    } else {
        let (a, b) = (a as u32, b as u32);
        let r = a.wrapping_sub(b);
        (r >> 31 == 1, r == 0, a >= b, ((a ^ b) & (a ^ r)) >> 31 == 1)
    };
    let base = match cond >> 1 {
        0 => z,
        1 => c,
        2 => n,
        3 => v,
        4 => c && !z,
        5 => n == v,
        6 => !z && n == v,
        _ => return true,
    };
    base != (cond & 1 == 1)
}

/// Edge operands: around zero and both sign boundaries, of 32 and of 64
/// bits.
#[cfg(test)]
const EDGE_OPERANDS: [u64; 12] = [
    0,
    1,
    2,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0xffff_ffff_8000_0000,
    i64::MAX as u64,
    1 << 63,
    u64::MAX - 1,
    u64::MAX,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::engine::EngineKind;
    use crate::testing::Harness;

    /// Run the two instructions `code` (little-endian words) at 0x1000 from
    /// `r0/x0 = 0`, the compared operands in register 1 and 2; returns
    /// (register 0, pc) after both retired.
    fn run(
        arch: Arch,
        kind: EngineKind,
        code: [u32; 2],
        regs: [&str; 3],
        a: u64,
        b: u64,
    ) -> (u64, u64) {
        let mut h = Harness::with_block_limit(arch, 0, kind, 2);
        let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
        h.map_code(0x1000, &bytes);
        h.set_reg(regs[0], 0);
        h.set_reg(regs[1], a);
        h.set_reg(regs[2], b);
        h.step(2);
        (h.reg(regs[0]), h.pc())
    }

    #[test]
    fn aarch64_conditions_after_a_compare_hold_as_on_the_flags() {
        // `cmp x1, x2` (or `w1, w2`), then every condition as
        // `csinc x0, xzr, xzr, cond` (x0 = 0 when it holds, else 1) and as
        // `b.cond .+8`, under both engines.
        for kind in [EngineKind::Interp, EngineKind::Jit] {
            for wide in [true, false] {
                let cmp: u32 = if wide { 0xeb02_003f } else { 0x6b02_003f };
                for cond in 0..16u32 {
                    for (a, b) in EDGE_OPERANDS.iter().flat_map(|&a| EDGE_OPERANDS.map(|b| (a, b)))
                    {
                        let want = holds_after_compare(wide, a, b, cond);
                        let what = format!("{kind:?} wide={wide} cond={cond} a={a:#x} b={b:#x}");
                        let regs = ["x0", "x1", "x2"];
                        let (x0, _) =
                            run(Arch::Aarch64, kind, [cmp, 0x9a9f_07e0 | cond << 12], regs, a, b);
                        assert_eq!(x0, u64::from(!want), "csinc: {what}");
                        let (_, pc) =
                            run(Arch::Aarch64, kind, [cmp, 0x5400_0040 | cond], regs, a, b);
                        assert_eq!(pc, if want { 0x100c } else { 0x1008 }, "b.cond: {what}");
                    }
                }
            }
        }
    }

    #[test]
    fn armel_conditions_after_a_compare_hold_as_on_the_flags() {
        // `cmp r1, r2`, then every condition as `mov<cond> r0, #1` and as
        // `b<cond> .+8`, under both engines; registers hold 32 bits.
        for kind in [EngineKind::Interp, EngineKind::Jit] {
            for cond in 0..15u32 {
                let ops = EDGE_OPERANDS.map(|v| v & 0xffff_ffff);
                for (a, b) in ops.iter().flat_map(|&a| ops.map(|b| (a, b))) {
                    let want = holds_after_compare(false, a, b, cond);
                    let what = format!("{kind:?} cond={cond} a={a:#x} b={b:#x}");
                    let regs = ["r0", "r1", "r2"];
                    let cmp = 0xe151_0002;
                    let (r0, _) =
                        run(Arch::Armel, kind, [cmp, cond << 28 | 0x03a0_0001], regs, a, b);
                    assert_eq!(r0, u64::from(want), "mov<cond>: {what}");
                    let (_, pc) =
                        run(Arch::Armel, kind, [cmp, cond << 28 | 0x0a00_0000], regs, a, b);
                    assert_eq!(pc, if want { 0x100c } else { 0x1008 }, "b<cond>: {what}");
                }
            }
        }
    }
}

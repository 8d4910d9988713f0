//! powerpc64 FPU lifter: f0–f31 and `FPSCR`.
//!
//! Called by `lift` for every instruction `decode` marks as FPU
//! ([`Opcode::is_fpu`]). The arithmetic is the IR's float ops with the
//! powerpc rules ([`RULES`]): IEEE NaN encoding, the first NaN operand in
//! the ISA's order (A, B, C for the multiply-adds), tininess before
//! rounding. What this module adds is the `FPSCR` bookkeeping, following
//! QEMU (the reference the tests compare with):
//! - each arithmetic op sets the sticky bits OX, UX, ZX, XX and VX of what
//!   it raised, with FX; an invalid operation also sets the `VX*` bit
//!   naming its cause (VXSNAN, VXISI, VXIDI, VXZDZ, VXIMZ, VXSQRT, VXVC,
//!   VXCVI), worked out from the operands;
//! - FI is the inexact flag of the last op; FR is cleared by divide by
//!   zero and by invalid operations with a cause other than a signaling
//!   operand, and otherwise left alone (QEMU never sets it);
//! - FPRF gets the class of an arithmetic result, FPCC the outcome of a
//!   compare; VX and FEX are kept as the summaries of their fields;
//! - the `.` forms copy FX, FEX, VX and OX into CR1.
//!
//! The usual arithmetic op raises nothing or only inexact and gives a
//! normal number or a zero; with `XE` clear its `FPSCR` update is a fixed
//! short sequence, which runs inline, and everything else branches to the
//! whole bookkeeping ([`FpLifter::commit`]).
//!
//! Where QEMU departs from the Power ISA the ISA wins: `fcfidu`, `fcfids`
//! and `fcfidus` set FPRF (QEMU 7.2 leaves it).
//!
//! Enabled exceptions follow the ISA: an invalid operation with `VE` or a
//! divide by zero with `ZE` leaves frT and FPRF alone; an instruction
//! that raised an enabled exception (its own flags, not older sticky
//! bits) traps with SIGFPE at its address once the process asked for FP
//! exceptions with `prctl(PR_SET_FPEXC)` (the `FE_MODE` slot, `MSR[FE0,
//! FE1]`), after writing frT in the other cases, as QEMU does. The
//! overflow and underflow results with `OE`/`UE` are the default results
//! (QEMU's), not the ISA's exponent-adjusted ones. `mtfsf`, `mtfsfi` and
//! `mtfsb1` trap after their write when they set FEX (an enable over a
//! set exception bit, or the reverse).
//!
//! `FPSCR.NI` (non-IEEE mode) flushes subnormal results to zeros of their
//! sign, raising underflow and inexact, as POWER cores do in that mode
//! (the ISA leaves the mode's details to the implementation; QEMU 7.2
//! ignores the bit). Single-precision
//! arithmetic rounds operands to single first, which is exact for the
//! single-precision operands compilers give it.

use super::decode::{FpBinOp, FpMoveOp, FpRoundOp, Insn, Opcode};
use super::lift::set_cr_field;
use super::regs;
use crate::ir::float::{
    FLUSH_RESULTS, FpFormat, FpInsn, FpOp, FpRules, IntNan, NanEncoding, NanPropagation,
    RoundingMode, Tininess, flags,
};
use crate::ir::{BinOp, BlockBuilder, Endian, Exit, Temp, TrapKind, UnOp, Width};

/// powerpc's floating-point conventions.
pub const RULES: FpRules = FpRules {
    nan: NanPropagation::FirstOperand,
    encoding: NanEncoding::Ieee2008,
    tininess: Tininess::BeforeRounding,
};

/// `AT_HWCAP` for powerpc64: `PPC_FEATURE_32 | PPC_FEATURE_64 |
/// PPC_FEATURE_HAS_FPU | PPC_FEATURE_HAS_MMU`; no AltiVec, no VSX.
pub const HWCAP: u64 = 0x8000_0000 | 0x4000_0000 | 0x0800_0000 | 0x0400_0000;

/// `FPSCR` bits (bit 31 is IBM bit 32).
pub mod fpscr {
    pub const FX: u64 = 1 << 31;
    pub const FEX: u64 = 1 << 30;
    pub const VX: u64 = 1 << 29;
    pub const OX: u64 = 1 << 28;
    pub const UX: u64 = 1 << 27;
    pub const ZX: u64 = 1 << 26;
    pub const XX: u64 = 1 << 25;
    pub const VXSNAN: u64 = 1 << 24;
    pub const VXISI: u64 = 1 << 23;
    pub const VXIDI: u64 = 1 << 22;
    pub const VXZDZ: u64 = 1 << 21;
    pub const VXIMZ: u64 = 1 << 20;
    pub const VXVC: u64 = 1 << 19;
    pub const FR: u64 = 1 << 18;
    pub const FI: u64 = 1 << 17;
    pub const FPRF_SHIFT: u64 = 12;
    pub const FPRF: u64 = 0x1f << FPRF_SHIFT;
    pub const FPCC: u64 = 0xf << FPRF_SHIFT;
    pub const VXSOFT: u64 = 1 << 10;
    pub const VXSQRT: u64 = 1 << 9;
    pub const VXCVI: u64 = 1 << 8;
    pub const VE: u64 = 1 << 7;
    pub const OE: u64 = 1 << 6;
    pub const UE: u64 = 1 << 5;
    pub const ZE: u64 = 1 << 4;
    pub const XE: u64 = 1 << 3;
    /// Non-IEEE mode: subnormal results become zeros.
    pub const NI: u64 = 1 << 2;
    /// Every `VX*` cause bit.
    pub const VX_ALL: u64 = VXSNAN | VXISI | VXIDI | VXZDZ | VXIMZ | VXVC | VXSOFT | VXSQRT | VXCVI;
    /// Bits `mtfsf` and friends may not set directly (summaries and the
    /// reserved IBM bit 52).
    pub const COMPUTED: u64 = FEX | VX | (1 << 11);

    /// A value written to `FPSCR` whole (`rt_sigreturn`), with VX and FEX
    /// made the summaries of their fields, as `store_fpscr` does in IR.
    pub const fn normalized(v: u64) -> u64 {
        let v = v & !(VX | FEX) & 0xffff_ffff;
        let v = if v & VX_ALL != 0 { v | VX } else { v };
        // Exception bits XX..VX (25-29) against enables XE..VE (3-7).
        if (v >> 25) & (v >> 3) & 0x1f != 0 { v | FEX } else { v }
    }
}

const SIGN: u64 = 1 << 63;
const EXP: u64 = 0x7ff0_0000_0000_0000;
const QUIET: u64 = 1 << 51;

/// Lifts one FP instruction.
pub struct FpLifter<'a> {
    pub b: &'a mut BlockBuilder,
    /// The instruction's address, where an enabled exception traps.
    pub pc: u64,
}

impl FpLifter<'_> {
    fn fpr(&mut self, n: u8) -> Temp {
        self.b.get(regs::f(n as u32))
    }

    fn set_fpr(&mut self, n: u8, v: Temp) {
        self.b.set(regs::f(n as u32), v);
    }

    fn gpr_or_zero(&mut self, r: u8) -> Temp {
        if r == 0 { self.b.konst(0) } else { self.b.get(regs::r(r as u32)) }
    }

    fn ea(&mut self, i: &Insn, indexed: bool, update: bool) -> Temp {
        let base = if update { self.b.get(regs::r(i.ra as u32)) } else { self.gpr_or_zero(i.ra) };
        if indexed {
            let index = self.b.get(regs::r(i.rb as u32));
            self.b.add(base, index)
        } else if i.imm == 0 {
            base
        } else {
            self.b.addi(base, i.imm as u64)
        }
    }

    /// `FPSCR.RN` as an IR rounding mode (powerpc orders them nearest,
    /// zero, +inf, -inf; the IR nearest, zero, down, up), with
    /// [`FLUSH_RESULTS`] when `FPSCR.NI` is set.
    fn rounding(&mut self) -> Temp {
        let f = self.b.get(regs::FPSCR);
        let rn = self.b.andi(f, 3);
        let half = self.b.bini(BinOp::ShrU, rn, 1);
        let rm = self.b.bin(BinOp::Xor, rn, half);
        // NI is bit 2; FLUSH_RESULTS bit 4.
        let ni = self.b.andi(f, fpscr::NI);
        let ni = self.b.bini(BinOp::Shl, ni, FLUSH_RESULTS.trailing_zeros() as u64 - 2);
        self.b.bin(BinOp::Or, rm, ni)
    }

    fn op(&mut self, op: FpOp, fmt: FpFormat, a: Temp, b: Temp, c: Temp, rm: Temp) -> Temp {
        self.b.fp(FpInsn { op, fmt, rules: RULES }, a, b, c, rm, regs::FP_EXC)
    }

    /// Convert without touching `FPSCR` (flags go to the discard slot).
    fn quiet_op(&mut self, op: FpOp, fmt: FpFormat, a: Temp, rm: Temp) -> Temp {
        self.b.fp(FpInsn { op, fmt, rules: RULES }, a, a, a, rm, regs::FP_DISCARD)
    }

    // ---- Classification of f64 bits with integer ops. ----

    fn abs(&mut self, v: Temp) -> Temp {
        self.b.andi(v, !SIGN)
    }
    fn is_nan(&mut self, v: Temp) -> Temp {
        let a = self.abs(v);
        let inf = self.b.konst(EXP);
        self.b.bin(BinOp::LtU, inf, a)
    }
    fn is_snan(&mut self, v: Temp) -> Temp {
        let nan = self.is_nan(v);
        let q = self.b.andi(v, QUIET);
        let quiet = self.b.bini(BinOp::Eq, q, 0);
        self.b.and(nan, quiet)
    }
    fn is_inf(&mut self, v: Temp) -> Temp {
        let a = self.abs(v);
        self.b.bini(BinOp::Eq, a, EXP)
    }
    fn is_zero(&mut self, v: Temp) -> Temp {
        let a = self.abs(v);
        self.b.bini(BinOp::Eq, a, 0)
    }
    fn sign_of(&mut self, v: Temp) -> Temp {
        self.b.bini(BinOp::ShrU, v, 63)
    }
    fn or(&mut self, a: Temp, c: Temp) -> Temp {
        self.b.bin(BinOp::Or, a, c)
    }
    fn bit_if(&mut self, cond: Temp, bit: u64) -> Temp {
        let one = self.b.konst(bit);
        let zero = self.b.konst(0);
        self.b.select(cond, one, zero)
    }

    /// The FPRF code of result `v`: class and sign.
    fn fprf(&mut self, v: Temp) -> Temp {
        let neg = self.sign_of(v);
        let abs = self.abs(v);
        let k = |b: &mut BlockBuilder, p: u64, n: u64| {
            let p = b.konst(p);
            let n = b.konst(n);
            b.select(neg, n, p)
        };
        let normal = k(self.b, 0x04, 0x08);
        let denormal = k(self.b, 0x14, 0x18);
        let zero = k(self.b, 0x02, 0x12);
        let inf = k(self.b, 0x05, 0x09);
        let qnan = self.b.konst(0x11);
        let exp = self.b.bini(BinOp::ShrU, abs, 52);
        let is_den = self.b.bini(BinOp::Eq, exp, 0);
        let r = self.b.select(is_den, denormal, normal);
        let z = self.b.bini(BinOp::Eq, abs, 0);
        let r = self.b.select(z, zero, r);
        let i = self.b.bini(BinOp::Eq, abs, EXP);
        let r = self.b.select(i, inf, r);
        let n = self.is_nan(v);
        self.b.select(n, qnan, r)
    }

    fn begin(&mut self) {
        self.b.set_const(regs::FP_EXC, 0);
    }

    /// Fold the op's flags (in `FP_EXC`) and the invalid causes `vx`
    /// (already `FPSCR` bits, counted only when invalid was raised) into
    /// `FPSCR`; `result` sets FPRF when given.
    fn finish(&mut self, vx: Option<Temp>, result: Option<Temp>) {
        let exc = self.b.get(regs::FP_EXC);
        let old = self.b.get(regs::FPSCR);
        // IR flags I U O Z V (bits 0-4) → XX UX OX ZX VX.
        let xx = self.b.andi(exc, flags::INEXACT);
        let xx = self.b.bini(BinOp::Shl, xx, 25);
        let u = self.b.andi(exc, flags::UNDERFLOW);
        let u = self.b.bini(BinOp::Shl, u, 26);
        let o = self.b.andi(exc, flags::OVERFLOW);
        let o = self.b.bini(BinOp::Shl, o, 26);
        let z = self.b.andi(exc, flags::DIV_BY_ZERO);
        let z = self.b.bini(BinOp::Shl, z, 23);
        let inv = self.b.andi(exc, flags::INVALID);
        let sticky = self.or(xx, u);
        let sticky = self.or(sticky, o);
        let sticky = self.or(sticky, z);
        let sticky = match vx {
            Some(vx) => {
                let none = self.b.konst(0);
                let vx = self.b.select(inv, vx, none);
                self.or(sticky, vx)
            }
            None => sticky,
        };
        let any = self.b.bini(BinOp::Ne, sticky, 0);
        let fx = self.bit_if(any, fpscr::FX);
        let sticky = self.or(sticky, fx);
        // FI = inexact; FR cleared by invalid or divide by zero.
        let fi = self.b.andi(exc, flags::INEXACT);
        let fi = self.b.bini(BinOp::Shl, fi, 17);
        // FR is cleared by divide by zero and by the invalid operations
        // that have a cause of their own (not a signaling operand or an
        // ordered compare alone), as QEMU does.
        let dz = self.b.andi(exc, flags::DIV_BY_ZERO);
        let iz = match vx {
            Some(vx) => {
                let own = self.b.andi(vx, !(fpscr::VXSNAN | fpscr::VXVC));
                let own = self.b.bini(BinOp::Ne, own, 0);
                let inv_bit = self.b.bini(BinOp::Ne, inv, 0);
                let own = self.b.and(own, inv_bit);
                self.or(own, dz)
            }
            None => dz,
        };
        let iz = self.b.bini(BinOp::Ne, iz, 0);
        let fr_keep = self.b.andi(old, fpscr::FR);
        let none = self.b.konst(0);
        let fr = self.b.select(iz, none, fr_keep);
        let mut keep = !(fpscr::FI | fpscr::FR);
        if result.is_some() {
            keep &= !fpscr::FPRF;
        }
        let kept = self.b.andi(old, keep);
        let mut v = self.or(kept, sticky);
        v = self.or(v, fi);
        v = self.or(v, fr);
        if let Some(r) = result {
            let code = self.fprf(r);
            let code = self.b.bini(BinOp::Shl, code, fpscr::FPRF_SHIFT);
            let en = self.enabled_flags();
            let blocked = self.blocked(en);
            let old_fprf = self.b.andi(old, fpscr::FPRF);
            let code = self.b.select(blocked, old_fprf, code);
            v = self.or(v, code);
        }
        self.store_fpscr(v);
    }

    /// Write `FPSCR` with VX and FEX recomputed as the summaries of their
    /// fields.
    fn store_fpscr(&mut self, v: Temp) {
        let v = self.b.andi(v, !(fpscr::VX | fpscr::FEX) & 0xffff_ffff);
        let vxs = self.b.andi(v, fpscr::VX_ALL);
        let any_vx = self.b.bini(BinOp::Ne, vxs, 0);
        let vx = self.bit_if(any_vx, fpscr::VX);
        let v = self.or(v, vx);
        // Exception bits XX..VX (25-29) against enables XE..VE (3-7).
        let exc = self.b.bini(BinOp::ShrU, v, 25);
        let en = self.b.bini(BinOp::ShrU, v, 3);
        let both = self.b.and(exc, en);
        let both = self.b.andi(both, 0x1f);
        let any = self.b.bini(BinOp::Ne, both, 0);
        let fex = self.bit_if(any, fpscr::FEX);
        let v = self.or(v, fex);
        self.b.set(regs::FPSCR, v);
    }

    /// The exceptions (IR flags) of the op being lifted whose `FPSCR`
    /// enable bit is set.
    fn enabled_flags(&mut self) -> Temp {
        let f = self.b.get(regs::FPSCR);
        // VE OE UE ZE XE (bits 7-3) to the IR's V O U Z I.
        let mut en = self.b.konst(0);
        for (bit, flag) in [
            (fpscr::VE, flags::INVALID),
            (fpscr::OE, flags::OVERFLOW),
            (fpscr::UE, flags::UNDERFLOW),
            (fpscr::ZE, flags::DIV_BY_ZERO),
            (fpscr::XE, flags::INEXACT),
        ] {
            let on = self.b.andi(f, bit);
            let on = self.b.bini(BinOp::Ne, on, 0);
            let v = self.bit_if(on, flag);
            en = self.or(en, v);
        }
        let exc = self.b.get(regs::FP_EXC);
        self.b.and(exc, en)
    }

    /// An enabled invalid operation or divide by zero leaves the target
    /// register (and FPRF) alone.
    fn blocked(&mut self, enabled: Temp) -> Temp {
        let b = self.b.andi(enabled, flags::INVALID | flags::DIV_BY_ZERO);
        self.b.bini(BinOp::Ne, b, 0)
    }

    /// SIGFPE at this instruction when it raised an enabled exception and
    /// the process asked for FP exceptions (`prctl(PR_SET_FPEXC)`).
    fn trap_if(&mut self, enabled: Temp) {
        let mode = self.b.get(regs::FE_MODE);
        let on = self.b.bini(BinOp::Ne, mode, 0);
        let any = self.b.bini(BinOp::Ne, enabled, 0);
        let fire = self.b.and(on, any);
        self.b.exit_if(fire, Exit::Trap { kind: TrapKind::FpException, pc: self.pc });
    }

    /// SIGFPE at this instruction when it set FEX (an exception bit and
    /// its enable both set, FEX clear in `before`) and the process asked
    /// for FP exceptions: `mtfsf`, `mtfsfi` and `mtfsb1` that enable an
    /// exception whose bit is set, or set the bit of an enabled one,
    /// trap as the ISA says, after their `FPSCR` write.
    fn trap_if_fex_rose(&mut self, before: Temp) {
        let after = self.b.get(regs::FPSCR);
        let was = self.b.bini(BinOp::Xor, before, fpscr::FEX);
        let rose = self.b.and(after, was);
        let rose = self.b.andi(rose, fpscr::FEX);
        self.trap_if(rose);
    }

    /// Write an arithmetic result `v` to frT (unless an enabled invalid
    /// operation or divide by zero blocks it), trap on an enabled
    /// exception, then CR1 for a `.` form.
    fn result(&mut self, i: &Insn, v: Temp) {
        self.write_result(i, v);
        self.record(i.rc);
    }

    /// [`result`](Self::result) but CR1.
    fn write_result(&mut self, i: &Insn, v: Temp) {
        let en = self.enabled_flags();
        let blocked = self.blocked(en);
        let old = self.fpr(i.rt);
        let v = self.b.select(blocked, old, v);
        self.set_fpr(i.rt, v);
        self.trap_if(en);
    }

    /// [`finish`](Self::finish) with FPRF from `v`, then
    /// [`result`](Self::result), for an arithmetic op whose flags are in
    /// `FP_EXC`; `causes` emits its invalid causes (see `finish`).
    ///
    /// Most ops raise nothing or only inexact and give a normal number or
    /// a zero. With `XE` clear too, all that does to `FPSCR` is fixed: XX,
    /// FX and FI when inexact, FI cleared otherwise, FPRF from the sign
    /// and zeroness of `v`, VX and FEX the summaries of the fields they
    /// had (no new cause, no enabled exception, so no trap, and frT is
    /// written); FR stays. That short path runs inline; every other case
    /// branches to the whole bookkeeping, emitted after it.
    fn commit(&mut self, i: &Insn, v: Temp, causes: impl FnOnce(&mut Self) -> Option<Temp>) {
        let exc = self.b.get(regs::FP_EXC);
        let f = self.b.get(regs::FPSCR);
        let slow = self.b.label();
        let done = self.b.label();
        // Normal: an exponent field in 1..=0x7fe.
        let e = self.b.bini(BinOp::ShrU, v, 52);
        let e = self.b.andi(e, 0x7ff);
        let e1 = self.b.addi(e, u64::MAX);
        let normal = self.b.bini(BinOp::LtU, e1, 0x7fe);
        let zero = self.is_zero(v);
        let plain = self.or(normal, zero);
        let odd = self.b.bini(BinOp::Xor, plain, 1);
        let other = self.b.andi(exc, !flags::INEXACT);
        let odd = self.or(odd, other);
        let xe = self.b.andi(f, fpscr::XE);
        let odd = self.or(odd, xe);
        self.b.branch_if(odd, slow);

        // FPRF: ±normal 0x04/0x08 (4 << sign), ±zero 0x02/0x12.
        let neg = self.sign_of(v);
        let four = self.b.konst(4);
        let normal_code = self.b.bin(BinOp::Shl, four, neg);
        let zero_code = self.b.bini(BinOp::Shl, neg, 4);
        let zero_code = self.b.bini(BinOp::Or, zero_code, 2);
        let code = self.b.select(zero, zero_code, normal_code);
        let code = self.b.bini(BinOp::Shl, code, fpscr::FPRF_SHIFT);
        // `exc` is INEXACT (1) or 0 here.
        let raised = self.b.bini(BinOp::Mul, exc, fpscr::XX | fpscr::FX | fpscr::FI);
        // VX and FEX the summaries `store_fpscr` makes them (XE is clear,
        // so the new XX plays no part in FEX).
        let kept = self.b.andi(f, !(fpscr::FI | fpscr::FPRF));
        let n = self.or(kept, raised);
        let n = self.or(n, code);
        self.store_fpscr(n);
        self.set_fpr(i.rt, v);
        let always = self.b.konst(1);
        self.b.branch_if(always, done);

        self.b.place(slow);
        let vx = causes(self);
        self.finish(vx, Some(v));
        self.write_result(i, v);
        self.b.place(done);
        self.record(i.rc);
    }

    /// CR1 of a `.` form: FX, FEX, VX, OX.
    fn record(&mut self, rc: bool) {
        if rc {
            let f = self.b.get(regs::FPSCR);
            let v = self.b.bini(BinOp::ShrU, f, 28);
            set_cr_field(self.b, 1, v);
        }
    }

    /// A NaN operand's own invalid cause: VXSNAN if any of `ops` is
    /// signaling.
    fn vxsnan(&mut self, ops: &[Temp]) -> Temp {
        let mut any = self.b.konst(0);
        for &o in ops {
            let s = self.is_snan(o);
            any = self.or(any, s);
        }
        self.bit_if(any, fpscr::VXSNAN)
    }

    /// `cause` if `cond`, else `otherwise`.
    fn pick(&mut self, cond: Temp, cause: u64, otherwise: Temp) -> Temp {
        let c = self.b.konst(cause);
        self.b.select(cond, c, otherwise)
    }

    /// inf − inf in an addition of `a` and `c` (`c` negated for `sub`).
    fn isi(&mut self, a: Temp, c: Temp, sub: bool) -> Temp {
        let ia = self.is_inf(a);
        let ic = self.is_inf(c);
        let both = self.b.and(ia, ic);
        let sa = self.sign_of(a);
        let sc = self.sign_of(c);
        let differ = self.b.bin(BinOp::Xor, sa, sc);
        let differ = if sub { self.b.bini(BinOp::Xor, differ, 1) } else { differ };
        self.b.and(both, differ)
    }

    /// inf × 0 in either order.
    fn imz(&mut self, a: Temp, c: Temp) -> Temp {
        let ia = self.is_inf(a);
        let zc = self.is_zero(c);
        let za = self.is_zero(a);
        let ic = self.is_inf(c);
        let x = self.b.and(ia, zc);
        let y = self.b.and(za, ic);
        self.or(x, y)
    }

    // ---- Single precision: the ISA's exact SINGLE/DOUBLE bit moves. ----

    /// The single-precision bits of double `v`, without rounding (the
    /// ISA's SINGLE, as `stfs` stores it).
    fn narrow_to_single(&mut self, v: Temp) -> Temp {
        let exp = self.b.bini(BinOp::ShrU, v, 52);
        let exp = self.b.andi(exp, 0x7ff);
        // Exponent above 896: sign and top exponent bits, and the
        // fraction's top bits.
        let top = self.b.bini(BinOp::ShrU, v, 62);
        let top = self.b.bini(BinOp::Shl, top, 30);
        let low = self.b.bini(BinOp::ShrU, v, 29);
        let low = self.b.andi(low, 0x3fff_ffff);
        let big = self.or(top, low);
        // Otherwise a denormal (or zero) single.
        let sign = self.b.bini(BinOp::ShrU, v, 63);
        let sign = self.b.bini(BinOp::Shl, sign, 31);
        let mant = self.b.andi(v, (1 << 52) - 1);
        let mant = self.b.bini(BinOp::Or, mant, 1 << 52);
        let k926 = self.b.konst(926);
        let sh = self.b.bin(BinOp::Sub, k926, exp);
        let sh = self.b.andi(sh, 63);
        let den = self.b.bin(BinOp::ShrU, mant, sh);
        let in_range = self.b.bini(BinOp::LtU, exp, 874);
        let in_range = self.b.bini(BinOp::Xor, in_range, 1);
        let none = self.b.konst(0);
        let den = self.b.select(in_range, den, none);
        let small = self.or(sign, den);
        let is_big = self.b.bini(BinOp::LeU, exp, 896);
        let is_big = self.b.bini(BinOp::Xor, is_big, 1);
        self.b.select(is_big, big, small)
    }

    /// The double of single bits `s`, exactly (the ISA's DOUBLE, as `lfs`
    /// loads it): NaNs keep their payload and signaling state.
    fn widen_single(&mut self, s: Temp) -> Temp {
        let abs = self.b.andi(s, 0x7fff_ffff);
        let sign = self.b.bini(BinOp::ShrU, s, 31);
        let sign = self.b.bini(BinOp::Shl, sign, 63);
        // Normal, infinite or NaN.
        let top = self.b.bini(BinOp::ShrU, s, 30);
        let top = self.b.andi(top, 3);
        let top = self.b.bini(BinOp::Shl, top, 62);
        let e1 = self.b.bini(BinOp::ShrU, s, 30);
        let e1 = self.b.andi(e1, 1);
        let e1 = self.b.bini(BinOp::Xor, e1, 1);
        let e1 = self.b.bini(BinOp::Mul, e1, 7);
        let e1 = self.b.bini(BinOp::Shl, e1, 59);
        let frac = self.b.andi(s, 0x3fff_ffff);
        let frac = self.b.bini(BinOp::Shl, frac, 29);
        let big = self.or(top, e1);
        let big = self.or(big, frac);
        // Infinities and NaNs: all-ones exponent, the fraction kept.
        let frac23 = self.b.andi(s, 0x007f_ffff);
        let frac23 = self.b.bini(BinOp::Shl, frac23, 29);
        let special = self.b.bini(BinOp::Or, frac23, EXP);
        let special = self.or(special, sign);
        let finite_max = self.b.konst(0x7f7f_ffff);
        let is_special = self.b.bin(BinOp::LtU, finite_max, abs);
        let big = self.b.select(is_special, special, big);
        // Denormal: leading bit at p gives exponent p + 874.
        let lz = self.b.un(UnOp::Clz, abs);
        let k63 = self.b.konst(63);
        let p = self.b.bin(BinOp::Sub, k63, lz);
        let p = self.b.andi(p, 63);
        let exp = self.b.bini(BinOp::Add, p, 874);
        let exp = self.b.bini(BinOp::Shl, exp, 52);
        let k52 = self.b.konst(52);
        let sh = self.b.bin(BinOp::Sub, k52, p);
        let sh = self.b.andi(sh, 63);
        let mant = self.b.bin(BinOp::Shl, abs, sh);
        let mant = self.b.andi(mant, (1 << 52) - 1);
        let den = self.or(exp, mant);
        let zero = self.b.konst(0);
        let is_zero = self.b.bini(BinOp::Eq, abs, 0);
        let den = self.b.select(is_zero, zero, den);
        let small = self.or(sign, den);
        let is_big = self.b.bini(BinOp::LtU, abs, 0x0080_0000);
        let is_big = self.b.bini(BinOp::Xor, is_big, 1);
        let big = self.or(big, zero);
        self.b.select(is_big, big, small)
    }

    /// Operand `v` of a single-precision op, in f32 bits.
    fn single(&mut self, v: Temp) -> Temp {
        self.narrow_to_single(v)
    }

    pub fn lift(&mut self, i: &Insn) {
        match i.opcode {
            Opcode::FpLoad { single, update, indexed } => {
                let ea = self.ea(i, indexed, update);
                let v = if single {
                    let s = self.b.load(ea, Width::W32, false, Endian::Big);
                    self.widen_single(s)
                } else {
                    self.b.load(ea, Width::W64, false, Endian::Big)
                };
                self.set_fpr(i.rt, v);
                if update {
                    self.b.set(regs::r(i.ra as u32), ea);
                }
            }
            Opcode::FpStore { single, update, indexed } => {
                let ea = self.ea(i, indexed, update);
                let v = self.fpr(i.rt);
                if single {
                    let s = self.narrow_to_single(v);
                    self.b.store(ea, s, Width::W32, Endian::Big);
                } else {
                    self.b.store(ea, v, Width::W64, Endian::Big);
                }
                if update {
                    self.b.set(regs::r(i.ra as u32), ea);
                }
            }
            Opcode::Stfiwx => {
                let ea = self.ea(i, true, false);
                let v = self.fpr(i.rt);
                self.b.store(ea, v, Width::W32, Endian::Big);
            }
            Opcode::Lfiw { signed } => {
                let ea = self.ea(i, true, false);
                let v = self.b.load(ea, Width::W32, signed, Endian::Big);
                self.set_fpr(i.rt, v);
            }
            Opcode::FpArith { op, single } => self.arith(i, op, single),
            Opcode::FpSqrt { single } => {
                let a = self.fpr(i.rb);
                let rm = self.rounding();
                self.begin();
                let v = if single {
                    let s = self.single(a);
                    let r = self.op(FpOp::Sqrt, FpFormat::F32, s, s, s, rm);
                    self.widen_single(r)
                } else {
                    self.op(FpOp::Sqrt, FpFormat::F64, a, a, a, rm)
                };
                self.commit(i, v, |l| Some(l.sqrt_causes(a)));
            }
            Opcode::FpEstimate { sqrt, single } => self.estimate(i, sqrt, single),
            Opcode::FpMadd { sub, neg, single } => self.madd(i, sub, neg, single),
            Opcode::Fsel => {
                let a = self.fpr(i.ra);
                let c = self.fpr(i.mb);
                let bv = self.fpr(i.rb);
                // fra >= 0 (−0 included, NaN not).
                let nan = self.is_nan(a);
                let zero = self.is_zero(a);
                let pos = self.sign_of(a);
                let pos = self.b.bini(BinOp::Xor, pos, 1);
                let ge = self.or(pos, zero);
                let not_nan = self.b.bini(BinOp::Xor, nan, 1);
                let ge = self.b.and(ge, not_nan);
                let v = self.b.select(ge, c, bv);
                self.set_fpr(i.rt, v);
                self.record(i.rc);
            }
            Opcode::FpCmp { ordered } => self.compare(i, ordered),
            Opcode::Frsp => {
                let a = self.fpr(i.rb);
                let rm = self.rounding();
                self.begin();
                let s = self.op(FpOp::Convert { to: FpFormat::F32 }, FpFormat::F64, a, a, a, rm);
                let v = self.widen_single(s);
                self.commit(i, v, |l| Some(l.vxsnan(&[a])));
            }
            Opcode::FpToInt { word, signed, toward_zero } => {
                let a = self.fpr(i.rb);
                let rm = if toward_zero {
                    self.b.konst(RoundingMode::TowardZero as u64)
                } else {
                    self.rounding()
                };
                self.begin();
                let width = if word { Width::W32 } else { Width::W64 };
                let nan = if signed { IntNan::Min } else { IntNan::Zero };
                let op = FpOp::ToInt { width, signed, nan };
                let mut v = self.op(op, FpFormat::F64, a, a, a, rm);
                if word && !signed {
                    // The unsigned word, not sign-extended.
                    v = self.b.zext32(v);
                }
                if word && signed {
                    // A NaN gives 0x80000000 without sign extension, as on
                    // QEMU; numbers, saturated or not, are sign-extended.
                    let nan = self.is_nan(a);
                    let k = self.b.konst(0x8000_0000);
                    v = self.b.select(nan, k, v);
                }
                let snan = self.vxsnan(&[a]);
                let c = self.b.konst(fpscr::VXCVI);
                let vx = self.or(snan, c);
                self.finish(Some(vx), None);
                // FPRF is undefined; QEMU leaves it, except that an
                // invalid conversion with VE clear sets it to C|FU.
                let exc = self.b.get(regs::FP_EXC);
                let inv = self.b.andi(exc, flags::INVALID);
                let inv = self.b.bini(BinOp::Ne, inv, 0);
                let f = self.b.get(regs::FPSCR);
                let ve = self.b.andi(f, fpscr::VE);
                let ve_off = self.b.bini(BinOp::Eq, ve, 0);
                let mark = self.b.and(inv, ve_off);
                let kept = self.b.andi(f, !fpscr::FPRF);
                let marked = self.b.bini(BinOp::Or, kept, 0x11 << fpscr::FPRF_SHIFT);
                let f = self.b.select(mark, marked, f);
                self.b.set(regs::FPSCR, f);
                self.result(i, v);
            }
            Opcode::FpFromInt { single, signed } => {
                let a = self.fpr(i.rb);
                let rm = self.rounding();
                self.begin();
                let op = FpOp::FromInt { width: Width::W64, signed };
                let v = if single {
                    let r = self.op(op, FpFormat::F32, a, a, a, rm);
                    self.widen_single(r)
                } else {
                    self.op(op, FpFormat::F64, a, a, a, rm)
                };
                self.commit(i, v, |_| None);
            }
            Opcode::FpMove(op) => {
                let bv = self.fpr(i.rb);
                let v = match op {
                    FpMoveOp::Mr => bv,
                    FpMoveOp::Neg => self.b.bini(BinOp::Xor, bv, SIGN),
                    FpMoveOp::Abs => self.b.andi(bv, !SIGN),
                    FpMoveOp::Nabs => self.b.bini(BinOp::Or, bv, SIGN),
                    FpMoveOp::Cpsgn => {
                        let a = self.fpr(i.ra);
                        let s = self.b.andi(a, SIGN);
                        let m = self.b.andi(bv, !SIGN);
                        self.or(s, m)
                    }
                };
                self.set_fpr(i.rt, v);
                self.record(i.rc);
            }
            Opcode::FpRoundInt(op) => self.round_int(i, op),
            Opcode::Mffs => {
                let f = self.b.get(regs::FPSCR);
                self.set_fpr(i.rt, f);
                self.record(i.rc);
            }
            Opcode::Mtfsf => {
                let mut mask = 0u64;
                for field in 0..8 {
                    if i.imm & (0x80 >> field) != 0 {
                        mask |= 0xf << (28 - 4 * field);
                    }
                }
                let bv = self.fpr(i.rb);
                self.merge_fpscr(bv, mask);
                self.record(i.rc);
            }
            Opcode::Mtfsfi => {
                let shift = 28 - 4 * i.rt as u64;
                let v = self.b.konst((i.imm as u64) << shift);
                self.merge_fpscr(v, 0xf << shift);
                self.record(i.rc);
            }
            Opcode::Mtfsb { set } => {
                let bit = 1u64 << (31 - i.rt as u64);
                let f = self.b.get(regs::FPSCR);
                let mut v = if set { self.b.bini(BinOp::Or, f, bit) } else { self.b.andi(f, !bit) };
                if set && bit & (fpscr::VX_ALL | fpscr::OX | fpscr::UX | fpscr::ZX | fpscr::XX) != 0
                {
                    v = self.b.bini(BinOp::Or, v, fpscr::FX);
                }
                if bit & fpscr::COMPUTED == 0 {
                    self.store_fpscr(v);
                    if set {
                        self.trap_if_fex_rose(f);
                    }
                }
                self.record(i.rc);
            }
            Opcode::Mcrfs => {
                // Copy field bfa to CR field bf; the exception bits copied
                // (not FEX, VX) are cleared.
                let shift = 28 - 4 * i.ra as u64;
                let f = self.b.get(regs::FPSCR);
                let field = self.b.bini(BinOp::ShrU, f, shift);
                let field = self.b.andi(field, 0xf);
                set_cr_field(self.b, i.rt as u32, field);
                let clear = (0xfu64 << shift)
                    & (fpscr::FX | fpscr::OX | fpscr::UX | fpscr::ZX | fpscr::XX | fpscr::VX_ALL);
                if clear != 0 {
                    let v = self.b.andi(f, !clear);
                    self.store_fpscr(v);
                }
            }
            _ => unreachable!("not an FPU instruction: {:?}", i.opcode),
        }
    }

    /// `FPSCR = (FPSCR & !mask) | (v & mask)` for `mtfsf`/`mtfsfi`; FEX
    /// and VX follow their fields, and setting FEX traps.
    fn merge_fpscr(&mut self, v: Temp, mask: u64) {
        let mask = mask & !fpscr::COMPUTED;
        let f = self.b.get(regs::FPSCR);
        let kept = self.b.andi(f, !mask & 0xffff_ffff);
        let ins = self.b.andi(v, mask);
        let n = self.or(kept, ins);
        self.store_fpscr(n);
        self.trap_if_fex_rose(f);
    }

    fn arith(&mut self, i: &Insn, op: FpBinOp, single: bool) {
        let a = self.fpr(i.ra);
        // fmul multiplies by frC, the others take frB.
        let c = if op == FpBinOp::Mul { self.fpr(i.mb) } else { self.fpr(i.rb) };
        let rm = self.rounding();
        self.begin();
        let iop = match op {
            FpBinOp::Add => FpOp::Add,
            FpBinOp::Sub => FpOp::Sub,
            FpBinOp::Mul => FpOp::Mul,
            FpBinOp::Div => FpOp::Div,
        };
        let v = if single {
            let x = self.single(a);
            let y = self.single(c);
            let r = self.op(iop, FpFormat::F32, x, y, y, rm);
            self.widen_single(r)
        } else {
            self.op(iop, FpFormat::F64, a, c, c, rm)
        };
        self.commit(i, v, |l| {
            let snan = l.vxsnan(&[a, c]);
            Some(match op {
                FpBinOp::Add | FpBinOp::Sub => {
                    let isi = l.isi(a, c, op == FpBinOp::Sub);
                    l.pick(isi, fpscr::VXISI, snan)
                }
                FpBinOp::Mul => {
                    let imz = l.imz(a, c);
                    l.pick(imz, fpscr::VXIMZ, snan)
                }
                FpBinOp::Div => {
                    let ia = l.is_inf(a);
                    let ic = l.is_inf(c);
                    let idi = l.b.and(ia, ic);
                    let za = l.is_zero(a);
                    let zc = l.is_zero(c);
                    let zdz = l.b.and(za, zc);
                    let r = l.pick(zdz, fpscr::VXZDZ, snan);
                    l.pick(idi, fpscr::VXIDI, r)
                }
            })
        });
    }

    /// The invalid causes of a square root of `v`: VXSQRT for a negative
    /// nonzero number (not a NaN), else VXSNAN for a signaling NaN.
    fn sqrt_causes(&mut self, v: Temp) -> Temp {
        let snan = self.vxsnan(&[v]);
        let neg = self.sign_of(v);
        let nz = self.is_zero(v);
        let nz = self.b.bini(BinOp::Xor, nz, 1);
        let nn = self.is_nan(v);
        let nn = self.b.bini(BinOp::Xor, nn, 1);
        let bad = self.b.and(neg, nz);
        let bad = self.b.and(bad, nn);
        self.pick(bad, fpscr::VXSQRT, snan)
    }

    /// `fre`, `fres`, `frsqrte`, `frsqrtes`. The ISA allows any estimate
    /// within 1/256 (1/32 for `frsqrte`); these give QEMU's: `1 / frB`
    /// (`1 / sqrt(frB)`, rounded twice) in double precision by `FPSCR.RN`,
    /// rounded to single for the single forms, with the flags of every
    /// step. The estimate of ±0 is ±inf with ZX, as the ISA says (QEMU 7.2
    /// sets no ZX for `fres` and gives ±0.5 for `fre`).
    fn estimate(&mut self, i: &Insn, sqrt: bool, single: bool) {
        let bv = self.fpr(i.rb);
        let rm = self.rounding();
        self.begin();
        let one = self.b.konst(0x3ff0_0000_0000_0000);
        let d = if sqrt { self.op(FpOp::Sqrt, FpFormat::F64, bv, bv, bv, rm) } else { bv };
        let mut v = self.op(FpOp::Div, FpFormat::F64, one, d, d, rm);
        if single {
            let to = FpOp::Convert { to: FpFormat::F32 };
            let s = self.op(to, FpFormat::F64, v, v, v, rm);
            v = self.widen_single(s);
        }
        self.commit(i, v, |l| Some(if sqrt { l.sqrt_causes(bv) } else { l.vxsnan(&[bv]) }));
    }

    /// `±(fra * frc ± frb)` with one rounding. The NaN of a NaN operand
    /// is chosen in the order A, B, C.
    fn madd(&mut self, i: &Insn, sub: bool, neg: bool, single: bool) {
        let a = self.fpr(i.ra);
        let c = self.fpr(i.mb);
        let bv = self.fpr(i.rb);
        let rm = self.rounding();
        self.begin();
        let (fmt, sign, x, y, z) = if single {
            let x = self.single(a);
            let y = self.single(c);
            let z = self.single(bv);
            (FpFormat::F32, 1u64 << 31, x, y, z)
        } else {
            (FpFormat::F64, SIGN, a, c, bv)
        };
        // ±(x*y ± z) as one rounding of (±x)*y ± z, as QEMU negates
        // before rounding; NaN operands keep their sign.
        let nan_of = |l: &mut Self, v: Temp| {
            let abs = l.b.andi(v, !sign & if single { 0xffff_ffff } else { u64::MAX });
            let e = l.b.konst(if single { 0x7f80_0000u64 } else { EXP });
            l.b.bin(BinOp::LtU, e, abs)
        };
        let negate = |l: &mut Self, v: Temp| {
            let n = nan_of(l, v);
            let flipped = l.b.bini(BinOp::Xor, v, sign);
            l.b.select(n, v, flipped)
        };
        let x_in = if neg { negate(self, x) } else { x };
        let z_in = if sub != neg { negate(self, z) } else { z };
        let mut r = self.op(FpOp::MulAdd, fmt, x_in, y, z_in, rm);
        if neg {
            // A zero result is the negated zero of x*y ± z, whose sign
            // the rounding mode decides before the negation.
            let z_pos = if sub { negate(self, z) } else { z };
            // Its flags are not this instruction's: they go to the
            // discard slot.
            let insn = FpInsn { op: FpOp::MulAdd, fmt, rules: RULES };
            let pos = self.b.fp(insn, x, y, z_pos, rm, regs::FP_DISCARD);
            let mag = self.b.andi(pos, !sign & if single { 0xffff_ffff } else { u64::MAX });
            let zero = self.b.bini(BinOp::Eq, mag, 0);
            // Only an exact zero: a nonzero result rounded to zero keeps
            // the sign of its negated value.
            let exc = self.b.get(regs::FP_EXC);
            let inexact = self.b.andi(exc, flags::INEXACT);
            let exact = self.b.bini(BinOp::Eq, inexact, 0);
            let zero = self.b.and(zero, exact);
            let flipped = self.b.bini(BinOp::Xor, pos, sign);
            r = self.b.select(zero, flipped, r);
        }
        // frB's NaN comes before frC's: when frA is no NaN and frB is,
        // the result is frB quieted (with its own sign).
        let quiet = if single { 1u64 << 22 } else { QUIET };
        let a_nan = nan_of(self, x);
        let z_nan = nan_of(self, z);
        let not_a = self.b.bini(BinOp::Xor, a_nan, 1);
        let take_b = self.b.and(not_a, z_nan);
        let qb = self.b.bini(BinOp::Or, z, quiet);
        r = self.b.select(take_b, qb, r);
        let v = if single { self.widen_single(r) } else { r };
        self.commit(i, v, |l| {
            let snan = l.vxsnan(&[a, c, bv]);
            let imz = l.imz(a, c);
            // inf − inf between the product and frB.
            let ia = l.is_inf(a);
            let ic = l.is_inf(c);
            let prod_inf = l.or(ia, ic);
            let an = l.is_nan(a);
            let cn = l.is_nan(c);
            let nn = l.or(an, cn);
            let nn = l.b.bini(BinOp::Xor, nn, 1);
            let prod_inf = l.b.and(prod_inf, nn);
            let not_imz = l.b.bini(BinOp::Xor, imz, 1);
            let prod_inf = l.b.and(prod_inf, not_imz);
            let ib = l.is_inf(bv);
            let sa = l.sign_of(a);
            let sc = l.sign_of(c);
            let sp = l.b.bin(BinOp::Xor, sa, sc);
            let sb = l.sign_of(bv);
            let sb = if sub { l.b.bini(BinOp::Xor, sb, 1) } else { sb };
            let differ = l.b.bin(BinOp::Xor, sp, sb);
            let isi = l.b.and(prod_inf, ib);
            let isi = l.b.and(isi, differ);
            let r2 = l.pick(isi, fpscr::VXISI, snan);
            let vx_imz = l.b.bini(BinOp::Or, snan, fpscr::VXIMZ);
            let vx = l.b.select(imz, vx_imz, r2);
            Some(vx)
        });
    }

    /// The IEEE relation of doubles `a` and `c` as the four bits `fcmpu`
    /// gives (LT, GT, EQ, UN: 8, 4, 2, 1), and UN alone, with integer ops:
    /// numbers order as their bits with the magnitude bits of negative
    /// ones inverted, read as signed, and the two zeros are equal.
    fn relation(&mut self, a: Temp, c: Temp) -> (Temp, Temp) {
        let an = self.is_nan(a);
        let cn = self.is_nan(c);
        let un = self.or(an, cn);
        let key = |l: &mut Self, v: Temp| {
            let s = l.b.bini(BinOp::ShrS, v, 63);
            let s = l.b.bini(BinOp::ShrU, s, 1);
            l.b.bin(BinOp::Xor, v, s)
        };
        let ka = key(self, a);
        let kc = key(self, c);
        let both = self.or(a, c);
        let zeros = self.is_zero(both);
        let same = self.b.bin(BinOp::Eq, a, c);
        let eq = self.or(same, zeros);
        let lt = self.b.bin(BinOp::LtS, ka, kc);
        let gt = self.b.bin(BinOp::LtS, kc, ka);
        // Zeros are equal; NaNs are unordered only.
        let apart = self.or(un, zeros);
        let apart = self.b.bini(BinOp::Xor, apart, 1);
        let lt = self.b.and(lt, apart);
        let gt = self.b.and(gt, apart);
        let ordered = self.b.bini(BinOp::Xor, un, 1);
        let eq = self.b.and(eq, ordered);
        let lt = self.b.bini(BinOp::Shl, lt, 3);
        let gt = self.b.bini(BinOp::Shl, gt, 2);
        let eq = self.b.bini(BinOp::Shl, eq, 1);
        let bits = self.or(lt, gt);
        let bits = self.or(bits, eq);
        (self.or(bits, un), un)
    }

    fn compare(&mut self, i: &Insn, ordered: bool) {
        let a = self.fpr(i.ra);
        let c = self.fpr(i.rb);
        let (bits, un) = self.relation(a, c);
        set_cr_field(self.b, i.rt as u32, bits);
        // Invalid causes: VXSNAN for a signaling NaN; fcmpo adds VXVC for
        // any NaN (for a signaling one only while VE is clear).
        let snan = self.vxsnan(&[a, c]);
        // The quiet comparison raises invalid for a signaling NaN only.
        let has_snan = self.b.bini(BinOp::Ne, snan, 0);
        let fl = self.bit_if(has_snan, flags::INVALID);
        self.b.set(regs::FP_EXC, fl);
        let mut c_mark = None;
        let vx = if ordered {
            let f0 = self.b.get(regs::FPSCR);
            let ve = self.b.andi(f0, fpscr::VE);
            let ve_on = self.b.bini(BinOp::Ne, ve, 0);
            let skip_vc = self.b.and(has_snan, ve_on);
            let vc = self.pick(skip_vc, 0, un);
            // QEMU marks FPCC as C|FU first when VXVC is raised with VE
            // clear; the compare then rewrites FPCC, so C stays set.
            let ve_off = self.b.bini(BinOp::Xor, ve_on, 1);
            c_mark = Some(self.b.and(vc, ve_off));
            let vc = self.b.bini(BinOp::Shl, vc, 19);
            let vx = self.or(snan, vc);
            // An ordered compare of quiet NaNs is invalid too.
            let any = self.b.bini(BinOp::Ne, vx, 0);
            let fl = self.bit_if(any, flags::INVALID);
            let exc = self.b.get(regs::FP_EXC);
            let exc = self.or(exc, fl);
            self.b.set(regs::FP_EXC, exc);
            vx
        } else {
            snan
        };
        self.finish(Some(vx), None);
        // FPCC gets the same four bits.
        let f = self.b.get(regs::FPSCR);
        let kept = self.b.andi(f, !fpscr::FPCC);
        let cc = self.b.bini(BinOp::Shl, bits, fpscr::FPRF_SHIFT);
        let mut v = self.or(kept, cc);
        if let Some(c_bit) = c_mark {
            let c_bit = self.b.bini(BinOp::Shl, c_bit, 16);
            v = self.or(v, c_bit);
        }
        self.b.set(regs::FPSCR, v);
        let en = self.enabled_flags();
        self.trap_if(en);
    }

    /// `fri*`: an integral value in the same format; only a signaling NaN
    /// raises anything (VXSNAN); inexact is not reported.
    fn round_int(&mut self, i: &Insn, op: FpRoundOp) {
        let a = self.fpr(i.rb);
        let rm = match op {
            FpRoundOp::Nearest => RoundingMode::NearestAway,
            FpRoundOp::Zero => RoundingMode::TowardZero,
            FpRoundOp::Up => RoundingMode::Up,
            FpRoundOp::Down => RoundingMode::Down,
        };
        let rm = self.b.konst(rm as u64);
        self.begin();
        let to = FpOp::ToInt { width: Width::W64, signed: true, nan: IntNan::Zero };
        let n = self.quiet_op(to, FpFormat::F64, a, rm);
        let back = FpOp::FromInt { width: Width::W64, signed: true };
        let r = self.quiet_op(back, FpFormat::F64, n, rm);
        let s = self.b.andi(a, SIGN);
        let r = self.or(r, s);
        // |a| >= 2^52 (or inf, NaN): already integral.
        let abs = self.abs(a);
        let big = self.b.bini(BinOp::LtU, abs, 0x4330_0000_0000_0000);
        let big = self.b.bini(BinOp::Xor, big, 1);
        let nan = self.is_nan(a);
        let qa = self.b.bini(BinOp::Or, a, QUIET);
        let same = self.b.select(nan, qa, a);
        let v = self.b.select(big, same, r);
        let snan = self.is_snan(a);
        let fl = self.bit_if(snan, flags::INVALID);
        self.b.set(regs::FP_EXC, fl);
        self.commit(i, v, |l| Some(l.b.konst(fpscr::VXSNAN)));
    }
}

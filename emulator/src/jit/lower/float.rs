//! Lowering of floating-point ops ([`Op::Fp`](crate::ir::Op::Fp)).
//!
//! Every op can call the shared reference, `ir::float::jit_helper`, so
//! both engines evaluate floating point through the same code: the helper
//! gets the op's packed descriptor, its operands and rounding mode, writes
//! the flags it raised to a stack slot, and this code ORs them into the
//! guest flags slot (which stays in its variable, like any other slot).
//!
//! Add, subtract, multiply, divide, square root and fused multiply-add
//! first try the host's IEEE arithmetic, as QEMU's hard-float path does,
//! where it provably gives the reference's result and flags whatever the
//! guest's rules: the rounding mode is to-nearest-even (the host's, which
//! Rust programs never change), operands are not flushed (no
//! `FLUSH_TO_ZERO`), and the result is finite and larger in magnitude than
//! the smallest normal. Then no NaN arises (so NaN rules do not apply), no
//! invalid, division-by-zero or overflow is raised, the result is not tiny
//! under either tininess rule, and the only possible flag is inexact.
//! Where the guest's flags have inexact already (sticky flags: riscv64,
//! aarch64) that is all: the *lenient* check. Where they do not (flags per
//! instruction: mips `FCSR.Cause`, powerpc64 `FPSCR.FI`), inexact is
//! decided exactly on the host, from an error-free transformation of the
//! operation (TwoSum, or a fused multiply-add giving the product's,
//! quotient's or root's exact error), for operands that are normal or zero
//! (a divisor normal, a square root's operand not negative unless zero) and
//! inside bounds that keep that error exact ([`exact_floor`]); a fused
//! multiply-add's error is Boldo and Muller's ErrFma, inside the bounds of
//! its proof ([`FmaBounds`]). That is the *strict* check, in cold blocks
//! of its own so that sticky-flag guests do not pay for it.
//! Anything else takes the helper.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Value, types,
};

use super::{I64, Lower};
use crate::ir::float::flags::INEXACT;
use crate::ir::float::{FLUSH_TO_ZERO, FpCond};
use crate::ir::{FpFormat, FpInsn, FpOp, RoundingMode, Slot, Temp, Width};
use crate::jit::runtime;

/// Bit facts of a format for the fast path's checks.
struct Bits {
    /// Exponent field shift and mask (after shifting).
    exp_shift: i64,
    exp_max: i64,
    sign: i64,
    /// All bits but the sign.
    magnitude: i64,
    /// Bits of the smallest normal and of +inf.
    min_normal: i64,
    inf: i64,
}

const F64_BITS: Bits = Bits {
    exp_shift: 52,
    exp_max: 0x7ff,
    sign: 1 << 63,
    magnitude: 0x7fff_ffff_ffff_ffff,
    min_normal: 0x0010_0000_0000_0000,
    inf: 0x7ff0_0000_0000_0000,
};

const F32_BITS: Bits = Bits {
    exp_shift: 23,
    exp_max: 0xff,
    sign: 1 << 31,
    magnitude: 0x7fff_ffff,
    min_normal: 0x0080_0000,
    inf: 0x7f80_0000,
};

impl Lower<'_, '_> {
    /// `dst = insn(a, b, c)` under `rm`, flags ORed into slot `flags`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn lower_fp(
        &mut self,
        insn: FpInsn,
        dst: Temp,
        a: Temp,
        b: Temp,
        c: Temp,
        rm: Temp,
        flags: Slot,
    ) {
        let (a, b, c) = (self.t(a), self.t(b), self.t(c));
        let rm_v = self.t(rm);
        let old = self.get_slot(flags.0);
        if let Some((v, new)) = self.lower_fp_simple(insn, [a, b, c], rm_v, old) {
            self.set_slot(flags.0, new);
            self.set_t(dst, v);
            return;
        }
        // `a + b * c` is `b * c + a` but for the NaN rules, which the fast
        // path never meets; the reference gets the operands in order.
        let (insn_ref, ops_ref) = (insn, [a, b, c]);
        let (insn, a, b, c) = match insn.op {
            FpOp::AddMul => (FpInsn { op: FpOp::MulAdd, ..insn }, b, c, a),
            _ => (insn, a, b, c),
        };
        let hard = matches!(
            insn.op,
            FpOp::Add | FpOp::Sub | FpOp::Mul | FpOp::Div | FpOp::Sqrt | FpOp::MulAdd
        );
        if !hard {
            let (v, new) = self.fp_call(insn_ref, ops_ref, rm_v, old);
            self.set_slot(flags.0, new);
            self.set_t(dst, v);
            return;
        }
        let slow = self.b.create_block();
        let fast = self.b.create_block();
        let strict_b = self.b.create_block();
        self.b.set_cold_block(strict_b);
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        self.b.append_block_param(done, I64);

        let fb = if insn.fmt == FpFormat::F64 { F64_BITS } else { F32_BITS };
        let prior = self.b.ins().band_imm_s(old, INEXACT as i64);
        // To-nearest-even without `FLUSH_TO_ZERO` (a fixed mode is a
        // constant here, which Cranelift folds). The other bits above the
        // mode (`FLUSH_RESULTS`, `DEFAULT_NAN`) change nothing the fast
        // path accepts: its results are normal numbers.
        let gate = self.b.ins().band_imm_s(rm_v, 7 | FLUSH_TO_ZERO as i64);
        let ok = self.b.ins().icmp_imm_s(IntCC::Equal, gate, RoundingMode::NearestEven as i64);
        self.b.ins().brif(ok, fast, &[], slow, &[]);

        // Lenient: with inexact raised before, any finite result above the
        // smallest normal. The host's IEEE arithmetic (subnormal operands
        // included) rounds it as the reference does; NaN and infinite
        // operands, invalid operations, division by zero and overflow give
        // no such result, and no such result is tiny under either rule.
        self.b.switch_to_block(fast);
        let (r, host) = self.host_fp(insn, a, b, c);
        let mag = self.b.ins().band_imm_s(r, fb.magnitude);
        let above = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, mag, fb.min_normal);
        let finite = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, mag, fb.inf);
        let lenient = self.b.ins().band(above, finite);
        let lenient = self.bool_to_i64(lenient);
        let lenient = self.b.ins().band(lenient, prior);
        self.b.ins().brif(lenient, done, &[r.into(), old.into()], strict_b, &[]);

        // Strict: inexact decided on the host, only for normal or zero
        // operands and where the error term is exact (see `exact_floor`),
        // and well below overflow; never for a fused multiply-add.
        self.b.switch_to_block(strict_b);
        if insn.op == FpOp::MulAdd {
            // A fused multiply-add's error is ErrFma's, exact within
            // `FmaBounds`, where inexact is the only possible flag.
            let mut strict = self.fma_within(&fb, a, b, c);
            for x in [a, b, c] {
                let good = self.normal_or_zero(&fb, x, Operand::Any);
                strict = self.b.ins().band(strict, good);
            }
            let exact = self.b.create_block();
            self.b.set_cold_block(exact);
            self.b.ins().brif(strict, exact, &[], slow, &[]);
            self.b.switch_to_block(exact);
            let inexact = self.fma_inexact(insn.fmt, a, b, c, r);
            let new = self.b.ins().bor(old, inexact);
            self.b.ins().jump(done, &[r.into(), new.into()]);
        } else {
            let operands: &[(Value, Operand)] = &match insn.op {
                FpOp::Sqrt => [(a, Operand::NotNegative), (a, Operand::NotNegative)],
                FpOp::Div => [(a, Operand::Any), (b, Operand::NonZero)],
                _ => [(a, Operand::Any), (b, Operand::Any)],
            };
            let mut strict = self.b.ins().iconst(I64, 1);
            for &(x, kind) in operands {
                let good = self.normal_or_zero(&fb, x, kind);
                strict = self.b.ins().band(strict, good);
            }
            let floor = exact_floor(&fb, insn.op) << fb.exp_shift;
            let ceiling = (fb.exp_max - 1) << fb.exp_shift;
            let low = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, mag, floor);
            let high = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, mag, ceiling);
            let mut bounds = self.b.ins().band(low, high);
            if insn.op == FpOp::Div {
                let dividend = self.b.ins().band_imm_s(a, fb.magnitude);
                let big =
                    self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, dividend, floor);
                bounds = self.b.ins().band(bounds, big);
            }
            let bounds = self.bool_to_i64(bounds);
            strict = self.b.ins().band(strict, bounds);
            let inexact = self.host_inexact(insn, host);
            let new = self.b.ins().bor(old, inexact);
            self.b.ins().brif(strict, done, &[r.into(), new.into()], slow, &[]);
        }

        self.b.switch_to_block(slow);
        let (v, raised) = self.fp_call(insn_ref, ops_ref, rm_v, old);
        self.b.ins().jump(done, &[v.into(), raised.into()]);

        self.b.switch_to_block(done);
        let (v, new) = (self.b.block_params(done)[0], self.b.block_params(done)[1]);
        self.set_slot(flags.0, new);
        self.set_t(dst, v);
    }

    /// Comparisons and conversions on the host where that provably gives
    /// the reference's result and flags, else the reference: the result
    /// and the new flags, or `None` for an op this does not cover.
    /// - A comparison of two numbers (no NaN) raises nothing; without
    ///   `FLUSH_TO_ZERO`, subnormals compare as they are.
    /// - A conversion toward zero to an integer of a number whose
    ///   magnitude is below 2^31 (32-bit results) or 2^63 (64-bit) is
    ///   the host's truncation, inexact exactly when converting it back
    ///   differs; unsigned ones only for non-negative numbers. Without
    ///   `FLUSH_TO_ZERO`, as a subnormal then truncates to zero with
    ///   inexact.
    /// - An integer of at most the format's precision converts exactly,
    ///   under every mode, with no flag.
    /// - A single widens to a double exactly (but a NaN, and a subnormal
    ///   under `FLUSH_TO_ZERO`); a double narrows to a single like the
    ///   arithmetic fast path: to-nearest-even, a normal or zero operand,
    ///   a normal result, inexact when widening it back differs.
    fn lower_fp_simple(
        &mut self,
        insn: FpInsn,
        ops: [Value; 3],
        rm: Value,
        old: Value,
    ) -> Option<(Value, Value)> {
        let [a, b, _] = ops;
        let fb = if insn.fmt == FpFormat::F64 { F64_BITS } else { F32_BITS };
        let no_ftz = self.b.ins().band_imm_s(rm, FLUSH_TO_ZERO as i64);
        let no_ftz = self.b.ins().icmp_imm_s(IntCC::Equal, no_ftz, 0);
        let no_ftz = self.bool_to_i64(no_ftz);
        let mode = self.b.ins().band_imm_s(rm, 7);
        let (ok, fast): (Value, Fast) = match insn.op {
            FpOp::Cmp { cond, .. } => {
                let na = self.not_nan(&fb, a);
                let nb = self.not_nan(&fb, b);
                let ok = self.b.ins().band(na, nb);
                (self.b.ins().band(ok, no_ftz), Fast::Cmp(cond))
            }
            FpOp::ToInt { width, signed, .. } => {
                let bound: i64 = match (insn.fmt, width) {
                    (FpFormat::F64, Width::W32) => 0x41e0_0000_0000_0000,
                    (FpFormat::F64, _) => 0x43e0_0000_0000_0000,
                    (FpFormat::F32, Width::W32) => 0x4f00_0000,
                    (FpFormat::F32, _) => 0x5f00_0000,
                };
                let x = if signed { self.b.ins().band_imm_s(a, fb.magnitude) } else { a };
                let x = if insn.fmt == FpFormat::F32 {
                    self.b.ins().band_imm_s(x, 0xffff_ffff)
                } else {
                    x
                };
                let small = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, x, bound);
                let rz =
                    self.b.ins().icmp_imm_s(IntCC::Equal, mode, RoundingMode::TowardZero as i64);
                let ok = self.b.ins().band(small, rz);
                let ok = self.bool_to_i64(ok);
                (self.b.ins().band(ok, no_ftz), Fast::ToInt)
            }
            FpOp::FromInt { width, signed } => {
                let p = if insn.fmt == FpFormat::F64 { 53 } else { 24 };
                let v = match (width, signed) {
                    (Width::W64, _) => a,
                    (_, true) => {
                        let low = self.b.ins().ireduce(types::I32, a);
                        self.b.ins().sextend(I64, low)
                    }
                    (_, false) => self.b.ins().band_imm_s(a, 0xffff_ffff),
                };
                // |v| <= 2^p, as an unsigned comparison of v + 2^p.
                let shifted = if signed { self.b.ins().iadd_imm_s(v, 1 << p) } else { v };
                let limit = if signed { 2i64 << p } else { 1i64 << p };
                let ok = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, shifted, limit);
                (self.bool_to_i64(ok), Fast::FromInt(v))
            }
            FpOp::Convert { to: FpFormat::F64 } if insn.fmt == FpFormat::F32 => {
                let n = self.not_nan(&fb, a);
                (self.b.ins().band(n, no_ftz), Fast::Widen)
            }
            FpOp::Convert { to: FpFormat::F32 } if insn.fmt == FpFormat::F64 => {
                let good = self.normal_or_zero(&fb, a, Operand::Any);
                let rne = self.b.ins().icmp_imm_s(IntCC::Equal, mode, 0);
                let rne = self.bool_to_i64(rne);
                (self.b.ins().band(good, rne), Fast::Narrow)
            }
            _ => return None,
        };
        let slow = self.b.create_block();
        let fast_b = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        self.b.append_block_param(done, I64);
        self.b.ins().brif(ok, fast_b, &[], slow, &[]);

        self.b.switch_to_block(fast_b);
        let f32_or_64 = |l: &mut Self, fmt: FpFormat, x: Value| match fmt {
            FpFormat::F64 => l.b.ins().bitcast(types::F64, MemFlagsData::new(), x),
            FpFormat::F32 => {
                let x = l.b.ins().ireduce(types::I32, x);
                l.b.ins().bitcast(types::F32, MemFlagsData::new(), x)
            }
        };
        let bits_of = |l: &mut Self, fmt: FpFormat, x: Value| match fmt {
            FpFormat::F64 => l.b.ins().bitcast(I64, MemFlagsData::new(), x),
            FpFormat::F32 => {
                let x = l.b.ins().bitcast(types::I32, MemFlagsData::new(), x);
                l.b.ins().uextend(I64, x)
            }
        };
        let fty = if insn.fmt == FpFormat::F64 { types::F64 } else { types::F32 };
        let x = f32_or_64(self, insn.fmt, a);
        match fast {
            Fast::Cmp(cond) => {
                let y = f32_or_64(self, insn.fmt, b);
                let r = match cond {
                    FpCond::Eq => self.b.ins().fcmp(FloatCC::Equal, x, y),
                    FpCond::Lt => self.b.ins().fcmp(FloatCC::LessThan, x, y),
                    FpCond::Le => self.b.ins().fcmp(FloatCC::LessThanOrEqual, x, y),
                    FpCond::Unordered => self.b.ins().fcmp(FloatCC::Unordered, x, y),
                };
                let r = self.bool_to_i64(r);
                self.b.ins().jump(done, &[r.into(), old.into()]);
            }
            Fast::ToInt => {
                let r = self.b.ins().fcvt_to_sint(I64, x);
                let back = self.b.ins().fcvt_from_sint(fty, r);
                let ne = self.b.ins().fcmp(FloatCC::NotEqual, back, x);
                // INEXACT is bit 0: the comparison's 0 or 1 is the flag.
                let inexact = self.bool_to_i64(ne);
                let new = self.b.ins().bor(old, inexact);
                self.b.ins().jump(done, &[r.into(), new.into()]);
            }
            Fast::FromInt(v) => {
                let r = self.b.ins().fcvt_from_sint(fty, v);
                let r = bits_of(self, insn.fmt, r);
                self.b.ins().jump(done, &[r.into(), old.into()]);
            }
            Fast::Widen => {
                let r = self.b.ins().fpromote(types::F64, x);
                let r = bits_of(self, FpFormat::F64, r);
                self.b.ins().jump(done, &[r.into(), old.into()]);
            }
            Fast::Narrow => {
                let r = self.b.ins().fdemote(types::F32, x);
                let back = self.b.ins().fpromote(types::F64, r);
                let ne = self.b.ins().fcmp(FloatCC::NotEqual, back, x);
                let inexact = self.bool_to_i64(ne);
                let r = bits_of(self, FpFormat::F32, r);
                let mag = self.b.ins().band_imm_s(r, F32_BITS.magnitude);
                let above =
                    self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, mag, F32_BITS.min_normal);
                let finite = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, mag, F32_BITS.inf);
                let good = self.b.ins().band(above, finite);
                let new = self.b.ins().bor(old, inexact);
                self.b.ins().brif(good, done, &[r.into(), new.into()], slow, &[]);
            }
        }

        self.b.switch_to_block(slow);
        let (v, raised) = self.fp_call(insn, ops, rm, old);
        self.b.ins().jump(done, &[v.into(), raised.into()]);

        self.b.switch_to_block(done);
        Some((self.b.block_params(done)[0], self.b.block_params(done)[1]))
    }

    /// 1 when `x` (of the format `fb` describes) is not a NaN, else 0.
    fn not_nan(&mut self, fb: &Bits, x: Value) -> Value {
        let mag = self.b.ins().band_imm_s(x, fb.magnitude);
        let r = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, mag, fb.inf);
        self.bool_to_i64(r)
    }

    /// 1 when the operands of a fused multiply-add `a * b + c` (each zero
    /// or normal) lie within [`FmaBounds`], else 0.
    fn fma_within(&mut self, fb: &Bits, a: Value, b: Value, c: Value) -> Value {
        let bounds = FmaBounds::of(fb);
        let field = |l: &mut Self, x: Value| {
            let e = l.b.ins().ushr_imm_s(x, fb.exp_shift);
            l.b.ins().band_imm_s(e, fb.exp_max)
        };
        let zero = |l: &mut Self, x: Value| {
            let mag = l.b.ins().band_imm_s(x, fb.magnitude);
            l.b.ins().icmp_imm_s(IntCC::Equal, mag, 0)
        };
        // `lo <= v <= hi` as one unsigned comparison.
        let between = |l: &mut Self, v: Value, (lo, hi): (i64, i64)| {
            let d = l.b.ins().iadd_imm_s(v, -lo);
            l.b.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, d, hi - lo)
        };
        let (ea, eb, ec) = (field(self, a), field(self, b), field(self, c));
        let sum = self.b.ins().iadd(ea, eb);
        let product = between(self, sum, bounds.product);
        let za = zero(self, a);
        let zb = zero(self, b);
        let product = self.b.ins().bor(product, za);
        let product = self.b.ins().bor(product, zb);
        let addend = between(self, ec, bounds.addend);
        let zc = zero(self, c);
        let addend = self.b.ins().bor(addend, zc);
        let within = self.b.ins().band(product, addend);
        self.bool_to_i64(within)
    }

    /// `INEXACT` or 0: whether `r`, the host's fused multiply-add of `a *
    /// b + c`, differs from the exact value, for operands within
    /// [`FmaBounds`]. Boldo and Muller's ErrFma ("Exact and approximated
    /// error of the FMA", IEEE Trans. Computers 60(2), 2011) gives the
    /// error `a * b + c - r` exactly as `gamma + alpha2`:
    /// `u1 = a * b`, `u2 = fma(a, b, -u1)` (the product's exact error),
    /// `(alpha1, alpha2) = TwoSum(c, u2)`, `(beta1, beta2) = TwoSum(u1,
    /// alpha1)`, `gamma = (beta1 - r) + beta2`, all rounded to nearest
    /// even. The sum of two floats is zero exactly when its rounding is.
    fn fma_inexact(&mut self, fmt: FpFormat, a: Value, b: Value, c: Value, r: Value) -> Value {
        let (fty, ity) = float_types(fmt);
        let (x, y, z) = (self.host_float(fmt, a), self.host_float(fmt, b), self.host_float(fmt, c));
        let r = if ity == I64 { r } else { self.b.ins().ireduce(ity, r) };
        let r = self.b.ins().bitcast(fty, MemFlagsData::new(), r);
        let u1 = self.b.ins().fmul(x, y);
        let nu1 = self.b.ins().fneg(u1);
        let u2 = self.b.ins().fma(x, y, nu1);
        let (alpha1, alpha2) = self.two_sum(z, u2);
        let (beta1, beta2) = self.two_sum(u1, alpha1);
        let d = self.b.ins().fsub(beta1, r);
        let gamma = self.b.ins().fadd(d, beta2);
        let err = self.b.ins().fadd(gamma, alpha2);
        self.nonzero_flag(fty, err)
    }

    /// Knuth's TwoSum: `s = x + y` rounded and its exact error.
    fn two_sum(&mut self, x: Value, y: Value) -> (Value, Value) {
        let s = self.b.ins().fadd(x, y);
        let yv = self.b.ins().fsub(s, x);
        let xv = self.b.ins().fsub(s, yv);
        let dx = self.b.ins().fsub(x, xv);
        let dy = self.b.ins().fsub(y, yv);
        (s, self.b.ins().fadd(dx, dy))
    }

    /// `INEXACT` (bit 0: a comparison's 0 or 1) when the float `e` is not
    /// zero, else 0.
    fn nonzero_flag(&mut self, fty: types::Type, e: Value) -> Value {
        let zero =
            if fty == types::F64 { self.b.ins().f64const(0.0) } else { self.b.ins().f32const(0.0) };
        let ne = self.b.ins().fcmp(FloatCC::NotEqual, e, zero);
        self.bool_to_i64(ne)
    }

    /// Operand bits `x` (an f32 in the low half) as a host float.
    fn host_float(&mut self, fmt: FpFormat, x: Value) -> Value {
        let (fty, ity) = float_types(fmt);
        let x = if ity == I64 { x } else { self.b.ins().ireduce(ity, x) };
        self.b.ins().bitcast(fty, MemFlagsData::new(), x)
    }

    /// 1 when `x` is zero or a normal number allowed as `kind`, else 0.
    fn normal_or_zero(&mut self, fb: &Bits, x: Value, kind: Operand) -> Value {
        let mag = self.b.ins().band_imm_s(x, fb.magnitude);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, mag, 0);
        let exp = self.b.ins().ushr_imm_s(mag, fb.exp_shift);
        // Normal: exponent field in 1..=max-1, i.e. exp - 1 < max - 1.
        let e1 = self.b.ins().iadd_imm_s(exp, -1);
        let normal = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, e1, fb.exp_max - 1);
        let r = match kind {
            Operand::Any => self.b.ins().bor(zero, normal),
            Operand::NonZero => normal,
            Operand::NotNegative => {
                let sign = self.b.ins().band_imm_s(x, fb.sign);
                let pos = self.b.ins().icmp_imm_s(IntCC::Equal, sign, 0);
                let pos_normal = self.b.ins().band(pos, normal);
                self.b.ins().bor(zero, pos_normal)
            }
        };
        self.bool_to_i64(r)
    }

    /// The op on the host's floating point (to-nearest-even): the result's
    /// bits (an f32 zero-extended), and the host operands and result for
    /// [`Lower::host_inexact`].
    fn host_fp(&mut self, insn: FpInsn, a: Value, b: Value, c: Value) -> (Value, Host) {
        let (_, ity) = float_types(insn.fmt);
        let (x, y, z) = (
            self.host_float(insn.fmt, a),
            self.host_float(insn.fmt, b),
            self.host_float(insn.fmt, c),
        );
        let r = match insn.op {
            FpOp::Add => self.b.ins().fadd(x, y),
            FpOp::Sub => self.b.ins().fsub(x, y),
            FpOp::Mul => self.b.ins().fmul(x, y),
            FpOp::Div => self.b.ins().fdiv(x, y),
            FpOp::Sqrt => self.b.ins().sqrt(x),
            _ => self.b.ins().fma(x, y, z),
        };
        let bits = self.b.ins().bitcast(ity, MemFlagsData::new(), r);
        let bits = if ity == I64 { bits } else { self.b.ins().uextend(I64, bits) };
        (bits, Host { x, y, r })
    }

    /// `INEXACT` or 0 from the exact error of the host's add, subtract,
    /// multiply, divide or square root (an error-free transformation):
    /// `x + y - r` by TwoSum, `x * y - r`, `x - r * y` and `x - r * r` by
    /// a fused multiply-add. The error is exact where the result lies
    /// within the bounds `lower_fp` checks.
    fn host_inexact(&mut self, insn: FpInsn, Host { x, y, r }: Host) -> Value {
        let err = match insn.op {
            FpOp::Add | FpOp::Sub => {
                // TwoSum's error of `x + y` rounded to `r`.
                let y = if insn.op == FpOp::Sub { self.b.ins().fneg(y) } else { y };
                let yv = self.b.ins().fsub(r, x);
                let xv = self.b.ins().fsub(r, yv);
                let dx = self.b.ins().fsub(x, xv);
                let dy = self.b.ins().fsub(y, yv);
                self.b.ins().fadd(dx, dy)
            }
            FpOp::Mul => {
                let nr = self.b.ins().fneg(r);
                self.b.ins().fma(x, y, nr)
            }
            FpOp::Div => {
                let nr = self.b.ins().fneg(r);
                self.b.ins().fma(nr, y, x)
            }
            _ => {
                let nr = self.b.ins().fneg(r);
                self.b.ins().fma(nr, r, x)
            }
        };
        let fty = if insn.fmt == FpFormat::F64 { types::F64 } else { types::F32 };
        self.nonzero_flag(fty, err)
    }

    /// Call the reference for the op: its result, and `old` (the flags
    /// slot's value here) ORed with the flags it raised.
    fn fp_call(
        &mut self,
        insn: FpInsn,
        [a, b, c]: [Value; 3],
        rm: Value,
        old: Value,
    ) -> (Value, Value) {
        let out =
            self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
        let out_addr = self.b.ins().stack_addr(I64, out, 0);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.ins().store(self.trusted, zero, out_addr, 0);
        // `jit_helper` is `extern "C"`: the host's default convention.
        let mut sig = Signature::new(self.host_cc);
        sig.params.extend([AbiParam::new(I64); 6]);
        sig.returns.push(AbiParam::new(I64));
        let sig = self.b.import_signature(sig);
        let helper = self.callee(runtime::offsets::FLOAT_HELPER);
        let desc = self.b.ins().iconst(I64, insn.pack() as i64);
        let call = self.b.ins().call_indirect(sig, helper, &[desc, a, b, c, rm, out_addr]);
        let v = self.b.inst_results(call)[0];
        let raised = self.b.ins().load(I64, self.trusted, out_addr, 0);
        (v, self.b.ins().bor(old, raised))
    }
}

/// The smallest exponent field of a result (and of a dividend) for which
/// the fast path's error term is exact without an inexact flag raised
/// before: the error's lowest bit must not fall below the smallest
/// subnormal. A product's or quotient's error has bits down to
/// `ulp(x) * ulp(y)`, about `2^(e - 2 * mantissa)`; a square root's down to
/// `ulp(r)^2`. The sum's TwoSum error is exact for any normal result; its
/// floor leaves out the lowest binade, where a result rounded up to the
/// smallest normal may have been tiny before rounding.
const fn exact_floor(fb: &Bits, op: FpOp) -> i64 {
    // Mantissa bits and exponent bias of the format.
    let (mant, bias) = if fb.exp_max == 0x7ff { (52, 1023) } else { (23, 127) };
    let emin_sub = 1 - bias - mant; // exponent of the smallest subnormal
    match op {
        // e - 2 * mant >= emin_sub, with two bits to spare.
        FpOp::Mul | FpOp::Div => emin_sub + 2 * mant + 2 + bias,
        // 2 * (e - mant) >= emin_sub, with two bits to spare.
        FpOp::Sqrt => (emin_sub + 2 * mant) / 2 + 2 + bias,
        _ => 2,
    }
}

/// The host operands and result of an arithmetic op (see
/// [`Lower::host_fp`]).
#[derive(Clone, Copy)]
struct Host {
    x: Value,
    y: Value,
    r: Value,
}

/// What [`Lower::lower_fp_simple`] computes on the host.
#[derive(Clone, Copy)]
enum Fast {
    Cmp(FpCond),
    ToInt,
    /// The integer, extended to 64 bits.
    FromInt(Value),
    Widen,
    Narrow,
}

/// The host's float type and its same-sized integer type for `fmt`.
fn float_types(fmt: FpFormat) -> (types::Type, types::Type) {
    match fmt {
        FpFormat::F64 => (types::F64, I64),
        FpFormat::F32 => (types::F32, types::I32),
    }
}

/// Where a fused multiply-add `a * b + c` of zero or normal operands has
/// an exact error on the fast path, as ranges of exponent fields: the sum
/// of `a`'s and `b`'s (unless either is zero), and `c`'s (unless zero).
///
/// The lower ends are the hypotheses of the Coq proof of ErrFma (Flocq's
/// `ErrFMA_correct_simpl`: `a * b = 0` or `|a * b| >= 2^(emin + 4p - 3)`,
/// and `c = 0` or `|c| >= 2^(emin + 2p)`, with `2^emin` the smallest
/// subnormal and `p` the precision), which the proof states with
/// subnormals and without overflow. They also make the exact value a
/// multiple of the smallest normal, so it is never tiny and no underflow
/// arises: inexact is the only possible flag. The upper ends keep `|a *
/// b|` and `|c|` below `2^(bias - 3)`, so neither the result nor any step
/// of ErrFma (none exceeds twice the largest of them) overflows.
struct FmaBounds {
    product: (i64, i64),
    addend: (i64, i64),
}

impl FmaBounds {
    const fn of(fb: &Bits) -> FmaBounds {
        // Mantissa bits and exponent bias of the format.
        let (mant, bias) = if fb.exp_max == 0x7ff { (52, 1023) } else { (23, 127) };
        // |a| >= 2^(ea - bias): ea + eb - 2 * bias >= emin + 4p - 3 with
        // emin = 1 - bias - mant and p = mant + 1. |a| < 2^(ea - bias + 1):
        // ea + eb - 2 * bias + 2 <= bias - 3.
        let product = (bias + 3 * mant + 2, 3 * bias - 5);
        // c - bias >= emin + 2p; c - bias + 1 <= bias - 3.
        let addend = (mant + 3, 2 * bias - 4);
        FmaBounds { product, addend }
    }
}

/// What the fast path accepts of an operand besides zero and normal
/// numbers.
#[derive(Clone, Copy)]
enum Operand {
    /// Zero or normal, either sign.
    Any,
    /// Normal only (a divisor).
    NonZero,
    /// Zero, or a positive normal (a square root's operand).
    NotNegative,
}

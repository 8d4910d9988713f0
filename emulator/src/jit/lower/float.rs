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
//! Rust programs never change), every operand is normal or zero (a divisor
//! normal, a square root's operand not negative unless zero), and the
//! result is finite and larger in magnitude than the smallest normal. Then
//! no NaN arises (so NaN rules do not apply), no invalid, division-by-zero
//! or overflow is raised, the result is not tiny under either tininess
//! rule, and the only possible flag is inexact. Where the guest's flags
//! have inexact already (sticky flags: riscv64, aarch64) that is all. Where
//! they do not (flags per instruction: mips `FCSR.Cause`, powerpc64
//! `FPSCR.FI`), they decide inexact exactly on the host, from an
//! error-free transformation of the operation (TwoSum, or a fused
//! multiply-add giving the product's, quotient's or root's exact error),
//! inside bounds that keep that error exact ([`exact_floor`]); a fused
//! multiply-add's error is Boldo and Muller's ErrFma, inside the bounds of
//! its proof ([`FmaBounds`]). Anything else takes the helper.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Value,
    types,
};

use super::{I64, Lower};
use crate::ir::float::flags::INEXACT;
use crate::ir::{FpFormat, FpInsn, FpOp, RoundingMode, Slot, Temp};

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
        let hard = matches!(
            insn.op,
            FpOp::Add | FpOp::Sub | FpOp::Mul | FpOp::Div | FpOp::Sqrt | FpOp::MulAdd
        );
        if !hard {
            let (v, new) = self.fp_call(insn, [a, b, c], rm_v, old);
            self.set_slot(flags.0, new);
            self.set_t(dst, v);
            return;
        }
        let slow = self.b.create_block();
        let fast = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        self.b.append_block_param(done, I64);

        let fb = if insn.fmt == FpFormat::F64 { F64_BITS } else { F32_BITS };
        let prior = self.b.ins().band_imm_s(old, INEXACT as i64);
        // A fixed mode is a constant here, which Cranelift folds.
        let rne = self.b.ins().icmp_imm_s(IntCC::Equal, rm_v, RoundingMode::NearestEven as i64);
        let mut ok = self.bool_to_i64(rne);
        let operands: &[(Value, Operand)] = &match insn.op {
            FpOp::Sqrt => {
                [(a, Operand::NotNegative), (a, Operand::NotNegative), (a, Operand::NotNegative)]
            }
            FpOp::Div => [(a, Operand::Any), (b, Operand::NonZero), (b, Operand::NonZero)],
            FpOp::MulAdd => [(a, Operand::Any), (b, Operand::Any), (c, Operand::Any)],
            _ => [(a, Operand::Any), (b, Operand::Any), (b, Operand::Any)],
        };
        for &(x, kind) in operands {
            let good = self.normal_or_zero(&fb, x, kind);
            ok = self.b.ins().band(ok, good);
        }
        self.b.ins().brif(ok, fast, &[], slow, &[]);

        self.b.switch_to_block(fast);
        let (r, inexact) = self.host_fp(insn, a, b, c);
        let mag = self.b.ins().band_imm_s(r, fb.magnitude);
        // With inexact raised before: any normal finite result.
        let above = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, mag, fb.min_normal);
        let finite = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, mag, fb.inf);
        let lenient = self.b.ins().band(above, finite);
        let lenient = self.bool_to_i64(lenient);
        let mut good = self.b.ins().band(lenient, prior);
        if insn.op == FpOp::MulAdd {
            // Else a fused multiply-add decides inexact only within
            // `FmaBounds`, where it is the only flag, from the exact error.
            let bounds = self.b.create_block();
            let exact = self.b.create_block();
            self.b.ins().brif(good, done, &[r.into(), old.into()], bounds, &[]);
            self.b.switch_to_block(bounds);
            let within = self.fma_within(&fb, a, b, c);
            self.b.ins().brif(within, exact, &[], slow, &[]);
            self.b.switch_to_block(exact);
            let inexact = self.fma_inexact(insn.fmt, a, b, c, r);
            let new = self.b.ins().bor(old, inexact);
            self.b.ins().jump(done, &[r.into(), new.into()]);
            return self.fp_slow_and_done(insn, [a, b, c], rm_v, old, (slow, done), (dst, flags));
        }
        let new = match inexact {
            None => old,
            Some(inexact) => {
                // Else only where the host's error term is exact (see
                // `exact_floor`), and well below overflow.
                let floor = exact_floor(&fb, insn.op) << fb.exp_shift;
                let ceiling = (fb.exp_max - 1) << fb.exp_shift;
                let low = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, mag, floor);
                let high = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, mag, ceiling);
                let mut strict = self.b.ins().band(low, high);
                if insn.op == FpOp::Div {
                    let dividend = self.b.ins().band_imm_s(a, fb.magnitude);
                    let big =
                        self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, dividend, floor);
                    strict = self.b.ins().band(strict, big);
                }
                let strict = self.bool_to_i64(strict);
                good = self.b.ins().bor(good, strict);
                self.b.ins().bor(old, inexact)
            }
        };
        self.b.ins().brif(good, done, &[r.into(), new.into()], slow, &[]);
        self.fp_slow_and_done(insn, [a, b, c], rm_v, old, (slow, done), (dst, flags));
    }

    /// The helper's side of [`lower_fp`](Self::lower_fp) (block `slow`)
    /// and the join (block `done`, with the result and the new flags).
    fn fp_slow_and_done(
        &mut self,
        insn: FpInsn,
        operands: [Value; 3],
        rm: Value,
        old: Value,
        (slow, done): (Block, Block),
        (dst, flags): (Temp, Slot),
    ) {
        self.b.switch_to_block(slow);
        let (v, raised) = self.fp_call(insn, operands, rm, old);
        self.b.ins().jump(done, &[v.into(), raised.into()]);

        self.b.switch_to_block(done);
        let (v, new) = (self.b.block_params(done)[0], self.b.block_params(done)[1]);
        self.set_slot(flags.0, new);
        self.set_t(dst, v);
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
    /// bits (an f32 zero-extended) and, but for a fused multiply-add,
    /// `INEXACT` or 0 from the exact error of the operation (an
    /// error-free transformation): `a + b - s` by TwoSum, `a * b - p`,
    /// `a - q * b` and `a - r * r` by a fused multiply-add. The error is
    /// exact where the result lies within the bounds `lower_fp` checks.
    fn host_fp(&mut self, insn: FpInsn, a: Value, b: Value, c: Value) -> (Value, Option<Value>) {
        let (fty, ity) = float_types(insn.fmt);
        let (x, y, z) = (
            self.host_float(insn.fmt, a),
            self.host_float(insn.fmt, b),
            self.host_float(insn.fmt, c),
        );
        let (r, err) = match insn.op {
            FpOp::Add | FpOp::Sub => {
                let y = if insn.op == FpOp::Sub { self.b.ins().fneg(y) } else { y };
                let (s, e) = self.two_sum(x, y);
                (s, Some(e))
            }
            FpOp::Mul => {
                let p = self.b.ins().fmul(x, y);
                let np = self.b.ins().fneg(p);
                (p, Some(self.b.ins().fma(x, y, np)))
            }
            FpOp::Div => {
                let q = self.b.ins().fdiv(x, y);
                let nq = self.b.ins().fneg(q);
                (q, Some(self.b.ins().fma(nq, y, x)))
            }
            FpOp::Sqrt => {
                let r = self.b.ins().sqrt(x);
                let nr = self.b.ins().fneg(r);
                (r, Some(self.b.ins().fma(nr, r, x)))
            }
            _ => (self.b.ins().fma(x, y, z), None),
        };
        let r = self.b.ins().bitcast(ity, MemFlagsData::new(), r);
        let r = if ity == I64 { r } else { self.b.ins().uextend(I64, r) };
        let inexact = err.map(|e| self.nonzero_flag(fty, e));
        (r, inexact)
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
        let mut sig = Signature::new(self.thunks.host_cc);
        sig.params.extend([AbiParam::new(I64); 6]);
        sig.returns.push(AbiParam::new(I64));
        let sig = self.b.import_signature(sig);
        let helper = self.b.ins().iconst(I64, crate::ir::float::jit_helper as *const () as i64);
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

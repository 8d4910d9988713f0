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
//! Rust programs never change), the inexact flag is already set in the
//! guest flags, every operand is normal or zero (a divisor normal, a
//! square root's operand not negative unless zero), and the result is
//! finite and larger in magnitude than the smallest normal. Then no NaN
//! arises (so NaN rules do not apply), no invalid, division-by-zero or
//! overflow is raised, the result is not tiny under either tininess rule,
//! and the only other possible flag, inexact, is already set. Anything
//! else takes the helper.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Value, types,
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
            let v = self.fp_call(insn, [a, b, c], rm_v, old, flags);
            self.set_t(dst, v);
            return;
        }
        let slow = self.b.create_block();
        let fast = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);

        let fb = if insn.fmt == FpFormat::F64 { F64_BITS } else { F32_BITS };
        let mut ok = self.b.ins().band_imm_s(old, INEXACT as i64);
        // A fixed mode is a constant here, which Cranelift folds.
        let rne = self.b.ins().icmp_imm_s(IntCC::Equal, rm_v, RoundingMode::NearestEven as i64);
        let rne = self.bool_to_i64(rne);
        ok = self.b.ins().band(ok, rne);
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
        let r = self.host_fp(insn, a, b, c);
        let mag = self.b.ins().band_imm_s(r, fb.magnitude);
        let above = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, mag, fb.min_normal);
        let finite = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, mag, fb.inf);
        let good = self.b.ins().band(above, finite);
        self.b.ins().brif(good, done, &[r.into()], slow, &[]);

        self.b.switch_to_block(slow);
        let v = self.fp_call(insn, [a, b, c], rm_v, old, flags);
        self.b.ins().jump(done, &[v.into()]);

        self.b.switch_to_block(done);
        let v = self.b.block_params(done)[0];
        self.set_t(dst, v);
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

    /// The op on the host's floating point (to-nearest-even); the result's
    /// bits, an f32 zero-extended.
    fn host_fp(&mut self, insn: FpInsn, a: Value, b: Value, c: Value) -> Value {
        let (fty, ity) = match insn.fmt {
            FpFormat::F64 => (types::F64, I64),
            FpFormat::F32 => (types::F32, types::I32),
        };
        let to_float = |l: &mut Self, x: Value| {
            let x = if ity == I64 { x } else { l.b.ins().ireduce(ity, x) };
            l.b.ins().bitcast(fty, MemFlagsData::new(), x)
        };
        let (x, y, z) = (to_float(self, a), to_float(self, b), to_float(self, c));
        let r = match insn.op {
            FpOp::Add => self.b.ins().fadd(x, y),
            FpOp::Sub => self.b.ins().fsub(x, y),
            FpOp::Mul => self.b.ins().fmul(x, y),
            FpOp::Div => self.b.ins().fdiv(x, y),
            FpOp::Sqrt => self.b.ins().sqrt(x),
            _ => self.b.ins().fma(x, y, z),
        };
        let r = self.b.ins().bitcast(ity, MemFlagsData::new(), r);
        if ity == I64 { r } else { self.b.ins().uextend(I64, r) }
    }

    /// Call the reference for the op; ORs the flags it raised into slot
    /// `flags` (whose value here is `old`) and returns the result.
    fn fp_call(
        &mut self,
        insn: FpInsn,
        [a, b, c]: [Value; 3],
        rm: Value,
        old: Value,
        flags: Slot,
    ) -> Value {
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
        let new = self.b.ins().bor(old, raised);
        self.set_slot(flags.0, new);
        v
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

//! Lowering of vector ops ([`Op::Vec`](crate::ir::Op::Vec)).
//!
//! Lane-wise integer ops that Cranelift has for 128-bit SIMD types are
//! compiled inline: the 64-bit chunk goes into the low half of a vector
//! register, the op runs on all lanes, and the low half comes back (the
//! high half is don't-care, as every such op is lane-wise). The others
//! call the shared reference, `ir::vector::jit_helper`, so both engines
//! evaluate them through the same code.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, Signature, Type, types};

use super::{I64, Lower};
use crate::ir::{Temp, VecInsn, VecOp};

/// The 128-bit Cranelift type whose lanes are `8 << esize` bits.
fn lane_type(esize: u8) -> Type {
    match esize {
        0 => types::I8X16,
        1 => types::I16X8,
        2 => types::I32X4,
        _ => types::I64X2,
    }
}

impl Lower<'_, '_> {
    /// `dst = insn(a, b, c)`.
    pub(super) fn lower_vec(&mut self, insn: VecInsn, dst: Temp, a: Temp, b: Temp, c: Temp) {
        let (av, bv, cv) = (self.t(a), self.t(b), self.t(c));
        // Ops with an exact Cranelift counterpart on every lane width.
        let inline = match insn.op {
            VecOp::Add
            | VecOp::Sub
            | VecOp::CmpEq
            | VecOp::CmpHi
            | VecOp::CmpHs
            | VecOp::CmpGt
            | VecOp::CmpGe
            | VecOp::MaxU
            | VecOp::MinU
            | VecOp::MaxS
            | VecOp::MinS => insn.esize < 3 || matches!(insn.op, VecOp::Add | VecOp::Sub),
            _ => false,
        };
        let v = if inline {
            let ty = lane_type(insn.esize);
            let le = MemFlagsData::new().with_endianness(cranelift_codegen::ir::Endianness::Little);
            let to_vec = |l: &mut Self, x| {
                let w = l.b.ins().scalar_to_vector(types::I64X2, x);
                l.b.ins().bitcast(ty, le, w)
            };
            let x = to_vec(self, av);
            let y = to_vec(self, bv);
            let ins = self.b.ins();
            let r = match insn.op {
                VecOp::Add => ins.iadd(x, y),
                VecOp::Sub => ins.isub(x, y),
                VecOp::CmpEq => ins.icmp(IntCC::Equal, x, y),
                VecOp::CmpHi => ins.icmp(IntCC::UnsignedGreaterThan, x, y),
                VecOp::CmpHs => ins.icmp(IntCC::UnsignedGreaterThanOrEqual, x, y),
                VecOp::CmpGt => ins.icmp(IntCC::SignedGreaterThan, x, y),
                VecOp::CmpGe => ins.icmp(IntCC::SignedGreaterThanOrEqual, x, y),
                VecOp::MaxU => ins.umax(x, y),
                VecOp::MinU => ins.umin(x, y),
                VecOp::MaxS => ins.smax(x, y),
                _ => ins.smin(x, y),
            };
            let w = self.b.ins().bitcast(types::I64X2, le, r);
            self.b.ins().extractlane(w, 0)
        } else {
            // `jit_helper` is `extern "C"`: the host's default convention.
            let mut sig = Signature::new(self.thunks.host_cc);
            sig.params.extend([AbiParam::new(I64); 4]);
            sig.returns.push(AbiParam::new(I64));
            let sig = self.b.import_signature(sig);
            let helper =
                self.b.ins().iconst(I64, crate::ir::vector::jit_helper as *const () as i64);
            let desc = self.b.ins().iconst(I64, insn.pack() as i64);
            let call = self.b.ins().call_indirect(sig, helper, &[desc, av, bv, cv]);
            self.b.inst_results(call)[0]
        };
        self.set_t(dst, v);
    }
}

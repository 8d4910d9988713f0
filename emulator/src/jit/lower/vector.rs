//! Lowering of vector ops ([`Op::Vec`](crate::ir::Op::Vec)).
//!
//! Lane-wise integer ops that Cranelift has for 128-bit SIMD types are
//! compiled inline: the 64-bit chunk goes into the low half of a vector
//! register, the op runs on all lanes, and the low half comes back (the
//! high half is don't-care, as every such op is lane-wise). Pairwise ops
//! and narrowing shifts put both chunks in one vector and shuffle bytes
//! to make them lane-wise (`Lower::lower_vec_pairs`). The others
//! call the shared reference, `ir::vector::jit_helper`, so both engines
//! evaluate them through the same code.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, ConstantData, InstBuilder, MemFlagsData, Signature, Type, Value, types,
};

use super::{I64, Lower};
use crate::ir::{Temp, VecInsn, VecOp};
use crate::jit::runtime;

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
        if let Some(v) = self.lower_vec_pairs(insn, av, bv) {
            self.set_t(dst, v);
            return;
        }
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
            let mut sig = Signature::new(self.host_cc);
            sig.params.extend([AbiParam::new(I64); 4]);
            sig.returns.push(AbiParam::new(I64));
            let sig = self.b.import_signature(sig);
            let helper = self.callee(runtime::offsets::VECTOR_HELPER);
            let desc = self.b.ins().iconst(I64, insn.pack() as i64);
            let call = self.b.ins().call_indirect(sig, helper, &[desc, av, bv, cv]);
            self.b.inst_results(call)[0]
        };
        self.set_t(dst, v);
    }
}

impl Lower<'_, '_> {
    /// Ops over the two chunks as one 128-bit vector (`a` low, `b` high)
    /// that a byte shuffle makes lane-wise: the pairwise ops (`addp`,
    /// `umaxp`, ... — the even lanes against the odd ones) and the
    /// narrowing shift (`shrn`, `xtn` — each wide lane shifted, then its
    /// low half kept), all of which glibc's string routines run in their
    /// inner loops. `None` for the other ops, and for 64-bit min and max,
    /// which the host has no instruction for.
    fn lower_vec_pairs(&mut self, insn: VecInsn, a: Value, b: Value) -> Option<Value> {
        let e = insn.esize;
        let lane = 1usize << e;
        let le = MemFlagsData::new().with_endianness(cranelift_codegen::ir::Endianness::Little);
        let pairwise = match insn.op {
            VecOp::AddP => true,
            VecOp::MaxPU | VecOp::MinPU | VecOp::MaxPS | VecOp::MinPS if e < 3 => true,
            VecOp::NarrowShr(_) if e < 3 => false,
            _ => return None,
        };
        let v = self.b.ins().scalar_to_vector(types::I64X2, a);
        let v = self.b.ins().insertlane(v, b, 1);
        // Byte `i` of the result's low half takes byte `pick(i)` of `v`.
        let shuffle = |l: &mut Self, v: Value, pick: &dyn Fn(usize) -> usize| {
            let bytes = l.b.ins().bitcast(types::I8X16, le, v);
            let mask: Vec<u8> = (0..16).map(|i| if i < 8 { pick(i) as u8 } else { 0 }).collect();
            let mask = l.b.func.dfg.immediates.push(ConstantData::from(mask));
            l.b.ins().shuffle(bytes, bytes, mask)
        };
        let r = if pairwise {
            let ty = lane_type(e);
            // Lane j of the low half: lane 2j (evens) or 2j + 1 (odds).
            let evens = shuffle(self, v, &|i| (i / lane * 2) * lane + i % lane);
            let odds = shuffle(self, v, &|i| (i / lane * 2 + 1) * lane + i % lane);
            let x = self.b.ins().bitcast(ty, le, evens);
            let y = self.b.ins().bitcast(ty, le, odds);
            let ins = self.b.ins();
            match insn.op {
                VecOp::AddP => ins.iadd(x, y),
                VecOp::MaxPU => ins.umax(x, y),
                VecOp::MinPU => ins.umin(x, y),
                VecOp::MaxPS => ins.smax(x, y),
                _ => ins.smin(x, y),
            }
        } else {
            let VecOp::NarrowShr(n) = insn.op else { return None };
            let wide = self.b.ins().bitcast(lane_type(e + 1), le, v);
            let shifted = self.b.ins().ushr_imm_u(wide, n as i64);
            // Narrow lane j is the low half of wide lane j.
            shuffle(self, shifted, &|i| i / lane * 2 * lane + i % lane)
        };
        let w = self.b.ins().bitcast(types::I64X2, le, r);
        Some(self.b.ins().extractlane(w, 0))
    }
}

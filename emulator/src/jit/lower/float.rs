//! Lowering of floating-point ops ([`Op::Fp`](crate::ir::Op::Fp)).
//!
//! Every op calls the shared reference, `ir::float::jit_helper`, so both
//! engines evaluate floating point through the same code: the helper gets
//! the op's packed descriptor, its operands and rounding mode, writes the
//! flags it raised to a stack slot, and this code ORs them into the guest
//! flags slot (which stays in its variable, like any other slot).

use cranelift_codegen::ir::{AbiParam, InstBuilder, Signature, StackSlotData, StackSlotKind};

use super::{I64, Lower};
use crate::ir::{FpInsn, FpRound, Slot, Temp};

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
        rm: FpRound,
        flags: Slot,
    ) {
        let (a, b, c) = (self.t(a), self.t(b), self.t(c));
        let rm = match rm {
            FpRound::Static(m) => self.b.ins().iconst(I64, m as i64),
            FpRound::Dynamic(t) => self.t(t),
        };
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
        let old = self.get_slot(flags.0);
        let new = self.b.ins().bor(old, raised);
        self.set_slot(flags.0, new);
        self.set_t(dst, v);
    }
}

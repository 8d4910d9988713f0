//! riscv64 lifter (to be filled).
use crate::ir::BlockBuilder;

pub fn lift_insn(_pc: u64, _bytes: &[u8], _b: &mut BlockBuilder) {
    unimplemented!()
}

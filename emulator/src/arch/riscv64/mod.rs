//! riscv64 frontend: RV64IMAFDC with every compressed form, the Zicsr
//! counter reads that user code issues, the floating-point CSRs, and
//! `fence.i`.
//!
//! `decode` turns bytes into instructions via encoding tables; `lift`
//! emits IR for them (`lift_fp` for F, D and the FP CSRs); `disasm` renders them as text through capstone (the
//! only capstone user here, so the decoder stays independent of it); `abi`
//! holds the Linux syscall table; `regs` the slot layout and names.

pub mod abi;
pub mod decode;
pub mod disasm;
pub mod lift;
pub mod lift_fp;
pub mod portal;
pub mod regs;

use crate::arch::{Arch, Frontend, SyscallAbi};
use crate::cpu::CpuState;
use crate::ir::{BlockBuilder, Slot};

/// The riscv64 frontend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Riscv64;

impl Frontend for Riscv64 {
    fn arch(&self) -> Arch {
        Arch::Riscv64
    }

    fn hwcap(&self) -> u64 {
        lift_fp::HWCAP
    }

    fn max_insn_len(&self) -> usize {
        4
    }

    fn insn_len(&self, bytes: &[u8]) -> usize {
        bytes.first().map_or(2, |&b| decode::insn_len(b) as usize)
    }

    fn encoding_name(&self, bytes: &[u8]) -> Option<&'static str> {
        match decode::decode(bytes) {
            decode::Decoded::Insn(i) => Some(i.name),
            _ => None,
        }
    }

    fn encoding_names(&self) -> Vec<&'static str> {
        decode::encodings().map(|e| e.name).collect()
    }

    fn disassemble(&self, pc: u64, bytes: &[u8]) -> Option<(String, usize)> {
        disasm::disassemble(pc, bytes)
    }

    fn lift_insn(&self, pc: u64, bytes: &[u8], b: &mut BlockBuilder) {
        lift::lift_insn(pc, bytes, b)
    }

    fn syscall_abi(&self) -> &'static SyscallAbi {
        &abi::ABI
    }

    fn stack_pointer(&self) -> Slot {
        regs::SP
    }

    fn slot_name(&self, slot: Slot) -> Option<&'static str> {
        regs::slot_name(slot)
    }

    fn init_registers(&self, cpu: &mut CpuState, entry: u64, sp: u64, _toc: Option<u64>) {
        cpu.pc = entry;
        cpu.regs[regs::SP.0 as usize] = sp;
        cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    }

    fn clear_reservation(&self, cpu: &mut CpuState) {
        cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    }

    fn set_thread_pointer(&self, cpu: &mut CpuState, tp: u64) {
        cpu.regs[regs::TP.0 as usize] = tp;
    }

    fn portal_copy_stub(&self) -> Option<&'static crate::arch::PortalStub> {
        Some(&portal::STUB)
    }
}

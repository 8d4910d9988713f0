//! powerpc64 frontend: big-endian, ELFv1, 64-bit mode; the integer user ISA
//! GCC emits for POWER8 and older (see `decode` for the exact subset).
//!
//! `decode` turns bytes into instructions via one encoding table; `lift`
//! emits IR for them; `disasm` renders them as text through capstone (the
//! only capstone user here); `abi` holds the Linux syscall table; `regs`
//! the slot layout and names; `portal` the guest copy stub of the `portal`
//! write path. The loader resolves the ELFv1 entry descriptor and hands the
//! TOC pointer to [`Frontend::init_registers`].

pub mod abi;
pub mod decode;
pub mod disasm;
pub mod lift;
pub mod lift_fp;
pub mod portal;
pub mod regs;

use crate::arch::{Arch, Frontend, PortalStub, SyscallAbi};
use crate::cpu::CpuState;
use crate::ir::{BlockBuilder, Slot};

/// The powerpc64 frontend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Powerpc64;

impl Frontend for Powerpc64 {
    fn arch(&self) -> Arch {
        Arch::Powerpc64
    }

    fn hwcap(&self) -> u64 {
        lift_fp::HWCAP
    }

    fn max_insn_len(&self) -> usize {
        4
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

    fn init_registers(&self, cpu: &mut CpuState, entry: u64, sp: u64, toc: Option<u64>) {
        // Linux's start_thread: r1 points at argc, r2 is the TOC; the other
        // registers, LR, CTR, XER and CR start at zero.
        cpu.pc = entry;
        cpu.regs[regs::SP.0 as usize] = sp;
        cpu.regs[regs::TOC.0 as usize] = toc.unwrap_or(0);
        cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    }

    fn clear_reservation(&self, cpu: &mut CpuState) {
        cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    }

    fn set_thread_pointer(&self, cpu: &mut CpuState, tp: u64) {
        cpu.regs[regs::TP.0 as usize] = tp;
    }

    fn portal_copy_stub(&self) -> Option<&'static PortalStub> {
        Some(&portal::STUB)
    }
}

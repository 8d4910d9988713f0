//! aarch64 frontend: the A64 instruction set that compiled user code uses,
//! with the LSE atomics, the EL0 system registers libc touches, scalar
//! floating point and Advanced SIMD (`lift::simd`).
//!
//! `decode` turns words into instructions via an encoding table; `lift`
//! emits IR for them; `disasm` renders them as text through capstone (the
//! only capstone user here, so the decoder stays independent of it); `abi`
//! holds the Linux syscall table (the asm-generic one); `regs` the slot
//! layout and names; `portal` the copy stub of the `portal` write path.

pub mod abi;
pub mod decode;
pub mod disasm;
pub mod lift;
pub mod portal;
pub mod regs;

use crate::arch::{Arch, Frontend, PortalStub, SyscallAbi};
use crate::cpu::CpuState;
use crate::ir::{BlockBuilder, Slot};

/// `AT_HWCAP`: `HWCAP_FP` (bit 0), `HWCAP_ASIMD` (bit 1) and
/// `HWCAP_CRC32` (bit 7).
pub const HWCAP: u64 = 0b11 | (1 << 7);

/// The aarch64 frontend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Aarch64;

impl Frontend for Aarch64 {
    fn arch(&self) -> Arch {
        Arch::Aarch64
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

    fn read_view(&self, cpu: &CpuState, name: &str) -> Option<u64> {
        regs::flag(&cpu.regs, name)
    }

    fn write_view(&self, cpu: &mut CpuState, name: &str, value: u64) -> bool {
        regs::set_flag(&mut cpu.regs, name, value)
    }

    fn init_registers(&self, cpu: &mut CpuState, entry: u64, sp: u64, _toc: Option<u64>) {
        cpu.pc = entry;
        cpu.regs[regs::SP.0 as usize] = sp;
        cpu.regs[regs::MONITOR.0 as usize] = regs::NO_MONITOR;
    }

    fn clear_reservation(&self, cpu: &mut CpuState) {
        cpu.regs[regs::MONITOR.0 as usize] = regs::NO_MONITOR;
    }

    fn set_thread_pointer(&self, cpu: &mut CpuState, tp: u64) {
        cpu.regs[regs::TPIDR_EL0.0 as usize] = tp;
    }

    fn hwcap(&self) -> u64 {
        HWCAP
    }

    fn portal_copy_stub(&self) -> Option<&'static PortalStub> {
        Some(&portal::STUB)
    }
}

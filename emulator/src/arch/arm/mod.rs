//! armel frontend: 32-bit ARM (ARMv5TE–ARMv7-A user mode), little-endian,
//! EABI, soft-float, in ARM (A32) and Thumb (T16/T32) state. The Thumb
//! bit is bit 0 of the pc: a block is translated in the state its pc
//! says, so one address can have an ARM and a Thumb translation.
//!
//! `decode` turns instruction words into instructions via two decode
//! tables in the manual's bit-pattern form; `lift` emits IR for them,
//! conditional execution and the barrel shifter included; `disasm`
//! renders them through capstone (the only capstone user here); `abi`
//! holds the EABI syscall table; `thumb` lifts Thumb state (IT blocks
//! included) mostly through `lift`; `regs` the slot layout and names;
//! `portal` the copy stub of the portal write path; `kuser` the helper
//! page Linux maps at 0xffff0000.

pub mod abi;
pub mod decode;
pub mod disasm;
pub mod kuser;
pub mod lift;
pub mod portal;
pub mod regs;
pub mod thumb;

use crate::arch::{Arch, FixedPage, Frontend, PortalStub, SyscallAbi};
use crate::cpu::CpuState;
use crate::ir::Slot;

/// `AT_HWCAP` bits (`arch/arm/include/uapi/asm/hwcap.h`).
pub mod hwcap {
    pub const SWP: u64 = 1 << 0;
    pub const HALF: u64 = 1 << 1;
    pub const THUMB: u64 = 1 << 2;
    pub const FAST_MULT: u64 = 1 << 4;
    pub const EDSP: u64 = 1 << 7;
    pub const TLS: u64 = 1 << 15;
    pub const IDIVA: u64 = 1 << 17;
    pub const IDIVT: u64 = 1 << 18;
}

/// What `AT_HWCAP` advertises: exactly what the lifter implements (`swp`,
/// halfword transfers, long multiplies, the v5TE DSP instructions, the TLS
/// register, Thumb and Thumb-2, `sdiv`/`udiv` in both states). No VFP.
pub const HWCAP: u64 = hwcap::SWP
    | hwcap::HALF
    | hwcap::THUMB
    | hwcap::FAST_MULT
    | hwcap::EDSP
    | hwcap::TLS
    | hwcap::IDIVA
    | hwcap::IDIVT;

static KUSER: [&FixedPage; 1] = [&kuser::PAGE];

/// The armel frontend.
#[derive(Debug, Clone, Copy)]
pub struct Arm;

impl Frontend for Arm {
    fn arch(&self) -> Arch {
        Arch::Armel
    }

    fn max_insn_len(&self) -> usize {
        4
    }

    fn encoding_name(&self, bytes: &[u8]) -> Option<&'static str> {
        match decode::decode_word(decode::word_from(bytes)?) {
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

    fn lift_insn(&self, pc: u64, bytes: &[u8], b: &mut crate::ir::BlockBuilder) {
        if pc & 1 != 0 { thumb::lift_insn(pc, bytes, b) } else { lift::lift_insn(pc, bytes, b) }
    }

    fn fetch_addr(&self, pc: u64) -> u64 {
        // Bit 0 is the Thumb bit; the state bits hold the IT state.
        pc & 0xffff_fffe
    }

    fn slot_is_word(&self, slot: Slot) -> bool {
        // Everything but the exclusive monitor, which holds an
        // out-of-range marker when open.
        slot.0 <= regs::NEXT_PC.0 && slot != regs::RESERVATION
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
        // Linux starts EABI processes with the other registers zero (r0
        // holds 0: no atexit function from a dynamic linker).
        cpu.pc = entry;
        cpu.regs[regs::SP.0 as usize] = sp;
        cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    }

    fn clear_reservation(&self, cpu: &mut CpuState) {
        cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    }

    fn set_thread_pointer(&self, cpu: &mut CpuState, tp: u64) {
        cpu.regs[regs::TLS.0 as usize] = tp & 0xffff_ffff;
    }

    fn portal_copy_stub(&self) -> Option<&'static PortalStub> {
        Some(&portal::STUB)
    }

    fn hwcap(&self) -> u64 {
        HWCAP
    }

    fn fixed_pages(&self) -> &'static [&'static FixedPage] {
        &KUSER
    }
}

//! mips frontend: MIPS32 Release 2 with the o32 ABI, in both byte orders
//! (`mipsel`, `mipseb`) from one implementation parameterised by
//! [`Endian`].
//!
//! `decode` turns instruction words into instructions via an encoding
//! table; `lift` emits IR for them, including the delay-slot protocol;
//! `disasm` renders them through capstone (the only capstone user here);
//! `abi` holds the o32 syscall table; `regs` the slot layout and names;
//! `portal` the copy stubs of the portal write path; `fpmode` the FPU
//! modes (`FR=0`, `FR=1`): which one a program starts in and how a
//! switch converts the registers.
//!
//! The FPU mode is the frontend's: each byte order has one frontend per
//! mode, a process runs the one of its mode, and switching modes
//! (`prctl(PR_SET_FP_MODE)`) switches frontends and drops every
//! translation, so a block lifted for one mode never runs in the other.

pub mod abi;
pub mod decode;
pub mod disasm;
pub mod fpmode;
pub mod lift;
pub mod lift_fp;
pub mod portal;
pub mod regs;

use crate::arch::{Arch, Frontend, PortalStub, SyscallAbi};
use crate::cpu::CpuState;
use crate::ir::{BlockBuilder, Endian, Slot};

/// The MIPS32 frontend for one byte order and FPU mode.
#[derive(Debug, Clone, Copy)]
pub struct Mips {
    pub endian: Endian,
    /// The FPU runs with `FR=1`: 64-bit registers.
    pub fr1: bool,
}

/// Little-endian MIPS32 (`mipsel`), `FR=0`.
pub static MIPSEL: Mips = Mips { endian: Endian::Little, fr1: false };
/// Big-endian MIPS32 (`mipseb`), `FR=0`.
pub static MIPSEB: Mips = Mips { endian: Endian::Big, fr1: false };
/// `mipsel` with `FR=1`.
pub static MIPSEL_FR1: Mips = Mips { endian: Endian::Little, fr1: true };
/// `mipseb` with `FR=1`.
pub static MIPSEB_FR1: Mips = Mips { endian: Endian::Big, fr1: true };

/// The frontend for byte order `endian` in FPU mode `mode` (the value
/// `PR_GET_FP_MODE` reports: [`fpmode::PR_FP_MODE_FR`] or 0).
pub fn frontend(endian: Endian, mode: u32) -> &'static Mips {
    match (endian, mode & fpmode::PR_FP_MODE_FR != 0) {
        (Endian::Little, false) => &MIPSEL,
        (Endian::Little, true) => &MIPSEL_FR1,
        (Endian::Big, false) => &MIPSEB,
        (Endian::Big, true) => &MIPSEB_FR1,
    }
}

impl Frontend for Mips {
    fn arch(&self) -> Arch {
        match self.endian {
            Endian::Little => Arch::Mipsel,
            Endian::Big => Arch::Mipseb,
        }
    }

    fn max_insn_len(&self) -> usize {
        4
    }

    fn encoding_name(&self, bytes: &[u8]) -> Option<&'static str> {
        match decode::decode_word(decode::word_from(bytes, self.endian)?) {
            decode::Decoded::Insn(i) => Some(i.name),
            decode::Decoded::Illegal => None,
        }
    }

    fn encoding_names(&self) -> Vec<&'static str> {
        decode::encodings().map(|e| e.name).collect()
    }

    fn disassemble(&self, pc: u64, bytes: &[u8]) -> Option<(String, usize)> {
        disasm::disassemble(self.endian, self.fr1, pc, bytes)
    }

    fn lift_insn(&self, pc: u64, bytes: &[u8], b: &mut BlockBuilder) {
        lift::lift_insn(self.endian, self.fr1, pc, bytes, b)
    }

    fn mode(&self) -> u32 {
        if self.fr1 { fpmode::PR_FP_MODE_FR } else { 0 }
    }

    fn slot_is_word(&self, slot: Slot) -> bool {
        // The general registers, HI and LO; not the reservation, the TLS
        // register or the pending delay-slot branch.
        slot.0 < 32 || slot == regs::HI || slot == regs::LO
    }

    fn transient_slot(&self) -> Option<Slot> {
        // Set by a branch (never in a delay slot: one there traps), read
        // only by a block that starts in a delay slot, cleared by the slot.
        Some(regs::DELAY)
    }

    fn begin_block(&self, _pc: u64, before: &[u8], b: &mut BlockBuilder) {
        lift::begin_block(self.endian, before, b)
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
        // Linux starts o32 processes with every other register zero.
        cpu.pc = entry;
        cpu.regs[regs::SP.0 as usize] = sp;
        cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
        cpu.regs[regs::DELAY.0 as usize] = 0;
    }

    fn clear_reservation(&self, cpu: &mut CpuState) {
        cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    }

    fn set_thread_pointer(&self, cpu: &mut CpuState, tp: u64) {
        cpu.regs[regs::ULR.0 as usize] = tp & 0xffff_ffff;
    }

    fn portal_copy_stub(&self) -> Option<&'static PortalStub> {
        Some(portal::stub(self.endian))
    }
}

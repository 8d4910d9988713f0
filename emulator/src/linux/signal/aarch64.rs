//! aarch64's `rt_sigframe` (`arch/arm64/kernel/signal.c`, and QEMU's
//! `linux-user/aarch64/signal.c`):
//!
//! ```text
//! 0    siginfo (128 bytes)
//! 128  ucontext: uc_flags, uc_link, uc_stack (sp, flags, size),
//!      uc_sigmask (8 bytes), 120 bytes unused,
//! 304  uc_mcontext: fault_address, x0..x30, sp, pc, pstate,
//! 592  __reserved (4096 bytes): an fpsimd_context record (magic
//!      0x46508001, 528 bytes: fpsr, fpcr, v0..v31), then the null record
//! 4688 end; above it (16-byte aligned) the frame record {x29, x30}
//! ```
//!
//! The handler gets `x0 = sig`, `x1 = &info`, `x2 = &uc`, `x29` at the
//! frame record, `sp` at the frame and `x30` at `sa_restorer` (with
//! `SA_RESTORER`) or the trampoline page (the vDSO's sigreturn).
//! `rt_sigreturn` restores the FP/SIMD record too, and refuses a frame
//! without one (a bad frame, as Linux does).

use super::{Delivery, FrameWriter, get, trampoline_base, write_siginfo};
use crate::arch::aarch64::regs;
use crate::linux::Process;

const UC: u64 = 128;
const UC_STACK: u64 = UC + 16;
const UC_SIGMASK: u64 = UC + 40;
const MCONTEXT: u64 = UC + 176;
const FAULT_ADDRESS: u64 = MCONTEXT;
const REGS: u64 = MCONTEXT + 8;
const SP: u64 = REGS + 31 * 8;
const PC: u64 = SP + 8;
const PSTATE: u64 = PC + 8;
const RESERVED: u64 = MCONTEXT + 288;
const FPSIMD_MAGIC: u64 = 0x4650_8001;
const FPSIMD_SIZE: u64 = 528;
/// In the fpsimd record: fpsr, fpcr (u32 each), then v0..v31 (16 bytes).
const FPSR: u64 = RESERVED + 8;
const FPCR: u64 = RESERVED + 12;
const VREGS: u64 = RESERVED + 16;
const FRAME_SIZE: u64 = RESERVED + 4096;

/// PSTATE's N, Z, C, V bits.
const FLAG_BITS: [(&str, u32); 4] = [("n", 31), ("z", 30), ("c", 29), ("v", 28)];

pub(super) fn push_frame(p: &mut Process, d: &Delivery) -> Result<(), ()> {
    let Delivery { abi, act, info, old_mask } = *d;
    let sp = p.cpu.regs[regs::SP.0 as usize];
    let record = p.frame_stack(act, sp).wrapping_sub(16) & !0xf;
    let frame = record.wrapping_sub(FRAME_SIZE) & !0xf;
    let mut w = FrameWriter::new(p, FRAME_SIZE as usize);
    write_siginfo(&mut w, abi, 0, info);
    super::write_uc_stack(&mut w, p, UC_STACK, sp);
    w.put(UC_SIGMASK, old_mask, 8);
    let fault = if info.signo == super::SIGSEGV || info.signo == abi.numbers.sigbus {
        info.addr.unwrap_or(0)
    } else {
        0
    };
    w.word(FAULT_ADDRESS, fault);
    for n in 0..31 {
        w.word(REGS + 8 * n as u64, p.cpu.regs[regs::x(n).0 as usize]);
    }
    w.word(SP, sp);
    w.word(PC, p.cpu.pc);
    let mut pstate = 0u64;
    for (name, b) in FLAG_BITS {
        pstate |= regs::flag(&p.cpu.regs, name).unwrap_or(0) << b;
    }
    w.word(PSTATE, pstate);
    w.put(RESERVED, FPSIMD_MAGIC, 4);
    w.put(RESERVED + 4, FPSIMD_SIZE, 4);
    let r = &p.cpu.regs;
    let fpsr = r[regs::FPSR.0 as usize] | regs::fpsr_flags_swap(r[regs::FP_FLAGS.0 as usize]);
    w.put(FPSR, fpsr & 0xffff_ffff, 4);
    w.put(FPCR, r[regs::FPCR.0 as usize] & 0xffff_ffff, 4);
    for n in 0..32 {
        w.put(VREGS + 16 * n as u64, r[regs::v(n, 0).0 as usize], 8);
        w.put(VREGS + 16 * n as u64 + 8, r[regs::v(n, 1).0 as usize], 8);
    }
    let mut rec = FrameWriter::new(p, 16);
    rec.word(0, p.cpu.regs[regs::x(29).0 as usize]);
    rec.word(8, p.cpu.regs[regs::LR.0 as usize]);
    p.mem.write_checked(frame, &w.buf).map_err(|_| ())?;
    p.mem.write_checked(record, &rec.buf).map_err(|_| ())?;
    let ret = if act.flags & abi.sa.restorer.unwrap_or(0) != 0 {
        act.restorer
    } else {
        trampoline_base(true)
    };
    let cpu = &mut p.cpu;
    cpu.regs[regs::X0.0 as usize] = info.signo as u64;
    cpu.regs[regs::X1.0 as usize] = frame;
    cpu.regs[regs::X2.0 as usize] = frame + UC;
    cpu.regs[regs::x(29).0 as usize] = record;
    cpu.regs[regs::SP.0 as usize] = frame;
    cpu.regs[regs::LR.0 as usize] = ret;
    cpu.regs[regs::MONITOR.0 as usize] = regs::NO_MONITOR;
    cpu.pc = act.handler;
    Ok(())
}

/// Restore the frame at `sp`; returns the signal mask it holds.
pub(super) fn restore_frame(p: &mut Process) -> Result<u64, ()> {
    let frame = p.cpu.regs[regs::SP.0 as usize];
    if frame & 0xf != 0 {
        return Err(());
    }
    let mut vals = [0u64; 34];
    for (n, v) in vals.iter_mut().enumerate() {
        *v = get(p, frame + REGS + 8 * n as u64, 8).ok_or(())?;
    }
    let pstate = get(p, frame + PSTATE, 8).ok_or(())?;
    let mask = get(p, frame + UC_SIGMASK, 8).ok_or(())?;
    if get(p, frame + RESERVED, 4) != Some(FPSIMD_MAGIC)
        || get(p, frame + RESERVED + 4, 4) != Some(FPSIMD_SIZE)
    {
        return Err(());
    }
    let fpsr = get(p, frame + FPSR, 4).ok_or(())?;
    let fpcr = get(p, frame + FPCR, 4).ok_or(())?;
    let mut v = [0u64; 64];
    for (i, x) in v.iter_mut().enumerate() {
        *x = get(p, frame + VREGS + 8 * i as u64, 8).ok_or(())?;
    }
    let cpu = &mut p.cpu;
    for (n, v) in vals.iter().take(31).enumerate() {
        cpu.regs[regs::x(n as u32).0 as usize] = *v;
    }
    cpu.regs[regs::SP.0 as usize] = vals[31];
    cpu.pc = vals[32];
    for (name, b) in FLAG_BITS {
        regs::set_flag(&mut cpu.regs, name, (pstate >> b) & 1);
    }
    cpu.regs[regs::FPSR.0 as usize] = fpsr & regs::FPSR_WRITABLE & !regs::FPSR_CUMULATIVE;
    cpu.regs[regs::FP_FLAGS.0 as usize] = regs::fpsr_flags_swap(fpsr & regs::FPSR_CUMULATIVE);
    cpu.regs[regs::FPCR.0 as usize] = fpcr & regs::FPCR_WRITABLE;
    for (i, x) in v.iter().enumerate() {
        cpu.regs[regs::v(i as u32 / 2, i as u32 % 2).0 as usize] = *x;
    }
    cpu.regs[regs::MONITOR.0 as usize] = regs::NO_MONITOR;
    Ok(mask)
}

//! riscv64's `rt_sigframe` (`arch/riscv/kernel/signal.c`, and QEMU's
//! `linux-user/riscv/signal.c`):
//!
//! ```text
//! 0    siginfo (128 bytes)
//! 128  ucontext: uc_flags, uc_link, uc_stack (sp, flags, size),
//!      uc_sigmask (8 bytes), 120 bytes unused,
//! 304  uc_mcontext: pc, x1..x31, f0..f31, fcsr (u32), padding to 528
//!      bytes of FP state
//! 1088 end (16-byte aligned)
//! ```
//!
//! The handler gets `a0 = sig`, `a1 = &info`, `a2 = &uc`, `sp` at the
//! frame and `ra` at the trampoline page (riscv has no `SA_RESTORER`).

use super::{Delivery, FrameWriter, get, trampoline_base, write_siginfo};
use crate::arch::riscv64::regs;
use crate::linux::Process;

const UC: u64 = 128;
const UC_STACK: u64 = UC + 16;
const UC_SIGMASK: u64 = UC + 40;
const MCONTEXT: u64 = UC + 176;
const FPREGS: u64 = MCONTEXT + 256;
const FCSR: u64 = FPREGS + 256;
const FRAME_SIZE: u64 = MCONTEXT + 256 + 528;

pub(super) fn push_frame(p: &mut Process, d: &Delivery) -> Result<(), ()> {
    let Delivery { abi, act, info, old_mask } = *d;
    let sp = p.cpu.regs[regs::SP.0 as usize];
    let frame = p.frame_stack(act, sp).wrapping_sub(FRAME_SIZE) & !0xf;
    let mut w = FrameWriter::new(p, FRAME_SIZE as usize);
    write_siginfo(&mut w, abi, 0, info);
    super::write_uc_stack(&mut w, p, UC_STACK, sp);
    w.put(UC_SIGMASK, old_mask, 8);
    w.word(MCONTEXT, p.cpu.pc);
    for n in 1..32 {
        w.word(MCONTEXT + 8 * n as u64, p.cpu.regs[regs::x(n).0 as usize]);
    }
    for n in 0..32 {
        w.put(FPREGS + 8 * n as u64, p.cpu.regs[regs::f(n).0 as usize], 8);
    }
    w.put(FCSR, fcsr(p), 4);
    p.mem.write_checked(frame, &w.buf).map_err(|_| ())?;
    let cpu = &mut p.cpu;
    cpu.regs[regs::A0.0 as usize] = info.signo as u64;
    cpu.regs[regs::A1.0 as usize] = frame;
    cpu.regs[regs::A2.0 as usize] = frame + UC;
    cpu.regs[regs::SP.0 as usize] = frame;
    cpu.regs[regs::RA.0 as usize] = trampoline_base(true);
    cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    cpu.pc = act.handler;
    Ok(())
}

/// `fcsr` from its two slots: `frm` in bits 7–5, `fflags` in 4–0.
fn fcsr(p: &Process) -> u64 {
    ((p.cpu.regs[regs::FRM.0 as usize] & 7) << 5) | (p.cpu.regs[regs::FFLAGS.0 as usize] & 0x1f)
}

/// Restore the frame at `sp`; returns the signal mask it holds.
pub(super) fn restore_frame(p: &mut Process) -> Result<u64, ()> {
    let frame = p.cpu.regs[regs::SP.0 as usize];
    let mut vals = [0u64; 32];
    for (n, v) in vals.iter_mut().enumerate() {
        *v = get(p, frame + MCONTEXT + 8 * n as u64, 8).ok_or(())?;
    }
    let mut fvals = [0u64; 32];
    for (n, v) in fvals.iter_mut().enumerate() {
        *v = get(p, frame + FPREGS + 8 * n as u64, 8).ok_or(())?;
    }
    let fcsr = get(p, frame + FCSR, 4).ok_or(())?;
    let mask = get(p, frame + UC_SIGMASK, 8).ok_or(())?;
    let cpu = &mut p.cpu;
    cpu.pc = vals[0];
    for (n, v) in vals.iter().enumerate().skip(1) {
        cpu.regs[regs::x(n as u32).0 as usize] = *v;
    }
    for (n, v) in fvals.iter().enumerate() {
        cpu.regs[regs::f(n as u32).0 as usize] = *v;
    }
    cpu.regs[regs::FRM.0 as usize] = (fcsr >> 5) & 7;
    cpu.regs[regs::FFLAGS.0 as usize] = fcsr & 0x1f;
    cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    Ok(mask)
}

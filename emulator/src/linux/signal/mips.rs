//! mips o32's signal frames, both byte orders (`arch/mips/kernel/signal.c`,
//! and QEMU's `linux-user/mips/signal.c`). A handler with `SA_SIGINFO`
//! gets the `rt_sigframe`, one without it the old `sigframe`:
//!
//! ```text
//! rt_sigframe                          sigframe
//! 0    4 argument save words           0    4 argument save words
//! 16   2 words (once the trampoline)   16   2 words
//! 24   siginfo (128 bytes)             24   sigcontext (592 bytes)
//! 152  ucontext: uc_flags, uc_link,    616  sigset (16 bytes)
//!      uc_stack (sp, size, flags), pad 632  end
//! 176  uc_mcontext (sigcontext)
//! 768  uc_sigmask (16 bytes)
//! 784  end
//! ```
//!
//! The sigcontext: sc_regmask, sc_status, sc_pc (u64), sc_regs[32] and
//! sc_fpregs[32] (u64), sc_acx, sc_fpc_csr, sc_fpc_eir, sc_used_math,
//! sc_dsp, pad, sc_mdhi, sc_mdlo (u64), then the DSP's hi1..lo3. The
//! general registers are zero-extended (a 32-bit kernel's layout).
//!
//! The FP registers go as Linux saves them (`copy_fp_to_sigcontext`, or
//! `sdc1` of each register): with `FR=0` only the even entries, so
//! `sc_fpregs[2n]` holds the pair `$f(2n+1):$f(2n)` and the odd entries
//! stay zero; with `FR=1` every register's 64 bits in its own entry.
//! `sigreturn` reads back the same entries. QEMU departs from Linux with
//! `FR=0`: it stores each 32-bit register in its own entry.
//! `sc_used_math` is 1 and the FP state is always saved (QEMU does the
//! same).
//!
//! The frame goes 32 bytes below `$sp` (or at the alternate stack's top),
//! 8-byte aligned. The handler gets `$a0 = sig`, `$a1 = &info` (0 for the
//! old frame), `$a2 = &uc` (`&sc`), `$sp` at the frame, `$t9` and the pc
//! at the handler and `$ra` at the trampoline page: `rt_sigreturn` at
//! its start, `sigreturn` 8 bytes in (QEMU's order is the reverse).
//!
//! A taken branch whose delay slot has not run yet (the engine stopped
//! between the two) is saved as Linux saves a delay-slot exception: the
//! saved pc is the branch, which runs again on return.

use super::{Delivery, FrameWriter, get, trampoline_base, write_siginfo};
use crate::arch::mips::fpmode::PR_FP_MODE_FR;
use crate::arch::mips::lift_fp::FCSR_RW;
use crate::arch::mips::regs::{self, DELAY, DELAY_PENDING};
use crate::cpu::CpuState;
use crate::linux::Process;

const RT_INFO: u64 = 24;
const RT_UC: u64 = RT_INFO + 128;
const UC_STACK: u64 = 8;
const UC_MCONTEXT: u64 = 24;
const UC_SIGMASK: u64 = UC_MCONTEXT + SC_SIZE;
const RT_FRAME_SIZE: u64 = RT_UC + UC_SIGMASK + 16;

const PLAIN_SC: u64 = 24;
const PLAIN_MASK: u64 = PLAIN_SC + SC_SIZE;
const PLAIN_FRAME_SIZE: u64 = PLAIN_MASK + 16;

/// sigcontext offsets.
const SC_PC: u64 = 8;
const SC_REGS: u64 = 16;
const SC_FPREGS: u64 = SC_REGS + 32 * 8;
const SC_FPC_CSR: u64 = SC_FPREGS + 32 * 8 + 4;
const SC_USED_MATH: u64 = SC_FPREGS + 32 * 8 + 12;
const SC_MDHI: u64 = SC_FPREGS + 32 * 8 + 24;
const SC_MDLO: u64 = SC_MDHI + 8;
const SC_SIZE: u64 = SC_MDLO + 8 + 6 * 4;

/// Offset of the `sigreturn` code in the trampoline page.
const SIGRETURN_TRAMPOLINE: u64 = 8;

/// The pc to save and resume at: the branch itself when a taken branch
/// still waits for its delay slot.
fn resume_pc(p: &Process) -> u64 {
    if p.cpu.regs[DELAY.0 as usize] & DELAY_PENDING != 0 {
        p.cpu.pc.wrapping_sub(4) & 0xffff_ffff
    } else {
        p.cpu.pc
    }
}

/// The FPU runs with `FR=1` (64-bit registers).
fn fr1(p: &Process) -> bool {
    p.frontend.mode() & PR_FP_MODE_FR != 0
}

/// Write the sigcontext at `sc` of `w`.
fn write_sigcontext(w: &mut FrameWriter, p: &Process, sc: u64) {
    let r = &p.cpu.regs;
    w.put(sc + SC_PC, resume_pc(p), 8);
    for n in 1..32 {
        w.put(sc + SC_REGS + 8 * n, r[regs::r(n as u32).0 as usize] & 0xffff_ffff, 8);
    }
    if fr1(p) {
        for n in 0..32 {
            w.put(sc + SC_FPREGS + 8 * n as u64, r[regs::f(n).0 as usize], 8);
        }
    } else {
        for n in (0..32).step_by(2) {
            let lo = r[regs::f(n).0 as usize] & 0xffff_ffff;
            let hi = r[regs::f(n + 1).0 as usize] & 0xffff_ffff;
            w.put(sc + SC_FPREGS + 8 * n as u64, (hi << 32) | lo, 8);
        }
    }
    w.put(sc + SC_FPC_CSR, r[regs::FCSR.0 as usize] & 0xffff_ffff, 4);
    w.put(sc + SC_USED_MATH, 1, 4);
    w.put(sc + SC_MDHI, r[regs::HI.0 as usize] & 0xffff_ffff, 8);
    w.put(sc + SC_MDLO, r[regs::LO.0 as usize] & 0xffff_ffff, 8);
}

pub(super) fn push_frame(p: &mut Process, d: &Delivery) -> Result<(), ()> {
    let Delivery { abi, act, info, old_mask } = *d;
    let sp = p.cpu.regs[regs::SP.0 as usize];
    let rt = act.flags & abi.sa.siginfo != 0;
    let size = if rt { RT_FRAME_SIZE } else { PLAIN_FRAME_SIZE };
    let top = p.frame_stack(act, sp.wrapping_sub(32));
    let frame = top.wrapping_sub(size) & !7 & 0xffff_ffff;
    let mut w = FrameWriter::new(p, size as usize);
    let (a1, a2, ret) = if rt {
        write_siginfo(&mut w, abi, RT_INFO, info);
        super::write_uc_stack(&mut w, p, RT_UC + UC_STACK, sp);
        write_sigcontext(&mut w, p, RT_UC + UC_MCONTEXT);
        w.sigset(RT_UC + UC_SIGMASK, old_mask);
        (frame + RT_INFO, frame + RT_UC, trampoline_base(false))
    } else {
        write_sigcontext(&mut w, p, PLAIN_SC);
        w.sigset(PLAIN_MASK, old_mask);
        (0, frame + PLAIN_SC, trampoline_base(false) + SIGRETURN_TRAMPOLINE)
    };
    p.mem.write_checked(frame, &w.buf).map_err(|_| ())?;
    let cpu = &mut p.cpu;
    cpu.regs[regs::A0.0 as usize] = info.signo as u64;
    cpu.regs[regs::A1.0 as usize] = a1;
    cpu.regs[regs::A2.0 as usize] = a2;
    cpu.regs[regs::SP.0 as usize] = frame;
    cpu.regs[regs::RA.0 as usize] = ret;
    cpu.regs[regs::r(25).0 as usize] = act.handler;
    cpu.regs[DELAY.0 as usize] = 0;
    cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    cpu.pc = act.handler;
    Ok(())
}

/// Restore the frame at `$sp` (`rt_sigreturn` when `rt`, else
/// `sigreturn`); returns the signal mask it holds.
pub(super) fn restore_frame(p: &mut Process, rt: bool) -> Result<u64, ()> {
    let frame = p.cpu.regs[regs::SP.0 as usize];
    let (sc, mask_at) = if rt {
        (frame + RT_UC + UC_MCONTEXT, frame + RT_UC + UC_SIGMASK)
    } else {
        (frame + PLAIN_SC, frame + PLAIN_MASK)
    };
    let pc = get(p, sc + SC_PC, 8).ok_or(())?;
    let mut g = [0u64; 32];
    for (n, v) in g.iter_mut().enumerate().skip(1) {
        *v = get(p, sc + SC_REGS + 8 * n as u64, 8).ok_or(())?;
    }
    // Every entry with FR=1, the even ones with FR=0.
    let fr1 = fr1(p);
    let step = if fr1 { 1 } else { 2 };
    let mut f = [0u64; 32];
    for (n, v) in f.iter_mut().enumerate().step_by(step) {
        *v = get(p, sc + SC_FPREGS + 8 * n as u64, 8).ok_or(())?;
    }
    let fcsr = get(p, sc + SC_FPC_CSR, 4).ok_or(())?;
    let hi = get(p, sc + SC_MDHI, 8).ok_or(())?;
    let lo = get(p, sc + SC_MDLO, 8).ok_or(())?;
    let mask = super::get_sigset(p, mask_at).ok_or(())?;
    let r = &mut p.cpu.regs;
    for (n, v) in g.iter().enumerate().skip(1) {
        r[regs::r(n as u32).0 as usize] = v & 0xffff_ffff;
    }
    for (n, &v) in f.iter().enumerate().step_by(step) {
        if fr1 {
            r[regs::f(n as u32).0 as usize] = v;
        } else {
            r[regs::f(n as u32).0 as usize] = v & 0xffff_ffff;
            r[regs::f(n as u32 + 1).0 as usize] = v >> 32;
        }
    }
    let old = r[regs::FCSR.0 as usize];
    r[regs::FCSR.0 as usize] = (old & !FCSR_RW & 0xffff_ffff) | (fcsr & FCSR_RW);
    r[regs::HI.0 as usize] = hi & 0xffff_ffff;
    r[regs::LO.0 as usize] = lo & 0xffff_ffff;
    r[DELAY.0 as usize] = 0;
    r[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    p.cpu.pc = pc & 0xffff_ffff;
    Ok(mask)
}

/// `si_code` of the SIGFPE an enabled FP exception raises: the first of
/// invalid, divide by zero, overflow, underflow and inexact among the
/// `FCSR` causes that are enabled, as Linux's `do_fpe` and
/// `process_fpemu_return` pick it.
pub(super) fn fpe_code(cpu: &CpuState) -> i32 {
    use super::code::*;
    let fcsr = cpu.regs[regs::FCSR.0 as usize];
    let fired = (fcsr >> 12) & ((fcsr >> 7) & 0x1f);
    [
        (0x10, FPE_FLTINV),
        (0x08, FPE_FLTDIV),
        (0x04, FPE_FLTOVF),
        (0x02, FPE_FLTUND),
        (0x01, FPE_FLTRES),
    ]
    .iter()
    .find(|(bit, _)| fired & bit != 0)
    .map_or(FPE_FLTUNK, |&(_, c)| c)
}

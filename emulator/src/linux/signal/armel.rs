//! armel's signal frames (`arch/arm/kernel/signal.c`, and QEMU's
//! `linux-user/arm/signal.c`), soft-float (no VFP or iWMMXt record):
//!
//! ```text
//! rt_sigframe                      sigframe (no SA_SIGINFO)
//! 0    siginfo (128 bytes)
//! 128  ucontext                    0    ucontext
//!      +0   uc_flags, uc_link
//!      +8   uc_stack (sp, flags, size)
//!      +20  uc_mcontext: trap_no, error_code, oldmask, r0..r10, fp, ip,
//!           sp, lr, pc, cpsr, fault_address (21 words)
//!      +104 uc_sigmask (8 bytes), 120 bytes unused
//!      +232 uc_regspace (512 bytes; its first word 0 ends the empty
//!           coprocessor record list)
//! 872  retcode (2 words)           744  retcode (2 words)
//! 880  end (8-byte aligned)        752  end
//! ```
//!
//! The handler gets `r0 = sig` (and with `SA_SIGINFO` `r1 = &info`,
//! `r2 = &uc`), `sp` at the frame, `lr` at `sa_restorer` (with
//! `SA_RESTORER`, as glibc always sets) or else at the sigpage trampoline,
//! whose ARM code is also copied to `retcode`. A handler address with bit
//! 0 set runs in Thumb state. The saved `cpsr` holds the flags, GE, the IT
//! state and the Thumb bit (both kept in Bohr's pc: bit 0 and the state
//! bits); `sigreturn` and `rt_sigreturn` restore them.

use super::{Delivery, FrameWriter, get, trampoline_base, write_siginfo};
use crate::arch::arm::regs;
use crate::linux::Process;

const RT_UC: u64 = 128;
const UC_STACK: u64 = 8;
const MCONTEXT: u64 = 20;
const OLDMASK: u64 = MCONTEXT + 8;
const REGS: u64 = MCONTEXT + 12;
const CPSR: u64 = REGS + 16 * 4;
const UC_SIGMASK: u64 = 104;
const UC_SIZE: u64 = 744;
const RETCODE: u64 = UC_SIZE;
const FRAME_SIZE: u64 = UC_SIZE + 8;

/// CPSR bit of the Thumb state.
const T_BIT: u64 = 1 << 5;
/// CPSR.E (big-endian data): Bohr never sets it; a frame with it set is
/// refused, as by Linux's `valid_user_regs`.
const E_BIT: u64 = 1 << 9;
/// User mode.
const USR_MODE: u64 = 0x10;

/// The CPSR of the current state.
pub(crate) fn cpsr(p: &Process) -> u64 {
    let r = &p.cpu.regs;
    let mut v = USR_MODE;
    for (_, name, at) in regs::FLAGS {
        v |= regs::flag(r, name).unwrap_or(0) << at;
    }
    v |= (r[regs::QF.0 as usize] & 1) << 27;
    v |= (r[regs::GE.0 as usize] & 0xf) << 16;
    let it = (p.cpu.pc >> regs::IT_SHIFT) & 0xff;
    v |= (it & 3) << 25 | (it >> 2) << 10;
    if p.cpu.pc & 1 != 0 {
        v |= T_BIT;
    }
    v
}

pub(super) fn push_frame(p: &mut Process, d: &Delivery) -> Result<(), ()> {
    let Delivery { abi, act, info, old_mask } = *d;
    let rt = act.flags & abi.sa.siginfo != 0;
    let sp = p.cpu.regs[regs::SP.0 as usize];
    let size = if rt { RT_UC + FRAME_SIZE } else { FRAME_SIZE };
    let frame = p.frame_stack(act, sp).wrapping_sub(size) & !7 & 0xffff_ffff;
    let uc = if rt { RT_UC } else { 0 };
    let mut w = FrameWriter::new(p, size as usize);
    if rt {
        write_siginfo(&mut w, abi, 0, info);
    }
    let alt = p.signals.altstack;
    w.word(uc + UC_STACK, alt.sp);
    w.put(uc + UC_STACK + 4, p.altstack_flags(sp) as u64, 4);
    w.word(uc + UC_STACK + 8, alt.size);
    w.word(uc + OLDMASK, old_mask & 0xffff_ffff);
    for n in 0..15 {
        w.word(uc + REGS + 4 * n as u64, p.cpu.regs[regs::r(n).0 as usize]);
    }
    w.word(uc + REGS + 60, p.cpu.pc & 0xffff_fffe);
    w.word(uc + CPSR, cpsr(p));
    w.put(uc + UC_SIGMASK, old_mask, 8);
    let ret = if act.flags & abi.sa.restorer.unwrap_or(0) != 0 {
        act.restorer
    } else {
        // The sigpage's `rt_sigreturn` (or `sigreturn`) code, copied to
        // the frame as Linux does.
        let code = if rt { &abi.trampoline[..2] } else { &abi.trampoline[2..4] };
        for (i, c) in code.iter().enumerate() {
            w.put(uc + RETCODE + 4 * i as u64, *c as u64, 4);
        }
        trampoline_base(false) + if rt { 0 } else { SIGRETURN_OFFSET }
    };
    p.mem.write_checked(frame, &w.buf).map_err(|_| ())?;
    let cpu = &mut p.cpu;
    cpu.regs[regs::R0.0 as usize] = info.signo as u64;
    if rt {
        cpu.regs[regs::R1.0 as usize] = frame;
        cpu.regs[regs::R2.0 as usize] = frame + RT_UC;
    }
    cpu.regs[regs::SP.0 as usize] = frame;
    cpu.regs[regs::LR.0 as usize] = ret & 0xffff_ffff;
    cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    // Bit 0 of the handler selects its state.
    cpu.pc = act.handler & 0xffff_ffff;
    Ok(())
}

/// Offset in the sigpage of the `sigreturn` code for frames without
/// siginfo (after the `rt_sigreturn` code).
const SIGRETURN_OFFSET: u64 = 8;

/// Restore the frame at `sp` (`rt`: an `rt_sigframe`); returns the signal
/// mask it holds.
pub(super) fn restore_frame(p: &mut Process, rt: bool) -> Result<u64, ()> {
    let frame = p.cpu.regs[regs::SP.0 as usize];
    if frame & 7 != 0 {
        return Err(());
    }
    let uc = frame + if rt { RT_UC } else { 0 };
    let mut vals = [0u64; 17];
    for (n, v) in vals.iter_mut().enumerate() {
        *v = get(p, uc + REGS + 4 * n as u64, 4).ok_or(())?;
    }
    let mask = get(p, uc + UC_SIGMASK, 8).ok_or(())?;
    let cpsr = vals[16];
    if cpsr & 0x1f != USR_MODE || cpsr & E_BIT != 0 {
        return Err(());
    }
    let cpu = &mut p.cpu;
    for (n, v) in vals.iter().take(15).enumerate() {
        cpu.regs[regs::r(n as u32).0 as usize] = *v;
    }
    let thumb = cpsr & T_BIT != 0;
    let it = if thumb { ((cpsr >> 25) & 3) | (((cpsr >> 10) & 0x3f) << 2) } else { 0 };
    cpu.pc = if thumb { vals[15] | 1 | (it << regs::IT_SHIFT) } else { vals[15] & !3 };
    for (_, name, at) in regs::FLAGS {
        regs::set_flag(&mut cpu.regs, name, cpsr >> at);
    }
    cpu.regs[regs::QF.0 as usize] = (cpsr >> 27) & 1;
    cpu.regs[regs::GE.0 as usize] = (cpsr >> 16) & 0xf;
    cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    Ok(mask)
}

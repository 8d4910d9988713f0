//! powerpc64's `rt_sigframe` (`arch/powerpc/kernel/signal_64.c`, and
//! QEMU's `linux-user/ppc/signal.c`), for the ELFv1 ABI the frontend runs:
//!
//! ```text
//! 0    ucontext: uc_flags, uc_link, uc_stack (sp, flags, size),
//!      uc_sigmask (8 bytes), 120 bytes unused,
//! 168  uc_mcontext (struct sigcontext): 4 unused longs, signal (int),
//!      handler, oldmask, regs (-> gp_regs),
//! 232  gp_regs[48]: r0..r31, nip, msr, orig_r3, ctr, link, xer, ccr,
//!      softe, trap, dar, dsisr, result, 4 unused,
//! 616  fp_regs[33]: f0..f31, fpscr,
//! 880  v_regs (NULL: no AltiVec), 808 bytes of vector space,
//! 1696 2 unused longs, the 6-word trampoline area (unused: the page
//!      returns), pinfo, puc,
//! 1752 siginfo (128 bytes), then the 288-byte ABI gap
//! 2176 end (16-byte aligned)
//! ```
//!
//! This is the frame of a kernel without transactional memory (no second
//! `uc_transact`), as QEMU builds it. The handler runs with `r1` 128
//! bytes below the frame (a dummy caller frame whose back chain is the
//! interrupted `r1`), `r3 = sig`, and with `SA_SIGINFO` `r4 = &info`,
//! `r5 = &uc`, `r6 = frame` (without it `r4 = &uc.uc_mcontext`, as Linux
//! does; QEMU passes the `SA_SIGINFO` registers either way). The handler
//! address is an ELFv1 function descriptor: `nip` and `ctr` get its entry,
//! `r2` its TOC. `lr` is the trampoline page (`li r0, 172; sc`: the
//! vDSO's `__kernel_sigtramp_rt64` does the same) and `FPSCR` is cleared.
//! `rt_sigreturn` finds the ucontext at `r1 + 128`.

use super::{Delivery, FrameWriter, get, trampoline_base, write_siginfo};
use crate::arch::powerpc64::lift_fp::fpscr;
use crate::arch::powerpc64::regs;
use crate::cpu::CpuState;
use crate::linux::Process;

const UC_STACK: u64 = 16;
const UC_SIGMASK: u64 = 40;
const SIGCONTEXT: u64 = 168;
const SC_SIGNAL: u64 = SIGCONTEXT + 32;
const SC_HANDLER: u64 = SIGCONTEXT + 40;
const SC_OLDMASK: u64 = SIGCONTEXT + 48;
const SC_REGS: u64 = SIGCONTEXT + 56;
const GP_REGS: u64 = SIGCONTEXT + 64;
const FP_REGS: u64 = GP_REGS + 48 * 8;
const PINFO: u64 = 1736;
const PUC: u64 = PINFO + 8;
const INFO: u64 = PUC + 8;
/// The ABI's protected zone below the interrupted `r1`: code may keep
/// data there without moving `r1` (the out-of-line `_savegpr0_*` helpers
/// store the callee-saved registers there), so the frame skips it and
/// never writes it.
const ABI_GAP: u64 = 288;
const FRAME_SIZE: u64 = INFO + 128 + ABI_GAP;
/// `__SIGNAL_FRAMESIZE`: the caller frame below the signal frame.
const SIGNAL_FRAMESIZE: u64 = 128;

/// `gp_regs` indices (`arch/powerpc/include/uapi/asm/ptrace.h`).
const PT_NIP: u64 = 32;
const PT_MSR: u64 = 33;
const PT_CTR: u64 = 35;
const PT_LNK: u64 = 36;
const PT_XER: u64 = 37;
const PT_CCR: u64 = 38;
const PT_SOFTE: u64 = 39;
const PT_DAR: u64 = 41;

/// The user MSR Linux runs a 64-bit process with under a guest (non-HV)
/// kernel: SF, EE, PR, FP, ME, IR, DR, RI.
const MSR_USER: u64 = 0x8000_0000_0000_f032;

fn gpr(n: u64) -> u64 {
    GP_REGS + 8 * n
}

/// XER from its slots: SO, OV, CA at IBM bits 32–34, the byte count low.
fn xer(r: &[u64]) -> u64 {
    (r[regs::SO.0 as usize] << 31)
        | (r[regs::OV.0 as usize] << 30)
        | (r[regs::CA.0 as usize] << 29)
        | (r[regs::XER_BC.0 as usize] & 0x7f)
}

/// The 32-bit CR from its eight fields, cr0 highest.
fn ccr(r: &[u64]) -> u64 {
    (0..8).fold(0, |v, n| v | ((r[regs::cr(n).0 as usize] & 0xf) << (28 - 4 * n)))
}

pub(super) fn push_frame(p: &mut Process, d: &Delivery) -> Result<(), ()> {
    let Delivery { abi, act, info, old_mask } = *d;
    let sp = p.cpu.regs[regs::SP.0 as usize];
    let frame = p.frame_stack(act, sp).wrapping_sub(FRAME_SIZE) & !0xf;
    let newsp = frame.wrapping_sub(SIGNAL_FRAMESIZE);
    // ELFv1: the handler is a function descriptor {entry, toc, env}.
    let entry = get(p, act.handler, 8).ok_or(())?;
    let toc = get(p, act.handler + 8, 8).ok_or(())?;
    let mut w = FrameWriter::new(p, FRAME_SIZE as usize);
    super::write_uc_stack(&mut w, p, UC_STACK, sp);
    w.sigset(UC_SIGMASK, old_mask);
    w.put(SC_SIGNAL, info.signo as u64, 4);
    w.word(SC_HANDLER, act.handler);
    w.word(SC_OLDMASK, old_mask);
    w.word(SC_REGS, frame + GP_REGS);
    let r = &p.cpu.regs;
    for n in 0..32 {
        w.word(gpr(n), r[regs::r(n as u32).0 as usize]);
    }
    w.word(gpr(PT_NIP), p.cpu.pc);
    w.word(gpr(PT_MSR), MSR_USER);
    w.word(gpr(PT_CTR), r[regs::CTR.0 as usize]);
    w.word(gpr(PT_LNK), r[regs::LR.0 as usize]);
    w.word(gpr(PT_XER), xer(r));
    w.word(gpr(PT_CCR), ccr(r));
    w.word(gpr(PT_SOFTE), 1);
    if info.signo == super::SIGSEGV || info.signo == abi.numbers.sigbus {
        w.word(gpr(PT_DAR), info.addr.unwrap_or(0));
    }
    for n in 0..32 {
        w.put(FP_REGS + 8 * n, r[regs::f(n as u32).0 as usize], 8);
    }
    w.put(FP_REGS + 8 * 32, r[regs::FPSCR.0 as usize] & 0xffff_ffff, 8);
    w.word(PINFO, frame + INFO);
    w.word(PUC, frame);
    write_siginfo(&mut w, abi, INFO, info);
    let mut chain = FrameWriter::new(p, 8);
    chain.word(0, sp);
    p.mem.write_checked(frame, &w.buf[..(FRAME_SIZE - ABI_GAP) as usize]).map_err(|_| ())?;
    p.mem.write_checked(newsp, &chain.buf).map_err(|_| ())?;
    let siginfo = act.flags & abi.sa.siginfo != 0;
    let cpu = &mut p.cpu;
    cpu.regs[regs::SP.0 as usize] = newsp;
    cpu.regs[regs::R3.0 as usize] = info.signo as u64;
    if siginfo {
        cpu.regs[regs::R4.0 as usize] = frame + INFO;
        cpu.regs[regs::R5.0 as usize] = frame;
        cpu.regs[regs::R6.0 as usize] = frame;
    } else {
        cpu.regs[regs::R4.0 as usize] = frame + SIGCONTEXT;
    }
    cpu.regs[regs::TOC.0 as usize] = toc;
    cpu.regs[regs::CTR.0 as usize] = entry;
    cpu.regs[regs::LR.0 as usize] = trampoline_base(true);
    cpu.regs[regs::FPSCR.0 as usize] = 0;
    cpu.regs[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    cpu.pc = entry;
    Ok(())
}

/// Restore the frame whose ucontext is at `r1 + 128`; returns the signal
/// mask it holds.
pub(super) fn restore_frame(p: &mut Process) -> Result<u64, ()> {
    let uc = p.cpu.regs[regs::SP.0 as usize].wrapping_add(SIGNAL_FRAMESIZE);
    let mut g = [0u64; 39];
    for (n, v) in g.iter_mut().enumerate() {
        *v = get(p, uc + gpr(n as u64), 8).ok_or(())?;
    }
    let mut f = [0u64; 33];
    for (n, v) in f.iter_mut().enumerate() {
        *v = get(p, uc + FP_REGS + 8 * n as u64, 8).ok_or(())?;
    }
    let mask = super::get_sigset(p, uc + UC_SIGMASK).ok_or(())?;
    let r = &mut p.cpu.regs;
    for (n, v) in g.iter().take(32).enumerate() {
        r[regs::r(n as u32).0 as usize] = *v;
    }
    r[regs::CTR.0 as usize] = g[PT_CTR as usize];
    r[regs::LR.0 as usize] = g[PT_LNK as usize];
    let x = g[PT_XER as usize];
    r[regs::SO.0 as usize] = (x >> 31) & 1;
    r[regs::OV.0 as usize] = (x >> 30) & 1;
    r[regs::CA.0 as usize] = (x >> 29) & 1;
    r[regs::XER_BC.0 as usize] = x & 0x7f;
    let c = g[PT_CCR as usize];
    for n in 0..8 {
        r[regs::cr(n).0 as usize] = (c >> (28 - 4 * n)) & 0xf;
    }
    for (n, v) in f.iter().take(32).enumerate() {
        r[regs::f(n as u32).0 as usize] = *v;
    }
    r[regs::FPSCR.0 as usize] = fpscr::normalized(f[32]);
    r[regs::RESERVATION.0 as usize] = regs::NO_RESERVATION;
    p.cpu.pc = g[PT_NIP as usize];
    Ok(mask)
}

/// `si_code` of the SIGFPE an enabled FP exception raises, from `FPSCR`
/// as Linux's `__parse_fpscr` reads it: the first of invalid, overflow,
/// underflow, divide by zero and inexact whose exception and enable bits
/// are both set.
pub(super) fn fpe_code(cpu: &CpuState) -> i32 {
    use super::code::*;
    let f = cpu.regs[regs::FPSCR.0 as usize];
    // Exception bits VX OX UX ZX XX (29-25) against VE OE UE ZE XE (7-3).
    let fired = (f >> 25) & (f >> 3) & 0x1f;
    [
        (0x10, FPE_FLTINV),
        (0x08, FPE_FLTOVF),
        (0x04, FPE_FLTUND),
        (0x02, FPE_FLTDIV),
        (0x01, FPE_FLTRES),
    ]
    .iter()
    .find(|(bit, _)| fired & bit != 0)
    .map_or(FPE_FLTUNK, |&(_, c)| c)
}

/// `prctl(PR_SET_FPEXC, mode)`: 0 (disabled), 1 (non-recoverable), 2
/// (asynchronous) or 3 (precise); every mode but 0 makes enabled
/// exceptions raise SIGFPE, precisely (as POWER cores take the imprecise
/// modes). `PR_FP_EXC_SW_ENABLE` is for SPE cores: EINVAL, as on a core
/// without SPE.
pub fn set_fpexc(cpu: &mut CpuState, mode: u64) -> bool {
    if mode > 3 {
        return false;
    }
    cpu.regs[regs::FE_MODE.0 as usize] = mode;
    true
}

/// `prctl(PR_GET_FPEXC)`: the mode last set.
pub fn get_fpexc(cpu: &CpuState) -> u64 {
    cpu.regs[regs::FE_MODE.0 as usize]
}

//! The o32 FPU modes as Linux runs them (`arch/mips/kernel/elf.c`,
//! `process.c`), for a kernel built with `CONFIG_MIPS_O32_FP64_SUPPORT` on
//! a MIPS32r2 core whose FPU has 64-bit registers (`FIR.F64`, the 24Kf
//! QEMU models) and no `FRE`.
//!
//! At exec Linux reads the FP ABI of the program and of its interpreter
//! (`.MIPS.abiflags`, or `EF_MIPS_FP64` for the old 64-bit ABI) and picks
//! a mode both accept ([`exec_mode`]): `FR=0` by default (double-float,
//! no abiflags), `FR=1` for `-mfp64` code, and for FPXX code (`-mfpxx`,
//! Debian's default) the mode the hardware prefers, which on such a core
//! is `FR=1` (QEMU's `target_cpu_copy_regs` decides the same way).
//! `prctl(PR_SET_FP_MODE)` switches every thread of the process
//! ([`check_set`], [`convert`]); `PR_GET_FP_MODE` reads the mode.
//!
//! Used by the loader (the exec decision), the kernel (`prctl`, signal
//! frames) and the frontend (which mode a frontend lifts for).

use super::regs;
use crate::cpu::CpuState;

/// `prctl` options and mode bits (`linux/prctl.h`).
pub const PR_SET_FP_MODE: u64 = 45;
pub const PR_GET_FP_MODE: u64 = 46;
/// 64-bit FP registers (`FR=1`).
pub const PR_FP_MODE_FR: u32 = 1;
/// 32-bit single accesses to the upper halves (`FRE=1`); this core has
/// no `FRE`.
pub const PR_FP_MODE_FRE: u32 = 2;

/// `EF_MIPS_FP64` in `e_flags`: the old, pre-abiflags 64-bit FP ABI.
pub const EF_MIPS_FP64: u32 = 0x200;
/// `Val_GNU_MIPS_ABI_FP_OLD_64`, what Linux assumes for [`EF_MIPS_FP64`].
pub const FP_ABI_OLD_64: u8 = 4;

/// What an FP ABI accepts (Linux's `struct mode_req`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ModeReq {
    /// Needs an FPU but only for single precision: either mode.
    single: bool,
    /// No FPU instructions at all.
    soft: bool,
    /// Runs with `FR=1`.
    fr1: bool,
    /// Runs in the default mode (`FR=0` for o32).
    frdefault: bool,
    /// Runs with `FRE=1`.
    fre: bool,
}

const fn req(single: bool, soft: bool, fr1: bool, frdefault: bool, fre: bool) -> ModeReq {
    ModeReq { single, soft, fr1, frdefault, fre }
}

/// By `fp_abi` (`.MIPS.abiflags`): any, double (FP32), single, soft,
/// old 64, FPXX, FP64, FP64A (Linux's `fpu_reqs`).
const FPU_REQS: [ModeReq; 8] = [
    req(true, true, true, true, true),
    req(false, false, false, true, true),
    req(true, false, false, false, false),
    req(false, true, false, false, false),
    req(false, false, false, false, false),
    req(false, false, true, true, true),
    req(false, false, true, false, false),
    req(false, false, true, false, true),
];

/// An image without abiflags: everything but `FR=1` (Linux's `none_req`).
const NONE_REQ: ModeReq = req(true, true, false, true, true);

/// Why Linux refuses an image's FP ABI at exec (`-ELIBBAD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FpAbiError {
    /// An FP ABI past FP64A.
    #[error("unknown mips FP ABI {0}")]
    Unknown(u8),
    /// Program and interpreter (or the ABI itself, like the old 64-bit
    /// one) leave no mode.
    #[error("no mips FPU mode suits FP ABIs {0:?}")]
    NoMode([Option<u8>; 2]),
    /// They need `FRE=1`, which this core lacks.
    #[error("mips FP ABIs {0:?} need FRE=1, which the 24Kf does not have")]
    NeedsFre([Option<u8>; 2]),
}

/// The mode (as `PR_GET_FP_MODE` reports it) Linux starts an image in:
/// `prog` and `interp` are the FP ABIs of the program and of its
/// interpreter (`None`: no abiflags; `interp` is `None` too without an
/// interpreter, where Linux uses the program's alone).
pub fn exec_mode(
    prog: Option<u8>,
    interp: Option<u8>,
    has_interp: bool,
) -> Result<u32, FpAbiError> {
    let abis = [prog, interp];
    let (a0, a1) = if has_interp {
        // Linux orders them with "unknown" (-1) first.
        let key = |a: Option<u8>| a.map_or(-1, i32::from);
        if key(prog) <= key(interp) { (prog, interp) } else { (interp, prog) }
    } else {
        (prog, prog)
    };
    let lookup = |a: Option<u8>| match a {
        None => Ok(NONE_REQ),
        Some(v) => FPU_REQS.get(v as usize).copied().ok_or(FpAbiError::Unknown(v)),
    };
    let (p, i) = (lookup(a0)?, lookup(a1)?);
    let r = ModeReq {
        single: p.single && i.single,
        soft: p.soft && i.soft,
        fr1: p.fr1 && i.fr1,
        frdefault: p.frdefault && i.frdefault,
        fre: p.fre && i.fre,
    };
    if r.fre && !r.frdefault && !r.fr1 {
        Err(FpAbiError::NeedsFre(abis))
    } else if (r.fr1 && r.frdefault) || (r.single && !r.frdefault) {
        // The hardware's preference: FR=1 on an R2 core with F64.
        Ok(PR_FP_MODE_FR)
    } else if r.fr1 {
        Ok(PR_FP_MODE_FR)
    } else if !r.fre && !r.frdefault && !r.single && !r.soft {
        Err(FpAbiError::NoMode(abis))
    } else {
        Ok(0)
    }
}

/// Why `PR_SET_FP_MODE` refuses a mode (`EOPNOTSUPP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported;

/// `prctl(PR_SET_FP_MODE, value)` in mode `current`: `None` if nothing
/// changes (Linux returns 0 right away), else the new mode. Unknown bits
/// and `FRE` (which needs `FR`, and which this core lacks) are refused.
pub fn check_set(current: u32, value: u64) -> Result<Option<u32>, Unsupported> {
    if value == current as u64 {
        return Ok(None);
    }
    let known = (PR_FP_MODE_FR | PR_FP_MODE_FRE) as u64;
    if value & !known != 0 || value & PR_FP_MODE_FRE as u64 != 0 {
        return Err(Unsupported);
    }
    Ok(Some(value as u32))
}

const MASK32: u64 = 0xffff_ffff;

/// Convert a thread's FP registers from mode `from` to mode `to`, as
/// Linux's switch leaves them: it saves the context in the old mode and
/// restores it in the new one (`sdc1`/`ldc1` of every even register with
/// `FR=0`, of all 32 with `FR=1`). So each even/odd pair becomes the even
/// 64-bit register and back; an odd register's own 64 bits (`FR=1`) do
/// not survive `FR=0` (its low half becomes the even register's upper
/// half, its upper half zero), and going to `FR=1` it keeps its 32-bit
/// value with a zero upper half, where Linux gives whatever it last saved
/// there with `FR=1` (the manual's UNPREDICTABLE; QEMU keeps its stale
/// upper half).
pub fn convert(cpu: &mut CpuState, from: u32, to: u32) {
    let (was, is) = (from & PR_FP_MODE_FR != 0, to & PR_FP_MODE_FR != 0);
    for n in (0..32).step_by(2) {
        let even = regs::f(n).0 as usize;
        let odd = regs::f(n + 1).0 as usize;
        match (was, is) {
            (false, true) => {
                cpu.regs[even] = (cpu.regs[even] & MASK32) | (cpu.regs[odd] << 32);
                cpu.regs[odd] &= MASK32;
            }
            (true, false) => {
                cpu.regs[odd] = cpu.regs[even] >> 32;
                cpu.regs[even] &= MASK32;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: u8 = 0;
    const DOUBLE: u8 = 1;
    const SINGLE: u8 = 2;
    const SOFT: u8 = 3;
    const XX: u8 = 5;
    const FP64: u8 = 6;
    const FP64A: u8 = 7;

    #[test]
    fn exec_modes_follow_linux() {
        let fr1 = Ok(PR_FP_MODE_FR);
        // Static programs.
        assert_eq!(exec_mode(None, None, false), Ok(0));
        assert_eq!(exec_mode(Some(DOUBLE), None, false), Ok(0));
        assert_eq!(exec_mode(Some(XX), None, false), fr1);
        assert_eq!(exec_mode(Some(FP64), None, false), fr1);
        assert_eq!(exec_mode(Some(FP64A), None, false), fr1);
        assert_eq!(exec_mode(Some(ANY), None, false), fr1);
        assert_eq!(exec_mode(Some(SINGLE), None, false), fr1);
        assert_eq!(exec_mode(Some(SOFT), None, false), Ok(0));
        // With Debian's FPXX ld.so.
        assert_eq!(exec_mode(Some(XX), Some(XX), true), fr1);
        assert_eq!(exec_mode(Some(DOUBLE), Some(XX), true), Ok(0));
        assert_eq!(exec_mode(Some(FP64), Some(XX), true), fr1);
        assert_eq!(exec_mode(None, Some(XX), true), Ok(0));
        // Refused.
        assert!(matches!(exec_mode(Some(FP_ABI_OLD_64), None, false), Err(FpAbiError::NoMode(_))));
        assert!(matches!(exec_mode(Some(DOUBLE), Some(FP64), true), Err(FpAbiError::NoMode(_))));
        assert!(matches!(exec_mode(Some(DOUBLE), Some(FP64A), true), Err(FpAbiError::NeedsFre(_))));
        assert_eq!(exec_mode(Some(8), None, false), Err(FpAbiError::Unknown(8)));
    }

    #[test]
    fn set_mode_rules() {
        assert_eq!(check_set(0, 0), Ok(None));
        assert_eq!(check_set(1, 1), Ok(None));
        assert_eq!(check_set(0, 1), Ok(Some(1)));
        assert_eq!(check_set(1, 0), Ok(Some(0)));
        assert_eq!(check_set(0, 2), Err(Unsupported));
        assert_eq!(check_set(0, 3), Err(Unsupported));
        assert_eq!(check_set(0, 4), Err(Unsupported));
        assert_eq!(check_set(0, 1 << 32), Err(Unsupported));
    }

    #[test]
    fn a_switch_keeps_the_doubles_of_the_pairs() {
        let mut cpu = CpuState::default();
        cpu.regs[regs::f(0).0 as usize] = 0x5555_5555;
        cpu.regs[regs::f(1).0 as usize] = 0x3fd5_5555;
        convert(&mut cpu, 0, PR_FP_MODE_FR);
        assert_eq!(cpu.regs[regs::f(0).0 as usize], 0x3fd5_5555_5555_5555);
        assert_eq!(cpu.regs[regs::f(1).0 as usize], 0x3fd5_5555);
        cpu.regs[regs::f(1).0 as usize] = 0x1234_5678_9abc_def0;
        convert(&mut cpu, PR_FP_MODE_FR, 0);
        assert_eq!(cpu.regs[regs::f(0).0 as usize], 0x5555_5555);
        assert_eq!(cpu.regs[regs::f(1).0 as usize], 0x3fd5_5555);
    }
}

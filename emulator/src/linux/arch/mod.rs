//! The Linux ABI of each arch, as data: one file per arch holds every fact
//! the kernel needs that differs between arches (open and mmap flag bits,
//! the `struct stat` layout, errno numbers, the `uname` machine string, the
//! ioctl encoding, `struct sigaction`'s size and the auxiliary-vector
//! entries). The syscall numbers stay with the frontends (`arch/<isa>/abi`).
//!
//! The kernel asks [`linux_abi`] and never matches on the arch itself, so
//! adding an arch means adding one file here.

mod aarch64;
mod armel;
mod mips;
mod powerpc64;
mod riscv64;

use super::errno::Errno;
use crate::arch::Arch;

/// Raw `O_*` bit values of one arch.
#[derive(Clone, Copy, Debug)]
pub struct OpenBits {
    pub creat: u64,
    pub excl: u64,
    pub noctty: u64,
    pub trunc: u64,
    pub append: u64,
    pub nonblock: u64,
    pub directory: u64,
    pub nofollow: u64,
    pub cloexec: u64,
    pub largefile: u64,
    pub path: u64,
}

/// The asm-generic values (`include/uapi/asm-generic/fcntl.h`).
pub const GENERIC_OPEN: OpenBits = OpenBits {
    creat: 0o100,
    excl: 0o200,
    noctty: 0o400,
    trunc: 0o1000,
    append: 0o2000,
    nonblock: 0o4000,
    directory: 0o200000,
    nofollow: 0o400000,
    cloexec: 0o2000000,
    largefile: 0,
    path: 0o10000000,
};

/// Which `struct stat` the stat family fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatLayout {
    /// `asm-generic/stat.h` (riscv64, aarch64).
    Generic64,
    /// `arch/powerpc/include/uapi/asm/stat.h`, 64-bit.
    Powerpc64,
    /// arm's `struct stat64`.
    ArmStat64,
    /// mips o32's `struct stat64`.
    MipsStat64,
}

/// How `_IOC` packs an ioctl request.
#[derive(Clone, Copy, Debug)]
pub struct IocLayout {
    /// Bit where the direction field starts (READ is 2 in it).
    pub dir_shift: u32,
    pub size_mask: u32,
}

/// Terminal ioctl requests (`TCGETS`, `TIOCGWINSZ`, `FIONREAD`).
#[derive(Clone, Copy, Debug)]
pub struct TtyIoctls {
    pub tcgets: u64,
    pub tiocgwinsz: u64,
    pub fionread: u64,
}

/// Everything per-arch about the Linux ABI except the syscall numbers.
#[derive(Debug)]
pub struct LinuxAbi {
    pub open: OpenBits,
    pub map_anonymous: u64,
    pub stat: StatLayout,
    pub ioc: IocLayout,
    pub tty: TtyIoctls,
    /// `uname -m`.
    pub uname_machine: &'static str,
    /// `AT_PLATFORM`, if the arch's Linux sets it.
    pub platform: Option<&'static str>,
    // `AT_HWCAP` is the frontend's (`Frontend::hwcap`): what it implements.
    pub hwcap2: u64,
    /// Bytes of the kernel's `struct sigaction` (rt_sigaction's oldact).
    pub sigaction_size: usize,
    /// Arch entries that precede the common auxiliary vector (powerpc's
    /// `ARCH_DLINFO`).
    pub arch_auxv: &'static [(u64, u64)],
    /// Errno numbers that differ from the generic table.
    pub errno_overrides: &'static [(Errno, u64)],
    /// `F_GETLK`, `F_SETLK`, `F_SETLKW` (and their 64-bit forms).
    pub fcntl_locks: &'static [u64],
    /// `CONFIG_CLONE_BACKWARDS`: `clone(flags, sp, ptid, tls, ctid)`
    /// instead of `clone(flags, sp, ptid, ctid, tls)`.
    pub clone_backwards: bool,
    /// Signal numbers, `struct sigaction`, siginfo and the signal frame.
    pub signal: &'static SignalAbi,
}

/// Signal numbers that differ between arches (mips has its own).
#[derive(Clone, Copy, Debug)]
pub struct SignalNumbers {
    pub sigbus: u32,
    pub sigusr1: u32,
    pub sigchld: u32,
    pub sigcont: u32,
    pub sigstop: u32,
    pub sigtstp: u32,
    pub sigttin: u32,
    pub sigttou: u32,
    pub sigurg: u32,
    pub sigwinch: u32,
}

/// The asm-generic (and x86, arm, powerpc) numbering.
pub const GENERIC_SIGNALS: SignalNumbers = SignalNumbers {
    sigbus: 7,
    sigusr1: 10,
    sigchld: 17,
    sigcont: 18,
    sigstop: 19,
    sigtstp: 20,
    sigttin: 21,
    sigttou: 22,
    sigurg: 23,
    sigwinch: 28,
};

/// `SA_*` flag bits.
#[derive(Clone, Copy, Debug)]
pub struct SaBits {
    pub siginfo: u64,
    pub onstack: u64,
    pub restart: u64,
    pub nodefer: u64,
    pub resethand: u64,
    /// `SA_RESTORER`, on arches whose libc supplies the return code.
    pub restorer: Option<u64>,
}

/// `include/uapi/asm-generic/signal-defs.h`, with arm's and powerpc's
/// `SA_RESTORER`.
pub const GENERIC_SA: SaBits = SaBits {
    siginfo: 4,
    onstack: 0x0800_0000,
    restart: 0x1000_0000,
    nodefer: 0x4000_0000,
    resethand: 0x8000_0000,
    restorer: Some(0x0400_0000),
};

/// Byte offsets of the kernel's `struct sigaction` fields.
#[derive(Clone, Copy, Debug)]
pub struct SigactionLayout {
    pub handler: u64,
    pub flags: u64,
    /// `sa_flags` is an `unsigned int` (mips) rather than a `long`.
    pub flags_u32: bool,
    pub restorer: Option<u64>,
    pub mask: u64,
}

/// Which `rt_sigframe` delivery builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// `arch/riscv/kernel/signal.c`: siginfo, then a ucontext whose
    /// mcontext holds pc, x1–x31, f0–f31 and fcsr; returns through the
    /// vDSO's `rt_sigreturn`.
    Riscv64,
    /// `arch/arm64/kernel/signal.c`: siginfo, then a ucontext whose
    /// mcontext holds the fault address, x0–x30, sp, pc, pstate and the
    /// `__reserved` records (fpsimd, then the terminator); a frame record
    /// {x29, x30} sits above it.
    Aarch64,
    /// `arch/powerpc/kernel/signal_64.c`: a ucontext whose sigcontext
    /// holds gp_regs (r0–r31, nip, msr, ctr, link, xer, ccr, ...) and
    /// fp_regs (f0–f31, fpscr), then pinfo, puc, siginfo and the ABI gap;
    /// the handler (an ELFv1 descriptor) runs on a dummy caller frame.
    Powerpc64,
    /// `arch/mips/kernel/signal.c`, o32: the `rt_sigframe` (siginfo, then
    /// a ucontext whose sigcontext holds pc, the registers, the FPU and
    /// hi/lo) for `SA_SIGINFO` handlers, the old `sigframe` (sigcontext
    /// and mask) for the others.
    MipsO32,
    /// `arch/arm/kernel/signal.c`: with `SA_SIGINFO` siginfo then a
    /// ucontext (sigcontext r0–r15 and cpsr, `uc_regspace`), else the
    /// ucontext alone; `sigreturn` and `rt_sigreturn` undo them.
    Armel,
    /// No frame builder yet: a caught signal takes its default action.
    Unsupported,
}

/// Everything per-arch about signals.
#[derive(Debug)]
pub struct SignalAbi {
    pub numbers: SignalNumbers,
    pub sa: SaBits,
    pub sigaction: SigactionLayout,
    /// Bytes of the kernel's `sigset_t` (`rt_sig*`'s `sigsetsize`).
    pub sigset_bytes: u64,
    /// mips puts `si_code` before `si_errno`.
    pub siginfo_code_first: bool,
    /// mips's `stack_t` has `ss_size` before `ss_flags`.
    pub stack_size_first: bool,
    pub frame: FrameKind,
    /// `rt_sigreturn` code of the trampoline page Bohr maps where Linux
    /// supplies one (vDSO or sigpage), as instruction words written in the
    /// guest's byte order.
    pub trampoline: &'static [u32],
    /// Length of the system-call instruction, to restart a call.
    pub syscall_insn_len: u64,
    /// SIGTRAP's siginfo for a conditional trap instruction that fired
    /// and for a breakpoint instruction: `si_code`, and whether `si_addr`
    /// is the pc (else the siginfo carries no address).
    pub trap_insn: TrapSiginfo,
    pub breakpoint: TrapSiginfo,
    /// Its length when bit 0 of the pc is set (armel's Thumb state, whose
    /// `svc` is 16 bits); `syscall_insn_len` on the other arches.
    pub syscall_insn_len_odd_pc: u64,
    /// `si_code` of the SIGILL for an undefined instruction.
    pub illegal_code: i32,
    /// `SI_TIMER`, the `si_code` of a POSIX timer's signal.
    pub si_timer: i32,
}

/// How a trap instruction's SIGTRAP fills its siginfo.
#[derive(Clone, Copy, Debug)]
pub struct TrapSiginfo {
    pub code: i32,
    pub addr_is_pc: bool,
}

/// `TRAP_BRKPT` at the trapping pc, as most arches report a trap.
pub const TRAP_AT_PC: TrapSiginfo =
    TrapSiginfo { code: crate::linux::signal::code::TRAP_BRKPT, addr_is_pc: true };

/// The ABI facts of `arch`.
pub fn linux_abi(arch: Arch) -> &'static LinuxAbi {
    match arch {
        Arch::Riscv64 => &riscv64::LINUX,
        Arch::Aarch64 => &aarch64::LINUX,
        Arch::Powerpc64 => &powerpc64::LINUX,
        Arch::Mipsel | Arch::Mipseb => &mips::LINUX,
        Arch::Armel => &armel::LINUX,
    }
}

/// The generic ioctl packing: 2 direction bits at 30, 14-bit size.
pub const GENERIC_IOC: IocLayout = IocLayout { dir_shift: 30, size_mask: 0x3fff };

/// `TCGETS`, `TIOCGWINSZ`, `FIONREAD` of `asm-generic/ioctls.h`.
pub const GENERIC_TTY: TtyIoctls =
    TtyIoctls { tcgets: 0x5401, tiocgwinsz: 0x5413, fionread: 0x541b };

/// asm-generic's `F_GETLK`, `F_SETLK`, `F_SETLKW` and the OFD forms.
pub const GENERIC_LOCKS: &[u64] = &[5, 6, 7, 12, 13, 14, 36, 37, 38];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_arch_has_distinct_open_bits() {
        for arch in Arch::ALL {
            let b = linux_abi(arch).open;
            let bits = [
                b.creat,
                b.excl,
                b.noctty,
                b.trunc,
                b.append,
                b.nonblock,
                b.directory,
                b.nofollow,
                b.cloexec,
                b.path,
            ];
            for (i, x) in bits.iter().enumerate() {
                assert_eq!(x.count_ones(), 1, "{arch}: flag {i}");
                for y in &bits[i + 1..] {
                    assert_ne!(x, y, "{arch}");
                }
            }
        }
    }
}

//! armel's (EABI, 32-bit) Linux ABI facts.

use super::aarch64::ARM_OPEN;
use super::{
    FrameKind, GENERIC_IOC, GENERIC_SA, GENERIC_SIGNALS, GENERIC_TTY, LinuxAbi, SigactionLayout,
    SignalAbi, StatLayout, TRAP_AT_PC,
};

pub static LINUX: LinuxAbi = LinuxAbi {
    open: ARM_OPEN,
    map_anonymous: 0x20,
    stat: StatLayout::ArmStat64,
    ioc: GENERIC_IOC,
    tty: GENERIC_TTY,
    uname_machine: "armv5tel",
    platform: Some("v5l"),
    // HWCAP_SWP | HWCAP_HALF | HWCAP_THUMB | HWCAP_FAST_MULT | HWCAP_EDSP:
    // the ARMv5TE integer features, no VFP.
    hwcap2: 0,
    sigaction_size: 20,
    arch_auxv: &[],
    errno_overrides: &[],
    // F_GETLK..F_SETLKW, their 64-bit forms, and the OFD forms.
    fcntl_locks: &[5, 6, 7, 12, 13, 14, 36, 37, 38],
    clone_backwards: true,
    signal: &SIGNAL,
};

/// The sigpage's return code for handlers without `SA_RESTORER`:
/// `mov r7, #173; svc #0` (`rt_sigreturn`), then `mov r7, #119; svc #0`
/// (`sigreturn`), in ARM state.
static SIGNAL: SignalAbi = SignalAbi {
    numbers: GENERIC_SIGNALS,
    sa: GENERIC_SA,
    sigaction: SigactionLayout {
        handler: 0,
        flags: 4,
        flags_u32: false,
        restorer: Some(8),
        mask: 12,
    },
    sigset_bytes: 8,
    siginfo_code_first: false,
    stack_size_first: false,
    frame: FrameKind::Armel,
    trampoline: &[0xe3a0_70ad, 0xef00_0000, 0xe3a0_7077, 0xef00_0000],
    syscall_insn_len: 4,
    syscall_insn_len_odd_pc: 2,
    // ILL_ILLOPN, as qemu-arm reports an undefined instruction (the
    // oracle; Linux's own arm kernel says ILL_ILLOPC).
    illegal_code: 2,
    si_timer: crate::linux::timer::SI_TIMER,
    trap_insn: TRAP_AT_PC,
    breakpoint: TRAP_AT_PC,
};

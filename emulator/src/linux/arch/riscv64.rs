//! riscv64's Linux ABI facts: all asm-generic.

use super::{
    FrameKind, GENERIC_IOC, GENERIC_LOCKS, GENERIC_OPEN, GENERIC_SA, GENERIC_SIGNALS, GENERIC_TTY,
    LinuxAbi, SaBits, SigactionLayout, SignalAbi, StatLayout, TRAP_AT_PC,
};

pub static LINUX: LinuxAbi = LinuxAbi {
    open: GENERIC_OPEN,
    map_anonymous: 0x20,
    stat: StatLayout::Generic64,
    ioc: GENERIC_IOC,
    tty: GENERIC_TTY,
    uname_machine: "riscv64",
    platform: None,
    hwcap2: 0,
    sigaction_size: 32,
    arch_auxv: &[],
    errno_overrides: &[],
    fcntl_locks: GENERIC_LOCKS,
    // As glibc's clone.S and QEMU's TARGET_CLONE_BACKWARDS have it: tls, then ctid.
    clone_backwards: true,
    signal: &SIGNAL,
};

/// riscv has no `SA_RESTORER`: handlers return through the vDSO's
/// `__vdso_rt_sigreturn`, `li a7, 139; ecall`.
static SIGNAL: SignalAbi = SignalAbi {
    numbers: GENERIC_SIGNALS,
    sa: SaBits { restorer: None, ..GENERIC_SA },
    sigaction: SigactionLayout { handler: 0, flags: 8, flags_u32: false, restorer: None, mask: 16 },
    sigset_bytes: 8,
    siginfo_code_first: false,
    stack_size_first: false,
    frame: FrameKind::Riscv64,
    trampoline: &[0x08b0_0893, 0x0000_0073],
    syscall_insn_len: 4,
    trap_insn: TRAP_AT_PC,
    breakpoint: TRAP_AT_PC,
    syscall_insn_len_odd_pc: 4,
    // ILL_ILLOPC
    illegal_code: 1,
    si_timer: crate::linux::timer::SI_TIMER,
};

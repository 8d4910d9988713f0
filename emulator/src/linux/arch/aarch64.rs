//! aarch64's Linux ABI facts: asm-generic but for the moved `O_DIRECTORY`
//! family (`arch/arm64/include/uapi/asm/fcntl.h`).

use super::{
    FrameKind, GENERIC_IOC, GENERIC_LOCKS, GENERIC_OPEN, GENERIC_SA, GENERIC_SIGNALS, GENERIC_TTY,
    LinuxAbi, OpenBits, SigactionLayout, SignalAbi, StatLayout, TRAP_AT_PC,
};

/// arm and arm64 swap `O_DIRECTORY`/`O_NOFOLLOW` with `O_DIRECT`/`O_LARGEFILE`.
pub const ARM_OPEN: OpenBits =
    OpenBits { directory: 0o40000, nofollow: 0o100000, largefile: 0o400000, ..GENERIC_OPEN };

pub static LINUX: LinuxAbi = LinuxAbi {
    open: ARM_OPEN,
    map_anonymous: 0x20,
    stat: StatLayout::Generic64,
    ioc: GENERIC_IOC,
    tty: GENERIC_TTY,
    uname_machine: "aarch64",
    platform: Some("aarch64"),
    // AT_HWCAP is the frontend's (fp, asimd, crc32); no HWCAP2 feature is
    // implemented.
    hwcap2: 0,
    sigaction_size: 32,
    arch_auxv: &[],
    errno_overrides: &[],
    fcntl_locks: GENERIC_LOCKS,
    // As glibc's clone.S and QEMU's TARGET_CLONE_BACKWARDS have it: tls, then ctid.
    clone_backwards: true,
    signal: &SIGNAL,
};

/// arm64 has `SA_RESTORER`; without it the vDSO's `__kernel_rt_sigreturn`
/// (`mov x8, #139; svc #0`) returns.
static SIGNAL: SignalAbi = SignalAbi {
    numbers: GENERIC_SIGNALS,
    sa: GENERIC_SA,
    sigaction: SigactionLayout {
        handler: 0,
        flags: 8,
        flags_u32: false,
        restorer: Some(16),
        mask: 24,
    },
    sigset_bytes: 8,
    siginfo_code_first: false,
    stack_size_first: false,
    frame: FrameKind::Aarch64,
    trampoline: &[0xd280_1168, 0xd400_0001],
    syscall_insn_len: 4,
    trap_insn: TRAP_AT_PC,
    breakpoint: TRAP_AT_PC,
    syscall_insn_len_odd_pc: 4,
    // ILL_ILLOPC
    illegal_code: 1,
    si_timer: crate::linux::timer::SI_TIMER,
};

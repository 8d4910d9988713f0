//! aarch64's Linux ABI facts: asm-generic but for the moved `O_DIRECTORY`
//! family (`arch/arm64/include/uapi/asm/fcntl.h`).

use super::{
    FrameKind, GENERIC_IOC, GENERIC_LOCKS, GENERIC_OPEN, GENERIC_SA, GENERIC_SIGNALS, GENERIC_TTY,
    LinuxAbi, OpenBits, SigactionLayout, SignalAbi, StatLayout,
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
    // HWCAP_FP and HWCAP_ASIMD stay clear until the frontend has FP and
    // SIMD; nothing else is advertised.
    hwcap2: 0,
    sigaction_size: 32,
    arch_auxv: &[],
    errno_overrides: &[],
    fcntl_locks: GENERIC_LOCKS,
    // As glibc's clone.S and QEMU's TARGET_CLONE_BACKWARDS have it: tls, then ctid.
    clone_backwards: true,
    sigchld: 17,
    siginfo_code_first: false,
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
    frame: FrameKind::Aarch64,
    trampoline: &[0xd280_1168, 0xd400_0001],
    syscall_insn_len: 4,
};

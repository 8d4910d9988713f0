//! powerpc64's (big-endian, ELFv1) Linux ABI facts
//! (`arch/powerpc/include/uapi/asm/`).

use super::{
    FrameKind, GENERIC_LOCKS, GENERIC_OPEN, GENERIC_SA, GENERIC_SIGNALS, IocLayout, LinuxAbi,
    OpenBits, SigactionLayout, SignalAbi, StatLayout, TRAP_AT_PC, TtyIoctls,
};
use crate::loader::auxv::{AT_DCACHEBSIZE, AT_ICACHEBSIZE, AT_IGNOREPPC, AT_UCACHEBSIZE};

/// Cache block size in AT_DCACHEBSIZE/AT_ICACHEBSIZE: POWER7 and later use
/// 128 bytes, as does the frontend's `dcbz`.
const CACHE_BLOCK: u64 = 128;

pub static LINUX: LinuxAbi = LinuxAbi {
    open: OpenBits { directory: 0o40000, nofollow: 0o100000, largefile: 0o200000, ..GENERIC_OPEN },
    map_anonymous: 0x20,
    stat: StatLayout::Powerpc64,
    ioc: IocLayout { dir_shift: 29, size_mask: 0x1fff },
    // powerpc's termios ioctls are _IOR('t', ...) encoded.
    tty: TtyIoctls { tcgets: 0x402c_7413, tiocgwinsz: 0x4008_7468, fionread: 0x4004_667f },
    uname_machine: "ppc64",
    platform: Some("power8"),
    // PPC_FEATURE_32 | PPC_FEATURE_64 | PPC_FEATURE_HAS_MMU: no FPU bit
    // until the frontend has FP.
    hwcap2: 0,
    sigaction_size: 32,
    // ARCH_DLINFO comes first, so these are the lowest entries, as glibc's
    // compatibility rules expect.
    arch_auxv: &[
        (AT_IGNOREPPC, AT_IGNOREPPC),
        (AT_IGNOREPPC, AT_IGNOREPPC),
        (AT_DCACHEBSIZE, CACHE_BLOCK),
        (AT_ICACHEBSIZE, CACHE_BLOCK),
        (AT_UCACHEBSIZE, 0),
    ],
    errno_overrides: &[],
    fcntl_locks: GENERIC_LOCKS,
    clone_backwards: true,
    signal: &SIGNAL,
};

/// The vDSO's `__kernel_sigtramp_rt64`: `li r0, 172; sc`.
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
    frame: FrameKind::Powerpc64,
    trampoline: &[0x3800_00ac, 0x4400_0002],
    syscall_insn_len: 4,
    trap_insn: TRAP_AT_PC,
    breakpoint: TRAP_AT_PC,
    syscall_insn_len_odd_pc: 4,
    // ILL_ILLOPC
    illegal_code: 1,
    si_timer: crate::linux::timer::SI_TIMER,
};

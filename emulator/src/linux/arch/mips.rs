//! MIPS o32's Linux ABI facts, both byte orders
//! (`arch/mips/include/uapi/asm/`).

use super::{
    FrameKind, IocLayout, LinuxAbi, OpenBits, SaBits, SigactionLayout, SignalAbi, SignalNumbers,
    StatLayout, TrapSiginfo, TtyIoctls,
};
use crate::linux::errno::Errno;

pub static LINUX: LinuxAbi = LinuxAbi {
    open: OpenBits {
        creat: 0x100,
        excl: 0x400,
        noctty: 0x800,
        trunc: 0x200,
        append: 0x8,
        nonblock: 0x80,
        directory: 0x10000,
        nofollow: 0x20000,
        cloexec: 0x80000,
        largefile: 0x2000,
        path: 0x200000,
    },
    map_anonymous: 0x800,
    stat: StatLayout::MipsStat64,
    ioc: IocLayout { dir_shift: 29, size_mask: 0x1fff },
    tty: TtyIoctls { tcgets: 0x540d, tiocgwinsz: 0x4008_7468, fionread: 0x467f },
    uname_machine: "mips",
    platform: None,
    hwcap2: 0,
    sigaction_size: 24,
    arch_auxv: &[],
    // arch/mips/include/uapi/asm/errno.h
    errno_overrides: &[
        (Errno::ENAMETOOLONG, 78),
        (Errno::EOVERFLOW, 79),
        (Errno::ELIBBAD, 84),
        (Errno::ENOSYS, 89),
        (Errno::ELOOP, 90),
        (Errno::ENOTEMPTY, 93),
        (Errno::ENOTSUP, 122),
        (Errno::ETIMEDOUT, 145),
    ],
    // F_GETLK = 14, F_SETLK = 6, F_SETLKW = 7, F_GETLK64 = 33, F_SETLK64 =
    // 34, F_SETLKW64 = 35, and the OFD forms.
    fcntl_locks: &[14, 6, 7, 33, 34, 35, 36, 37, 38],
    clone_backwards: true,
    signal: &SIGNAL,
};

/// `arch/mips/include/uapi/asm/signal.h`: its own numbers, `SA_SIGINFO`
/// 8, no `SA_RESTORER`, 128 signals; the vDSO returns with
/// `li v0, 4193; syscall`.
static SIGNAL: SignalAbi = SignalAbi {
    numbers: SignalNumbers {
        sigbus: 10,
        sigusr1: 16,
        sigchld: 18,
        sigcont: 25,
        sigstop: 23,
        sigtstp: 24,
        sigttin: 26,
        sigttou: 27,
        sigurg: 21,
        sigwinch: 20,
    },
    sa: SaBits {
        siginfo: 8,
        onstack: 0x0800_0000,
        restart: 0x1000_0000,
        nodefer: 0x4000_0000,
        resethand: 0x8000_0000,
        restorer: None,
    },
    sigaction: SigactionLayout { handler: 4, flags: 0, flags_u32: true, restorer: None, mask: 8 },
    sigset_bytes: 16,
    siginfo_code_first: true,
    stack_size_first: true,
    frame: FrameKind::MipsO32,
    // rt_sigreturn first, then sigreturn (`li v0, 4119; syscall`) 8 bytes
    // in, for handlers without SA_SIGINFO.
    trampoline: &[0x2402_1061, 0x0000_000c, 0x2402_1017, 0x0000_000c],
    syscall_insn_len: 4,
    // do_tr: a trap with a code other than overflow or divide by zero is
    // force_sig(SIGTRAP), SI_KERNEL; do_bp: force_sig_fault(SIGTRAP,
    // TRAP_BRKPT, NULL). (QEMU puts the pc in a break's si_addr.)
    trap_insn: TrapSiginfo { code: crate::linux::signal::code::SI_KERNEL, addr_is_pc: false },
    breakpoint: TrapSiginfo { code: crate::linux::signal::code::TRAP_BRKPT, addr_is_pc: false },
    syscall_insn_len_odd_pc: 4,
    // ILL_ILLOPC
    illegal_code: 1,
    // asm/siginfo.h: IRIX numbering, SI_ASYNCIO is -2 here.
    si_timer: -3,
};

//! MIPS o32's Linux ABI facts, both byte orders
//! (`arch/mips/include/uapi/asm/`).

use super::{IocLayout, LinuxAbi, OpenBits, StatLayout, TtyIoctls};
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
    hwcap: 0,
    hwcap2: 0,
    sigaction_size: 24,
    arch_auxv: &[],
    // arch/mips/include/uapi/asm/errno.h
    errno_overrides: &[
        (Errno::ENAMETOOLONG, 78),
        (Errno::EOVERFLOW, 79),
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
    sigchld: 18,
    siginfo_code_first: true,
};

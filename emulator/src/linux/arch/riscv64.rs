//! riscv64's Linux ABI facts: all asm-generic.

use super::{GENERIC_IOC, GENERIC_LOCKS, GENERIC_OPEN, GENERIC_TTY, LinuxAbi, StatLayout};

/// `COMPAT_HWCAP_ISA_*` bits: one per single-letter extension the frontend
/// implements (I, M, A, C).
const HWCAP: u64 =
    (1 << (b'i' - b'a')) | (1 << (b'm' - b'a')) | (1 << (b'a' - b'a')) | (1 << (b'c' - b'a'));

pub static LINUX: LinuxAbi = LinuxAbi {
    open: GENERIC_OPEN,
    map_anonymous: 0x20,
    stat: StatLayout::Generic64,
    ioc: GENERIC_IOC,
    tty: GENERIC_TTY,
    uname_machine: "riscv64",
    platform: None,
    hwcap: HWCAP,
    hwcap2: 0,
    sigaction_size: 32,
    arch_auxv: &[],
    errno_overrides: &[],
    fcntl_locks: GENERIC_LOCKS,
};

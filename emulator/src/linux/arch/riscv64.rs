//! riscv64's Linux ABI facts: all asm-generic.

use super::{GENERIC_IOC, GENERIC_LOCKS, GENERIC_OPEN, GENERIC_TTY, LinuxAbi, StatLayout};

/// The `COMPAT_HWCAP_ISA_*` bit of a single-letter extension.
const fn isa(letter: u8) -> u64 {
    1 << (letter - b'a')
}

/// One bit per single-letter extension the frontend implements.
const HWCAP: u64 = isa(b'i') | isa(b'm') | isa(b'a') | isa(b'c');

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
    clone_backwards: false,
    sigchld: 17,
    siginfo_code_first: false,
};

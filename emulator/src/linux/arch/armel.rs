//! armel's (EABI, 32-bit) Linux ABI facts.

use super::aarch64::ARM_OPEN;
use super::{GENERIC_IOC, GENERIC_TTY, LinuxAbi, StatLayout};

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
    hwcap: 0x1 | 0x2 | 0x4 | 0x10 | 0x80,
    hwcap2: 0,
    sigaction_size: 20,
    arch_auxv: &[],
    errno_overrides: &[],
    // F_GETLK..F_SETLKW, their 64-bit forms, and the OFD forms.
    fcntl_locks: &[5, 6, 7, 12, 13, 14, 36, 37, 38],
    clone_backwards: true,
    sigchld: 17,
    siginfo_code_first: false,
};

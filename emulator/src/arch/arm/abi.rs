//! ARM EABI Linux syscall ABI: `svc #0`, number in r7, arguments in r0–r5,
//! result in r0 (`-errno` on failure). Numbers from
//! `arch/arm/tools/syscall.tbl`, plus the ARM private calls at 0xf0000
//! (`__ARM_NR_cacheflush`, `__ARM_NR_set_tls`).
//!
//! The old-ABI `stat`/`lstat`/`fstat` (106–108) fill the old `struct
//! stat`, which the kernel does not encode; they stay unmapped (ENOSYS)
//! and `stat64`/`fstat64` serve instead. `pipe` (42) is unmapped as on
//! mips; `pipe2` serves.

use super::regs::{R0, R1, R2, R3, R4, R5, R7};
use crate::arch::{ErrorConvention, SyscallAbi, Sysno};

/// First ARM private syscall number.
pub const ARM_PRIVATE_BASE: u32 = 0xf_0000;

pub static SYSCALLS: &[(u32, Sysno)] = &[
    (1, Sysno::Exit),
    (3, Sysno::Read),
    (4, Sysno::Write),
    (5, Sysno::Open),
    (6, Sysno::Close),
    (10, Sysno::Unlink),
    (19, Sysno::Lseek),
    (20, Sysno::Getpid),
    (24, Sysno::Getuid),
    (37, Sysno::Kill),
    (41, Sysno::Dup),
    (45, Sysno::Brk),
    (47, Sysno::Getgid),
    (49, Sysno::Geteuid),
    (50, Sysno::Getegid),
    (54, Sysno::Ioctl),
    (55, Sysno::Fcntl),
    (63, Sysno::Dup2),
    (64, Sysno::Getppid),
    (78, Sysno::Gettimeofday),
    (91, Sysno::Munmap),
    (122, Sysno::Uname),
    (125, Sysno::Mprotect),
    (140, Sysno::Llseek),
    (145, Sysno::Readv),
    (146, Sysno::Writev),
    (158, Sysno::SchedYield),
    (162, Sysno::Nanosleep),
    (163, Sysno::Mremap),
    (173, Sysno::RtSigreturn),
    (174, Sysno::RtSigaction),
    (175, Sysno::RtSigprocmask),
    (180, Sysno::Pread64),
    (181, Sysno::Pwrite64),
    (183, Sysno::Getcwd),
    (186, Sysno::Sigaltstack),
    (191, Sysno::Getrlimit),
    (192, Sysno::Mmap2),
    (195, Sysno::Stat),
    (197, Sysno::Fstat64),
    (217, Sysno::Getdents64),
    (220, Sysno::Madvise),
    (221, Sysno::Fcntl64),
    (224, Sysno::Gettid),
    (238, Sysno::Tkill),
    (240, Sysno::Futex),
    (248, Sysno::ExitGroup),
    (256, Sysno::SetTidAddress),
    (263, Sysno::ClockGettime),
    (264, Sysno::ClockGetres),
    (265, Sysno::ClockNanosleep),
    (268, Sysno::Tgkill),
    (322, Sysno::Openat),
    (327, Sysno::Fstatat64),
    (328, Sysno::Unlinkat),
    (332, Sysno::Readlinkat),
    (334, Sysno::Faccessat),
    (338, Sysno::SetRobustList),
    (358, Sysno::Dup3),
    (359, Sysno::Pipe2),
    (369, Sysno::Prlimit64),
    (384, Sysno::Getrandom),
    (ARM_PRIVATE_BASE + 2, Sysno::CacheFlush),
    (ARM_PRIVATE_BASE + 5, Sysno::SetTls),
];

pub static ABI: SyscallAbi = SyscallAbi {
    number: R7,
    args: &[R0, R1, R2, R3, R4, R5],
    stack_args_offset: None,
    ret: R0,
    error: ErrorConvention::NegativeErrno,
    table: SYSCALLS,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_are_unique() {
        let mut nrs = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for &(nr, s) in SYSCALLS {
            assert!(nrs.insert(nr), "{nr} twice");
            assert!(names.insert(s), "{s:?} twice");
        }
    }

    #[test]
    fn the_guest_libc_numbers_resolve() {
        // guest/libc/arch/arm/syscall.h
        for (nr, s) in [
            (3, Sysno::Read),
            (4, Sysno::Write),
            (6, Sysno::Close),
            (19, Sysno::Lseek),
            (54, Sysno::Ioctl),
            (91, Sysno::Munmap),
            (192, Sysno::Mmap2),
            (248, Sysno::ExitGroup),
            (322, Sysno::Openat),
            (0xf0002, Sysno::CacheFlush),
        ] {
            assert_eq!(ABI.lookup(nr), Some(s), "{nr}");
        }
    }
}

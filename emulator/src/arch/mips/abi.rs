//! MIPS o32 Linux syscall ABI: `syscall`, number in v0 (4000 + n),
//! arguments in a0–a3 and then on the caller's stack from 16(sp), result in
//! v0; a failure sets a3 to 1 and leaves a positive errno in v0 (success
//! clears a3). Numbers from `arch/mips/kernel/syscalls/syscall_o32.tbl`.
//!
//! o32's `stat`, `lstat` and `fstat` (4106–4108) fill the old `struct
//! stat`, which the kernel does not encode; they stay unmapped (ENOSYS)
//! and `stat64`/`fstat64` serve instead. `pipe` (4042) returns its two
//! descriptors in v0 and v1, which no `Sysno` models; it is unmapped too.

use super::regs::{A0, A1, A2, A3, V0};
use crate::arch::{ErrorConvention, SyscallAbi, Sysno};

/// First o32 syscall number.
pub const BASE: u32 = 4000;

pub static SYSCALLS: &[(u32, Sysno)] = &[
    (BASE + 1, Sysno::Exit),
    (BASE + 3, Sysno::Read),
    (BASE + 4, Sysno::Write),
    (BASE + 5, Sysno::Open),
    (BASE + 6, Sysno::Close),
    (BASE + 10, Sysno::Unlink),
    (BASE + 19, Sysno::Lseek),
    (BASE + 20, Sysno::Getpid),
    (BASE + 24, Sysno::Getuid),
    (BASE + 37, Sysno::Kill),
    (BASE + 41, Sysno::Dup),
    (BASE + 45, Sysno::Brk),
    (BASE + 47, Sysno::Getgid),
    (BASE + 49, Sysno::Geteuid),
    (BASE + 50, Sysno::Getegid),
    (BASE + 54, Sysno::Ioctl),
    (BASE + 55, Sysno::Fcntl),
    (BASE + 63, Sysno::Dup2),
    (BASE + 64, Sysno::Getppid),
    (BASE + 76, Sysno::Getrlimit),
    (BASE + 78, Sysno::Gettimeofday),
    (BASE + 90, Sysno::Mmap),
    (BASE + 91, Sysno::Munmap),
    (BASE + 122, Sysno::Uname),
    (BASE + 125, Sysno::Mprotect),
    (BASE + 140, Sysno::Llseek),
    (BASE + 145, Sysno::Readv),
    (BASE + 146, Sysno::Writev),
    (BASE + 147, Sysno::CacheFlush),
    (BASE + 162, Sysno::SchedYield),
    (BASE + 166, Sysno::Nanosleep),
    (BASE + 167, Sysno::Mremap),
    (BASE + 193, Sysno::RtSigreturn),
    (BASE + 194, Sysno::RtSigaction),
    (BASE + 195, Sysno::RtSigprocmask),
    (BASE + 200, Sysno::Pread64),
    (BASE + 201, Sysno::Pwrite64),
    (BASE + 203, Sysno::Getcwd),
    (BASE + 206, Sysno::Sigaltstack),
    (BASE + 210, Sysno::Mmap2),
    (BASE + 213, Sysno::Stat),
    (BASE + 215, Sysno::Fstat64),
    (BASE + 218, Sysno::Madvise),
    (BASE + 219, Sysno::Getdents64),
    (BASE + 220, Sysno::Fcntl64),
    (BASE + 222, Sysno::Gettid),
    (BASE + 236, Sysno::Tkill),
    (BASE + 238, Sysno::Futex),
    (BASE + 246, Sysno::ExitGroup),
    (BASE + 252, Sysno::SetTidAddress),
    (BASE + 263, Sysno::ClockGettime),
    (BASE + 264, Sysno::ClockGetres),
    (BASE + 265, Sysno::ClockNanosleep),
    (BASE + 266, Sysno::Tgkill),
    (BASE + 283, Sysno::SetThreadArea),
    (BASE + 288, Sysno::Openat),
    (BASE + 293, Sysno::Fstatat64),
    (BASE + 294, Sysno::Unlinkat),
    (BASE + 298, Sysno::Readlinkat),
    (BASE + 300, Sysno::Faccessat),
    (BASE + 309, Sysno::SetRobustList),
    (BASE + 327, Sysno::Dup3),
    (BASE + 328, Sysno::Pipe2),
    (BASE + 338, Sysno::Prlimit64),
    (BASE + 353, Sysno::Getrandom),
];

pub static ABI: SyscallAbi = SyscallAbi {
    number: V0,
    args: &[A0, A1, A2, A3],
    stack_args_offset: Some(16),
    ret: V0,
    error: ErrorConvention::FlagSlot { flag: A3 },
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
            assert!((BASE..BASE + 1000).contains(&nr), "{nr} outside o32's range");
        }
    }

    #[test]
    fn the_guest_libc_numbers_resolve() {
        // guest/libc/arch/mips/syscall.h
        for (nr, s) in [
            (4003, Sysno::Read),
            (4004, Sysno::Write),
            (4006, Sysno::Close),
            (4019, Sysno::Lseek),
            (4054, Sysno::Ioctl),
            (4091, Sysno::Munmap),
            (4210, Sysno::Mmap2),
            (4246, Sysno::ExitGroup),
            (4288, Sysno::Openat),
            (4147, Sysno::CacheFlush),
        ] {
            assert_eq!(ABI.lookup(nr), Some(s), "{nr}");
        }
    }
}

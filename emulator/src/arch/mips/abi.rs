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
    (BASE + 2, Sysno::Fork),
    (BASE + 3, Sysno::Read),
    (BASE + 4, Sysno::Write),
    (BASE + 5, Sysno::Open),
    (BASE + 6, Sysno::Close),
    (BASE + 9, Sysno::Link),
    (BASE + 10, Sysno::Unlink),
    (BASE + 11, Sysno::Execve),
    (BASE + 12, Sysno::Chdir),
    (BASE + 15, Sysno::Chmod),
    (BASE + 19, Sysno::Lseek),
    (BASE + 20, Sysno::Getpid),
    (BASE + 23, Sysno::Setuid),
    (BASE + 24, Sysno::Getuid),
    (BASE + 27, Sysno::Alarm),
    (BASE + 29, Sysno::Pause),
    (BASE + 33, Sysno::Access),
    (BASE + 37, Sysno::Kill),
    (BASE + 38, Sysno::Rename),
    (BASE + 39, Sysno::Mkdir),
    (BASE + 40, Sysno::Rmdir),
    (BASE + 41, Sysno::Dup),
    (BASE + 43, Sysno::Times),
    (BASE + 45, Sysno::Brk),
    (BASE + 46, Sysno::Setgid),
    (BASE + 47, Sysno::Getgid),
    (BASE + 49, Sysno::Geteuid),
    (BASE + 50, Sysno::Getegid),
    (BASE + 54, Sysno::Ioctl),
    (BASE + 55, Sysno::Fcntl),
    (BASE + 57, Sysno::Setpgid),
    (BASE + 60, Sysno::Umask),
    (BASE + 63, Sysno::Dup2),
    (BASE + 64, Sysno::Getppid),
    (BASE + 65, Sysno::Getpgrp),
    (BASE + 66, Sysno::Setsid),
    (BASE + 70, Sysno::Setreuid),
    (BASE + 71, Sysno::Setregid),
    (BASE + 75, Sysno::Setrlimit),
    (BASE + 76, Sysno::Getrlimit),
    (BASE + 77, Sysno::Getrusage),
    (BASE + 78, Sysno::Gettimeofday),
    (BASE + 80, Sysno::Getgroups),
    (BASE + 81, Sysno::Setgroups),
    (BASE + 83, Sysno::Symlink),
    (BASE + 85, Sysno::Readlink),
    (BASE + 90, Sysno::Mmap),
    (BASE + 91, Sysno::Munmap),
    (BASE + 92, Sysno::Truncate),
    (BASE + 93, Sysno::Ftruncate),
    (BASE + 94, Sysno::Fchmod),
    (BASE + 95, Sysno::Fchown),
    (BASE + 104, Sysno::Setitimer),
    (BASE + 105, Sysno::Getitimer),
    (BASE + 114, Sysno::Wait4),
    (BASE + 116, Sysno::Sysinfo),
    (BASE + 118, Sysno::Fsync),
    (BASE + 119, Sysno::Sigreturn),
    (BASE + 120, Sysno::Clone),
    (BASE + 122, Sysno::Uname),
    (BASE + 125, Sysno::Mprotect),
    (BASE + 132, Sysno::Getpgid),
    (BASE + 133, Sysno::Fchdir),
    (BASE + 136, Sysno::Personality),
    (BASE + 140, Sysno::Llseek),
    (BASE + 142, Sysno::Newselect),
    (BASE + 145, Sysno::Readv),
    (BASE + 146, Sysno::Writev),
    (BASE + 147, Sysno::CacheFlush),
    (BASE + 151, Sysno::Getsid),
    (BASE + 152, Sysno::Fdatasync),
    (BASE + 162, Sysno::SchedYield),
    (BASE + 166, Sysno::Nanosleep),
    (BASE + 167, Sysno::Mremap),
    (BASE + 185, Sysno::Setresuid),
    (BASE + 186, Sysno::Getresuid),
    (BASE + 188, Sysno::Poll),
    (BASE + 190, Sysno::Setresgid),
    (BASE + 191, Sysno::Getresgid),
    (BASE + 192, Sysno::Prctl),
    (BASE + 193, Sysno::RtSigreturn),
    (BASE + 194, Sysno::RtSigaction),
    (BASE + 195, Sysno::RtSigprocmask),
    (BASE + 196, Sysno::RtSigpending),
    (BASE + 197, Sysno::RtSigtimedwait),
    (BASE + 198, Sysno::RtSigqueueinfo),
    (BASE + 199, Sysno::RtSigsuspend),
    (BASE + 200, Sysno::Pread64),
    (BASE + 201, Sysno::Pwrite64),
    (BASE + 203, Sysno::Getcwd),
    (BASE + 206, Sysno::Sigaltstack),
    (BASE + 207, Sysno::Sendfile),
    (BASE + 210, Sysno::Mmap2),
    (BASE + 211, Sysno::Truncate64),
    (BASE + 212, Sysno::Ftruncate64),
    (BASE + 213, Sysno::Stat64),
    (BASE + 214, Sysno::Lstat64),
    (BASE + 215, Sysno::Fstat64),
    (BASE + 218, Sysno::Madvise),
    (BASE + 219, Sysno::Getdents64),
    (BASE + 220, Sysno::Fcntl64),
    (BASE + 222, Sysno::Gettid),
    (BASE + 236, Sysno::Tkill),
    (BASE + 237, Sysno::Sendfile64),
    (BASE + 238, Sysno::Futex),
    (BASE + 240, Sysno::SchedGetaffinity),
    (BASE + 246, Sysno::ExitGroup),
    (BASE + 252, Sysno::SetTidAddress),
    (BASE + 257, Sysno::TimerCreate),
    (BASE + 258, Sysno::TimerSettime),
    (BASE + 259, Sysno::TimerGettime),
    (BASE + 260, Sysno::TimerGetoverrun),
    (BASE + 261, Sysno::TimerDelete),
    (BASE + 263, Sysno::ClockGettime),
    (BASE + 264, Sysno::ClockGetres),
    (BASE + 265, Sysno::ClockNanosleep),
    (BASE + 266, Sysno::Tgkill),
    (BASE + 278, Sysno::Waitid),
    (BASE + 283, Sysno::SetThreadArea),
    (BASE + 288, Sysno::Openat),
    (BASE + 289, Sysno::Mkdirat),
    (BASE + 291, Sysno::Fchownat),
    (BASE + 293, Sysno::Fstatat64),
    (BASE + 294, Sysno::Unlinkat),
    (BASE + 295, Sysno::Renameat),
    (BASE + 296, Sysno::Linkat),
    (BASE + 297, Sysno::Symlinkat),
    (BASE + 298, Sysno::Readlinkat),
    (BASE + 299, Sysno::Fchmodat),
    (BASE + 300, Sysno::Faccessat),
    (BASE + 301, Sysno::Pselect6),
    (BASE + 302, Sysno::Ppoll),
    (BASE + 309, Sysno::SetRobustList),
    (BASE + 310, Sysno::GetRobustList),
    (BASE + 312, Sysno::Getcpu),
    (BASE + 316, Sysno::Utimensat),
    (BASE + 327, Sysno::Dup3),
    (BASE + 328, Sysno::Pipe2),
    (BASE + 330, Sysno::Preadv),
    (BASE + 331, Sysno::Pwritev),
    (BASE + 338, Sysno::Prlimit64),
    (BASE + 351, Sysno::Renameat2),
    (BASE + 353, Sysno::Getrandom),
    (BASE + 356, Sysno::Execveat),
    (BASE + 360, Sysno::CopyFileRange),
    (BASE + 366, Sysno::Statx),
    (BASE + 367, Sysno::Rseq),
    (BASE + 403, Sysno::ClockGettime64),
    (BASE + 406, Sysno::ClockGetresTime64),
    (BASE + 407, Sysno::ClockNanosleepTime64),
    (BASE + 408, Sysno::TimerGettime64),
    (BASE + 409, Sysno::TimerSettime64),
    (BASE + 413, Sysno::Pselect6Time64),
    (BASE + 414, Sysno::PpollTime64),
    (BASE + 421, Sysno::RtSigtimedwaitTime64),
    (BASE + 422, Sysno::FutexTime64),
    (BASE + 435, Sysno::Clone3),
    (BASE + 439, Sysno::Faccessat2),
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

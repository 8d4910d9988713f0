//! ARM EABI Linux syscall ABI: `svc #0`, number in r7, arguments in r0–r5,
//! result in r0 (`-errno` on failure). Numbers from
//! `arch/arm/tools/syscall.tbl`, plus the ARM private calls at 0xf0000
//! (`__ARM_NR_cacheflush`, `__ARM_NR_set_tls`).
//!
//! The old-ABI `stat`/`lstat`/`fstat` (106–108) fill the old `struct
//! stat`, which the kernel does not encode; they stay unmapped (ENOSYS)
//! and `stat64`/`lstat64`/`fstat64` serve instead. `pipe` (42) is unmapped as on
//! mips; `pipe2` serves.

use super::regs::{R0, R1, R2, R3, R4, R5, R7};
use crate::arch::{ErrorConvention, SyscallAbi, Sysno};

/// First ARM private syscall number.
pub const ARM_PRIVATE_BASE: u32 = 0xf_0000;

/// The EABI numbers of the 32-bit calls glibc uses (`getuid32` and the
/// like at 199–214, not the 16-bit originals).
pub static SYSCALLS: &[(u32, Sysno)] = &[
    (1, Sysno::Exit),
    (2, Sysno::Fork),
    (3, Sysno::Read),
    (4, Sysno::Write),
    (5, Sysno::Open),
    (6, Sysno::Close),
    (9, Sysno::Link),
    (10, Sysno::Unlink),
    (11, Sysno::Execve),
    (12, Sysno::Chdir),
    (15, Sysno::Chmod),
    (19, Sysno::Lseek),
    (20, Sysno::Getpid),
    (29, Sysno::Pause),
    (33, Sysno::Access),
    (37, Sysno::Kill),
    (38, Sysno::Rename),
    (39, Sysno::Mkdir),
    (40, Sysno::Rmdir),
    (41, Sysno::Dup),
    (43, Sysno::Times),
    (45, Sysno::Brk),
    (54, Sysno::Ioctl),
    (55, Sysno::Fcntl),
    (57, Sysno::Setpgid),
    (60, Sysno::Umask),
    (63, Sysno::Dup2),
    (64, Sysno::Getppid),
    (65, Sysno::Getpgrp),
    (66, Sysno::Setsid),
    (75, Sysno::Setrlimit),
    (77, Sysno::Getrusage),
    (78, Sysno::Gettimeofday),
    (83, Sysno::Symlink),
    (85, Sysno::Readlink),
    (91, Sysno::Munmap),
    (92, Sysno::Truncate),
    (93, Sysno::Ftruncate),
    (94, Sysno::Fchmod),
    (104, Sysno::Setitimer),
    (105, Sysno::Getitimer),
    (114, Sysno::Wait4),
    (116, Sysno::Sysinfo),
    (118, Sysno::Fsync),
    (119, Sysno::Sigreturn),
    (120, Sysno::Clone),
    (122, Sysno::Uname),
    (125, Sysno::Mprotect),
    (132, Sysno::Getpgid),
    (133, Sysno::Fchdir),
    (136, Sysno::Personality),
    (140, Sysno::Llseek),
    (142, Sysno::Newselect),
    (145, Sysno::Readv),
    (146, Sysno::Writev),
    (147, Sysno::Getsid),
    (148, Sysno::Fdatasync),
    (158, Sysno::SchedYield),
    (162, Sysno::Nanosleep),
    (163, Sysno::Mremap),
    (168, Sysno::Poll),
    (172, Sysno::Prctl),
    (173, Sysno::RtSigreturn),
    (174, Sysno::RtSigaction),
    (175, Sysno::RtSigprocmask),
    (176, Sysno::RtSigpending),
    (177, Sysno::RtSigtimedwait),
    (178, Sysno::RtSigqueueinfo),
    (179, Sysno::RtSigsuspend),
    (180, Sysno::Pread64),
    (181, Sysno::Pwrite64),
    (183, Sysno::Getcwd),
    (186, Sysno::Sigaltstack),
    (187, Sysno::Sendfile),
    (190, Sysno::Vfork),
    (191, Sysno::Getrlimit),
    (192, Sysno::Mmap2),
    (193, Sysno::Truncate64),
    (194, Sysno::Ftruncate64),
    (195, Sysno::Stat64),
    (196, Sysno::Lstat64),
    (197, Sysno::Fstat64),
    (199, Sysno::Getuid),
    (200, Sysno::Getgid),
    (201, Sysno::Geteuid),
    (202, Sysno::Getegid),
    (203, Sysno::Setreuid),
    (204, Sysno::Setregid),
    (205, Sysno::Getgroups),
    (206, Sysno::Setgroups),
    (207, Sysno::Fchown),
    (208, Sysno::Setresuid),
    (209, Sysno::Getresuid),
    (210, Sysno::Setresgid),
    (211, Sysno::Getresgid),
    (213, Sysno::Setuid),
    (214, Sysno::Setgid),
    (217, Sysno::Getdents64),
    (220, Sysno::Madvise),
    (221, Sysno::Fcntl64),
    (224, Sysno::Gettid),
    (238, Sysno::Tkill),
    (239, Sysno::Sendfile64),
    (240, Sysno::Futex),
    (242, Sysno::SchedGetaffinity),
    (248, Sysno::ExitGroup),
    (256, Sysno::SetTidAddress),
    (257, Sysno::TimerCreate),
    (258, Sysno::TimerSettime),
    (259, Sysno::TimerGettime),
    (260, Sysno::TimerGetoverrun),
    (261, Sysno::TimerDelete),
    (263, Sysno::ClockGettime),
    (264, Sysno::ClockGetres),
    (265, Sysno::ClockNanosleep),
    (268, Sysno::Tgkill),
    (280, Sysno::Waitid),
    (322, Sysno::Openat),
    (323, Sysno::Mkdirat),
    (325, Sysno::Fchownat),
    (327, Sysno::Fstatat64),
    (328, Sysno::Unlinkat),
    (329, Sysno::Renameat),
    (330, Sysno::Linkat),
    (331, Sysno::Symlinkat),
    (332, Sysno::Readlinkat),
    (333, Sysno::Fchmodat),
    (334, Sysno::Faccessat),
    (335, Sysno::Pselect6),
    (336, Sysno::Ppoll),
    (338, Sysno::SetRobustList),
    (339, Sysno::GetRobustList),
    (345, Sysno::Getcpu),
    (348, Sysno::Utimensat),
    (358, Sysno::Dup3),
    (359, Sysno::Pipe2),
    (361, Sysno::Preadv),
    (362, Sysno::Pwritev),
    (369, Sysno::Prlimit64),
    (382, Sysno::Renameat2),
    (384, Sysno::Getrandom),
    (387, Sysno::Execveat),
    (391, Sysno::CopyFileRange),
    (397, Sysno::Statx),
    (398, Sysno::Rseq),
    (403, Sysno::ClockGettime64),
    (406, Sysno::ClockGetresTime64),
    (407, Sysno::ClockNanosleepTime64),
    (408, Sysno::TimerGettime64),
    (409, Sysno::TimerSettime64),
    (413, Sysno::Pselect6Time64),
    (414, Sysno::PpollTime64),
    (421, Sysno::RtSigtimedwaitTime64),
    (422, Sysno::FutexTime64),
    (435, Sysno::Clone3),
    (439, Sysno::Faccessat2),
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

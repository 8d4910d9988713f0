//! powerpc64 Linux syscall ABI: `sc`, number in r0, arguments in r3–r8,
//! result in r3. On failure the kernel sets CR0.SO and returns a positive
//! errno; on success it clears CR0.SO. Numbers from the 64-bit ABI of
//! `arch/powerpc/kernel/syscalls/syscall.tbl` (entries marked `common`,
//! `nospu` or `64`; the 32-only ones such as `mmap2` and `fstat64` are not
//! valid here).
//!
//! Talks to: the kernel (`linux::syscall`), which dispatches on [`ABI`].

use super::regs::{R0, R3, R4, R5, R6, R7, R8, cr};
use crate::arch::{ErrorConvention, SyscallAbi, Sysno};

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
    (23, Sysno::Setuid),
    (24, Sysno::Getuid),
    (27, Sysno::Alarm),
    (29, Sysno::Pause),
    (33, Sysno::Access),
    (37, Sysno::Kill),
    (38, Sysno::Rename),
    (39, Sysno::Mkdir),
    (40, Sysno::Rmdir),
    (41, Sysno::Dup),
    (43, Sysno::Times),
    (45, Sysno::Brk),
    (46, Sysno::Setgid),
    (47, Sysno::Getgid),
    (49, Sysno::Geteuid),
    (50, Sysno::Getegid),
    (54, Sysno::Ioctl),
    (55, Sysno::Fcntl),
    (57, Sysno::Setpgid),
    (60, Sysno::Umask),
    (63, Sysno::Dup2),
    (64, Sysno::Getppid),
    (65, Sysno::Getpgrp),
    (66, Sysno::Setsid),
    (70, Sysno::Setreuid),
    (71, Sysno::Setregid),
    (75, Sysno::Setrlimit),
    (77, Sysno::Getrusage),
    (78, Sysno::Gettimeofday),
    (80, Sysno::Getgroups),
    (81, Sysno::Setgroups),
    (83, Sysno::Symlink),
    (85, Sysno::Readlink),
    (90, Sysno::Mmap),
    (91, Sysno::Munmap),
    (92, Sysno::Truncate),
    (93, Sysno::Ftruncate),
    (94, Sysno::Fchmod),
    (95, Sysno::Fchown),
    (104, Sysno::Setitimer),
    (105, Sysno::Getitimer),
    (106, Sysno::Stat),
    (107, Sysno::Lstat),
    (108, Sysno::Fstat),
    (114, Sysno::Wait4),
    (116, Sysno::Sysinfo),
    (118, Sysno::Fsync),
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
    (164, Sysno::Setresuid),
    (165, Sysno::Getresuid),
    (167, Sysno::Poll),
    (169, Sysno::Setresgid),
    (170, Sysno::Getresgid),
    (171, Sysno::Prctl),
    (172, Sysno::RtSigreturn),
    (173, Sysno::RtSigaction),
    (174, Sysno::RtSigprocmask),
    (175, Sysno::RtSigpending),
    (176, Sysno::RtSigtimedwait),
    (177, Sysno::RtSigqueueinfo),
    (178, Sysno::RtSigsuspend),
    (179, Sysno::Pread64),
    (180, Sysno::Pwrite64),
    (182, Sysno::Getcwd),
    (185, Sysno::Sigaltstack),
    (186, Sysno::Sendfile),
    (189, Sysno::Vfork),
    // `ugetrlimit`; number 76 (`getrlimit`) is not implemented on 64-bit.
    (190, Sysno::Getrlimit),
    (202, Sysno::Getdents64),
    (205, Sysno::Madvise),
    (207, Sysno::Gettid),
    (208, Sysno::Tkill),
    (221, Sysno::Futex),
    (223, Sysno::SchedGetaffinity),
    (232, Sysno::SetTidAddress),
    (234, Sysno::ExitGroup),
    (240, Sysno::TimerCreate),
    (241, Sysno::TimerSettime),
    (242, Sysno::TimerGettime),
    (243, Sysno::TimerGetoverrun),
    (244, Sysno::TimerDelete),
    (246, Sysno::ClockGettime),
    (247, Sysno::ClockGetres),
    (248, Sysno::ClockNanosleep),
    (250, Sysno::Tgkill),
    (272, Sysno::Waitid),
    (280, Sysno::Pselect6),
    (281, Sysno::Ppoll),
    (286, Sysno::Openat),
    (287, Sysno::Mkdirat),
    (289, Sysno::Fchownat),
    (291, Sysno::Newfstatat),
    (292, Sysno::Unlinkat),
    (293, Sysno::Renameat),
    (294, Sysno::Linkat),
    (295, Sysno::Symlinkat),
    (296, Sysno::Readlinkat),
    (297, Sysno::Fchmodat),
    (298, Sysno::Faccessat),
    (299, Sysno::GetRobustList),
    (300, Sysno::SetRobustList),
    (302, Sysno::Getcpu),
    (304, Sysno::Utimensat),
    (316, Sysno::Dup3),
    (317, Sysno::Pipe2),
    (320, Sysno::Preadv),
    (321, Sysno::Pwritev),
    (325, Sysno::Prlimit64),
    (357, Sysno::Renameat2),
    (359, Sysno::Getrandom),
    (362, Sysno::Execveat),
    (379, Sysno::CopyFileRange),
    (383, Sysno::Statx),
    (387, Sysno::Rseq),
    (435, Sysno::Clone3),
    (439, Sysno::Faccessat2),
];

pub static ABI: SyscallAbi = SyscallAbi {
    number: R0,
    args: &[R3, R4, R5, R6, R7, R8],
    stack_args_offset: None,
    ret: R3,
    // SO is the lowest bit of a CR field slot (see `regs`).
    error: ErrorConvention::FlagBit { cr: cr(0), bit: 0 },
    table: SYSCALLS,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_sorted() {
        crate::arch::sysno::check_table(SYSCALLS);
    }

    #[test]
    fn the_guest_libc_numbers() {
        // guest/libc/arch/powerpc64/syscall.h
        for (nr, s) in [
            (3, Sysno::Read),
            (4, Sysno::Write),
            (6, Sysno::Close),
            (19, Sysno::Lseek),
            (54, Sysno::Ioctl),
            (90, Sysno::Mmap),
            (91, Sysno::Munmap),
            (234, Sysno::ExitGroup),
            (286, Sysno::Openat),
        ] {
            assert_eq!(ABI.lookup(nr), Some(s), "{nr}");
        }
        // 32-bit-only numbers are not part of the 64-bit ABI.
        assert_eq!(ABI.lookup(192), None); // mmap2
        assert_eq!(ABI.lookup(197), None); // fstat64
    }
}

//! The asm-generic Linux system-call numbering
//! (`include/uapi/asm-generic/unistd.h`), shared by every arch that uses it
//! (riscv64, aarch64). Each such frontend's `abi` module builds its table
//! from [`GENERIC_SYSCALLS`] plus its arch-private numbers with
//! [`generic_with`].

use crate::arch::Sysno;

/// Number of entries in [`GENERIC_SYSCALLS`].
pub const GENERIC_LEN: usize = 123;

/// The calls Bohr implements, under their asm-generic numbers.
pub const GENERIC_SYSCALLS: [(u32, Sysno); GENERIC_LEN] = [
    (17, Sysno::Getcwd),
    (23, Sysno::Dup),
    (24, Sysno::Dup3),
    (25, Sysno::Fcntl),
    (29, Sysno::Ioctl),
    (34, Sysno::Mkdirat),
    (35, Sysno::Unlinkat),
    (36, Sysno::Symlinkat),
    (37, Sysno::Linkat),
    (45, Sysno::Truncate),
    (46, Sysno::Ftruncate),
    (48, Sysno::Faccessat),
    (49, Sysno::Chdir),
    (50, Sysno::Fchdir),
    (52, Sysno::Fchmod),
    (53, Sysno::Fchmodat),
    (54, Sysno::Fchownat),
    (55, Sysno::Fchown),
    (56, Sysno::Openat),
    (57, Sysno::Close),
    (59, Sysno::Pipe2),
    (61, Sysno::Getdents64),
    (62, Sysno::Lseek),
    (63, Sysno::Read),
    (64, Sysno::Write),
    (65, Sysno::Readv),
    (66, Sysno::Writev),
    (67, Sysno::Pread64),
    (68, Sysno::Pwrite64),
    (69, Sysno::Preadv),
    (70, Sysno::Pwritev),
    (71, Sysno::Sendfile),
    (72, Sysno::Pselect6),
    (73, Sysno::Ppoll),
    (78, Sysno::Readlinkat),
    (79, Sysno::Newfstatat),
    (80, Sysno::Fstat),
    (82, Sysno::Fsync),
    (83, Sysno::Fdatasync),
    (88, Sysno::Utimensat),
    (92, Sysno::Personality),
    (93, Sysno::Exit),
    (94, Sysno::ExitGroup),
    (95, Sysno::Waitid),
    (96, Sysno::SetTidAddress),
    (98, Sysno::Futex),
    (99, Sysno::SetRobustList),
    (100, Sysno::GetRobustList),
    (101, Sysno::Nanosleep),
    (102, Sysno::Getitimer),
    (103, Sysno::Setitimer),
    (107, Sysno::TimerCreate),
    (108, Sysno::TimerGettime),
    (109, Sysno::TimerGetoverrun),
    (110, Sysno::TimerSettime),
    (111, Sysno::TimerDelete),
    (113, Sysno::ClockGettime),
    (114, Sysno::ClockGetres),
    (115, Sysno::ClockNanosleep),
    (123, Sysno::SchedGetaffinity),
    (124, Sysno::SchedYield),
    (129, Sysno::Kill),
    (130, Sysno::Tkill),
    (131, Sysno::Tgkill),
    (132, Sysno::Sigaltstack),
    (133, Sysno::RtSigsuspend),
    (134, Sysno::RtSigaction),
    (135, Sysno::RtSigprocmask),
    (136, Sysno::RtSigpending),
    (137, Sysno::RtSigtimedwait),
    (138, Sysno::RtSigqueueinfo),
    (139, Sysno::RtSigreturn),
    (143, Sysno::Setregid),
    (144, Sysno::Setgid),
    (145, Sysno::Setreuid),
    (146, Sysno::Setuid),
    (147, Sysno::Setresuid),
    (148, Sysno::Getresuid),
    (149, Sysno::Setresgid),
    (150, Sysno::Getresgid),
    (153, Sysno::Times),
    (154, Sysno::Setpgid),
    (155, Sysno::Getpgid),
    (156, Sysno::Getsid),
    (157, Sysno::Setsid),
    (158, Sysno::Getgroups),
    (159, Sysno::Setgroups),
    (160, Sysno::Uname),
    (163, Sysno::Getrlimit),
    (164, Sysno::Setrlimit),
    (165, Sysno::Getrusage),
    (166, Sysno::Umask),
    (167, Sysno::Prctl),
    (168, Sysno::Getcpu),
    (169, Sysno::Gettimeofday),
    (172, Sysno::Getpid),
    (173, Sysno::Getppid),
    (174, Sysno::Getuid),
    (175, Sysno::Geteuid),
    (176, Sysno::Getgid),
    (177, Sysno::Getegid),
    (178, Sysno::Gettid),
    (179, Sysno::Sysinfo),
    (214, Sysno::Brk),
    (215, Sysno::Munmap),
    (216, Sysno::Mremap),
    (220, Sysno::Clone),
    (221, Sysno::Execve),
    (222, Sysno::Mmap),
    (223, Sysno::Fadvise64),
    (226, Sysno::Mprotect),
    (227, Sysno::Msync),
    (233, Sysno::Madvise),
    (260, Sysno::Wait4),
    (261, Sysno::Prlimit64),
    (276, Sysno::Renameat2),
    (278, Sysno::Getrandom),
    (281, Sysno::Execveat),
    (285, Sysno::CopyFileRange),
    (291, Sysno::Statx),
    (293, Sysno::Rseq),
    (435, Sysno::Clone3),
    (439, Sysno::Faccessat2),
];

/// [`GENERIC_SYSCALLS`] followed by an arch's private numbers. `T` must be
/// `GENERIC_LEN + M`; a mismatch fails at compile time, since the tables
/// are built in `static` initialisers.
pub const fn generic_with<const M: usize, const T: usize>(
    extra: [(u32, Sysno); M],
) -> [(u32, Sysno); T] {
    assert!(T == GENERIC_LEN + M, "table length must be GENERIC_LEN + extra entries");
    let mut out = [(0, Sysno::Read); T];
    let mut i = 0;
    while i < GENERIC_LEN {
        out[i] = GENERIC_SYSCALLS[i];
        i += 1;
    }
    let mut j = 0;
    while j < M {
        out[GENERIC_LEN + j] = extra[j];
        j += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_sorted() {
        crate::arch::sysno::check_table(&GENERIC_SYSCALLS);
    }

    #[test]
    fn extra_entries_follow_the_generic_ones() {
        let t: [(u32, Sysno); GENERIC_LEN + 1] = generic_with([(999, Sysno::SetTls)]);
        assert_eq!(t[..GENERIC_LEN], GENERIC_SYSCALLS[..]);
        assert_eq!(t[GENERIC_LEN], (999, Sysno::SetTls));
    }
}

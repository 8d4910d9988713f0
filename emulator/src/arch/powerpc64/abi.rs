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
    (90, Sysno::Mmap),
    (91, Sysno::Munmap),
    (106, Sysno::Stat),
    (108, Sysno::Fstat),
    (122, Sysno::Uname),
    (125, Sysno::Mprotect),
    (140, Sysno::Llseek),
    (145, Sysno::Readv),
    (146, Sysno::Writev),
    (158, Sysno::SchedYield),
    (162, Sysno::Nanosleep),
    (163, Sysno::Mremap),
    (172, Sysno::RtSigreturn),
    (173, Sysno::RtSigaction),
    (174, Sysno::RtSigprocmask),
    (179, Sysno::Pread64),
    (180, Sysno::Pwrite64),
    (182, Sysno::Getcwd),
    (185, Sysno::Sigaltstack),
    // `ugetrlimit`; number 76 (`getrlimit`) is not implemented on 64-bit.
    (190, Sysno::Getrlimit),
    (202, Sysno::Getdents64),
    (205, Sysno::Madvise),
    (207, Sysno::Gettid),
    (208, Sysno::Tkill),
    (221, Sysno::Futex),
    (232, Sysno::SetTidAddress),
    (234, Sysno::ExitGroup),
    (246, Sysno::ClockGettime),
    (247, Sysno::ClockGetres),
    (248, Sysno::ClockNanosleep),
    (250, Sysno::Tgkill),
    (286, Sysno::Openat),
    (291, Sysno::Newfstatat),
    (292, Sysno::Unlinkat),
    (296, Sysno::Readlinkat),
    (298, Sysno::Faccessat),
    (300, Sysno::SetRobustList),
    (316, Sysno::Dup3),
    (317, Sysno::Pipe2),
    (325, Sysno::Prlimit64),
    (359, Sysno::Getrandom),
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
        for w in SYSCALLS.windows(2) {
            assert!(w[0].0 < w[1].0, "{:?} then {:?}", w[0], w[1]);
        }
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

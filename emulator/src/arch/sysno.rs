//! Architecture-neutral names of the Linux system calls Bohr implements.
//!
//! Each frontend maps its own numbers onto these names with a table (see
//! `SyscallAbi::table`); the kernel dispatches on the names only.

/// A Linux system call, independent of any arch's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sysno {
    Read,
    Write,
    Readv,
    Writev,
    Pread64,
    Pwrite64,
    Open,
    Openat,
    Close,
    Lseek,
    Llseek,
    Getdents64,
    Fstat,
    Fstat64,
    Stat,
    Newfstatat,
    Fstatat64,
    Ioctl,
    Fcntl,
    Fcntl64,
    Dup,
    Dup2,
    Dup3,
    Pipe2,
    Unlink,
    Unlinkat,
    Faccessat,
    Readlinkat,
    Getcwd,
    Exit,
    ExitGroup,
    Brk,
    Mmap,
    Mmap2,
    Munmap,
    Mremap,
    Mprotect,
    Madvise,
    Msync,
    Getpid,
    Getppid,
    Gettid,
    Getuid,
    Geteuid,
    Getgid,
    Getegid,
    Uname,
    Prlimit64,
    Getrlimit,
    ClockGettime,
    ClockGetres,
    Gettimeofday,
    /// The old `time` (powerpc64, mips o32): seconds of `CLOCK_REALTIME`.
    Time,
    Nanosleep,
    ClockNanosleep,
    Getrandom,
    SetTidAddress,
    SetRobustList,
    RtSigaction,
    RtSigprocmask,
    RtSigreturn,
    /// The old `sigreturn`, for frames without siginfo (mips o32, arm).
    Sigreturn,
    RtSigpending,
    RtSigsuspend,
    RtSigtimedwait,
    RtSigtimedwaitTime64,
    RtSigqueueinfo,
    Pause,
    Alarm,
    Setitimer,
    Getitimer,
    Sigaltstack,
    Kill,
    Tkill,
    Tgkill,
    SchedYield,
    Futex,
    Symlinkat,
    Linkat,
    Renameat,
    Renameat2,
    Mkdirat,
    Mkdir,
    Rmdir,
    Fchmodat,
    Fchmod,
    Chmod,
    Fchownat,
    Fchown,
    Utimensat,
    Faccessat2,
    Access,
    Readlink,
    Lstat,
    Lstat64,
    Stat64,
    Statx,
    Ftruncate,
    Ftruncate64,
    Truncate,
    Truncate64,
    Fsync,
    Fdatasync,
    /// `fadvise64` (`arm_fadvise64_64` on arm, with the advice second).
    Fadvise64,
    Sendfile,
    Sendfile64,
    CopyFileRange,
    Preadv,
    Pwritev,
    Poll,
    Ppoll,
    PpollTime64,
    Newselect,
    Pselect6,
    Pselect6Time64,
    Chdir,
    Fchdir,
    Umask,
    Symlink,
    Link,
    Rename,
    Wait4,
    Waitid,
    Setpgid,
    Getpgid,
    Getpgrp,
    Setsid,
    Getsid,
    Setuid,
    Setgid,
    Setreuid,
    Setregid,
    Setresuid,
    Getresuid,
    Setresgid,
    Getresgid,
    Getgroups,
    Setgroups,
    Setrlimit,
    Sysinfo,
    Personality,
    SchedGetaffinity,
    Getcpu,
    Rseq,
    Prctl,
    Getrusage,
    Times,
    ClockGettime64,
    ClockGetresTime64,
    ClockNanosleepTime64,
    Clone,
    Clone3,
    FutexTime64,
    GetRobustList,
    TimerCreate,
    TimerSettime,
    TimerGettime,
    TimerGetoverrun,
    TimerDelete,
    TimerSettime64,
    TimerGettime64,
    Fork,
    Vfork,
    Execve,
    Execveat,
    /// `riscv_flush_icache`.
    RiscvFlushIcache,
    /// mips `cacheflush` and ARM's private `cacheflush`.
    CacheFlush,
    /// ARM's private `set_tls`.
    SetTls,
    /// mips `set_thread_area`.
    SetThreadArea,
}

impl Sysno {
    /// The Linux name, for events and traces.
    pub fn name(self) -> String {
        let dbg = format!("{self:?}");
        let mut out = String::new();
        for (i, c) in dbg.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }
}

/// The checks every arch's syscall table passes (its unit tests call this):
/// numbers strictly increasing, so unique and ready for lookup in order,
/// and each name at most once.
#[cfg(test)]
pub(crate) fn check_table(table: &[(u32, Sysno)]) {
    for w in table.windows(2) {
        assert!(w[0].0 < w[1].0, "{:?} then {:?}", w[0], w[1]);
    }
    let mut names = std::collections::BTreeSet::new();
    for &(_, s) in table {
        assert!(names.insert(s), "{s:?} twice");
    }
}

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
    Nanosleep,
    ClockNanosleep,
    Getrandom,
    SetTidAddress,
    SetRobustList,
    RtSigaction,
    RtSigprocmask,
    RtSigreturn,
    Sigaltstack,
    Kill,
    Tkill,
    Tgkill,
    SchedYield,
    Futex,
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

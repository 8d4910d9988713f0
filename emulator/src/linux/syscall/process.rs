//! Processes: exit, identity (pids, process groups, sessions, credentials:
//! root by default), resource limits, `uname` and `sysinfo`, signals as
//! far as a process without handlers needs them, futexes, randomness from
//! the seed, and the arch-private calls (TLS, cache flushes).
//!
//! Creating, replacing and reaping processes is `spawn`'s.

use super::uaccess::Ctx;
use super::{Fail, MAX_IO, R};
use crate::arch::Sysno;
use crate::linux::ExitStatus;
use crate::linux::arch::linux_abi;
use crate::linux::errno::Errno;
use crate::linux::signal::FpPrctl;
use crate::mem::Access as MemAccess;

/// The kernel release `uname` reports. Fixed, so that a guest's output
/// never depends on the host (documented in the README).
pub const UNAME_RELEASE: &str = "6.1.0-bohr";
/// The version string `uname -v` shows.
pub const UNAME_VERSION: &str = "#1 SMP PREEMPT_DYNAMIC Sat Jan  1 00:00:00 UTC 2000";
/// Memory `sysinfo` reports, in bytes.
const SYSINFO_RAM: u64 = 1 << 30;

pub(super) fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    match s {
        Exit if !c.p.threads.is_empty() => {
            // One thread of several: the group goes on.
            c.p.exit_thread(c.k);
            Err(Fail::ThreadExit)
        }
        Exit | ExitGroup => Err(Fail::Exit(ExitStatus::Exited(c.arg(0) as u8))),
        SchedYield => {
            c.p.yield_now = true;
            Ok(0)
        }
        Getpid => Ok(c.p.pid as u64),
        Getppid => Ok(c.p.ppid as u64),
        Getpgrp => Ok(c.p.pgid as u64),
        Getpgid | Getsid => {
            let pid = c.arg_int(0);
            if pid != 0 && pid != c.p.pid as i64 {
                return Err(Errno::ESRCH.into());
            }
            Ok(if s == Getpgid { c.p.pgid } else { c.p.sid } as u64)
        }
        Setpgid => {
            let (pid, pgid) = (c.arg_int(0), c.arg_int(1));
            if pid != 0 && pid != c.p.pid as i64 {
                return Err(Errno::ESRCH.into());
            }
            if pgid < 0 {
                return Err(Errno::EINVAL.into());
            }
            if c.p.sid == c.p.pid {
                // A session leader cannot change its group.
                return Err(Errno::EPERM.into());
            }
            c.p.pgid = if pgid == 0 { c.p.pid } else { pgid as u32 };
            Ok(0)
        }
        Setsid => {
            if c.p.pgid == c.p.pid {
                return Err(Errno::EPERM.into());
            }
            c.p.sid = c.p.pid;
            c.p.pgid = c.p.pid;
            Ok(c.p.pid as u64)
        }
        Getuid | Geteuid | Getgid | Getegid => Ok(0),
        Getresuid | Getresgid => {
            for i in 0..3 {
                c.put_u32s(c.arg(i), &[0])?;
            }
            Ok(0)
        }
        // Root may take any identity; the run stays root, which only a
        // program checking its ids after dropping them could tell.
        Setuid | Setgid | Setreuid | Setregid | Setresuid | Setresgid | Setgroups => Ok(0),
        Getgroups => Ok(0),
        Uname => {
            let mut buf = vec![0u8; 65 * 6];
            let fields: [&[u8]; 6] = [
                b"Linux",
                b"bohr",
                UNAME_RELEASE.as_bytes(),
                UNAME_VERSION.as_bytes(),
                linux_abi(c.p.arch).uname_machine.as_bytes(),
                b"(none)",
            ];
            for (i, f) in fields.iter().enumerate() {
                buf[i * 65..i * 65 + f.len()].copy_from_slice(f);
            }
            c.put(c.arg(0), &buf)?;
            Ok(0)
        }
        Sysinfo => {
            // struct sysinfo: uptime, loads[3], totalram, freeram,
            // sharedram, bufferram, totalswap, freeswap (longs), procs and
            // pad (u16 each), totalhigh, freehigh (longs), mem_unit (u32).
            let uptime = c.p.cpu.vclock_ns() / 1_000_000_000;
            let w = c.word_size() as usize;
            let mut out = Vec::new();
            for v in [uptime, 0, 0, 0, SYSINFO_RAM, SYSINFO_RAM / 2, 0, 0, 0, 0] {
                out.extend(c.encode(v, w));
            }
            out.extend(c.encode(1, 2));
            out.extend(c.encode(0, 2));
            if w == 8 {
                out.extend([0; 4]);
            }
            out.extend(c.encode(0, w));
            out.extend(c.encode(0, w));
            out.extend(c.encode(1, 4));
            out.resize(if w == 8 { 112 } else { 64 }, 0);
            c.put(c.arg(0), &out)?;
            Ok(0)
        }
        Prlimit64 => {
            let pid = c.arg_int(0);
            if pid != 0 && pid != c.p.pid as i64 {
                return Err(Errno::ESRCH.into());
            }
            let res = c.arg(1);
            if res >= 16 {
                return Err(Errno::EINVAL.into());
            }
            let old = c.p.rlimits[res as usize];
            if c.arg(2) != 0 {
                let new = (c.get_u64(c.arg(2))?, c.get_u64(c.arg(2) + 8)?);
                set_rlimit(c, res, new)?;
            }
            if c.arg(3) != 0 {
                c.put_u64s(c.arg(3), &[old.0, old.1])?;
            }
            Ok(0)
        }
        Getrlimit => {
            let res = c.arg(0);
            let (cur, max) = *c.p.rlimits.get(res as usize).ok_or(Errno::EINVAL)?;
            let clip = |v: u64| if c.wide() || v != u64::MAX { v } else { 0xffff_ffff };
            c.put_words(c.arg(1), &[clip(cur), clip(max)])?;
            Ok(0)
        }
        Setrlimit => {
            let res = c.arg(0);
            let w = c.word_size();
            let widen = |v: u64| if w == 4 && v == 0xffff_ffff { u64::MAX } else { v };
            let new = (widen(c.get_word(c.arg(1))?), widen(c.get_word(c.arg(1) + w)?));
            set_rlimit(c, res, new)?;
            Ok(0)
        }
        Getrandom => {
            let len = c.arg(1).min(MAX_IO) as usize;
            c.p.mem.check_access(c.arg(0), len as u64, MemAccess::Write)?;
            let mut buf = vec![0u8; len];
            c.p.rng.fill(&mut buf);
            c.put(c.arg(0), &buf)?;
            Ok(len as u64)
        }
        Personality => {
            // 0xffffffff queries; PER_LINUX (0) is the only personality.
            let v = c.arg(0) & 0xffff_ffff;
            if v != 0xffff_ffff && v & 0xff != 0 {
                return Err(Errno::EINVAL.into());
            }
            Ok(0)
        }
        SchedGetaffinity => {
            // One CPU: CPU 0.
            let len = c.arg(1) as usize;
            let w = c.word_size() as usize;
            if len < w || !len.is_multiple_of(w) {
                return Err(Errno::EINVAL.into());
            }
            let mut mask = vec![0u8; w];
            mask[if c.big() { w - 1 } else { 0 }] = 1;
            c.put(c.arg(2), &mask)?;
            Ok(w as u64)
        }
        Getcpu => {
            for i in 0..2 {
                if c.arg(i) != 0 {
                    c.put_u32s(c.arg(i), &[0])?;
                }
            }
            Ok(0)
        }
        Prctl => match c.arg(0) {
            // PR_SET_NAME, PR_GET_NAME
            15 => Ok(0),
            16 => {
                let comm = c.p.exe.rsplit(|&b| b == b'/').next().unwrap_or(b"").to_vec();
                let mut name = [0u8; 16];
                let n = comm.len().min(15);
                name[..n].copy_from_slice(&comm[..n]);
                c.put(c.arg(1), &name)?;
                Ok(0)
            }
            // PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE
            1 | 3 | 4 => Ok(if c.arg(0) == 3 { 1 } else { 0 }),
            option => match c.p.fp_prctl(option, c.arg(1)) {
                Some(Ok(FpPrctl::Done)) => Ok(0),
                Some(Ok(FpPrctl::Store(v))) => {
                    c.put_u32s(c.arg(1), &[v as u32])?;
                    Ok(0)
                }
                Some(Ok(FpPrctl::Return(v))) => Ok(v),
                Some(Err(errno)) => Err(errno.into()),
                None => Err(Errno::EINVAL.into()),
            },
        },
        RtSigaction => {
            if c.arg(2) != 0 {
                let size = linux_abi(c.p.arch).sigaction_size;
                c.put(c.arg(2), &vec![0; size])?;
            }
            Ok(0)
        }
        RtSigprocmask => {
            if c.arg(2) != 0 {
                let n = (c.arg(3) as usize).clamp(4, 128);
                c.put(c.arg(2), &vec![0; n])?;
            }
            Ok(0)
        }
        Sigaltstack => {
            if c.arg(1) != 0 {
                let n = 3 * c.word_size() as usize;
                c.put(c.arg(1), &vec![0; n])?;
            }
            Ok(0)
        }
        Kill | Tkill | Tgkill => {
            let (target, sig) = match s {
                Tgkill => (c.arg_int(1), c.arg_int(2)),
                _ => (c.arg_int(0), c.arg_int(1)),
            };
            let own_group = target == -(c.p.pgid as i64);
            if target != c.p.pid as i64 && target != 0 && target != -1 && !own_group {
                return Err(Errno::ESRCH.into());
            }
            match sig {
                0 => Ok(0),
                1..=64 => Err(Fail::Exit(ExitStatus::Signaled(sig as u32))),
                _ => Err(Errno::EINVAL.into()),
            }
        }
        SetTls | SetThreadArea => {
            let tp = c.arg(0);
            c.p.frontend.set_thread_pointer(&mut c.p.cpu, tp);
            Ok(0)
        }
        RiscvFlushIcache | CacheFlush => Ok(0),
        // Linux built without CONFIG_RSEQ; glibc falls back silently.
        Rseq => Err(Errno::ENOSYS.into()),
        _ => Err(Errno::ENOSYS.into()),
    }
}

/// Set resource limit `res`: the soft limit may not pass the hard one.
fn set_rlimit(c: &mut Ctx, res: u64, (cur, max): (u64, u64)) -> Result<(), Fail> {
    if res >= 16 || cur > max {
        return Err(Errno::EINVAL.into());
    }
    c.p.rlimits[res as usize] = (cur, max);
    Ok(())
}

/// The limits a process starts with.
pub fn default_rlimits() -> [(u64, u64); 16] {
    let mut r = [(u64::MAX, u64::MAX); 16];
    r[3] = (8 << 20, u64::MAX); // RLIMIT_STACK
    r[4] = (0, u64::MAX); // RLIMIT_CORE
    r[7] = (1024, crate::linux::file::MAX_FDS as u64); // RLIMIT_NOFILE
    r[8] = (8 << 20, 8 << 20); // RLIMIT_MEMLOCK
    r[13] = (0, 0); // RLIMIT_NICE
    r[14] = (0, 0); // RLIMIT_RTPRIO
    r
}

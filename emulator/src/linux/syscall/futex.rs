//! Threads' system calls: `futex` (`futex_time64`), `gettid`,
//! `set_tid_address` and the robust list.
//!
//! Futex waiters queue per thread group (`Process::futex_queue`) in the
//! order they began to wait, and wakes take them in that order, so which
//! thread a wake releases is deterministic. Private and shared futexes are
//! the same queue: processes never share memory in Bohr (`fork` copies
//! it), so a shared futex can only have waiters in its own group. A wait
//! blocks through the kernel's retry mechanism: the first call checks the
//! value and queues the thread, a retry returns 0 once a wake released it,
//! `ETIMEDOUT` once the virtual clock passed its deadline; a signal ends it
//! with `EINTR` (`Process::interrupt_syscall`). The PI and `FUTEX_FD`
//! commands fail with `ENOSYS`.

use super::time::{EPOCH_SECS, read_timespec};
use super::uaccess::Ctx;
use super::{Fail, R};
use crate::arch::Sysno;
use crate::linux::errno::Errno;
use crate::linux::thread::{FutexWait, FutexWaiter};

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;
const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

pub(super) fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    match s {
        Futex | FutexTime64 => futex(c, s == FutexTime64),
        Gettid => Ok(c.p.tid as u64),
        SetTidAddress => {
            c.p.clear_child_tid = c.arg(0);
            Ok(c.p.tid as u64)
        }
        SetRobustList => {
            // struct robust_list_head: three pointers.
            if c.arg(1) != 3 * c.word_size() {
                return Err(Errno::EINVAL.into());
            }
            c.p.robust_list = (c.arg(0), c.arg(1));
            Ok(0)
        }
        GetRobustList => {
            let tid = c.arg_int(0);
            if tid != 0 && tid != c.p.tid as i64 {
                // Another thread's list: only that thread's record knows.
                let t = c.p.threads.iter().find(|t| t.tid as i64 == tid);
                let (head, len) = t.ok_or(Errno::ESRCH)?.robust_list;
                c.put_words(c.arg(1), &[head])?;
                c.put_words(c.arg(2), &[len])?;
                return Ok(0);
            }
            let (head, len) = c.p.robust_list;
            c.put_words(c.arg(1), &[head])?;
            c.put_words(c.arg(2), &[len])?;
            Ok(0)
        }
        _ => Err(Errno::ENOSYS.into()),
    }
}

/// The guest `u32` at `addr` (naturally aligned, else `EINVAL`).
fn word(c: &Ctx, addr: u64) -> Result<u32, Fail> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL.into());
    }
    Ok(c.decode(&c.get(addr, 4)?) as u32)
}

fn futex(c: &mut Ctx, ts64: bool) -> R {
    let (addr, op, val) = (c.arg(0), c.arg(1), c.arg(2) as u32);
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if realtime && !matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET) {
        return Err(Errno::ENOSYS.into());
    }
    // The fourth argument is a timeout for waits and a count (`val2`)
    // for the requeue and wake-op commands.
    let val2 = c.arg(3) as u32;
    let (addr2, val3) = (c.arg(4), c.arg(5) as u32);
    match cmd {
        FUTEX_WAIT => wait(c, addr, val, FUTEX_BITSET_MATCH_ANY, false, realtime, ts64),
        FUTEX_WAIT_BITSET => wait(c, addr, val, val3, true, realtime, ts64),
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if cmd == FUTEX_WAKE { FUTEX_BITSET_MATCH_ANY } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL.into());
            }
            word(c, addr)?;
            Ok(wake(c, addr, val, bitset))
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if (val as i32) < 0 || (val2 as i32) < 0 {
                return Err(Errno::EINVAL.into());
            }
            let cur = word(c, addr)?;
            word(c, addr2)?;
            if cmd == FUTEX_CMP_REQUEUE && cur != val3 {
                return Err(Errno::EAGAIN.into());
            }
            let woken = c.p.futex_wake(addr, val as u64, FUTEX_BITSET_MATCH_ANY);
            let mut moved = 0;
            for w in c.p.futex_queue.iter_mut().filter(|w| w.addr == addr) {
                if moved == val2 as u64 {
                    break;
                }
                w.addr = addr2;
                moved += 1;
            }
            // A requeued thread's record names its new futex, for the
            // deadlock report and its own retry.
            let tids: Vec<u32> =
                c.p.futex_queue.iter().filter(|w| w.addr == addr2).map(|w| w.tid).collect();
            for t in &mut c.p.threads {
                if tids.contains(&t.tid)
                    && let Some(fw) = &mut t.futex_wait
                {
                    fw.addr = addr2;
                }
            }
            if woken > 0 {
                c.k.io_progress += 1;
            }
            Ok(woken + if cmd == FUTEX_CMP_REQUEUE { moved } else { 0 })
        }
        FUTEX_WAKE_OP => wake_op(c, addr, val, val2, addr2, val3),
        _ => Err(Errno::ENOSYS.into()),
    }
}

/// Wake as Linux's `futex_wake` does: it stops after `n` wakes but
/// checks only after waking, so a count of 0 (or less) wakes one.
fn wake(c: &mut Ctx, addr: u64, n: u32, bitset: u32) -> u64 {
    let n = (n as i32).max(1) as u64;
    let woken = c.p.futex_wake(addr, n, bitset);
    if woken > 0 {
        c.k.io_progress += 1;
    }
    woken
}

#[allow(clippy::too_many_arguments)]
fn wait(
    c: &mut Ctx,
    addr: u64,
    val: u32,
    bitset: u32,
    absolute: bool,
    realtime: bool,
    ts64: bool,
) -> R {
    let now = c.p.cpu.vclock_ns();
    if c.p.futex_wait.is_some() {
        // A retry of a wait that blocked.
        if c.p.futex_woken.remove(&c.p.tid) {
            c.p.futex_wait = None;
            c.p.timeout_at = None;
            return Ok(0);
        }
        if c.p.timeout_at.is_some_and(|d| now >= d) {
            let tid = c.p.tid;
            c.p.futex_queue.retain(|w| w.tid != tid);
            c.p.futex_wait = None;
            c.p.timeout_at = None;
            return Err(Errno::ETIMEDOUT.into());
        }
        return Err(Fail::Block);
    }
    if bitset == 0 {
        return Err(Errno::EINVAL.into());
    }
    let timeout = c.arg(3);
    let deadline = if timeout == 0 {
        None
    } else {
        let ns = read_timespec(c, timeout, ts64)?;
        Some(if !absolute {
            now.saturating_add(ns)
        } else if realtime {
            ns.saturating_sub(EPOCH_SECS * 1_000_000_000)
        } else {
            ns
        })
    };
    if word(c, addr)? != val {
        return Err(Errno::EAGAIN.into());
    }
    if deadline.is_some_and(|d| now >= d) {
        return Err(Errno::ETIMEDOUT.into());
    }
    let tid = c.p.tid;
    c.p.futex_woken.remove(&tid);
    c.p.futex_queue.push(FutexWaiter { tid, addr, bitset });
    c.p.futex_wait = Some(FutexWait { addr, bitset });
    c.p.timeout_at = deadline;
    Err(Fail::Block)
}

/// `FUTEX_WAKE_OP`: change the word at `addr2` by the encoded operation,
/// wake `n` waiters of `addr` and, if the old value of `addr2` passes the
/// encoded comparison, `n2` of `addr2`.
fn wake_op(c: &mut Ctx, addr: u64, n: u32, n2: u32, addr2: u64, enc: u32) -> R {
    let op = (enc >> 28) & 7;
    let shift = enc & (8 << 28) != 0;
    let cmp = (enc >> 24) & 15;
    let sext12 = |v: u32| ((v << 20) as i32) >> 20;
    let mut oparg = sext12((enc >> 12) & 0xfff);
    let cmparg = sext12(enc & 0xfff);
    if shift {
        oparg = 1 << (oparg & 31);
    }
    let old = word(c, addr2)? as i32;
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(Errno::ENOSYS.into()),
    };
    let cond = match cmp {
        0 => old == cmparg,
        1 => old != cmparg,
        2 => old < cmparg,
        3 => old <= cmparg,
        4 => old > cmparg,
        5 => old >= cmparg,
        _ => return Err(Errno::ENOSYS.into()),
    };
    word(c, addr)?;
    let b = c.encode(new as u32 as u64, 4);
    c.put(addr2, &b)?;
    let mut woken = wake(c, addr, n, FUTEX_BITSET_MATCH_ANY);
    if cond {
        woken += wake(c, addr2, n2, FUTEX_BITSET_MATCH_ANY);
    }
    Ok(woken)
}

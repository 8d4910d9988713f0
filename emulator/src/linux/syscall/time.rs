//! Time: the virtual clocks, sleeping and the POSIX timer calls (the
//! timers themselves are `linux::timer`'s). Time is the process's retired
//! instruction count (one instruction, one nanosecond) plus what sleeps
//! and the scheduler added; nothing reads the host clock.

use super::uaccess::Ctx;
use super::{Fail, R};
use crate::arch::Sysno;
use crate::linux::errno::Errno;
use crate::linux::timer::{MAX_TIMERS, PosixTimer, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID};

/// Virtual wall clock starts at 2000-01-01T00:00:00Z.
pub const EPOCH_SECS: u64 = 946_684_800;
/// `sysconf(_SC_CLK_TCK)`, the unit of `times`.
const CLK_TCK: u64 = 100;

pub(super) fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    // The `_time64` forms pass 64-bit `struct __kernel_timespec` on 32-bit
    // arches; elsewhere a timespec is two `long`s.
    let ts64 = matches!(
        s,
        ClockGettime64 | ClockGetresTime64 | ClockNanosleepTime64 | TimerSettime64 | TimerGettime64
    );
    match s {
        ClockGettime | ClockGettime64 => {
            let ns = clock_ns(c, c.arg(0))?;
            put_timespec(c, c.arg(1), ns, ts64)?;
            Ok(0)
        }
        ClockGetres | ClockGetresTime64 => {
            clock_ns(c, c.arg(0))?;
            if c.arg(1) != 0 {
                put_timespec(c, c.arg(1), 1, ts64)?;
            }
            Ok(0)
        }
        Gettimeofday => {
            if c.arg(0) != 0 {
                let ns = clock_ns(c, 0)?;
                c.put_words(c.arg(0), &[ns / 1_000_000_000, (ns % 1_000_000_000) / 1000])?;
            }
            if c.arg(1) != 0 {
                c.put(c.arg(1), &[0; 8])?;
            }
            Ok(0)
        }
        Time => {
            // glibc's `time()` on powerpc64 without a vDSO: seconds of
            // CLOCK_REALTIME, also stored as a `time_t` (a word) at a
            // non-null argument.
            let secs = clock_ns(c, 0)? / 1_000_000_000;
            if c.arg(0) != 0 {
                c.put_words(c.arg(0), &[secs])?;
            }
            Ok(secs)
        }
        Nanosleep => sleep(c, c.arg(0), false),
        ClockNanosleep | ClockNanosleepTime64 => {
            if c.arg(1) & 1 != 0 {
                // TIMER_ABSTIME: sleep until the given time on that clock.
                if c.p.sleep_until.is_some() {
                    return sleep_for(c, 0);
                }
                let target = read_timespec(c, c.arg(2), ts64)?;
                let now = clock_ns(c, c.arg(0))?;
                sleep_for(c, target.saturating_sub(now))
            } else {
                sleep(c, c.arg(2), ts64)
            }
        }
        Times => {
            // struct tms: user, system, children's user and system, in ticks.
            let ticks = c.p.cpu.icount / (1_000_000_000 / CLK_TCK);
            if c.arg(0) != 0 {
                c.put_words(c.arg(0), &[ticks, 0, 0, 0])?;
            }
            Ok(c.p.cpu.vclock_ns() / (1_000_000_000 / CLK_TCK))
        }
        Getrusage => {
            // struct rusage: utime, stime (timevals), then 14 longs; only
            // the user time is non-zero.
            let ns = c.p.cpu.icount;
            let mut words = vec![ns / 1_000_000_000, (ns % 1_000_000_000) / 1000, 0, 0];
            words.extend([0; 14]);
            c.put_words(c.arg(1), &words)?;
            Ok(0)
        }
        TimerCreate => timer_create(c),
        TimerSettime | TimerSettime64 => {
            let i = timer_index(c, c.arg(0))?;
            let old = timer_remaining(c, i);
            let new = c.arg(2);
            let interval = read_timespec(c, new, ts64)?;
            let value = read_timespec(c, new + timespec_len(c, ts64), ts64)?;
            let next = if value == 0 {
                None
            } else if c.arg(1) & 1 != 0 {
                // TIMER_ABSTIME, on the timer's own clock.
                let now = c.p.cpu.vclock_ns();
                let on_clock = clock_ns(c, c.p.timers[i].clock as u64)?;
                Some(value.saturating_sub(on_clock).saturating_add(now))
            } else {
                Some(c.p.cpu.vclock_ns().saturating_add(value))
            };
            let t = &mut c.p.timers[i];
            t.next = next;
            t.interval = if next.is_some() { interval } else { 0 };
            t.overrun = 0;
            if c.arg(3) != 0 {
                put_itimerspec(c, c.arg(3), old, ts64)?;
            }
            Ok(0)
        }
        TimerGettime | TimerGettime64 => {
            let i = timer_index(c, c.arg(0))?;
            let cur = timer_remaining(c, i);
            put_itimerspec(c, c.arg(1), cur, ts64)?;
            Ok(0)
        }
        TimerGetoverrun => {
            let i = timer_index(c, c.arg(0))?;
            Ok(c.p.timers[i].overrun.min(i32::MAX as u32) as u64)
        }
        TimerDelete => {
            let i = timer_index(c, c.arg(0))?;
            c.p.timers.remove(i);
            Ok(0)
        }
        _ => Err(Errno::ENOSYS.into()),
    }
}

fn timespec_len(c: &Ctx, ts64: bool) -> u64 {
    if ts64 { 16 } else { 2 * c.word_size() }
}

/// `timer_create(clockid, sigevent *, timer_t *)`.
fn timer_create(c: &mut Ctx) -> R {
    let clock = c.arg(0);
    // Only the clocks that run with virtual time; CPU-time clocks are not
    // supported.
    if !matches!(clock, 0 | 1 | 7 | 8 | 9 | 11) {
        return Err(Errno::EINVAL.into());
    }
    if c.p.timers.len() >= MAX_TIMERS {
        return Err(Errno::EAGAIN.into());
    }
    // The lowest free id, as Linux allocates them.
    let mut id = 0;
    while c.p.timers.iter().any(|t| t.id == id) {
        id += 1;
    }
    let sigalrm = crate::linux::signal::SIGALRM;
    let (value, signo, notify, tid) = if c.arg(1) == 0 {
        (id as u64, sigalrm, SIGEV_SIGNAL, 0)
    } else {
        // struct sigevent: sigev_value (a pointer), sigev_signo,
        // sigev_notify, then the union whose first int is the tid.
        let a = c.arg(1);
        let w = c.word_size();
        let value = c.get_word(a)?;
        let signo = c.decode(&c.get(a + w, 4)?) as u32;
        let notify = c.decode(&c.get(a + w + 4, 4)?) as u32;
        let tid = c.decode(&c.get(a + w + 8, 4)?) as u32;
        (value, signo, notify, tid)
    };
    match notify {
        SIGEV_NONE => {}
        SIGEV_SIGNAL | SIGEV_THREAD_ID => {
            if signo == 0 || signo > crate::linux::signal::NSIG {
                return Err(Errno::EINVAL.into());
            }
            if notify == SIGEV_THREAD_ID && !c.p.thread_ids().contains(&tid) {
                return Err(Errno::EINVAL.into());
            }
        }
        _ => return Err(Errno::EINVAL.into()),
    }
    let b = c.encode(id as u64, 4);
    c.put(c.arg(2), &b)?;
    let t = PosixTimer {
        id,
        clock: clock as u32,
        notify,
        signo,
        tid,
        value,
        next: None,
        interval: 0,
        overrun: 0,
    };
    let at = c.p.timers.partition_point(|q| q.id < id);
    c.p.timers.insert(at, t);
    Ok(0)
}

fn timer_index(c: &Ctx, id: u64) -> Result<usize, Fail> {
    let id = id as u32 as i32;
    c.p.timers.iter().position(|t| t.id as i32 == id).ok_or_else(|| Errno::EINVAL.into())
}

/// Interval and time left of timer `i`, in ns.
fn timer_remaining(c: &Ctx, i: usize) -> (u64, u64) {
    let t = &c.p.timers[i];
    let now = c.p.cpu.vclock_ns();
    (t.interval, t.next.map_or(0, |n| n.saturating_sub(now).max(1)))
}

fn put_itimerspec(
    c: &mut Ctx,
    addr: u64,
    (interval, value): (u64, u64),
    ts64: bool,
) -> Result<(), Fail> {
    put_timespec(c, addr, interval, ts64)?;
    put_timespec(c, addr + timespec_len(c, ts64), value, ts64)
}

/// Virtual time in ns on clock `clk`.
pub(super) fn clock_ns(c: &Ctx, clk: u64) -> Result<u64, Fail> {
    let v = c.p.cpu.vclock_ns();
    match clk {
        0 | 8 | 11 => Ok(v.wrapping_add(EPOCH_SECS * 1_000_000_000)), // REALTIME(_ALARM), TAI
        1 | 4 | 7 | 9 => Ok(v), // MONOTONIC(_RAW), BOOTTIME(_ALARM)
        2 | 3 | 5 | 6 => Ok(c.p.cpu.icount), // CPU-time clocks
        _ => Err(Errno::EINVAL.into()),
    }
}

fn put_timespec(c: &mut Ctx, addr: u64, ns: u64, ts64: bool) -> Result<(), Fail> {
    let v = [ns / 1_000_000_000, ns % 1_000_000_000];
    if ts64 { c.put_u64s(addr, &v) } else { c.put_words(addr, &v) }
}

/// A relative or absolute timespec in ns; `EINVAL` when malformed.
pub(super) fn read_timespec(c: &Ctx, addr: u64, ts64: bool) -> Result<u64, Fail> {
    let (sec, nsec) = if ts64 && !c.wide() {
        // A 32-bit kernel keeps only the low half of `tv_nsec`: the other
        // is glibc's padding of `__timespec64`, which its conversions
        // from `struct timespec` leave uninitialised.
        (c.get_u64(addr)? as i64, c.get_u64(addr + 8)? as i32 as i64)
    } else if ts64 {
        (c.get_u64(addr)? as i64, c.get_u64(addr + 8)? as i64)
    } else {
        let w = c.word_size();
        let (s, n) = (c.get_word(addr)?, c.get_word(addr + w)?);
        if c.wide() { (s as i64, n as i64) } else { (s as i32 as i64, n as i32 as i64) }
    };
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL.into());
    }
    Ok((sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64))
}

/// Sleeping advances the virtual clock; it never waits on the host.
fn sleep(c: &mut Ctx, req: u64, ts64: bool) -> R {
    if c.p.sleep_until.is_some() {
        // A retry: the deadline was fixed when the sleep began.
        return sleep_for(c, 0);
    }
    let ns = read_timespec(c, req, ts64)?;
    sleep_for(c, ns)
}

/// Sleep `ns` virtual nanoseconds: block until the clock reaches the
/// deadline. On a machine the scheduler runs others meanwhile, or jumps
/// the shared clock when all sleep; alone, the process jumps its own clock
/// to its next timer (`Process::run`), so a signal can cut the sleep short.
pub(super) fn sleep_for(c: &mut Ctx, ns: u64) -> R {
    let now = c.p.cpu.vclock_ns();
    let deadline = *c.p.sleep_until.get_or_insert(now.saturating_add(ns));
    if now >= deadline {
        c.p.sleep_until = None;
        Ok(0)
    } else {
        Err(Fail::Block)
    }
}

//! Time: the virtual clocks and sleeping. Time is the process's retired
//! instruction count (one instruction, one nanosecond) plus what sleeps
//! and the scheduler added; nothing reads the host clock.

use super::uaccess::Ctx;
use super::{Fail, R};
use crate::arch::Sysno;
use crate::linux::errno::Errno;

/// Virtual wall clock starts at 2000-01-01T00:00:00Z.
pub const EPOCH_SECS: u64 = 946_684_800;
/// `sysconf(_SC_CLK_TCK)`, the unit of `times`.
const CLK_TCK: u64 = 100;

pub(super) fn run(c: &mut Ctx, s: Sysno) -> R {
    use Sysno::*;
    // The `_time64` forms pass 64-bit `struct __kernel_timespec` on 32-bit
    // arches; elsewhere a timespec is two `long`s.
    let ts64 = matches!(s, ClockGettime64 | ClockGetresTime64 | ClockNanosleepTime64);
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
        _ => Err(Errno::ENOSYS.into()),
    }
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
    let (sec, nsec) = if ts64 {
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

/// Sleep `ns` virtual nanoseconds. Alone, the process moves its own clock.
/// On a machine it blocks until the shared clock reaches the deadline; the
/// scheduler runs others meanwhile, or jumps the clock when all sleep.
pub(super) fn sleep_for(c: &mut Ctx, ns: u64) -> R {
    if !c.k.shared_clock {
        c.p.cpu.vclock_bias = c.p.cpu.vclock_bias.saturating_add(ns);
        return Ok(0);
    }
    let now = c.p.cpu.vclock_ns();
    let deadline = *c.p.sleep_until.get_or_insert(now.saturating_add(ns));
    if now >= deadline {
        c.p.sleep_until = None;
        Ok(0)
    } else {
        Err(Fail::Block)
    }
}

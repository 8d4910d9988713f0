//! POSIX per-process timers (`timer_create` and kin) on the virtual clock.
//!
//! A timer belongs to its thread group (`Process::timers`) and fires at a
//! virtual-time deadline: the run loop never lets the engine run past the
//! earliest deadline (`Process::fuel_until_alarm`), fires due timers at
//! each delivery point (`Process::check_alarm`), and the scheduler jumps
//! the clock to the earliest deadline when every thread is blocked
//! (`Process::wake_time`). Expiry queues a signal with `SI_TIMER`, the
//! timer id and the `sigev_value` (`SIGEV_SIGNAL`: process-directed;
//! `SIGEV_THREAD_ID`: to one thread); a timer whose signal is still
//! pending counts overruns instead of queueing again, as Linux does.
//! Deadlines are kept on the monotonic clock; `CLOCK_REALTIME` differs
//! from it by a constant, since nobody sets the clock. The CPU-time clocks
//! are not supported (`EINVAL`).

use super::Process;
use super::signal::SigInfo;

/// `sigev_notify` values.
pub const SIGEV_SIGNAL: u32 = 0;
pub const SIGEV_NONE: u32 = 1;
pub const SIGEV_THREAD_ID: u32 = 4;
/// `si_code` of a timer's signal (asm-generic's; mips has its own, see
/// `SignalAbi::si_timer`).
pub const SI_TIMER: i32 = -2;
/// Most timers one process may hold (`EAGAIN` beyond), so a guest cannot
/// grow the host's memory with them.
pub const MAX_TIMERS: usize = 256;

/// One POSIX timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PosixTimer {
    pub id: u32,
    /// The clock it was created on (REALTIME 0, MONOTONIC 1, BOOTTIME 7...).
    pub clock: u32,
    pub notify: u32,
    pub signo: u32,
    /// `SIGEV_THREAD_ID`'s target thread.
    pub tid: u32,
    /// `sigev_value`, passed in the signal's `si_value`.
    pub value: u64,
    /// Next expiry, monotonic virtual ns; `None` while disarmed.
    pub next: Option<u64>,
    /// Reload interval in ns (0: one-shot).
    pub interval: u64,
    /// Expiries that found the previous signal still pending.
    pub overrun: u32,
}

impl Process {
    /// Earliest deadline of an armed POSIX timer.
    pub fn next_timer(&self) -> Option<u64> {
        self.timers.iter().filter_map(|t| t.next).min()
    }

    /// Fire every timer whose deadline has passed, in id order.
    pub(super) fn fire_timers(&mut self) {
        let now = self.cpu.vclock_ns();
        for i in 0..self.timers.len() {
            let t = self.timers[i];
            let Some(at) = t.next.filter(|&at| now >= at) else {
                continue;
            };
            // Expiries missed since `at` count as overruns of this one.
            let (next, missed) = match (now - at).checked_div(t.interval) {
                Some(k) => (Some(at + (k + 1) * t.interval), k as u32),
                None => (None, 0),
            };
            self.timers[i].next = next;
            if t.notify == SIGEV_NONE {
                continue;
            }
            let queued = self.timer_signal_pending(t.id);
            if queued {
                self.timers[i].overrun = self.timers[i].overrun.saturating_add(1 + missed);
                continue;
            }
            self.timers[i].overrun = missed;
            let info = SigInfo {
                signo: t.signo,
                code: super::arch::linux_abi(self.arch).signal.si_timer,
                timer: Some((t.id, missed)),
                value: Some(t.value),
                ..Default::default()
            };
            if t.notify == SIGEV_THREAD_ID {
                if !self.send_thread(t.tid, info) {
                    self.send_process(info);
                }
            } else {
                self.send_process(info);
            }
        }
    }

    /// Is a signal of timer `id` still queued on some thread?
    fn timer_signal_pending(&self, id: u32) -> bool {
        let mine = |q: &[SigInfo]| q.iter().any(|s| s.timer.is_some_and(|(t, _)| t == id));
        mine(&self.signals.pending)
            || mine(&self.signals.shared)
            || self.threads.iter().any(|t| mine(&t.sigpending))
    }
}

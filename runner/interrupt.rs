//! SIGINT and SIGTERM during `bohr run`. The first signal only records
//! itself: the scheduler stops starting cells, cancels the running ones
//! (the machine polls a cancel flag between quanta) and the run still
//! writes its summary, grid and JUnit for what ran, with the rest marked
//! skipped. A second signal exits at once with 128 + signal.

use std::sync::atomic::{AtomicI32, Ordering};

/// The first signal received, or 0.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe operations here: an atomic swap and `_exit`.
    if RECEIVED.swap(sig, Ordering::SeqCst) != 0 {
        // SAFETY: `_exit` is async-signal-safe and takes any status.
        unsafe { libc::_exit(128 + sig) };
    }
}

/// Install the handlers for SIGINT and SIGTERM.
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `on_signal` is an `extern "C"` function that only uses
        // async-signal-safe operations; `signal` has no other precondition.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// The signal that interrupted the run, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

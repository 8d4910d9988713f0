//! A host-time timeline of what each host thread of a run does: the
//! world's turns (which guest process, and whether its engine runs on the
//! world's thread or on a lane), the system calls inside them, the
//! world's waits for a lane, and each lane's runs and slices run ahead.
//! For performance work only (`BOHR_TIMELINE`, see the README): where a
//! cell's wall time goes when its processes run on two threads, which a
//! profile of one thread cannot show. Recording takes a lock per span, so
//! it adds a little time of its own to what it measures.
//!
//! Off unless [`start`] was called, and then only host time is recorded:
//! nothing guest-visible or reported reads it, so a run is the same with
//! it or without. At most [`MAX_SPANS`] spans are kept (a long matrix
//! stops recording, and [`take`] says so); the caller writes them out.
//!
//! A leaf: `machine::world` (turns), `machine::lanes` (waits, runs,
//! slices) and `linux` (system calls) record spans; the `bohr` command
//! starts it and writes the file.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Instant;

/// Spans kept at most (under 100 bytes each, with a system call's name): a busybox
/// read-back cell with a lane records about 17,000.
pub const MAX_SPANS: usize = 1 << 20;

/// What a span was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A world's turn of a process whose engine runs on the world's thread.
    Turn,
    /// A turn of a process on a lane (its run or its slice run ahead is
    /// waited for, or taken, inside it).
    LaneTurn,
    /// The world waits for a lane's reply.
    Wait,
    /// A lane runs a process's engine because the world waits for it.
    Run,
    /// A lane runs one slice of a chain ahead of its turn.
    Ahead,
    /// The kernel handles a system call (inside a turn; the span's
    /// detail names it).
    Syscall,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Turn => "turn",
            Kind::LaneTurn => "lane turn",
            Kind::Wait => "wait",
            Kind::Run => "run",
            Kind::Ahead => "ahead",
            Kind::Syscall => "syscall",
        }
    }
}

/// One interval of one host thread's time.
#[derive(Clone, Debug)]
pub struct Span {
    pub kind: Kind,
    /// The guest process it was for (0 for a wait).
    pub pid: u32,
    /// What it was beyond its kind (a system call's name), or "".
    pub detail: String,
    /// The recording thread: a small number in order of first use (its
    /// name is in [`Recording::threads`]).
    pub thread: u32,
    /// Microseconds from [`start`] to the span's start, and its length.
    pub start_us: f64,
    pub dur_us: f64,
}

/// What [`take`] returns.
#[derive(Debug, Default)]
pub struct Recording {
    /// The spans, in the order they ended.
    pub spans: Vec<Span>,
    /// The name of each thread that recorded a span, by its number.
    pub threads: Vec<(u32, String)>,
    /// Spans not kept, past [`MAX_SPANS`].
    pub dropped: u64,
}

struct Recorder {
    origin: Instant,
    recording: Recording,
}

static ON: AtomicBool = AtomicBool::new(false);
static RECORDER: Mutex<Option<Recorder>> = Mutex::new(None);
static NEXT_THREAD: AtomicU32 = AtomicU32::new(0);

thread_local! {
    static THREAD: (u32, String) = (
        NEXT_THREAD.fetch_add(1, Ordering::Relaxed),
        std::thread::current().name().unwrap_or("unnamed").to_string(),
    );
}

/// Record from now on (host times count from this call).
pub fn start() {
    let mut r = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    *r = Some(Recorder { origin: Instant::now(), recording: Recording::default() });
    ON.store(true, Ordering::Release);
}

/// Whether spans are being recorded: callers skip reading the clock
/// when not.
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The time a span starts, when recording (`None` costs nothing later).
pub fn now() -> Option<Instant> {
    enabled().then(Instant::now)
}

/// Record a span of `kind` for guest process `pid` from `since` (from
/// [`now`]) to now, on the calling thread.
pub fn span(kind: Kind, pid: u32, since: Option<Instant>) {
    span_of(kind, pid, String::new(), since);
}

/// [`span`] with a detail (a system call's name).
pub fn span_of(kind: Kind, pid: u32, detail: String, since: Option<Instant>) {
    let Some(since) = since else { return };
    let end = Instant::now();
    THREAD.with(|(thread, name)| {
        let mut r = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
        let Some(r) = r.as_mut() else { return };
        let rec = &mut r.recording;
        if rec.spans.len() >= MAX_SPANS {
            rec.dropped += 1;
            return;
        }
        // A name per thread, not per span (a few threads).
        if !rec.threads.iter().any(|t| t.0 == *thread) {
            rec.threads.push((*thread, name.clone()));
        }
        let start_us = since.saturating_duration_since(r.origin).as_secs_f64() * 1e6;
        let dur_us = end.saturating_duration_since(since).as_secs_f64() * 1e6;
        rec.spans.push(Span { kind, pid, detail, thread: *thread, start_us, dur_us });
    });
}

/// Stop recording and take what was recorded (nothing when not started).
pub fn take() -> Recording {
    ON.store(false, Ordering::Release);
    let mut r = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    r.take().map(|r| r.recording).unwrap_or_default()
}

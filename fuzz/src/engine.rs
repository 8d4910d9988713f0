//! The campaign engine: a corpus, mutation, coverage feedback and the
//! minimisation of findings, in-process on the stable toolchain.
//!
//! A [`Target`] runs one input and reports *features*: numbers naming
//! something the input reached (a decoder table row, a parse error kind, a
//! system call with its result). Features are the coverage proxy: an input
//! that reaches a feature not seen before joins the corpus and is mutated
//! further. A panic inside the target is a *finding*: the engine catches
//! it, shrinks the input while it still panics with the same message, and
//! keeps the smallest input, which becomes a regression file.
//!
//! Everything is seeded: a campaign with a fixed seed, corpus and number of
//! executions runs the same inputs on every host.

use std::collections::{BTreeSet, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use bohr_emu::testing::random::Rng;

/// A fuzz target: runs one input, never expected to panic.
pub trait Target {
    /// Inputs to start from when the corpus is empty, and always added to
    /// it (so a campaign reaches the valid forms at once).
    fn seeds(&self) -> Vec<Vec<u8>>;

    /// Tokens mutation may insert (keywords, magic numbers).
    fn dictionary(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    /// Longest input worth running.
    fn max_len(&self) -> usize {
        4096
    }

    /// Run `input`, adding the features it reaches to `features`.
    fn run(&mut self, input: &[u8], features: &mut Vec<u64>);
}

/// A named target and how to build it (again after a panic, whose
/// unwinding may have left it in any state).
pub struct TargetSpec {
    pub name: &'static str,
    /// What the features of this target count, for the report.
    pub features: &'static str,
    pub make: fn() -> Box<dyn Target>,
}

/// An input that made the target panic, shrunk.
#[derive(Clone, Debug)]
pub struct Finding {
    pub target: &'static str,
    /// The panic message.
    pub message: String,
    pub input: Vec<u8>,
}

/// An input that took longer than the slow limit (reported, not shrunk).
#[derive(Clone, Debug)]
pub struct Slow {
    pub target: &'static str,
    pub millis: u128,
    pub input: Vec<u8>,
}

/// When a campaign stops.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub execs: u64,
    pub time: Option<Duration>,
}

/// What a campaign did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub execs: u64,
    pub features: usize,
    pub corpus: usize,
    pub findings: Vec<Finding>,
    pub slow: Vec<Slow>,
    pub elapsed: Duration,
}

/// One target's campaign.
pub struct Campaign {
    spec: &'static TargetSpec,
    target: Box<dyn Target>,
    corpus: Vec<Vec<u8>>,
    dictionary: Vec<Vec<u8>>,
    seen: HashSet<u64>,
    /// Panic messages already reported, so one bug is one finding.
    known: BTreeSet<String>,
    rng: Rng,
    max_len: usize,
    pub slow_limit: Duration,
    report: Report,
    scratch: Vec<u64>,
}

/// Silence the panic output of targets while `f` runs: the engine reports
/// their panics itself, and thousands of backtraces would bury the report.
/// Their locations are still recorded for the findings' messages; any
/// other panic goes to the previous hook as usual. The hook stays
/// installed (a binary calls this once).
pub fn quiet_panics<R>(f: impl FnOnce() -> R) -> R {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if IN_TARGET.with(|t| t.get()) {
            let at = info.location().map(|l| l.to_string());
            LOCATION.with(|l| *l.borrow_mut() = at);
        } else {
            previous(info);
        }
    }));
    f()
}

/// Run `f` (a target) with `IN_TARGET` set, catching its panic.
fn catch<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    IN_TARGET.with(|t| t.set(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    IN_TARGET.with(|t| t.set(false));
    r
}

thread_local! {
    /// A target is running on this thread.
    static IN_TARGET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where the last panic of this thread happened (under [`quiet_panics`]).
    static LOCATION: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let message = payload_text(payload);
    match LOCATION.with(|l| l.borrow_mut().take()) {
        Some(at) => format!("{message}\n  at {at}"),
        None => message,
    }
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// What decides whether a shrunk input still shows the same bug: where
/// it panicked and the message up to its first `:` (the values after it
/// change as the input shrinks), without digits.
fn bug_key(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    let head = first.split(':').next().unwrap_or("");
    let at = message.lines().find_map(|l| l.trim().strip_prefix("at ")).unwrap_or("");
    format!("{head} @ {at}").chars().filter(|c| !c.is_ascii_digit() || at.contains(*c)).collect()
}

impl Campaign {
    pub fn new(spec: &'static TargetSpec, seed: u64) -> Self {
        let target = (spec.make)();
        let dictionary = target.dictionary();
        let max_len = target.max_len();
        Campaign {
            spec,
            target,
            corpus: Vec::new(),
            dictionary,
            seen: HashSet::new(),
            known: BTreeSet::new(),
            rng: Rng(seed ^ 0x6675_7a7a),
            max_len,
            slow_limit: Duration::from_secs(5),
            report: Report::default(),
            scratch: Vec::new(),
        }
    }

    /// Run the target's seeds and every file of `dirs` (in name order),
    /// adding them to the corpus. Missing directories are empty.
    pub fn load(&mut self, dirs: &[&Path]) {
        let mut inputs = self.target.seeds();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths {
                if p.is_file()
                    && let Ok(bytes) = std::fs::read(&p)
                {
                    inputs.push(bytes);
                }
            }
        }
        for input in inputs {
            self.execute(input, true);
        }
    }

    /// Run one input; keep it if it reached something new (or `always`).
    fn execute(&mut self, input: Vec<u8>, always: bool) {
        let mut features = std::mem::take(&mut self.scratch);
        features.clear();
        let started = Instant::now();
        let outcome = {
            let target = &mut self.target;
            catch(|| target.run(&input, &mut features))
        };
        let took = started.elapsed();
        self.report.execs += 1;
        match outcome {
            Ok(()) => {
                let mut new = false;
                for &f in &features {
                    new |= self.seen.insert(f);
                }
                if new || always {
                    self.corpus.push(input.clone());
                }
                if took > self.slow_limit {
                    self.report.slow.push(Slow {
                        target: self.spec.name,
                        millis: took.as_millis(),
                        input,
                    });
                }
            }
            Err(payload) => {
                let message = panic_message(&*payload);
                self.target = (self.spec.make)();
                if self.known.insert(bug_key(&message)) {
                    let input = self.minimise(input, &message);
                    self.report.findings.push(Finding { target: self.spec.name, message, input });
                }
            }
        }
        self.scratch = features;
    }

    /// Run one input; if it panics, the finding with the input shrunk.
    pub fn replay(&mut self, input: Vec<u8>) -> Option<Finding> {
        let before = self.report.findings.len();
        self.execute(input, false);
        self.report.findings.get(before).cloned()
    }

    /// Does `input` panic with the bug `key`?
    fn panics_with(&mut self, input: &[u8], key: &str) -> bool {
        let mut features = Vec::new();
        let target = &mut self.target;
        match catch(|| target.run(input, &mut features)) {
            Ok(()) => false,
            Err(payload) => {
                self.target = (self.spec.make)();
                bug_key(&panic_message(&*payload)) == key
            }
        }
    }

    /// Shrink `input` while it panics the same way: drop chunks (halving
    /// their size down to one byte), then zero bytes one by one.
    pub fn minimise(&mut self, mut input: Vec<u8>, message: &str) -> Vec<u8> {
        let key = bug_key(message);
        let mut tries = 0;
        let mut chunk = input.len().div_ceil(2).max(1);
        while chunk >= 1 && tries < 2000 {
            let mut at = 0;
            while at < input.len() && tries < 2000 {
                let mut smaller = input.clone();
                smaller.drain(at..(at + chunk).min(input.len()));
                tries += 1;
                if self.panics_with(&smaller, &key) {
                    input = smaller;
                } else {
                    at += chunk;
                }
            }
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
        for i in 0..input.len() {
            if input[i] == 0 || tries >= 4000 {
                continue;
            }
            let mut simpler = input.clone();
            simpler[i] = 0;
            tries += 1;
            if self.panics_with(&simpler, &key) {
                input = simpler;
            }
        }
        input
    }

    fn mutate(&mut self, input: &mut Vec<u8>) {
        let rounds = 1 + self.rng.below(6);
        for _ in 0..rounds {
            let len = input.len() as u64;
            match self.rng.below(11) {
                // Flip a bit.
                0 if len > 0 => {
                    let i = self.rng.below(len) as usize;
                    input[i] ^= 1 << self.rng.below(8);
                }
                // Set a byte.
                1 if len > 0 => {
                    let i = self.rng.below(len) as usize;
                    input[i] = self.rng.next_u64() as u8;
                }
                // An interesting value, little- or big-endian.
                2 if len > 0 => {
                    const VALUES: [u64; 10] = [
                        0,
                        1,
                        0x7f,
                        0x80,
                        0xff,
                        0x7fff,
                        0xffff,
                        0x7fff_ffff,
                        0xffff_ffff,
                        u64::MAX,
                    ];
                    let v = VALUES[self.rng.below(VALUES.len() as u64) as usize];
                    let width = [1usize, 2, 4, 8][self.rng.below(4) as usize];
                    // The value's low `width` bytes, in either byte order.
                    let le = v.to_le_bytes();
                    let be = v.to_be_bytes();
                    let bytes =
                        if self.rng.below(2) == 0 { &le[..width] } else { &be[8 - width..] };
                    let i = self.rng.below(len) as usize;
                    for (k, b) in bytes.iter().enumerate() {
                        if let Some(slot) = input.get_mut(i + k) {
                            *slot = *b;
                        }
                    }
                }
                // Add or subtract a little.
                3 if len > 0 => {
                    let i = self.rng.below(len) as usize;
                    let d = (self.rng.below(33) as u8).wrapping_sub(16);
                    input[i] = input[i].wrapping_add(d);
                }
                // Delete a range.
                4 if len > 1 => {
                    let i = self.rng.below(len) as usize;
                    let n = 1 + self.rng.below((len - i as u64).min(64)) as usize;
                    input.drain(i..i + n);
                }
                // Duplicate a range.
                5 if len > 0 => {
                    let i = self.rng.below(len) as usize;
                    let n = 1 + self.rng.below((len - i as u64).min(64)) as usize;
                    let piece = input[i..i + n].to_vec();
                    let at = self.rng.below(len + 1) as usize;
                    input.splice(at..at, piece);
                }
                // Insert random bytes.
                6 => {
                    let at = self.rng.below(len + 1) as usize;
                    let n = 1 + self.rng.below(8) as usize;
                    let bytes: Vec<u8> = (0..n).map(|_| self.rng.next_u64() as u8).collect();
                    input.splice(at..at, bytes);
                }
                // Insert or overwrite with a dictionary token.
                7 | 8 if !self.dictionary.is_empty() => {
                    let t = self.rng.below(self.dictionary.len() as u64) as usize;
                    let token = self.dictionary[t].clone();
                    let at = self.rng.below(len + 1) as usize;
                    if self.rng.below(2) == 0 || at + token.len() > input.len() {
                        input.splice(at..at, token);
                    } else {
                        input[at..at + token.len()].copy_from_slice(&token);
                    }
                }
                // Splice in part of another corpus entry.
                9 if !self.corpus.is_empty() => {
                    let other = &self.corpus[self.rng.below(self.corpus.len() as u64) as usize];
                    if !other.is_empty() {
                        let from = self.rng.below(other.len() as u64) as usize;
                        let n = 1 + self.rng.below((other.len() - from).min(256) as u64) as usize;
                        let piece = other[from..from + n].to_vec();
                        let at = self.rng.below(len + 1) as usize;
                        let end = (at + n).min(input.len());
                        if self.rng.below(2) == 0 {
                            input.splice(at..end, piece);
                        } else {
                            input.splice(at..at, piece);
                        }
                    }
                }
                // Cut the tail.
                10 if len > 1 => {
                    let keep = self.rng.below(len) as usize;
                    input.truncate(keep.max(1));
                }
                _ => {}
            }
        }
        input.truncate(self.max_len);
    }

    /// Mutate and run corpus entries until `budget` is spent.
    pub fn run(&mut self, budget: Budget) -> Report {
        let started = Instant::now();
        let until = self.report.execs.saturating_add(budget.execs);
        if self.corpus.is_empty() {
            self.corpus.push(Vec::new());
        }
        while self.report.execs < until {
            if let Some(t) = budget.time
                && self.report.execs.is_multiple_of(64)
                && started.elapsed() >= t
            {
                break;
            }
            // Favour recent corpus entries: they reached the newest features.
            let n = self.corpus.len() as u64;
            let pick = if self.rng.below(2) == 0 {
                n - 1 - self.rng.below(n.min(16))
            } else {
                self.rng.below(n)
            };
            let mut input = self.corpus[pick as usize].clone();
            self.mutate(&mut input);
            self.execute(input, false);
        }
        self.report.elapsed += started.elapsed();
        self.report.features = self.seen.len();
        self.report.corpus = self.corpus.len();
        self.report.clone()
    }

    /// Write the corpus to `dir` (one file per entry, named by content).
    pub fn save_corpus(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for input in &self.corpus {
            std::fs::write(dir.join(format!("{:016x}", fnv(input))), input)?;
        }
        Ok(())
    }
}

/// FNV-1a, for naming files by content.
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h = bohr_emu::types::Fnv64::default();
    h.write(bytes);
    h.finish()
}

/// A feature from a namespace and a value (for targets).
pub fn feature(namespace: u64, value: u64) -> u64 {
    namespace.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ value
}

/// A feature from a string (error kinds, encoding names).
pub fn feature_str(namespace: u64, s: &str) -> u64 {
    feature(namespace, fnv(s.as_bytes()))
}

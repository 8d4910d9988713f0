//! Live progress while cells run, on stderr. On a terminal (and without
//! `CI` set) an indicatif display shows overall progress and the cells
//! running now; otherwise one plain line per finished run, which suits CI
//! logs. Lines appear in completion order; the final report (stdout) is
//! the deterministic record.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::events::{Event, Reporter};
use crate::matrix::Cell;
use crate::report::style::Style;
use crate::results::{RunRecord, Status};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// indicatif bars.
    Tty,
    /// One line per finished run.
    Plain,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// indicatif on a terminal unless `CI` is set or `TERM=dumb` (which
    /// cannot redraw); plain lines otherwise.
    pub fn detect() -> Mode {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() && !dumb {
            Mode::Tty
        } else {
            Mode::Plain
        }
    }
}

struct Bars {
    multi: MultiProgress,
    main: ProgressBar,
    /// Spinners of running jobs, by (cell index, run).
    running: Mutex<Vec<((usize, u32), ProgressBar)>>,
}

/// Progress of one `bohr run`.
pub struct Progress {
    mode: Mode,
    total: usize,
    repeat: u32,
    done: AtomicUsize,
    failed: AtomicUsize,
    bars: Option<Bars>,
    /// Serialises plain lines from worker threads.
    out: Mutex<()>,
    style: Style,
}

impl Progress {
    /// `total` runs of cells repeated `repeat` times each.
    pub fn new(mode: Mode, total: usize, repeat: u32, style: Style) -> Progress {
        let bars = (mode == Mode::Tty).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let main = multi.add(ProgressBar::new(total as u64));
            // The template is a constant; a parse failure is a programming error.
            let style = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} cells {msg} [{elapsed}]",
            )
            .expect("valid progress template")
            .progress_chars("=> ");
            main.set_style(style);
            main.enable_steady_tick(Duration::from_millis(120));
            Bars { multi, main, running: Mutex::new(Vec::new()) }
        });
        Progress {
            mode,
            total,
            repeat,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            bars,
            out: Mutex::new(()),
            style,
        }
    }

    fn label(&self, cell: &Cell, run: u32) -> String {
        if self.repeat > 1 { format!("{} #{}", cell.id, run + 1) } else { cell.id.clone() }
    }

    /// A run started.
    pub fn started(&self, cell: &Cell, run: u32) {
        if let Some(b) = &self.bars {
            let sp = b.multi.add(ProgressBar::new_spinner());
            let style = ProgressStyle::with_template("  {spinner} {msg} [{elapsed}]")
                .expect("valid spinner template");
            sp.set_style(style);
            sp.set_message(self.label(cell, run));
            sp.enable_steady_tick(Duration::from_millis(120));
            if let Ok(mut r) = b.running.lock() {
                r.push(((cell.index, run), sp));
            }
        }
    }

    /// A run finished (or was skipped).
    pub fn finished(&self, cell: &Cell, rec: &RunRecord) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if rec.status != Status::Pass && rec.status != Status::Skipped {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let reason = rec.failures.first().map(|f| format!(": {}", f.message)).unwrap_or_default();
        match self.mode {
            Mode::Quiet => {}
            Mode::Plain => {
                let width = self.total.to_string().len();
                let line = format!(
                    "[{n:>width$}/{}] {} {} ({} ms){}",
                    self.total,
                    self.style.status(rec.status, &format!("{:<7}", rec.status.name())),
                    self.label(cell, rec.run),
                    rec.wall.as_millis(),
                    if rec.status == Status::Pass { String::new() } else { reason },
                );
                let _guard = self.out.lock();
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            Mode::Tty => {
                let Some(b) = &self.bars else { return };
                if let Ok(mut r) = b.running.lock()
                    && let Some(pos) = r.iter().position(|(k, _)| *k == (cell.index, rec.run))
                {
                    let (_, sp) = r.remove(pos);
                    sp.finish_and_clear();
                    b.multi.remove(&sp);
                }
                if rec.status != Status::Pass && rec.status != Status::Skipped {
                    let _ = b.multi.println(format!(
                        "{} {}{}",
                        self.style.status(rec.status, rec.status.name()),
                        self.label(cell, rec.run),
                        reason
                    ));
                }
                b.main.set_position(n as u64);
                let failed = self.failed.load(Ordering::Relaxed);
                if failed > 0 {
                    b.main.set_message(format!("({failed} not passing)"));
                }
            }
        }
    }

    /// An interruption: say what happens next.
    pub fn interrupted(&self, signal: i32) {
        if self.mode == Mode::Quiet {
            return;
        }
        let line = format!(
            "bohr: interrupted by signal {signal}: no new cells start, running ones are \
             cancelled; interrupt again to exit at once"
        );
        match &self.bars {
            Some(b) => {
                let _ = b.multi.println(line);
            }
            None => {
                let _guard = self.out.lock();
                let _ = writeln!(std::io::stderr(), "{line}");
            }
        }
    }

    /// All runs are done.
    pub fn finish(&self) {
        if let Some(b) = &self.bars {
            b.main.finish_and_clear();
            let _ = b.multi.clear();
        }
    }
}

impl Reporter for Progress {
    fn handle(&self, event: &Event<'_, '_>) {
        match *event {
            Event::RunStarted { .. } => {}
            Event::CellStarted { cell, run, .. } => self.started(cell, run),
            Event::CellFinished { cell, record, .. } => self.finished(cell, record),
            Event::Interrupted { signal } => self.interrupted(signal),
            Event::RunFinished { .. } => self.finish(),
        }
    }
}

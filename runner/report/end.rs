//! The end-of-run consumer of run events: on `RunFinished` it prints the
//! text report (grid, failures, repro commands), writes the JUnit file
//! and, under GitHub Actions, the annotations and step summary. With
//! `--message-format json` it also streams one JSON object per finished
//! run on stdout, in schedule order (never completion order), then a
//! summary object; the text report then goes to stderr.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Value as Json, json};

use crate::events::{Event, InOrder, Reporter};
use crate::matrix::Cell;
use crate::report::style::Style;
use crate::report::{github, junit, text};
use crate::results::{CellStatus, Report, RunRecord};

/// `--message-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// The human report on stdout.
    Human,
    /// One JSON object per line on stdout (`"type": "run"` per finished
    /// run, then `"type": "summary"`); the human report goes to stderr.
    Json,
}

/// Writes the end-of-run reports; remembers the exit status.
pub struct EndOfRun<'m> {
    matrix: &'m crate::matrix::Matrix,
    junit: PathBuf,
    format: MessageFormat,
    style: Style,
    stream: InOrder<String>,
    code: Mutex<Option<i32>>,
}

/// The JSON object of one finished run.
pub fn run_json(m: &crate::matrix::Matrix, cell: &Cell, base_seed: u64, r: &RunRecord) -> Json {
    let mut o = json!({
        "type": "run",
        "cell": cell.id,
        "run": r.run,
        "seed": r.seed,
        "status": r.status.name(),
        "line": cell.line,
    });
    if let Some(f) = r.failures.first() {
        o["message"] = Json::String(f.message.clone());
    }
    if let Some(out) = &r.outcome {
        o["exit"] = json!(out.exit_code);
        o["insns"] = json!(out.stats.insns);
        o["fingerprint"] = json!(format!("{:#018x}", out.fingerprint));
    }
    if !matches!(r.status, crate::results::Status::Pass | crate::results::Status::Skipped) {
        o["repro"] = Json::String(crate::repro::repro_command(m, &cell.id, base_seed, r));
    }
    o
}

/// The closing JSON object.
pub fn summary_json(r: &Report, code: i32) -> Json {
    json!({
        "type": "summary",
        "matrix": r.matrix.name,
        "cells": r.cells.len(),
        "passed": r.count(CellStatus::Pass),
        "failed": r.count(CellStatus::Fail),
        "errors": r.count(CellStatus::Error),
        "timed_out": r.count(CellStatus::Timeout),
        "flaky": r.count(CellStatus::Flaky),
        "skipped": r.count(CellStatus::Skipped),
        "interrupted": r.interrupted.is_some(),
        "exit_code": code,
    })
}

impl<'m> EndOfRun<'m> {
    /// The end-of-run reporter of `matrix`: JUnit to `junit`, messages in
    /// `format`, text in `style`.
    pub fn new(
        matrix: &'m crate::matrix::Matrix,
        junit: PathBuf,
        format: MessageFormat,
        style: Style,
    ) -> EndOfRun<'m> {
        EndOfRun { matrix, junit, format, style, stream: InOrder::new(), code: Mutex::new(None) }
    }

    /// The run's exit status, once `RunFinished` was handled (2 before).
    pub fn exit_code(&self) -> i32 {
        self.code.lock().ok().and_then(|c| *c).unwrap_or(2)
    }

    fn finished(&self, rep: &Report) {
        let human = text::render_styled(rep, self.style);
        match self.format {
            MessageFormat::Human => print!("{human}"),
            MessageFormat::Json => eprint!("{human}"),
        }
        let mut code = rep.exit_code();
        match junit::write(rep, &self.junit) {
            Ok(()) => {
                let line = format!("junit: {}", crate::paths::relative(&self.junit));
                match self.format {
                    MessageFormat::Human => println!("{line}"),
                    MessageFormat::Json => eprintln!("{line}"),
                }
            }
            Err(e) => {
                eprintln!("bohr: error: {e}");
                code = 2;
            }
        }
        if let Err(e) = github::emit(rep) {
            eprintln!("bohr: warning: cannot write the GitHub step summary: {e}");
        }
        if self.format == MessageFormat::Json {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", summary_json(rep, code));
            let _ = out.flush();
        }
        if let Ok(mut c) = self.code.lock() {
            *c = Some(code);
        }
    }
}

impl Reporter for EndOfRun<'_> {
    fn handle(&self, event: &Event<'_, '_>) {
        match *event {
            Event::CellFinished { cell, record, job, base_seed }
                if self.format == MessageFormat::Json =>
            {
                let line = run_json(self.matrix, cell, base_seed, record).to_string();
                self.stream.push(job, line, |l| {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{l}");
                    let _ = out.flush();
                });
            }
            Event::RunFinished { report } => self.finished(report),
            _ => {}
        }
    }
}

//! JUnit XML via junit-report: one test suite per matrix, one test case
//! per cell (named by its ID, classname `bohr.<matrix>`, `file` = the
//! matrix), `<failure>`/`<error>` with the reason as `message` and the
//! diffs and repro commands as body, and the run's transcript in
//! `system-out`. junit-report does not sanitise text, so every string is
//! made XML-safe here first. The file is written atomically.

use std::io::Write;
use std::path::Path;

use junit_report::{Duration, Report, TestCase, TestResult, TestSuite};

use crate::report::repro_command;
use crate::results::{CellReport, CellStatus, Report as RunReport, RunRecord};
use crate::sanitize::{escape_bytes, xml_cdata, xml_text};

pub use crate::errors::JunitError;

fn duration(d: std::time::Duration) -> Duration {
    Duration::microseconds(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// The failure body: every failing run's reasons, details and repro.
fn failure_body(r: &RunReport, c: &CellReport) -> String {
    let mut out = String::new();
    for run in c.failing() {
        out.push_str(&format!("run {} (seed {}): {}\n", run.run + 1, run.seed, run.status.name()));
        for f in &run.failures {
            out.push_str(&format!("  {}\n", f.message));
            if let Some(d) = &f.detail {
                for l in d.lines() {
                    out.push_str(&format!("    {l}\n"));
                }
            }
        }
        out.push_str(&format!(
            "  repro: {}\n",
            repro_command(r.matrix, &c.cell.id, c.base_seed, run)
        ));
    }
    clip_report_text(out)
}

/// Largest failure body or event section a JUnit case holds.
pub const REPORT_SECTION_BYTES: usize = 256 << 10;

/// `text` cut to [`REPORT_SECTION_BYTES`] at a character boundary, saying
/// how much was left out.
fn clip_report_text(text: String) -> String {
    if text.len() <= REPORT_SECTION_BYTES {
        return text;
    }
    let mut at = REPORT_SECTION_BYTES;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    format!(
        "{}\n[... {} more bytes left out of this report; the repro command reruns the cell ...]\n",
        &text[..at],
        text.len() - at
    )
}

/// The transcript of one run: what ran and what it printed.
fn transcript(r: &RunReport, c: &CellReport, run: &RunRecord) -> String {
    let script = r.matrix.scripts.get(&c.cell.settings.script).map_or("?", |s| s.name.as_str());
    let mut out = format!(
        "cell: {}\nscript: {script}\narch: {}  write_path: {}  engine: {}  seed: {}\n",
        c.cell.id,
        c.cell.settings.arch,
        c.cell.settings.write_path,
        c.cell.settings.engine,
        run.seed
    );
    match &run.outcome {
        Some(o) => {
            out.push_str(&format!(
                "exit: {}\ninstructions: {}\nfingerprint: {:#018x}\n",
                o.exit_code, o.stats.insns, o.fingerprint
            ));
            out.push_str("--- stdout\n");
            out.push_str(&bounded(&o.stdout));
            if o.stderr.is_empty() {
                out.push_str("\n--- stderr (empty)\n");
            } else {
                // Once, in <system-err>, not twice.
                out.push_str("\n--- stderr: see system-err\n");
            }
            out.push_str("--- events\n");
            let mut events = String::new();
            for e in &o.events {
                events.push_str(&escape_bytes(e.to_string().as_bytes()));
                events.push('\n');
                if events.len() > REPORT_SECTION_BYTES {
                    break;
                }
            }
            out.push_str(&clip_report_text(events));
        }
        None => out.push_str("(no outcome)\n"),
    }
    out
}

/// Bytes kept of each output stream in a report: the first and the last
/// half of this. Escaping can grow guest output several times over, so
/// reports hold a bounded excerpt and a digest of the whole, never the
/// whole.
pub const REPORT_STREAM_BYTES: usize = 64 << 10;

/// A stream as text for a report: whole when short, else its head and
/// tail around a line that says how much was left out and gives the
/// FNV-1a digest of the whole stream.
pub fn bounded(bytes: &[u8]) -> String {
    if bytes.len() <= REPORT_STREAM_BYTES {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let half = REPORT_STREAM_BYTES / 2;
    let mut h = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut h, bytes);
    format!(
        "{}\n[... {} of {} bytes left out of this report; FNV-1a digest of the whole stream \
         {:#018x}; rerun the repro command with `bohr sh` or `bohr trace` for all of it ...]\n{}",
        String::from_utf8_lossy(&bytes[..half]),
        bytes.len() - 2 * half,
        bytes.len(),
        std::hash::Hasher::finish(&h),
        String::from_utf8_lossy(&bytes[bytes.len() - half..])
    )
}

fn test_case(r: &RunReport, c: &CellReport) -> TestCase {
    let name = xml_text(&c.cell.id);
    let time = duration(c.wall());
    let status = c.status();
    let first = c.failing().next();
    // `FILE:LINE: ` first: the JUnit consumers on GitHub find the
    // annotation's position there (junit-report writes no `line`).
    let at = format!("{}:{}: ", r.matrix.display_path(), c.cell.line);
    let message = xml_text(&match (status, first) {
        (CellStatus::Flaky, Some(f)) => format!(
            "{at}flaky: {}/{} runs passed; failing seeds: {}; first failure: {}",
            c.passed(),
            c.executed(),
            c.failing().map(|x| x.seed.to_string()).collect::<Vec<_>>().join(", "),
            f.failures.first().map_or("", |x| x.message.as_str())
        ),
        (_, Some(f)) => format!(
            "{at}{}",
            f.failures.first().map_or_else(|| status.name().to_string(), |x| x.message.clone())
        ),
        (_, None) => format!("{at}{}", status.name()),
    });
    let body = || Some(xml_cdata(&failure_body(r, c)));
    let mut tc = match status {
        CellStatus::Pass => TestCase::success(&name, time),
        CellStatus::Skipped => {
            let why = c
                .runs
                .first()
                .and_then(|x| x.failures.first())
                .map_or("not run", |f| f.message.as_str());
            TestCase::skipped_with_cause(&name, "skipped", &xml_text(why))
        }
        CellStatus::Error => {
            let mut t = TestCase::error(&name, time, "error", &message);
            t.result = TestResult::Error { type_: "error".into(), message, cause: body() };
            t
        }
        CellStatus::Fail | CellStatus::Timeout | CellStatus::Flaky => {
            let kind = status.name().to_string();
            let mut t = TestCase::failure(&name, time, &kind, &message);
            t.result = TestResult::Failure { type_: kind, message, cause: body() };
            t
        }
    };
    tc.set_classname(&xml_text(&format!("bohr.{}", r.matrix.name)));
    tc.set_filepath(&xml_text(&r.matrix.display_path()));
    let shown = first.or_else(|| c.runs.first());
    if let Some(run) = shown
        && run.outcome.is_some()
    {
        tc.set_system_out(&xml_cdata(&transcript(r, c, run)));
        if let Some(o) = &run.outcome
            && !o.stderr.is_empty()
        {
            tc.set_system_err(&xml_cdata(&bounded(&o.stderr)));
        }
    }
    tc
}

/// The report as JUnit XML bytes.
pub fn render(r: &RunReport) -> Result<Vec<u8>, JunitError> {
    let mut suite = TestSuite::new(&xml_text(&r.matrix.name));
    suite.add_testcases(r.cells.iter().map(|c| test_case(r, c)));
    let mut report = Report::new();
    report.add_testsuite(suite);
    let mut buf = Vec::new();
    report.write_xml(&mut buf).map_err(|e| JunitError::Render(e.to_string()))?;
    let xml = String::from_utf8(buf).map_err(|e| JunitError::Render(e.to_string()))?;
    let mut xml = add_attributes(r, &xml)?;
    xml.push('\n');
    Ok(xml.into_bytes())
}

/// What junit-report cannot write, inserted at positions found by parsing
/// its output (never by searching text, which guest output could fake):
/// the suite's `skipped` count, each case's `line`, and for `--repeat`
/// the runs, passes and failing seeds as `<properties>`.
fn add_attributes(r: &RunReport, xml: &str) -> Result<String, JunitError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| JunitError::Render(e.to_string()))?;
    // (byte offset, text to insert), applied from the end.
    let mut edits: Vec<(usize, String)> = Vec::new();
    let tag_end = |n: roxmltree::Node, tag: &str| n.range().start + 1 + tag.len();
    if let Some(suite) = doc.descendants().find(|n| n.has_tag_name("testsuite")) {
        let skipped = r.count(CellStatus::Skipped);
        edits.push((tag_end(suite, "testsuite"), format!(" skipped=\"{skipped}\"")));
    }
    let cases = doc.descendants().filter(|n| n.has_tag_name("testcase"));
    for (case, c) in cases.zip(&r.cells) {
        edits.push((tag_end(case, "testcase"), format!(" line=\"{}\"", c.cell.line)));
        if r.repeat > 1
            && let Some(child) = case.first_element_child()
        {
            let seeds: Vec<String> = c.failing().map(|x| x.seed.to_string()).collect();
            edits.push((
                child.range().start,
                format!(
                    "<properties><property name=\"runs\" value=\"{}\"/>\
                     <property name=\"passed\" value=\"{}\"/>\
                     <property name=\"failing_seeds\" value=\"{}\"/></properties>",
                    c.executed(),
                    c.passed(),
                    seeds.join(" ")
                ),
            ));
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = xml.to_string();
    for (at, text) in edits {
        out.insert_str(at, &text);
    }
    Ok(out)
}

/// Write the report to `path` atomically: a temporary file in the same
/// directory, then a rename, so readers never see a partial file.
pub fn write(r: &RunReport, path: &Path) -> Result<(), JunitError> {
    let io = |source| JunitError::Io { path: path.display().to_string(), source };
    let xml = render(r)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{file}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&xml)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_streams_and_sections_are_bounded() {
        let big = vec![0u8; 10 * REPORT_STREAM_BYTES];
        let shown = bounded(&big);
        assert!(shown.len() < 2 * REPORT_STREAM_BYTES, "{}", shown.len());
        assert!(shown.contains(&format!("of {} bytes left out", big.len())), "digest line");
        assert_eq!(bounded(b"short"), "short");
        let clipped = clip_report_text("y".repeat(3 * REPORT_SECTION_BYTES));
        assert!(clipped.len() < REPORT_SECTION_BYTES + 200);
        assert!(clipped.contains("more bytes left out"));
    }
}

//! The end-of-run text report on stdout: a header, the grid (first axis ×
//! second axis, other axes folded into each entry), per-cell pass counts
//! for `--repeat`, the failure section with the exact repro command of
//! every failing run, and a totals line. It contains no host timing, so it
//! is identical for any `--jobs`.

use std::fmt::Write;

use crate::matrix::{Cell, Key, Value};
use crate::report::repro_command;
use crate::report::style::Style;
use crate::results::{CellReport, CellStatus, Report, RunRecord};
use crate::sanitize::escape_bytes;

/// Symbol legend shown under the grid.
pub const LEGEND: &str = "✓ pass  ✗ fail  E error  T timeout  ~ flaky  - skipped  · not selected";

/// Most columns a grid spreads the later axes over before it folds them
/// into entries instead.
pub const MAX_COLUMNS: usize = 12;

/// A grid: row labels, column labels, and per entry the statuses of its
/// cells in matrix order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    /// Name of the axis the rows walk.
    pub row_title: String,
    /// Name of the axes the columns walk.
    pub col_title: String,
    /// Row labels.
    pub rows: Vec<String>,
    /// Column labels.
    pub cols: Vec<String>,
    /// Per row and column: the statuses of the entry's cells.
    pub entries: Vec<Vec<Vec<CellStatus>>>,
    /// What each entry folds together, for the legend; empty when every
    /// entry is one cell.
    pub folded: Vec<String>,
}

/// How a cell maps to a row or column label.
type Label<'a> = &'a dyn Fn(&Cell) -> String;

const NONE_LABEL: &str = "(none)";

fn value_of<'a>(values: &'a [(Key, Value)], key: &Key) -> Option<&'a Value> {
    values.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Build the grid of a report: one row per value of the first axis. The
/// columns are every combination of the other axes (and include-only
/// values) the selection holds, so an entry is one cell, when there are
/// at most [`MAX_COLUMNS`] of them; otherwise one column per value of the
/// second axis, each entry folding the later axes in matrix order.
pub fn grid(r: &Report) -> Grid {
    let axes = &r.matrix.axes;
    let row_label = |c: &Cell| -> String {
        match axes.first() {
            Some(a) => value_of(&c.values, &a.key).map_or(NONE_LABEL.to_string(), Value::to_string),
            None => c.id.clone(),
        }
    };
    let rest_label = |c: &Cell| -> String {
        let mut parts: Vec<String> = axes
            .iter()
            .skip(1)
            .map(|a| value_of(&c.values, &a.key).map_or(NONE_LABEL.to_string(), Value::to_string))
            .collect();
        parts.extend(
            c.values
                .iter()
                .filter(|(k, _)| !axes.iter().any(|a| a.key == *k))
                .map(|(k, v)| format!("{k}={v}")),
        );
        if parts.is_empty() { "result".to_string() } else { parts.join("/") }
    };
    let second_label = |c: &Cell| -> String {
        match axes.get(1) {
            Some(a) => value_of(&c.values, &a.key).map_or(NONE_LABEL.to_string(), Value::to_string),
            None => "result".to_string(),
        }
    };
    // Labels in order of first appearance in the whole matrix (which
    // follows the declared axis order), so a selection keeps the grid's
    // shape and shows what it left out as `·`.
    let ordered = |label: &dyn Fn(&Cell) -> String| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for c in &r.matrix.cells {
            let l = label(c);
            if seen.insert(l.clone()) {
                out.push(l);
            }
        }
        out
    };
    let rows = ordered(&row_label);
    let combos = ordered(&rest_label);
    let spread = combos.len() <= MAX_COLUMNS;
    let (cols, col_of): (Vec<String>, Label) =
        if spread { (combos, &rest_label) } else { (ordered(&second_label), &second_label) };
    let mut entries = vec![vec![Vec::new(); cols.len()]; rows.len()];
    for c in &r.cells {
        let (Some(ri), Some(ci)) = (
            rows.iter().position(|x| *x == row_label(c.cell)),
            cols.iter().position(|x| *x == col_of(c.cell)),
        ) else {
            continue;
        };
        entries[ri][ci].push(c.status());
    }
    let mut folded = Vec::new();
    if !spread {
        folded = axes.iter().skip(2).map(|a| a.key.to_string()).collect();
        if r.matrix.cells.iter().any(|c| c.values.len() > axes.len()) {
            folded.push("include-only cells".to_string());
        }
    }
    let mut col_title: Vec<String> = if spread {
        axes.iter().skip(1).map(|a| a.key.to_string()).collect()
    } else {
        axes.get(1).map(|a| a.key.to_string()).into_iter().collect()
    };
    if spread && r.matrix.cells.iter().any(|c| c.values.len() > axes.len()) {
        col_title.push("include".to_string());
    }
    Grid {
        row_title: axes.first().map_or("cell".to_string(), |a| a.key.to_string()),
        col_title: col_title.join(" / "),
        rows,
        cols,
        entries,
        folded,
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// The grid as aligned text.
pub fn render_grid(g: &Grid) -> String {
    let cell_text = |ri: usize, ci: usize| -> String {
        let s: String = g.entries[ri][ci].iter().map(|s| s.symbol()).collect();
        if s.is_empty() { "·".to_string() } else { s }
    };
    let corner = if g.col_title.is_empty() {
        g.row_title.clone()
    } else {
        format!("{} \\ {}", g.row_title, g.col_title)
    };
    let w0 = g.rows.iter().map(|r| width(r)).chain([width(&corner)]).max().unwrap_or(0);
    let widths: Vec<usize> = (0..g.cols.len())
        .map(|ci| {
            (0..g.rows.len())
                .map(|ri| width(&cell_text(ri, ci)))
                .chain([width(&g.cols[ci])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(width(s))));
    let mut out = String::new();
    let mut line = pad(&corner, w0);
    for (ci, c) in g.cols.iter().enumerate() {
        line.push_str("  ");
        line.push_str(&pad(c, widths[ci]));
    }
    out.push_str(line.trim_end());
    out.push('\n');
    for (ri, r) in g.rows.iter().enumerate() {
        let mut line = pad(r, w0);
        for (ci, w) in widths.iter().enumerate() {
            line.push_str("  ");
            line.push_str(&pad(&cell_text(ri, ci), *w));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if !g.folded.is_empty() {
        let _ = writeln!(
            out,
            "each entry: one symbol per cell, in order of {}",
            g.folded.join(", then ")
        );
    }
    let _ = writeln!(out, "{LEGEND}");
    out
}

fn indent(text: &str, by: &str) -> String {
    let mut out = String::new();
    for l in text.lines() {
        out.push_str(by);
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Details of one non-passing run.
fn run_details(r: &Report, c: &CellReport, run: &RunRecord, full: bool) -> String {
    let mut out = String::new();
    for f in &run.failures {
        let _ = writeln!(out, "    {}", f.message);
        if full && let Some(d) = &f.detail {
            out.push_str(&indent(d, "      "));
        }
    }
    if let Some(o) = &run.outcome {
        let _ = writeln!(
            out,
            "    exit {}, {} instructions, fingerprint {:#018x}",
            o.exit_code, o.stats.insns, o.fingerprint
        );
        if full && !o.events.is_empty() {
            out.push_str("    events:\n");
            for e in &o.events {
                let _ = writeln!(out, "      {}", escape_bytes(e.to_string().as_bytes()));
            }
        }
    }
    if !run.retries.is_empty() {
        let names: Vec<&str> = run.retries.iter().map(|s| s.name()).collect();
        let _ = writeln!(out, "    retries with the same seed: {}", names.join(", "));
    }
    let _ = writeln!(out, "    repro: {}", repro_command(r.matrix, &c.cell.id, c.base_seed, run));
    out
}

/// The failure section; empty when everything passed.
pub fn render_failures(r: &Report) -> String {
    let mut out = String::new();
    for c in &r.cells {
        let status = c.status();
        if status.is_ok() {
            continue;
        }
        if status == CellStatus::Skipped {
            let why = c
                .runs
                .first()
                .and_then(|x| x.failures.first())
                .map_or("not run", |f| f.message.as_str());
            let _ = writeln!(out, "- {}: skipped ({why})", c.cell.id);
            continue;
        }
        let _ = writeln!(out, "{} {}: {}", status.symbol(), c.cell.id, status.name());
        if r.repeat > 1 {
            let _ = writeln!(
                out,
                "  {}/{} runs passed, flake rate {}",
                c.passed(),
                c.executed(),
                flake_rate(c)
            );
        }
        // Full details for the first failing run; later failing seeds get
        // their reason and repro command.
        for (i, run) in c.failing().enumerate() {
            if r.repeat > 1 {
                let _ = writeln!(
                    out,
                    "  run {} (seed {}): {}",
                    run.run + 1,
                    run.seed,
                    run.status.name()
                );
            } else {
                let _ = writeln!(out, "  seed {}:", run.seed);
            }
            out.push_str(&run_details(r, c, run, i == 0));
        }
        out.push('\n');
    }
    out
}

/// Failing runs / executed runs, as a percentage.
pub fn flake_rate(c: &CellReport) -> String {
    let ran = c.executed();
    if ran == 0 {
        return "n/a".to_string();
    }
    let failed = ran - c.passed();
    format!("{:.0}%", failed as f64 * 100.0 / ran as f64)
}

/// Pass counts per cell for `--repeat`.
pub fn render_repeats(r: &Report) -> String {
    let w = r.cells.iter().map(|c| width(&c.cell.id)).max().unwrap_or(0);
    let mut out = String::new();
    for c in &r.cells {
        let mut line = format!(
            "{}{}  {}/{} passed",
            c.cell.id,
            " ".repeat(w - width(&c.cell.id)),
            c.passed(),
            c.executed()
        );
        if c.passed() != c.executed() {
            let seeds: Vec<String> = c.failing().map(|x| x.seed.to_string()).collect();
            let _ =
                write!(line, "  flake rate {}  failing seeds: {}", flake_rate(c), seeds.join(", "));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// "1 cell", "3 cells".
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// The totals line.
pub fn totals(r: &Report) -> String {
    format!(
        "{} passed, {} failed, {} errors, {} timed out, {} flaky, {} skipped ({})",
        r.count(CellStatus::Pass),
        r.count(CellStatus::Fail),
        r.count(CellStatus::Error),
        r.count(CellStatus::Timeout),
        r.count(CellStatus::Flaky),
        r.count(CellStatus::Skipped),
        plural(r.cells.len(), "cell")
    )
}

/// The whole end-of-run report, uncoloured.
pub fn render(r: &Report) -> String {
    render_styled(r, Style::plain())
}

/// The whole end-of-run report.
pub fn render_styled(r: &Report, style: Style) -> String {
    let m = r.matrix;
    let mut out = String::new();
    let _ =
        write!(out, "matrix {} ({}): {}", m.name, m.display_path(), plural(r.cells.len(), "cell"));
    if let Some(p) = r.partition {
        let _ = write!(out, ", partition {p}");
    }
    if r.repeat > 1 {
        let _ = write!(out, ", {} runs each", r.repeat);
    }
    if let Some(s) = r.cli_seed {
        let _ = write!(out, ", --seed {s}");
    }
    out.push_str("\n\n");
    if let Some(sig) = r.interrupted {
        let _ = writeln!(
            out,
            "interrupted by signal {sig}: cells that had not finished are reported as skipped\n"
        );
    }
    if r.cells.is_empty() {
        out.push_str("no cells in this partition\n\n");
    } else {
        out.push_str(&render_grid(&grid(r)));
        out.push('\n');
    }
    if r.repeat > 1 {
        out.push_str(&render_repeats(r));
        out.push('\n');
    }
    let failures = render_failures(r);
    if !failures.is_empty() {
        out.push_str("failures:\n\n");
        out.push_str(&failures);
    }
    let updated = r
        .cells
        .iter()
        .filter(|c| c.runs.iter().any(|x| x.snapshot == Some(crate::results::Verdict::Updated)))
        .count();
    if updated > 0 {
        let _ = writeln!(out, "snapshots updated: {updated}");
    }
    let verdict = if r.interrupted.is_some() {
        CellStatus::Skipped
    } else if r.cells.iter().all(|c| c.status().is_ok()) {
        CellStatus::Pass
    } else {
        CellStatus::Fail
    };
    let _ = writeln!(out, "{} {}", style.cell(verdict, "result:"), totals(r));
    out
}

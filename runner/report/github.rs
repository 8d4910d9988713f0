//! GitHub Actions integration, active when `GITHUB_ACTIONS=true`:
//! `::error file=...::` workflow commands for failing cells (on stdout,
//! where the runner reads them) and a Markdown grid appended to
//! `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::report::repro_command;
use crate::report::text::{LEGEND, flake_rate, grid, totals};
use crate::results::Report;

/// Escape workflow-command data (the message).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a workflow-command property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` line per non-passing cell.
pub fn annotations(r: &Report) -> String {
    let mut out = String::new();
    for c in &r.cells {
        let status = c.status();
        if status.is_ok() {
            continue;
        }
        let Some(run) = c.failing().next() else { continue };
        let reason = run.failures.first().map_or(status.name(), |f| f.message.as_str());
        let msg = format!(
            "{}: {reason}\nrepro: {}",
            status.name(),
            repro_command(r.matrix, &c.cell.id, c.base_seed, run)
        );
        let _ = writeln!(
            out,
            "::error file={},line={},title={}::{}",
            escape_property(&r.matrix.display_path()),
            c.cell.line,
            escape_property(&format!("bohr {} {}", r.matrix.name, c.cell.id)),
            escape_data(&crate::sanitize::escape_str(&msg))
        );
    }
    out
}

/// Text for a Markdown table cell: HTML markup shown as text (GitHub
/// renders raw HTML in summaries), pipes escaped, one line.
fn md_cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// A Markdown code span that holds any text: fenced with one more
/// backtick than the longest run inside, padded when the text starts or
/// ends with one.
fn code_span(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if longest > 0 { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|").replace(['\n', '\r'], " "))
}

/// The Markdown step summary: totals, grid, failing cells.
pub fn step_summary(r: &Report) -> String {
    let g = grid(r);
    let partition = r.partition.map(|p| format!(" (partition {p})")).unwrap_or_default();
    let mut out = format!("### bohr: {}{partition}\n\n{}\n\n", md_cell(&r.matrix.name), totals(r));
    if !g.rows.is_empty() {
        let corner = if g.col_title.is_empty() {
            g.row_title.clone()
        } else {
            format!("{} \\ {}", g.row_title, g.col_title)
        };
        let _ = writeln!(
            out,
            "| {} | {} |",
            md_cell(&corner),
            g.cols.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
        );
        let _ = writeln!(out, "|{}", "---|".repeat(g.cols.len() + 1));
        for (ri, row) in g.rows.iter().enumerate() {
            let entries: Vec<String> = g.entries[ri]
                .iter()
                .map(|e| {
                    if e.is_empty() {
                        "·".to_string()
                    } else {
                        e.iter().map(|s| s.symbol()).collect()
                    }
                })
                .collect();
            let _ = writeln!(out, "| {} | {} |", md_cell(row), entries.join(" | "));
        }
        if !g.folded.is_empty() {
            let _ = writeln!(
                out,
                "\nEach entry: one symbol per cell, in order of {}.",
                g.folded.join(", then ")
            );
        }
        let _ = writeln!(out, "\n{LEGEND}\n");
    }
    let failing: Vec<_> = r.cells.iter().filter(|c| !c.status().is_ok()).collect();
    if !failing.is_empty() {
        out.push_str("| cell | status | reason | repro |\n|---|---|---|---|\n");
        for c in failing {
            let run = c.failing().next();
            let reason = run.and_then(|x| x.failures.first()).map_or("", |f| f.message.as_str());
            let status = if r.repeat > 1 {
                format!("{} ({} failing)", c.status().name(), flake_rate(c))
            } else {
                c.status().name().to_string()
            };
            let repro = run.map_or(String::new(), |x| {
                code_span(&repro_command(r.matrix, &c.cell.id, c.base_seed, x))
            });
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code_span(&c.cell.id),
                status,
                md_cell(&crate::sanitize::escape_str(reason)),
                repro
            );
        }
        out.push('\n');
    }
    out
}

/// Emit both when running under GitHub Actions.
pub fn emit(r: &Report) -> std::io::Result<()> {
    if std::env::var("GITHUB_ACTIONS").as_deref() != Ok("true") {
        return Ok(());
    }
    print!("{}", annotations(r));
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY")
        && !path.is_empty()
    {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        f.write_all(step_summary(r).as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks_and_html_is_text() {
        assert_eq!(code_span("a/b"), "`a/b`");
        assert_eq!(code_span("a`b"), "`` a`b ``");
        assert_eq!(md_cell("<b>x</b> | y"), "&lt;b&gt;x&lt;/b&gt; \\| y");
    }

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("a%b\nc\r"), "a%25b%0Ac%0D");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
    }
}

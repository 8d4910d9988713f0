//! Checking a finished run against its cell's `[expect]`. Each unmet
//! expectation becomes a [`Failure`] with a one-line message and, where it
//! helps, a detail block (an expected/actual diff or the relevant output).

use bohr_emu::machine::Outcome;

use crate::matrix::Expect;
use crate::sanitize::escape_bytes;

pub use crate::results::Failure;

/// Lines kept when output is quoted in a failure.
const EXCERPT_LINES: usize = 40;

/// The last lines of some output, escaped.
fn excerpt(name: &str, bytes: &[u8]) -> String {
    let text = escape_bytes(bytes);
    if text.is_empty() {
        return format!("{name}: (empty)");
    }
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(EXCERPT_LINES);
    let mut out = format!("{name}:\n");
    if skip > 0 {
        out.push_str(&format!("  ... {skip} earlier lines\n"));
    }
    for l in &lines[skip..] {
        out.push_str("  ");
        out.push_str(&clip(l));
        out.push('\n');
    }
    out
}

/// Characters kept of one quoted line: a guest can print one enormous
/// line, and the text report, JUnit and annotations all quote excerpts.
const EXCERPT_LINE_CHARS: usize = 1000;

fn clip(line: &str) -> String {
    let n = line.chars().count();
    if n <= EXCERPT_LINE_CHARS {
        return line.to_string();
    }
    let kept: String = line.chars().take(EXCERPT_LINE_CHARS).collect();
    format!("{kept}... ({} more characters)", n - EXCERPT_LINE_CHARS)
}

fn stream_checks(
    name: &str,
    bytes: &[u8],
    contains: &[String],
    not_contains: &[String],
    regexes: &[crate::matrix::Pattern],
    out: &mut Vec<Failure>,
) {
    let text = String::from_utf8_lossy(bytes);
    for s in contains {
        if !text.contains(s.as_str()) {
            out.push(Failure::with_detail(
                format!("{name} does not contain {s:?}"),
                format!("-{name} contains {s:?}\n+{}", excerpt(name, bytes)),
            ));
        }
    }
    for s in not_contains {
        if text.contains(s.as_str()) {
            let hits: Vec<String> = text
                .lines()
                .filter(|l| l.contains(s.as_str()))
                .take(5)
                .map(|l| format!("+  {}", escape_bytes(l.as_bytes())))
                .collect();
            out.push(Failure::with_detail(
                format!("{name} contains {s:?}"),
                format!("-{name} does not contain {s:?}\n{}", hits.join("\n")),
            ));
        }
    }
    for p in regexes {
        if !p.regex.is_match(&text) {
            out.push(Failure::with_detail(
                format!("{name} does not match /{}/", p.source),
                format!("-{name} matches /{}/\n+{}", p.source, excerpt(name, bytes)),
            ));
        }
    }
}

/// Every expectation `o` does not meet, in a fixed order.
pub fn check(e: &Expect, o: &Outcome) -> Vec<Failure> {
    let mut out = Vec::new();
    if let Some(want) = e.exit
        && want != o.exit_code
    {
        let mut detail = format!("-exit {want}\n+exit {}\n", o.exit_code);
        if !o.stderr.is_empty() {
            detail.push_str(&excerpt("stderr", &o.stderr));
        }
        out.push(Failure::with_detail(
            format!("exit status {}, expected {want}", o.exit_code),
            detail,
        ));
    }
    stream_checks(
        "stdout",
        &o.stdout,
        &e.stdout_contains,
        &e.stdout_not_contains,
        &e.stdout_regex,
        &mut out,
    );
    stream_checks(
        "stderr",
        &o.stderr,
        &e.stderr_contains,
        &e.stderr_not_contains,
        &e.stderr_regex,
        &mut out,
    );
    for kind in &e.events_none {
        let hits: Vec<String> =
            o.events.iter().filter(|ev| ev.kind() == kind).map(|ev| format!("+{ev}")).collect();
        if !hits.is_empty() {
            out.push(Failure::with_detail(
                format!("{} `{kind}` event(s), expected none", hits.len()),
                hits.join("\n"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_per_line() {
        let long = "x".repeat(100_000);
        let e = excerpt("stdout", long.as_bytes());
        assert!(e.len() < 2 * EXCERPT_LINE_CHARS, "{}", e.len());
        assert!(e.contains("(99000 more characters)"), "{e}");
    }
    use bohr_emu::events::Event;
    use bohr_emu::machine::MachineStats;

    fn outcome(exit: i32, stdout: &[u8]) -> Outcome {
        Outcome {
            exit_code: exit,
            stopped: None,
            stdout: stdout.to_vec(),
            stderr: b"warn\n".to_vec(),
            events: vec![Event::HostWriteCodePage { pid: 2, addr: 0x1000, len: 8 }],
            processes: Vec::new(),
            stats: MachineStats::default(),
            fingerprint: 1,
            limits: Default::default(),
        }
    }

    #[test]
    fn a_met_expectation_gives_no_failure() {
        let e = Expect { stdout_contains: vec!["MAGIC".into()], ..Expect::default() };
        assert!(check(&e, &outcome(0, b"xx MAGIC yy\n")).is_empty());
    }

    #[test]
    fn each_unmet_expectation_is_reported() {
        let e = Expect {
            exit: Some(0),
            stdout_contains: vec!["MAGIC".into()],
            stdout_not_contains: vec!["bad".into()],
            stdout_regex: vec![crate::matrix::Pattern {
                source: "^ok$".into(),
                regex: regex::Regex::new("^ok$").unwrap(),
            }],
            stderr_contains: vec!["fatal".into()],
            events_none: vec!["host-write-code-page".into()],
            ..Expect::default()
        };
        let f = check(&e, &outcome(3, b"a bad line\n"));
        let msgs: Vec<&str> = f.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "exit status 3, expected 0",
                "stdout does not contain \"MAGIC\"",
                "stdout contains \"bad\"",
                "stdout does not match /^ok$/",
                "stderr does not contain \"fatal\"",
                "1 `host-write-code-page` event(s), expected none",
            ]
        );
        assert!(f[0].detail.as_deref().unwrap().contains("-exit 0\n+exit 3"));
    }

    #[test]
    fn exit_any_accepts_every_status() {
        let e = Expect { exit: None, ..Expect::default() };
        assert!(check(&e, &outcome(77, b"")).is_empty());
    }
}

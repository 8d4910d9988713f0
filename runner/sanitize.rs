//! Making guest output safe to show: escaping for terminals and snapshot
//! bodies, and sanitising for XML (JUnit). Guest output is arbitrary bytes
//! (NUL, ESC, invalid UTF-8, `]]>`), so nothing reaches a report unfiltered.

/// Guest bytes as readable text: valid UTF-8 is kept, except control
/// characters other than newline and tab, which become `\xNN` or
/// `\u{NNNN}`; invalid bytes become `\xNN`; a backslash becomes `\\` so the
/// rendering is unambiguous. Deterministic, so it can go into snapshots.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        push_escaped_str(&mut out, chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// [`escape_bytes`] for text that is already a string.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped_str(&mut out, s);
    out
}

/// Whether `b` is printable ASCII (or a newline or tab) and no backslash: a
/// byte [`push_escaped`] keeps as it is.
fn kept_as_is(b: u8) -> bool {
    matches!(b, b' '..=b'~' | b'\n' | b'\t') && b != b'\\'
}

/// `s` escaped onto `out`: runs of bytes kept as they are in one copy
/// (guest output and event lines are mostly such runs), the rest a
/// character at a time.
fn push_escaped_str(out: &mut String, mut s: &str) {
    while !s.is_empty() {
        let plain = s.bytes().position(|b| !kept_as_is(b)).unwrap_or(s.len());
        out.push_str(&s[..plain]);
        s = &s[plain..];
        let Some(c) = s.chars().next() else { break };
        push_escaped(out, c);
        s = &s[c.len_utf8()..];
    }
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' | '\t' => out.push(c),
        '\\' => out.push_str("\\\\"),
        c if (c as u32) < 0x80 && c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32))
        }
        c => out.push(c),
    }
}

/// Remove ANSI escape sequences (with `console`), line by line: a
/// sequence a guest never terminated (an `ESC ]` without its BEL or
/// `ESC \\`) then costs at most the rest of its own line, never the rest of
/// the transcript.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&console::strip_ansi_codes(line));
    }
    out
}

/// Whether XML 1.0 allows `c` in a document.
pub fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{d7ff}').contains(&c)
        || ('\u{e000}'..='\u{fffd}').contains(&c)
        || c >= '\u{10000}'
}

/// Text safe for an XML attribute or text node: ANSI sequences removed,
/// characters XML 1.0 forbids shown as escapes.
pub fn xml_text(s: &str) -> String {
    let stripped = strip_ansi(s);
    let mut out = String::with_capacity(stripped.len());
    for c in stripped.chars() {
        if xml_allowed(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        }
    }
    out
}

/// [`xml_text`] for a CDATA section: also split every `]]>` so the section
/// cannot be closed early (`]]` ends one section, `>` starts the next).
pub fn xml_cdata(s: &str) -> String {
    xml_text(s).replace("]]>", "]]]]><![CDATA[>")
}

/// Bytes → [`xml_cdata`], invalid UTF-8 converted lossily.
pub fn xml_cdata_bytes(b: &[u8]) -> String {
    xml_cdata(&String::from_utf8_lossy(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_unambiguous_and_keeps_text() {
        assert_eq!(escape_bytes(b"ok\n\ttab"), "ok\n\ttab");
        assert_eq!(escape_bytes(b"\x00\x1b[1m\xff\\"), "\\x00\\x1b[1m\\xff\\\\");
        assert_eq!(escape_bytes("é\u{85}".as_bytes()), "é\\u{0085}");
    }

    /// Copying runs of plain bytes gives what escaping every character
    /// does, for every byte value in every position.
    #[test]
    fn plain_runs_escape_as_characters_do() {
        let one_by_one = |s: &str| {
            let mut out = String::new();
            s.chars().for_each(|c| push_escaped(&mut out, c));
            out
        };
        let mut samples: Vec<String> =
            (0u8..=127).map(|b| format!("ab{}cd\\é{}", b as char, b as char)).collect();
        samples.extend(
            ["", "\\", "plain text\n", "\u{85}x\u{fffe}\u{ffff}y\u{7f}", "é\tü\u{1b}[0m"]
                .map(String::from),
        );
        for s in &samples {
            assert_eq!(escape_str(s), one_by_one(s), "{s:?}");
            assert_eq!(escape_bytes(s.as_bytes()), one_by_one(s), "{s:?}");
        }
    }

    #[test]
    fn ansi_sequences_are_removed() {
        assert_eq!(strip_ansi("\u{1b}[1;31mred\u{1b}[0m plain"), "red plain");
        assert_eq!(strip_ansi("\u{1b}]0;title\u{7}after"), "after");
        assert_eq!(strip_ansi("\u{1b}]8;;x\u{1b}\\link"), "link");
        assert_eq!(strip_ansi("\u{1b}Mup"), "up");
    }

    #[test]
    fn an_unterminated_osc_costs_only_its_own_line() {
        let s = strip_ansi("start \u{1b}]title\nIMPORTANT line\n--- stderr\nerr\n");
        assert_eq!(s, "start \nIMPORTANT line\n--- stderr\nerr\n");
    }

    #[test]
    fn xml_text_has_no_forbidden_characters() {
        let s = xml_text("a\u{0}b\u{1b}[2Jc\u{b}d\u{fffe}\r\n");
        assert!(s.chars().all(xml_allowed), "{s:?}");
        assert_eq!(s, "a\\u{0000}bc\\u{000b}d\\u{fffe}\r\n");
    }

    #[test]
    fn cdata_terminators_are_split() {
        assert_eq!(xml_cdata("x]]>y"), "x]]]]><![CDATA[>y");
        assert_eq!(xml_cdata_bytes(b"\xff]]>"), "\u{fffd}]]]]><![CDATA[>");
    }
}

//! Configuration diagnostics: positions in a matrix file (`file:line:col`),
//! the error type every matrix and selection problem is reported as, and
//! "did you mean" suggestions. Used by the matrix parser, the expander and
//! the cell selector; the CLI prints them and exits with status 2.

use std::ops::Range;
use std::sync::OnceLock;

/// The text of a matrix file and the name it is shown under.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user wrote it, for messages.
    pub name: String,
    pub text: String,
    /// Byte offset of each line's start, worked out at the first position
    /// asked for: every cell of a matrix asks for its own.
    line_starts: OnceLock<Vec<usize>>,
}

impl Source {
    pub fn new(name: String, text: String) -> Source {
        Source { name, text, line_starts: OnceLock::new() }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        // A span may start inside a multi-byte character only if the parser
        // handed us a bad offset; round down to a boundary rather than panic.
        let mut at = offset;
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect()
        });
        // The lines starting at or before `at`; the last of them holds it.
        let line = starts.partition_point(|&s| s <= at);
        let col = self.text[starts[line - 1]..at].chars().count() + 1;
        (line, col)
    }

    /// A diagnostic at the start of `span`.
    pub fn diag(&self, span: &Range<usize>, message: impl Into<String>) -> Diag {
        let (line, col) = self.line_col(span.start);
        Diag { file: self.name.clone(), line: Some((line, col)), message: message.into() }
    }
}

pub use crate::errors::{ConfigError, Diag};

/// Edit distance counting a swap of neighbours as one edit (optimal
/// string alignment), for suggestions: `arhc` is one edit from `arch`.
fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

pub use crate::paths::relative as shown;

/// The closest of `choices` to `word`, if it is close enough to be a
/// plausible typo (or `word` is a prefix of it).
pub fn suggest<'a>(word: &str, choices: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in choices {
        let d = distance(&word.to_lowercase(), &c.to_lowercase());
        let limit = (c.chars().count().max(word.chars().count()) / 3).max(1);
        let plausible = d <= limit || (word.len() >= 3 && c.starts_with(word));
        if plausible && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// "; did you mean `x`?" or nothing.
pub fn did_you_mean<'a>(word: &str, choices: impl IntoIterator<Item = &'a str>) -> String {
    match suggest(word, choices) {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

/// "a, b, c" for a list of valid choices.
pub fn choices<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let s = Source::new("m.toml".into(), "a = 1\nbé = 2\n".into());
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(s.line_col(9), (2, 3));
        assert_eq!(s.diag(&(6..8), "bad").to_string(), "m.toml:2:1: bad");
    }

    /// The line index gives, at every byte offset (inside characters and
    /// past the end too), what counting the text before it gives.
    #[test]
    fn the_line_index_agrees_with_counting_newlines() {
        let text = "\n[matrix]\nnäme = \"ü\"\n\n  x = [1,\n2]\nlast";
        let s = Source::new("m.toml".into(), text.into());
        for offset in 0..text.len() + 3 {
            let mut at = offset.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let col = before[start..].chars().count() + 1;
            assert_eq!(s.line_col(offset), (line, col), "offset {offset}");
        }
    }

    #[test]
    fn suggestions_catch_typos_but_not_unrelated_words() {
        let keys = ["arch", "write_path", "quantum", "script"];
        assert_eq!(suggest("quantm", keys), Some("quantum"));
        assert_eq!(suggest("writepath", keys), Some("write_path"));
        assert_eq!(suggest("arhc", keys), Some("arch"));
        assert_eq!(suggest("banana", keys), None);
        assert_eq!(did_you_mean("scrpt", keys), "; did you mean `script`?");
    }
}

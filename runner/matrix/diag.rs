//! Configuration diagnostics: positions in a matrix file (`file:line:col`),
//! the error type every matrix and selection problem is reported as, and
//! "did you mean" suggestions. Used by the matrix parser, the expander and
//! the cell selector; the CLI prints them and exits with status 2.

use std::fmt;
use std::ops::Range;

/// The text of a matrix file and the name it is shown under.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user wrote it, for messages.
    pub name: String,
    pub text: String,
}

impl Source {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        // A span may start inside a multi-byte character only if the parser
        // handed us a bad offset; round down to a boundary rather than panic.
        let mut at = offset;
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// A diagnostic at the start of `span`.
    pub fn diag(&self, span: &Range<usize>, message: impl Into<String>) -> Diag {
        let (line, col) = self.line_col(span.start);
        Diag { file: self.name.clone(), line: Some((line, col)), message: message.into() }
    }
}

/// One configuration error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub file: String,
    /// Line and column, when the error has a position.
    pub line: Option<(usize, usize)>,
    pub message: String,
}

impl Diag {
    /// An error about a file as a whole.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Diag {
        Diag { file: file.into(), line: None, message: message.into() }
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every configuration error found, in file order. Configuration errors
/// are collected rather than stopping at the first, so one edit can fix
/// them all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub diags: Vec<Diag>,
}

impl ConfigError {
    pub fn one(d: Diag) -> ConfigError {
        ConfigError { diags: vec![d] }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diags.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Edit distance counting a swap of neighbours as one edit (optimal
/// string alignment), for suggestions: `arhc` is one edit from `arch`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// `path` relative to the working directory when it lies inside it.
pub fn shown(path: &std::path::Path) -> String {
    let rel = std::env::current_dir().ok().and_then(|cwd| {
        let cwd = std::fs::canonicalize(cwd).ok()?;
        path.strip_prefix(&cwd).ok().map(std::path::Path::to_path_buf)
    });
    rel.unwrap_or_else(|| path.to_path_buf()).display().to_string()
}

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
        let s = Source { name: "m.toml".into(), text: "a = 1\nbé = 2\n".into() };
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(s.line_col(9), (2, 3));
        assert_eq!(s.diag(&(6..8), "bad").to_string(), "m.toml:2:1: bad");
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

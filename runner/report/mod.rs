//! Reports of a run: live progress, the end-of-run text (grid, failures,
//! repro commands), JUnit XML and GitHub Actions annotations. Everything
//! here renders a [`crate::run::Report`]; nothing runs cells.

pub mod github;
pub mod junit;
pub mod progress;
pub mod sanitize;
pub mod text;

use std::path::{Path, PathBuf};

use crate::matrix::Matrix;

/// `path` relative to the working directory when it is inside it, for
/// messages.
pub fn relative(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            let cwd = std::fs::canonicalize(cwd).ok()?;
            if let Ok(rel) = path.strip_prefix(&cwd) {
                return Some(rel.to_path_buf());
            }
            let abs = std::fs::canonicalize(path).ok().or_else(|| {
                // A file that does not exist yet: canonicalise its directory.
                let parent = std::fs::canonicalize(path.parent()?).ok()?;
                Some(parent.join(path.file_name()?))
            })?;
            abs.strip_prefix(&cwd).ok().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf());
    shown.display().to_string()
}

/// Quote for a POSIX shell, always in single quotes.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A path argument for a shell command: bare when it is plainly safe.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=,".contains(c)) {
        s.to_string()
    } else {
        shell_quote(s)
    }
}

/// The command that replays one run of one cell exactly.
pub fn repro_command(m: &Matrix, cell_id: &str, seed: u64) -> String {
    format!(
        "cargo run --release -- {} --cell {} --seed {seed}",
        shell_word(&m.display_path()),
        shell_quote(cell_id)
    )
}

/// The default JUnit path: `target/bohr/<matrix>.xml`, or
/// `target/bohr/<matrix>.part-K-of-N.xml` for a partition, relative to the
/// working directory.
pub fn default_junit_path(
    m: &Matrix,
    partition: Option<crate::matrix::select::Partition>,
) -> PathBuf {
    let file = match partition {
        Some(p) => format!("{}.part-{}-of-{}.xml", m.name, p.k, p.n),
        None => format!("{}.xml", m.name),
    };
    Path::new("target").join("bohr").join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("a/b"), "'a/b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_word("matrices/x.toml"), "matrices/x.toml");
        assert_eq!(shell_word("my dir/x.toml"), "'my dir/x.toml'");
    }
}

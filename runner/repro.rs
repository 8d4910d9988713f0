//! Repro commands: the shell command that replays one run of one cell.
//!
//! It reruns what the user actually ran. From inside Bohr's own cargo
//! workspace, with the binary cargo built there, that is `cargo run
//! [--release] --`; otherwise it is the `bohr` binary itself: `bohr` when
//! that name on `PATH` is this binary, else its absolute path. The matrix
//! is named as given when that is a plain path below the working
//! directory, else by its absolute path, so the command works when pasted
//! into a shell in the directory the run started from. Words are quoted
//! with `shlex`.

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// Quote one word for a POSIX shell (bare when plainly safe).
pub fn shell_quote(s: &str) -> String {
    match shlex::try_quote(s) {
        Ok(q) => q.into_owned(),
        // Only a NUL cannot be quoted; cell IDs and paths never hold one.
        Err(_) => format!("'{}'", s.replace('\0', "").replace('\'', "'\\''")),
    }
}

/// The cargo workspace root above `dir` whose manifest defines the `bohr`
/// package.
fn bohr_workspace(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "name = \"bohr\""))
        })
        .map(Path::to_path_buf)
}

/// The program part of a repro command, for this process.
fn detect_program() -> String {
    let exe = std::env::current_exe().ok().and_then(|e| std::fs::canonicalize(e).ok());
    let cwd = std::env::current_dir().ok().and_then(|c| std::fs::canonicalize(c).ok());
    let Some(exe) = exe else { return "bohr".to_string() };
    if let Some(root) = cwd.as_deref().and_then(bohr_workspace)
        && let Ok(rel) = exe.strip_prefix(root.join("target"))
    {
        let profile = rel.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned());
        return match profile.as_deref() {
            Some("release") => "cargo run --release --".to_string(),
            _ => "cargo run --".to_string(),
        };
    }
    let on_path = std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p)
            .any(|d| std::fs::canonicalize(d.join("bohr")).is_ok_and(|found| found == exe))
    });
    if on_path { "bohr".to_string() } else { shell_quote(&exe.display().to_string()) }
}

/// The program part of every repro command this process prints.
pub fn program() -> &'static str {
    static PROGRAM: OnceLock<String> = OnceLock::new();
    PROGRAM.get_or_init(detect_program)
}

/// The matrix argument: as given when it is a plain relative path that
/// stays below the working directory, else absolute.
pub fn matrix_arg(path: &Path) -> String {
    let plain = path.is_relative()
        && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if plain {
        return shell_quote(&path.display().to_string());
    }
    let abs = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf());
    shell_quote(&abs.display().to_string())
}

/// The command that replays one run of one cell exactly: `--seed` alone
/// for a run as defined, `--seed BASE --schedule-seed S` for a perturbed
/// run of `--repeat`.
pub fn repro_command(
    m: &crate::matrix::Matrix,
    cell_id: &str,
    base_seed: u64,
    run: &crate::results::RunRecord,
) -> String {
    let seeds = if run.perturbed {
        format!("--seed {base_seed} --schedule-seed {}", run.seed)
    } else {
        format!("--seed {}", run.seed)
    };
    format!("{} {} --cell {} {seeds}", program(), matrix_arg(&m.path), shell_quote(cell_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes_and_spaces() {
        assert_eq!(shell_quote("matrices/x.toml"), "matrices/x.toml");
        assert_eq!(shlex::split(&shell_quote("it's")).unwrap(), ["it's"]);
        assert_eq!(shlex::split(&shell_quote("my dir/x.toml")).unwrap(), ["my dir/x.toml"]);
        assert_eq!(shlex::split(&shell_quote("a`b$c")).unwrap(), ["a`b$c"]);
    }

    #[test]
    fn matrices_outside_the_working_directory_are_absolute() {
        assert_eq!(matrix_arg(Path::new("matrices/m.toml")), "matrices/m.toml");
        assert!(matrix_arg(Path::new("../m.toml")).starts_with('/'));
    }
}

//! Every error the runner reports, typed, in one place (as nextest keeps
//! its `errors.rs`). Each names what failed and with what input. The
//! modules that raise them re-export the ones they own; `cli` maps them
//! to exit statuses (2 for all of these: they are found before, or
//! instead of, running a guest).

use std::fmt;

use bohr_emu::machine::ScriptError;

/// A number, size or duration that does not parse (`units`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("`{0}` is not a number (decimal or 0x hex)")]
    Number(String),
    #[error("`{0}` is not a size (like 4096, 0x1000, 64KiB, 1MiB)")]
    Size(String),
    #[error("`{0}` is not a duration (like 500ms, 1.5s, 2m, 1h)")]
    Duration(String),
    #[error("`{0}` is too large")]
    TooLarge(String),
}

/// A cell whose machine configuration cannot be built (`run::run_config`).
#[derive(Debug, thiserror::Error)]
pub enum CellConfigError {
    /// A device of the cell's `[[mtd]]` list.
    #[error(transparent)]
    Mtd(#[from] bohr_emu::machine::mtd::MtdError),
    /// The cell's root filesystem image was not opened before the run.
    #[error("{0}")]
    Rootfs(String),
}

/// An MTD device description that cannot be built (`mtd`), whether it
/// came from `bohr sh --mtd` or a matrix's `[[mtd]]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MtdError {
    #[error("MTD name {0:?} must be 1 to 64 characters without quotes or newlines")]
    Name(String),
    #[error("MTD `{name}`: size {size} must be between 1 and {max} bytes")]
    Size { name: String, size: u64, max: u64 },
    #[error("MTD `{name}`: size {size} must be a non-zero multiple of erasesize {erasesize}")]
    Geometry { name: String, size: u64, erasesize: u64 },
    #[error("MTD `{name}`: write of {len} bytes at {offset:#x} runs past the end ({size:#x})")]
    Write { name: String, index: usize, offset: u64, len: usize, size: u64 },
    #[error("MTD `{name}`: file holds {len} bytes, more than size {size}")]
    File { name: String, len: usize, size: u64 },
    /// A `bohr sh --mtd` spec that does not parse.
    #[error("--mtd {spec:?}: {why}")]
    Spec { spec: String, why: String },
}

/// One configuration error, with its position when it has one.
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

/// Every configuration error found (matrix, selection, scripts, report
/// paths), in file order. They are collected rather than stopping at the
/// first, so one edit can fix them all.
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

/// Errors writing a JUnit file.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    #[error("cannot write JUnit file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot render JUnit XML: {0}")]
    Render(String),
}

/// Errors of the scheduler itself (not of a cell).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start {jobs} worker threads: {source}")]
    Pool { jobs: usize, source: rayon::ThreadPoolBuildError },
}

/// Bad `bohr sh` arguments, found before the machine starts.
#[derive(Debug, thiserror::Error)]
pub enum ShError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error(transparent)]
    Mtd(#[from] MtdError),
    #[error("--env {0:?}: expected K=V")]
    Env(String),
    #[error("--file {0:?}: expected GUEST_PATH=HOST_PATH with an absolute guest path")]
    File(String),
    #[error("{0}")]
    Script(#[from] ScriptError),
    #[error("--rootfs: {0}")]
    Rootfs(#[from] bohr_rootfs::RootfsError),
}

/// Errors of `trace` and `diff`, all exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{}", .0.diags.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\nbohr: error: "))]
    Config(ConfigError),
    #[error("--cell `{pattern}` matches {count} cells; trace runs one: {ids}")]
    Ambiguous { pattern: String, count: usize, ids: String },
    #[error("--from {from} must be below --to {to}")]
    Range { from: u64, to: u64 },
    #[error("cannot create execlog {path}: {source}")]
    Create { path: String, source: std::io::Error },
    #[error("cannot write execlog {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("cell {cell}: {message}")]
    Run { cell: String, message: String },
}

/// Bad `bohr exec` arguments, found before the guest starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecArgsError {
    #[error("--execlog needs --trace execlog")]
    ExeclogWithoutTrace,
    #[error("architecture {0} is not supported yet")]
    Unsupported(String),
}

/// Errors of `bohr list`.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(
        "the selection makes {jobs} jobs, more than GitHub Actions' {max} per matrix; \
         use --shards N to run them as N partitions",
        max = crate::list::GITHUB_MAX_JOBS
    )]
    TooManyJobs { jobs: usize },
    #[error(
        "the selection has no cells, and a GitHub Actions matrix with no jobs would skip the \
         workflow's job silently"
    )]
    NoJobs,
    #[error("cannot write the list: {0}")]
    Io(#[from] std::io::Error),
}

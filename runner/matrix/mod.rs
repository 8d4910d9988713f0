//! Matrices: the TOML format, its validation and its expansion into cells.
//!
//! [`load`] reads a matrix file, checks every key and value (errors carry
//! `file:line:col`, the valid choices and a suggestion), expands the axes
//! with GitHub Actions' exclude/include semantics and resolves each cell's
//! machine settings and expectations. The runner (`run`), `bohr list` and
//! the reports only ever see the resulting [`Matrix`] and [`Cell`]s.

pub mod diag;
mod expand;
mod parse;
pub mod rootfs;
pub mod select;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{GuestFile, MtdSpec, ShellKind, WritePath};

pub use diag::{ConfigError, Diag};

/// A cell parameter: what an axis, `[cell]` or an include may set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Param {
    Arch,
    WritePath,
    Script,
    Engine,
    Quantum,
    Seed,
    Chaos,
    MaxBlockInsns,
    MtdChunk,
    MaxInsns,
    Timeout,
    JitThreshold,
    /// Committed guest memory of the cell (a size); default from the host.
    Memory,
    /// Tasks (processes and threads) alive at once.
    MaxTasks,
    /// Bytes the writable file layer holds (a size).
    Disk,
    /// A root filesystem: a `[rootfs.NAME]` definition, a path, or `none`.
    Rootfs,
    /// Which shell runs the script: `bohr` or `guest`.
    Shell,
    /// Test hook, debug builds only: make the cell panic or hang. It exists
    /// so the runner's own tests can prove that a panicking or hanging cell
    /// is isolated; release builds reject it as an unknown key.
    DebugHook,
}

impl Param {
    pub const ALL: [Param; 18] = [
        Param::Arch,
        Param::WritePath,
        Param::Script,
        Param::Engine,
        Param::Quantum,
        Param::Seed,
        Param::Chaos,
        Param::MaxBlockInsns,
        Param::MtdChunk,
        Param::MaxInsns,
        Param::Timeout,
        Param::JitThreshold,
        Param::Memory,
        Param::MaxTasks,
        Param::Disk,
        Param::Rootfs,
        Param::Shell,
        Param::DebugHook,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Param::Arch => "arch",
            Param::WritePath => "write_path",
            Param::Script => "script",
            Param::Engine => "engine",
            Param::Quantum => "quantum",
            Param::Seed => "seed",
            Param::Chaos => "chaos",
            Param::MaxBlockInsns => "max_block_insns",
            Param::MtdChunk => "mtd_chunk",
            Param::MaxInsns => "max_insns",
            Param::Timeout => "timeout",
            Param::JitThreshold => "jit_threshold",
            Param::Memory => "memory",
            Param::MaxTasks => "max_tasks",
            Param::Disk => "disk",
            Param::Rootfs => "rootfs",
            Param::Shell => "shell",
            Param::DebugHook => "debug_hook",
        }
    }

    /// Parameters that may be matrix axes (the design's list).
    pub const fn is_axis(self) -> bool {
        matches!(
            self,
            Param::Arch
                | Param::WritePath
                | Param::Script
                | Param::Engine
                | Param::Quantum
                | Param::Seed
                | Param::Chaos
                | Param::MaxBlockInsns
                | Param::MtdChunk
                | Param::Rootfs
                | Param::Shell
        )
    }

    /// Whether this build accepts the parameter at all.
    pub const fn available(self) -> bool {
        !matches!(self, Param::DebugHook) || cfg!(debug_assertions)
    }

    pub fn from_name(s: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|p| p.available() && p.name() == s)
    }

    /// Names accepted in `[cell]` and includes, in this build.
    pub fn cell_names() -> Vec<&'static str> {
        Param::ALL.into_iter().filter(|p| p.available()).map(Param::name).collect()
    }

    /// Names accepted as axes.
    pub fn axis_names() -> Vec<&'static str> {
        Param::ALL.into_iter().filter(|p| p.is_axis()).map(Param::name).collect()
    }
}

/// A key a cell can be parameterised by: a parameter or `env.NAME`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Param(Param),
    Env(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Param(p) => f.write_str(p.name()),
            Key::Env(n) => write!(f, "env.{n}"),
        }
    }
}

/// A normalised scalar from the matrix.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Str(String),
    Int(u64),
    Bool(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// One axis: a key and its values in declared order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    pub key: Key,
    pub values: Vec<Value>,
}

/// The debug-build test hooks (see [`Param::DebugHook`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugHook {
    /// Panic inside the cell instead of running the machine.
    Panic,
    /// Spin until the wall timeout cancels the cell.
    Hang,
}

/// A regular expression with its source, for messages.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
    pub regex: regex::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// What a cell checks. Defaults: exit status 0, no other checks, no
/// snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    /// Expected exit status; `None` accepts any.
    pub exit: Option<i32>,
    pub stdout_contains: Vec<String>,
    pub stdout_not_contains: Vec<String>,
    pub stdout_regex: Vec<Pattern>,
    pub stderr_contains: Vec<String>,
    pub stderr_not_contains: Vec<String>,
    pub stderr_regex: Vec<Pattern>,
    /// Event kinds (`Event::kind`) that must not occur.
    pub events_none: Vec<String>,
    pub snapshot: bool,
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            exit: Some(0),
            stdout_contains: Vec::new(),
            stdout_not_contains: Vec::new(),
            stdout_regex: Vec::new(),
            stderr_contains: Vec::new(),
            stderr_not_contains: Vec::new(),
            stderr_regex: Vec::new(),
            events_none: Vec::new(),
            snapshot: false,
        }
    }
}

/// A guest script a matrix runs.
#[derive(Clone, Debug)]
pub struct Script {
    /// Stable name: the path relative to the project root (for example
    /// `guest-scripts/mtd_readback.sh`). It is what the machine and the
    /// snapshots see, so it never depends on the working directory.
    pub name: String,
    /// Where it was read from, for messages.
    pub path: PathBuf,
    pub text: Arc<str>,
}

/// Everything that defines one cell apart from the seed.
#[derive(Clone, Debug)]
pub struct Settings {
    pub arch: Arch,
    pub engine: EngineKind,
    pub write_path: WritePath,
    pub quantum: u64,
    /// The matrix's seed for this cell (before `--seed` and `--repeat`).
    pub seed: u64,
    pub chaos: bool,
    pub max_insns: u64,
    pub max_block_insns: u32,
    pub mtd_chunk: u32,
    pub jit_threshold: u32,
    /// `None`: the host's default (`crate::limits::default_memory`).
    pub memory: Option<u64>,
    pub max_tasks: u32,
    pub disk: u64,
    pub timeout: Option<Duration>,
    /// Key into [`Matrix::scripts`].
    pub script: String,
    pub env: Vec<(String, String)>,
    /// The cell's root filesystem; `None`: Bohr's embedded userland.
    pub rootfs: Option<rootfs::CellRootfs>,
    pub shell: ShellKind,
    pub debug_hook: Option<DebugHook>,
}

/// One cell of an expanded matrix.
#[derive(Clone, Debug)]
pub struct Cell {
    /// Stable, unique ID: axis values in declared order joined by `/`, then
    /// `key=value` for keys only an include adds.
    pub id: String,
    /// Position in the expanded matrix (the report order).
    pub index: usize,
    /// The axis values and include-added values that define the cell.
    pub values: Vec<(Key, Value)>,
    pub settings: Settings,
    pub expect: Expect,
    /// 1-based line of the matrix that defines this cell (the `[matrix]`
    /// header, or its include entry), for CI annotations.
    pub line: usize,
}

impl Cell {
    /// The value a `--filter` key has for this cell, after defaults.
    pub fn value_of(&self, key: &Key) -> Option<String> {
        let s = &self.settings;
        Some(match key {
            Key::Env(name) => return s.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            Key::Param(p) => match p {
                Param::Arch => s.arch.name().to_string(),
                Param::WritePath => s.write_path.name().to_string(),
                Param::Script => s.script.clone(),
                Param::Engine => s.engine.name().to_string(),
                Param::Quantum => s.quantum.to_string(),
                Param::Seed => s.seed.to_string(),
                Param::Chaos => s.chaos.to_string(),
                Param::MaxBlockInsns => s.max_block_insns.to_string(),
                Param::MtdChunk => s.mtd_chunk.to_string(),
                Param::MaxInsns => s.max_insns.to_string(),
                Param::Timeout => s.timeout.map(format_duration)?,
                Param::JitThreshold => s.jit_threshold.to_string(),
                Param::Memory => s.memory?.to_string(),
                Param::MaxTasks => s.max_tasks.to_string(),
                Param::Disk => s.disk.to_string(),
                Param::Rootfs => s.rootfs.as_ref().map_or("none", |r| r.name.as_str()).to_string(),
                Param::Shell => s.shell.name().to_string(),
                Param::DebugHook => match s.debug_hook? {
                    DebugHook::Panic => "panic".to_string(),
                    DebugHook::Hang => "hang".to_string(),
                },
            },
        })
    }
}

/// A loaded, validated and expanded matrix.
#[derive(Clone, Debug)]
pub struct Matrix {
    pub name: String,
    pub description: Option<String>,
    /// The path as given on the command line (used in repro commands).
    pub path: PathBuf,
    /// The project root the matrix lives in: the nearest ancestor holding a
    /// `Cargo.toml`, or the matrix's own directory.
    pub root: PathBuf,
    pub axes: Vec<Axis>,
    pub cells: Vec<Cell>,
    pub mtds: Vec<MtdSpec>,
    pub files: Vec<GuestFile>,
    /// Scripts by the name the matrix uses.
    pub scripts: BTreeMap<String, Script>,
    /// `[rootfs.NAME]` definitions, by name.
    pub rootfs_defs: BTreeMap<String, rootfs::RootfsDef>,
    /// The images the selected cells use, opened once before any cell
    /// runs ([`rootfs::open_images`]) and shared by every cell.
    pub images: std::sync::OnceLock<bohr_rootfs::ImageSet>,
}

impl Matrix {
    /// Where this matrix's snapshots live: `snapshots/<name>/` beside it.
    pub fn snapshot_dir(&self) -> PathBuf {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        dir.join("snapshots").join(&self.name)
    }

    /// The path as shown to users and in repro commands.
    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }
}

pub use crate::units::format_duration;

/// File stem of a cell's snapshot (insta turns `/` into `__` the same
/// way; other characters unsafe in file names become `_`). Defined with
/// the cells because expansion refuses IDs whose stems collide.
pub fn file_stem(id: &str) -> String {
    id.split('/')
        .map(|part| {
            part.chars()
                .map(|c| if c.is_ascii_alphanumeric() || "._=+,-".contains(c) { c } else { '_' })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("__")
}

/// Read, validate and expand a matrix file.
pub fn load(path: &Path) -> Result<Matrix, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigError::one(Diag::file(path.display().to_string(), format!("cannot read matrix: {e}")))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let source = diag::Source::new(path.display().to_string(), prefix);
        ConfigError::one(source.diag(&(valid..valid), "the matrix is not UTF-8"))
    })?;
    load_str(path, text)
}

/// [`load`] on text already read (for tests).
pub fn load_str(path: &Path, text: String) -> Result<Matrix, ConfigError> {
    let source = diag::Source::new(path.display().to_string(), text);
    let parsed = parse::parse(&source, path)?;
    expand::build(&source, path, parsed)
}

#[cfg(test)]
mod tests;

//! The `bohr run` and `bohr list` commands: glue between the parsed
//! command line (`cli`), matrices (`matrix`), the scheduler (`run`) and the
//! reports (`report`). Returns the process exit status: 0 every selected
//! cell passed, 1 some did not, 2 usage or configuration error (always
//! before any cell runs).

use std::path::{Path, PathBuf};

use crate::list::{self, Format};
use crate::matrix::select::{Partition, Selection, select};
use crate::matrix::{self, ConfigError};
use crate::report::{self, progress};
use crate::run::{self, executor::Executor};

/// Options of `bohr run`.
#[derive(Clone, Debug)]
pub struct RunCommand {
    pub matrix: PathBuf,
    pub selection: Selection,
    /// `None`: one worker per available core.
    pub jobs: Option<usize>,
    pub repeat: u32,
    pub seed: Option<u64>,
    pub junit: Option<PathBuf>,
    pub update_snapshots: bool,
    pub fail_fast: bool,
}

/// Options of `bohr list`.
#[derive(Clone, Debug)]
pub struct ListCommand {
    pub matrix: PathBuf,
    pub selection: Selection,
    pub format: Format,
    pub shards: Option<usize>,
}

fn print_config_error(e: &ConfigError) {
    for d in &e.diags {
        eprintln!("bohr: error: {d}");
    }
}

/// Parse `--seed`: decimal or `0x` hexadecimal.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    crate::matrix::parse_u64(s)
        .ok_or_else(|| format!("invalid seed `{s}` (expected a number below 2^64)"))
}

/// Parse `--partition K/N`.
pub fn parse_partition(s: &str) -> Result<Partition, String> {
    s.parse()
}

/// Tell insta how to behave before any thread exists: insta reads its
/// configuration from the environment once per process.
fn configure_insta(update: bool) {
    // SAFETY: called at the start of `bohr run`, before the worker pool,
    // the progress ticker or any other thread is started, so nothing can
    // read the environment concurrently.
    unsafe {
        // The runner prints its own diffs; insta's would interleave with
        // progress output.
        std::env::set_var("INSTA_OUTPUT", "none");
        if update {
            std::env::set_var("INSTA_UPDATE", "always");
        }
    }
}

/// `bohr run`.
pub fn run(cmd: &RunCommand, exec: &dyn Executor) -> i32 {
    // `INSTA_UPDATE=always` (or `force`) asks insta to accept in place, as
    // `--update-snapshots` does; report it the same way.
    let update = cmd.update_snapshots
        || matches!(std::env::var("INSTA_UPDATE").as_deref(), Ok("always" | "1" | "force"));
    configure_insta(cmd.update_snapshots);
    let m = match matrix::load(&cmd.matrix) {
        Ok(m) => m,
        Err(e) => {
            print_config_error(&e);
            return 2;
        }
    };
    let cells = match select(&m, &cmd.selection) {
        Ok(c) => c,
        Err(e) => {
            print_config_error(&e);
            return 2;
        }
    };
    if let Err(e) = run::check_scripts(&m, &cells, exec) {
        print_config_error(&e);
        return 2;
    }
    let jobs =
        cmd.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = run::Options {
        jobs,
        repeat: cmd.repeat.max(1),
        seed: cmd.seed,
        fail_fast: cmd.fail_fast,
        update_snapshots: update,
    };
    let progress = progress::Progress::new(
        progress::Mode::detect(),
        cells.len() * opts.repeat as usize,
        opts.repeat,
    );
    let rep = match run::run(&m, &cells, &opts, exec, &progress, cmd.selection.partition) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bohr: error: {e}");
            return 2;
        }
    };
    print!("{}", report::text::render(&rep));
    let junit = cmd
        .junit
        .clone()
        .unwrap_or_else(|| report::default_junit_path(&m, cmd.selection.partition));
    let mut code = rep.exit_code();
    match report::junit::write(&rep, &junit) {
        Ok(()) => println!("junit: {}", report::relative(&junit)),
        Err(e) => {
            eprintln!("bohr: error: {e}");
            code = 2;
        }
    }
    if let Err(e) = report::github::emit(&rep) {
        eprintln!("bohr: warning: cannot write the GitHub step summary: {e}");
    }
    code
}

/// `bohr list`.
pub fn list(cmd: &ListCommand) -> i32 {
    if cmd.shards.is_some() && cmd.format != Format::GithubMatrix {
        eprintln!("bohr: error: --shards only applies to --format github-matrix");
        return 2;
    }
    let m = match matrix::load(&cmd.matrix) {
        Ok(m) => m,
        Err(e) => {
            print_config_error(&e);
            return 2;
        }
    };
    match select(&m, &cmd.selection) {
        Ok(cells) => {
            print!("{}", list::render(&m, &cells, cmd.format, cmd.shards));
            0
        }
        Err(e) => {
            print_config_error(&e);
            2
        }
    }
}

/// Whether a first argument names a matrix (so `bohr M.toml` means
/// `bohr run M.toml`).
pub fn is_matrix_arg(arg: &std::ffi::OsStr) -> bool {
    arg.to_str().is_some_and(|s| {
        !s.starts_with('-') && Path::new(s).extension().is_some_and(|e| e == "toml")
    })
}

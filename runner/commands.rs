//! The `bohr run` and `bohr list` commands: glue between the parsed
//! command line (`cli`), matrices (`matrix`), the scheduler (`run`) and the
//! reports (`report`). Returns the process exit status: 0 every selected
//! cell passed, 1 some did not, 2 usage or configuration error (always
//! before any cell runs).

use std::path::{Path, PathBuf};

use crate::events::{Fanout, Reporter};
use crate::list::{self, Format};
use crate::matrix::select::{Partition, Selection, select};
use crate::matrix::{self, ConfigError, Diag};
use crate::report::end::{EndOfRun, MessageFormat};
use crate::report::style::{ColorChoice, Style};
use crate::report::{self, progress};
use crate::run::{self, executor::Executor};

/// Options of `bohr run`.
#[derive(Clone, Debug)]
pub struct RunCommand {
    pub matrix: PathBuf,
    pub selection: Selection,
    /// `None`: one worker per available core.
    pub jobs: Option<usize>,
    /// Lanes per running cell (see `run::Lanes`).
    pub lanes: run::Lanes,
    pub repeat: u32,
    pub seed: Option<u64>,
    pub schedule_seed: Option<u64>,
    pub junit: Option<PathBuf>,
    pub update_snapshots: bool,
    pub fail_fast: bool,
    pub retries: u32,
    pub color: ColorChoice,
    pub message_format: MessageFormat,
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
    crate::units::parse_u64(s)
        .map_err(|_| format!("invalid seed `{s}` (expected a number below 2^64)"))
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
            // `force`, not `always`: a snapshot whose body matches is still
            // rewritten, so its metadata (instruction counts, fingerprint)
            // stays current. An unchanged file is rewritten byte for byte.
            std::env::set_var("INSTA_UPDATE", "force");
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
    let m = match matrix::load(&resolve_matrix(&cmd.matrix)) {
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
    if let Err(e) = matrix::rootfs::open_images(&m, &cells) {
        print_config_error(&e);
        return 2;
    }
    let junit = cmd
        .junit
        .clone()
        .unwrap_or_else(|| report::default_junit_path(&m, cmd.selection.partition));
    if let Err(e) = check_junit_path(&junit) {
        print_config_error(&e);
        return 2;
    }
    // A report left by an earlier run must never pass for this one's, even
    // if this run is killed before it writes its own.
    if let Err(e) = std::fs::remove_file(&junit)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("bohr: error: cannot remove the previous JUnit file {}: {e}", junit.display());
        return 2;
    }
    crate::interrupt::install();
    let jobs = cmd.jobs.unwrap_or_else(run::host_cores);
    let opts = run::Options {
        jobs,
        lanes: cmd.lanes,
        repeat: cmd.repeat.max(1),
        seed: cmd.seed,
        schedule_seed: cmd.schedule_seed,
        fail_fast: cmd.fail_fast,
        retries: cmd.retries,
        update_snapshots: update,
        memory: None,
        interrupted: crate::interrupt::received,
    };
    let progress = progress::Progress::new(
        progress::Mode::detect(),
        cells.len() * opts.repeat as usize,
        opts.repeat,
        Style::detect(cmd.color, true),
    );
    let end = EndOfRun::new(&m, junit, cmd.message_format, Style::detect(cmd.color, false));
    let snapshots = run::snapshot::Writer::new(
        run::snapshot::Store::new(&m, update),
        cmd.message_format == MessageFormat::Json,
    );
    let reporters: Vec<&dyn Reporter> = vec![&progress, &snapshots, &end];
    match run::run(&m, &cells, &opts, exec, &Fanout(reporters), cmd.selection.partition) {
        Ok(_) => end.exit_code().max(snapshots.exit_code()),
        Err(e) => {
            eprintln!("bohr: error: {e}");
            2
        }
    }
}

/// A JUnit path must be a file that can be created: refuse a directory
/// before any cell runs.
fn check_junit_path(path: &Path) -> Result<(), ConfigError> {
    if path.is_dir() {
        return Err(ConfigError::one(Diag::file(
            path.display().to_string(),
            "--junit names a directory; give a file path such as target/bohr/report.xml",
        )));
    }
    Ok(())
}

/// `bohr list`.
pub fn list(cmd: &ListCommand) -> i32 {
    if cmd.shards.is_some() && cmd.format != Format::GithubMatrix {
        eprintln!("bohr: error: --shards only applies to --format github-matrix");
        return 2;
    }
    let m = match matrix::load(&resolve_matrix(&cmd.matrix)) {
        Ok(m) => m,
        Err(e) => {
            print_config_error(&e);
            return 2;
        }
    };
    match select(&m, &cmd.selection) {
        Ok(cells) => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match list::write(&m, &cells, cmd.format, cmd.shards, &mut out) {
                Ok(()) => 0,
                // A closed pipe (`bohr list | head`) is not an error.
                Err(list::ListError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    eprintln!("bohr: error: {e}");
                    2
                }
            }
        }
        Err(e) => {
            print_config_error(&e);
            2
        }
    }
}

/// Whether a first argument starts a `bohr run` without the word `run`:
/// anything but a subcommand, `help` or a help/version flag. So `bohr
/// M.toml`, `bohr -j 2 M.toml` and `bohr matrices/smoke` all mean `bohr
/// run ...`.
pub fn is_matrix_arg(arg: &std::ffi::OsStr) -> bool {
    const WORDS: [&str; 7] = ["run", "list", "sh", "trace", "diff", "exec", "help"];
    const FLAGS: [&str; 4] = ["-h", "--help", "-V", "--version"];
    arg.to_str().is_none_or(|s| !WORDS.contains(&s) && !FLAGS.contains(&s))
}

/// The matrix file a command names: the path itself, or `PATH.toml` when
/// the path has no extension and only that file exists.
pub fn resolve_matrix(path: &Path) -> PathBuf {
    if !path.exists() && path.extension().is_none() {
        let with = path.with_extension("toml");
        if with.is_file() {
            return with;
        }
    }
    path.to_path_buf()
}

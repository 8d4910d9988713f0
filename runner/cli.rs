//! Command-line interface (clap). Maps subcommands to runner functions and
//! errors to exit statuses: 0 success, 1 failure, 2 usage or configuration.

use clap::{Parser, Subcommand};

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;

use crate::exec::{ExecOptions, exec};
use crate::matrix::select::{Partition, Selection};

#[derive(Parser, Debug)]
#[command(name = "bohr", version, about = "Deterministic test matrices of emulated guest programs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a matrix (`bohr MATRIX.toml` is the same as `bohr run MATRIX.toml`).
    Run(RunArgs),
    /// List the cells of a matrix.
    List(ListArgs),
    /// Run a guest script on one machine (one cell), print its output and a summary.
    Sh(crate::sh::ShArgs),
    /// Run one cell of a matrix with the execlog (capstone disassembly of
    /// every executed instruction); the run is the untraced run.
    Trace(crate::trace::TraceArgs),
    /// Run two cells with tracing and report where they first diverge.
    Diff(crate::trace::DiffArgs),
    /// Run one static guest program with the host's stdio, like qemu-user.
    Exec(ExecArgs),
}

/// Arguments of `bohr exec`.
#[derive(clap::Args, Debug, Clone)]
pub struct ExecArgs {
    /// Guest architecture.
    #[arg(long, value_parser = parse_arch)]
    pub arch: Arch,
    /// Execution engine (the JIT by default, as in matrix cells).
    #[arg(long, default_value = "jit", value_parser = parse_engine)]
    pub engine: EngineKind,
    /// Stop after exactly this many guest instructions (exit 124).
    #[arg(long)]
    pub max_insns: Option<u64>,
    /// Largest number of guest instructions per translated block.
    #[arg(long, default_value_t = bohr_emu::engine::DEFAULT_MAX_BLOCK_INSNS,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_block_insns: u32,
    /// Executions of a block before the JIT compiles it (0: at once).
    /// The default was chosen by measurement: compiling every block at
    /// once spends more time in Cranelift than it saves.
    #[arg(long, default_value_t = bohr_emu::jit::DEFAULT_THRESHOLD)]
    pub jit_threshold: u32,
    /// Seed for AT_RANDOM and getrandom (decimal or 0x hex).
    #[arg(long, default_value = "0", value_parser = crate::commands::parse_seed)]
    pub seed: u64,
    /// Print the IR of every translated block to stderr at exit.
    #[arg(long)]
    pub dump_ir: bool,
    /// Print instruction count, translation statistics and MIPS to stderr.
    #[arg(long)]
    pub stats: bool,
    /// Guest environment variable (repeatable); the host's is not passed.
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Instrument with a built-in plugin (repeatable): execlog (every
    /// executed instruction, to stderr or --execlog), counters and
    /// coverage (reported on stderr at exit), memlog (every memory
    /// access, to stderr). Never written to the guest's stdout.
    #[arg(long = "trace", value_enum, value_name = "PLUGIN")]
    pub trace: Vec<crate::exec::TracePlugin>,
    /// Write the execlog to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub execlog: Option<std::path::PathBuf>,
    /// Resolve the ELF interpreter and absolute guest paths under ROOTFS
    /// first, then on the host (like `qemu-<arch>-static -L DIR`). ROOTFS
    /// is a directory or an image file: tar (plain, gzip, xz), cpio
    /// (newc, plain, gzip, xz) or squashfs.
    #[arg(long, short = 'L', value_name = "ROOTFS")]
    pub rootfs: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,
    /// The guest ELF (static or dynamic).
    pub program: std::path::PathBuf,
    /// Arguments for the guest.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

impl ExecArgs {
    /// The second stage: check the combination and derive the options
    /// `exec` runs with.
    pub fn options(self) -> Result<ExecOptions, crate::errors::ExecArgsError> {
        use crate::errors::ExecArgsError;
        if self.execlog.is_some() && !self.trace.contains(&crate::exec::TracePlugin::Execlog) {
            return Err(ExecArgsError::ExeclogWithoutTrace);
        }
        if bohr_emu::arch::frontend_for(self.arch).is_none() {
            return Err(ExecArgsError::Unsupported(self.arch.to_string()));
        }
        Ok(ExecOptions {
            arch: self.arch,
            engine: self.engine,
            max_insns: self.max_insns,
            max_block_insns: self.max_block_insns,
            jit_threshold: self.jit_threshold,
            seed: self.seed,
            dump_ir: self.dump_ir,
            stats: self.stats,
            env: self.env,
            trace: self.trace,
            execlog: self.execlog,
            rootfs: self.rootfs,
            limits: self.limits.limits(),
            program: self.program,
            args: self.args,
        })
    }
}

/// Which cells to take from a matrix.
#[derive(clap::Args, Debug)]
pub struct SelectArgs {
    /// Select cells by exact ID or glob (`*` also matches `/`); repeatable.
    #[arg(long = "cell", value_name = "ID|GLOB")]
    pub cells: Vec<String>,
    /// Select cells whose parameter has this value (e.g. arch=riscv64,
    /// env.MTD=mtd0); repeatable: different keys must all match, values of
    /// one key are alternatives.
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Take only shard K of N (round-robin over the selected cells, in
    /// matrix order).
    #[arg(long, value_name = "K/N", value_parser = crate::commands::parse_partition)]
    pub partition: Option<Partition>,
}

impl SelectArgs {
    fn selection(&self) -> Selection {
        Selection {
            cells: self.cells.clone(),
            filters: self.filters.clone(),
            partition: self.partition,
        }
    }
}

/// Arguments of `bohr run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The matrix file.
    pub matrix: std::path::PathBuf,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Cells run in parallel [default: the number of cores].
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Run each cell N times with derived seeds and report flake rates.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub repeat: u32,
    /// Host threads per running cell, besides its own, that run guest
    /// processes' code ahead of their turn, 0 to 8; results are the same
    /// for any value. auto: one when the host has two cores for each cell
    /// running at once and compiled code is kept across runs, else none.
    #[arg(long, default_value = "auto", value_parser = crate::run::Lanes::parse)]
    pub lanes: crate::run::Lanes,
    /// Base seed of every selected cell, overriding the matrix (decimal or
    /// 0x hex). Run r of --repeat uses a seed derived from it and r; run 0
    /// uses it unchanged, so a printed repro replays exactly.
    #[arg(long, value_parser = crate::commands::parse_seed)]
    pub seed: Option<u64>,
    /// Where to write JUnit XML [default: target/bohr/MATRIX.xml, or
    /// target/bohr/MATRIX.part-K-of-N.xml with --partition].
    #[arg(long, value_name = "PATH")]
    pub junit: Option<std::path::PathBuf>,
    /// Accept new and changed snapshots in place.
    #[arg(long)]
    pub update_snapshots: bool,
    /// Stop scheduling new cells after the first one that does not pass.
    #[arg(long, overrides_with = "no_fail_fast")]
    pub fail_fast: bool,
    /// Run a failing run again up to N times with the same seed. A run that
    /// then passes makes its cell flaky (the failure depended on the host,
    /// a wall timeout say); one that fails every time was deterministic.
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: u32,
    /// Run every selected cell whatever fails (the default; as in nextest).
    #[arg(long, overrides_with = "fail_fast")]
    pub no_fail_fast: bool,
    /// Run once with chaos scheduling from this seed, as run 2.. of
    /// --repeat does (device contents still come from --seed or the
    /// matrix); repro commands of such runs carry it.
    #[arg(long, value_name = "S", value_parser = crate::commands::parse_seed, conflicts_with = "repeat")]
    pub schedule_seed: Option<u64>,
    /// Colour status words on a terminal.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: crate::report::style::ColorChoice,
    /// human: the report on stdout; json: one JSON object per finished
    /// run on stdout, in matrix order, then a summary object (the human
    /// report goes to stderr).
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub message_format: crate::report::end::MessageFormat,
}

/// Arguments of `bohr list`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// The matrix file.
    pub matrix: std::path::PathBuf,
    #[command(flatten)]
    pub select: SelectArgs,
    /// text: one cell ID per line; json: a list of cell objects;
    /// github-matrix: a GitHub Actions matrix for fromJSON.
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::list::Format,
    /// With --format github-matrix: one job per shard (partition K/N)
    /// instead of one per cell.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub shards: Option<u32>,
}

fn parse_arch(s: &str) -> Result<Arch, String> {
    s.parse::<Arch>().map_err(|e| e.to_string())
}

fn parse_engine(s: &str) -> Result<EngineKind, String> {
    s.parse::<EngineKind>()
}

fn report_trace_error(r: Result<i32, crate::trace::TraceError>) -> i32 {
    r.unwrap_or_else(|e| {
        eprintln!("bohr: error: {e}");
        2
    })
}

pub fn main() -> i32 {
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `bohr MATRIX.toml ...` means `bohr run MATRIX.toml ...`.
    if argv.get(1).is_some_and(|a| crate::commands::is_matrix_arg(a)) {
        argv.insert(1, "run".into());
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    // Decoded rootfs images and compiled code are kept between runs (see
    // `bohr_rootfs::ImageCache` and `bohr_emu::jit::store`).
    if let Some(cache) = bohr_rootfs::ImageCache::from_env() {
        bohr_rootfs::ImageCache::set_for_process(cache);
    }
    bohr_emu::jit::store::set_dir(bohr_rootfs::cache_root_from_env().map(|r| r.join("code")));
    // Host threads' timeline, for performance work (see `timeline`).
    let timeline = crate::timeline::requested();
    if timeline.is_some() {
        bohr_emu::timeline::start();
    }
    let code = command(cli);
    bohr_emu::jit::store::save();
    if let Some(path) = timeline
        && let Err(e) = crate::timeline::write(&path)
    {
        eprintln!("bohr: BOHR_TIMELINE: {e}");
    }
    code
}

/// Run the parsed command line; returns the exit status.
fn command(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(a) => {
            let cmd = crate::commands::RunCommand {
                matrix: a.matrix,
                selection: a.select.selection(),
                jobs: a.jobs.map(|j| j as usize),
                lanes: a.lanes,
                repeat: a.repeat,
                seed: a.seed,
                junit: a.junit,
                update_snapshots: a.update_snapshots,
                fail_fast: a.fail_fast && !a.no_fail_fast,
                retries: a.retries,
                schedule_seed: a.schedule_seed,
                color: a.color,
                message_format: a.message_format,
            };
            crate::commands::run(&cmd, &crate::run::executor::MachineExecutor)
        }
        Command::List(a) => crate::commands::list(&crate::commands::ListCommand {
            matrix: a.matrix,
            selection: a.select.selection(),
            format: a.format,
            shards: a.shards.map(|n| n as usize),
        }),
        Command::Sh(a) => crate::sh::main(&a),
        Command::Trace(a) => report_trace_error(crate::trace::trace(&a)),
        Command::Diff(a) => report_trace_error(crate::trace::diff(&a)),
        Command::Exec(a) => match a.options() {
            Ok(opts) => match exec(&opts) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("bohr: {e}");
                    2
                }
            },
            Err(e) => {
                eprintln!("bohr: {e}");
                2
            }
        },
    }
}

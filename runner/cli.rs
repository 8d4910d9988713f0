//! Command-line interface (clap). Maps subcommands to runner functions and
//! errors to exit statuses: 0 success, 1 failure, 2 usage or configuration.

use clap::{Parser, Subcommand};

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;

use crate::exec::{ExecOptions, exec};

#[derive(Parser, Debug)]
#[command(name = "bohr", version, about = "Deterministic test matrices of emulated guest programs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a guest script on one machine (one cell), print its output and a summary.
    Sh(crate::sh::ShArgs),
    /// Run one static guest program with the host's stdio, like qemu-user.
    Exec {
        /// Guest architecture.
        #[arg(long, value_parser = parse_arch)]
        arch: Arch,
        /// Execution engine.
        #[arg(long, default_value = "interp", value_parser = parse_engine)]
        engine: EngineKind,
        /// Stop after exactly this many guest instructions (exit 124).
        #[arg(long)]
        max_insns: Option<u64>,
        /// Largest number of guest instructions per translated block.
        #[arg(long, default_value_t = bohr_emu::engine::DEFAULT_MAX_BLOCK_INSNS,
              value_parser = clap::value_parser!(u32).range(1..=4096))]
        max_block_insns: u32,
        /// Executions of a block before the JIT compiles it (0: at once).
        #[arg(long, default_value_t = 0)]
        jit_threshold: u32,
        /// Seed for AT_RANDOM and getrandom.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print the IR of every translated block to stderr at exit.
        #[arg(long)]
        dump_ir: bool,
        /// Print instruction count, translation statistics and MIPS to stderr.
        #[arg(long)]
        stats: bool,
        /// Guest environment variable (repeatable); the host's is not passed.
        #[arg(long = "env", value_name = "K=V")]
        env: Vec<String>,
        /// The static guest ELF.
        program: std::path::PathBuf,
        /// Arguments for the guest.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn parse_arch(s: &str) -> Result<Arch, String> {
    s.parse::<Arch>().map_err(|e| e.to_string())
}

fn parse_engine(s: &str) -> Result<EngineKind, String> {
    s.parse::<EngineKind>()
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Sh(a) => crate::sh::main(&a),
        Command::Exec {
            arch,
            engine,
            max_insns,
            max_block_insns,
            jit_threshold,
            seed,
            dump_ir,
            stats,
            env,
            program,
            args,
        } => {
            if bohr_emu::arch::frontend_for(arch).is_none() {
                eprintln!("bohr: architecture {arch} is not supported yet");
                return 2;
            }
            let opts = ExecOptions {
                arch,
                engine,
                max_insns,
                max_block_insns,
                jit_threshold,
                seed,
                dump_ir,
                stats,
                env,
                program,
                args,
            };
            match exec(&opts) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("bohr: {e}");
                    2
                }
            }
        }
    }
}

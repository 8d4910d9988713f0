//! Command-line interface (clap). Maps subcommands to runner functions and
//! errors to exit statuses: 0 success, 1 failure, 2 usage or configuration.

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "bohr", version, about = "Deterministic test matrices of emulated guest programs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {}

pub fn main() -> i32 {
    let _cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    0
}

//! The `bohr` binary: parses the command line and hands off to the library.

fn main() {
    std::process::exit(bohr::cli::main());
}

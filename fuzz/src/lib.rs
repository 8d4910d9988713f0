//! Bohr's fuzz campaign on the stable toolchain: [`targets`] for every
//! input Bohr reads, an in-process [`engine`] (corpus, mutation, coverage
//! feedback by features, minimisation of findings) and the interp-vs-JIT
//! differential long mode, [`differential`].
//!
//! `tests/quick.rs` runs every target for a few seconds with fixed seeds
//! inside `cargo test`; the `bohr-fuzz` binary (`scripts/fuzz.sh`) runs the
//! campaign for a given time or number of executions. The committed corpus
//! (`fuzz/corpus/<target>/`) and the shrunk inputs of past findings
//! (`fuzz/regressions/<target>/`) are run first every time.

pub mod differential;
pub mod elfgen;
pub mod engine;
pub mod targets;

use std::path::PathBuf;

/// The committed corpus and regression directories of `target`.
pub fn corpus_dirs(target: &str) -> [PathBuf; 2] {
    let root = targets::text::repo_root().join("fuzz");
    [root.join("corpus").join(target), root.join("regressions").join(target)]
}

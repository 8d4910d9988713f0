//! Reports of a run: live progress, the end-of-run text (grid, failures,
//! repro commands), JUnit XML and GitHub Actions annotations. Everything
//! here renders a [`crate::results::Report`]; nothing runs cells.

pub mod end;
pub mod github;
pub mod junit;
pub mod progress;
pub mod style;
pub use crate::sanitize;
pub mod text;

use std::path::{Path, PathBuf};

use crate::matrix::Matrix;

pub use crate::paths::relative;
pub use crate::repro::repro_command;

/// The default JUnit path: `target/bohr/<matrix>.xml`, or
/// `target/bohr/<matrix>.part-K-of-N.xml` for a partition, relative to the
/// working directory.
pub fn default_junit_path(
    m: &Matrix,
    partition: Option<crate::matrix::select::Partition>,
) -> PathBuf {
    let file = match partition {
        Some(p) => format!("{}.part-{}-of-{}.xml", m.name, p.k, p.n),
        None => format!("{}.xml", m.name),
    };
    Path::new("target").join("bohr").join(file)
}

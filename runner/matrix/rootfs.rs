//! Root filesystems in matrices: `[rootfs.NAME]` definitions, the image
//! each cell resolves to, and [`open_images`], which opens every image the
//! selected cells use once, before any cell runs, so a bad image is a
//! configuration error at its place in the matrix (exit 2) and every cell
//! shares the one tree read (each cell writes to its own layer above it).
//!
//! A `rootfs` value names a definition (`[rootfs.busybox] image =
//! "PATH"`), is a path itself (holding `/`), or is `none` (Bohr's embedded
//! userland). `{arch}` in a path becomes the cell's architecture, so one
//! definition serves every arch and cell IDs stay short
//! (`armel/busybox/host/mtd_readback`). Relative paths start at the
//! matrix's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diag::{ConfigError, Diag};
use super::{Cell, Matrix};

/// A `[rootfs.NAME]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootfsDef {
    /// The image path as written (may hold `{arch}`).
    pub image: String,
    /// Where `image` is written: 1-based line and column.
    pub at: (usize, usize),
}

/// The root filesystem of one cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellRootfs {
    /// The value as the matrix wrote it (a definition's name or a path).
    pub name: String,
    /// The image file or directory, `{arch}` substituted, relative paths
    /// joined to the matrix's directory.
    pub path: PathBuf,
    /// Where the path is written (the definition's `image`, or the value).
    pub at: (usize, usize),
}

/// The value that means "no rootfs".
pub const NONE: &str = "none";

/// The path of `template` for `arch`, relative to the matrix in `dir`.
pub fn image_path(dir: &Path, template: &str, arch: &str) -> PathBuf {
    dir.join(template.replace("{arch}", arch))
}

/// Open, once each, the images `cells` use, and keep them in
/// `m.images`. Every bad image is reported, at the place in the matrix
/// that names it, with the image file and the reason.
pub fn open_images(m: &Matrix, cells: &[&Cell]) -> Result<(), ConfigError> {
    // Path → where it is named and by which cells, in path order.
    let mut users: BTreeMap<&Path, (&CellRootfs, Vec<&str>)> = BTreeMap::new();
    for c in cells {
        if let Some(r) = &c.settings.rootfs {
            users.entry(&r.path).or_insert_with(|| (r, Vec::new())).1.push(&c.id);
        }
    }
    if users.is_empty() {
        return Ok(());
    }
    match bohr_rootfs::validate(users.keys(), bohr_rootfs::Limits::default()) {
        Ok(set) => {
            // A second call (the same selection, say) keeps the first set.
            let _ = m.images.set(set);
            Ok(())
        }
        Err(errors) => {
            let diags = errors
                .iter()
                .map(|e| {
                    let (r, ids) = users
                        .get(e.file())
                        .map_or((None, Vec::new()), |(r, ids)| (Some(*r), ids.clone()));
                    let used_by = match ids.as_slice() {
                        [] => String::new(),
                        [one] => format!(" (used by {one})"),
                        [first, rest @ ..] => {
                            format!(" (used by {first} and {} more)", rest.len())
                        }
                    };
                    let message = format!(
                        "bad rootfs image{}: {e}{used_by}",
                        r.map(|r| format!(" `{}`", r.name)).unwrap_or_default()
                    );
                    Diag { file: m.display_path(), line: r.map(|r| r.at), message }
                })
                .collect();
            Err(ConfigError { diags })
        }
    }
}

/// The opened image of `cell`, if it has a rootfs.
pub fn image_of(m: &Matrix, cell: &Cell) -> Result<Option<bohr_rootfs::Image>, String> {
    let Some(r) = &cell.settings.rootfs else { return Ok(None) };
    m.images
        .get()
        .and_then(|set| set.get(&r.path))
        .cloned()
        .map(Some)
        .ok_or_else(|| format!("rootfs image {} was not opened before the run", r.path.display()))
}

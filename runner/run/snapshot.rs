//! Cell snapshots in insta's `.snap` format, one file per cell under
//! `<matrix dir>/snapshots/<matrix name>/`.
//!
//! The body holds only deterministic text (script, exit status, stdout,
//! stderr, events); instruction counts and the fingerprint go into the
//! snapshot's `info` metadata. Writing goes through insta's own assertion
//! so `.snap.new` files, `INSTA_UPDATE` and `cargo insta review/accept`
//! behave exactly as for Rust tests. insta's settings are thread-local and
//! a mismatch panics, so each call binds its own settings and catches the
//! panic; the verdict and the diff are computed here.

use std::path::{Path, PathBuf};

use insta::internals::Content;
use insta::{Snapshot, TextSnapshotKind, internals::TextSnapshotContents};

use bohr_emu::machine::Outcome;

use super::panic;
use crate::matrix::{Cell, Matrix, Script};
use crate::sanitize::escape_bytes;

pub use crate::matrix::file_stem;

/// Raw bytes of one stream a snapshot body holds in full; a longer
/// stream keeps its first and last half of this around a line giving its
/// length and digest. Escaping can multiply the size, so the bound is
/// what keeps a `.snap` (and a `.snap.new`) small.
pub const SNAPSHOT_STREAM_BYTES: usize = 1 << 20;

/// [`escape_bytes`] of a stream, bounded to [`SNAPSHOT_STREAM_BYTES`].
fn bounded_escaped(bytes: &[u8]) -> String {
    if bytes.len() <= SNAPSHOT_STREAM_BYTES {
        return escape_bytes(bytes);
    }
    let half = SNAPSHOT_STREAM_BYTES / 2;
    let mut h = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut h, bytes);
    format!(
        "{}\n[... {} of {} bytes left out; FNV-1a digest of the whole stream {:#018x} ...]\n{}",
        escape_bytes(&bytes[..half]),
        bytes.len() - 2 * half,
        bytes.len(),
        std::hash::Hasher::finish(&h),
        escape_bytes(&bytes[bytes.len() - half..])
    )
}

/// The snapshot body of a finished run.
pub fn body(script: &Script, o: &Outcome) -> String {
    fn section(out: &mut String, title: &str, bytes: &[u8]) {
        out.push_str(&format!("--- {title}\n"));
        let text = bounded_escaped(bytes);
        out.push_str(&text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push_str("\n\\ no newline at end\n");
        }
    }
    let mut out = format!("script: {}\nexit: {}\n", script.name, o.exit_code);
    section(&mut out, "script", script.text.as_bytes());
    section(&mut out, "stdout", &o.stdout);
    section(&mut out, "stderr", &o.stderr);
    out.push_str("--- events\n");
    for e in &o.events {
        out.push_str(&escape_bytes(e.to_string().as_bytes()));
        out.push('\n');
    }
    out
}

/// Metadata: counts and the fingerprint (deterministic, but not part of
/// what a snapshot asserts).
pub fn info(cell: &Cell, seed: u64, o: &Outcome) -> Content {
    let s = |x: &str| Content::from(x);
    let procs = o
        .processes
        .iter()
        .map(|p| {
            Content::Map(vec![
                (s("pid"), Content::from(p.pid)),
                (s("name"), Content::from(p.name.clone())),
                (s("insns"), Content::from(p.insns)),
            ])
        })
        .collect();
    Content::Map(vec![
        (s("cell"), Content::from(cell.id.clone())),
        (s("seed"), Content::from(seed)),
        (s("insns"), Content::from(o.stats.insns)),
        (s("blocks_translated"), Content::from(o.stats.blocks_translated)),
        (s("fingerprint"), Content::from(format!("{:#018x}", o.fingerprint))),
        (s("processes"), Content::Seq(procs)),
    ])
}

/// Where and how a matrix's snapshots are stored.
#[derive(Clone, Debug)]
pub struct Store {
    /// Absolute snapshot directory.
    pub dir: PathBuf,
    /// Project root, insta's "workspace" (paths in metadata are relative
    /// to it).
    pub root: PathBuf,
    /// Absolute matrix path (insta records it relative to `root`).
    pub matrix: PathBuf,
    pub description: Option<String>,
    /// Accept changes in place (`--update-snapshots`).
    pub update: bool,
}

pub use crate::results::Verdict;

impl Store {
    pub fn new(m: &Matrix, update: bool) -> Store {
        let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let matrix = abs(&m.path);
        let dir = matrix.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Store {
            dir: dir.join("snapshots").join(&m.name),
            root: m.root.clone(),
            matrix,
            description: m.description.clone(),
            update,
        }
    }

    pub fn path(&self, cell: &Cell) -> PathBuf {
        self.dir.join(format!("{}.snap", file_stem(&cell.id)))
    }

    /// The stored body, normalised as insta compares it.
    pub fn load(&self, cell: &Cell) -> Option<String> {
        let p = self.path(cell);
        if !p.is_file() {
            return None;
        }
        let snap = Snapshot::from_file(&p).ok()?;
        snap.as_text().map(|t| t.to_string())
    }

    /// Compare `body` with the stored snapshot `old` and let insta write
    /// the `.snap` (update) or `.snap.new` (review) as configured.
    pub fn assert(
        &self,
        cell: &Cell,
        body: &str,
        info: &Content,
        old: Option<&str>,
    ) -> Result<Verdict, String> {
        let new_norm = normalise(body);
        let matched = old.is_some_and(|o| o == new_norm);
        let mut settings = insta::Settings::new();
        settings.set_snapshot_path(&self.dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_input_file(&self.matrix);
        settings.set_description(match &self.description {
            Some(d) => format!("cell {}: {d}", cell.id),
            None => format!("cell {}", cell.id),
        });
        settings.set_raw_info(info);
        let name = file_stem(&cell.id);
        let matrix = self.matrix.to_string_lossy().into_owned();
        let line = u32::try_from(cell.line).unwrap_or(0);
        // A mismatch panics inside insta (after writing any pending file);
        // that is the expected path, so the panic is caught and ignored:
        // the verdict comes from the comparison above.
        let io = panic::catch(|| {
            settings.bind(|| {
                insta::_macro_support::assert_snapshot(
                    (name.as_str(), body).into(),
                    &self.root,
                    "cell",
                    "bohr",
                    &matrix,
                    line,
                    "cell",
                )
            })
        });
        if let Ok(Err(e)) = io {
            return Err(format!("cannot write snapshot for {}: {e}", cell.id));
        }
        if matched {
            return Ok(Verdict::Matched);
        }
        let pending_path = self.dir.join(format!("{name}.snap.new"));
        if self.update {
            // insta writes the `.snap` in place but leaves an older pending
            // file; it is stale now.
            let _ = std::fs::remove_file(&pending_path);
            return Ok(Verdict::Updated);
        }
        let pending = pending_path.is_file().then_some(pending_path);
        Ok(match old {
            Some(o) => Verdict::Mismatch { diff: diff(o, &new_norm), pending },
            None => Verdict::Missing { pending },
        })
    }
}

/// insta's normalisation of a file snapshot body.
pub fn normalise(body: &str) -> String {
    TextSnapshotContents::new(body.to_string(), TextSnapshotKind::File).to_string()
}

/// Unified diff, stored snapshot → this run.
pub fn diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header("stored snapshot", "this run")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_follow_insta_and_stay_safe() {
        assert_eq!(file_stem("riscv64/host/mtd_readback"), "riscv64__host__mtd_readback");
        assert_eq!(file_stem("a b/quantum=97"), "a_b__quantum=97");
    }

    #[test]
    fn long_streams_are_bounded_with_a_digest() {
        let big = vec![0u8; 3 * SNAPSHOT_STREAM_BYTES];
        let text = bounded_escaped(&big);
        // Every NUL escapes to four characters; the whole would be 12 MiB.
        assert!(text.len() < 5 * SNAPSHOT_STREAM_BYTES, "{}", text.len());
        assert!(text.contains(&format!(
            "{} of {} bytes left out",
            2 * SNAPSHOT_STREAM_BYTES,
            big.len()
        )));
        assert!(text.contains("FNV-1a digest"));
        assert_eq!(bounded_escaped(b"short\x00"), "short\\x00");
    }

    #[test]
    fn diffs_are_unified() {
        let d = diff("a\nb\nc\n", "a\nB\nc\n");
        assert!(d.contains("--- stored snapshot"), "{d}");
        assert!(d.contains("-b\n") && d.contains("+B\n"), "{d}");
    }
}

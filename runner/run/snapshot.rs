//! Cell snapshots in insta's `.snap` format, one file per cell under
//! `<matrix dir>/snapshots/<matrix name>/`.
//!
//! The body holds only deterministic text (script, exit status, stdout,
//! stderr, events); instruction counts and the fingerprint go into the
//! snapshot's `info` metadata.
//!
//! Two halves, as nextest splits running from reporting: the scheduler
//! grades a run against the stored body with [`Store::verdict`], a pure
//! comparison that touches no file; [`Writer`] is a reporter that writes
//! the files when it hears a cell's first run finish. Writing goes through
//! insta's own assertion so `.snap.new` files, `INSTA_UPDATE` and `cargo
//! insta review/accept` behave exactly as for Rust tests. insta's settings
//! are thread-local and a mismatch panics, so each write binds its own
//! settings and catches the panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use insta::internals::Content;
use insta::{Snapshot, TextSnapshotKind, internals::TextSnapshotContents};

use bohr_emu::machine::Outcome;

use super::panic;
use crate::events::{Event, Reporter};
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
    /// The matrix's description, recorded in every snapshot.
    pub description: Option<String>,
    /// Accept changes in place (`--update-snapshots`).
    pub update: bool,
}

pub use crate::results::Verdict;

impl Store {
    /// The store of matrix `m` (`update`: `--update-snapshots`).
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

    /// The `.snap` file of `cell`.
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

    /// Grade `body` against the stored (normalised) body `old`. Pure: the
    /// files are written by [`Writer`], after the run is reported.
    pub fn verdict(&self, body: &str, old: Option<&str>) -> Verdict {
        let now = normalise(body);
        match old {
            Some(o) if o == now => Verdict::Matched,
            _ if self.update => Verdict::Updated,
            Some(o) => Verdict::Mismatch { diff: diff(o, &now) },
            None => Verdict::Missing,
        }
    }

    /// Let insta write the `.snap` (update, or refreshed metadata) or the
    /// `.snap.new` (review) for `body`, as configured. Returns the pending
    /// file left for review, if there is one.
    pub fn write(
        &self,
        cell: &Cell,
        body: &str,
        info: &Content,
        verdict: &Verdict,
    ) -> Result<Option<PathBuf>, String> {
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
        // the verdict came from `verdict`.
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
        let pending = self.dir.join(format!("{name}.snap.new"));
        match verdict {
            Verdict::Matched => Ok(None),
            Verdict::Updated => {
                // insta writes the `.snap` in place but leaves an older
                // pending file; it is stale now.
                let _ = std::fs::remove_file(&pending);
                Ok(None)
            }
            Verdict::Mismatch { .. } | Verdict::Missing => Ok(pending.is_file().then_some(pending)),
        }
    }
}

/// The reporter that writes snapshot files: on each cell's first run
/// (`CellFinished` with run 0 and a body), [`Store::write`]; at
/// `RunFinished`, one line per pending file and per write error, in
/// schedule order. A write error makes the run's exit status 2: the
/// cell's own result is already final and does not depend on the host's
/// file system.
pub struct Writer {
    store: Store,
    /// Print to stderr (the JSON message stream owns stdout).
    to_stderr: bool,
    written: Mutex<BTreeMap<usize, Result<PathBuf, String>>>,
}

impl Writer {
    /// A writer into `store`; messages to stderr when `to_stderr`.
    pub fn new(store: Store, to_stderr: bool) -> Writer {
        Writer { store, to_stderr, written: Mutex::new(BTreeMap::new()) }
    }

    /// 2 if a snapshot could not be written, else 0.
    pub fn exit_code(&self) -> i32 {
        let failed = self.written.lock().map_or(true, |w| w.values().any(Result::is_err));
        if failed { 2 } else { 0 }
    }
}

impl Reporter for Writer {
    fn handle(&self, event: &Event<'_, '_>) {
        match event {
            Event::CellFinished { cell, record, job, .. } if record.run == 0 => {
                let (Some(body), Some(o), Some(verdict)) =
                    (&record.body, &record.outcome, &record.snapshot)
                else {
                    return;
                };
                let info = info(cell, record.seed, o);
                let result = match self.store.write(cell, body, &info, verdict) {
                    Ok(None) => return,
                    Ok(Some(p)) => Ok(p),
                    Err(e) => Err(e),
                };
                if let Ok(mut w) = self.written.lock() {
                    w.insert(*job, result);
                }
            }
            Event::RunFinished { .. } => {
                let Ok(w) = self.written.lock() else { return };
                for result in w.values() {
                    match result {
                        Ok(p) => {
                            let line = format!(
                                "new snapshot left at {} (review with `cargo insta review`, \
                                 or rerun with --update-snapshots)",
                                crate::paths::relative(p)
                            );
                            if self.to_stderr {
                                eprintln!("{line}");
                            } else {
                                println!("{line}");
                            }
                        }
                        Err(e) => eprintln!("bohr: error: {e}"),
                    }
                }
            }
            _ => {}
        }
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

//! The file handling `bohr`'s on-disk caches share: where they live,
//! hashing a file as it streams by, writing an entry so that readers see
//! the old file or the new one whole, and keeping a directory under a size
//! by dropping what was used least recently.
//!
//! Used by the decoded-image cache (`cache`) and the JIT's code store
//! (`bohr_emu::jit::store`).

use std::fs::{File, Permissions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use xxhash_rust::xxh3::Xxh3Default;

/// Temporary files end with this; a directory's eviction removes those a
/// run that died while writing left behind.
const TMP_SUFFIX: &str = ".tmp";

/// A live write is seconds old at most.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// The directory `bohr` keeps its caches in (decoded images, compiled
/// code), as the environment asks: `BOHR_CACHE_DIR` (`off` or empty: none),
/// else `$XDG_CACHE_HOME/bohr`, else `$HOME/.cache/bohr`, else none.
pub fn cache_root_from_env() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    match std::env::var_os("BOHR_CACHE_DIR") {
        Some(v) if v.is_empty() || v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => match (var("XDG_CACHE_HOME"), var("HOME")) {
            (Some(x), _) => Some(PathBuf::from(x).join("bohr")),
            (None, Some(h)) => Some(PathBuf::from(h).join(".cache").join("bohr")),
            (None, None) => None,
        },
    }
}

/// Feed the rest of `r` to `h`, a MiB at a time, so a large file is never
/// held whole.
pub fn hash_rest(h: &mut Xxh3Default, r: &mut impl Read) -> io::Result<()> {
    let mut buf = vec![0; 1 << 20];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Write `bytes` to `path` through a temporary file beside it, renamed over
/// it: concurrent runs never read half a file. With `perms`, the file gets
/// exactly those permissions, whatever the umask.
pub fn write_atomically(path: &Path, bytes: &[u8], perms: Option<Permissions>) -> io::Result<()> {
    // Unique per process and write: two threads may write one path.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.{}.{n}{TMP_SUFFIX}", std::process::id()));
    let written = File::create(&tmp).and_then(|mut f| {
        if let Some(p) = perms {
            f.set_permissions(p)?;
        }
        f.write_all(bytes)
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// Drop the files of `dir` whose names end with `suffix`, least recently
/// modified first, until the rest fit `max_bytes`; and temporary files
/// (see [`write_atomically`]) an interrupted run left over an hour ago.
pub fn evict_least_recent(dir: &Path, suffix: &str, max_bytes: u64) -> io::Result<()> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let meta = e.metadata()?;
        if name.to_string_lossy().ends_with(TMP_SUFFIX) {
            if meta.modified()?.elapsed().unwrap_or_default() > STALE_TMP {
                let _ = std::fs::remove_file(e.path());
            }
            continue;
        }
        if !name.to_string_lossy().ends_with(suffix) {
            continue;
        }
        entries.push((meta.modified()?, meta.len(), e.path()));
    }
    let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
    // Oldest first; paths break ties so the order is fixed.
    entries.sort();
    for (_, len, path) in entries {
        if total <= max_bytes {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_and_eviction_keeps_the_newest() {
        let dir = std::env::temp_dir().join(format!("bohr-cache-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let old = dir.join("a.entry");
        write_atomically(&old, b"first", None).unwrap();
        write_atomically(&old, b"second", None).unwrap();
        assert_eq!(std::fs::read(&old).unwrap(), b"second");
        let new = dir.join("b.entry");
        write_atomically(&new, b"newer", None).unwrap();
        let past = std::time::SystemTime::now() - Duration::from_secs(60);
        File::options().append(true).open(&old).unwrap().set_modified(past).unwrap();
        std::fs::write(dir.join("other"), b"not an entry").unwrap();
        evict_least_recent(&dir, ".entry", 5).unwrap();
        let mut left: Vec<_> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        left.sort();
        assert_eq!(left, ["b.entry", "other"], "the older entry went, nothing else");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

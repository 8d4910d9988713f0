//! The file handling `bohr`'s on-disk caches share: where they live,
//! hashing a file as it streams by (and remembering the hash of a file
//! that has not changed since), writing an entry so that readers see the
//! old file or the new one whole, and keeping a directory under a size by
//! dropping what was used least recently.
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

/// How long a file must have been left alone before its hash is
/// remembered: file times advance in ticks, so a file written again within
/// the tick of its last write, to the same size, keeps its stamp. Past a
/// tick (2 s covers every file system's), any later write shows.
pub const SETTLE: Duration = Duration::from_secs(2);

/// XXH3-128 of the bytes of the file at `path`, remembered in the memo
/// file `memo` (its newest `keep` files) under the file's identity and
/// change stamp: device, inode, size, and modification and status-change
/// times to the nanosecond. Any write to the file, or its replacement,
/// changes the stamp, so an unchanged file is not read again: hashing a
/// firmware image of tens of MiB on every run cost milliseconds before its
/// decoded tree could even be looked up. A file changed in the last
/// [`SETTLE`] is hashed but not remembered, and a memo another user could
/// have written is ignored ([`private`]). `None` when the file cannot be
/// read, or changed while it was.
pub fn hash_of_file(path: &Path, memo: &Path, keep: usize) -> Option<u128> {
    hash_of_settled_file(path, memo, keep, SETTLE)
}

fn hash_of_settled_file(path: &Path, memo: &Path, keep: usize, settle: Duration) -> Option<u128> {
    use std::os::unix::fs::MetadataExt;
    // Identity and change times; the line of the memo it keys starts with
    // it and a space.
    let stamp = |m: &std::fs::Metadata| {
        let (mtime, ctime) = ((m.mtime(), m.mtime_nsec()), (m.ctime(), m.ctime_nsec()));
        let text = format!(
            "{} {} {} {}.{} {}.{} ",
            m.dev(),
            m.ino(),
            m.len(),
            mtime.0,
            mtime.1,
            ctime.0,
            ctime.1
        );
        (text, mtime.max(ctime))
    };
    let (before, _) = stamp(&std::fs::metadata(path).ok()?);
    let known = File::open(memo)
        .ok()
        .filter(private)
        .and_then(|mut f| {
            let mut text = String::new();
            f.read_to_string(&mut text).ok().map(|_| text)
        })
        .unwrap_or_default();
    let found = known.lines().find_map(|l| l.strip_prefix(&before));
    if let Some(hash) =
        found.filter(|h| h.len() == 32).and_then(|h| u128::from_str_radix(h, 16).ok())
    {
        return Some(hash);
    }
    let mut h = Xxh3Default::new();
    hash_rest(&mut h, &mut File::open(path).ok()?).ok()?;
    let (after, (secs, nanos)) = stamp(&std::fs::metadata(path).ok()?);
    if after != before {
        return None;
    }
    let hash = h.digest128();
    let changed = std::time::UNIX_EPOCH
        + Duration::new(u64::try_from(secs).unwrap_or(0), u32::try_from(nanos).unwrap_or(0));
    if changed.elapsed().unwrap_or_default() < settle {
        return Some(hash);
    }
    let line = format!("{before}{hash:032x}");
    let mut lines: Vec<&str> = known.lines().filter(|l| !l.starts_with(&before)).collect();
    lines.push(&line);
    let kept = &lines[lines.len().saturating_sub(keep)..];
    if let Some(dir) = memo.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = write_private(memo, (kept.join("\n") + "\n").as_bytes());
    Some(hash)
}

/// Whether `file` was written by this user and no one else may write it:
/// what a cache holds that decides what `bohr` runs (machine code, which
/// entry serves a file) is never taken from a file another user could have
/// written (a shared or world-writable cache directory).
pub fn private(file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    file.metadata().is_ok_and(|m| m.uid() == me && m.mode() & 0o022 == 0)
}

/// Write `bytes` to `path` atomically, writable by this user only whatever
/// the umask lets groups do, so that [`private`] accepts it.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    write_atomically(path, bytes, Some(Permissions::from_mode(0o644)))
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
    fn a_file_hash_is_remembered_until_the_file_changes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("bohr-hash-memo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (file, memo) = (dir.join("image"), dir.join("memo/hashes"));
        std::fs::write(&file, b"first bytes").unwrap();
        let first = xxhash_rust::xxh3::xxh3_128(b"first bytes");
        // Just written: hashed, not remembered.
        assert_eq!(hash_of_file(&file, &memo, 4), Some(first));
        assert!(!memo.exists());
        // Remembered once settled (here at once).
        let hash_of_file = |f: &Path, m: &Path, k| hash_of_settled_file(f, m, k, Duration::ZERO);
        assert_eq!(hash_of_file(&file, &memo, 4), Some(first));
        // The memo answers while the file is unchanged: a hash planted in
        // it comes back, so the file was not read again.
        let text = std::fs::read_to_string(&memo).unwrap();
        let planted = text.replace(&format!("{first:032x}"), &format!("{:032x}", 7u128));
        write_private(&memo, planted.as_bytes()).unwrap();
        assert_eq!(hash_of_file(&file, &memo, 4), Some(7));
        // Not from a memo others may write.
        std::fs::set_permissions(&memo, Permissions::from_mode(0o666)).unwrap();
        assert_eq!(hash_of_file(&file, &memo, 4), Some(first));
        // Written again: hashed again.
        std::fs::write(&file, b"other bytes!").unwrap();
        let other = xxhash_rust::xxh3::xxh3_128(b"other bytes!");
        assert_eq!(hash_of_file(&file, &memo, 4), Some(other));
        // The memo keeps its newest files only, one line each.
        for i in 0..6 {
            let f = dir.join(format!("f{i}"));
            std::fs::write(&f, [i as u8]).unwrap();
            hash_of_file(&f, &memo, 4).unwrap();
        }
        assert_eq!(std::fs::read_to_string(&memo).unwrap().lines().count(), 4);
        assert_eq!(hash_of_file(&dir.join("missing"), &memo, 4), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

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

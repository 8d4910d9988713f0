//! Decoded images kept on disk between runs, so an image file that has not
//! changed is not decompressed again: an xz squashfs of a few MiB takes
//! tens of milliseconds to decode on every `bohr` invocation, a real
//! firmware image seconds.
//!
//! An entry is keyed by the image file's bytes (XXH3-128 of all of them),
//! the [`Limits`] it was read under and this crate's version: another
//! file, even at the same path, never matches, and a tree read under other
//! caps is read again (the caps decide whether an image opens at all). It
//! holds the frozen tree exactly (inodes in order, shared file bytes once),
//! so an image read from the cache is equal to one decoded afresh
//! (`tests::cached_tree_equals_decoded`), and nothing a guest sees depends
//! on whether the cache was used.
//!
//! The cache is best-effort: an entry that is missing, truncated, damaged
//! (its checksum or its structure is wrong) or written by another version
//! is ignored and the image decoded again; failing to write one is silent.
//! Entries are written to a temporary file and renamed, so concurrent runs
//! never read half an entry, and never written in place: a loaded entry
//! is mapped, not read, and its files' bytes are ranges of the mapping
//! ([`FileData`]), which must not change under it. Long files lie on pages
//! of the entry ([`ALIGNED_FILE_MIN`]) so that the guest can map them
//! from it too. The directory is kept under
//! [`ImageCache::DEFAULT_MAX_BYTES`] by dropping the entries least recently
//! used. Directories are never cached: they are cheap to read and may
//! change under the same bytes of nothing.
//!
//! A program opts in with [`ImageCache::set_for_process`] (`bohr` does, with
//! [`ImageCache::from_env`]: `BOHR_CACHE_DIR` names the cache's parent
//! directory, `off` or empty turns it off, else `$XDG_CACHE_HOME/bohr`,
//! else `$HOME/.cache/bohr`); without it nothing is cached.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use xxhash_rust::xxh3::{Xxh3Default, xxh3_128};

use crate::cache_files::{self, cache_root_from_env};
use crate::data::{FileData, HOST_PAGE, MappedEntry};
use crate::detect::{self, Outer};
use crate::tree::{DirEntry, Inode, InodeId, Meta, NodeKind, Tree};
use crate::{Compression, Format, Limits};

/// First bytes of an entry; the number is the layout's version.
const MAGIC: &[u8; 8] = b"BOHRIMG2";
/// Header: magic, key (16), payload length (8), payload checksum (16).
const HEADER_LEN: usize = 8 + 16 + 8 + 16;
/// Files at least this long start on a page of the entry and are padded
/// with zeros to the end of their last one, so that the kernel's VFS can
/// map them straight from the entry ([`FileData::host_file`]); shorter
/// ones are copied when mapped, which costs less than the padding.
const ALIGNED_FILE_MIN: usize = 16 << 10;
/// The memo of image files' hashes, beside the entries, and how many
/// images it remembers.
const HASHES: &str = "hashes";
const MEMO_IMAGES: usize = 256;

/// Where decoded images are kept, and how much of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageCache {
    dir: PathBuf,
    max_bytes: u64,
}

impl ImageCache {
    /// Bytes of entries kept before the least recently used are dropped.
    pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

    /// A cache of entries in `dir` (created when first written), holding
    /// at most `max_bytes` of them.
    pub fn new(dir: impl Into<PathBuf>, max_bytes: u64) -> ImageCache {
        ImageCache { dir: dir.into(), max_bytes }
    }

    /// The cache the environment asks for (see the module documentation),
    /// or `None` when it is turned off or there is no home to keep it in.
    pub fn from_env() -> Option<ImageCache> {
        let parent = cache_root_from_env()?;
        Some(ImageCache::new(parent.join("images"), ImageCache::DEFAULT_MAX_BYTES))
    }

    /// The directory entries are kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of the image file at `path` read under `limits`, or `None`
    /// when it is not worth keeping: an uncompressed archive parses as
    /// fast as an entry would load (and bytes `classify` refuses are read
    /// afresh, for their error). The bytes are hashed as they stream by,
    /// so a large image is never held whole, and the hash is remembered
    /// in the file `hashes` beside the entries while the file does not
    /// change ([`cache_files::hash_of_file`], the newest 256 images).
    pub(crate) fn key_of_file(&self, path: &Path, limits: Limits) -> io::Result<Option<[u8; 16]>> {
        let head = detect::read_head(&mut File::open(path)?, 2048)?;
        if !matches!(detect::classify(path, &head), Ok(Outer::Gzip | Outer::Xz | Outer::Squashfs)) {
            return Ok(None);
        }
        let content = cache_files::hash_of_file(path, &self.dir.join(HASHES), MEMO_IMAGES);
        Ok(content.map(|c| ImageCache::key(c, limits)))
    }

    /// The key of an image file whose bytes hash (XXH3-128) to `content`.
    fn key(content: u128, limits: Limits) -> [u8; 16] {
        let mut h = Xxh3Default::new();
        h.update(MAGIC);
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(&limits.max_bytes.to_le_bytes());
        h.update(&limits.max_entries.to_le_bytes());
        h.update(&content.to_le_bytes());
        h.digest128().to_le_bytes()
    }

    fn path_of(&self, key: &[u8; 16]) -> PathBuf {
        let name: String = key.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.tree"))
    }

    /// The tree kept under `key`, if there is a sound one. The entry is
    /// mapped, not read: its files' bytes stay in the host's page cache,
    /// shared with every run that maps them, instead of being copied into
    /// fresh memory (which a busybox image made a few milliseconds of each
    /// `bohr` invocation).
    pub(crate) fn load(&self, key: &[u8; 16]) -> Option<Tree> {
        let path = self.path_of(key);
        let file = File::open(&path).ok()?;
        let tree = match MappedEntry::map(file.try_clone().ok()?) {
            Ok(entry) => {
                let entry = Arc::new(entry);
                let map = |at, len, pages| FileData::mapped(&entry, at, len, pages);
                decode_entry(entry.bytes(), key, map)?
            }
            // A file system that cannot map files: read the entry instead.
            Err(_) => {
                let mut bytes = Vec::new();
                (&file).read_to_end(&mut bytes).ok()?;
                decode_entry(&bytes, key, |at, len, _| FileData::from(&bytes[at..at + len]))?
            }
        };
        // Recently used: eviction drops the oldest modification times.
        if let Ok(f) = File::options().append(true).open(&path) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
        Some(tree)
    }

    /// Keep `tree` under `key`; failures are ignored (the cache is only a
    /// shortcut).
    pub(crate) fn store(&self, key: &[u8; 16], tree: &Tree) {
        let _ = self.try_store(key, tree);
    }

    fn try_store(&self, key: &[u8; 16], tree: &Tree) -> io::Result<()> {
        let entry = encode_entry(tree, key);
        if entry.len() as u64 > self.max_bytes {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)?;
        cache_files::write_atomically(&self.path_of(key), &entry, None)?;
        cache_files::evict_least_recent(&self.dir, ".tree", self.max_bytes)
    }
}

fn format_code(f: Format) -> u8 {
    let c = |c: Compression| match c {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Xz => 2,
    };
    match f {
        Format::Directory => 0,
        Format::Squashfs => 1,
        Format::Tar(x) => 0x10 | c(x),
        Format::Cpio(x) => 0x20 | c(x),
    }
}

fn format_of(code: u8) -> Option<Format> {
    let c = match code & 0xf {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Xz,
        _ => return None,
    };
    Some(match code {
        0 => Format::Directory,
        1 => Format::Squashfs,
        0x10..=0x12 => Format::Tar(c),
        0x20..=0x22 => Format::Cpio(c),
        _ => return None,
    })
}

/// The entry for `tree`: header, then the payload.
fn encode_entry(tree: &Tree, key: &[u8; 16]) -> Vec<u8> {
    let mut p = Vec::new();
    p.push(format_code(tree.format));
    put_u32s(&mut p, &[tree.inodes.len() as u32]);
    for inode in tree.inodes.iter() {
        let m = inode.meta;
        let tag = match &inode.kind {
            NodeKind::File(_) => 0,
            NodeKind::Dir { .. } => 1,
            NodeKind::Symlink(_) => 2,
            NodeKind::CharDevice { .. } => 3,
            NodeKind::BlockDevice { .. } => 4,
            NodeKind::Fifo => 5,
            NodeKind::Socket => 6,
        };
        p.push(tag);
        put_u32s(&mut p, &[m.perm, m.uid, m.gid, inode.nlink]);
        p.extend_from_slice(&m.mtime.to_le_bytes());
        match &inode.kind {
            NodeKind::File(data) => put_file(&mut p, data),
            NodeKind::Dir { entries, parent } => {
                put_u32s(&mut p, &[parent.0, entries.len() as u32]);
                for e in entries.iter() {
                    put_bytes(&mut p, &e.name);
                    put_u32s(&mut p, &[e.inode.0]);
                }
            }
            NodeKind::Symlink(target) => put_bytes(&mut p, target),
            NodeKind::CharDevice { major, minor } | NodeKind::BlockDevice { major, minor } => {
                put_u32s(&mut p, &[*major, *minor])
            }
            NodeKind::Fifo | NodeKind::Socket => {}
        }
    }
    let mut out = Vec::with_capacity(HEADER_LEN + p.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(key);
    out.extend_from_slice(&(p.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxh3_128(&p).to_le_bytes());
    out.extend_from_slice(&p);
    out
}

fn put_u32s(p: &mut Vec<u8>, vs: &[u32]) {
    vs.iter().for_each(|v| p.extend_from_slice(&v.to_le_bytes()));
}

/// A file's bytes: their length, the zeros before and after them, then
/// the zeros and bytes. A long file starts on a page of the entry (the
/// header comes first) and ends with its last page: see
/// [`ALIGNED_FILE_MIN`].
fn put_file(p: &mut Vec<u8>, b: &[u8]) {
    let (lead, tail) = if b.len() >= ALIGNED_FILE_MIN {
        let start = HEADER_LEN + p.len() + 3 * 8;
        (start.next_multiple_of(HOST_PAGE) - start, b.len().next_multiple_of(HOST_PAGE) - b.len())
    } else {
        (0, 0)
    };
    put_u64s(p, &[b.len() as u64, lead as u64, tail as u64]);
    p.resize(p.len() + lead, 0);
    p.extend_from_slice(b);
    p.resize(p.len() + tail, 0);
}

fn put_u64s(p: &mut Vec<u8>, vs: &[u64]) {
    vs.iter().for_each(|v| p.extend_from_slice(&v.to_le_bytes()));
}

/// Bytes with their length first.
fn put_bytes(p: &mut Vec<u8>, b: &[u8]) {
    p.extend_from_slice(&(b.len() as u64).to_le_bytes());
    p.extend_from_slice(b);
}

/// A reader over an entry that fails, rather than panics, past its end.
/// `at` is where the rest starts in the entry.
struct Reader<'a> {
    rest: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], at: usize) -> Reader<'a> {
        Reader { rest: bytes, at }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        self.at += n;
        Some(head)
    }

    /// Zeros, `n` of them.
    fn zeros(&mut self, n: usize) -> Option<()> {
        self.take(n)?.iter().all(|&b| b == 0).then_some(())
    }

    /// A file written by [`put_file`]: where its bytes start in the entry,
    /// how many there are, and whether they lie on whole pages of it (they
    /// start on one and zeros follow them to the end of their last).
    fn file(&mut self) -> Option<(usize, usize, bool)> {
        let len = usize::try_from(self.u64()?).ok()?;
        let lead = usize::try_from(self.u64()?).ok()?;
        let tail = usize::try_from(self.u64()?).ok()?;
        if lead >= HOST_PAGE || tail >= HOST_PAGE {
            return None;
        }
        self.zeros(lead)?;
        let start = self.at;
        self.take(len)?;
        self.zeros(tail)?;
        let pages = start.is_multiple_of(HOST_PAGE) && self.at.is_multiple_of(HOST_PAGE);
        Some((start, len, pages))
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }
}

/// The tree of an entry, if its header matches `key` and its payload is
/// sound: the checksum agrees and every inode reference, directory and
/// name is one the readers could have built (so lookups cannot fail on a
/// damaged entry that slipped past the checksum).
fn decode_entry(
    entry: &[u8],
    key: &[u8; 16],
    file: impl Fn(usize, usize, bool) -> FileData,
) -> Option<Tree> {
    let mut r = Reader::new(entry, 0);
    if r.take(8)? != MAGIC || r.take(16)? != key {
        return None;
    }
    let len = usize::try_from(r.u64()?).ok()?;
    let sum = u128::from_le_bytes(r.take(16)?.try_into().ok()?);
    let payload = r.take(len)?;
    if !r.rest.is_empty() || xxh3_128(payload) != sum {
        return None;
    }
    let mut r = Reader::new(payload, HEADER_LEN);
    let format = format_of(r.u8()?)?;
    let count = r.u32()?;
    let mut inodes = Vec::with_capacity((count as usize).min(payload.len() / 25));
    for _ in 0..count {
        let tag = r.u8()?;
        let (perm, uid, gid, nlink) = (r.u32()?, r.u32()?, r.u32()?, r.u32()?);
        let mtime = r.u64()? as i64;
        let id = |v: u32| (v < count).then_some(InodeId(v));
        let kind = match tag {
            0 => {
                let (start, len, pages) = r.file()?;
                NodeKind::File(file(start, len, pages))
            }
            1 => {
                let parent = id(r.u32()?)?;
                let n = r.u32()?;
                let mut entries: Vec<DirEntry> =
                    Vec::with_capacity((n as usize).min(r.rest.len() / 12));
                for _ in 0..n {
                    let name = r.bytes()?;
                    let bad = name.is_empty() || name.contains(&b'/') || name.contains(&0);
                    if bad || entries.last().is_some_and(|e| *e.name >= *name) {
                        return None;
                    }
                    entries.push(DirEntry { name: name.into(), inode: id(r.u32()?)? });
                }
                NodeKind::Dir { entries: entries.into_boxed_slice(), parent }
            }
            2 => NodeKind::Symlink(r.bytes()?.into()),
            3 => NodeKind::CharDevice { major: r.u32()?, minor: r.u32()? },
            4 => NodeKind::BlockDevice { major: r.u32()?, minor: r.u32()? },
            5 => NodeKind::Fifo,
            6 => NodeKind::Socket,
            _ => return None,
        };
        inodes.push(Inode { kind, meta: Meta { perm, uid, gid, mtime }, nlink });
    }
    // The root is a directory, and every directory's parent is one.
    let is_dir = |i: InodeId| inodes[i.0 as usize].is_dir();
    let parents_ok = inodes.iter().all(|i| match &i.kind {
        NodeKind::Dir { parent, .. } => is_dir(*parent),
        _ => true,
    });
    if !r.rest.is_empty() || !inodes.first().is_some_and(Inode::is_dir) || !parents_ok {
        return None;
    }
    Some(Tree { inodes: inodes.into_boxed_slice(), format })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sample_tar() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, data: &[u8], mode: u32| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(mode);
            h.set_mtime(1_600_000_000);
            h.set_uid(0);
            h.set_gid(0);
            h.set_cksum();
            b.append_data(&mut h, path, data).unwrap();
        };
        add("bin/busybox", b"\x7fELF not really", 0o755);
        add("etc/passwd", b"root:x:0:0::/root:/bin/sh\n", 0o644);
        add("etc/empty", b"", 0o600);
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_cksum();
        b.append_link(&mut h, "bin/sh", "busybox").unwrap();
        b.into_inner().unwrap()
    }

    /// `entry` decoded from memory, its files copied out of it.
    fn decode_entry(entry: &[u8], key: &[u8; 16]) -> Option<Tree> {
        super::decode_entry(entry, key, |at, len, _| FileData::from(&entry[at..at + len]))
    }

    fn decoded(bytes: &[u8]) -> Tree {
        crate::source::read_stream(Path::new("t.tar"), io::Cursor::new(bytes), Limits::default())
            .unwrap()
    }

    #[test]
    fn cached_tree_equals_decoded() {
        let tree = decoded(&sample_tar());
        let key = ImageCache::key(xxh3_128(&sample_tar()), Limits::default());
        let back = decode_entry(&encode_entry(&tree, &key), &key).expect("sound entry");
        assert_eq!(back.format, tree.format);
        assert_eq!(back.inodes, tree.inodes);
    }

    #[test]
    fn damaged_or_foreign_entries_are_ignored() {
        let tree = decoded(&sample_tar());
        let key = ImageCache::key(xxh3_128(&sample_tar()), Limits::default());
        let entry = encode_entry(&tree, &key);
        // Another key (other bytes, other caps) never matches.
        let other = ImageCache::key(
            xxh3_128(&sample_tar()),
            Limits { max_entries: 7, ..Limits::default() },
        );
        assert_ne!(other, key);
        assert!(decode_entry(&entry, &other).is_none());
        // Every truncation and every flipped byte is refused, never a panic.
        for n in 0..entry.len() {
            assert!(decode_entry(&entry[..n], &key).is_none(), "truncated to {n}");
            let mut bad = entry.clone();
            bad[n] ^= 0x40;
            assert!(decode_entry(&bad, &key).is_none(), "byte {n} flipped");
        }
    }

    /// A tar of files of these lengths (`f0`, `f1`, ...), each of bytes
    /// that differ from place to place.
    fn tar_of_lengths(lengths: &[usize]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (i, &n) in lengths.iter().enumerate() {
            let data: Vec<u8> = (0..n).map(|j| (j * 7 + i * 13 + j / 251) as u8 | 1).collect();
            let mut h = tar::Header::new_gnu();
            h.set_size(n as u64);
            h.set_mode(0o755);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(0);
            h.set_cksum();
            b.append_data(&mut h, format!("f{i}"), &data[..]).unwrap();
        }
        b.into_inner().unwrap()
    }

    /// `entry` with its header's checksum made right for its payload again.
    fn resealed(mut entry: Vec<u8>) -> Vec<u8> {
        let sum = xxh3_128(&entry[HEADER_LEN..]).to_le_bytes();
        entry[HEADER_LEN - 16..HEADER_LEN].copy_from_slice(&sum);
        entry
    }

    #[test]
    fn only_files_on_whole_pages_are_offered_for_mapping() {
        // A short file that starts on a page by chance, without padding,
        // is followed by other bytes on its last page: not on whole pages.
        let fields = |len: u64, lead: u64, tail: u64| {
            let mut b = Vec::new();
            put_u64s(&mut b, &[len, lead, tail]);
            b
        };
        let mut short = fields(100, 0, 0);
        short.extend_from_slice(&[1; 100]);
        short.extend_from_slice(b"next inode");
        let mut r = Reader::new(&short, HOST_PAGE - 24);
        assert_eq!(r.file(), Some((HOST_PAGE, 100, false)));
        // Padded to the end of its page, or ending on one: whole pages.
        let mut padded = fields(100, 0, (HOST_PAGE - 100) as u64);
        padded.extend_from_slice(&[1; 100]);
        padded.resize(24 + HOST_PAGE, 0);
        assert_eq!(Reader::new(&padded, HOST_PAGE - 24).file(), Some((HOST_PAGE, 100, true)));
        let mut exact = fields(HOST_PAGE as u64, 0, 0);
        exact.resize(24 + HOST_PAGE, 1);
        assert_eq!(Reader::new(&exact, HOST_PAGE - 24).file(), Some((HOST_PAGE, HOST_PAGE, true)));
        // Padding is zeros, and less than a page.
        let mut bad = padded.clone();
        bad[24 + 200] = 1;
        assert_eq!(Reader::new(&bad, HOST_PAGE - 24).file(), None);
        let mut long = fields(1, HOST_PAGE as u64, 0);
        long.resize(24 + HOST_PAGE + 1, 0);
        assert_eq!(Reader::new(&long, 0).file(), None);
    }

    #[test]
    fn long_files_lie_on_pages_of_a_loaded_entry() {
        let lengths = [ALIGNED_FILE_MIN - 1, ALIGNED_FILE_MIN, 20_000, 5 * HOST_PAGE];
        let tar = tar_of_lengths(&lengths);
        let tree = decoded(&tar);
        let dir = std::env::temp_dir().join(format!("bohr-image-pages-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = ImageCache::new(&dir, 1 << 24);
        let key = ImageCache::key(xxh3_128(&tar), Limits::default());
        cache.store(&key, &tree);
        let entry = std::fs::read(cache.path_of(&key)).unwrap();
        let loaded = cache.load(&key).expect("stored");
        assert_eq!(loaded.inodes, tree.inodes);
        let mut long = 0;
        for inode in loaded.inodes.iter() {
            let NodeKind::File(data) = &inode.kind else { continue };
            match data.host_file() {
                Some((_, at)) => {
                    long += 1;
                    assert!(data.len() >= ALIGNED_FILE_MIN, "{} bytes", data.len());
                    let (at, end) = (at as usize, at as usize + data.len());
                    assert_eq!(at % HOST_PAGE, 0);
                    assert_eq!(&entry[at..end], &data[..]);
                    // Zeros to the end of the last page, as past the end of
                    // a file mapped on its own.
                    let page_end = end.next_multiple_of(HOST_PAGE);
                    assert!(entry[end..page_end].iter().all(|&b| b == 0));
                }
                None => assert!(data.len() < ALIGNED_FILE_MIN, "{} bytes", data.len()),
            }
        }
        assert_eq!(long, 3);
        // Padding that is not zeros is refused even with a right checksum.
        let end = loaded
            .inodes
            .iter()
            .find_map(|i| match &i.kind {
                NodeKind::File(d) if d.len() == 20_000 => d.host_file().map(|(_, at)| at as usize),
                _ => None,
            })
            .expect("the 20,000-byte file is mapped")
            + 20_000;
        let mut bad = entry.clone();
        bad[end] = 1;
        assert!(decode_entry(&resealed(bad), &key).is_none(), "a byte after the file");
        assert!(decode_entry(&resealed(entry), &key).is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_sound_payload_with_bad_references_is_refused() {
        // A payload whose checksum is right but whose directory names an
        // inode past the table (as a bug in the writer would).
        let mut tree = decoded(&sample_tar());
        let past = InodeId(tree.inodes.len() as u32);
        if let NodeKind::Dir { parent, .. } = &mut tree.inodes[0].kind {
            *parent = past;
        }
        let key = [7; 16];
        assert!(decode_entry(&encode_entry(&tree, &key), &key).is_none());
    }

    #[test]
    fn only_compressed_images_have_a_key() {
        let dir = std::env::temp_dir().join(format!("bohr-image-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("plain.tar");
        std::fs::write(&plain, sample_tar()).unwrap();
        let cache = ImageCache::new(dir.join("cache"), 1 << 20);
        assert_eq!(cache.key_of_file(&plain, Limits::default()).unwrap(), None);
        let gz = dir.join("image.tar.gz");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&sample_tar()).unwrap();
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let key = cache.key_of_file(&gz, Limits::default()).unwrap();
        let bytes = std::fs::read(&gz).unwrap();
        assert_eq!(key, Some(ImageCache::key(xxh3_128(&bytes), Limits::default())));
        assert_eq!(cache.key_of_file(&gz, Limits::default()).unwrap(), key);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn store_then_load_and_evict() {
        let dir = std::env::temp_dir().join(format!("bohr-image-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let tree = decoded(&sample_tar());
        let cache = ImageCache::new(&dir, 1 << 20);
        let key = ImageCache::key(xxh3_128(&sample_tar()), Limits::default());
        assert!(cache.load(&key).is_none());
        cache.store(&key, &tree);
        assert_eq!(cache.load(&key).expect("stored").inodes, tree.inodes);
        // A cap smaller than one entry keeps nothing more.
        let tiny = ImageCache::new(&dir, 10);
        let key2 = [1; 16];
        tiny.store(&key2, &tree);
        assert!(tiny.load(&key2).is_none());
        // A cap of one entry drops the older when a second is stored.
        let one = ImageCache::new(&dir, encode_entry(&tree, &key).len() as u64);
        std::thread::sleep(std::time::Duration::from_millis(20));
        one.store(&key2, &tree);
        assert!(one.load(&key2).is_some());
        assert!(one.load(&key).is_none(), "the least recently used entry is dropped");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

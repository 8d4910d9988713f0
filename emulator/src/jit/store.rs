//! The code store: machine code of compiled regions kept for every thread
//! of the process and, with a directory set, for later runs.
//!
//! Region code holds no host address (it reaches its `JitCtx` from the
//! `cpu` pointer and calls helpers through it, see `runtime::Frame`), so
//! its bytes run unchanged in any module, thread or process. A region is
//! kept under its *key*: the exact IR blocks it was compiled from and its
//! shape (the direct mapping, the indirect jumps' predicted targets, see
//! `lower::Shape`), in a canonical encoding ([`region_key`]).
//! Keys are compared in full, never trusted by their hash, so code is only
//! served for IR equal to what it was compiled from. The IR is lifted from
//! the process's own memory just before, so other bytes at the same
//! address, or code written since, never match.
//!
//! Everything else the code depends on is the *identity* of a shelf: the
//! crate version, the code cache's settings and Cranelift's flags for this
//! host's CPU; and, for its pack on disk, this executable by the hash of
//! its bytes (a rebuilt `bohr` starts afresh, a reinstalled or restored
//! copy of the same build does not; see [`executable_id`]). Packs of other
//! identities are never read.
//!
//! With [`set_dir`] (the `bohr` command does it; see the README), a shelf
//! is read from `<dir>/<identity hash>.pack` when first needed and written
//! back by [`save`] at the end of the run, when it gained code. A pack is
//! mapped, not read: opening one costs its index, and only the entries
//! looked up are touched. The store is best-effort like the image cache:
//! a missing, truncated or damaged pack or entry (checksums, bounds, key)
//! is ignored, and so is one another user could have written (see
//! [`cache_files::private`]); packs are written to a temporary file and
//! renamed; the directory is kept under [`MAX_DIR_BYTES`] by dropping the
//! packs least recently used. Nothing a guest sees depends on the store:
//! it only saves Cranelift's time (`tests/jit_store.rs`).
//!
//! Called from `jit`'s `CodeCache` (find and keep) and, for [`set_dir`]
//! and [`save`], from the `bohr` command.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use bohr_rootfs::cache_files;
use memmap2::Mmap;
use rustc_hash::{FxHashMap, FxHashSet};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use super::lower::Shape;
use crate::ir::Block;

/// First bytes of a pack; the number is the layout's version.
const MAGIC: &[u8; 8] = b"BOHRJIT1";
/// Bytes of one index row: key hash (16), offset (8), length (4).
const INDEX_ROW: usize = 28;
/// Code kept in one process's memory at most; past it, new code is not
/// kept (what is kept stays valid).
const MAX_MEMORY_BYTES: usize = 256 << 20;
/// Bytes of one pack at most: past it, a pack keeps only what this run
/// used or compiled.
const MAX_PACK_BYTES: usize = 128 << 20;
/// Bytes of packs kept in the directory at most.
pub const MAX_DIR_BYTES: u64 = 1 << 30;

/// The machine code of one region and what installing it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct StoredCode {
    pub bytes: Vec<u8>,
    pub align: u64,
    /// Trap records `(offset, raw code)`.
    pub traps: Vec<(u32, u8)>,
    /// The region's direct accesses `(pc, unretired)`, by trap code - 1.
    pub accesses: Vec<(u64, u64)>,
}

/// A canonical encoding of a value's `Hash` stream: every integer as a
/// LEB128 varint, byte slices as they are. Derived `Hash` writes an enum's
/// discriminant before its fields and a sequence's length before its
/// items, so equal encodings mean equal values.
#[derive(Default)]
struct Encoder(Vec<u8>);

impl Encoder {
    fn varint(&mut self, mut v: u128) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }
}

impl Hasher for Encoder {
    fn finish(&self) -> u64 {
        xxh3_64(&self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn write_u8(&mut self, v: u8) {
        self.varint(v.into());
    }
    fn write_u16(&mut self, v: u16) {
        self.varint(v.into());
    }
    fn write_u32(&mut self, v: u32) {
        self.varint(v.into());
    }
    fn write_u64(&mut self, v: u64) {
        self.varint(v.into());
    }
    fn write_u128(&mut self, v: u128) {
        self.varint(v);
    }
    fn write_usize(&mut self, v: usize) {
        self.varint(v as u128);
    }
    fn write_i8(&mut self, v: i8) {
        self.varint(v as u8 as u128);
    }
    fn write_i16(&mut self, v: i16) {
        self.varint(v as u16 as u128);
    }
    fn write_i32(&mut self, v: i32) {
        self.varint(v as u32 as u128);
    }
    fn write_i64(&mut self, v: i64) {
        self.varint(v as u64 as u128);
    }
    fn write_i128(&mut self, v: i128) {
        self.varint(v as u128);
    }
    fn write_isize(&mut self, v: isize) {
        self.varint(v as usize as u128);
    }
}

/// The key of a region compiled from `blocks` for `shape`.
pub(super) fn region_key(blocks: &[&Block], shape: &Shape) -> Vec<u8> {
    let mut e = Encoder::default();
    shape.hash(&mut e);
    blocks.hash(&mut e);
    e.0
}

/// What this executable is, by content: the XXH3-128 of its bytes, so a
/// reinstalled or restored `bohr` with the same bytes finds its packs and
/// a rebuilt one starts afresh. Hashing a binary of tens of MiB takes
/// milliseconds, so the hash is remembered in `dir/executables` by the
/// file's identity and change stamp ([`cache_files::hash_of_file`], the
/// newest 32 builds). `None` when the executable cannot be read (then
/// nothing is kept across runs).
fn executable_id(dir: &Path) -> Option<String> {
    let path = std::env::current_exe().ok()?;
    let hash = cache_files::hash_of_file(&path, &dir.join("executables"), 32)?;
    Some(format!("exe {hash:032x}"))
}

/// A pack read from disk: its mapping and its index.
struct Pack {
    map: Mmap,
    /// Index rows: key hash, entry offset and length.
    index: Vec<(u128, usize, usize)>,
}

impl Pack {
    /// The pack at `path` for `identity`, if it is one and well formed.
    fn open(path: &Path, identity: &str) -> Option<Pack> {
        let file = File::open(path).ok()?;
        if !cache_files::private(&file) {
            return None;
        }
        // SAFETY: packs are only ever replaced by renaming a complete new
        // file over them, never written in place, so the mapped bytes do
        // not change under us; every read below is bounds-checked.
        let map = unsafe { Mmap::map(&file) }.ok()?;
        let mut r = Reader { bytes: &map, at: 0 };
        if r.take(8)? != MAGIC {
            return None;
        }
        let id_len = r.u32()? as usize;
        if r.take(id_len)? != identity.as_bytes() {
            return None;
        }
        let count = r.u32()? as usize;
        let rows = r.take(count.checked_mul(INDEX_ROW)?)?;
        let mut index = Vec::with_capacity(count);
        for row in rows.chunks_exact(INDEX_ROW) {
            let hash = u128::from_le_bytes(row[..16].try_into().ok()?);
            let off = u64::from_le_bytes(row[16..24].try_into().ok()?) as usize;
            let len = u32::from_le_bytes(row[24..].try_into().ok()?) as usize;
            if off.checked_add(len)? > map.len() {
                return None;
            }
            index.push((hash, off, len));
        }
        if !index.is_sorted_by_key(|r| r.0) {
            return None;
        }
        // Recently used: the directory's eviction goes by this time.
        let _ = file.set_modified(std::time::SystemTime::now());
        Some(Pack { map, index })
    }

    /// The entry bytes of key hash `hash`, if indexed.
    fn entries(&self, hash: u128) -> impl Iterator<Item = &[u8]> {
        let first = self.index.partition_point(|r| r.0 < hash);
        self.index[first..]
            .iter()
            .take_while(move |r| r.0 == hash)
            .map(|&(_, off, len)| &self.map[off..off + len])
    }
}

/// Bounds-checked little-endian reads.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// One entry's bytes: checksum, key, code and its records.
fn encode_entry(key: &[u8], code: &StoredCode) -> Vec<u8> {
    let mut body = Vec::with_capacity(key.len() + code.bytes.len() + 64);
    let len32 = |n: usize| (n as u32).to_le_bytes();
    body.extend_from_slice(&len32(key.len()));
    body.extend_from_slice(key);
    body.extend_from_slice(&code.align.to_le_bytes());
    body.extend_from_slice(&len32(code.bytes.len()));
    body.extend_from_slice(&code.bytes);
    body.extend_from_slice(&len32(code.traps.len()));
    for &(off, c) in &code.traps {
        body.extend_from_slice(&off.to_le_bytes());
        body.push(c);
    }
    body.extend_from_slice(&len32(code.accesses.len()));
    for &(pc, unretired) in &code.accesses {
        body.extend_from_slice(&pc.to_le_bytes());
        body.extend_from_slice(&unretired.to_le_bytes());
    }
    let mut entry = xxh3_64(&body).to_le_bytes().to_vec();
    entry.extend_from_slice(&body);
    entry
}

/// Whether an entry's bytes match its checksum.
fn entry_intact(entry: &[u8]) -> bool {
    entry.split_at_checked(8).is_some_and(|(sum, body)| {
        sum.try_into().is_ok_and(|s: [u8; 8]| u64::from_le_bytes(s) == xxh3_64(body))
    })
}

/// The code of an entry whose key is `key`, if the entry is well formed.
fn decode_entry(entry: &[u8], key: &[u8]) -> Option<StoredCode> {
    if !entry_intact(entry) {
        return None;
    }
    let body = &entry[8..];
    let mut r = Reader { bytes: body, at: 0 };
    let key_len = r.u32()? as usize;
    if r.take(key_len)? != key {
        return None;
    }
    let align = r.u64()?;
    let code_len = r.u32()? as usize;
    let bytes = r.take(code_len)?.to_vec();
    let n = r.u32()? as usize;
    let mut traps = Vec::with_capacity(n.min(body.len()));
    for _ in 0..n {
        let off = r.u32()?;
        traps.push((off, r.take(1)?[0]));
    }
    let n = r.u32()? as usize;
    let mut accesses = Vec::with_capacity(n.min(body.len()));
    for _ in 0..n {
        accesses.push((r.u64()?, r.u64()?));
    }
    // Offsets past the code would send the fault handler astray.
    if r.at != body.len()
        || !align.is_power_of_two()
        || traps.iter().any(|&(off, _)| off as usize >= bytes.len())
    {
        return None;
    }
    Some(StoredCode { bytes, align, traps, accesses })
}

/// One region's code in memory.
struct Kept {
    key: Vec<u8>,
    code: Arc<StoredCode>,
    /// Compiled by this process (not read from the pack).
    compiled: bool,
}

/// The code kept for one identity.
struct Shelf {
    identity: String,
    /// The pack of earlier runs, once looked for (`None` inside: none).
    pack: Option<Option<Pack>>,
    /// Code compiled by this process or read from the pack, by key hash.
    fresh: FxHashMap<u128, Vec<Kept>>,
    /// Pack entries this run used, by key hash.
    used: FxHashSet<u128>,
}

#[derive(Default)]
struct Store {
    /// Where packs are kept, and this executable's identity (see
    /// [`executable_id`]); `None`: only in memory.
    persist: Option<(PathBuf, String)>,
    shelves: Vec<Shelf>,
    /// Bytes of code in `fresh` over all shelves.
    bytes: usize,
}

fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(Mutex::default)
}

fn lock() -> std::sync::MutexGuard<'static, Store> {
    // A panic elsewhere while holding the lock leaves whole entries only.
    store().lock().unwrap_or_else(|e| e.into_inner())
}

/// Keep code across runs in `dir` (created when first written), or only
/// in this process with `None`.
pub fn set_dir(dir: Option<PathBuf>) {
    let persist = dir.and_then(|d| executable_id(&d).map(|exe| (d, exe)));
    let mut s = lock();
    s.persist = persist;
    for shelf in &mut s.shelves {
        shelf.pack = None;
    }
}

/// Forget the code kept in memory, as a new process starts with none;
/// packs stay.
pub fn forget() {
    let mut s = lock();
    s.shelves.clear();
    s.bytes = 0;
}

/// What a shelf's pack is for: the executable and the shelf.
fn pack_identity(exe: &str, shelf: &str) -> String {
    format!("{exe} {shelf}")
}

/// The file of a pack for `identity`.
fn pack_path(dir: &Path, identity: &str) -> PathBuf {
    dir.join(format!("{:032x}.pack", xxh3_128(identity.as_bytes())))
}

impl Store {
    fn shelf(&mut self, identity: &str) -> &mut Shelf {
        let i = match self.shelves.iter().position(|s| s.identity == identity) {
            Some(i) => i,
            None => {
                self.shelves.push(Shelf {
                    identity: identity.to_owned(),
                    pack: None,
                    fresh: FxHashMap::default(),
                    used: FxHashSet::default(),
                });
                self.shelves.len() - 1
            }
        };
        let shelf = &mut self.shelves[i];
        if shelf.pack.is_none() {
            let pack = self.persist.as_ref().and_then(|(dir, exe)| {
                let id = pack_identity(exe, identity);
                Pack::open(&pack_path(dir, &id), &id)
            });
            shelf.pack = Some(pack);
        }
        shelf
    }
}

/// The identity of a shelf: what compiled code depends on besides its key.
pub(super) fn identity(settings: &str) -> String {
    format!("bohr {} {settings}", env!("CARGO_PKG_VERSION"))
}

/// The code kept for `key` on the shelf of `identity`, if any.
pub(super) fn find(identity: &str, key: &[u8]) -> Option<Arc<StoredCode>> {
    let hash = xxh3_128(key);
    let mut s = lock();
    let shelf = s.shelf(identity);
    if let Some(found) = shelf.fresh.get(&hash).and_then(|v| v.iter().find(|k| k.key == key)) {
        return Some(found.code.clone());
    }
    let pack = shelf.pack.as_ref()?.as_ref()?;
    let code = pack.entries(hash).find_map(|e| decode_entry(e, key))?;
    shelf.used.insert(hash);
    let code = Arc::new(code);
    let kept = Kept { key: key.to_vec(), code: code.clone(), compiled: false };
    shelf.fresh.entry(hash).or_default().push(kept);
    Some(code)
}

/// Keep `code`, compiled from the region of `key`, on the shelf of
/// `identity` (unless the process keeps too much already).
pub(super) fn keep(identity: &str, key: Vec<u8>, code: StoredCode) {
    let hash = xxh3_128(&key);
    let mut s = lock();
    let size = key.len() + code.bytes.len();
    if s.bytes + size > MAX_MEMORY_BYTES {
        return;
    }
    s.bytes += size;
    let shelf = s.shelf(identity);
    let same = shelf.fresh.entry(hash).or_default();
    if !same.iter().any(|k| k.key == key) {
        same.push(Kept { key, code: Arc::new(code), compiled: true });
    }
}

/// Whether code is kept across runs (a directory is set).
pub fn persisting() -> bool {
    lock().persist.is_some()
}

/// Write every shelf that gained code back to its pack (with the entries
/// of the old pack, as room allows), then trim the directory. Code this
/// thread still has on the compile threads is waited for (briefly) and
/// kept first. Silent on failure: the store is a cache.
pub fn save() {
    super::drain_thread_caches();
    let mut s = lock();
    let Some((dir, exe)) = s.persist.clone() else { return };
    let mut wrote = false;
    for shelf in &mut s.shelves {
        let old = shelf.pack.as_ref().and_then(|p| p.as_ref());
        let mut entries: Vec<(u128, Vec<u8>)> = shelf
            .fresh
            .iter()
            .flat_map(|(h, v)| v.iter().filter(|k| k.compiled).map(|k| (*h, k)))
            .map(|(h, k)| (h, encode_entry(&k.key, &k.code)))
            .collect();
        if entries.is_empty() {
            continue;
        }
        if let Some(pack) = old {
            let mut room = MAX_PACK_BYTES.saturating_sub(entries.iter().map(|e| e.1.len()).sum());
            // Entries this run used first, then the rest while they fit.
            let mut rows: Vec<&(u128, usize, usize)> = pack.index.iter().collect();
            rows.sort_by_key(|r| !shelf.used.contains(&r.0));
            for &&(h, off, len) in &rows {
                let entry = &pack.map[off..off + len];
                // A damaged entry was compiled anew if it was needed.
                if len > room || !entry_intact(entry) {
                    continue;
                }
                room -= len;
                entries.push((h, entry.to_vec()));
            }
        }
        if write_pack(&dir, &pack_identity(&exe, &shelf.identity), entries).is_ok() {
            wrote = true;
        }
    }
    if wrote {
        let _ = cache_files::evict_least_recent(&dir, ".pack", MAX_DIR_BYTES);
    }
}

/// Write a pack of `entries` (key hash, entry bytes) for `identity`.
fn write_pack(
    dir: &Path,
    identity: &str,
    mut entries: Vec<(u128, Vec<u8>)>,
) -> std::io::Result<()> {
    entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    entries.dedup();
    std::fs::create_dir_all(dir)?;
    let header = 8 + 4 + identity.len() + 4 + entries.len() * INDEX_ROW;
    let mut out = Vec::with_capacity(header + entries.iter().map(|e| e.1.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(identity.len() as u32).to_le_bytes());
    out.extend_from_slice(identity.as_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    let mut off = header;
    for (h, e) in &entries {
        out.extend_from_slice(&h.to_le_bytes());
        out.extend_from_slice(&(off as u64).to_le_bytes());
        out.extend_from_slice(&(e.len() as u32).to_le_bytes());
        off += e.len();
    }
    for (_, e) in &entries {
        out.extend_from_slice(e);
    }
    cache_files::write_private(&pack_path(dir, identity), &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: u8) -> StoredCode {
        StoredCode {
            bytes: vec![0x90, n, 0xc3],
            align: 16,
            traps: vec![(1, 7)],
            accesses: vec![(0x1000, 2)],
        }
    }

    #[test]
    fn entries_round_trip_and_reject_damage() {
        let e = encode_entry(b"key", &code(1));
        assert_eq!(decode_entry(&e, b"key"), Some(code(1)));
        assert_eq!(decode_entry(&e, b"kez"), None, "another key");
        for i in 0..e.len() {
            let mut bad = e.clone();
            bad[i] ^= 0x40;
            assert_eq!(decode_entry(&bad, b"key"), None, "byte {i} flipped");
        }
        assert_eq!(decode_entry(&e[..e.len() - 1], b"key"), None, "truncated");
        assert!(entry_intact(&e) && !entry_intact(&e[..e.len() - 1]) && !entry_intact(&e[..7]));
    }

    #[test]
    fn keys_tell_blocks_apart() {
        use crate::ir::{Exit, Op, Temp};
        let block = |value| Block {
            pc: 0x1000,
            ops: vec![Op::Insn { pc: 0x1000, len: 4 }, Op::Const { dst: Temp(0), value }],
            exit: Exit::Jump(0x1004),
            num_temps: 1,
            num_labels: 0,
            insn_count: 1,
            byte_len: 4,
        };
        use super::super::lower::Direct;
        let direct =
            Shape { direct: Some(Direct { span: 1 << 32, words: true }), predicted: vec![] };
        let none = Shape::default();
        let predicted = Shape { predicted: vec![(0x1000, 0x1000)], ..direct.clone() };
        let (one, two) = (block(1), block(2));
        assert_eq!(region_key(&[&one], &direct), region_key(&[&block(1)], &direct));
        assert_ne!(region_key(&[&one], &direct), region_key(&[&two], &direct));
        assert_ne!(region_key(&[&one], &direct), region_key(&[&one], &none));
        assert_ne!(region_key(&[&one], &none), region_key(&[&one, &one], &none));
        assert_ne!(region_key(&[&one], &direct), region_key(&[&one], &predicted));
    }

    #[test]
    fn the_executable_is_known_by_its_bytes_and_remembered() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("bohr-store-exe-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // A test binary just linked is not remembered until its file times
        // are `SETTLE` old (see `cache_files::hash_of_file`): wait for that.
        let meta = std::fs::metadata(std::env::current_exe().unwrap()).unwrap();
        let (secs, nanos) =
            (meta.mtime(), meta.mtime_nsec()).max((meta.ctime(), meta.ctime_nsec()));
        let changed = std::time::UNIX_EPOCH + std::time::Duration::new(secs as u64, nanos as u32);
        let settled = changed + cache_files::SETTLE + std::time::Duration::from_millis(100);
        if let Ok(wait) = settled.duration_since(std::time::SystemTime::now()) {
            std::thread::sleep(wait);
        }
        let id = executable_id(&dir).expect("this test binary is readable");
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(id, format!("exe {:032x}", xxh3_128(&exe)));
        let memo = std::fs::read_to_string(dir.join("executables")).expect("remembered");
        assert_eq!(memo.lines().count(), 1);
        assert_eq!(executable_id(&dir), Some(id), "read back");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn packs_round_trip_and_reject_other_identities() {
        let dir = std::env::temp_dir().join(format!("bohr-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let entries = vec![(xxh3_128(b"a"), encode_entry(b"a", &code(1)))];
        write_pack(&dir, "id", entries).expect("written");
        let pack = Pack::open(&pack_path(&dir, "id"), "id").expect("opens");
        let found: Vec<_> =
            pack.entries(xxh3_128(b"a")).filter_map(|e| decode_entry(e, b"a")).collect();
        assert_eq!(found, vec![code(1)]);
        assert!(pack.entries(xxh3_128(b"b")).next().is_none());
        {
            use std::os::unix::fs::PermissionsExt;
            let path = pack_path(&dir, "id");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
            assert!(Pack::open(&path, "id").is_none(), "a pack others may write is not read");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        std::fs::copy(pack_path(&dir, "id"), pack_path(&dir, "other")).expect("copied");
        assert!(Pack::open(&pack_path(&dir, "other"), "other").is_none(), "identity checked");
        std::fs::write(pack_path(&dir, "id"), b"BOHRJIT1\xff\xff").expect("damaged");
        assert!(Pack::open(&pack_path(&dir, "id"), "id").is_none(), "truncated header");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

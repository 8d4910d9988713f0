//! Plain value types that every layer may use: the write path of a cell,
//! the fingerprint hash and the kernel's error numbers. This module
//! depends on nothing else in the crate, so sharing these types never
//! turns a layer's imports around (see `tests/layers.rs`).

mod errno;

pub use errno::Errno;

/// How an MTD `read()` delivers device bytes into the guest buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum WritePath {
    /// Host-side debug write: ignores page protections, invalidates code.
    #[default]
    Host,
    /// Staged in a portal page, copied by a guest stub with guest stores.
    Portal,
    /// Permission-checked `copy_to_user`.
    Checked,
}

impl WritePath {
    pub const ALL: [WritePath; 3] = [WritePath::Host, WritePath::Portal, WritePath::Checked];

    pub const fn name(self) -> &'static str {
        match self {
            WritePath::Host => "host",
            WritePath::Portal => "portal",
            WritePath::Checked => "checked",
        }
    }
}

impl std::str::FromStr for WritePath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WritePath::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| format!("unknown write path `{s}` (expected host, portal or checked)"))
    }
}

impl std::fmt::Display for WritePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The hash of a byte stream, a process's output: 64-bit XXH3, fixed and
/// portable like [`Fnv64`], and like it a function of the bytes alone, not
/// of how they were split into writes. FNV-1a's multiply per byte cost
/// about four host cycles a byte, a twentieth of a run of `strings`.
#[derive(Clone, Default)]
pub struct StreamHash(xxhash_rust::xxh3::Xxh3Default);

impl StreamHash {
    pub fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(&self) -> u64 {
        self.0.digest()
    }
}

impl std::fmt::Debug for StreamHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StreamHash({:#018x})", self.finish())
    }
}

/// 64-bit FNV-1a, the fingerprint hash: fixed, portable and independent of
/// the Rust version (unlike `DefaultHasher`).
#[derive(Clone, Copy, Debug)]
pub struct Fnv64(pub u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }

    /// Length-prefixed, so `("ab","c")` and `("a","bc")` differ.
    pub fn write_field(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }

    pub fn write_u64(&mut self, v: u64) {
        self.write(&v.to_le_bytes());
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

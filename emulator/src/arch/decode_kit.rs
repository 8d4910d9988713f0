//! The decode-table kit shared by the table-driven frontends.
//!
//! An encoding is a row `(name, pattern, format, opcode)`: the pattern is
//! written the way the architecture manuals draw an encoding diagram, most
//! significant bit first, one character per bit, with spaces free to group
//! fields:
//!
//! ```text
//! "cccc 000 0100 s nnnn dddd iiiii tt 0 mmmm"     ARM `add` (register)
//! "0100 0000 01 mmm ddd"                          Thumb `eor` (16 bits)
//! ```
//!
//! `0` and `1` are fixed bits; every other character (a field letter or
//! `.`) is a free bit. [`Pattern::parse`] turns the text into a
//! `(mask, value)` pair at compile time, so a table is checkable against
//! the manual line by line and costs nothing at run time.
//!
//! Decoding rule, the same for every table built here: the first row whose
//! fixed bits match wins, and when two rows can match one word the earlier
//! is strictly more specific (its mask contains the other's). A format's
//! operand extractor may still reject a word (a reserved field value); such
//! words are illegal and never fall through to a later row.
//! [`checks`] holds the table tests every frontend runs on its tables.
//! Frontends look rows up through an [`Indexed`] table, which finds the
//! same first match without walking every row.
//!
//! Every table writes its rows this way; [`checks::digest`] pins a table's
//! `(name, mask, value)` rows so that rewriting how rows are spelled can be
//! shown to change none of them.
//!
//! Talks to: the frontends' `decode` modules (aarch64, arm, mips,
//! powerpc64 and riscv64).

/// Fixed bits of an encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// Bits that identify the encoding.
    pub mask: u32,
    /// Required value of those bits.
    pub value: u32,
    /// Number of bits the pattern spells out (16 or 32).
    pub width: u32,
}

impl Pattern {
    /// Parse a bit pattern; a malformed one (not 16 or 32 bits long) fails
    /// to compile when used in a `static` table.
    pub const fn parse(text: &str) -> Pattern {
        let bytes = text.as_bytes();
        let mut mask = 0u32;
        let mut value = 0u32;
        let mut width = 0u32;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            i += 1;
            if c == b' ' || c == b'_' {
                continue;
            }
            assert!(width < 32, "bit pattern longer than 32 bits");
            mask <<= 1;
            value <<= 1;
            width += 1;
            match c {
                b'0' => mask |= 1,
                b'1' => {
                    mask |= 1;
                    value |= 1;
                }
                _ => {}
            }
        }
        assert!(width == 16 || width == 32, "bit pattern must be 16 or 32 bits long");
        Pattern { mask, value, width }
    }

    pub const fn matches(&self, word: u32) -> bool {
        word & self.mask == self.value
    }
}

/// One row of a decode table: an encoding's name, its fixed bits, how to
/// extract its operands (`F`) and what it means (`O`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding<F, O> {
    /// Assembler name of the encoding; unique within a table.
    pub name: &'static str,
    /// Bits that identify the encoding.
    pub mask: u32,
    /// Required value of those bits.
    pub value: u32,
    pub format: F,
    pub opcode: O,
}

impl<F, O> Encoding<F, O> {
    /// A row from its manual-style bit pattern.
    pub const fn new(name: &'static str, pattern: &str, format: F, opcode: O) -> Self {
        let p = Pattern::parse(pattern);
        Encoding { name, mask: p.mask, value: p.value, format, opcode }
    }
}

/// What the table checks need of a row; tables whose rows carry more than
/// [`Encoding`] does implement it for their own row type.
pub trait Row {
    fn name(&self) -> &'static str;
    fn mask(&self) -> u32;
    fn value(&self) -> u32;

    /// Whether `word` has this row's fixed bits.
    fn matches(&self, word: u32) -> bool {
        word & self.mask() == self.value()
    }
}

impl<F, O> Row for Encoding<F, O> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn mask(&self) -> u32 {
        self.mask
    }
    fn value(&self) -> u32 {
        self.value
    }
}

/// The first row of `table` matching `word`, by walking the table: the
/// reference [`Indexed`] is tested against.
pub fn lookup<R: Row>(table: &[R], word: u32) -> Option<&R> {
    table.iter().find(|e| e.matches(word))
}

/// Bits of a word an [`Indexed`] table's index is keyed by.
const KEY_BITS: usize = 8;

/// A decode table and an index over it, built at its first lookup, that
/// answers as [`lookup`] does without walking the whole table: the rows
/// of a bucket are those whose fixed bits agree with the word's on the
/// index's key bits, in table order, so the first of them that matches is
/// the table's first match (a row outside the bucket fixes a key bit the
/// word does not have). The key bits are those the most rows fix. A table
/// of a few hundred rows was walked for every instruction translated:
/// decoding took 2–3 % of a cell whose processes start a dynamic busybox.
/// Over random fills of their rows, the riscv64, aarch64 and mips tables
/// took 70, 93 and 69 ns a word walked and 28, 23 and 27 indexed; an
/// index takes 30–50 µs to build.
pub struct Indexed<R: 'static> {
    table: &'static [R],
    index: std::sync::OnceLock<Index>,
}

/// Which bits key the buckets, and the rows of each bucket.
struct Index {
    /// A word's key, a byte at a time: `spread[i][b]` is the key bits that
    /// byte `i` of a word with value `b` there holds, so a key is four
    /// table reads (a bit at a time, gathering it took a fifth of a
    /// lookup).
    spread: Box<[[u16; 256]; 4]>,
    /// Bucket `k`'s rows: `rows[starts[k]..starts[k + 1]]`.
    starts: Vec<u32>,
    /// Each row as `(mask, value, row)`: a bucket is scanned without
    /// reading the table's rows, only the one that matches.
    rows: Vec<(u32, u32, u16)>,
}

impl<R: Row> Indexed<R> {
    pub const fn new(table: &'static [R]) -> Indexed<R> {
        Indexed { table, index: std::sync::OnceLock::new() }
    }

    pub fn table(&self) -> &'static [R] {
        self.table
    }

    /// The first row of the table matching `word`.
    pub fn lookup(&self, word: u32) -> Option<&'static R> {
        let index = self.index.get_or_init(|| Index::new(self.table));
        let s = &index.spread;
        let k = usize::from(
            s[0][(word & 0xff) as usize]
                | s[1][(word >> 8 & 0xff) as usize]
                | s[2][(word >> 16 & 0xff) as usize]
                | s[3][(word >> 24) as usize],
        );
        let (start, end) = (index.starts[k] as usize, index.starts[k + 1] as usize);
        let &(_, _, row) = index.rows[start..end].iter().find(|&&(m, v, _)| word & m == v)?;
        Some(&self.table[row as usize])
    }
}

impl Index {
    fn new<R: Row>(table: &[R]) -> Index {
        assert!(table.len() <= usize::from(u16::MAX), "a decode table of {} rows", table.len());
        // The bits the most rows fix, the lower first among equals.
        let mut by_use: Vec<(usize, u32)> = (0..32)
            .map(|bit| (table.iter().filter(|e| e.mask() >> bit & 1 != 0).count(), bit))
            .filter(|&(n, _)| n > 0)
            .collect();
        by_use.sort_by_key(|&(n, bit)| (std::cmp::Reverse(n), bit));
        let key: Vec<u32> = by_use.iter().take(KEY_BITS).map(|&(_, bit)| bit).collect();
        // Each row goes into every bucket its fixed key bits allow, rows
        // in table order: the free key bits of a row take every value.
        let mut buckets: Vec<Vec<u16>> = vec![Vec::new(); 1 << key.len()];
        for (r, e) in table.iter().enumerate() {
            let (m, v) = (gather(&key, e.mask()), gather(&key, e.value()));
            let free = ((1usize << key.len()) - 1) & !m;
            let mut sub = free;
            loop {
                buckets[v | sub].push(r as u16);
                if sub == 0 {
                    break;
                }
                sub = (sub - 1) & free;
            }
        }
        let mut starts = Vec::with_capacity(buckets.len() + 1);
        let mut rows = Vec::with_capacity(buckets.iter().map(Vec::len).sum());
        for b in &buckets {
            starts.push(rows.len() as u32);
            rows.extend(
                b.iter().map(|&r| (table[r as usize].mask(), table[r as usize].value(), r)),
            );
        }
        starts.push(rows.len() as u32);
        let mut spread = Box::new([[0u16; 256]; 4]);
        for (i, bytes) in spread.iter_mut().enumerate() {
            for (b, k) in bytes.iter_mut().enumerate() {
                *k = gather(&key, (b as u32) << (8 * i)) as u16;
            }
        }
        Index { spread, starts, rows }
    }
}

/// Bits `key[i]` of `w`, as bit `i` of the result.
fn gather(key: &[u32], w: u32) -> usize {
    key.iter().enumerate().fold(0, |k, (i, &bit)| k | ((w >> bit & 1) as usize) << i)
}

/// Bits `hi..=lo` of `w`, shifted down.
pub const fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & (u32::MAX >> (31 - (hi - lo)))
}

/// Bit `n` of `w`.
pub const fn bit(w: u32, n: u32) -> bool {
    (w >> n) & 1 != 0
}

/// Bit `from` of `w`, moved to bit `to`: for immediates whose bits an
/// encoding scatters (riscv64's branch and compressed forms).
pub const fn move_bit(w: u32, from: u32, to: u32) -> u32 {
    ((w >> from) & 1) << to
}

/// Sign-extend the low `width` bits of `v`.
pub const fn sext(v: u32, width: u32) -> i64 {
    let shift = 64 - width;
    ((v as i64) << shift) >> shift
}

/// A small deterministic generator (xorshift64*), so table tests,
/// random-instruction generators and the QEMU differential tests
/// (`tests/common/qemu_diff.rs`) reproduce from a seed.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// 32 random bits (the high half, the better mixed one).
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A number below `n` (not zero).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// [`Rng::below`] for 32-bit fields.
    pub fn below_u32(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }
}

/// Marsaglia's plain xorshift64 (13, 7, 17): the word stream the lifters'
/// random-word tests draw from, one generator for all of them.
#[derive(Clone, Debug)]
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The table tests every frontend runs on its tables: rows well formed and
/// uniquely named, overlapping rows ordered most specific first, every row
/// reachable, and random words never panicking the decoder.
pub mod checks {
    use super::{Rng, Row};

    /// Every row's value lies inside its mask, its mask contains
    /// `required` (the bits every row of the table fixes) and its name is
    /// unique.
    pub fn well_formed<R: Row>(table: &[R], required: u32) {
        values_inside_masks(table, required);
        let mut names = std::collections::BTreeSet::new();
        for e in table {
            assert!(names.insert(e.name()), "{} listed twice", e.name());
        }
    }

    /// Every row's value lies inside its mask, and its mask contains
    /// `required`: [`well_formed`] for a table whose rows may share an
    /// assembler name.
    pub fn values_inside_masks<R: Row>(table: &[R], required: u32) {
        for e in table {
            assert_eq!(e.value() & !e.mask(), 0, "{}: value outside mask", e.name());
            assert_eq!(e.mask() & required, required, "{}: mask must fix {required:#x}", e.name());
        }
    }

    /// When two rows can match one word, the earlier is strictly more
    /// specific.
    pub fn ordered_most_specific_first<R: Row>(table: &[R]) {
        for (i, a) in table.iter().enumerate() {
            for b in &table[i + 1..] {
                if (a.value() ^ b.value()) & a.mask() & b.mask() == 0 {
                    let narrower = a.mask() & b.mask() == b.mask() && a.mask() != b.mask();
                    assert!(narrower, "{} and {} overlap ambiguously", a.name(), b.name());
                }
            }
        }
    }

    /// Every row decodes some word to itself: `decodes_as(word)` names the
    /// row a full decode picks (`None` when illegal). `seed(row)` gives the
    /// first word to try (its fixed bits with a fill every format accepts);
    /// random fills follow. `fixed` bits are forced into every random trial
    /// (a condition field that must not be the unconditional space, say).
    pub fn every_row_reachable<R: Row>(
        table: &[R],
        fixed: (u32, u32),
        seed: impl Fn(&R) -> u32,
        decodes_as: impl Fn(u32) -> Option<&'static str>,
    ) {
        let mut rng = Rng(0x0bad_cafe_f00d_d00d);
        let (fmask, fvalue) = fixed;
        for e in table {
            let hit = decodes_as(seed(e)) == Some(e.name())
                || (0..2000).any(|_| {
                    let w = e.value() | (rng.next_u32() & !e.mask());
                    let w = (w & !(fmask & !e.mask())) | (fvalue & fmask & !e.mask());
                    decodes_as(w) == Some(e.name())
                });
            assert!(hit, "{} is shadowed or always rejected", e.name());
        }
    }

    /// A random fill of each row's pattern is claimed (by the table's
    /// first-match `lookup`) by that row or by an earlier, narrower one.
    pub fn fills_claimed_by_row_or_narrower<R: Row>(
        table: &[R],
        lookup: impl Fn(u32) -> Option<&'static str>,
    ) {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for (ei, e) in table.iter().enumerate() {
            for _ in 0..200 {
                let w = e.value() | (rng.next_u32() & !e.mask());
                let found = lookup(w).expect("a fill of a row matches some row");
                if found != e.name() {
                    let fi = table.iter().position(|x| x.name() == found).expect("a row");
                    assert!(fi < ei, "{w:#x}: {} shadowed by later {found}", e.name());
                }
            }
        }
    }

    /// FNV-1a over every row's name, mask and value, in table order: a
    /// table's fingerprint, pinned by a unit test beside the table so a
    /// change of spelling (hexadecimal masks to bit patterns, say) is
    /// shown to keep every row.
    pub fn digest<R: Row>(table: &[R]) -> u64 {
        let mut h = crate::types::Fnv64::default();
        for e in table {
            h.write_field(e.name().as_bytes());
            h.write(&e.mask().to_le_bytes());
            h.write(&e.value().to_le_bytes());
        }
        h.finish()
    }

    /// `indexed` answers as a walk of its table does, for random words and
    /// random fills of every row.
    pub fn index_agrees<R: Row>(indexed: &super::Indexed<R>) {
        let table = indexed.table();
        let mut rng = Rng(0x5eed_1dec_0de5_1de5);
        for e in table.iter().flat_map(|e| [e; 64]) {
            for w in [e.value() | (rng.next_u32() & !e.mask()), rng.next_u32()] {
                let (walked, found) = (super::lookup(table, w), indexed.lookup(w));
                assert!(
                    std::ptr::eq(
                        walked.map_or(std::ptr::null(), |r| r),
                        found.map_or(std::ptr::null(), |r| r)
                    ),
                    "{w:#010x}: the index finds {:?}, the table {:?}",
                    found.map(|r| r.name()),
                    walked.map(|r| r.name())
                );
            }
        }
    }

    /// Feed `n` random words to `decode`; it must not panic.
    pub fn random_words_never_panic(seed: u64, n: usize, decode: impl Fn(u32)) {
        let mut rng = Rng(seed);
        for _ in 0..n {
            decode(rng.next_u32());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_msb_first() {
        let p = Pattern::parse("cccc 000 0100 s nnnn dddd iiiii tt 0 mmmm");
        assert_eq!(p.width, 32);
        assert_eq!(p.mask, 0x0fe0_0010);
        assert_eq!(p.value, 0x0080_0000);
        let t = Pattern::parse("0100 0000 01 mmm ddd");
        assert_eq!((t.width, t.mask, t.value), (16, 0xffc0, 0x4040));
    }

    #[test]
    fn field_helpers() {
        assert_eq!(bits(0xabcd_1234, 31, 28), 0xa);
        assert_eq!(bits(0xabcd_1234, 31, 0), 0xabcd_1234);
        assert!(bit(0x10, 4));
        assert_eq!(move_bit(0x8000_0000, 31, 12), 0x1000);
        assert_eq!(sext(0x80, 8), -128);
        assert_eq!(sext(0x7f, 8), 127);
        assert_eq!(sext(0xffff_ffff, 32), -1);
    }
}

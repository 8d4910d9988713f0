//! Quick, deterministic fuzzing: truncations, byte flips and random bytes
//! behind every magic number must give an image or a typed error, never a
//! panic, a hang or an exhausted host.

mod common;

use backhand::compression::Compressor;
use bohr_rootfs::{Image, Limits};
use common::*;

/// xorshift64*: a fixed seed, so every run tries the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Opens `bytes` as an image; any outcome but a panic is fine, and a
/// success must be a usable tree.
fn try_open(path: &std::path::Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    // A small cap: mutated length fields must not make the test slow.
    let limits = Limits { max_bytes: 8 << 20, max_entries: 10_000 };
    if let Ok(image) = Image::open_with_limits(path, limits) {
        let (seen, _) = dump(&image);
        assert!(seen.contains_key(""));
    }
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let spec = sample(true);
    let no_socket = sample(false);
    let no_links: Spec =
        spec.iter().filter(|e| !matches!(e.kind, Kind::HardLink(_))).cloned().collect();
    let tar = tar_bytes(&no_socket);
    let cpio = cpio_bytes(&spec);
    vec![
        ("tar", tar.clone()),
        ("tar.gz", gzip(&tar)),
        ("tar.xz", xz(&tar)),
        ("cpio", cpio.clone()),
        ("cpio.gz", gzip(&cpio)),
        ("sqfs-gzip", squashfs_bytes(&no_links, Compressor::Gzip)),
        ("sqfs-xz", squashfs_bytes(&no_links, Compressor::Xz)),
        ("sqfs-zstd", squashfs_bytes(&no_links, Compressor::Zstd)),
        ("sqfs-lzo", squashfs_bytes(&no_links, Compressor::Lzo)),
    ]
}

#[test]
fn truncations_never_panic() {
    let dir = scratch("fuzz_truncations");
    let mut rng = Rng(0x5eed_0001);
    for (name, bytes) in seeds() {
        let path = dir.join(name);
        let mut cuts: Vec<usize> = (0..40).map(|_| rng.below(bytes.len())).collect();
        cuts.extend([0, 1, 4, 6, 96, 110, 511, 512, 513, bytes.len() - 1]);
        for cut in cuts {
            try_open(&path, &bytes[..cut.min(bytes.len())]);
        }
    }
}

#[test]
fn byte_flips_never_panic() {
    let dir = scratch("fuzz_flips");
    let mut rng = Rng(0x5eed_0002);
    for (name, bytes) in seeds() {
        let path = dir.join(name);
        for _ in 0..120 {
            let mut m = bytes.clone();
            // Mostly early bytes: headers and tables live there.
            let span = if rng.below(2) == 0 { m.len().min(1024) } else { m.len() };
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(span);
                m[at] = rng.next() as u8;
            }
            try_open(&path, &m);
        }
    }
}

#[test]
fn random_bytes_behind_every_magic_never_panic() {
    let dir = scratch("fuzz_random");
    let mut rng = Rng(0x5eed_0003);
    let path = dir.join("random");
    let magics: [&[u8]; 7] =
        [b"", b"hsqs", b"070701", b"070702", b"\x1f\x8b\x08\x00", b"\xfd7zXZ\x00", b"\x1f\x8b"];
    for magic in magics {
        for _ in 0..150 {
            let len = rng.below(4096);
            let mut m = magic.to_vec();
            m.extend((0..len).map(|_| rng.next() as u8));
            try_open(&path, &m);
        }
    }
    // Random bytes with a valid ustar header in front.
    let tar = tar_bytes(&sample(false));
    for _ in 0..150 {
        let mut m = tar[..512].to_vec();
        m.extend((0..rng.below(4096)).map(|_| rng.next() as u8));
        try_open(&path, &m);
    }
    // Hex-valid cpio headers with random fields.
    for _ in 0..300 {
        let mut m = b"070701".to_vec();
        for _ in 0..13 {
            m.extend(format!("{:08X}", rng.next() as u32 >> (rng.below(32))).as_bytes());
        }
        m.extend((0..rng.below(2048)).map(|_| rng.next() as u8));
        try_open(&path, &m);
    }
}

//! Bad images give typed errors naming the file and the reason, never a
//! panic: missing, empty, unknown or unsupported formats and compressions,
//! truncations, corruption, entries escaping the root, conflicting
//! duplicates, symlink loops, and images past the size caps.

mod common;

use std::path::Path;

use backhand::compression::Compressor;
use bohr_rootfs::{Image, Limits, RootfsError, validate};
use common::*;

fn tar_with(entries: &[(&[u8], tar::EntryType, &[u8], &str)]) -> Vec<u8> {
    // (raw path, type, data, link target)
    let mut b = tar::Builder::new(Vec::new());
    for (path, ty, data, link) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(*ty);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1);
        h.set_size(data.len() as u64);
        // Raw bytes: the tar crate's own setters refuse `..`, archives do not.
        let name = &mut h.as_old_mut().name;
        name[..path.len()].copy_from_slice(path);
        if !link.is_empty() {
            h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn assert_names_file(err: &RootfsError, file: &Path) {
    assert_eq!(err.file(), file);
    assert!(err.to_string().contains(&file.display().to_string()), "{err}");
}

#[test]
fn missing_and_empty_files() {
    let dir = scratch("missing_and_empty");
    let missing = dir.join("nope.tar");
    let err = Image::open(&missing).unwrap_err();
    assert!(matches!(err, RootfsError::Missing { .. }), "{err:?}");
    assert_names_file(&err, &missing);
    let err = Image::open("/dev/null").unwrap_err();
    assert!(
        matches!(&err, RootfsError::UnsupportedFormat { what, .. } if what.contains("regular file")),
        "{err:?}"
    );
    let err = open_bytes(&dir, "empty.img", b"").unwrap_err();
    assert!(
        matches!(&err, RootfsError::UnsupportedFormat { what, .. } if what.contains("empty")),
        "{err:?}"
    );
}

#[test]
fn unknown_and_unsupported_formats_are_named() {
    let dir = scratch("unsupported");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("text.img", b"hello, this is not an image\n".to_vec(), "not a tar"),
        ("odc.cpio", b"070707000000000000000000".to_vec(), "odc"),
        ("cramfs.img", b"\x45\x3d\xcd\x28 cramfs........".to_vec(), "cramfs"),
        ("be.sqfs", b"sqsh\0\0\0\0".to_vec(), "big-endian squashfs"),
        ("prog", b"\x7fELF\x02\x01\x01".to_vec(), "ELF"),
        (
            "ext4.img",
            {
                let mut v = vec![0u8; 2048];
                v[1080] = 0x53;
                v[1081] = 0xef;
                v
            },
            "ext2/3/4",
        ),
    ];
    for (name, bytes, what_has) in cases {
        let err = open_bytes(&dir, name, &bytes).unwrap_err();
        assert!(
            matches!(&err, RootfsError::UnsupportedFormat { what, .. } if what.contains(what_has)),
            "{name}: {err:?}"
        );
        assert_names_file(&err, &dir.join(name));
    }
    let err = open_bytes(&dir, "a.tar.bz2", b"BZh91AY&SY\x00\x00").unwrap_err();
    assert!(
        matches!(&err, RootfsError::UnsupportedCompression { what, .. } if what == "bzip2"),
        "{err:?}"
    );
    // Something gzip-wrapped that is no archive.
    let err = open_bytes(&dir, "junk.gz", &gzip(b"just text, no archive here")).unwrap_err();
    assert!(
        matches!(&err, RootfsError::UnsupportedFormat { what, .. } if what.contains("decompressed")),
        "{err:?}"
    );
    let err = open_bytes(&dir, "double.gz", &gzip(&gzip(&tar_bytes(&sample(false))))).unwrap_err();
    assert!(matches!(&err, RootfsError::UnsupportedFormat { .. }), "{err:?}");
}

#[test]
fn truncated_tar_in_every_way() {
    let dir = scratch("truncated_tar");
    let tar = tar_bytes(&sample(false));
    // Find where the end-of-archive blocks start: the last non-zero block.
    let end = tar.chunks(512).rposition(|b| b.iter().any(|&x| x != 0)).unwrap() * 512 + 512;
    for (name, bytes) in [
        ("mid-data.tar", tar[..2000].to_vec()),
        ("mid-header.tar", tar[..end - 512 + 100].to_vec()),
        ("no-end-marker.tar", tar[..end].to_vec()),
        ("half.tar.gz", {
            let g = gzip(&tar);
            g[..g.len() / 2].to_vec()
        }),
        ("no-trailer.tar.gz", {
            let g = gzip(&tar);
            g[..g.len() - 4].to_vec()
        }),
        ("half.tar.xz", {
            let x = xz(&tar);
            x[..x.len() / 2].to_vec()
        }),
    ] {
        let err = open_bytes(&dir, name, &bytes).unwrap_err();
        assert!(matches!(err, RootfsError::Truncated { .. }), "{name}: {err:?}");
        assert_names_file(&err, &dir.join(name));
    }
}

#[test]
fn truncated_cpio_in_every_way() {
    let dir = scratch("truncated_cpio");
    let cpio = cpio_bytes(&sample(true));
    let trailer_at = cpio.windows(10).position(|w| w == b"TRAILER!!!").unwrap() - 110;
    for (name, bytes) in [
        ("mid-data.cpio", cpio[..1000].to_vec()),
        ("mid-header.cpio", cpio[..trailer_at + 50].to_vec()),
        ("no-trailer.cpio", cpio[..trailer_at].to_vec()),
        ("half.cpio.gz", {
            let g = gzip(&cpio);
            g[..g.len() / 2].to_vec()
        }),
    ] {
        let err = open_bytes(&dir, name, &bytes).unwrap_err();
        assert!(matches!(err, RootfsError::Truncated { .. }), "{name}: {err:?}");
    }
}

#[test]
fn truncated_squashfs() {
    let dir = scratch("truncated_squashfs");
    let spec: Spec =
        sample(true).into_iter().filter(|e| !matches!(e.kind, Kind::HardLink(_))).collect();
    let sq = squashfs_bytes(&spec, Compressor::Gzip);
    // The superblock's `bytes_used`: past it is padding to 4 KiB.
    let used = u64::from_le_bytes(sq[40..48].try_into().unwrap()) as usize;
    assert!(used < sq.len());
    open_bytes(&dir, "padding-cut.sqfs", &sq[..used]).unwrap();
    for cut in [200, used / 2, used - 1] {
        let err = open_bytes(&dir, "cut.sqfs", &sq[..cut]).unwrap_err();
        assert!(
            matches!(err, RootfsError::Truncated { .. } | RootfsError::Corrupt { .. }),
            "cut at {cut}: {err:?}"
        );
        assert_names_file(&err, &dir.join("cut.sqfs"));
    }
}

#[test]
fn corrupt_archives() {
    let dir = scratch("corrupt");
    let tar = tar_bytes(&sample(false));
    let mut bad_sum = tar.clone();
    bad_sum[512 + 10] ^= 0x55; // the second header's name, so its checksum no longer holds
    let err = open_bytes(&dir, "sum.tar", &bad_sum).unwrap_err();
    assert!(
        matches!(&err, RootfsError::Corrupt { detail, .. } if detail.contains("checksum")),
        "{err:?}"
    );

    let mut g = gzip(&tar);
    let n = g.len();
    g[n - 6] ^= 0xff; // inside the CRC32 trailer
    let err = open_bytes(&dir, "crc.tar.gz", &g).unwrap_err();
    assert!(matches!(err, RootfsError::Corrupt { .. }), "{err:?}");

    let mut cpio = cpio_bytes(&sample(true));
    cpio[6 + 8] = b'Z'; // not a hex digit in the first header's mode
    let err = open_bytes(&dir, "hex.cpio", &cpio).unwrap_err();
    assert!(matches!(err, RootfsError::Corrupt { .. }), "{err:?}");

    let mut x = xz(&tar);
    let mid = x.len() / 2;
    x[mid] ^= 0xff;
    let err = open_bytes(&dir, "flip.tar.xz", &x).unwrap_err();
    assert!(matches!(err, RootfsError::Corrupt { .. }), "{err:?}");
}

#[test]
fn entries_escaping_the_root_are_refused() {
    let dir = scratch("escape");
    for path in [&b"../../etc/passwd"[..], b"./a/../../x", b"a/../b"] {
        let bytes = tar_with(&[(path, tar::EntryType::Regular, b"x", "")]);
        let err = open_bytes(&dir, "escape.tar", &bytes).unwrap_err();
        assert!(
            matches!(&err, RootfsError::BadEntry { reason, .. } if reason.contains("..")),
            "{err:?}"
        );
        assert!(err.to_string().contains(std::str::from_utf8(path).unwrap()), "{err}");
    }
    let mut cpio = Vec::new();
    newc_entry(&mut cpio, "../evil", [2, 0o100644, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], b"x");
    newc_trailer(&mut cpio);
    let err = open_bytes(&dir, "escape.cpio", &cpio).unwrap_err();
    assert!(matches!(err, RootfsError::BadEntry { .. }), "{err:?}");

    // Absolute names are inside the image, as tar itself treats them.
    let bytes = tar_with(&[(b"/etc/passwd", tar::EntryType::Regular, b"root", "")]);
    let image = open_bytes(&dir, "abs.tar", &bytes).unwrap();
    let id = image.lookup("/etc/passwd", bohr_rootfs::Follow::Final).unwrap();
    assert_eq!(&image.read_file(id).unwrap()[..], b"root");

    // Writing through a symlink would land outside the directory named.
    let bytes = tar_with(&[
        (b"lnk", tar::EntryType::Symlink, b"", "/etc"),
        (b"lnk/passwd", tar::EntryType::Regular, b"x", ""),
    ]);
    let err = open_bytes(&dir, "through-link.tar", &bytes).unwrap_err();
    assert!(
        matches!(&err, RootfsError::Conflict { reason, .. } if reason.contains("`lnk`")),
        "{err:?}"
    );
}

#[test]
fn conflicting_duplicates_are_refused_identical_ones_accepted() {
    let dir = scratch("duplicates");
    let bytes = tar_with(&[
        (b"a", tar::EntryType::Regular, b"one", ""),
        (b"a", tar::EntryType::Regular, b"two", ""),
    ]);
    let err = open_bytes(&dir, "dup.tar", &bytes).unwrap_err();
    assert!(matches!(&err, RootfsError::Conflict { entry, .. } if entry == "a"), "{err:?}");

    let bytes = tar_with(&[
        (b"a", tar::EntryType::Regular, b"one", ""),
        (b"a", tar::EntryType::Directory, b"", ""),
    ]);
    assert!(matches!(open_bytes(&dir, "dup2.tar", &bytes), Err(RootfsError::Conflict { .. })));

    let bytes = tar_with(&[
        (b"a", tar::EntryType::Regular, b"one", ""),
        (b"a", tar::EntryType::Regular, b"one", ""),
    ]);
    let image = open_bytes(&dir, "same.tar", &bytes).unwrap();
    assert_eq!(image.stat_path("a", bohr_rootfs::Follow::Final).unwrap().nlink, 1);

    // Old archives mark directories with a trailing slash on a regular entry.
    let bytes = tar_with(&[
        (b"old/", tar::EntryType::Regular, b"", ""),
        (b"old/f", tar::EntryType::Regular, b"x", ""),
    ]);
    let image = open_bytes(&dir, "v7.tar", &bytes).unwrap();
    assert_eq!(
        image.stat_path("old", bohr_rootfs::Follow::Final).unwrap().file_type,
        bohr_rootfs::FileType::Directory
    );

    // A directory first implied by a deeper entry, then listed: accepted.
    let bytes = tar_with(&[
        (b"d/f", tar::EntryType::Regular, b"x", ""),
        (b"d", tar::EntryType::Directory, b"", ""),
    ]);
    let image = open_bytes(&dir, "implied.tar", &bytes).unwrap();
    assert_eq!(image.stat_path("d", bohr_rootfs::Follow::Final).unwrap().mode, 0o040644);

    // A directory listed twice takes the later entry's metadata, as the
    // kernel's initramfs unpacker does.
    let mut cpio = Vec::new();
    newc_entry(&mut cpio, "d", [2, 0o040755, 0, 0, 2, 5, 0, 0, 0, 0, 0, 0], b"");
    newc_entry(&mut cpio, "d/f", [3, 0o100644, 0, 0, 1, 5, 0, 0, 0, 0, 0, 0], b"f");
    newc_entry(&mut cpio, "d", [4, 0o040700, 7, 8, 2, 9, 0, 0, 0, 0, 0, 0], b"");
    newc_trailer(&mut cpio);
    let image = open_bytes(&dir, "dirs.cpio", &cpio).unwrap();
    let d = image.stat_path("d", bohr_rootfs::Follow::Final).unwrap();
    assert_eq!((d.mode, d.uid, d.gid, d.mtime), (0o040700, 7, 8, 9));
    assert!(image.lookup("d/f", bohr_rootfs::Follow::Final).is_ok());

    // A hard link to something the archive never listed.
    let bytes = tar_with(&[(b"b", tar::EntryType::Link, b"", "nowhere")]);
    let err = open_bytes(&dir, "link.tar", &bytes).unwrap_err();
    assert!(
        matches!(&err, RootfsError::BadEntry { reason, .. } if reason.contains("nowhere")),
        "{err:?}"
    );
}

#[test]
fn symlink_loops_are_refused_in_every_format() {
    let dir = scratch("loops");
    let bytes = tar_with(&[
        (b"a", tar::EntryType::Symlink, b"", "b"),
        (b"b", tar::EntryType::Symlink, b"", "/a"),
    ]);
    let err = open_bytes(&dir, "loop.tar", &bytes).unwrap_err();
    assert!(matches!(&err, RootfsError::SymlinkLoop { link, .. } if link == "/a"), "{err:?}");
    assert!(err.to_string().contains("loop"), "{err}");

    let mut cpio = Vec::new();
    newc_entry(&mut cpio, "self", [2, 0o120777, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], b"./self");
    newc_trailer(&mut cpio);
    assert!(matches!(open_bytes(&dir, "loop.cpio", &cpio), Err(RootfsError::SymlinkLoop { .. })));

    let spec = vec![Entry {
        path: "d",
        kind: Kind::Symlink("d/x"),
        perm: 0o777,
        uid: 0,
        gid: 0,
        mtime: 0,
    }];
    let sq = squashfs_bytes(&spec, Compressor::Xz);
    assert!(matches!(open_bytes(&dir, "loop.sqfs", &sq), Err(RootfsError::SymlinkLoop { .. })));

    // A dangling link is not a loop: firmware links to files made at boot.
    let bytes = tar_with(&[(b"mtab", tar::EntryType::Symlink, b"", "/proc/mounts")]);
    open_bytes(&dir, "dangling.tar", &bytes).unwrap();
}

#[test]
fn compression_bombs_stop_at_the_cap() {
    let dir = scratch("bombs");
    let small = Limits { max_bytes: 1 << 20, ..Limits::default() };
    let big = vec![0u8; 16 << 20];
    let spec = vec![Entry {
        path: "zeros",
        kind: Kind::File(big.clone()),
        perm: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
    }];
    let tar = tar_bytes(&spec);
    for (name, bytes) in [
        ("bomb.tar.gz", gzip(&tar)),
        ("bomb.tar.xz", xz(&tar)),
        ("bomb.cpio.gz", gzip(&cpio_bytes(&spec))),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = Image::open_with_limits(&path, small).unwrap_err();
        assert!(
            matches!(err, RootfsError::TooLarge { limit, .. } if limit == 1 << 20),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains("max_bytes"), "{err}");
        // The default cap lets the same image through.
        assert_eq!(Image::open(&path).unwrap().file_bytes(), 16 << 20);
    }
    let sq = dir.join("bomb.sqfs");
    std::fs::write(&sq, squashfs_bytes(&spec, Compressor::Zstd)).unwrap();
    assert!(matches!(Image::open_with_limits(&sq, small), Err(RootfsError::TooLarge { .. })));
    if is_root() {
        write_dir(&spec, &dir.join("root"));
        assert!(matches!(
            Image::open_with_limits(dir.join("root"), small),
            Err(RootfsError::TooLarge { .. })
        ));
    }
    assert_eq!(Limits::default().max_bytes, 1 << 30);
}

#[test]
fn entry_count_cap() {
    let dir = scratch("entries");
    let path = dir.join("many.tar");
    std::fs::write(&path, tar_bytes(&sample(false))).unwrap();
    let err =
        Image::open_with_limits(&path, Limits { max_entries: 5, ..Limits::default() }).unwrap_err();
    assert!(matches!(err, RootfsError::TooManyEntries { limit: 5, .. }), "{err:?}");
}

#[test]
fn validate_reports_every_bad_image_and_shares_good_ones() {
    let dir = scratch("validate");
    let good = dir.join("good.tar");
    std::fs::write(&good, tar_bytes(&sample(false))).unwrap();
    let bad = dir.join("bad.tar");
    std::fs::write(&bad, &tar_bytes(&sample(false))[..700]).unwrap();
    let missing = dir.join("missing.cpio");

    let errors = validate([&good, &bad, &missing, &good], Limits::default()).unwrap_err();
    let files: Vec<_> = errors.iter().map(|e| e.file().to_path_buf()).collect();
    assert_eq!(files, vec![bad.clone(), missing.clone()]);
    assert!(matches!(errors[0], RootfsError::Truncated { .. }));
    assert!(matches!(errors[1], RootfsError::Missing { .. }));

    let set = validate([&good, &good], Limits::default()).unwrap();
    assert_eq!(set.len(), 1);
    assert!(set.get(&good).unwrap().inode_count() > 10);
}

#[test]
fn symlinks_built_to_be_slow_are_refused_quickly() {
    // 39 links in a chain, each target walking 1600 components, and
    // thousands of links into the chain: checking them naively would take
    // 40 × 1600 steps per link.
    let dir = scratch("slow_links");
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, target: &str| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_mode(0o777);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_size(0);
        b.append_link(&mut h, path, target).unwrap();
    };
    // (`d/..`, since the tar crate drops `.` components from link targets)
    let dots = "d/../".repeat(800);
    for i in 1..39 {
        add(&format!("c{i}"), &format!("{dots}c{}", i + 1));
    }
    add("c39", "/");
    for i in 0..3000 {
        add(&format!("l{i}"), "c1");
    }
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(0);
    b.append_data(&mut h, "d", std::io::empty()).unwrap();
    let bytes = b.into_inner().unwrap();
    let start = std::time::Instant::now();
    let err = open_bytes(&dir, "slow.tar", &bytes).unwrap_err();
    assert!(matches!(err, RootfsError::SymlinksTooComplex { .. }), "{err:?}");
    assert!(err.to_string().contains("path steps"), "{err}");
    // Host time only bounds the test, it never decides a result.
    assert!(start.elapsed().as_secs() < 60);
}

#[test]
fn squashfs_metadata_and_fragment_blocks_count_toward_the_cap() {
    // Three tiny files share one fragment block, which is decompressed whole
    // (128 KiB, backhand's default block size): that counts, not just the
    // three bytes the files hold.
    let dir = scratch("squashfs_cap");
    let spec: Spec = ["a", "b", "c"]
        .into_iter()
        .map(|p| Entry {
            path: p,
            kind: Kind::File(b"x".to_vec()),
            perm: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        })
        .collect();
    let path = dir.join("tiny.sqfs");
    std::fs::write(&path, squashfs_bytes(&spec, Compressor::Gzip)).unwrap();
    let err = Image::open_with_limits(&path, Limits { max_bytes: 100 << 10, ..Limits::default() })
        .unwrap_err();
    assert!(matches!(err, RootfsError::TooLarge { .. }), "{err:?}");
    let image =
        Image::open_with_limits(&path, Limits { max_bytes: 200 << 10, ..Limits::default() })
            .unwrap();
    assert_eq!(image.file_bytes(), 3);
    // The metadata bound alone: one 8 KiB metadata block at least.
    let err = Image::open_with_limits(&path, Limits { max_bytes: 4 << 10, ..Limits::default() })
        .unwrap_err();
    assert!(matches!(err, RootfsError::TooLarge { .. }), "{err:?}");
}

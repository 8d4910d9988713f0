//! Every image format round-trips the same tree: names, types, modes,
//! owners, times, link counts, contents, device numbers and hard links;
//! and the same tree read from different formats is the same image, down
//! to inode numbers.

mod common;

use backhand::compression::Compressor;
use bohr_rootfs::{Compression, Format, Image};
use common::*;

fn without_hard_links(spec: &Spec) -> Spec {
    spec.iter().filter(|e| !matches!(e.kind, Kind::HardLink(_))).cloned().collect()
}

#[test]
fn tar_plain_gzip_xz() {
    let dir = scratch("tar_plain_gzip_xz");
    let spec = sample(false);
    let tar = tar_bytes(&spec);
    for (name, bytes, compression) in [
        ("root.tar", tar.clone(), Compression::None),
        ("root.tar.gz", gzip(&tar), Compression::Gzip),
        ("root.tar.xz", xz(&tar), Compression::Xz),
        // The extension never decides the format.
        ("root.img", gzip(&tar), Compression::Gzip),
    ] {
        let image = open_bytes(&dir, name, &bytes).unwrap();
        assert_eq!(image.format(), Format::Tar(compression), "{name}");
        assert_matches(&image, &spec);
    }
}

#[test]
fn cpio_plain_gzip_xz() {
    let dir = scratch("cpio_plain_gzip_xz");
    let spec = sample(true);
    let cpio = cpio_bytes(&spec);
    for (name, bytes, compression) in [
        ("initramfs.cpio", cpio.clone(), Compression::None),
        ("initramfs.cpio.gz", gzip(&cpio), Compression::Gzip),
        ("initramfs.cpio.xz", xz(&cpio), Compression::Xz),
    ] {
        let image = open_bytes(&dir, name, &bytes).unwrap();
        assert_eq!(image.format(), Format::Cpio(compression), "{name}");
        assert_matches(&image, &spec);
    }
}

#[test]
fn cpio_concatenated_archives_merge() {
    // An initramfs may be several archives back to back, with zero padding.
    let dir = scratch("cpio_concatenated_archives_merge");
    let spec = sample(true);
    let (first, second) = spec.split_at(6);
    let mut bytes = cpio_bytes(&first.to_vec());
    bytes.extend_from_slice(&[0; 512]);
    let mut rest = Vec::new();
    newc_entry(
        &mut rest,
        ".",
        [1, 0o040000 | ROOT_PERM, 0, 0, 2, ROOT_MTIME, 0, 8, 1, 0, 0, 0],
        &[],
    );
    // Re-declare bin identically, then the rest.
    let tail = cpio_bytes(&second.to_vec());
    bytes.extend_from_slice(&rest);
    bytes.extend_from_slice(&tail[112..]);
    let image = open_bytes(&dir, "multi.cpio", &bytes).unwrap();
    assert_matches(&image, &spec);
}

#[test]
fn squashfs_written_by_backhand_every_compressor() {
    let dir = scratch("squashfs_backhand");
    let spec = without_hard_links(&sample(true));
    for (name, c) in [
        ("gzip.sqfs", Compressor::Gzip),
        ("xz.sqfs", Compressor::Xz),
        ("zstd.sqfs", Compressor::Zstd),
        ("lzo.sqfs", Compressor::Lzo),
        // lz4 needs writer options backhand leaves to the caller;
        // mksquashfs covers lz4 below.
    ] {
        let image = open_bytes(&dir, name, &squashfs_bytes(&spec, c)).unwrap();
        assert_eq!(image.format(), Format::Squashfs);
        assert_matches_with_root_mtime(&image, &spec, 0);
    }
}

#[test]
fn directory_on_the_host() {
    if skip_unless(is_root(), "root (to make device nodes and owners)") {
        return;
    }
    let dir = scratch("directory_on_the_host");
    let spec = sample(true);
    write_dir(&spec, &dir.join("root"));
    let image = Image::open(dir.join("root")).unwrap();
    assert_eq!(image.format(), Format::Directory);
    assert_matches(&image, &spec);
}

#[test]
fn squashfs_written_by_mksquashfs_with_hard_links() {
    if skip_unless(is_root(), "root (to make device nodes and owners)")
        || skip_unless(have("mksquashfs"), "mksquashfs (Debian package squashfs-tools)")
    {
        return;
    }
    let dir = scratch("squashfs_mksquashfs");
    let spec = sample(true);
    write_dir(&spec, &dir.join("root"));
    for comp in ["gzip", "xz", "lzo", "lz4", "zstd"] {
        let out = dir.join(format!("{comp}.sqfs"));
        run(
            "mksquashfs",
            &[
                dir.join("root").to_str().unwrap(),
                out.to_str().unwrap(),
                "-comp",
                comp,
                "-noappend",
                "-quiet",
                "-no-progress",
            ],
        );
        let image = Image::open(&out).unwrap();
        assert_matches(&image, &spec);
    }
}

#[test]
fn one_tree_in_every_format_is_one_image() {
    let dir = scratch("one_tree_in_every_format");
    let spec = sample(false);
    let mut dumps = vec![
        ("tar", dump(&open_bytes(&dir, "a.tar", &tar_bytes(&spec)).unwrap())),
        ("cpio", dump(&open_bytes(&dir, "a.cpio", &gzip(&cpio_bytes(&spec))).unwrap())),
    ];
    if is_root() {
        write_dir(&spec, &dir.join("root"));
        dumps.push(("directory", dump(&Image::open(dir.join("root")).unwrap())));
        if have("mksquashfs") {
            let out = dir.join("a.sqfs");
            run(
                "mksquashfs",
                &[
                    dir.join("root").to_str().unwrap(),
                    out.to_str().unwrap(),
                    "-noappend",
                    "-quiet",
                    "-no-progress",
                ],
            );
            dumps.push(("squashfs", dump(&Image::open(&out).unwrap())));
        }
    }
    let (first_name, first) = &dumps[0];
    for (name, d) in &dumps[1..] {
        assert_eq!(d, first, "{name} differs from {first_name}");
    }
    // And the backhand-written squashfs equals the tar of the same tree.
    let plain = without_hard_links(&spec);
    let tar = dump(&open_bytes(&dir, "b.tar", &tar_bytes(&plain)).unwrap());
    let mut sq =
        dump(&open_bytes(&dir, "b.sqfs", &squashfs_bytes(&plain, Compressor::Gzip)).unwrap());
    sq.0.get_mut("").unwrap().mtime = i64::from(ROOT_MTIME);
    assert_eq!(sq, tar);
}

#[test]
fn images_are_shared_not_copied() {
    let dir = scratch("images_are_shared");
    let image = open_bytes(&dir, "a.tar", &tar_bytes(&sample(false))).unwrap();
    let clone = image.clone();
    let a =
        image.read_file(image.lookup("/bin/busybox", bohr_rootfs::Follow::Final).unwrap()).unwrap();
    let b = clone
        .read_file(clone.lookup("/bin/busybox.hard", bohr_rootfs::Follow::Final).unwrap())
        .unwrap();
    assert!(std::ptr::eq(a.as_ptr(), b.as_ptr()), "one copy of the bytes");
    // Send + Sync: cells on other threads use the same image.
    let t = std::thread::spawn(move || clone.file_bytes());
    assert_eq!(t.join().unwrap(), image.file_bytes());
}

#[test]
fn images_read_from_memory_match_files() {
    let spec = sample(false);
    let no_links = without_hard_links(&spec);
    let tar = tar_bytes(&spec);
    for (name, bytes) in [
        ("mem.tar.xz", xz(&tar)),
        ("mem.cpio", cpio_bytes(&spec)),
        ("mem.sqfs", squashfs_bytes(&no_links, Compressor::Xz)),
    ] {
        let image = Image::from_bytes(name, &bytes, bohr_rootfs::Limits::default()).unwrap();
        assert_eq!(image.source(), std::path::Path::new(name));
        if name.ends_with("sqfs") {
            assert_matches_with_root_mtime(&image, &no_links, 0);
        } else {
            assert_matches(&image, &spec);
        }
    }
    let err =
        Image::from_bytes("mem.img", &tar[..1000], bohr_rootfs::Limits::default()).unwrap_err();
    assert!(matches!(err, bohr_rootfs::RootfsError::Truncated { .. }), "{err:?}");
    assert_eq!(err.file(), std::path::Path::new("mem.img"));
}

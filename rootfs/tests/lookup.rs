//! Path lookup inside an image behaves as Linux's does, confined to the
//! image root: symlinks (relative, absolute, climbing past the root),
//! `.` and `..`, trailing slashes, the 40-link limit, and the errno each
//! failure maps to.

mod common;

use bohr_rootfs::{FileType, Follow, Image, LookupError, MAX_SYMLINK_HOPS, NodeKind, RootfsError};
use common::*;

fn e(path: &'static str, kind: Kind) -> Entry {
    let perm = match kind {
        Kind::Dir => 0o755,
        Kind::Symlink(_) => 0o777,
        _ => 0o644,
    };
    Entry { path, kind, perm, uid: 0, gid: 0, mtime: 1 }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn image(test: &str) -> Image {
    let mut spec = vec![
        e("bin", Kind::Dir),
        e("bin/busybox", Kind::File(b"ELF".to_vec())),
        e("bin/sh", Kind::Symlink("busybox")),
        e("usr", Kind::Dir),
        e("usr/lib", Kind::Dir),
        e("usr/lib/libc.so", Kind::File(b"libc".to_vec())),
        e("usr/bin", Kind::Dir),
        e("usr/bin/env", Kind::Symlink("../../bin/busybox")),
        e("lib", Kind::Symlink("usr/lib")),
        e("abs", Kind::Symlink("/bin/sh")),
        e("up", Kind::Symlink("../../../../bin")),
        e("dangling", Kind::Symlink("/nowhere")),
        e("etc", Kind::Dir),
        e("etc/passwd", Kind::File(b"root".to_vec())),
        e("dev", Kind::Dir),
        e("dev/null", Kind::Char(1, 3)),
        e("names", Kind::Dir),
        e("names/b", Kind::File(Vec::new())),
        e("names/B", Kind::File(Vec::new())),
        e("names/a", Kind::File(Vec::new())),
        e("names/\u{e9}", Kind::File(Vec::new())),
        e("names/Z", Kind::File(Vec::new())),
        e("d", Kind::Dir),
    ];
    // c1 -> c2 -> ... -> c30 -> d: thirty links to one directory.
    for i in 1..30 {
        spec.push(e(leak(format!("c{i}")), Kind::Symlink(leak(format!("c{}", i + 1)))));
    }
    spec.push(e("c30", Kind::Symlink("d")));
    let dir = scratch(test);
    open_bytes(&dir, "lookup.tar", &tar_bytes(&spec)).unwrap()
}

fn read(image: &Image, path: &str) -> Vec<u8> {
    let id = image.lookup(path, Follow::Final).unwrap_or_else(|e| panic!("{path}: {e}"));
    image.read_file(id).unwrap().to_vec()
}

#[test]
fn symlinks_resolve_inside_the_image() {
    let image = image("symlinks_resolve_inside_the_image");
    assert_eq!(read(&image, "/bin/sh"), b"ELF");
    assert_eq!(read(&image, "/usr/bin/env"), b"ELF");
    assert_eq!(read(&image, "/abs"), b"ELF");
    assert_eq!(read(&image, "/lib/libc.so"), b"libc");
    // `..` past the root stays at the root, in paths and in link targets.
    assert_eq!(read(&image, "/up/busybox"), b"ELF");
    assert_eq!(read(&image, "/../../../etc/passwd"), b"root");
    assert_eq!(read(&image, "bin/./../etc//passwd"), b"root");
    assert_eq!(image.lookup("/c1", Follow::Final), image.lookup("/d", Follow::Final));
    assert_eq!(image.lookup("/dangling", Follow::Final), Err(LookupError::NotFound));
    let link = image.lookup("/dangling", Follow::NoFinal).unwrap();
    assert_eq!(image.read_link(link), Ok(&b"/nowhere"[..]));
}

#[test]
fn the_final_symlink_is_followed_only_when_asked() {
    let image = image("the_final_symlink_is_followed_only_when_asked");
    let link = image.lookup("/bin/sh", Follow::NoFinal).unwrap();
    let target = image.lookup("/bin/sh", Follow::Final).unwrap();
    assert_ne!(link, target);
    assert_eq!(image.read_link(link), Ok(&b"busybox"[..]));
    let st = image.stat(link);
    assert_eq!((st.file_type, st.mode, st.size), (FileType::Symlink, 0o120777, 7));
    assert_eq!(image.read_file(link), Err(LookupError::NotARegularFile));
    // A trailing slash follows even a final symlink, to a directory.
    let lib = image.lookup("/lib/", Follow::NoFinal).unwrap();
    assert_eq!(Ok(lib), image.lookup("/usr/lib", Follow::Final));
    assert_eq!(image.lookup("/bin/sh/", Follow::NoFinal), Err(LookupError::NotADirectory));
}

#[test]
fn errors_map_to_errno() {
    let image = image("errors_map_to_errno");
    assert_eq!(image.lookup("", Follow::Final), Err(LookupError::NotFound));
    assert_eq!(image.lookup("/etc/shadow", Follow::Final), Err(LookupError::NotFound));
    assert_eq!(image.lookup("/nowhere/x", Follow::Final), Err(LookupError::NotFound));
    assert_eq!(image.lookup("/etc/passwd/x", Follow::Final), Err(LookupError::NotADirectory));
    assert_eq!(image.lookup("/etc/passwd/", Follow::Final), Err(LookupError::NotADirectory));
    assert_eq!(image.lookup("/etc/passwd/.", Follow::Final), Err(LookupError::NotADirectory));
    assert_eq!(image.lookup("/dev/null/..", Follow::Final), Err(LookupError::NotADirectory));
    // Thirty links, back to the root, thirty more: past the limit of 40.
    assert_eq!(image.lookup("/c1/../c1", Follow::Final), Err(LookupError::Loop));
    assert_eq!(image.lookup("/c11/../c11", Follow::Final).map(|_| ()), Ok(()));
    let long = format!("/{}", "x".repeat(256));
    assert_eq!(image.lookup(&long, Follow::Final), Err(LookupError::NameTooLong));
    let deep = "/a".repeat(2100);
    assert_eq!(image.lookup(&deep, Follow::Final), Err(LookupError::NameTooLong));

    let etc = image.lookup("/etc", Follow::Final).unwrap();
    assert_eq!(image.read_file(etc), Err(LookupError::IsADirectory));
    assert_eq!(image.read_link(etc), Err(LookupError::NotASymlink));
    let null = image.lookup("/dev/null", Follow::Final).unwrap();
    assert_eq!(image.read_file(null), Err(LookupError::NotARegularFile));
    assert_eq!(image.read_dir(null), Err(LookupError::NotADirectory));
    assert_eq!(image.stat(null).rdev_major, 1);
    assert_eq!(image.stat(null).rdev_minor, 3);
}

#[test]
fn directories_are_sorted_and_navigable() {
    let image = image("directories_are_sorted_and_navigable");
    let names = image.lookup("/names", Follow::Final).unwrap();
    let listed: Vec<&[u8]> = image.read_dir(names).unwrap().iter().map(|e| e.name()).collect();
    assert_eq!(listed, vec![&b"B"[..], b"Z", b"a", b"b", "\u{e9}".as_bytes()]);
    assert_eq!(image.parent(names), Ok(image.root()));
    assert_eq!(image.parent(image.root()), Ok(image.root()));
    assert_eq!(image.stat(image.root()).ino, 1);
    let usr = image.lookup("/usr", Follow::Final).unwrap();
    // Relative lookups start at the directory given; absolute ones at the root.
    let env_target = image.lookup_at(usr, "bin/env", Follow::Final).unwrap();
    assert_eq!(Ok(env_target), image.lookup("/bin/busybox", Follow::Final));
    assert_eq!(
        image.lookup_at(usr, "/etc/passwd", Follow::Final),
        image.lookup("etc/passwd", Follow::Final)
    );
    assert_eq!(image.lookup_at(usr, "..", Follow::Final), Ok(image.root()));
    assert!(image.child(usr, b"lib").unwrap().is_some());
    assert_eq!(image.child(usr, b"nope"), Ok(None));
    // Link counts: `/usr` holds two subdirectories.
    assert_eq!(image.stat(usr).nlink, 4);
    assert!(matches!(image.inode(usr).kind(), NodeKind::Dir { .. }));
}

#[test]
fn the_hop_limit_is_linux_s() {
    let dir = scratch("hop_limit");
    let chain = |n: u32| -> Spec {
        let mut spec = vec![e("target", Kind::File(b"end".to_vec()))];
        for i in 1..n {
            spec.push(e(leak(format!("l{i}")), Kind::Symlink(leak(format!("l{}", i + 1)))));
        }
        spec.push(e(leak(format!("l{n}")), Kind::Symlink("target")));
        spec
    };
    let ok = open_bytes(&dir, "40.tar", &tar_bytes(&chain(MAX_SYMLINK_HOPS))).unwrap();
    assert_eq!(read(&ok, "/l1"), b"end");
    let err = open_bytes(&dir, "41.tar", &tar_bytes(&chain(MAX_SYMLINK_HOPS + 1))).unwrap_err();
    assert!(matches!(&err, RootfsError::SymlinkLoop { link, .. } if link == "/l1"), "{err:?}");
}

//! A real firmware-like userland: Debian's static busybox for armel with
//! its applet links, `/etc`, device nodes and mount points, packed by
//! `scripts/busybox-images.sh` as a directory, tar.gz, cpio.gz and
//! squashfs with the standard tools. All four must read as one tree.

mod common;

use std::path::PathBuf;

use bohr_rootfs::{Compression, FileType, Follow, Format, Image, NodeKind};
use common::*;

fn images() -> Option<PathBuf> {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("busybox-armel");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/busybox-images.sh");
    let status = std::process::Command::new("bash").arg(script).arg(&out).arg("armel").status();
    let built = matches!(status, Ok(s) if s.success());
    if skip_unless(
        built,
        "busybox images (scripts/busybox-images.sh needs root, network to Debian, cpio and mksquashfs)",
    ) {
        return None;
    }
    Some(out)
}

#[test]
fn busybox_rootfs_in_every_format() {
    let Some(out) = images() else { return };
    let dir = Image::open(out.join("root")).unwrap();
    let tar = Image::open(out.join("busybox.tar.gz")).unwrap();
    let cpio = Image::open(out.join("busybox.cpio.gz")).unwrap();
    let sqfs = Image::open(out.join("busybox.sqfs")).unwrap();
    assert_eq!(dir.format(), Format::Directory);
    assert_eq!(tar.format(), Format::Tar(Compression::Gzip));
    assert_eq!(cpio.format(), Format::Cpio(Compression::Gzip));
    assert_eq!(sqfs.format(), Format::Squashfs);

    let want = dump(&dir);
    for image in [&tar, &cpio, &sqfs] {
        let got = dump(image);
        assert_eq!(got, want, "{} differs from the directory", image.format());
    }

    for image in [&dir, &tar, &cpio, &sqfs] {
        let busybox = image.lookup("/bin/busybox", Follow::Final).unwrap();
        let elf = image.read_file(busybox).unwrap();
        // 32-bit little-endian ARM ELF.
        assert_eq!(&elf[..6], b"\x7fELF\x01\x01");
        assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 40);
        assert!(elf.len() > 500_000, "{}", elf.len());
        // Applets are absolute links to busybox, resolved inside the image.
        for applet in ["/bin/sh", "/bin/cat", "/usr/bin/strings", "/bin/grep"] {
            assert_eq!(
                image.lookup(applet, Follow::Final),
                Ok(busybox),
                "{applet} in {}",
                image.format()
            );
            let link = image.lookup(applet, Follow::NoFinal).unwrap();
            assert_eq!(image.read_link(link), Ok(&b"/bin/busybox"[..]));
        }
        let links = image
            .read_dir(image.lookup("/bin", Follow::Final).unwrap())
            .unwrap()
            .iter()
            .filter(|e| matches!(image.inode(e.inode()).kind(), NodeKind::Symlink(_)))
            .count();
        assert!(links >= 9, "{links} applet links in /bin");
        let mtd = image.stat_path("/dev/mtd0", Follow::Final).unwrap();
        assert_eq!(
            (mtd.file_type, mtd.rdev_major, mtd.rdev_minor, mtd.mode),
            (FileType::CharDevice, 90, 0, 0o020600)
        );
        let block = image.stat_path("/dev/mtdblock0", Follow::Final).unwrap();
        assert_eq!((block.file_type, block.rdev_major), (FileType::BlockDevice, 31));
        let console = image.stat_path("/dev/console", Follow::Final).unwrap();
        assert_eq!((console.uid, console.gid), (0, 5));
        assert_eq!(image.stat_path("/tmp", Follow::Final).unwrap().mode, 0o041777);
        assert_eq!(image.stat_path("/etc/passwd", Follow::Final).unwrap().mode, 0o100600);
        assert_eq!(image.stat_path("/etc/init.d/rcS", Follow::Final).unwrap().mtime, 1_700_000_000);
        // `var/run -> ../run`, and `etc/mtab` dangles into /proc.
        assert_eq!(image.lookup("/var/run", Follow::Final), image.lookup("/run", Follow::Final));
        assert!(image.lookup("/etc/mtab", Follow::Final).is_err());
    }
}

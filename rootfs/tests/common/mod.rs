//! Test images built from one description ([`Spec`]) in every format, and
//! the expectation each read image must match. Shared by the test files.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use bohr_rootfs::{FileType, Follow, Image, NodeKind};

/// One entry of a test tree. Paths are relative, without `./`.
#[derive(Debug, Clone)]
pub enum Kind {
    Dir,
    File(Vec<u8>),
    /// A second name for the file at this path (listed earlier).
    HardLink(&'static str),
    Symlink(&'static str),
    Char(u32, u32),
    Block(u32, u32),
    Fifo,
    Socket,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub path: &'static str,
    pub kind: Kind,
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u32,
}

pub type Spec = Vec<Entry>;

/// The root directory's metadata in every test image.
pub const ROOT_PERM: u32 = 0o755;
pub const ROOT_MTIME: u32 = 1_700_000_000;

fn e(path: &'static str, kind: Kind, perm: u32, uid: u32, gid: u32, mtime: u32) -> Entry {
    Entry { path, kind, perm, uid, gid, mtime }
}

/// A small firmware-like tree with every kind of entry tar can hold.
pub fn sample(with_socket: bool) -> Spec {
    let t = 1_600_000_000;
    let busybox: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut spec = vec![
        e("bin", Kind::Dir, 0o755, 0, 0, t),
        e("bin/busybox", Kind::File(busybox), 0o4755, 0, 0, t + 1),
        e("bin/busybox.hard", Kind::HardLink("bin/busybox"), 0o4755, 0, 0, t + 1),
        e("bin/sh", Kind::Symlink("busybox"), 0o777, 0, 0, t + 2),
        e("bin/passwd-abs", Kind::Symlink("/etc/passwd"), 0o777, 0, 0, t + 3),
        e("bin/etc-up", Kind::Symlink("../../../../etc"), 0o777, 0, 0, t + 4),
        e("etc", Kind::Dir, 0o755, 0, 0, t + 5),
        e(
            "etc/passwd",
            Kind::File(b"root:x:0:0:root:/root:/bin/sh\n".to_vec()),
            0o644,
            0,
            0,
            t + 6,
        ),
        e("etc/empty", Kind::File(Vec::new()), 0o600, 0, 0, t + 7),
        e("etc/mtab", Kind::Symlink("/proc/mounts"), 0o777, 0, 0, t + 8),
        e("dev", Kind::Dir, 0o755, 0, 0, t + 9),
        e("dev/mtd0", Kind::Char(90, 0), 0o600, 0, 0, t + 10),
        e("dev/mtdblock0", Kind::Block(31, 0), 0o640, 0, 6, t + 11),
        e("dev/wide", Kind::Char(259, 70000), 0o620, 0, 5, t + 12),
        e("dev/initctl", Kind::Fifo, 0o600, 0, 0, t + 13),
        e("home", Kind::Dir, 0o755, 0, 0, t + 14),
        e("home/user", Kind::Dir, 0o2750, 1234, 5678, t + 15),
        e("home/user/odd", Kind::File(b"odd\0bytes\xff".to_vec()), 0o6711, 1234, 5678, t + 16),
        e("home/user/notes.txt", Kind::File(b"x".repeat(70000)), 0o444, 4_000_000, 65534, t + 17),
        e("tmp", Kind::Dir, 0o1777, 0, 0, t + 18),
    ];
    if with_socket {
        spec.push(e("tmp/log.sock", Kind::Socket, 0o755, 0, 0, t + 19));
    }
    spec
}

/// A comparable description of one name in a read image.
#[derive(Clone, PartialEq, Eq)]
pub struct Seen {
    pub file_type: FileType,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    pub nlink: u32,
    pub data: Vec<u8>,
    pub rdev: (u32, u32),
}

impl std::fmt::Debug for Seen {
    // Contents print as length and a prefix: a failing comparison of a
    // large file stays readable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} mode {:o} uid {} gid {} mtime {} nlink {} rdev {:?} data[{}] {:?}",
            self.file_type,
            self.mode,
            self.uid,
            self.gid,
            self.mtime,
            self.nlink,
            self.rdev,
            self.data.len(),
            String::from_utf8_lossy(&self.data[..self.data.len().min(40)])
        )
    }
}

/// Every name in `image` (root as ``) with what it holds, and the inode
/// number per name.
pub fn dump(image: &Image) -> (BTreeMap<String, Seen>, BTreeMap<String, u64>) {
    let mut out = BTreeMap::new();
    let mut inos = BTreeMap::new();
    let mut stack = vec![(String::new(), image.root())];
    while let Some((path, id)) = stack.pop() {
        let st = image.stat(id);
        let data = match image.inode(id).kind() {
            NodeKind::File(d) => d.to_vec(),
            NodeKind::Symlink(t) => t.to_vec(),
            _ => Vec::new(),
        };
        out.insert(
            path.clone(),
            Seen {
                file_type: st.file_type,
                mode: st.mode,
                uid: st.uid,
                gid: st.gid,
                mtime: st.mtime,
                nlink: st.nlink,
                data,
                rdev: (st.rdev_major, st.rdev_minor),
            },
        );
        inos.insert(path.clone(), st.ino);
        if let Ok(entries) = image.read_dir(id) {
            for entry in entries {
                let name = String::from_utf8_lossy(entry.name()).into_owned();
                let child = if path.is_empty() { name } else { format!("{path}/{name}") };
                stack.push((child, entry.inode()));
            }
        }
    }
    (out, inos)
}

/// What `dump` must give for an image made from `spec`.
pub fn expected(spec: &Spec) -> BTreeMap<String, Seen> {
    let mut out = BTreeMap::new();
    let dir = |perm: u32, uid, gid, mtime: u32| Seen {
        file_type: FileType::Directory,
        mode: 0o040000 | perm,
        uid,
        gid,
        mtime: i64::from(mtime),
        nlink: 2,
        data: Vec::new(),
        rdev: (0, 0),
    };
    out.insert(String::new(), dir(ROOT_PERM, 0, 0, ROOT_MTIME));
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for entry in spec {
        let (file_type, data, rdev) = match &entry.kind {
            Kind::Dir => (FileType::Directory, Vec::new(), (0, 0)),
            Kind::File(d) => (FileType::Regular, d.clone(), (0, 0)),
            Kind::HardLink(target) => {
                groups.entry(*target).or_insert_with(|| vec![*target]).push(entry.path);
                let seen = out[*target].clone();
                out.insert(entry.path.to_string(), seen);
                continue;
            }
            Kind::Symlink(t) => (FileType::Symlink, t.as_bytes().to_vec(), (0, 0)),
            Kind::Char(a, b) => (FileType::CharDevice, Vec::new(), (*a, *b)),
            Kind::Block(a, b) => (FileType::BlockDevice, Vec::new(), (*a, *b)),
            Kind::Fifo => (FileType::Fifo, Vec::new(), (0, 0)),
            Kind::Socket => (FileType::Socket, Vec::new(), (0, 0)),
        };
        out.insert(
            entry.path.to_string(),
            Seen {
                file_type,
                mode: file_type.mode_bits() | entry.perm,
                uid: entry.uid,
                gid: entry.gid,
                mtime: i64::from(entry.mtime),
                nlink: if file_type == FileType::Directory { 2 } else { 1 },
                data,
                rdev,
            },
        );
        if file_type == FileType::Directory {
            let parent = parent_of(entry.path);
            out.get_mut(&parent).unwrap().nlink += 1;
        }
    }
    for names in groups.values() {
        for name in names {
            out.get_mut(*name).unwrap().nlink = names.len() as u32;
        }
    }
    out
}

fn parent_of(path: &str) -> String {
    path.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default()
}

/// Writes `spec` as a tar archive (GNU headers, `./` prefixes, as
/// `tar -C root -cf - .` does).
pub fn tar_bytes(spec: &Spec) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut root = tar::Header::new_gnu();
    root.set_entry_type(tar::EntryType::Directory);
    root.set_mode(ROOT_PERM);
    root.set_mtime(u64::from(ROOT_MTIME));
    root.set_uid(0);
    root.set_gid(0);
    root.set_size(0);
    b.append_data(&mut root, "./", std::io::empty()).unwrap();
    for entry in spec {
        let mut h = tar::Header::new_gnu();
        h.set_mode(entry.perm);
        h.set_uid(u64::from(entry.uid));
        h.set_gid(u64::from(entry.gid));
        h.set_mtime(u64::from(entry.mtime));
        h.set_size(0);
        let path = format!("./{}", entry.path);
        let mut data: &[u8] = &[];
        match &entry.kind {
            Kind::Dir => h.set_entry_type(tar::EntryType::Directory),
            Kind::File(d) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(d.len() as u64);
                data = d;
            }
            Kind::HardLink(t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_link_name(format!("./{t}")).unwrap();
            }
            Kind::Symlink(t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_link_name(t).unwrap();
            }
            Kind::Char(a, m) | Kind::Block(a, m) => {
                h.set_entry_type(if matches!(entry.kind, Kind::Char(..)) {
                    tar::EntryType::Char
                } else {
                    tar::EntryType::Block
                });
                h.set_device_major(*a).unwrap();
                h.set_device_minor(*m).unwrap();
            }
            Kind::Fifo => h.set_entry_type(tar::EntryType::Fifo),
            Kind::Socket => panic!("tar cannot hold a socket"),
        }
        // `append_data` would refuse link names with `..`; write the path
        // into the header directly.
        h.set_path(&path).unwrap();
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// One newc header and its name and data, padded.
pub fn newc_entry(out: &mut Vec<u8>, name: &str, fields: [u32; 12], data: &[u8]) {
    // fields: ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor check
    out.extend_from_slice(b"070701");
    for (i, f) in fields.iter().enumerate() {
        let v = if i == 6 { data.len() as u32 } else { *f };
        out.extend_from_slice(format!("{v:08X}").as_bytes());
        if i == 10 {
            out.extend_from_slice(format!("{:08X}", name.len() + 1).as_bytes());
        }
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

pub fn newc_trailer(out: &mut Vec<u8>) {
    newc_entry(out, "TRAILER!!!", [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], &[]);
}

/// Writes `spec` as a newc cpio archive the way GNU cpio does: hard-linked
/// names share an inode number and only the last carries the bytes.
pub fn cpio_bytes(spec: &Spec) -> Vec<u8> {
    let mut out = Vec::new();
    newc_entry(
        &mut out,
        ".",
        [1, 0o040000 | ROOT_PERM, 0, 0, 2, ROOT_MTIME, 0, 8, 1, 0, 0, 0],
        &[],
    );
    let links: BTreeMap<&str, usize> = spec.iter().fold(BTreeMap::new(), |mut m, e| {
        if let Kind::HardLink(t) = e.kind {
            *m.entry(t).or_insert(1) += 1;
        }
        m
    });
    let ino_of = |path: &str| spec.iter().position(|e| e.path == path).unwrap() as u32 + 2;
    for (i, entry) in spec.iter().enumerate() {
        let mut ino = i as u32 + 2;
        let mut nlink = 1;
        let (ty, data, rdev): (u32, Vec<u8>, (u32, u32)) = match &entry.kind {
            Kind::Dir => (0o040000, Vec::new(), (0, 0)),
            Kind::File(d) => {
                if let Some(&n) = links.get(entry.path) {
                    // The bytes go with the last name.
                    nlink = n as u32;
                    (0o100000, Vec::new(), (0, 0))
                } else {
                    (0o100000, d.clone(), (0, 0))
                }
            }
            Kind::HardLink(t) => {
                ino = ino_of(t);
                nlink = links[t] as u32;
                let Kind::File(d) = &spec[ino as usize - 2].kind else { unreachable!() };
                (0o100000, d.clone(), (0, 0))
            }
            Kind::Symlink(t) => (0o120000, t.as_bytes().to_vec(), (0, 0)),
            Kind::Char(a, b) => (0o020000, Vec::new(), (*a, *b)),
            Kind::Block(a, b) => (0o060000, Vec::new(), (*a, *b)),
            Kind::Fifo => (0o010000, Vec::new(), (0, 0)),
            Kind::Socket => (0o140000, Vec::new(), (0, 0)),
        };
        newc_entry(
            &mut out,
            entry.path,
            [
                ino,
                ty | entry.perm,
                entry.uid,
                entry.gid,
                nlink,
                entry.mtime,
                0,
                8,
                1,
                rdev.0,
                rdev.1,
                0,
            ],
            &data,
        );
    }
    newc_trailer(&mut out);
    out
}

/// Linux's `new_encode_dev`, as squashfs stores device numbers.
pub fn encode_dev(major: u32, minor: u32) -> u32 {
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// Writes `spec` as a squashfs image with `backhand` (which cannot write
/// hard links, so callers leave them out of the spec, and leaves the
/// root's time at 0).
pub fn squashfs_bytes(spec: &Spec, compressor: backhand::compression::Compressor) -> Vec<u8> {
    let mut fs = backhand::FilesystemWriter::default();
    fs.set_root_mode(ROOT_PERM as u16);
    fs.set_root_uid(0);
    fs.set_root_gid(0);
    fs.set_time(ROOT_MTIME);
    fs.set_compressor(backhand::FilesystemCompressor::new(compressor, None).unwrap());
    for entry in spec {
        let h = backhand::NodeHeader::new(entry.perm as u16, entry.uid, entry.gid, entry.mtime);
        let p = format!("/{}", entry.path);
        match &entry.kind {
            Kind::Dir => fs.push_dir(&p, h).unwrap(),
            Kind::File(d) => fs.push_file(Cursor::new(d.clone()), &p, h).unwrap(),
            Kind::HardLink(_) => panic!("backhand writes no hard links"),
            Kind::Symlink(t) => fs.push_symlink(*t, &p, h).unwrap(),
            Kind::Char(a, b) => fs.push_char_device(encode_dev(*a, *b), &p, h).unwrap(),
            Kind::Block(a, b) => fs.push_block_device(encode_dev(*a, *b), &p, h).unwrap(),
            Kind::Fifo => fs.push_fifo(&p, h).unwrap(),
            Kind::Socket => fs.push_socket(&p, h).unwrap(),
        }
    }
    let mut out = Cursor::new(Vec::new());
    fs.write(&mut out).unwrap();
    out.into_inner()
}

/// Creates `spec` under `root` on the host (needs root for device nodes
/// and owners). Directory times are set last, after their contents.
pub fn write_dir(spec: &Spec, root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(root).unwrap();
    for entry in spec {
        let p = root.join(entry.path);
        match &entry.kind {
            Kind::Dir => std::fs::create_dir(&p).unwrap(),
            Kind::File(d) => std::fs::write(&p, d).unwrap(),
            Kind::HardLink(t) => std::fs::hard_link(root.join(t), &p).unwrap(),
            Kind::Symlink(t) => std::os::unix::fs::symlink(t, &p).unwrap(),
            Kind::Char(a, b) | Kind::Block(a, b) => {
                let c = if matches!(entry.kind, Kind::Char(..)) { "c" } else { "b" };
                run("mknod", &[p.to_str().unwrap(), c, &a.to_string(), &b.to_string()]);
            }
            Kind::Fifo => run("mkfifo", &[p.to_str().unwrap()]),
            Kind::Socket => bind_socket(&p),
        }
        if !matches!(entry.kind, Kind::Symlink(_) | Kind::HardLink(_)) {
            std::os::unix::fs::lchown(&p, Some(entry.uid), Some(entry.gid)).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(entry.perm)).unwrap();
        } else if let Kind::Symlink(_) = entry.kind {
            std::os::unix::fs::lchown(&p, Some(entry.uid), Some(entry.gid)).unwrap();
        }
    }
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(ROOT_PERM)).unwrap();
    std::os::unix::fs::lchown(root, Some(0), Some(0)).unwrap();
    // Deepest first, so setting a directory's time is the last change in it.
    let mut timed: Vec<(PathBuf, u32)> = spec
        .iter()
        .filter(|e| !matches!(e.kind, Kind::HardLink(_)))
        .map(|e| (root.join(e.path), e.mtime))
        .collect();
    timed.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
    timed.push((root.to_path_buf(), ROOT_MTIME));
    for (p, t) in timed {
        run("touch", &["-h", "-d", &format!("@{t}"), p.to_str().unwrap()]);
    }
}

/// Makes a Unix socket node at `path`. A socket address holds at most 107
/// bytes, so the bind goes through a short symlink to the directory.
fn bind_socket(path: &Path) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let link = std::env::temp_dir().join(format!(
        "bohr-rootfs-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(path.parent().unwrap(), &link).unwrap();
    let bound = std::os::unix::net::UnixListener::bind(link.join(path.file_name().unwrap()));
    std::fs::remove_file(&link).unwrap();
    drop(bound.unwrap());
}

pub fn run(cmd: &str, args: &[&str]) {
    let status = std::process::Command::new(cmd).args(args).status().unwrap();
    assert!(status.success(), "{cmd} {args:?} failed");
}

pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub fn have(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Skips a test (returning true) when `what` is missing, with a notice;
/// under `CI` the test fails instead.
pub fn skip_unless(ok: bool, what: &str) -> bool {
    if ok {
        return false;
    }
    assert!(std::env::var_os("CI").is_none(), "{what} is missing, and CI must run this test");
    eprintln!("notice: skipping: {what} is missing");
    true
}

/// A fresh scratch directory under the target directory, named by test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rootfs-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `bytes` to a scratch file and opens it.
pub fn open_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Result<Image, bohr_rootfs::RootfsError> {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().write_all(bytes).unwrap();
    Image::open(&path)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Checks `image` against `spec`: every name, type, mode, owner, time,
/// link count, content and device number; hard links share an inode.
pub fn assert_matches(image: &Image, spec: &Spec) {
    assert_matches_with_root_mtime(image, spec, ROOT_MTIME);
}

/// [`assert_matches`] for writers that cannot set the root's time.
pub fn assert_matches_with_root_mtime(image: &Image, spec: &Spec, root_mtime: u32) {
    let (seen, inos) = dump(image);
    let mut want = expected(spec);
    want.get_mut("").unwrap().mtime = i64::from(root_mtime);
    for (path, w) in &want {
        let s =
            seen.get(path).unwrap_or_else(|| panic!("`{path}` missing from {}", image.format()));
        assert_eq!(s, w, "`{path}` in {}", image.format());
    }
    let extra: Vec<_> = seen.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(extra.is_empty(), "unexpected names in {}: {extra:?}", image.format());
    for entry in spec {
        if let Kind::HardLink(t) = entry.kind {
            assert_eq!(
                inos[entry.path],
                inos[t],
                "hard link `{}` in {}",
                entry.path,
                image.format()
            );
        }
    }
    // Lookups through the image's symlinks land where Linux would.
    let passwd = image.lookup("/etc/passwd", Follow::Final).unwrap();
    if spec.iter().any(|e| e.path == "bin/passwd-abs") {
        assert_eq!(image.lookup("/bin/passwd-abs", Follow::Final), Ok(passwd));
    }
}

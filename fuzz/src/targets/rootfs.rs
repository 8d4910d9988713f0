//! The rootfs image readers (`bohr-rootfs`): archives from bytes (tar,
//! cpio and squashfs, plain or compressed, recognised by magic) and host
//! directories built from the input.
//!
//! Every image that opens is then walked: lookups of a few paths with and
//! without following the final symlink, directory listings, file reads
//! and stats. Features: the error's variant and message, or the format and
//! the file types and lookup results met.

use std::path::PathBuf;

use arbitrary::Unstructured;
use bohr_rootfs::{Follow, Image, Limits, NodeKind};

use super::error_features;
use crate::engine::{Target, TargetSpec, feature, feature_str};

pub const ARCHIVE: TargetSpec = TargetSpec {
    name: "rootfs-archive",
    features: "reader error kinds and messages, formats, node kinds, lookup results",
    make: || Box::new(Archive),
};

pub const DIR: TargetSpec = TargetSpec {
    name: "rootfs-dir",
    features: "reader error kinds and messages, node kinds, lookup results",
    make: || Box::new(Dir::new()),
};

/// Small limits: a fuzz input never needs more, and reaching them is
/// itself a path worth covering.
const LIMITS: Limits = Limits { max_bytes: 16 << 20, max_entries: 10_000 };

const PATHS: &[&str] =
    &["/", "/a", "/a/b", "/a/../b", "/c/", "/a/b/c/d", "b/..", "/d/e/../../a", "/.."];

/// Walk an opened image.
fn explore(image: &Image, features: &mut Vec<u64>) {
    features.push(feature_str(40, &image.format().to_string()));
    for p in PATHS {
        for follow in [Follow::Final, Follow::NoFinal] {
            match image.lookup(p, follow) {
                Ok(id) => {
                    let inode = image.inode(id);
                    let kind = match inode.kind() {
                        NodeKind::Dir { .. } => {
                            if let Ok(entries) = image.read_dir(id) {
                                features.push(feature(41, entries.len().min(8) as u64));
                            }
                            "dir"
                        }
                        NodeKind::File(_) => {
                            let _ = image.read_file(id);
                            "file"
                        }
                        NodeKind::Symlink(_) => {
                            let _ = image.read_link(id);
                            "symlink"
                        }
                        _ => "other",
                    };
                    let _ = image.stat(id);
                    let _ = image.parent(id);
                    features.push(feature_str(42, kind));
                }
                Err(e) => features.push(feature_str(43, &format!("{e:?}"))),
            }
        }
    }
}

struct Archive;

impl Target for Archive {
    fn seeds(&self) -> Vec<Vec<u8>> {
        // The committed corpus holds real images (tar, cpio, squashfs,
        // gzip, xz); the seeds add the magic numbers alone.
        vec![
            b"070701".to_vec(),
            b"hsqs".to_vec(),
            [&[0u8; 257][..], b"ustar\x0000"].concat(),
            vec![0x1f, 0x8b, 8, 0],
            b"\xfd7zXZ\0".to_vec(),
        ]
    }

    fn dictionary(&self) -> Vec<Vec<u8>> {
        vec![
            b"070701".to_vec(),
            b"070702".to_vec(),
            b"TRAILER!!!".to_vec(),
            b"ustar\x0000".to_vec(),
            b"ustar  \0".to_vec(),
            b"hsqs".to_vec(),
            b"00000000".to_vec(),
            b"ffffffff".to_vec(),
            b"0000755".to_vec(),
            b"../".to_vec(),
            b"/".to_vec(),
        ]
    }

    fn max_len(&self) -> usize {
        64 << 10
    }

    fn run(&mut self, input: &[u8], features: &mut Vec<u64>) {
        match Image::from_bytes("fuzz.img", input, LIMITS) {
            Ok(image) => explore(&image, features),
            Err(e) => error_features(44, &format!("{e:?}"), &e.to_string(), features),
        }
    }
}

/// Builds a directory tree from the input under a scratch directory of
/// its own (one per process), then reads it.
struct Dir {
    root: PathBuf,
}

const NAMES: &[&str] = &["a", "b", "c", "d", "e", "..", ".", "sp ace", "é", "a/b"];
const TARGETS: &[&str] =
    &["a", "/a", "../a", "a/b", "/", "..", "b/../a", "/c/d", "c", "x", "/a/b/c/d/e", ""];

impl Dir {
    /// Whether an operation on `path` can only touch the fuzz root: no `..`
    /// component (lexically `root/..` still "starts with" the root) and no
    /// symlink on the way to the entry or at it, which an earlier
    /// entry of the input may have pointed at `/` or `..`. Without this
    /// check an input once changed the mode of the host's temporary
    /// directory.
    fn stays_inside(&self, path: &std::path::Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else { return false };
        let mut at = self.root.clone();
        let parts: Vec<_> = rel.components().collect();
        for c in &parts {
            if !matches!(c, std::path::Component::Normal(_)) {
                return false;
            }
            at.push(c);
            // The entry itself too: writing or changing the mode of an
            // existing symlink would follow it.
            if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
                return false;
            }
        }
        !parts.is_empty()
    }

    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("bohr-fuzz-dir-{}", std::process::id()));
        Dir { root }
    }

    /// Create the tree the input describes; what the host refuses (a name
    /// like `..`, a parent that is a file) is skipped.
    fn build(&self, u: &mut Unstructured) -> arbitrary::Result<()> {
        let mut files: Vec<PathBuf> = Vec::new();
        let entries = u.int_in_range(0..=24u8)?;
        for _ in 0..entries {
            let depth = u.int_in_range(1..=3u8)?;
            let mut path = self.root.clone();
            for _ in 0..depth {
                path.push(*u.choose(NAMES)?);
            }
            if !self.stays_inside(&path) {
                continue;
            }
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            match u.int_in_range(0..=4u8)? {
                0 => {
                    let len = u.int_in_range(0..=32usize)?;
                    let _ = std::fs::write(&path, u.bytes(len)?);
                    files.push(path);
                }
                1 => {
                    let _ = std::fs::create_dir(&path);
                }
                2 => {
                    let _ = std::os::unix::fs::symlink(u.choose(TARGETS)?, &path);
                }
                3 if !files.is_empty() => {
                    let _ = std::fs::hard_link(u.choose(&files)?, &path);
                }
                _ => {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::create_dir(&path);
                    let mode = u.int_in_range(0..=0o7777u32)?;
                    let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode));
                }
            }
        }
        Ok(())
    }

    fn clear(&self) {
        use std::os::unix::fs::PermissionsExt;
        // Directories the input made unreadable must be opened up first.
        if let Ok(walk) = std::fs::read_dir(&self.root) {
            for e in walk.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    let _ =
                        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o755));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        self.clear();
    }
}

impl Target for Dir {
    fn seeds(&self) -> Vec<Vec<u8>> {
        vec![vec![8, 0, 0, 1, 1, 1, 0, 2, 3, 1, 1, 0, 1, 2, 0, 4, 5, 0, 3, 0, 2, 2, 1, 1]]
    }

    fn max_len(&self) -> usize {
        512
    }

    fn run(&mut self, input: &[u8], features: &mut Vec<u64>) {
        self.clear();
        std::fs::create_dir_all(&self.root).expect("scratch directory");
        let _ = self.build(&mut Unstructured::new(input));
        match Image::open_with_limits(&self.root, LIMITS) {
            Ok(image) => explore(&image, features),
            Err(e) => {
                // The message names the scratch path: keep the rest.
                let display = e.to_string().replace(&self.root.display().to_string(), "ROOT");
                error_features(45, &format!("{e:?}"), &display, features)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dir;

    /// The host-directory target writes only inside its own root: `..`
    /// and symlinks (to `/` or `..`) on the way or at the entry are
    /// refused, so an input can never change a host file or mode.
    #[test]
    fn host_trees_never_leave_their_root() {
        let dir = Dir { root: std::env::temp_dir().join("bohr-fuzz-dir-escape-test") };
        let _ = std::fs::remove_dir_all(&dir.root);
        std::fs::create_dir_all(&dir.root).unwrap();
        std::os::unix::fs::symlink("/", dir.root.join("up")).unwrap();
        assert!(!dir.stays_inside(&dir.root.join("..")));
        assert!(!dir.stays_inside(&dir.root.join("a").join("..").join("..")));
        assert!(!dir.stays_inside(&dir.root.join("up")));
        assert!(!dir.stays_inside(&dir.root.join("up").join("x")));
        assert!(!dir.stays_inside(&dir.root));
        assert!(dir.stays_inside(&dir.root.join("a").join("b")));
        std::fs::remove_dir_all(&dir.root).unwrap();
    }
}

//! Path handling: joining a path to its starting directory (`dirfd`),
//! folding `.` and `..`, and following symlinks component by component
//! (`ELOOP` after [`MAX_SYMLINKS`] hops), with the per-process links of
//! `/proc/self` answered here rather than by the file system.

use super::uaccess::Ctx;
use super::{AT_FDCWD, Fail};
use crate::linux::FileSystem;
use crate::linux::abi::{FileStat, S_IFDIR, S_IFLNK, S_IFMT};
use crate::linux::errno::Errno;
use crate::linux::procfs;

/// Symlinks followed in one lookup before `ELOOP`, as in Linux.
pub const MAX_SYMLINKS: u32 = 40;

/// Join `base` and `path` and fold `.`, `..` and repeated slashes.
pub fn normalize(base: &[u8], path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let full: Vec<u8> = if path.first() == Some(&b'/') {
        path.to_vec()
    } else {
        let mut v = base.to_vec();
        v.push(b'/');
        v.extend_from_slice(path);
        v
    };
    for comp in full.split(|&c| c == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(full.len());
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

impl Ctx<'_> {
    /// The directory a relative `path` starts from.
    fn start_dir(&self, dirfd: i64, path: &[u8]) -> Result<Vec<u8>, Fail> {
        if path.first() == Some(&b'/') {
            return Ok(b"/".to_vec());
        }
        if dirfd == AT_FDCWD {
            return Ok(self.p.cwd.clone());
        }
        let f = self.p.fds.get(dirfd as u64)?;
        let f = f.borrow();
        if f.object.stat().mode & S_IFMT != S_IFDIR {
            return Err(Errno::ENOTDIR.into());
        }
        Ok(f.path.clone())
    }

    /// `lstat` through the per-process `/proc/self` entries first.
    pub fn lstat_abs(&mut self, abs: &[u8]) -> Result<FileStat, Errno> {
        if let Some(node) = procfs::lookup(self.k, self.p, abs) {
            return Ok(node.stat(abs));
        }
        self.k.fs.lstat(abs)
    }

    /// `readlink` through `/proc/self` first.
    pub fn readlink_abs(&mut self, abs: &[u8]) -> Result<Vec<u8>, Errno> {
        if let Some(node) = procfs::lookup(self.k, self.p, abs) {
            return node.link().ok_or(Errno::EINVAL);
        }
        self.k.fs.readlink(abs)
    }

    /// Absolute path of `path` relative to `dirfd` with every symlink
    /// followed, the last component's only when `follow_last`. A missing
    /// last component is not an error here (the caller may create it).
    pub fn lookup(&mut self, dirfd: i64, path: &[u8], follow_last: bool) -> Result<Vec<u8>, Fail> {
        if path.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        let start = self.start_dir(dirfd, path)?;
        Ok(walk(self, &start, path, follow_last)?)
    }
}

/// What a path walk needs from the world: `lstat` and `readlink`.
pub trait Namei {
    fn lstat(&mut self, abs: &[u8]) -> Result<FileStat, Errno>;
    fn readlink(&mut self, abs: &[u8]) -> Result<Vec<u8>, Errno>;
}

impl Namei for Ctx<'_> {
    fn lstat(&mut self, abs: &[u8]) -> Result<FileStat, Errno> {
        self.lstat_abs(abs)
    }
    fn readlink(&mut self, abs: &[u8]) -> Result<Vec<u8>, Errno> {
        self.readlink_abs(abs)
    }
}

impl Namei for dyn FileSystem + '_ {
    fn lstat(&mut self, abs: &[u8]) -> Result<FileStat, Errno> {
        FileSystem::lstat(self, abs)
    }
    fn readlink(&mut self, abs: &[u8]) -> Result<Vec<u8>, Errno> {
        FileSystem::readlink(self, abs)
    }
}

/// Walk `path` from directory `start` (absolute), following symlinks
/// (the last component's only when `follow_last`). A missing last
/// component is returned as is, for the caller to create or report.
pub fn walk(
    n: &mut (impl Namei + ?Sized),
    start: &[u8],
    path: &[u8],
    follow_last: bool,
) -> Result<Vec<u8>, Errno> {
    let trailing_slash = path.last() == Some(&b'/');
    let mut todo: Vec<Vec<u8>> = path.split(|&c| c == b'/').rev().map(|c| c.to_vec()).collect();
    let mut done: Vec<u8> =
        if start == b"/" || path.first() == Some(&b'/') { Vec::new() } else { start.to_vec() };
    let mut hops = 0;
    while let Some(comp) = todo.pop() {
        match comp.as_slice() {
            b"" | b"." => continue,
            b".." => {
                let cut = done.iter().rposition(|&c| c == b'/').unwrap_or(0);
                done.truncate(cut);
                continue;
            }
            _ => {}
        }
        let mut cand = done.clone();
        cand.push(b'/');
        cand.extend_from_slice(&comp);
        let last = todo.iter().all(|c| c.is_empty() || c == b".");
        if last && !follow_last && !trailing_slash {
            done = cand;
            break;
        }
        match n.lstat(&cand) {
            Ok(st) if st.mode & S_IFMT == S_IFLNK => {
                hops += 1;
                if hops > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                let target = n.readlink(&cand)?;
                if target.first() == Some(&b'/') {
                    done.clear();
                }
                todo.extend(target.split(|&c| c == b'/').rev().map(|c| c.to_vec()));
            }
            Ok(st) => {
                if !last && st.mode & S_IFMT != S_IFDIR {
                    return Err(Errno::ENOTDIR);
                }
                done = cand;
            }
            Err(Errno::ENOENT) if last => {
                done = cand;
                break;
            }
            Err(e) => return Err(e),
        }
    }
    if done.is_empty() {
        done.push(b'/');
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Directories and symlinks by absolute path.
    struct Links(BTreeMap<&'static [u8], Option<&'static [u8]>>);

    impl Namei for Links {
        fn lstat(&mut self, abs: &[u8]) -> Result<FileStat, Errno> {
            match self.0.get(abs) {
                Some(None) => Ok(FileStat { mode: S_IFDIR, ..Default::default() }),
                Some(Some(_)) => Ok(FileStat { mode: S_IFLNK, ..Default::default() }),
                None => Err(Errno::ENOENT),
            }
        }
        fn readlink(&mut self, abs: &[u8]) -> Result<Vec<u8>, Errno> {
            self.0.get(abs).copied().flatten().map(|t| t.to_vec()).ok_or(Errno::EINVAL)
        }
    }

    fn tree() -> Links {
        let mut m: BTreeMap<&'static [u8], Option<&'static [u8]>> = BTreeMap::new();
        m.insert(b"/usr", None);
        m.insert(b"/usr/lib", None);
        m.insert(b"/lib", Some(b"usr/lib"));
        m.insert(b"/usr/lib/abs", Some(b"/usr"));
        m.insert(b"/usr/lib/up", Some(b"../lib/.."));
        m.insert(b"/a", Some(b"b"));
        m.insert(b"/b", Some(b"a"));
        Links(m)
    }

    #[test]
    fn walk_follows_relative_absolute_and_dotdot_links() {
        let mut t = tree();
        assert_eq!(walk(&mut t, b"/", b"/lib/x.so", true).unwrap(), b"/usr/lib/x.so");
        assert_eq!(walk(&mut t, b"/", b"/lib/abs/lib", true).unwrap(), b"/usr/lib");
        assert_eq!(walk(&mut t, b"/usr", b"lib/up/lib", true).unwrap(), b"/usr/lib");
        // The last component is left alone unless asked.
        assert_eq!(walk(&mut t, b"/", b"/lib", false).unwrap(), b"/lib");
        assert_eq!(walk(&mut t, b"/", b"/lib", true).unwrap(), b"/usr/lib");
    }

    #[test]
    fn walk_stops_loops_and_missing_parents() {
        let mut t = tree();
        assert_eq!(walk(&mut t, b"/", b"/a", true), Err(Errno::ELOOP));
        assert_eq!(walk(&mut t, b"/", b"/a", false).unwrap(), b"/a");
        assert_eq!(walk(&mut t, b"/", b"/nope/x", true), Err(Errno::ENOENT));
        // A chain of exactly MAX_SYMLINKS links resolves; one more does not.
        let names: Vec<Vec<u8>> =
            (0..=MAX_SYMLINKS + 1).map(|i| format!("/l{i}").into_bytes()).collect();
        let mut m = BTreeMap::new();
        for i in 0..=MAX_SYMLINKS as usize {
            let from: &'static [u8] = Box::leak(names[i].clone().into_boxed_slice());
            let to: &'static [u8] = Box::leak(names[i + 1].clone().into_boxed_slice());
            m.insert(from, Some(to));
        }
        m.insert(b"/usr", None);
        let last: &'static [u8] =
            Box::leak(names[MAX_SYMLINKS as usize + 1].clone().into_boxed_slice());
        m.insert(last, Some(&b"/usr"[..]));
        let mut chain = Links(m);
        // From /l2, /l2 ..= /l41 are 40 links; /l1 adds one too many.
        assert_eq!(walk(&mut chain, b"/", b"/l2", true).unwrap(), b"/usr");
        assert_eq!(walk(&mut chain, b"/", b"/l1", true), Err(Errno::ELOOP));
    }

    #[test]
    fn normalize_folds_dots_and_slashes() {
        assert_eq!(normalize(b"/a/b", b"../c//./d"), b"/a/c/d");
        assert_eq!(normalize(b"/", b".."), b"/");
        assert_eq!(normalize(b"/x", b"/abs/./p"), b"/abs/p");
    }
}

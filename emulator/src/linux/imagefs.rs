//! A firmware root filesystem image ([`bohr_rootfs::Image`]) as a read-only
//! [`LowerFs`] layer. The image is read once and shared (`Arc`) by every
//! cell that uses it; each cell puts its own writable
//! [`Overlay`](super::overlay::Overlay) on top.
//!
//! Paths reaching a lower layer are already normalised by the kernel, and
//! only a final symlink may be left unresolved, so each call resolves with
//! [`Follow::NoFinal`]: the image never follows a link on the kernel's
//! behalf. Modes, link counts, device numbers and the image's timestamps
//! are reported as stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bohr_rootfs::{FileData, Follow, Image, InodeId, LookupError, NodeKind};

use super::abi::FileStat;
use super::errno::Errno;
use super::file::DirEntry;
use super::lower::{LowerFs, dt_kind};
use crate::mem::FilePages;

/// Device number every image inode reports (distinct from the host tree's).
const IMAGE_DEV: u64 = 2;

/// One opened image, seen as the guest's `/`.
#[derive(Debug, Clone)]
pub struct ImageFs {
    image: Image,
}

fn errno(e: LookupError) -> Errno {
    match e {
        LookupError::NotFound => Errno::ENOENT,
        LookupError::NotADirectory => Errno::ENOTDIR,
        LookupError::Loop => Errno::ELOOP,
        LookupError::NameTooLong => Errno::ENAMETOOLONG,
        LookupError::IsADirectory => Errno::EISDIR,
        LookupError::NotASymlink => Errno::EINVAL,
        LookupError::NotARegularFile => Errno::EINVAL,
    }
}

/// Bytes of image files kept as host file pages at most: past it, mapped
/// files are copied as before. Bounds the host memory a long run keeps.
const MAX_FILE_PAGES_BYTES: u64 = 1 << 30;

/// Every image file mapped so far, as file pages, by the address of its
/// bytes (the entry holds the bytes, so the address stays theirs): cells
/// and threads of a run map one host file per image file.
struct PagesRegistry {
    by_bytes: HashMap<usize, (FileData, Arc<FilePages>)>,
    held: u64,
}

static FILE_PAGES: Mutex<Option<PagesRegistry>> = Mutex::new(None);

/// The file pages holding `bytes`, made on first use: the image cache
/// entry they are mapped from when they lie on its pages, else a memory
/// file of them. `None` for an empty file, past [`MAX_FILE_PAGES_BYTES`],
/// or when the host refuses.
fn file_pages_of(bytes: &FileData) -> Option<Arc<FilePages>> {
    if bytes.is_empty() {
        return None;
    }
    let mut guard = FILE_PAGES.lock().unwrap_or_else(|e| e.into_inner());
    let reg = guard.get_or_insert_with(|| PagesRegistry { by_bytes: HashMap::new(), held: 0 });
    let key = bytes.as_ptr() as usize;
    if let Some((_, pages)) = reg.by_bytes.get(&key) {
        return Some(pages.clone());
    }
    let len = bytes.len() as u64;
    let pages = match bytes.host_file() {
        // The host's page cache holds these: no memory of ours.
        Some((file, offset)) => {
            FilePages::in_host_file(file.try_clone().ok()?.into(), offset, len).ok()?
        }
        None if reg.held + len > MAX_FILE_PAGES_BYTES => return None,
        None => {
            reg.held += len;
            FilePages::new(bytes).ok()?
        }
    };
    let pages = Arc::new(pages);
    reg.by_bytes.insert(key, (bytes.clone(), pages.clone()));
    Some(pages)
}

/// Linux's `new_encode_dev`.
fn encode_dev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major), u64::from(minor));
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

impl ImageFs {
    pub fn new(image: Image) -> ImageFs {
        ImageFs { image }
    }

    pub fn image(&self) -> &Image {
        &self.image
    }

    fn find(&self, path: &[u8]) -> Result<InodeId, Errno> {
        self.image.lookup(path, Follow::NoFinal).map_err(errno)
    }
}

impl LowerFs for ImageFs {
    fn stat(&self, path: &[u8]) -> Result<FileStat, Errno> {
        let st = self.image.stat(self.find(path)?);
        Ok(FileStat {
            dev: IMAGE_DEV,
            ino: st.ino,
            mode: st.mode,
            nlink: st.nlink,
            rdev: encode_dev(st.rdev_major, st.rdev_minor),
            size: st.size,
            blksize: 4096,
            // Images made before the epoch report it.
            time: st.mtime.max(0) as u64,
        })
    }

    fn read(&self, path: &[u8], offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let data = self.image.read_file(self.find(path)?).map_err(errno)?;
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn file_pages(&self, path: &[u8]) -> Option<Arc<FilePages>> {
        // An image never changes: its files' bytes are fixed for the run.
        file_pages_of(self.image.read_file(self.find(path).ok()?).ok()?)
    }

    fn contents(&self, path: &[u8]) -> Option<FileData> {
        self.image.read_file(self.find(path).ok()?).ok().cloned()
    }

    fn readdir(&self, path: &[u8]) -> Result<Vec<DirEntry>, Errno> {
        let dir = self.find(path)?;
        let entries = self.image.read_dir(dir).map_err(errno)?;
        Ok(entries
            .iter()
            .map(|e| {
                let st = self.image.stat(e.inode());
                DirEntry { ino: st.ino, kind: dt_kind(st.mode), name: e.name().to_vec() }
            })
            .collect())
    }

    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let id = self.find(path)?;
        match self.image.inode(id).kind() {
            NodeKind::Symlink(t) => Ok(t.to_vec()),
            _ => Err(Errno::EINVAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (std::path::PathBuf, ImageFs) {
        let dir = std::env::temp_dir().join(format!("bohr-imagefs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/busybox"), b"0123456789").unwrap();
        std::os::unix::fs::symlink("/bin/busybox", dir.join("bin/sh")).unwrap();
        let image = Image::open(&dir).unwrap();
        (dir, ImageFs::new(image))
    }

    #[test]
    fn stat_read_readdir_readlink() {
        let (dir, fs) = tree();
        let st = fs.stat(b"/bin/busybox").unwrap();
        assert_eq!(st.size, 10);
        assert_eq!(st.mode & 0o170000, super::super::abi::S_IFREG);
        let mut buf = [0u8; 4];
        assert_eq!(fs.read(b"/bin/busybox", 8, &mut buf), Ok(2));
        assert_eq!(&buf[..2], b"89");
        assert_eq!(fs.read(b"/bin/busybox", 99, &mut buf), Ok(0));
        // The final symlink is not followed: the kernel resolves links.
        assert_eq!(fs.stat(b"/bin/sh").unwrap().mode & 0o170000, super::super::abi::S_IFLNK);
        assert_eq!(fs.readlink(b"/bin/sh").unwrap(), b"/bin/busybox");
        assert_eq!(fs.readlink(b"/bin/busybox"), Err(Errno::EINVAL));
        let names: Vec<Vec<u8>> =
            fs.readdir(b"/bin").unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, vec![b"busybox".to_vec(), b"sh".to_vec()]);
        assert_eq!(fs.stat(b"/nope").unwrap_err(), Errno::ENOENT);
        assert_eq!(fs.readdir(b"/bin/busybox").unwrap_err(), Errno::ENOTDIR);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

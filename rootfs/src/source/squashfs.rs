//! Squashfs 4.0 images (little-endian; gzip, xz, lzo, lz4 or zstd), read
//! with `backhand`.
//!
//! `backhand` lists every name with its inode's contents but not the inode
//! number, so hard links are recovered from what a hard-linked inode looks
//! like: mksquashfs stores it once, as an extended file inode with a link
//! count above one, so names whose extended inodes are equal in every field
//! and header are grouped, up to that link count per inode. Two distinct
//! hard-link groups identical in contents, owner, mode, time and link
//! count would be indistinguishable to any reader of the image. Hard-linked
//! symlinks and device nodes (rare) read as separate inodes.
//!
//! `backhand` decompresses all metadata when it opens an image, and caches
//! each fragment block it reads. Before handing it the image, the
//! superblock and the metadata block headers are read to bound what that
//! will decompress (8 KiB per metadata block, 16 bytes per fragment
//! entry), and every fragment block first used is charged a whole block:
//! both count against [`Limits::max_bytes`] with the file contents.

use std::collections::BTreeSet;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use backhand::{BackhandError, FilesystemReader, InnerNode, NodeHeader, SquashfsFileReader};

use crate::error::RootfsError;
use crate::tree::{BuildId, Builder, Meta, NewKind};
use crate::{Format, Limits};

/// Linux's `new_decode_dev`: squashfs stores device numbers this way.
fn split_dev(dev: u32) -> (u32, u32) {
    ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

fn error(path: &Path, e: BackhandError) -> RootfsError {
    let file = path.to_path_buf();
    let format = "squashfs".to_string();
    match e {
        BackhandError::StdIo(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            RootfsError::Truncated { file, format, detail: e.to_string() }
        }
        BackhandError::UnsupportedCompression(what) => {
            RootfsError::UnsupportedCompression { file, what }
        }
        BackhandError::UnsupportedSquashfsVersion(major, minor) => RootfsError::UnsupportedFormat {
            file,
            what: format!("squashfs version {major}.{minor} (only 4.0 is read)"),
        },
        other => RootfsError::Corrupt { file, format, detail: other.to_string() },
    }
}

pub(crate) fn read<R: Read + Seek + Send>(
    path: &Path,
    file: R,
    limits: Limits,
) -> Result<crate::tree::Tree, RootfsError> {
    // `backhand` is a parser of untrusted bytes; should it panic on some
    // input, the image is reported corrupt instead of taking the run down.
    panic::catch_unwind(AssertUnwindSafe(|| read_inner(path, file, limits))).unwrap_or_else(|_| {
        Err(RootfsError::Corrupt {
            file: path.to_path_buf(),
            format: "squashfs".into(),
            detail: "the squashfs reader gave up on an inconsistent structure".into(),
        })
    })
}

/// The first `size` bytes of file `f`.
fn read_file(
    fs: &FilesystemReader,
    f: &SquashfsFileReader,
    size: u64,
) -> Result<Vec<u8>, BackhandError> {
    let mut data = Vec::new();
    fs.file(f).reader_checked()?.take(size).read_to_end(&mut data)?;
    Ok(data)
}

/// Most threads decompressing one image's files.
const MAX_READ_THREADS: usize = 4;

/// Every regular file's contents (by its index in `fs.files()`),
/// decompressed on several threads, largest first: reading an image is
/// mostly decompressing its data blocks, which are independent. Empty
/// when the files declare more than `budget` bytes together (the caller
/// then reads them one by one, stopping at the cap) or the host has one
/// core. Which errors come back does not depend on the threads: the
/// caller meets them in file order.
fn read_contents(
    fs: &FilesystemReader,
    budget: u64,
) -> Vec<Option<Result<Vec<u8>, BackhandError>>> {
    let mut files: Vec<(usize, &SquashfsFileReader, u64)> = fs
        .files()
        .enumerate()
        .filter_map(|(i, node)| match &node.inner {
            InnerNode::File(f) => Some((i, f, f.file_len() as u64)),
            _ => None,
        })
        .collect();
    let total = files.iter().fold(0u64, |t, f| t.saturating_add(f.2));
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_READ_THREADS)
        .min(files.len());
    if threads < 2 || total > budget {
        return Vec::new();
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.2));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let read: Vec<(usize, Result<Vec<u8>, BackhandError>)> = std::thread::scope(|scope| {
        // A host that refuses threads leaves files unclaimed, which the
        // caller reads itself.
        let workers: Vec<_> = (0..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, || {
                        let mut done = Vec::new();
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&(i, f, size)) = files.get(k) else { return done };
                            done.push((i, read_file(fs, f, size)));
                        }
                    })
                    .ok()
            })
            .collect();
        // A worker that panicked (a `backhand` bug) takes the read down
        // with it, into `read`'s `catch_unwind`.
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| panic::resume_unwind(p)))
            .collect()
    });
    let mut contents: Vec<Option<Result<Vec<u8>, BackhandError>>> = Vec::new();
    contents.resize_with(files.iter().map(|f| f.0 + 1).max().unwrap_or(0), || None);
    for (i, data) in read {
        contents[i] = Some(data);
    }
    contents
}

/// Largest decompressed metadata block.
const METADATA_BLOCK: u64 = 8192;
/// An absent table's offset in the superblock.
const NOT_SET: u64 = u64::MAX;

/// An upper bound on the metadata `backhand` decompresses on open: the
/// inode and directory tables (a chain of blocks, each with a 2-byte
/// header giving its stored size) and the fragment table. `None` when the
/// superblock is too damaged to tell; `backhand` then reports the damage.
fn metadata_bound(file: &mut (impl Read + Seek)) -> io::Result<Option<u64>> {
    let mut sb = [0u8; 96];
    file.seek(SeekFrom::Start(0))?;
    if file.read_exact(&mut sb).is_err() {
        return Ok(None);
    }
    let u32_at =
        |o: usize| u64::from(u32::from_le_bytes(sb[o..o + 4].try_into().unwrap_or_default()));
    let u64_at = |o: usize| u64::from_le_bytes(sb[o..o + 8].try_into().unwrap_or_default());
    let frag_count = u32_at(16);
    let (id_table, inode_table, dir_table, frag_table, export_table) =
        (u64_at(48), u64_at(64), u64_at(72), u64_at(80), u64_at(88));
    // Where the directory table ends, as `backhand` decides it.
    let end = [frag_table, export_table, id_table]
        .into_iter()
        .filter(|&t| t != NOT_SET && t > dir_table)
        .min()
        .unwrap_or(dir_table);
    let len = file.seek(SeekFrom::End(0))?;
    let mut pos = inode_table;
    let mut blocks = 0u64;
    let mut header = [0u8; 2];
    while pos < end && pos < len {
        file.seek(SeekFrom::Start(pos))?;
        if file.read_exact(&mut header).is_err() {
            break;
        }
        blocks += 1;
        pos += 2 + u64::from(u16::from_le_bytes(header) & 0x7fff);
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(Some(blocks * METADATA_BLOCK + (frag_count * 16).div_ceil(METADATA_BLOCK) * METADATA_BLOCK))
}

fn read_inner<R: Read + Seek + Send>(
    path: &Path,
    mut file: R,
    limits: Limits,
) -> Result<crate::tree::Tree, RootfsError> {
    let mut builder = Builder::new(path, Format::Squashfs, limits);
    let bound = metadata_bound(&mut file).map_err(|source| RootfsError::Io {
        file: path.to_path_buf(),
        at: None,
        source,
    })?;
    if let Some(bound) = bound {
        builder.charge_bytes(bound)?;
    }
    let fs = FilesystemReader::from_reader(BufReader::new(file)).map_err(|e| error(path, e))?;
    let mut contents = read_contents(&fs, builder.bytes_left());
    let mut fragments_seen = BTreeSet::new();
    // (inode, header, the node it became, names still expected)
    let mut linked: Vec<(&backhand::v4::inode::ExtendedFile, NodeHeader, BuildId, u32)> =
        Vec::new();
    for (index, node) in fs.files().enumerate() {
        let name = node.fullpath.as_os_str().as_bytes();
        let h = node.header;
        let meta = Meta {
            perm: u32::from(h.permissions),
            uid: h.uid,
            gid: h.gid,
            mtime: i64::from(h.mtime),
        };
        let kind = match &node.inner {
            InnerNode::Dir(_) => NewKind::Dir,
            InnerNode::File(f) => {
                if let SquashfsFileReader::Extended(ext) = f
                    && ext.link_count > 1
                    && let Some(slot) = linked
                        .iter_mut()
                        .find(|(e, hh, _, left)| *left > 0 && *e == ext && *hh == h)
                {
                    slot.3 -= 1;
                    builder.link(name, slot.2)?;
                    continue;
                }
                // A fragment block is decompressed whole and kept.
                if f.frag_index() != 0xffff_ffff && fragments_seen.insert(f.frag_index()) {
                    builder.charge_bytes(u64::from(fs.block_size))?;
                }
                let size = f.file_len() as u64;
                if size > builder.bytes_left() {
                    return Err(RootfsError::TooLarge {
                        file: path.to_path_buf(),
                        limit: builder.limits().max_bytes,
                    });
                }
                let data = match contents.get_mut(index).and_then(Option::take) {
                    Some(read) => read,
                    None => read_file(&fs, f, size),
                }
                .map_err(|e| error(path, e))?;
                if data.len() as u64 != size {
                    return Err(RootfsError::Truncated {
                        file: path.to_path_buf(),
                        format: "squashfs".into(),
                        detail: format!(
                            "file `{}` declares {size} bytes, its blocks hold {}",
                            node.fullpath.display(),
                            data.len()
                        ),
                    });
                }
                builder.charge_bytes(size)?;
                let id = builder.add(name, NewKind::File(Arc::from(data)), meta)?;
                if let SquashfsFileReader::Extended(ext) = f
                    && ext.link_count > 1
                {
                    linked.push((ext, h, id, ext.link_count - 1));
                }
                continue;
            }
            InnerNode::Symlink(s) => {
                let target = s.link.as_os_str().as_bytes().to_vec();
                builder.charge_bytes(target.len() as u64)?;
                NewKind::Symlink(target)
            }
            InnerNode::CharacterDevice(d) => {
                let (major, minor) = split_dev(d.device_number);
                NewKind::CharDevice { major, minor }
            }
            InnerNode::BlockDevice(d) => {
                let (major, minor) = split_dev(d.device_number);
                NewKind::BlockDevice { major, minor }
            }
            InnerNode::NamedPipe => NewKind::Fifo,
            InnerNode::Socket => NewKind::Socket,
        };
        builder.add(name, kind, meta)?;
    }
    Ok(builder.finish())
}

//! The per-process part of `/proc`: `/proc/self` (and `/proc/<pid>` of the
//! caller) with `exe`, `fd/N`, `cmdline`, `stat` and `maps`, and
//! `/proc/<pid>/maps` of the world's other live processes, from the copy
//! each publishes to the kernel (`Kernel::proc_maps`). The kernel
//! consults it before the file system, because only it knows the
//! processes.
//!
//! `maps` lists the address space's ranges (`mem::AddressSpace::maps`) in
//! the format of Linux's `show_map_vma`, padding included: a file mapping
//! shows its path, device, inode and file offset (the values `stat` gives
//! the file, so they are as deterministic as the file system); the break's
//! pages are `[heap]`, the initial stack `[stack]`, ARM's kuser helper
//! page `[vectors]`; Bohr's own pages are named for what they are: the
//! signal return code `[sigpage]` (ARM Linux's name for such a page; the
//! other arches' Linux keeps that code in the vDSO, which Bohr does not
//! map) and the portal that copies kernel writes into the process
//! `[bohr-portal]`.

use super::abi::{FileStat, S_IFDIR, S_IFLNK, S_IFREG};
use super::errno::Errno;
use super::file::{FileObject, IoResult, path_ino};
use super::{Kernel, Process};
use crate::mem::{Backing, MapEntry, Perms};

/// One entry of a process's `/proc` directory.
pub enum ProcNode {
    Dir,
    Link(Vec<u8>),
    File(Vec<u8>),
}

impl ProcNode {
    pub fn stat(&self, path: &[u8]) -> FileStat {
        let (mode, size) = match self {
            ProcNode::Dir => (S_IFDIR | 0o555, 0),
            ProcNode::Link(t) => (S_IFLNK | 0o777, t.len() as u64),
            // /proc files report size 0, as on Linux.
            ProcNode::File(_) => (S_IFREG | 0o444, 0),
        };
        FileStat {
            dev: 3,
            ino: path_ino(path),
            mode,
            nlink: 1,
            size,
            blksize: 1024,
            time: 0,
            rdev: 0,
        }
    }

    pub fn link(&self) -> Option<Vec<u8>> {
        match self {
            ProcNode::Link(t) => Some(t.clone()),
            _ => None,
        }
    }
}

/// A process's mappings as it last published them.
#[derive(Clone, Debug)]
pub struct PublishedMaps {
    /// `AddressSpace::generation` of the copy.
    pub generation: u64,
    pub maps: Vec<MapEntry>,
    pub is_64bit: bool,
}

/// The `/proc` entry at `path` that belongs to process `p` (the caller),
/// or to another live process of the world (`/proc/<pid>` and its
/// `maps`), if any.
pub fn lookup(k: &Kernel, p: &Process, path: &[u8]) -> Option<ProcNode> {
    own(p, path).or_else(|| other(k, p, path))
}

/// `/proc/<pid>` and `/proc/<pid>/maps` of a process other than `p`.
fn other(k: &Kernel, p: &Process, path: &[u8]) -> Option<ProcNode> {
    let rest = path.strip_prefix(b"/proc/")?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let pid: u32 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    if pid == p.pid || rest[0] == b'0' {
        return None;
    }
    let published = k.proc_maps.get(&pid)?;
    match &rest[digits..] {
        b"" | b"/" => Some(ProcNode::Dir),
        b"/maps" => Some(ProcNode::File(maps_text(&published.maps, published.is_64bit))),
        _ => None,
    }
}

fn own(p: &Process, path: &[u8]) -> Option<ProcNode> {
    let rest = path.strip_prefix(b"/proc/")?;
    let own = format!("{}", p.pid);
    let rest = rest
        .strip_prefix(b"self")
        .or_else(|| rest.strip_prefix(own.as_bytes()))
        .filter(|r| r.is_empty() || r[0] == b'/')?;
    Some(match rest {
        b"" | b"/" | b"/fd" => ProcNode::Dir,
        b"/exe" => ProcNode::Link(p.exe.clone()),
        b"/cwd" => ProcNode::Link(p.cwd.clone()),
        b"/cmdline" => ProcNode::File(p.cmdline.clone()),
        b"/stat" => ProcNode::File(stat_line(p)),
        b"/maps" => ProcNode::File(maps_text(&p.mem.maps(), p.arch.is_64bit())),
        _ => {
            let n = rest.strip_prefix(b"/fd/")?;
            let fd: u64 = std::str::from_utf8(n).ok()?.parse().ok()?;
            let f = p.fds.get(fd).ok()?;
            let target = f.borrow().path.clone();
            ProcNode::Link(target)
        }
    })
}

/// `/proc/self/stat`: pid, comm, state, ppid, pgrp, session and zeros,
/// in `fs/proc/array.c`'s field order (52 fields).
fn stat_line(p: &Process) -> Vec<u8> {
    let comm = p.exe.rsplit(|&c| c == b'/').next().unwrap_or(b"");
    let comm = String::from_utf8_lossy(&comm[..comm.len().min(15)]).into_owned();
    let mut s = format!("{} ({}) R {} {} {}", p.pid, comm, p.ppid, p.pgid, p.sid);
    for _ in 0..47 {
        s.push_str(" 0");
    }
    s.push('\n');
    s.into_bytes()
}

/// `/proc/<pid>/maps` of `maps`, as a kernel of the guest's word size
/// prints it: `start-end perms offset major:minor inode`, then, for a
/// named mapping, spaces up to column `25 + 6 * sizeof(void *) - 1` and
/// one more before the name (`seq_pad`). Addresses and offsets are at
/// least 8 hex digits; an anonymous line ends with the space after the
/// inode.
pub fn maps_text(maps: &[MapEntry], is_64bit: bool) -> Vec<u8> {
    use std::io::Write;
    let width: usize = 25 + 6 * if is_64bit { 8 } else { 4 } - 1;
    let mut out = Vec::new();
    for m in maps {
        let (offset, dev, ino, shared, name): (u64, u64, u64, bool, &[u8]) = match &m.backing {
            Backing::Anon => (0, 0, 0, false, b""),
            Backing::File { path, offset, dev, ino, shared } => {
                (*offset, *dev, *ino, *shared, path)
            }
            // Linux's shared anonymous memory is a deleted shmem file of
            // device 00:01.
            Backing::SharedAnon { ino } => (0, 1, *ino, true, b"/dev/zero (deleted)"),
            Backing::Heap => (0, 0, 0, false, b"[heap]"),
            Backing::Stack => (0, 0, 0, false, b"[stack]"),
            Backing::Kernel(n) => (0, 0, 0, false, n.as_bytes()),
        };
        let line_start = out.len();
        let flag = |p: Perms, c: char| if m.perms.contains(p) { c } else { '-' };
        // `write!` to a Vec cannot fail.
        let _ = write!(
            out,
            "{:08x}-{:08x} {}{}{}{} {offset:08x} {:02x}:{:02x} {ino} ",
            m.start,
            m.end,
            flag(Perms::R, 'r'),
            flag(Perms::W, 'w'),
            flag(Perms::X, 'x'),
            if shared { 's' } else { 'p' },
            dev_major(dev),
            dev_minor(dev),
        );
        if !name.is_empty() {
            let written = out.len() - line_start;
            out.resize(out.len() + width.saturating_sub(written), b' ');
            out.push(b' ');
            out.extend_from_slice(name);
        }
        out.push(b'\n');
    }
    out
}

/// The major number of device `dev` (glibc's `gnu_dev_major`).
fn dev_major(dev: u64) -> u64 {
    ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)
}

/// The minor number of device `dev` (glibc's `gnu_dev_minor`).
fn dev_minor(dev: u64) -> u64 {
    (dev & 0xff) | ((dev >> 12) & !0xff)
}

/// An open `/proc` file: its text, generated at open.
pub struct ProcFile {
    pub data: Vec<u8>,
    pub pos: usize,
    pub st: FileStat,
}

impl FileObject for ProcFile {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        let n = buf.len().min(self.data.len().saturating_sub(self.pos));
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
    fn write(&mut self, _data: &[u8]) -> IoResult {
        Err(Errno::EACCES)
    }
    fn stat(&self) -> FileStat {
        self.st
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn entry(start: u64, end: u64, perms: Perms, backing: Backing) -> MapEntry {
        MapEntry { start, end, perms, backing }
    }

    #[test]
    fn maps_lines_follow_linux_padding_and_fields() {
        let file = Backing::File {
            path: Arc::from(&b"/usr/bin/prog"[..]),
            offset: 0x2000,
            dev: 0x801,
            ino: 1234567,
            shared: false,
        };
        let maps = [
            entry(0x55_5555_4000, 0x55_5555_6000, Perms::RX, file),
            entry(0x3f_f7ff_0000, 0x3f_f7ff_3000, Perms::RW, Backing::Anon),
            entry(0x55_5556_0000, 0x55_5558_1000, Perms::RW, Backing::Heap),
            entry(0x3f_ff7f_f000, 0x3f_ffff_f000, Perms::RW, Backing::Stack),
        ];
        let text = String::from_utf8(maps_text(&maps, true)).unwrap();
        let want = "5555554000-5555556000 r-xp 00002000 08:01 1234567                        /usr/bin/prog\n\
                    3ff7ff0000-3ff7ff3000 rw-p 00000000 00:00 0 \n\
                    5555560000-5555581000 rw-p 00000000 00:00 0                              [heap]\n\
                    3fff7ff000-3ffffff000 rw-p 00000000 00:00 0                              [stack]\n";
        assert_eq!(text, want);
        // Names start at column 73 on a 64-bit kernel.
        assert_eq!(text.lines().next().unwrap().find('/'), Some(73));
    }

    #[test]
    fn maps_of_a_32_bit_guest_pad_to_its_word_size() {
        let shared = Backing::File {
            path: Arc::from(&b"/tmp/f"[..]),
            offset: 0x1000,
            dev: 0x03 | (0x103 << 8) | (0x1200 << 12),
            ino: 9,
            shared: true,
        };
        let maps = [
            entry(0x1000, 0x3000, Perms::R, shared),
            entry(0xffff_0000, 0xffff_1000, Perms::RX, Backing::Kernel("[vectors]")),
            entry(0x7000_0000, 0x7000_1000, Perms::NONE, Backing::Anon),
        ];
        let text = String::from_utf8(maps_text(&maps, false)).unwrap();
        let want = "00001000-00003000 r--s 00001000 103:1203 9       /tmp/f\n\
                    ffff0000-ffff1000 r-xp 00000000 00:00 0          [vectors]\n\
                    70000000-70001000 ---p 00000000 00:00 0 \n";
        assert_eq!(text, want);
        assert!(text.lines().all(|l| l.find(['/', '[']).is_none_or(|c| c == 49)));
    }
}

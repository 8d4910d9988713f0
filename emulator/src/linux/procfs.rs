//! The per-process part of `/proc`: `/proc/self` (and `/proc/<pid>` of the
//! caller) with `exe`, `fd/N`, `cmdline` and `stat`. The kernel consults
//! it before the file system, because only it knows the process.

use super::Process;
use super::abi::{FileStat, S_IFDIR, S_IFLNK, S_IFREG};
use super::errno::Errno;
use super::file::{FileObject, IoResult, path_ino};

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

/// The `/proc` entry at `path` that belongs to process `p`, if any.
pub fn lookup(p: &Process, path: &[u8]) -> Option<ProcNode> {
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

//! Pipes with Linux semantics: a 64 KiB buffer shared by a read end and a
//! write end, each a [`FileObject`] in the descriptor tables of any number
//! of processes.
//!
//! A read of an empty pipe with writers left, or a write to a full pipe,
//! returns `EAGAIN`; the kernel turns that into blocking for blocking
//! descriptors. Writes of at most [`PIPE_BUF`] bytes are atomic (all or
//! nothing); larger writes may be partial. Reads see end of file once every
//! write end is gone, and writes fail with `EPIPE` once every read end is
//! gone. An end counts as gone when its object is dropped, which happens
//! when the last descriptor sharing it closes (or its process exits), so the
//! counts cannot drift from the descriptor tables.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use super::abi::{FileStat, S_IFIFO};
use super::errno::Errno;
use super::file::{FileObject, IoResult};

/// Bytes a pipe holds (Linux's default `F_GETPIPE_SZ`).
pub const PIPE_CAPACITY: usize = 64 * 1024;
/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;
/// `st_dev` of pipes (Linux's pipefs is an anonymous device too).
const PIPEFS_DEV: u64 = 0xc;

struct PipeState {
    buf: VecDeque<u8>,
    readers: u32,
    writers: u32,
    ino: u64,
}

/// One end of a pipe.
pub struct PipeEnd {
    state: Rc<RefCell<PipeState>>,
    write_end: bool,
}

/// A new pipe: `(read end, write end)`. `ino` is its inode number, which
/// the caller allocates deterministically.
pub fn new_pipe(ino: u64) -> (PipeEnd, PipeEnd) {
    let state = Rc::new(RefCell::new(PipeState {
        buf: VecDeque::with_capacity(PIPE_CAPACITY),
        readers: 1,
        writers: 1,
        ino,
    }));
    (PipeEnd { state: state.clone(), write_end: false }, PipeEnd { state, write_end: true })
}

impl PipeEnd {
    /// Bytes buffered now.
    pub fn buffered(&self) -> usize {
        self.state.borrow().buf.len()
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut s = self.state.borrow_mut();
        if self.write_end {
            s.writers -= 1;
        } else {
            s.readers -= 1;
        }
    }
}

impl FileObject for PipeEnd {
    fn read(&mut self, buf: &mut [u8]) -> IoResult {
        if self.write_end {
            return Err(Errno::EBADF);
        }
        let mut s = self.state.borrow_mut();
        if s.buf.is_empty() {
            return if s.writers == 0 { Ok(0) } else { Err(Errno::EAGAIN) };
        }
        let n = buf.len().min(s.buf.len());
        let (a, b) = s.buf.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        s.buf.drain(..n);
        Ok(n)
    }

    fn write(&mut self, data: &[u8]) -> IoResult {
        if !self.write_end {
            return Err(Errno::EBADF);
        }
        let mut s = self.state.borrow_mut();
        if s.readers == 0 {
            return Err(Errno::EPIPE);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let space = PIPE_CAPACITY - s.buf.len();
        if space == 0 || (data.len() <= PIPE_BUF && space < data.len()) {
            return Err(Errno::EAGAIN);
        }
        let n = data.len().min(space);
        s.buf.extend(&data[..n]);
        Ok(n)
    }

    fn bytes_ready(&self) -> Option<usize> {
        Some(self.state.borrow().buf.len())
    }

    fn poll_events(&self) -> Option<u16> {
        let s = self.state.borrow();
        Some(if self.write_end {
            if s.readers == 0 {
                0x8 // POLLERR
            } else if s.buf.len() < PIPE_CAPACITY {
                0x4 // POLLOUT
            } else {
                0
            }
        } else {
            let data = if s.buf.is_empty() { 0 } else { 0x1 }; // POLLIN
            let hup = if s.writers == 0 { 0x10 } else { 0 }; // POLLHUP
            data | hup
        })
    }

    fn stat(&self) -> FileStat {
        FileStat {
            dev: PIPEFS_DEV,
            ino: self.state.borrow().ino,
            mode: S_IFIFO | 0o600,
            nlink: 1,
            blksize: PIPE_BUF as u32,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_flows_in_order_and_eof_follows_last_writer() {
        let (mut r, mut w) = new_pipe(7);
        assert_eq!(w.write(b"hello ").unwrap(), 6);
        assert_eq!(w.write(b"world").unwrap(), 5);
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        assert_eq!(&buf, b"hello wo");
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"rld");
        assert_eq!(r.read(&mut buf), Err(Errno::EAGAIN));
        drop(w);
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn small_writes_are_atomic_and_large_writes_partial() {
        let (mut r, mut w) = new_pipe(1);
        let big = vec![b'x'; PIPE_CAPACITY - 100];
        assert_eq!(w.write(&big).unwrap(), big.len());
        // 200 bytes fit only partly: an atomic write must not split.
        assert_eq!(w.write(&[b'y'; 200]), Err(Errno::EAGAIN));
        assert_eq!(r.buffered(), PIPE_CAPACITY - 100);
        // A write above PIPE_BUF takes what fits.
        assert_eq!(w.write(&[b'z'; PIPE_BUF + 1]).unwrap(), 100);
        assert_eq!(w.write(&[b'z'; PIPE_BUF + 1]), Err(Errno::EAGAIN));
        let mut sink = vec![0u8; PIPE_CAPACITY];
        assert_eq!(r.read(&mut sink).unwrap(), PIPE_CAPACITY);
        assert!(sink[PIPE_CAPACITY - 100..].iter().all(|&b| b == b'z'));
    }

    #[test]
    fn writing_without_readers_is_epipe() {
        let (r, mut w) = new_pipe(1);
        drop(r);
        assert_eq!(w.write(b"x"), Err(Errno::EPIPE));
        assert_eq!(w.stat().mode, S_IFIFO | 0o600);
    }
}

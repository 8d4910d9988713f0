//! User-memory access for system calls: the per-call [`Ctx`], its argument
//! readers and the checked copies to and from guest memory. A bad pointer
//! is `EFAULT`, never a host fault.

use super::{Fail, MAX_PATH};
use crate::ir::Endian;
use crate::linux::errno::Errno;
use crate::linux::{Kernel, Process};

/// Per-call view of the process with argument and memory helpers.
pub(super) struct Ctx<'a> {
    pub k: &'a mut Kernel,
    pub p: &'a mut Process,
    pub args: [u64; 6],
}

impl Ctx<'_> {
    pub fn wide(&self) -> bool {
        self.p.arch.is_64bit()
    }

    pub fn big(&self) -> bool {
        self.p.arch.endian() == Endian::Big
    }

    /// Argument `i` as an unsigned machine word.
    pub fn arg(&self, i: usize) -> u64 {
        self.args[i]
    }

    /// Argument `i` as a signed `int`/`long` (sign-extended on 32-bit arches).
    pub fn arg_signed(&self, i: usize) -> i64 {
        if self.wide() { self.args[i] as i64 } else { self.args[i] as u32 as i32 as i64 }
    }

    /// Argument `i` as a C `int`.
    pub fn arg_int(&self, i: usize) -> i64 {
        self.args[i] as u32 as i32 as i64
    }

    /// A 64-bit value passed in registers `i` and `i+1` on a 32-bit arch
    /// (or in register `i` on a 64-bit one).
    pub fn arg_u64(&self, i: usize) -> u64 {
        if self.wide() {
            return self.arg(i);
        }
        let (a, b) = (self.arg(i) & 0xffff_ffff, self.arg(i + 1) & 0xffff_ffff);
        if self.big() { (a << 32) | b } else { (b << 32) | a }
    }

    pub fn word_size(&self) -> u64 {
        if self.wide() { 8 } else { 4 }
    }

    pub fn encode(&self, v: u64, n: usize) -> Vec<u8> {
        let b = v.to_le_bytes();
        if self.big() { b[..n].iter().rev().copied().collect() } else { b[..n].to_vec() }
    }

    pub fn decode(&self, b: &[u8]) -> u64 {
        let mut v = 0u64;
        if self.big() {
            for &x in b {
                v = (v << 8) | x as u64;
            }
        } else {
            for &x in b.iter().rev() {
                v = (v << 8) | x as u64;
            }
        }
        v
    }

    pub fn put(&mut self, addr: u64, data: &[u8]) -> Result<(), Fail> {
        self.p.mem.write_checked(addr, data)?;
        Ok(())
    }

    pub fn get(&self, addr: u64, len: usize) -> Result<Vec<u8>, Fail> {
        Ok(self.p.mem.read_checked_vec(addr, len)?)
    }

    /// Write machine words (`long`).
    pub fn put_words(&mut self, addr: u64, words: &[u64]) -> Result<(), Fail> {
        let n = self.word_size() as usize;
        let data: Vec<u8> = words.iter().flat_map(|&w| self.encode(w, n)).collect();
        self.put(addr, &data)
    }

    pub fn put_u64s(&mut self, addr: u64, vals: &[u64]) -> Result<(), Fail> {
        let data: Vec<u8> = vals.iter().flat_map(|&w| self.encode(w, 8)).collect();
        self.put(addr, &data)
    }

    pub fn put_u32s(&mut self, addr: u64, vals: &[u32]) -> Result<(), Fail> {
        let data: Vec<u8> = vals.iter().flat_map(|&w| self.encode(w as u64, 4)).collect();
        self.put(addr, &data)
    }

    pub fn get_word(&self, addr: u64) -> Result<u64, Fail> {
        let n = self.word_size() as usize;
        Ok(self.decode(&self.get(addr, n)?))
    }

    pub fn get_u64(&self, addr: u64) -> Result<u64, Fail> {
        Ok(self.decode(&self.get(addr, 8)?))
    }

    /// A NUL-terminated path argument.
    pub fn path(&self, addr: u64) -> Result<Vec<u8>, Fail> {
        let s = self.p.mem.read_cstr(addr, MAX_PATH + 1)?;
        if s.len() > MAX_PATH {
            return Err(Errno::ENAMETOOLONG.into());
        }
        Ok(s)
    }
}

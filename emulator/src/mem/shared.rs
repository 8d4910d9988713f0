//! Shared pages: the host object behind a guest `MAP_SHARED` mapping.
//!
//! A [`SharedMem`] is an anonymous host memory file (`memfd_create`) that
//! every address space mapping it maps into its own reservation
//! (`MAP_SHARED | MAP_FIXED` at `base + addr`), so a store through any of
//! them, by either engine or by compiled code accessing guest memory
//! directly, is at once visible through all the others: the host MMU does
//! the sharing, and nothing has to be copied or kept in step. The kernel
//! reads and writes the object with `pread`/`pwrite` (no mapping needed),
//! which is how `read`/`write` of a mapped file stay coherent with its
//! mappings (see `linux::shared`).
//!
//! The object's pages are charged once to the world's [`MemBudget`] (the
//! mappings are not charged again, see `AddressSpace::commit`) and
//! released when the last `Arc` goes: the last mapping unmapped and the
//! kernel's own reference (a mapped file's registry entry) dropped. The
//! host descriptor is closed then too, so nothing leaks. The contents
//! start as zeros; nothing in them depends on the host.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{MemBudget, PAGE_SHIFT, PAGE_SIZE};

/// Why a shared object could not be made or grown.
#[derive(Debug, thiserror::Error)]
pub enum SharedError {
    /// The pages would pass the world's memory budget: `ENOMEM` for the
    /// guest.
    #[error("out of guest memory")]
    NoMemory,
    /// The host refused the memory file: a host failure.
    #[error("host shared memory: {0}")]
    Host(std::io::Error),
}

/// One shared object (see the module docs).
#[derive(Debug)]
pub struct SharedMem {
    fd: OwnedFd,
    /// Its size in pages; it only grows.
    pages: AtomicU64,
    /// A number the kernel gave it (its inode in `/proc/<pid>/maps`).
    id: u64,
    budget: Option<Arc<MemBudget>>,
}

impl SharedMem {
    /// A zero-filled object of `pages` pages, charged to `budget`.
    pub fn new(
        pages: u64,
        id: u64,
        budget: Option<Arc<MemBudget>>,
    ) -> Result<Arc<SharedMem>, SharedError> {
        if let Some(b) = &budget {
            if !b.start_object() {
                return Err(SharedError::NoMemory);
            }
            if !b.charge(pages) {
                b.end_object();
                return Err(SharedError::NoMemory);
            }
        }
        // SAFETY: a plain system call on a NUL-terminated name; the result
        // is checked before use.
        let raw = unsafe { libc::memfd_create(c"bohr-shared".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            let e = std::io::Error::last_os_error();
            if let Some(b) = &budget {
                b.release(pages);
                b.end_object();
            }
            return Err(SharedError::Host(e));
        }
        // SAFETY: `raw` is a descriptor just returned to us and owned by
        // nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mem = SharedMem { fd, pages: AtomicU64::new(0), id, budget };
        // From here on `Drop` releases the charge of `mem.pages`.
        mem.set_len(pages).inspect_err(|_| {
            if let Some(b) = &mem.budget {
                b.release(pages);
            }
        })?;
        mem.pages.store(pages, Ordering::Relaxed);
        Ok(Arc::new(mem))
    }

    fn set_len(&self, pages: u64) -> Result<(), SharedError> {
        let len = libc::off_t::try_from(pages << PAGE_SHIFT).map_err(|_| SharedError::NoMemory)?;
        // SAFETY: our own descriptor; only its size changes.
        if unsafe { libc::ftruncate(self.fd.as_raw_fd(), len) } != 0 {
            return Err(SharedError::Host(std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Its size in pages.
    pub fn pages(&self) -> u64 {
        self.pages.load(Ordering::Relaxed)
    }

    /// The kernel's number for it.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Make it at least `pages` long (new pages read as zeros). Mappings
    /// of the old pages stay valid.
    pub fn grow(&self, pages: u64) -> Result<(), SharedError> {
        let old = self.pages();
        if pages <= old {
            return Ok(());
        }
        if let Some(b) = &self.budget
            && !b.charge(pages - old)
        {
            return Err(SharedError::NoMemory);
        }
        if let Err(e) = self.set_len(pages) {
            if let Some(b) = &self.budget {
                b.release(pages - old);
            }
            return Err(e);
        }
        self.pages.store(pages, Ordering::Relaxed);
        Ok(())
    }

    /// The host descriptor, for `mmap` into a reservation.
    pub(super) fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Copy bytes from byte `offset` of the object into `buf`; bytes past
    /// its end read as zeros.
    pub fn read(&self, offset: u64, buf: &mut [u8]) {
        let end = self.pages() * PAGE_SIZE;
        let mut done = 0;
        while done < buf.len() {
            let at = offset + done as u64;
            if at >= end {
                break;
            }
            let want = (buf.len() - done).min((end - at) as usize);
            // SAFETY: our descriptor; the destination is `want` bytes of
            // `buf` that we own mutably.
            let n = unsafe {
                libc::pread(
                    self.fd.as_raw_fd(),
                    buf[done..].as_mut_ptr().cast(),
                    want,
                    at as libc::off_t,
                )
            };
            if n <= 0 {
                break;
            }
            done += n as usize;
        }
        buf[done..].fill(0);
    }

    /// Copy `data` to byte `offset` of the object, within its size (the
    /// rest is dropped); returns the bytes written.
    pub fn write(&self, offset: u64, data: &[u8]) -> usize {
        let end = self.pages() * PAGE_SIZE;
        let mut done = 0;
        while done < data.len() {
            let at = offset + done as u64;
            if at >= end {
                break;
            }
            let want = (data.len() - done).min((end - at) as usize);
            // SAFETY: our descriptor; the source is `want` bytes of `data`.
            let n = unsafe {
                libc::pwrite(
                    self.fd.as_raw_fd(),
                    data[done..].as_ptr().cast(),
                    want,
                    at as libc::off_t,
                )
            };
            if n <= 0 {
                break;
            }
            done += n as usize;
        }
        done
    }
}

impl Drop for SharedMem {
    fn drop(&mut self) {
        if let Some(b) = &self.budget {
            b.release(self.pages());
            b.end_object();
        }
    }
}

/// A range's view of a shared object: the object and the object page at
/// the range's first page. Equal when they name the same page of the same
/// object.
#[derive(Clone, Debug)]
pub struct SharedRef {
    pub mem: Arc<SharedMem>,
    pub page: u64,
}

impl SharedRef {
    /// The same view `pages` pages further on.
    pub fn advanced(&self, pages: u64) -> SharedRef {
        SharedRef { mem: self.mem.clone(), page: self.page + pages }
    }
}

impl PartialEq for SharedRef {
    fn eq(&self, other: &SharedRef) -> bool {
        Arc::ptr_eq(&self.mem, &other.mem) && self.page == other.page
    }
}

impl Eq for SharedRef {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_charged_once_and_released_on_drop() {
        let budget = Arc::new(MemBudget::new(8 * PAGE_SIZE));
        let m = SharedMem::new(3, 1, Some(budget.clone())).unwrap();
        assert_eq!(budget.used_bytes(), 3 * PAGE_SIZE);
        m.grow(5).unwrap();
        assert_eq!(budget.used_bytes(), 5 * PAGE_SIZE);
        assert!(matches!(m.grow(9), Err(SharedError::NoMemory)));
        assert_eq!(m.pages(), 5);
        assert!(matches!(SharedMem::new(4, 2, Some(budget.clone())), Err(SharedError::NoMemory)));
        // The descriptors are capped too.
        let big = Arc::new(MemBudget::new(1 << 30));
        let all: Vec<_> = (0..crate::mem::MAX_SHARED_OBJECTS)
            .map(|i| SharedMem::new(1, i, Some(big.clone())).unwrap())
            .collect();
        assert!(matches!(SharedMem::new(1, 0, Some(big.clone())), Err(SharedError::NoMemory)));
        drop(all);
        assert!(SharedMem::new(1, 0, Some(big.clone())).is_ok());
        assert_eq!(big.used_bytes(), 0);
        m.write(PAGE_SIZE - 2, b"abcd");
        let mut buf = [9u8; 6];
        m.read(PAGE_SIZE - 3, &mut buf);
        assert_eq!(&buf, b"\0abcd\0");
        let mut tail = [9u8; 4];
        m.read(5 * PAGE_SIZE - 2, &mut tail);
        assert_eq!(tail, [0; 4], "bytes past the end read as zeros");
        assert_eq!(m.write(5 * PAGE_SIZE - 1, b"xy"), 1);
        drop(m);
        assert_eq!(budget.used_bytes(), 0);
    }
}

//! File pages: the bytes of a file that never changes (a file of a
//! firmware image), held once in a host memory file so that private
//! mappings of it cost nothing until touched.
//!
//! A guest `mmap` of a file without `MAP_SHARED` gets its own copy of the
//! bytes. Copying them at once writes every page of the mapping (a C
//! library is hundreds of pages, mapped by every process), most of which
//! the process never reads. Instead [`AddressSpace::map_file_pages`] maps
//! the pages of a [`FilePages`] copy-on-write (`MAP_PRIVATE | MAP_FIXED`)
//! into the reservation: the host MMU then shares untouched pages with the
//! host's page cache and copies a page on the first store to it, by either
//! engine, compiled code or the kernel. What the guest sees is the same
//! copy: the bytes cannot change (the object is sealed), and every other
//! operation on the range (unmapping, `MADV_DONTNEED`, a new mapping over
//! it) replaces the host pages with anonymous ones, as for any range.
//! Pages are charged to the guest's budget as the copy was.
//!
//! The loader maps the segments of a program and of its ELF interpreter
//! from the image file's pages the same way.
//!
//! `linux::imagefs` makes one per mapped image file and keeps it for the
//! run; nothing guest-visible depends on whether a mapping used it. When
//! the image came from the image cache, whose entries hold long files on
//! page boundaries followed by zeros to the end of their last page
//! (`bohr_rootfs::FileData::host_file`), the pages are the entry's own
//! ([`FilePages::in_host_file`]): nothing is copied, and the host's page
//! cache serves every process of every run. An entry is never written in
//! place, only replaced by a rename or removed, so its bytes cannot change
//! under a mapping either.
//!
//! [`AddressSpace::map_file_pages`]: super::AddressSpace::map_file_pages

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A host file holding a file's bytes from a page boundary on: a sealed
/// memory file of them, or an image cache entry (module docs).
#[derive(Debug)]
pub struct FilePages {
    fd: OwnedFd,
    len: u64,
    /// Where the bytes start in the host file, in pages.
    first_page: u64,
}

impl FilePages {
    /// A host memory file holding `bytes`, sealed against any change.
    pub fn new(bytes: &[u8]) -> std::io::Result<FilePages> {
        // SAFETY: a plain system call on a NUL-terminated name; the result
        // is checked before use.
        let raw = unsafe {
            libc::memfd_create(c"bohr-file".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
        };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor just returned to us and owned by
        // nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut done = 0;
        while done < bytes.len() {
            let rest = &bytes[done..];
            // SAFETY: our descriptor; the source is `rest`, which we borrow.
            let n = unsafe {
                libc::pwrite(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len(), done as libc::off_t)
            };
            if n <= 0 {
                return Err(std::io::Error::last_os_error());
            }
            done += n as usize;
        }
        let seals =
            libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: our descriptor; sealing changes no memory of ours.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(FilePages { fd, len: bytes.len() as u64, first_page: 0 })
    }

    /// The `len` bytes of the host file `fd` from byte `offset` on, a
    /// multiple of the page size, which the file is never again written
    /// at: the caller promises that, and that the file holds zeros from
    /// the end of the bytes to the end of their last page (as a mapping
    /// of the bytes' own file would show there).
    pub fn in_host_file(fd: OwnedFd, offset: u64, len: u64) -> std::io::Result<FilePages> {
        if !offset.is_multiple_of(super::PAGE_SIZE) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("file bytes at {offset:#x}, not on a page boundary"),
            ));
        }
        Ok(FilePages { fd, len, first_page: offset / super::PAGE_SIZE })
    }

    /// The file's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The host descriptor, for `mmap` into a reservation, and the page of
    /// it the bytes start at.
    pub(super) fn host(&self) -> (i32, u64) {
        (self.fd.as_raw_fd(), self.first_page)
    }
}

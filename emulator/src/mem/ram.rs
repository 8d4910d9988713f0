//! Host memory behind a guest address space: one reservation that holds
//! guest address `a` at host address `base + a`, for every address the
//! guest can form (`span`), between two inaccessible guards.
//!
//! `AddressSpace` owns it and keeps the host protections of each page a
//! mirror of what the guest may do there without a slow path ([`HostProt`]):
//! readable pages are host-readable, writable pages without translated code
//! are host-writable, and everything else is inaccessible. Compiled code can
//! therefore access guest memory at `base + addr` directly and let the host
//! MMU check permissions (see `jit::fault`); every other access goes through
//! `AddressSpace`, which checks guest permissions first and lifts host
//! protections for the moment it needs to ([`GuestRam::with_access`]).
//!
//! Unmapped and untouched memory costs nothing: the reservation is made
//! with `MAP_NORESERVE` and `PROT_NONE`, and a range that is mapped or
//! unmapped is replaced by fresh anonymous memory, which reads as zero.
//! Guest-contiguous pages are host-contiguous, so the host's prefetchers and
//! huge pages serve guest buffers as they would native ones. Host addresses
//! never reach the guest.

use std::ptr::NonNull;

use super::{PAGE_SHIFT, PAGE_SIZE};

/// Inaccessible bytes before guest address 0 and after `span`: an access
/// of up to 8 bytes that starts below `span`, or at `base + x + k` for
/// `x <= span` and `|k| < GUARD - 8`, stays in the reservation.
pub const GUARD: u64 = 1 << 16;

/// Where the first reservation goes, if that range is free: compiled code
/// then reaches `base + addr` with `base` as the displacement of a simple
/// addressing mode (`disp32(addr)`) instead of a base-plus-index one with
/// `base` in a register, which saves an instruction and, on common x86-64
/// cores, a cycle of load latency. Later address spaces alive at the same
/// time go wherever the kernel puts them; only speed differs.
const LOW_BASE: u64 = 1 << 28;
const _: () = assert!(LOW_BASE + GUARD < 1 << 31);

/// Host protection of a guest page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostProt {
    None,
    Read,
    ReadWrite,
}

impl HostProt {
    /// What a page with guest permissions `perms` allows on the host when
    /// it holds no translated code (see `AddressSpace::host_prot`).
    pub fn of(perms: super::Perms) -> HostProt {
        use super::Perms;
        match (perms.contains(Perms::R), perms.contains(Perms::W)) {
            (true, true) => HostProt::ReadWrite,
            (true, false) => HostProt::Read,
            _ => HostProt::None,
        }
    }

    fn bits(self) -> libc::c_int {
        match self {
            HostProt::None => libc::PROT_NONE,
            HostProt::Read => libc::PROT_READ,
            HostProt::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
        }
    }

    pub fn can_read(self) -> bool {
        self != HostProt::None
    }

    pub fn can_write(self) -> bool {
        self == HostProt::ReadWrite
    }
}

/// The host could not reserve address space for a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot reserve {bytes:#x} bytes of host address space for guest memory (errno {errno})")]
pub struct ReserveError {
    pub bytes: u64,
    pub errno: i32,
}

/// The reservation (see the module documentation).
pub(super) struct GuestRam {
    base: NonNull<u8>,
    span: u64,
}

// SAFETY: the reservation is owned by this value alone; its memory is only
// reached through the owning `AddressSpace` (and pointers compiled code and
// the TLB derive from it while the address space is borrowed).
unsafe impl Send for GuestRam {}
// SAFETY: shared access only reads guest memory (see `Send`).
unsafe impl Sync for GuestRam {}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

const MAP_FLAGS: libc::c_int = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;

impl GuestRam {
    /// Reserve guest addresses `[0, span)`, all inaccessible.
    pub fn new(span: u64) -> Result<GuestRam, ReserveError> {
        Self::reserve(span, true)
    }

    /// A reservation of no guest addresses (only its guards), wherever the
    /// kernel puts it: never at the low base a real address space wants.
    pub fn vacant() -> Result<GuestRam, ReserveError> {
        Self::reserve(0, false)
    }

    /// Reserve `[0, span)` between its guards, first at the low base when
    /// `low`, else (or when that is taken) wherever the kernel puts it.
    fn reserve(span: u64, low: bool) -> Result<GuestRam, ReserveError> {
        let bytes = span + 2 * GUARD;
        let err = |errno| ReserveError { bytes, errno };
        let len = usize::try_from(bytes).map_err(|_| err(libc::ENOMEM))?;
        let mut raw = libc::MAP_FAILED;
        if low {
            // First at LOW_BASE, where `base + addr` fits an instruction's
            // 32-bit displacement; NOREPLACE fails rather than touch
            // anything mapped there (another address space, usually).
            let hint = (LOW_BASE - GUARD) as *mut libc::c_void;
            let noreplace = libc::MAP_FIXED_NOREPLACE;
            // SAFETY: a fresh anonymous mapping that replaces nothing.
            raw = unsafe { libc::mmap(hint, len, libc::PROT_NONE, MAP_FLAGS | noreplace, -1, 0) };
            if raw != hint && raw != libc::MAP_FAILED {
                // An old kernel that ignores NOREPLACE placed it elsewhere.
                // SAFETY: the mapping was just made, and nothing uses it.
                unsafe { libc::munmap(raw, len) };
                raw = libc::MAP_FAILED;
            }
        }
        if raw == libc::MAP_FAILED {
            // SAFETY: a fresh anonymous mapping at an address of the
            // kernel's choosing touches no existing memory.
            raw =
                unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_NONE, MAP_FLAGS, -1, 0) };
        }
        if raw == libc::MAP_FAILED {
            return Err(err(errno()));
        }
        // SAFETY: as above, the range was just reserved. Huge pages are a
        // hint; without them (THP disabled) only speed changes.
        unsafe { libc::madvise(raw, len, libc::MADV_HUGEPAGE) };
        // SAFETY: the front guard lies inside the reservation.
        let base = unsafe { raw.cast::<u8>().add(GUARD as usize) };
        let base = NonNull::new(base).ok_or(err(libc::ENOMEM))?;
        Ok(GuestRam { base, span })
    }

    /// Host address of guest address 0.
    pub fn base(&self) -> u64 {
        self.base.as_ptr() as u64
    }

    /// Guest addresses below this are backed by the reservation.
    pub fn span(&self) -> u64 {
        self.span
    }

    /// Host pointer to guest page `pn`.
    fn page_ptr(&self, pn: u64) -> *mut u8 {
        assert!(pn < self.span >> PAGE_SHIFT, "guest page {pn:#x} beyond the reservation");
        // SAFETY: `pn` is below `span`, so the page lies inside the
        // reservation that `base` starts.
        unsafe { self.base.as_ptr().add((pn << PAGE_SHIFT) as usize) }
    }

    fn range(&self, first: u64, last: u64) -> (*mut libc::c_void, usize) {
        assert!(first <= last && last <= self.span >> PAGE_SHIFT, "page range beyond reservation");
        (self.page_ptr(first).cast(), ((last - first) << PAGE_SHIFT) as usize)
    }

    /// Give pages `[first, last)` host protection `prot`.
    pub fn protect(&self, first: u64, last: u64, prot: HostProt) {
        if first == last {
            return;
        }
        let (addr, len) = self.range(first, last);
        // SAFETY: the range lies inside our reservation; only host
        // protections change. Failure means the kernel ran out of mapping
        // entries (`vm.max_map_count`), which we cannot recover from with
        // guest memory in an unknown state.
        let r = unsafe { libc::mprotect(addr, len, prot.bits()) };
        assert!(r == 0, "mprotect of guest pages failed (errno {})", errno());
    }

    /// Replace pages `[first, last)` by fresh zero-filled memory with
    /// protection `prot`.
    pub fn reset(&self, first: u64, last: u64, prot: HostProt) {
        if first == last {
            return;
        }
        let (addr, len) = self.range(first, last);
        let fixed = MAP_FLAGS | libc::MAP_FIXED;
        // SAFETY: MAP_FIXED replaces only pages of our own reservation,
        // which no live reference points into (`&self` of the owner is the
        // only way in, and the TLB is flushed for the range by the caller).
        let r = unsafe { libc::mmap(addr, len, prot.bits(), fixed, -1, 0) };
        assert!(r == addr, "remapping guest pages failed (errno {})", errno());
        // SAFETY: as above; a hint.
        unsafe { libc::madvise(addr, len, libc::MADV_HUGEPAGE) };
    }

    /// Replace pages `[first, last)` by pages `[page, page + last - first)`
    /// of the shared host object `fd` (see `shared`), with protection
    /// `prot`. Stores through any mapping of the object show in all.
    pub fn map_shared(&self, first: u64, last: u64, prot: HostProt, fd: i32, page: u64) {
        let mapped = self.map_fd(first, last, prot, fd, page, libc::MAP_SHARED);
        assert!(mapped, "mapping shared guest pages failed (errno {})", errno());
    }

    /// Replace pages `[first, last)` by a private (copy-on-write) mapping
    /// of pages `[page, page + last - first)` of the host file `fd` (see
    /// `file_pages`), with protection `prot`. Stores copy the page; the
    /// file never sees them. When the host refuses (its limit on
    /// mappings, say), the pages are fresh zero-filled ones instead and
    /// this returns false: the caller copies the bytes.
    pub fn map_private(&self, first: u64, last: u64, prot: HostProt, fd: i32, page: u64) -> bool {
        let mapped = self.map_fd(first, last, prot, fd, page, libc::MAP_PRIVATE);
        if !mapped {
            // A failed MAP_FIXED may have left the range unmapped.
            self.reset(first, last, prot);
        }
        mapped
    }

    fn map_fd(&self, first: u64, last: u64, prot: HostProt, fd: i32, page: u64, kind: i32) -> bool {
        if first == last {
            return true;
        }
        let (addr, len) = self.range(first, last);
        // SAFETY: as in `reset`: MAP_FIXED replaces only pages of our own
        // reservation, which no live reference points into. The object
        // outlives the mapping's use: the owner keeps it alive while the
        // range maps it, and the host keeps the pages for the mapping.
        let r = unsafe {
            libc::mmap(
                addr,
                len,
                prot.bits(),
                kind | libc::MAP_FIXED,
                fd,
                (page << PAGE_SHIFT) as _,
            )
        };
        r == addr
    }

    /// A reader of the host's pagemap entries for this reservation's pages
    /// (see [`Pagemap`]).
    pub fn pagemap(&self) -> Pagemap<'_> {
        Pagemap { ram: self, first: 0, entries: Vec::new() }
    }

    /// The bytes of page `pn`.
    ///
    /// # Safety
    /// The page must be host-readable (see [`GuestRam::with_access`]) for
    /// as long as the reference is used.
    pub unsafe fn page(&self, pn: u64) -> &[u8; PAGE_SIZE as usize] {
        // SAFETY: inside the reservation, page-aligned, PAGE_SIZE bytes;
        // readable by the caller's contract.
        unsafe { &*(self.page_ptr(pn) as *const [u8; PAGE_SIZE as usize]) }
    }

    /// The bytes of page `pn`, to write.
    ///
    /// # Safety
    /// The page must be host-writable (see [`GuestRam::with_access`]) for
    /// as long as the reference is used, and no other reference to it may
    /// be live: the owner calls this only under its own `&mut`.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn page_mut(&self, pn: u64) -> &mut [u8; PAGE_SIZE as usize] {
        // SAFETY: as in `page`; uniqueness is the caller's contract.
        unsafe { &mut *(self.page_ptr(pn) as *mut [u8; PAGE_SIZE as usize]) }
    }

    /// The `len` bytes at guest address `addr`, to write.
    ///
    /// # Safety
    /// As for [`GuestRam::page_mut`], for every page the bytes touch.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn bytes_mut(&self, addr: u64, len: usize) -> &mut [u8] {
        assert!(
            addr.checked_add(len as u64).is_some_and(|end| end <= self.span),
            "guest bytes {addr:#x}+{len:#x} beyond the reservation"
        );
        // SAFETY: inside the reservation (checked above), guest-contiguous
        // bytes are host-contiguous; writable and unaliased by the
        // caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr().add(addr as usize), len) }
    }

    /// Run `f` with pages `[first, last)` accessible for `need`, restoring
    /// each page's protection from `prot_of` afterwards. Pages that already
    /// allow `need` are left alone, so the common case makes no system call.
    pub fn with_access<R>(
        &self,
        (first, last): (u64, u64),
        need: HostProt,
        prot_of: impl Fn(u64) -> HostProt,
        f: impl FnOnce(&GuestRam) -> R,
    ) -> R {
        let lacking = |p: HostProt| match need {
            HostProt::None => false,
            HostProt::Read => !p.can_read(),
            HostProt::ReadWrite => !p.can_write(),
        };
        let lifted = (first..last).any(|pn| lacking(prot_of(pn)));
        if lifted {
            self.protect(first, last, need);
        }
        let r = f(self);
        if lifted {
            self.restore(first, last, prot_of);
        }
        r
    }

    /// Set each page of `[first, last)` to `prot_of(pn)`, one call per run
    /// of equal protections.
    pub fn restore(&self, first: u64, last: u64, prot_of: impl Fn(u64) -> HostProt) {
        let mut start = first;
        while start < last {
            let p = prot_of(start);
            let mut end = start + 1;
            while end < last && prot_of(end) == p {
                end += 1;
            }
            self.protect(start, end, p);
            start = end;
        }
    }
}

/// The host's `/proc/self/pagemap` entries of a reservation's pages, read a
/// window at a time: a fork asks about its ranges in address order, and
/// most lie near the one before (a library's segments, its data and bss),
/// so one read serves several.
pub struct Pagemap<'a> {
    ram: &'a GuestRam,
    /// Entries of the pages from `first` on.
    first: u64,
    entries: Vec<u64>,
}

impl Pagemap<'_> {
    /// Pages read at least at a time: 8 KiB of entries, 4 MiB of guest
    /// memory.
    const WINDOW: u64 = 1024;

    /// For each page of `[first, last)`, whether it holds private memory
    /// of this process (a page written since it was mapped from a file,
    /// copy-on-write) rather than the file's page or nothing yet; `None`
    /// when the host does not say.
    pub fn private_pages(&mut self, first: u64, last: u64) -> Option<Vec<bool>> {
        // Bit 63: present; 62: swapped (private memory only); 61: a page
        // of a file (or shared memory).
        self.test(first, last, |e| e & (1 << 62) != 0 || (e & (1 << 63) != 0 && e & (1 << 61) == 0))
    }

    /// For each page of `[first, last)` of anonymous memory, whether the
    /// host holds anything for it (present or swapped out): a page it
    /// holds nothing for was never touched since it was mapped, so it
    /// reads as zero. `None` when the host does not say.
    pub fn populated_pages(&mut self, first: u64, last: u64) -> Option<Vec<bool>> {
        self.test(first, last, |e| e & (3 << 62) != 0)
    }

    /// `test` of the entry of each page of `[first, last)`.
    fn test(&mut self, first: u64, last: u64, test: impl Fn(u64) -> bool) -> Option<Vec<bool>> {
        Some(self.entries(first, last)?.iter().map(|&e| test(e)).collect())
    }

    /// The entries of pages `[first, last)`, from the window read last
    /// when it holds them.
    fn entries(&mut self, first: u64, last: u64) -> Option<&[u64]> {
        use std::os::unix::fs::FileExt;
        static PAGEMAP: std::sync::OnceLock<Option<std::fs::File>> = std::sync::OnceLock::new();
        let held = self.first + self.entries.len() as u64;
        if first < self.first || last > held {
            let map =
                PAGEMAP.get_or_init(|| std::fs::File::open("/proc/self/pagemap").ok()).as_ref()?;
            let end = last.max(first + Self::WINDOW).min(self.ram.span() >> PAGE_SHIFT).max(last);
            let n = usize::try_from(end.checked_sub(first)?).ok()?;
            let mut raw = vec![0u8; n * 8];
            let host_page = (self.ram.page_ptr(first) as u64) >> PAGE_SHIFT;
            map.read_exact_at(&mut raw, host_page * 8).ok()?;
            self.entries = raw
                .chunks_exact(8)
                .map(|e| u64::from_ne_bytes(e.try_into().expect("8-byte entry")))
                .collect();
            self.first = first;
        }
        let at = usize::try_from(first - self.first).ok()?;
        self.entries.get(at..at + usize::try_from(last.checked_sub(first)?).ok()?)
    }
}

impl Drop for GuestRam {
    fn drop(&mut self) {
        // SAFETY: the whole reservation with its guards, made in `new` and
        // owned by us.
        unsafe {
            let start = self.base.as_ptr().sub(GUARD as usize);
            libc::munmap(start.cast(), (self.span + 2 * GUARD) as usize)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_private_mapping_leaves_fresh_zero_pages() {
        let ram = GuestRam::new(1 << 24).unwrap();
        ram.reset(16, 18, HostProt::ReadWrite);
        // SAFETY: pages 16..18 were just made read-write.
        unsafe { ram.page_mut(16)[5] = 7 };
        // No such descriptor: the host refuses the mapping.
        assert!(!ram.map_private(16, 18, HostProt::ReadWrite, -1, 0));
        // SAFETY: the pages are read-write again, and zero.
        unsafe {
            assert!(ram.page(16).iter().all(|&b| b == 0));
            ram.page_mut(17)[0] = 8;
        }
    }

    #[test]
    fn reset_zeroes_and_protect_round_trips() {
        let ram = GuestRam::new(1 << 24).unwrap();
        assert_eq!(ram.base() % PAGE_SIZE, 0);
        ram.reset(16, 18, HostProt::ReadWrite);
        // SAFETY: pages 16..18 were just made read-write.
        unsafe {
            ram.page_mut(16)[5] = 7;
            ram.page_mut(17)[0] = 8;
            assert_eq!(ram.page(16)[5], 7);
            // Guest-contiguous is host-contiguous.
            assert_eq!(ram.page(17).as_ptr(), ram.page(16).as_ptr().add(PAGE_SIZE as usize));
        }
        ram.protect(16, 18, HostProt::Read);
        let prot = |_| HostProt::Read;
        ram.with_access((16, 17), HostProt::ReadWrite, prot, |r| {
            // SAFETY: `with_access` lifted the protection for the closure.
            unsafe { r.page_mut(16)[6] = 9 };
        });
        // SAFETY: pages stay readable.
        assert_eq!(unsafe { ram.page(16)[6] }, 9);
        ram.reset(16, 18, HostProt::Read);
        // SAFETY: readable.
        assert!(unsafe { ram.page(16).iter().all(|&b| b == 0) }, "reset gives zero pages");
    }

    #[test]
    fn populated_pages_are_the_ones_touched() {
        let ram = GuestRam::new(1 << 26).unwrap();
        // Two huge-page-sized runs, so a huge page the host may give the
        // first one leaves the second untouched.
        ram.reset(0, 1024, HostProt::ReadWrite);
        // SAFETY: pages 0..1024 were just made read-write.
        unsafe { ram.page_mut(3)[0] = 1 };
        let Some(populated) = ram.pagemap().populated_pages(0, 1024) else {
            return; // The host does not say (no /proc): nothing to check.
        };
        assert!(populated[3], "a written page");
        assert!(!populated[1000], "a page of an untouched huge-page run");
    }

    #[test]
    fn restore_groups_runs() {
        let ram = GuestRam::new(1 << 24).unwrap();
        ram.reset(0, 64, HostProt::ReadWrite);
        ram.restore(0, 64, |pn| if pn % 3 == 0 { HostProt::Read } else { HostProt::ReadWrite });
        // SAFETY: every page is at least readable.
        assert_eq!(unsafe { ram.page(3)[0] }, 0);
    }
}

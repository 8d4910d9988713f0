//! The software TLB: a direct-mapped cache from guest page to host page.
//!
//! Both engines use it. Its layout is `#[repr(C)]` and its offsets are
//! defined here, in one place, because the JIT emits the same lookup inline:
//!
//! ```text
//! entry  = tlb.entries[(addr >> PAGE_SHIFT) & (TLB_SIZE - 1)]
//! masked = (addr + size - 1) & PAGE_MASK        // the access's last page
//! hit    = masked == entry.read_tag (or write_tag)
//! host   = addr + entry.addend
//! ```
//!
//! An access hits when its last byte lies on the page of its first, so
//! unaligned accesses within a page are as fast as aligned ones (glibc's
//! `memcpy` and string routines make many); those that cross a page miss
//! and take the slow path, which handles them. Pages holding translated code never get a
//! write tag, so stores to them reach the slow path and invalidate.
//!
//! Access sites: compiled code gives each of its loads and stores a *site*,
//! a one-entry cache of the last page that access hit (`tag`, `addend`,
//! copied from a TLB entry it hit). A site lookup does not depend on the
//! address, so the host address is one add away from the guest one and a
//! dependent access chain (a table lookup) runs at the host's load latency.
//! A site is only filled from a TLB hit of its own kind (read sites from
//! read tags, write sites from write tags), and is cleared by every flush
//! of its page that changes what the page allows, so it is never more
//! permissive than the TLB. Clearing them is a sweep over every site, so
//! the TLB notes coarsely which pages it filled since its last full flush
//! (`filled`): a flush of pages it never filled skips the sweep. Loading a
//! program maps and remaps ranges of a fresh space again and again, and
//! each swept 2,048 sites (a forked busybox that execs spent 1.9 M host
//! instructions in them, 0.2 M now).

use super::{PAGE_MASK, PAGE_SHIFT};

pub const TLB_BITS: u32 = 10;
pub const TLB_SIZE: usize = 1 << TLB_BITS;
/// Access sites of each kind (read, write); compiled code takes them in
/// turn, so sites of regions far apart in time share slots.
pub const SITES: usize = 1024;
/// Pages of one region of `Tlb::filled` (as a shift) and the bits of its
/// table (in words): 16 KiB regions of 4 KiB pages, hashed into 4,096 bits
/// (the first 64 MiB one bit each). Busybox's start, five forked children
/// that exec it: 1 MiB regions saved 1.0 M host instructions a child,
/// 64 KiB ones 1.4 M, 16 KiB ones 1.5 M.
const REGION_SHIFT: u32 = 2;
const FILLED_WORDS: usize = 64;

/// A tag that no masked address can equal: masked addresses of aligned
/// accesses have their low bits clear, and this has them set.
pub const INVALID_TAG: u64 = u64::MAX;

/// One TLB entry.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TlbEntry {
    /// Guest page address when the page is readable, else [`INVALID_TAG`].
    pub read_tag: u64,
    /// Guest page address when the page is writable (and holds no
    /// translated code), else [`INVALID_TAG`].
    pub write_tag: u64,
    /// `host_page_address - guest_page_address` (wrapping).
    pub addend: u64,
    /// Pads the entry to 32 bytes, so generated code indexes with a shift.
    pub _pad: u64,
}

/// The cache of one access site (see the module documentation).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Site {
    /// Guest page address the site last hit, or [`INVALID_TAG`].
    pub tag: u64,
    /// The TLB entry's addend for that page.
    pub addend: u64,
}

/// Byte offsets and sizes that generated code relies on.
pub mod offsets {
    use super::{Site, Tlb, TlbEntry};
    use std::mem::{offset_of, size_of};

    pub const ENTRIES: i32 = offset_of!(Tlb, entries) as i32;
    pub const ENTRY_SIZE: i32 = size_of::<TlbEntry>() as i32;
    pub const READ_TAG: i32 = offset_of!(TlbEntry, read_tag) as i32;
    pub const WRITE_TAG: i32 = offset_of!(TlbEntry, write_tag) as i32;
    pub const ADDEND: i32 = offset_of!(TlbEntry, addend) as i32;
    /// log2 of `ENTRY_SIZE`.
    pub const ENTRY_SHIFT: i64 = ENTRY_SIZE.trailing_zeros() as i64;
    const _: () = assert!(ENTRY_SIZE == 1 << ENTRY_SHIFT, "TLB entries must be a power of two");
    pub const READ_SITES: i32 = offset_of!(Tlb, read_sites) as i32;
    pub const WRITE_SITES: i32 = offset_of!(Tlb, write_sites) as i32;
    pub const SITE_SIZE: i32 = size_of::<Site>() as i32;
    pub const SITE_TAG: i32 = offset_of!(Site, tag) as i32;
    pub const SITE_ADDEND: i32 = offset_of!(Site, addend) as i32;
}

/// The TLB of one address space.
#[repr(C)]
pub struct Tlb {
    pub entries: [TlbEntry; TLB_SIZE],
    /// Written by compiled code only, cleared here.
    pub read_sites: [Site; SITES],
    pub write_sites: [Site; SITES],
    /// The regions (`REGION_SHIFT`) of pages filled since the last full
    /// flush, one bit each, hashed: every site's page is in one of them.
    filled: [u64; FILLED_WORDS],
}

const EMPTY: TlbEntry =
    TlbEntry { read_tag: INVALID_TAG, write_tag: INVALID_TAG, addend: 0, _pad: 0 };
const NO_SITE: Site = Site { tag: INVALID_TAG, addend: 0 };

#[inline]
const fn index(addr: u64) -> usize {
    ((addr >> PAGE_SHIFT) as usize) & (TLB_SIZE - 1)
}

/// The bit of `Tlb::filled` (word, mask) for the region of page `pn`.
#[inline]
const fn filled_bit(pn: u64) -> (usize, u64) {
    let r = (pn >> REGION_SHIFT) as usize % (FILLED_WORDS * 64);
    (r / 64, 1 << (r % 64))
}

impl Tlb {
    pub fn new_boxed() -> Box<Tlb> {
        Box::new(Tlb {
            entries: [EMPTY; TLB_SIZE],
            read_sites: [NO_SITE; SITES],
            write_sites: [NO_SITE; SITES],
            filled: [0; FILLED_WORDS],
        })
    }

    pub fn flush_all(&mut self) {
        self.entries.fill(EMPTY);
        self.read_sites.fill(NO_SITE);
        self.write_sites.fill(NO_SITE);
        self.filled.fill(0);
    }

    /// Whether the TLB filled an entry in the region of page `pn` since
    /// its last full flush (or one hashed alike): when not, no site holds
    /// the page.
    fn may_have_sites(&self, pn: u64) -> bool {
        let (w, m) = filled_bit(pn);
        self.filled[w] & m != 0
    }

    /// Take the fast path's write access to guest page `pn` away (the page
    /// now holds translated code): its entry loses its write tag and the
    /// page's write sites are cleared. Reads are allowed as before, so its
    /// read tag and read sites stay; a newly marked code page (once per
    /// page of every new image) then scans one site table, not both.
    pub fn revoke_write(&mut self, pn: u64) {
        let guest = pn << PAGE_SHIFT;
        let e = &mut self.entries[index(guest)];
        if e.write_tag == guest {
            e.write_tag = INVALID_TAG;
        }
        if !self.may_have_sites(pn) {
            return;
        }
        for site in &mut self.write_sites {
            if site.tag == guest {
                *site = NO_SITE;
            }
        }
    }

    /// Drop any entry for page `pn`, leaving its sites (for `flush_pages`,
    /// which clears those in one pass for the range).
    fn flush_entry(&mut self, pn: u64) {
        let guest = pn << PAGE_SHIFT;
        let e = &mut self.entries[index(guest)];
        if e.read_tag == guest || e.write_tag == guest {
            *e = EMPTY;
        }
    }

    /// Drop every entry and site for guest pages `[first, last)`.
    pub fn flush_pages(&mut self, first: u64, last: u64) {
        if last - first > TLB_SIZE as u64 {
            self.flush_all();
            return;
        }
        if first >= last {
            return;
        }
        for pn in first..last {
            self.flush_entry(pn);
        }
        let mut regions = first >> REGION_SHIFT..=(last - 1) >> REGION_SHIFT;
        if !regions.any(|r| self.may_have_sites(r << REGION_SHIFT)) {
            return;
        }
        // Sites are not indexed by page: one pass over them for the range.
        for site in self.read_sites.iter_mut().chain(self.write_sites.iter_mut()) {
            if site.tag != INVALID_TAG && (first..last).contains(&(site.tag >> PAGE_SHIFT)) {
                *site = NO_SITE;
            }
        }
    }

    /// Install page `pn`. `addend` must make `guest + addend` point into a
    /// live host page of `PAGE_SIZE` bytes, with at least the host
    /// permissions the tags grant, for as long as the entry exists.
    pub(super) fn fill(&mut self, pn: u64, (readable, writable): (bool, bool), addend: u64) {
        let guest = pn << PAGE_SHIFT;
        let (w, m) = filled_bit(pn);
        self.filled[w] |= m;
        self.entries[index(guest)] = TlbEntry {
            read_tag: if readable { guest } else { INVALID_TAG },
            write_tag: if writable { guest } else { INVALID_TAG },
            addend,
            _pad: 0,
        };
    }

    #[inline]
    fn hit(tag: u64, addr: u64, size: u32) -> bool {
        addr.wrapping_add(size as u64 - 1) & PAGE_MASK == tag
    }

    /// Fast-path load; `None` on a miss.
    #[inline]
    pub fn load(&self, addr: u64, size: u32) -> Option<u64> {
        let e = &self.entries[index(addr)];
        if !Self::hit(e.read_tag, addr, size) {
            return None;
        }
        let host = addr.wrapping_add(e.addend) as *const u8;
        // SAFETY: a tag hit means the entry was filled by `fill` for this
        // page and not flushed since, so `host` points into a live host page;
        // the tag matched the page of the access's last byte too, so it does
        // not cross the page's end. It may be unaligned.
        unsafe {
            Some(match size {
                1 => *host as u64,
                2 => u16::from_le((host as *const u16).read_unaligned()) as u64,
                4 => u32::from_le((host as *const u32).read_unaligned()) as u64,
                _ => u64::from_le((host as *const u64).read_unaligned()),
            })
        }
    }

    /// Fast-path store; `false` on a miss.
    #[inline]
    pub fn store(&mut self, addr: u64, size: u32, value: u64) -> bool {
        let e = &self.entries[index(addr)];
        if !Self::hit(e.write_tag, addr, size) {
            return false;
        }
        let host = addr.wrapping_add(e.addend) as *mut u8;
        // SAFETY: as in `load`; a write tag is only installed for pages the
        // host lets us write (writable, holding no code).
        unsafe {
            match size {
                1 => *host = value as u8,
                2 => (host as *mut u16).write_unaligned((value as u16).to_le()),
                4 => (host as *mut u32).write_unaligned((value as u32).to_le()),
                _ => (host as *mut u64).write_unaligned(value.to_le()),
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tlb_knows_which_regions_may_have_sites() {
        let mut tlb = Tlb::new_boxed();
        let pn = 0x10_0040;
        let far = pn + (1 << REGION_SHIFT);
        assert!(!tlb.may_have_sites(pn), "a new TLB has no sites");
        tlb.fill(pn, (true, true), 0x1000);
        let last = pn | ((1 << REGION_SHIFT) - 1);
        assert!(tlb.may_have_sites(pn) && tlb.may_have_sites(last), "the page's region");
        assert!(!tlb.may_have_sites(far), "another region");
        // Flushing pages leaves the note (sites of the region may remain);
        // only a full flush, which clears every site, drops it.
        tlb.flush_pages(pn, pn + 1);
        assert!(tlb.may_have_sites(pn));
        tlb.flush_all();
        assert!(!tlb.may_have_sites(pn));
    }

    #[test]
    fn a_flush_clears_the_sites_of_its_pages_only() {
        let mut tlb = Tlb::new_boxed();
        let (pn, other) = (0x4_0010, 0x4_0011);
        for p in [pn, other] {
            tlb.fill(p, (true, true), 0x1000);
        }
        tlb.read_sites[0] = Site { tag: pn << PAGE_SHIFT, addend: 0x1000 };
        tlb.read_sites[1] = Site { tag: other << PAGE_SHIFT, addend: 0x1000 };
        tlb.write_sites[0] = Site { tag: pn << PAGE_SHIFT, addend: 0x1000 };
        tlb.revoke_write(pn);
        assert_eq!(tlb.write_sites[0].tag, INVALID_TAG, "revoked");
        tlb.flush_pages(0x9_0000, 0x9_0004);
        assert_eq!(tlb.read_sites[0].tag, pn << PAGE_SHIFT, "a flush elsewhere");
        tlb.flush_pages(pn, pn + 1);
        assert_eq!(tlb.read_sites[0].tag, INVALID_TAG, "the page's site");
        assert_eq!(tlb.read_sites[1].tag, other << PAGE_SHIFT, "the next page's site");
    }
}

//! Guest memory: one address space per process.
//!
//! Owns the pages (4 KiB, r/w/x permissions), the mappings (`mmap`,
//! `munmap`, `mprotect`, `brk` bookkeeping), the software TLB that both
//! engines use for loads and stores, and code-page tracking for translation
//! invalidation. The kernel and devices use the host-side accessors
//! ([`AddressSpace::read_debug`], [`AddressSpace::write_debug`],
//! [`AddressSpace::read_checked`], [`AddressSpace::write_checked`]).
//!
//! Safety model: guest memory is one host reservation (`ram`), guest
//! address `a` at `base + a`. The host protection of every page mirrors
//! what the guest may do there without a slow path (readable; writable and
//! free of translated code), so compiled code may access it directly and
//! let a fault send it to the slow path. The TLB caches the same host
//! addresses; every operation that remaps or re-protects a page flushes the
//! matching TLB entries first. Host-side accessors check guest permissions
//! and lift host protections only for the bytes they copy.
//!
//! `MAP_SHARED` ranges map a host shared-memory object ([`SharedMem`])
//! into the reservation instead of private memory (see `shared`): the
//! same host pages then sit in several address spaces (or twice in one),
//! and everything above holds for them unchanged. A `fork_copy` maps the
//! same objects, so the child shares them.

mod budget;
mod file_pages;
mod pagetable;
mod ram;
mod shared;
mod tlb;

use std::sync::Arc;

pub use budget::{BudgetStats, MAX_SHARED_OBJECTS, MemBudget};
pub use file_pages::FilePages;
pub use shared::{SharedError, SharedMem, SharedRef};

use pagetable::{FileRef, PageTable};
use ram::{GuestRam, HostProt};

pub use ram::{GUARD as DIRECT_GUARD, ReserveError};

pub use tlb::{
    INVALID_TAG, SITES, Site, TLB_BITS, TLB_SIZE, Tlb, TlbEntry, offsets as tlb_offsets,
};

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
pub const PAGE_MASK: u64 = !(PAGE_SIZE - 1);

/// Page permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Perms(u8);

impl Perms {
    pub const NONE: Perms = Perms(0);
    pub const R: Perms = Perms(1);
    pub const W: Perms = Perms(2);
    pub const X: Perms = Perms(4);
    pub const RW: Perms = Perms(3);
    pub const RX: Perms = Perms(5);
    pub const RWX: Perms = Perms(7);

    /// From Linux `PROT_*` bits (READ=1, WRITE=2, EXEC=4, the same values).
    pub const fn from_prot(prot: u64) -> Perms {
        Perms((prot & 7) as u8)
    }

    pub const fn contains(self, other: Perms) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: Perms) -> Perms {
        Perms(self.0 | other.0)
    }
}

impl std::fmt::Display for Perms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = |p: Perms, ch: char| if self.contains(p) { ch } else { '-' };
        write!(f, "{}{}{}", c(Perms::R, 'r'), c(Perms::W, 'w'), c(Perms::X, 'x'))
    }
}

/// What a mapping holds, as `/proc/<pid>/maps` names it: the page table
/// keeps one per range (Linux's VMA file, offset and name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Backing {
    /// Anonymous memory.
    #[default]
    Anon,
    /// A file's bytes, from byte `offset` of the file at the range's first
    /// page. `shared` for `MAP_SHARED`.
    File { path: Arc<[u8]>, offset: u64, dev: u64, ino: u64, shared: bool },
    /// Shared anonymous memory (`MAP_SHARED | MAP_ANONYMOUS`), which
    /// Linux names `/dev/zero (deleted)`; `ino` is its object's number.
    SharedAnon { ino: u64 },
    /// The program break's pages (`[heap]`).
    Heap,
    /// The initial stack (`[stack]`).
    Stack,
    /// A page the kernel provides, by the name maps gives it
    /// (`[vectors]`, `[sigpage]`, ...).
    Kernel(&'static str),
}

impl Backing {
    /// The same backing seen from `pages` pages further on.
    pub fn advanced(&self, pages: u64) -> Backing {
        match self {
            Backing::File { path, offset, dev, ino, shared } => Backing::File {
                path: path.clone(),
                offset: offset + pages * PAGE_SIZE,
                dev: *dev,
                ino: *ino,
                shared: *shared,
            },
            other => other.clone(),
        }
    }
}

/// One line of `/proc/<pid>/maps`: a mapped range and what it maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapEntry {
    pub start: u64,
    pub end: u64,
    pub perms: Perms,
    pub backing: Backing,
}

/// The kind of a guest memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
    Exec,
}

impl Access {
    /// Lowercase name, as events and traces print it.
    pub const fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Exec => "exec",
        }
    }
}

/// A guest memory access that failed: it becomes SIGSEGV for the guest
/// (or EFAULT for a checked host access).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{access:?} fault at {addr:#x} ({})", if *.unmapped { "unmapped" } else { "permission denied" })]
pub struct MemFault {
    pub addr: u64,
    pub access: Access,
    /// True when no page is mapped there; false for a permission fault.
    pub unmapped: bool,
}

/// Errors of the mapping calls, mapped to errno by the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("invalid address or length")]
    Invalid,
    #[error("out of guest address space")]
    NoMemory,
}

/// Why [`AddressSpace::fork_copy`] failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The host refused the new reservation: a host failure.
    #[error(transparent)]
    Reserve(#[from] ReserveError),
    /// The copy's pages would pass the budget (or the per-process cap).
    #[error("out of guest memory")]
    NoMemory,
}

impl From<MapError> for CopyError {
    fn from(_: MapError) -> Self {
        // The parent held the same ranges, so only a limit can refuse them.
        CopyError::NoMemory
    }
}

/// What a host-side debug write touched, for the event log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostWriteReport {
    /// Some written page was not writable by the guest.
    pub hit_readonly: bool,
    /// Some written page held translated code (now invalidated).
    pub hit_code: bool,
    /// Some written page was executable.
    pub hit_exec: bool,
}

/// Layout constants of a guest address space.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// One past the highest user address.
    pub user_end: u64,
    /// Top of the initial stack.
    pub stack_top: u64,
    /// Size reserved for the stack.
    pub stack_size: u64,
    /// Top-down `mmap` allocations start below this.
    pub mmap_top: u64,
    /// Lowest address `mmap` hands out without `MAP_FIXED`.
    pub mmap_min: u64,
}

impl Layout {
    pub const fn for_bits(is_64bit: bool) -> Layout {
        if is_64bit {
            // Within riscv64 Sv39's 256 GiB so every 64-bit guest agrees.
            Layout {
                user_end: 0x40_0000_0000,
                stack_top: 0x3f_ffff_f000,
                stack_size: 8 << 20,
                mmap_top: 0x3f_f000_0000,
                mmap_min: 0x1_0000_0000,
            }
        } else {
            Layout {
                user_end: 0x8000_0000,
                stack_top: 0x7fff_f000,
                stack_size: 8 << 20,
                mmap_top: 0x7700_0000,
                mmap_min: 0x1000_0000,
            }
        }
    }
}

/// A process's guest address space.
pub struct AddressSpace {
    /// Boxed so the JIT can hold its address across moves of `self`.
    tlb: Box<Tlb>,
    pages: PageTable,
    ram: GuestRam,
    layout: Layout,
    brk_start: u64,
    brk: u64,
    /// Pages whose translated code was overwritten since the last
    /// [`AddressSpace::take_code_writes`], in order, without repeats.
    code_writes: Vec<u64>,
    /// `(page, blocks)` for every page whose translations an engine
    /// discarded, in order, until the kernel drains it for the event log.
    invalidations: Vec<(u64, u64)>,
    /// Upper bound on pages mapped, so a guest cannot exhaust the host.
    max_pages: u64,
    /// The world's budget of committed pages, shared with its other
    /// address spaces; `None` charges nothing.
    budget: Option<Arc<MemBudget>>,
    /// Counts changes of the mappings (what [`AddressSpace::maps`] lists).
    generation: u64,
    /// `(generation, page)`: the last page [`AddressSpace::fetch`] found
    /// executable for the guest and readable for the host, which stays so
    /// until the mappings change. Translation fetches instruction after
    /// instruction from one page, each a page-table lookup otherwise.
    fetch_page: std::cell::Cell<(u64, u64)>,
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        if let Some(budget) = &self.budget {
            budget.release(self.pages.accessible_pages());
        }
    }
}

impl std::fmt::Debug for AddressSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressSpace")
            .field("ranges", &self.pages.range_count())
            .field("brk", &format_args!("{:#x}", self.brk))
            .finish()
    }
}

/// Default cap on mapped guest memory: 4 GiB of address space (touched
/// pages are allocated lazily, so this bounds bookkeeping, not RSS).
pub const DEFAULT_MAX_PAGES: u64 = 1 << 20;

impl AddressSpace {
    /// An empty address space. Panics when the host cannot reserve its
    /// address space (see [`AddressSpace::try_new`]).
    pub fn new(layout: Layout) -> Self {
        Self::try_new(layout).unwrap_or_else(|e| panic!("{e}"))
    }

    /// An empty address space, reserving host address space for every
    /// address the guest can form: `user_end`, and at least 4 GiB, so that
    /// no 32-bit address needs a bounds check.
    pub fn try_new(layout: Layout) -> Result<Self, ReserveError> {
        let ram = GuestRam::new(layout.user_end.max(1 << 32))?;
        Ok(Self::with_ram(layout, ram, DEFAULT_MAX_PAGES))
    }

    /// An address space with no addresses at all, holding a process's place
    /// while its real one is away (see `machine::lanes`): every access
    /// faults, and it reserves only a few host pages.
    pub fn vacant(&self) -> Result<Self, ReserveError> {
        Ok(Self::with_ram(self.layout, GuestRam::vacant()?, 0))
    }

    fn with_ram(layout: Layout, ram: GuestRam, max_pages: u64) -> Self {
        AddressSpace {
            tlb: Tlb::new_boxed(),
            pages: PageTable::default(),
            ram,
            layout,
            brk_start: 0,
            brk: 0,
            code_writes: Vec::new(),
            invalidations: Vec::new(),
            max_pages,
            budget: None,
            generation: 0,
            fetch_page: std::cell::Cell::new((u64::MAX, u64::MAX)),
        }
    }

    /// Charge this space's committed pages, now and from now on, to
    /// `budget`. Fails with [`MapError::NoMemory`] (and changes nothing)
    /// when the pages already committed do not fit.
    pub fn set_budget(&mut self, budget: Arc<MemBudget>) -> Result<(), MapError> {
        if !budget.charge(self.pages.accessible_pages()) {
            return Err(MapError::NoMemory);
        }
        if let Some(old) = self.budget.replace(budget) {
            old.release(self.pages.accessible_pages());
        }
        Ok(())
    }

    /// The budget this space charges, if any.
    pub fn budget(&self) -> Option<&Arc<MemBudget>> {
        self.budget.as_ref()
    }

    /// Settle the budget for pages `[first, last)` becoming `perms`
    /// (`None`: unmapped) with `charged` of them charged (pages of shared
    /// objects are not: the object is), before the change is made.
    fn commit(
        &self,
        first: u64,
        last: u64,
        perms: Option<Perms>,
        charged: u64,
    ) -> Result<(), MapError> {
        let Some(budget) = &self.budget else {
            return Ok(());
        };
        let old = self.pages.accessible_in(first, last);
        let new = match perms {
            Some(p) if p != Perms::NONE => charged,
            _ => 0,
        };
        if new > old {
            if !budget.charge(new - old) {
                return Err(MapError::NoMemory);
            }
        } else {
            budget.release(old - new);
        }
        Ok(())
    }

    /// Host address of guest address 0: guest memory is at `base + addr`
    /// for every `addr` below [`AddressSpace::direct_span`].
    pub fn direct_base(&self) -> u64 {
        self.ram.base()
    }

    /// Addresses below this lie in the host reservation (followed by a
    /// guard of at least 8 bytes). A host access at `base + addr` there
    /// faults unless [`AddressSpace::load`] or [`AddressSpace::store`]
    /// would succeed on their fast path; code that accesses guest memory
    /// directly must send faults to the slow path (see `jit::fault`).
    pub fn direct_span(&self) -> u64 {
        self.ram.span()
    }

    /// Host protection that page `pn` should have (see the module docs).
    fn host_prot(&self, pn: u64) -> HostProt {
        match self.pages.perms(pn).map(HostProt::of) {
            // Stores to translated code must reach the slow path.
            Some(HostProt::ReadWrite) if self.pages.is_code(pn) => HostProt::Read,
            Some(p) => p,
            None => HostProt::None,
        }
    }

    /// Bring the host protection of pages `[first, last)` up to date.
    fn sync_host_prot(&self, first: u64, last: u64) {
        self.ram.restore(first, last, |pn| self.host_prot(pn));
    }

    /// After page `pn` gained or lost its code mark: only a readable and
    /// writable page's host protection depends on it.
    fn sync_writable_prot(&self, pn: u64) {
        if self.pages.perms(pn).is_some_and(|p| p.contains(Perms::RW)) {
            self.sync_host_prot(pn, pn + 1);
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The TLB, for engines that inline lookups. Its address is stable for
    /// the life of the address space.
    pub fn tlb_ptr(&mut self) -> *mut Tlb {
        &mut *self.tlb
    }

    // ----- mappings -------------------------------------------------------

    fn check_range(&self, addr: u64, len: u64) -> Result<(u64, u64), MapError> {
        if addr & !PAGE_MASK != 0 || len == 0 {
            return Err(MapError::Invalid);
        }
        let end = addr.checked_add(len).ok_or(MapError::Invalid)?;
        let end = end.checked_add(PAGE_SIZE - 1).ok_or(MapError::Invalid)? & PAGE_MASK;
        if end > self.layout.user_end {
            return Err(MapError::Invalid);
        }
        Ok((addr >> PAGE_SHIFT, end >> PAGE_SHIFT))
    }

    /// Map `[addr, addr+len)` (page-aligned `addr`) with `perms`, replacing
    /// whatever was there (like `MAP_FIXED`). New pages read as zero.
    pub fn map_fixed(&mut self, addr: u64, len: u64, perms: Perms) -> Result<(), MapError> {
        self.map_backed(addr, len, perms, Backing::Anon)
    }

    /// [`AddressSpace::map_fixed`] of a range that maps `backing` (which
    /// describes its first page), for `/proc/<pid>/maps`. The pages read as
    /// zero: the caller fills them.
    pub fn map_backed(
        &mut self,
        addr: u64,
        len: u64,
        perms: Perms,
        backing: Backing,
    ) -> Result<(), MapError> {
        let (first, last) = self.check_range(addr, len)?;
        let replaced = self.set_range(first, last, perms, backing)?;
        let prot = self.host_prot(first);
        if replaced > 0 {
            self.ram.reset(first, last, prot);
        } else if prot != HostProt::None {
            // Pages no range maps are untouched zeros, inaccessible: the
            // reservation starts so, and `unmap` leaves them so. Only
            // their protection changes, one call instead of new memory.
            self.ram.protect(first, last, prot);
        }
        Ok(())
    }

    /// The page table's part of mapping pages `[first, last)` with `perms`
    /// and `backing`, replacing whatever was there: the host memory behind
    /// them is the caller's to replace or protect. How many of the pages
    /// were mapped before.
    fn set_range(
        &mut self,
        first: u64,
        last: u64,
        perms: Perms,
        backing: Backing,
    ) -> Result<u64, MapError> {
        let already = self.pages.mapped_in(first, last);
        if self.pages.mapped_pages() - already + (last - first) > self.max_pages {
            return Err(MapError::NoMemory);
        }
        self.commit(first, last, Some(perms), last - first)?;
        self.drop_pages(first, last);
        self.pages.set(first, last, Some((perms, backing, None)));
        Ok(already)
    }

    /// Map `[addr, addr+len)` (page-aligned `addr`) to the pages of
    /// `shared` from its page `shared.page` on (`MAP_SHARED`), replacing
    /// whatever was there: the range shows the object's current contents,
    /// and stores to it reach every other mapping of the object. The
    /// object must cover the range ([`MapError::Invalid`] otherwise); its
    /// pages are charged by the object, not here.
    pub fn map_shared(
        &mut self,
        addr: u64,
        len: u64,
        perms: Perms,
        backing: Backing,
        shared: SharedRef,
    ) -> Result<(), MapError> {
        let (first, last) = self.check_range(addr, len)?;
        if shared.page.checked_add(last - first).is_none_or(|end| end > shared.mem.pages()) {
            return Err(MapError::Invalid);
        }
        let already = self.pages.mapped_in(first, last);
        if self.pages.mapped_pages() - already + (last - first) > self.max_pages {
            return Err(MapError::NoMemory);
        }
        self.commit(first, last, Some(perms), 0)?;
        self.drop_pages(first, last);
        let (fd, page) = (shared.mem.raw_fd(), shared.page);
        self.pages.set(first, last, Some((perms, backing, Some(shared))));
        self.ram.map_shared(first, last, self.host_prot(first), fd, page);
        Ok(())
    }

    /// Give the pages of `[addr, addr+len)`, just mapped by
    /// [`AddressSpace::map_backed`] and untouched since, the bytes of
    /// `file` from byte `offset` (page-aligned) on, copy-on-write (see
    /// `file_pages`); pages past the file's end keep their zeros, and so
    /// do the bytes past it in its last page. Returns the bytes the file
    /// covered; [`MapError::NoMemory`] when the host refused the mapping,
    /// the pages then still zeros for the caller to fill.
    pub fn map_file_pages(
        &mut self,
        addr: u64,
        len: u64,
        file: &Arc<FilePages>,
        offset: u64,
    ) -> Result<u64, MapError> {
        let (first, last) = self.check_range(addr, len)?;
        if offset & !PAGE_MASK != 0 || self.pages.mapped_in(first, last) != last - first {
            return Err(MapError::Invalid);
        }
        let covered = file.len().saturating_sub(offset).min(len);
        // Only pages with file bytes map the file: a range with file pages
        // has them on every page (see `fork_copy`).
        let end = first + covered.div_ceil(PAGE_SIZE);
        let file = FileRef { pages: file.clone(), page: offset >> PAGE_SHIFT };
        if !self.map_file_ref(first, end, file, self.host_prot(first)) {
            return Err(MapError::NoMemory);
        }
        Ok(covered)
    }

    /// Map `[first, end)`, a fresh range of one protection, from `file`,
    /// with host protection `prot`; false when the host refused, leaving
    /// the range fresh (zeros).
    fn map_file_ref(&mut self, first: u64, end: u64, file: FileRef, prot: HostProt) -> bool {
        if first == end {
            return true;
        }
        self.tlb.flush_pages(first, end);
        let (fd, base) = file.pages.host();
        let page = base + file.page;
        if !self.ram.map_private(first, end, prot, fd, page) {
            return false;
        }
        self.pages.set_file(first, end, file);
        true
    }

    /// Whether any range maps a shared object (`MAP_SHARED`): memory other
    /// processes may write.
    pub fn has_shared_ranges(&self) -> bool {
        self.pages.ranges().any(|(_, r)| r.shared.is_some())
    }

    /// The shared object the page at `addr` maps, if any, as if its range
    /// started there.
    pub fn shared(&self, addr: u64) -> Option<SharedRef> {
        self.pages.shared(addr >> PAGE_SHIFT)
    }

    /// Unmap every shared range, so the objects behind them can go (the
    /// process is done with its memory).
    pub fn unmap_shared(&mut self) {
        let ranges: Vec<(u64, u64)> = self
            .pages
            .ranges()
            .filter(|(_, r)| r.shared.is_some())
            .map(|(s, r)| (s, r.end))
            .collect();
        for (first, last) in ranges {
            // Shared pages are not charged, so this cannot fail.
            let _ = self.unmap(first << PAGE_SHIFT, (last - first) << PAGE_SHIFT);
        }
    }

    /// What the page at `addr` maps (as if its range started there).
    pub fn backing(&self, addr: u64) -> Option<Backing> {
        self.pages.backing(addr >> PAGE_SHIFT)
    }

    /// Every mapped range in address order, kernel pages above user space
    /// included: the lines of `/proc/<pid>/maps`.
    pub fn maps(&self) -> Vec<MapEntry> {
        let mut out: Vec<MapEntry> = Vec::new();
        let mut last: Option<(u64, &pagetable::Range)> = None;
        for (first, r) in self.pages.ranges() {
            // Ranges apart only by the host pages behind them (file pages
            // of part of a mapping) are one mapping to the guest.
            if let Some((s, prev)) = last
                && prev.end == first
                && prev.continues_as(s, r)
            {
                out.last_mut().expect("pushed with `last`").end = r.end << PAGE_SHIFT;
            } else {
                out.push(MapEntry {
                    start: first << PAGE_SHIFT,
                    end: r.end << PAGE_SHIFT,
                    perms: r.perms,
                    backing: r.backing.clone(),
                });
            }
            last = Some((first, r));
        }
        out
    }

    /// A number that changes whenever the mappings change (map, unmap,
    /// protect), so a copy of [`AddressSpace::maps`] can tell it is
    /// current.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Forget TLB entries and translations of `[first, last)` (the caller
    /// replaces the contents).
    fn drop_pages(&mut self, first: u64, last: u64) {
        self.generation += 1;
        self.tlb.flush_pages(first, last);
        for pn in self.pages.take_code(first, last) {
            self.code_writes_push(pn);
        }
    }

    /// Map a page the kernel provides above `user_end` (ARM's kuser
    /// helpers) with `perms`, holding `data`. The guest can neither unmap
    /// nor reprotect it: every guest-driven mapping call stops at
    /// `user_end`. `name` is its name in `/proc/<pid>/maps`.
    pub fn map_system_page(
        &mut self,
        addr: u64,
        perms: Perms,
        data: &[u8],
        name: &'static str,
    ) -> Result<(), MapError> {
        let len = data.len() as u64;
        if addr & !PAGE_MASK != 0 || len != PAGE_SIZE || addr < self.layout.user_end {
            return Err(MapError::Invalid);
        }
        if addr.checked_add(len).is_none_or(|end| end > self.ram.span()) {
            return Err(MapError::Invalid);
        }
        let (first, last) = (addr >> PAGE_SHIFT, (addr + len) >> PAGE_SHIFT);
        // Charged like any page, so dropping the space releases it evenly.
        self.commit(first, last, Some(perms), last - first)?;
        self.drop_pages(first, last);
        self.pages.set(first, last, Some((perms, Backing::Kernel(name), None)));
        self.ram.reset(first, last, self.host_prot(first));
        self.write_debug(addr, data).map_err(|_| MapError::Invalid)?;
        Ok(())
    }

    /// Unmap `[addr, addr+len)`. Unmapped holes in the range are fine.
    pub fn unmap(&mut self, addr: u64, len: u64) -> Result<(), MapError> {
        let (first, last) = self.check_range(addr, len)?;
        self.commit(first, last, None, 0)?;
        self.drop_pages(first, last);
        self.pages.set(first, last, None);
        self.ram.reset(first, last, HostProt::None);
        Ok(())
    }

    /// Change permissions of `[addr, addr+len)`. Every page must be mapped.
    pub fn protect(&mut self, addr: u64, len: u64, perms: Perms) -> Result<(), MapError> {
        let (first, last) = self.check_range(addr, len)?;
        if self.pages.mapped_in(first, last) != last - first {
            return Err(MapError::NoMemory);
        }
        let charged = (last - first) - self.pages.shared_in(first, last);
        self.commit(first, last, Some(perms), charged)?;
        self.generation += 1;
        self.tlb.flush_pages(first, last);
        if !perms.contains(Perms::X) {
            // Code that can no longer be executed must not be reused.
            for pn in self.pages.take_code(first, last) {
                self.code_writes_push(pn);
            }
        }
        self.pages.set_perms(first, last, perms);
        self.sync_host_prot(first, last);
        Ok(())
    }

    /// True if any page of `[addr, addr+len)` is mapped.
    pub fn any_mapped(&self, addr: u64, len: u64) -> bool {
        let first = addr >> PAGE_SHIFT;
        let last = addr.saturating_add(len).saturating_add(PAGE_SIZE - 1) >> PAGE_SHIFT;
        self.pages.mapped_in(first, last) > 0
    }

    pub fn is_mapped(&self, addr: u64) -> bool {
        self.pages.perms(addr >> PAGE_SHIFT).is_some()
    }

    pub fn perms(&self, addr: u64) -> Option<Perms> {
        self.pages.perms(addr >> PAGE_SHIFT)
    }

    /// Find a free, page-aligned range of `len` bytes, top-down from the
    /// mmap base, as Linux's default allocator does. `hint` is honoured when
    /// that range is free.
    pub fn find_free(&self, len: u64, hint: u64) -> Option<u64> {
        let len = len.checked_add(PAGE_SIZE - 1)? & PAGE_MASK;
        if len == 0 {
            return None;
        }
        let hint = hint & PAGE_MASK;
        if hint >= self.layout.mmap_min
            && hint.checked_add(len).is_some_and(|e| e <= self.layout.mmap_top)
            && !self.any_mapped(hint, len)
        {
            return Some(hint);
        }
        let mut top = self.layout.mmap_top;
        // Walk mapped pages downward from the top; every gap is a candidate.
        loop {
            let start = top.checked_sub(len)?;
            if start < self.layout.mmap_min {
                return None;
            }
            match self.pages.highest_below(top >> PAGE_SHIFT) {
                Some((s, e)) if e > start >> PAGE_SHIFT => top = s << PAGE_SHIFT,
                _ => return Some(start),
            }
        }
    }

    /// A copy of this address space for a forked process: the same
    /// mappings, permissions, contents and program break, in a new host
    /// reservation. Inaccessible ranges and all-zero pages are not copied
    /// (a fresh page reads as zeros anyway). The copy charges the same
    /// budget; [`CopyError::NoMemory`] when its pages do not fit.
    pub fn fork_copy(&self) -> Result<AddressSpace, CopyError> {
        let mut child = AddressSpace::try_new(self.layout)?;
        child.budget = self.budget.clone();
        child.max_pages = self.max_pages;
        child.brk_start = self.brk_start;
        child.brk = self.brk;
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut pagemap = self.ram.pagemap();
        for (first, range) in self.pages.ranges() {
            let (end, perms) = (range.end, range.perms);
            let (start, len) = (first * PAGE_SIZE, (end - first) * PAGE_SIZE);
            if start >= self.layout.user_end {
                // Kernel pages above user space (ARM's kuser helpers).
                let name = match range.backing {
                    Backing::Kernel(name) => name,
                    _ => "",
                };
                for pn in first..end {
                    let addr = pn * PAGE_SIZE;
                    self.read_debug(addr, &mut page).expect("the parent maps it");
                    child.map_system_page(addr, perms, &page, name)?;
                }
                continue;
            }
            if let Some(shared) = &range.shared {
                // MAP_SHARED stays shared: the child maps the same object.
                child.map_shared(start, len, perms, range.backing.clone(), shared.clone())?;
                continue;
            }
            // The child's reservation is fresh: its pages are untouched
            // zeros, inaccessible, so the range needs no new host memory,
            // only its protection (set once its pages are copied).
            child.set_range(first, end, perms, range.backing.clone())?;
            // File pages: the child maps the same file and gets a copy of
            // only the pages the parent has written (the host tells which;
            // without that word from the host, of every page), mapped
            // writable for the copy when there is one. Where the host
            // refuses the mapping, a plain copy as for any range.
            let want = HostProt::of(perms);
            let accessible = perms != Perms::NONE;
            let written = match &range.file {
                Some(_) if accessible => pagemap.private_pages(first, end),
                _ => None,
            };
            let copy = accessible && written.as_ref().is_none_or(|w| w.contains(&true));
            let prot = if copy { HostProt::ReadWrite } else { want };
            let file_mapped = range
                .file
                .as_ref()
                .is_some_and(|f| child.map_file_ref(first, end, f.clone(), prot));
            if !accessible {
                continue;
            }
            if file_mapped {
                if copy {
                    child.copy_some_pages_from(
                        self,
                        (first, end),
                        perms,
                        Dest::Writable,
                        |pn, _| written.as_ref().is_none_or(|w| w[(pn - first) as usize]),
                    );
                    if want != HostProt::ReadWrite {
                        child.ram.protect(first, end, want);
                    }
                }
            } else {
                // Without a file behind it the parent's range is anonymous
                // host memory (a file range the child could not map is not).
                let anonymous = range.file.is_none();
                let populated = if anonymous { pagemap.populated_pages(first, end) } else { None };
                let writable = child.copy_pages_from(self, (first, end), perms, populated);
                // Still fresh and inaccessible, or made writable for the
                // copy: now the range's own protection, in one call (a new
                // space holds no translated code to keep read-only).
                let left = if writable { HostProt::ReadWrite } else { HostProt::None };
                if want != left {
                    child.ram.protect(first, end, want);
                }
            }
        }
        child.take_invalidations();
        child.take_code_writes();
        Ok(child)
    }

    /// Copy the pages `[first, last)` that are not all zero from `src`,
    /// which maps them as this space does (a fork), into a range of this
    /// space's fresh reservation ([`AddressSpace::set_range`]): host memory
    /// to host memory. Fresh pages read as zero already. When `src` holds
    /// the range in anonymous host memory, the pages the host holds nothing
    /// for were never touched (zero; `populated` says which) and are not
    /// read, which would fault each one in. The range is left writable if
    /// anything was copied, else inaccessible, for the caller to set its
    /// protection.
    fn copy_pages_from(
        &mut self,
        src: &AddressSpace,
        (first, last): (u64, u64),
        perms: Perms,
        populated: Option<Vec<bool>>,
    ) -> bool {
        if populated.as_ref().is_some_and(|p| !p.contains(&true)) {
            return false;
        }
        self.copy_some_pages_from(src, (first, last), perms, Dest::Fresh, |pn, page| {
            populated.as_ref().is_none_or(|p| p[(pn - first) as usize]) && !is_zero_page(page)
        })
    }

    /// Copy the pages `[first, last)`, one range of `src` with `perms`, for
    /// which `wanted(pn, page)` holds into `dest`, lifting each side's
    /// protections at most once for the whole range rather than once a
    /// page. Whether the destination was made writable.
    fn copy_some_pages_from(
        &mut self,
        src: &AddressSpace,
        (first, last): (u64, u64),
        perms: Perms,
        dest: Dest,
        wanted: impl Fn(u64, &[u8; PAGE_SIZE as usize]) -> bool,
    ) -> bool {
        let to = &self.ram;
        let into = |from: &GuestRam| {
            // A fresh range is inaccessible until the first page to copy.
            let mut writable = dest == Dest::Writable;
            for pn in first..last {
                // SAFETY: the caller made the page readable in `src`, which
                // it borrows.
                let page = unsafe { from.page(pn) };
                if wanted(pn, page) {
                    if !std::mem::replace(&mut writable, true) {
                        to.protect(first, last, HostProt::ReadWrite);
                    }
                    // SAFETY: the page is writable (just made so, or by the
                    // caller); `&mut self` means no other reference into
                    // this space's memory is live.
                    unsafe { to.page_mut(pn) }.copy_from_slice(page);
                }
            }
            writable
        };
        if perms.contains(Perms::R) {
            // Every page of a readable range is readable on the host.
            into(&src.ram)
        } else {
            src.ram.with_access((first, last), HostProt::Read, |pn| src.host_prot(pn), into)
        }
    }

    // ----- brk ------------------------------------------------------------

    /// Set the initial program break (end of the loaded image).
    pub fn init_brk(&mut self, addr: u64) {
        let a = (addr + PAGE_SIZE - 1) & PAGE_MASK;
        self.brk_start = a;
        self.brk = a;
    }

    /// Linux `brk`: returns the new break, or the old one when the request
    /// cannot be met.
    pub fn set_brk(&mut self, new: u64) -> u64 {
        if new < self.brk_start {
            return self.brk;
        }
        let old_end = (self.brk + PAGE_SIZE - 1) & PAGE_MASK;
        let new_end = match new.checked_add(PAGE_SIZE - 1) {
            Some(v) => v & PAGE_MASK,
            None => return self.brk,
        };
        if new_end > old_end {
            if self.any_mapped(old_end, new_end - old_end)
                || new_end > self.layout.mmap_min.max(self.brk_start + (1 << 30))
            {
                return self.brk;
            }
            if self.map_backed(old_end, new_end - old_end, Perms::RW, Backing::Heap).is_err() {
                return self.brk;
            }
        } else if new_end < old_end {
            let _ = self.unmap(new_end, old_end - new_end);
        }
        self.brk = new;
        new
    }

    // ----- code tracking --------------------------------------------------

    /// Record that translated code now exists for page `pn`: guest stores to
    /// it leave the fast path.
    pub fn mark_code(&mut self, pn: u64) {
        // Most blocks lie on a page that holds code already: one set lookup
        // then, not a search of the mapped ranges.
        if self.pages.is_code(pn) {
            return;
        }
        if self.pages.perms(pn).is_some() && self.pages.set_code(pn, true) {
            self.tlb.revoke_write(pn);
            self.sync_writable_prot(pn);
        }
    }

    fn code_writes_push(&mut self, pn: u64) {
        if !self.code_writes.contains(&pn) {
            self.code_writes.push(pn);
        }
    }

    /// A write hit page `pn`; if it held code, queue its invalidation.
    fn note_code_write(&mut self, pn: u64) -> bool {
        let hit = self.pages.set_code(pn, false);
        if hit {
            self.code_writes_push(pn);
            self.sync_writable_prot(pn);
        }
        hit
    }

    /// Pages whose translations must be discarded, in the order they were
    /// written.
    pub fn take_code_writes(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.code_writes)
    }

    pub fn has_code_writes(&self) -> bool {
        !self.code_writes.is_empty()
    }

    /// Engines report here that `blocks` translations of page `pn` were
    /// discarded, so the kernel can put it in the event log.
    pub fn note_invalidation(&mut self, pn: u64, blocks: u64) {
        self.invalidations.push((pn, blocks));
    }

    /// `(page, blocks)` invalidations since the last call, in order.
    pub fn take_invalidations(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.invalidations)
    }

    /// Queue invalidations [`AddressSpace::take_invalidations`] took from
    /// another space (a run on another host thread, see `machine::lanes`).
    pub fn restore_invalidations(&mut self, mut invalidations: Vec<(u64, u64)>) {
        self.invalidations.append(&mut invalidations);
    }

    /// Whether this is a stand-in from [`AddressSpace::vacant`].
    pub fn is_vacant(&self) -> bool {
        self.ram.span() == 0
    }

    // ----- page access helpers ---------------------------------------------

    /// Copy guest bytes at `addr` into `buf`, whatever the host
    /// protection. The caller has checked that every page is mapped.
    fn copy_out(&self, addr: u64, buf: &mut [u8]) {
        self.copy_out_with(addr, buf.len(), |done, piece| {
            buf[done..done + piece.len()].copy_from_slice(piece);
        });
    }

    /// Hand the `len` bytes from guest address `addr` to `f`, page piece by
    /// page piece in order (with the count handed before), whatever the
    /// host protection. The caller has checked that every page is mapped.
    fn copy_out_with(&self, addr: u64, len: usize, mut f: impl FnMut(usize, &[u8])) {
        let pages = page_span(addr, len);
        self.ram.with_access(
            pages,
            HostProt::Read,
            |pn| self.host_prot(pn),
            |ram| {
                for_each_piece(addr, len, |pn, off, done, n| {
                    // SAFETY: `with_access` made the pages readable.
                    let page = unsafe { ram.page(pn) };
                    f(done, &page[off..off + n]);
                });
            },
        );
    }

    /// Copy `data` to guest address `addr`, whatever the host protection.
    /// The caller has checked that every page is mapped and noted code
    /// writes.
    fn copy_in(&mut self, addr: u64, data: &[u8]) {
        let pages = page_span(addr, data.len());
        self.ram.with_access(
            pages,
            HostProt::ReadWrite,
            |pn| self.host_prot(pn),
            |ram| {
                for_each_piece(addr, data.len(), |pn, off, done, n| {
                    // SAFETY: `with_access` made the pages writable; `&mut
                    // self` means no other reference into guest memory is live.
                    let page = unsafe { ram.page_mut(pn) };
                    page[off..off + n].copy_from_slice(&data[done..done + n]);
                });
            },
        );
    }

    /// Refill the TLB entry for page `pn` after a slow-path access: what
    /// the host protection allows (see [`AddressSpace::host_prot`]).
    fn fill_tlb(&mut self, pn: u64) {
        let prot = self.host_prot(pn);
        if !prot.can_read() {
            return;
        }
        let base = self.ram.base();
        self.tlb.fill(pn, (true, prot.can_write()), base);
    }

    /// Check that the guest may access every byte of `[addr, addr+size)`
    /// (`size` 0 checks one byte).
    pub fn check_access(&self, addr: u64, size: u64, access: Access) -> Result<(), MemFault> {
        let need = match access {
            Access::Read => Perms::R,
            Access::Write => Perms::W,
            Access::Exec => Perms::X,
        };
        let mut pn = addr >> PAGE_SHIFT;
        let last = addr.wrapping_add(size.max(1) - 1) >> PAGE_SHIFT;
        loop {
            let fault_addr = (pn << PAGE_SHIFT).max(addr);
            match self.pages.perms(pn) {
                None => {
                    return Err(MemFault { addr: fault_addr, access, unmapped: true });
                }
                Some(p) if !p.contains(need) => {
                    return Err(MemFault { addr: fault_addr, access, unmapped: false });
                }
                _ => {}
            }
            if pn == last {
                return Ok(());
            }
            pn = pn.wrapping_add(1);
            if pn == 0 {
                // Wrapped around the top of the address space.
                return Err(MemFault { addr: 0, access, unmapped: true });
            }
        }
    }

    // ----- guest accesses (engines) ------------------------------------------

    /// Guest load of `size` bytes (1, 2, 4 or 8), assembled little-endian.
    /// Engines byte-swap for big-endian guests.
    #[inline]
    pub fn load(&mut self, addr: u64, size: u32) -> Result<u64, MemFault> {
        if let Some(v) = self.tlb.load(addr, size) {
            return Ok(v);
        }
        self.load_slow(addr, size)
    }

    #[cold]
    pub fn load_slow(&mut self, addr: u64, size: u32) -> Result<u64, MemFault> {
        self.check_access(addr, size as u64, Access::Read)?;
        let mut buf = [0u8; 8];
        self.copy_out(addr, &mut buf[..size as usize]);
        self.fill_tlb(addr >> PAGE_SHIFT);
        Ok(u64::from_le_bytes(buf))
    }

    /// Guest store of the low `size` bytes of `value`, little-endian. Returns
    /// `true` when the store hit a page with translated code (now queued in
    /// [`AddressSpace::take_code_writes`]).
    #[inline]
    pub fn store(&mut self, addr: u64, size: u32, value: u64) -> Result<bool, MemFault> {
        if self.tlb.store(addr, size, value) {
            return Ok(false);
        }
        self.store_slow(addr, size, value)
    }

    #[cold]
    pub fn store_slow(&mut self, addr: u64, size: u32, value: u64) -> Result<bool, MemFault> {
        // Check every byte first so a faulting store writes nothing.
        self.check_access(addr, size as u64, Access::Write)?;
        let bytes = value.to_le_bytes();
        let last = addr.wrapping_add(size as u64 - 1);
        let mut hit_code = self.note_code_write(addr >> PAGE_SHIFT);
        if last >> PAGE_SHIFT != addr >> PAGE_SHIFT {
            hit_code |= self.note_code_write(last >> PAGE_SHIFT);
        }
        self.copy_in(addr, &bytes[..size as usize]);
        self.fill_tlb(addr >> PAGE_SHIFT);
        Ok(hit_code)
    }

    /// Copy executable bytes at `addr` into `buf` for instruction fetch.
    /// Returns how many bytes were fetchable (stops at the first byte that
    /// is not mapped executable).
    pub fn fetch(&self, addr: u64, buf: &mut [u8]) -> usize {
        let (pn, off) = (addr >> PAGE_SHIFT, (addr & !PAGE_MASK) as usize);
        if off + buf.len() <= PAGE_SIZE as usize {
            if self.fetch_page.get() != (self.generation, pn) {
                let ok = self.pages.perms(pn).is_some_and(|p| p.contains(Perms::X))
                    && self.host_prot(pn).can_read();
                if !ok {
                    return self.fetch_slow(addr, buf);
                }
                self.fetch_page.set((self.generation, pn));
            }
            // SAFETY: the page is host-readable: checked above in this
            // generation of the mappings, and only a mapping change (which
            // bumps the generation) takes readability away outside the
            // accessors, which restore it before they return.
            let page = unsafe { self.ram.page(pn) };
            buf.copy_from_slice(&page[off..off + buf.len()]);
            return buf.len();
        }
        self.fetch_slow(addr, buf)
    }

    fn fetch_slow(&self, addr: u64, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            let a = addr.wrapping_add(n as u64);
            if a < addr || !self.pages.perms(a >> PAGE_SHIFT).is_some_and(|p| p.contains(Perms::X))
            {
                break;
            }
            n = (n + (PAGE_SIZE - (a & !PAGE_MASK)) as usize).min(buf.len());
        }
        if n > 0 {
            self.copy_out(addr, &mut buf[..n]);
        }
        n
    }

    // ----- host-side accessors (kernel, devices) ---------------------------

    /// Debug read: ignores permissions (like QEMU's `cpu_memory_rw_debug`),
    /// fails only on unmapped memory.
    pub fn read_debug(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemFault> {
        self.host_read(addr, buf, false)
    }

    /// Checked read (`copy_from_user`): the guest must be able to read it.
    pub fn read_checked(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemFault> {
        self.host_read(addr, buf, true)
    }

    /// [`read_checked`](Self::read_checked) of `len` bytes into a new
    /// vector, which is filled from guest memory without being zeroed first.
    pub fn read_checked_vec(&self, addr: u64, len: usize) -> Result<Vec<u8>, MemFault> {
        let mut v = Vec::with_capacity(len);
        if len > 0 {
            self.check_host_range(addr, len as u64, Access::Read)?;
            self.copy_out_with(addr, len, |_, piece| v.extend_from_slice(piece));
        }
        Ok(v)
    }

    fn host_read(&self, addr: u64, buf: &mut [u8], checked: bool) -> Result<(), MemFault> {
        if buf.is_empty() {
            return Ok(());
        }
        let access = if checked { Access::Read } else { Access::Exec };
        self.check_host_range(addr, buf.len() as u64, access)?;
        self.copy_out(addr, buf);
        Ok(())
    }

    /// Host accesses: `Exec` stands for "debug" (mapped is enough).
    fn check_host_range(&self, addr: u64, len: u64, access: Access) -> Result<(), MemFault> {
        let host_access = if access == Access::Exec { Access::Write } else { access };
        let end = addr.checked_add(len - 1).ok_or(MemFault {
            addr,
            access: host_access,
            unmapped: true,
        })?;
        if access == Access::Exec {
            let (first, last) = (addr >> PAGE_SHIFT, (end >> PAGE_SHIFT) + 1);
            if self.pages.mapped_in(first, last) != last - first {
                let hole = (first..last)
                    .find(|&pn| self.pages.perms(pn).is_none())
                    .expect("some page unmapped");
                return Err(MemFault {
                    addr: (hole << PAGE_SHIFT).max(addr),
                    access: host_access,
                    unmapped: true,
                });
            }
            Ok(())
        } else {
            self.check_access(addr, len, access)
        }
    }

    /// Debug write: ignores permissions, as PANDA/QEMU debug writes do. Any
    /// translated code it overwrites is invalidated. Fails only on unmapped
    /// memory, and then writes nothing.
    pub fn write_debug(&mut self, addr: u64, data: &[u8]) -> Result<HostWriteReport, MemFault> {
        self.host_write(addr, data, false)
    }

    /// A debug write that `fill` makes in place: it gets the `len` guest
    /// bytes at `addr` (writable, whatever their protection) and returns
    /// what it returns, which this passes on. Spares the copy through a
    /// buffer of [`AddressSpace::write_debug`] (file mappings read the file
    /// straight into guest memory). Fails only on unmapped memory, and
    /// then calls nothing.
    pub fn fill_debug<T>(
        &mut self,
        addr: u64,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> T,
    ) -> Result<T, MemFault> {
        self.host_fill(addr, len, false, fill).map(|(_, t)| t)
    }

    /// Checked write (`copy_to_user`): the guest must be able to write every
    /// byte, or nothing is written and the caller returns EFAULT.
    pub fn write_checked(&mut self, addr: u64, data: &[u8]) -> Result<HostWriteReport, MemFault> {
        self.host_write(addr, data, true)
    }

    fn host_write(
        &mut self,
        addr: u64,
        data: &[u8],
        checked: bool,
    ) -> Result<HostWriteReport, MemFault> {
        let copy = |bytes: &mut [u8]| bytes.copy_from_slice(data);
        self.host_fill(addr, data.len(), checked, copy).map(|(report, ())| report)
    }

    /// The host writes (debug or checked): check the range, note what it
    /// hits (invalidating translated code), then let `fill` write the
    /// `len` bytes at `addr` in place, whatever their host protection.
    fn host_fill<T>(
        &mut self,
        addr: u64,
        len: usize,
        checked: bool,
        fill: impl FnOnce(&mut [u8]) -> T,
    ) -> Result<(HostWriteReport, T), MemFault> {
        if len == 0 {
            return Ok((HostWriteReport::default(), fill(&mut [])));
        }
        let access = if checked { Access::Write } else { Access::Exec };
        self.check_host_range(addr, len as u64, access)?;
        let mut report = HostWriteReport::default();
        let (first, last) = page_span(addr, len);
        for pn in first..last {
            let perms = self.pages.perms(pn).expect("checked mapped above");
            report.hit_readonly |= !perms.contains(Perms::W);
            report.hit_exec |= perms.contains(Perms::X);
            report.hit_code |= self.note_code_write(pn);
        }
        let out = self.ram.with_access(
            (first, last),
            HostProt::ReadWrite,
            |pn| self.host_prot(pn),
            // SAFETY: `with_access` made the pages writable; `&mut self`
            // means no other reference into guest memory is live.
            |ram| fill(unsafe { ram.bytes_mut(addr, len) }),
        );
        Ok((report, out))
    }

    /// Read a NUL-terminated string (checked), at most `max` bytes.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        let mut out = Vec::new();
        let mut a = addr;
        while out.len() < max {
            let mut b = [0u8];
            self.read_checked(a, &mut b)?;
            if b[0] == 0 {
                return Ok(out);
            }
            out.push(b[0]);
            a = a.wrapping_add(1);
        }
        Ok(out)
    }
}

/// Where [`AddressSpace::copy_some_pages_from`] copies to: pages of a
/// fresh reservation, still inaccessible, or pages already writable on the
/// host.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    Fresh,
    Writable,
}

/// Whether a page holds only zero bytes: a word-wide OR per cache line,
/// which the compiler vectorises, where a byte loop with an early exit is
/// not.
fn is_zero_page(page: &[u8; PAGE_SIZE as usize]) -> bool {
    page.chunks_exact(64).all(|line| {
        line.chunks_exact(8)
            .fold(0u64, |acc, w| acc | u64::from_ne_bytes(w.try_into().expect("8-byte chunk")))
            == 0
    })
}

/// Pages `[first, last)` that `len > 0` bytes at `addr` touch.
fn page_span(addr: u64, len: usize) -> (u64, u64) {
    (addr >> PAGE_SHIFT, ((addr + len as u64 - 1) >> PAGE_SHIFT) + 1)
}

/// Split `len` bytes at `addr` at page boundaries: `f(page, offset in the
/// page, bytes before this piece, piece length)`, in order.
fn for_each_piece(addr: u64, len: usize, mut f: impl FnMut(u64, usize, usize, usize)) {
    let mut done = 0usize;
    while done < len {
        let a = addr + done as u64;
        let off = (a & !PAGE_MASK) as usize;
        let n = (PAGE_SIZE as usize - off).min(len - done);
        f(a >> PAGE_SHIFT, off, done, n);
        done += n;
    }
}

#[cfg(test)]
mod tests;

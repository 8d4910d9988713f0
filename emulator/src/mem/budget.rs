//! The memory budget of one guest world: committed guest pages over all of
//! its address spaces, so no cell can take the host's memory.
//!
//! A page is *committed* while it is mapped with any permission (as Linux
//! accounts private mappings; `PROT_NONE` reservations are free). Address
//! spaces charge the budget when pages become accessible and release it
//! when they are unmapped, made `PROT_NONE` or dropped. A charge past the
//! limit fails, and the mapping call that asked for it returns `ENOMEM`, as
//! under a cgroup memory limit. Guest memory is reserved with
//! `MAP_NORESERVE` and touched lazily, so committed pages bound the host
//! memory a world can use from above.
//!
//! Each `MAP_SHARED` object also holds a host descriptor while it lives,
//! so a world may have at most [`MAX_SHARED_OBJECTS`] of them at once;
//! past that a shared mapping fails with `ENOMEM`, as Linux's does past
//! its mapping count.
//!
//! The counters are atomic so a budget can be shared through an `Arc`, but
//! every charge comes from the one thread that runs the world, so the
//! outcome is deterministic.

use std::sync::atomic::{AtomicU64, Ordering};

use super::PAGE_SHIFT;

/// Shared-memory objects (`MAP_SHARED` mappings that are not views of
/// one already made) a world may hold at once.
pub const MAX_SHARED_OBJECTS: u64 = 256;

/// A shared limit on committed guest pages.
#[derive(Debug)]
pub struct MemBudget {
    limit_pages: u64,
    /// Live shared objects, against [`MAX_SHARED_OBJECTS`].
    objects: AtomicU64,
    used: AtomicU64,
    peak: AtomicU64,
    refused: AtomicU64,
}

/// What a budget saw, for the outcome of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BudgetStats {
    /// The limit, in bytes.
    pub limit_bytes: u64,
    /// Most bytes committed at once.
    pub peak_bytes: u64,
    /// Mapping requests refused because they would pass the limit.
    pub refused: u64,
}

impl MemBudget {
    /// A budget of `limit_bytes`, rounded down to whole pages.
    pub fn new(limit_bytes: u64) -> MemBudget {
        MemBudget {
            limit_pages: limit_bytes >> PAGE_SHIFT,
            objects: AtomicU64::new(0),
            used: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Charge `pages` more committed pages; false (and nothing charged)
    /// when that would pass the limit.
    pub fn charge(&self, pages: u64) -> bool {
        let used = self.used.load(Ordering::Relaxed);
        match used.checked_add(pages) {
            Some(total) if total <= self.limit_pages => {
                self.used.store(total, Ordering::Relaxed);
                self.peak.fetch_max(total, Ordering::Relaxed);
                true
            }
            _ => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Count one more shared object; false (and nothing counted) past
    /// [`MAX_SHARED_OBJECTS`].
    pub fn start_object(&self) -> bool {
        let n = self.objects.load(Ordering::Relaxed);
        if n >= MAX_SHARED_OBJECTS {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.objects.store(n + 1, Ordering::Relaxed);
        true
    }

    /// A shared object is gone.
    pub fn end_object(&self) {
        let n = self.objects.load(Ordering::Relaxed);
        self.objects.store(n.saturating_sub(1), Ordering::Relaxed);
    }

    /// Give back `pages` committed pages.
    pub fn release(&self, pages: u64) {
        let used = self.used.load(Ordering::Relaxed);
        self.used.store(used.saturating_sub(pages), Ordering::Relaxed);
    }

    /// Bytes committed now.
    pub fn used_bytes(&self) -> u64 {
        self.used.load(Ordering::Relaxed) << PAGE_SHIFT
    }

    pub fn stats(&self) -> BudgetStats {
        BudgetStats {
            limit_bytes: self.limit_pages << PAGE_SHIFT,
            peak_bytes: self.peak.load(Ordering::Relaxed) << PAGE_SHIFT,
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

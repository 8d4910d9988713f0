//! The block cache: translated blocks keyed by guest pc, indexed by the
//! guest pages their bytes come from so that a write to a page discards
//! exactly the blocks built from it.
//!
//! `T` is the engine's per-block payload (the interpreter's prepared block,
//! the JIT's compiled function). Lookups use a hash map with a fixed,
//! fast hash (every block an engine runs is looked up here, so SipHash
//! showed in profiles of short runs); nothing iterates it in a way that
//! reaches guest-visible state.

use rustc_hash::FxHashMap;

use crate::mem::PAGE_SHIFT;

/// Translated blocks of type `T` by guest pc, with the index by page.
pub struct BlockCache<T> {
    blocks: FxHashMap<u64, T>,
    /// Guest page number → start pcs of blocks with bytes on that page.
    by_page: FxHashMap<u64, Vec<u64>>,
}

/// Blocks a cache has room for from the start: a dynamically linked
/// busybox's start translates about 2,000, and growing the map there
/// rehashed it five times in every process.
const INITIAL_BLOCKS: usize = 2048;

impl<T> Default for BlockCache<T> {
    fn default() -> Self {
        BlockCache {
            blocks: FxHashMap::with_capacity_and_hasher(INITIAL_BLOCKS, Default::default()),
            by_page: FxHashMap::default(),
        }
    }
}

impl<T> BlockCache<T> {
    /// The block starting at `pc`.
    #[inline]
    pub fn get(&self, pc: u64) -> Option<&T> {
        self.blocks.get(&pc)
    }

    /// The block starting at `pc`, to update it.
    #[inline]
    pub fn get_mut(&mut self, pc: u64) -> Option<&mut T> {
        self.blocks.get_mut(&pc)
    }

    /// Insert a block covering `[pc, pc + byte_len)`.
    pub fn insert(&mut self, pc: u64, byte_len: u32, value: T) {
        // The pc's state bits are no address.
        let at = crate::ir::pc_address(pc);
        let first = at >> PAGE_SHIFT;
        let last = (at + byte_len.max(1) as u64 - 1) >> PAGE_SHIFT;
        for pn in first..=last {
            self.by_page.entry(pn).or_default().push(pc);
        }
        self.blocks.insert(pc, value);
    }

    /// Remove every block with bytes on page `pn`; returns how many.
    pub fn invalidate_page(&mut self, pn: u64) -> usize {
        let Some(pcs) = self.by_page.remove(&pn) else {
            return 0;
        };
        let mut n = 0;
        for pc in pcs {
            if self.blocks.remove(&pc).is_some() {
                n += 1;
            }
        }
        n
    }

    /// Remove every block.
    pub fn clear(&mut self) {
        self.blocks.clear();
        self.by_page.clear();
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether no block is cached.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Values in ascending pc order (deterministic).
    pub fn sorted_values(&self) -> Vec<&T> {
        let mut pcs: Vec<u64> = self.blocks.keys().copied().collect();
        pcs.sort_unstable();
        pcs.iter().map(|pc| &self.blocks[pc]).collect()
    }
}

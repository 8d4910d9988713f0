//! Translations shared by every engine of the host process: every
//! process of a cell, on the world's thread or on a lane, and every cell
//! of a run, lift the same few binaries, so a block lifted once is kept
//! here for the next engine that needs the block at that pc, whichever
//! thread it runs on.
//!
//! A block is served only to an engine whose memory holds, executable,
//! exactly the bytes it was lifted from (its [`Witness`]): lifting depends
//! on nothing else but the frontend, the pc and the instruction limit,
//! which are the key. So an engine gets the block it would have lifted
//! itself, and everything it counts and reports (blocks translated, code
//! pages, invalidations) is what it would be without sharing. Other code
//! at the same address (another binary, self-modifying code) misses.
//! Instrumented translations are never kept: their hooks belong to one
//! engine's plugins.
//!
//! Why one store for the host process rather than one per thread: a
//! process on a lane (`machine::lanes`) runs on another thread than the
//! processes that ran its binary before it, and with a store per thread it
//! lifted again every block the world's thread had already lifted.
//! Lookups take a read lock; only a miss takes the write lock.
//!
//! Called from `lookup_or_translate`, the translation step of both engines.

use std::cell::RefCell;
use std::sync::{Arc, LazyLock, RwLock};

use rustc_hash::FxHashMap;

use super::Prepared;
use crate::arch::{Arch, Frontend};
use crate::engine::{sharing, translate_witnessed};
use crate::mem::{AddressSpace, MemFault};

/// Blocks kept before the store starts over: bounds its memory (about
/// 1 KiB a block) in runs over many different binaries.
const MAX_SHARED_BLOCKS: usize = 1 << 16;

/// Blocks kept for one pc (other bytes there) at most.
const MAX_VERSIONS: usize = 8;

/// What lifting depends on besides the bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    arch: Arch,
    mode: u32,
    pc: u64,
    max_insns: u32,
}

/// A kept block, and the next one kept for the same key (other bytes):
/// the first sits in the table itself, one memory access away.
struct Entry {
    lo: u64,
    bytes: Box<[u8]>,
    block: Arc<Prepared>,
    next: Option<Box<Entry>>,
}

#[derive(Default)]
struct Store {
    by_key: FxHashMap<Key, Entry>,
    blocks: usize,
}

static STORE: LazyLock<RwLock<Store>> = LazyLock::new(|| RwLock::new(Store::default()));

thread_local! {
    /// Scratch for fetching a witness's bytes.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The store, read. A thread that panicked while holding the lock left
/// whole entries (each is built before it is inserted), so the poison is
/// ignored.
fn store() -> std::sync::RwLockReadGuard<'static, Store> {
    STORE.read().unwrap_or_else(|e| e.into_inner())
}

/// The block at `pc` as `frontend` lifts it from `mem`: from the store
/// when a block lifted from the same bytes is there, else freshly lifted
/// (and kept, with sharing on).
pub(super) fn translate(
    frontend: &dyn Frontend,
    mem: &AddressSpace,
    pc: u64,
    max_insns: u32,
) -> Result<Arc<Prepared>, MemFault> {
    let share = sharing();
    let key = Key { arch: frontend.arch(), mode: frontend.mode(), pc, max_insns };
    if share && let Some(found) = store().find(&key, mem) {
        return Ok(found);
    }
    let (block, witness) = translate_witnessed(frontend, mem, pc, max_insns)?;
    let block = Arc::new(Prepared::new(block));
    if share && let Some(w) = witness {
        let mut bytes = vec![0u8; w.len];
        if mem.fetch(w.lo, &mut bytes) == w.len {
            STORE.write().unwrap_or_else(|e| e.into_inner()).keep(key, w.lo, bytes, &block);
        }
    }
    Ok(block)
}

impl Store {
    fn find(&self, key: &Key, mem: &AddressSpace) -> Option<Arc<Prepared>> {
        let mut e = self.by_key.get(key)?;
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            loop {
                scratch.resize(e.bytes.len(), 0);
                if mem.fetch(e.lo, &mut scratch) == e.bytes.len() && **scratch == *e.bytes {
                    return Some(e.block.clone());
                }
                e = e.next.as_deref()?;
            }
        })
    }

    fn keep(&mut self, key: Key, lo: u64, bytes: Vec<u8>, block: &Arc<Prepared>) {
        if self.blocks >= MAX_SHARED_BLOCKS {
            self.by_key.clear();
            self.blocks = 0;
        }
        self.blocks += 1;
        let entry = Entry { lo, bytes: bytes.into(), block: block.clone(), next: None };
        match self.by_key.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(entry);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                // Newest first: other code at a pc is most often the code
                // of the binary running now.
                let old = std::mem::replace(o.get_mut(), entry);
                o.get_mut().next = Some(Box::new(old));
                // Code rewritten in place again and again (a guest's own
                // JIT) keeps only its latest few versions.
                let mut e = o.get_mut();
                for _ in 1..MAX_VERSIONS {
                    match e.next.as_deref_mut() {
                        Some(n) => e = n,
                        None => return,
                    }
                }
                e.next = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::frontend_for;
    use crate::engine::{DEFAULT_MAX_BLOCK_INSNS, set_sharing};
    use crate::mem::{Layout, PAGE_SIZE, Perms};

    /// The store is the host process's, and other tests lift code too
    /// (often at 0x10000 or 0x400000): these tests' blocks sit where no
    /// other test puts code, so what they find there is theirs.
    const CODE: u64 = 0x6d2_0000;

    /// An address space with `words` (little-endian) at `at`, executable.
    fn space(at: u64, words: &[u32]) -> AddressSpace {
        let mut mem = AddressSpace::new(Layout::for_bits(true));
        mem.map_fixed(at & !(PAGE_SIZE - 1), PAGE_SIZE, Perms::RX).unwrap();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        mem.write_debug(at, &bytes).unwrap();
        mem
    }

    fn lift(arch: Arch, mem: &AddressSpace, pc: u64) -> Arc<Prepared> {
        let f = frontend_for(arch).unwrap();
        let got = super::translate(f, mem, pc, DEFAULT_MAX_BLOCK_INSNS).unwrap();
        // Served or not, it is the block this space lifts.
        assert_eq!(
            got.block,
            crate::engine::translate(f, mem, pc, DEFAULT_MAX_BLOCK_INSNS).unwrap()
        );
        got
    }

    // riscv64: addi a0, a0, 1; addi a0, a0, 2; ebreak
    const ADDS: [u32; 3] = [0x0015_0513, 0x0025_0513, 0x0010_0073];

    #[test]
    fn the_same_bytes_at_the_same_pc_are_lifted_once() {
        set_sharing(true);
        let a = lift(Arch::Riscv64, &space(CODE, &ADDS), CODE);
        let b = lift(Arch::Riscv64, &space(CODE, &ADDS), CODE);
        assert!(Arc::ptr_eq(&a, &b), "served from the store");
    }

    #[test]
    fn a_block_lifted_on_one_thread_is_served_on_another() {
        // A lane's process finds what the world's thread lifted.
        let pc = CODE + 0x500;
        let a = std::thread::spawn(move || {
            set_sharing(true);
            lift(Arch::Riscv64, &space(pc, &ADDS), pc)
        })
        .join()
        .unwrap();
        set_sharing(true);
        let b = lift(Arch::Riscv64, &space(pc, &ADDS), pc);
        assert!(Arc::ptr_eq(&a, &b), "served across threads");
    }

    #[test]
    fn other_bytes_at_the_same_pc_are_lifted_again() {
        set_sharing(true);
        let a = lift(Arch::Riscv64, &space(CODE + 0x100, &ADDS), CODE + 0x100);
        let other = [ADDS[0], 0x0035_0513, ADDS[2]];
        let b = lift(Arch::Riscv64, &space(CODE + 0x100, &other), CODE + 0x100);
        assert!(!Arc::ptr_eq(&a, &b));
        assert_ne!(a.block, b.block);
    }

    #[test]
    fn the_word_before_the_block_is_part_of_what_it_depends_on() {
        // mipsel: a block right after a branch starts in its delay slot.
        set_sharing(true);
        let (b, nop, addiu, brk) = (0x1000_0003u32, 0u32, 0x2484_0001u32, 0x0000_000du32);
        let pc = CODE + 0x204;
        let slot = lift(Arch::Mipsel, &space(pc - 4, &[b, addiu, brk]), pc);
        let plain = lift(Arch::Mipsel, &space(pc - 4, &[nop, addiu, brk]), pc);
        assert!(!Arc::ptr_eq(&slot, &plain));
        assert_ne!(slot.block, plain.block, "a delay slot lifts differently");
    }

    #[test]
    fn a_block_whose_fetch_came_up_short_is_not_kept() {
        // A compressed `c.addi a0, 1` in the last two bytes of the only
        // executable page: its fetch asked for four bytes and got two.
        set_sharing(true);
        let pc = CODE + 0x1000 + PAGE_SIZE - 2;
        let mk = || {
            let mut mem = AddressSpace::new(Layout::for_bits(true));
            mem.map_fixed(pc & !(PAGE_SIZE - 1), PAGE_SIZE, Perms::RX).unwrap();
            mem.write_debug(pc, &0x0505u16.to_le_bytes()).unwrap();
            mem
        };
        let a = lift(Arch::Riscv64, &mk(), pc);
        let b = lift(Arch::Riscv64, &mk(), pc);
        assert!(!Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn code_rewritten_in_place_keeps_its_latest_versions() {
        set_sharing(true);
        let pc = CODE + 0x400;
        // `addi a0, a0, i` for i in 1..=10 at one pc, each lifted once.
        let version = |i: u32| space(pc, &[0x0005_0513 | (i << 20), ADDS[2]]);
        let first: Vec<Arc<Prepared>> =
            (1..=10).map(|i| lift(Arch::Riscv64, &version(i), pc)).collect();
        // Newest first: a miss keeps the block again, pushing out the oldest.
        for i in (1..=10u32).rev() {
            let again = lift(Arch::Riscv64, &version(i), pc);
            let kept = i as usize > 10 - MAX_VERSIONS;
            assert_eq!(Arc::ptr_eq(&again, &first[i as usize - 1]), kept, "version {i}");
        }
    }

    #[test]
    fn without_sharing_nothing_is_kept() {
        set_sharing(false);
        let a = lift(Arch::Riscv64, &space(CODE + 0x300, &ADDS), CODE + 0x300);
        let b = lift(Arch::Riscv64, &space(CODE + 0x300, &ADDS), CODE + 0x300);
        assert!(!Arc::ptr_eq(&a, &b));
    }
}

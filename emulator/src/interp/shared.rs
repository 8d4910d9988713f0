//! Translations shared by the engines of a host thread: every process of
//! a cell, and the cells a runner thread runs one after the other, lift
//! the same few binaries, so a block lifted once is kept here for the
//! next engine that needs the block at that pc.
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
//! Called from `lookup_or_translate`, the translation step of both engines.

use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::Prepared;
use crate::arch::{Arch, Frontend};
use crate::engine::{Witness, sharing, translate_witnessed};
use crate::mem::{AddressSpace, MemFault};

/// Blocks kept per thread before the store starts over: bounds its memory
/// (about 1 KiB a block) in runs over many different binaries.
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
    block: Rc<Prepared>,
    next: Option<Box<Entry>>,
}

#[derive(Default)]
struct Store {
    by_key: FxHashMap<Key, Entry>,
    blocks: usize,
    /// Scratch for fetching a witness's bytes.
    scratch: Vec<u8>,
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

/// The block at `pc` as `frontend` lifts it from `mem`: from the thread's
/// store when a block lifted from the same bytes is there, else freshly
/// lifted (and kept, with sharing on).
pub(super) fn translate(
    frontend: &dyn Frontend,
    mem: &AddressSpace,
    pc: u64,
    max_insns: u32,
) -> Result<Rc<Prepared>, MemFault> {
    let share = sharing();
    let key = Key { arch: frontend.arch(), mode: frontend.mode(), pc, max_insns };
    if share && let Some(found) = STORE.with(|s| s.borrow_mut().find(&key, mem)) {
        return Ok(found);
    }
    let (block, witness) = translate_witnessed(frontend, mem, pc, max_insns)?;
    let block = Rc::new(Prepared::new(block));
    if share && let Some(w) = witness {
        STORE.with(|s| s.borrow_mut().keep(key, w, mem, &block));
    }
    Ok(block)
}

impl Store {
    fn find(&mut self, key: &Key, mem: &AddressSpace) -> Option<Rc<Prepared>> {
        let mut e = self.by_key.get(key)?;
        loop {
            self.scratch.resize(e.bytes.len(), 0);
            if mem.fetch(e.lo, &mut self.scratch) == e.bytes.len() && *self.scratch == *e.bytes {
                return Some(e.block.clone());
            }
            e = e.next.as_deref()?;
        }
    }

    fn keep(&mut self, key: Key, w: Witness, mem: &AddressSpace, block: &Rc<Prepared>) {
        let mut bytes = vec![0u8; w.len];
        if mem.fetch(w.lo, &mut bytes) != w.len {
            return;
        }
        if self.blocks >= MAX_SHARED_BLOCKS {
            self.by_key.clear();
            self.blocks = 0;
        }
        self.blocks += 1;
        let entry = Entry { lo: w.lo, bytes: bytes.into(), block: block.clone(), next: None };
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

    const CODE: u64 = 0x40_0000;

    /// An address space with `words` (little-endian) at `at`, executable.
    fn space(at: u64, words: &[u32]) -> AddressSpace {
        let mut mem = AddressSpace::new(Layout::for_bits(true));
        mem.map_fixed(at & !(PAGE_SIZE - 1), PAGE_SIZE, Perms::RX).unwrap();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        mem.write_debug(at, &bytes).unwrap();
        mem
    }

    fn lift(arch: Arch, mem: &AddressSpace, pc: u64) -> Rc<Prepared> {
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
        assert!(Rc::ptr_eq(&a, &b), "served from the store");
    }

    #[test]
    fn other_bytes_at_the_same_pc_are_lifted_again() {
        set_sharing(true);
        let a = lift(Arch::Riscv64, &space(CODE + 0x100, &ADDS), CODE + 0x100);
        let other = [ADDS[0], 0x0035_0513, ADDS[2]];
        let b = lift(Arch::Riscv64, &space(CODE + 0x100, &other), CODE + 0x100);
        assert!(!Rc::ptr_eq(&a, &b));
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
        assert!(!Rc::ptr_eq(&slot, &plain));
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
        assert!(!Rc::ptr_eq(&a, &b));
    }

    #[test]
    fn code_rewritten_in_place_keeps_its_latest_versions() {
        set_sharing(true);
        let pc = CODE + 0x400;
        // `addi a0, a0, i` for i in 1..=10 at one pc, each lifted once.
        let version = |i: u32| space(pc, &[0x0005_0513 | (i << 20), ADDS[2]]);
        let first: Vec<Rc<Prepared>> =
            (1..=10).map(|i| lift(Arch::Riscv64, &version(i), pc)).collect();
        // Newest first: a miss keeps the block again, pushing out the oldest.
        for i in (1..=10u32).rev() {
            let again = lift(Arch::Riscv64, &version(i), pc);
            let kept = i as usize > 10 - MAX_VERSIONS;
            assert_eq!(Rc::ptr_eq(&again, &first[i as usize - 1]), kept, "version {i}");
        }
    }

    #[test]
    fn without_sharing_nothing_is_kept() {
        set_sharing(false);
        let a = lift(Arch::Riscv64, &space(CODE + 0x300, &ADDS), CODE + 0x300);
        let b = lift(Arch::Riscv64, &space(CODE + 0x300, &ADDS), CODE + 0x300);
        assert!(!Rc::ptr_eq(&a, &b));
    }
}

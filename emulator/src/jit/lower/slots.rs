//! The slot cache: guest slots held in Cranelift variables between their
//! loads from and stores to `CpuState` (see the parent module's notes on
//! guest slots), which slots a region uses, which a block carries in from
//! a direct jump, and which stay held across a memory access; and the
//! transient slot's write left pending across the next instruction (see
//! the parent module).
//!
//! Talks to: `frame` (which calls these as it lowers ops and exits).

use std::collections::{BTreeMap, BTreeSet};

use cranelift_codegen::ir::{InstBuilder, Value, types};

use super::{I64, Lower};
use crate::cpu::offsets as cpu_off;
use crate::ir::{Block, Op, Temp};

/// Slots a region reads or writes.
pub(super) fn used_slots(blocks: &[&Block]) -> BTreeSet<u16> {
    let mut s = BTreeSet::new();
    for b in blocks {
        for op in &b.ops {
            match op {
                Op::Get { slot, .. } | Op::Set { slot, .. } | Op::Fp { flags: slot, .. } => {
                    s.insert(slot.0);
                }
                _ => {}
            }
        }
    }
    s
}

/// Most slots held in variables across a point where `CpuState` is
/// current: a direct jump inside a region (the target's live-ins) and a
/// memory access through the TLB, whose slow path is a call (see
/// `Lower::hold_nearest_slots`). Holding more made the register allocator
/// spill (x86-64 has about a dozen registers left beside `cpu` and the
/// fuel), which cost more than loading the others from `CpuState` again:
/// measured on `bench`, whose SHA-256 rounds keep some twenty guest
/// registers live.
pub(super) const MAX_HELD_SLOTS: usize = 4;

/// The slots a block reads before it writes them (in op order), which a
/// direct jump inside the region carries in variables: the most read of
/// them, at most [`MAX_HELD_SLOTS`]. The block loads the others from
/// `CpuState` on first use.
pub(super) fn live_in_slots(bl: &Block) -> BTreeSet<u16> {
    let mut written = BTreeSet::new();
    let mut live = BTreeSet::new();
    let mut reads: BTreeMap<u16, usize> = BTreeMap::new();
    for op in &bl.ops {
        match op {
            Op::Get { slot, .. } => {
                *reads.entry(slot.0).or_default() += 1;
                if !written.contains(&slot.0) {
                    live.insert(slot.0);
                }
            }
            Op::Set { slot, .. } => {
                written.insert(slot.0);
            }
            _ => {}
        }
    }
    if live.len() <= MAX_HELD_SLOTS {
        return live;
    }
    // Most read first; ties by slot number, so the choice is deterministic.
    let mut by_reads: Vec<u16> = live.into_iter().collect();
    by_reads.sort_by_key(|s| std::cmp::Reverse(reads[s]));
    by_reads.into_iter().take(MAX_HELD_SLOTS).collect()
}

impl Lower<'_, '_> {
    pub(super) fn t(&mut self, t: Temp) -> Value {
        self.b.use_var(self.temp_vars[t.0 as usize])
    }

    pub(super) fn set_t(&mut self, t: Temp, v: Value) {
        self.b.def_var(self.temp_vars[t.0 as usize], v);
    }

    /// The current value of guest slot `slot`.
    pub(super) fn get_slot(&mut self, slot: u16) -> Value {
        let var = self.slot_vars[&slot];
        if self.known.insert(slot) {
            let v = self.load_slot(slot);
            self.b.def_var(var, v);
        }
        let v = self.b.use_var(var);
        if self.word_slots.contains(&slot) { self.b.ins().uextend(I64, v) } else { v }
    }

    /// Load slot `slot` from `CpuState`, typed as its variable.
    pub(super) fn load_slot(&mut self, slot: u16) -> Value {
        // A word slot's word is its low half (the host is little-endian).
        let ty = if self.word_slots.contains(&slot) { types::I32 } else { I64 };
        self.b.ins().load(ty, self.trusted, self.cpu, cpu_off::slot(slot))
    }

    pub(super) fn set_slot(&mut self, slot: u16, v: Value) {
        let v =
            if self.word_slots.contains(&slot) { self.b.ins().ireduce(types::I32, v) } else { v };
        self.b.def_var(self.slot_vars[&slot], v);
        self.known.insert(slot);
        self.pending.insert(slot);
    }

    /// Store the pending slots on the current path, keeping them pending
    /// for the code lowered after it (an exit path).
    pub(super) fn store_pending(&mut self) {
        let pending: Vec<u16> = self.pending.iter().copied().collect();
        for s in pending {
            // A word slot stores its low half only: its upper half stays 0.
            let v = self.b.use_var(self.slot_vars[&s]);
            self.b.ins().store(self.trusted, v, self.cpu, cpu_off::slot(s));
        }
    }

    /// Store the pending slots: from here on `CpuState` is current.
    pub(super) fn flush_pending(&mut self) {
        if self.transient.is_some_and(|t| self.pending.contains(&t)) {
            self.deferred = None;
        }
        self.store_pending();
        self.pending.clear();
    }

    /// [`flush_pending`](Self::flush_pending) before an access of the
    /// `k`-th of the block's `n` instructions, whose fault resumes `at`;
    /// returns where it resumes. A direct access right after the writer of
    /// a deferred transient slot leaves that write pending and resumes at
    /// the writer instead, which runs again from the same state.
    pub(super) fn flush_for_access(
        &mut self,
        direct: bool,
        at: (u64, u64),
        (k, n): (u64, u64),
    ) -> (u64, u64) {
        if direct
            && let (Some(t), Some((writer, wk))) = (self.transient, self.deferred)
            && wk + 1 == k
        {
            self.pending.remove(&t);
            self.store_pending();
            self.pending.clear();
            self.pending.insert(t);
            return (writer, n - (wk - 1));
        }
        self.flush_pending();
        at
    }

    /// Lower `Set slot v` of the `k`-th instruction, at `pc`, of a block
    /// whose instructions `rerun` says can run again from their start.
    pub(super) fn lower_set(&mut self, slot: u16, v: Value, (pc, k): (u64, u64), rerun: &[bool]) {
        if self.transient != Some(slot) {
            self.set_slot(slot, v);
            return;
        }
        let zero = self.const_of(v) == Some(0);
        if zero && self.deferred.is_some() {
            // `CpuState` still holds the zero the writer started from.
            self.set_slot(slot, v);
            self.pending.remove(&slot);
            self.deferred = None;
            return;
        }
        let clean = self.deferred.is_some() || !self.pending.contains(&slot);
        self.set_slot(slot, v);
        self.deferred =
            (!zero && clean && rerun.get(k as usize).copied().unwrap_or(false)).then_some((pc, k));
    }

    /// Make every guest slot in `CpuState` current before a call that can
    /// observe it.
    pub(super) fn sync_state_for_call(&mut self) {
        self.flush_pending();
    }

    /// At op `i` of `bl`, right after the pending stores, when `CpuState`
    /// holds every slot: keep in variables only the [`MAX_HELD_SLOTS`]
    /// slots read soonest after `i`, and drop those written before they are
    /// read again. The others load again on their next use. Held across
    /// the access, they would make the register allocator spill them to the
    /// stack: a second copy of values `CpuState` already holds.
    pub(super) fn hold_nearest_slots(&mut self, bl: &Block, i: usize) {
        if self.known.len() <= MAX_HELD_SLOTS {
            return;
        }
        // First event of each known slot after `i`: a read (its distance)
        // or a write (the held value is dead). Slots with neither may be
        // carried into the next block; they go last.
        let mut first: BTreeMap<u16, Option<usize>> = BTreeMap::new();
        for (j, op) in bl.ops.iter().enumerate().skip(i + 1) {
            if first.len() == self.known.len() {
                break;
            }
            match op {
                Op::Get { slot, .. } if self.known.contains(&slot.0) => {
                    first.entry(slot.0).or_insert(Some(j));
                }
                Op::Set { slot, .. } if self.known.contains(&slot.0) => {
                    first.entry(slot.0).or_insert(None);
                }
                _ => {}
            }
        }
        let mut by_distance: Vec<(usize, u16)> = Vec::new();
        for &s in &self.known {
            match first.get(&s) {
                Some(Some(j)) => by_distance.push((*j, s)),
                Some(None) => {}
                None => by_distance.push((usize::MAX, s)),
            }
        }
        by_distance.sort_unstable();
        let keep: BTreeSet<u16> =
            by_distance.into_iter().take(MAX_HELD_SLOTS).map(|(_, s)| s).collect();
        self.known = keep;
    }
}

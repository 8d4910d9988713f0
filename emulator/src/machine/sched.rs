//! The deterministic scheduler's policy: who is offered the CPU next and
//! for how many guest instructions. The loop that runs processes lives in
//! `world`; this module only decides, and keeps a hash of what ran.
//!
//! Normal mode is round robin in pid order with a fixed quantum. Chaos
//! mode, modelled on rr's, draws everything from the cell seed:
//! - each process has a priority, high or low, redrawn every 1 to 64
//!   decisions; a low-priority process runs only while every high-priority
//!   one is blocked, so it can starve for a while;
//! - time slices are random: usually 1 to 2×quantum instructions, and one
//!   time in eight a tiny slice of up to quantum/32.

use std::collections::BTreeMap;

use super::Fnv64;
use crate::linux::SplitMix64;

pub struct Scheduler {
    quantum: u64,
    chaos: bool,
    rng: SplitMix64,
    /// The pid that ran last: round robin goes on after it.
    last: Option<u32>,
    /// Chaos: priority per pid (1 high, 0 low).
    prio: BTreeMap<u32, u8>,
    until_reshuffle: u32,
    hash: Fnv64,
    switches: u64,
}

impl Scheduler {
    pub fn new(quantum: u64, chaos: bool, seed: u64) -> Self {
        Scheduler {
            quantum: quantum.max(1),
            chaos,
            // Distinct from the streams processes draw from the same seed.
            rng: SplitMix64(seed ^ 0x5c4e_d01e_c4a0_5000),
            last: None,
            prio: BTreeMap::new(),
            until_reshuffle: 0,
            hash: Fnv64::default(),
            switches: 0,
        }
    }

    /// [`Scheduler::order_into`] into a new vector.
    #[cfg(test)]
    pub fn order(&mut self, pids: &[u32]) -> Vec<usize> {
        let mut order = Vec::new();
        self.order_into(pids, &mut order);
        order
    }

    /// Indices into `pids` (ascending) in the order to offer them the CPU,
    /// into `order` (cleared first), which the caller keeps from one
    /// decision to the next.
    pub fn order_into(&mut self, pids: &[u32], order: &mut Vec<usize>) {
        let after = self.last.unwrap_or(0);
        // Round robin: the pids after the last one, then from the start
        // (`pids` ascends, so that is a rotation).
        let first = pids.partition_point(|&p| p <= after);
        order.clear();
        order.extend(first..pids.len());
        order.extend(0..first);
        if self.chaos {
            if self.until_reshuffle == 0 {
                self.prio.clear();
                self.until_reshuffle = 1 + (self.rng.next_u64() % 64) as u32;
            }
            self.until_reshuffle -= 1;
            for &pid in pids {
                if !self.prio.contains_key(&pid) {
                    let p = (self.rng.next_u64() & 1) as u8;
                    self.prio.insert(pid, p);
                }
            }
            // Stable: round robin within a priority level.
            order.sort_by_key(|&i| std::cmp::Reverse(self.prio[&pids[i]]));
        }
    }

    /// Length of the next time slice, in guest instructions.
    pub fn slice(&mut self) -> u64 {
        if !self.chaos {
            return self.quantum;
        }
        if self.rng.next_u64().is_multiple_of(8) {
            1 + self.rng.next_u64() % (self.quantum / 32).max(1)
        } else {
            1 + self.rng.next_u64() % (2 * self.quantum)
        }
    }

    /// Record that `pid` ran `insns` instructions (possibly 0) and is the
    /// new round-robin position.
    pub fn ran(&mut self, pid: u32, insns: u64) {
        if self.last.is_some_and(|l| l != pid) {
            self.switches += 1;
        }
        self.last = Some(pid);
        self.hash.write_u64(pid as u64);
        self.hash.write_u64(insns);
    }

    /// Forget an exited process.
    pub fn remove(&mut self, pid: u32) {
        self.prio.remove(&pid);
    }

    pub fn schedule_hash(&self) -> u64 {
        self.hash.finish()
    }

    pub fn switches(&self) -> u64 {
        self.switches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_continues_after_the_last_pid() {
        let mut s = Scheduler::new(100, false, 0);
        let pids = [2, 3, 5];
        assert_eq!(s.order(&pids), [0, 1, 2]);
        s.ran(3, 100);
        assert_eq!(s.order(&pids), [2, 0, 1]);
        s.ran(5, 100);
        assert_eq!(s.order(&pids), [0, 1, 2]);
        assert_eq!(s.slice(), 100);
        assert_eq!(s.switches(), 1);
    }

    #[test]
    fn chaos_depends_on_the_seed_only() {
        let draw = |seed| {
            let mut s = Scheduler::new(1000, true, seed);
            (0..200).map(|_| (s.order(&[2, 3, 4]), s.slice())).collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
        for (_, slice) in draw(3) {
            assert!((1..=2000).contains(&slice));
        }
        // Every process leads the order sometimes: nobody starves forever.
        let firsts: std::collections::BTreeSet<usize> =
            draw(4).into_iter().map(|(o, _)| o[0]).collect();
        assert_eq!(firsts.len(), 3);
    }
}

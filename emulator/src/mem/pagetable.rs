//! Page bookkeeping of an address space: mapped ranges with their
//! permissions (like Linux VMAs) and the set of pages holding translated
//! code. The contents live in `ram`.
//!
//! Ranges make huge mappings cheap (an 8 MiB stack is one entry). Hash sets
//! here are only looked up by key, or drained in sorted order, so their
//! iteration order never reaches the guest.

use std::collections::{BTreeMap, HashSet};

use super::Perms;

#[derive(Default)]
pub(super) struct PageTable {
    /// Start page → (end page exclusive, perms). Ranges never overlap.
    ranges: BTreeMap<u64, (u64, Perms)>,
    code: HashSet<u64>,
    mapped_pages: u64,
    /// Mapped pages with some permission: what a memory budget charges.
    accessible_pages: u64,
}

impl PageTable {
    pub fn mapped_pages(&self) -> u64 {
        self.mapped_pages
    }

    pub fn accessible_pages(&self) -> u64 {
        self.accessible_pages
    }

    pub fn range_count(&self) -> usize {
        self.ranges.len()
    }

    /// Every mapped range `(first page, end page, perms)`, in address order.
    pub fn ranges(&self) -> Vec<(u64, u64, Perms)> {
        self.ranges.iter().map(|(&s, &(e, p))| (s, e, p)).collect()
    }

    /// The range containing page `pn`.
    fn find(&self, pn: u64) -> Option<(u64, u64, Perms)> {
        let (&start, &(end, perms)) = self.ranges.range(..=pn).next_back()?;
        (pn < end).then_some((start, end, perms))
    }

    pub fn perms(&self, pn: u64) -> Option<Perms> {
        self.find(pn).map(|(_, _, p)| p)
    }

    /// Pages in `[first, last)` that are mapped.
    pub fn mapped_in(&self, first: u64, last: u64) -> u64 {
        let mut n = 0;
        if let Some((s, e, _)) = self.find(first)
            && s < first
        {
            n += e.min(last) - first;
        }
        for (&s, &(e, _)) in self.ranges.range(first..last) {
            n += e.min(last) - s;
        }
        n
    }

    /// Pages in `[first, last)` that are mapped with some permission.
    pub fn accessible_in(&self, first: u64, last: u64) -> u64 {
        let mut n = 0;
        if let Some((s, e, p)) = self.find(first)
            && s < first
            && p != Perms::NONE
        {
            n += e.min(last) - first;
        }
        for (&s, &(e, p)) in self.ranges.range(first..last) {
            if p != Perms::NONE {
                n += e.min(last) - s;
            }
        }
        n
    }

    /// The mapped range with the highest start below `top`, clipped.
    pub fn highest_below(&self, top: u64) -> Option<(u64, u64)> {
        let (&s, &(e, _)) = self.ranges.range(..top).next_back()?;
        Some((s, e.min(top)))
    }

    /// Cut ranges so that `pn` is a range boundary.
    fn split_at(&mut self, pn: u64) {
        if let Some((s, e, p)) = self.find(pn)
            && s < pn
        {
            self.ranges.insert(s, (pn, p));
            self.ranges.insert(pn, (e, p));
        }
    }

    /// Set `[first, last)` to `perms`, or unmap it with `None`.
    pub fn set(&mut self, first: u64, last: u64, perms: Option<Perms>) {
        self.split_at(first);
        self.split_at(last);
        let inside: Vec<u64> = self.ranges.range(first..last).map(|(&s, _)| s).collect();
        for s in inside {
            let (e, p) = self.ranges.remove(&s).expect("listed above");
            self.mapped_pages -= e - s;
            if p != Perms::NONE {
                self.accessible_pages -= e - s;
            }
        }
        if let Some(p) = perms {
            self.ranges.insert(first, (last, p));
            self.mapped_pages += last - first;
            if p != Perms::NONE {
                self.accessible_pages += last - first;
            }
        }
        self.merge_around(first);
        self.merge_around(last);
    }

    /// Merge the range ending at `pn` with the one starting there when their
    /// permissions agree, so repeated mprotects do not fragment forever.
    fn merge_around(&mut self, pn: u64) {
        let Some((&s, &(e, p))) = self.ranges.range(..pn).next_back() else {
            return;
        };
        if e != pn {
            return;
        }
        if let Some(&(e2, p2)) = self.ranges.get(&pn)
            && p2 == p
        {
            self.ranges.remove(&pn);
            self.ranges.insert(s, (e2, p));
        }
    }

    /// Clear the code marks of pages in `[first, last)`; returns the pages
    /// that had one, ascending.
    pub fn take_code(&mut self, first: u64, last: u64) -> Vec<u64> {
        let mut dropped: Vec<u64> = if last - first <= self.code.len() as u64 {
            (first..last).filter(|pn| self.code.contains(pn)).collect()
        } else {
            self.code.iter().copied().filter(|&pn| pn >= first && pn < last).collect()
        };
        dropped.sort_unstable();
        for pn in &dropped {
            self.code.remove(pn);
        }
        dropped
    }

    pub fn is_code(&self, pn: u64) -> bool {
        self.code.contains(&pn)
    }

    /// Returns true if the mark changed.
    pub fn set_code(&mut self, pn: u64, code: bool) -> bool {
        if code { self.code.insert(pn) } else { self.code.remove(&pn) }
    }
}

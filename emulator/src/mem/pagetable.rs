//! Page bookkeeping of an address space: mapped ranges with their
//! permissions and what they map ([`Backing`], like Linux VMAs) and the set
//! of pages holding translated code. The contents live in `ram`.
//!
//! Ranges make huge mappings cheap (an 8 MiB stack is one entry). Hash sets
//! here are only looked up by key, or drained in sorted order, so their
//! iteration order never reaches the guest.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::file_pages::FilePages;
use super::shared::SharedRef;
use super::{Backing, Perms};

/// One mapped range: its end page (exclusive), permissions, backing and,
/// for a `MAP_SHARED` range, the shared object its pages are; for a
/// private range mapped from file pages, those pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Range {
    pub end: u64,
    pub perms: Perms,
    pub backing: Backing,
    pub shared: Option<SharedRef>,
    pub file: Option<FileRef>,
}

/// The file pages a private range maps copy-on-write, from file page
/// `page` on (pages past the file's end are anonymous).
#[derive(Clone, Debug)]
pub(super) struct FileRef {
    pub pages: Arc<FilePages>,
    pub page: u64,
}

impl FileRef {
    fn advanced(&self, pages: u64) -> FileRef {
        FileRef { pages: self.pages.clone(), page: self.page + pages }
    }
}

impl PartialEq for FileRef {
    fn eq(&self, other: &FileRef) -> bool {
        Arc::ptr_eq(&self.pages, &other.pages) && self.page == other.page
    }
}

impl Eq for FileRef {}

impl Range {
    /// The part of the range from page `pn` on (`start` is its first page).
    fn tail(&self, start: u64, pn: u64) -> Range {
        Range {
            end: self.end,
            perms: self.perms,
            backing: self.backing.advanced(pn - start),
            shared: self.shared.as_ref().map(|s| s.advanced(pn - start)),
            file: self.file.as_ref().map(|f| f.advanced(pn - start)),
        }
    }

    /// Whether `next`, starting where this range (from page `start`) ends,
    /// is the same mapping to the guest: the same permissions, and a
    /// backing and shared object that go on from this one's.
    pub fn continues_as(&self, start: u64, next: &Range) -> bool {
        let n = self.end - start;
        next.perms == self.perms
            && self.backing.advanced(n) == next.backing
            && self.shared.as_ref().map(|x| x.advanced(n)) == next.shared
    }

    /// Does the budget charge this range's pages? Shared objects are
    /// charged once, by the object, not by each mapping.
    fn charged(&self) -> bool {
        self.perms != Perms::NONE && self.shared.is_none()
    }
}

/// What a range maps: permissions, backing, shared object.
pub(super) type Mapping = (Perms, Backing, Option<SharedRef>);

#[derive(Default)]
pub(super) struct PageTable {
    /// Start page → range. Ranges never overlap.
    ranges: BTreeMap<u64, Range>,
    /// Pages with translated code (see `take_code` for the order they
    /// come out in).
    code: FxHashSet<u64>,
    mapped_pages: u64,
    /// Mapped pages with some permission, outside shared objects: what a
    /// memory budget charges.
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

    /// Every mapped range `(first page, range)`, in address order.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, &Range)> {
        self.ranges.iter().map(|(&s, r)| (s, r))
    }

    /// The range containing page `pn`.
    fn find(&self, pn: u64) -> Option<(u64, u64, Perms)> {
        let (&start, r) = self.ranges.range(..=pn).next_back()?;
        (pn < r.end).then_some((start, r.end, r.perms))
    }

    /// The shared object page `pn` maps, as if its range started there.
    pub fn shared(&self, pn: u64) -> Option<SharedRef> {
        let (&start, r) = self.ranges.range(..=pn).next_back()?;
        if pn >= r.end {
            return None;
        }
        r.shared.as_ref().map(|s| s.advanced(pn - start))
    }

    pub fn perms(&self, pn: u64) -> Option<Perms> {
        self.find(pn).map(|(_, _, p)| p)
    }

    /// What page `pn` maps, as if its range started there.
    pub fn backing(&self, pn: u64) -> Option<Backing> {
        let (&start, r) = self.ranges.range(..=pn).next_back()?;
        (pn < r.end).then(|| r.backing.advanced(pn - start))
    }

    /// Pages in `[first, last)` that are mapped.
    pub fn mapped_in(&self, first: u64, last: u64) -> u64 {
        let mut n = 0;
        if let Some((s, e, _)) = self.find(first)
            && s < first
        {
            n += e.min(last) - first;
        }
        for (&s, r) in self.ranges.range(first..last) {
            n += r.end.min(last) - s;
        }
        n
    }

    /// Pages in `[first, last)` that map a shared object.
    pub fn shared_in(&self, first: u64, last: u64) -> u64 {
        let mut n = 0;
        if let Some((_, r)) = self.ranges.range(..first).next_back()
            && r.end > first
            && r.shared.is_some()
        {
            n += r.end.min(last) - first;
        }
        for (&s, r) in self.ranges.range(first..last) {
            if r.shared.is_some() {
                n += r.end.min(last) - s;
            }
        }
        n
    }

    /// Pages in `[first, last)` that the budget charges: mapped with some
    /// permission, outside shared objects.
    pub fn accessible_in(&self, first: u64, last: u64) -> u64 {
        let mut n = 0;
        if let Some((_, r)) = self.ranges.range(..first).next_back()
            && r.end > first
            && r.charged()
        {
            n += r.end.min(last) - first;
        }
        for (&s, r) in self.ranges.range(first..last) {
            if r.charged() {
                n += r.end.min(last) - s;
            }
        }
        n
    }

    /// The mapped range with the highest start below `top`, clipped.
    pub fn highest_below(&self, top: u64) -> Option<(u64, u64)> {
        let (&s, r) = self.ranges.range(..top).next_back()?;
        Some((s, r.end.min(top)))
    }

    /// Cut ranges so that `pn` is a range boundary.
    fn split_at(&mut self, pn: u64) {
        let Some((&s, r)) = self.ranges.range(..pn).next_back() else {
            return;
        };
        if pn < r.end {
            let tail = r.tail(s, pn);
            self.ranges.get_mut(&s).expect("found above").end = pn;
            self.ranges.insert(pn, tail);
        }
    }

    /// Map `[first, last)` with `perms`, `backing` and shared object
    /// (which describe page `first`), or unmap it with `None`.
    pub fn set(&mut self, first: u64, last: u64, map: Option<Mapping>) {
        self.split_at(first);
        self.split_at(last);
        let inside: Vec<u64> = self.ranges.range(first..last).map(|(&s, _)| s).collect();
        for s in inside {
            let r = self.ranges.remove(&s).expect("listed above");
            self.mapped_pages -= r.end - s;
            if r.charged() {
                self.accessible_pages -= r.end - s;
            }
        }
        if let Some((perms, backing, shared)) = map {
            let r = Range { end: last, perms, backing, shared, file: None };
            self.mapped_pages += last - first;
            if r.charged() {
                self.accessible_pages += last - first;
            }
            self.ranges.insert(first, r);
        }
        self.merge_around(first);
        self.merge_around(last);
    }

    /// Record that the mapped pages of `[first, last)` map `file` from its
    /// page `file.page` on.
    pub fn set_file(&mut self, first: u64, last: u64, file: FileRef) {
        self.split_at(first);
        self.split_at(last);
        for (&s, r) in self.ranges.range_mut(first..last) {
            r.file = Some(file.advanced(s - first));
        }
        self.merge_within(first, last);
    }

    /// Give the mapped pages of `[first, last)` permissions `perms`,
    /// keeping what they map.
    pub fn set_perms(&mut self, first: u64, last: u64, perms: Perms) {
        self.split_at(first);
        self.split_at(last);
        for (&s, r) in self.ranges.range_mut(first..last) {
            let was = r.charged();
            r.perms = perms;
            match (was, r.charged()) {
                (true, false) => self.accessible_pages -= r.end - s,
                (false, true) => self.accessible_pages += r.end - s,
                _ => {}
            }
        }
        self.merge_within(first, last);
    }

    /// Merge what can be merged at every range boundary in `[first, last]`
    /// (after a change to the ranges there).
    fn merge_within(&mut self, first: u64, last: u64) {
        let starts: Vec<u64> = self.ranges.range(first..=last).map(|(&s, _)| s).collect();
        for s in starts.into_iter().rev() {
            self.merge_around(s);
        }
        self.merge_around(first);
    }

    /// Merge the range ending at `pn` with the one starting there when they
    /// agree (permissions, and a backing that continues), so repeated
    /// mprotects do not fragment forever.
    fn merge_around(&mut self, pn: u64) {
        let Some((&s, r)) = self.ranges.range(..pn).next_back() else {
            return;
        };
        if r.end != pn {
            return;
        }
        let Some(next) = self.ranges.get(&pn) else {
            return;
        };
        if r.continues_as(s, next) && r.file.as_ref().map(|x| x.advanced(pn - s)) == next.file {
            let end = next.end;
            self.ranges.remove(&pn);
            self.ranges.get_mut(&s).expect("found above").end = end;
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

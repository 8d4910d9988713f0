//! The resource limits of one guest world, in one place: committed guest
//! memory (a [`MemBudget`] shared by every address space), the number of
//! tasks (processes, and threads once they exist) and the bytes of the
//! writable file layer ([`DiskQuota`]).
//!
//! The machine (a cell) and `bohr exec` build a [`WorldLimits`] from
//! [`Limits`] and hand it to the [`super::Kernel`]; `fork`/`clone`, the
//! program loader, the mapping calls and the writable file systems charge
//! it. Past a limit the guest sees what Linux under a cgroup limit gives:
//! `ENOMEM` from `mmap`, `mremap`, `brk` (the old break), `fork` and
//! `execve` past the memory budget, `EAGAIN` from `fork`/`clone` past the
//! task limit (like `pids.max`), `ENOSPC` from writes past the file quota.
//! Memory is charged when it is mapped (strict accounting), so touching a
//! page never fails and no process is ever killed for memory. A
//! `MAP_SHARED` object is charged once, by the object, and the budget also
//! caps the live objects at [`crate::mem::MAX_SHARED_OBJECTS`] (each holds
//! a host descriptor).
//!
//! The first refusal of each kind is recorded as an
//! [`Event::LimitReached`], so the cell's outcome says which limit the
//! guest hit. Everything here counts guest requests only, so it is
//! deterministic.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use super::errno::Errno;
use crate::events::Event;
use crate::mem::MemBudget;

/// Default committed guest memory of a world when its caller names none.
pub const DEFAULT_MEMORY: u64 = 1 << 30;
/// Default tasks (processes and threads, zombies included) of a world.
/// Every 64-bit guest address space reserves 256 GiB of host address
/// space, and an x86-64 host has 128 TiB: 128 tasks in each of 4 parallel
/// cells fit.
pub const DEFAULT_MAX_TASKS: u32 = 128;
/// Default bytes of the writable file layer (`/tmp`, or the overlay over a
/// rootfs or the host's files).
pub const DEFAULT_DISK: u64 = 256 << 20;

/// What a world may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Committed guest memory, in bytes, over all processes.
    pub memory: u64,
    /// Tasks alive or not yet reaped at once, the first process included.
    pub max_tasks: u32,
    /// Bytes of file data the writable layer holds.
    pub disk: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory: DEFAULT_MEMORY, max_tasks: DEFAULT_MAX_TASKS, disk: DEFAULT_DISK }
    }
}

/// The byte quota of a writable file layer, shared by its files.
#[derive(Debug)]
pub struct DiskQuota {
    limit: u64,
    used: Cell<u64>,
    peak: Cell<u64>,
    refused: Cell<u64>,
}

impl DiskQuota {
    pub fn new(limit: u64) -> Rc<DiskQuota> {
        Rc::new(DiskQuota { limit, used: Cell::new(0), peak: Cell::new(0), refused: Cell::new(0) })
    }

    /// Take `bytes` more, or fail with `ENOSPC` (taking nothing).
    pub fn grow(&self, bytes: u64) -> Result<(), Errno> {
        match self.used.get().checked_add(bytes) {
            Some(total) if total <= self.limit => {
                self.used.set(total);
                self.peak.set(self.peak.get().max(total));
                Ok(())
            }
            _ => {
                self.refused.set(self.refused.get() + 1);
                Err(Errno::ENOSPC)
            }
        }
    }

    /// Give back `bytes`.
    pub fn shrink(&self, bytes: u64) {
        self.used.set(self.used.get().saturating_sub(bytes));
    }

    pub fn used(&self) -> u64 {
        self.used.get()
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn peak(&self) -> u64 {
        self.peak.get()
    }

    pub fn refused(&self) -> u64 {
        self.refused.get()
    }
}

/// The limits of one world and what they saw.
#[derive(Debug)]
pub struct WorldLimits {
    pub limits: Limits,
    /// Every address space of the world charges this.
    pub memory: Arc<MemBudget>,
    /// The writable file layer's quota, once a file system took it.
    pub disk: Rc<DiskQuota>,
    /// Processes started and not yet exited.
    live_tasks: u32,
    peak_tasks: u32,
    refused_tasks: u64,
    /// Limits already reported by an event, by [`Resource`] index.
    reported: [bool; 3],
}

/// A limited resource, as events name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Memory,
    Tasks,
    Disk,
}

impl Resource {
    pub const fn name(self) -> &'static str {
        match self {
            Resource::Memory => "memory",
            Resource::Tasks => "tasks",
            Resource::Disk => "disk",
        }
    }
}

/// Peaks and limits of a finished run, for its outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitStats {
    pub memory_limit: u64,
    /// Most guest memory committed at once.
    pub memory_peak: u64,
    pub max_tasks: u32,
    /// Most tasks alive or unreaped at once.
    pub tasks_peak: u32,
    pub disk_limit: u64,
    /// Most bytes the writable file layer held at once.
    pub disk_peak: u64,
    /// Requests refused by each limit (memory, tasks, disk).
    pub refused: [u64; 3],
}

impl LimitStats {
    /// Whether some limit refused a request.
    pub fn hit(&self) -> bool {
        self.refused.iter().any(|&n| n > 0)
    }
}

impl WorldLimits {
    pub fn new(limits: Limits) -> WorldLimits {
        WorldLimits {
            limits,
            memory: Arc::new(MemBudget::new(limits.memory)),
            disk: DiskQuota::new(limits.disk),
            live_tasks: 0,
            peak_tasks: 0,
            refused_tasks: 0,
            reported: [false; 3],
        }
    }

    /// Admit one more task, or fail with `EAGAIN` past the task limit.
    /// `zombies`: tasks that exited and are not reaped yet (they count, as
    /// under `pids.max`). The one place a process or thread is counted.
    pub fn start_task(&mut self, zombies: usize) -> Result<(), Errno> {
        let total = u64::from(self.live_tasks) + zombies as u64;
        if total >= u64::from(self.limits.max_tasks) {
            self.refused_tasks += 1;
            return Err(Errno::EAGAIN);
        }
        self.live_tasks += 1;
        self.peak_tasks = self.peak_tasks.max((total + 1) as u32);
        Ok(())
    }

    /// A task started by [`WorldLimits::start_task`] exited.
    pub fn end_task(&mut self) {
        self.live_tasks = self.live_tasks.saturating_sub(1);
    }

    pub fn stats(&self) -> LimitStats {
        let m = self.memory.stats();
        LimitStats {
            memory_limit: m.limit_bytes,
            memory_peak: m.peak_bytes,
            max_tasks: self.limits.max_tasks,
            tasks_peak: self.peak_tasks,
            disk_limit: self.disk.limit(),
            disk_peak: self.disk.peak(),
            refused: [m.refused, self.refused_tasks, self.disk.refused()],
        }
    }

    /// Events for limits that refused something since the last call, once
    /// per resource and run; `pid` made the request.
    pub fn report(&mut self, pid: u32, events: &mut Vec<Event>) {
        let stats = self.stats();
        let limits = [stats.memory_limit, u64::from(stats.max_tasks), stats.disk_limit];
        for (i, what) in [Resource::Memory, Resource::Tasks, Resource::Disk].iter().enumerate() {
            if stats.refused[i] > 0 && !self.reported[i] {
                self.reported[i] = true;
                events.push(Event::LimitReached { pid, resource: what.name(), limit: limits[i] });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_count_zombies_and_refuse_with_eagain() {
        let mut w = WorldLimits::new(Limits { max_tasks: 3, ..Limits::default() });
        w.start_task(0).unwrap();
        w.start_task(0).unwrap();
        assert_eq!(w.start_task(1), Err(Errno::EAGAIN));
        w.start_task(0).unwrap();
        assert_eq!(w.start_task(0), Err(Errno::EAGAIN));
        w.end_task();
        w.start_task(0).unwrap();
        let s = w.stats();
        assert_eq!((s.tasks_peak, s.refused[1]), (3, 2));
        let mut ev = Vec::new();
        w.report(5, &mut ev);
        w.report(6, &mut ev);
        assert_eq!(ev, [Event::LimitReached { pid: 5, resource: "tasks", limit: 3 }]);
    }

    #[test]
    fn disk_quota_refuses_past_its_limit_and_frees() {
        let q = DiskQuota::new(10);
        q.grow(6).unwrap();
        assert_eq!(q.grow(5), Err(Errno::ENOSPC));
        q.shrink(4);
        q.grow(8).unwrap();
        assert_eq!((q.used(), q.peak(), q.refused()), (10, 10, 1));
    }
}

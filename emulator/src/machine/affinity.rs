//! Host cores for a world and its lanes: each thread of a world with lanes
//! is held to a core of its own while the world runs.
//!
//! Why: the world and a lane hand work to each other every few
//! microseconds and poll while they wait, yielding the core between polls
//! (`lanes::recv_spinning`). Two such threads that the host's scheduler
//! once put on the same core stay there: each yields to the other, neither
//! ever sleeps, so neither is woken onto the idle core, and a task that
//! ran microseconds ago counts as cache-hot and is not moved by load
//! balancing. The read-back cell then ran both threads on one core while
//! the other idled (`perf sched timehist`), in 5 of 12 mipsel runs
//! measured: each run the world asked of an idle lane started about 20 us
//! late (the world's spin before it yields), 2-8 ms a cell in all.
//! Holding them apart makes every run get what the lane was made for.
//!
//! Only host scheduling changes: nothing a guest sees or a report records
//! depends on which core ran it. Cores are claimed from one table for the
//! host process, so worlds in flight at once (a runner with spare cores
//! gives each its lanes) never share one; when too few unclaimed cores are
//! left, or the host refuses (a restricted container), the threads run
//! where the scheduler puts them, as before.
//!
//! Used by `lanes` (the world's thread when it starts its lanes, each lane
//! when a world starts using it).

use std::sync::Mutex;

/// Cores held by the threads of the host process's running worlds.
static CLAIMED: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// A thread's allowed cores, as the host reports them.
#[derive(Clone, Copy)]
pub struct CpuSet(libc::cpu_set_t);

impl CpuSet {
    /// The calling thread's allowed cores; `None` when the host will not
    /// say.
    pub fn current() -> Option<CpuSet> {
        // SAFETY: an all-zero `cpu_set_t` is a valid (empty) set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a writable `cpu_set_t` of the size passed; pid 0
        // is the calling thread.
        let r = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
        (r == 0).then_some(CpuSet(set))
    }

    /// The set of one core.
    fn only(core: usize) -> CpuSet {
        // SAFETY: as in `current`.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `CPU_SET` checks `core` against the set's size.
        unsafe { libc::CPU_SET(core, &mut set) };
        CpuSet(set)
    }

    /// The cores in the set, lowest first.
    pub fn cores(&self) -> Vec<usize> {
        let bits = 8 * size_of::<libc::cpu_set_t>();
        // SAFETY: `CPU_ISSET` reads the set, checking `c` against its size.
        (0..bits).filter(|&c| unsafe { libc::CPU_ISSET(c, &self.0) }).collect()
    }

    /// Hold the calling thread to these cores; false when the host refused.
    pub fn apply(&self) -> bool {
        // SAFETY: `self.0` is a valid `cpu_set_t` of the size passed; pid 0
        // is the calling thread.
        unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &self.0) == 0 }
    }
}

/// The core the calling thread runs on now, if the host says.
fn current_core() -> Option<usize> {
    // SAFETY: no arguments; returns -1 on failure.
    let c = unsafe { libc::sched_getcpu() };
    usize::try_from(c).ok()
}

/// The calling thread held to one core, and let go of on drop (back to
/// the cores it had). Dropped on the thread that made it.
pub struct Hold {
    before: CpuSet,
}

impl Hold {
    /// Hold the calling thread to `core`; `None` when the host refused.
    pub fn new(core: usize) -> Option<Hold> {
        let before = CpuSet::current()?;
        CpuSet::only(core).apply().then_some(Hold { before })
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.before.apply();
    }
}

/// Cores claimed for one world's threads, released on drop. The world's
/// own thread is held to the first, each lane (by its index) to the next.
pub struct Claim {
    cores: Vec<usize>,
    /// The world's thread, held to `cores[0]`.
    _world: Hold,
}

impl Claim {
    /// Claim `threads` unclaimed cores among the calling thread's allowed
    /// ones and hold the calling thread to the first (the core it runs on
    /// now when that one is free). `None` when too few are free or the
    /// host refused: nothing is then claimed or changed.
    pub fn new(threads: usize) -> Option<Claim> {
        if threads < 2 {
            return None;
        }
        let allowed = CpuSet::current()?.cores();
        let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
        let mut free: Vec<usize> = allowed.into_iter().filter(|c| !claimed.contains(c)).collect();
        if free.len() < threads {
            return None;
        }
        if let Some(now) = current_core()
            && let Some(at) = free.iter().position(|&c| c == now)
        {
            free.swap(0, at);
        }
        free.truncate(threads);
        let world = Hold::new(free[0])?;
        claimed.extend_from_slice(&free);
        Some(Claim { cores: free, _world: world })
    }

    /// The core of lane `n` (1-based).
    pub fn lane_core(&self, n: usize) -> Option<usize> {
        self.cores.get(n).copied()
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // The world's thread gets its cores back when `_world` drops, right
        // after this.
        let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
        claimed.retain(|c| !self.cores.contains(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_holds_the_thread_to_one_core_and_gives_its_cores_back() {
        let Some(before) = CpuSet::current() else { return };
        if before.cores().len() < 2 {
            return;
        }
        let claim = std::thread::spawn(move || {
            let c = Claim::new(2).expect("two allowed cores and none claimed");
            assert_eq!(CpuSet::current().unwrap().cores(), vec![c.cores[0]]);
            assert_ne!(c.cores[0], c.cores[1]);
            // The same cores are not claimed twice while held.
            let again = CLAIMED.lock().unwrap().clone();
            assert!(c.cores.iter().all(|x| again.contains(x)));
            let cores = c.cores.clone();
            drop(c);
            assert_eq!(CpuSet::current().unwrap().cores(), before.cores());
            let left = CLAIMED.lock().unwrap().clone();
            assert!(cores.iter().all(|x| !left.contains(x)));
        });
        claim.join().unwrap();
    }

    #[test]
    fn a_claim_of_more_cores_than_allowed_changes_nothing() {
        let Some(before) = CpuSet::current() else { return };
        let n = before.cores().len();
        std::thread::spawn(move || {
            assert!(Claim::new(n + 1).is_none());
            assert!(Claim::new(1).is_none());
            assert_eq!(CpuSet::current().unwrap().cores(), before.cores());
        })
        .join()
        .unwrap();
    }
}
